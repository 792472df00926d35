#!/usr/bin/env bash
# Run a command beside a private Redis (STYLE §4.3):
#   scripts/redis-test.sh COMMAND [ARG...]
# redis-server from Debian's package on a free loopback port, in a temporary
# directory, with a password and no persistence; GR_TEST_REDIS_URL set to its
# redis:// URL for COMMAND (GR_TEST_REDIS_SOCKET_URL: the same Redis on its Unix
# socket, as unix://), GR_TEST_REDIS_STOP / GR_TEST_REDIS_START to shell
# commands that stop it and start it again on the same port. Everything is
# stopped and removed afterwards. Exits with COMMAND's status, or 1 if Redis
# cannot be started: a test that needs it fails, it is never skipped.
set -euo pipefail

if ! command -v redis-server >/dev/null; then
    echo "redis-test: redis-server is missing (scripts/deps.sh test installs it)" >&2
    exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/gr_redis_XXXXXX)
port=$("$here/free-port")
password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
conf=$tmp/redis.conf
cat >"$conf" <<CONF
bind 127.0.0.1
port $port
dir $tmp
requirepass $password
unixsocket $tmp/redis.sock
unixsocketperm 700
save ""
appendonly no
daemonize yes
pidfile $tmp/redis.pid
logfile $tmp/redis.log
CONF
# Redis removes its pid file before its last log lines, and opens the log file anew
# for each line: wait for the process itself to end, or a line written meanwhile
# recreates the file under rm -rf ("Directory not empty").
stop() {
    local pid
    pid=$(cat "$tmp/redis.pid" 2>/dev/null) || pid=
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 143' TERM INT HUP # so that a killed run still stops its server (EXIT)

# Up when it answers PING (bash's /dev/tcp: no redis-cli needed).
answers() {
    local line
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
    printf 'AUTH %s\r\nPING\r\n' "$password" >&3
    IFS= read -r -t 2 line <&3 && IFS= read -r -t 2 line <&3
    exec 3<&-
    [[ $line == "+PONG"* ]]
}
start() {
    redis-server "$conf" >/dev/null || return 1
    for _ in $(seq 100); do answers && return 0; sleep 0.05; done
    return 1
}
start || { cat "$tmp/redis.log" >&2; exit 1; }

export GR_TEST_REDIS_URL="redis://:$password@127.0.0.1:$port/0"
# The same Redis on its Unix socket.
export GR_TEST_REDIS_SOCKET_URL="unix://:$password@$tmp/redis.sock?db=0"
export GR_TEST_REDIS_PIDFILE=$tmp/redis.pid
export GR_TEST_REDIS_STOP="kill \$(cat $tmp/redis.pid) && while [ -f $tmp/redis.pid ]; do sleep 0.05; done"
export GR_TEST_REDIS_START="redis-server $conf >/dev/null && sleep 0.2"
status=0
"$@" || status=$?
exit "$status"

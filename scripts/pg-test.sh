#!/usr/bin/env bash
# Run a command beside a private PostgreSQL (STYLE §4.3):
#   scripts/pg-test.sh COMMAND [ARG...]
# initdb in a temporary directory, postgres listening on a Unix socket there
# only (no TCP port, so parallel runs cannot collide), GR_TEST_PG set to its
# libpq conninfo for COMMAND (GR_TEST_PG_URL: the same as a URL), and everything stopped and removed afterwards.
# Run as root, the server runs as the postgres user. Exits with COMMAND's
# status, or 1 if PostgreSQL cannot be started: a test that needs it fails,
# it is never skipped.
set -euo pipefail

bin=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bin/initdb" ]; then
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin=$d; done
fi
if [ ! -x "$bin/initdb" ]; then
    echo "pg-test: PostgreSQL's initdb is missing (scripts/deps.sh test installs it)" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/gr_pg_XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" != 0 ] || chown postgres "$tmp"
stop() {
    as_pg "$bin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 143' TERM INT HUP # so that a killed run still stops its server (EXIT)

as_pg "$bin/initdb" -D "$tmp/pg" -A trust -U gramota -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log" >&2; exit 1; }
# fsync off: the data dies with the test; max_connections: 20 racing threads
# per store, and a store or two open at once. GR_TEST_PG_OPTS adds settings
# (profiling: "-c shared_preload_libraries=pg_stat_statements").
opts="-k $tmp -c listen_addresses= -c fsync=off -c max_connections=200 ${GR_TEST_PG_OPTS:-}"
as_pg "$bin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -t 30 -o "$opts" start >/dev/null ||
    { cat "$tmp/pg.log" >&2; exit 1; }

export GR_TEST_PG="host=$tmp user=gramota dbname=postgres"
# The same server as a URL, the form gramota --database-url takes.
export GR_TEST_PG_URL="postgresql://gramota@/postgres?host=$tmp"
# Shell commands that stop and start this server, for tests of an outage.
pre=""
[ "$(id -u)" != 0 ] || pre="runuser -u postgres --"
# Its postmaster's pid file: the bench counts the CPU of that process and its children.
export GR_TEST_PG_PIDFILE=$tmp/pg/postmaster.pid
export GR_TEST_PG_STOP="$pre $bin/pg_ctl -D $tmp/pg -m fast -w stop >/dev/null"
export GR_TEST_PG_START="$pre $bin/pg_ctl -D $tmp/pg -l $tmp/pg.log -w -t 30 -o '$opts' start >/dev/null"
status=0
"$@" || status=$?
exit "$status"

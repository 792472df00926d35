#!/usr/bin/env bash
# Faults under load: two `gramota serve` processes, A and B, as one issuer (one
# --issuer-url, one signing key) over one private PostgreSQL and one private
# Redis (scripts/pg-test.sh, scripts/redis-test.sh), driven by kill.mjs:
#
#   SIGKILL   B is killed while 8 workers run complete flows against it; then,
#             on A: every credential received has its record with the same
#             status entry, every code granted a token is refused, no code was
#             granted twice (the audit trail), no status entry given twice, and
#             `gramota audit verify` passes
#   Redis     stopped and started again under load on A: quick 503s, the DPoP
#             replay check failing closed, /readyz 503 and /healthz 200, then
#             service back by itself
#   PostgreSQL  the same
#
# A, and B's output from before its death, must show no sanitizer report; A
# stops with status 0 on SIGTERM. Prints "ok N - ..." / "not ok N - ..." per
# check, then "# pass N" and "# fail N" for scripts/run-tests.sh; exits 1 on
# any failure.
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${GR_TEST_PG_URL:-}" ] || exec "$src/scripts/pg-test.sh" "$src/scripts/redis-test.sh" bash "$0" "$@"
[ -n "${GR_TEST_REDIS_URL:-}" ] || exec "$src/scripts/redis-test.sh" bash "$0" "$@"
gramota=${GRAMOTA:-$src/build/current/gramota}
here=$src/tests/e2e

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    not_ok "tests/e2e/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi
if [ ! -x "$gramota" ]; then
    not_ok "$gramota is not built"
    finish
fi

tmp=$(mktemp -d)
declare -A pid url
cleanup() {
    local p
    for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# The flows come by the hundred from one address: no rate limit in the way.
export GRAMOTA_OFFER_BURST=1000000 GRAMOTA_GUESS_BURST=1000000
store=(--database-url "$GR_TEST_PG_URL" --redis-url "$GR_TEST_REDIS_URL")

# start NAME ARGS...: a server on a free port, its own data directory, the
# shared store; url[NAME] and pid[NAME]. Retries when the port was taken in between.
start() {
    local name=$1 port
    shift
    mkdir -p "$tmp/$name"
    for _ in 1 2 3; do
        port=$("$src/scripts/free-port")
        url[$name]=http://127.0.0.1:$port
        "$gramota" serve --listen "127.0.0.1:$port" --data-dir "$tmp/$name" "${store[@]}" \
            --issuer-url "${ISSUER:-${url[$name]}}" "$@" >>"$tmp/$name.out" 2>>"$tmp/$name.err" &
        pid[$name]=$!
        for _ in $(seq 150); do # 15 s: a sanitized build starts slowly on a busy machine
            healthy "${url[$name]}" && break
            kill -0 "${pid[$name]}" 2>/dev/null || break
            sleep 0.1
        done
        if healthy "${url[$name]}"; then
            ok "$name: started on ${url[$name]}"
            return 0
        fi
        kill -KILL "${pid[$name]}" 2>/dev/null
        wait "${pid[$name]}" 2>/dev/null
        unset "pid[$name]"
        grep -qi 'in use' "$tmp/$name.err" || break
    done
    not_ok "$name: did not answer /healthz"
    tail -n 20 "$tmp/$name.out" "$tmp/$name.err" | sed 's/^/#   /'
    return 1
}

# sanitizer_clean NAME: no sanitizer report in the server's stderr.
sanitizer_clean() {
    no_sanitizer_report "$1" "$tmp/$1.err"
}

# stop NAME: SIGTERM, and the server must exit 0 within 10 s.
stop() {
    local name=$1 p=${pid[$1]} rc
    kill -TERM "$p"
    for _ in $(seq 100); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        not_ok "$name: still running 10 s after SIGTERM"
        kill -KILL "$p"
        wait "$p" 2>/dev/null
    else
        wait "$p"
        rc=$?
        if [ "$rc" = 0 ]; then
            ok "$name: SIGTERM stops it with status 0"
        else
            not_ok "$name: SIGTERM stops it with status $rc"
        fi
    fi
    unset "pid[$name]"
    sanitizer_clean "$name"
}

start A || finish
key=$(awk 'f { print; exit } /API key/ { f = 1 }' "$tmp/A.out")
if [[ $key =~ ^[A-Za-z0-9_.~-]{20,}$ ]]; then
    ok "A: printed the default organization's API key"
else
    not_ok "A: no API key on the line after 'API key' in its output"
fi
ISSUER=${url[A]} start B --signer "file:$tmp/A/issuer.pem" || finish

# What lib.mjs reads; kill.mjs uses the issuer and its key only.
export GR_ISSUER=${url[A]} GR_API_KEY=$key GR_API_KEY2=$key GR_NONCE_ISSUER=${url[A]}
export GR_NONCE_API_KEY=$key GR_BATCH_SIZE=4 GR_MAX_TX_ATTEMPTS=3

# ---- SIGKILL mid-issuance ----
# The flows against B; once 10 have completed, B is killed; the workers stop
# as their connections fail.
SECONDS=0
GR_LOAD_TARGET=${url[B]} GR_LOAD_FLOWS=60 timeout 120 node "$here/kill.mjs" run "$tmp/kill.json" \
    >"$tmp/kill.out" 2>&1 &
load=$!
until [ "$(grep -c '^progress' "$tmp/kill.out")" -ge 10 ] || ! kill -0 "$load" 2>/dev/null; do sleep 0.05; done
if kill -KILL "${pid[B]}" 2>/dev/null; then
    wait "${pid[B]}" 2>/dev/null
    unset "pid[B]"
    ok "B: SIGKILLed after $(grep -c '^progress' "$tmp/kill.out") completed flows"
else
    not_ok "B: died before the kill"
fi
if wait "$load"; then
    sed 's/^/# /' <(grep -v '^progress' "$tmp/kill.out")
    run_node "kill.mjs check" kill.mjs check "$tmp/kill.json"
else
    not_ok "kill.mjs run: $(grep -v '^progress' "$tmp/kill.out" | tail -n 3)"
fi
twice=$(psql -At "$GR_TEST_PG_URL" -c "SELECT offer_id FROM audit WHERE kind = 'token.granted'
    GROUP BY offer_id HAVING count(*) > 1" 2>&1)
granted=$(psql -At "$GR_TEST_PG_URL" -c "SELECT count(*) FROM audit WHERE kind = 'token.granted'" 2>&1)
if [ -z "$twice" ] && [[ $granted =~ ^[1-9][0-9]*$ ]]; then
    ok "SIGKILL: the audit trail shows no code granted twice ($granted grants)"
else
    not_ok "SIGKILL: offers granted twice, or no grant: $twice $granted"
fi
if "$gramota" audit verify --data-dir "$tmp/A" --database-url "$GR_TEST_PG_URL" >"$tmp/audit.out" 2>&1; then
    ok "SIGKILL: the audit chain verifies ($(head -n 1 "$tmp/audit.out"))"
else
    not_ok "SIGKILL: audit verify: $(tail -n 1 "$tmp/audit.out")"
fi
sanitizer_clean B
echo "# SIGKILL: ${SECONDS} s"

# ---- Redis, then PostgreSQL, stopped and started again under load ----
SECONDS=0
GR_OUTAGE_STOP=$GR_TEST_REDIS_STOP GR_OUTAGE_START=$GR_TEST_REDIS_START run_node "kill.mjs outage redis" \
    kill.mjs outage redis
echo "# Redis: ${SECONDS} s"
SECONDS=0
GR_OUTAGE_STOP=$GR_TEST_PG_STOP GR_OUTAGE_START=$GR_TEST_PG_START run_node "kill.mjs outage pg" \
    kill.mjs outage pg
echo "# PostgreSQL: ${SECONDS} s"
if "$gramota" audit verify --data-dir "$tmp/A" --database-url "$GR_TEST_PG_URL" >"$tmp/audit.out" 2>&1; then
    ok "after the outages: the audit chain verifies ($(head -n 1 "$tmp/audit.out"))"
else
    not_ok "after the outages: audit verify: $(tail -n 1 "$tmp/audit.out")"
fi

stop A
finish

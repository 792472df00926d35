#!/usr/bin/env bash
# End to end: `gramota serve` on a free loopback port, driven over HTTP by a
# real wallet client (@openid4vc/openid4vci, pinned in package-lock.json and
# installed by scripts/deps.sh test) and by hand-made hostile requests.
#
#   wallet.mjs    the happy paths through the wallet library; every credential
#                 checked by @sd-jwt/sd-jwt-vc
#   refusals.mjs  every refusal the specifications name, status and error code
#   eudi.mjs      the EU reference wallet's three request shapes (WALLET.md §2-§4),
#                 wallet and key attestations from a test wallet provider made here
#   twin.mjs      two processes on one database: codes, tokens, nonces and DPoP
#                 replays across them, racing redemptions and status allocation
#   limits.mjs    rate limits: offers per organization, failed token requests
#                 per client address and per code; 429 and Retry-After; refill
#
# Six servers: "main" (plain), "nonce" (--dpop-nonce), "eudi" (the EU profile:
# --credential-types eudi, wallet attestation required, DPoP nonces, an x5c
# chain), "abca" (attestation-based client authentication required, the
# default types, x5c), "pg" (plain, its store in a private PostgreSQL from
# scripts/pg-test.sh; wallet.mjs and refusals.mjs run again against it) and
# "pg-twin", a second process on pg's database, issuer URL and key: wallet.mjs
# once more with its requests alternating between the two (spread.mjs), then
# twin.mjs, what must hold across the two. All
# must stop with status 0 on SIGTERM. Prints "ok N - ..." / "not ok N - ..."
# per check, then one "# pass N" and one "# fail N" for
# scripts/run-tests.sh; exits 1 on any failure.
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# The "pg" server needs a private PostgreSQL: run beside one.
# The "pg" and "rd" servers need a private PostgreSQL and Redis: run beside them.
[ -n "${GR_TEST_PG_URL:-}" ] || exec "$src/scripts/pg-test.sh" "$src/scripts/redis-test.sh" bash "$0" "$@"
gramota=${GRAMOTA:-$src/build/current/gramota}
here=$src/tests/e2e

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@openid4vc/openid4vci" ] || [ ! -d "$here/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    not_ok "tests/e2e/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi
if [ ! -x "$gramota" ]; then
    not_ok "$gramota is not built"
    finish
fi

tmp=$(mktemp -d)
declare -A pid url key
cleanup() {
    local p
    for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# The settings the suites rely on, passed to the servers explicitly.
export GR_BATCH_SIZE=4 GR_MAX_TX_ATTEMPTS=3
# The suites make hundreds of offers and deliberate failures from one address:
# only the "limits" server keeps the rate limits tight.
export GRAMOTA_OFFER_BURST=1000000 GRAMOTA_GUESS_BURST=1000000

# get URL PATH: the whole answer to GET URL/PATH in $answer (at most 5 s).
get() {
    request GET "$@"
}

# post URL PATH: as get, a POST with an empty body.
post() {
    request POST "$@"
}

# request METHOD URL PATH: the whole answer in $answer (at most 5 s); no body.
request() {
    local hp=${2#http://}
    answer=
    { exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}"; } 2>/dev/null || return 1
    printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' \
        "$1" "$3" "$hp" >&3
    IFS= read -r -d '' -t 5 answer <&3
    exec 3<&-
    [ -n "$answer" ]
}

# issued_counted NAME: the /metrics of server NAME count, by configuration, the
# credentials its SQLite database holds (none before this run), and one signing
# of each.
issued_counted() {
    local name=$1 scraped held signed total
    if ! get "${url[$name]}" /metrics || [[ $answer != "HTTP/1.1 200"* ]]; then
        not_ok "$name: GET /metrics: ${answer%%$'\r'*}"
        return
    fi
    answer=${answer//$'\r'/}
    scraped=$(sed -n 's/^gramota_credentials_issued_total{configuration="\(.*\)"} \([1-9][0-9]*\)$/\1 \2/p' \
        <<<"$answer" | sort)
    held=$(sqlite3 "$tmp/$name/gramota.db" \
        "SELECT config_id || ' ' || count(*) FROM issued GROUP BY config_id ORDER BY config_id" | sort)
    total=$(sqlite3 "$tmp/$name/gramota.db" "SELECT count(*) FROM issued")
    signed=$(sed -n 's/^gramota_signer_duration_seconds_count \([0-9]*\)$/\1/p' <<<"$answer")
    if [ -n "$held" ] && [ "$scraped" = "$held" ]; then
        ok "$name: /metrics counts the $total credentials issued, by configuration ($(echo $held))"
    else
        not_ok "$name: /metrics counts issued [$(echo $scraped)], the database holds [$(echo $held)]"
    fi
    [ "$signed" = "$total" ] && ok "$name: /metrics times $total signings" ||
        not_ok "$name: gramota_signer_duration_seconds_count ${signed:-absent}, want $total"
}

# start NAME ARGS...: a server on a free port with its own data directory; sets
# url[NAME], key[NAME] (the first-start API key) and pid[NAME]. A NAME ending in
# "-twin" shares a store that already has its organizations: no key expected. Retries once
# when the port was taken in between.
start() {
    local name=$1 try port i
    shift
    mkdir -p "$tmp/$name"
    for try in 1 2 3; do
        port=$("$src/scripts/free-port")
        url[$name]=http://127.0.0.1:$port
        "$gramota" serve --listen "127.0.0.1:$port" --issuer-url "${url[$name]}" \
            --data-dir "$tmp/$name" --batch-size "$GR_BATCH_SIZE" --max-tx-attempts "$GR_MAX_TX_ATTEMPTS" \
            "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
        pid[$name]=$!
        for i in $(seq 150); do # 15 s: a sanitized build starts slowly on a busy machine
            healthy "${url[$name]}" && break
            kill -0 "${pid[$name]}" 2>/dev/null || break
            sleep 0.1
        done
        if healthy "${url[$name]}" && [[ $name == *-twin ]]; then
            ok "$name server: started on ${url[$name]}"
            return 0
        elif healthy "${url[$name]}"; then
            key[$name]=$(awk 'f { print; exit } /API key/ { f = 1 }' "$tmp/$name.out")
            if [[ ${key[$name]} =~ ^[A-Za-z0-9_.~-]{20,}$ ]]; then
                ok "$name server: started on ${url[$name]}, printed the default organization's API key"
            else
                not_ok "$name server: no API key on the line after 'API key' in its output"
                sed 's/^/#   /' "$tmp/$name.out"
            fi
            return 0
        fi
        kill -KILL "${pid[$name]}" 2>/dev/null
        wait "${pid[$name]}" 2>/dev/null
        unset "pid[$name]"
        grep -qi 'in use' "$tmp/$name.err" || break
    done
    not_ok "$name server: did not answer /healthz"
    sed 's/^/#   /' "$tmp/$name.out" "$tmp/$name.err" | tail -n 20
    return 1
}

# stop NAME: SIGTERM, and the server must exit 0 within 10 s.
stop() {
    local name=$1 p=${pid[$1]} i rc
    kill -TERM "$p"
    for i in $(seq 100); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        not_ok "$name server: still running 10 s after SIGTERM"
        kill -KILL "$p"
        wait "$p" 2>/dev/null
    else
        wait "$p"
        rc=$?
        if [ "$rc" = 0 ]; then
            ok "$name server: SIGTERM stops it with status 0"
        else
            not_ok "$name server: SIGTERM stops it with status $rc"
            tail -n 20 "$tmp/$name.err" | sed 's/^/#   /'
        fi
    fi
    unset "pid[$name]"
    no_sanitizer_report "$name server" "$tmp/$name.err"
}

# keygen NAME SUBJECT: $tmp/NAME.pem, $tmp/NAME-chain.pem (leaf first, a fresh
# CA last, from `gramota keygen --chain`) and $tmp/NAME-ca.pem, the CA alone.
keygen() {
    "$gramota" keygen --out "$tmp/$1.pem" --chain "$tmp/$1-chain.pem" --subject "$2" 2>"$tmp/$1.keygen" &&
        awk '/-----BEGIN CERTIFICATE-----/ { c = "" } { c = c $0 "\n" } END { printf "%s", c }' \
            "$tmp/$1-chain.pem" >"$tmp/$1-ca.pem" &&
        [ "$(grep -c 'BEGIN CERTIFICATE' "$tmp/$1-chain.pem")" -ge 2 ]
}

# refused WHAT WANT ARGS...: `gramota serve ARGS` must refuse to start, saying WANT.
refused() {
    local what=$1 want=$2 rc
    shift 2
    mkdir -p "$tmp/refused"
    timeout 20 "$gramota" serve --listen 127.0.0.1:0 --data-dir "$tmp/refused" "$@" \
        >"$tmp/refused.out" 2>"$tmp/refused.err"
    rc=$?
    if [ "$rc" = 124 ]; then
        not_ok "start-up: $what: still serving after 20 s"
    elif [ "$rc" = 0 ]; then
        not_ok "start-up: $what: exits 0"
    elif ! grep -q -- "$want" "$tmp/refused.err"; then
        not_ok "start-up: $what: status $rc without naming $want"
        tail -n 5 "$tmp/refused.err" | sed 's/^/#   /'
    elif grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$tmp/refused.err"; then
        not_ok "start-up: $what: a sanitizer report"
    else
        ok "start-up: $what is refused (status $rc, naming $want)"
    fi
}

start main || finish
start nonce --dpop-nonce || finish
start pg --database-url "$GR_TEST_PG_URL" || finish

# The EU profile: a test wallet provider (its CA trusted), an untrusted one made
# the same way, and the issuer's own key with a certificate chain for x5c.
eudi=no
if keygen wp "Test Wallet Provider" && keygen rogue "Untrusted Wallet Provider" &&
    keygen issuer "Test Issuer"; then
    ok "keygen --chain makes the wallet providers' and the issuer's keys and chains"
    refused "--credential-types eudi without --wallet-trust-anchors" --wallet-trust-anchors \
        --credential-types eudi
    refused "--client-attestation required without --wallet-trust-anchors" --wallet-trust-anchors \
        --client-attestation required
    refused "--wallet-trust-anchors naming a missing file" "$tmp/none.pem" \
        --credential-types eudi --wallet-trust-anchors "$tmp/none.pem"
    refused "--client-attestation sometimes" --client-attestation --client-attestation sometimes
    issuer_signer=(--signer "file:$tmp/issuer.pem" --cert-chain "$tmp/issuer-chain.pem")
    start eudi --credential-types eudi --wallet-trust-anchors "$tmp/wp-ca.pem" \
        --client-attestation required --dpop-nonce --batch-size 10 "${issuer_signer[@]}" &&
        start abca --wallet-trust-anchors "$tmp/wp-ca.pem" --client-attestation required \
            "${issuer_signer[@]}" &&
        eudi=yes
else
    not_ok "gramota keygen --chain: $(tail -n 1 "$tmp"/*.keygen 2>/dev/null)"
fi

if "$gramota" org create acme --data-dir "$tmp/main" >"$tmp/org.out" 2>"$tmp/org.err"; then
    key2=$(tail -n 1 "$tmp/org.out")
    ok "org create beside the running server prints a key on its last line"
else
    key2=none
    not_ok "org create beside the running server: $(tail -n 1 "$tmp/org.err")"
fi

get "${url[main]}" /readyz
[[ $answer == "HTTP/1.1 200"* && $answer == *'{"status":"ok"}'* ]] &&
    ok "main: /readyz is 200 with its store answering" || not_ok "main: /readyz: ${answer%%$'\r'*}"

export GR_ISSUER=${url[main]} GR_API_KEY=${key[main]} GR_API_KEY2=$key2
export GR_NONCE_ISSUER=${url[nonce]} GR_NONCE_API_KEY=${key[nonce]}
run_node wallet.mjs wallet.mjs
run_node refusals.mjs refusals.mjs
if [ "$eudi" = yes ]; then
    export GR_EUDI_ISSUER=${url[eudi]} GR_EUDI_API_KEY=${key[eudi]}
    export GR_ABCA_ISSUER=${url[abca]} GR_ABCA_API_KEY=${key[abca]}
    export GR_WALLET_PROVIDER_KEY=$tmp/wp.pem GR_WALLET_PROVIDER_CHAIN=$tmp/wp-chain.pem
    export GR_ROGUE_PROVIDER_KEY=$tmp/rogue.pem GR_ROGUE_PROVIDER_CHAIN=$tmp/rogue-chain.pem
    export GR_ISSUER_CHAIN=$tmp/issuer-chain.pem
    run_node eudi.mjs eudi.mjs
    issued_counted eudi
fi
issued_counted main

# The same wallet and refusals against the PostgreSQL store (the DPoP-nonce
# checks still use the "nonce" server).
if "$gramota" org create acme --data-dir "$tmp/pg" --database-url "$GR_TEST_PG_URL" \
    >"$tmp/pgorg.out" 2>"$tmp/pgorg.err"; then
    ok "pg: org create beside the running server prints a key on its last line"
    GR_ISSUER=${url[pg]} GR_API_KEY=${key[pg]} GR_API_KEY2=$(tail -n 1 "$tmp/pgorg.out")
    export GR_ISSUER GR_API_KEY GR_API_KEY2
    label="pg: "
    run_node "pg: wallet.mjs" wallet.mjs
    run_node "pg: refusals.mjs" refusals.mjs
    # Two processes as one: a second server on the same database, issuer URL
    # and key; the wallet's requests alternate between the two (spread.mjs).
    if start pg-twin --database-url "$GR_TEST_PG_URL" --issuer-url "${url[pg]}" \
        --signer "file:$tmp/pg/issuer.pem"; then
        label="pg, two processes: "
        GR_ISSUER_TWIN=${url[pg-twin]} run_node "two processes: wallet.mjs" \
            --import ./spread.mjs wallet.mjs
        # The twin must really have served its half of the flows (its request log).
        served=$(grep -cE ' (token|credential) 200 ' "$tmp/pg-twin.out")
        if [ "$served" -ge 10 ]; then
            ok "pg, two processes: the twin answered $served token and credential requests with 200"
        else
            not_ok "pg, two processes: the twin answered $served token and credential requests with 200"
        fi
        GR_ISSUER_TWIN=${url[pg-twin]} run_node "twin.mjs" twin.mjs
        if "$gramota" audit verify --data-dir "$tmp/pg" --database-url "$GR_TEST_PG_URL" \
            >"$tmp/pgaudit.out" 2>&1; then
            ok "pg, two processes: the audit chain both wrote verifies ($(head -n 1 "$tmp/pgaudit.out"))"
        else
            not_ok "pg, two processes: audit verify: $(tail -n 1 "$tmp/pgaudit.out")"
        fi
        # PostgreSQL away: the processes stay up but are not ready; then ready by themselves.
        if eval "$GR_TEST_PG_STOP"; then
            get "${url[pg]}" /healthz
            [[ $answer == "HTTP/1.1 200"* ]] && ok "pg away: /healthz still 200" ||
                not_ok "pg away: /healthz: ${answer%%$'\r'*}"
            SECONDS=0
            get "${url[pg-twin]}" /readyz
            if [[ $answer == "HTTP/1.1 503"* && $answer == *'"error":"temporarily_unavailable"'* ]] &&
                [ "$SECONDS" -le 3 ]; then
                ok "pg away: /readyz is 503 temporarily_unavailable at once"
            else
                not_ok "pg away: /readyz after ${SECONDS} s: ${answer%%$'\r'*} ${answer##*$'\n'}"
            fi
            eval "$GR_TEST_PG_START"
            get "${url[pg-twin]}" /readyz # may meet a connection not yet known to be dead
            get "${url[pg-twin]}" /readyz
            [[ $answer == "HTTP/1.1 200"* ]] && ok "pg back: /readyz is 200 again" ||
                not_ok "pg back: /readyz: ${answer%%$'\r'*} ${answer##*$'\n'}"
        else
            not_ok "pg away: PostgreSQL did not stop"
        fi
    fi
    label=
else
    not_ok "pg: org create beside the running server: $(tail -n 1 "$tmp/pgorg.err")"
fi

# Two processes over PostgreSQL + Redis ("rd", "rd-twin": a database of their
# own, the short-lived state in Redis, reached over TCP by one and on its Unix
# socket by the other): the spread wallet and twin.mjs again, then Redis away
# and back.
rd_url=${GR_TEST_PG_URL/\/postgres\?//gramota_rd?}
if psql -q "$GR_TEST_PG_URL" -c 'CREATE DATABASE gramota_rd' >/dev/null 2>"$tmp/rd.psql" &&
    start rd --database-url "$rd_url" --redis-url "$GR_TEST_REDIS_URL" &&
    start rd-twin --database-url "$rd_url" --redis-url "$GR_TEST_REDIS_SOCKET_URL" \
        --issuer-url "${url[rd]}" --signer "file:$tmp/rd/issuer.pem" &&
    "$gramota" org create acme --data-dir "$tmp/rd" --database-url "$rd_url" \
        --redis-url "$GR_TEST_REDIS_URL" >"$tmp/rdorg.out" 2>"$tmp/rd.err"; then
    label="pg+redis, two processes: "
    export GR_ISSUER=${url[rd]} GR_API_KEY=${key[rd]} GR_API_KEY2=$(tail -n 1 "$tmp/rdorg.out")
    GR_ISSUER_TWIN=${url[rd-twin]} run_node "pg+redis: wallet.mjs" --import ./spread.mjs wallet.mjs
    GR_ISSUER_TWIN=${url[rd-twin]} run_node "pg+redis: twin.mjs" twin.mjs
    label=
    redis_keys=$(grep -c ' 200 ' "$tmp/rd-twin.out")
    if eval "$GR_TEST_REDIS_STOP"; then
        get "${url[rd]}" /healthz
        [[ $answer == "HTTP/1.1 200"* ]] && ok "redis away: /healthz still 200" ||
            not_ok "redis away: /healthz: ${answer%%$'\r'*}"
        SECONDS=0
        get "${url[rd-twin]}" /readyz
        if [[ $answer == "HTTP/1.1 503"* && $answer == *'"error":"temporarily_unavailable"'* ]] &&
            [ "$SECONDS" -le 3 ]; then
            ok "redis away: /readyz is 503 temporarily_unavailable at once"
        else
            not_ok "redis away: /readyz after ${SECONDS} s: ${answer%%$'\r'*} ${answer##*$'\n'}"
        fi
        # c_nonces need no store: the nonce endpoint answers while Redis is away.
        post "${url[rd]}" /oid4vci/nonce
        [[ $answer == "HTTP/1.1 200"* && $answer == *'"c_nonce":"'* ]] &&
            ok "redis away: the nonce endpoint still hands out c_nonces" ||
            not_ok "redis away: POST /oid4vci/nonce: ${answer%%$'\r'*} ${answer##*$'\n'}"
        eval "$GR_TEST_REDIS_START"
        get "${url[rd-twin]}" /readyz
        [[ $answer == "HTTP/1.1 200"* ]] && ok "redis back: /readyz is 200 again, no restart" ||
            not_ok "redis back: /readyz: ${answer%%$'\r'*} ${answer##*$'\n'}"
        get "${url[rd-twin]}" /metrics
        errors=$(printf '%s\n' "$answer" | awk '/^gramota_store_errors_total\{source="redis"\}/ { print $2 }')
        [ "${errors:-0}" -ge 1 ] && ok "redis away: counted in gramota_store_errors_total ($errors)" ||
            not_ok "redis away: gramota_store_errors_total{source=\"redis\"} is '${errors:-}'"
    else
        not_ok "redis away: Redis did not stop"
    fi
    [ "$redis_keys" -ge 10 ] && ok "pg+redis: the twin answered $redis_keys requests with 200" ||
        not_ok "pg+redis: the twin answered $redis_keys requests with 200"
else
    not_ok "pg+redis: servers did not start: $(tail -n 2 "$tmp/rd.psql" "$tmp/rd.err" 2>/dev/null)"
fi

# Rate limits, on a server of their own (limits.mjs).
if start limits --offer-rate 60 --offer-burst 3 --guess-rate 60 --guess-burst 3 \
    --max-tx-attempts 10; then
    if "$gramota" org create own --data-dir "$tmp/limits" >"$tmp/own.out" 2>"$tmp/own.err" &&
        "$gramota" org limits own 300 2 --data-dir "$tmp/limits" >"$tmp/own-limits.out" 2>&1 &&
        grep -q '300 offers per minute, 2 at once' "$tmp/own-limits.out"; then
        ok "limits: org limits sets an organization's own offer rate"
        GR_ISSUER=${url[limits]} GR_API_KEY=${key[limits]} GR_API_KEY2=$(tail -n 1 "$tmp/own.out") \
            run_node limits.mjs limits.mjs
    else
        not_ok "limits: org create / org limits: $(tail -n 1 "$tmp/own.err" "$tmp/own-limits.out")"
    fi
    if "$gramota" org limits nobody 1 1 --data-dir "$tmp/limits" >/dev/null 2>"$tmp/nobody.err"; then
        not_ok "limits: org limits of an unknown organization succeeds"
    else
        ok "limits: org limits of an unknown organization fails ($(tail -n 1 "$tmp/nobody.err"))"
    fi
fi

for name in main nonce eudi abca pg pg-twin rd rd-twin limits; do
    [ -n "${pid[$name]:-}" ] && stop "$name"
done
finish

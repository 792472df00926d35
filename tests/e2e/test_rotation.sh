#!/usr/bin/env bash
# Key rotation end to end (docs/server.md, "Signing keys and rotation"):
# `gramota serve` on SQLite issues credentials (rotation.mjs); `gramota key
# rotate` runs beside it, and the server must follow within seconds, without a
# restart; credentials and status list tokens from before and after must all
# verify through /.well-known/jwt-vc-issuer; `gramota key list` must say which
# key is active and which retired key still has live credentials; a revocation
# after the rotation shows in a token signed by the new key. Then a rotation by
# configuration: a restart with --signer naming a new key file makes it active
# and keeps the earlier keys published; a restart without --signer keeps the
# keyring's active key rather than going back to the default one.
# Prints TAP lines for scripts/run-tests.sh (tests/tap.sh); exits 1 on any failure.
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
gramota=${GRAMOTA:-$src/build/current/gramota}
here=$src/tests/e2e

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    not_ok "tests/e2e/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi
[ -x "$gramota" ] || { not_ok "$gramota is not built"; finish; }

tmp=$(mktemp -d)
data=$tmp/data
state=$tmp/state.json
pid=
cleanup() {
    [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# What lib.mjs reads; the suites' other servers are this one.
export GR_BATCH_SIZE=4 GR_MAX_TX_ATTEMPTS=3 GRAMOTA_OFFER_BURST=1000000 GRAMOTA_GUESS_BURST=1000000

# start WHAT ARGS...: the server over $data; sets pid and url. The port stays
# across restarts: the credentials' status list URIs and iss name it.
port=$("$src/scripts/free-port")
start() {
    local what=$1 i
    shift
    url=http://127.0.0.1:$port
    "$gramota" serve --listen "127.0.0.1:$port" --issuer-url "$url" --data-dir "$data" \
        --batch-size "$GR_BATCH_SIZE" --max-tx-attempts "$GR_MAX_TX_ATTEMPTS" "$@" \
        >>"$tmp/serve.out" 2>>"$tmp/serve.err" &
    pid=$!
    for i in $(seq 150); do
        curl -sf "$url/healthz" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if curl -sf "$url/healthz" >/dev/null; then
        ok "$what: the server started"
    else
        not_ok "$what: the server did not answer /healthz"
        tail -n 20 "$tmp/serve.err" | sed 's/^/#   /'
        finish
    fi
    export GR_ISSUER=$url GR_NONCE_ISSUER=$url
}

# stop WHAT: SIGTERM, exit status 0, no sanitizer report.
stop() {
    local rc
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    pid=
    [ "$rc" = 0 ] && ok "$1: SIGTERM stops the server with status 0" ||
        not_ok "$1: SIGTERM stops the server with status $rc"
    no_sanitizer_report "$1" "$tmp/serve.err"
}

# The kids jwt-vc-issuer lists, one per line.
published() {
    curl -sf "$url/.well-known/jwt-vc-issuer" | node -e \
        'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
         console.log(JSON.parse(s).jwks.keys.map((k) => k.kid).join("\n")))'
}

# key_row KID: that key's line of `gramota key list`, columns squeezed.
key_row() { "$gramota" key list --data-dir "$data" 2>/dev/null | awk -v k="$1" '$1 == k'; }

# expect_published WHAT KID...: jwt-vc-issuer lists exactly these kids.
expect_published() {
    local what=$1 got want
    shift
    got=$(published | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" = "$want" ] && ok "$what: jwt-vc-issuer lists $# keys" ||
        not_ok "$what: jwt-vc-issuer lists [$got], want [$want]"
}

start "first start"
export GR_API_KEY GR_API_KEY2 GR_NONCE_API_KEY
GR_API_KEY=$(awk 'f { print; exit } /API key/ { f = 1 }' "$tmp/serve.out")
GR_API_KEY2=$GR_API_KEY GR_NONCE_API_KEY=$GR_API_KEY
kid0=$("$gramota" key list --data-dir "$data" | awk '$2 == "active" { print $1 }')
[[ $kid0 =~ ^[A-Za-z0-9_-]{43}$ ]] && ok "key list: the default key $kid0 is active" ||
    not_ok "key list: no active key ($kid0)"
expect_published "before the rotation" "$kid0"
run_node "issue before" rotation.mjs issue "$state" before

# A rotation at once (--now) beside the running server, which follows it within seconds.
out=$("$gramota" key rotate --now --data-dir "$data" 2>"$tmp/rotate.err")
kid1=${out%% *}
uri1=${out#* }
if [[ $kid1 =~ ^[A-Za-z0-9_-]{43}$ ]] && [ "$kid1" != "$kid0" ] && [ -f "${uri1#file:}" ] &&
    [ "$(stat -c %a "${uri1#file:}")" = 600 ]; then
    ok "key rotate: a new key $kid1, owner-only under the data directory"
else
    not_ok "key rotate printed '$out' ($(cat "$tmp/rotate.err"))"
fi
for i in $(seq 100); do
    published | grep -qx "$kid1" && break
    sleep 0.2
done
expect_published "after the rotation, without a restart" "$kid1" "$kid0"
run_node "issue after" rotation.mjs issue "$state" after
run_node "check" rotation.mjs check "$state" before="$kid0" after="$kid1"

row0=$(key_row "$kid0") row1=$(key_row "$kid1")
read -r _ st0 _ _ live0 _ <<<"$row0"
read -r _ st1 _ _ live1 _ <<<"$row1"
[ "$st1" = active ] && [ "$live1" = 2 ] && ok "key list: $kid1 active, 2 live credentials" ||
    not_ok "key list: '$row1'"
[ "$st0" = retired ] && [ "$live0" = 2 ] && ok "key list: $kid0 retired, 2 live credentials" ||
    not_ok "key list: '$row0'"
[ "$("$gramota" key list --data-dir "$data" | grep -c ' active ')" = 1 ] &&
    ok "key list: exactly one active key" || not_ok "key list: not exactly one active key"
run_node "revoke" rotation.mjs revoke "$state" before "$kid1"

# A scheduled rotation (no --now): the next key is published at once, the current one signs on.
out=$("$gramota" key rotate --data-dir "$data" 2>"$tmp/rotate.err")
kidn=${out%% *}
for i in $(seq 100); do
    published | grep -qx "$kidn" && break
    sleep 0.2
done
expect_published "a scheduled rotation publishes the next key at once" "$kidn" "$kid1" "$kid0"
run_node "issue scheduled" rotation.mjs issue "$state" scheduled
run_node "check scheduled" rotation.mjs check "$state" before="$kid0" after="$kid1" scheduled="$kid1"
[ "$(key_row "$kidn" | awk '{ print $2 }')" = next ] && [ "$(key_row "$kid1" | awk '{ print $2 }')" = active ] &&
    ok "key list: $kidn next, $kid1 still active until then" ||
    not_ok "key list: '$(key_row "$kidn")' / '$(key_row "$kid1")'"
grep -q "signing from 300 seconds from now" "$tmp/rotate.err" &&
    ok "key rotate says when the next key starts signing" ||
    not_ok "key rotate: '$(cat "$tmp/rotate.err")'"
# Five minutes on, as the keyring sees it: the next key signs, followed without a restart.
sqlite3 "$data/gramota.db" "UPDATE signing_keys SET activated_at = activated_at - 400 WHERE kid = '$kidn';
    UPDATE signing_keys SET retired_at = retired_at - 400 WHERE kid = '$kid1';"
for i in $(seq 100); do
    grep -q "signing with key $kidn" "$tmp/serve.err" && break
    sleep 0.2
done
run_node "issue when due" rotation.mjs issue "$state" due
run_node "check when due" rotation.mjs check "$state" before="$kid0" after="$kid1" due="$kidn"
[ "$(key_row "$kidn" | awk '{ print $2 }')" = active ] && [ "$(key_row "$kid1" | awk '{ print $2 }')" = retired ] &&
    ok "key list: once due, $kidn active and $kid1 retired" ||
    not_ok "key list: '$(key_row "$kidn")' / '$(key_row "$kid1")'"
stop "live rotation"

# A rotation by configuration: --signer names a key the keyring has not seen.
"$gramota" keygen --out "$tmp/k2.pem" 2>"$tmp/k2.keygen"
kid2=$(sed -n 's/^kid: //p' "$tmp/k2.keygen")
start "restart with --signer file:k2.pem" --signer "file:$tmp/k2.pem"
[ "$(key_row "$kid2" | awk '{ print $2 }')" = active ] && ok "key list: the configured $kid2 is active" ||
    not_ok "key list: '$(key_row "$kid2")'"
expect_published "after the restart" "$kid2" "$kidn" "$kid1" "$kid0"
run_node "issue restarted" rotation.mjs issue "$state" restarted
run_node "check after restart" rotation.mjs check "$state" before="$kid0" after="$kid1" restarted="$kid2"
stop "rotation by configuration"

# Without --signer, the keyring's active key goes on signing, not the default file key.
start "restart without --signer"
run_node "issue again" rotation.mjs issue "$state" again
run_node "check again" rotation.mjs check "$state" again="$kid2" before="$kid0"
grep -q "warning: --signer names a retired key" "$tmp/serve.err" &&
    not_ok "a warning about --signer though none was given" || ok "no --signer warning"
stop "restart without --signer"
finish

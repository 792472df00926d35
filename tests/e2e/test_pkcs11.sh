#!/usr/bin/env bash
# End to end with the issuer's key in a PKCS#11 token (STYLE §4.4): a private
# SoftHSM2 token (scripts/softhsm-test.sh), a key made on it by
# `gramota keygen --pkcs11`, and two servers signing with it through
# `--signer pkcs11:...`: "p11" (plain) and "p11-nonce" (--dpop-nonce, the
# same token and key). The wallet suite (wallet.mjs) runs against them; then
# pkcs11.mjs: the served key is the token's; the token taken away gives 503
# temporarily_unavailable on a credential request, /readyz 503, /healthz 200,
# an audit event and no issued record; put back, /readyz 200 and a new flow
# issues, without a restart. Prints "ok N - ..." per check, "# pass N",
# "# fail N"; exits 1 on any failure. (test_e2e.sh's helpers, trimmed.)
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${GR_TEST_P11_URI:-}" ] || exec "$src/scripts/softhsm-test.sh" bash "$0" "$@"
gramota=${GRAMOTA:-$src/build/current/gramota}
here=$src/tests/e2e

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@openid4vc/openid4vci" ]; then
    not_ok "tests/e2e/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi

tmp=$(mktemp -d)
declare -A pid url key
cleanup() {
    local p
    for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    # The token's files back where softhsm-test.sh removes them, whatever happened.
    [ -d "${GR_TEST_P11_PIN_FILE%/*}/tokens.away" ] && eval "$GR_TEST_P11_BACK"
    rm -rf "$tmp"
}
trap cleanup EXIT

export GR_BATCH_SIZE=4 GR_MAX_TX_ATTEMPTS=3
export GRAMOTA_OFFER_BURST=1000000 GRAMOTA_GUESS_BURST=1000000

# start NAME ARGS...: a server on a free port with its own data directory.
start() {
    local name=$1 port i
    shift
    mkdir -p "$tmp/$name"
    port=$("$src/scripts/free-port")
    url[$name]=http://127.0.0.1:$port
    "$gramota" serve --listen "127.0.0.1:$port" --issuer-url "${url[$name]}" \
        --data-dir "$tmp/$name" --batch-size "$GR_BATCH_SIZE" --max-tx-attempts "$GR_MAX_TX_ATTEMPTS" \
        "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid[$name]=$!
    for i in $(seq 150); do
        healthy "${url[$name]}" && break
        kill -0 "${pid[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    key[$name]=$(awk 'f { print; exit } /API key/ { f = 1 }' "$tmp/$name.out")
    if healthy "${url[$name]}" && [[ ${key[$name]} =~ ^[A-Za-z0-9_.~-]{20,}$ ]]; then
        ok "$name server: started on ${url[$name]} with --signer pkcs11:"
        return 0
    fi
    not_ok "$name server: did not start"
    sed 's/^/#   /' "$tmp/$name.out" "$tmp/$name.err" | tail -n 20
    return 1
}

# stop NAME: SIGTERM, exit 0 within 10 s, no sanitizer report, no PIN in its output.
stop() {
    local name=$1 p=${pid[$1]} i rc
    kill -TERM "$p"
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
        not_ok "$name server: still running 10 s after SIGTERM"
        kill -KILL "$p"
    fi
    wait "$p"
    rc=$?
    unset "pid[$name]"
    [ "$rc" = 0 ] && ok "$name server: SIGTERM stops it with status 0" ||
        not_ok "$name server: SIGTERM stops it with status $rc"
    no_sanitizer_report "$name server" "$tmp/$name.err"
    grep -qF "$(cat "$GR_TEST_P11_PIN_FILE")" "$tmp/$name.out" "$tmp/$name.err" &&
        not_ok "$name server: the PIN shows in its output" ||
        ok "$name server: the PIN never shows in its output"
}

if signer=$("$gramota" keygen --pkcs11 "$GR_TEST_P11_URI" --label issuer 2>"$tmp/keygen.err") &&
    [[ $signer == pkcs11:*object=issuer* ]]; then
    ok "keygen --pkcs11 makes a key on the token and prints its URI"
else
    not_ok "keygen --pkcs11: $(tail -n 1 "$tmp/keygen.err")"
    finish
fi
jwk=$(sed -n 's/^jwk: //p' "$tmp/keygen.err")

start p11 --signer "$signer" || finish
start p11-nonce --signer "$signer" --dpop-nonce || finish
if "$gramota" org create acme --data-dir "$tmp/p11" >"$tmp/org.out" 2>"$tmp/org.err"; then
    ok "org create beside the running server"
else
    not_ok "org create: $(tail -n 1 "$tmp/org.err")"
fi

export GR_ISSUER=${url[p11]} GR_API_KEY=${key[p11]} GR_API_KEY2=$(tail -n 1 "$tmp/org.out")
export GR_NONCE_ISSUER=${url[p11-nonce]} GR_NONCE_API_KEY=${key[p11-nonce]}
export GR_P11_JWK=$jwk GR_P11_OFFER_FILE=$tmp/offer
label="pkcs11: " run_node "pkcs11: wallet.mjs" wallet.mjs
run_node "pkcs11.mjs key" pkcs11.mjs key

db=$tmp/p11/gramota.db
issued_before=$(sqlite3 "$db" "SELECT count(*) FROM issued")
if eval "$GR_TEST_P11_AWAY"; then
    run_node "pkcs11.mjs away" pkcs11.mjs away
    offer=$(cat "$tmp/offer" 2>/dev/null)
    detail=$(sqlite3 "$db" "SELECT detail FROM audit WHERE kind = 'credential.failed' AND offer_id = '$offer'")
    [[ -n $offer && $detail == "signer pkcs11: token gramota-test: "* ]] &&
        ok "token away: the audit log says why nothing was issued ($detail)" ||
        not_ok "token away: audit credential.failed for offer '$offer': '$detail'"
    held=$(sqlite3 "$db" "SELECT count(*) FROM issued WHERE offer_id = '$offer'")
    [ "$held" = 0 ] && ok "token away: nothing recorded as issued for that offer" ||
        not_ok "token away: $held credentials recorded as issued for that offer"
    eval "$GR_TEST_P11_BACK"
    run_node "pkcs11.mjs back" pkcs11.mjs back
    issued_after=$(sqlite3 "$db" "SELECT count(*) FROM issued")
    [ "$issued_after" = $((issued_before + 1)) ] &&
        ok "token back: exactly the new flow's credential was recorded" ||
        not_ok "token back: issued went from $issued_before to $issued_after, want one more"
else
    not_ok "GR_TEST_P11_AWAY did not take the token away"
fi

for name in p11 p11-nonce; do
    [ -n "${pid[$name]:-}" ] && stop "$name"
done
finish

#!/usr/bin/env bash
# End to end for the library user: the guide's issuer (examples/guide/guide.c,
# libmicrohttpd + libgramota's public API) on a free loopback port, driven by
# the daemon's own wallet suite, wallet.mjs, in its "library" profile (the
# guide's credential; the sections needing what only `gramota serve` has are
# skipped by name), then by guide.mjs, the refusals the guide's tables make.
# It must stop with status 0 on SIGTERM and leave no sanitizer report. Prints
# "ok N - ..." per check, then "# pass N" and "# fail N" for
# scripts/run-tests.sh.
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${GR_BUILD_DIR:-$src/build/current}
guide=$build/examples/guide
here=$src/tests/e2e

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@openid4vc/openid4vci" ] || [ ! -d "$here/node_modules/@sd-jwt/sd-jwt-vc" ]; then
    not_ok "tests/e2e/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi
if [ ! -x "$guide" ]; then
    not_ok "$guide is not built (make examples, or any test build)"
    finish
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# Start it; retry on another port if the free one was taken in between.
started=no
for try in 1 2 3; do
    port=$("$src/scripts/free-port")
    "$guide" --port "$port" --batch-size 4 >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for i in $(seq 150); do # 15 s: a sanitized build starts slowly on a busy machine
        grep -q '^guide: admin key ' "$tmp/out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q '^guide: admin key ' "$tmp/out"; then
        started=yes
        break
    fi
    wait "$pid" 2>/dev/null
    pid=
    grep -qi 'listen' "$tmp/err" || break
done
if [ "$started" != yes ]; then
    not_ok "guide: did not start"
    sed 's/^/#   /' "$tmp/out" "$tmp/err" | tail -n 20
    finish
fi
url=$(sed -n 's/^guide: issuer //p' "$tmp/out")
key=$(sed -n 's/^guide: admin key //p' "$tmp/out")
ok "guide: started on $url, printed its admin key"

# The suites' settings (lib.mjs): the guide is the one server, its admin key
# the one API key; no second organization, no DPoP-nonce server.
export GR_ISSUER=$url GR_API_KEY=$key GR_BATCH_SIZE=4 GR_MAX_TX_ATTEMPTS=5
export GR_WALLET_PROFILE=library
label="guide: " run_node wallet.mjs wallet.mjs
label="guide: " run_node guide.mjs guide.mjs

# wallet.mjs alone is handed 13 credentials, guide.mjs at least 2.
issued=$(grep -c '^guide: issued ' "$tmp/out")
[ "$issued" -ge 15 ] && ok "guide: logged the credentialId of each of the $issued credentials" ||
    not_ok "guide: logged $issued credentials"

kill -TERM "$pid"
for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    not_ok "guide: still running 10 s after SIGTERM"
else
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] && ok "guide: SIGTERM stops it with status 0" || not_ok "guide: SIGTERM: status $rc"
fi
pid=
no_sanitizer_report "guide" "$tmp/err"
finish

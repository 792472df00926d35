#!/usr/bin/env bash
# Cross-implementation tests: gramota against @sd-jwt/sd-jwt-vc and jose (Node,
# versions pinned in package-lock.json, installed by scripts/deps.sh test).
#
#   1. gramota issues SD-JWT VCs and KB presentations; @sd-jwt verifies them.
#   2. jose signs JWS, good and hostile; gramota must accept or reject each.
#   3. @sd-jwt issues SD-JWT VCs and presentations; gramota verifies them.
#
# Prints one "ok N - ..." / "not ok N - ..." line per check, then "# pass N" and
# "# fail N" for scripts/run-tests.sh, and exits 1 when a check failed.
set -uo pipefail

src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${GR_BUILD_DIR:-$src/build/current}
here=$src/tests/interop
tool=$build/tests/tool_interop

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

if [ ! -d "$here/node_modules/@sd-jwt/sd-jwt-vc" ] || [ ! -d "$here/node_modules/jose" ]; then
    not_ok "tests/interop/node_modules is missing: run scripts/deps.sh test (make test does)"
    finish
fi
if [ ! -x "$tool" ]; then
    not_ok "$tool is not built"
    finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tool_interop exits 1 when gramota says no, which is also what a sanitizer report
# (a leak on an error path) exits with by default: give those their own status.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=99:print_stacktrace=1

# ---- 1. gramota issues, @sd-jwt verifies ----

mkdir "$tmp/gr" "$tmp/jws" "$tmp/node"
if "$tool" issue "$tmp/gr" >"$tmp/issue.out" 2>&1; then
    ok "tool_interop issue: a PID, a batch of 3 and two KB presentations"
    run_node "verify_sdjwt.mjs" verify_sdjwt.mjs "$tmp/gr"
    for f in credential.txt credential1.txt credential2.txt credential3.txt; do
        if "$tool" verify-sdjwt "$tmp/gr/issuer.jwk" "$tmp/gr/$f" >"$tmp/out" 2>&1; then
            ok "gramota verifies its own $f"
        else
            not_ok "gramota verifies its own $f: $(tail -n 1 "$tmp/out")"
        fi
    done
    for f in presentation.txt presentation_partial.txt; do
        if "$tool" verify-sdjwt "$tmp/gr/issuer.jwk" "$tmp/gr/$f" https://verifier.example.org \
            n-0S6_WzA2Mj >"$tmp/out" 2>&1; then
            ok "gramota verifies its own $f with key binding"
        else
            not_ok "gramota verifies its own $f with key binding: $(tail -n 1 "$tmp/out")"
        fi
    done
else
    not_ok "tool_interop issue: $(tail -n 1 "$tmp/issue.out")"
fi

# ---- 2. jose signs, gramota verifies ----

# One manifest case: NAME accept|reject CODE.
jws_case() {
    local name=$1 expect=$2 code=$3 got rc
    got=$("$tool" verify-jws "$tmp/jws/$name.jwk" "$tmp/jws/$name.jws" 2>"$tmp/err")
    rc=$?
    if [ "$expect" = accept ]; then
        if [ "$rc" != 0 ]; then
            not_ok "jose JWS $name: rejected with $got ($(tail -n 1 "$tmp/err"))"
        elif [ "$got" != "$(cat "$tmp/jws/$name.payload")" ]; then
            not_ok "jose JWS $name: accepted, but the payload differs"
        else
            ok "jose JWS $name: accepted, payload intact"
        fi
    elif [ "$rc" = 0 ]; then
        not_ok "jose JWS $name: accepted, must be rejected"
    elif [ "$rc" != 1 ]; then
        not_ok "jose JWS $name: tool_interop exited with $rc ($(tail -n 1 "$tmp/err"))"
    elif [ "$code" != - ] && [ "$got" != "$code" ]; then
        not_ok "jose JWS $name: rejected with $got, expected $code"
    else
        ok "jose JWS $name: rejected with $got"
    fi
}

run_node "make_jws.mjs" make_jws.mjs "$tmp/jws"
if [ -s "$tmp/jws/manifest.tsv" ]; then
    while IFS=$'\t' read -r name expect code <&3; do
        jws_case "$name" "$expect" "$code" </dev/null
    done 3<"$tmp/jws/manifest.tsv"
fi

# ---- 3. @sd-jwt issues, gramota verifies ----

# One manifest case: NAME JWKFILE AUD NONCE accept|reject CODE.
sdjwt_case() {
    local name=$1 jwk=$2 aud=$3 nonce=$4 expect=$5 code=$6 got rc diff
    local args=("$tmp/node/$jwk" "$tmp/node/$name.txt")
    [ "$aud" = - ] || args+=("$aud" "$nonce")
    "$tool" verify-sdjwt "${args[@]}" >"$tmp/got.json" 2>"$tmp/err"
    rc=$?
    got=$(head -c 200 "$tmp/got.json")
    if [ "$expect" = accept ]; then
        if [ "$rc" != 0 ]; then
            not_ok "@sd-jwt $name: rejected with $got ($(tail -n 1 "$tmp/err"))"
        elif ! diff=$(cd "$here" && node claims_equal.mjs "$tmp/node/$name.expected.json" "$tmp/got.json"); then
            not_ok "@sd-jwt $name: accepted, but the claims differ: $diff"
        else
            ok "@sd-jwt $name: accepted, claims as issued"
        fi
    elif [ "$rc" = 0 ]; then
        not_ok "@sd-jwt $name: accepted, must be rejected"
    elif [ "$rc" != 1 ]; then
        not_ok "@sd-jwt $name: tool_interop exited with $rc ($(tail -n 1 "$tmp/err"))"
    elif [ "$code" != - ] && [ "$got" != "$code" ]; then
        not_ok "@sd-jwt $name: rejected with $got, expected $code ($(tail -n 1 "$tmp/err"))"
    else
        ok "@sd-jwt $name: rejected with $got"
    fi
}

run_node "make_sdjwt.mjs" make_sdjwt.mjs "$tmp/node"
if [ -s "$tmp/node/manifest.tsv" ]; then
    while IFS=$'\t' read -r name jwk aud nonce expect code <&3; do
        sdjwt_case "$name" "$jwk" "$aud" "$nonce" "$expect" "$code" </dev/null
    done 3<"$tmp/node/manifest.tsv"
fi

finish

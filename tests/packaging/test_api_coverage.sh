#!/usr/bin/env bash
# Issue 8: "each public function has at least one test calling it through the
# installed header". Lists the functions the shared library exports (nm -D, type
# T, prefix gr_) and, for each, looks for a cmocka test (tests/*/test_*.c) that
# references it and that uses the public API only.
#
# "Uses the public API only" is decided by the compiler, not by a pattern:
# the library is installed under a temporary prefix and each test is compiled
# with that prefix's include directory, cmocka's, the system's and tests/
# itself, and without src/ or cmd/ on the include path, so an internal
# header (core/internal.h, jose/internal.h, ...) does not compile. The
# tests/ headers it includes (testutil.h, wallet_provider.h, ...) count only
# when their implementation (the .c beside them) compiles the same way: a
# test utility is public-API-only too. Which functions a test calls is read
# from its object (nm -u): after the preprocessor, so comments do not count
# and macros such as gr_fail() are followed into gr_fail_at.
#
# Prints every test that does not qualify and why, and every exported function
# no qualifying test calls; fails if there is one.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s "$tmp/log" ] && sed 's/^/    /' "$tmp/log"; }

src=$(realpath "${GR_SOURCE_DIR:?}") build=${GR_BUILD_DIR:?}
if cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/log" 2>&1; then ok "cmake --install"; else
    bad "cmake --install"
    echo "# pass $pass"
    echo "# fail $fail"
    exit 1
fi
so=$(find "$tmp/prefix" -name 'libgramota.so.*.*' | head -1)
nm -D --defined-only "$so" | awk '$2 == "T" && $3 ~ /^gr_/ { print $3 }' | sort -u >"$tmp/exported"
if [ -s "$tmp/exported" ]; then ok "$(wc -l <"$tmp/exported") functions exported by $(basename "$so")"; else
    : >"$tmp/log"
    bad "the shared library exports gr_ functions"
fi

# shellcheck disable=SC2207
flags=(-std=c17 -D_POSIX_C_SOURCE=200809L -w -O0 -I"$tmp/prefix/include" -I"$src/tests"
    $(pkg-config --cflags cmocka openssl jansson libpq hiredis 2>/dev/null))
compiles() { # compiles FILE OUT: FILE builds against the installed headers alone
    ${CC:-cc} "${flags[@]}" -I"$(dirname "$1")" -c "$1" -o "$2" 2>"$tmp/cc.err"
}

# Test utilities (tests/**/*.h with a .c beside them, or none): public-only or not.
declare -A util_ok=()
utility_public() { # utility_public HEADER: it and its implementation use the public API only
    local h=$1 c=${1%.h}.c
    if [ -z "${util_ok[$h]+x}" ]; then
        util_ok[$h]=yes
        if [ -f "$c" ] && ! compiles "$c" "$tmp/util.o"; then
            util_ok[$h]="no: $(grep -m1 'error' "$tmp/cc.err")"
        fi
    fi
    [ "${util_ok[$h]}" = yes ]
}

: >"$tmp/called"
: >"$tmp/log"
n=0
for t in "$src"/tests/*/test_*.c; do
    rel=${t#"$src"/}
    if ! compiles "$t" "$tmp/t.o"; then
        echo "$rel: not on the public headers alone: $(grep -m1 'error' "$tmp/cc.err")" >>"$tmp/log"
        continue
    fi
    why=
    # The tests/ headers it pulls in, transitively (-MM leaves out system headers).
    for h in $(${CC:-cc} "${flags[@]}" -I"$(dirname "$t")" -MM "$t" | tr -d "\\\\" | tr ' ' '\n' | grep '\.h$'); do
        case $(realpath "$h") in
        "$src"/tests/*) utility_public "$(realpath "$h")" || why="${h#"$src"/} ${util_ok[$(realpath "$h")]}" ;;
        esac
    done
    if [ -n "$why" ]; then
        echo "$rel: uses a test utility that is not public-API-only: $why" >>"$tmp/log"
        continue
    fi
    n=$((n + 1))
    nm -u "$tmp/t.o" | awk -v t="$rel" '$2 ~ /^gr_/ { print $2, t }' >>"$tmp/called"
done
echo "# $n test programs use the public headers alone; the others:"
sed 's/^/#   /' "$tmp/log"

awk '{ print $1 }' "$tmp/called" | sort -u >"$tmp/called_names"
comm -23 "$tmp/exported" "$tmp/called_names" >"$tmp/uncovered"
: >"$tmp/log"
if [ -s "$tmp/uncovered" ]; then
    echo "exported, and called by no public-API test:" >"$tmp/log"
    sed 's/^/  /' "$tmp/uncovered" >>"$tmp/log"
    bad "every exported function is called by a test through the public headers ($(wc -l <"$tmp/uncovered") not)"
else
    ok "every exported function ($(wc -l <"$tmp/exported")) is called by a test through the public headers"
fi
if [ -n "${GR_API_COVERAGE_VERBOSE:-}" ]; then
    sort "$tmp/called" | awk '$1 != last { print "#   " $1 ": " $2; last = $1 }'
fi

echo "# pass $pass"
echo "# fail $fail"
[ "$fail" = 0 ]

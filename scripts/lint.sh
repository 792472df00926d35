#!/usr/bin/env bash
# The project's own checks (STYLE §5.2): layout by clang-format, banned
# functions, every public header compiling on its own, the module layering
# core <- jose <- signer, sdjwt <- cmd, and cmd/ and examples/ on the public API
# only. Prints each problem; exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.."
problems=0
say() { echo "lint: $*"; problems=$((problems + 1)); }

mapfile -t sources < <(git ls-files '*.c' '*.h')

if command -v clang-format >/dev/null; then
    for f in "${sources[@]}"; do
        clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || say "$f is not clang-formatted (make format)"
    done
else
    say "clang-format is missing (scripts/deps.sh test installs it)"
fi

# Unbounded or locale-dependent calls that have safe replacements here.
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)\s*\('
grep -nE "$banned" "${sources[@]}" | while IFS= read -r hit; do echo "lint: banned call: $hit"; done
grep -qE "$banned" "${sources[@]}" && problems=$((problems + 1))

# Every public header stands alone, in C17 and in strict C99 (users' older code).
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
mkdir -p "$gen/gramota"
sed 's/@PROJECT_VERSION@/0/;s/@PROJECT_VERSION_[A-Z]*@/0/' src/core/version.h.in >"$gen/gramota/version.h"
for h in include/gramota/*.h; do
    for std in c17 c99; do
        echo "#include <gramota/$(basename "$h")>" |
            ${CC:-cc} -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only -Iinclude -I"$gen" -x c - \
                2>/dev/null || say "$h does not compile on its own with -std=$std -pedantic"
    done
done

# Dependencies point one way.
layer() { # layer MODULE FORBIDDEN...: files of src/MODULE include none of the forbidden modules
    local module=$1; shift
    for other in "$@"; do
        grep -ln "#include \"$other/" src/"$module"/*.[ch] 2>/dev/null |
            while IFS= read -r f; do echo "lint: $f (module $module) includes $other/"; done
        grep -qs "#include \"$other/" src/"$module"/*.[ch] && problems=$((problems + 1))
    done
}
layer core jose signer sdjwt status oid4vci store
layer jose signer sdjwt status oid4vci store
layer signer sdjwt status oid4vci store
layer sdjwt status oid4vci store
layer oid4vci store
layer store jose signer sdjwt status oid4vci

# The daemon (cmd/) and the examples use the library as its users do: through
# include/gramota/ only (issue 8: no private back doors). A quoted include must
# name a header beside the file, and no internal gr__ name may appear.
mapfile -t users < <(git ls-files 'cmd/*.[ch]' 'examples/*.[ch]')
while IFS= read -r hit; do
    f=${hit%%:*} inc=${hit#*\"} inc=${inc%%\"*}
    if [[ $inc == */* || ! -e $(dirname "$f")/$inc ]]; then
        say "$f includes \"$inc\": cmd/ and examples/ use only <gramota/...> and headers beside them, never src/"
    fi
done < <(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${users[@]}")
while IFS= read -r hit; do
    say "${hit%%:*} uses the library's internals (gr__, not public): ${hit#*:}"
done < <(grep -HnE '\bgr__[A-Za-z]' "${users[@]}")

if [ "$problems" -gt 0 ]; then
    echo "lint: $problems problem(s)"
    exit 1
fi
echo "lint: clean"

#!/usr/bin/env bash
# Install what gramota needs that this Debian 12 machine lacks, and nothing
# else. Idempotent and quiet when everything is there.
#   scripts/deps.sh build   what building needs
#   scripts/deps.sh test    also what the test suite needs (cmocka, Node.js and
#                           the npm packages pinned in tests/{interop,e2e}/package-lock.json)
#   scripts/deps.sh bench   also what the benchmarks need (libcurl, bench_server's client)
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(cmake make gcc pkg-config libssl-dev libjansson-dev zlib1g-dev libsqlite3-dev
    libpq-dev libmicrohttpd-dev libqrencode-dev libhiredis-dev libp11-kit-dev)
test_pkgs=(libcmocka-dev nodejs npm clang-format sqlite3 postgresql redis-server curl softhsm2)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(libcurl4-openssl-dev postgresql redis-server softhsm2)

what=${1:-build}
pkgs=("${build_pkgs[@]}")
case $what in
build) ;;
test) pkgs+=("${test_pkgs[@]}") ;;
fuzz) pkgs+=("${fuzz_pkgs[@]}") ;;
bench) pkgs+=("${bench_pkgs[@]}") ;;
*) echo "usage: scripts/deps.sh build|test|fuzz|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    # nodejs/npm may come from elsewhere than Debian: a working binary will do.
    case $p in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "deps: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$what" = test ]; then
    for dir in tests/interop tests/e2e; do
        lock=$dir/package-lock.json
        stamp=$dir/node_modules/.gramota-lock
        if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
            echo "deps: installing the npm packages of $dir"
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
            cp "$lock" "$stamp"
        fi
    done
fi

#!/usr/bin/env bash
# Run the benchmarks of a Release build and keep their figures, so that the
# next run prints its change against this one. `openssl speed` is printed too,
# as the outside reference for the ECDSA P-256 figures.
set -euo pipefail
dir=${1:?usage: scripts/bench.sh BUILD_DIR}
last=$dir/bench-last.txt
echo "== openssl speed ecdsap256 (reference)"
openssl speed -seconds 2 ecdsap256 2>/dev/null | grep -E "sign|256 bits" | tail -2
for b in "$dir"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    prev=()
    [ -f "$last.$(basename "$b")" ] && prev=(--previous "$last.$(basename "$b")")
    "$b" "${prev[@]}" --save "$last.$(basename "$b").new"
    mv "$last.$(basename "$b").new" "$last.$(basename "$b")"
done

#!/usr/bin/env bash
# Run one libFuzzer target (built by `make fuzz`) for a while:
#   scripts/fuzz.sh TARGET [SECONDS]
# It starts from the committed seed corpus (fuzz/corpus/TARGET), keeps what it
# learns in build/fuzz/corpus/TARGET, and writes any crash to fuzz/artifacts/.
# A crash input belongs in fuzz/corpus/TARGET, with a test, once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-600}
bin=build/fuzz/fuzz/$target
[ -x "$bin" ] || { echo "no $bin: run 'make fuzz' first" >&2; exit 2; }
work=build/fuzz/corpus/$target
mkdir -p "$work" fuzz/artifacts
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -artifact_prefix=fuzz/artifacts/"$target"- -print_final_stats=1 "$work" "fuzz/corpus/$target"

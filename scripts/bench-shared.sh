#!/usr/bin/env bash
# The shared state's CPU per credential against SQLite's, at batch 10, in interleaved rounds:
#   scripts/bench-shared.sh BUILD_DIR [ROUNDS] [SECONDS]
# Each round runs bench_server on a fresh PostgreSQL + Redis, then on a fresh PostgreSQL alone
# (as scripts/bench.sh starts them), then on SQLite, and prints the server + store CPU per
# credential over SQLite's server CPU (the mean of the SQLite runs on either side). On a
# machine shared with other tenants single runs move by a tenth or more; the median of the
# rounds is the figure to compare with the target (1.15).
set -euo pipefail
dir=${1:?usage: scripts/bench-shared.sh BUILD_DIR [ROUNDS] [SECONDS]}
rounds=${2:-5} seconds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
bench=$dir/bench/bench_server gramota=$dir/gramota
[ -x "$bench" ] || { echo "no $bench: run 'make bench' first" >&2; exit 2; }

figure() { # figure NAME: that figure of the run on stdin
    awk -v name="$1" '$1 == name { print $2 }'
}
run() { # run [WRAPPER...]: bench_server's output
    "$@" "$bench" --gramota "$gramota" --seconds "$seconds" --batch 10 2>&1
}
spread() { # the median of the numbers on stdin, and their quartiles (interpolated)
    sort -n | awk '
        function q(p,   h, i) { h = (NR - 1) * p + 1; i = int(h); return v[i] + (h - i) * (v[i + 1] - v[i]) }
        { v[NR] = $1 }
        END { v[NR + 1] = v[NR]; printf "%.2f (quartiles %.2f to %.2f)", q(0.5), q(0.25), q(0.75) }'
}

# shellcheck disable=SC2016 # the URLs are expanded by the inner shell, which pg-test.sh sets up
pg_redis=("$here/pg-test.sh" "$here/redis-test.sh" bash -c
    'GRAMOTA_DATABASE_URL=$GR_TEST_PG_URL GRAMOTA_REDIS_URL=$GR_TEST_REDIS_URL exec "$0" "$@"')
# shellcheck disable=SC2016
pg=("$here/pg-test.sh" bash -c 'GRAMOTA_DATABASE_URL=$GR_TEST_PG_URL exec "$0" "$@"')
# Each round's shared runs sit between two SQLite runs (this round's and the next's), and are
# compared with their mean: a machine that speeds up or slows down over the minutes of a round
# moves both sides alike.
ratios_rd=() ratios_pg=()
printf '%-6s %10s %14s %6s %10s %6s\n' round "SQLite us" "PG+Redis us" ratio "PG us" ratio
sqlite=$(run | figure b10_server_cpu_per_credential_us)
for r in $(seq "$rounds"); do
    rd=$(run "${pg_redis[@]}" | figure b10_server_and_store_cpu_per_credential_us)
    p=$(run "${pg[@]}" | figure b10_server_and_store_cpu_per_credential_us)
    next=$(run | figure b10_server_cpu_per_credential_us)
    if [ -z "$sqlite" ] || [ -z "$rd" ] || [ -z "$p" ] || [ -z "$next" ]; then
        echo "round $r: a run gave no figure" >&2
        sqlite=$next
        continue
    fi
    base=$(awk -v x="$sqlite" -v y="$next" 'BEGIN { printf "%.1f", (x + y) / 2 }')
    a=$(awk -v x="$rd" -v y="$base" 'BEGIN { printf "%.3f", x / y }')
    b=$(awk -v x="$p" -v y="$base" 'BEGIN { printf "%.3f", x / y }')
    ratios_rd+=("$a") ratios_pg+=("$b")
    printf '%-6s %10.1f %14.1f %6.2f %10.1f %6.2f\n' "$r" "$base" "$rd" "$a" "$p" "$b"
    sqlite=$next
done
[ ${#ratios_rd[@]} -gt 0 ] || exit 1
echo "median ratio (target <= 1.15):"
echo "  PostgreSQL + Redis $(printf '%s\n' "${ratios_rd[@]}" | spread)"
echo "  PostgreSQL         $(printf '%s\n' "${ratios_pg[@]}" | spread)"

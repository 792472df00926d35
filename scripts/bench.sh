#!/usr/bin/env bash
# Run the benchmarks of a Release build and keep their figures, so that the
# next run prints its change against this one. `openssl speed` is printed too,
# as the outside reference for the ECDSA P-256 figures.
set -euo pipefail
dir=${1:?usage: scripts/bench.sh BUILD_DIR}
last=$dir/bench-last.txt
echo "== openssl speed ecdsap256 (reference)"
openssl speed -seconds 2 ecdsap256 2>/dev/null | grep -E "sign|256 bits" | tail -2
run() { # run NAME PROGRAM ARGS...: against NAME's previous figures, then keep this run's
    local name=$1 prev=()
    shift
    echo "== $name"
    [ -f "$last.$name" ] && prev=(--previous "$last.$name")
    "$@" "${prev[@]}" --save "$last.$name.new"
    mv "$last.$name.new" "$last.$name"
}
here=$(cd "$(dirname "$0")" && pwd)
for b in "$dir"/bench/bench_*; do
    [ -x "$b" ] || continue
    case $(basename "$b") in
    # Beside a private SoftHSM2 token: the file signer and the PKCS#11 signer side by side.
    bench_sdjwt) run bench_sdjwt "$here/softhsm-test.sh" "$b" ;;
    *) run "$(basename "$b")" "$b" ;;
    esac
done
# The server once more with its data on a tmpfs, where its CPU rather than fdatasync is the limit.
if [ -x "$dir/bench/bench_server" ] && [ -d /dev/shm ]; then
    run bench_server-tmpfs "$dir/bench/bench_server" --tmp /dev/shm
fi
# The shared state of several processes: a private PostgreSQL, then PostgreSQL + Redis
# (started as the tests start them). "others_cpu_per_credential" is their CPU per
# credential; add it to the server's to compare with SQLite.
if [ -x "$dir/bench/bench_server" ] && command -v redis-server >/dev/null; then
    run bench_server-pg "$here/pg-test.sh" bash -c \
        'GRAMOTA_DATABASE_URL=$GR_TEST_PG_URL exec "$0" "$@"' "$dir/bench/bench_server"
    for n in 1 2; do # one process, then two over the same state, requests alternating
        run "bench_server-pg-redis-$n" "$here/pg-test.sh" "$here/redis-test.sh" bash -c \
            'GRAMOTA_DATABASE_URL=$GR_TEST_PG_URL GRAMOTA_REDIS_URL=$GR_TEST_REDIS_URL exec "$0" "$@"' \
            "$dir/bench/bench_server" --processes "$n"
    done
fi
# The shared state's cost against SQLite at batch 10, as one figure per store: the server's
# CPU plus the store's (PostgreSQL, Redis) per credential over SQLite's server CPU, where
# SQLite works inside the server. The target is at most 1.15. Single runs above, minutes
# apart, move by a tenth or more on a machine shared with other tenants, so the figure comes
# from rounds that run the three stores back to back (the median of their ratios).
if [ -x "$dir/bench/bench_server" ] && command -v redis-server >/dev/null; then
    echo "== shared state / SQLite, CPU per credential at batch 10, interleaved rounds"
    "$here/bench-shared.sh" "$dir" "${GR_BENCH_SHARED_ROUNDS:-5}" 3
fi

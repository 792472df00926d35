#!/usr/bin/env bash
# Run every CTest test of a build directory and end with the line
# "N passed, N failed". A test program that reports its own cases (cmocka's
# "[  PASSED  ] n test(s)", node:test's "# pass n") counts as those cases; any
# other test counts as one. A program that exits non-zero after its cases
# passed (a sanitizer's report at exit, say) adds one failure.
set -uo pipefail
dir=${1:?usage: scripts/run-tests.sh BUILD_DIR}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

ctest --test-dir "$dir" -V -j "${JOBS:-2}" --timeout "${GR_TEST_TIMEOUT:-600}" >"$log" 2>&1
ctest_rc=$?

awk '
    match($0, /^[0-9]+: \[  PASSED  \] [0-9]+ test/) {
        split($0, f, /[: \]]+/); n = f[1]; cpass[n] += $5; seen[n] = 1 }
    match($0, /^[0-9]+: \[  FAILED  \] [0-9]+ test/) {
        split($0, f, /[: \]]+/); n = f[1]; cfail[n] += $5; seen[n] = 1 }
    match($0, /^[0-9]+: # pass [0-9]+$/) { n = $1; sub(":", "", n); cpass[n] += $4; seen[n] = 1 }
    match($0, /^[0-9]+: # fail [0-9]+$/) { n = $1; sub(":", "", n); cfail[n] += $4; seen[n] = 1 }
    match($0, /Test +#[0-9]+: /) {
        s = $0; sub(/.*Test +#/, "", s); n = s; sub(/:.*/, "", n)
        name = s; sub(/^[0-9]+: /, "", name); sub(/ .*/, "", name)
        names[n] = name
        ok[n] = ($0 ~ / Passed +[0-9.]+ sec/) }
    { lines[NR] = $0 }
    END {
        pass = 0; fail = 0
        for (n in names) {
            if (seen[n]) {
                p = cpass[n]; q = cfail[n]
                if (!ok[n] && q == 0) q = 1
            } else {
                p = ok[n] ? 1 : 0; q = ok[n] ? 0 : 1
            }
            pass += p; fail += q
            status[n] = sprintf("%-4s %-32s %d passed, %d failed", ok[n] ? "ok" : "FAIL", names[n], p, q)
        }
        nt = 0
        for (n in names) order[++nt] = n + 0
        for (i = 1; i <= nt; i++) for (j = i + 1; j <= nt; j++)
            if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
        for (i = 1; i <= nt; i++) {
            n = order[i]
            if (!ok[n]) {
                print "---- output of " names[n] " ----"
                for (l = 1; l <= NR; l++) if (index(lines[l], n ": ") == 1) print substr(lines[l], length(n) + 3)
            }
        }
        for (i = 1; i <= nt; i++) print status[order[i]]
        if (nt == 0) { print "no tests ran"; fail = 1 }
        printf "%d passed, %d failed\n", pass, fail
        exit fail > 0
    }' "$log"
awk_rc=$?
if [ "$ctest_rc" != 0 ] && [ "$awk_rc" = 0 ]; then
    tail -n 30 "$log"
    echo "0 passed, 1 failed"
    exit 1
fi
exit "$awk_rc"

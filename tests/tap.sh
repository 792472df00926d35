# The reporter the shell test suites source: "ok N - ..." / "not ok N - ..." per
# check, then "1..N", "# pass N" and "# fail N" for scripts/run-tests.sh.
#
#   ok NAME / not_ok NAME   count one check
#   finish                  print the totals; exit 1 on any failure
#   healthy URL             GET URL/healthz answers 200 (bash's /dev/tcp: no curl)
#   no_sanitizer_report WHAT FILE
#                           one check: FILE, a program's stderr, holds no
#                           AddressSanitizer, LeakSanitizer, ThreadSanitizer or
#                           UBSan report (the first ones are shown when it does)
#   run_node WHAT ARGS...   `node ARGS` in $here (at most 120 s): each of its
#                           "ok - NAME" / "not ok - NAME" lines is a check, its
#                           name prefixed with $label when set; a script that
#                           fails without saying which check failed counts as
#                           one failure named WHAT

n=0 pass=0 fail=0
ok() { n=$((n + 1)) pass=$((pass + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) fail=$((fail + 1)); echo "not ok $n - $*"; }
finish() {
    echo "1..$n"
    echo "# pass $pass"
    echo "# fail $fail"
    exit $((fail > 0))
}

run_node() {
    local what=$1 line rc before=$fail
    shift
    while IFS= read -r line; do
        case $line in
        "ok - "*) ok "${label:-}${line#ok - }" ;;
        "not ok - "*) not_ok "${label:-}${line#not ok - }" ;;
        *) echo "# $line" ;;
        esac
    done < <(cd "$here" && timeout 120 node "$@" </dev/null 2>&1)
    wait $!
    rc=$?
    if [ "$rc" != 0 ] && [ "$fail" = "$before" ]; then
        not_ok "$what exited with status $rc"
    fi
}

healthy() {
    local hp=${1#http://} line
    { exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}"; } 2>/dev/null || return 1
    printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hp" >&3
    IFS= read -r -t 2 line <&3
    exec 3<&-
    [[ $line == "HTTP/1."?" 200"* ]]
}

no_sanitizer_report() {
    if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$2"; then
        not_ok "$1: a sanitizer report in its stderr"
        grep -m 5 -A 12 -E 'ERROR: |runtime error:' "$2" | sed 's/^/#   /'
    else
        ok "$1: no sanitizer report"
    fi
}

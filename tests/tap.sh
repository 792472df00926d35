# The reporter the shell test suites source: "ok N - ..." / "not ok N - ..." per
# check, then "1..N", "# pass N" and "# fail N" for scripts/run-tests.sh.
#
#   ok NAME / not_ok NAME   count one check
#   finish                  print the totals; exit 1 on any failure
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

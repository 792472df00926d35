#!/usr/bin/env bash
# The PKCS#11 signer against a real SoftHSM2 token (tool_pkcs11.c): keygen on
# the token, 8 threads signing, refusals, the token taken away and put back.
# Runs beside a private token from scripts/softhsm-test.sh; fails, never skips,
# when SoftHSM2 is missing.
set -uo pipefail
src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${GR_TEST_P11_URI:-}" ] || exec "$src/scripts/softhsm-test.sh" bash "$0" "$@"
# shellcheck source=../tap.sh
source "$src/tests/tap.sh"
tool=${GR_BUILD_DIR:-$src/build/current}/tests/tool_pkcs11
while IFS= read -r line; do
    case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    *) echo "# $line" ;;
    esac
done < <(timeout 300 "$tool" 2>&1)
wait $! || [ "$fail" -gt 0 ] || not_ok "tool_pkcs11 exited with status $?"
finish

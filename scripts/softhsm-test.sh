#!/usr/bin/env bash
# Run a command beside a private SoftHSM2 token (STYLE §4.3, §4.4):
#   scripts/softhsm-test.sh COMMAND [ARG...]
# A SoftHSM2 configuration and token directory in a temporary directory
# (SOFTHSM2_CONF points there, so the system's tokens are never touched), one
# token initialised in it, and for COMMAND:
#   GR_TEST_P11_MODULE    the SoftHSM2 module (Debian: /usr/lib/softhsm/libsofthsm2.so)
#   GR_TEST_P11_TOKEN     the token's label
#   GR_TEST_P11_PIN_FILE  a file holding its user PIN (mode 0600)
#   GR_TEST_P11_URI       pkcs11:token=...?module-path=...&pin-source=file:... (no object)
#   GR_TEST_P11_AWAY / GR_TEST_P11_BACK   shell commands that take the token's
#                         files away and put them back: SoftHSM2's "token removed"
# Everything is removed afterwards. Exits with COMMAND's status, or 1 if the
# token cannot be made: a test that needs it fails, it is never skipped.
set -euo pipefail

module=${GR_TEST_P11_MODULE:-}
for m in "$module" /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
    [ -n "$m" ] && [ -f "$m" ] && { module=$m; break; }
done
if [ ! -f "$module" ] || ! command -v softhsm2-util >/dev/null; then
    echo "softhsm-test: SoftHSM2 is missing (scripts/deps.sh test installs it)" >&2
    exit 1
fi
tmp=$(mktemp -d /tmp/gr_hsm_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT HUP # so that a killed run still cleans up (EXIT)
mkdir "$tmp/tokens"
cat >"$tmp/softhsm2.conf" <<CONF
directories.tokendir = $tmp/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$tmp/softhsm2.conf
label=gramota-test
pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
so_pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf '%s\n' "$pin" >"$tmp/pin")
softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" \
    >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }

export GR_TEST_P11_MODULE=$module GR_TEST_P11_TOKEN=$label GR_TEST_P11_PIN_FILE=$tmp/pin
export GR_TEST_P11_URI="pkcs11:token=$label?module-path=$module&pin-source=file:$tmp/pin"
# The token's directory renamed away and back: what SoftHSM2 sees as a token gone.
export GR_TEST_P11_AWAY="mv $tmp/tokens $tmp/tokens.away"
export GR_TEST_P11_BACK="mv $tmp/tokens.away $tmp/tokens"
status=0
"$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# libgramota as a user gets it: installed under a prefix, found by pkg-config,
# a program that uses only the public headers builds against the shared and the
# static library and issues and verifies a credential; the shared library
# exports the public API and nothing else; the headers compile alone (C17 and
# C99); the guide's issuer (examples/guide) builds out of tree and runs.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -f "$tmp/log" ] && sed 's/^/    /' "$tmp/log"; }

sanitize=$(sed -n 's/^GR_SANITIZE:STRING=//p' "$GR_BUILD_DIR/CMakeCache.txt")
san=()
[ -n "$sanitize" ] && san=(-fsanitize="$sanitize")

if cmake --install "$GR_BUILD_DIR" --prefix "$tmp/prefix" >"$tmp/log" 2>&1; then ok "cmake --install"; else bad "cmake --install"; fi
pc=$(find "$tmp/prefix" -name gramota.pc | head -1)
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$(dirname "$pc")
if [ -n "$pc" ] && pkg-config --exists gramota; then ok "pkg-config finds gramota $(pkg-config --modversion gramota)"; else bad "pkg-config finds gramota"; fi

cat >"$tmp/prog.c" <<'C'
#include <stdio.h>
#include <gramota/gramota.h>

int main(void)
{
    struct gr_err err;
    struct gr_signer *s = gr_signer_new_key(gr_jwk_generate(&err), (struct gr_str){ NULL, 0 }, &err);
    struct gr_jwk *holder = gr_jwk_generate(&err);
    const struct gr_jwk *keys[1] = { holder };
    struct gr_sdjwt_vc_spec spec = {
        .vct = GR_STR("urn:example:1"),
        .claims_json = GR_STR("{\"given_name\":\"Ada\",\"age\":36}"),
        .disclosable_json = GR_STR("[\"given_name\"]"),
        .decoys_min = GR_SDJWT_DECOYS_MIN, .decoys_max = GR_SDJWT_DECOYS_MAX,
    };
    struct gr_sdjwt_vc_template *t = s ? gr_sdjwt_vc_template_new(&spec, s, &err) : NULL;
    struct gr_sdjwt_vc_batch b = { .iat = 1764000000, .count = 1, .holder_keys = keys };
    struct gr_sdjwt_vc_issued out[1];
    struct gr_sdjwt_vc_verify_opts o = { .now = 1764000001 };
    struct gr_sdjwt_vc_verified v;
    int rc = 1;

    gr_sdjwt_vc_verified_init(&v);
    if (t && gr_sdjwt_vc_issue(t, &b, out, &err) == 0) {
        if (gr_sdjwt_vc_verify(gr_buf_str(&out[0].credential), gr_signer_jwk(s), &o, &v, &err) == 0) {
            printf("%s %s\n", GR_VERSION, v.claims.data);
            rc = 0;
        }
        gr_sdjwt_vc_issued_release(out, 1);
    }
    if (rc)
        fprintf(stderr, "prog: %s\n", err.desc);
    gr_sdjwt_vc_verified_release(&v);
    gr_sdjwt_vc_template_free(t);
    gr_jwk_free(holder);
    gr_signer_free(s);
    return rc;
}
C
# shellcheck disable=SC2046
if ${CC:-cc} -std=c17 -Wall -Wextra -Werror "${san[@]}" "$tmp/prog.c" -o "$tmp/prog_shared" \
    $(pkg-config --cflags --libs gramota) >"$tmp/log" 2>&1 &&
    LD_LIBRARY_PATH=$libdir "$tmp/prog_shared" >"$tmp/out" 2>"$tmp/log" && grep -q '"given_name":"Ada"' "$tmp/out"; then
    ok "a program on the shared library issues and verifies"
else
    bad "a program on the shared library issues and verifies"
fi
# shellcheck disable=SC2046
if ${CC:-cc} -std=c17 -Wall -Wextra -Werror "${san[@]}" "$tmp/prog.c" -o "$tmp/prog_static" \
    $(pkg-config --cflags gramota) "$libdir/libgramota.a" $(pkg-config --static --libs-only-l gramota | sed 's/-lgramota//') \
    $(pkg-config --libs libcrypto jansson sqlite3) -lpthread >"$tmp/log" 2>&1 &&
    "$tmp/prog_static" >"$tmp/out" 2>"$tmp/log" && grep -q '"age":36' "$tmp/out"; then
    ok "a program on the static library issues and verifies"
else
    bad "a program on the static library issues and verifies"
fi
so=$(find "$libdir" -name 'libgramota.so.*.*' | head -1)
leaked=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^gr_' | grep -v '^_' ; nm -D --defined-only "$so" | awk '{print $3}' | grep '^gr__')
if [ -n "$so" ] && [ -z "$leaked" ]; then ok "the shared library exports only the public API"; else echo "$leaked" >"$tmp/log"; bad "the shared library exports only the public API"; fi
# Every installed header alone, as C17 and as strict C99 (a user's older code base).
for std in c17 c99; do
    alone=yes
    : >"$tmp/log"
    for h in "$tmp"/prefix/include/gramota/*.h; do
        # shellcheck disable=SC2046
        # (a typedef after it: version.h alone holds only macros, an empty unit to ISO C)
        printf '#include <gramota/%s>\ntypedef int unit;\n' "$(basename "$h")" | ${CC:-cc} -std=$std -pedantic -Wall -Wextra -Werror \
            -fsyntax-only $(pkg-config --cflags gramota) -x c - >>"$tmp/log" 2>&1 || alone=no
    done
    if [ "$alone" = yes ]; then ok "every installed header compiles alone with -std=$std -pedantic -Werror"
    else bad "every installed header compiles alone with -std=$std -pedantic -Werror"; fi
done

# The guide's issuer, out of tree: its one file against the installed library
# and libmicrohttpd's own pkg-config; it starts, publishes its metadata, stops.
: >"$tmp/log"
# shellcheck disable=SC2046
if ${CC:-cc} -std=c17 -Wall -Wextra -Werror "${san[@]}" "$GR_SOURCE_DIR/examples/guide/guide.c" \
    -o "$tmp/guide" $(pkg-config --cflags --libs gramota libmicrohttpd) >"$tmp/log" 2>&1; then
    ok "examples/guide/guide.c builds with pkg-config --cflags --libs gramota libmicrohttpd"
    port=$("$GR_SOURCE_DIR/scripts/free-port")
    LD_LIBRARY_PATH=$libdir "$tmp/guide" --port "$port" >"$tmp/guide.out" 2>"$tmp/log" &
    gpid=$!
    for _ in $(seq 150); do
        grep -q '^guide: admin key' "$tmp/guide.out" && break
        sleep 0.1
    done
    answer=
    if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
        printf 'GET /.well-known/jwt-vc-issuer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
        IFS= read -r -d '' -t 5 answer <&3
        exec 3<&-
    fi 2>/dev/null
    kill -TERM "$gpid" 2>/dev/null
    wait "$gpid"
    grc=$?
    lib=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/guide" | awk '/libgramota/ { print $3 }')
    if [[ $answer == "HTTP/1.1 200"* && $answer == *'"jwks":{"keys":[{'* ]] && [ "$grc" = 0 ] &&
        [ "$(dirname "$lib")" = "$libdir" ]; then
        ok "the out-of-tree guide runs on the installed shared library and stops cleanly"
    else
        echo "answer: ${answer:0:200}; status $grc; libgramota from $lib" >>"$tmp/log"
        bad "the out-of-tree guide runs on the installed shared library and stops cleanly"
    fi
else
    bad "examples/guide/guide.c builds with pkg-config --cflags --libs gramota libmicrohttpd"
fi

echo "# pass $pass"
echo "# fail $fail"
[ "$fail" = 0 ]

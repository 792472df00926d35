/*
 * JWS compact serialization. Invariants: split views stay inside the input and
 * cover it; a parsed JWS has ES256, JSON objects for header and payload, a
 * signing input that is the input up to the second dot, views that agree with
 * the header JSON; a failure carries a documented code and leaves nothing to
 * release. Verifying with the header key never crashes, and only says yes or
 * BAD_SIGNATURE.
 */
#undef NDEBUG /* the assertions are the point of a fuzz target */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/jws.h>

#include "jose/internal.h"

static bool inside(struct gr_str v, const uint8_t *data, size_t len)
{
    return v.p >= (const char *)data && v.p + v.len <= (const char *)data + len;
}

static void check_split(struct gr_str in, const uint8_t *data, size_t len)
{
    struct gr_str part[3];
    struct gr_err err;

    if (gr_jws_split(in, part, &err) < 0) {
        assert(err.code == GR_ERR_MALFORMED);
        return;
    }
    for (int i = 0; i < 3; i++) {
        assert(inside(part[i], data, len) && part[i].len > 0);
        assert(memchr(part[i].p, '.', part[i].len) == NULL);
    }
    assert(part[0].p == in.p && part[2].p + part[2].len == in.p + len);
    assert(part[0].len + part[1].len + part[2].len + 2 == len);
}

static void check_view(const json_t *hdr, const char *name, struct gr_str view)
{
    struct gr_str want = gr__json_str(hdr, name);

    assert(view.p == want.p && view.len == want.len);
}

static void check_parsed(const struct gr_jws *jws, const uint8_t *data, size_t len)
{
    struct gr_err err;

    assert(jws->signing_input.p == (const char *)data && jws->signing_input.len < len);
    assert(data[jws->signing_input.len] == '.');
    assert(gr_str_eq_c(jws->alg, "ES256"));
    assert(json_is_object(gr__json_t(jws->header_json)) &&
           json_is_object(gr__json_t(jws->payload_json)));
    assert(jws->header.p != NULL && jws->payload.p != NULL);
    assert(jws->header.len <= GR_MAX_JWS_HEADER && jws->payload.len <= GR_MAX_SDJWT_PAYLOAD);
    check_view(gr__json_t(jws->header_json), "typ", jws->typ);
    check_view(gr__json_t(jws->header_json), "kid", jws->kid);
    assert(jws->x5c_count <= GR_JWS_MAX_X5C);
    assert((jws->x5c_count > 0) == (json_object_get(gr__json_t(jws->header_json), "x5c") != NULL));
    (void)gr_jws_typ_is(jws->typ, "dpop+jwt");
    if (jws->jwk != NULL) {
        assert(!gr_jwk_is_private(jws->jwk));
        if (gr_jws_verify(jws, jws->jwk, &err) < 0) {
            assert(err.code == GR_ERR_BAD_SIGNATURE);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr_jws jws;
    struct gr_err err;

    check_split(in, data, len);
    if (gr_jws_parse(in, &jws, &err) == 0) {
        check_parsed(&jws, data, len);
    } else {
        assert(err.code == GR_ERR_MALFORMED || err.code == GR_ERR_TOO_LARGE ||
               err.code == GR_ERR_UNSUPPORTED_ALG || err.code == GR_ERR_BAD_KEY);
        assert(jws.header_json == NULL && jws.jwk == NULL && jws.header.p == NULL);
    }
    gr_jws_release(&jws);
    return 0;
}

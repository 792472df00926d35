/*
 * JWK JSON and PEM keys, and JWK Sets. Invariants: a key that parses writes
 * itself out (JWK and PEM) and parses back to an equal key with the same
 * private half; its thumbprint from the generic JSON path equals the one from
 * the key; a lone JWK read as a set of one is that same key; a key picked
 * from a set round-trips too; failures carry one of the documented codes.
 */
#undef NDEBUG /* the assertions are the point of a fuzz target */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/crypto.h>
#include <gramota/jwk.h>

#include "core/internal.h"

static bool parse_code_ok(enum gr_errc code)
{
    return code == GR_ERR_MALFORMED || code == GR_ERR_TOO_LARGE || code == GR_ERR_BAD_KEY ||
           code == GR_ERR_UNSUPPORTED_ALG;
}

static void check_roundtrip(const struct gr_jwk *key)
{
    enum gr_jwk_want want = gr_jwk_is_private(key) ? GR_JWK_PRIVATE : GR_JWK_PUBLIC;
    struct gr_buf out;
    struct gr_err err;
    struct gr_jwk *back;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, true, &out);
    back = gr_jwk_parse(gr_buf_str(&out), want, &err);
    assert(back != NULL);
    assert(gr_jwk_equal(key, back) && gr_jwk_is_private(back) == gr_jwk_is_private(key));
    gr_jwk_free(back);

    gr_buf_reset(&out);
    assert(gr_jwk_to_pem(key, true, &out, &err) == 0);
    back = gr_jwk_parse_pem(gr_buf_str(&out), want, &err);
    assert(back != NULL);
    assert(gr_jwk_equal(key, back) && gr_jwk_is_private(back) == gr_jwk_is_private(key));
    gr_jwk_free(back);
    gr_buf_release(&out);
}

/* The input as a JWK Set, the key picked by kid "k1" or as the only one. */
static void check_set(struct gr_str in, const struct gr_jwk *lone)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_parse_set(in, GR_STR("k1"), GR_JWK_ANY, &err);

    if (key == NULL) {
        assert(parse_code_ok(err.code) || err.code == GR_ERR_NOT_FOUND);
        assert(lone == NULL);
        return;
    }
    if (lone != NULL)
        assert(gr_jwk_equal(key, lone));
    check_roundtrip(key);
    gr_jwk_free(key);
}

static void check_json(struct gr_str in)
{
    struct gr_err err;
    uint8_t generic[32], ours[32];
    int generic_rc = gr_jwk_thumbprint_json(in, generic, &err);
    struct gr_jwk *key;

    if (generic_rc < 0) {
        assert(parse_code_ok(err.code));
    }
    key = gr_jwk_parse(in, GR_JWK_ANY, &err);
    check_set(in, key);
    if (key == NULL) {
        assert(parse_code_ok(err.code));
        return;
    }
    /* A valid EC key has every member the generic path needs, and the same bytes. */
    assert(generic_rc == 0);
    gr_jwk_thumbprint(key, ours);
    assert(memcmp(generic, ours, sizeof(ours)) == 0);
    check_roundtrip(key);
    gr_jwk_free(key);
}

static void check_pem(struct gr_str in)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_parse_pem(in, GR_JWK_ANY, &err);

    if (key == NULL) {
        assert(parse_code_ok(err.code));
        return;
    }
    check_roundtrip(key);
    gr_jwk_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };

    /* PEM decoding is slow; spend it only on inputs that look the part. */
    if (len >= 11 && memcmp(data, "-----BEGIN ", 11) == 0) {
        check_pem(in);
    } else {
        check_json(in);
    }
    return 0;
}

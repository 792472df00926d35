/*
 * No partial output (buf.h): a call that appends to the caller's buffer and
 * fails leaves it as it was, the same length and bytes, not failed. The
 * failures are a signer whose sign fails (gr_signer_new_custom), and caps
 * that are passed halfway through a token or a document.
 */
#include "testutil.h"

#include <string.h>

#define ISSUER "https://issuer.example.com"
#define IAT    1764000000
#define KEEP   "keep"

struct kms {
    struct gr_jwk *key;
    bool down;
};

static int kms_sign(void *ctx, struct gr_str input, uint8_t sig[64], struct gr_err *err)
{
    struct kms *k = ctx;

    if (k->down)
        return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The KMS is down.");
    return gr_es256_sign(k->key, input, sig, err);
}

/* `b` holds what it held before the call: "keep", and has not failed. */
static void assert_kept(const struct gr_buf *b)
{
    assert_int_equal(b->len, strlen(KEEP));
    assert_string_equal(b->data, KEEP);
    assert_false(b->failed);
}

/* A buffer capped at `max` that already holds "keep". */
static void kept(struct gr_buf *b, size_t max)
{
    gr_buf_init(b, max);
    gr_buf_adds(b, KEEP);
}

static void test_failing_signer(void **state)
{
    static const struct gr_signer_ops ops = { .name = "kms", .sign = kms_sign };
    struct kms k = { .key = t_keygen(), .down = true };
    struct gr_signer *s;
    struct gr_status_list *list;
    struct gr_cred_types *types;
    struct gr_issuer_settings settings = { .issuer_url = GR_STR(ISSUER) };
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    s = gr_signer_new_custom(&ops, &k, gr_jwk_dup_public(k.key), GR_STR(""), &err);
    assert_non_null(s);
    kept(&out, GR_BUF_UNBOUNDED);
    assert_code(
        t_code(gr_signer_jws(s, GR_STR("eyJhbGciOiJFUzI1NiJ9"), GR_STR("{\"a\":1}"), &out, &err),
               &err),
        GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_kept(&out);

    list = gr_status_list_new(1, 64, &err);
    assert_non_null(list);
    assert_code(t_code(gr_status_list_token(list, GR_STR(ISSUER "/status/1"), GR_STR(ISSUER), IAT,
                                            0, 0, s, &out, &err),
                       &err),
                GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_kept(&out);

    types = gr_cred_types_load(GR_STR("default"), &err);
    assert_non_null(types);
    assert_code(t_code(gr_metadata_issuer_signed(types, &settings, s, IAT, &out, &err), &err),
                GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_kept(&out);

    /* the same calls with the KMS up append after what was there */
    k.down = false;
    assert_int_equal(gr_status_list_token(list, GR_STR(ISSUER "/status/1"), GR_STR(ISSUER), IAT, 0,
                                          0, s, &out, &err),
                     0);
    assert_int_equal(memcmp(out.data, KEEP "ey", 6), 0);

    gr_cred_types_free(types);
    gr_status_list_free(list);
    gr_buf_release(&out);
    gr_signer_free(s);
    gr_jwk_free(k.key);
}

/* A cap passed halfway: the bytes appended before it are taken back too. */
static void test_cap_passed_halfway(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_jwk *holder = t_jwk(T4_HOLDER_JWK);
    struct gr_status_list *list;
    struct gr_cred_types *types;
    struct gr_issuer_settings settings = { .issuer_url = GR_STR(ISSUER "/tenant") };
    const struct gr_jwk *keys[1];
    const char *kids[1] = { "k1" };
    struct gr_buf out, other;
    struct gr_err err;

    (void)state;
    keys[0] = gr_signer_jwk(s);
    list = gr_status_list_new(1, 64, &err);
    types = gr_cred_types_load(GR_STR("default"), &err);
    assert_non_null(list);
    assert_non_null(types);

    kept(&out, 40); /* room for the header, not for the whole token */
    assert_code(
        t_code(gr_signer_jws(s, GR_STR("eyJhbGciOiJFUzI1NiJ9"), GR_STR("{\"a\":1}"), &out, &err),
               &err),
        GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_status_list_token(list, GR_STR(ISSUER "/status/1"), GR_STR(""), IAT, 0, 0,
                                            s, &out, &err),
                       &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(
        t_code(gr_jws_sign(holder, GR_STR("{\"alg\":\"ES256\"}"), GR_STR("{}"), &out, &err), &err),
        GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_sdjwt_present(GR_STR("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"), holder,
                                        GR_STR("aud"), GR_STR("n"), IAT, &out, &err),
                       &err),
                GR_ERR_TOO_LARGE); /* the SD-JWT fits, the KB-JWT does not */
    assert_kept(&out);
    assert_code(t_code(gr_metadata_issuer_json(types, &settings, &out, &err), &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_metadata_as_json(types, &settings, &out, &err), &err), GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&settings, keys, kids, 1, &out, &err), &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_jwk_to_pem(holder, false, &out, &err), &err), GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(t_code(gr_cert_chain_make(holder, "issuer", 30, &out, &err), &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(
        t_code(gr_sdjwt_disclosure(GR_STR("salt"), GR_STR("name"),
                                   GR_STR("\"a value that is long enough to pass\""), &out, &err),
               &err),
        GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_code(
        t_code(gr_b64url_decode_buf(GR_STR("YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWF"
                                           "hYWFhYWFhYWFhYWFhYWFhYWFh") /* 60 bytes */,
                                    &out, &err),
               &err),
        GR_ERR_TOO_LARGE);
    assert_kept(&out); /* and not failed: it can go on */
    gr_buf_release(&out);

    kept(&out, 8); /* a status list's lst: 64 entries of 1 bit compress to more than 4 chars */
    assert_code(t_code(gr_status_list_encode(list, GR_STATUS_ZLIB_RLE, &out, &err), &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    gr_buf_release(&out);

    /* two buffers: the first fits, the second passes its cap; neither keeps anything */
    kept(&out, GR_BUF_UNBOUNDED);
    kept(&other, 10);
    assert_code(t_code(gr_metadata_wellknown_paths(GR_STR(ISSUER "/tenant"),
                                                   "openid-credential-issuer", &out, &other, &err),
                       &err),
                GR_ERR_TOO_LARGE);
    assert_kept(&out);
    assert_kept(&other);
    gr_buf_release(&other);
    gr_buf_release(&out);

    gr_cred_types_free(types);
    gr_status_list_free(list);
    gr_jwk_free(holder);
    gr_signer_free(s);
}

/* A buffer that had failed before the call stays failed, and keeps its bytes. */
static void test_failed_before_stays_failed(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    kept(&out, 5);
    gr_buf_adds(&out, "too long"); /* fails the buffer */
    assert_true(out.failed);
    assert_code(
        t_code(gr_signer_jws(s, GR_STR("eyJhbGciOiJFUzI1NiJ9"), GR_STR("{}"), &out, &err), &err),
        GR_ERR_TOO_LARGE);
    assert_true(out.failed);
    assert_string_equal(out.data, KEEP);
    gr_buf_release(&out);
    gr_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failing_signer),
        cmocka_unit_test(test_cap_passed_halfway),
        cmocka_unit_test(test_failed_before_stays_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

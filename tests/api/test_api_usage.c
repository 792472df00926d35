/*
 * err.h's rule: a NULL where a call needs a value (a key, a signer, an
 * operation table, a spec) is the caller's bug, USAGE, whatever the argument;
 * BAD_KEY is for a key that is there and cannot serve. Constructors that take
 * a key take it on this failure too, and a key made in the same expression
 * (gr_signer_new_key(gr_jwk_generate(err), ...)) works, and fails cleanly when
 * the key could not be made.
 */
#include "testutil.h"

#include <string.h>

#define ISSUER "https://issuer.example.com"
#define IAT    1764000000

struct kms {
    struct gr_jwk *key;
    int frees;
};

static int kms_sign(void *ctx, struct gr_str input, uint8_t sig[64], struct gr_err *err)
{
    return gr_es256_sign(((struct kms *)ctx)->key, input, sig, err);
}

static void kms_free(void *ctx)
{
    ((struct kms *)ctx)->frees++;
}

/* The code of a call that returned a pointer: OK when it made one (and frees nothing). */
static enum gr_errc made(const void *p, const struct gr_err *err)
{
    return p ? GR_ERR_OK : err->code;
}

static void test_signer_constructors(void **state)
{
    static const struct gr_signer_ops ops = { .name = "kms", .sign = kms_sign, .free = kms_free };
    static const struct gr_signer_ops no_sign = { .name = "broken", .free = kms_free };
    struct kms k = { .key = t_keygen() };
    struct gr_err err;
    struct gr_signer *s;

    (void)state;
    gr_err_clear(&err);
    assert_code(made(gr_signer_new_key(NULL, GR_STR(""), &err), &err), GR_ERR_USAGE);
    /* a key that is there and cannot sign is another matter */
    assert_code(made(gr_signer_new_key(gr_jwk_dup_public(k.key), GR_STR(""), &err), &err),
                GR_ERR_BAD_KEY);

    /* custom: the key is taken and ctx handed back to ops->free on every failure */
    assert_code(made(gr_signer_new_custom(&ops, &k, NULL, GR_STR(""), &err), &err), GR_ERR_USAGE);
    assert_int_equal(k.frees, 1);
    assert_code(
        made(gr_signer_new_custom(&no_sign, &k, gr_jwk_dup_public(k.key), GR_STR(""), &err), &err),
        GR_ERR_USAGE);
    assert_int_equal(k.frees, 2);
    assert_code(
        made(gr_signer_new_custom(NULL, &k, gr_jwk_dup_public(k.key), GR_STR(""), &err), &err),
        GR_ERR_USAGE); /* no table, no free to call: the key alone is taken */
    assert_int_equal(k.frees, 2);

    /* the guide's one expression: a key made and handed over at once */
    s = gr_signer_new_key(gr_jwk_generate(&err), GR_STR(""), &err);
    assert_non_null(s);
    gr_signer_free(s);
    /* and when the key cannot be made, the NULL fails cleanly (nothing leaks) */
    assert_null(
        gr_signer_new_key(gr_jwk_parse(GR_STR("{}"), GR_JWK_PRIVATE, &err), GR_STR(""), &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_non_null(strstr(err.desc, "none was made or given"));
    gr_jwk_free(k.key);
}

static void test_jose_and_signer_calls(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_jwk *pub = gr_jwk_dup_public(gr_signer_jwk(s));
    struct gr_buf out;
    struct gr_jws jws;
    struct gr_err err;
    uint8_t sig[64];

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_int_equal(
        gr_jws_sign(gr_signer_jwk(s), GR_STR("{\"alg\":\"ES256\"}"), GR_STR("{}"), &out, &err),
        -1); /* the signer's public key has no private half */
    assert_code(err.code, GR_ERR_BAD_KEY);
    assert_int_equal(gr_signer_sign(s, GR_STR("x"), sig, &err), 0);
    assert_int_equal(gr_jws_sign(NULL, GR_STR("{\"alg\":\"ES256\"}"), GR_STR("{}"), &out, &err),
                     -1);
    assert_code(err.code, GR_ERR_USAGE);
    assert_code(t_code(gr_es256_sign(NULL, GR_STR("x"), sig, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_es256_verify(NULL, GR_STR("x"), sig, &err), &err), GR_ERR_USAGE);
    assert_int_equal(gr_es256_verify(pub, GR_STR("x"), sig, &err), 0);

    gr_buf_reset(&out);
    assert_int_equal(gr_signer_jws(s, GR_STR("eyJhbGciOiJFUzI1NiJ9") /* {"alg":"ES256"} */,
                                   GR_STR("{}"), &out, &err),
                     0);
    assert_int_equal(gr_jws_parse(gr_buf_str(&out), &jws, &err), 0);
    assert_code(t_code(gr_jws_verify(&jws, NULL, &err), &err), GR_ERR_USAGE);
    gr_jws_release(&jws);

    assert_code(t_code(gr_signer_sign(NULL, GR_STR("x"), sig, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_signer_check(NULL, &err), &err), GR_ERR_USAGE);
    gr_buf_reset(&out);
    assert_code(t_code(gr_cert_chain_make(NULL, "issuer", 30, &out, &err), &err), GR_ERR_USAGE);
    gr_buf_release(&out);
    gr_jwk_free(pub);
    gr_signer_free(s);
}

static void test_sdjwt_calls(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_sdjwt_vc_spec spec = { .vct = GR_STR("urn:example:1"),
                                     .claims_json = GR_STR("{\"name\":\"Ada\"}") };
    struct gr_sdjwt_vc_template *t;
    struct gr_sdjwt_vc_batch batch = { .iat = IAT, .count = 1 };
    struct gr_sdjwt_vc_issued issued[1];
    struct gr_sdjwt_vc_verify_opts opts = { .now = IAT + 1 };
    struct gr_sdjwt_vc_verified v;
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    assert_code(made(gr_sdjwt_vc_template_new(NULL, s, &err), &err), GR_ERR_USAGE);
    assert_code(made(gr_sdjwt_vc_template_new(&spec, NULL, &err), &err), GR_ERR_USAGE);
    t = gr_sdjwt_vc_template_new(&spec, s, &err);
    assert_non_null(t);
    assert_int_equal(gr_sdjwt_vc_issue(t, &batch, issued, &err), 0);

    gr_sdjwt_vc_verified_init(&v);
    assert_int_equal(
        gr_sdjwt_vc_verify(gr_buf_str(&issued[0].credential), gr_signer_jwk(s), &opts, &v, &err),
        0);
    assert_code(
        t_code(gr_sdjwt_vc_verify(gr_buf_str(&issued[0].credential), NULL, &opts, &v, &err), &err),
        GR_ERR_USAGE);
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_code(t_code(gr_sdjwt_present(gr_buf_str(&issued[0].credential), NULL, GR_STR("aud"),
                                        GR_STR("n"), IAT, &out, &err),
                       &err),
                GR_ERR_USAGE);
    gr_buf_release(&out);
    gr_sdjwt_vc_verified_release(&v);
    gr_sdjwt_vc_issued_release(issued, 1);
    gr_sdjwt_vc_template_free(t);
    gr_signer_free(s);
}

static void test_status_and_metadata_calls(void **state)
{
    static const uint8_t bytes[2] = { 0x01, 0x80 };
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_status_list *l = NULL, *back = NULL;
    struct gr_cred_types *types;
    struct gr_issuer_settings settings = { .issuer_url = GR_STR(ISSUER) };
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    l = gr_status_list_new_bytes(1, bytes, sizeof(bytes), &err);
    assert_non_null(l);
    assert_code(made(gr_status_list_new_bytes(1, NULL, 2, &err), &err), GR_ERR_USAGE);
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_code(t_code(gr_status_list_token(NULL, GR_STR(ISSUER "/s/1"), GR_STR(""), IAT, 0, 0, s,
                                            &out, &err),
                       &err),
                GR_ERR_USAGE);
    assert_code(t_code(gr_status_list_token(l, GR_STR(ISSUER "/s/1"), GR_STR(""), IAT, 0, 0, NULL,
                                            &out, &err),
                       &err),
                GR_ERR_USAGE);
    assert_int_equal(
        gr_status_list_token(l, GR_STR(ISSUER "/s/1"), GR_STR(""), IAT, 0, 0, s, &out, &err), 0);
    assert_code(t_code(gr_status_list_token_verify(gr_buf_str(&out), NULL, GR_STR(ISSUER "/s/1"),
                                                   IAT, &back, &err),
                       &err),
                GR_ERR_USAGE);
    assert_null(back);

    assert_code(made(gr_cred_types_parse(NULL, 1, &err), &err), GR_ERR_USAGE);
    types = gr_cred_types_load(GR_STR("default"), &err);
    assert_non_null(types);
    gr_buf_reset(&out);
    assert_code(t_code(gr_metadata_issuer_signed(types, &settings, NULL, IAT, &out, &err), &err),
                GR_ERR_USAGE);
    assert_int_equal(out.len, 0);
    gr_cred_types_free(types);
    gr_buf_release(&out);
    gr_status_list_free(l);
    gr_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signer_constructors),
        cmocka_unit_test(test_jose_and_signer_calls),
        cmocka_unit_test(test_sdjwt_calls),
        cmocka_unit_test(test_status_and_metadata_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

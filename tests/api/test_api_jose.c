/*
 * jwk.h, jws.h and signer.h through the installed headers only: the calls no
 * other public-API test makes (see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>

/* SPECS.md §1 T6: RFC 7638 §3.1's RSA key and its thumbprint. */
#define T6_JWK                                                                                     \
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1" \
    "RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h" \
    "4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLy" \
    "rdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"  \
    "\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define T6_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/* SPECS.md §1 test notes: the T4 holder key's thumbprint. */
#define T4_HOLDER_THUMBPRINT "aISfTcr9M_Zd09AXGAAeFxnLbFY6lBa87UN515wm5d4"

static void test_thumbprints(void **state)
{
    struct gr_jwk *holder = t_jwk(T4_HOLDER_JWK);
    struct gr_err err;
    uint8_t raw[32];
    char b64[GR_JWK_THUMBPRINT_B64_LEN + 1];

    (void)state;
    gr_jwk_thumbprint(holder, raw);
    gr_b64url_encode(raw, sizeof(raw), b64);
    b64[GR_JWK_THUMBPRINT_B64_LEN] = '\0';
    assert_string_equal(b64, T4_HOLDER_THUMBPRINT);

    memset(raw, 0, sizeof(raw));
    assert_int_equal(gr_jwk_thumbprint_json(GR_STR(T6_JWK), raw, &err), 0);
    gr_b64url_encode(raw, sizeof(raw), b64);
    assert_string_equal(b64, T6_THUMBPRINT);
    /* the same key as JSON: the same thumbprint as the parsed key's */
    assert_int_equal(gr_jwk_thumbprint_json(GR_STR(T4_HOLDER_JWK), raw, &err), 0);
    gr_b64url_encode(raw, sizeof(raw), b64);
    assert_string_equal(b64, T4_HOLDER_THUMBPRINT);

    assert_code(t_code(gr_jwk_thumbprint_json(GR_STR("{\"kty\":\"XYZ\"}"), raw, &err), &err),
                GR_ERR_BAD_KEY);
    assert_code(
        t_code(gr_jwk_thumbprint_json(GR_STR("{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), raw, &err), &err),
        GR_ERR_BAD_KEY); /* n missing */
    assert_code(t_code(gr_jwk_thumbprint_json(GR_STR("{\"kty\":"), raw, &err), &err),
                GR_ERR_MALFORMED);
    gr_jwk_free(holder);
}

static void test_parse_pem(void **state)
{
    struct gr_jwk *key = t_keygen(), *back;
    struct gr_buf priv, pub;
    struct gr_err err;

    (void)state;
    gr_buf_init(&priv, GR_BUF_UNBOUNDED);
    gr_buf_init(&pub, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_jwk_to_pem(key, true, &priv, &err), 0);
    assert_int_equal(gr_jwk_to_pem(key, false, &pub, &err), 0);
    assert_non_null(strstr(priv.data, "-----BEGIN PRIVATE KEY-----"));
    assert_non_null(strstr(pub.data, "-----BEGIN PUBLIC KEY-----"));

    back = gr_jwk_parse_pem(gr_buf_str(&priv), GR_JWK_PRIVATE, &err);
    assert_non_null(back);
    assert_true(gr_jwk_is_private(back));
    assert_true(gr_jwk_equal(back, key));
    gr_jwk_free(back);
    back = gr_jwk_parse_pem(gr_buf_str(&pub), GR_JWK_ANY, &err);
    assert_non_null(back);
    assert_false(gr_jwk_is_private(back));
    assert_true(gr_jwk_equal(back, key));
    gr_jwk_free(back);

    assert_null(gr_jwk_parse_pem(gr_buf_str(&priv), GR_JWK_PUBLIC, &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    assert_null(gr_jwk_parse_pem(gr_buf_str(&pub), GR_JWK_PRIVATE, &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    assert_null(gr_jwk_parse_pem(GR_STR("no key here"), GR_JWK_ANY, &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    gr_buf_release(&priv);
    gr_buf_release(&pub);
    gr_jwk_free(key);
}

static void test_jws_split(void **state)
{
    static const char *const bad[] = { "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "", "abc" };
    struct gr_str part[3];
    struct gr_err err;
    struct gr_str in = GR_STR("xx.yyy.z");

    (void)state;
    assert_int_equal(gr_jws_split(in, part, &err), 0);
    assert_true(gr_str_eq_c(part[0], "xx"));
    assert_true(gr_str_eq_c(part[1], "yyy"));
    assert_true(gr_str_eq_c(part[2], "z"));
    assert_ptr_equal(part[0].p, in.p); /* views into the input */
    assert_ptr_equal(part[2].p, in.p + 7);
    for (size_t i = 0; i < GR_NELEM(bad); i++)
        assert_code(t_code(gr_jws_split(gr_str_c(bad[i]), part, &err), &err), GR_ERR_MALFORMED);
}

static void test_es256_verify(void **state)
{
    struct gr_jwk *key = t_keygen(), *other = t_keygen();
    struct gr_err err;
    uint8_t sig[64], zero[64] = { 0 };
    struct gr_str in = GR_STR("eyJhbGciOiJFUzI1NiJ9.e30");

    (void)state;
    assert_int_equal(gr_es256_sign(key, in, sig, &err), 0);
    assert_int_equal(gr_es256_verify(key, in, sig, &err), 0);
    assert_code(t_code(gr_es256_verify(other, in, sig, &err), &err), GR_ERR_BAD_SIGNATURE);
    assert_code(t_code(gr_es256_verify(key, GR_STR("eyJhbGciOiJFUzI1NiJ9.e31"), sig, &err), &err),
                GR_ERR_BAD_SIGNATURE);
    for (size_t i = 0; i < sizeof(sig); i++) {
        sig[i] ^= 0x01;
        assert_code(t_code(gr_es256_verify(key, in, sig, &err), &err), GR_ERR_BAD_SIGNATURE);
        sig[i] ^= 0x01;
    }
    assert_code(t_code(gr_es256_verify(key, in, zero, &err), &err), GR_ERR_BAD_SIGNATURE);
    gr_jwk_free(key);
    gr_jwk_free(other);
}

/* ---- signer.h ---- */

struct kms {
    struct gr_jwk *key; /* the "remote" key pair */
    bool down;          /* the KMS cannot be reached */
    unsigned signs, frees;
};

static int kms_sign(void *ctx, struct gr_str in, uint8_t sig[64], struct gr_err *err)
{
    struct kms *k = ctx;

    k->signs++;
    if (k->down)
        return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The KMS cannot be reached.");
    return gr_es256_sign(k->key, in, sig, err);
}

static int kms_check(void *ctx, struct gr_err *err)
{
    struct kms *k = ctx;

    return k->down ? gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The KMS is down.") : 0;
}

static void kms_free(void *ctx)
{
    struct kms *k = ctx;

    k->frees++;
}

static void test_signer_sign_and_check(void **state)
{
    static const struct gr_signer_ops ops = {
        .name = "kms", .sign = kms_sign, .free = kms_free, .check = kms_check
    };
    struct kms k = { .key = t_keygen() };
    struct gr_signer *file = t_signer(T4_ISSUER_JWK), *custom;
    struct gr_err err;
    uint8_t sig[64];

    (void)state;
    /* an in-memory key: always ready, and its signature verifies with its public JWK */
    assert_int_equal(gr_signer_check(file, &err), 0);
    assert_int_equal(gr_signer_sign(file, GR_STR("input"), sig, &err), 0);
    assert_int_equal(gr_es256_verify(gr_signer_jwk(file), GR_STR("input"), sig, &err), 0);

    custom = gr_signer_new_custom(&ops, &k, gr_jwk_dup_public(k.key), GR_STR(""), &err);
    assert_non_null(custom);
    assert_string_equal(gr_signer_name(custom), "kms");
    assert_int_equal(gr_signer_check(custom, &err), 0);
    assert_int_equal(gr_signer_sign(custom, GR_STR("input"), sig, &err), 0);
    assert_int_equal(k.signs, 1);
    assert_int_equal(gr_es256_verify(gr_signer_jwk(custom), GR_STR("input"), sig, &err), 0);
    /* the implementation's failures come back as they are */
    k.down = true;
    assert_code(t_code(gr_signer_check(custom, &err), &err), GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_code(t_code(gr_signer_sign(custom, GR_STR("input"), sig, &err), &err),
                GR_ERR_TEMPORARILY_UNAVAILABLE);
    gr_signer_free(custom);
    assert_int_equal(k.frees, 1); /* ops->free got ctx */
    gr_signer_free(file);
    gr_jwk_free(k.key);
}

static void test_pkcs11_keygen_refusals(void **state)
{
    static const struct {
        const char *uri, *label;
        enum gr_errc want;
    } rows[] = {
        { "pkcs11:token=t?module-path=/nonexistent/module.so", "", GR_ERR_USAGE }, /* no label */
        { "file:/etc/key.pem", "issuer", GR_ERR_USAGE },                           /* not pkcs11: */
        { "pkcs11:object=issuer?module-path=/nonexistent/module.so", "issuer", GR_ERR_USAGE },
        { "pkcs11:token=t?module-path=/nonexistent/module.so&pin-value=1234", "issuer",
          GR_ERR_USAGE }, /* PIN in a URI */
        { "pkcs11:token=t?module-path=/nonexistent/module.so", "issuer",
          GR_ERR_IO }, /* no module */
    };
    struct gr_buf uri;
    struct gr_err err;

    (void)state;
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(rows); i++) {
        struct gr_jwk *pub =
            gr_signer_pkcs11_keygen(gr_str_c(rows[i].uri), gr_str_c(rows[i].label), &uri, &err);
        assert_null(pub);
        if (err.code != rows[i].want)
            fail_msg("%s: %s, expected %s", rows[i].uri, gr_errc_name(err.code),
                     gr_errc_name(rows[i].want));
        assert_int_equal(uri.len, 0); /* no URI for a key that was not made */
    }
    gr_buf_release(&uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thumbprints),
        cmocka_unit_test(test_parse_pem),
        cmocka_unit_test(test_jws_split),
        cmocka_unit_test(test_es256_verify),
        cmocka_unit_test(test_signer_sign_and_check),
        cmocka_unit_test(test_pkcs11_keygen_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

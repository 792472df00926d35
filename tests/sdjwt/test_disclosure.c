/* RFC 9901 disclosures and digests against the published vectors (SPECS.md §1 T1-T3). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void check_disclosure(const char *salt, const char *name, const char *value_json,
                             const char *want_b64, const char *want_digest)
{
    struct gr_buf b;
    struct gr_err err;
    char digest[GR_SDJWT_DIGEST_LEN + 1];

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_sdjwt_disclosure(gr_str_c(salt),
                                         name ? gr_str_c(name) : (struct gr_str){ NULL, 0 },
                                         gr_str_c(value_json), &b, &err),
                     0);
    assert_string_equal(b.data, want_b64);
    gr_sdjwt_digest(gr_buf_str(&b), digest);
    if (want_digest)
        assert_string_equal(digest, want_digest);
    gr_buf_release(&b);
}

/* T1: an object property, with a non-ASCII value that must stay UTF-8. */
static void test_t1_object_property(void **state)
{
    (void)state;
    check_disclosure("_26bc4LT-ac6q2KI6cBW5es", "family_name",
                     "\"M\xc3\xb6"
                     "bius\"",
                     "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
                     "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
}

/* T2: an array element. */
static void test_t2_array_element(void **state)
{
    (void)state;
    check_disclosure("lklxF5jMYlGTPUovMNIvCA", NULL, "\"FR\"",
                     "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0",
                     "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs");
}

/*
 * T3: the nine disclosures of the specification's SD-JWT VC re-encode
 * byte-for-byte from their decoded parts: a serializer test, nested object included.
 */
static void test_t3_disclosures_reencode(void **state)
{
    struct gr_buf cred, raw;
    char *save = NULL, *tok;
    size_t n = 0;
    struct gr_err err;

    (void)state;
    t_fixture("sdjwt/vectors/t3_credential.txt", &cred);
    tok = strtok_r(cred.data, "~", &save); /* the issuer-signed JWT */
    while ((tok = strtok_r(NULL, "~", &save)) != NULL) {
        json_t *a;
        json_error_t jerr;
        char *value;

        gr_buf_init(&raw, GR_BUF_UNBOUNDED);
        assert_int_equal(gr_b64url_decode_buf(gr_str_c(tok), &raw, &err), 0);
        a = json_loadb(raw.data, raw.len, 0, &jerr);
        assert_non_null(a);
        assert_int_equal(json_array_size(a), 3);
        value = json_dumps(json_array_get(a, 2), JSON_ENCODE_ANY | JSON_COMPACT);
        check_disclosure(json_string_value(json_array_get(a, 0)),
                         json_string_value(json_array_get(a, 1)), value, tok, NULL);
        if (strcmp(json_string_value(json_array_get(a, 1)), "given_name") == 0) {
            char digest[GR_SDJWT_DIGEST_LEN + 1];

            gr_sdjwt_digest(gr_str_c(tok), digest);
            assert_string_equal(digest, "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4");
        }
        free(value);
        json_decref(a);
        gr_buf_release(&raw);
        n++;
    }
    assert_int_equal(n, 9);
    gr_buf_release(&cred);
}

/* T3: the signature verifies with the T4 issuer key and all nine disclosures resolve. */
static void test_t3_verifies(void **state)
{
    struct gr_buf cred;
    struct gr_jwk *issuer = t_jwk(T4_ISSUER_JWK);
    struct gr_sdjwt_vc_verify_opts o = { .now = 1683000000 + 60, .accept_vc_typ = true };
    struct gr_sdjwt_vc_verified out;
    struct gr_err err;
    json_t *claims;
    json_error_t jerr;

    (void)state;
    t_fixture("sdjwt/vectors/t3_credential.txt", &cred);
    gr_sdjwt_vc_verified_init(&out);
    assert_int_equal(gr_sdjwt_vc_verify(gr_buf_str(&cred), issuer, &o, &out, &err), 0);
    assert_int_equal(out.disclosures, 9);
    assert_false(out.key_bound);
    claims = json_loadb(out.claims.data, out.claims.len, 0, &jerr);
    assert_string_equal(json_string_value(json_object_get(claims, "given_name")), "John");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(claims, "address"), "locality")),
        "Anytown");
    assert_true(json_is_true(json_object_get(claims, "is_over_65")));
    assert_null(json_object_get(claims, "_sd"));
    assert_null(json_object_get(claims, "_sd_alg"));
    json_decref(claims);

    /*
     * The stored copy of this example predates the rename to dc+sd-jwt: its typ is
     * vc+sd-jwt, which a strict verifier refuses unless told to accept it.
     */
    o.accept_vc_typ = false;
    assert_code(t_code(gr_sdjwt_vc_verify(gr_buf_str(&cred), issuer, &o, &out, &err), &err),
                GR_ERR_BAD_TYP);
    /* After exp (1883000000) it has expired. */
    o.accept_vc_typ = true;
    o.now = 1883000000;
    assert_code(t_code(gr_sdjwt_vc_verify(gr_buf_str(&cred), issuer, &o, &out, &err), &err),
                GR_ERR_EXPIRED);
    gr_sdjwt_vc_verified_release(&out);
    gr_buf_release(&cred);
    gr_jwk_free(issuer);
}

static void test_disclosure_rejects(void **state)
{
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    assert_code(
        t_code(gr_sdjwt_disclosure(GR_STR("salt"), GR_STR("n"), GR_STR("{bad"), &b, &err), &err),
        GR_ERR_MALFORMED);
    assert_code(
        t_code(gr_sdjwt_disclosure(GR_STR("sa\"lt"), GR_STR("n"), GR_STR("1"), &b, &err), &err),
        GR_ERR_MALFORMED);
    gr_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t1_object_property),      cmocka_unit_test(test_t2_array_element),
        cmocka_unit_test(test_t3_disclosures_reencode), cmocka_unit_test(test_t3_verifies),
        cmocka_unit_test(test_disclosure_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

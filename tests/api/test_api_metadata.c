/*
 * metadata.h (and oid4vci.h's notification names) through the installed
 * headers only: the issuer identifier, the well-known paths, the AS, signed
 * and JWT VC issuer metadata, key attestation levels of a credential type
 * (see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>

#define ISSUER "https://issuer.example.com"

/* One credential type asking for key attestations on its `jwt` proofs. */
#define TYPE_TEXT                                                                              \
    "{\"id\":\"pid\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:example:pid\"," \
    "\"scope\":\"pid\",\"cryptographic_binding_methods_supported\":[\"jwk\"],"                 \
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"],"  \
    "\"key_attestations_required\":{\"key_storage\":[\"iso_18045_high\","                      \
    "\"iso_18045_moderate\"],\"user_authentication\":[\"iso_18045_high\"]}},"                  \
    "\"attestation\":{\"proof_signing_alg_values_supported\":[\"ES256\"],"                     \
    "\"key_attestations_required\":{}}}}}"

static struct gr_cred_types *types(void)
{
    const struct gr_str text = GR_STR(TYPE_TEXT);
    struct gr_err err;
    struct gr_cred_types *set = gr_cred_types_parse(&text, 1, &err);

    if (set == NULL)
        fail_msg("%s", err.desc);
    return set;
}

static void test_key_levels(void **state)
{
    struct gr_cred_types *set = types();
    const struct gr_cred_type *t = gr_cred_types_get(set, GR_STR("pid"));
    const char *out[4];

    (void)state;
    assert_non_null(t);
    assert_int_equal(gr_cred_type_key_levels(t, "jwt", "key_storage", out, 4), 2);
    assert_string_equal(out[0], "iso_18045_high");
    assert_string_equal(out[1], "iso_18045_moderate");
    assert_null(out[2]); /* NULL-terminated */
    assert_int_equal(gr_cred_type_key_levels(t, "jwt", "user_authentication", out, 4), 1);
    assert_string_equal(out[0], "iso_18045_high");
    assert_null(out[1]);
    /* required but with no levels listed, and a proof type without the requirement */
    assert_int_equal(gr_cred_type_key_levels(t, "attestation", "key_storage", out, 4), 0);
    assert_null(out[0]);
    assert_true(gr_cred_type_key_attestation(t, GR_STR("attestation")));
    assert_int_equal(gr_cred_type_key_levels(t, "di_vp", "key_storage", out, 4), 0);
    assert_null(out[0]);
    gr_cred_types_free(set);
}

static void test_issuer_url_parse(void **state)
{
    static const char *const bad[] = {
        "https://Issuer.example.com",    "https://issuer.example.com?x=1",
        "https://issuer.example.com#f",  "https://user@issuer.example.com",
        "ftp://issuer.example.com",      "https://issuer.example.com/a/../b",
        "https://issuer.example.com//a", "issuer.example.com",
    };
    struct gr_issuer_url u;
    struct gr_err err;

    (void)state;
    assert_int_equal(
        gr_issuer_url_parse(GR_STR("https://issuer.example.com:8443/tenant/"), &u, &err), 0);
    assert_true(gr_str_eq_c(u.base, "https://issuer.example.com:8443/tenant"));
    assert_true(gr_str_eq_c(u.host, "issuer.example.com"));
    assert_true(gr_str_eq_c(u.path, "/tenant"));
    assert_int_equal(u.port, 8443);
    assert_true(u.https);
    assert_false(u.loopback);
    assert_int_equal(gr_issuer_url_parse(GR_STR("http://127.0.0.1"), &u, &err), 0);
    assert_true(gr_str_eq_c(u.path, ""));
    assert_int_equal(u.port, 0);
    assert_false(u.https);
    assert_true(u.loopback);
    assert_int_equal(gr_issuer_url_parse(GR_STR("http://[::1]:8080"), &u, &err), 0);
    assert_true(gr_str_eq_c(u.host, "[::1]"));
    assert_true(u.loopback);
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        if (gr_issuer_url_parse(gr_str_c(bad[i]), &u, &err) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_code(err.code, GR_ERR_MALFORMED);
    }
}

static void test_wellknown_paths(void **state)
{
    struct gr_buf v1, d13;
    struct gr_err err;

    (void)state;
    gr_buf_init(&v1, GR_BUF_UNBOUNDED);
    gr_buf_init(&d13, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_wellknown_paths(GR_STR(ISSUER "/tenant/"),
                                                 "openid-credential-issuer", &v1, &d13, &err),
                     0);
    assert_string_equal(v1.data, "/.well-known/openid-credential-issuer/tenant");
    assert_string_equal(d13.data, "/tenant/.well-known/openid-credential-issuer");
    gr_buf_reset(&v1);
    gr_buf_reset(&d13);
    assert_int_equal(
        gr_metadata_wellknown_paths(GR_STR(ISSUER "/tenant"), "jwt-vc-issuer", &v1, &d13, &err), 0);
    assert_string_equal(v1.data, "/.well-known/jwt-vc-issuer/tenant");
    assert_int_equal(d13.len, 0); /* no older placement for this one */
    gr_buf_reset(&v1);
    assert_int_equal(
        gr_metadata_wellknown_paths(GR_STR(ISSUER), "oauth-authorization-server", &v1, NULL, &err),
        0);
    assert_string_equal(v1.data, "/.well-known/oauth-authorization-server");
    gr_buf_reset(&v1);
    assert_code(
        t_code(gr_metadata_wellknown_paths(GR_STR(ISSUER), "openid-configuration", &v1, NULL, &err),
               &err),
        GR_ERR_USAGE);
    assert_code(t_code(gr_metadata_wellknown_paths(GR_STR("https://x.example.com?q"),
                                                   "jwt-vc-issuer", &v1, NULL, &err),
                       &err),
                GR_ERR_MALFORMED);
    gr_buf_release(&v1);
    gr_buf_release(&d13);
}

/* Every path gr_metadata_wellknown_paths gives is recognised as its document, and nothing else. */
static void test_wellknown_lookup(void **state)
{
    static const char *const names[] = { "openid-credential-issuer", "oauth-authorization-server",
                                         "jwt-vc-issuer" };
    static const char *const issuers[] = { ISSUER, ISSUER "/tenant", ISSUER "/a/b/" };
    static const struct {
        const char *issuer_path, *path;
    } none[] = {
        { "", "/.well-known/openid-credential-issuerx" },
        { "", "/.well-known/openid-credential-issuer/" },
        { "", "/.well-known/" },
        { "", "/.well-known/jwt-vc-issuer/tenant" },
        { "/tenant", "/.well-known/openid-credential-issuer" },
        { "/tenant", "/tenant/.well-known/jwt-vc-issuer" }, /* SD-JWT VC never appended */
        { "/tenant", "/tenant/.well-known/openid-credential-issuer/x" },
        { "/tenant", "/tenantx/.well-known/openid-credential-issuer" },
        { "", "" },
    };

    (void)state;
    for (size_t u = 0; u < GR_NELEM(issuers); u++) {
        struct gr_issuer_url iu;
        struct gr_err err;

        assert_int_equal(gr_issuer_url_parse(gr_str_c(issuers[u]), &iu, &err), 0);
        for (size_t i = 0; i < GR_NELEM(names); i++) {
            struct gr_buf v1, d13;

            gr_buf_init(&v1, GR_BUF_UNBOUNDED);
            gr_buf_init(&d13, GR_BUF_UNBOUNDED);
            assert_int_equal(
                gr_metadata_wellknown_paths(gr_str_c(issuers[u]), names[i], &v1, &d13, &err), 0);
            assert_int_equal(gr_metadata_wellknown(iu.path, gr_buf_str(&v1)), (int)i);
            if (d13.len)
                assert_int_equal(gr_metadata_wellknown(iu.path, gr_buf_str(&d13)), (int)i);
            gr_buf_release(&v1);
            gr_buf_release(&d13);
        }
    }
    for (size_t i = 0; i < GR_NELEM(none); i++) {
        if (gr_metadata_wellknown(gr_str_c(none[i].issuer_path), gr_str_c(none[i].path)) !=
            GR_WELLKNOWN_NONE)
            fail_msg("%s under \"%s\" is taken for a document", none[i].path, none[i].issuer_path);
    }
}

static void test_as_metadata(void **state)
{
    struct gr_cred_types *set = types();
    struct gr_issuer_settings s = { .issuer_url = GR_STR(ISSUER) };
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_as_json(set, &s, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"issuer\":\"" ISSUER "\""));
    assert_non_null(strstr(out.data, "\"token_endpoint\":\"" ISSUER "/oid4vci/token\""));
    assert_non_null(strstr(out.data, "urn:ietf:params:oauth:grant-type:pre-authorized_code"));
    assert_non_null(strstr(out.data, "\"pre-authorized_grant_anonymous_access_supported\":true"));
    assert_non_null(strstr(out.data, "\"dpop_signing_alg_values_supported\":[\"ES256\"]"));
    assert_non_null(strstr(out.data, "\"scopes_supported\":[\"pid\"]"));
    assert_null(strstr(out.data, "attest_jwt_client_auth"));

    gr_buf_reset(&out);
    s.client_attestation = GR_CLIENT_ATTESTATION_REQUIRED;
    assert_int_equal(gr_metadata_as_json(set, &s, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"token_endpoint_auth_methods_supported\":"
                                     "[\"attest_jwt_client_auth\"]"));
    assert_non_null(strstr(out.data, "\"pre-authorized_grant_anonymous_access_supported\":false"));

    gr_buf_reset(&out);
    s.issuer_url = GR_STR("https://Issuer.example.com");
    assert_code(t_code(gr_metadata_as_json(set, &s, &out, &err), &err), GR_ERR_MALFORMED);
    gr_buf_release(&out);
    gr_cred_types_free(set);
}

static void test_signed_metadata(void **state)
{
    struct gr_cred_types *set = types();
    struct gr_signer *signer = t_signer(T4_ISSUER_JWK);
    struct gr_issuer_settings s = { .issuer_url = GR_STR(ISSUER), .batch_size = 4 };
    struct gr_buf out, plain;
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_init(&plain, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_issuer_signed(set, &s, signer, 1700000000, &out, &err), 0);
    assert_int_equal(gr_jws_parse(gr_buf_str(&out), &jws, &err), 0);
    assert_int_equal(gr_jws_verify(&jws, gr_signer_jwk(signer), &err), 0);
    assert_true(gr_jws_typ_is(jws.typ, "openidvci-issuer-metadata+jwt"));
    assert_true(gr_str_eq(jws.kid, gr_signer_kid(signer)));
    assert_non_null(strstr(jws.payload.p, "\"credential_issuer\":\"" ISSUER "\""));
    assert_non_null(strstr(jws.payload.p, "\"sub\":\"" ISSUER "\""));
    assert_non_null(strstr(jws.payload.p, "\"iss\":\"" ISSUER "\""));
    assert_non_null(strstr(jws.payload.p, "\"iat\":1700000000"));
    assert_non_null(strstr(jws.payload.p, "\"batch_credential_issuance\":{\"batch_size\":4}"));
    /* every parameter of the unsigned document, as top-level claims */
    assert_int_equal(gr_metadata_issuer_json(set, &s, &plain, &err), 0);
    assert_int_equal(memcmp(jws.payload.p, plain.data, plain.len - 1), 0);
    gr_jws_release(&jws);

    gr_buf_reset(&out);
    s.batch_size = 101;
    assert_code(t_code(gr_metadata_issuer_signed(set, &s, signer, 1700000000, &out, &err), &err),
                GR_ERR_USAGE);
    gr_buf_release(&plain);
    gr_buf_release(&out);
    gr_signer_free(signer);
    gr_cred_types_free(set);
}

static void test_jwt_vc_issuer(void **state)
{
    struct gr_jwk *a = t_jwk(T4_ISSUER_JWK), *b = t_keygen();
    const struct gr_jwk *keys[2] = { a, b };
    const char *kids[2] = { "doc-signer-05-25-2022", "next" };
    const char *twice[2] = { "k", "k" };
    struct gr_issuer_settings s = { .issuer_url = GR_STR("https://example.com/tenant/1234") };
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 2, &out, &err), 0);
    assert_non_null(strstr(out.data, "\"issuer\":\"https://example.com/tenant/1234\""));
    assert_non_null(strstr(out.data, "\"jwks\":{\"keys\":[{"));
    /* SPECS.md §1 T4: the published issuer key under its published kid */
    assert_non_null(strstr(out.data, "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ"));
    assert_non_null(strstr(out.data, "\"kid\":\"doc-signer-05-25-2022\""));
    assert_non_null(strstr(out.data, "\"kid\":\"next\""));
    assert_non_null(strstr(out.data, "\"use\":\"sig\""));
    assert_null(strstr(out.data, "\"d\"")); /* public keys only */

    gr_buf_reset(&out);
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, twice, 2, &out, &err), &err),
                GR_ERR_USAGE);
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 0, &out, &err), &err),
                GR_ERR_USAGE);
    s.issuer_url = GR_STR("not a url");
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 2, &out, &err), &err),
                GR_ERR_MALFORMED);
    gr_buf_release(&out);
    gr_jwk_free(a);
    gr_jwk_free(b);
}

static void test_notification_event_name(void **state)
{
    (void)state;
    assert_string_equal(gr_notification_event_name(GR_NOTIFY_ACCEPTED), "credential_accepted");
    assert_string_equal(gr_notification_event_name(GR_NOTIFY_FAILURE), "credential_failure");
    assert_string_equal(gr_notification_event_name(GR_NOTIFY_DELETED), "credential_deleted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_levels),      cmocka_unit_test(test_issuer_url_parse),
        cmocka_unit_test(test_wellknown_paths), cmocka_unit_test(test_wellknown_lookup),
        cmocka_unit_test(test_as_metadata),     cmocka_unit_test(test_signed_metadata),
        cmocka_unit_test(test_jwt_vc_issuer),   cmocka_unit_test(test_notification_event_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

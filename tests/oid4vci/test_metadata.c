/*
 * The published documents, read back with jansson as a wallet would read them
 * (WALLET.md closing checklist), the issuer identifier and the well-known paths.
 */
#include "testutil.h"

#include <string.h>

#include <jansson.h>

#include <gramota/metadata.h>

#include "core/internal.h"

#define ISSUER "https://issuer.example.com"
#define PID_ID "eu.europa.ec.eudi.pid_vc_sd_jwt"

struct fixture {
    struct gr_cred_types *types;
};

static int setup(void **state)
{
    static struct fixture f;
    struct gr_err err;

    f.types = gr_cred_types_load(GR_STR("default"), &err);
    if (f.types == NULL)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    gr_cred_types_free(f->types);
    return 0;
}

static struct gr_issuer_settings settings(const char *url)
{
    return (struct gr_issuer_settings){
        .issuer_url = gr_str_c(url),
        .batch_size = 10,
        .notification_endpoint = true,
        .display_name = GR_STR("gramota"),
        .display_locale = GR_STR("en"),
    };
}

typedef int doc_fn(const struct gr_cred_types *types, const struct gr_issuer_settings *s,
                   struct gr_buf *out, struct gr_err *err);

/* Build a document and read it back; fails the test when either step fails. */
static json_t *doc(doc_fn *fn, const struct gr_cred_types *types,
                   const struct gr_issuer_settings *s)
{
    struct gr_buf out;
    struct gr_err err;
    json_error_t jerr;
    json_t *v;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    if (fn(types, s, &out, &err) < 0)
        fail_msg("document: %s", err.desc);
    /* compact: no whitespace between tokens (the claim names hold none either) */
    assert_null(strstr(out.data, "\": "));
    assert_null(strstr(out.data, ", \""));
    v = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        fail_msg("not JSON: %s", jerr.text);
    gr_buf_release(&out);
    return v;
}

static void assert_member(const json_t *obj, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(obj, key));

    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s is %s, expected %s", key, got ? got : "(absent)", want);
}

/* `v` is exactly the JSON text `want`. */
static void assert_json(const json_t *v, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);

    assert_non_null(w);
    if (!json_equal(v, w)) {
        char *got = json_dumps(v, JSON_COMPACT);

        fail_msg("got %s, expected %s", got ? got : "(absent)", want);
    }
    json_decref(w);
}

/* ---- Credential Issuer Metadata ---- */

static void test_issuer_metadata(void **state)
{
    struct fixture *f = *state;
    struct gr_issuer_settings s = settings(ISSUER);
    json_t *m = doc(gr_metadata_issuer_json, f->types, &s);
    const json_t *configs = json_object_get(m, "credential_configurations_supported");
    const json_t *pid = json_object_get(configs, PID_ID);
    const json_t *md = json_object_get(pid, "credential_metadata");

    /* WALLET.md checklist 1, 5, 11 */
    assert_member(m, "credential_issuer", ISSUER);
    assert_member(m, "credential_endpoint", ISSUER "/oid4vci/credential");
    assert_member(m, "nonce_endpoint", ISSUER "/oid4vci/nonce");
    assert_member(m, "notification_endpoint", ISSUER "/oid4vci/notification");
    assert_json(json_object_get(m, "batch_credential_issuance"), "{\"batch_size\":10}");
    assert_json(json_object_get(m, "display"), "[{\"name\":\"gramota\",\"locale\":\"en\"}]");
    assert_json(json_object_get(m, "authorization_servers"), "[\"" ISSUER "\"]");
    assert_null(json_object_get(m, "credential_response_encryption"));
    assert_null(json_object_get(m, "credential_request_encryption"));
    assert_null(json_object_get(m, "deferred_credential_endpoint"));
    assert_null(json_object_get(m, "signed_metadata"));
    assert_int_equal(json_object_size(configs), 2);
    assert_non_null(json_object_get(configs, "membership_card"));
    /* WALLET.md checklist 4, in the default set's plain-jwk form */
    assert_member(pid, "format", "dc+sd-jwt");
    assert_member(pid, "vct", "urn:eudi:pid:1");
    assert_member(pid, "scope", PID_ID);
    assert_json(json_object_get(pid, "cryptographic_binding_methods_supported"), "[\"jwk\"]");
    assert_json(json_object_get(pid, "credential_signing_alg_values_supported"), "[\"ES256\"]");
    assert_json(json_object_get(pid, "proof_types_supported"),
                "{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}");
    assert_json(json_object_get(md, "display"), "[{\"name\":\"PID\",\"locale\":\"en\"}]");
    assert_int_equal(json_array_size(json_object_get(md, "claims")), 29);
    assert_json(json_array_get(json_object_get(md, "claims"), 0),
                "{\"path\":[\"family_name\"],\"mandatory\":true,"
                "\"display\":[{\"name\":\"Family name(s)\",\"locale\":\"en\"}]}");
    assert_json(json_object_get(json_array_get(json_object_get(md, "claims"), 10), "path"),
                "[\"address\",\"street_address\"]");
    /* gramota's own members stay at home */
    assert_null(json_object_get(pid, "id"));
    assert_null(json_object_get(pid, "gramota"));
    assert_null(json_object_get(pid, "disclosable"));
    json_decref(m);
}

/* Optional members come and go with the settings; the URL keeps its trailing slash. */
static void test_issuer_metadata_options(void **state)
{
    struct fixture *f = *state;
    struct gr_issuer_settings s = settings(ISSUER "/tenant/");
    json_t *m;

    s.batch_size = 1;
    s.notification_endpoint = false;
    s.display_name = (struct gr_str){ NULL, 0 };
    m = doc(gr_metadata_issuer_json, f->types, &s);
    assert_member(m, "credential_issuer", ISSUER "/tenant/");
    assert_member(m, "credential_endpoint", ISSUER "/tenant/oid4vci/credential");
    assert_member(m, "nonce_endpoint", ISSUER "/tenant/oid4vci/nonce");
    assert_null(json_object_get(m, "notification_endpoint"));
    assert_null(json_object_get(m, "batch_credential_issuance"));
    assert_null(json_object_get(m, "display"));
    json_decref(m);
    s = settings("http://localhost:8080");
    s.batch_size = 2;
    s.display_locale = (struct gr_str){ NULL, 0 };
    m = doc(gr_metadata_issuer_json, f->types, &s);
    assert_member(m, "credential_endpoint", "http://localhost:8080/oid4vci/credential");
    assert_json(json_object_get(m, "batch_credential_issuance"), "{\"batch_size\":2}");
    assert_json(json_object_get(m, "display"), "[{\"name\":\"gramota\"}]");
    json_decref(m);
}

/* The document begins as a wallet's byte-wise reader sees it. */
static void test_issuer_metadata_bytes(void **state)
{
    static const char head[] = "{\"credential_issuer\":\"" ISSUER "\","
                               "\"authorization_servers\":[\"" ISSUER "\"],"
                               "\"credential_endpoint\":\"" ISSUER "/oid4vci/credential\","
                               "\"nonce_endpoint\":\"" ISSUER "/oid4vci/nonce\","
                               "\"notification_endpoint\":\"" ISSUER "/oid4vci/notification\","
                               "\"batch_credential_issuance\":{\"batch_size\":10},"
                               "\"display\":[{\"name\":\"gramota\",\"locale\":\"en\"}],"
                               "\"credential_configurations_supported\":{\"" PID_ID "\":"
                               "{\"format\":\"dc+sd-jwt\",\"scope\":\"" PID_ID "\","
                               "\"vct\":\"urn:eudi:pid:1\",";
    struct fixture *f = *state;
    struct gr_issuer_settings s = settings(ISSUER);
    struct gr_buf out;
    struct gr_err err;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_issuer_json(f->types, &s, &out, &err), 0);
    assert_memory_equal(out.data, head, sizeof(head) - 1);
    gr_buf_release(&out);
    gr_buf_init(&out, 64); /* the caller's cap holds */
    assert_code(t_code(gr_metadata_issuer_json(f->types, &s, &out, &err), &err), GR_ERR_TOO_LARGE);
    gr_buf_release(&out);
}

static void test_settings_refused(void **state)
{
    static const struct {
        const char *why;
        int batch;
        const char *name, *locale;
        enum gr_errc code;
    } cases[] = {
        { "batch too large", 101, "gramota", "en", GR_ERR_USAGE },
        { "batch negative", -1, "gramota", "en", GR_ERR_USAGE },
        { "locale with a space", 10, "gramota", "en US", GR_ERR_MALFORMED },
        { "name not UTF-8", 10, "gr\xff", "en", GR_ERR_MALFORMED },
    };
    struct fixture *f = *state;
    struct gr_buf out;
    struct gr_err err;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_issuer_settings s = settings(ISSUER);

        s.batch_size = cases[i].batch;
        s.display_name = gr_str_c(cases[i].name);
        s.display_locale = gr_str_c(cases[i].locale);
        gr_buf_reset(&out);
        if (t_code(gr_metadata_issuer_json(f->types, &s, &out, &err), &err) != cases[i].code)
            fail_msg("%s: not refused as expected", cases[i].why);
        assert_code(t_code(gr_metadata_as_json(f->types, &s, &out, &err), &err), cases[i].code);
    }
    gr_buf_release(&out);
}

/* ---- Authorization Server Metadata ---- */

static void test_as_metadata(void **state)
{
    static const struct {
        enum gr_client_attestation_mode ca;
        bool anonymous;
        const char *methods;
    } cases[] = {
        { GR_CLIENT_ATTESTATION_OFF, true, "[\"none\"]" },
        { GR_CLIENT_ATTESTATION_OPTIONAL, true, "[\"none\",\"attest_jwt_client_auth\"]" },
        { GR_CLIENT_ATTESTATION_REQUIRED, false, "[\"attest_jwt_client_auth\"]" },
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_issuer_settings s = settings(ISSUER "/tenant");
        json_t *m;

        s.client_attestation = cases[i].ca;
        m = doc(gr_metadata_as_json, f->types, &s);
        assert_member(m, "issuer", ISSUER "/tenant");
        assert_member(m, "token_endpoint", ISSUER "/tenant/oid4vci/token");
        assert_json(json_object_get(m, "grant_types_supported"),
                    "[\"urn:ietf:params:oauth:grant-type:pre-authorized_code\"]");
        assert_int_equal(
            json_is_true(json_object_get(m, "pre-authorized_grant_anonymous_access_supported")),
            cases[i].anonymous);
        assert_json(json_object_get(m, "token_endpoint_auth_methods_supported"), cases[i].methods);
        if (cases[i].ca == GR_CLIENT_ATTESTATION_OFF) {
            assert_null(json_object_get(m, "client_attestation_signing_alg_values_supported"));
            assert_null(json_object_get(m, "client_attestation_pop_signing_alg_values_supported"));
        } else {
            assert_json(json_object_get(m, "client_attestation_signing_alg_values_supported"),
                        "[\"ES256\"]");
            assert_json(json_object_get(m, "client_attestation_pop_signing_alg_values_supported"),
                        "[\"ES256\"]");
        }
        assert_json(json_object_get(m, "dpop_signing_alg_values_supported"), "[\"ES256\"]");
        assert_json(json_object_get(m, "scopes_supported"), "[\"" PID_ID "\",\"membership_card\"]");
        /* the pre-authorized flow only: nothing of RAR or the authorization endpoint */
        assert_null(json_object_get(m, "authorization_details_types_supported"));
        assert_null(json_object_get(m, "authorization_endpoint"));
        json_decref(m);
    }
}

/* ---- JWT VC Issuer Metadata ---- */

static void test_jwt_vc_issuer(void **state)
{
    struct gr_jwk *k1 = t_jwk(T4_ISSUER_JWK), *k2 = t_jwk(T4_HOLDER_JWK);
    const struct gr_jwk *keys[2] = { k1, k2 };
    const char *kids[2] = { "doc-signer-05-25-2022", "next" };
    struct gr_issuer_settings s = settings(ISSUER "/tenant");
    struct gr_buf out, jwk;
    struct gr_err err;
    json_t *m, *key;
    struct gr_jwk *back;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 2, &out, &err), 0);
    m = json_loads(out.data, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(m);
    assert_member(m, "issuer", ISSUER "/tenant");
    assert_null(json_object_get(m, "jwks_uri")); /* exactly one of jwks, jwks_uri */
    assert_int_equal(json_array_size(json_object_get(json_object_get(m, "jwks"), "keys")), 2);
    key = json_array_get(json_object_get(json_object_get(m, "jwks"), "keys"), 0);
    assert_member(key, "kty", "EC");
    assert_member(key, "crv", "P-256");
    assert_member(key, "kid", "doc-signer-05-25-2022");
    assert_member(key, "alg", "ES256");
    assert_member(key, "use", "sig");
    assert_null(json_object_get(key, "d")); /* public halves only */
    assert_int_equal(json_object_size(key), 7);
    gr_buf_init(&jwk, GR_BUF_UNBOUNDED);
    gr__json_dump(key, false, &jwk);
    back = gr_jwk_parse(gr_buf_str(&jwk), GR_JWK_PUBLIC, &err);
    assert_non_null(back);
    assert_true(gr_jwk_equal(back, k1));
    assert_member(json_array_get(json_object_get(json_object_get(m, "jwks"), "keys"), 1), "kid",
                  "next");
    gr_jwk_free(back);
    gr_buf_release(&jwk);
    json_decref(m);
    /* refusals */
    gr_buf_reset(&out);
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 0, &out, &err), &err),
                GR_ERR_USAGE);
    kids[1] = kids[0];
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 2, &out, &err), &err),
                GR_ERR_USAGE);
    kids[1] = "";
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 2, &out, &err), &err),
                GR_ERR_USAGE);
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, NULL, 1, &out, &err), &err),
                GR_ERR_USAGE);
    s.issuer_url = GR_STR(ISSUER "?x=1");
    assert_code(t_code(gr_metadata_jwt_vc_issuer_json(&s, keys, kids, 1, &out, &err), &err),
                GR_ERR_MALFORMED);
    gr_buf_release(&out);
    gr_jwk_free(k1);
    gr_jwk_free(k2);
}

/* ---- the issuer identifier and the well-known paths ---- */

static void test_wellknown_paths(void **state)
{
    static const struct {
        const char *url, *name, *v1, *draft13;
    } cases[] = {
        /* SPECS.md §2.1 */
        { ISSUER, "openid-credential-issuer", "/.well-known/openid-credential-issuer", "" },
        { ISSUER "/tenant", "openid-credential-issuer",
          "/.well-known/openid-credential-issuer/tenant",
          "/tenant/.well-known/openid-credential-issuer" },
        { ISSUER "/tenant/", "openid-credential-issuer",
          "/.well-known/openid-credential-issuer/tenant",
          "/tenant/.well-known/openid-credential-issuer" },
        { "https://issuer.example.com:8443/tenant", "openid-credential-issuer",
          "/.well-known/openid-credential-issuer/tenant",
          "/tenant/.well-known/openid-credential-issuer" },
        { "https://issuer.example.com:8443", "openid-credential-issuer",
          "/.well-known/openid-credential-issuer", "" },
        { ISSUER "/", "openid-credential-issuer", "/.well-known/openid-credential-issuer", "" },
        { ISSUER "/a/b-c/d_e~f.g", "openid-credential-issuer",
          "/.well-known/openid-credential-issuer/a/b-c/d_e~f.g",
          "/a/b-c/d_e~f.g/.well-known/openid-credential-issuer" },
        /* RFC 8414 §3.1, and the appended form clients fall back to */
        { ISSUER, "oauth-authorization-server", "/.well-known/oauth-authorization-server", "" },
        { ISSUER "/tenant", "oauth-authorization-server",
          "/.well-known/oauth-authorization-server/tenant",
          "/tenant/.well-known/oauth-authorization-server" },
        /* SD-JWT VC §4: inserted only */
        { ISSUER, "jwt-vc-issuer", "/.well-known/jwt-vc-issuer", "" },
        { ISSUER "/tenant/1234/", "jwt-vc-issuer", "/.well-known/jwt-vc-issuer/tenant/1234", "" },
        { "http://localhost:8080", "jwt-vc-issuer", "/.well-known/jwt-vc-issuer", "" },
    };
    struct gr_buf v1, d13;
    struct gr_err err;

    (void)state;
    gr_buf_init(&v1, GR_BUF_UNBOUNDED);
    gr_buf_init(&d13, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        gr_buf_reset(&v1);
        gr_buf_reset(&d13);
        if (gr_metadata_wellknown_paths(gr_str_c(cases[i].url), cases[i].name, &v1, &d13, &err) < 0)
            fail_msg("%s: %s", cases[i].url, err.desc);
        assert_string_equal(v1.len ? v1.data : "", cases[i].v1);
        assert_string_equal(d13.len ? d13.data : "", cases[i].draft13);
    }
    gr_buf_reset(&v1);
    assert_int_equal(gr_metadata_wellknown_paths(GR_STR(ISSUER "/t"), "openid-credential-issuer",
                                                 &v1, NULL, &err),
                     0);
    assert_code(
        t_code(gr_metadata_wellknown_paths(GR_STR(ISSUER), "openid-configuration", &v1, &d13, &err),
               &err),
        GR_ERR_USAGE);
    assert_code(
        t_code(gr_metadata_wellknown_paths(GR_STR("ftp://x"), "jwt-vc-issuer", &v1, &d13, &err),
               &err),
        GR_ERR_MALFORMED);
    gr_buf_release(&v1);
    gr_buf_release(&d13);
}

static void test_issuer_url_parts(void **state)
{
    static const struct {
        const char *url, *base, *host, *path;
        unsigned port;
        bool https, loopback;
    } cases[] = {
        { ISSUER, ISSUER, "issuer.example.com", "", 0, true, false },
        { ISSUER "/tenant/", ISSUER "/tenant", "issuer.example.com", "/tenant", 0, true, false },
        { "https://issuer.example.com:443/x", "https://issuer.example.com:443/x",
          "issuer.example.com", "/x", 443, true, false },
        { "http://localhost:8080", "http://localhost:8080", "localhost", "", 8080, false, true },
        { "http://127.0.0.1:9", "http://127.0.0.1:9", "127.0.0.1", "", 9, false, true },
        { "http://wallet.localhost/", "http://wallet.localhost", "wallet.localhost", "", 0, false,
          true },
        { "https://[::1]:8443/a", "https://[::1]:8443/a", "[::1]", "/a", 8443, true, true },
        { "https://[2001:db8::7]", "https://[2001:db8::7]", "[2001:db8::7]", "", 0, true, false },
        { "http://issuer_1.internal:65535", "http://issuer_1.internal:65535", "issuer_1.internal",
          "", 65535, false, false },
        { "http://127.example.com", "http://127.example.com", "127.example.com", "", 0, false,
          false },
    };
    struct gr_issuer_url u;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        if (gr_issuer_url_parse(gr_str_c(cases[i].url), &u, &err) < 0)
            fail_msg("%s: %s", cases[i].url, err.desc);
        assert_true(gr_str_eq_c(u.base, cases[i].base));
        assert_true(gr_str_eq_c(u.host, cases[i].host));
        assert_true(gr_str_eq_c(u.path, cases[i].path));
        assert_int_equal(u.port, cases[i].port);
        assert_int_equal(u.https, cases[i].https);
        assert_int_equal(u.loopback, cases[i].loopback);
    }
}

static void test_bad_issuer_urls(void **state)
{
    static const char *const bad[] = {
        "",
        ISSUER "?tenant=1",
        ISSUER "/path?",
        ISSUER "#top",
        ISSUER "/a#",
        "https://user@issuer.example.com",
        "https://user:pw@issuer.example.com/x",
        "ftp://issuer.example.com",
        "HTTPS://issuer.example.com",
        "https:/issuer.example.com",
        "issuer.example.com",
        "https://",
        "https:///tenant",
        "https://:8443",
        "https://Issuer.Example.com",
        "https://issuer example.com",
        "https://issuer.example.com\t",
        "https://iss%75er.example.com",
        "https://issuer.example.com:",
        "https://issuer.example.com:0",
        "https://issuer.example.com:65536",
        "https://issuer.example.com:443x",
        "https://issuer.example.com:-1",
        "https://[::1",
        "https://[]",
        "https://[::1]x",
        "https://[::G]",
        ISSUER "//",
        ISSUER "/a//b",
        ISSUER "/./a",
        ISSUER "/a/..",
        ISSUER "/a b",
        ISSUER "/caf\xc3\xa9",
        ISSUER "/a%20b",
        ISSUER "/a\\b",
        ISSUER "/a\"b",
    };
    char longest[600];
    struct gr_issuer_url u;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        if (gr_issuer_url_parse(gr_str_c(bad[i]), &u, &err) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_code(err.code, GR_ERR_MALFORMED);
        assert_null(strchr(err.desc, '"'));
    }
    memset(longest, 'a', sizeof(longest));
    memcpy(longest, "https://", 8);
    assert_code(
        t_code(gr_issuer_url_parse((struct gr_str){ longest, sizeof(longest) }, &u, &err), &err),
        GR_ERR_TOO_LARGE);
    assert_int_equal(gr_issuer_url_parse((struct gr_str){ longest, 512 }, &u, &err), 0);
}

/* Signed metadata (§12.2.3): typ, the signer's kid and x5c, every parameter plus sub, iss, iat. */
static void test_issuer_metadata_signed(void **state)
{
    struct fixture *f = *state;
    struct gr_issuer_settings s = settings(ISSUER);
    struct gr_jwk *key = t_keygen();
    struct gr_buf json, chain, jwt;
    struct gr_signer *signer;
    struct gr_jws jws;
    struct gr_err err;
    json_t *p;

    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_buf_init(&chain, GR_BUF_UNBOUNDED);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, true, &json);
    assert_int_equal(gr_cert_chain_make(key, "issuer.example.com", 30, &chain, &err), 0);
    signer = gr_signer_new_key(t_jwk(json.data), gr_buf_str(&chain), &err);
    assert_non_null(signer);
    assert_int_equal(gr_metadata_issuer_signed(f->types, &s, signer, 1764000000, &jwt, &err), 0);
    gr_jws_init(&jws);
    assert_int_equal(gr_jws_parse(gr_buf_str(&jwt), &jws, &err), 0);
    assert_true(gr_jws_typ_is(jws.typ, "openidvci-issuer-metadata+jwt"));
    assert_true(gr_str_eq(jws.kid, gr_signer_kid(signer)));
    assert_int_equal(jws.x5c_count, 1); /* the leaf; the CA is the anchor, left out */
    assert_int_equal(gr_jws_verify(&jws, gr_signer_jwk(signer), &err), 0);
    p = gr__json_t(jws.payload_json);
    assert_string_equal(json_string_value(json_object_get(p, "credential_issuer")), ISSUER);
    assert_string_equal(json_string_value(json_object_get(p, "sub")), ISSUER);
    assert_string_equal(json_string_value(json_object_get(p, "iss")), ISSUER);
    assert_int_equal(json_integer_value(json_object_get(p, "iat")), 1764000000);
    assert_non_null(
        json_object_get(json_object_get(p, "credential_configurations_supported"), PID_ID));
    gr_jws_release(&jws);
    gr_signer_free(signer);
    gr_jwk_free(key);
    gr_buf_release(&json);
    gr_buf_release(&chain);
    gr_buf_release(&jwt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issuer_metadata),
        cmocka_unit_test(test_issuer_metadata_options),
        cmocka_unit_test(test_issuer_metadata_bytes),
        cmocka_unit_test(test_settings_refused),
        cmocka_unit_test(test_as_metadata),
        cmocka_unit_test(test_jwt_vc_issuer),
        cmocka_unit_test(test_wellknown_paths),
        cmocka_unit_test(test_issuer_url_parts),
        cmocka_unit_test(test_bad_issuer_urls),
        cmocka_unit_test(test_issuer_metadata_signed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

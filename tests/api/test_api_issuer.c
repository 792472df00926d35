/*
 * The pieces an issuer built on the library answers with, through the
 * installed headers only: fresh secrets and transaction codes (crypto.h,
 * oid4vci.h), the key proofs of one request checked together (proof.h), the
 * Authorization header and the error answers (oauth.h), and the token and
 * credential responses (oid4vci.h).
 */
#include "testutil.h"

#include <string.h>

#include <jansson.h>

#define NOW 1700000000
#define AUD "https://issuer.example.com"

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- secrets and transaction codes ---- */

static void test_secret(void **state)
{
    char a[GR_SECRET_LEN + 1], b[GR_SECRET_LEN + 1];
    uint8_t hash[GR_SHA256_LEN], want[GR_SHA256_LEN];
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_secret_new(a, hash, &err), 0);
    assert_int_equal(strlen(a), GR_SECRET_LEN);
    assert_int_equal(strspn(a, b64url_chars), GR_SECRET_LEN);
    gr_sha256(a, strlen(a), want);
    assert_memory_equal(hash, want, sizeof(want));     /* the hash of the characters, as sent */
    assert_int_equal(gr_secret_new(b, NULL, &err), 0); /* no hash wanted */
    assert_int_equal(strlen(b), GR_SECRET_LEN);
    assert_string_not_equal(a, b);
}

static void test_tx_code(void **state)
{
    static const char text_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    char code[GR_TX_CODE_MAX + 2];
    unsigned digits[10] = { 0 };
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_tx_code_new(GR_TX_NUMERIC, 6, code, &err), 0);
    assert_int_equal(strlen(code), 6);
    assert_int_equal(strspn(code, "0123456789"), 6);
    assert_int_equal(gr_tx_code_new(GR_TX_TEXT, GR_TX_CODE_MAX, code, &err), 0);
    assert_int_equal(strlen(code), GR_TX_CODE_MAX);
    assert_int_equal(strspn(code, text_alphabet), GR_TX_CODE_MAX); /* no 0, O, 1 or I */
    assert_code(t_code(gr_tx_code_new(GR_TX_NUMERIC, 0, code, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_tx_code_new(GR_TX_TEXT, GR_TX_CODE_MAX + 1, code, &err), &err),
                GR_ERR_USAGE);

    /*
     * Every digit equally likely: 20 000 digits, 2 000 expected each, standard
     * deviation 42. A modulo bias (256 % 10 = 6 values favoured) would give
     * the digits 0-5 about 2 040 and 6-9 about 1 940; the bound below is 7
     * deviations, which chance does not reach.
     */
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(gr_tx_code_new(GR_TX_NUMERIC, 10, code, &err), 0);
        for (int j = 0; j < 10; j++)
            digits[code[j] - '0']++;
    }
    for (int d = 0; d < 10; d++) {
        if (digits[d] < 1700 || digits[d] > 2300)
            fail_msg("digit %d drawn %u times of 20000", d, digits[d]);
    }
}

/* ---- making an offer ---- */

#define DEGREE                                                                                  \
    "{\"id\":\"degree\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:example:"     \
    "degree\","                                                                                 \
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"                                    \
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}," \
    "\"credential_metadata\":{\"claims\":[{\"path\":[\"name\"],\"mandatory\":true},"            \
    "{\"path\":[\"degree\"]}]}},\"gramota\":{\"lifetime_days\":2,\"disclosable\":[\"degree\"]}}"
#define BADGE                                                                                      \
    "{\"id\":\"badge\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:example:badge\"," \
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"                                       \
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}}}"

struct offering {
    struct gr_cred_types *types;
    struct gr_signer *signer;
    struct gr_offer_issuer is;
};

static int offering_setup(void **state)
{
    const struct gr_str texts[] = { GR_STR(DEGREE), GR_STR(BADGE) };
    struct offering *o = calloc(1, sizeof(*o));
    struct gr_err err;

    assert_non_null(o);
    o->types = gr_cred_types_parse(texts, GR_NELEM(texts), &err);
    o->signer = gr_signer_new_key(gr_jwk_generate(&err), (struct gr_str){ NULL, 0 }, &err);
    if (o->types == NULL || o->signer == NULL)
        fail_msg("%s", err.desc);
    o->is = (struct gr_offer_issuer){
        .issuer_url = GR_STR(AUD), .types = o->types, .signer = o->signer, .tx_code_length = 8
    };
    *state = o;
    return 0;
}

static int offering_teardown(void **state)
{
    struct offering *o = *state;

    gr_cred_types_free(o->types);
    gr_signer_free(o->signer);
    free(o);
    return 0;
}

/* gr_offer_make over the request `body`; on failure `m` must be left empty. */
static enum gr_errc make(const struct offering *o, const char *body, struct gr_offer_made *m)
{
    static const struct gr_offer_made zero;
    struct gr_offer_request req;
    struct gr_err err;
    int rc;

    if (gr_offer_request_parse(gr_str_c(body), &req, &err) < 0)
        fail_msg("parse: %s", err.desc);
    rc = gr_offer_make(&o->is, &req, NOW, m, &err);
    gr_offer_request_release(&req);
    if (rc < 0)
        assert_memory_equal(m, &zero, sizeof(zero));
    return t_code(rc, &err);
}

static void test_offer_make(void **state)
{
    const struct offering *o = *state;
    const struct gr_jwk *holder[1];
    struct gr_sdjwt_vc_issued out[1];
    struct gr_offer_made m;
    uint8_t hash[GR_SHA256_LEN];
    struct gr_err err;

    assert_code(make(o,
                     "{\"credentialConfigurationId\":\"degree\",\"subject\":"
                     "{\"name\":\"Ada\",\"degree\":\"BSc\",\"extra\":1},\"txCode\":true}",
                     &m),
                GR_ERR_OK);
    assert_ptr_equal(m.type, gr_cred_types_get(o->types, GR_STR("degree")));
    assert_string_equal(m.offer.config_id, "degree");
    assert_int_equal(m.offer.state, GR_OFFER_PENDING);
    assert_int_equal(m.offer.created_at, NOW);
    assert_int_equal(m.offer.expires_at, NOW + 1800);         /* the default lifetime */
    assert_int_equal(m.offer.credential_lifetime, 2 * 86400); /* the type's */
    assert_int_equal(strlen(m.offer.id), GR_STORE_ID_LEN);
    assert_int_equal(strlen(m.code), GR_SECRET_LEN);
    gr_sha256(m.code, strlen(m.code), hash);
    assert_memory_equal(hash, m.offer.code_hash, sizeof(hash));
    assert_true(m.offer.has_tx_code);
    assert_int_equal(m.offer.tx_length, 8); /* the issuer's default */
    assert_int_equal(strlen(m.tx_code), 8);
    gr_sha256(m.tx_code, strlen(m.tx_code), hash);
    assert_memory_equal(hash, m.offer.tx_code_hash, sizeof(hash));
    /* by default the type's paths and every other claim travel as disclosures */
    assert_string_equal(m.offer.disclosable_json, "[\"degree\",\"name\",\"extra\"]");
    assert_string_equal(m.offer.subject_json, "{\"name\":\"Ada\",\"degree\":\"BSc\",\"extra\":1}");
    /* the template issues, with the issuer's iss */
    holder[0] = gr_signer_jwk(o->signer);
    assert_non_null(m.tpl);
    assert_int_equal(
        gr_sdjwt_vc_issue(m.tpl,
                          &(struct gr_sdjwt_vc_batch){
                              .iat = NOW, .exp = NOW + 60, .count = 1, .holder_keys = holder },
                          out, &err),
        0);
    assert_non_null(strstr(out[0].credential.data, "~")); /* disclosures */
    gr_sdjwt_vc_issued_release(out, 1);
    gr_offer_made_release(&m);
    assert_null(m.tpl);
    gr_offer_made_release(&m); /* twice is harmless */
    gr_offer_made_release(NULL);

    /* by vct, the request's own disclosable list, lifetimes and a text code of its own */
    assert_code(make(o,
                     "{\"vct\":\"urn:example:badge\",\"subject\":{\"a\":1,\"b\":2},"
                     "\"selectivelyDisclosable\":[\"b\"],\"expiresIn\":60,"
                     "\"credentialExpiresIn\":120,\"byReference\":true,"
                     "\"txCode\":{\"length\":5,\"inputMode\":\"text\",\"description\":\"Letter\"}}",
                     &m),
                GR_ERR_OK);
    assert_string_equal(m.offer.config_id, "badge");
    assert_string_equal(m.offer.disclosable_json, "[\"b\"]");
    assert_int_equal(m.offer.expires_at, NOW + 60);
    assert_int_equal(m.offer.credential_lifetime, 120);
    assert_true(m.offer.by_reference);
    assert_int_equal(m.offer.tx_input_mode, GR_TX_TEXT);
    assert_int_equal(strlen(m.tx_code), 5);
    assert_string_equal(m.offer.tx_description, "Letter");
    gr_offer_made_release(&m);
}

static void test_offer_refused(void **state)
{
    const struct offering *o = *state;
    struct gr_offer_made m;
    struct gr_offer_request req;
    struct gr_err err;

    /* a mandatory claim missing */
    assert_code(
        make(o, "{\"credentialConfigurationId\":\"degree\",\"subject\":{\"degree\":1}}", &m),
        GR_ERR_INVALID_REQUEST);
    /* no such configuration, by either name */
    assert_code(make(o, "{\"credentialConfigurationId\":\"nope\",\"subject\":{}}", &m),
                GR_ERR_INVALID_REQUEST);
    assert_code(make(o, "{\"vct\":\"urn:nope\",\"subject\":{}}", &m), GR_ERR_INVALID_REQUEST);
    /* claims issuance would refuse: a name SD-JWT VC reserves */
    assert_code(make(o, "{\"vct\":\"urn:example:badge\",\"subject\":{\"cnf\":1}}", &m),
                GR_ERR_INVALID_REQUEST);
    /* no signer to check the claims for */
    assert_int_equal(gr_offer_request_parse(
                         GR_STR("{\"vct\":\"urn:example:badge\",\"subject\":{}}"), &req, &err),
                     0);
    assert_code(
        t_code(gr_offer_make(&(struct gr_offer_issuer){ .types = o->types }, &req, NOW, &m, &err),
               &err),
        GR_ERR_USAGE);
    gr_offer_request_release(&req);
}

/* ---- the key proofs of one request ---- */

struct wallet {
    struct gr_jwk *key[4];
    struct gr_buf jwt[4];
};

/* A jwt proof by key[i] for AUD at NOW with `nonce` (NULL: none). */
static void make_proof(struct wallet *w, size_t i, const char *nonce)
{
    struct gr_buf header, payload, pub;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&pub, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(w->key[i], false, &pub);
    gr_buf_printf(&header, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":%s}",
                  pub.data);
    gr_buf_printf(&payload, "{\"aud\":\"%s\",\"iat\":%d", AUD, NOW);
    if (nonce)
        gr_buf_printf(&payload, ",\"nonce\":\"%s\"", nonce);
    gr_buf_addc(&payload, '}');
    gr_buf_reset(&w->jwt[i]);
    if (gr_jws_sign(w->key[i], gr_buf_str(&header), gr_buf_str(&payload), &w->jwt[i], &err) < 0)
        fail_msg("sign: %s", err.desc);
    gr_buf_release(&header);
    gr_buf_release(&payload);
    gr_buf_release(&pub);
}

static int wallet_setup(void **state)
{
    struct wallet *w = calloc(1, sizeof(*w));
    struct gr_err err;

    assert_non_null(w);
    for (size_t i = 0; i < GR_NELEM(w->key); i++) {
        w->key[i] = gr_jwk_generate(&err);
        assert_non_null(w->key[i]);
        gr_buf_init(&w->jwt[i], GR_BUF_UNBOUNDED);
        make_proof(w, i, "n-1");
    }
    *state = w;
    return 0;
}

static int wallet_teardown(void **state)
{
    struct wallet *w = *state;

    for (size_t i = 0; i < GR_NELEM(w->key); i++) {
        gr_jwk_free(w->key[i]);
        gr_buf_release(&w->jwt[i]);
    }
    free(w);
    return 0;
}

static bool proofs_empty(const struct gr_proofs *p)
{
    static const struct gr_proofs zero;

    return memcmp(p, &zero, sizeof(zero)) == 0;
}

/* gr_proofs_verify over the wallet's proofs `idx` (indices, -1 ended), batch `max_keys`. */
static enum gr_errc verify(struct wallet *w, const int *idx, size_t max_keys, struct gr_proofs *out)
{
    const struct gr_proof_check c = { .audience = GR_STR(AUD), .now = NOW };
    struct gr_str jwts[8];
    struct gr_err err;
    size_t n = 0;
    int rc;

    while (idx[n] >= 0) {
        jwts[n] = gr_buf_str(&w->jwt[idx[n]]);
        n++;
    }
    rc = gr_proofs_verify(&c, GR_PROOF_JWT, jwts, n, max_keys, out, &err);
    if (rc < 0)
        assert_true(proofs_empty(out)); /* nothing left to release on failure */
    return t_code(rc, &err);
}

static void test_proofs_batch(void **state)
{
    struct wallet *w = *state;
    struct gr_proofs p;

    assert_code(verify(w, (int[]){ 0, 1, 2, -1 }, 3, &p), GR_ERR_OK);
    assert_int_equal(p.proof_count, 3);
    assert_int_equal(p.key_count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(gr_jwk_equal(p.keys[i], w->key[i])); /* in the request's order */
    assert_string_equal(p.nonce, "n-1");
    gr_proofs_release(&p);
    assert_true(proofs_empty(&p));
    gr_proofs_release(&p); /* twice is harmless */
    gr_proofs_release(NULL);
}

static void test_proofs_refused(void **state)
{
    struct wallet *w = *state;
    struct gr_proofs p;
    struct gr_err err;
    const struct gr_proof_check c = { .audience = GR_STR(AUD), .now = NOW };
    struct gr_str one = gr_buf_str(&w->jwt[0]);

    /* the same key proven twice */
    assert_code(verify(w, (int[]){ 0, 1, 0, -1 }, 4, &p), GR_ERR_INVALID_PROOF);
    /* more keys than the batch */
    assert_code(verify(w, (int[]){ 0, 1, 2, -1 }, 2, &p), GR_ERR_INVALID_CREDENTIAL_REQUEST);
    /* no proof, or no proof type */
    assert_code(verify(w, (int[]){ -1 }, 4, &p), GR_ERR_INVALID_PROOF);
    assert_code(t_code(gr_proofs_verify(&c, GR_PROOF_NONE, &one, 1, 4, &p, &err), &err),
                GR_ERR_INVALID_PROOF);
    /* an attestation proof where no wallet provider is trusted */
    assert_code(t_code(gr_proofs_verify(&c, GR_PROOF_ATTESTATION, &one, 1, 4, &p, &err), &err),
                GR_ERR_INVALID_PROOF);
    assert_true(proofs_empty(&p));
    /* two nonces, then none */
    make_proof(w, 3, "n-2");
    assert_code(verify(w, (int[]){ 0, 3, -1 }, 4, &p), GR_ERR_INVALID_PROOF);
    make_proof(w, 3, NULL);
    assert_code(verify(w, (int[]){ 3, -1 }, 4, &p), GR_ERR_INVALID_PROOF);
    /* a proof for another audience, after good ones */
    assert_code(t_code(gr_proofs_verify(
                           &(struct gr_proof_check){ .audience = GR_STR("https://x"), .now = NOW },
                           GR_PROOF_JWT, &one, 1, 4, &p, &err),
                       &err),
                GR_ERR_INVALID_PROOF);
    /* a proof too old */
    assert_code(t_code(gr_proofs_verify(
                           &(struct gr_proof_check){ .audience = GR_STR(AUD), .now = NOW + 3600 },
                           GR_PROOF_JWT, &one, 1, 4, &p, &err),
                       &err),
                GR_ERR_INVALID_PROOF);
    assert_code(t_code(gr_proofs_verify(NULL, GR_PROOF_JWT, &one, 1, 4, &p, &err), &err),
                GR_ERR_USAGE);
    make_proof(w, 3, "n-1");
}

/* ---- Authorization ---- */

static void test_authorization_parse(void **state)
{
    static const struct {
        const char *value;
        size_t len; /* 0: strlen */
        unsigned count;
        enum gr_errc want;
        enum gr_auth_scheme scheme;
        const char *token;
    } cases[] = {
        { "Bearer abc", 0, 1, GR_ERR_OK, GR_AUTH_BEARER, "abc" },
        { "bearer abc", 0, 1, GR_ERR_OK, GR_AUTH_BEARER, "abc" }, /* the scheme ignores case */
        { "DPoP aZ09-._~+/==", 0, 1, GR_ERR_OK, GR_AUTH_DPOP, "aZ09-._~+/==" },
        { "DPOP   tok", 0, 1, GR_ERR_OK, GR_AUTH_DPOP, "tok" }, /* 1*SP */
        { NULL, 0, 0, GR_ERR_UNAUTHORIZED, 0, NULL },
        { "Bearer abc", 0, 0, GR_ERR_UNAUTHORIZED, 0, NULL },
        { "Bearer abc", 0, 2, GR_ERR_INVALID_REQUEST, 0, NULL },
        { "Basic YWJj", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "BearerX abc", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer ", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer a b", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer abc ", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer a=b", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer ==", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer a\"b", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
        { "Bearer a\0b", 10, 1, GR_ERR_INVALID_TOKEN, 0, NULL }, /* an escaped NUL */
        { "\tBearer abc", 0, 1, GR_ERR_INVALID_TOKEN, 0, NULL },
    };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_str h = { cases[i].value, cases[i].len
                                                ? cases[i].len
                                                : (cases[i].value ? strlen(cases[i].value) : 0) };
        struct gr_authorization a;
        struct gr_err err;
        int rc = gr_authorization_parse(h, cases[i].count, &a, &err);

        if (t_code(rc, &err) != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(t_code(rc, &err)),
                     gr_errc_name(cases[i].want));
        if (rc == 0) {
            assert_int_equal(a.scheme, cases[i].scheme);
            assert_true(gr_str_eq_c(a.token, cases[i].token));
        }
    }
}

/* ---- error answers ---- */

static void test_error_json(void **state)
{
    struct gr_buf out;
    struct gr_err err;
    json_error_t jerr;
    json_t *j;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_fail(&err, GR_ERR_INVALID_PROOF, "A \"quoted\" \\ sentence.");
    assert_int_equal(gr_error_json(&err, &out), 400);
    j = json_loadb(out.data, out.len, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "invalid_proof");
    assert_string_equal(json_string_value(json_object_get(j, "error_description")),
                        "A \"quoted\" \\ sentence.");
    json_decref(j);

    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_BAD_KEY, "An internal code."); /* a bug's: never the client's */
    assert_int_equal(gr_error_json(&err, &out), 500);
    assert_non_null(strstr(out.data, "\"error\":\"server_error\""));

    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_TEMPORARILY_UNAVAILABLE, "%s", "");
    assert_int_equal(gr_error_json(&err, &out), 503);
    assert_string_equal(out.data, "{\"error\":\"temporarily_unavailable\"}");
    gr_buf_release(&out);
}

static void test_www_authenticate(void **state)
{
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_fail(&err, GR_ERR_UNAUTHORIZED, "No token.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_BEARER, &out), 401);
    assert_string_equal(out.data, "Bearer"); /* no error code without credentials */
    gr_buf_reset(&out);
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_DPOP, &out), 401);
    assert_string_equal(out.data, "DPoP algs=\"ES256\"");

    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_INVALID_TOKEN, "The token is \"old\"\\.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_BEARER, &out), 401);
    assert_string_equal(
        out.data, "Bearer error=\"invalid_token\", error_description=\"The token is  old  .\"");
    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_USE_DPOP_NONCE, "Use the nonce.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_DPOP, &out), 401);
    assert_string_equal(out.data, "DPoP error=\"use_dpop_nonce\", error_description=\"Use the "
                                  "nonce.\", algs=\"ES256\"");
    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_INSUFFICIENT_SCOPE, "Not this one.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_DPOP, &out), 403);
    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_INVALID_DPOP_PROOF, "Wrong key.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_DPOP, &out), 401);

    gr_buf_reset(&out);
    gr_fail(&err, GR_ERR_INVALID_PROOF, "Not the token's problem.");
    assert_int_equal(gr_www_authenticate(&err, GR_AUTH_BEARER, &out), 0);
    assert_int_equal(out.len, 0);
    gr_buf_release(&out);
}

/* ---- responses ---- */

static void test_token_response(void **state)
{
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_token_response_json(&(struct gr_token_response){ .access_token = GR_STR("t\"k"),
                                                        .dpop = true,
                                                        .expires_in = 300 },
                           &out);
    assert_string_equal(out.data,
                        "{\"access_token\":\"t\\\"k\",\"token_type\":\"DPoP\",\"expires_in\":300}");
    gr_buf_reset(&out);
    gr_token_response_json(&(struct gr_token_response){ .access_token = GR_STR("tk"),
                                                        .expires_in = 60,
                                                        .c_nonce = GR_STR("cn"),
                                                        .c_nonce_expires_in = 120 },
                           &out);
    assert_string_equal(out.data,
                        "{\"access_token\":\"tk\",\"token_type\":\"Bearer\","
                        "\"expires_in\":60,\"c_nonce\":\"cn\",\"c_nonce_expires_in\":120}");
    gr_buf_release(&out);
}

static void test_credential_response(void **state)
{
    struct gr_sdjwt_vc_issued issued[2];
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < 2; i++) {
        gr_buf_init(&issued[i].credential, GR_BUF_UNBOUNDED);
        gr_buf_printf(&issued[i].credential, "h.p.s~d%zu~", i);
    }
    gr_credential_response_json(GR_VCI_1_0, issued, 2, GR_STR("nid"), &out);
    assert_string_equal(out.data, "{\"credentials\":[{\"credential\":\"h.p.s~d0~\"},"
                                  "{\"credential\":\"h.p.s~d1~\"}],\"notification_id\":\"nid\"}");
    gr_buf_reset(&out);
    gr_credential_response_json(GR_VCI_DRAFT15, issued, 1, (struct gr_str){ NULL, 0 }, &out);
    assert_string_equal(out.data, "{\"credentials\":[{\"credential\":\"h.p.s~d0~\"}]}");
    gr_buf_reset(&out);
    gr_credential_response_json(GR_VCI_DRAFT13, issued, 1, GR_STR("nid"), &out);
    assert_string_equal(out.data, "{\"credential\":\"h.p.s~d0~\"}"); /* Draft 13: no notification */
    gr_sdjwt_vc_issued_release(issued, 2);
    gr_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_tx_code),
        cmocka_unit_test_setup_teardown(test_offer_make, offering_setup, offering_teardown),
        cmocka_unit_test_setup_teardown(test_offer_refused, offering_setup, offering_teardown),
        cmocka_unit_test_setup_teardown(test_proofs_batch, wallet_setup, wallet_teardown),
        cmocka_unit_test_setup_teardown(test_proofs_refused, wallet_setup, wallet_teardown),
        cmocka_unit_test(test_authorization_parse),
        cmocka_unit_test(test_error_json),
        cmocka_unit_test(test_www_authenticate),
        cmocka_unit_test(test_token_response),
        cmocka_unit_test(test_credential_response),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

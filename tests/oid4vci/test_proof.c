#include "testutil.h"
#include "wallet_provider.h"

#include <string.h>

#include <gramota/limits.h>
#include <gramota/proof.h>

/* SPECS.md T5: the key proof of OpenID4VCI 1.0 Appendix F.1, as in tests/jose/test_jws.c. */
static const char t5_proof[] =
    "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2Ij"
    "oiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tI"
    "VThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpY"
    "WwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUT"
    "R5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-j"
    "vh1WlA";
#define T5_IAT 1701960444
#define T5_AUD "https://credential-issuer.example.com"
#define T5_JKT "nsnRYXLu2y5KUIxcX-zph8ZtLWiJfLKxVDVYUWPwhcc"

#define NOW 1700000000
#define AUD "https://issuer.example.com"

static struct gr_proof_check check_for(const char *jwt, const char *aud, int64_t now)
{
    return (struct gr_proof_check){ .jwt = gr_str_c(jwt), .audience = gr_str_c(aud), .now = now };
}

static bool is_empty(const struct gr_proof *p)
{
    struct gr_proof zero;

    memset(&zero, 0, sizeof(zero));
    return memcmp(p, &zero, sizeof(zero)) == 0;
}

/* Verify and release; a failure must leave `out` empty and carry a fit sentence. */
static enum gr_errc verify(const struct gr_proof_check *c, struct gr_proof *keep)
{
    struct gr_proof p;
    struct gr_err err;
    int rc = gr_proof_verify_jwt(c, &p, &err);

    if (rc < 0) {
        size_t n = strlen(err.desc);

        if (!is_empty(&p))
            fail_msg("a failure left something behind");
        if (n == 0 || err.desc[n - 1] != '.' || strpbrk(err.desc, "\"\\") != NULL)
            fail_msg("unfit sentence: %s", err.desc);
    }
    if (keep != NULL)
        *keep = p;
    else
        gr_proof_release(&p);
    return t_code(rc, &err);
}

static void test_t5(void **state)
{
    struct gr_proof_check c = check_for(t5_proof, T5_AUD, T5_IAT);
    struct gr_proof p;
    char jkt[GR_JWK_THUMBPRINT_B64_LEN + 1];

    (void)state;
    assert_code(verify(&c, &p), GR_ERR_OK);
    assert_non_null(p.key);
    assert_false(gr_jwk_is_private(p.key));
    gr_jwk_thumbprint_b64(p.key, jkt);
    assert_string_equal(jkt, T5_JKT);
    assert_true(p.has_nonce);
    assert_string_equal(p.nonce, "LarRGSbmUPYtRYO6BQ4yn8");
    gr_proof_release(&p);
    assert_true(is_empty(&p));
    gr_proof_release(&p);

    /* Near its iat, and with an authenticated client (T5 has no iss). */
    c.now = T5_IAT + 300;
    assert_code(verify(&c, NULL), GR_ERR_OK);
    c.now = T5_IAT - 60;
    c.client_id = GR_STR("wallet");
    assert_code(verify(&c, NULL), GR_ERR_OK);
    c.now = T5_IAT + 301;
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    c.now = T5_IAT - 61;
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    c.now = T5_IAT;
    c.audience = GR_STR("https://credential-issuer.example.com/");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    c.audience = GR_STR("https://credential-issuer.example.org");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    /* Without an issuer identifier there is nothing to check aud against. */
    c.audience = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c, NULL), GR_ERR_USAGE);
}

static enum gr_errc verify_t5_text(const char *text)
{
    struct gr_proof_check c = check_for(text, T5_AUD, T5_IAT);

    return verify(&c, NULL);
}

/* STYLE §4.2: each byte of the signature flipped. */
static void test_flipped_signature(void **state)
{
    (void)state;
    t_each_flipped_signature(t5_proof, verify_t5_text, GR_ERR_INVALID_PROOF);
}

#define HDR    "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}"
#define CLAIMS "\"aud\":\"" AUD "\",\"iat\":1700000000"
#define NONCE_256                                                                              \
    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"

/* Header and payload templates; signed with the proof key unless `sig` is given. */
static const struct {
    const char *header, *payload, *sig, *client_id;
    enum gr_errc code;
} cases[] = {
    { HDR, "{" CLAIMS ",\"nonce\":\"n-1\"}", NULL, NULL, GR_ERR_OK },
    { HDR, "{" CLAIMS "}", NULL, NULL, GR_ERR_OK }, /* no nonce: reported, not refused */
    /* typ, as a media type */
    { "{\"typ\":\"application/openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_OK },
    { "{\"typ\":\"OpenID4VCI-Proof+JWT\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_OK },
    { "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"key-attestation+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_INVALID_PROOF },
    { "{\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    /* alg: none, HMAC, others */
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"none\",\"jwk\":{JWK}}", "{" CLAIMS "}", "", NULL,
      GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"HS256\",\"jwk\":{JWK}}", "{" CLAIMS "}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES384\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"EdDSA\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"crit\":[\"b\"],\"b\":1,\"jwk\":{JWK}}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    /* the key: exactly one of kid, jwk, x5c, and only jwk is accepted */
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\"}", "{" CLAIMS "}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"did:example:123#key-1\"}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"x5c\":[\"MIIB\"]}", "{" CLAIMS "}",
      NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"k\",\"jwk\":{JWK}}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"x5c\":[\"MIIB\"],\"jwk\":{JWK}}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"k\",\"x5c\":[\"MIIB\"]}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK},"
      "\"key_attestation\":\"eyJ.eyJ.sig\"}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"key_attestation\":\"eyJ.eyJ.sig\"}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK},\"trust_chain\":[\"a\"]}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{PRIV}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{OTHER}}", "{" CLAIMS "}", NULL,
      NULL, GR_ERR_INVALID_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"RSA\","
      "\"n\":\"AQAB\",\"e\":\"AQAB\"}}",
      "{" CLAIMS "}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS "}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      NULL, GR_ERR_INVALID_PROOF },
    /* aud: this issuer, as a string or a one-element array */
    { HDR, "{\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":\"" AUD "/\",\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":\"https://Issuer.example.com\",\"iat\":1700000000}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":\"https://other.example.com\",\"iat\":1700000000}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":[\"" AUD "\"],\"iat\":1700000000}", NULL, NULL, GR_ERR_OK },
    { HDR, "{\"aud\":[\"" AUD "\",\"https://other.example.com\"],\"iat\":1700000000}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":[\"https://other.example.com\"],\"iat\":1700000000}", NULL, NULL,
      GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":[],\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":[[\"" AUD "\"]],\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":1,\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{\"aud\":{\"a\":\"" AUD "\"},\"iat\":1700000000}", NULL, NULL, GR_ERR_INVALID_PROOF },
/* iat: an integer, 300 s back, 60 s ahead */
#define IAT(t) "{\"aud\":\"" AUD "\",\"iat\":" t "}"
    { HDR, "{\"aud\":\"" AUD "\"}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("1699999700"), NULL, NULL, GR_ERR_OK },
    { HDR, IAT("1699999699"), NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("1700000060"), NULL, NULL, GR_ERR_OK },
    { HDR, IAT("1700000061"), NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("-9223372036854775808"), NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("9223372036854775807"), NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("1700000000.5"), NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, IAT("\"1700000000\""), NULL, NULL, GR_ERR_INVALID_PROOF },
    /* iss: the authenticated client when there is one; not read for anonymous pre-auth */
    { HDR, "{" CLAIMS ",\"iss\":\"wallet-1\"}", NULL, "wallet-1", GR_ERR_OK },
    { HDR, "{" CLAIMS "}", NULL, "wallet-1", GR_ERR_OK },
    { HDR, "{" CLAIMS ",\"iss\":\"wallet-2\"}", NULL, "wallet-1", GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"iss\":\"Wallet-1\"}", NULL, "wallet-1", GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"iss\":\"\"}", NULL, "wallet-1", GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"iss\":1}", NULL, "wallet-1", GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"iss\":[\"wallet-1\"]}", NULL, "wallet-1", GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"iss\":\"anyone\"}", NULL, NULL, GR_ERR_OK },
    { HDR, "{" CLAIMS ",\"iss\":1}", NULL, NULL, GR_ERR_OK },
    /* nonce: a string of 1..256 bytes when present */
    { HDR, "{" CLAIMS ",\"nonce\":\"" NONCE_256 "\"}", NULL, NULL, GR_ERR_OK },
    { HDR, "{" CLAIMS ",\"nonce\":\"" NONCE_256 "n\"}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"nonce\":\"\"}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"nonce\":1}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"nonce\":null}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"nonce\":\"a\\u0000b\"}", NULL, NULL, GR_ERR_INVALID_PROOF },
    { HDR, "{" CLAIMS ",\"nonce\":\"n\",\"nonce\":\"m\"}", NULL, NULL, GR_ERR_INVALID_PROOF },
    /* other claims are not read */
    { HDR, "{" CLAIMS ",\"exp\":1,\"jti\":1,\"sub\":[]}", NULL, NULL, GR_ERR_OK },
};

/* `tmpl` with {JWK}, {PRIV} and {OTHER} replaced by the fixture's keys. */
static void subst(const struct t_keys *f, const char *tmpl, struct gr_buf *out)
{
    const char *vars[] = { "{JWK}",      f->pub.data, "{PRIV}",
                           f->priv.data, "{OTHER}",   f->other_pub.data };

    gr_buf_reset(out);
    while (*tmpl) {
        size_t i = 0;

        while (i < GR_NELEM(vars) && strncmp(tmpl, vars[i], strlen(vars[i])) != 0) {
            i += 2;
        }
        if (i < GR_NELEM(vars)) {
            gr_buf_adds(out, vars[i + 1]);
            tmpl += strlen(vars[i]);
        } else {
            gr_buf_addc(out, *tmpl++);
        }
    }
}

static void build(const struct t_keys *f, const char *header, const char *payload, const char *sig,
                  struct gr_buf *out)
{
    struct gr_buf h, p;
    struct gr_err err;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    subst(f, header, &h);
    subst(f, payload, &p);
    gr_buf_reset(out);
    if (sig == NULL) {
        if (gr_jws_sign(f->key, gr_buf_str(&h), gr_buf_str(&p), out, &err) < 0)
            fail_msg("sign: %s", err.desc);
    } else {
        gr_buf_add_b64url(out, h.data, h.len);
        gr_buf_addc(out, '.');
        gr_buf_add_b64url(out, p.data, p.len);
        gr_buf_addc(out, '.');
        gr_buf_adds(out, sig);
    }
    gr_buf_release(&h);
    gr_buf_release(&p);
}

static void test_cases(void **state)
{
    struct t_keys f;
    struct gr_buf jwt;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_proof_check c;
        struct gr_proof p;
        enum gr_errc got;

        build(&f, cases[i].header, cases[i].payload, cases[i].sig, &jwt);
        c = check_for(jwt.data, AUD, NOW);
        c.client_id = gr_str_c(cases[i].client_id);
        if (cases[i].client_id == NULL)
            c.client_id.p = NULL;
        got = verify(&c, &p);
        if (got != cases[i].code)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].code));
        if (got == GR_ERR_OK) {
            assert_true(gr_jwk_equal(p.key, f.key));
            assert_false(gr_jwk_is_private(p.key));
        }
        gr_proof_release(&p);
    }
    gr_buf_release(&jwt);
    t_keys_release(&f);
}

/* The nonce comes back as given, or has_nonce says there was none. */
static void test_nonce_reported(void **state)
{
    struct t_keys f;
    struct gr_buf jwt;
    struct gr_proof_check c;
    struct gr_proof p;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    build(&f, HDR, "{" CLAIMS "}", NULL, &jwt);
    c = check_for(jwt.data, AUD, NOW);
    assert_code(verify(&c, &p), GR_ERR_OK);
    assert_false(p.has_nonce);
    assert_string_equal(p.nonce, "");
    assert_non_null(p.key);
    gr_proof_release(&p);

    build(&f, HDR, "{" CLAIMS ",\"nonce\":\"" NONCE_256 "\"}", NULL, &jwt);
    c = check_for(jwt.data, AUD, NOW);
    assert_code(verify(&c, &p), GR_ERR_OK);
    assert_true(p.has_nonce);
    assert_string_equal(p.nonce, NONCE_256);
    gr_proof_release(&p);

    build(&f, HDR, "{" CLAIMS ",\"nonce\":\"caf\\u00e9 \\\"q\\\"\"}", NULL, &jwt);
    c = check_for(jwt.data, AUD, NOW);
    assert_code(verify(&c, &p), GR_ERR_OK);
    assert_string_equal(p.nonce, "caf\xc3\xa9 \"q\"");
    gr_proof_release(&p);
    gr_buf_release(&jwt);
    t_keys_release(&f);
}

/* Refusals of kinds of key say so, without echoing the header. */
static void test_key_kind_sentences(void **state)
{
    static const struct {
        const char *header, *word;
    } kinds[] = {
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"did:example:1#k\"}",
          "kid" },
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"x5c\":[\"MIIB\"]}", "x5c" },
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK},"
          "\"key_attestation\":\"a.b.c\"}",
          "key attestation" },
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\"}", "exactly one" },
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"k\",\"jwk\":{JWK}}",
          "exactly one" },
        { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"x5c\":[\"MIIB\"],\"jwk\":{JWK}}",
          "exactly one" },
    };
    struct t_keys f;
    struct gr_buf jwt;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(kinds); i++) {
        struct gr_proof_check c;
        struct gr_proof p;
        struct gr_err err;

        build(&f, kinds[i].header, "{" CLAIMS "}", NULL, &jwt);
        c = check_for(jwt.data, AUD, NOW);
        assert_int_equal(gr_proof_verify_jwt(&c, &p, &err), -1);
        assert_code(err.code, GR_ERR_INVALID_PROOF);
        if (strstr(err.desc, kinds[i].word) == NULL)
            fail_msg("case %zu: %s", i, err.desc);
        assert_null(strstr(err.desc, "did:"));
    }
    gr_buf_release(&jwt);
    t_keys_release(&f);
}

/* A proof past GR_MAX_JWS_LEN, and texts that are no JWT at all. */
static void test_shape(void **state)
{
    static const char *const bad[] = { "",        "a",        "a.b.c",
                                       "a.b.c.d", "eyJ.eyJ.", " eyJhbGciOiJFUzI1NiJ9.e30.e30" };
    struct t_keys f;
    struct gr_buf jwt, payload;
    struct gr_proof_check c;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_adds(&payload, "{" CLAIMS ",\"pad\":\"");
    for (size_t i = 0; i < 12500; i++) {
        gr_buf_addc(&payload, 'x');
    }
    gr_buf_adds(&payload, "\"}");
    build(&f, HDR, payload.data, NULL, &jwt);
    assert_true(jwt.len > GR_MAX_JWS_LEN);
    c = check_for(jwt.data, AUD, NOW);
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        c = check_for(bad[i], AUD, NOW);
        assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    }
    c = check_for(NULL, AUD, NOW);
    c.jwt.p = NULL;
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    gr_buf_release(&payload);
    gr_buf_release(&jwt);
    t_keys_release(&f);
}

/* ---- key attestations: jwt proofs that carry one, and the attestation proof type ---- */

struct kaf {
    struct t_wp *wp, *stranger;
    struct gr_jwk *keys[GR_MAX_ATTESTED_KEYS];
    struct gr_jwk *loose; /* a key no attestation names */
    struct gr_buf ka, payload, hdr, jwt;
};

static const char *const high[] = { "iso_18045_high", NULL };

static void kaf_init(struct kaf *k)
{
    k->wp = t_wp_new();
    k->stranger = t_wp_new();
    for (size_t i = 0; i < GR_NELEM(k->keys); i++) {
        k->keys[i] = t_keygen();
    }
    k->loose = t_keygen();
    gr_buf_init(&k->ka, GR_BUF_UNBOUNDED);
    gr_buf_init(&k->payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&k->hdr, GR_BUF_UNBOUNDED);
    gr_buf_init(&k->jwt, GR_BUF_UNBOUNDED);
}

static void kaf_release(struct kaf *k)
{
    t_wp_free(k->wp);
    t_wp_free(k->stranger);
    for (size_t i = 0; i < GR_NELEM(k->keys); i++) {
        gr_jwk_free(k->keys[i]);
    }
    gr_jwk_free(k->loose);
    gr_buf_release(&k->ka);
    gr_buf_release(&k->payload);
    gr_buf_release(&k->hdr);
    gr_buf_release(&k->jwt);
}

/* Three keys, an hour to live, high levels, the nonce n-1: the EUDI wallet's kind. */
static struct t_ka ka_claims(const struct kaf *k)
{
    return (struct t_ka){ .iat = NOW - 10,
                          .exp = NOW + 3600,
                          .keys = k->keys,
                          .n = 3,
                          .nonce = "n-1",
                          .key_storage = "[\"iso_18045_high\"]",
                          .user_authentication = "[\"iso_18045_high\"]" };
}

static void mint_ka(struct kaf *k, const struct t_wp *wp, const char *typ, const struct t_ka *ka)
{
    gr_buf_reset(&k->payload);
    gr_buf_reset(&k->ka);
    t_ka_payload(ka, &k->payload);
    t_wp_sign(wp, typ, gr_buf_str(&k->payload), &k->ka);
}

/*
 * A jwt proof with k->ka in its header (as `key_attestation_json`'s value when
 * given), `extra` more header members, `claims`, signed by `signer`.
 */
static void mint_proof(struct kaf *k, const struct gr_jwk *signer, const char *extra,
                       const char *key_attestation_json, const char *claims)
{
    gr_buf_reset(&k->hdr);
    gr_buf_adds(&k->hdr, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"0\"");
    if (key_attestation_json != NULL)
        gr_buf_printf(&k->hdr, ",\"key_attestation\":%s", key_attestation_json);
    else
        gr_buf_printf(&k->hdr, ",\"key_attestation\":\"%s\"", k->ka.data);
    if (extra != NULL)
        gr_buf_adds(&k->hdr, extra);
    gr_buf_addc(&k->hdr, '}');
    gr_buf_reset(&k->jwt);
    t_sign(signer, gr_buf_str(&k->hdr), gr_str_c(claims), &k->jwt);
}

static struct gr_proof_check ka_check(const struct kaf *k)
{
    struct gr_proof_check c = check_for(k->jwt.data, AUD, NOW);

    c.wallet_providers = k->wp->anchors;
    c.key_storage = high;
    c.user_authentication = high;
    return c;
}

/* verify() and, on failure, the sentence names `word`. */
static enum gr_errc verify_word(const struct gr_proof_check *c, const char *word,
                                struct gr_proof *keep, bool attestation_type)
{
    struct gr_proof p;
    struct gr_err err;
    int rc = attestation_type ? gr_proof_verify_attestation(c, &p, &err)
                              : gr_proof_verify_jwt(c, &p, &err);

    if (rc < 0) {
        size_t n = strlen(err.desc);

        assert_code(err.code, GR_ERR_INVALID_PROOF);
        if (!is_empty(&p))
            fail_msg("a failure left something behind");
        if (n == 0 || err.desc[n - 1] != '.' || strpbrk(err.desc, "\"\\") != NULL)
            fail_msg("unfit sentence: %s", err.desc);
        if (word != NULL && strstr(err.desc, word) == NULL)
            fail_msg("sentence without %s: %s", word, err.desc);
    }
    if (keep != NULL)
        *keep = p;
    else
        gr_proof_release(&p);
    return t_code(rc, &err);
}

#define GOOD_CLAIMS "{\"aud\":\"" AUD "\",\"iat\":1700000000,\"nonce\":\"n-1\"}"

static void test_attested(void **state)
{
    struct kaf k;
    struct t_ka ka;
    struct gr_proof_check c;
    struct gr_proof p;
    struct gr_buf extra;

    (void)state;
    kaf_init(&k);
    ka = ka_claims(&k);
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, NULL, &p, false), GR_ERR_OK);
    assert_true(p.attested);
    assert_int_equal(p.key_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(gr_jwk_equal(p.keys[i], k.keys[i]));
        assert_false(gr_jwk_is_private(p.keys[i]));
    }
    assert_ptr_equal(p.key, p.keys[0]);
    assert_true(p.has_nonce && p.has_attestation_nonce);
    assert_string_equal(p.nonce, "n-1");
    assert_string_equal(p.attestation_nonce, "n-1");
    gr_proof_release(&p);
    assert_true(is_empty(&p));

    /* The configuration requires attestations: this one has it. */
    c.require_attestation = true;
    assert_code(verify_word(&c, NULL, NULL, false), GR_ERR_OK);
    /* The EUDI wallet's iss, the client. */
    mint_proof(&k, k.keys[0], NULL, NULL,
               "{\"iss\":\"wallet-1\",\"aud\":\"" AUD "\",\"iat\":1700000000,\"nonce\":\"n-1\"}");
    c = ka_check(&k);
    c.client_id = GR_STR("wallet-1");
    assert_code(verify_word(&c, NULL, NULL, false), GR_ERR_OK);
    /* A proof without nonce: reported, the caller refuses it when it runs a nonce endpoint. */
    mint_proof(&k, k.keys[0], NULL, NULL, "{\"aud\":\"" AUD "\",\"iat\":1700000000}");
    c = ka_check(&k);
    assert_code(verify_word(&c, NULL, &p, false), GR_ERR_OK);
    assert_false(p.has_nonce);
    assert_true(p.has_attestation_nonce);
    gr_proof_release(&p);
    /* An attestation without nonce. */
    ka.nonce = NULL;
    mint_ka(&k, k.wp, "keyattestation+jwt", &ka); /* Draft 15's typ */
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, NULL, &p, false), GR_ERR_OK);
    assert_true(p.has_nonce);
    assert_false(p.has_attestation_nonce);
    gr_proof_release(&p);
    /* A jwk beside it, when it is the first attested key. */
    gr_buf_init(&extra, GR_BUF_UNBOUNDED);
    gr_buf_adds(&extra, ",\"jwk\":");
    gr_jwk_to_json(k.keys[0], false, &extra);
    mint_proof(&k, k.keys[0], extra.data, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, NULL, NULL, false), GR_ERR_OK);
    gr_buf_release(&extra);
    kaf_release(&k);
}

static void test_attested_refusals(void **state)
{
    struct kaf k;
    struct t_ka ka;
    struct gr_proof_check c;
    struct gr_buf extra;

    (void)state;
    kaf_init(&k);
    ka = ka_claims(&k);
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    /* Signed by the second attested key, or by one no attestation names. */
    mint_proof(&k, k.keys[1], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "first attested key", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.loose, NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "first attested key", NULL, false), GR_ERR_INVALID_PROOF);
    /* Two nonces that differ. */
    mint_proof(&k, k.keys[0], NULL, NULL,
               "{\"aud\":\"" AUD "\",\"iat\":1700000000,\"nonce\":\"n-2\"}");
    c = ka_check(&k);
    assert_code(verify_word(&c, "differ", NULL, false), GR_ERR_INVALID_PROOF);
    /* The proof's own claims still count. */
    mint_proof(&k, k.keys[0], NULL, NULL,
               "{\"aud\":\"https://other.example.com\",\"iat\":1700000000,\"nonce\":\"n-1\"}");
    c = ka_check(&k);
    assert_code(verify_word(&c, "audience", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], NULL, NULL,
               "{\"aud\":\"" AUD "\",\"iat\":1699999000,\"nonce\":\"n-1\"}");
    c = ka_check(&k);
    assert_code(verify_word(&c, "too old", NULL, false), GR_ERR_INVALID_PROOF);
    /* Header members that do not go with a key attestation. */
    gr_buf_init(&extra, GR_BUF_UNBOUNDED);
    gr_buf_adds(&extra, ",\"jwk\":");
    gr_jwk_to_json(k.keys[1], false, &extra);
    mint_proof(&k, k.keys[0], extra.data, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "jwk", NULL, false), GR_ERR_INVALID_PROOF);
    gr_buf_reset(&extra);
    gr_buf_printf(&extra, ",\"x5c\":%s", k.wp->x5c.data);
    mint_proof(&k, k.keys[0], extra.data, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "x5c", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], ",\"trust_chain\":[\"a\"]", NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "trust_chain", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], NULL, "7", GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "key_attestation", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], NULL, "{\"a\":1}", GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "key_attestation", NULL, false), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], NULL, "\"a.b.c\"", GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, NULL, NULL, false), GR_ERR_INVALID_PROOF);
    gr_buf_release(&extra);
    /* No wallet provider trusted at all. */
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    c.wallet_providers = NULL;
    assert_code(verify_word(&c, "no key attestation", NULL, false), GR_ERR_INVALID_PROOF);
    /* The attestation itself: no exp (required with jwt), expired, a stranger's, typ, levels. */
    ka.exp = 0;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "exp", NULL, false), GR_ERR_INVALID_PROOF);
    ka.exp = NOW - 3600;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "expired", NULL, false), GR_ERR_INVALID_PROOF);
    ka = ka_claims(&k);
    mint_ka(&k, k.stranger, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "trusted wallet provider", NULL, false), GR_ERR_INVALID_PROOF);
    mint_ka(&k, k.wp, "openid4vci-proof+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "typ", NULL, false), GR_ERR_INVALID_PROOF);
    ka.key_storage = "[\"iso_18045_moderate\"]";
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "key_storage", NULL, false), GR_ERR_INVALID_PROOF);
    ka = ka_claims(&k);
    ka.user_authentication = NULL;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "user_authentication", NULL, false), GR_ERR_INVALID_PROOF);
    kaf_release(&k);
}

/* require_attestation refuses the plain kind; without it, the plain kind works as before. */
static void test_require_attestation(void **state)
{
    struct t_keys f;
    struct gr_buf jwt;
    struct gr_proof_check c;
    struct gr_proof p;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    build(&f, HDR, "{" CLAIMS ",\"nonce\":\"n\"}", NULL, &jwt);
    c = check_for(jwt.data, AUD, NOW);
    c.require_attestation = true;
    assert_code(verify_word(&c, "key attestation", NULL, false), GR_ERR_INVALID_PROOF);
    c.require_attestation = false;
    assert_code(verify_word(&c, NULL, &p, false), GR_ERR_OK);
    assert_false(p.attested);
    assert_int_equal(p.key_count, 1);
    assert_ptr_equal(p.key, p.keys[0]);
    assert_false(p.has_attestation_nonce);
    gr_proof_release(&p);
    gr_buf_release(&jwt);
    t_keys_release(&f);
}

/* F.3: the key attestation alone; its nonce and its age make the proof. */
static void test_attestation_type(void **state)
{
    struct kaf k;
    struct t_ka ka;
    struct gr_proof_check c;
    struct gr_proof p;

    (void)state;
    kaf_init(&k);
    ka = ka_claims(&k);
    ka.exp = 0; /* optional with this proof type */
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c = ka_check(&k);
    c.jwt = gr_buf_str(&k.ka);
    c.audience = (struct gr_str){ NULL, 0 }; /* not read */
    assert_code(verify_word(&c, NULL, &p, true), GR_ERR_OK);
    assert_true(p.attested);
    assert_int_equal(p.key_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(gr_jwk_equal(p.keys[i], k.keys[i]));
    }
    assert_ptr_equal(p.key, p.keys[0]);
    assert_true(p.has_nonce && p.has_attestation_nonce);
    assert_string_equal(p.nonce, "n-1");
    assert_string_equal(p.attestation_nonce, "n-1");
    gr_proof_release(&p);
    /* No nonce: reported as such. */
    ka.nonce = NULL;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, NULL, &p, true), GR_ERR_OK);
    assert_false(p.has_nonce || p.has_attestation_nonce);
    gr_proof_release(&p);
    /* Its iat is the proof's: 300 s back by default, or max_age. */
    ka.iat = NOW - 300;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, NULL, NULL, true), GR_ERR_OK);
    ka.iat = NOW - 301;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, "too old", NULL, true), GR_ERR_INVALID_PROOF);
    c.max_age = 600;
    assert_code(verify_word(&c, NULL, NULL, true), GR_ERR_OK);
    ka.iat = NOW + 61;
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, "future", NULL, true), GR_ERR_INVALID_PROOF);
    /* Untrusted, none trusted, not a key attestation, below the level. */
    ka = ka_claims(&k);
    mint_ka(&k, k.stranger, "key-attestation+jwt", &ka);
    c = ka_check(&k);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, "trusted wallet provider", NULL, true), GR_ERR_INVALID_PROOF);
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&k.ka);
    c.wallet_providers = NULL;
    assert_code(verify_word(&c, "no key attestation", NULL, true), GR_ERR_INVALID_PROOF);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    c = ka_check(&k);
    assert_code(verify_word(&c, "typ", NULL, true), GR_ERR_INVALID_PROOF);
    ka.key_storage = "[\"iso_18045_basic\"]";
    mint_ka(&k, k.wp, "key-attestation+jwt", &ka);
    c = ka_check(&k);
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, "key_storage", NULL, true), GR_ERR_INVALID_PROOF);
    kaf_release(&k);
}

/*
 * GR_MAX_ATTESTED_KEYS keys in one attestation, signed under a chain with an
 * intermediate CA and the EUDI wallet's extra claims, in one proof header: the
 * largest proof a wallet needs fits the JWS limits.
 */
static void test_attested_size(void **state)
{
    struct kaf k;
    struct t_ka ka;
    struct gr_proof_check c;
    struct gr_proof p;
    struct t_wp *deep = t_wp_new_deep();

    (void)state;
    kaf_init(&k);
    ka = ka_claims(&k);
    ka.n = GR_MAX_ATTESTED_KEYS;
    ka.extra = "\"certification\":\"https://wallet-provider.example.com/certification/1\","
               "\"key_storage_status\":{\"status\":{\"status_list\":{\"idx\":4096,"
               "\"uri\":\"https://wallet-provider.example.com/status/1\"}},\"exp\":1702678400}";
    mint_ka(&k, deep, "key-attestation+jwt", &ka);
    mint_proof(&k, k.keys[0], NULL, NULL, GOOD_CLAIMS);
    print_message("key attestation %zu bytes, proof %zu bytes, proof header %zu bytes\n", k.ka.len,
                  k.jwt.len, k.hdr.len);
    c = ka_check(&k);
    c.wallet_providers = deep->anchors;
    assert_code(verify_word(&c, NULL, &p, false), GR_ERR_OK);
    assert_int_equal(p.key_count, GR_MAX_ATTESTED_KEYS);
    gr_proof_release(&p);
    /* The same as the attestation proof type. */
    c.jwt = gr_buf_str(&k.ka);
    assert_code(verify_word(&c, NULL, &p, true), GR_ERR_OK);
    assert_int_equal(p.key_count, GR_MAX_ATTESTED_KEYS);
    gr_proof_release(&p);
    t_wp_free(deep);
    kaf_release(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t5),
        cmocka_unit_test(test_flipped_signature),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_nonce_reported),
        cmocka_unit_test(test_key_kind_sentences),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_attested),
        cmocka_unit_test(test_attested_refusals),
        cmocka_unit_test(test_require_attestation),
        cmocka_unit_test(test_attestation_type),
        cmocka_unit_test(test_attested_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

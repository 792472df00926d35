#include "testutil.h"
#include "wallet_provider.h"

#include <string.h>

#include <gramota/attest.h>

#include "jose/internal.h"

#define NOW  1700000000
#define HIGH "[\"iso_18045_high\"]"

static const char *const high[] = { "iso_18045_high", NULL };
static const char *const moderate_or_high[] = { "iso_18045_moderate", "iso_18045_high", NULL };
static const char *const nothing[] = { NULL };

struct fixture {
    struct t_wp *wp, *stranger;
    struct gr_jwk *keys[GR_MAX_ATTESTED_KEYS + 1];
    struct gr_buf jwt, payload;
};

static struct fixture f;

static int setup(void **state)
{
    (void)state;
    f.wp = t_wp_new();
    f.stranger = t_wp_new();
    for (size_t i = 0; i < GR_NELEM(f.keys); i++) {
        f.keys[i] = t_keygen();
    }
    gr_buf_init(&f.jwt, GR_BUF_UNBOUNDED);
    gr_buf_init(&f.payload, GR_BUF_UNBOUNDED);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_wp_free(f.wp);
    t_wp_free(f.stranger);
    for (size_t i = 0; i < GR_NELEM(f.keys); i++) {
        gr_jwk_free(f.keys[i]);
    }
    gr_buf_release(&f.jwt);
    gr_buf_release(&f.payload);
    return 0;
}

/* The usual attestation: three keys, an hour to live, high levels, a nonce. */
static struct t_ka good(void)
{
    return (struct t_ka){ .iat = NOW - 10,
                          .exp = NOW + 3600,
                          .keys = f.keys,
                          .n = 3,
                          .nonce = "c-nonce-1",
                          .key_storage = HIGH,
                          .user_authentication = HIGH };
}

/* Sign `ka` as `wp` under `typ` into f.jwt. */
static void mint(const struct t_wp *wp, const char *typ, const struct t_ka *ka)
{
    gr_buf_reset(&f.payload);
    gr_buf_reset(&f.jwt);
    t_ka_payload(ka, &f.payload);
    t_wp_sign(wp, typ, gr_buf_str(&f.payload), &f.jwt);
}

static struct gr_key_attestation_check check(void)
{
    return (struct gr_key_attestation_check){ .jwt = gr_buf_str(&f.jwt),
                                              .anchors = f.wp->anchors,
                                              .now = NOW,
                                              .require_exp = true,
                                              .key_storage = high,
                                              .user_authentication = high };
}

static bool is_empty(const struct gr_key_attestation *a)
{
    struct gr_key_attestation zero;

    memset(&zero, 0, sizeof(zero));
    return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* Verify; a failure must leave `out` empty and carry a fit sentence holding `word`. */
static enum gr_errc verify_word(const struct gr_key_attestation_check *c, const char *word,
                                struct gr_key_attestation *keep)
{
    struct gr_key_attestation a;
    struct gr_err err;
    int rc = gr_key_attestation_verify(c, &a, &err);

    if (rc < 0) {
        size_t n = strlen(err.desc);

        if (!is_empty(&a))
            fail_msg("a failure left something behind");
        if (n == 0 || err.desc[n - 1] != '.' || strpbrk(err.desc, "\"\\") != NULL)
            fail_msg("unfit sentence: %s", err.desc);
        if (word != NULL && strstr(err.desc, word) == NULL)
            fail_msg("sentence without %s: %s", word, err.desc);
    }
    if (keep != NULL)
        *keep = a;
    else
        gr_key_attestation_release(&a);
    return t_code(rc, &err);
}

#define verify(c, keep) verify_word((c), NULL, (keep))

static void test_good(void **state)
{
    struct t_ka ka = good();
    struct gr_key_attestation_check c;
    struct gr_key_attestation a;

    (void)state;
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify(&c, &a), GR_ERR_OK);
    assert_int_equal(a.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(gr_jwk_equal(a.keys[i], f.keys[i]));
        assert_false(gr_jwk_is_private(a.keys[i]));
    }
    assert_true(a.has_nonce);
    assert_string_equal(a.nonce, "c-nonce-1");
    assert_int_equal(a.iat, NOW - 10);
    assert_int_equal(a.exp, NOW + 3600);
    gr_key_attestation_release(&a);
    assert_true(is_empty(&a));

    /* Draft 15's typ, typ as a media type; no nonce; exp only when required. */
    mint(f.wp, "keyattestation+jwt", &ka);
    c = check();
    assert_code(verify(&c, NULL), GR_ERR_OK);
    mint(f.wp, "application/Key-Attestation+JWT", &ka);
    c = check();
    assert_code(verify(&c, NULL), GR_ERR_OK);
    ka.nonce = NULL;
    ka.exp = 0;
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    c.require_exp = false;
    assert_code(verify(&c, &a), GR_ERR_OK);
    assert_false(a.has_nonce);
    assert_int_equal(a.exp, 0);
    gr_key_attestation_release(&a);
    c.require_exp = true;
    assert_code(verify_word(&c, "exp", NULL), GR_ERR_INVALID_PROOF);

    /* The EUDI wallet's extra claims are not in the way. */
    ka = good();
    ka.extra = "\"certification\":\"https://example.com/cert\",\"key_storage_status\":{"
               "\"status\":{\"status_list\":{\"idx\":1,\"uri\":\"https://example.com/sl\"}},"
               "\"exp\":1800000000},\"status\":{},\"iss\":\"https://wallet-provider.example\"";
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify(&c, NULL), GR_ERR_OK);
}

static void test_trust(void **state)
{
    struct t_ka ka = good();
    struct gr_key_attestation_check c;
    struct gr_buf hdr, x5c;
    EVP_PKEY *key;
    X509 *self;

    (void)state;
    /* Signed by a provider we do not know. */
    mint(f.stranger, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify_word(&c, "trusted wallet provider", NULL), GR_ERR_INVALID_PROOF);
    /* No anchors at all. */
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    c.anchors = NULL;
    assert_code(verify_word(&c, "no key attestation", NULL), GR_ERR_INVALID_PROOF);
    /* Our provider's chain, signed by another key. */
    gr_buf_init(&hdr, GR_BUF_UNBOUNDED);
    gr_buf_printf(&hdr, "{\"typ\":\"key-attestation+jwt\",\"alg\":\"ES256\",\"x5c\":%s}",
                  f.wp->x5c.data);
    gr_buf_reset(&f.jwt);
    t_sign(f.stranger->key, gr_buf_str(&hdr), gr_buf_str(&f.payload), &f.jwt);
    c = check();
    assert_code(verify_word(&c, "signature", NULL), GR_ERR_INVALID_PROOF);
    /* No x5c: a jwk or a kid in the header is no trust. */
    gr_buf_reset(&hdr);
    gr_buf_adds(&hdr, "{\"typ\":\"key-attestation+jwt\",\"alg\":\"ES256\",\"kid\":\"1\",\"jwk\":");
    gr_jwk_to_json(f.wp->key, false, &hdr);
    gr_buf_addc(&hdr, '}');
    gr_buf_reset(&f.jwt);
    t_sign(f.wp->key, gr_buf_str(&hdr), gr_buf_str(&f.payload), &f.jwt);
    c = check();
    assert_code(verify_word(&c, "x5c", NULL), GR_ERR_INVALID_PROOF);
    /* A self-signed signer (HAIP: not self-signed). */
    key = f.wp->key->pkey;
    self = t_cert_make(key, "Self", NULL, NULL, &(struct t_cert_opts){ .ca = false });
    gr_buf_init(&x5c, GR_BUF_UNBOUNDED);
    t_cert_b64(self, &x5c);
    gr_buf_reset(&hdr);
    gr_buf_printf(&hdr, "{\"typ\":\"key-attestation+jwt\",\"alg\":\"ES256\",\"x5c\":[\"%s\"]}",
                  x5c.data);
    gr_buf_reset(&f.jwt);
    t_sign(f.wp->key, gr_buf_str(&hdr), gr_buf_str(&f.payload), &f.jwt);
    c = check();
    assert_code(verify_word(&c, "self-signed", NULL), GR_ERR_INVALID_PROOF);
    X509_free(self);
    /* The provider's certificate out of its validity period. */
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    c.now = T_WP_NOT_AFTER + 10;
    ka.iat = c.now;
    ka.exp = c.now + 100;
    mint(f.wp, "key-attestation+jwt", &ka);
    c.jwt = gr_buf_str(&f.jwt);
    assert_code(verify_word(&c, "expired or not yet valid", NULL), GR_ERR_INVALID_PROOF);
    gr_buf_release(&x5c);
    gr_buf_release(&hdr);
}

/* typ and alg: explicit typing, ES256 only (none and MAC are refused). */
static void test_header(void **state)
{
    static const char *const bad_typ[] = { "openid4vci-proof+jwt", "jwt", "key-attestation",
                                           "application/keyattestation",
                                           "text/key-attestation+jwt" };
    struct t_ka ka = good();
    struct gr_key_attestation_check c;
    struct gr_buf h, p;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad_typ); i++) {
        mint(f.wp, bad_typ[i], &ka);
        c = check();
        assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_PROOF);
    }
    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    t_ka_payload(&ka, &p);
    /* No typ at all. */
    gr_buf_printf(&h, "{\"alg\":\"ES256\",\"x5c\":%s}", f.wp->x5c.data);
    gr_buf_reset(&f.jwt);
    t_sign(f.wp->key, gr_buf_str(&h), gr_buf_str(&p), &f.jwt);
    c = check();
    assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_PROOF);
    /* alg none, unsigned; HS256 */
    {
        static const char *const algs[][2] = { { "none", "" },
                                               { "HS256",
                                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
                                               { "ES384", "AAAA" } };

        for (size_t i = 0; i < GR_NELEM(algs); i++) {
            gr_buf_reset(&h);
            gr_buf_printf(&h, "{\"typ\":\"key-attestation+jwt\",\"alg\":\"%s\",\"x5c\":%s}",
                          algs[i][0], f.wp->x5c.data);
            gr_buf_reset(&f.jwt);
            gr_buf_add_b64url(&f.jwt, h.data, h.len);
            gr_buf_addc(&f.jwt, '.');
            gr_buf_add_b64url(&f.jwt, p.data, p.len);
            gr_buf_addc(&f.jwt, '.');
            gr_buf_adds(&f.jwt, algs[i][1]);
            c = check();
            assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
        }
    }
    gr_buf_release(&h);
    gr_buf_release(&p);
}

/* iat, exp, nbf and their skew. */
static void test_times(void **state)
{
    static const struct {
        int64_t iat, exp, max_age;
        const char *extra, *word;
    } cases[] = {
        { NOW + 60, NOW + 3600, 0, NULL, NULL },
        { NOW + 61, NOW + 3600, 0, NULL, "future" },
        { NOW + 3600, NOW + 7200, 0, NULL, "future" },
        { NOW - 86400 * 30, NOW + 3600, 0, NULL, NULL }, /* old, but within exp: fine */
        { NOW - 300, NOW + 3600, 300, NULL, NULL },
        { NOW - 301, NOW + 3600, 300, NULL, "too old" },
        { NOW - 7200, NOW - 3600, 0, NULL, "expired" },
        { NOW - 7200, NOW - 61, 0, NULL, "expired" },
        { NOW - 7200, NOW - 60, 0, NULL, "expired" },
        { NOW - 7200, NOW - 59, 0, NULL, NULL }, /* within the skew */
        { NOW, NOW + 3600, 0, "\"nbf\":1700000060", NULL },
        { NOW, NOW + 3600, 0, "\"nbf\":1700000061", "nbf" },
        { NOW, NOW + 3600, 0, "\"nbf\":\"1\"", "nbf" },
    };
    struct gr_key_attestation_check c;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct t_ka ka = good();
        enum gr_errc got;

        ka.iat = cases[i].iat;
        ka.exp = cases[i].exp;
        ka.extra = cases[i].extra;
        mint(f.wp, "key-attestation+jwt", &ka);
        c = check();
        c.max_age = cases[i].max_age;
        got = verify_word(&c, cases[i].word, NULL);
        if (got != (cases[i].word ? GR_ERR_INVALID_PROOF : GR_ERR_OK))
            fail_msg("case %zu: %s", i, gr_errc_name(got));
    }
}

/* Claims written by hand: iat and exp of the wrong type, attested_keys of every wrong shape. */
static void test_claims(void **state)
{
    static const struct {
        const char *payload, *word;
    } cases[] = {
        { "{\"exp\":1700003600,\"attested_keys\":[{K0}]}", "iat" },
        { "{\"iat\":\"1700000000\",\"exp\":1700003600,\"attested_keys\":[{K0}]}", "iat" },
        { "{\"iat\":1700000000.5,\"exp\":1700003600,\"attested_keys\":[{K0}]}", "iat" },
        { "{\"iat\":1700000000,\"exp\":\"1700003600\",\"attested_keys\":[{K0}]}", "exp" },
        { "{\"iat\":1700000000,\"exp\":1700003600}", "attested_keys" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[]}", "attested_keys" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":{K0}}", "attested_keys" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[\"k\"]}", "Attested key 1" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0},{PRIV}]}",
          "Attested key 2" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0},{K0}]}", "twice" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0},{\"kty\":\"RSA\","
          "\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
          "Attested key 2" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{\"kty\":\"EC\","
          "\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}",
          "Attested key 1" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0}],\"nonce\":1}", "nonce" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0}],\"nonce\":\"\"}",
          "nonce" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0}],\"nonce\":null}",
          "nonce" },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0}],\"attested_keys\":[]}",
          NULL },
        { "{\"iat\":1700000000,\"exp\":1700003600,\"attested_keys\":[{K0}]}", "" },
    };
    struct gr_buf k0, priv;
    struct gr_key_attestation_check c;

    (void)state;
    gr_buf_init(&k0, GR_BUF_UNBOUNDED);
    gr_buf_init(&priv, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(f.keys[0], false, &k0);
    gr_jwk_to_json(f.keys[1], true, &priv);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        const char *t = cases[i].payload;
        enum gr_errc want = cases[i].word && !*cases[i].word ? GR_ERR_OK : GR_ERR_INVALID_PROOF;
        enum gr_errc got;

        gr_buf_reset(&f.payload);
        while (*t) {
            if (strncmp(t, "{K0}", 4) == 0) {
                gr_buf_addstr(&f.payload, gr_buf_str(&k0));
                t += 4;
            } else if (strncmp(t, "{PRIV}", 6) == 0) {
                gr_buf_addstr(&f.payload, gr_buf_str(&priv));
                t += 6;
            } else {
                gr_buf_addc(&f.payload, *t++);
            }
        }
        gr_buf_reset(&f.jwt);
        t_wp_sign(f.wp, "key-attestation+jwt", gr_buf_str(&f.payload), &f.jwt);
        c = check();
        c.key_storage = NULL;
        c.user_authentication = NULL;
        got = verify_word(&c, want == GR_ERR_OK ? NULL : cases[i].word, NULL);
        if (got != want)
            fail_msg("case %zu: %s", i, gr_errc_name(got));
    }
    gr_buf_release(&priv);
    gr_buf_release(&k0);
}

/* 1..GR_MAX_ATTESTED_KEYS keys, in order; one more is refused. */
static void test_key_count(void **state)
{
    struct t_ka ka = good();
    struct gr_key_attestation_check c;
    struct gr_key_attestation a;

    (void)state;
    ka.n = 1;
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify(&c, &a), GR_ERR_OK);
    assert_int_equal(a.count, 1);
    gr_key_attestation_release(&a);
    ka.n = GR_MAX_ATTESTED_KEYS;
    mint(f.wp, "key-attestation+jwt", &ka);
    assert_true(f.jwt.len <= GR_MAX_JWS_LEN);
    c = check();
    assert_code(verify(&c, &a), GR_ERR_OK);
    assert_int_equal(a.count, GR_MAX_ATTESTED_KEYS);
    for (size_t i = 0; i < a.count; i++) {
        assert_true(gr_jwk_equal(a.keys[i], f.keys[i]));
    }
    gr_key_attestation_release(&a);
    ka.n = GR_MAX_ATTESTED_KEYS + 1;
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify_word(&c, "more than 32 keys", NULL), GR_ERR_INVALID_PROOF);
    /* Private keys in attested_keys. */
    ka = good();
    ka.private_keys = true;
    mint(f.wp, "key-attestation+jwt", &ka);
    c = check();
    assert_code(verify_word(&c, "public", NULL), GR_ERR_INVALID_PROOF);
}

/* key_storage and user_authentication against the levels the issuer accepts. */
static void test_levels(void **state)
{
    static const struct {
        const char *key_storage, *user_auth;
        const char *const *want_ks, *const *want_ua;
        const char *word; /* NULL: accepted */
    } cases[] = {
        { HIGH, HIGH, high, high, NULL },
        { "[\"iso_18045_moderate\",\"iso_18045_high\"]", HIGH, high, high, NULL },
        { "[\"iso_18045_moderate\"]", HIGH, high, high, "key_storage" },
        { "[\"iso_18045_moderate\"]", HIGH, moderate_or_high, high, NULL },
        { "[\"iso_18045_basic\"]", HIGH, moderate_or_high, high, "key_storage" },
        { "[\"ISO_18045_HIGH\"]", HIGH, high, high, "key_storage" }, /* case sensitive */
        { NULL, HIGH, high, high, "key_storage" },
        { HIGH, NULL, high, high, "user_authentication" },
        { HIGH, "[\"iso_18045_enhanced-basic\"]", high, high, "user_authentication" },
        { NULL, NULL, NULL, NULL, NULL },
        { NULL, NULL, nothing, nothing, NULL },
        { "[\"anything\"]", "[]", NULL, NULL, "user_authentication" },
        { "[]", HIGH, NULL, NULL, "key_storage" },
        { "\"iso_18045_high\"", HIGH, high, high, "key_storage" },
        { "[\"iso_18045_high\",1]", HIGH, high, high, "key_storage" },
        { "[1]", HIGH, NULL, NULL, "key_storage" },
    };
    struct gr_key_attestation_check c;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct t_ka ka = good();
        enum gr_errc got;

        ka.key_storage = cases[i].key_storage;
        ka.user_authentication = cases[i].user_auth;
        mint(f.wp, "key-attestation+jwt", &ka);
        c = check();
        c.key_storage = cases[i].want_ks;
        c.user_authentication = cases[i].want_ua;
        got = verify_word(&c, cases[i].word, NULL);
        if (got != (cases[i].word ? GR_ERR_INVALID_PROOF : GR_ERR_OK))
            fail_msg("case %zu: %s", i, gr_errc_name(got));
    }
}

/* STYLE §4.2: each byte of the signature flipped; and the size ceiling. */
static void test_forgeries(void **state)
{
    struct t_ka ka = good();
    struct gr_key_attestation_check c;
    size_t dot;

    (void)state;
    mint(f.wp, "key-attestation+jwt", &ka);
    dot = (size_t)(strrchr(f.jwt.data, '.') - f.jwt.data);
    for (size_t i = dot + 1; i < f.jwt.len; i++) {
        char was = f.jwt.data[i];

        f.jwt.data[i] = was == 'A' ? 'B' : 'A';
        c = check();
        assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
        f.jwt.data[i] = was;
    }
    c = check();
    assert_code(verify(&c, NULL), GR_ERR_OK);
    gr_buf_reset(&f.payload);
    t_ka_payload(&ka, &f.payload);
    f.payload.len--; /* reopen the object for a long member */
    gr_buf_adds(&f.payload, ",\"pad\":\"");
    for (size_t i = 0; i < GR_MAX_JWS_LEN; i++) {
        gr_buf_addc(&f.payload, 'x');
    }
    gr_buf_adds(&f.payload, "\"}");
    gr_buf_reset(&f.jwt);
    t_wp_sign(f.wp, "key-attestation+jwt", gr_buf_str(&f.payload), &f.jwt);
    c = check();
    assert_code(verify_word(&c, "larger", NULL), GR_ERR_INVALID_PROOF);
    c.jwt = GR_STR("a.b.c");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
    c.jwt = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c, NULL), GR_ERR_INVALID_PROOF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),   cmocka_unit_test(test_trust),
        cmocka_unit_test(test_header), cmocka_unit_test(test_times),
        cmocka_unit_test(test_claims), cmocka_unit_test(test_key_count),
        cmocka_unit_test(test_levels), cmocka_unit_test(test_forgeries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

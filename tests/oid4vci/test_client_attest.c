#include "testutil.h"
#include "wallet_provider.h"

#include <string.h>

#include <gramota/attest.h>
#include <gramota/limits.h>

#define NOW      1700000000
#define AUD      "https://issuer.example.com"
#define CLIENT   "wallet-1"
#define PROVIDER "https://wallet-provider.example.com"
#define ATT_TYP  "oauth-client-attestation+jwt"
#define POP_TYP  "oauth-client-attestation-pop+jwt"
#define POP_HDR  "{\"typ\":\"" POP_TYP "\",\"alg\":\"ES256\"}"
/* The EUDI wallet's PoP (WALLET.md §2): iss, aud, jti, iat, nbf, no exp. */
#define POP_CLAIMS(jti)                                          \
    "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"" jti \
    "\",\"iat\":1700000000,\"nbf\":1700000000"

struct fixture {
    struct t_wp *wp, *stranger;
    struct gr_jwk *instance, *other;
    struct gr_buf att, pop, tmp;
};

static struct fixture f;

static int setup(void **state)
{
    (void)state;
    f.wp = t_wp_new();
    f.stranger = t_wp_new();
    f.instance = t_keygen();
    f.other = t_keygen();
    gr_buf_init(&f.att, GR_BUF_UNBOUNDED);
    gr_buf_init(&f.pop, GR_BUF_UNBOUNDED);
    gr_buf_init(&f.tmp, GR_BUF_UNBOUNDED);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_wp_free(f.wp);
    t_wp_free(f.stranger);
    gr_jwk_free(f.instance);
    gr_jwk_free(f.other);
    gr_buf_release(&f.att);
    gr_buf_release(&f.pop);
    gr_buf_release(&f.tmp);
    return 0;
}

/* `tmpl` with {JWK} as the instance's public key, {PRIV} as its key pair. */
static void subst(const char *tmpl, struct gr_buf *out)
{
    gr_buf_reset(out);
    while (*tmpl) {
        if (strncmp(tmpl, "{JWK}", 5) == 0) {
            gr_jwk_to_json(f.instance, false, out);
            tmpl += 5;
        } else if (strncmp(tmpl, "{PRIV}", 6) == 0) {
            gr_jwk_to_json(f.instance, true, out);
            tmpl += 6;
        } else {
            gr_buf_addc(out, *tmpl++);
        }
    }
}

/* The wallet attestation, signed by `wp` under `typ`. */
static void attestation(const struct t_wp *wp, const char *typ, const char *claims)
{
    subst(claims, &f.tmp);
    gr_buf_reset(&f.att);
    t_wp_sign(wp, typ, gr_buf_str(&f.tmp), &f.att);
}

#define ATT_CLAIMS                                                                            \
    "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"iat\":1699999000,\"exp\":1700086400," \
    "\"wallet_name\":\"EUDI Wallet\\n\",\"wallet_link\":\"https://example.com\","             \
    "\"cnf\":{\"jwk\":{JWK}}}"

/* The PoP, signed by `key` under `header`. */
static void pop(const struct gr_jwk *key, const char *header, const char *claims)
{
    subst(claims, &f.tmp);
    gr_buf_reset(&f.pop);
    t_sign(key, gr_str_c(header), gr_buf_str(&f.tmp), &f.pop);
}

static void good_pair(void)
{
    attestation(f.wp, ATT_TYP, ATT_CLAIMS);
    pop(f.instance, POP_HDR, POP_CLAIMS("jti-1") "}");
}

static struct gr_client_attestation_check check(void)
{
    return (struct gr_client_attestation_check){
        .attestation = gr_buf_str(&f.att),
        .pop = gr_buf_str(&f.pop),
        .attestation_count = 1,
        .pop_count = 1,
        .anchors = f.wp->anchors,
        .audience = GR_STR(AUD),
        .client_id = GR_STR(CLIENT),
        .now = NOW,
    };
}

/* Verify; a refusal must be INVALID_CLIENT_ATTESTATION with a fit sentence holding `word`. */
static enum gr_errc verify_word(const struct gr_client_attestation_check *c, const char *word,
                                struct gr_client_attestation *keep)
{
    struct gr_client_attestation out, untouched;
    struct gr_err err;
    int rc;

    memset(&out, 0x5a, sizeof(out));
    memset(&untouched, 0x5a, sizeof(untouched));
    rc = gr_client_attestation_verify(c, &out, &err);
    if (rc < 0) {
        size_t n = strlen(err.desc);

        if (memcmp(&out, &untouched, sizeof(out)) != 0)
            fail_msg("a failure wrote the result");
        if (n == 0 || err.desc[n - 1] != '.' || strpbrk(err.desc, "\"\\") != NULL)
            fail_msg("unfit sentence: %s", err.desc);
        if (word != NULL && strstr(err.desc, word) == NULL)
            fail_msg("sentence without %s: %s", word, err.desc);
    }
    if (keep != NULL)
        *keep = out;
    return t_code(rc, &err);
}

#define verify(c) verify_word((c), NULL, NULL)

static void test_good(void **state)
{
    struct gr_client_attestation_check c;
    struct gr_client_attestation out;
    uint8_t jkt[32];

    (void)state;
    good_pair();
    c = check();
    assert_code(verify_word(&c, NULL, &out), GR_ERR_OK);
    assert_string_equal(out.client_id, CLIENT);
    assert_int_equal(out.pop_iat, NOW);
    assert_int_equal(out.exp, 1700086400);
    gr_jwk_thumbprint(f.instance, jkt);
    assert_memory_equal(out.jkt, jkt, 32);
    assert_string_equal(out.wallet_name, "EUDI Wallet?");
    /* No client_id in the request; aud as a one-element array; an exp ahead. */
    c.client_id = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c), GR_ERR_OK);
    pop(f.instance, POP_HDR,
        "{\"iss\":\"" CLIENT "\",\"aud\":[\"" AUD "\"],\"jti\":\"j\",\"iat\":1700000000,"
        "\"exp\":1700000300}");
    c = check();
    assert_code(verify(&c), GR_ERR_OK);
    /* typ as a media type; a challenge present but not asked for is not read. */
    pop(f.instance, "{\"typ\":\"application/" POP_TYP "\",\"alg\":\"ES256\"}",
        POP_CLAIMS("j") ",\"challenge\":\"whatever\"}");
    c = check();
    assert_code(verify(&c), GR_ERR_OK);
}

/* The replay key: the same PoP gives the same hash, another jti another one. */
static void test_jti_hash(void **state)
{
    struct gr_client_attestation_check c;
    struct gr_client_attestation a, b, d;

    (void)state;
    good_pair();
    c = check();
    assert_code(verify_word(&c, NULL, &a), GR_ERR_OK);
    assert_code(verify_word(&c, NULL, &b), GR_ERR_OK);
    assert_memory_equal(a.jti_hash, b.jti_hash, 32);
    pop(f.instance, POP_HDR, POP_CLAIMS("jti-2") "}");
    c = check();
    assert_code(verify_word(&c, NULL, &d), GR_ERR_OK);
    assert_memory_not_equal(a.jti_hash, d.jti_hash, 32);
    /* The same jti signed again (another PoP): the same key, so a replay set catches it. */
    pop(f.instance, POP_HDR, POP_CLAIMS("jti-1") ",\"x\":1}");
    c = check();
    assert_code(verify_word(&c, NULL, &d), GR_ERR_OK);
    assert_memory_equal(a.jti_hash, d.jti_hash, 32);
}

/* §6.1: exactly one header of each kind. */
static void test_headers(void **state)
{
    struct gr_client_attestation_check c;

    (void)state;
    good_pair();
    c = check();
    c.attestation_count = 0;
    assert_code(verify_word(&c, "no OAuth-Client-Attestation header", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.attestation = (struct gr_str){ NULL, 0 };
    assert_code(verify_word(&c, "no OAuth-Client-Attestation header", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.attestation_count = 2;
    assert_code(verify_word(&c, "more than one OAuth-Client-Attestation header", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.pop_count = 0;
    assert_code(verify_word(&c, "no OAuth-Client-Attestation-PoP", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.pop = (struct gr_str){ NULL, 0 };
    assert_code(verify_word(&c, "no OAuth-Client-Attestation-PoP", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.pop_count = 3;
    assert_code(verify_word(&c, "more than one OAuth-Client-Attestation-PoP", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* The two swapped. */
    c = check();
    c.attestation = gr_buf_str(&f.pop);
    c.pop = gr_buf_str(&f.att);
    assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* No audience to check against: the caller's mistake. */
    c = check();
    c.audience = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c), GR_ERR_USAGE);
    c = check();
    c.anchors = NULL;
    assert_code(verify_word(&c, "trusts no wallet provider", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
}

/* The attestation: typ, trust, claims. */
static void test_attestation(void **state)
{
    static const struct {
        const char *typ, *claims, *word;
    } cases[] = {
        { "wallet-attestation+jwt", ATT_CLAIMS, "typ" },
        { POP_TYP, ATT_CLAIMS, "typ" },
        { ATT_TYP, "{\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"cnf\":{\"jwk\":{JWK}}}", "iss" },
        { ATT_TYP,
          "{\"iss\":\"\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"cnf\":{\"jwk\":{JWK}}}",
          "iss" },
        { ATT_TYP, "{\"iss\":\"" PROVIDER "\",\"exp\":1700086400,\"cnf\":{\"jwk\":{JWK}}}", "sub" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":1,\"exp\":1700086400,\"cnf\":{\"jwk\":{JWK}}}",
          "sub" },
        { ATT_TYP, "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"cnf\":{\"jwk\":{JWK}}}",
          "exp" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1699996400,"
          "\"cnf\":{\"jwk\":{JWK}}}",
          "expired" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1699999940,"
          "\"cnf\":{\"jwk\":{JWK}}}",
          "expired" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1699999941,"
          "\"cnf\":{\"jwk\":{JWK}}}",
          NULL }, /* within the skew */
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":\"1700086400\","
          "\"cnf\":{\"jwk\":{JWK}}}",
          "exp" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"iat\":1700000061,"
          "\"cnf\":{\"jwk\":{JWK}}}",
          "iat" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"nbf\":1700003600,"
          "\"cnf\":{\"jwk\":{JWK}}}",
          "nbf" },
        { ATT_TYP, "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400}",
          "cnf.jwk" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"cnf\":{}}",
          "cnf.jwk" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,\"cnf\":{{JWK}}}",
          "" }, /* not JSON at all: refused */
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,"
          "\"cnf\":{\"jwk\":{PRIV}}}",
          "cnf.jwk" },
        { ATT_TYP,
          "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1700086400,"
          "\"cnf\":{\"jwk\":\"k\"}}",
          "cnf.jwk" },
    };
    struct gr_client_attestation_check c;

    (void)state;
    pop(f.instance, POP_HDR, POP_CLAIMS("j") "}");
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        bool ok = cases[i].word == NULL;
        enum gr_errc got;

        attestation(f.wp, cases[i].typ, cases[i].claims);
        c = check();
        got = verify_word(&c, cases[i].word, NULL);
        if (got != (ok ? GR_ERR_OK : GR_ERR_INVALID_CLIENT_ATTESTATION))
            fail_msg("case %zu: %s", i, gr_errc_name(got));
    }
}

/* Signed by an unknown provider, by a key outside the chain, with no chain, unsigned. */
static void test_attestation_trust(void **state)
{
    struct gr_client_attestation_check c;
    struct gr_buf h;

    (void)state;
    pop(f.instance, POP_HDR, POP_CLAIMS("j") "}");
    attestation(f.stranger, ATT_TYP, ATT_CLAIMS);
    c = check();
    assert_code(verify_word(&c, "trusted wallet provider", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_printf(&h, "{\"typ\":\"" ATT_TYP "\",\"alg\":\"ES256\",\"x5c\":%s}", f.wp->x5c.data);
    subst(ATT_CLAIMS, &f.tmp);
    gr_buf_reset(&f.att);
    t_sign(f.other, gr_buf_str(&h), gr_buf_str(&f.tmp), &f.att);
    c = check();
    assert_code(verify_word(&c, "signature", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_reset(&f.att);
    t_sign(f.wp->key, GR_STR("{\"typ\":\"" ATT_TYP "\",\"alg\":\"ES256\",\"kid\":\"11\"}"),
           gr_buf_str(&f.tmp), &f.att);
    c = check();
    assert_code(verify_word(&c, "x5c", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_reset(&f.att);
    gr_buf_reset(&h);
    gr_buf_printf(&h, "{\"typ\":\"" ATT_TYP "\",\"alg\":\"none\",\"x5c\":%s}", f.wp->x5c.data);
    gr_buf_add_b64url(&f.att, h.data, h.len);
    gr_buf_addc(&f.att, '.');
    gr_buf_add_b64url(&f.att, f.tmp.data, f.tmp.len);
    gr_buf_addc(&f.att, '.');
    c = check();
    assert_code(verify(&c), GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* The provider's certificate has expired. */
    attestation(f.wp, ATT_TYP,
                "{\"iss\":\"" PROVIDER "\",\"sub\":\"" CLIENT "\",\"exp\":1900000000,"
                "\"cnf\":{\"jwk\":{JWK}}}");
    pop(f.instance, POP_HDR,
        "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1893456100}");
    c = check();
    c.now = 1893456100;
    assert_code(verify_word(&c, "expired or not yet valid", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_release(&h);
}

/* The PoP: its key, iss, aud, jti, times, challenge. */
static void test_pop(void **state)
{
    static const struct {
        const char *claims, *word; /* word NULL: accepted */
    } cases[] = {
        { POP_CLAIMS("j") "}", NULL },
        { "{\"iss\":\"wallet-2\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1700000000}", "iss" },
        { "{\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1700000000}", "iss" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"https://other.example.com\",\"jti\":\"j\","
          "\"iat\":1700000000}",
          "not meant for this server" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "/\",\"jti\":\"j\",\"iat\":1700000000}",
          "not meant" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":[\"" AUD "\",\"https://other.example.com\"],"
          "\"jti\":\"j\",\"iat\":1700000000}",
          "not meant" },
        { "{\"iss\":\"" CLIENT "\",\"jti\":\"j\",\"iat\":1700000000}", "not meant" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"iat\":1700000000}", "jti" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"\",\"iat\":1700000000}", "jti" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":7,\"iat\":1700000000}", "jti" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\"}", "iat" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1699999700}", NULL },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1699999699}",
          "too old" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1700000060}", NULL },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1700000061}",
          "future" },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":\"1700000000\"}",
          "iat" },
        { POP_CLAIMS("j") ",\"exp\":1699999900}", "expired" },
        { POP_CLAIMS("j") ",\"exp\":1700000100}", NULL },
        { "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":1700000000,"
          "\"nbf\":1700000100}",
          "nbf" },
    };
    struct gr_client_attestation_check c;

    (void)state;
    attestation(f.wp, ATT_TYP, ATT_CLAIMS);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        enum gr_errc got;

        pop(f.instance, POP_HDR, cases[i].claims);
        c = check();
        got = verify_word(&c, cases[i].word, NULL);
        if (got != (cases[i].word ? GR_ERR_INVALID_CLIENT_ATTESTATION : GR_ERR_OK))
            fail_msg("case %zu: %s", i, gr_errc_name(got));
    }
}

static void test_pop_key_and_typ(void **state)
{
    struct gr_client_attestation_check c;
    struct gr_buf jti;
    size_t dot;

    (void)state;
    attestation(f.wp, ATT_TYP, ATT_CLAIMS);
    /* Signed by another key than cnf.jwk. */
    pop(f.other, POP_HDR, POP_CLAIMS("j") "}");
    c = check();
    assert_code(verify_word(&c, "not signed by the attested key", NULL),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* Signed by the wallet provider instead. */
    pop(f.wp->key, POP_HDR, POP_CLAIMS("j") "}");
    c = check();
    assert_code(verify_word(&c, "attested key", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* Wrong or missing typ. */
    pop(f.instance, "{\"typ\":\"" ATT_TYP "\",\"alg\":\"ES256\"}", POP_CLAIMS("j") "}");
    c = check();
    assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    pop(f.instance, "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\"}", POP_CLAIMS("j") "}");
    c = check();
    assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    pop(f.instance, "{\"alg\":\"ES256\"}", POP_CLAIMS("j") "}");
    c = check();
    assert_code(verify_word(&c, "typ", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* STYLE §4.2: each character of the PoP's signature changed. */
    pop(f.instance, POP_HDR, POP_CLAIMS("j") "}");
    dot = (size_t)(strrchr(f.pop.data, '.') - f.pop.data);
    for (size_t i = dot + 1; i < f.pop.len; i++) {
        char was = f.pop.data[i];

        f.pop.data[i] = was == 'A' ? 'B' : 'A';
        c = check();
        assert_code(verify(&c), GR_ERR_INVALID_CLIENT_ATTESTATION);
        f.pop.data[i] = was;
    }
    /* A jti of 256 bytes is taken, 257 are not. */
    gr_buf_init(&jti, GR_BUF_UNBOUNDED);
    gr_buf_adds(&jti, "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"iat\":1700000000,\"jti\":\"");
    for (int i = 0; i < 256; i++) {
        gr_buf_addc(&jti, 'j');
    }
    gr_buf_adds(&jti, "\"}");
    pop(f.instance, POP_HDR, jti.data);
    c = check();
    assert_code(verify(&c), GR_ERR_OK);
    jti.len -= 2;
    gr_buf_adds(&jti, "j\"}");
    pop(f.instance, POP_HDR, jti.data);
    c = check();
    assert_code(verify_word(&c, "jti", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_release(&jti);
}

/* client_id of the token request against sub; the challenge when one is used. */
static void test_client_id_and_challenge(void **state)
{
    struct gr_client_attestation_check c;

    (void)state;
    good_pair();
    c = check();
    c.client_id = GR_STR("wallet-2");
    assert_code(verify_word(&c, "client_id", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    c.client_id = GR_STR("Wallet-1");
    assert_code(verify_word(&c, "client_id", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    c.client_id = GR_STR("");
    assert_code(verify_word(&c, "client_id", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    /* A challenge expected: absent, wrong, right. */
    c = check();
    c.challenge = GR_STR("ch-1");
    assert_code(verify_word(&c, "no challenge", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    pop(f.instance, POP_HDR, POP_CLAIMS("j") ",\"challenge\":\"ch-2\"}");
    c = check();
    c.challenge = GR_STR("ch-1");
    assert_code(verify_word(&c, "challenge", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    pop(f.instance, POP_HDR, POP_CLAIMS("j") ",\"challenge\":7}");
    c = check();
    c.challenge = GR_STR("ch-1");
    assert_code(verify_word(&c, "challenge", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    pop(f.instance, POP_HDR, POP_CLAIMS("j") ",\"challenge\":\"ch-1\"}");
    c = check();
    c.challenge = GR_STR("ch-1");
    assert_code(verify(&c), GR_ERR_OK);
}

/* Inputs past GR_MAX_JWS_LEN are refused before they are parsed. */
static void test_sizes(void **state)
{
    struct gr_client_attestation_check c;
    struct gr_buf big;

    (void)state;
    good_pair();
    gr_buf_init(&big, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i <= GR_MAX_JWS_LEN; i++) {
        gr_buf_addc(&big, 'a');
    }
    c = check();
    c.attestation = gr_buf_str(&big);
    assert_code(verify_word(&c, "larger", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.pop = gr_buf_str(&big);
    assert_code(verify_word(&c, "larger", NULL), GR_ERR_INVALID_CLIENT_ATTESTATION);
    c = check();
    c.pop = GR_STR("a.b.c");
    assert_code(verify(&c), GR_ERR_INVALID_CLIENT_ATTESTATION);
    gr_buf_release(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_jti_hash),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_attestation),
        cmocka_unit_test(test_attestation_trust),
        cmocka_unit_test(test_pop),
        cmocka_unit_test(test_pop_key_and_typ),
        cmocka_unit_test(test_client_id_and_challenge),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

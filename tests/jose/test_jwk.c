#include "testutil.h"

#include <string.h>

#include "jose/internal.h"

/* SPECS.md T4: the example issuer and holder keys, member by member. */
#define IX             "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ"
#define IY             "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"
#define ID             "Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g"
#define HX             "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc"
#define HY             "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"
#define HD             "5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I"
#define EC_PUB(x, y)   "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" x "\",\"y\":\"" y "\""
#define ISSUER_PUB     EC_PUB(IX, IY) "}"
#define ISSUER_WITH(m) EC_PUB(IX, IY) "," m "}"

/* The issuer key of T4 in the three PEM shapes, made with Python's cryptography. */
static const char issuer_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIFK9mzSrgTzqwGsbEZ20h+oSIZjU8Uhl7IQ0lA9Wtcu4oAoGCCqGSM49\n"
    "AwEHoUQDQgAEb28d4MwZMjw8+00CG4xfnn9SLMVMM19SlqZpVb/uNtRe/nNbC6hp\n"
    "OB1LqFXjfIjqAHBOeO6SYVBCcn+QLHOqTw==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char issuer_spki[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEb28d4MwZMjw8+00CG4xfnn9SLMVM\n"
    "M19SlqZpVb/uNtRe/nNbC6hpOB1LqFXjfIjqAHBOeO6SYVBCcn+QLHOqTw==\n"
    "-----END PUBLIC KEY-----\n";
/* The issuer's d with the holder's public key in the SEC 1 structure. */
static const char mismatched_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIFK9mzSrgTzqwGsbEZ20h+oSIZjU8Uhl7IQ0lA9Wtcu4oAoGCCqGSM49\n"
    "AwEHoUQDQgAETCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemdnGOJZZtkx\n"
    "AYdVYpVDiFtIiKuxV+55wITq3iNP0XYdlA==\n"
    "-----END EC PRIVATE KEY-----\n";
/* The issuer's SPKI with the last bit of y flipped: off the curve. */
static const char off_curve_spki[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEb28d4MwZMjw8+00CG4xfnn9SLMVM\n"
    "M19SlqZpVb/uNtRe/nNbC6hpOB1LqFXjfIjqAHBOeO6SYVBCcn+QLHOqTg==\n"
    "-----END PUBLIC KEY-----\n";
static const char p384_spki[] = "-----BEGIN PUBLIC KEY-----\n"
                                "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE+uKPsIJ78vtUVbt9cwi4EZXWCPErGj0N\n"
                                "knKNdyw7gUK4GC/LJc+/tblD2j4TrfQTAfxWH25HgzaqVFMGcIVWIq28TCESW/3R\n"
                                "WVlss8QkjhdMoIrv4codx/y4KQNIu16B\n"
                                "-----END PUBLIC KEY-----\n";
static const char ed25519_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIMVrmzLFH9dVm/+46NlaCK0rwkJ9v228XUSryNcy1Izu\n"
    "-----END PRIVATE KEY-----\n";
static const char encrypted_pkcs8[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIH0MF8GCSqGSIb3DQEFDTBSMDEGCSqGSIb3DQEFDDAkBBC4q40SDh9d+aZmSeNM\n"
    "ONz4AgIIADAMBggqhkiG9w0CCQUAMB0GCWCGSAFlAwQBKgQQIlz9IDFjsnRwYIJ0\n"
    "CHHEtASBkGKoDZynyNDVj2YmOEJlU6ht47DHej0Jkx4DNvN2y86cOPlSceFM32yc\n"
    "Il66uhChS2OOQwyVm13+moecla+TVDuv/FeWilWpLwRc4DlXBpImcg+aGc8qd4bz\n"
    "g7a2uil81KLY3mA+nCEntcRNdk8PbhsnknPfk1jOUNWoFDM2oNMU4ngrVUiH1xDp\n"
    "NUdjFIHt7A==\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

static enum gr_errc parse_code(const char *json, enum gr_jwk_want want)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_parse(gr_str_c(json), want, &err);

    gr_jwk_free(key);
    return key ? GR_ERR_OK : err.code;
}

static enum gr_errc pem_code(const char *pem, enum gr_jwk_want want)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_parse_pem(gr_str_c(pem), want, &err);

    gr_jwk_free(key);
    return key ? GR_ERR_OK : err.code;
}

static const struct {
    const char *json;
    enum gr_jwk_want want;
    enum gr_errc code;
} jwk_cases[] = {
    /* accepted */
    { ISSUER_PUB, GR_JWK_PUBLIC, GR_ERR_OK },
    { ISSUER_PUB, GR_JWK_ANY, GR_ERR_OK },
    { T4_ISSUER_JWK, GR_JWK_ANY, GR_ERR_OK },
    { T4_ISSUER_JWK, GR_JWK_PRIVATE, GR_ERR_OK },
    { T4_HOLDER_JWK, GR_JWK_PRIVATE, GR_ERR_OK },
    { ISSUER_WITH("\"kid\":\"k1\",\"use\":\"sig\",\"alg\":\"ES256\""), GR_JWK_PUBLIC, GR_ERR_OK },
    { "{\"y\":\"" IY "\",\"x\":\"" IX "\",\"crv\":\"P-256\",\"kty\":\"EC\"}", GR_JWK_PUBLIC,
      GR_ERR_OK },
    /* not JSON, not an object, duplicates, too large */
    { "", GR_JWK_ANY, GR_ERR_MALFORMED },
    { "{\"kty\":\"EC\"", GR_JWK_ANY, GR_ERR_MALFORMED },
    { "[" ISSUER_PUB "]", GR_JWK_ANY, GR_ERR_MALFORMED },
    { "\"EC\"", GR_JWK_ANY, GR_ERR_MALFORMED },
    { ISSUER_WITH("\"x\":\"" IX "\""), GR_JWK_ANY, GR_ERR_MALFORMED },
    { ISSUER_WITH("\"kty\":\"EC\""), GR_JWK_ANY, GR_ERR_MALFORMED },
    /* kty and crv */
    { "{\"crv\":\"P-256\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" IX "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "{\"kty\":\"oct\",\"k\":\"" IX "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "{\"kty\":\"ec\",\"crv\":\"P-256\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { "{\"kty\":\"EC\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    /* members of the wrong JSON type */
    { "{\"kty\":1,\"crv\":\"P-256\",\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "{\"kty\":\"EC\",\"crv\":null,\"x\":\"" IX "\",\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":[\"" IX "\"],\"y\":\"" IY "\"}", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" IX "\",\"y\":32}", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { ISSUER_WITH("\"alg\":256"), GR_JWK_ANY, GR_ERR_MALFORMED },
    { ISSUER_WITH("\"d\":true"), GR_JWK_ANY, GR_ERR_MALFORMED },
    /* alg */
    { ISSUER_WITH("\"alg\":\"ES384\""), GR_JWK_PUBLIC, GR_ERR_UNSUPPORTED_ALG },
    { ISSUER_WITH("\"alg\":\"HS256\""), GR_JWK_PUBLIC, GR_ERR_UNSUPPORTED_ALG },
    { ISSUER_WITH("\"alg\":\"none\""), GR_JWK_PUBLIC, GR_ERR_UNSUPPORTED_ALG },
    { ISSUER_WITH("\"alg\":\"es256\""), GR_JWK_PUBLIC, GR_ERR_UNSUPPORTED_ALG },
    /* coordinates: missing, wrong length, not canonical base64url, off the curve */
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"y\":\"" IY "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" IX "\"}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB("b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNt", IY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB(IX "A", IY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB(IX "=", IY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB("AA" IX, IY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB("", IY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB(IX, "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk9") "}", GR_JWK_ANY,
      GR_ERR_MALFORMED }, /* trailing bits set */
    { EC_PUB("b28d4MwZMjw8+00CG4xfnn9SLMVMM19SlqZpVb/uNtQ", IY) "}", GR_JWK_ANY,
      GR_ERR_MALFORMED }, /* standard alphabet */
    { EC_PUB("b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uN Q", IY) "}", GR_JWK_ANY, GR_ERR_MALFORMED },
    { EC_PUB(IX, "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk4") "}", GR_JWK_ANY,
      GR_ERR_BAD_KEY }, /* y changed: not on the curve */
    { EC_PUB(IX, HY) "}", GR_JWK_ANY, GR_ERR_BAD_KEY },
    { EC_PUB("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") "}",
      GR_JWK_ANY, GR_ERR_BAD_KEY }, /* (0, 0) is not on the curve, nor is infinity */
    /* (0, y) is on the curve; (p, y) is the same point with x not reduced mod p */
    { EC_PUB("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
             "ZkhceA4vg9ckM71dhKBrtlQcKvMdrocXKL-FahdPk_Q") "}",
      GR_JWK_ANY, GR_ERR_OK },
    { EC_PUB("_____wAAAAEAAAAAAAAAAAAAAAD_______________8",
             "ZkhceA4vg9ckM71dhKBrtlQcKvMdrocXKL-FahdPk_Q") "}",
      GR_JWK_ANY, GR_ERR_BAD_KEY },
    /* d: wrong length, zero, the group order, not matching the point */
    { ISSUER_WITH("\"d\":\"Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7\""), GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"d\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\""), GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"d\":\"_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE\""), GR_JWK_ANY,
      GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"d\":\"" HD "\""), GR_JWK_ANY, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"d\":\"" HD "\""), GR_JWK_PRIVATE, GR_ERR_BAD_KEY },
    /* private members where a public key is wanted, whatever their value */
    { T4_ISSUER_JWK, GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"d\":null"), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"p\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"q\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"dp\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"dq\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"qi\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"oth\":[]"), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { ISSUER_WITH("\"k\":\"AQAB\""), GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    /* a key pair is needed */
    { ISSUER_PUB, GR_JWK_PRIVATE, GR_ERR_BAD_KEY },
};

static void test_parse_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(jwk_cases); i++) {
        enum gr_errc got = parse_code(jwk_cases[i].json, jwk_cases[i].want);

        if (got != jwk_cases[i].code) {
            fail_msg("case %zu: code %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(jwk_cases[i].code));
        }
    }
}

static void test_parse_too_large(void **state)
{
    struct gr_buf b;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_adds(&b, EC_PUB(IX, IY) ",\"kid\":\"");
    while (b.len <= GR_MAX_JWK_LEN) {
        gr_buf_addc(&b, 'k');
    }
    gr_buf_adds(&b, "\"}");
    assert_code(parse_code(b.data, GR_JWK_ANY), GR_ERR_TOO_LARGE);
    gr_buf_release(&b);
}

/* The key pair of T4 serializes to exactly the published JWK, member order included. */
static void test_to_json(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_buf b;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, true, &b);
    assert_string_equal(b.data, T4_ISSUER_JWK);
    gr_buf_reset(&b);
    gr_jwk_to_json(key, false, &b);
    assert_string_equal(b.data, ISSUER_PUB);
    gr_buf_reset(&b);
    gr__jwk_json(key, &b);
    assert_string_equal(b.data, ISSUER_PUB);
    gr_buf_release(&b);
    gr_jwk_free(key);
}

static void test_json_roundtrip(void **state)
{
    struct gr_err err;
    struct gr_buf b;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    for (int i = 0; i < 16; i++) {
        struct gr_jwk *key = t_keygen(), *back, *pub;

        assert_true(gr_jwk_is_private(key));
        gr_buf_reset(&b);
        gr_jwk_to_json(key, true, &b);
        back = gr_jwk_parse(gr_buf_str(&b), GR_JWK_PRIVATE, &err);
        assert_non_null(back);
        assert_true(gr_jwk_is_private(back));
        assert_true(gr_jwk_equal(key, back));
        gr_buf_reset(&b);
        gr_jwk_to_json(key, false, &b);
        pub = gr_jwk_parse(gr_buf_str(&b), GR_JWK_PUBLIC, &err);
        assert_non_null(pub);
        assert_false(gr_jwk_is_private(pub));
        assert_true(gr_jwk_equal(key, pub));
        gr_jwk_free(key);
        gr_jwk_free(back);
        gr_jwk_free(pub);
    }
    gr_buf_release(&b);
}

static void test_generate_dup_equal(void **state)
{
    struct gr_jwk *a = t_keygen(), *b = t_keygen(), *pub = gr_jwk_dup_public(a);
    struct gr_buf out;

    (void)state;
    assert_false(gr_jwk_equal(a, b));
    assert_true(gr_jwk_equal(a, pub));
    assert_false(gr_jwk_is_private(pub));
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(pub, true, &out); /* asking for d on a public key gives none */
    assert_null(strstr(out.data, "\"d\""));
    gr_buf_release(&out);
    assert_null(gr_jwk_dup_public(NULL));
    gr_jwk_free(NULL);
    gr_jwk_free(a);
    gr_jwk_free(b);
    gr_jwk_free(pub);
}

/* SPECS.md T6 and the test notes: RFC 7638 thumbprints, raw and from any JWK JSON. */
static const struct {
    const char *json;
    const char *thumbprint;
} thumbprints[] = {
    { T4_HOLDER_JWK, "aISfTcr9M_Zd09AXGAAeFxnLbFY6lBa87UN515wm5d4" },
    { T4_ISSUER_JWK, "Q5yTSREAbvZL131ynDBhalXJcF9fL0foJlMN8u6ldiY" },
    { EC_PUB("nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4",
             "HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY") "}",
      "nsnRYXLu2y5KUIxcX-zph8ZtLWiJfLKxVDVYUWPwhcc" },
    /* T7, in the member order of RFC 9449 Figure 2 */
    { "{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
      "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\"}",
      "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
};

static void b64(const uint8_t digest[32], char out[44])
{
    gr_b64url_encode(digest, 32, out);
    out[43] = '\0';
}

static void test_thumbprint_ec(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(thumbprints); i++) {
        struct gr_jwk *key = t_jwk(thumbprints[i].json);
        char got[GR_JWK_THUMBPRINT_B64_LEN + 1];
        uint8_t raw[32];
        struct gr_err err;

        gr_jwk_thumbprint_b64(key, got);
        assert_string_equal(got, thumbprints[i].thumbprint);
        gr_jwk_thumbprint(key, raw);
        b64(raw, got);
        assert_string_equal(got, thumbprints[i].thumbprint);
        /* The generic path agrees, and ignores d and the member order. */
        assert_int_equal(gr_jwk_thumbprint_json(gr_str_c(thumbprints[i].json), raw, &err), 0);
        b64(raw, got);
        assert_string_equal(got, thumbprints[i].thumbprint);
        gr_jwk_free(key);
    }
}

/* RFC 7638 §3.1 (T6) */
#define RFC7638_N                                                                             \
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_" \
    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"         \
    "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLy"   \
    "rdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"               \
    "kEgU8awapJzKnqDKgw"

static const struct {
    const char *json;
    const char *thumbprint; /* NULL: rejected with `code` */
    enum gr_errc code;
} generic[] = {
    { "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"alg\":\"RS256\","
      "\"kid\":\"2011-04-29\"}",
      "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", GR_ERR_OK },
    /* RFC 8037 Appendix A.3 */
    { "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
      "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", GR_ERR_OK },
    /* Values are re-quoted, escapes and UTF-8 as JSON wants them: checked with Python's
     * json.dumps(separators=(",", ":"), ensure_ascii=False). */
    { "{\"kty\":\"oct\",\"k\":\"a\\\"b\\\\c\\u00e9\\u0001\\/\"}",
      "qRD9lO-3MiK6nuX8_R2HMsQMCgmlpwAZVN2GCWdzmaI", GR_ERR_OK },
    { "{\"kty\":\"RSA\",\"e\":\"AQAB\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":65537}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" IX "\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":\"OKP\",\"x\":\"" IX "\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":\"oct\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":\"DSA\",\"k\":\"x\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"kty\":7,\"k\":\"x\"}", NULL, GR_ERR_BAD_KEY },
    { "{\"k\":\"x\"}", NULL, GR_ERR_BAD_KEY },
    { "[]", NULL, GR_ERR_MALFORMED },
    { "{\"kty\":\"oct\",\"k\":\"x\",\"k\":\"y\"}", NULL, GR_ERR_MALFORMED },
    { "not json", NULL, GR_ERR_MALFORMED },
};

static void test_thumbprint_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(generic); i++) {
        uint8_t raw[32];
        char got[44];
        struct gr_err err;
        int rc = gr_jwk_thumbprint_json(gr_str_c(generic[i].json), raw, &err);

        if (generic[i].thumbprint == NULL) {
            assert_code(t_code(rc, &err), generic[i].code);
            continue;
        }
        assert_int_equal(rc, 0);
        b64(raw, got);
        assert_string_equal(got, generic[i].thumbprint);
    }
}

static void test_pem_vectors(void **state)
{
    struct gr_jwk *want = t_jwk(T4_ISSUER_JWK);
    struct gr_jwk *key;
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    key = gr_jwk_parse_pem(gr_str_c(issuer_sec1), GR_JWK_PRIVATE, &err);
    assert_non_null(key);
    assert_true(gr_jwk_is_private(key));
    assert_true(gr_jwk_equal(key, want));
    /* Same d: the JWK it writes is the published one. */
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, true, &b);
    assert_string_equal(b.data, T4_ISSUER_JWK);
    gr_buf_release(&b);
    gr_jwk_free(key);

    key = gr_jwk_parse_pem(gr_str_c(issuer_spki), GR_JWK_PUBLIC, &err);
    assert_non_null(key);
    assert_false(gr_jwk_is_private(key));
    assert_true(gr_jwk_equal(key, want));
    gr_jwk_free(key);
    gr_jwk_free(want);
}

/* What we write, we read: PKCS#8 and SPKI, and SEC 1 as OpenSSL writes it. */
static void test_pem_roundtrip(void **state)
{
    struct gr_jwk *key = t_keygen(), *back;
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_jwk_to_pem(key, true, &b, &err), 0);
    assert_non_null(strstr(b.data, "-----BEGIN PRIVATE KEY-----\n"));
    back = gr_jwk_parse_pem(gr_buf_str(&b), GR_JWK_PRIVATE, &err);
    assert_non_null(back);
    assert_true(gr_jwk_is_private(back));
    assert_true(gr_jwk_equal(key, back));
    gr_jwk_free(back);

    gr_buf_reset(&b);
    assert_int_equal(gr_jwk_to_pem(key, false, &b, &err), 0);
    assert_non_null(strstr(b.data, "-----BEGIN PUBLIC KEY-----\n"));
    back = gr_jwk_parse_pem(gr_buf_str(&b), GR_JWK_PUBLIC, &err);
    assert_non_null(back);
    assert_false(gr_jwk_is_private(back));
    assert_true(gr_jwk_equal(key, back));

    /* A public key asked for its private PEM writes SPKI. */
    gr_buf_reset(&b);
    assert_int_equal(gr_jwk_to_pem(back, true, &b, &err), 0);
    assert_non_null(strstr(b.data, "-----BEGIN PUBLIC KEY-----\n"));
    gr_jwk_free(back);

    /* The output cap is reported. */
    gr_buf_release(&b);
    gr_buf_init(&b, 16);
    assert_code(t_code(gr_jwk_to_pem(key, true, &b, &err), &err), GR_ERR_TOO_LARGE);
    gr_buf_release(&b);
    gr_jwk_free(key);
}

static void test_pem_first_key_block(void **state)
{
    struct gr_buf b;
    struct gr_jwk *key, *want = t_jwk(T4_ISSUER_JWK);
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_adds(&b, "junk before\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    gr_buf_adds(&b, issuer_spki);
    gr_buf_adds(&b, issuer_sec1);
    key = gr_jwk_parse_pem(gr_buf_str(&b), GR_JWK_ANY, &err);
    assert_non_null(key);
    assert_false(gr_jwk_is_private(key)); /* the SPKI came first */
    assert_true(gr_jwk_equal(key, want));
    gr_jwk_free(key);
    gr_jwk_free(want);
    gr_buf_release(&b);
}

static const struct {
    const char *pem;
    enum gr_jwk_want want;
    enum gr_errc code;
} pem_cases[] = {
    { issuer_sec1, GR_JWK_ANY, GR_ERR_OK },
    { issuer_spki, GR_JWK_ANY, GR_ERR_OK },
    { issuer_sec1, GR_JWK_PUBLIC, GR_ERR_BAD_KEY },
    { issuer_spki, GR_JWK_PRIVATE, GR_ERR_BAD_KEY },
    { mismatched_sec1, GR_JWK_ANY, GR_ERR_BAD_KEY },
    { off_curve_spki, GR_JWK_ANY, GR_ERR_MALFORMED },
    { p384_spki, GR_JWK_ANY, GR_ERR_BAD_KEY },
    { ed25519_pkcs8, GR_JWK_ANY, GR_ERR_BAD_KEY },
    { encrypted_pkcs8, GR_JWK_ANY, GR_ERR_BAD_KEY },
    { "", GR_JWK_ANY, GR_ERR_MALFORMED },
    { "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", GR_JWK_ANY,
      GR_ERR_MALFORMED },
    { "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", GR_JWK_ANY,
      GR_ERR_MALFORMED }, /* truncated */
};

static void test_pem_rejects(void **state)
{
    struct gr_buf big;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(pem_cases); i++) {
        enum gr_errc got = pem_code(pem_cases[i].pem, pem_cases[i].want);

        if (got != pem_cases[i].code) {
            fail_msg("case %zu: code %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(pem_cases[i].code));
        }
    }
    gr_buf_init(&big, GR_BUF_UNBOUNDED);
    while (big.len <= GR_MAX_PEM_LEN) {
        gr_buf_adds(&big, issuer_spki);
    }
    assert_code(pem_code(big.data, GR_JWK_ANY), GR_ERR_TOO_LARGE);
    gr_buf_release(&big);
}

/* A key from OpenSSL goes through the same checks as one from JSON. */
static void test_from_pkey(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK), *copy;
    struct gr_err err;

    (void)state;
    assert_true(EVP_PKEY_up_ref(key->pkey) == 1);
    copy = gr__jwk_from_pkey(key->pkey, &err);
    assert_non_null(copy);
    assert_true(gr_jwk_equal(key, copy));
    assert_true(gr_jwk_is_private(copy));
    gr_jwk_free(copy);
    gr_jwk_free(key);
    assert_null(gr__jwk_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_cases),
        cmocka_unit_test(test_parse_too_large),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_generate_dup_equal),
        cmocka_unit_test(test_thumbprint_ec),
        cmocka_unit_test(test_thumbprint_json),
        cmocka_unit_test(test_pem_vectors),
        cmocka_unit_test(test_pem_roundtrip),
        cmocka_unit_test(test_pem_first_key_block),
        cmocka_unit_test(test_pem_rejects),
        cmocka_unit_test(test_from_pkey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jose/internal.h"

/*
 * SPECS.md T5: the key proof of OpenID4VCI 1.0 Appendix F.1 (also VCI13 §7.2.1.1),
 * T7: the DPoP proof of RFC 9449 §4.1 Figure 2 (sent in Figure 4),
 * T8: the DPoP proof with `ath` of RFC 9449 §7.1 Figure 13.
 */
static const char t5_proof[] =
    "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2Ij"
    "oiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tI"
    "VThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpY"
    "WwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUT"
    "R5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-j"
    "vh1WlA";
static const char t7_dpop[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TV"
    "CIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T"
    "8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
static const char t8_dpop[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUI"
    "iwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2Mj"
    "I2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yR"
    "qzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
static const char t8_access_token[] = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

/* 64 zero bytes: well-formed, never a valid signature. */
#define ZERO_SIG \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static enum gr_errc jws_code(struct gr_str in)
{
    struct gr_jws jws;
    struct gr_err err;
    int rc = gr_jws_parse(in, &jws, &err);

    gr_jws_release(&jws);
    return t_code(rc, &err);
}

/* Parse and verify with the header's own key, as proofs and DPoP do. */
static enum gr_errc self_signed_code(struct gr_str in)
{
    struct gr_jws jws;
    struct gr_err err;
    int rc = gr_jws_parse(in, &jws, &err);

    if (rc == 0) {
        rc = gr_jws_verify(&jws, jws.jwk, &err);
    }
    gr_jws_release(&jws);
    return t_code(rc, &err);
}

/* header.payload signed by `key`, or with `sig_b64` in place of a signature when not NULL. */
static void make_jws(struct gr_buf *out, const struct gr_jwk *key, const char *header,
                     const char *payload, const char *sig_b64)
{
    struct gr_err err;

    gr_buf_reset(out);
    if (sig_b64 == NULL) {
        if (gr_jws_sign(key, gr_str_c(header), gr_str_c(payload), out, &err) < 0) {
            fail_msg("sign: %s", err.desc);
        }
        return;
    }
    gr_buf_add_b64url(out, header, strlen(header));
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, payload, strlen(payload));
    gr_buf_addc(out, '.');
    gr_buf_adds(out, sig_b64);
}

static void test_published_proofs(void **state)
{
    static const struct {
        const char *jws, *typ, *thumbprint, *claim, *value;
    } proofs[] = {
        { t5_proof, "openid4vci-proof+jwt", "nsnRYXLu2y5KUIxcX-zph8ZtLWiJfLKxVDVYUWPwhcc", "nonce",
          "LarRGSbmUPYtRYO6BQ4yn8" },
        { t7_dpop, "dpop+jwt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "htu",
          "https://server.example.com/token" },
        { t8_dpop, "dpop+jwt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "htu",
          "https://resource.example.org/protectedresource" },
    };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(proofs); i++) {
        struct gr_jws jws;
        struct gr_err err;
        char jkt[GR_JWK_THUMBPRINT_B64_LEN + 1];
        struct gr_str in = gr_str_c(proofs[i].jws);

        assert_int_equal(gr_jws_parse(in, &jws, &err), 0);
        assert_true(gr_str_eq_c(jws.alg, "ES256"));
        assert_true(gr_str_eq_c(jws.typ, proofs[i].typ));
        assert_null(jws.kid.p);
        assert_int_equal(jws.x5c_count, 0);
        assert_non_null(jws.jwk);
        assert_false(gr_jwk_is_private(jws.jwk));
        gr_jwk_thumbprint_b64(jws.jwk, jkt);
        assert_string_equal(jkt, proofs[i].thumbprint);
        assert_true(gr_str_eq_c(gr__json_str(gr__json_t(jws.payload_json), proofs[i].claim),
                                proofs[i].value));
        assert_ptr_equal(jws.signing_input.p, in.p);
        assert_int_equal(jws.signing_input.len, strrchr(proofs[i].jws, '.') - proofs[i].jws);
        assert_int_equal(gr_jws_verify(&jws, jws.jwk, &err), 0);
        gr_jws_release(&jws);
    }
}

/* T8: ath = base64url(SHA-256(access token)), and the proof carries exactly that. */
static void test_t8_ath(void **state)
{
    uint8_t digest[32];
    char ath[44];
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    gr_sha256(t8_access_token, strlen(t8_access_token), digest);
    gr_b64url_encode(digest, sizeof(digest), ath);
    ath[43] = '\0';
    assert_string_equal(ath, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert_int_equal(gr_jws_parse(gr_str_c(t8_dpop), &jws, &err), 0);
    assert_true(gr_str_eq_c(gr__json_str(gr__json_t(jws.payload_json), "ath"), ath));
    assert_int_equal(json_integer_value(json_object_get(gr__json_t(jws.payload_json), "iat")),
                     1562262618);
    gr_jws_release(&jws);
}

static void test_sign_roundtrip(void **state)
{
    static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"dc+sd-jwt\",\"kid\":\"k-1\"}";
    static const char payload[] = "{\"iss\":\"https://example.com/issuer\",\"iat\":1683000000}";
    struct gr_jwk *issuer = t_jwk(T4_ISSUER_JWK), *holder = t_jwk(T4_HOLDER_JWK);
    struct gr_jwk *pub = gr_jwk_dup_public(issuer);
    struct gr_buf out;
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_adds(&out, "prefix~");
    assert_int_equal(gr_jws_sign(issuer, gr_str_c(header), gr_str_c(payload), &out, &err), 0);
    assert_int_equal(strncmp(out.data, "prefix~eyJ", 10), 0); /* appended */
    assert_int_equal(gr_jws_parse((struct gr_str){ out.data + 7, out.len - 7 }, &jws, &err), 0);
    assert_true(gr_str_eq_c(jws.header, header));
    assert_true(gr_str_eq_c(jws.payload, payload));
    assert_true(gr_str_eq_c(jws.typ, "dc+sd-jwt"));
    assert_true(gr_str_eq_c(jws.kid, "k-1"));
    assert_null(jws.jwk);
    assert_int_equal(gr_jws_verify(&jws, pub, &err), 0);
    assert_int_equal(gr_jws_verify(&jws, issuer, &err), 0);
    assert_code(t_code(gr_jws_verify(&jws, holder, &err), &err), GR_ERR_BAD_SIGNATURE);
    assert_code(t_code(gr_jws_verify(&jws, NULL, &err), &err), GR_ERR_USAGE);
    gr_jws_release(&jws);

    /* A public key cannot sign, and a failed sign leaves `out` as it was. */
    gr_buf_reset(&out);
    gr_buf_adds(&out, "keep");
    assert_code(t_code(gr_jws_sign(pub, gr_str_c(header), gr_str_c(payload), &out, &err), &err),
                GR_ERR_BAD_KEY);
    assert_string_equal(out.data, "keep");
    gr_buf_release(&out);
    gr_buf_init(&out, 100);
    gr_buf_adds(&out, "keep");
    assert_code(t_code(gr_jws_sign(issuer, gr_str_c(header), gr_str_c(payload), &out, &err), &err),
                GR_ERR_TOO_LARGE);
    assert_string_equal(out.data, "keep");
    assert_int_equal(gr_buf_check(&out, &err), 0);
    gr_buf_release(&out);
    gr_jwk_free(issuer);
    gr_jwk_free(holder);
    gr_jwk_free(pub);
}

/* Many signatures, so that R or S with leading zero bytes (1 in 128) come up. */
static void test_sign_verify_many(void **state)
{
    struct gr_jwk *key = t_keygen(), *pub = gr_jwk_dup_public(key);
    uint8_t msg[64], sig[64];
    int short_scalars = 0;
    struct gr_err err;

    (void)state;
    for (int i = 0; i < 600; i++) {
        struct gr_str in = { (const char *)msg, (size_t)(i % 64) };

        assert_int_equal(gr_random(msg, sizeof(msg), &err), 0);
        assert_int_equal(gr_es256_sign(key, in, sig, &err), 0);
        short_scalars += sig[0] == 0 || sig[32] == 0;
        assert_int_equal(gr_es256_verify(pub, in, sig, &err), 0);
        msg[0] ^= 1;
        if (in.len > 0) {
            assert_code(t_code(gr_es256_verify(pub, in, sig, &err), &err), GR_ERR_BAD_SIGNATURE);
        }
    }
    print_message("%d of 600 signatures had a scalar with a leading zero byte\n", short_scalars);
    assert_code(t_code(gr_es256_sign(pub, GR_STR("x"), sig, &err), &err), GR_ERR_BAD_KEY);
    gr_jwk_free(key);
    gr_jwk_free(pub);
}

/* STYLE §4.2: each byte of a valid signature flipped. */
static void test_flipped_signature(void **state)
{
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_jws_parse(gr_str_c(t7_dpop), &jws, &err), 0);
    for (size_t i = 0; i < sizeof(jws.sig); i++) {
        for (size_t m = 0; m < GR_NELEM(masks); m++) {
            jws.sig[i] ^= masks[m];
            assert_code(t_code(gr_jws_verify(&jws, jws.jwk, &err), &err), GR_ERR_BAD_SIGNATURE);
            jws.sig[i] ^= masks[m];
        }
    }
    assert_int_equal(gr_jws_verify(&jws, jws.jwk, &err), 0);
    gr_jws_release(&jws);
}

/* Any change to the text, signing input or signature, fails one way or another. */
static void test_flipped_text(void **state)
{
    size_t len = strlen(t8_dpop);
    char *copy = gr__xstrndup(t8_dpop, len);

    (void)state;
    for (size_t i = 0; i < len; i++) {
        char was = copy[i];

        if (was == '.')
            continue;
        copy[i] = was == 'A' ? 'B' : 'A';
        if (self_signed_code((struct gr_str){ copy, len }) == GR_ERR_OK) {
            fail_msg("changed at %zu and still verifies", i);
        }
        copy[i] = was;
    }
    assert_code(self_signed_code((struct gr_str){ copy, len }), GR_ERR_OK);
    free(copy);
}

static void set_scalar(uint8_t out[32], const char *hex)
{
    for (size_t i = 0; i < 32; i++) {
        unsigned v;

        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

/* r or s outside [1, n-1] is refused before OpenSSL sees it. */
static void test_scalar_range(void **state)
{
    static const char *const bad[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", /* n */
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632552", /* n + 1 */
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_jws_parse(gr_str_c(t7_dpop), &jws, &err), 0);
    for (size_t half = 0; half < 2; half++) {
        for (size_t i = 0; i < GR_NELEM(bad); i++) {
            uint8_t keep[32];

            memcpy(keep, jws.sig + 32 * half, 32);
            set_scalar(jws.sig + 32 * half, bad[i]);
            assert_code(t_code(gr_jws_verify(&jws, jws.jwk, &err), &err), GR_ERR_BAD_SIGNATURE);
            assert_string_equal(err.desc, "The signature is not canonical.");
            assert_string_equal(err.cause, "");
            memcpy(jws.sig + 32 * half, keep, 32);
        }
        /* n - 1 is in range: OpenSSL decides, and says no. */
        set_scalar(jws.sig + 32 * half,
                   "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
        assert_code(t_code(gr_jws_verify(&jws, jws.jwk, &err), &err), GR_ERR_BAD_SIGNATURE);
        assert_string_equal(err.desc, "The signature does not verify.");
        gr_jws_release(&jws);
        assert_int_equal(gr_jws_parse(gr_str_c(t7_dpop), &jws, &err), 0);
    }
    gr_jws_release(&jws);
}

#define JWK_T4_ISSUER_PUB                                                                      \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\"," \
    "\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\"}"

/* Header and payload JSON; `sig` NULL means a real ES256 signature by the T4 issuer key. */
static const struct {
    const char *header, *payload, *sig;
    enum gr_errc code;
} cases[] = {
    { "{\"alg\":\"ES256\"}", "{}", NULL, GR_ERR_OK },
    { "{\"alg\":\"ES256\",\"typ\":\"dpop+jwt\",\"kid\":\"a\",\"jwk\":" JWK_T4_ISSUER_PUB "}", "{}",
      NULL, GR_ERR_OK },
    /* alg: none, HMAC, others, wrong case, missing, not a string */
    { "{\"alg\":\"none\"}", "{}", "", GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"none\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"HS384\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"HS512\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES384\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES512\",\"jwk\":" JWK_T4_ISSUER_PUB "}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"RS256\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"EdDSA\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"es256\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES256 \"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"typ\":\"JWT\"}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":256}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":null}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":[\"ES256\"]}", "{}", NULL, GR_ERR_MALFORMED },
    /* the header's key says another algorithm */
    { "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\","
      "\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\","
      "\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\"}}",
      "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    /* crit, whatever it lists */
    { "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES256\",\"crit\":[]}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    { "{\"alg\":\"ES256\",\"crit\":\"x\"}", "{}", NULL, GR_ERR_UNSUPPORTED_ALG },
    /* typ and kid must be strings */
    { "{\"alg\":\"ES256\",\"typ\":1}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"typ\":[\"dpop+jwt\"]}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"typ\":null}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"kid\":{}}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"kid\":7}", "{}", NULL, GR_ERR_MALFORMED },
    /* duplicate members, including the classic second alg */
    { "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"alg\":\"none\"}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"typ\":\"a\",\"typ\":\"b\"}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{\"iss\":\"a\",\"iss\":\"b\"}", NULL, GR_ERR_MALFORMED },
    /* jwk: private, not an object, not P-256, not on the curve */
    { "{\"alg\":\"ES256\",\"jwk\":" T4_ISSUER_JWK "}", "{}", NULL, GR_ERR_BAD_KEY },
    { "{\"alg\":\"ES256\",\"jwk\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\"}", "{}", NULL,
      GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"jwk\":[]}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}", "{}", NULL,
      GR_ERR_BAD_KEY },
    { "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
      "\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\","
      "\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk4\"}}",
      "{}", NULL, GR_ERR_BAD_KEY },
    /* x5c */
    { "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\",\"MIIC\"]}", "{}", NULL, GR_ERR_OK },
    { "{\"alg\":\"ES256\",\"x5c\":[]}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"x5c\":\"MIIB\"}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"x5c\":[1]}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"x5c\":[\"\"]}", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\",\"x5c\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]}", "{}", NULL,
      GR_ERR_OK },
    { "{\"alg\":\"ES256\",\"x5c\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", "{}",
      NULL, GR_ERR_TOO_LARGE },
    /* the header is not a JSON object */
    { "[\"ES256\"]", "{}", NULL, GR_ERR_MALFORMED },
    { "\"ES256\"", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"", "{}", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"} ", "{}", NULL, GR_ERR_OK }, /* JSON allows the space */
    /* the payload is not a JSON object */
    { "{\"alg\":\"ES256\"}", "[]", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "1", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "null", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "\"text\"", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "not json", NULL, GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{\"a\":1}{}", NULL, GR_ERR_MALFORMED },
    /* the signature: not 64 bytes, not canonical base64url */
    { "{\"alg\":\"ES256\"}", "{}", "", GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{}", ZERO_SIG "A", GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{}", ZERO_SIG "AA", GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{}", ZERO_SIG "==", GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      GR_ERR_MALFORMED },
    { "{\"alg\":\"ES256\"}", "{}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
      GR_ERR_MALFORMED }, /* trailing bits set */
    { "{\"alg\":\"ES256\"}", "{}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      GR_ERR_MALFORMED },
};

static void test_reject_cases(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_buf b;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        enum gr_errc got;

        make_jws(&b, key, cases[i].header, cases[i].payload, cases[i].sig);
        got = jws_code(gr_buf_str(&b));
        if (got != cases[i].code) {
            fail_msg("case %zu: code %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].code));
        }
    }
    gr_buf_release(&b);
    gr_jwk_free(key);
}

/* Texts that are not three base64url parts. */
static void test_reject_text(void **state)
{
    static const char *const bad[] = {
        "",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJFUzI1NiJ9.e30",
        "eyJhbGciOiJFUzI1NiJ9.e30." ZERO_SIG ".",
        ".e30." ZERO_SIG,
        "eyJhbGciOiJFUzI1NiJ9.." ZERO_SIG,
        "eyJhbGciOiJFUzI1NiJ9=.e30." ZERO_SIG,  /* padding */
        "eyJhbGciOiJFUzI1NiJ9.e30=." ZERO_SIG,  /* padding */
        "eyJhbGciOiJFUzI1NiJ9 .e30." ZERO_SIG,  /* space */
        "eyJhbGciOiJFUzI1NiJ9.e30.\n" ZERO_SIG, /* newline */
        "eyJhbGciOiJFUzI1Ni J9.e30." ZERO_SIG,
        "eyJhbGciOiJFUzI1NiJ9.e3+." ZERO_SIG, /* standard base64 */
        "eyJhbGciOiJFUzI1NiJ9.e31." ZERO_SIG, /* trailing bits set */
    };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        enum gr_errc got = jws_code(gr_str_c(bad[i]));

        if (got != GR_ERR_MALFORMED) {
            fail_msg("case %zu: code %s", i, gr_errc_name(got));
        }
    }
    /* A NUL inside is just another byte that is not base64url. */
    assert_code(jws_code((struct gr_str){ "eyJhbGciOiJFUzI1NiJ9.e3\0." ZERO_SIG, 111 }),
                GR_ERR_MALFORMED);
}

/* HMAC keyed with the public key, the old alg confusion: refused before any check. */
static void test_hmac_with_public_key(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_buf in, secret;
    struct gr_err err;

    (void)state;
    gr_buf_init(&secret, GR_BUF_UNBOUNDED);
    gr_buf_init(&in, GR_BUF_UNBOUNDED);
    for (int form = 0; form < 2; form++) {
        uint8_t mac[32];
        unsigned int mac_len = 0;

        gr_buf_reset(&secret);
        if (form == 0) {
            gr_jwk_to_json(key, false, &secret);
        } else {
            assert_int_equal(gr_jwk_to_pem(key, false, &secret, &err), 0);
        }
        gr_buf_reset(&in);
        gr_buf_add_b64url(&in, "{\"alg\":\"HS256\",\"typ\":\"dpop+jwt\"}", 32);
        gr_buf_addc(&in, '.');
        gr_buf_add_b64url(&in, "{\"iat\":1}", 9);
        assert_non_null(HMAC(EVP_sha256(), secret.data, (int)secret.len, (uint8_t *)in.data, in.len,
                             mac, &mac_len));
        gr_buf_addc(&in, '.');
        gr_buf_add_b64url(&in, mac, mac_len);
        assert_code(jws_code(gr_buf_str(&in)), GR_ERR_UNSUPPORTED_ALG);
    }
    gr_buf_release(&in);
    gr_buf_release(&secret);
    gr_jwk_free(key);
}

static void fill_member(struct gr_buf *b, const char *before, size_t len, const char *after)
{
    gr_buf_reset(b);
    gr_buf_adds(b, before);
    for (size_t i = 0; i < len; i++) {
        gr_buf_addc(b, 'a');
    }
    gr_buf_adds(b, after);
}

/* Header, payload and whole-text limits; a JWS past GR_MAX_JWS_LEN is still fine here. */
static void test_limits(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_buf hdr, payload, in;

    (void)state;
    gr_buf_init(&hdr, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&in, GR_BUF_UNBOUNDED);

    fill_member(&hdr, "{\"alg\":\"ES256\",\"x\":\"", GR_MAX_JWS_HEADER, "\"}");
    make_jws(&in, key, hdr.data, "{}", ZERO_SIG);
    assert_code(jws_code(gr_buf_str(&in)), GR_ERR_TOO_LARGE);
    fill_member(&hdr, "{\"alg\":\"ES256\",\"x\":\"", GR_MAX_JWS_HEADER - 30, "\"}");
    make_jws(&in, key, hdr.data, "{}", NULL);
    assert_code(jws_code(gr_buf_str(&in)), GR_ERR_OK);

    fill_member(&payload, "{\"x\":\"", GR_MAX_SDJWT_PAYLOAD, "\"}");
    make_jws(&in, key, "{\"alg\":\"ES256\"}", payload.data, ZERO_SIG);
    assert_code(jws_code(gr_buf_str(&in)), GR_ERR_TOO_LARGE);
    fill_member(&payload, "{\"x\":\"", GR_MAX_SDJWT_PAYLOAD - 30, "\"}");
    make_jws(&in, key, "{\"alg\":\"ES256\"}", payload.data, NULL);
    assert_true(in.len > GR_MAX_JWS_LEN);
    assert_code(jws_code(gr_buf_str(&in)), GR_ERR_OK);

    /* The whole text is capped before it is even split. */
    fill_member(&in, "", GR_MAX_SDJWT_LEN + 1, "");
    assert_code(jws_code(gr_buf_str(&in)), GR_ERR_TOO_LARGE);

    gr_buf_release(&hdr);
    gr_buf_release(&payload);
    gr_buf_release(&in);
    gr_jwk_free(key);
}

static void test_x5c_views(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_buf in;
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    gr_buf_init(&in, GR_BUF_UNBOUNDED);
    make_jws(&in, key, "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\",\"MIIC+/==\"]}", "{}", NULL);
    assert_int_equal(gr_jws_parse(gr_buf_str(&in), &jws, &err), 0);
    assert_int_equal(jws.x5c_count, 2);
    assert_true(gr_str_eq_c(jws.x5c[0], "MIIB"));
    assert_true(gr_str_eq_c(jws.x5c[1], "MIIC+/=="));
    assert_null(jws.x5c[2].p);
    assert_null(jws.typ.p);
    assert_int_equal(gr_jws_verify(&jws, key, &err), 0);
    gr_jws_release(&jws);
    gr_buf_release(&in);
    gr_jwk_free(key);
}

static void test_split(void **state)
{
    struct gr_str in = GR_STR("aa.b.cccc"), part[3];
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_jws_split(in, part, &err), 0);
    assert_ptr_equal(part[0].p, in.p);
    assert_int_equal(part[0].len, 2);
    assert_ptr_equal(part[1].p, in.p + 3);
    assert_int_equal(part[1].len, 1);
    assert_ptr_equal(part[2].p, in.p + 5);
    assert_int_equal(part[2].len, 4);
    assert_code(t_code(gr_jws_split(GR_STR("a..c"), part, &err), &err), GR_ERR_MALFORMED);
    assert_code(t_code(gr_jws_split(GR_STR("a.b."), part, &err), &err), GR_ERR_MALFORMED);
    assert_code(t_code(gr_jws_split(GR_STR(".b.c"), part, &err), &err), GR_ERR_MALFORMED);
    assert_code(t_code(gr_jws_split(GR_STR("a.b"), part, &err), &err), GR_ERR_MALFORMED);
    assert_code(t_code(gr_jws_split(GR_STR("a.b.c.d"), part, &err), &err), GR_ERR_MALFORMED);
    assert_code(t_code(gr_jws_split(GR_STR(""), part, &err), &err), GR_ERR_MALFORMED);
}

/* A failed parse leaves nothing behind; release is idempotent; verify wants a parsed JWS. */
static void test_lifecycle(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_jws jws, zero;
    struct gr_err err;

    (void)state;
    memset(&zero, 0, sizeof(zero));
    gr_jws_init(&jws);
    assert_memory_equal(&jws, &zero, sizeof(jws));
    assert_code(t_code(gr_jws_verify(&jws, key, &err), &err), GR_ERR_USAGE);
    assert_int_equal(gr_jws_parse(gr_str_c(t7_dpop), &jws, &err), 0);
    assert_code(t_code(gr_jws_verify(&jws, key, &err), &err), GR_ERR_BAD_SIGNATURE);
    gr_jws_release(&jws);
    assert_memory_equal(&jws, &zero, sizeof(jws));
    gr_jws_release(&jws);
    /* Fails after the header was decoded and its jwk made (the payload is not an object). */
    assert_code(
        t_code(gr_jws_parse(GR_STR("eyJhbGciOiJFUzI1NiIsImp3ayI6eyJrdHkiOiJFQyIsImNydiI6IlAtMjU2"
                                   "IiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQy"
                                   "VVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VO"
                                   "SmFqSG10NnY5VERWclUwQ2R2R1JEQSJ9fQ.W10." ZERO_SIG),
                            &jws, &err),
               &err),
        GR_ERR_MALFORMED);
    assert_memory_equal(&jws, &zero, sizeof(jws));
    gr_jws_release(&jws);
    gr_jwk_free(key);
}

static void test_typ_is(void **state)
{
    static const struct {
        const char *typ, *expected;
        bool want;
    } typs[] = {
        { "dpop+jwt", "dpop+jwt", true },
        { "DPoP+JWT", "dpop+jwt", true },
        { "application/dpop+jwt", "dpop+jwt", true },
        { "application/DPoP+JWT", "dpop+jwt", true },
        { "APPLICATION/dpop+jwt", "dpop+jwt", true },
        { "openid4vci-proof+jwt", "openid4vci-proof+jwt", true },
        { "dc+sd-jwt", "dc+sd-jwt", true },
        { "vc+sd-jwt", "dc+sd-jwt", false },
        { "jwt", "dpop+jwt", false },
        { "dpop+jwt ", "dpop+jwt", false },
        { "dpop", "dpop+jwt", false },
        { "text/dpop+jwt", "dpop+jwt", false },
        { "application/", "dpop+jwt", false },
        { "application", "dpop+jwt", false },
        { "application/application/dpop+jwt", "dpop+jwt", false },
        { "/dpop+jwt", "dpop+jwt", false },
        { "application/dpop+jwt; charset=utf-8", "dpop+jwt", false },
        { "", "dpop+jwt", false },
    };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(typs); i++) {
        if (gr_jws_typ_is(gr_str_c(typs[i].typ), typs[i].expected) != typs[i].want) {
            fail_msg("typ case %zu (%s)", i, typs[i].typ);
        }
    }
    assert_false(gr_jws_typ_is((struct gr_str){ NULL, 0 }, "dpop+jwt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_proofs),
        cmocka_unit_test(test_t8_ath),
        cmocka_unit_test(test_sign_roundtrip),
        cmocka_unit_test(test_sign_verify_many),
        cmocka_unit_test(test_flipped_signature),
        cmocka_unit_test(test_flipped_text),
        cmocka_unit_test(test_scalar_range),
        cmocka_unit_test(test_reject_cases),
        cmocka_unit_test(test_reject_text),
        cmocka_unit_test(test_hmac_with_public_key),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_x5c_views),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_typ_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gramota/dpop.h>

#include "oid4vci/internal.h"

/*
 * SPECS.md T7: the DPoP proof of RFC 9449 §4.1 Figure 2 (token endpoint), and
 * T8: the one of §7.1 Figure 13 (a resource, with ath), as in tests/jose/test_jws.c.
 */
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
#define T7_IAT 1562262616
#define T8_IAT 1562262618
#define T7_JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"

#define NOW      1700000000
#define TOKEN    "https://issuer.example.com/token"
#define RESOURCE "https://issuer.example.com/credential"

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static struct gr_dpop_check check_for(const char *header, const char *method, const char *url,
                                      int64_t now)
{
    return (struct gr_dpop_check){
        .header = gr_str_c(header),
        .header_count = 1,
        .method = gr_str_c(method),
        .url = gr_str_c(url),
        .now = now,
    };
}

/* Verify; every failure must carry a sentence fit for error_description. */
static enum gr_errc verify(const struct gr_dpop_check *c, struct gr_dpop_proof *out)
{
    struct gr_dpop_proof scratch;
    struct gr_err err;
    int rc = gr_dpop_verify(c, out ? out : &scratch, &err);

    if (rc < 0) {
        size_t n = strlen(err.desc);

        if (n == 0 || err.desc[n - 1] != '.' || strpbrk(err.desc, "\"\\") != NULL)
            fail_msg("unfit sentence: %s", err.desc);
    }
    return t_code(rc, &err);
}

/* Replace each {NAME} of `tmpl` by its value from the pairs in `vars` (NULL-terminated). */
static void subst(struct gr_buf *out, const char *tmpl, const char *const *vars)
{
    gr_buf_reset(out);
    while (*tmpl) {
        size_t i = 0;

        for (; vars[i] != NULL; i += 2) {
            if (strncmp(tmpl, vars[i], strlen(vars[i])) == 0)
                break;
        }
        if (vars[i] != NULL) {
            gr_buf_adds(out, vars[i + 1]);
            tmpl += strlen(vars[i]);
        } else {
            gr_buf_addc(out, *tmpl++);
        }
    }
}

/* The compact JWS of header.payload: signed by `key`, or with `sig` as its third part. */
static void make_jws(struct gr_buf *out, const struct gr_jwk *key, const char *header,
                     const char *payload, const char *sig)
{
    struct gr_err err;

    gr_buf_reset(out);
    if (sig == NULL) {
        if (gr_jws_sign(key, gr_str_c(header), gr_str_c(payload), out, &err) < 0)
            fail_msg("sign: %s", err.desc);
        return;
    }
    gr_buf_add_b64url(out, header, strlen(header));
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, payload, strlen(payload));
    gr_buf_addc(out, '.');
    gr_buf_adds(out, sig);
}

static void jkt_b64(const uint8_t jkt[32], char out[44])
{
    gr_b64url_encode(jkt, 32, out);
    out[43] = '\0';
}

/* T7 verifies at its own iat, and gives the published thumbprint. */
static void test_t7(void **state)
{
    struct gr_dpop_check c = check_for(t7_dpop, "POST", "https://server.example.com/token", T7_IAT);
    struct gr_dpop_proof p;
    uint8_t want[32];
    char jkt[44];
    static const char replay_key[] = "\0\0\0\0\0\0\0\x20"
                                     "https://server.example.com/token"
                                     "-BwC3ESc6acc2lTc";

    (void)state;
    assert_code(verify(&c, &p), GR_ERR_OK);
    jkt_b64(p.jkt, jkt);
    assert_string_equal(jkt, T7_JKT);
    assert_int_equal(p.iat, T7_IAT);
    gr_sha256(replay_key, sizeof(replay_key) - 1, want);
    assert_memory_equal(p.jti_hash, want, 32);

    /* The endpoint URL may be spelt any equivalent way, with or without a query. */
    c.url = GR_STR("HTTPS://Server.Example.COM:443/./token?x=1");
    assert_code(verify(&c, &p), GR_ERR_OK);
    assert_memory_equal(p.jti_hash, want, 32);
    c.url = GR_STR("https://server.example.com/Token");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.url = GR_STR("https://server.example.com/credential");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.url = GR_STR("http://server.example.com/token");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.url = GR_STR("https://server.example.com:8443/token");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    /* A broken configured URL is the server's fault, not the client's. */
    c.url = GR_STR("/token");
    assert_code(verify(&c, NULL), GR_ERR_USAGE);
    c.url = GR_STR("https://server.example.com/token");

    /* htm is compared case-sensitively. */
    c.method = GR_STR("post");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.method = GR_STR("GET");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.method = GR_STR("POST");

    /* The clock: 300 s into the past and 60 s into the future by default, or as set. */
    static const struct {
        int64_t now, max_age, max_skew;
        enum gr_errc code;
    } clocks[] = {
        { T7_IAT + 300, 0, 0, GR_ERR_OK },
        { T7_IAT + 301, 0, 0, GR_ERR_INVALID_DPOP_PROOF },
        { T7_IAT - 60, 0, 0, GR_ERR_OK },
        { T7_IAT - 61, 0, 0, GR_ERR_INVALID_DPOP_PROOF },
        { T7_IAT + 10, 10, 0, GR_ERR_OK },
        { T7_IAT + 11, 10, 0, GR_ERR_INVALID_DPOP_PROOF },
        { T7_IAT - 5, 0, 5, GR_ERR_OK },
        { T7_IAT - 6, 0, 5, GR_ERR_INVALID_DPOP_PROOF },
        { T7_IAT + 301, -1, -1, GR_ERR_INVALID_DPOP_PROOF },
        { NOW, 0, 0, GR_ERR_INVALID_DPOP_PROOF },
        { 0, 0, 0, GR_ERR_INVALID_DPOP_PROOF },
        { INT64_MAX, INT64_MAX, INT64_MAX, GR_ERR_OK },
        { INT64_MIN, INT64_MAX, INT64_MAX, GR_ERR_INVALID_DPOP_PROOF }, /* 2^63 + iat ahead */
    };
    for (size_t i = 0; i < GR_NELEM(clocks); i++) {
        c.now = clocks[i].now;
        c.max_age = clocks[i].max_age;
        c.max_skew = clocks[i].max_skew;
        if (verify(&c, NULL) != clocks[i].code)
            fail_msg("clock case %zu", i);
    }
    c = check_for(t7_dpop, "POST", "https://server.example.com/token", T7_IAT);

    /* At a resource, the same proof lacks ath. */
    c.access_token = GR_STR("an-access-token");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
}

/* T8 verifies at a resource with its access token; at the token endpoint ath is not read. */
static void test_t8(void **state)
{
    struct gr_dpop_check c =
        check_for(t8_dpop, "GET", "https://resource.example.org/protectedresource", T8_IAT);
    struct gr_dpop_proof p;
    char jkt[44];

    (void)state;
    c.access_token = gr_str_c(t8_access_token);
    assert_code(verify(&c, &p), GR_ERR_OK);
    jkt_b64(p.jkt, jkt);
    assert_string_equal(jkt, T7_JKT);
    assert_int_equal(p.iat, T8_IAT);

    c.access_token = GR_STR("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxV");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.access_token = GR_STR("");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.access_token = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c, NULL), GR_ERR_OK);
    /* htu ignores its own query, not the path. */
    c.url = GR_STR("https://resource.example.org/protectedresource/");
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
}

/* RFC 9449 §4.3 checks 1 and 2: exactly one header, holding one JWT. */
static void test_header_count_and_shape(void **state)
{
    static const char *const not_jwts[] = {
        "",
        "abc",
        "a.b.c",
        "Bearer abc",
        "eyJhbGciOiJFUzI1NiJ9.e30",
        " eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.e30",
    };
    struct gr_dpop_check c = check_for(t7_dpop, "POST", "https://server.example.com/token", T7_IAT);
    struct gr_buf b;

    (void)state;
    c.header_count = 2;
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.header_count = 0;
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    c.header_count = 1;
    c.header = (struct gr_str){ NULL, 0 };
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    for (size_t i = 0; i < GR_NELEM(not_jwts); i++) {
        c.header = gr_str_c(not_jwts[i]);
        assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    }
    /* A second proof appended to the first, or whitespace around it. */
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_printf(&b, "%s, %s", t7_dpop, t7_dpop);
    c.header = gr_buf_str(&b);
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    gr_buf_reset(&b);
    gr_buf_printf(&b, "%s ", t7_dpop);
    c.header = gr_buf_str(&b);
    assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    gr_buf_release(&b);
}

/* Proof key, and the variables of the templates below. */
#define HDR      "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}"
#define CLAIMS   "\"jti\":\"j-1\",\"htm\":\"POST\",\"htu\":\"" TOKEN "\",\"iat\":1700000000"
#define JTI_256  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define JTI_1024 JTI_256 JTI_256 JTI_256 JTI_256

/* Header and payload templates at the token endpoint, signed with the proof key unless `sig`. */
static const struct {
    const char *header, *payload, *sig;
    enum gr_errc code;
} token_cases[] = {
    { HDR, "{" CLAIMS "}", NULL, GR_ERR_OK },
    /* typ (check 4): compared as a media type */
    { "{\"typ\":\"application/dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_OK },
    { "{\"typ\":\"DPoP+JWT\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, GR_ERR_OK },
    { "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":1,\"alg\":\"ES256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    /* alg (check 5): none, HMAC, others, absent */
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"none\",\"jwk\":{JWK}}", "{" CLAIMS "}", "",
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"HS256\",\"jwk\":{JWK}}", "{" CLAIMS "}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"RS256\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES384\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"jwk\":{JWK}}", "{" CLAIMS "}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"crit\":[\"x\"],\"x\":1,\"jwk\":{JWK}}",
      "{" CLAIMS "}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    /* jwk (checks 6, 7): present, public, the signer's */
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\"}", "{" CLAIMS "}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"kid\":\"k1\"}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{PRIV}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{OTHER}}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":\"x\"}", "{" CLAIMS "}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}",
      "{" CLAIMS "}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{" CLAIMS "}",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      GR_ERR_INVALID_DPOP_PROOF },
    /* the claims are present and of their types (check 3) */
    { HDR, "{\"htm\":\"POST\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":\"POST\",\"iat\":1700000000}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"" TOKEN "\"}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{}", NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{" CLAIMS ",\"jti\":\"again\"}", NULL, GR_ERR_INVALID_DPOP_PROOF }, /* duplicate */
    /* jti: 1..256 bytes */
    { HDR, "{\"jti\":1,\"htm\":\"POST\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"\",\"htm\":\"POST\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR,
      "{\"jti\":\"" JTI_256 JTI_256 JTI_256 JTI_256 "\",\"htm\":\"POST\",\"htu\":\"" TOKEN
      "\",\"iat\":1700000000}",
      NULL, GR_ERR_OK },
    { HDR,
      "{\"jti\":\"" JTI_256 JTI_256 JTI_256 JTI_256 "a\",\"htm\":\"POST\",\"htu\":\"" TOKEN
      "\",\"iat\":1700000000}",
      NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR,
      "{\"jti\":\"" JTI_1024 JTI_1024 "\",\"htm\":\"POST\",\"htu\":\"" TOKEN
      "\",\"iat\":1700000000}",
      NULL, GR_ERR_INVALID_DPOP_PROOF },
    /* htm (check 8) */
    { HDR, "{\"jti\":\"j\",\"htm\":\"post\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":\"GET\",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":\"POST \",\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":[\"POST\"],\"htu\":\"" TOKEN "\",\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
/* htu (check 9): normalized, query and fragment ignored */
#define HTU(u) "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"" u "\",\"iat\":1700000000}"
    { HDR, HTU("https://issuer.example.com/token?grant=x"), NULL, GR_ERR_OK },
    { HDR, HTU("https://issuer.example.com/token#frag"), NULL, GR_ERR_OK },
    { HDR, HTU("https://issuer.example.com/token?a#b"), NULL, GR_ERR_OK },
    { HDR, HTU("HTTPS://ISSUER.Example.COM:443/token"), NULL, GR_ERR_OK },
    { HDR, HTU("https://issuer.example.com:443/./x/../%74oken"), NULL, GR_ERR_OK },
    { HDR, HTU("https://issuer.example.com/token/"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://issuer.example.com/Token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://issuer.example.com/credential"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://other.example.com/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://issuer.example.com.evil/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("http://issuer.example.com/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://issuer.example.com:8443/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://user@issuer.example.com/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("/token"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU(""), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, HTU("https://issuer.example.com/tok%"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":7,\"iat\":1700000000}", NULL,
      GR_ERR_INVALID_DPOP_PROOF },
/* iat (check 11): an integer, 300 s back, 60 s ahead */
#define IAT(t) "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"" TOKEN "\",\"iat\":" t "}"
    { HDR, IAT("1699999700"), NULL, GR_ERR_OK },
    { HDR, IAT("1699999699"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("1700000060"), NULL, GR_ERR_OK },
    { HDR, IAT("1700000061"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("0"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("-9223372036854775808"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("9223372036854775807"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("1700000000.0"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("1.7e9"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("\"1700000000\""), NULL, GR_ERR_INVALID_DPOP_PROOF },
    { HDR, IAT("null"), NULL, GR_ERR_INVALID_DPOP_PROOF },
    /* ath is not read at the token endpoint; a nonce is not read when none is required */
    { HDR, "{" CLAIMS ",\"ath\":\"whatever\"}", NULL, GR_ERR_OK },
    { HDR, "{" CLAIMS ",\"ath\":1}", NULL, GR_ERR_OK },
    { HDR, "{" CLAIMS ",\"nonce\":1}", NULL, GR_ERR_OK },
};

/* Build the proof of one case: templates filled, then signed by the proof key. */
static void build(const struct t_keys *f, const char *header, const char *payload, const char *sig,
                  const char *ath, const char *nonce, struct gr_buf *out)
{
    const char *vars[] = {
        "{JWK}", f->pub.data, "{PRIV}",  f->priv.data, "{OTHER}", f->other_pub.data,
        "{ATH}", ath,         "{NONCE}", nonce,        NULL,
    };
    struct gr_buf h, p;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    subst(&h, header, vars);
    subst(&p, payload, vars);
    make_jws(out, f->key, h.data, p.data, sig);
    gr_buf_release(&h);
    gr_buf_release(&p);
}

static void test_token_endpoint_cases(void **state)
{
    struct t_keys f;
    struct gr_buf proof;
    struct gr_dpop_proof p;
    uint8_t jkt[32];

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    gr_jwk_thumbprint(f.key, jkt);
    for (size_t i = 0; i < GR_NELEM(token_cases); i++) {
        struct gr_dpop_check c;
        enum gr_errc got;

        build(&f, token_cases[i].header, token_cases[i].payload, token_cases[i].sig, "", "",
              &proof);
        c = check_for(proof.data, "POST", TOKEN, NOW);
        got = verify(&c, &p);
        if (got != token_cases[i].code)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(token_cases[i].code));
        if (got == GR_ERR_OK)
            assert_memory_equal(p.jkt, jkt, 32);
    }
    gr_buf_release(&proof);
    t_keys_release(&f);
}

/* A proof past GR_MAX_JWS_LEN is refused before it is parsed. */
static void test_size(void **state)
{
    struct t_keys f;
    struct gr_buf payload, proof;
    struct gr_dpop_check c;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    for (size_t pad = 11000; pad <= 12500; pad += 1500) {
        gr_buf_reset(&payload);
        gr_buf_adds(&payload, "{" CLAIMS ",\"pad\":\"");
        for (size_t i = 0; i < pad; i++) {
            gr_buf_addc(&payload, 'x');
        }
        gr_buf_adds(&payload, "\"}");
        build(&f, HDR, payload.data, NULL, "", "", &proof);
        c = check_for(proof.data, "POST", TOKEN, NOW);
        assert_code(verify(&c, NULL),
                    proof.len <= GR_MAX_JWS_LEN ? GR_ERR_OK : GR_ERR_INVALID_DPOP_PROOF);
    }
    assert_true(proof.len > GR_MAX_JWS_LEN);
    gr_buf_release(&payload);
    gr_buf_release(&proof);
    t_keys_release(&f);
}

/* Check 12: ath = base64url(SHA-256(access token)) at a resource. */
static void test_resource_ath(void **state)
{
    static const struct {
        const char *payload;
        enum gr_errc code;
    } cases[] = {
#define AT(more) \
    "{\"jti\":\"j\",\"htm\":\"GET\",\"htu\":\"" RESOURCE "\",\"iat\":1700000000" more "}"
        { AT(",\"ath\":\"{ATH}\""), GR_ERR_OK },
        { AT(""), GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":\"\""), GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":1"), GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":[\"{ATH}\"]"), GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":\"{ATH}=\""), GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":\"{ATH}A\""), GR_ERR_INVALID_DPOP_PROOF },
        /* the hash of another token, and the token itself */
        { AT(",\"ath\":\"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo\""),
          GR_ERR_INVALID_DPOP_PROOF },
        { AT(",\"ath\":\"tok-123\""), GR_ERR_INVALID_DPOP_PROOF },
    };
    struct t_keys f;
    struct gr_buf proof;
    uint8_t digest[32];
    char ath[44];

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    gr_sha256("tok-123", 7, digest);
    jkt_b64(digest, ath);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_dpop_check c;

        build(&f, HDR, cases[i].payload, NULL, ath, "", &proof);
        c = check_for(proof.data, "GET", RESOURCE, NOW);
        c.access_token = GR_STR("tok-123");
        if (verify(&c, NULL) != cases[i].code)
            fail_msg("case %zu", i);
    }
    /* An ath off by one character anywhere. */
    for (size_t i = 0; i < 43; i++) {
        struct gr_dpop_check c;
        char bad[44];

        memcpy(bad, ath, sizeof(bad));
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        build(&f, HDR, AT(",\"ath\":\"{ATH}\""), NULL, bad, "", &proof);
        c = check_for(proof.data, "GET", RESOURCE, NOW);
        c.access_token = GR_STR("tok-123");
        assert_code(verify(&c, NULL), GR_ERR_INVALID_DPOP_PROOF);
    }
    gr_buf_release(&proof);
    t_keys_release(&f);
}

static void test_nonce_format(void **state)
{
    char a[GR_DPOP_NONCE_LEN + 1], b[GR_DPOP_NONCE_LEN + 1];
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, a, &err), 0);
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, b, &err), 0);
    assert_int_equal(strlen(a), GR_DPOP_NONCE_LEN);
    assert_string_not_equal(a, b); /* unpredictable: random bytes in each */
    /* NQCHAR (RFC 6749 Appendix A): %x21 / %x23-5B / %x5D-7E; base64url is a subset. */
    for (size_t i = 0; i < GR_DPOP_NONCE_LEN; i++) {
        assert_true(a[i] >= 0x21 && a[i] <= 0x7e && a[i] != '"' && a[i] != '\\');
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
    }
    /* The time leads, big-endian: 1700000000 = 0x6553f100. */
    assert_int_equal(strncmp(a, "AAAAAGVT8Q", 10), 0);
}

/* The layout of dpop.h: time || random || HMAC-SHA256(secret, label || time || random)[:16]. */
static void test_nonce_layout(void **state)
{
    char nonce[GR_DPOP_NONCE_LEN + 1];
    uint8_t raw[32], mac[32], msg[21 + 16];
    unsigned int mac_len = 0;
    size_t n = 0;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, nonce, &err), 0);
    assert_int_equal(gr_b64url_decode(gr_str_c(nonce), raw, sizeof(raw), &n, &err), 0);
    assert_int_equal(n, 32);
    memcpy(msg, "gramota DPoP nonce v1", 21);
    memcpy(msg + 21, raw, 16);
    assert_non_null(HMAC(EVP_sha256(), secret, 32, msg, sizeof(msg), mac, &mac_len));
    assert_memory_equal(raw + 16, mac, 16);
}

/* Check 10: a required nonce, ours, within its window; USE_DPOP_NONCE otherwise. */
static void test_nonce_required(void **state)
{
    static const uint8_t other_secret[32] = "fedcba9876543210fedcba9876543210";
    static const struct {
        const char *payload;
        int64_t made_at, lifetime;
        bool other_key, flip;
        enum gr_errc code;
    } cases[] = {
#define WITH_NONCE "{" CLAIMS ",\"nonce\":\"{NONCE}\"}"
        { WITH_NONCE, NOW, 0, false, false, GR_ERR_OK },
        { "{" CLAIMS "}", NOW, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { "{" CLAIMS ",\"nonce\":1}", NOW, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { "{" CLAIMS ",\"nonce\":\"\"}", NOW, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { "{" CLAIMS ",\"nonce\":\"{NONCE}A\"}", NOW, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { "{" CLAIMS ",\"nonce\":\"{NONCE}=\"}", NOW, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { WITH_NONCE, NOW, 0, true, false, GR_ERR_USE_DPOP_NONCE }, /* forged: other secret */
        { WITH_NONCE, NOW, 0, false, true, GR_ERR_USE_DPOP_NONCE }, /* forged: a bit changed */
        { WITH_NONCE, NOW - 300, 0, false, false, GR_ERR_OK },      /* default lifetime 300 s */
        { WITH_NONCE, NOW - 301, 0, false, false, GR_ERR_USE_DPOP_NONCE }, /* expired */
        { WITH_NONCE, NOW - 30, 30, false, false, GR_ERR_OK },
        { WITH_NONCE, NOW - 31, 30, false, false, GR_ERR_USE_DPOP_NONCE },
        { WITH_NONCE, NOW + 60, 0, false, false, GR_ERR_OK }, /* another process's clock */
        { WITH_NONCE, NOW + 61, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { WITH_NONCE, 0, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { WITH_NONCE, INT64_MAX, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        { WITH_NONCE, INT64_MIN, 0, false, false, GR_ERR_USE_DPOP_NONCE },
        /* a good nonce does not make up for a bad iat, nor a bad htu for a nonce */
        { "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"" TOKEN
          "\",\"iat\":1600000000,\"nonce\":\"{NONCE}\"}",
          NOW, 0, false, false, GR_ERR_INVALID_DPOP_PROOF },
        { "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"https://x.y/\",\"iat\":1700000000}", NOW, 0,
          false, false, GR_ERR_INVALID_DPOP_PROOF },
    };
    struct t_keys f;
    struct gr_buf proof;
    struct gr_err err;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        char nonce[GR_DPOP_NONCE_LEN + 1];
        struct gr_dpop_check c;
        enum gr_errc got;

        assert_int_equal(gr_dpop_nonce_make(cases[i].other_key ? other_secret : secret,
                                            cases[i].made_at, nonce, &err),
                         0);
        if (cases[i].flip)
            nonce[30] = nonce[30] == 'A' ? 'B' : 'A';
        build(&f, HDR, cases[i].payload, NULL, "", nonce, &proof);
        c = check_for(proof.data, "POST", TOKEN, NOW);
        c.nonce_secret = secret;
        c.nonce_lifetime = cases[i].lifetime;
        got = verify(&c, NULL);
        if (got != cases[i].code)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].code));
    }
    gr_buf_release(&proof);
    t_keys_release(&f);
}

/* Every character of a good nonce matters. */
static void test_nonce_each_char(void **state)
{
    struct t_keys f;
    struct gr_buf proof;
    char nonce[GR_DPOP_NONCE_LEN + 1];
    struct gr_err err;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, nonce, &err), 0);
    for (size_t i = 0; i < GR_DPOP_NONCE_LEN; i++) {
        char was = nonce[i];
        struct gr_dpop_check c;

        nonce[i] = was == 'A' ? 'B' : 'A';
        build(&f, HDR, "{" CLAIMS ",\"nonce\":\"{NONCE}\"}", NULL, "", nonce, &proof);
        c = check_for(proof.data, "POST", TOKEN, NOW);
        c.nonce_secret = secret;
        assert_code(verify(&c, NULL), GR_ERR_USE_DPOP_NONCE);
        nonce[i] = was;
    }
    gr_buf_release(&proof);
    t_keys_release(&f);
}

static enum gr_errc verify_t7_text(const char *text)
{
    struct gr_dpop_check c = check_for(text, "POST", "https://server.example.com/token", T7_IAT);

    return verify(&c, NULL);
}

/* STYLE §4.2: each byte of a valid signature flipped, in the text the client sends. */
static void test_flipped_signature(void **state)
{
    (void)state;
    t_each_flipped_signature(t7_dpop, verify_t7_text, GR_ERR_INVALID_DPOP_PROOF);
}

/* The replay key separates endpoints and jtis, and does not depend on how htu was spelt. */
static void test_jti_hash(void **state)
{
    static const struct {
        const char *url, *htu, *jti;
    } cases[] = {
        { TOKEN, TOKEN, "j-1" },
        { TOKEN, TOKEN, "j-2" },
        { RESOURCE, RESOURCE, "j-1" },
        /* URL and jti run together would equal the first case's */
        { "https://issuer.example.com/tokenj", "https://issuer.example.com/tokenj", "-1" },
    };
    struct t_keys f;
    struct gr_buf proof, payload;
    uint8_t seen[GR_NELEM(cases)][32];
    struct gr_dpop_proof p;

    (void)state;
    t_keys_init(&f);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_dpop_check c;

        gr_buf_reset(&payload);
        gr_buf_printf(&payload, "{\"jti\":\"%s\",\"htm\":\"POST\",\"htu\":\"%s\",\"iat\":%d}",
                      cases[i].jti, cases[i].htu, NOW);
        build(&f, HDR, payload.data, NULL, "", "", &proof);
        c = check_for(proof.data, "POST", cases[i].url, NOW);
        assert_code(verify(&c, &p), GR_ERR_OK);
        memcpy(seen[i], p.jti_hash, 32);
        for (size_t k = 0; k < i; k++) {
            assert_memory_not_equal(seen[k], seen[i], 32);
        }
    }
    /* The same proof at an equivalent spelling of the URL: the same key. */
    gr_buf_reset(&payload);
    gr_buf_adds(&payload, "{\"jti\":\"j-1\",\"htm\":\"POST\",\"htu\":\"HTTPS://Issuer.example.com:"
                          "443/token?q\",\"iat\":1700000000}");
    build(&f, HDR, payload.data, NULL, "", "", &proof);
    {
        struct gr_dpop_check c = check_for(proof.data, "POST", TOKEN, NOW);

        assert_code(verify(&c, &p), GR_ERR_OK);
        assert_memory_equal(seen[0], p.jti_hash, 32);
    }
    gr_buf_release(&payload);
    gr_buf_release(&proof);
    t_keys_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t7),
        cmocka_unit_test(test_t8),
        cmocka_unit_test(test_header_count_and_shape),
        cmocka_unit_test(test_token_endpoint_cases),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_resource_ath),
        cmocka_unit_test(test_nonce_format),
        cmocka_unit_test(test_nonce_layout),
        cmocka_unit_test(test_nonce_required),
        cmocka_unit_test(test_nonce_each_char),
        cmocka_unit_test(test_flipped_signature),
        cmocka_unit_test(test_jti_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

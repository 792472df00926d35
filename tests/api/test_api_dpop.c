/*
 * dpop.h's server nonces through the installed headers only: made by
 * gr_dpop_nonce_make(), demanded and accepted by gr_dpop_verify() (RFC 9449
 * §8, §9; see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>

#define NOW 1700000000
#define URL "https://issuer.example.com/oid4vci/credential"

/* A DPoP proof for POST URL at `iat`, with `nonce` unless NULL. */
static void proof(const struct gr_jwk *key, int64_t iat, const char *nonce, struct gr_buf *out)
{
    struct gr_buf header, payload;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_adds(&header, "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":");
    gr_jwk_to_json(key, false, &header);
    gr_buf_addc(&header, '}');
    gr_buf_printf(&payload,
                  "{\"jti\":\"jti-%lld\",\"htm\":\"POST\",\"htu\":\"" URL "\",\"iat\":%lld",
                  (long long)iat, (long long)iat);
    if (nonce)
        gr_buf_printf(&payload, ",\"nonce\":\"%s\"", nonce);
    gr_buf_addc(&payload, '}');
    gr_buf_reset(out);
    assert_int_equal(gr_jws_sign(key, gr_buf_str(&header), gr_buf_str(&payload), out, &err), 0);
    gr_buf_release(&header);
    gr_buf_release(&payload);
}

static enum gr_errc check(const struct gr_buf *jwt, const uint8_t *secret, int64_t now,
                          struct gr_dpop_proof *out)
{
    struct gr_err err;
    struct gr_dpop_check c = {
        .header = gr_buf_str(jwt),
        .header_count = 1,
        .method = GR_STR("POST"),
        .url = GR_STR(URL),
        .now = now,
        .nonce_secret = secret,
    };

    return t_code(gr_dpop_verify(&c, out, &err), &err);
}

static void test_nonce_make(void **state)
{
    uint8_t secret[32], other[32];
    char a[GR_DPOP_NONCE_LEN + 1], b[GR_DPOP_NONCE_LEN + 1];
    struct gr_jwk *key = t_keygen();
    struct gr_dpop_proof out;
    struct gr_buf jwt;
    struct gr_err err;

    (void)state;
    memset(secret, 7, sizeof(secret));
    memset(other, 8, sizeof(other));
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, a, &err), 0);
    assert_int_equal(gr_dpop_nonce_make(secret, NOW, b, &err), 0);
    assert_int_equal(strlen(a), GR_DPOP_NONCE_LEN);
    assert_string_not_equal(a, b); /* random bytes: never the same nonce twice */
    for (size_t i = 0; i < GR_DPOP_NONCE_LEN; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                               a[i])); /* base64url: within NQCHAR */

    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    proof(key, NOW, NULL, &jwt); /* a nonce is demanded and none is sent */
    assert_code(check(&jwt, secret, NOW, &out), GR_ERR_USE_DPOP_NONCE);
    assert_code(check(&jwt, NULL, NOW, &out), GR_ERR_OK); /* unless no secret asks for one */
    proof(key, NOW, a, &jwt);
    assert_code(check(&jwt, secret, NOW, &out), GR_ERR_OK);
    assert_code(check(&jwt, secret, NOW, &out), GR_ERR_OK);            /* usable more than once */
    assert_code(check(&jwt, other, NOW, &out), GR_ERR_USE_DPOP_NONCE); /* another secret's */
    proof(key, NOW + 400, a, &jwt);                                    /* past 300 s */
    assert_code(check(&jwt, secret, NOW + 400, &out), GR_ERR_USE_DPOP_NONCE);
    a[5] = a[5] == 'A' ? 'B' : 'A'; /* a changed nonce fails its MAC */
    proof(key, NOW, a, &jwt);
    assert_code(check(&jwt, secret, NOW, &out), GR_ERR_USE_DPOP_NONCE);
    gr_buf_release(&jwt);
    gr_jwk_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonce_make),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

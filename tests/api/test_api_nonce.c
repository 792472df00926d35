/*
 * nonce.h's c_nonces through the installed headers only: made by
 * gr_c_nonce_make(), accepted by gr_c_nonce_check() until they expire and
 * under the secret that made them, with a replay key of their own (OID4VCI
 * 1.0 §7; see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>

#define NOW 1700000000

static const uint8_t secret[32] = { 1, 2, 3 };

static enum gr_errc check(const char *nonce, const uint8_t *key, int64_t now, int64_t *exp,
                          uint8_t replay_key[32])
{
    struct gr_err err;

    return t_code(gr_c_nonce_check(key, gr_str_c(nonce), now, exp, replay_key, &err), &err);
}

static void test_made_and_checked(void **state)
{
    char a[GR_C_NONCE_LEN + 1], b[GR_C_NONCE_LEN + 1];
    uint8_t key_a[32], key_a2[32], key_b[32];
    int64_t exp = 0;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_c_nonce_make(secret, NOW + 300, a, &err), 0);
    assert_int_equal(gr_c_nonce_make(secret, NOW + 300, b, &err), 0);
    assert_int_equal(strlen(a), GR_C_NONCE_LEN);
    for (size_t i = 0; i < GR_C_NONCE_LEN; i++) /* base64url: safe in JSON, forms and URLs */
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
    assert_string_not_equal(a, b); /* unpredictable: 16 random bytes each */
    assert_code(check(a, secret, NOW, &exp, key_a), GR_ERR_OK);
    assert_int_equal(exp, NOW + 300);
    /* The same nonce gives the same replay key every time, another nonce another one. */
    assert_code(check(a, secret, NOW + 299, &exp, key_a2), GR_ERR_OK);
    assert_memory_equal(key_a, key_a2, 32);
    assert_code(check(b, secret, NOW, &exp, key_b), GR_ERR_OK);
    assert_memory_not_equal(key_a, key_b, 32);
}

static void test_expired(void **state)
{
    char n[GR_C_NONCE_LEN + 1];
    uint8_t key[32];
    int64_t exp = 7;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_c_nonce_make(secret, NOW + 300, n, &err), 0);
    assert_code(check(n, secret, NOW + 300, &exp, key), GR_ERR_INVALID_NONCE);
    assert_code(check(n, secret, INT64_MAX, &exp, key), GR_ERR_INVALID_NONCE);
    assert_int_equal(exp, 7); /* untouched on refusal */
}

/* Another issuer's secret, any character changed, cut or lengthened: not ours. */
static void test_not_ours(void **state)
{
    static const uint8_t other[32] = { 9 };
    char n[GR_C_NONCE_LEN + 1], bad[GR_C_NONCE_LEN + 2];
    uint8_t key[32];
    int64_t exp;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_c_nonce_make(secret, NOW + 300, n, &err), 0);
    assert_code(check(n, other, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    for (size_t i = 0; i < GR_C_NONCE_LEN; i++) {
        memcpy(bad, n, sizeof(n));
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_code(check(bad, secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    }
    memcpy(bad, n, sizeof(n));
    bad[GR_C_NONCE_LEN - 1] = '\0';
    assert_code(check(bad, secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    memcpy(bad, n, sizeof(n));
    bad[GR_C_NONCE_LEN] = 'A';
    bad[GR_C_NONCE_LEN + 1] = '\0';
    assert_code(check(bad, secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    assert_code(check("", secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    /* The right length of something else: a DPoP nonce padded, base64url with '=' and '+'. */
    memset(bad, '+', GR_C_NONCE_LEN);
    bad[GR_C_NONCE_LEN] = '\0';
    assert_code(check(bad, secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
}

/* A nonce made to expire at a time it cannot be read back as (negative, far past) is refused. */
static void test_odd_expiry(void **state)
{
    char n[GR_C_NONCE_LEN + 1];
    uint8_t key[32];
    int64_t exp;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_c_nonce_make(secret, -5, n, &err), 0);
    assert_code(check(n, secret, NOW, &exp, key), GR_ERR_INVALID_NONCE);
    assert_int_equal(gr_c_nonce_make(secret, INT64_MAX, n, &err), 0);
    assert_code(check(n, secret, NOW, &exp, key), GR_ERR_OK);
    assert_true(exp == INT64_MAX);
}

int main(void)
{
    static const struct CMUnitTest cases[] = {
        cmocka_unit_test(test_made_and_checked),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_odd_expiry),
    };

    return cmocka_run_group_tests(cases, NULL, NULL);
}

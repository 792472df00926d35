/*
 * A credential request's c_nonce (nonce.h), as a wallet sends it.
 * Invariants: a refusal is INVALID_NONCE with a sentence and leaves the
 * expiry untouched; an acceptance is of a nonce this secret made, not yet
 * expired, whose replay key is the same when checked again; and a nonce made
 * with the expiry the input's first 8 bytes give is accepted just before that
 * expiry with the same replay key every time, and refused at it.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/nonce.h>

static const uint8_t secret[32] = { 0x67, 0x72, 0x61, 0x6d };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    char made[GR_C_NONCE_LEN + 1];
    uint8_t key[32], again[32];
    int64_t exp = 42, now = 1700000000;
    uint64_t chosen = 0;
    struct gr_err err;
    size_t n;

    if (gr_c_nonce_check(secret, in, now, &exp, key, &err) < 0) {
        n = strlen(err.desc);
        assert(err.code == GR_ERR_INVALID_NONCE && n > 0 && err.desc[n - 1] == '.');
        assert(exp == 42);
    } else {
        assert(len == GR_C_NONCE_LEN && exp > now);
        assert(gr_c_nonce_check(secret, in, now, &exp, again, &err) == 0);
        assert(memcmp(key, again, sizeof(key)) == 0);
    }
    for (size_t i = 0; i < 8 && i < len; i++)
        chosen = chosen << 8 | data[i];
    if ((int64_t)chosen == INT64_MIN)
        return 0; /* no moment before it to check at */
    assert(gr_c_nonce_make(secret, (int64_t)chosen, made, &err) == 0);
    assert(strlen(made) == GR_C_NONCE_LEN);
    assert(gr_c_nonce_check(secret, gr_str_c(made), (int64_t)chosen - 1, &exp, key, &err) == 0);
    assert(exp == (int64_t)chosen);
    assert(gr_c_nonce_check(secret, gr_str_c(made), (int64_t)chosen - 1, &exp, again, &err) == 0);
    assert(memcmp(key, again, sizeof(key)) == 0);
    assert(gr_c_nonce_check(secret, gr_str_c(made), (int64_t)chosen, &exp, key, &err) < 0 &&
           err.code == GR_ERR_INVALID_NONCE);
    return 0;
}

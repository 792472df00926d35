/*
 * The order in which a status list's entries are handed out by the
 * PostgreSQL store (pg_status.c): position p of a list (its p-th credential)
 * gets entry order(p), a pseudorandom permutation of [0, size) keyed by a
 * secret of the list. The n-th credential of a list then sits at an entry
 * that says nothing of n to anyone without the key (TSL §13.2, HAIP §6.1:
 * unpredictable indices), every entry is handed out exactly once, and handing
 * them out needs only a counter: no record of the taken ones, no probing for
 * a free one.
 *
 * The permutation is a balanced Feistel network on the smallest even number
 * of bits that holds `size`, with AES-128 as its round function, walked
 * round the cycle until it lands inside [0, size) (Black and Rogaway,
 * "Ciphers with Arbitrary Finite Domains", 2002). The domain is under four
 * times the list, so a position takes fewer than four walks on average.
 * Eight rounds, as FF3 has, on halves of at most 12 bits.
 */
#include "store/internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#define ROUNDS 8

/*
 * AES-128-ECB fetched once, as SHA-256 is in src/core/crypto.c: an
 * allocation keys an order, and EVP_aes_128_ecb() would look the cipher up
 * again each time. Written once under pthread_once, then only read.
 */
static pthread_once_t aes_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aes_ecb;

static void fetch_aes(void)
{
    aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
}

int gr__status_order_init(struct gr__status_order *o, const uint8_t *key, size_t key_len,
                          uint64_t size, struct gr_err *err)
{
    unsigned bits = 2;

    memset(o, 0, sizeof(*o));
    if (key_len != GR__STATUS_ORDER_KEY_LEN || size == 0 || size > GR__STATUS_ORDER_MAX)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    while ((UINT64_C(1) << bits) < size)
        bits += 2;
    o->half = bits / 2;
    o->size = size;
    pthread_once(&aes_once, fetch_aes);
    o->aes = aes_ecb ? EVP_CIPHER_CTX_new() : NULL;
    if (o->aes == NULL || EVP_EncryptInit_ex2(o->aes, aes_ecb, key, NULL, NULL) != 1) {
        gr__status_order_release(o);
        return gr_fail(err, GR_ERR_SERVER_ERROR, "The status list order could not be keyed.");
    }
    return 0;
}

/* One pass of the Feistel network over [0, 2^(2 half)). */
static int feistel(struct gr__status_order *o, uint32_t x, uint32_t *out)
{
    uint32_t mask = (UINT32_C(1) << o->half) - 1, left = x >> o->half, right = x & mask;

    for (unsigned round = 0; round < ROUNDS; round++) {
        /* The round, the width and the right half: a round of one width never
         * meets the blocks of another round or another width. */
        uint8_t block[16] = { (uint8_t)round, (uint8_t)o->half, (uint8_t)right,
                              (uint8_t)(right >> 8) };
        uint8_t enc[16 + 16];
        int len = 0;
        uint32_t f, next;

        if (EVP_EncryptUpdate(o->aes, enc, &len, block, sizeof(block)) != 1 || len != 16)
            return -1;
        f = (uint32_t)enc[0] | (uint32_t)enc[1] << 8 | (uint32_t)enc[2] << 16;
        next = left ^ (f & mask);
        left = right;
        right = next;
    }
    *out = left << o->half | right;
    return 0;
}

int gr__status_order_at(struct gr__status_order *o, uint64_t position, uint64_t *entry,
                        struct gr_err *err)
{
    uint32_t x = (uint32_t)position;

    if (position >= o->size)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    /* position is on a cycle of the permutation, so some point of it is below size. */
    do {
        if (feistel(o, x, &x) < 0)
            return gr_fail(err, GR_ERR_SERVER_ERROR, "The status list order failed.");
    } while (x >= o->size);
    *entry = x;
    return 0;
}

void gr__status_order_release(struct gr__status_order *o)
{
    EVP_CIPHER_CTX_free(o->aes);
    o->aes = NULL;
}

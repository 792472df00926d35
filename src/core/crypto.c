#include <gramota/crypto.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

#include "core/internal.h"

/*
 * SHA-256 through a digest fetched once: OpenSSL 3's implicit fetch behind
 * EVP_sha256() costs a lookup on every call, and digests are on the hot path
 * (one per disclosure). The fetched object is written once, under pthread_once,
 * and only read afterwards.
 */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void no_sha256(void)
{
    fprintf(stderr, "gramota: SHA-256 is not available from OpenSSL\n");
    abort();
}

/* see crypto.h */
void gr_sha256(const void *data, size_t len, uint8_t out[GR_SHA256_LEN])
{
    unsigned int n = 0;

    pthread_once(&sha256_once, fetch_sha256);
    /* Can only fail without a default provider, which is a broken installation. */
    if (sha256_md == NULL || !EVP_Digest(data, len, out, &n, sha256_md, NULL))
        no_sha256();
}

gr_sha256_ctx *gr__sha256_ctx_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    pthread_once(&sha256_once, fetch_sha256);
    if (ctx == NULL || sha256_md == NULL)
        no_sha256();
    return ctx;
}

void gr__sha256_ctx_free(gr_sha256_ctx *ctx)
{
    EVP_MD_CTX_free(ctx);
}

void gr__sha256(gr_sha256_ctx *ctx, const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;

    if (!EVP_DigestInit_ex(ctx, sha256_md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, out, &n))
        no_sha256();
}

/* see crypto.h */
int gr_random(void *out, size_t len, struct gr_err *err)
{
    if (len > INT_MAX || RAND_bytes(out, (int)len) != 1) {
        gr_fail(err, GR_ERR_CRYPTO, "The random number generator failed.");
        return gr_err_openssl(err);
    }
    return 0;
}

/* see core/internal.h */
int gr__random_b64url(size_t bytes, char *out, struct gr_err *err)
{
    uint8_t raw[64];

    if (bytes > sizeof(raw))
        abort(); /* the callers' sizes are constants: more is a bug */
    if (gr_random(raw, bytes, err) < 0)
        return -1;
    gr_b64url_encode(raw, bytes, out);
    out[gr_b64url_len(bytes)] = '\0';
    OPENSSL_cleanse(raw, bytes);
    return 0;
}

/* see crypto.h */
int gr_secret_new(char out[GR_SECRET_LEN + 1], uint8_t hash[GR_SHA256_LEN], struct gr_err *err)
{
    if (gr__random_b64url(32, out, err) < 0)
        return -1;
    if (hash)
        gr_sha256(out, GR_SECRET_LEN, hash);
    return 0;
}

/* see crypto.h */
bool gr_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

/* see crypto.h */
bool gr_ct_str_equal(struct gr_str a, struct gr_str b)
{
    return a.len == b.len && CRYPTO_memcmp(a.p, b.p, a.len) == 0;
}

/*
 * The labelled MAC behind gramota's stateless nonces (dpop.c, nonce.c), and
 * the big-endian numbers in them and in replay keys (client_attest.c).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "oid4vci/internal.h"

/*
 * HMAC fetched once, as SHA-256 is in src/core/crypto.c: the implicit fetch
 * would look it up again on every nonce. Written once under pthread_once, then
 * only read.
 */
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;

static void fetch_hmac(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* see oid4vci/internal.h */
int gr__oid4vci_mac(const uint8_t secret[32], const char *label, const uint8_t *msg, size_t len,
                    uint8_t mac[GR__OID4VCI_MAC_LEN], struct gr_err *err)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    uint8_t full[32];
    size_t n = 0;
    EVP_MAC_CTX *ctx;
    int ok;

    pthread_once(&hmac_once, fetch_hmac);
    ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    ok = ctx != NULL && EVP_MAC_init(ctx, secret, 32, params) &&
         EVP_MAC_update(ctx, (const uint8_t *)label, strlen(label)) &&
         EVP_MAC_update(ctx, msg, len) && EVP_MAC_final(ctx, full, &n, sizeof(full)) &&
         n == sizeof(full);
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
        gr_fail(err, GR_ERR_CRYPTO, "A nonce's MAC cannot be computed.");
        return gr_err_openssl(err);
    }
    memcpy(mac, full, GR__OID4VCI_MAC_LEN);
    return 0;
}

/* see oid4vci/internal.h */
void gr__put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* see oid4vci/internal.h */
uint64_t gr__get_be64(const uint8_t in[8])
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

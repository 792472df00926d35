/*
 * Sealing an offer URL for the admin API: AES-256-GCM under a key derived
 * from the API key that made the offer (HMAC-SHA256 of the offer id), so that
 * the same key can ask for the QR code again, while the database alone holds
 * nothing that redeems an offer.
 */
#include "seal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <gramota/crypto.h>
#include <gramota/err.h>

#include "cmd.h"

#define IV_LEN  12
#define TAG_LEN 16

static int derive(struct gr_str api_key, struct gr_str offer_id, uint8_t key[32])
{
    size_t len = 0;

    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, api_key.p, api_key.len,
                     (const unsigned char *)offer_id.p, offer_id.len, key, 32, &len) != NULL &&
                   len == 32
               ? 0
               : -1;
}

/* see seal.h */
int seal_url(struct gr_str api_key, struct gr_str offer_id, struct gr_str url, uint8_t **out,
             size_t *out_len, struct gr_err *err)
{
    uint8_t key[32];
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t *blob = cmd_xmalloc(IV_LEN + url.len + TAG_LEN);
    int n = 0, m = 0, rc = -1;

    if (derive(api_key, offer_id, key) < 0 || gr_random(blob, IV_LEN, err) < 0 ||
        (ctx = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob) != 1 ||
        EVP_EncryptUpdate(ctx, blob + IV_LEN, &n, (const uint8_t *)url.p, (int)url.len) != 1 ||
        EVP_EncryptFinal_ex(ctx, blob + IV_LEN + n, &m) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, blob + IV_LEN + n + m) != 1) {
        gr_fail(err, GR_ERR_SERVER_ERROR, "The offer URL cannot be sealed.");
        gr_err_openssl(err);
        free(blob);
        goto out;
    }
    *out = blob;
    *out_len = IV_LEN + (size_t)(n + m) + TAG_LEN;
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof(key));
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* see seal.h */
int unseal_url(struct gr_str api_key, struct gr_str offer_id, const uint8_t *blob, size_t len,
               struct gr_buf *url, struct gr_err *err)
{
    uint8_t key[32];
    EVP_CIPHER_CTX *ctx = NULL;
    char *dst;
    int n = 0, m = 0, rc = -1;

    if (blob == NULL || len < IV_LEN + TAG_LEN)
        return gr_fail(err, GR_ERR_NOT_FOUND, "This offer's URL is not kept.");
    dst = gr_buf_grow(url, len);
    if (dst == NULL || derive(api_key, offer_id, key) < 0 || (ctx = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob) != 1 ||
        EVP_DecryptUpdate(ctx, (uint8_t *)dst, &n, blob + IV_LEN, (int)(len - IV_LEN - TAG_LEN)) !=
            1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(blob + len - TAG_LEN)) !=
            1 ||
        EVP_DecryptFinal_ex(ctx, (uint8_t *)dst + n, &m) != 1) {
        /* Another API key of the same organization made it: it cannot be shown again. */
        gr_fail(err, GR_ERR_NOT_FOUND,
                "This offer's QR code is available to the API key that made it.");
        goto out;
    }
    url->len += (size_t)(n + m);
    url->data[url->len] = '\0';
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof(key));
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

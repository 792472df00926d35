/*
 * The file signer: an ES256 key pair held in memory, read from a PEM file
 * ("file:PATH") or handed over as a key. OpenSSL's EVP_PKEY is safe to sign
 * with from several threads at once, so the signer needs no lock.
 */
#include <gramota/signer.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include <gramota/err.h>
#include <gramota/jws.h>

#include "core/internal.h"
#include "signer/pkcs11_internal.h"

static int file_sign(void *ctx, struct gr_str input, uint8_t sig[64], struct gr_err *err)
{
    return gr_es256_sign(ctx, input, sig, err);
}

static void file_free(void *ctx)
{
    gr_jwk_free(ctx);
}

static const struct gr_signer_ops file_ops = {
    .name = "file",
    .sign = file_sign,
    .free = file_free,
};

/* see signer.h */
struct gr_signer *gr_signer_new_key(struct gr_jwk *key, struct gr_str chain_pem, struct gr_err *err)
{
    if (key == NULL) {
        /* Maybe the NULL of a failed gr_jwk_generate() in the same expression (err.h). */
        gr_fail(err, GR_ERR_USAGE, "A signer needs a key, and none was made or given.");
        return NULL;
    }
    if (!gr_jwk_is_private(key)) {
        gr_jwk_free(key);
        gr_fail(err, GR_ERR_BAD_KEY, "The signing key has no private part.");
        return NULL;
    }
    return gr_signer_new_custom(&file_ops, key, gr_jwk_dup_public(key), chain_pem, err);
}

static struct gr_signer *from_file(const char *path, struct gr_str chain_pem, struct gr_err *err)
{
    struct gr_buf pem;
    struct gr_jwk *key = NULL;

    gr_buf_init(&pem, GR_MAX_PEM_LEN);
    if (gr__read_file(path, GR_MAX_PEM_LEN, &pem, err) == 0)
        key = gr_jwk_parse_pem(gr_buf_str(&pem), GR_JWK_PRIVATE, err);
    OPENSSL_cleanse(pem.data, pem.len);
    gr_buf_release(&pem);
    if (key == NULL)
        return NULL;
    return gr_signer_new_key(key, chain_pem, err);
}

/* see signer.h */
struct gr_signer *gr_signer_new(struct gr_str uri, struct gr_str chain_pem, struct gr_err *err)
{
    static const char file_scheme[] = "file:";
    struct gr_signer *s;
    char *path;

    if (uri.len > sizeof(file_scheme) - 1 &&
        memcmp(uri.p, file_scheme, sizeof(file_scheme) - 1) == 0) {
        path = gr__xstrndup(uri.p + 5, uri.len - 5);
        s = from_file(path, chain_pem, err);
        free(path);
        return s;
    }
    if (uri.len >= 7 && strncasecmp(uri.p, "pkcs11:", 7) == 0)
        return gr__signer_pkcs11_new(uri, chain_pem, err);
    gr_fail(err, GR_ERR_USAGE,
            "The signer URI must start with file: (a PEM private key) or pkcs11: (a token).");
    return NULL;
}

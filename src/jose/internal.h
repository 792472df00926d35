#ifndef GR_JOSE_INTERNAL_H
#define GR_JOSE_INTERNAL_H

/* What jose shares with the modules above it (signer, sdjwt, oid4vci). */

#include <openssl/evp.h>

#include <gramota/jwk.h>
#include <gramota/jws.h>

#include "core/internal.h"

struct gr_jwk {
    EVP_PKEY *pkey; /* owned; a P-256 public key or key pair */
    uint8_t x[32];  /* the public point, big-endian coordinates */
    uint8_t y[32];
    bool priv; /* pkey holds the private scalar */
    /*
     * Contexts initialised once for ECDSA over a SHA-256 digest and duplicated
     * for every operation: a duplicate costs a fifteenth of a fresh init, and the
     * originals are never written to, so threads may share the key.
     */
    EVP_PKEY_CTX *verify_ctx;
    EVP_PKEY_CTX *sign_ctx; /* NULL unless priv */
};

/* A JWK from a JSON object (a JWS header's `jwk`, a `cnf.jwk`). Codes as gr_jwk_parse. */
struct gr_jwk *gr__jwk_from_json(const json_t *obj, enum gr_jwk_want want, struct gr_err *err);
/* Wrap an EC P-256 EVP_PKEY, taken even on failure (a certificate's key). Code: BAD_KEY. */
struct gr_jwk *gr__jwk_from_pkey(EVP_PKEY *pkey, struct gr_err *err);
/* Append the public JWK as JSON (same bytes as gr_jwk_to_json without `d`). */
#define gr__jwk_json(key, out) gr_jwk_to_json((key), false, (out))

#endif

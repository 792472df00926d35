#ifndef GRAMOTA_CRYPTO_H
#define GRAMOTA_CRYPTO_H

/* The few primitives every module needs: SHA-256, the CSPRNG, constant-time equality. */

#include <gramota/buf.h>

#define GR_SHA256_LEN 32

/* SHA-256 of `len` bytes (cannot fail). */
GR_API void gr_sha256(const void *data, size_t len, uint8_t out[GR_SHA256_LEN]);

/* Fill `out` from OpenSSL's CSPRNG. -1 with CRYPTO if it cannot (not seeded). */
GR_API int gr_random(void *out, size_t len, struct gr_err *err);

/*
 * A fresh bearer secret (an access token, a pre-authorized code, a c_nonce, an
 * API key): 256 bits from the CSPRNG as GR_SECRET_LEN base64url characters,
 * NUL-terminated in `out`, and, when `hash` is not NULL, the SHA-256 of those
 * characters, which is what a store should keep instead of the secret. -1 with
 * CRYPTO if the CSPRNG fails.
 */
#define GR_SECRET_LEN 43
GR_API int gr_secret_new(char out[GR_SECRET_LEN + 1], uint8_t hash[GR_SHA256_LEN],
                         struct gr_err *err);

/* Equal contents, in time that depends only on `len` (CRYPTO_memcmp). */
GR_API bool gr_ct_equal(const void *a, const void *b, size_t len);
/* Equal strings; the lengths are not secret, the contents are. */
GR_API bool gr_ct_str_equal(struct gr_str a, struct gr_str b);

#endif

#ifndef GRAMOTA_NONCE_H
#define GRAMOTA_NONCE_H

/*
 * c_nonces (OID4VCI 1.0 §7): what the nonce endpoint hands out and a
 * credential request's proofs must carry, made so that handing one out
 * writes nothing. A c_nonce carries its expiry and 16 random bytes under a
 * MAC: the first 16 bytes of HMAC-SHA256(secret, "gramota c_nonce v1" ||
 * expiry || random), with a 32-byte secret that every issuer process sharing
 * a store holds, so each accepts the others' nonces. It is unpredictable
 * (§7.2) and good until its expiry; that it is used once is the caller's to
 * keep, by recording the replay key gr_c_nonce_check() gives until the
 * nonce expires (store.h: jti_add), the only write, and only for a nonce a
 * wallet actually used. An anonymous client asking for nonces therefore
 * costs no storage.
 */

#include <stddef.h>
#include <stdint.h>

#include <gramota/buf.h>
#include <gramota/err.h>

#define GR_C_NONCE_LEN 54 /* base64url of 40 bytes: expiry (8) || random (16) || MAC (16) */

/* A c_nonce good until `expires_at` (seconds since the epoch). Code: CRYPTO. */
GR_API int gr_c_nonce_make(const uint8_t secret[32], int64_t expires_at,
                           char out[GR_C_NONCE_LEN + 1], struct gr_err *err);

/*
 * Whether `nonce` is a c_nonce made with `secret` that has not expired at
 * `now`. On success *expires_at gets its expiry and `replay_key` the key to
 * record it under as spent: SHA-256 of a label and the nonce, never equal to
 * a DPoP jti's key. Code: INVALID_NONCE (not made here, damaged, expired).
 */
GR_API int gr_c_nonce_check(const uint8_t secret[32], struct gr_str nonce, int64_t now,
                            int64_t *expires_at, uint8_t replay_key[32], struct gr_err *err);

#endif

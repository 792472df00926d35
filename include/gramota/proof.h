#ifndef GRAMOTA_PROOF_H
#define GRAMOTA_PROOF_H

/*
 * OpenID4VCI key proofs of type `jwt` (OID4VCI 1.0 Appendix F.1, F.4; Draft
 * 13's `proof.jwt` is the same JWT): the holder signs a JWT with the key the
 * credential is to be bound to, for this issuer, recently, over a c_nonce.
 *
 * Checking is stateless: the caller spends the returned nonce in its store
 * (answering INVALID_NONCE when it is unknown or spent, and INVALID_PROOF when
 * the proof has none) and binds the returned key as `cnf.jwk`.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>

struct gr_proof_check {
    struct gr_str jwt;       /* one element of proofs.jwt (or Draft 13's proof.jwt) */
    struct gr_str audience;  /* the Credential Issuer Identifier: aud must equal it */
    struct gr_str client_id; /* the authenticated client; .p NULL for anonymous pre-auth */
    int64_t now;
    int64_t max_age;  /* seconds iat may lie in the past; 0 (or less) means 300 */
    int64_t max_skew; /* seconds iat may lie in the future; 0 (or less) means 60 */
};

#define GR_PROOF_NONCE_MAX 256

struct gr_proof {
    struct gr_jwk *key;                 /* the holder key to bind (cnf.jwk), owned; public only */
    char nonce[GR_PROOF_NONCE_MAX + 1]; /* the proof's nonce claim, NUL-terminated */
    bool has_nonce;
};

/* An empty proof in the caller's storage; release frees the key and empties it again. */
GR_API void gr_proof_init(struct gr_proof *p);
GR_API void gr_proof_release(struct gr_proof *p);

/*
 * Check one `jwt` key proof: at most GR_MAX_JWS_LEN bytes; `typ`
 * openid4vci-proof+jwt (as a media type); `alg` ES256; exactly one of `kid`,
 * `jwk`, `x5c` in the header, and that one `jwk`, public only (a `kid` alone,
 * an `x5c` chain and a `key_attestation` header are refused: those kinds of key
 * are not accepted yet); the signature verifies with that key; `aud` equal to
 * `audience` (a string, or an array of exactly that one string: RFC 7519 §4.1.3
 * gives both the same meaning, and more than one audience is refused); `iat` an
 * integer within [now - max_age, now + max_skew]; `iss`, when present and
 * `client_id` is set, equal to `client_id` (with no client_id, anonymous
 * pre-auth, `iss` is not read); `nonce`, when present, a string of
 * 1..GR_PROOF_NONCE_MAX bytes. Other claims (`exp`, `jti`, ...) are ignored.
 *
 * `out` is initialised by the call; on success it holds the key and the nonce
 * (has_nonce false when the proof has none), on failure it is left empty.
 * Code: INVALID_PROOF for every failure; USAGE when `audience` is missing.
 */
GR_API int gr_proof_verify_jwt(const struct gr_proof_check *c, struct gr_proof *out,
                               struct gr_err *err);

#endif

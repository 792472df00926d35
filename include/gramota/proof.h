#ifndef GRAMOTA_PROOF_H
#define GRAMOTA_PROOF_H

/*
 * OpenID4VCI key proofs (OID4VCI 1.0 Appendix F; Draft 13's `proof.jwt` is the
 * same JWT): the holder keys a credential request asks credentials for, and
 * why the issuer may believe in them.
 *
 * - `jwt` with a `jwk` header (F.1): the holder signs a JWT for this issuer,
 *   recently, over a c_nonce, with the one key to bind.
 * - `jwt` with a `key_attestation` header (F.1, D.1; the EUDI wallet's way,
 *   with `kid` "0" and no `jwk`): a wallet provider attests 1..N keys, and the
 *   holder signs the JWT with the first of them. Every attested key gets a
 *   credential, in order.
 * - `attestation` (F.3): the key attestation alone, its nonce the c_nonce; no
 *   key signs anything.
 *
 * Checking is stateless: the caller spends the returned nonce in its store
 * (answering INVALID_NONCE when it is unknown or spent, and INVALID_PROOF when
 * the proof has none) and binds each returned key as `cnf.jwk`.
 */

#include <gramota/attest.h>
#include <gramota/buf.h>
#include <gramota/jwk.h>
#include <gramota/limits.h>

enum gr_proof_type { GR_PROOF_NONE, GR_PROOF_JWT, GR_PROOF_ATTESTATION };

struct gr_proof_check {
    struct gr_str jwt;       /* one element of proofs.jwt or proofs.attestation (or Draft 13's) */
    struct gr_str audience;  /* the Credential Issuer Identifier: aud must equal it */
    struct gr_str client_id; /* the authenticated client; .p NULL for anonymous pre-auth */
    int64_t now;
    int64_t max_age;  /* seconds iat may lie in the past; 0 (or less) means 300 */
    int64_t max_skew; /* seconds iat may lie in the future; 0 (or less) means 60 */
    /*
     * Key attestations (attest.h). `wallet_providers` NULL: every proof with a
     * key attestation, and every `attestation` proof, is refused. The levels
     * are the configuration's key_attestations_required.key_storage and
     * .user_authentication (NULL-terminated values it accepts; NULL: none).
     */
    const struct gr_trust *wallet_providers;
    const char *const *key_storage;
    const char *const *user_authentication;
    /*
     * The configuration advertises key_attestations_required (§12.2.4): a
     * `jwt` proof without a key attestation is refused.
     */
    bool require_attestation;
};

#define GR_PROOF_NONCE_MAX 256

struct gr_proof {
    /*
     * The holder keys to bind (cnf.jwk), one credential each, in order; public,
     * owned. 1 for a `jwk` proof, 1..GR_MAX_ATTESTED_KEYS when attested.
     */
    struct gr_jwk *keys[GR_MAX_ATTESTED_KEYS];
    size_t key_count;
    struct gr_jwk *key; /* keys[0], not owned apart from keys: the key of a `jwk` proof */
    bool attested;      /* the keys come from a trusted key attestation */
    /*
     * The c_nonce the proof carries: a `jwt` proof's nonce claim, or for the
     * `attestation` type the attestation's. NUL-terminated.
     */
    char nonce[GR_PROOF_NONCE_MAX + 1];
    bool has_nonce;
    /*
     * The key attestation's own nonce claim, when there is one (for the
     * `attestation` type the same as `nonce`). A `jwt` proof whose two nonces
     * differ is refused, so a caller that spends `nonce` has checked both.
     */
    char attestation_nonce[GR_PROOF_NONCE_MAX + 1];
    bool has_attestation_nonce;
};

/* An empty proof in the caller's storage; release frees the keys and empties it (NULL: no-op). */
GR_API void gr_proof_init(struct gr_proof *p);
GR_API void gr_proof_release(struct gr_proof *p);

/*
 * Check one `jwt` key proof: at most GR_MAX_JWS_LEN bytes; `typ`
 * openid4vci-proof+jwt (as a media type); `alg` ES256; then by its header:
 *
 * - without `key_attestation`: exactly one of `kid`, `jwk`, `x5c`, and that
 *   one `jwk`, public only (a `kid` alone and an `x5c` chain are refused: those
 *   kinds of key are not accepted yet), and not with require_attestation; the
 *   signature verifies with that key;
 * - with `key_attestation` (a string): no `x5c` and no `trust_chain`; `kid`
 *   any string (the EUDI wallet sends "0"); a `jwk`, if any, equal to the
 *   first attested key; the attestation checked as gr_key_attestation_verify()
 *   does with require_exp (D.1) and the levels of `c`; the proof signed by the
 *   first attested key (F.1 lets it be any of them; every wallet known signs
 *   with the first, and one key to try is one verification);
 *
 * and its claims: `aud` equal to `audience` (a string, or an array of exactly
 * that one string: RFC 7519 §4.1.3 gives both the same meaning, and more than
 * one audience is refused); `iat` an integer within [now - max_age, now +
 * max_skew]; `iss`, when present and `client_id` is set, equal to `client_id`
 * (with no client_id, anonymous pre-auth, `iss` is not read); `nonce`, when
 * present, a string of 1..GR_PROOF_NONCE_MAX bytes, and equal to the key
 * attestation's nonce when both are present. Other claims (`exp`, `jti`, ...)
 * are ignored.
 *
 * `out` is initialised by the call; on success it holds the keys and the
 * nonces (has_nonce false when the proof has none). On failure nothing is left
 * to release. Code: INVALID_PROOF for every failure; USAGE when `audience` is
 * missing.
 */
GR_API int gr_proof_verify_jwt(const struct gr_proof_check *c, struct gr_proof *out,
                               struct gr_err *err);

/*
 * Check one `attestation` key proof (F.3): `c->jwt` is a key attestation,
 * checked as gr_key_attestation_verify() does with the levels of `c`, `exp`
 * optional, and its `iat` within [now - max_age, now + max_skew]: with no
 * proof of possession, the attestation's own age is the proof's. `audience`,
 * `client_id` and require_attestation are not read. On success `out` holds
 * every attested key, attested, and the attestation's nonce as both `nonce`
 * and `attestation_nonce`. On failure nothing is left to release. Code: INVALID_PROOF.
 */
GR_API int gr_proof_verify_attestation(const struct gr_proof_check *c, struct gr_proof *out,
                                       struct gr_err *err);

/*
 * The key proofs of one credential request, checked together (OID4VCI 1.0
 * §8.2, Appendix F.4): every proof valid, every one over the same c_nonce,
 * no key proven twice, and no more keys than the batch size. The issuer then
 * spends `nonce` once and issues one credential per key, in order.
 */
struct gr_proofs {
    struct gr_proof proof[GR_MAX_PROOFS];
    size_t proof_count;
    const struct gr_jwk *keys[GR_MAX_PROOFS]; /* every proven key once, in order; in proof[] */
    size_t key_count;
    const char *nonce; /* the one c_nonce they share: proof[0].nonce */
};

/*
 * Check `count` proofs of `type` (the request's `proofs.jwt` or
 * `proofs.attestation`, Draft 15's or Draft 13's `proof`): each with `c`, its
 * `jwt` set to the proof (gr_proof_verify_jwt, gr_proof_verify_attestation),
 * each carrying a nonce, all the same one; at most `max_keys` keys in all
 * (the issuer's batch_size, at most GR_MAX_PROOFS), each once. `out` is
 * initialised by the call; on success it holds the proofs and keys (release
 * with gr_proofs_release), on failure it is left empty. Codes: INVALID_PROOF
 * (no proof, a proof that fails, a missing or different nonce, a key twice),
 * INVALID_CREDENTIAL_REQUEST (more keys than `max_keys`). Spending the nonce
 * is the caller's: INVALID_NONCE when its store does not know it.
 */
GR_API int gr_proofs_verify(const struct gr_proof_check *c, enum gr_proof_type type,
                            const struct gr_str *jwts, size_t count, size_t max_keys,
                            struct gr_proofs *out, struct gr_err *err);
/* Release every proof's keys and empty `p`; NULL is a no-op. */
GR_API void gr_proofs_release(struct gr_proofs *p);

#endif

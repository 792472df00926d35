#ifndef GRAMOTA_ATTEST_H
#define GRAMOTA_ATTEST_H

/*
 * What a wallet provider vouches for, as the issuer checks it:
 *
 * - key attestations (OID4VCI 1.0 Appendix D; `keyattestation+jwt` of Draft
 *   15 too): the provider signs the holder keys that credentials will be bound
 *   to, with how well they are stored and unlocked. They come in the header of
 *   a `jwt` key proof or as the `attestation` proof type (proof.h does both);
 * - wallet attestations (OID4VCI 1.0 Appendix E over
 *   draft-ietf-oauth-attestation-based-client-auth-07): the provider signs the
 *   wallet instance's key, and the wallet proves possession of it to the token
 *   endpoint with a PoP JWT, which authenticates it as an OAuth client.
 *
 * The provider signs with ES256 under an `x5c` chain that must lead to one of
 * the configured trust anchors (HAIP §4.4.1, §4.5.1; see x5c.h for the chain
 * rules). Checking is stateless: replay sets and nonces are the caller's.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>
#include <gramota/x5c.h>

/* ---- key attestations ---- */

/*
 * Most keys one key attestation may attest: one credential each, so it is the
 * most credentials one request can yield, as GR_MAX_PROOFS is for plain proofs.
 */
#define GR_MAX_ATTESTED_KEYS 32
#define GR_ATTEST_NONCE_MAX  256 /* longest nonce claim taken, as GR_PROOF_NONCE_MAX */

struct gr_key_attestation_check {
    struct gr_str jwt;              /* the key attestation JWT */
    const struct gr_trust *anchors; /* trusted wallet providers; NULL: every attestation fails */
    int64_t now;
    int64_t max_skew; /* seconds iat and nbf may lie in the future, and exp in the past;
                         0 (or less) means 60 */
    int64_t max_age;  /* seconds iat may lie in the past; 0 (or less): no limit, exp bounds it */
    bool require_exp; /* App. D.1: exp MUST be present when used with the jwt proof type */
    /*
     * The values the issuer accepts (its key_attestations_required.key_storage
     * and .user_authentication, §12.2.4), NULL-terminated: the attestation
     * must list at least one of them. NULL or empty: no requirement, and the
     * claim may be absent.
     */
    const char *const *key_storage;
    const char *const *user_authentication;
};

struct gr_key_attestation {
    struct gr_jwk *keys[GR_MAX_ATTESTED_KEYS]; /* attested_keys in order, public, owned */
    size_t count;                              /* 1..GR_MAX_ATTESTED_KEYS */
    char nonce[GR_ATTEST_NONCE_MAX + 1];       /* the nonce claim, NUL-terminated */
    bool has_nonce;
    int64_t iat;
    int64_t exp; /* 0 when absent */
};

/*
 * An empty result in the caller's storage; release frees the keys and empties
 * it again (NULL is a no-op).
 */
GR_API void gr_key_attestation_init(struct gr_key_attestation *a);
GR_API void gr_key_attestation_release(struct gr_key_attestation *a);

/*
 * Check a key attestation: at most GR_MAX_JWS_LEN bytes; `typ`
 * key-attestation+jwt or Draft 15's keyattestation+jwt (as media types); `alg`
 * ES256; an `x5c` chain to one of `anchors` at `now`, whose leaf signed it (a
 * `kid` or `jwk` in the header is not used); `iat` an integer not past now +
 * max_skew (and, with max_age, not before now - max_age); `exp`, required with
 * require_exp, an integer not before now - max_skew; `nbf`, when present, not
 * past now + max_skew; `attested_keys` a non-empty array of at most
 * GR_MAX_ATTESTED_KEYS public EC P-256 JWKs (a private member is refused), no
 * key twice; `key_storage` and `user_authentication`, when present, non-empty
 * arrays of strings, and meeting the requirement above; `nonce`, when present,
 * a string of 1..GR_ATTEST_NONCE_MAX bytes. `iss`, `certification`, `status`
 * and `key_storage_status` are not read: no status list is fetched.
 *
 * `out` is initialised by the call; on success it holds the keys and the
 * nonce. On failure nothing is left to release: `out` is left empty. Code:
 * INVALID_PROOF for every failure.
 */
GR_API int gr_key_attestation_verify(const struct gr_key_attestation_check *c,
                                     struct gr_key_attestation *out, struct gr_err *err);

/* ---- wallet attestations: attestation-based client authentication ---- */

#define GR_CLIENT_ID_MAX   256 /* longest sub / client_id taken */
#define GR_WALLET_NAME_MAX 64  /* wallet_name is kept up to this many bytes, for logs */

struct gr_client_attestation_check {
    struct gr_str attestation;             /* the OAuth-Client-Attestation header value */
    struct gr_str pop;                     /* the OAuth-Client-Attestation-PoP header value */
    unsigned attestation_count, pop_count; /* how many of each header came: exactly one */
    const struct gr_trust *anchors;        /* trusted wallet providers; NULL: every one fails */
    struct gr_str audience;  /* our issuer identifier (the AS's, RFC 8414): the PoP's aud */
    struct gr_str client_id; /* the token request's client_id; .p NULL when it had none */
    struct gr_str challenge; /* the challenge the PoP must carry; .p NULL when none is used */
    int64_t now;
    int64_t max_age;  /* seconds the PoP's iat may lie in the past; 0 (or less) means 300 */
    int64_t max_skew; /* seconds iat and nbf may lie in the future and exp in the past;
                         0 (or less) means 60 */
};

struct gr_client_attestation {
    char client_id[GR_CLIENT_ID_MAX + 1]; /* the attestation's sub: the authenticated client */
    /*
     * The replay key of the PoP: SHA-256 of "gramota client attestation PoP v1",
     * the 8-byte big-endian length of client_id, client_id, then jti. The caller
     * refuses a hash it holds, and keeps each until pop_iat + max_age, when the
     * PoP would be refused as too old anyway.
     */
    uint8_t jti_hash[32];
    int64_t pop_iat;
    uint8_t jkt[32]; /* RFC 7638 thumbprint of the wallet instance key (cnf.jwk) */
    int64_t exp;     /* the attestation's exp */
    char wallet_name[GR_WALLET_NAME_MAX + 1]; /* printable ASCII only, others as ?; may be "" */
};

/*
 * Check the two headers of attestation-based client authentication (ABCA -07
 * §5.1, §5.2, §6.1; OID4VCI 1.0 Appendix E; later drafts' shapes tolerated):
 *
 * Exactly one header of each kind, each a JWS of at most GR_MAX_JWS_LEN bytes.
 * The attestation: `typ` oauth-client-attestation+jwt; ES256; an `x5c` chain
 * to one of `anchors` whose leaf signed it; `iss` a non-empty string; `sub` a
 * string of 1..GR_CLIENT_ID_MAX bytes; `exp` an integer not before now -
 * max_skew; `iat` and `nbf`, when present, integers not past now + max_skew;
 * `cnf.jwk` a public EC P-256 JWK; `client_id`, when given, equal to `sub`.
 * The PoP: `typ` oauth-client-attestation-pop+jwt; ES256; signed by `cnf.jwk`;
 * `iss` equal to `sub`; `aud` equal to `audience` (a string, or an array of
 * exactly that one string); `jti` a string of 1..256 bytes; `iat` an integer
 * within [now - max_age, now + max_skew]; `exp`, when present, not before now -
 * max_skew (the EUDI wallet sends `nbf` and no `exp`); `nbf`, when present, not
 * past now + max_skew; `challenge` equal to `challenge` when one is expected
 * (not read otherwise). Other claims (`wallet_link`, `status`, ...) are not read.
 *
 * `out` is written only on success. Code: INVALID_CLIENT_ATTESTATION for every
 * failure, missing or repeated headers included (answering INVALID_CLIENT when
 * the request has no client authentication at all is the caller's choice);
 * USAGE when `audience` is missing.
 */
GR_API int gr_client_attestation_verify(const struct gr_client_attestation_check *c,
                                        struct gr_client_attestation *out, struct gr_err *err);

#endif

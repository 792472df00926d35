#ifndef GRAMOTA_DPOP_H
#define GRAMOTA_DPOP_H

/*
 * DPoP proofs (RFC 9449) as the token endpoint and the protected resources of
 * an issuer check them, and the server nonces they may demand (§8, §9).
 *
 * Checking is stateless: the caller keeps the replay set (the `jti_hash` of
 * every accepted proof, until its iat + max_age, when the proof would be
 * refused as too old anyway), behind a gr_dpop_replay_fn or on its own, binds or compares the
 * key thumbprint (`cnf.jkt`, §6.1, §7.1), and answers USE_DPOP_NONCE with a
 * fresh nonce in a DPoP-Nonce header.
 *
 * Server nonces carry their own time and a MAC under a 32-byte secret, so every
 * issuer process that shares the secret accepts the nonces of the others and
 * none of them stores anything: base64url( 8-byte big-endian time || 8 random
 * bytes || the first 16 bytes of HMAC-SHA256(secret, "gramota DPoP nonce v1" ||
 * time || random bytes) ). The label keeps these MACs apart from any other use
 * of the secret. A nonce is good from max_skew seconds before its time to
 * nonce_lifetime seconds after it; within that window it may be used more than
 * once (the jti replay set stops a replayed proof, not the nonce).
 */

#include <gramota/buf.h>

/*
 * The caller's replay set, as gr_dpop_verify() consults it (see gr_dpop_check.replay):
 * remember `jti_hash` until `expires_at` and answer 0 when it was not there, or
 * -1 with DUPLICATE when it is there and not expired. Check and record in one
 * step, atomically where threads or processes share the set, so that two
 * requests carrying one proof cannot both pass. Any other failure (say
 * TEMPORARILY_UNAVAILABLE: the set cannot be reached) is passed on as it is:
 * a proof is never taken as new because the set could not say.
 */
typedef int gr_dpop_replay_fn(void *ctx, const uint8_t jti_hash[32], int64_t expires_at,
                              int64_t now, struct gr_err *err);

struct gr_dpop_check {
    struct gr_str header;  /* the DPoP header value; .p NULL when the request had none */
    unsigned header_count; /* how many DPoP headers the request carried */
    struct gr_str method;  /* the request method, e.g. "POST" */
    struct gr_str url; /* the endpoint's external URL (configured issuer URL + path), no query */
    /*
     * At a protected resource: the access token from `Authorization: DPoP`;
     * `ath` is then required and must be its hash (§4.3 step 12). .p NULL at the
     * token endpoint, where no access token is presented: `ath` is then not
     * read at all, present or not (§4.2 defines it only with an access token,
     * and JWT claims a recipient does not use are ignored, RFC 7519 §4).
     */
    struct gr_str access_token;
    int64_t now;
    int64_t max_age;             /* seconds iat may lie in the past; 0 (or less) means 300 */
    int64_t max_skew;            /* seconds iat may lie in the future; 0 (or less) means 60 */
    const uint8_t *nonce_secret; /* 32 bytes: when non-NULL a server nonce is required */
    int64_t nonce_lifetime;      /* seconds a server nonce stays good; 0 (or less) means 300 */
    /*
     * The replay set (RFC 9449 §11.1). When set, it is called once every other
     * check has passed, with the proof's jti_hash and iat + max_age (after which
     * the proof would be refused as too old anyway). NULL: the caller keeps the
     * set itself with out->jti_hash and out->iat.
     */
    gr_dpop_replay_fn *replay;
    void *replay_ctx; /* handed to `replay`, borrowed */
};

struct gr_dpop_proof {
    uint8_t jkt[32]; /* RFC 7638 SHA-256 thumbprint of the proof key */
    uint8_t
        jti_hash[32]; /* SHA-256(8-byte big-endian length of U || U || jti), U = normalized url */
    int64_t iat;
};

/*
 * Check the DPoP proof of one request against every rule of RFC 9449 §4.3:
 * exactly one header; a compact JWS of at most GR_MAX_JWS_LEN bytes; `typ`
 * dpop+jwt; `alg` ES256; a public `jwk` in the header that the signature
 * verifies with; `jti` a string of 1..256 bytes; `htm` equal to `method`
 * (case-sensitive); `htu` equal to `url` once both are normalized (RFC 3986
 * §6.2.2, §6.2.3: case of scheme and host, default port, percent-encodings,
 * empty path, dot-segments) and the query and fragment of `htu` are cut; `ath`
 * as above; the nonce when `nonce_secret` asks for one; `iat` an integer within
 * [now - max_age, now + max_skew]. `c` is borrowed; `out` is written only on
 * success.
 *
 * Codes: INVALID_DPOP_PROOF for every failed check but the nonce;
 * USE_DPOP_NONCE when a nonce is required and is missing, not one of ours, or
 * out of its window (checked after everything else but `iat`, so that a fresh
 * nonce is the one thing the client needs to change), and INVALID_DPOP_PROOF
 * when `replay` says the proof was seen before; USAGE when `url` itself is
 * not an absolute http(s) URL (a configuration error, not the client's); CRYPTO
 * when OpenSSL cannot compute a nonce's MAC (a broken installation); whatever
 * else `replay` reports.
 */
GR_API int gr_dpop_verify(const struct gr_dpop_check *c, struct gr_dpop_proof *out,
                          struct gr_err *err);

#define GR_DPOP_NONCE_LEN 43 /* base64url of 32 bytes: syntax 1*NQCHAR (RFC 9449 §8.1) */

/*
 * A fresh server nonce for time `now` under `secret`, NUL-terminated in `out`.
 * Code: CRYPTO (the random number generator failed).
 */
GR_API int gr_dpop_nonce_make(const uint8_t secret[32], int64_t now,
                              char out[GR_DPOP_NONCE_LEN + 1], struct gr_err *err);

#endif

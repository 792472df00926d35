#ifndef GRAMOTA_JWK_H
#define GRAMOTA_JWK_H

/*
 * EC P-256 keys as JWK (RFC 7517, RFC 7518 §6.2) and PEM, and the RFC 7638
 * thumbprint.
 *
 * A `struct gr_jwk` is a public key, or a key pair when it was read from a
 * private JWK or PEM or generated. Parsing is strict: `kty` must be "EC", `crv`
 * "P-256", `x` and `y` exactly 32 bytes each and a point on the curve, `d`
 * exactly 32 bytes and the private key of that point. Where only a public key
 * is acceptable (a key in a JWS header, a holder key), GR_JWK_PUBLIC makes any
 * private member (`d`, and the RSA/oct ones `p q dp dq qi oth k`) an error.
 * Other members (`kid`, `use`, `alg`, ...) are allowed and ignored, except that
 * an `alg` other than ES256 is UNSUPPORTED_ALG.
 */

#include <gramota/buf.h>

struct gr_jwk;

enum gr_jwk_want {
    GR_JWK_PUBLIC,  /* a public key; private members are an error */
    GR_JWK_ANY,     /* a public key or a key pair */
    GR_JWK_PRIVATE, /* a key pair */
};

#define GR_JWK_THUMBPRINT_B64_LEN 43

/*
 * From JWK JSON. Codes: MALFORMED (not JSON, a member of the wrong JSON type, a
 * coordinate that is not canonical base64url), TOO_LARGE, BAD_KEY (not an EC
 * P-256 key, a coordinate not 32 bytes, not on the curve, `d` not matching,
 * a private member under GR_JWK_PUBLIC, no `d` under GR_JWK_PRIVATE),
 * UNSUPPORTED_ALG.
 */
GR_API struct gr_jwk *gr_jwk_parse(struct gr_str json, enum gr_jwk_want want, struct gr_err *err);
/*
 * From PEM: "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC 1) or "PUBLIC KEY"
 * (SPKI); the first key block in the text is used, other blocks (certificates)
 * are skipped. A private block under GR_JWK_PUBLIC, a public one under
 * GR_JWK_PRIVATE and "ENCRYPTED PRIVATE KEY" are BAD_KEY. Codes: MALFORMED,
 * TOO_LARGE (past GR_MAX_PEM_LEN), BAD_KEY.
 */
GR_API struct gr_jwk *gr_jwk_parse_pem(struct gr_str pem, enum gr_jwk_want want,
                                       struct gr_err *err);
/* A fresh key pair. Code: CRYPTO. */
GR_API struct gr_jwk *gr_jwk_generate(struct gr_err *err);
/*
 * Every key returned by this header is the caller's: gr_jwk_free() it (NULL is
 * a no-op). A key is read-only after it is made and may be shared by threads.
 */
/* A copy of the public half; NULL for NULL. */
GR_API struct gr_jwk *gr_jwk_dup_public(const struct gr_jwk *key);
GR_API void gr_jwk_free(struct gr_jwk *key);

/* Holds the private key (a key pair). */
GR_API bool gr_jwk_is_private(const struct gr_jwk *key);
/* Same public key (the private halves are not compared). */
GR_API bool gr_jwk_equal(const struct gr_jwk *a, const struct gr_jwk *b);

/*
 * Append the JWK JSON: `{"kty":"EC","crv":"P-256","x":..,"y":..}` and, with
 * `with_private` on a key pair, `"d"`. Members in that order, no whitespace.
 * Cannot fail but by `out`'s max (gr_buf_check).
 */
GR_API void gr_jwk_to_json(const struct gr_jwk *key, bool with_private, struct gr_buf *out);
/*
 * Append PEM: PKCS#8 with `with_private` on a key pair, else SPKI. On failure
 * `out` is as it was. Codes: CRYPTO, TOO_LARGE (out's max).
 */
GR_API int gr_jwk_to_pem(const struct gr_jwk *key, bool with_private, struct gr_buf *out,
                         struct gr_err *err);

/* RFC 7638 SHA-256 thumbprint of the public key, raw and base64url (NUL-terminated). */
GR_API void gr_jwk_thumbprint(const struct gr_jwk *key, uint8_t out[32]);
GR_API void gr_jwk_thumbprint_b64(const struct gr_jwk *key,
                                  char out[GR_JWK_THUMBPRINT_B64_LEN + 1]);
/*
 * RFC 7638 thumbprint of any JWK JSON (EC, RSA, OKP, oct): the required members
 * in lexicographic order, no whitespace; their values must be strings and are
 * not otherwise checked. Codes: MALFORMED, TOO_LARGE, BAD_KEY (unknown `kty`, a
 * required member missing or not a string).
 */
GR_API int gr_jwk_thumbprint_json(struct gr_str json, uint8_t out[32], struct gr_err *err);

/*
 * One key of a JWK Set (RFC 7517 §5), picked as a verifier picks the issuer's
 * key: `json` is `{"keys":[...]}` and the key is the member of `keys` whose
 * `kid` member is the string `kid`, or the set's only key whatever its kid.
 * `kid` with .p NULL matches no key. A lone JWK (an object without a `keys` array) counts as
 * a set of one. Only the key picked is read, by gr_jwk_parse()'s rules under
 * `want`, so a set may also carry RSA, OKP or other keys; the whole text is at
 * most GR_MAX_PEM_LEN bytes (limits.h), with no GR_MAX_JWK_LEN per key. Private
 * members in the text are wiped from the parser's copy. Returns a new key
 * (gr_jwk_free()). Codes: MALFORMED (not a JSON object, duplicate members),
 * TOO_LARGE, NOT_FOUND (no key has `kid` and the set has other than one key:
 * a verifier may fetch the set again), and gr_jwk_parse()'s for the key picked.
 */
GR_API struct gr_jwk *gr_jwk_parse_set(struct gr_str json, struct gr_str kid, enum gr_jwk_want want,
                                       struct gr_err *err);

#endif

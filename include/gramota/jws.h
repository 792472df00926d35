#ifndef GRAMOTA_JWS_H
#define GRAMOTA_JWS_H

/*
 * JWS compact serialization (RFC 7515 §7.1) with ES256 (RFC 7518 §3.4).
 *
 * gr_jws_parse() splits, decodes and checks the structure: three parts, strict
 * base64url, a protected header that is a JSON object without duplicate
 * members, `alg` ES256 (`none`, HMAC and every other algorithm are
 * UNSUPPORTED_ALG), no `crit` (no extension is understood, RFC 7515 §4.1.11:
 * also UNSUPPORTED_ALG), `typ` and `kid` strings when present, a header `jwk`
 * that is a public P-256 key, `x5c` a non-empty array of at most GR_JWS_MAX_X5C
 * strings, a 64-byte signature, a payload that is a JSON object. Sizes: the
 * whole input at most GR_MAX_SDJWT_LEN (an issuer-signed SD-JWT is the largest
 * JWS we read; callers that want GR_MAX_JWS_LEN check it first), the decoded
 * header GR_MAX_JWS_HEADER, the decoded payload GR_MAX_SDJWT_PAYLOAD. It does
 * not verify: gr_jws_verify() does that with the key the caller chose, which may
 * be the header's own `jwk` (proofs, DPoP).
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>

#define GR_JWS_MAX_X5C 8

/*
 * A JSON value the library parsed and keeps, private to it: an incomplete
 * type, so that the members below are typed without the public headers
 * depending on a JSON library. A caller neither reads nor frees one; the
 * struct's _release does.
 */
struct gr_json;

struct gr_jws {
    struct gr_str signing_input; /* view into the input: BASE64URL(header) "." BASE64URL(payload) */
    struct gr_str header;        /* decoded header JSON, owned */
    struct gr_str payload;       /* decoded payload JSON, owned */
    uint8_t sig[64];             /* R || S */
    struct gr_str alg, typ, kid; /* borrowed from the header; .p NULL when absent */
    struct gr_jwk *jwk;          /* the header's `jwk`, owned; NULL when absent */
    struct gr_str x5c[GR_JWS_MAX_X5C]; /* the header's `x5c` (base64 DER), borrowed */
    size_t x5c_count;
    struct gr_json *header_json;  /* the header, owned (private: for the modules above jose) */
    struct gr_json *payload_json; /* the payload, owned (private) */
};

/*
 * A zeroed `jws` in the caller's storage; release frees what it owns (header,
 * payload, jwk, the JSON) and leaves it zeroed again, harmless when empty or NULL.
 */
GR_API void gr_jws_init(struct gr_jws *jws);
GR_API void gr_jws_release(struct gr_jws *jws);

/*
 * Split into three views into `in`: exactly two dots, and no part may be empty
 * (RFC 7515 allows an empty payload; nothing we read has one). Code: MALFORMED.
 */
GR_API int gr_jws_split(struct gr_str in, struct gr_str part[3], struct gr_err *err);

/*
 * Parse `in` (which must outlive `jws`). `jws` is initialised here. On failure
 * nothing is left to release: `jws` is zeroed, and gr_jws_release() on it is a
 * no-op. Codes: MALFORMED, TOO_LARGE, UNSUPPORTED_ALG, BAD_KEY.
 */
GR_API int gr_jws_parse(struct gr_str in, struct gr_jws *jws, struct gr_err *err);

/* Check the signature with `key`. Codes: BAD_SIGNATURE, USAGE (`key` NULL, `jws` not parsed). */
GR_API int gr_jws_verify(const struct gr_jws *jws, const struct gr_jwk *key, struct gr_err *err);

/*
 * `typ` compared as a media type (RFC 7515 §4.1.9): case-insensitive, and a
 * value without `/` stands for `application/<value>`. True for ("dpop+jwt",
 * "dpop+jwt"), ("application/DPoP+JWT", "dpop+jwt"); false when `typ` is absent.
 */
GR_API bool gr_jws_typ_is(struct gr_str typ, const char *expected);

/*
 * Sign `header_json` and `payload_json` with the private `key` (ES256) and append
 * the compact JWS to `out`. The header must say `"alg":"ES256"` (not checked).
 * On failure `out` is as it was. Codes: USAGE (`key` NULL), BAD_KEY (no
 * private half), CRYPTO, TOO_LARGE (out's cap).
 */
GR_API int gr_jws_sign(const struct gr_jwk *key, struct gr_str header_json,
                       struct gr_str payload_json, struct gr_buf *out, struct gr_err *err);

/*
 * ES256 signature of `input` with the private `key`, as R || S. Codes: USAGE
 * (`key` NULL), BAD_KEY (no private half), CRYPTO.
 */
GR_API int gr_es256_sign(const struct gr_jwk *key, struct gr_str input, uint8_t sig[64],
                         struct gr_err *err);
/*
 * Check an R || S signature of `input` with `key` (public or a pair). R or S
 * zero or not below the group order is BAD_SIGNATURE without asking OpenSSL.
 * Codes: BAD_SIGNATURE (OpenSSL's reason in err->cause), USAGE (`key` NULL).
 */
GR_API int gr_es256_verify(const struct gr_jwk *key, struct gr_str input, const uint8_t sig[64],
                           struct gr_err *err);

#endif

#ifndef GRAMOTA_SIGNER_H
#define GRAMOTA_SIGNER_H

/*
 * The issuer's signing key, behind one small interface.
 *
 * A signer knows its algorithm (ES256), its `kid`, its public JWK and, when a
 * certificate chain is configured, the `x5c` array (leaf first, base64 DER,
 * without the trust anchor). All of that is prepared once when the signer is
 * made; a request only calls gr_signer_sign(). Where the private key lives is
 * the implementation's business: a PEM file, a PKCS#11 token, or an
 * application's own KMS through gr_signer_new_custom().
 *
 * A signer is read-only after it is made and may be used from many threads if
 * its sign operation allows that (the file signer does).
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>

struct gr_signer;

/* Produce the R || S signature of `input` with the key behind `ctx`. */
typedef int gr_sign_fn(void *ctx, struct gr_str input, uint8_t sig[64], struct gr_err *err);
typedef void gr_signer_free_fn(void *ctx);
/* Can the key sign now? Cheap and bounded in time: a readiness probe calls it. */
typedef int gr_signer_check_fn(void *ctx, struct gr_err *err);

struct gr_signer_ops {
    const char *name; /* "file", "pkcs11", ... for logs */
    gr_sign_fn *sign;
    gr_signer_free_fn *free;   /* may be NULL */
    gr_signer_check_fn *check; /* may be NULL: always ready */
};

/*
 * A signer from `uri`: "file:PATH" (a PEM private key) or a PKCS#11 URI (RFC
 * 7512), "pkcs11:token=LABEL;object=LABEL?module-path=FILE&pin-source=file:PIN"
 * (docs/library.md lists its attributes). `chain_pem`, when not empty, is the
 * PEM text of the certificate chain, leaf first; the leaf must certify the
 * signer's key, and a self-signed last certificate (the trust anchor) is left
 * out of `x5c`. Codes: USAGE (unknown scheme, a bad pkcs11: URI), IO,
 * MALFORMED, BAD_KEY; for pkcs11: also NOT_FOUND (no such token or key),
 * UNAUTHORIZED (the PIN is refused, or missing), TEMPORARILY_UNAVAILABLE
 * (the token fails). A PKCS#11 signer may be used from many threads: it keeps
 * a pool of up to 16 logged-in sessions, and its sign fails with
 * TEMPORARILY_UNAVAILABLE while the token is unreachable, recovering by
 * itself when it is back.
 */
GR_API struct gr_signer *gr_signer_new(struct gr_str uri, struct gr_str chain_pem,
                                       struct gr_err *err);
/*
 * A signer over an in-memory key pair; takes `key` even on failure. `chain_pem`
 * as for gr_signer_new(). Codes: USAGE (`key` NULL, also when it is the NULL
 * of a failed call in the same expression: see err.h), BAD_KEY (`key` without
 * its private half; a chain whose leaf does not certify it, or is
 * self-signed, or a self-signed certificate before the end), MALFORMED (a
 * chain with no PEM certificate), CRYPTO.
 */
GR_API struct gr_signer *gr_signer_new_key(struct gr_jwk *key, struct gr_str chain_pem,
                                           struct gr_err *err);
/*
 * A signer over the caller's own sign operation (a KMS, an HSM API). `ops` is
 * borrowed and must outlive the signer (a static table); ops->sign is required.
 * `public_key` is taken even on failure; `ctx` is handed to ops->free when the
 * signer is freed, and also when this call fails. `chain_pem` as for
 * gr_signer_new(). Codes: USAGE (`public_key` NULL, as for gr_signer_new_key();
 * `ops` or ops->sign NULL), and the chain's, as gr_signer_new_key().
 */
GR_API struct gr_signer *gr_signer_new_custom(const struct gr_signer_ops *ops, void *ctx,
                                              struct gr_jwk *public_key, struct gr_str chain_pem,
                                              struct gr_err *err);
/* Calls ops->free(ctx), for a custom signer; NULL is a no-op. */
GR_API void gr_signer_free(struct gr_signer *s);

/*
 * What the signer was made with; strings and views are borrowed from the
 * signer (or static) and live as long as it does.
 */
GR_API const char *gr_signer_alg(const struct gr_signer *s);  /* "ES256" */
GR_API const char *gr_signer_name(const struct gr_signer *s); /* ops->name */
/* The RFC 7638 thumbprint of the public key, base64url, unless set otherwise; NUL-terminated. */
GR_API struct gr_str gr_signer_kid(const struct gr_signer *s);
/* Use a copy of `kid` instead of the thumbprint (before the signer is shared). */
GR_API void gr_signer_set_kid(struct gr_signer *s, struct gr_str kid);
/* The public key (never the private half). */
GR_API const struct gr_jwk *gr_signer_jwk(const struct gr_signer *s);
GR_API size_t gr_signer_x5c_count(const struct gr_signer *s);
/*
 * Certificate `i` of `x5c` (standard base64 of the DER, as x5c carries it),
 * leaf first; the empty view (.p NULL) past the end.
 */
GR_API struct gr_str gr_signer_x5c(const struct gr_signer *s, size_t i);

/*
 * Whether the signer can sign now (ops->check; 0 when it has none). For
 * pkcs11: a session answers and a test signature is made, waiting at most a
 * second for a free session. Code: TEMPORARILY_UNAVAILABLE; USAGE (`s` NULL).
 */
GR_API int gr_signer_check(const struct gr_signer *s, struct gr_err *err);

/*
 * Make an EC P-256 key pair on the PKCS#11 token `token_uri` names (its object
 * and id attributes, if any, are ignored), labelled `label` with a fresh random
 * CKA_ID on both halves; the private half is sensitive, not extractable, for
 * signing only. Returns the public key and appends to `key_uri` the pkcs11:
 * URI that gr_signer_new() takes for it. Codes: those of gr_signer_new(),
 * CONFLICT (a key with that label exists already), USAGE (an empty label, or
 * a `key_uri` that cannot take the URI: checked before the key is made, so a
 * refusal leaves nothing on the token).
 */
GR_API struct gr_jwk *gr_signer_pkcs11_keygen(struct gr_str token_uri, struct gr_str label,
                                              struct gr_buf *key_uri, struct gr_err *err);

/*
 * One ES256 signature of `input`, R || S in `sig`. Codes: whatever the
 * implementation reports (file: BAD_KEY, CRYPTO; pkcs11:
 * TEMPORARILY_UNAVAILABLE; a custom signer its own), passed on as it is;
 * USAGE (`s` NULL).
 */
GR_API int gr_signer_sign(const struct gr_signer *s, struct gr_str input, uint8_t sig[64],
                          struct gr_err *err);

/*
 * Append a JWS protected header for this signer to `out`, JSON, not encoded:
 * {"alg":"ES256","typ":<typ>,"kid":<kid>[,"x5c":[...]]}. Cannot fail but by
 * `out`'s max (gr_buf_check).
 */
GR_API void gr_signer_header(const struct gr_signer *s, const char *typ, struct gr_buf *out);

/*
 * Append the compact JWS of `payload_json` under `header_b64` (a header already
 * base64url-encoded, e.g. gr_signer_header()'s output through
 * gr_buf_add_b64url()). One signer call. On failure `out` is as it was.
 * Codes: TOO_LARGE (out's max), and gr_signer_sign()'s.
 */
GR_API int gr_signer_jws(const struct gr_signer *s, struct gr_str header_b64,
                         struct gr_str payload_json, struct gr_buf *out, struct gr_err *err);

/*
 * Make a two-certificate chain for `key` (development and tests, not a PKI):
 * a fresh CA, self-signed, and a leaf for `key` issued by it, valid for `days`
 * days, with HAIP's shape (leaf not self-signed, CA:FALSE, digitalSignature).
 * Appends the PEM of the leaf then the CA to `chain_pem`; the CA's private key
 * is thrown away. On failure `chain_pem` is as it was. Codes: USAGE (`key`
 * NULL, no subject, days outside 1 to 36500), CRYPTO, TOO_LARGE.
 */
GR_API int gr_cert_chain_make(const struct gr_jwk *key, const char *subject_cn, int days,
                              struct gr_buf *chain_pem, struct gr_err *err);

#endif

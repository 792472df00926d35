#ifndef GRAMOTA_SDJWT_H
#define GRAMOTA_SDJWT_H

/*
 * SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): issuance,
 * key-binding presentations, verification.
 *
 * Issuance is split in two so that a batch pays for its shared work once:
 * gr_sdjwt_vc_template_new() parses and checks the subject's claims and the
 * list of selectively disclosable paths and prepares the JWS header;
 * gr_sdjwt_vc_issue() then makes N credentials, each with fresh salts, fresh
 * decoys, its own holder key and status reference, and one signer call.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>
#include <gramota/signer.h>

#define GR_SDJWT_SALT_LEN   22 /* base64url of 16 CSPRNG bytes */
#define GR_SDJWT_DIGEST_LEN 43 /* base64url of a SHA-256 digest */
#define GR_SDJWT_ID_LEN     22 /* base64url of 16 CSPRNG bytes */

/* ---- disclosures (RFC 9901 §4.2) ---- */

/*
 * Append the disclosure of an object property `[salt, name, value]`, or of an
 * array element `[salt, value]` when `name.p` is NULL, base64url-encoded.
 * `value_json` is any JSON value; it is re-serialized with the `", "` and
 * `": "` separators and the member order of the input, UTF-8 unescaped.
 * On failure `out` is as it was. Codes: MALFORMED, TOO_LARGE (out's max).
 */
GR_API int gr_sdjwt_disclosure(struct gr_str salt, struct gr_str name, struct gr_str value_json,
                               struct gr_buf *out, struct gr_err *err);
/* base64url(SHA-256(ASCII(disclosure))), NUL-terminated (RFC 9901 §4.2.3); cannot fail. */
GR_API void gr_sdjwt_digest(struct gr_str disclosure, char out[GR_SDJWT_DIGEST_LEN + 1]);

/* ---- issuance ---- */

struct gr_sdjwt_vc_spec {
    struct gr_str vct;           /* required: the credential type */
    struct gr_str vct_integrity; /* optional `vct#integrity` */
    struct gr_str iss;           /* optional `iss` */
    struct gr_str claims_json;   /* required: the subject's claims, a JSON object */
    /*
     * Optional JSON array of the claims to make selectively disclosable. Each
     * entry is a top-level name ("given_name") or a claims path pointer
     * (["address", "locality"], ["nationalities", null] for every element,
     * ["nationalities", 0] for one). A path inside a disclosable object makes a
     * recursive disclosure. Paths that match nothing in the claims are ignored.
     * Never disclosable: iss, nbf, exp, cnf, vct, vct#integrity, status.
     */
    struct gr_str disclosable_json;
    unsigned decoys_min, decoys_max; /* decoy digests added to each `_sd` */
};

/* A sensible decoy range: 1 to 4 per `_sd` array. */
#define GR_SDJWT_DECOYS_MIN 1
#define GR_SDJWT_DECOYS_MAX 4

struct gr_sdjwt_vc_template;

/*
 * Parse and check `spec` once for a batch; `signer` is borrowed and must outlive
 * the template. Codes: MALFORMED (claims not an object, bad path, bad JSON),
 * TOO_LARGE, RESERVED_NAME (a claim the issuer sets, a name SD-JWT reserves, or a
 * disclosable path that may never be one), USAGE (`spec` or `signer` NULL, no
 * vct, decoys_min > decoys_max).
 */
GR_API struct gr_sdjwt_vc_template *gr_sdjwt_vc_template_new(const struct gr_sdjwt_vc_spec *spec,
                                                             const struct gr_signer *signer,
                                                             struct gr_err *err);
/* NULL is a no-op. A template is read-only: threads may issue from one at once. */
GR_API void gr_sdjwt_vc_template_free(struct gr_sdjwt_vc_template *t);

struct gr_status_ref {
    struct gr_str uri; /* the Status List Token's URI */
    uint64_t idx;
};

struct gr_sdjwt_vc_batch {
    int64_t iat;                             /* required */
    int64_t exp;                             /* 0: no `exp` */
    int64_t nbf;                             /* 0: no `nbf` */
    size_t count;                            /* credentials to make, >= 1 */
    const struct gr_jwk *const *holder_keys; /* `count` public keys for `cnf.jwk`, or NULL */
    const struct gr_status_ref *status;      /* `count` references, or NULL */
};

struct gr_sdjwt_vc_issued {
    char id[GR_SDJWT_ID_LEN + 1]; /* a fresh random identifier (not in the credential) */
    struct gr_buf credential;     /* `<jws>~<d1>~...~<dn>~` */
};

/*
 * Make `batch->count` credentials into `out` (caller's array of that size);
 * `batch` and the keys and references it points to are borrowed for the call.
 * On success each out[i].credential is the caller's: gr_sdjwt_vc_issued_release.
 * All or nothing: on failure `out` holds nothing to release.
 * Codes: USAGE (count 0 or above 100; iat not positive, exp or nbf negative,
 * exp not after iat; a NULL holder key), CRYPTO, and the signer's.
 */
GR_API int gr_sdjwt_vc_issue(const struct gr_sdjwt_vc_template *t,
                             const struct gr_sdjwt_vc_batch *batch, struct gr_sdjwt_vc_issued *out,
                             struct gr_err *err);
/* Release the credentials of out[0..count); NULL is a no-op. */
GR_API void gr_sdjwt_vc_issued_release(struct gr_sdjwt_vc_issued *out, size_t count);

/* ---- presentation (the holder's side; used by tests and tools) ---- */

/*
 * Append `sdjwt` (which ends with `~`) followed by a KB-JWT (RFC 9901 §4.3)
 * signed with the private `holder`: typ kb+jwt, iat, aud, nonce and sd_hash
 * over `sdjwt`. On failure `out` is as it was, without `sdjwt`. Codes:
 * MALFORMED (no trailing `~`), USAGE (`holder` NULL), BAD_KEY (no private
 * half), CRYPTO, TOO_LARGE (out's max).
 */
GR_API int gr_sdjwt_present(struct gr_str sdjwt, const struct gr_jwk *holder, struct gr_str aud,
                            struct gr_str nonce, int64_t iat, struct gr_buf *out,
                            struct gr_err *err);

/* ---- verification (RFC 9901 §7.1, §7.3; SD-JWT VC §2.4) ---- */

struct gr_sdjwt_vc_verify_opts {
    int64_t now;            /* 0: the current time */
    int64_t leeway;         /* seconds of clock skew tolerated on exp, nbf, iat */
    bool accept_vc_typ;     /* also accept the legacy typ vc+sd-jwt */
    bool require_kb;        /* a KB-JWT must be present */
    struct gr_str kb_aud;   /* the KB-JWT's aud must equal this (when a KB-JWT is there) */
    struct gr_str kb_nonce; /* the KB-JWT's nonce must equal this (when a KB-JWT is there) */
    int64_t kb_max_age;     /* seconds a KB-JWT's iat may lie in the past; 0: 300 */
};

struct gr_sdjwt_vc_verified {
    struct gr_buf claims; /* the processed payload: disclosures in place, _sd gone */
    size_t disclosures;   /* how many disclosures were presented */
    bool key_bound;       /* a KB-JWT was present and verified */
};

/*
 * Verify an SD-JWT VC (with or without KB-JWT) against `issuer_key`: typ,
 * signature, `_sd_alg`, every disclosure's shape and digest, no duplicate
 * digest, no orphan disclosure, no reserved or colliding name, `vct`, exp/nbf
 * against `now`, and the KB-JWT (typ kb+jwt, signed by cnf.jwk, iat, aud,
 * nonce, sd_hash). The input is at most 256 KiB. `sdjwt`, `issuer_key` and
 * `opts` are borrowed. `out` is the caller's, started with
 * gr_sdjwt_vc_verified_init and released with gr_sdjwt_vc_verified_release
 * (one `out` may serve several calls; NULL is a no-op); it is written only on
 * success.
 * Codes: MALFORMED, TOO_LARGE, UNSUPPORTED_ALG, BAD_TYP, BAD_SIGNATURE,
 * BAD_CLAIM (also: a KB-JWT required and missing), EXPIRED, RESERVED_NAME,
 * DUPLICATE, ORPHAN, BAD_KEY; USAGE (`issuer_key` NULL).
 */
GR_API void gr_sdjwt_vc_verified_init(struct gr_sdjwt_vc_verified *out);
GR_API void gr_sdjwt_vc_verified_release(struct gr_sdjwt_vc_verified *out);
GR_API int gr_sdjwt_vc_verify(struct gr_str sdjwt, const struct gr_jwk *issuer_key,
                              const struct gr_sdjwt_vc_verify_opts *opts,
                              struct gr_sdjwt_vc_verified *out, struct gr_err *err);

#endif

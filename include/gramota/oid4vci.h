#ifndef GRAMOTA_OID4VCI_H
#define GRAMOTA_OID4VCI_H

/*
 * OpenID4VCI requests as they arrive from outside, parsed at the edge into
 * typed structs (views into memory the struct owns), and the documents the
 * issuer answers with. The checks here are the ones that need no state: what
 * needs the store, a key or the clock is the caller's next step.
 *
 * Every parser answers bad input with the specification's error code (the
 * wire code in `err->code`) and a sentence fit for `error_description`.
 *
 * Ownership: each parser initialises the struct it is given, which then owns
 * the parsed body; its views point into that, not into `body`, so the body
 * may go once the call returns. After a success call the matching _release.
 * On failure nothing is left to release: the struct is zeroed, as
 * gr_jws_parse() leaves its own. _release zeroes the struct too, and is a
 * no-op on NULL, on a zeroed struct and on one released already.
 */

#include <gramota/buf.h>
#include <gramota/crypto.h>
#include <gramota/limits.h>
#include <gramota/metadata.h>
#include <gramota/proof.h>
#include <gramota/sdjwt.h>
#include <gramota/store.h>

struct gr_json; /* a parsed JSON value, private to the library (jws.h) */

/* ---- application/x-www-form-urlencoded (token requests) ---- */

#define GR_FORM_MAX_FIELDS 32

struct gr_form_field {
    struct gr_str name, value; /* decoded, borrowed from the form */
};

struct gr_form {
    struct gr_buf data; /* the decoded names and values */
    struct gr_form_field field[GR_FORM_MAX_FIELDS];
    size_t count;
};

/*
 * Decode a form body (WHATWG URL-encoded: '+' is a space, %XX escapes). A
 * parameter given twice, a broken escape, an escaped NUL or more than
 * GR_FORM_MAX_FIELDS parameters is INVALID_REQUEST (RFC 6749 §3.2).
 * `form` is initialised by the call and released with gr_form_release. On
 * failure nothing is left to release.
 */
GR_API int gr_form_parse(struct gr_str body, struct gr_form *form, struct gr_err *err);
GR_API void gr_form_release(struct gr_form *form);
/* The value of `name` (compared exactly), borrowed from the form; .p NULL when absent. */
GR_API struct gr_str gr_form_get(const struct gr_form *form, const char *name);

/* ---- the token request (OID4VCI §6.1, pre-authorized code) ---- */

#define GR_GRANT_PRE_AUTHORIZED "urn:ietf:params:oauth:grant-type:pre-authorized_code"

struct gr_token_request {
    struct gr_form form;
    struct gr_str code;      /* pre-authorized_code */
    struct gr_str tx_code;   /* tx_code, or Draft 11's user_pin; .p NULL when absent */
    struct gr_str client_id; /* .p NULL when absent */
};

/*
 * Parse a token request. Codes: INVALID_REQUEST (malformed form, no
 * grant_type, no pre-authorized_code, tx_code and user_pin disagreeing),
 * UNSUPPORTED_GRANT_TYPE (any other grant). Unknown parameters are ignored
 * (OID4VCI §6.1), `resource` and `authorization_details` among them. On
 * failure nothing is left to release.
 */
GR_API int gr_token_request_parse(struct gr_str body, struct gr_token_request *req,
                                  struct gr_err *err);
GR_API void gr_token_request_release(struct gr_token_request *req);

/* ---- the credential request (OID4VCI 1.0 §8.2, Draft 15, Draft 13) ---- */

enum gr_vci_dialect {
    GR_VCI_1_0,     /* credential_configuration_id + proofs */
    GR_VCI_DRAFT15, /* credential_configuration_id + a single `proof` */
    GR_VCI_DRAFT13, /* format + vct + `proof`: answered with a top-level `credential` */
};

struct gr_credential_request {
    struct gr_json *root; /* the parsed body, owned (private); the views below point into it */
    enum gr_vci_dialect dialect;
    struct gr_str configuration_id;      /* .p NULL when not given */
    struct gr_str credential_identifier; /* .p NULL when not given */
    struct gr_str format, vct;           /* Draft 13's selector */
    enum gr_proof_type proof_type;
    struct gr_str proofs[GR_MAX_PROOFS]; /* the proof JWTs, in order */
    size_t proof_count;
};

/*
 * Parse a credential request body. Codes: INVALID_CREDENTIAL_REQUEST (not a
 * JSON object, both or neither identifier, a malformed `proofs`, more than
 * GR_MAX_PROOFS proofs), INVALID_PROOF (`proof` and `proofs` together; a proof
 * type this issuer does not take), INVALID_ENCRYPTION_PARAMETERS (response
 * encryption, which this issuer does not offer). The count against the batch
 * size and the configuration's need for proofs are the caller's to check.
 * On failure nothing is left to release.
 */
GR_API int gr_credential_request_parse(struct gr_str body, struct gr_credential_request *req,
                                       struct gr_err *err);
GR_API void gr_credential_request_release(struct gr_credential_request *req);

/* ---- the notification request (OID4VCI 1.0 §11) ---- */

enum gr_notification_event {
    GR_NOTIFY_ACCEPTED, /* credential_accepted */
    GR_NOTIFY_FAILURE,  /* credential_failure */
    GR_NOTIFY_DELETED,  /* credential_deleted */
};

struct gr_notification_request {
    struct gr_json *root; /* the parsed body, owned (private) */
    struct gr_str notification_id;
    enum gr_notification_event event;
    struct gr_str description; /* event_description; .p NULL when absent */
};

/*
 * Parse a notification body: notification_id (a string), event (one of the
 * three, case-sensitive), event_description (optional, only %x20-21 / %x23-5B
 * / %x5D-7E); unknown members ignored (§11.1). Code: INVALID_NOTIFICATION_REQUEST.
 * On failure nothing is left to release.
 */
GR_API int gr_notification_request_parse(struct gr_str body, struct gr_notification_request *req,
                                         struct gr_err *err);
GR_API void gr_notification_request_release(struct gr_notification_request *req);
/* "credential_accepted", ... */
GR_API const char *gr_notification_event_name(enum gr_notification_event e);

/* ---- the admin API's offer request (API.md §2) ---- */

struct gr_offer_request {
    struct gr_json *root;           /* the parsed body, owned (private) */
    struct gr_buf subject_json;     /* the subject, re-serialized */
    struct gr_buf disclosable_json; /* selectivelyDisclosable as a JSON array; empty: default */
    struct gr_str vct;              /* .p NULL when not given */
    struct gr_str configuration_id; /* .p NULL when not given */
    bool tx_code;                   /* a transaction code is asked for */
    int tx_length;                  /* 0: the issuer's default */
    enum gr_tx_input_mode tx_input_mode;
    struct gr_str tx_description;  /* .p NULL when not given */
    int64_t expires_in;            /* 0: the default */
    int64_t credential_expires_in; /* 0: the configuration's */
    bool by_reference;
};

/*
 * Parse `POST /v1/credential-offers`. Code: INVALID_REQUEST, with a sentence
 * that names the field (no subject, subject not an object, both or neither of
 * vct and credentialConfigurationId, a bad txCode, times out of range, a
 * selectivelyDisclosable entry that is not a claim name). On failure nothing
 * is left to release.
 */
GR_API int gr_offer_request_parse(struct gr_str body, struct gr_offer_request *req,
                                  struct gr_err *err);
GR_API void gr_offer_request_release(struct gr_offer_request *req);

#define GR_TX_CODE_MAX 16 /* characters of a transaction code this issuer makes */

/* Who makes offers, and what it picks when an offer request leaves it open. */
struct gr_offer_issuer {
    struct gr_str issuer_url;          /* the Credential Issuer Identifier: the credentials' iss */
    const struct gr_cred_types *types; /* the configurations it offers */
    const struct gr_signer *signer;    /* the key the credentials will be signed with */
    int64_t lifetime;   /* seconds a code stays redeemable without expiresIn; 0: 1800 */
    int tx_code_length; /* characters of a transaction code asked as `true`; 0: 6 */
};

/* An offer just made: the only moment its codes exist in the clear. */
struct gr_offer_made {
    /*
     * What to keep (store.h): id, config_id, the hashes of the codes, the
     * tx_code's mode, length and description, by_reference, state PENDING,
     * created_at, expires_at, credential_lifetime, and the subject's claims
     * and disclosable paths as JSON (owned). org_id and sealed_url are the
     * caller's to fill.
     */
    struct gr_offer offer;
    const struct gr_cred_type *type; /* the configuration offered, borrowed from the set */
    /*
     * The claims checked into a template for the issuer, ready to issue: owned;
     * take it (and set this to NULL) to keep it past gr_offer_made_release.
     */
    struct gr_sdjwt_vc_template *tpl;
    char code[GR_SECRET_LEN + 1];     /* the pre-authorized code */
    char tx_code[GR_TX_CODE_MAX + 1]; /* the transaction code; "" without one */
};

/*
 * Make the offer `req` asks for (API.md §2) at `now`: the credential
 * configuration named by credentialConfigurationId or vct (both, if given,
 * must name the same one) among the issuer's types; every claim it marks mandatory
 * present in the subject; the disclosable paths, which are the request's
 * selectivelyDisclosable or else the configuration's paths and every other
 * top-level claim of the subject (by default everything is disclosable); the
 * claims checked by building the template that will issue them (the issuer's
 * signer and URL are borrowed by it), so that a bad subject fails
 * here and not in the wallet; a fresh id, pre-authorized code and, when asked
 * for, transaction code. Nothing is stored. On failure `out` is left empty.
 * Codes: INVALID_REQUEST (with a sentence naming the problem),
 * REQUEST_TOO_LARGE, USAGE (no types or signer), CRYPTO (the CSPRNG).
 */
GR_API int gr_offer_make(const struct gr_offer_issuer *issuer, const struct gr_offer_request *req,
                         int64_t now, struct gr_offer_made *out, struct gr_err *err);
/* Wipe the codes, free the claims and the template, and empty `m`; NULL is a no-op. */
GR_API void gr_offer_made_release(struct gr_offer_made *m);

/*
 * The Credential Offer object (OID4VCI §4.1.1) for `offer` with its
 * pre-authorized `code`, compact JSON appended to `out`: credential_issuer,
 * credential_configuration_ids (offer->config_id), and the pre-authorized
 * grant with tx_code (input_mode, length, description) when offer->has_tx_code.
 * Cannot fail but by `out`'s max (gr_buf_check).
 */
GR_API void gr_offer_json(struct gr_str issuer_url, const struct gr_offer *offer,
                          struct gr_str code, struct gr_buf *out);
/*
 * The offer URL a wallet scans: `openid-credential-offer://?credential_offer=`
 * followed by the percent-encoded offer JSON, or `?credential_offer_uri=` and
 * the percent-encoded URI when `by_reference`.
 */
GR_API void gr_offer_url(struct gr_str offer_json_or_uri, bool by_reference, struct gr_buf *out);

/*
 * A transaction code (OID4VCI §4.1.1 tx_code) of `length` characters,
 * NUL-terminated in out[0..length]: digits, or for GR_TX_TEXT upper-case
 * letters and digits without the look-alikes 0, O, 1 and I; every character
 * equally likely (rejection sampling, no modulo bias). The caller shows it to
 * the holder once and keeps only its SHA-256. Codes: USAGE when `length` is
 * not 1..GR_TX_CODE_MAX, CRYPTO when the CSPRNG fails.
 */
GR_API int gr_tx_code_new(enum gr_tx_input_mode mode, int length, char *out, struct gr_err *err);

/* ---- the issuer's answers ---- */

/* A successful token response (RFC 6749 §5.1, OID4VCI §6.2). */
struct gr_token_response {
    struct gr_str access_token;
    bool dpop;          /* token_type "DPoP" (RFC 9449 §5), else "Bearer" */
    int64_t expires_in; /* seconds */
    /*
     * A c_nonce for wallets of Draft 13/14, which read it here rather than at
     * the nonce endpoint; .p NULL leaves c_nonce and c_nonce_expires_in out.
     */
    struct gr_str c_nonce;
    int64_t c_nonce_expires_in;
};

/*
 * The token response's JSON body, appended to `out`; strings JSON-escaped.
 * Send it with Cache-Control: no-store (RFC 6749 §5.1). Cannot fail but by
 * `out`'s max (gr_buf_check).
 */
GR_API void gr_token_response_json(const struct gr_token_response *t, struct gr_buf *out);

/*
 * The credential response's JSON body for `n` issued credentials (1..n in
 * order, one per proven key), appended to `out`: for Draft 13 requests
 * `{"credential": ...}` with the first alone (a Draft 13 request has one
 * proof); otherwise `{"credentials":[{"credential": ...}, ...]}` (OID4VCI 1.0
 * §8.3) and `notification_id` when one is given (.p NULL: none). Send it
 * with Cache-Control: no-store. Cannot fail but by `out`'s max.
 */
GR_API void gr_credential_response_json(enum gr_vci_dialect dialect,
                                        const struct gr_sdjwt_vc_issued *issued, size_t n,
                                        struct gr_str notification_id, struct gr_buf *out);

#endif

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

#define GR_MAX_PROOFS 32 /* key proofs in one credential request */

enum gr_vci_dialect {
    GR_VCI_1_0,     /* credential_configuration_id + proofs */
    GR_VCI_DRAFT15, /* credential_configuration_id + a single `proof` */
    GR_VCI_DRAFT13, /* format + vct + `proof`: answered with a top-level `credential` */
};

enum gr_proof_type { GR_PROOF_NONE, GR_PROOF_JWT, GR_PROOF_ATTESTATION };

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

#endif

#ifndef GRAMOTA_METADATA_H
#define GRAMOTA_METADATA_H

/*
 * The issuer's credential types and the metadata documents it publishes
 * (OpenID4VCI 1.0 §12.2, RFC 8414, SD-JWT VC §4).
 *
 * A credential type is one JSON file:
 *
 *   { "id": "<credential_configuration_id>",
 *     "configuration": { ...published verbatim under
 *                        credential_configurations_supported[id]... },
 *     "gramota": { "lifetime_days": 365,
 *                  "disclosable": [ "name", ["address", "locality"], ... ],
 *                  "decoys": [1, 4] } }
 *
 * Files are checked strictly when loaded; docs/credential-types.md lists every
 * rule. Everything here is built once at start-up and read-only afterwards, so
 * it may be shared between threads.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>
#include <gramota/signer.h>

/* ---- credential types ---- */

struct gr_cred_types; /* a loaded set: owns its types */
struct gr_cred_type;  /* one type, borrowed from its set */

/*
 * Load a set. `dir_or_set` names a set compiled into the library ("default")
 * or else a directory whose *.json files (not those starting with a dot) are
 * read in sorted name order. Codes: IO (the directory or a file cannot be
 * read), TOO_LARGE, MALFORMED (a file breaks a rule; the sentence names the
 * file), DUPLICATE (an id seen twice), RESERVED_NAME (a claim that can never
 * be selectively disclosable is marked so).
 */
GR_API struct gr_cred_types *gr_cred_types_load(struct gr_str dir_or_set, struct gr_err *err);
/*
 * A set from memory, for an application that keeps its configuration itself:
 * `texts[i]` is one type, the JSON a file of a directory set would hold,
 * checked by the same rules; borrowed for the call (the set keeps copies).
 * Sentences name a type as texts[i]. Codes: USAGE (n is 0, texts NULL), TOO_LARGE (more
 * types than a directory may hold, or a text too long), MALFORMED,
 * DUPLICATE, RESERVED_NAME, as gr_cred_types_load().
 */
GR_API struct gr_cred_types *gr_cred_types_parse(const struct gr_str *texts, size_t n,
                                                 struct gr_err *err);
/* NULL is a no-op; every type and view borrowed from the set goes with it. */
GR_API void gr_cred_types_free(struct gr_cred_types *set);

/* How many types, and type `i` in load order (NULL past the end). */
GR_API size_t gr_cred_types_count(const struct gr_cred_types *set);
GR_API const struct gr_cred_type *gr_cred_types_at(const struct gr_cred_types *set, size_t i);
/* The type with this credential_configuration_id, or NULL. */
GR_API const struct gr_cred_type *gr_cred_types_get(const struct gr_cred_types *set,
                                                    struct gr_str id);
/* The first type (in load order) with this vct, or NULL. */
GR_API const struct gr_cred_type *gr_cred_types_by_vct(const struct gr_cred_types *set,
                                                       struct gr_str vct);

/* Views borrowed from the set. */
GR_API struct gr_str gr_cred_type_id(const struct gr_cred_type *t);
GR_API struct gr_str gr_cred_type_vct(const struct gr_cred_type *t);
/* The configuration's scope; the id when the file gives none (and then it is published). */
GR_API struct gr_str gr_cred_type_scope(const struct gr_cred_type *t);
/* How long a credential of this type lives, in seconds. */
GR_API int64_t gr_cred_type_lifetime(const struct gr_cred_type *t);
/*
 * The selectively disclosable claims as a JSON array, ready for
 * gr_sdjwt_vc_spec.disclosable_json: names and claims path pointers.
 */
GR_API struct gr_str gr_cred_type_disclosable(const struct gr_cred_type *t);
/* The decoy range for gr_sdjwt_vc_spec.decoys_min / decoys_max. */
GR_API void gr_cred_type_decoys(const struct gr_cred_type *t, unsigned *min, unsigned *max);

/*
 * The top-level claim names the configuration declares in
 * credential_metadata.claims, in order, each once (none when it declares no
 * claims). `mandatory` (may be NULL) says whether the claim's own entry has
 * "mandatory": true. Claim `i` past the end is the empty view.
 */
GR_API size_t gr_cred_type_claim_count(const struct gr_cred_type *t);
GR_API struct gr_str gr_cred_type_claim(const struct gr_cred_type *t, size_t i, bool *mandatory);

/* Is a credential bound to a holder key (cryptographic_binding_methods_supported)? */
GR_API bool gr_cred_type_binding(const struct gr_cred_type *t);
/* Is `proof_type` ("jwt", "attestation") in proof_types_supported? */
GR_API bool gr_cred_type_proof_type(const struct gr_cred_type *t, struct gr_str proof_type);
/* Does that proof type ask for key attestations (key_attestations_required)? */
GR_API bool gr_cred_type_key_attestation(const struct gr_cred_type *t, struct gr_str proof_type);

/*
 * The levels a proof type's key_attestations_required lists under `which`
 * ("key_storage" or "user_authentication"), NULL-terminated in `out` (room for
 * `max` pointers, borrowed from the type); the count. None when not required.
 */
GR_API size_t gr_cred_type_key_levels(const struct gr_cred_type *t, const char *proof_type,
                                      const char *which, const char **out, size_t max);

/* ---- the issuer identifier ---- */

/*
 * An issuer identifier split into views of the URL it was parsed from. `base`
 * is the URL without a trailing '/': endpoints are `base` + "/oid4vci/...",
 * and the server routes them under `path`.
 */
struct gr_issuer_url {
    struct gr_str base;
    struct gr_str host; /* an IPv6 literal keeps its brackets */
    struct gr_str path; /* "" or "/tenant": no trailing '/' */
    unsigned port;      /* 0 when the URL names none */
    bool https;         /* false: http, for development; the server should warn */
    bool loopback;      /* localhost, 127.0.0.0/8 or [::1] */
};

/*
 * Check an issuer identifier (OpenID4VCI 1.0 §12.2.1): https (or http), a
 * lower-case host, an optional port and path; no userinfo, query or fragment;
 * at most 512 bytes. The path holds only letters, digits and "-._~/", with no
 * empty, "." or ".." segment. Codes: MALFORMED, TOO_LARGE.
 */
GR_API int gr_issuer_url_parse(struct gr_str url, struct gr_issuer_url *out, struct gr_err *err);

/*
 * Append to `v1_path` the request path (no scheme or host) at which
 * `/.well-known/<name>` is served: inserted between the host and the issuer's
 * path (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1, SD-JWT VC §4), a trailing '/'
 * of the issuer URL dropped first. When the issuer URL has a path and `name`
 * is openid-credential-issuer or oauth-authorization-server, append to
 * `draft13_path` (if not NULL) the older placement after the path (Draft 13
 * §11.2.2; clients such as @openid4vc/oauth2 fall back to it for AS
 * metadata); otherwise leave it as it is. `name` is one of
 * openid-credential-issuer, oauth-authorization-server, jwt-vc-issuer. On
 * failure both buffers are as they were. Codes: MALFORMED, TOO_LARGE (the URL,
 * or a buffer's max), USAGE (another name).
 */
GR_API int gr_metadata_wellknown_paths(struct gr_str issuer_url, const char *name,
                                       struct gr_buf *v1_path, struct gr_buf *draft13_path,
                                       struct gr_err *err);

/* The three documents, in the order of their names above (so that they can index an array). */
enum gr_wellknown {
    GR_WELLKNOWN_NONE = -1,
    GR_WELLKNOWN_ISSUER,        /* openid-credential-issuer */
    GR_WELLKNOWN_AS,            /* oauth-authorization-server */
    GR_WELLKNOWN_JWT_VC_ISSUER, /* jwt-vc-issuer */
};

/*
 * Which document a GET of the request path `path` (no query) asks for, at the
 * places gr_metadata_wellknown_paths() gives, for an issuer URL whose path is
 * `issuer_path` (gr_issuer_url_parse()'s: "" or "/tenant"); GR_WELLKNOWN_NONE
 * for any other path. Compares only, so it may run on every request.
 */
GR_API enum gr_wellknown gr_metadata_wellknown(struct gr_str issuer_path, struct gr_str path);

/* ---- documents ---- */

enum gr_client_attestation_mode {
    GR_CLIENT_ATTESTATION_OFF,      /* token requests are anonymous */
    GR_CLIENT_ATTESTATION_OPTIONAL, /* checked when a wallet sends one */
    GR_CLIENT_ATTESTATION_REQUIRED, /* every token request carries one */
};

struct gr_issuer_settings {
    struct gr_str issuer_url;   /* the Credential Issuer Identifier */
    int batch_size;             /* >= 2: batch_credential_issuance */
    bool notification_endpoint; /* publish notification_endpoint */
    enum gr_client_attestation_mode
        client_attestation;       /* wallet attestation at the token endpoint */
    struct gr_str display_name;   /* issuer display name; empty: no display */
    struct gr_str display_locale; /* its BCP 47 tag; may be empty */
};

/*
 * Append the Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.4), compact
 * JSON: credential_issuer (exactly settings->issuer_url), credential_endpoint,
 * nonce_endpoint, notification_endpoint when settings say so,
 * batch_credential_issuance when batch_size >= 2, display, and
 * credential_configurations_supported, and authorization_servers naming the
 * issuer itself (it is its own authorization server). No encryption is advertised.
 * On failure `out` is as it was (so for every document below).
 * Codes: MALFORMED (issuer URL, locale), USAGE (batch_size outside 0 to 100),
 * TOO_LARGE (`out`'s cap).
 */
GR_API int gr_metadata_issuer_json(const struct gr_cred_types *types,
                                   const struct gr_issuer_settings *settings, struct gr_buf *out,
                                   struct gr_err *err);

/*
 * Append the signed Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.3), a
 * compact JWS by `signer`: header typ openidvci-issuer-metadata+jwt with the
 * signer's kid and x5c; payload every parameter of gr_metadata_issuer_json()
 * as a top-level claim, plus sub and iss (the issuer identifier) and `iat`.
 * One signer call. Codes: as gr_metadata_issuer_json, USAGE (`signer` NULL),
 * and the signer's.
 */
GR_API int gr_metadata_issuer_signed(const struct gr_cred_types *types,
                                     const struct gr_issuer_settings *settings,
                                     const struct gr_signer *signer, int64_t iat,
                                     struct gr_buf *out, struct gr_err *err);

/*
 * Append the Authorization Server Metadata (RFC 8414 §2), compact JSON:
 * issuer, token_endpoint, grant_types_supported (pre-authorized code),
 * pre-authorized_grant_anonymous_access_supported (true, false when client
 * attestation is required), token_endpoint_auth_methods_supported ("none" unless client
 * attestation is required, "attest_jwt_client_auth" when it is optional or
 * required, with both client_attestation_*_signing_alg_values_supported),
 * dpop_signing_alg_values_supported and scopes_supported (each type's scope,
 * once). Codes: MALFORMED, USAGE, TOO_LARGE.
 */
GR_API int gr_metadata_as_json(const struct gr_cred_types *types,
                               const struct gr_issuer_settings *settings, struct gr_buf *out,
                               struct gr_err *err);

/*
 * Append the JWT VC Issuer Metadata (SD-JWT VC §4): {"issuer": <issuer URL>,
 * "jwks": {"keys": [...]}}, each of the `n` public keys with its kid (`kids[i]`,
 * non-empty, each different), "alg": "ES256" and "use": "sig". Keys and kids
 * are borrowed. Codes: MALFORMED (issuer URL), USAGE (no key, a missing or
 * repeated kid), TOO_LARGE.
 */
GR_API int gr_metadata_jwt_vc_issuer_json(const struct gr_issuer_settings *settings,
                                          const struct gr_jwk *const *keys, const char *const *kids,
                                          size_t n, struct gr_buf *out, struct gr_err *err);

#endif

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

#endif

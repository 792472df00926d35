#ifndef GR_OID4VCI_METADATA_INTERNAL_H
#define GR_OID4VCI_METADATA_INTERNAL_H

/* What types.c and metadata.c share (metadata.h is the contract). */

#include <jansson.h>

#include <gramota/metadata.h>

#include "core/internal.h"

/*
 * Ceilings on the operator's credential-type files: read at start-up, not
 * from the network, but still bounded (STYLE §2.4).
 */
#define GR_MAX_CRED_TYPES     64          /* credential types in one set */
#define GR_MAX_CRED_TYPE_LEN  (64 * 1024) /* one credential-type file */
#define GR_MAX_CRED_TYPE_ID   64          /* a credential_configuration_id */
#define GR_MAX_VCT_LEN        256         /* a vct, a scope */
#define GR_MAX_LIFETIME_DAYS  36500       /* gramota.lifetime_days */
#define GR_MAX_ISSUER_URL_LEN 512         /* the issuer identifier */

/* One file of a shipped set, compiled in by config/credential-types/embed.cmake. */
struct gr__metadata_embedded {
    const char *set;  /* "default" */
    const char *name; /* "membership_card.json" */
    const char *text;
    size_t len;
};
extern const struct gr__metadata_embedded gr__metadata_embedded[];
extern const size_t gr__metadata_embedded_count;

struct gr__cred_claim {
    struct gr_str name; /* a top-level claim name */
    bool mandatory;     /* its own entry says "mandatory": true */
};

struct gr_cred_type {
    json_t *doc;    /* owned: the whole file; every view below points into it */
    json_t *config; /* the configuration as published (scope added when missing) */
    struct gr_str id, vct, scope;
    int64_t lifetime;          /* seconds */
    struct gr_buf disclosable; /* JSON array */
    unsigned decoys_min, decoys_max;
    struct gr__cred_claim *claims;
    size_t nclaims;
    bool binding;                      /* cryptographic_binding_methods_supported */
    bool proof_jwt, proof_attestation; /* proof_types_supported members */
    bool ka_jwt, ka_attestation;       /* ... with key_attestations_required */
};

/*
 * Parse and check the credential-type file `name` (a base name, shown in error
 * sentences when it is printable) into `t`, and refuse an id that one of the
 * `n` types loaded before it has. On failure `t` holds nothing to release.
 * Codes: MALFORMED, TOO_LARGE, DUPLICATE, RESERVED_NAME.
 */
int gr__cred_type_parse(struct gr_cred_type *t, const char *name, struct gr_str text,
                        const struct gr_cred_type *earlier, size_t n, struct gr_err *err);
void gr__cred_type_release(struct gr_cred_type *t);

#endif

#ifndef GR_SDJWT_TEMPLATE_H
#define GR_SDJWT_TEMPLATE_H

/* The prepared batch input, shared by template.c (which builds it) and issue.c. */

#include "sdjwt/internal.h"

enum node_kind { NODE_LEAF, NODE_OBJECT, NODE_ARRAY };

/* A piece of the template's text: an offset into `text`, a length. */
struct span {
    size_t off, len;
};

/* One JSON value of the subject's claims. */
struct node {
    enum node_kind kind;
    bool sd;             /* the value travels as a disclosure */
    bool dynamic;        /* a disclosure is inside: written anew for every credential */
    struct span name;    /* object members: the name as a JSON string literal */
    struct span compact; /* values without a disclosure inside: for the payload */
    struct span spaced;  /* ... and inside a disclosure, with RFC 9901's ", " and ": " */
    struct node *kids;   /* members or elements, in order */
    size_t nkids;
    size_t nsd; /* objects: how many members are disclosures (each `_sd` entry) */
};

/* What one credential needs, counted while the tree is built. */
struct gr_template_counts {
    unsigned decoys_min, decoys_max;
    size_t disclosures; /* per credential */
    size_t sd_objects;  /* objects that carry `_sd` */
    size_t digests;     /* room for `_sd` entries, decoys included */
    size_t random;      /* CSPRNG bytes per credential */
};

#define GR_SDJWT_RANDOM_ID 16 /* the credential's id */

struct gr_sdjwt_vc_template {
    const struct gr_signer *signer; /* borrowed */
    struct gr_buf header_b64;       /* the JWS header, encoded once */
    struct gr_buf fixed;            /* `{"vct":..[,"vct#integrity":..][,"iss":..]` */
    struct gr_buf text;             /* every name and serialized value, one allocation */
    struct node root;               /* the claims object */
    struct gr_template_counts counts;
};

/* The text of a span. */
#define SPAN(t, s) ((t)->text.data + (s).off)

#endif

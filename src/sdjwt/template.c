/*
 * The shared part of an SD-JWT VC batch (sdjwt.h): the subject's claims
 * parsed once into a tree that knows which values travel as disclosures, with
 * every value that contains no disclosure serialized once, in both the compact
 * form the payload uses and the spaced form disclosures use.
 */
#include "sdjwt/template.h"

#include <stdlib.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

/* Claims the issuer sets itself, so a subject may not bring them. */
static bool issuer_set(struct gr_str name)
{
    return gr__sdjwt_never_disclosed(name) || gr_str_eq_c(name, "iat");
}

/* Does component `c` of a claims path pointer select member `key` / element `idx`? */
static bool selects(const json_t *c, const char *key, size_t idx)
{
    if (key)
        return json_is_string(c) && strcmp(json_string_value(c), key) == 0;
    return json_is_null(c) || (json_is_integer(c) && (size_t)json_integer_value(c) == idx);
}

static void node_release(struct node *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        node_release(&n->kids[i]);
    free(n->kids);
}

struct builder {
    struct gr_buf *text;
    struct gr_template_counts *counts;
};

/* Append text that is already in the buffer (grow first: the source may move). */
static void copy_span(struct gr_buf *text, struct span s)
{
    char *dst = gr_buf_grow(text, s.len);

    if (dst == NULL)
        return;
    memcpy(dst, text->data + s.off, s.len);
    text->len += s.len;
    text->data[text->len] = '\0';
}

/* A scalar's JSON, the same in both forms. */
static void write_scalar(struct gr_buf *text, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        gr__json_quote(gr__json_strv(v), text);
        break;
    case JSON_INTEGER:
        gr_buf_printf(text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_TRUE:
        gr_buf_adds(text, "true");
        break;
    case JSON_FALSE:
        gr_buf_adds(text, "false");
        break;
    case JSON_NULL:
        gr_buf_adds(text, "null");
        break;
    default: /* a real: jansson's shortest round-trip form */
        gr__json_dump(v, false, text);
        break;
    }
}

/* An object or array without disclosures, composed from its members' text. */
static struct span compose(struct gr_buf *text, const struct node *n, bool spaced)
{
    struct span out = { text->len, 0 };
    bool object = n->kind == NODE_OBJECT;

    gr_buf_addc(text, object ? '{' : '[');
    for (size_t i = 0; i < n->nkids; i++) {
        if (i)
            gr_buf_adds(text, spaced ? ", " : ",");
        if (object) {
            copy_span(text, n->kids[i].name);
            gr_buf_adds(text, spaced ? ": " : ":");
        }
        copy_span(text, spaced ? n->kids[i].spaced : n->kids[i].compact);
    }
    gr_buf_addc(text, object ? '}' : ']');
    out.len = text->len - out.off;
    return out;
}

static int build(struct builder *b, struct node *n, const json_t *v, const json_t **paths,
                 size_t npaths, size_t depth, struct gr_err *err);

/*
 * One child of an object (key != NULL) or array: the paths that select it go
 * on down; one that ends here makes the child a disclosure.
 */
static int build_child(struct builder *b, struct node *kid, const char *key, size_t idx,
                       const json_t *v, const json_t **paths, size_t npaths, size_t depth,
                       struct gr_err *err)
{
    const json_t **sub = npaths ? gr__xcalloc(npaths, sizeof(*sub)) : NULL;
    size_t nsub = 0;
    int rc;

    for (size_t i = 0; i < npaths; i++) {
        if (!selects(json_array_get(paths[i], depth), key, idx))
            continue;
        if (json_array_size(paths[i]) == depth + 1)
            kid->sd = true;
        else
            sub[nsub++] = paths[i];
    }
    rc = build(b, kid, v, sub, nsub, depth + 1, err);
    free(sub);
    if (rc == 0 && kid->sd && ++b->counts->disclosures > GR_MAX_DISCLOSURES)
        rc = gr_fail(err, GR_ERR_TOO_LARGE, "The claims make more than %d disclosures.",
                     GR_MAX_DISCLOSURES);
    return rc;
}

static int build_object(struct builder *b, struct node *n, const json_t *v, const json_t **paths,
                        size_t npaths, size_t depth, struct gr_err *err)
{
    struct gr_template_counts *counts = b->counts;
    const char *key;
    const json_t *val;
    size_t i = 0;

    n->kind = NODE_OBJECT;
    n->kids = gr__xcalloc(json_object_size(v), sizeof(*n->kids));
    json_object_foreach ((json_t *)v, key, val) {
        struct node *kid = &n->kids[n->nkids++];
        struct gr_str name = gr_str_c(key);

        if (gr__sdjwt_reserved(name))
            return gr_fail(err, GR_ERR_RESERVED_NAME, "The claim name %.40s is reserved by SD-JWT.",
                           key);
        if (depth == 0 && issuer_set(name))
            return gr_fail(err, GR_ERR_RESERVED_NAME,
                           "The claim %.40s is set by the issuer and cannot come with the subject.",
                           key);
        kid->name.off = b->text->len;
        gr__json_quote(name, b->text);
        kid->name.len = b->text->len - kid->name.off;
        if (build_child(b, kid, key, i++, val, paths, npaths, depth, err) < 0)
            return -1;
        n->nsd += kid->sd;
    }
    if (n->nsd) {
        counts->sd_objects++;
        counts->random += 1 + 16 * (size_t)counts->decoys_max + 4 * (n->nsd + counts->decoys_max);
        counts->digests += n->nsd + counts->decoys_max;
    }
    return 0;
}

static int build_array(struct builder *b, struct node *n, const json_t *v, const json_t **paths,
                       size_t npaths, size_t depth, struct gr_err *err)
{
    n->kind = NODE_ARRAY;
    n->kids = gr__xcalloc(json_array_size(v), sizeof(*n->kids));
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (build_child(b, &n->kids[n->nkids++], NULL, i, json_array_get(v, i), paths, npaths,
                        depth, err) < 0)
            return -1;
    }
    return 0;
}

static int build(struct builder *b, struct node *n, const json_t *v, const json_t **paths,
                 size_t npaths, size_t depth, struct gr_err *err)
{
    int rc = 0;

    if (json_is_object(v))
        rc = build_object(b, n, v, paths, npaths, depth, err);
    else if (json_is_array(v))
        rc = build_array(b, n, v, paths, npaths, depth, err);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n->nkids; i++)
        n->dynamic |= n->kids[i].sd || n->kids[i].dynamic;
    if (n->sd)
        b->counts->random += 16; /* its salt */
    if (n->dynamic)
        return 0;
    if (n->kind == NODE_LEAF) {
        n->compact.off = b->text->len;
        write_scalar(b->text, v);
        n->compact.len = b->text->len - n->compact.off;
        n->spaced = n->compact;
    } else {
        n->compact = compose(b->text, n, false);
        n->spaced = compose(b->text, n, true);
    }
    return 0;
}

/* A claims path pointer: a non-empty array of strings, nulls and indices, a name first. */
static int check_path(const json_t *p, struct gr_err *err)
{
    size_t i;
    const json_t *c;

    if (!json_is_array(p) || json_array_size(p) == 0 || json_array_size(p) > GR_MAX_JSON_DEPTH ||
        !json_is_string(json_array_get(p, 0)))
        return gr_fail(err, GR_ERR_MALFORMED,
                       "A disclosable claim must be a name or a path that starts with a name.");
    json_array_foreach (p, i, c) {
        if (!json_is_string(c) && !json_is_null(c) &&
            !(json_is_integer(c) && json_integer_value(c) >= 0))
            return gr_fail(err, GR_ERR_MALFORMED,
                           "A claim path holds only names, null and non-negative indices.");
    }
    if (gr__sdjwt_never_disclosed(gr__json_strv(json_array_get(p, 0))))
        return gr_fail(err, GR_ERR_RESERVED_NAME,
                       "The claim %.40s can never be selectively disclosable.",
                       json_string_value(json_array_get(p, 0)));
    return 0;
}

/* The disclosable list as an array of path arrays (a bare name becomes [name]). */
static json_t *parse_paths(struct gr_str in, struct gr_err *err)
{
    json_t *list, *paths, *e;
    size_t i;

    if (in.p == NULL || in.len == 0)
        return json_array();
    list = gr__json_parse(in, GR_MAX_CLAIMS_LEN, JSON_ARRAY, "The list of disclosable claims", err);
    if (list == NULL)
        return NULL;
    if (json_array_size(list) > GR_MAX_SD_PATHS) {
        json_decref(list);
        gr_fail(err, GR_ERR_TOO_LARGE, "More than %d claims are marked disclosable.",
                GR_MAX_SD_PATHS);
        return NULL;
    }
    paths = json_array();
    json_array_foreach (list, i, e) {
        json_t *p = json_is_string(e) ? json_pack("[O]", e) : json_incref(e);

        json_array_append_new(paths, p);
        if (check_path(p, err) < 0) {
            json_decref(paths);
            paths = NULL;
            break;
        }
    }
    json_decref(list);
    return paths;
}

static void fixed_claims(struct gr_sdjwt_vc_template *t, const struct gr_sdjwt_vc_spec *spec)
{
    gr_buf_adds(&t->fixed, "{\"vct\":");
    gr__json_quote(spec->vct, &t->fixed);
    if (spec->vct_integrity.len) {
        gr_buf_adds(&t->fixed, ",\"vct#integrity\":");
        gr__json_quote(spec->vct_integrity, &t->fixed);
    }
    if (spec->iss.len) {
        gr_buf_adds(&t->fixed, ",\"iss\":");
        gr__json_quote(spec->iss, &t->fixed);
    }
}

static int build_root(struct gr_sdjwt_vc_template *t, const json_t *claims, const json_t *paths,
                      struct gr_err *err)
{
    size_t npaths = json_array_size(paths);
    const json_t **all = npaths ? gr__xcalloc(npaths, sizeof(*all)) : NULL;
    struct builder b = { &t->text, &t->counts };
    int rc;

    for (size_t i = 0; i < npaths; i++)
        all[i] = json_array_get(paths, i);
    rc = build(&b, &t->root, claims, all, npaths, 0, err);
    free(all);
    return rc;
}

/* see sdjwt.h */
struct gr_sdjwt_vc_template *gr_sdjwt_vc_template_new(const struct gr_sdjwt_vc_spec *spec,
                                                      const struct gr_signer *signer,
                                                      struct gr_err *err)
{
    struct gr_sdjwt_vc_template *t;
    json_t *claims = NULL, *paths = NULL;
    struct gr_buf header;

    if (spec == NULL) {
        gr_fail(err, GR_ERR_USAGE, "A credential needs a spec.");
        return NULL;
    }
    t = gr__xcalloc(1, sizeof(*t));
    gr_buf_init(&t->header_b64, GR_BUF_UNBOUNDED);
    gr_buf_init(&t->fixed, GR_BUF_UNBOUNDED);
    gr_buf_init(&t->text, GR_BUF_UNBOUNDED);
    gr_buf_grow(&t->text, 1024); /* never NULL, even for {} */
    t->signer = signer;
    t->counts.decoys_min = spec->decoys_min;
    t->counts.decoys_max = spec->decoys_max;
    t->counts.random = GR_SDJWT_RANDOM_ID;
    if (spec->vct.len == 0 || signer == NULL || spec->decoys_min > spec->decoys_max ||
        spec->decoys_max > 64) {
        gr_fail(err, GR_ERR_USAGE, "%s",
                spec->vct.len == 0 ? "A credential needs a vct."
                : signer == NULL   ? "A credential needs a signer."
                                   : "The decoy range is not valid.");
        goto fail;
    }
    claims = gr__json_parse(spec->claims_json, GR_MAX_CLAIMS_LEN, JSON_OBJECT,
                            "The subject's claims", err);
    if (claims == NULL || (paths = parse_paths(spec->disclosable_json, err)) == NULL)
        goto fail;
    if (build_root(t, claims, paths, err) < 0)
        goto fail;
    json_decref(claims);
    json_decref(paths);
    fixed_claims(t, spec);
    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_signer_header(signer, "dc+sd-jwt", &header);
    gr_buf_add_b64url(&t->header_b64, header.data, header.len);
    gr_buf_release(&header);
    return t;
fail:
    json_decref(claims);
    json_decref(paths);
    gr_sdjwt_vc_template_free(t);
    return NULL;
}

/* see sdjwt.h */
void gr_sdjwt_vc_template_free(struct gr_sdjwt_vc_template *t)
{
    if (t == NULL)
        return;
    node_release(&t->root);
    gr_buf_release(&t->header_b64);
    gr_buf_release(&t->fixed);
    gr_buf_release(&t->text);
    free(t);
}

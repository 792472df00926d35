/*
 * One credential type (metadata.h): its file checked strictly when loaded, so
 * that what the issuer publishes is what it can issue, and its getters. The
 * rules, one by one, are in docs/credential-types.md.
 */
#include "oid4vci/metadata_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdjwt/internal.h"

struct loader {
    char file[64]; /* the file as sentences name it */
    struct gr_err *err;
};

/* Printable ASCII without the characters an error_description may not carry. */
static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return false;
    }
    return true;
}

/* `s` when a sentence may show it, `instead` when not. */
static const char *shown(const char *s, const char *instead)
{
    return printable(s, 40) ? s : instead;
}

static void name_file(struct loader *ld, const char *name)
{
    if (printable(name, sizeof(ld->file) - 1))
        snprintf(ld->file, sizeof(ld->file), "%s", name);
    else
        snprintf(ld->file, sizeof(ld->file), "a credential type file");
}

static int refuse(const struct loader *ld, enum gr_errc code, const char *fmt, ...) GR_PRINTF(3, 4);

/* Fail with "<problem> in <file>.", or with "<problem>." and the file in the cause. */
static int refuse(const struct loader *ld, enum gr_errc code, const char *fmt, ...)
{
    char problem[sizeof(ld->err->desc)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    if (strlen(problem) + strlen(ld->file) + 5 < sizeof(ld->err->desc))
        return gr_fail(ld->err, code, "%s in %s.", problem, ld->file);
    gr_fail(ld->err, code, "%s.", problem);
    return gr_err_cause(ld->err, "in %s", ld->file);
}

static struct gr_str view(const json_t *v)
{
    return gr__json_strv(v);
}

/* A non-empty array of strings, each one of `allowed` when that is not NULL. */
static bool strings(const json_t *v, const char *allowed)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    json_array_foreach (v, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0)
            return false;
        if (allowed && strcmp(json_string_value(e), allowed) != 0)
            return false;
    }
    return true;
}

/* ---- the file's frame: id, configuration, gramota ---- */

/* 1 to 64 characters of [A-Za-z0-9._:-]. */
static bool id_ok(struct gr_str id)
{
    if (id.len == 0 || id.len > GR_MAX_CRED_TYPE_ID)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.p[i];

        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            !strchr("._:-", c))
            return false;
    }
    return true;
}

static int check_frame(const struct loader *ld, struct gr_cred_type *t)
{
    const char *key;
    const json_t *v;

    json_object_foreach (t->doc, key, v) {
        if (strcmp(key, "id") != 0 && strcmp(key, "configuration") != 0 &&
            strcmp(key, "gramota") != 0)
            return refuse(ld, GR_ERR_MALFORMED, "The member %s is unknown at the top level",
                          shown(key, "(unprintable)"));
    }
    t->id = gr__json_str(t->doc, "id");
    if (!id_ok(t->id))
        return refuse(ld, GR_ERR_MALFORMED,
                      "The id is missing or not 1 to %d characters of A-Z a-z 0-9 . _ : -",
                      GR_MAX_CRED_TYPE_ID);
    t->config = json_object_get(t->doc, "configuration");
    if (!json_is_object(t->config))
        return refuse(ld, GR_ERR_MALFORMED, "The configuration is missing or not an object");
    return 0;
}

/* ---- configuration: what is published ---- */

/* A scope token (RFC 6749 §3.3): printable ASCII but space, '"' and '\'. */
static bool scope_ok(struct gr_str s)
{
    if (s.len == 0 || s.len > GR_MAX_VCT_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] <= 0x20 || s.p[i] > 0x7e || s.p[i] == '"' || s.p[i] == '\\')
            return false;
    }
    return true;
}

static int check_kind(const struct loader *ld, struct gr_cred_type *t)
{
    const json_t *scope = json_object_get(t->config, "scope");
    const json_t *algs = json_object_get(t->config, "credential_signing_alg_values_supported");

    if (!gr_str_eq_c(gr__json_str(t->config, "format"), "dc+sd-jwt"))
        return refuse(ld, GR_ERR_MALFORMED, "The format is not dc+sd-jwt");
    t->vct = gr__json_str(t->config, "vct");
    if (t->vct.len == 0 || t->vct.len > GR_MAX_VCT_LEN || memchr(t->vct.p, 0, t->vct.len))
        return refuse(ld, GR_ERR_MALFORMED, "The vct is missing or not a string of 1 to %d bytes",
                      GR_MAX_VCT_LEN);
    /*
     * HAIP §4.1 wants a scope on every configuration, and without one
     * OpenID4VCI §12.2.4 expects authorization_details support, which gramota
     * has not: a missing scope becomes the id, and is published.
     */
    if (scope == NULL)
        json_object_set_new(t->config, "scope", json_stringn(t->id.p, t->id.len));
    t->scope = gr__json_str(t->config, "scope");
    if (!scope_ok(t->scope))
        return refuse(ld, GR_ERR_MALFORMED, "The scope is not a scope token");
    if (algs && !strings(algs, "ES256"))
        return refuse(ld, GR_ERR_MALFORMED,
                      "The credential_signing_alg_values_supported may only list ES256");
    return 0;
}

/* One entry of proof_types_supported (OpenID4VCI 1.0 §12.2.4, App. F). */
static int check_proof_type(const struct loader *ld, struct gr_cred_type *t, const char *type,
                            const json_t *v)
{
    bool jwt = strcmp(type, "jwt") == 0;
    const json_t *ka = json_object_get(v, "key_attestations_required");
    const char *key;
    const json_t *e;

    if (!jwt && strcmp(type, "attestation") != 0)
        return refuse(ld, GR_ERR_MALFORMED, "The proof type %s is not one gramota checks",
                      shown(type, "(unprintable)"));
    if (!json_is_object(v) ||
        !strings(json_object_get(v, "proof_signing_alg_values_supported"), "ES256"))
        return refuse(ld, GR_ERR_MALFORMED,
                      "The %s proof type must have proof_signing_alg_values_supported [ES256]",
                      type);
    if (ka && !json_is_object(ka))
        return refuse(ld, GR_ERR_MALFORMED, "The key_attestations_required is not an object");
    /* The EUDI wallet refuses the whole metadata over an empty list here (WALLET.md §1). */
    json_object_foreach ((json_t *)ka, key, e) {
        if ((strcmp(key, "key_storage") == 0 || strcmp(key, "user_authentication") == 0) &&
            !strings(e, NULL))
            return refuse(ld, GR_ERR_MALFORMED, "The %s is not a non-empty list of strings", key);
    }
    if (!jwt && ka == NULL)
        return refuse(ld, GR_ERR_MALFORMED,
                      "The attestation proof type lacks key_attestations_required");
    *(jwt ? &t->proof_jwt : &t->proof_attestation) = true;
    *(jwt ? &t->ka_jwt : &t->ka_attestation) = ka != NULL;
    return 0;
}

/* Key binding: both members or neither (OpenID4VCI 1.0 §12.2.4). */
static int check_binding(const struct loader *ld, struct gr_cred_type *t)
{
    const json_t *methods = json_object_get(t->config, "cryptographic_binding_methods_supported");
    const json_t *proofs = json_object_get(t->config, "proof_types_supported");
    const char *key;
    const json_t *v;

    if (methods && proofs == NULL)
        return refuse(ld, GR_ERR_MALFORMED,
                      "The proof_types_supported is missing, which key binding needs");
    if (proofs && methods == NULL)
        return refuse(ld, GR_ERR_MALFORMED,
                      "The cryptographic_binding_methods_supported is missing, which proofs need");
    if (methods == NULL)
        return 0;
    /* cnf.jwk is the one binding gramota makes (HAIP §6.1). */
    if (!strings(methods, "jwk"))
        return refuse(ld, GR_ERR_MALFORMED,
                      "The cryptographic_binding_methods_supported may only list jwk");
    if (!json_is_object(proofs) || json_object_size(proofs) == 0)
        return refuse(ld, GR_ERR_MALFORMED, "The proof_types_supported is not a non-empty object");
    json_object_foreach ((json_t *)proofs, key, v) {
        if (check_proof_type(ld, t, key, v) < 0)
            return -1;
    }
    t->binding = true;
    return 0;
}

/* ---- claims path pointers (OpenID4VCI 1.0 App. C) ---- */

/* Non-empty, a name first, then names, null and non-negative indices. */
static bool path_ok(const json_t *p)
{
    size_t i;
    const json_t *c;

    if (!json_is_array(p) || json_array_size(p) == 0 || json_array_size(p) > GR_MAX_JSON_DEPTH ||
        !json_is_string(json_array_get(p, 0)))
        return false;
    json_array_foreach (p, i, c) {
        if (json_is_string(c)
                ? json_string_length(c) == 0
                : !json_is_null(c) && !(json_is_integer(c) && json_integer_value(c) >= 0))
            return false;
    }
    return true;
}

/* Do two components select a common member or element? */
static bool overlap(const json_t *a, const json_t *b)
{
    if (json_is_string(a) || json_is_string(b))
        return json_equal(a, b);
    return json_is_null(a) || json_is_null(b) || json_equal(a, b);
}

/* Do two paths make one value both an object and an array? */
static bool contradict(const json_t *p, const json_t *q)
{
    size_t n = json_array_size(p) < json_array_size(q) ? json_array_size(p) : json_array_size(q);

    for (size_t k = 0; k < n; k++) {
        const json_t *a = json_array_get(p, k), *b = json_array_get(q, k);

        if (json_is_string(a) != json_is_string(b))
            return true;
        if (!overlap(a, b))
            return false;
    }
    return false;
}

/* Record the top-level name of a claims entry (each name once). */
static void add_claim(struct gr_cred_type *t, const json_t *path, bool mandatory)
{
    struct gr_str name = view(json_array_get(path, 0));
    bool own = json_array_size(path) == 1;

    for (size_t i = 0; i < t->nclaims; i++) {
        if (gr_str_eq(t->claims[i].name, name)) {
            t->claims[i].mandatory |= own && mandatory;
            return;
        }
    }
    t->claims[t->nclaims++] = (struct gr__cred_claim){ name, own && mandatory };
}

static int check_claim(const struct loader *ld, struct gr_cred_type *t, const json_t *claims,
                       size_t i)
{
    const json_t *c = json_array_get(claims, i), *path = json_object_get(c, "path");
    const json_t *mandatory = json_object_get(c, "mandatory"), *display;

    if (!json_is_object(c) || !path_ok(path))
        return refuse(ld, GR_ERR_MALFORMED,
                      "Claim %zu has no path of a name then names, null or indices", i + 1);
    if (mandatory && !json_is_boolean(mandatory))
        return refuse(ld, GR_ERR_MALFORMED, "Claim %zu has a mandatory that is not a boolean",
                      i + 1);
    display = json_object_get(c, "display");
    if (display && !json_is_array(display))
        return refuse(ld, GR_ERR_MALFORMED, "Claim %zu has a display that is not a list", i + 1);
    for (size_t j = 0; j < i; j++) {
        const json_t *other = json_object_get(json_array_get(claims, j), "path");

        if (json_equal(path, other))
            return refuse(ld, GR_ERR_MALFORMED, "Claims %zu and %zu have the same path", j + 1,
                          i + 1);
        if (contradict(path, other))
            return refuse(ld, GR_ERR_MALFORMED, "Claims %zu and %zu have contradicting paths",
                          j + 1, i + 1);
    }
    add_claim(t, path, json_is_true(mandatory));
    return 0;
}

/* credential_metadata: display needs names (the EUDI wallet requires them), claims need paths. */
static int check_credential_metadata(const struct loader *ld, struct gr_cred_type *t)
{
    const json_t *md = json_object_get(t->config, "credential_metadata");
    const json_t *display = json_object_get(md, "display");
    const json_t *claims = json_object_get(md, "claims");
    const json_t *d;
    size_t i;

    if (md == NULL)
        return 0;
    if (!json_is_object(md))
        return refuse(ld, GR_ERR_MALFORMED, "The credential_metadata is not an object");
    if (display && !json_is_array(display))
        return refuse(ld, GR_ERR_MALFORMED, "The credential_metadata display is not a list");
    json_array_foreach (display, i, d) {
        if (gr__json_str(d, "name").len == 0)
            return refuse(ld, GR_ERR_MALFORMED, "Display entry %zu has no name", i + 1);
    }
    if (claims && !json_is_array(claims))
        return refuse(ld, GR_ERR_MALFORMED, "The credential_metadata claims is not a list");
    if (json_array_size(claims) > GR_MAX_SD_PATHS)
        return refuse(ld, GR_ERR_TOO_LARGE, "More than %d claims are declared", GR_MAX_SD_PATHS);
    t->claims = gr__xcalloc(json_array_size(claims) + 1, sizeof(*t->claims));
    for (i = 0; i < json_array_size(claims); i++) {
        if (check_claim(ld, t, claims, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- gramota: how the issuer makes the credential ---- */

/* Append one disclosable entry: a bare name for a one-name path. */
static void add_disclosable(json_t *list, const json_t *path)
{
    if (json_array_size(path) == 1)
        json_array_append(list, json_array_get(path, 0));
    else
        json_array_append(list, (json_t *)path);
}

/* One entry of gramota.disclosable, as a path. */
static int check_disclosable_entry(const struct loader *ld, json_t *list, const json_t *path,
                                   size_t i)
{
    const json_t *stored;
    const char *top;

    if (!path_ok(path))
        return refuse(ld, GR_ERR_MALFORMED,
                      "Disclosable entry %zu is not a name or a path that starts with one", i + 1);
    top = json_string_value(json_array_get(path, 0));
    if (gr__sdjwt_never_disclosed(gr_str_c(top)))
        return refuse(ld, GR_ERR_RESERVED_NAME, "The claim %s can never be selectively disclosable",
                      top);
    stored = json_array_size(path) == 1 ? json_array_get(path, 0) : path;
    for (size_t j = 0; j < json_array_size(list); j++) {
        if (json_equal(json_array_get(list, j), stored))
            return refuse(ld, GR_ERR_MALFORMED, "Disclosable entry %zu is listed twice", i + 1);
    }
    add_disclosable(list, path);
    return 0;
}

static int check_disclosable(const struct loader *ld, const json_t *v, json_t *list)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v))
        return refuse(ld, GR_ERR_MALFORMED, "The disclosable member is not a list");
    if (json_array_size(v) > GR_MAX_SD_PATHS)
        return refuse(ld, GR_ERR_TOO_LARGE, "More than %d claims are disclosable", GR_MAX_SD_PATHS);
    json_array_foreach (v, i, e) {
        json_t *path = json_is_string(e) ? json_pack("[O]", e) : json_incref((json_t *)e);
        int rc = check_disclosable_entry(ld, list, path, i);

        json_decref(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* By default every top-level claim the configuration declares (SD-JWT VC §2.2.2.3 aside). */
static void default_disclosable(const struct gr_cred_type *t, json_t *list)
{
    const json_t *claims =
        json_object_get(json_object_get(t->config, "credential_metadata"), "claims");
    size_t i;
    const json_t *c;

    json_array_foreach (claims, i, c) {
        const json_t *path = json_object_get(c, "path");

        if (json_array_size(path) == 1 && !gr__sdjwt_never_disclosed(view(json_array_get(path, 0))))
            add_disclosable(list, path);
    }
}

static int check_decoys(const struct loader *ld, struct gr_cred_type *t, const json_t *v)
{
    const json_t *lo = json_array_get(v, 0), *hi = json_array_get(v, 1);

    /* 64: gr_sdjwt_vc_template_new()'s ceiling. */
    if (json_array_size(v) != 2 || !json_is_integer(lo) || !json_is_integer(hi) ||
        json_integer_value(lo) < 0 || json_integer_value(lo) > json_integer_value(hi) ||
        json_integer_value(hi) > 64)
        return refuse(ld, GR_ERR_MALFORMED, "The decoys member is not [min, max] within 0 to 64");
    t->decoys_min = (unsigned)json_integer_value(lo);
    t->decoys_max = (unsigned)json_integer_value(hi);
    return 0;
}

static int check_gramota_member(const struct loader *ld, struct gr_cred_type *t, const char *key,
                                const json_t *v, json_t *list)
{
    if (strcmp(key, "lifetime_days") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > GR_MAX_LIFETIME_DAYS)
            return refuse(ld, GR_ERR_MALFORMED, "The lifetime_days is not a whole number 1 to %d",
                          GR_MAX_LIFETIME_DAYS);
        t->lifetime = (int64_t)json_integer_value(v) * 86400;
        return 0;
    }
    if (strcmp(key, "decoys") == 0)
        return check_decoys(ld, t, v);
    if (strcmp(key, "disclosable") == 0)
        return check_disclosable(ld, v, list);
    return refuse(ld, GR_ERR_MALFORMED, "The member %s under gramota is unknown",
                  shown(key, "(unprintable)"));
}

static int check_gramota(const struct loader *ld, struct gr_cred_type *t)
{
    const json_t *g = json_object_get(t->doc, "gramota");
    json_t *list = json_array();
    const char *key;
    const json_t *v;
    int rc = 0;

    t->lifetime = 365 * 86400;
    t->decoys_min = GR_SDJWT_DECOYS_MIN;
    t->decoys_max = GR_SDJWT_DECOYS_MAX;
    if (g && !json_is_object(g))
        rc = refuse(ld, GR_ERR_MALFORMED, "The gramota member is not an object");
    json_object_foreach ((json_t *)g, key, v) {
        if (rc == 0)
            rc = check_gramota_member(ld, t, key, v, list);
    }
    if (rc == 0 && json_object_get(g, "disclosable") == NULL)
        default_disclosable(t, list);
    if (rc == 0)
        gr__json_dump(list, false, &t->disclosable);
    json_decref(list);
    return rc;
}
/* ---- the whole file ---- */

/* see metadata_internal.h */
void gr__cred_type_release(struct gr_cred_type *t)
{
    json_decref(t->doc);
    gr_buf_release(&t->disclosable);
    free(t->claims);
    memset(t, 0, sizeof(*t));
}

static int check_unique(const struct loader *ld, const struct gr_cred_type *t,
                        const struct gr_cred_type *earlier, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (gr_str_eq(earlier[i].id, t->id))
            return refuse(ld, GR_ERR_DUPLICATE, "The id %.*s is taken by an earlier file",
                          (int)t->id.len, t->id.p);
    }
    return 0;
}

/* see metadata_internal.h */
int gr__cred_type_parse(struct gr_cred_type *t, const char *name, struct gr_str text,
                        const struct gr_cred_type *earlier, size_t n, struct gr_err *err)
{
    struct loader ld = { .err = err };
    char what[96];

    memset(t, 0, sizeof(*t));
    name_file(&ld, name);
    snprintf(what, sizeof(what), "The credential type file %s", ld.file);
    gr_buf_init(&t->disclosable, GR_BUF_UNBOUNDED);
    t->doc = gr__json_parse(text, GR_MAX_CRED_TYPE_LEN, JSON_OBJECT, what, err);
    if (t->doc == NULL || check_frame(&ld, t) < 0 || check_kind(&ld, t) < 0 ||
        check_binding(&ld, t) < 0 || check_credential_metadata(&ld, t) < 0 ||
        check_gramota(&ld, t) < 0 || check_unique(&ld, t, earlier, n) < 0) {
        gr__cred_type_release(t);
        return -1;
    }
    return 0;
}

/* ---- one type ---- */

/* see metadata.h */
struct gr_str gr_cred_type_id(const struct gr_cred_type *t)
{
    return t->id;
}

/* see metadata.h */
struct gr_str gr_cred_type_vct(const struct gr_cred_type *t)
{
    return t->vct;
}

/* see metadata.h */
struct gr_str gr_cred_type_scope(const struct gr_cred_type *t)
{
    return t->scope;
}

/* see metadata.h */
int64_t gr_cred_type_lifetime(const struct gr_cred_type *t)
{
    return t->lifetime;
}

/* see metadata.h */
struct gr_str gr_cred_type_disclosable(const struct gr_cred_type *t)
{
    return gr_buf_str(&t->disclosable);
}

/* see metadata.h */
void gr_cred_type_decoys(const struct gr_cred_type *t, unsigned *min, unsigned *max)
{
    *min = t->decoys_min;
    *max = t->decoys_max;
}

/* see metadata.h */
size_t gr_cred_type_claim_count(const struct gr_cred_type *t)
{
    return t->nclaims;
}

/* see metadata.h */
struct gr_str gr_cred_type_claim(const struct gr_cred_type *t, size_t i, bool *mandatory)
{
    if (mandatory)
        *mandatory = i < t->nclaims && t->claims[i].mandatory;
    return i < t->nclaims ? t->claims[i].name : (struct gr_str){ "", 0 };
}

/* see metadata.h */
bool gr_cred_type_binding(const struct gr_cred_type *t)
{
    return t->binding;
}

/* see metadata.h */
bool gr_cred_type_proof_type(const struct gr_cred_type *t, struct gr_str proof_type)
{
    if (gr_str_eq_c(proof_type, "jwt"))
        return t->proof_jwt;
    return gr_str_eq_c(proof_type, "attestation") && t->proof_attestation;
}

/* see metadata.h */
bool gr_cred_type_key_attestation(const struct gr_cred_type *t, struct gr_str proof_type)
{
    if (gr_str_eq_c(proof_type, "jwt"))
        return t->ka_jwt;
    return gr_str_eq_c(proof_type, "attestation") && t->ka_attestation;
}

/* see metadata.h */
size_t gr_cred_type_key_levels(const struct gr_cred_type *t, const char *proof_type,
                               const char *which, const char **out, size_t max)
{
    const json_t *ka = json_object_get(
        json_object_get(json_object_get(t->config, "proof_types_supported"), proof_type),
        "key_attestations_required");
    const json_t *list = json_object_get(ka, which), *v;
    size_t i, n = 0;

    json_array_foreach (list, i, v) {
        if (n + 1 < max && json_is_string(v))
            out[n++] = json_string_value(v);
    }
    if (max)
        out[n] = NULL;
    return n;
}

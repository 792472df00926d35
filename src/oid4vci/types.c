/*
 * Sets of credential types (metadata.h): the ones compiled into the library,
 * or a directory of files.
 */
#include "oid4vci/metadata_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct gr_cred_types {
    struct gr_cred_type *types;
    size_t n;
};

/* `s` when an error sentence may show it: printable ASCII without '"' or '\'. */
static const char *shown(const char *s, const char *instead)
{
    size_t n = strlen(s);

    if (n == 0 || n > 80)
        return instead;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return instead;
    }
    return s;
}

static int load_one(struct gr_cred_types *set, const char *name, struct gr_str text,
                    struct gr_err *err)
{
    struct gr_cred_type t;

    if (set->n == GR_MAX_CRED_TYPES)
        return gr_fail(err, GR_ERR_TOO_LARGE, "A set holds at most %d credential types.",
                       GR_MAX_CRED_TYPES);
    if (gr__cred_type_parse(&t, name, text, set->types, set->n, err) < 0)
        return -1;
    set->types = gr__xrealloc(set->types, (set->n + 1) * sizeof(*set->types));
    set->types[set->n++] = t;
    return 0;
}

static int load_embedded(struct gr_cred_types *set, struct gr_str name, struct gr_err *err)
{
    for (size_t i = 0; i < gr__metadata_embedded_count; i++) {
        const struct gr__metadata_embedded *f = &gr__metadata_embedded[i];

        if (!gr_str_eq_c(name, f->set))
            continue;
        if (load_one(set, f->name, (struct gr_str){ f->text, f->len }, err) < 0)
            return -1;
    }
    return 0;
}

static bool embedded(struct gr_str name)
{
    for (size_t i = 0; i < gr__metadata_embedded_count; i++) {
        if (gr_str_eq_c(name, gr__metadata_embedded[i].set))
            return true;
    }
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of `dir` that are not hidden, sorted; at most GR_MAX_CRED_TYPES. */
static int list_dir(const char *dir, char ***names, size_t *n, struct gr_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (d == NULL) {
        gr_fail(err, GR_ERR_IO, "The credential types directory %s cannot be read.",
                shown(dir, "given"));
        return gr_err_cause(err, "%s: %s", dir, strerror(errno));
    }
    *names = gr__xcalloc(GR_MAX_CRED_TYPES, sizeof(**names));
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == GR_MAX_CRED_TYPES)
            rc = gr_fail(err, GR_ERR_TOO_LARGE, "The directory holds more than %d .json files.",
                         GR_MAX_CRED_TYPES);
        else
            (*names)[(*n)++] = gr__xstrndup(e->d_name, len);
    }
    closedir(d);
    qsort(*names, *n, sizeof(**names), by_name);
    return rc;
}

static int load_file(struct gr_cred_types *set, const char *dir, const char *name,
                     struct gr_err *err)
{
    struct gr_buf path, text;
    struct stat st;
    int rc = 0;

    gr_buf_init(&path, GR_BUF_UNBOUNDED);
    gr_buf_init(&text, GR_MAX_CRED_TYPE_LEN);
    gr_buf_printf(&path, "%s/%s", dir, name);
    /* Only files (or links to them): a directory called x.json is not a type. */
    if (stat(path.data, &st) != 0 || S_ISREG(st.st_mode)) {
        rc = gr__read_file(path.data, GR_MAX_CRED_TYPE_LEN, &text, err);
        if (rc == 0)
            rc = load_one(set, name, gr_buf_str(&text), err);
        if (rc < 0 && err->cause[0] == '\0')
            gr_err_cause(err, "%s", path.data);
    }
    gr_buf_release(&text);
    gr_buf_release(&path);
    return rc;
}

static int load_dir(struct gr_cred_types *set, struct gr_str dir, struct gr_err *err)
{
    char *path = NULL, **names = NULL;
    size_t n = 0;
    int rc = -1;

    if (dir.len == 0 || dir.len > 4096 || memchr(dir.p, 0, dir.len)) {
        gr_fail(err, GR_ERR_USAGE, "The credential types directory is not a usable path.");
        return -1;
    }
    path = gr__xstrndup(dir.p, dir.len);
    if (list_dir(path, &names, &n, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (load_file(set, path, names[i], err) < 0)
            goto out;
    }
    if (set->n == 0) {
        gr_fail(err, GR_ERR_IO, "The credential types directory %s holds no .json files.",
                shown(path, "given"));
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(path);
    return rc;
}

/* see metadata.h */
struct gr_cred_types *gr_cred_types_load(struct gr_str dir_or_set, struct gr_err *err)
{
    struct gr_cred_types *set = gr__xcalloc(1, sizeof(*set));
    int rc;

    if (embedded(dir_or_set))
        rc = load_embedded(set, dir_or_set, err);
    else
        rc = load_dir(set, dir_or_set, err);
    if (rc < 0) {
        gr_cred_types_free(set);
        return NULL;
    }
    return set;
}

/* see metadata.h */
struct gr_cred_types *gr_cred_types_parse(const struct gr_str *texts, size_t n, struct gr_err *err)
{
    struct gr_cred_types *set;

    if (n == 0 || texts == NULL) {
        gr_fail(err, GR_ERR_USAGE, "A set of credential types needs at least one type.");
        return NULL;
    }
    set = gr__xcalloc(1, sizeof(*set));
    for (size_t i = 0; i < n; i++) {
        char name[32];

        snprintf(name, sizeof(name), "texts[%zu]", i);
        if (load_one(set, name, texts[i], err) < 0) {
            gr_cred_types_free(set);
            return NULL;
        }
    }
    return set;
}

/* see metadata.h */
void gr_cred_types_free(struct gr_cred_types *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++)
        gr__cred_type_release(&set->types[i]);
    free(set->types);
    free(set);
}

/* see metadata.h */
size_t gr_cred_types_count(const struct gr_cred_types *set)
{
    return set->n;
}

/* see metadata.h */
const struct gr_cred_type *gr_cred_types_at(const struct gr_cred_types *set, size_t i)
{
    return i < set->n ? &set->types[i] : NULL;
}

/* see metadata.h */
const struct gr_cred_type *gr_cred_types_get(const struct gr_cred_types *set, struct gr_str id)
{
    for (size_t i = 0; i < set->n; i++) {
        if (gr_str_eq(set->types[i].id, id))
            return &set->types[i];
    }
    return NULL;
}

/* see metadata.h */
const struct gr_cred_type *gr_cred_types_by_vct(const struct gr_cred_types *set, struct gr_str vct)
{
    for (size_t i = 0; i < set->n; i++) {
        if (gr_str_eq(set->types[i].vct, vct))
            return &set->types[i];
    }
    return NULL;
}

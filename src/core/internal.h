#ifndef GR_CORE_INTERNAL_H
#define GR_CORE_INTERNAL_H

/* What the modules of libgramota share and the public API does not show. */

#include <jansson.h>

#include <gramota/buf.h>
#include <gramota/err.h>
#include <gramota/limits.h>

/* Allocation that never returns NULL: running out of memory logs and aborts. */
void *gr__xmalloc(size_t size);
void *gr__xcalloc(size_t n, size_t size);
void *gr__xrealloc(void *p, size_t size);
char *gr__xstrndup(const char *s, size_t len);

/*
 * `bytes` (at most 64) from the CSPRNG as base64url, NUL-terminated in `out`
 * (gr_b64url_len(bytes) + 1 characters): the random ids of offers and status
 * lists, and gr_secret_new()'s secrets. -1 with CRYPTO when the CSPRNG fails.
 */
int gr__random_b64url(size_t bytes, char *out, struct gr_err *err);

/*
 * Parse `in` as JSON of type `want` (JSON_OBJECT, JSON_ARRAY, or -1 for any):
 * at most `max` bytes, nesting at most GR_MAX_JSON_DEPTH, duplicate members
 * rejected, no NUL in strings. `what` names the input in the error sentence
 * ("The DPoP proof header"). Codes: MALFORMED, TOO_LARGE.
 */
json_t *gr__json_parse(struct gr_str in, size_t max, int want, const char *what,
                       struct gr_err *err);

/*
 * The json_t behind a public `struct gr_json *` (jws.h: the type is
 * incomplete outside the library), and a json_t hidden behind one.
 */
struct gr_json;

static inline json_t *gr__json_t(struct gr_json *j)
{
    return (json_t *)(void *)j;
}

static inline struct gr_json *gr__json_hide(json_t *v)
{
    return (struct gr_json *)(void *)v;
}

/* A string member as a view borrowed from `obj`; .p NULL when absent or not a string. */
struct gr_str gr__json_str(const json_t *obj, const char *key);
/* A string value as a view borrowed from `v`. */
struct gr_str gr__json_strv(const json_t *v);

/* Append `v` as JSON: compact (",", ":") or spaced (", ", ": "), UTF-8 unescaped. */
void gr__json_dump(const json_t *v, bool spaced, struct gr_buf *out);
/* Append `s` as a JSON string literal, quotes included: gr_buf_add_json_string(). */
static inline void gr__json_quote(struct gr_str s, struct gr_buf *out)
{
    gr_buf_add_json_string(out, s);
}

/*
 * SHA-256 with a context reused across many small digests: EVP_Digest() makes
 * and frees a context on every call, which costs more than hashing a
 * disclosure. gr__sha256_ctx_new() aborts on allocation failure like gr__xmalloc.
 */
typedef struct evp_md_ctx_st gr_sha256_ctx;
gr_sha256_ctx *gr__sha256_ctx_new(void);
void gr__sha256_ctx_free(gr_sha256_ctx *ctx);
void gr__sha256(gr_sha256_ctx *ctx, const void *data, size_t len, uint8_t out[32]);

/* The value of a hexadecimal digit, or -1. */
static inline int gr__hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte the "%XX" escape at s.p[i] stands for, or -1 when it is cut short or not hex. */
static inline int gr__pct_byte(struct gr_str s, size_t i)
{
    int hi = i + 2 < s.len ? gr__hex_value(s.p[i + 1]) : -1;
    int lo = i + 2 < s.len ? gr__hex_value(s.p[i + 2]) : -1;

    return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

/*
 * No partial output on failure (buf.h): a public call that appends to the
 * caller's buffer marks it on entry, and on failure puts it back to the mark,
 * length, contents and failed flag alike. The memory it grew stays allocated.
 */
struct gr__buf_mark {
    size_t len;
    bool failed;
};

static inline struct gr__buf_mark gr__buf_mark(const struct gr_buf *b)
{
    return (struct gr__buf_mark){ b->len, b->failed };
}

/* Put `b` back as it was at `m`; returns -1, to end a failure. */
static inline int gr__buf_restore(struct gr_buf *b, struct gr__buf_mark m)
{
    b->len = m.len;
    b->failed = m.failed;
    if (b->data != NULL)
        b->data[m.len] = '\0';
    return -1;
}

/* Read a whole file of at most `max` bytes. Codes: IO, TOO_LARGE. */
int gr__read_file(const char *path, size_t max, struct gr_buf *out, struct gr_err *err);

#endif

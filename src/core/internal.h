#ifndef GR_CORE_INTERNAL_H
#define GR_CORE_INTERNAL_H

/* What the modules of libgramota share and the public API does not show. */

#include <jansson.h>

#include <gramota/buf.h>
#include <gramota/err.h>

#include "core/limits.h"

/* Allocation that never returns NULL: running out of memory logs and aborts. */
void *gr__xmalloc(size_t size);
void *gr__xcalloc(size_t n, size_t size);
void *gr__xrealloc(void *p, size_t size);
char *gr__xstrndup(const char *s, size_t len);

/*
 * Parse `in` as JSON of type `want` (JSON_OBJECT, JSON_ARRAY, or -1 for any):
 * at most `max` bytes, nesting at most GR_MAX_JSON_DEPTH, duplicate members
 * rejected, no NUL in strings. `what` names the input in the error sentence
 * ("The DPoP proof header"). Codes: MALFORMED, TOO_LARGE.
 */
json_t *gr__json_parse(struct gr_str in, size_t max, int want, const char *what,
                       struct gr_err *err);

/* A string member as a view borrowed from `obj`; .p NULL when absent or not a string. */
struct gr_str gr__json_str(const json_t *obj, const char *key);
/* A string value as a view borrowed from `v`. */
struct gr_str gr__json_strv(const json_t *v);

/* Append `v` as JSON: compact (",", ":") or spaced (", ", ": "), UTF-8 unescaped. */
void gr__json_dump(const json_t *v, bool spaced, struct gr_buf *out);
/* Append `s` as a JSON string literal, quotes included. */
void gr__json_quote(struct gr_str s, struct gr_buf *out);

/* Read a whole file of at most `max` bytes. Codes: IO, TOO_LARGE. */
int gr__read_file(const char *path, size_t max, struct gr_buf *out, struct gr_err *err);

#endif

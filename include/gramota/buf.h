#ifndef GRAMOTA_BUF_H
#define GRAMOTA_BUF_H

/*
 * Strings and growable buffers.
 *
 * `struct gr_str` is a borrowed view: a pointer and a length, never owned,
 * never assumed to be NUL-terminated. Parsers hand out views into their input.
 *
 * `struct gr_buf` is an owned, growable byte buffer with a hard size cap. An
 * append that would pass the cap marks the buffer as failed and is dropped;
 * every later append is a no-op, and gr_buf_check() reports the failure once,
 * where the caller is ready to handle it. Memory exhaustion is fatal (see
 * gr_xmalloc), so the cap is the only way an append can fail. The data is
 * always NUL-terminated when non-NULL, so it can be handed to C APIs.
 *
 * No partial output: a call of the library that appends to a buffer of yours
 * and reports failure (returns -1 or NULL) leaves it as it was when it fails,
 * the same length and contents, and failed only if it was before. Appends
 * that return nothing (these below, gr_jwk_to_json, ...) fail only by the cap,
 * which gr_buf_check() reports.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define GR_API          __attribute__((visibility("default")))
#define GR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GR_API
#define GR_PRINTF(f, a)
#endif

#define GR_NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct gr_err;

struct gr_str {
    const char *p;
    size_t len;
};

/* A view of a string literal. */
#define GR_STR(lit) ((struct gr_str){ "" lit, sizeof(lit) - 1 })

/* A view of a NUL-terminated string; NULL gives the empty view. */
GR_API struct gr_str gr_str_c(const char *s);
/*
 * Same length and bytes. Not constant time: gr_ct_str_equal() (crypto.h) is
 * for secrets. `b` of gr_str_eq_c is NUL-terminated; NULL is the empty view.
 */
GR_API bool gr_str_eq(struct gr_str a, struct gr_str b);
GR_API bool gr_str_eq_c(struct gr_str a, const char *b);

struct gr_buf {
    char *data; /* owned; NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;  /* hard cap on len */
    bool failed; /* an append passed max */
};

#define GR_BUF_UNBOUNDED SIZE_MAX

/* Start an empty buffer in the caller's storage that may grow to `max` bytes. */
GR_API void gr_buf_init(struct gr_buf *b, size_t max);
/*
 * Free the data; the buffer is empty and usable again (same max, not failed).
 * NULL is a no-op.
 */
GR_API void gr_buf_release(struct gr_buf *b);
/* Forget the contents and the failure, keep the memory. */
GR_API void gr_buf_reset(struct gr_buf *b);

/*
 * Append `len` bytes, one char, a NUL-terminated string, a view, or printf
 * output. The input is borrowed and copied. An append that would pass `max`
 * is dropped whole and marks the buffer failed (see above); none reports
 * anything itself: call gr_buf_check() when done.
 */
GR_API void gr_buf_add(struct gr_buf *b, const void *p, size_t len);
GR_API void gr_buf_addc(struct gr_buf *b, char c);
GR_API void gr_buf_adds(struct gr_buf *b, const char *s);
GR_API void gr_buf_addstr(struct gr_buf *b, struct gr_str s);
GR_API void gr_buf_printf(struct gr_buf *b, const char *fmt, ...) GR_PRINTF(2, 3);
/*
 * Reserve room for `len` more bytes plus a NUL and return where they go
 * (b->data + b->len). b->len does not move: the caller writes, adds what it
 * wrote to b->len and stores the NUL at b->data[b->len]. NULL once the buffer
 * has failed, or when `len` would pass `max` (which fails it). The pointer is
 * good until the next append.
 */
GR_API char *gr_buf_grow(struct gr_buf *b, size_t len);

/* 0, or -1 with TOO_LARGE when an append passed the cap. */
GR_API int gr_buf_check(const struct gr_buf *b, struct gr_err *err);

/* A view of the contents, borrowed from the buffer. */
GR_API struct gr_str gr_buf_str(const struct gr_buf *b);

/*
 * Hand the data to the caller, NUL-terminated, never NULL (an empty buffer
 * gives a fresh ""): free() it. `*len` gets the length when `len` is not
 * NULL. The buffer is left empty, not failed, and usable again.
 */
GR_API char *gr_buf_take(struct gr_buf *b, size_t *len);

/*
 * Append `s` as a JSON string literal (RFC 8259 §7), quotes included: `"` and
 * `\` escaped, control characters as \b \f \n \r \t or \u00XX (upper-case
 * hex), every other byte, UTF-8 included, as it is. These are the bytes
 * jansson's encoder writes for the same string, so JSON built by hand and JSON
 * dumped by jansson agree. `s` is bytes: a NUL is written as \u0000, invalid
 * UTF-8 is not looked for (check it where the text comes in). Like every
 * append it fails only by passing the buffer's cap, reported by gr_buf_check().
 */
GR_API void gr_buf_add_json_string(struct gr_buf *b, struct gr_str s);

/*
 * Append `s` percent-encoded for a URL query value (RFC 3986 §2.1): the
 * unreserved characters (§2.3) as they are, every other byte %XX with
 * upper-case hex (a space is %20, not '+'). Like every append it fails only
 * by passing the buffer's cap, reported by gr_buf_check().
 */
GR_API void gr_buf_add_urlencoded(struct gr_buf *b, struct gr_str s);

#endif

#include <gramota/buf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* see buf.h */
struct gr_str gr_str_c(const char *s)
{
    if (s == NULL)
        return (struct gr_str){ "", 0 };
    return (struct gr_str){ s, strlen(s) };
}

/* see buf.h */
bool gr_str_eq(struct gr_str a, struct gr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* see buf.h */
bool gr_str_eq_c(struct gr_str a, const char *b)
{
    return gr_str_eq(a, gr_str_c(b));
}

/* see buf.h */
void gr_buf_init(struct gr_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

/* see buf.h */
void gr_buf_release(struct gr_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

/* see buf.h */
void gr_buf_reset(struct gr_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

/* see buf.h */
char *gr_buf_grow(struct gr_buf *b, size_t len)
{
    size_t need;

    if (b->failed)
        return NULL;
    if (len > b->max - b->len) {
        b->failed = true;
        return NULL;
    }
    need = b->len + len + 1; /* the NUL */
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;

        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        b->data = gr__xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

/* see buf.h */
void gr_buf_add(struct gr_buf *b, const void *p, size_t len)
{
    char *dst = gr_buf_grow(b, len);

    if (dst == NULL)
        return;
    if (len)
        memcpy(dst, p, len);
    b->len += len;
    b->data[b->len] = '\0';
}

/* see buf.h */
void gr_buf_addc(struct gr_buf *b, char c)
{
    gr_buf_add(b, &c, 1);
}

/* see buf.h */
void gr_buf_adds(struct gr_buf *b, const char *s)
{
    gr_buf_add(b, s, strlen(s));
}

/* see buf.h */
void gr_buf_addstr(struct gr_buf *b, struct gr_str s)
{
    gr_buf_add(b, s.p, s.len);
}

/* see buf.h */
void gr_buf_printf(struct gr_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *dst;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    dst = gr_buf_grow(b, (size_t)n);
    if (dst == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* see buf.h */
int gr_buf_check(const struct gr_buf *b, struct gr_err *err)
{
    if (b->failed)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The data is larger than %zu bytes.", b->max);
    return 0;
}

/* see buf.h */
struct gr_str gr_buf_str(const struct gr_buf *b)
{
    return (struct gr_str){ b->data ? b->data : "", b->len };
}

/* see buf.h */
char *gr_buf_take(struct gr_buf *b, size_t *len)
{
    char *p = b->data ? b->data : gr__xstrndup("", 0);

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
    return p;
}

/* see buf.h */
void gr_buf_add_urlencoded(struct gr_buf *b, struct gr_str s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            gr_buf_addc(b, (char)c);
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

            gr_buf_add(b, esc, 3);
        }
    }
}

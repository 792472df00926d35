#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Out of memory is fatal (STYLE §2.4): every outside length is capped in
 * limits.h, so exhaustion means the machine is in trouble, and unwinding every
 * caller for it would put error paths everywhere that no test reaches.
 */
static void oom(size_t size)
{
    fprintf(stderr, "gramota: out of memory allocating %zu bytes\n", size);
    abort();
}

void *gr__xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        oom(size);
    return p;
}

void *gr__xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        oom(n * size);
    return p;
}

void *gr__xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (q == NULL)
        oom(size);
    return q;
}

char *gr__xstrndup(const char *s, size_t len)
{
    char *p = gr__xmalloc(len + 1);

    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int gr__read_file(const char *path, size_t max, struct gr_buf *out, struct gr_err *err)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    int rc = -1;

    if (f == NULL) {
        gr_fail(err, GR_ERR_IO, "The file %.80s cannot be opened.", path);
        return gr_err_cause(err, "%s", strerror(errno));
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (out->len + n > max) {
            gr_fail(err, GR_ERR_TOO_LARGE, "The file %.80s is larger than %zu bytes.", path, max);
            goto out;
        }
        gr_buf_add(out, chunk, n);
    }
    if (ferror(f)) {
        gr_fail(err, GR_ERR_IO, "The file %.80s cannot be read.", path);
        goto out;
    }
    rc = gr_buf_check(out, err);
out:
    fclose(f);
    return rc;
}

#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gramota/err.h>

/* see cmd.h */
int cmd_fail(const char *what, const struct gr_err *err)
{
    fprintf(stderr, "gramota: %s: %s\n", what, err->desc);
    if (err->cause[0])
        fprintf(stderr, "gramota: (%s)\n", err->cause);
    return 1;
}

/* see cmd.h */
int cmd_read(const char *path, size_t max, struct gr_buf *out, struct gr_err *err)
{
    char chunk[4096];
    size_t n;

    if (strcmp(path, "-") != 0)
        return cmd_read_file(path, max, out, err);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (out->len + n > max)
            return gr_fail(err, GR_ERR_TOO_LARGE, "The input is larger than %zu bytes.", max);
        gr_buf_add(out, chunk, n);
    }
    return gr_buf_check(out, err);
}

/* see cmd.h */
int cmd_write(const char *path, struct gr_str data, int mode, bool force, struct gr_err *err)
{
    int flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL);
    int fd;
    ssize_t w;

    if (strcmp(path, "-") == 0)
        return fwrite(data.p, 1, data.len, stdout) == data.len
                   ? 0
                   : gr_fail(err, GR_ERR_IO, "Standard output cannot be written.");
    fd = open(path, flags, mode);
    if (fd < 0) {
        gr_fail(err, GR_ERR_IO, "%.80s cannot be created%s.", path,
                errno == EEXIST ? ": it exists (--force replaces it)" : "");
        return gr_err_cause(err, "%s", strerror(errno));
    }
    w = write(fd, data.p, data.len);
    if (close(fd) != 0 || w != (ssize_t)data.len)
        return gr_fail(err, GR_ERR_IO, "%.80s cannot be written.", path);
    return 0;
}

/* see cmd.h */
bool cmd_int(const char *opt, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "gramota: %s wants a whole number from %lld to %lld, not '%s'\n", opt,
                (long long)min, (long long)max, text);
        return false;
    }
    *out = v;
    return true;
}

/*
 * Out of memory is fatal (STYLE §2.4): every outside length is capped
 * (gramota/limits.h), so exhaustion means the machine is in trouble, and
 * unwinding every caller for it would put error paths everywhere that no test
 * reaches.
 */
static void oom(size_t size)
{
    fprintf(stderr, "gramota: out of memory allocating %zu bytes\n", size);
    abort();
}

/* see cmd.h */
void *cmd_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        oom(size);
    return p;
}

/* see cmd.h */
void *cmd_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        oom(n * size);
    return p;
}

/* see cmd.h */
char *cmd_xstrndup(const char *s, size_t len)
{
    char *p = cmd_xmalloc(len + 1);

    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* see cmd.h */
int cmd_read_file(const char *path, size_t max, struct gr_buf *out, struct gr_err *err)
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

static int dump_to_buf(const char *p, size_t len, void *ctx)
{
    gr_buf_add(ctx, p, len);
    return 0;
}

/*
 * see cmd.h. jansson's encoder writes the same bytes as the library's for
 * everything but reals (17 digits here, the shortest round trip there); the
 * daemon dumps only claim names and paths, or a body the library re-reads.
 */
void cmd_json_dump(const json_t *v, struct gr_buf *out)
{
    json_dump_callback(v, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

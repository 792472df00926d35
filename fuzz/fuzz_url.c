/*
 * URL normalization. Invariants: a failure is MALFORMED or TOO_LARGE, with a
 * sentence fit for error_description, and leaves the output buffer as it was;
 * a success appends an absolute http(s) URL with a host and a path, of
 * printable ASCII without spaces, at most one byte longer than the input, that
 * is its own normal form: normalize(normalize(x)) == normalize(x). Cutting the
 * query first never turns a good URL bad, and leaves neither '?' nor '#'.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "oid4vci/internal.h"

static void check_sentence(const struct gr_err *err)
{
    size_t n = strlen(err->desc);

    assert(n > 0 && err->desc[n - 1] == '.');
    assert(strchr(err->desc, '"') == NULL && strchr(err->desc, '\\') == NULL);
}

static void check_url(struct gr_str u)
{
    size_t start = strncmp(u.p, "https://", 8) == 0 ? 8 : 7, host_end = start;

    assert(start == 8 || strncmp(u.p, "http://", 7) == 0);
    while (host_end < u.len && u.p[host_end] != '/') {
        host_end++;
    }
    assert(host_end < u.len);                      /* a path, at least "/" */
    assert(host_end > start && u.p[start] != ':'); /* a host */
    for (size_t i = 0; i < u.len; i++) {
        assert(u.p[i] > 0x20 && u.p[i] < 0x7f);
    }
    for (size_t i = start; i < host_end; i++) {
        bool hex = u.p[i - 1] == '%' || u.p[i - 2] == '%';

        assert(!(u.p[i] >= 'A' && u.p[i] <= 'Z') || hex); /* the host in lower case */
    }
}

static void check_normalize(struct gr_str in)
{
    struct gr_buf out, again;
    struct gr_err err;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_init(&again, GR_BUF_UNBOUNDED);
    gr_buf_adds(&out, "x");
    if (gr__url_normalize(in, &out, &err) < 0) {
        assert(err.code == GR_ERR_MALFORMED || err.code == GR_ERR_TOO_LARGE);
        check_sentence(&err);
        assert(out.len == 1 && out.data[0] == 'x');
    } else {
        struct gr_str u = { out.data + 1, out.len - 1 };

        assert(in.len <= GR__URL_MAX && u.len <= in.len + 1);
        check_url(u);
        assert(gr__url_normalize(u, &again, &err) == 0);
        assert(gr_str_eq(gr_buf_str(&again), u));
    }
    gr_buf_release(&out);
    gr_buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr_str cut = gr__url_strip_query(in);
    struct gr_buf a, b;
    struct gr_err err;

    assert(cut.p == in.p && cut.len <= in.len);
    assert(memchr(cut.p, '?', cut.len) == NULL && memchr(cut.p, '#', cut.len) == NULL);
    check_normalize(in);
    check_normalize(cut);
    gr_buf_init(&a, GR_BUF_UNBOUNDED);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    if (gr__url_normalize(in, &a, &err) == 0) {
        /* The query of a good URL does not decide whether the rest is good. */
        assert(gr__url_normalize(cut, &b, &err) == 0);
        assert(b.len <= a.len && memcmp(a.data, b.data, b.len) == 0);
    }
    gr_buf_release(&a);
    gr_buf_release(&b);
    return 0;
}

/*
 * URL normalization (RFC 3986 §6.2.2, §6.2.3) for the comparisons DPoP asks
 * for (RFC 9449 §4.3 step 9): two spellings of one http(s) URL get the same
 * bytes. Only absolute http and https URLs with a host are read; anything RFC
 * 3986 does not allow is refused rather than repaired.
 */
#include "oid4vci/internal.h"

#include <string.h>

#include <gramota/err.h>

/* Room for a normalized URL: never longer than its input plus the "/" of an empty path. */
#define OUT_MAX (GR__URL_MAX + 1)

struct out {
    char p[OUT_MAX];
    size_t len;
};

static void put(struct out *o, char c)
{
    o->p[o->len++] = c; /* bounded: see OUT_MAX */
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 3986 §2.3 */
static bool is_unreserved(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 §2.2 */
static bool is_sub_delim(char c)
{
    return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/*
 * Copy one component: each byte must be unreserved, a sub-delim, one of
 * `extra`, or a percent-encoding. An encoded unreserved character is decoded
 * (§6.2.2.2), any other encoding gets upper-case hex (§6.2.2.1); with `fold`
 * (the host, §6.2.2.1) letters outside encodings go to lower case as well.
 */
static int copy_part(struct gr_str s, const char *extra, bool fold, struct out *o,
                     struct gr_err *err)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        int hi, lo;

        if (c != '%') {
            if (!is_unreserved(c) && !is_sub_delim(c) && (c == '\0' || !strchr(extra, c)))
                return gr_fail(err, GR_ERR_MALFORMED,
                               "The URL holds a character that is not allowed there.");
            put(o, fold ? lower(c) : c);
            continue;
        }
        if (i + 2 >= s.len)
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has a broken percent-encoding.");
        hi = gr__hex_value(s.p[i + 1]);
        lo = gr__hex_value(s.p[i + 2]);
        if (hi < 0 || lo < 0)
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has a broken percent-encoding.");
        c = (char)(hi << 4 | lo);
        if (is_unreserved(c)) {
            put(o, fold ? lower(c) : c);
        } else {
            put(o, '%');
            put(o, hex[hi]);
            put(o, hex[lo]);
        }
        i += 2;
    }
    return 0;
}

/* The scheme (§3.1, case-insensitive): "http" or "https"; `*port` gets its default. */
static int scheme(struct gr_str in, size_t *pos, unsigned *port, struct out *o, struct gr_err *err)
{
    size_t i = 0;

    while (i < in.len && i < 6 && is_alpha(in.p[i])) {
        i++;
    }
    if (i == 4 || i == 5) {
        char s[6] = { 0 };

        for (size_t k = 0; k < i; k++) {
            s[k] = lower(in.p[k]);
        }
        if (i < in.len && in.p[i] == ':' && (strcmp(s, "http") == 0 || strcmp(s, "https") == 0)) {
            *port = i == 4 ? 80 : 443;
            memcpy(o->p, s, i);
            o->len = i;
            *pos = i + 1;
            return 0;
        }
    }
    return gr_fail(err, GR_ERR_MALFORMED, "The URL is not an http or https URL.");
}

/* A port (§3.2.3) as a number in 1..65535; 0 for an empty one. */
static int port_number(struct gr_str s, unsigned *port, struct gr_err *err)
{
    unsigned v = 0;

    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.p[i]))
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has a port that is not a number.");
        v = v * 10 + (unsigned)(s.p[i] - '0');
        if (v > 65535)
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has a port past 65535.");
    }
    if (s.len > 0 && v == 0)
        return gr_fail(err, GR_ERR_MALFORMED, "The URL has port zero.");
    *port = v;
    return 0;
}

/* An IP-literal (§3.2.2): IPv6 characters only; IPvFuture and zone identifiers are refused. */
static int ip_literal(struct gr_str host, struct out *o, struct gr_err *err)
{
    bool colon = false;

    for (size_t i = 1; i + 1 < host.len; i++) {
        char c = host.p[i];

        if (gr__hex_value(c) < 0 && c != ':' && c != '.')
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has an invalid IPv6 address.");
        colon = colon || c == ':';
    }
    if (!colon)
        return gr_fail(err, GR_ERR_MALFORMED, "The URL has an invalid IPv6 address.");
    for (size_t i = 0; i < host.len; i++) {
        put(o, lower(host.p[i]));
    }
    return 0;
}

/*
 * The authority (§3.2): "//" host [":" port], no userinfo. The port is written
 * only when it is not the scheme's default (§6.2.3).
 */
static int authority(struct gr_str in, size_t *pos, unsigned default_port, struct out *o,
                     struct gr_err *err)
{
    size_t start = *pos + 2, end = start, host_end;
    struct gr_str host;
    unsigned port = 0;

    if (in.len < start || memcmp(in.p + *pos, "//", 2) != 0)
        return gr_fail(err, GR_ERR_MALFORMED, "The URL has no host.");
    while (end < in.len && in.p[end] != '/' && in.p[end] != '?' && in.p[end] != '#') {
        end++;
    }
    if (memchr(in.p + start, '@', end - start) != NULL)
        return gr_fail(err, GR_ERR_MALFORMED, "The URL carries user information.");
    host_end = start;
    if (start < end && in.p[start] == '[') {
        const char *close = memchr(in.p + start, ']', end - start);

        host_end = close ? (size_t)(close - in.p) + 1 : end + 1;
        if (close == NULL || (host_end < end && in.p[host_end] != ':'))
            return gr_fail(err, GR_ERR_MALFORMED, "The URL has an invalid IPv6 address.");
    } else {
        while (host_end < end && in.p[host_end] != ':') {
            host_end++;
        }
    }
    host = (struct gr_str){ in.p + start, host_end - start };
    if (host.len == 0)
        return gr_fail(err, GR_ERR_MALFORMED, "The URL has no host.");
    if (host_end < end &&
        port_number((struct gr_str){ in.p + host_end + 1, end - host_end - 1 }, &port, err) < 0)
        return -1;
    put(o, ':');
    put(o, '/');
    put(o, '/');
    if (host.p[0] == '[' ? ip_literal(host, o, err) < 0 : copy_part(host, "", true, o, err) < 0)
        return -1;
    if (port != 0 && port != default_port) {
        char digits[8];
        int n = 0;

        while (port > 0) {
            digits[n++] = (char)('0' + port % 10);
            port /= 10;
        }
        put(o, ':');
        while (n > 0) {
            put(o, digits[--n]);
        }
    }
    *pos = end;
    return 0;
}

/*
 * Remove dot-segments (§5.2.4) from the absolute path p[0..len), in place: each
 * "/seg" is kept, "." dropped, ".." drops the segment before it, and a path
 * ending in "." or ".." keeps its trailing "/". Returns the new length (>= 1).
 */
static size_t remove_dots(char *p, size_t len)
{
    size_t w = 0, r = 0;

    while (r < len) {
        size_t s = r + 1, e = s;
        bool dot, dotdot;

        while (e < len && p[e] != '/') {
            e++;
        }
        dot = e - s == 1 && p[s] == '.';
        dotdot = e - s == 2 && p[s] == '.' && p[s + 1] == '.';
        if (dotdot) {
            while (w > 0 && p[--w] != '/') {
            }
        }
        if (dot || dotdot) {
            if (e == len)
                p[w++] = '/';
        } else {
            p[w++] = '/';
            memmove(p + w, p + s, e - s); /* w <= r: the output never outruns the input */
            w += e - s;
        }
        r = e;
    }
    if (w == 0)
        p[w++] = '/';
    return w;
}

/* see internal.h */
struct gr_str gr__url_strip_query(struct gr_str url)
{
    size_t i = 0;

    while (i < url.len && url.p[i] != '?' && url.p[i] != '#') {
        i++;
    }
    return (struct gr_str){ url.p, i };
}

/* Path, query and fragment (§3.3-3.5) from `pos` on. */
static int rest(struct gr_str in, size_t pos, struct out *o, struct gr_err *err)
{
    size_t path_end = pos, query_end, path_start = o->len;

    while (path_end < in.len && in.p[path_end] != '?' && in.p[path_end] != '#') {
        path_end++;
    }
    if (copy_part((struct gr_str){ in.p + pos, path_end - pos }, ":@/", false, o, err) < 0)
        return -1;
    /* §6.2.3: an empty path is "/"; the path of an http(s) URL with a host starts with "/". */
    o->len = path_start + remove_dots(o->p + path_start, o->len - path_start);
    if (path_end == in.len)
        return 0;
    query_end = path_end;
    if (in.p[path_end] == '?') {
        query_end = path_end + 1;
        while (query_end < in.len && in.p[query_end] != '#') {
            query_end++;
        }
        put(o, '?');
        if (copy_part((struct gr_str){ in.p + path_end + 1, query_end - path_end - 1 }, ":@/?",
                      false, o, err) < 0)
            return -1;
    }
    if (query_end == in.len)
        return 0;
    put(o, '#');
    return copy_part((struct gr_str){ in.p + query_end + 1, in.len - query_end - 1 }, ":@/?", false,
                     o, err);
}

/* see internal.h */
int gr__url_normalize(struct gr_str in, struct gr_buf *out, struct gr_err *err)
{
    struct out o;
    size_t pos = 0;
    unsigned default_port = 0;

    if (in.len > GR__URL_MAX)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The URL is longer than %d bytes.", GR__URL_MAX);
    o.len = 0;
    if (scheme(in, &pos, &default_port, &o, err) < 0 ||
        authority(in, &pos, default_port, &o, err) < 0 || rest(in, pos, &o, err) < 0)
        return -1;
    gr_buf_add(out, o.p, o.len);
    return 0;
}

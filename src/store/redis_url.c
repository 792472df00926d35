/*
 * redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], as redis-cli and the client
 * libraries read it (IANA's redis URI scheme): HOST a name, an IPv4 address
 * or a bracketed IPv6 one; USER and PASSWORD percent-decoded; DB a number.
 * And unix://[[USER]:PASSWORD@]/PATH[?db=DB], a Redis on this machine's Unix
 * socket, as redis-py reads it: PATH absolute and percent-decoded, db the one
 * query parameter. Anything else (another query, a fragment, a path that is
 * no number) is refused rather than ignored, so that an operator's typo does
 * not go unnoticed.
 */
#include "store/redis_internal.h"

#include <string.h>

/* Percent-decode `in` into `out` (cap bytes with its NUL); false when malformed or too long. */
static bool decode(struct gr_str in, char *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];

        if (c == '%') {
            int b = gr__pct_byte(in, i);

            if (b < 0)
                return false;
            c = (char)b;
            i += 2;
        }
        if (c == '\0' || n + 1 >= cap)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return true;
}

/* A decimal number from 0 to `max`, all of `s`. */
static bool number(struct gr_str s, long max, long *out)
{
    long v = 0;

    if (s.len == 0 || s.len > 10)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return v <= max;
}

static int bad(struct gr_err *err, const char *what)
{
    return gr_fail(err, GR_ERR_USAGE, "The Redis URL %s.", what);
}

/* USER:PASSWORD, percent-decoded into `out`. */
static int userinfo(struct gr_str info, struct gr__redis_url *out, struct gr_err *err)
{
    const char *colon = memchr(info.p, ':', info.len);

    if (colon == NULL)
        return bad(err, "names a user without a password (user:password@)");
    if (!decode((struct gr_str){ info.p, (size_t)(colon - info.p) }, out->user,
                sizeof(out->user)) ||
        !decode((struct gr_str){ colon + 1, (size_t)(info.p + info.len - colon - 1) },
                out->password, sizeof(out->password)) ||
        out->password[0] == '\0')
        return bad(err, "has a malformed, empty or overlong user or password");
    return 0;
}

/* unix://[[USER]:PASSWORD@]/PATH[?db=DB], `rest` being what follows unix://. */
static int unix_url(struct gr_str rest, struct gr__redis_url *out, struct gr_err *err)
{
    const char *slash = memchr(rest.p, '/', rest.len), *query;
    struct gr_str path;
    long v;

    if (memchr(rest.p, '#', rest.len))
        return bad(err, "takes no fragment");
    if (slash == NULL)
        return bad(err, "needs the socket's absolute path (unix:///path)");
    /* Before the path, only a user and password: a Unix socket has no host. */
    if (slash > rest.p) {
        if (slash[-1] != '@')
            return bad(err, "has a host; a unix:// URL names a socket (unix:///path)");
        if (userinfo((struct gr_str){ rest.p, (size_t)(slash - 1 - rest.p) }, out, err) < 0)
            return -1;
    }
    path = (struct gr_str){ slash, (size_t)(rest.p + rest.len - slash) };
    if ((query = memchr(path.p, '?', path.len)) != NULL) {
        struct gr_str q = { query + 1, (size_t)(path.p + path.len - query - 1) };

        if (q.len < 3 || memcmp(q.p, "db=", 3) != 0 ||
            !number((struct gr_str){ q.p + 3, q.len - 3 }, 1 << 20, &v))
            return bad(err, "takes only db=NUMBER as its query");
        out->db = (int)v;
        path.len = (size_t)(query - path.p);
    }
    if (!decode(path, out->socket, sizeof(out->socket)) || out->socket[0] != '/' ||
        out->socket[1] == '\0')
        return bad(err, "needs the socket's absolute path, at most 107 bytes");
    out->port = 0;
    return 0;
}

/* see redis_internal.h */
int gr__redis_url_parse(struct gr_str url, struct gr__redis_url *out, struct gr_err *err)
{
    static const char unix_scheme[] = "unix://";
    static const char scheme[] = "redis://";
    struct gr_str auth, host, port = { NULL, 0 }, path = { NULL, 0 };
    const char *slash, *at = NULL, *colon;
    long v;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (url.len >= sizeof(unix_scheme) - 1 &&
        memcmp(url.p, unix_scheme, sizeof(unix_scheme) - 1) == 0) {
        struct gr_str rest = { url.p + sizeof(unix_scheme) - 1,
                               url.len - (sizeof(unix_scheme) - 1) };
        int rc = unix_url(rest, out, err);

        if (rc < 0) { /* nothing half-parsed */
            memset(out, 0, sizeof(*out));
            out->port = 6379;
        }
        return rc;
    }
    if (url.len < sizeof(scheme) - 1 || memcmp(url.p, scheme, sizeof(scheme) - 1) != 0)
        return bad(err, "must start with redis:// or unix://");
    auth = (struct gr_str){ url.p + sizeof(scheme) - 1, url.len - (sizeof(scheme) - 1) };
    if (memchr(auth.p, '?', auth.len) || memchr(auth.p, '#', auth.len))
        return bad(err, "takes no query and no fragment");
    slash = memchr(auth.p, '/', auth.len);
    if (slash != NULL) {
        path = (struct gr_str){ slash + 1, (size_t)(auth.p + auth.len - slash - 1) };
        auth.len = (size_t)(slash - auth.p);
    }
    /* The userinfo ends at the last '@': a password may hold one, percent-encoded or not. */
    for (size_t i = 0; i < auth.len; i++) {
        if (auth.p[i] == '@')
            at = auth.p + i;
    }
    host = auth;
    if (at != NULL) {
        if (userinfo((struct gr_str){ auth.p, (size_t)(at - auth.p) }, out, err) < 0)
            return -1;
        host = (struct gr_str){ at + 1, (size_t)(auth.p + auth.len - at - 1) };
    }
    if (host.len > 0 && host.p[0] == '[') {
        const char *close = memchr(host.p, ']', host.len);

        if (close == NULL)
            return bad(err, "has an unclosed [IPv6 address]");
        if (close + 1 < host.p + host.len) {
            if (close[1] != ':')
                return bad(err, "has something after its [IPv6 address]");
            port = (struct gr_str){ close + 2, (size_t)(host.p + host.len - close - 2) };
        }
        host = (struct gr_str){ host.p + 1, (size_t)(close - host.p - 1) };
    } else if ((colon = memchr(host.p, ':', host.len)) != NULL) {
        port = (struct gr_str){ colon + 1, (size_t)(host.p + host.len - colon - 1) };
        host.len = (size_t)(colon - host.p);
    }
    if (host.len == 0 || host.len >= sizeof(out->host))
        return bad(err, "needs a host");
    for (size_t i = 0; i < host.len; i++) {
        if (host.p[i] == '\0' || host.p[i] == '@' || host.p[i] == '%' || host.p[i] == ' ')
            return bad(err, "has a malformed host");
    }
    memcpy(out->host, host.p, host.len);
    if (port.p != NULL) {
        if (!number(port, 65535, &v) || v == 0)
            return bad(err, "has a port that is not 1 to 65535");
        out->port = (int)v;
    }
    if (path.len > 0) {
        if (!number(path, 1 << 20, &v))
            return bad(err, "path must be a database number");
        out->db = (int)v;
    }
    return 0;
}

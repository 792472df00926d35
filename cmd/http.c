/*
 * libmicrohttpd glue: one struct req per request, bodies capped while they
 * arrive, one place that turns an error into the specifications' JSON, one
 * log line per request when MHD says it is done.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <errno.h>
#include <netdb.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cmd.h"

#define CONNECTION_LIMIT        1024
#define PER_IP_CONNECTION_LIMIT 128
#define IDLE_TIMEOUT_SECONDS    30
#define HEADER_MEMORY_LIMIT     (32 * 1024) /* request line and headers, per connection */

void routes_dispatch(struct req *r); /* routes.c */

/* see server.h */
double http_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct header_count {
    const char *name;
    unsigned n;
    const char *first;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_count *hc = cls;

    (void)kind;
    if (strcasecmp(key, hc->name) == 0 && hc->n++ == 0)
        hc->first = value;
    return MHD_YES;
}

unsigned req_header_count(const struct req *r, const char *name)
{
    struct header_count hc = { name, 0, NULL };

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &hc);
    return hc.n;
}

const char *req_header(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void req_add_header(struct req *r, const char *name, const char *value)
{
    if (r->nhdr == REQ_MAX_HEADERS)
        abort(); /* a fixed set of routes adds a fixed set of headers: a bug, not an input */
    r->hdr_name[r->nhdr] = name;
    r->hdr_value[r->nhdr++] = cmd_xstrndup(value, strlen(value));
}

struct gr_str req_body(const struct req *r)
{
    return gr_buf_str(&r->body);
}

bool req_content_type_is(const struct req *r, const char *type)
{
    const char *ct = req_header(r, "Content-Type");
    size_t n = strlen(type);

    if (ct == NULL || strncasecmp(ct, type, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

void req_json(struct req *r, unsigned status)
{
    r->status = status;
    r->content_type = "application/json";
}

/* see server.h */
void req_error(struct req *r, const struct gr_err *err)
{
    const char *wire = gr_errc_wire(err->code);

    if (wire == NULL) {
        /* An internal code reached HTTP: a bug in the route, answered as one. */
        fprintf(stderr, "gramota: BUG: %s escaped at %s: %s (%s)\n", gr_errc_name(err->code),
                err->where ? err->where : "?", err->desc, err->cause);
    } else if (err->cause[0] || err->code == GR_ERR_SERVER_ERROR) {
        fprintf(stderr, "gramota: %s at %s: %s (%s)\n", wire, err->where ? err->where : "?",
                err->desc, err->cause);
    }
    gr_buf_reset(&r->out);
    req_json(r, (unsigned)gr_error_json(err, &r->out));
    r->error = wire ? wire : "server_error";
    req_add_header(r, "Cache-Control", "no-store");
}

/* see server.h */
void req_token_error(struct req *r, const struct gr_err *in, bool dpop)
{
    struct gr_err err = *in;
    struct gr_buf challenge;
    int status;

    if (err.code == GR_ERR_UNAUTHORIZED)
        err.code = GR_ERR_INVALID_TOKEN; /* the body's code; the challenges carry none */
    req_error(r, &err);
    gr_buf_init(&challenge, GR_BUF_UNBOUNDED);
    if (in->code == GR_ERR_UNAUTHORIZED) {
        /* No credentials at all: each scheme offered, no error code (RFC 6750 §3.1, RFC 9449 §7.1).
         */
        status = gr_www_authenticate(in, GR_AUTH_BEARER, &challenge);
        req_add_header(r, "WWW-Authenticate", challenge.data);
        gr_buf_reset(&challenge);
        gr_www_authenticate(in, GR_AUTH_DPOP, &challenge);
    } else {
        status = gr_www_authenticate(&err, dpop ? GR_AUTH_DPOP : GR_AUTH_BEARER, &challenge);
    }
    if (status) {
        r->status = (unsigned)status;
        req_add_header(r, "WWW-Authenticate", challenge.data);
    }
    gr_buf_release(&challenge);
}

static void log_request(const struct req *r, double seconds)
{
    double ms = seconds * 1000;
    time_t t = (time_t)r->now;
    struct tm tm;
    char when[32];

    if (r->srv->quiet)
        return;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (r->srv->set.log_format && strcmp(r->srv->set.log_format, "json") == 0)
        printf("{\"time\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%u,\"ms\":%.2f%s%s%"
               "s%s}\n",
               when, r->method, r->route ? r->route : "-", r->status, ms,
               r->error ? ",\"error\":\"" : "", r->error ? r->error : "", r->error ? "\"" : "",
               r->log_ids);
    else
        printf("%s %s %s %u %.2fms%s%s %s\n", when, r->method, r->route ? r->route : "-", r->status,
               ms, r->error ? " error=" : "", r->error ? r->error : "", r->log_ids);
    fflush(stdout);
}

static void req_free(struct req *r)
{
    gr_buf_release(&r->body);
    gr_buf_release(&r->out);
    for (size_t i = 0; i < r->nhdr; i++)
        free(r->hdr_value[i]);
    free(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct req *r = *con_cls;
    double seconds;

    (void)cls;
    (void)c;
    (void)code;
    if (r == NULL)
        return;
    seconds = http_clock() - r->started;
    log_request(r, seconds);
    metrics_request(r->srv->metrics, r->route, r->status, seconds);
    atomic_fetch_sub(r->srv->in_flight, 1);
    req_free(r);
    *con_cls = NULL;
}

static enum MHD_Result respond(struct req *r)
{
    size_t len;
    char *body = gr_buf_take(&r->out, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ok;

    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    if (r->status == 0)
        r->status = 500; /* a route that set none; the log and /metrics say what was sent */
    if (r->content_type)
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; i < r->nhdr; i++)
        MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
    ok = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result too_large(struct req *r)
{
    struct gr_err err;

    gr_fail(&err, GR_ERR_REQUEST_TOO_LARGE, "The request body is larger than %d bytes.",
            GR_MAX_BODY);
    req_error(r, &err);
    req_add_header(r, "Connection", "close");
    return respond(r);
}

static struct req *req_new(const struct server *srv, struct MHD_Connection *c, const char *url,
                           const char *method)
{
    struct req *r = cmd_xcalloc(1, sizeof(*r));

    r->srv = srv;
    r->conn = c;
    r->method = method;
    r->path = url;
    r->now = (int64_t)time(NULL);
    r->started = http_clock();
    gr_buf_init(&r->body, GR_MAX_BODY);
    gr_buf_init(&r->out, GR_BUF_UNBOUNDED);
    atomic_fetch_add(srv->in_flight, 1);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct req *r = *con_cls;
    const char *length;

    (void)version;
    if (r == NULL) {
        r = req_new(cls, c, url, method);
        *con_cls = r;
        length = req_header(r, "Content-Length");
        /* Refuse a declared oversize body before reading any of it. */
        if (length && strtoull(length, NULL, 10) > GR_MAX_BODY) {
            r->too_large = true;
            return too_large(r);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large) {
            gr_buf_add(&r->body, upload, *upload_size);
            if (r->body.failed) {
                r->too_large = true;
                *upload_size = 0;
                return too_large(r);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_large)
        return MHD_YES; /* answered already */
    routes_dispatch(r);
    return respond(r);
}

static void on_log(void *cls, const char *fmt, va_list ap) GR_PRINTF(2, 0);

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("gramota: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/*
 * Our own listening socket (rather than MHD's port option) so that "host:0"
 * picks a free port and the address actually bound can be printed.
 */
static int listen_socket(const char *listen_on, char *bound, size_t bound_size, struct gr_err *err)
{
    char host[256];
    const char *colon = strrchr(listen_on, ':');
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = -1, one = 1;
    size_t hlen;

    if (colon == NULL || colon == listen_on || (size_t)(colon - listen_on) >= sizeof(host))
        return gr_fail(err, GR_ERR_USAGE, "--listen wants HOST:PORT, such as 127.0.0.1:8080.");
    hlen = (size_t)(colon - listen_on);
    memcpy(host, listen_on, hlen);
    host[hlen] = '\0';
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') { /* [::1]:8080 */
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
        return gr_fail(err, GR_ERR_USAGE, "--listen names an address that cannot be resolved.");
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        gr_fail(err, GR_ERR_IO, "The server cannot listen on %.80s.", listen_on);
        gr_err_cause(err, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
    snprintf(bound, bound_size, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port));
    return fd;
}

/* see server.h */
int http_listen(const char *listen_on, char *bound, size_t bound_size, struct gr_err *err)
{
    return listen_socket(listen_on, bound, bound_size, err);
}

/* see server.h */
int http_start(struct server *srv, int fd, struct MHD_Daemon **out, struct gr_err *err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = (unsigned)(srv->set.threads > 0 ? srv->set.threads : cores > 0 ? cores : 2);

    /*
     * poll(), not epoll: libmicrohttpd 0.9.75 (Debian 12) can abort in
     * MHD_quiesce_daemon on a thread pool with epoll ("Failed to remove listen
     * FD from epoll set") when a worker drops the listen socket from its own
     * set first, which turned a clean SIGTERM into a crash now and then. With
     * a thread pool each worker polls only its own connections, so poll()
     * costs nothing measurable here.
     */
    *out = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC, 0, NULL,
                            NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
                            threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_CONNECTION_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_SECONDS,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY_LIMIT,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (*out == NULL) {
        close(fd);
        return gr_fail(err, GR_ERR_IO, "The HTTP server cannot start.");
    }
    return 0;
}

/* see server.h */
void http_quiesce(struct MHD_Daemon *d)
{
    MHD_socket fd = MHD_quiesce_daemon(d);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

/* see server.h */
unsigned http_in_flight(const struct server *srv)
{
    return atomic_load(srv->in_flight);
}

/* see server.h */
void http_stop(struct MHD_Daemon *d)
{
    if (d)
        MHD_stop_daemon(d);
}

/*
 * The counters behind GET /metrics and their rendering in the Prometheus text
 * exposition format 0.0.4. Durations are kept as integer nanoseconds, so that
 * bucket boundaries compare exactly and _sum adds without rounding; seconds
 * appear only in the text.
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/version.h>

#include "cmd.h"

/*
 * Status codes are counted by their value: 0 (no answer) and 100-599 fit one
 * row per route, so any status the routes may come to send is counted as it
 * is, with no table to keep up to date.
 */
#define STATUS_SLOTS 600
#define NS           UINT64_C(1000000000)

/* A histogram's upper bounds, in nanoseconds, ascending; +Inf is implied. */
struct bounds {
    const uint64_t *ns;
    size_t n;
};

/* An issuer's request: a metadata document in a millisecond, a PKCS#11 issuance in seconds. */
static const uint64_t request_ns[] = { 1000000,   2500000,    5000000,   10000000,
                                       25000000,  50000000,   100000000, 250000000,
                                       500000000, 1000000000, 2500000000 };
/* One signature: tens of microseconds in a file, milliseconds in an HSM, more over a network. */
static const uint64_t signer_ns[] = {
    100000,   250000,   500000,   1000000,   2500000,   5000000,
    10000000, 25000000, 50000000, 100000000, 250000000, 1000000000
};
static const struct bounds request_bounds = { request_ns, GR_NELEM(request_ns) };
static const struct bounds signer_bounds = { signer_ns, GR_NELEM(signer_ns) };

/* The label values of enum metrics_limit, in its order. */
static const char *const limit_names[] = { "offer", "token_code", "token_client" };

struct histogram {
    const struct bounds *b;
    _Atomic uint64_t
        *bucket; /* b->n + 1, not cumulative (the scrape adds them up); the last is +Inf */
    _Atomic uint64_t sum_ns;
};

struct metrics {
    size_t nroutes; /* the names given, then "unmatched" */
    char **route;
    _Atomic uint64_t *requests; /* nroutes rows of STATUS_SLOTS */
    struct histogram *latency;
    size_t nconfigs;
    char **config;
    _Atomic uint64_t *issued;
    struct histogram signer;
    _Atomic uint64_t rate_limited[GR_NELEM(limit_names)]; /* by enum metrics_limit */
    int64_t started;
};

static _Atomic uint64_t *counters_new(size_t n)
{
    _Atomic uint64_t *c = cmd_xmalloc(n * sizeof(*c));

    for (size_t i = 0; i < n; i++)
        atomic_init(&c[i], 0);
    return c;
}

static void histogram_init(struct histogram *h, const struct bounds *b)
{
    h->b = b;
    h->bucket = counters_new(b->n + 1);
    atomic_init(&h->sum_ns, 0);
}

static void histogram_observe(struct histogram *h, uint64_t ns)
{
    size_t i = 0;

    while (i < h->b->n && ns > h->b->ns[i]) /* le: an observation on a bound is in its bucket */
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

static uint64_t to_ns(double seconds)
{
    /* A clock that went backwards, or a NaN, is no time at all; past 31 years, a broken one. */
    if (!(seconds > 0))
        return 0;
    if (seconds > 1e9)
        seconds = 1e9;
    return (uint64_t)(seconds * 1e9 + 0.5);
}

/* see metrics.h */
struct metrics *metrics_new(const char *const *routes, size_t nroutes, const struct gr_str *configs,
                            size_t nconfigs, int64_t started)
{
    struct metrics *m = cmd_xcalloc(1, sizeof(*m));

    m->nroutes = nroutes + 1;
    m->route = cmd_xcalloc(m->nroutes, sizeof(*m->route));
    for (size_t i = 0; i < nroutes; i++)
        m->route[i] = cmd_xstrndup(routes[i], strlen(routes[i]));
    m->route[nroutes] = cmd_xstrndup("unmatched", strlen("unmatched"));
    m->requests = counters_new(m->nroutes * STATUS_SLOTS);
    m->latency = cmd_xcalloc(m->nroutes, sizeof(*m->latency));
    for (size_t i = 0; i < m->nroutes; i++)
        histogram_init(&m->latency[i], &request_bounds);
    m->nconfigs = nconfigs;
    m->config = cmd_xcalloc(nconfigs ? nconfigs : 1, sizeof(*m->config));
    for (size_t i = 0; i < nconfigs; i++)
        m->config[i] = cmd_xstrndup(configs[i].p, configs[i].len);
    m->issued = counters_new(nconfigs ? nconfigs : 1);
    histogram_init(&m->signer, &signer_bounds);
    for (size_t i = 0; i < GR_NELEM(m->rate_limited); i++)
        atomic_init(&m->rate_limited[i], 0);
    m->started = started;
    return m;
}

/* see metrics.h */
void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nroutes; i++) {
        free(m->route[i]);
        free(m->latency[i].bucket);
    }
    for (size_t i = 0; i < m->nconfigs; i++)
        free(m->config[i]);
    free(m->route);
    free(m->requests);
    free(m->latency);
    free(m->config);
    free(m->issued);
    free(m->signer.bucket);
    free(m);
}

/* see metrics.h */
void metrics_request(struct metrics *m, const char *route, unsigned status, double seconds)
{
    size_t i;

    if (m == NULL)
        return;
    /* Some twenty short names by strcmp: cheaper than the request's own log line. */
    for (i = 0; route && i < m->nroutes - 1; i++) {
        if (strcmp(route, m->route[i]) == 0)
            break;
    }
    if (route == NULL)
        i = m->nroutes - 1; /* "unmatched", as is a name not in the list */
    atomic_fetch_add_explicit(&m->requests[i * STATUS_SLOTS + (status < STATUS_SLOTS ? status : 0)],
                              1, memory_order_relaxed);
    histogram_observe(&m->latency[i], to_ns(seconds));
}

/* see metrics.h */
void metrics_issued(struct metrics *m, struct gr_str config_id, size_t count, double seconds)
{
    uint64_t each;

    if (m == NULL || count == 0)
        return;
    for (size_t i = 0; i < m->nconfigs; i++) {
        if (gr_str_eq_c(config_id, m->config[i])) {
            atomic_fetch_add_explicit(&m->issued[i], count, memory_order_relaxed);
            break;
        }
    }
    each = to_ns(seconds) / count;
    for (size_t i = 0; i < count; i++)
        histogram_observe(&m->signer, each);
}

/* see metrics.h */
void metrics_rate_limited(struct metrics *m, enum metrics_limit which)
{
    if (m == NULL || (size_t)which >= GR_NELEM(m->rate_limited))
        return;
    atomic_fetch_add_explicit(&m->rate_limited[which], 1, memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Nanoseconds as exact decimal seconds, without trailing zeros: "0.0025", "1", "12.000000341". */
static void add_seconds(struct gr_buf *out, uint64_t ns)
{
    char frac[16];
    size_t n;

    gr_buf_printf(out, "%" PRIu64, ns / NS);
    if (ns % NS == 0)
        return;
    n = (size_t)snprintf(frac, sizeof(frac), "%09" PRIu64, ns % NS);
    while (n > 0 && frac[n - 1] == '0')
        n--;
    gr_buf_addc(out, '.');
    gr_buf_add(out, frac, n);
}

/* A label value, escaped as the exposition format wants it: \\, \" and \n. */
static void add_label_value(struct gr_buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            gr_buf_adds(out, "\\\\");
        else if (*v == '"')
            gr_buf_adds(out, "\\\"");
        else if (*v == '\n')
            gr_buf_adds(out, "\\n");
        else
            gr_buf_addc(out, *v);
    }
}

/* LABEL="VALUE", the value escaped. */
static void add_label(struct gr_buf *out, const char *label, const char *value)
{
    gr_buf_printf(out, "%s=\"", label);
    add_label_value(out, value);
    gr_buf_addc(out, '"');
}

/* NAME SUFFIX {LABEL="VALUE"} (no braces when `label` is NULL), then the space before the value. */
static void add_series(struct gr_buf *out, const char *name, const char *suffix, const char *label,
                       const char *value)
{
    gr_buf_printf(out, "%s%s", name, suffix);
    if (label) {
        gr_buf_addc(out, '{');
        add_label(out, label, value);
        gr_buf_addc(out, '}');
    }
    gr_buf_addc(out, ' ');
}

static void add_family(struct gr_buf *out, const char *name, const char *type, const char *help)
{
    gr_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One histogram's series, under `label` when not NULL: the buckets made
 * cumulative here, then _sum and _count; _count is the +Inf bucket, as the
 * format requires.
 */
static void add_histogram(struct gr_buf *out, const char *name, const char *label,
                          const char *value, const struct histogram *h)
{
    uint64_t total = 0;

    for (size_t i = 0; i <= h->b->n; i++) {
        total += load(&h->bucket[i]);
        gr_buf_printf(out, "%s_bucket{", name);
        if (label) {
            add_label(out, label, value);
            gr_buf_addc(out, ',');
        }
        gr_buf_adds(out, "le=\"");
        if (i < h->b->n)
            add_seconds(out, h->b->ns[i]);
        else
            gr_buf_adds(out, "+Inf");
        gr_buf_printf(out, "\"} %" PRIu64 "\n", total);
    }
    add_series(out, name, "_sum", label, value);
    add_seconds(out, load(&h->sum_ns));
    gr_buf_addc(out, '\n');
    add_series(out, name, "_count", label, value);
    gr_buf_printf(out, "%" PRIu64 "\n", total);
}

static void render_http(const struct metrics *m, const struct metrics_now *now, struct gr_buf *out)
{
    const char *requests = "gramota_http_requests_total";
    const char *latency = "gramota_http_request_duration_seconds";

    add_family(out, "gramota_http_requests_in_flight", "gauge",
               "HTTP requests begun and not yet completed, this scrape included.");
    gr_buf_printf(out, "gramota_http_requests_in_flight %u\n", now->in_flight);
    add_family(out, requests, "counter",
               "HTTP requests completed, by route name and status sent (0: the client left "
               "before an answer).");
    for (size_t i = 0; i < m->nroutes; i++) {
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = load(&m->requests[i * STATUS_SLOTS + s]);

            if (n == 0)
                continue;
            gr_buf_printf(out, "%s{", requests);
            add_label(out, "route", m->route[i]);
            gr_buf_printf(out, ",status=\"%zu\"} %" PRIu64 "\n", s, n);
        }
    }
    add_family(out, latency, "histogram",
               "Time from a request's first byte to its completion, by route name.");
    for (size_t i = 0; i < m->nroutes; i++)
        add_histogram(out, latency, "route", m->route[i], &m->latency[i]);
}

static void render_issuance(const struct metrics *m, struct gr_buf *out)
{
    const char *issued = "gramota_credentials_issued_total";

    add_family(out, issued, "counter",
               "Credentials issued (each of a batch), by credential configuration id.");
    for (size_t i = 0; i < m->nconfigs; i++) {
        add_series(out, issued, "", "configuration", m->config[i]);
        gr_buf_printf(out, "%" PRIu64 "\n", load(&m->issued[i]));
    }
    add_family(out, "gramota_signer_duration_seconds", "histogram",
               "Time to make and sign one issued credential: the issuance call of a "
               "credential request (salts, disclosures, one signer call per credential) "
               "divided by the credentials it made.");
    add_histogram(out, "gramota_signer_duration_seconds", NULL, NULL, &m->signer);
}

static void render_refusals(const struct metrics *m, const struct metrics_now *now,
                            struct gr_buf *out)
{
    const char *store = "gramota_store_errors_total";
    const char *limited = "gramota_rate_limited_total";

    add_family(out, store, "counter",
               "Store calls failed because the database or Redis failed or was unreachable "
               "(0 from a store that does not count them).");
    add_series(out, store, "", "source", "database");
    gr_buf_printf(out, "%" PRIu64 "\n", now->store.db_errors);
    add_series(out, store, "", "source", "redis");
    gr_buf_printf(out, "%" PRIu64 "\n", now->store.redis_errors);
    add_family(out, limited, "counter", "Requests refused by a rate limit, by limit.");
    for (size_t i = 0; i < GR_NELEM(limit_names); i++) {
        add_series(out, limited, "", "limit", limit_names[i]);
        gr_buf_printf(out, "%" PRIu64 "\n", load(&m->rate_limited[i]));
    }
}

/* see metrics.h */
void metrics_render(const struct metrics *m, const struct metrics_now *now, struct gr_buf *out)
{
    add_family(out, "gramota_build_info", "gauge", "The gramota version serving; always 1.");
    add_series(out, "gramota_build_info", "", "version", GR_VERSION);
    gr_buf_adds(out, "1\n");
    add_family(out, "process_start_time_seconds", "gauge",
               "When the process started, seconds since the Unix epoch.");
    gr_buf_printf(out, "process_start_time_seconds %" PRId64 "\n", m->started);
    render_http(m, now, out);
    render_issuance(m, out);
    render_refusals(m, now, out);
}

/*
 * Rate limits at the HTTP edge (server.h: req_rate_limit). The buckets live
 * in the store (or Redis), so that every process behind one load balancer
 * spends from the same ones.
 */
#include "server.h"

#include <stdio.h>
#include <sys/time.h>

#include "metrics.h"

static int64_t wall_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* see server.h */
int req_rate_limit(struct req *r, enum rate_kind kind, const char *key, int64_t per_minute,
                   int64_t burst, enum rate_mode mode, struct gr_err *err)
{
    static const enum metrics_limit counted[] = {
        [RATE_OFFER] = METRICS_LIMIT_OFFER,
        [RATE_TOKEN_CODE] = METRICS_LIMIT_TOKEN_CODE,
        [RATE_TOKEN_CLIENT] = METRICS_LIMIT_TOKEN_CLIENT,
    };
    const struct server *s = r->srv;
    /* Whole milliseconds between refills; past 60000 a minute the bucket refills every one. */
    int64_t interval_ms = per_minute >= 60000 ? 1 : 60000 / per_minute;
    struct gr_rate got;
    char seconds[24];

    if (s->store.ops->rate_limit(s->store.ctx, gr_str_c(key), burst, interval_ms, wall_ms(),
                                 mode != RATE_LOOK, &got, err) < 0)
        return -1;
    if (got.allowed || mode == RATE_SPEND)
        return 0;
    metrics_rate_limited(s->metrics, counted[kind]);
    /* RFC 9110 §10.2.3: whole seconds, rounded up so that a client obeying it is let in. */
    snprintf(seconds, sizeof(seconds), "%lld", (long long)((got.retry_after_ms + 999) / 1000));
    req_add_header(r, "Retry-After", seconds);
    return gr_fail(err, GR_ERR_RATE_LIMITED, "Too many requests; try again after %s seconds.",
                   seconds);
}

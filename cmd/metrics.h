#ifndef GR_CMD_METRICS_H
#define GR_CMD_METRICS_H

/*
 * What GET /metrics shows, in the Prometheus text exposition format 0.0.4:
 * requests by route and status, their latency, credentials issued by
 * configuration, signing time, store failures and rate-limit refusals.
 *
 * Every series is a relaxed C11 atomic in arrays sized at start-up, when the
 * routes and credential configurations are known: recording takes no lock and
 * allocates nothing, from any number of request threads at once. A scrape
 * reads each counter once; two counters are not read at one instant, so a
 * scrape during traffic may see a request in _count and not yet in _total.
 *
 * Needs nothing of the HTTP server, so that it can be tested on its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gramota/buf.h>
#include <gramota/store.h>

struct metrics;

/*
 * The counters of `nroutes` route names (as r->route gives them) and
 * `nconfigs` credential configuration ids, all zero; both lists are copied.
 * A route name outside the list (and a request no route matched) counts as
 * "unmatched". `started` is the process's start, Unix seconds.
 */
struct metrics *metrics_new(const char *const *routes, size_t nroutes, const struct gr_str *configs,
                            size_t nconfigs, int64_t started);
void metrics_free(struct metrics *m);

/*
 * The recorders below may run on any thread; `m` may be NULL (a command that
 * serves no requests), and then nothing is counted.
 */

/*
 * One request done: its route name (NULL: none matched), the status sent (0:
 * the client left before an answer), and its time in seconds.
 */
void metrics_request(struct metrics *m, const char *route, unsigned status, double seconds);

/*
 * `count` credentials of configuration `config_id` issued (made and recorded)
 * by one library call that took `seconds` in all: each counts as issued, and
 * as one signing of seconds / count. An id outside the list counts no issuance.
 */
void metrics_issued(struct metrics *m, struct gr_str config_id, size_t count, double seconds);

/* Which rate limit refused a request. */
enum metrics_limit { METRICS_LIMIT_OFFER, METRICS_LIMIT_TOKEN_CODE, METRICS_LIMIT_TOKEN_CLIENT };
/* A request refused by rate limit `which`. */
void metrics_rate_limited(struct metrics *m, enum metrics_limit which);

/* What a scrape reads from elsewhere at the time it is made. */
struct metrics_now {
    unsigned in_flight;          /* requests begun and not completed, the scrape included */
    struct gr_store_stats store; /* zero for a store that does not count its failures */
};

/*
 * Append every metric family, each with # HELP and # TYPE, in the text
 * exposition format 0.0.4 to `out`. Label values are escaped (\\, \", \n).
 */
void metrics_render(const struct metrics *m, const struct metrics_now *now, struct gr_buf *out);

#endif

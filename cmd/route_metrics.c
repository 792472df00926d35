/*
 * GET /metrics: the Prometheus text exposition format 0.0.4. No credential
 * is asked, as for /healthz: nothing in it names an organization, an offer
 * or a holder; keep the port from the open internet if the counts are private.
 */
#include "server.h"

/* see server.h */
void route_metrics(struct req *r)
{
    const struct server *s = r->srv;
    struct metrics_now now = { .in_flight = http_in_flight(s) };

    /* Optional in the store interface: a store that keeps no count shows zeros. */
    if (s->store.ops->stats)
        s->store.ops->stats(s->store.ctx, &now.store);
    metrics_render(s->metrics, &now, &r->out);
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    req_add_header(r, "Cache-Control", "no-store");
}

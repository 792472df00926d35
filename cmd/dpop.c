/*
 * DPoP at our endpoints: gr_dpop_verify with the store's jti set as its replay
 * set for the whole acceptance window (RFC 9449 §11.1), and server nonces when
 * they are switched on.
 */
#include "server.h"

#include <gramota/dpop.h>

/* see server.h */
int req_dpop(struct req *r, const char *endpoint, struct gr_str access_token,
             struct gr_dpop_proof *out, bool *present, struct gr_err *err)
{
    const struct server *s = r->srv;
    unsigned n = req_header_count(r, "DPoP");
    struct gr_buf url;
    struct gr_dpop_check c;
    int rc;

    *present = n > 0;
    if (n == 0)
        return 0;
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    gr_buf_addstr(&url, s->issuer_url);
    gr_buf_adds(&url, endpoint);
    c = (struct gr_dpop_check){
        .header = gr_str_c(req_header(r, "DPoP")),
        .header_count = n,
        .method = gr_str_c(r->method),
        .url = gr_buf_str(&url),
        .access_token = access_token,
        .now = r->now,
        .max_age = s->set.dpop_window,
        .nonce_secret = s->set.dpop_nonce ? s->dpop_secret : NULL,
        .nonce_lifetime = s->set.dpop_window,
        /* The store's jti set is the replay set: remembered until its iat leaves the window. */
        .replay = s->store.ops->jti_add,
        .replay_ctx = s->store.ctx,
    };
    rc = gr_dpop_verify(&c, out, err);
    gr_buf_release(&url);
    return rc;
}

/* see server.h */
void req_dpop_nonce_header(struct req *r)
{
    char nonce[GR_DPOP_NONCE_LEN + 1];
    struct gr_err err;

    if (!r->srv->set.dpop_nonce || gr_dpop_nonce_make(r->srv->dpop_secret, r->now, nonce, &err) < 0)
        return;
    req_add_header(r, "DPoP-Nonce", nonce);
}

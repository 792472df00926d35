/*
 * Making an offer, shared by POST /v1/credential-offers and `gramota offer
 * create`: gr_offer_make() checks the request against its credential type and
 * draws the codes; here the offer gets its organization, its URLs and its
 * sealed copy, and only the codes' hashes are stored.
 */
#include "offers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "seal.h"

static void build_urls(const struct server *s, struct offer_made *m)
{
    gr_offer_json(s->issuer_url, &m->made.offer, gr_str_c(m->made.code), &m->offer_json);
    if (m->made.offer.by_reference) {
        gr_buf_addstr(&m->offer_uri, s->issuer_url);
        gr_buf_adds(&m->offer_uri, "/oid4vci/credential-offer/");
        gr_buf_adds(&m->offer_uri, m->made.code);
        gr_offer_url(gr_buf_str(&m->offer_uri), true, &m->url);
    } else {
        gr_offer_url(gr_buf_str(&m->offer_json), false, &m->url);
    }
}

/* see offers.h */
int offer_make(const struct req *r, const struct gr_org *org, const struct gr_offer_request *req,
               struct gr_str api_key, struct offer_made *m, struct gr_err *err)
{
    const struct server *s = r->srv;
    const struct gr_offer_issuer is = {
        .issuer_url = s->issuer_url,
        .types = s->types,
        .signer = server_signer(s),
        .lifetime = s->set.offer_lifetime,
        .tx_code_length = s->set.tx_code_length,
    };
    struct gr_offer *o = &m->made.offer;
    struct gr_audit_event created;

    if (gr_offer_make(&is, req, r->now, &m->made, err) < 0)
        return -1;
    memcpy(o->org_id, org->id, sizeof(o->org_id));
    build_urls(s, m);
    if (api_key.len && seal_url(api_key, gr_str_c(o->id), gr_buf_str(&m->url), &o->sealed_url,
                                &o->sealed_url_len, err) < 0)
        return -1;
    audit_event(r, &created, "offer.created", org->id, o->id, "", o->config_id);
    return s->store.ops->offer_put(s->store.ctx, o, &created, err);
}

/* RFC 3339 UTC, as the admin API writes times. */
void iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* see offers.h */
void offer_made_json(const struct offer_made *m, struct gr_buf *out)
{
    char expires[32];

    iso_time(m->made.offer.expires_at, expires);
    gr_buf_adds(out, "{\"offerId\":");
    gr_buf_add_json_string(out, gr_str_c(m->made.offer.id));
    gr_buf_adds(out, ",\"offerUrl\":");
    gr_buf_add_json_string(out, gr_buf_str(&m->url));
    gr_buf_adds(out, ",\"preAuthCode\":");
    gr_buf_add_json_string(out, gr_str_c(m->made.code));
    gr_buf_adds(out, ",\"credentialOffer\":");
    gr_buf_addstr(out, gr_buf_str(&m->offer_json));
    if (m->made.offer.by_reference) {
        gr_buf_adds(out, ",\"credentialOfferUri\":");
        gr_buf_add_json_string(out, gr_buf_str(&m->offer_uri));
    }
    if (m->made.offer.has_tx_code) {
        gr_buf_adds(out, ",\"txCode\":");
        gr_buf_add_json_string(out, gr_str_c(m->made.tx_code));
    }
    gr_buf_printf(out, ",\"expiresAt\":\"%s\"}", expires);
}

/* see offers.h */
void offer_made_init(struct offer_made *m)
{
    memset(m, 0, sizeof(*m));
    gr_buf_init(&m->offer_json, GR_BUF_UNBOUNDED);
    gr_buf_init(&m->offer_uri, GR_BUF_UNBOUNDED);
    gr_buf_init(&m->url, GR_BUF_UNBOUNDED);
}

/* see offers.h */
void offer_made_release(struct offer_made *m)
{
    gr_offer_made_release(&m->made);
    gr_buf_release(&m->offer_json);
    gr_buf_release(&m->offer_uri);
    gr_buf_release(&m->url);
}

/*
 * The admin API (API.md §2): offers, made and looked at by an organization
 * authenticated with its API key. Plus the public routes that need no
 * protocol logic: the well-known documents, offers by reference, health.
 */
#include "server.h"

#include <string.h>
#include <strings.h>

#include "offers.h"
#include "qr.h"
#include "seal.h"

/* see server.h: Authorization: Bearer <api key>, hashed and looked up; the store compares hashes.
 */
int admin_auth(struct req *r, struct gr_org *org, struct gr_str *key, struct gr_err *err)
{
    const char *h = req_header(r, "Authorization");
    uint8_t hash[32];

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0' ||
        req_header_count(r, "Authorization") != 1)
        return gr_fail(err, GR_ERR_UNAUTHORIZED,
                       "Send the organization's API key as a Bearer token.");
    *key = gr_str_c(h + 7);
    gr_sha256(key->p, key->len, hash);
    if (r->srv->store.ops->org_by_key(r->srv->store.ctx, hash, org, err) < 0)
        return err->code == GR_ERR_UNAUTHORIZED
                   ? gr_fail(err, GR_ERR_UNAUTHORIZED, "The API key is not valid.")
                   : -1;
    snprintf(r->log_ids, sizeof(r->log_ids), " org=%s", org->id);
    return 0;
}

/* see server.h */
void admin_error(struct req *r, const struct gr_err *err)
{
    req_error(r, err);
    if (err->code == GR_ERR_UNAUTHORIZED)
        req_add_header(r, "WWW-Authenticate", "Bearer realm=\"gramota\"");
}

/* see server.h */
/*
 * Minting is the most expensive thing the issuer does, and an offer is the
 * promise of it: each organization spends from its own bucket, at its own
 * limit or the server's. Only a well-formed request spends.
 */
static int offer_rate(struct req *r, const struct gr_org *org, struct gr_err *err)
{
    const struct settings *set = &r->srv->set;
    char key[GR_STORE_ID_LEN + 8];

    snprintf(key, sizeof(key), "offer:%s", org->id);
    return req_rate_limit(r, RATE_OFFER, key, org->offer_rate ? org->offer_rate : set->offer_rate,
                          org->offer_burst ? org->offer_burst : set->offer_burst, RATE_TAKE, err);
}

void route_offer_create(struct req *r)
{
    struct gr_offer_request or ;
    struct offer_made m;
    struct gr_org org;
    struct gr_str key;
    struct gr_err err;
    char location[128];

    memset(& or, 0, sizeof(or));
    offer_made_init(&m);
    if (admin_auth(r, &org, &key, &err) < 0)
        goto fail;
    if (!req_content_type_is(r, "application/json")) {
        gr_fail(&err, GR_ERR_UNSUPPORTED_MEDIA_TYPE, "The offer request must be application/json.");
        goto fail;
    }
    if (gr_offer_request_parse(req_body(r), & or, &err) < 0 || offer_rate(r, &org, &err) < 0 ||
        offer_make(r, &org, & or, key, &m, &err) < 0)
        goto fail;
    offer_made_json(&m, &r->out);
    req_json(r, 201);
    snprintf(location, sizeof(location), "%.*s/v1/credential-offers/%s",
             (int)r->srv->issuer_path.len, r->srv->issuer_path.p, m.made.offer.id);
    req_add_header(r, "Location", location);
    req_add_header(r, "Cache-Control", "no-store");
    snprintf(r->log_ids, sizeof(r->log_ids), " org=%s offer=%s", org.id, m.made.offer.id);
    goto out;
fail:
    admin_error(r, &err);
out:
    gr_offer_request_release(& or);
    offer_made_release(&m);
}

static const char *state_name(const struct gr_offer *o, int64_t now)
{
    if (o->state == GR_OFFER_REDEEMED)
        return "redeemed";
    if (o->state == GR_OFFER_DEAD || o->expires_at <= now)
        return "expired";
    return "pending";
}

#define MAX_LISTED_IDS 100 /* a batch is at most 32; a few requests per token */

static int offer_json(const struct req *r, const struct gr_offer *o, struct gr_buf *out,
                      struct gr_err *err)
{
    const struct gr_cred_type *t = gr_cred_types_get(r->srv->types, gr_str_c(o->config_id));
    char created[32], expires[32], ids[MAX_LISTED_IDS][GR_STORE_ID_LEN + 1];
    size_t n = 0;

    if (r->srv->store.ops->issued_ids(r->srv->store.ctx, gr_str_c(o->org_id), gr_str_c(o->id), ids,
                                      MAX_LISTED_IDS, &n, err) < 0)
        return -1;

    iso_time(o->created_at, created);
    iso_time(o->expires_at, expires);
    gr_buf_adds(out, "{\"offerId\":");
    gr_buf_add_json_string(out, gr_str_c(o->id));
    gr_buf_printf(out, ",\"state\":\"%s\",\"credentialConfigurationId\":", state_name(o, r->now));
    gr_buf_add_json_string(out, gr_str_c(o->config_id));
    gr_buf_adds(out, ",\"vct\":");
    gr_buf_add_json_string(out, t ? gr_cred_type_vct(t) : GR_STR(""));
    gr_buf_printf(out,
                  ",\"createdAt\":\"%s\",\"expiresAt\":\"%s\",\"byReference\":%s,"
                  "\"txCode\":%s,\"credentialIds\":[",
                  created, expires, o->by_reference ? "true" : "false",
                  o->has_tx_code ? "true" : "false");
    for (size_t i = 0; i < n; i++)
        gr_buf_printf(out, "%s\"%s\"", i ? "," : "", ids[i]);
    gr_buf_adds(out, "]}");
    return 0;
}

/* see server.h */
void route_offer_get(struct req *r, struct gr_str id, struct gr_str what)
{
    const struct server *s = r->srv;
    struct gr_offer offer = { 0 };
    struct gr_buf url;
    struct gr_org org;
    struct gr_str key;
    struct gr_err err;

    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    if (admin_auth(r, &org, &key, &err) < 0)
        goto fail;
    if ((what.len && !gr_str_eq_c(what, "qr.svg")) || id.len == 0 || id.len > GR_STORE_ID_LEN) {
        gr_fail(&err, GR_ERR_NOT_FOUND, "There is nothing at this address.");
        goto fail;
    }
    /* Another organization's offer is NOT_FOUND, exactly as one that does not exist. */
    if (s->store.ops->offer_get(s->store.ctx, gr_str_c(org.id), id, &offer, &err) < 0)
        goto fail;
    snprintf(r->log_ids, sizeof(r->log_ids), " org=%s offer=%s", org.id, offer.id);
    if (what.len == 0) {
        if (offer_json(r, &offer, &r->out, &err) < 0)
            goto fail;
        req_json(r, 200);
        req_add_header(r, "Cache-Control", "no-store");
        goto out;
    }
    if (unseal_url(key, gr_str_c(offer.id), offer.sealed_url, offer.sealed_url_len, &url, &err) <
            0 ||
        qr_svg(gr_buf_str(&url), &r->out, &err) < 0)
        goto fail;
    r->status = 200;
    r->content_type = "image/svg+xml";
    req_add_header(r, "Cache-Control", "no-store");
    goto out;
fail:
    admin_error(r, &err);
out:
    gr_buf_release(&url);
    gr_offer_release(&offer);
}

/* see server.h */
void route_offer_by_reference(struct req *r, struct gr_str code)
{
    const struct server *s = r->srv;
    struct gr_offer offer = { 0 };
    uint8_t hash[32];
    struct gr_err err;

    gr_sha256(code.p, code.len, hash);
    if (s->store.ops->offer_by_code(s->store.ctx, hash, r->now, &offer, &err) == 0 &&
        offer.by_reference) {
        gr_offer_json(s->issuer_url, &offer, code, &r->out);
        req_json(r, 200);
        /* Unique per offer and single use: never cached (OID4VCI §4.1.3). */
        req_add_header(r, "Cache-Control", "no-store");
        snprintf(r->log_ids, sizeof(r->log_ids), " offer=%s", offer.id);
    } else {
        /* Offers made by value are not served by reference either. */
        if (offer.id[0] || err.code == GR_ERR_NOT_FOUND)
            gr_fail(&err, GR_ERR_NOT_FOUND, "There is no pending offer at this address.");
        req_error(r, &err);
    }
    gr_offer_release(&offer);
}

/* see server.h */
void route_wellknown(struct req *r, const struct gr_buf *doc)
{
    char cache[40];

    gr_buf_addstr(&r->out, gr_buf_str(doc));
    req_json(r, 200);
    snprintf(cache, sizeof(cache), "public, max-age=%d", WELL_KNOWN_MAX_AGE);
    req_add_header(r, "Cache-Control", cache);
    req_add_header(r, "Access-Control-Allow-Origin", "*");
    /* The issuer metadata's URL also serves the signed form: caches must key on Accept. */
    if (doc == &r->srv->issuer_meta)
        req_add_header(r, "Vary", "Accept");
}

/* see server.h */
void route_issuer_metadata_signed(struct req *r)
{
    const struct server *s = r->srv;
    struct gr_err err;

    /* Signed per request: iat stays fresh, and metadata is fetched once per issuance at most. */
    if (gr_metadata_issuer_signed(s->types, &s->meta, server_signer(s), r->now, &r->out, &err) <
        0) {
        req_error(r, &err);
        return;
    }
    r->status = 200;
    r->content_type = "application/jwt";
    req_add_header(r, "Cache-Control", "no-store");
    req_add_header(r, "Vary", "Accept");
    req_add_header(r, "Access-Control-Allow-Origin", "*");
}

/*
 * see server.h. /healthz: the process answers. /readyz: and so do its store
 * and its signer (a PKCS#11 token signs a probe), so that a balancer stops
 * sending work while the database or the HSM is away (503
 * temporarily_unavailable), and sends it again once it is back.
 */
void route_health(struct req *r)
{
    const struct server *s = r->srv;
    struct gr_err err = { 0 };

    if (strcmp(r->route, "readyz") == 0 && (s->store.ops->ping(s->store.ctx, &err) < 0 ||
                                            gr_signer_check(server_signer(s), &err) < 0)) {
        gr_err_recode(&err, GR_ERR_TEMPORARILY_UNAVAILABLE);
        req_error(r, &err);
    } else {
        gr_buf_adds(&r->out, "{\"status\":\"ok\"}");
        req_json(r, 200);
    }
    req_add_header(r, "Cache-Control", "no-store");
}

/*
 * The credential lifecycle in the admin API (API.md §2): list, show, revoke,
 * suspend, reinstate, an organization seeing only its own credentials. A
 * status change is written with the credential's status list entry in one
 * transaction and shows in the next status list token served.
 */
#include "server.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "offers.h"

#define LIST_DEFAULT 50
#define LIST_MAX     200

static const char *const status_names[] = { "valid", "invalid", "suspended" };

/* see server.h (route_lifecycle.c) */
void credential_json(const struct server *s, const struct gr_credential_rec *c, struct gr_buf *out)
{
    const struct gr_issued *i = &c->issued;
    char issued[32], expires[32], jkt[GR_JWK_THUMBPRINT_B64_LEN + 1];

    iso_time(i->issued_at, issued);
    iso_time(i->expires_at, expires);
    gr_b64url_encode(i->holder_jkt, sizeof(i->holder_jkt), jkt);
    jkt[GR_JWK_THUMBPRINT_B64_LEN] = '\0';
    gr_buf_printf(out, "{\"credentialId\":\"%s\",\"offerId\":\"%s\",\"credentialConfigurationId\":",
                  i->id, i->offer_id);
    gr_buf_add_json_string(out, gr_str_c(i->config_id));
    gr_buf_adds(out, ",\"vct\":");
    gr_buf_add_json_string(out, gr_str_c(i->vct));
    gr_buf_printf(out, ",\"holderJkt\":\"%s\",\"status\":\"%s\"", jkt,
                  status_names[c->status <= GR_CRED_SUSPENDED ? c->status : 0]);
    if (i->has_status)
        gr_buf_printf(out, ",\"statusList\":{\"uri\":\"%.*s/status-lists/%s\",\"idx\":%" PRIu64 "}",
                      (int)s->issuer_url.len, s->issuer_url.p, i->status.list_id, i->status.idx);
    gr_buf_printf(out, ",\"issuedAt\":\"%s\",\"expiresAt\":\"%s\"", issued, expires);
    if (i->kid[0] != '\0') { /* the signing key, as jwt-vc-issuer names it */
        gr_buf_adds(out, ",\"kid\":");
        gr_buf_add_json_string(out, gr_str_c(i->kid));
    }
    if (c->status_at) {
        char at[32];

        iso_time(c->status_at, at);
        gr_buf_printf(out, ",\"statusChangedAt\":\"%s\"", at);
    }
    gr_buf_addc(out, '}');
}

/* A query parameter, or .p NULL. */
static struct gr_str query(const struct req *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

    return v ? gr_str_c(v) : (struct gr_str){ NULL, 0 };
}

/* The cursor travels as base64url of "<issued_at>.<id>": opaque to clients, checked here. */
static int parse_cursor(struct gr_str text, struct gr_credential_cursor *c, struct gr_err *err)
{
    char raw[64];
    size_t n = 0;
    char *dot, *end;

    memset(c, 0, sizeof(*c));
    if (text.p == NULL || text.len == 0)
        return 0;
    if (gr_b64url_decode(text, (uint8_t *)raw, sizeof(raw) - 1, &n, err) < 0)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "The cursor is not one this API gave.");
    raw[n] = '\0';
    dot = strchr(raw, '.');
    if (dot == NULL || strlen(dot + 1) == 0 || strlen(dot + 1) > GR_STORE_ID_LEN)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "The cursor is not one this API gave.");
    *dot = '\0';
    c->issued_at = strtoll(raw, &end, 10);
    if (*end != '\0' || end == raw)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "The cursor is not one this API gave.");
    memcpy(c->id, dot + 1, strlen(dot + 1) + 1);
    return 0;
}

static int parse_filter(const struct req *r, struct gr_credential_filter *f, size_t *limit,
                        struct gr_err *err)
{
    struct gr_str status = query(r, "status"), lim = query(r, "limit");

    f->offer_id = query(r, "offerId");
    f->vct = query(r, "vct");
    f->status = -1;
    for (int i = 0; status.p && i < 3; i++) {
        if (gr_str_eq_c(status, status_names[i]))
            f->status = i;
    }
    if (status.p && f->status < 0)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "status must be valid, invalid or suspended.");
    *limit = LIST_DEFAULT;
    if (lim.p) {
        char *end;
        long v = strtol(lim.p, &end, 10);

        if (*end != '\0' || v < 1 || v > LIST_MAX)
            return gr_fail(err, GR_ERR_INVALID_REQUEST, "limit must be a number from 1 to 200.");
        *limit = (size_t)v;
    }
    return 0;
}

static void list(struct req *r, const struct gr_org *org)
{
    const struct server *s = r->srv;
    struct gr_credential_filter f;
    struct gr_credential_cursor cur;
    struct gr_credential_rec *recs = NULL;
    size_t limit, n = 0;
    struct gr_err err;

    if (parse_filter(r, &f, &limit, &err) < 0 || parse_cursor(query(r, "cursor"), &cur, &err) < 0)
        goto fail;
    recs = cmd_xcalloc(limit, sizeof(*recs));
    if (s->store.ops->credential_list(s->store.ctx, gr_str_c(org->id), &f, &cur, recs, limit, &n,
                                      &err) < 0)
        goto fail;
    gr_buf_adds(&r->out, "{\"credentials\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gr_buf_addc(&r->out, ',');
        credential_json(s, &recs[i], &r->out);
    }
    gr_buf_adds(&r->out, "],\"nextCursor\":");
    if (n == limit) {
        char raw[64];
        int len = snprintf(raw, sizeof(raw), "%lld.%s", (long long)cur.issued_at, cur.id);

        gr_buf_addc(&r->out, '"');
        gr_buf_add_b64url(&r->out, raw, (size_t)len);
        gr_buf_adds(&r->out, "\"}");
    } else {
        gr_buf_adds(&r->out, "null}");
    }
    req_json(r, 200);
    req_add_header(r, "Cache-Control", "no-store");
    free(recs);
    return;
fail:
    free(recs);
    admin_error(r, &err);
}

static void change(struct req *r, const struct gr_org *org, struct gr_str id, struct gr_str action)
{
    static const struct {
        const char *action, *event;
        enum gr_cred_status to;
    } moves[] = {
        { "revoke", "credential.revoked", GR_CRED_INVALID },
        { "suspend", "credential.suspended", GR_CRED_SUSPENDED },
        { "reinstate", "credential.reinstated", GR_CRED_VALID },
    };
    const struct server *s = r->srv;
    struct gr_credential_rec rec;
    struct gr_err err;

    for (size_t i = 0; i < GR_NELEM(moves); i++) {
        if (!gr_str_eq_c(action, moves[i].action))
            continue;
        if (!req_is(r, "POST")) {
            gr_fail(&err, GR_ERR_INVALID_REQUEST, "This endpoint takes POST only.");
            admin_error(r, &err);
            r->status = 405;
            req_add_header(r, "Allow", "POST");
            return;
        }
        if (s->store.ops->credential_set_status(s->store.ctx, gr_str_c(org->id), id, moves[i].to,
                                                r->now, &rec, &err) < 0) {
            admin_error(r, &err);
            return;
        }
        snprintf(r->log_ids, sizeof(r->log_ids), " org=%s credential=%s", org->id, rec.issued.id);
        audit(r, moves[i].event, org->id, rec.issued.offer_id, rec.issued.id, "");
        credential_json(s, &rec, &r->out);
        req_json(r, 200);
        req_add_header(r, "Cache-Control", "no-store");
        return;
    }
    gr_fail(&err, GR_ERR_NOT_FOUND, "There is nothing at this address.");
    admin_error(r, &err);
}

/* see server.h */
void route_credentials(struct req *r, struct gr_str rest)
{
    const struct server *s = r->srv;
    struct gr_credential_rec rec;
    struct gr_org org;
    struct gr_str key, id = { "", 0 }, action = { NULL, 0 };
    struct gr_err err;
    const char *slash;

    if (rest.len) {
        id = (struct gr_str){ rest.p + 1, rest.len - 1 }; /* rest starts with '/' (routes.c) */
        slash = memchr(id.p, '/', id.len);
        if (slash) {
            action = (struct gr_str){ slash + 1, (size_t)(id.p + id.len - slash - 1) };
            id.len = (size_t)(slash - id.p);
        }
    }
    /* Named before the key is checked, so that /metrics counts a refusal under its route. */
    r->route = rest.len == 0 ? "credentials" : action.p ? "credential_status" : "credential_show";
    if (admin_auth(r, &org, &key, &err) < 0) {
        admin_error(r, &err);
        return;
    }
    if (rest.len == 0) {
        if (!req_is(r, "GET")) {
            gr_fail(&err, GR_ERR_INVALID_REQUEST, "This endpoint takes GET only.");
            admin_error(r, &err);
            r->status = 405;
            return;
        }
        list(r, &org);
        return;
    }
    if (id.len == 0 || id.len > GR_STORE_ID_LEN) {
        gr_fail(&err, GR_ERR_NOT_FOUND, "There is no such credential.");
        admin_error(r, &err);
    } else if (action.p) {
        change(r, &org, id, action);
    } else if (s->store.ops->credential_get(s->store.ctx, gr_str_c(org.id), id, &rec, &err) < 0) {
        admin_error(r, &err);
    } else {
        credential_json(s, &rec, &r->out);
        req_json(r, 200);
        req_add_header(r, "Cache-Control", "no-store");
    }
}

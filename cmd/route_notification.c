/* POST /oid4vci/notification (OID4VCI 1.0 §11): the wallet says what became of its credentials. */
#include "server.h"

#include <string.h>

#include <jansson.h>

#include "core/internal.h"

static bool description_ok(struct gr_str s)
{
    /* §11.1: %x20-21 / %x23-5B / %x5D-7E, as in error_description. */
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* see server.h */
void route_notification(struct req *r)
{
    static const char *const events[] = { "credential_accepted", "credential_failure",
                                          "credential_deleted" };
    struct gr_token tok;
    struct gr_token_hash th;
    struct gr_err err;
    json_t *body = NULL;
    struct gr_str nid, event, desc;
    char want[GR_STORE_ID_LEN + 1], kind[48];
    bool dpop = false;
    size_t i;

    if (resource_auth(r, "/oid4vci/notification", &tok, &th, &dpop, &err) < 0)
        goto fail;
    if (!req_content_type_is(r, "application/json")) {
        gr_fail(&err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
                "The notification must be application/json.");
        goto fail;
    }
    body = gr__json_parse(req_body(r), GR_MAX_BODY, JSON_OBJECT, "The notification", &err);
    if (body == NULL) {
        gr_err_recode(&err, GR_ERR_INVALID_NOTIFICATION_REQUEST);
        goto fail;
    }
    nid = gr__json_str(body, "notification_id");
    event = gr__json_str(body, "event");
    desc = gr__json_str(body, "event_description");
    for (i = 0; i < GR_NELEM(events) && !gr_str_eq_c(event, events[i]); i++)
        ;
    if (nid.p == NULL || i == GR_NELEM(events) ||
        (json_object_get(body, "event_description") && (desc.p == NULL || !description_ok(desc)))) {
        gr_fail(
            &err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
            "A notification needs a notification_id and a known event, and a plain description.");
        goto fail;
    }
    notification_id(&th, want);
    if (!gr_str_eq_c(nid, want)) {
        gr_fail(&err, GR_ERR_INVALID_NOTIFICATION_ID,
                "This notification_id is not one of this access token.");
        goto fail;
    }
    /* Recorded each time it comes: the endpoint is idempotent, the trail says what was sent. */
    snprintf(kind, sizeof(kind), "notification.%s", events[i]);
    audit(r, kind, tok.org_id, tok.offer_id, "", "");
    r->status = 204;
    req_add_header(r, "Cache-Control", "no-store");
    req_dpop_nonce_header(r);
    json_decref(body);
    return;
fail:
    json_decref(body);
    req_token_error(r, &err, dpop);
    if (err.code == GR_ERR_USE_DPOP_NONCE)
        req_dpop_nonce_header(r);
}

/* POST /oid4vci/notification (OID4VCI 1.0 §11): the wallet says what became of its credentials. */
#include "server.h"

#include <string.h>

/* see server.h */
void route_notification(struct req *r)
{
    struct gr_token tok;
    struct gr_token_hash th;
    struct gr_notification_request nr;
    struct gr_err err;
    char want[GR_STORE_ID_LEN + 1], kind[48];
    bool dpop = false;

    memset(&nr, 0, sizeof(nr));
    if (resource_auth(r, "/oid4vci/notification", &tok, &th, &dpop, &err) < 0)
        goto fail;
    if (!req_content_type_is(r, "application/json")) {
        gr_fail(&err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
                "The notification must be application/json.");
        goto fail;
    }
    if (gr_notification_request_parse(req_body(r), &nr, &err) < 0)
        goto fail;
    notification_id(&th, want);
    if (!gr_str_eq_c(nr.notification_id, want)) {
        gr_fail(&err, GR_ERR_INVALID_NOTIFICATION_ID,
                "This notification_id is not one of this access token.");
        goto fail;
    }
    /* Recorded each time it comes: the endpoint is idempotent, the trail says what was sent. */
    snprintf(kind, sizeof(kind), "notification.%s", gr_notification_event_name(nr.event));
    audit(r, kind, tok.org_id, tok.offer_id, "", "");
    r->status = 204;
    req_add_header(r, "Cache-Control", "no-store");
    req_dpop_nonce_header(r);
    gr_notification_request_release(&nr);
    return;
fail:
    gr_notification_request_release(&nr);
    req_token_error(r, &err, dpop);
    if (err.code == GR_ERR_USE_DPOP_NONCE)
        req_dpop_nonce_header(r);
}

/* The notification request (OID4VCI 1.0 §11.1). */
#include <gramota/oid4vci.h>

#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

static const char *const events[] = { "credential_accepted", "credential_failure",
                                      "credential_deleted" };

/* see oid4vci.h */
const char *gr_notification_event_name(enum gr_notification_event e)
{
    return (unsigned)e < GR_NELEM(events) ? events[e] : "?";
}

/* §11.1: the description's characters are error_description's. */
static bool plain(struct gr_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static int parse(struct gr_str body, struct gr_notification_request *req, struct gr_err *err)
{
    json_t *root;
    struct gr_str event;
    const json_t *desc;
    size_t i = 0;

    memset(req, 0, sizeof(*req));
    root = gr__json_parse(body, GR_MAX_BODY, JSON_OBJECT, "The notification", err);
    if (root == NULL)
        return gr_err_recode(err, GR_ERR_INVALID_NOTIFICATION_REQUEST);
    req->root = gr__json_hide(root);
    req->notification_id = gr__json_str(root, "notification_id");
    if (req->notification_id.p == NULL || req->notification_id.len == 0)
        return gr_fail(err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
                       "The notification has no notification_id.");
    event = gr__json_str(root, "event");
    while (i < GR_NELEM(events) && !gr_str_eq_c(event, events[i]))
        i++;
    if (i == GR_NELEM(events))
        return gr_fail(
            err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
            "The event must be credential_accepted, credential_failure or credential_deleted.");
    req->event = (enum gr_notification_event)i;
    desc = json_object_get(root, "event_description");
    if (desc) {
        req->description = gr__json_strv(desc);
        if (req->description.p == NULL || !plain(req->description))
            return gr_fail(err, GR_ERR_INVALID_NOTIFICATION_REQUEST,
                           "The event_description must be a string of plain printable characters.");
    }
    return 0;
}

/* see oid4vci.h */
int gr_notification_request_parse(struct gr_str body, struct gr_notification_request *req,
                                  struct gr_err *err)
{
    if (parse(body, req, err) == 0)
        return 0;
    gr_notification_request_release(req); /* nothing is left to release on failure */
    return -1;
}

/* see oid4vci.h */
void gr_notification_request_release(struct gr_notification_request *req)
{
    if (req == NULL)
        return;
    json_decref(gr__json_t(req->root));
    memset(req, 0, sizeof(*req)); /* no view outlives the body */
}

/*
 * Notification bodies (OID4VCI §11.1). Invariants: a parsed request has a
 * non-empty notification_id, a known event and a plain description; a
 * failure is INVALID_NOTIFICATION_REQUEST with a clean sentence.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/oid4vci.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_notification_request n;
    struct gr_err err;

    if (gr_notification_request_parse((struct gr_str){ (const char *)data, len }, &n, &err) == 0) {
        assert(n.notification_id.len > 0);
        assert(strcmp(gr_notification_event_name(n.event), "?") != 0);
        for (size_t i = 0; n.description.p && i < n.description.len; i++)
            assert(n.description.p[i] >= 0x20 && n.description.p[i] != '"' &&
                   n.description.p[i] != '\\');
    } else {
        assert(err.code == GR_ERR_INVALID_NOTIFICATION_REQUEST);
        assert(err.desc[0] && strchr(err.desc, '"') == NULL && strchr(err.desc, '\\') == NULL);
    }
    gr_notification_request_release(&n);
    return 0;
}

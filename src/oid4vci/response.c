/* What the issuer answers at the token and credential endpoints (RFC 6749 §5.1, OID4VCI §6.2,
 * §8.3). */
#include <gramota/oid4vci.h>

#include <inttypes.h>

/* see oid4vci.h */
void gr_token_response_json(const struct gr_token_response *t, struct gr_buf *out)
{
    gr_buf_adds(out, "{\"access_token\":");
    gr_buf_add_json_string(out, t->access_token);
    gr_buf_printf(out, ",\"token_type\":\"%s\",\"expires_in\":%" PRId64,
                  t->dpop ? "DPoP" : "Bearer", t->expires_in);
    if (t->c_nonce.p) {
        gr_buf_adds(out, ",\"c_nonce\":");
        gr_buf_add_json_string(out, t->c_nonce);
        gr_buf_printf(out, ",\"c_nonce_expires_in\":%" PRId64, t->c_nonce_expires_in);
    }
    gr_buf_addc(out, '}');
}

/* see oid4vci.h */
void gr_credential_response_json(enum gr_vci_dialect dialect,
                                 const struct gr_sdjwt_vc_issued *issued, size_t n,
                                 struct gr_str notification_id, struct gr_buf *out)
{
    if (dialect == GR_VCI_DRAFT13) {
        gr_buf_adds(out, "{\"credential\":");
        gr_buf_add_json_string(out,
                               n ? gr_buf_str(&issued[0].credential) : (struct gr_str){ "", 0 });
        gr_buf_addc(out, '}');
        return;
    }
    gr_buf_adds(out, "{\"credentials\":[");
    for (size_t i = 0; i < n; i++) {
        gr_buf_adds(out, i ? ",{\"credential\":" : "{\"credential\":");
        gr_buf_add_json_string(out, gr_buf_str(&issued[i].credential));
        gr_buf_addc(out, '}');
    }
    gr_buf_addc(out, ']');
    if (notification_id.p) {
        gr_buf_adds(out, ",\"notification_id\":");
        gr_buf_add_json_string(out, notification_id);
    }
    gr_buf_addc(out, '}');
}

/* The token request for the pre-authorized code grant (OID4VCI 1.0 §6.1). */
#include <gramota/oid4vci.h>

#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

static int parse(struct gr_str body, struct gr_token_request *req, struct gr_err *err)
{
    struct gr_str grant, user_pin;

    memset(req, 0, sizeof(*req));
    if (gr_form_parse(body, &req->form, err) < 0)
        return -1;
    grant = gr_form_get(&req->form, "grant_type");
    if (grant.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "The token request has no grant_type.");
    if (!gr_str_eq_c(grant, GR_GRANT_PRE_AUTHORIZED))
        return gr_fail(err, GR_ERR_UNSUPPORTED_GRANT_TYPE,
                       "Only the pre-authorized code grant is supported.");
    req->code = gr_form_get(&req->form, "pre-authorized_code");
    if (req->code.p == NULL || req->code.len == 0)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "The token request has no pre-authorized_code.");
    req->client_id = gr_form_get(&req->form, "client_id");
    /*
     * Wallets built on Draft 11 send the transaction code as user_pin. Take
     * either; two different values are a malformed request, not a guess.
     */
    req->tx_code = gr_form_get(&req->form, "tx_code");
    user_pin = gr_form_get(&req->form, "user_pin");
    if (req->tx_code.p == NULL)
        req->tx_code = user_pin;
    else if (user_pin.p != NULL && !gr_str_eq(user_pin, req->tx_code))
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "The tx_code and user_pin disagree.");
    return 0;
}

/* see oid4vci.h */
int gr_token_request_parse(struct gr_str body, struct gr_token_request *req, struct gr_err *err)
{
    if (parse(body, req, err) == 0)
        return 0;
    gr_token_request_release(req); /* nothing is left to release on failure */
    return -1;
}

/* see oid4vci.h */
void gr_token_request_release(struct gr_token_request *req)
{
    if (req == NULL)
        return;
    gr_form_release(&req->form);
    memset(req, 0, sizeof(*req)); /* no view outlives the form */
}

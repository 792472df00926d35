/* The admin API's offer request (API.md §2) and the Credential Offer it makes (OID4VCI §4.1). */
#include <gramota/oid4vci.h>

#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

#define MAX_OFFER_LIFETIME      (30 * 86400)        /* a code lives at most a month */
#define MAX_CREDENTIAL_LIFETIME (10 * 366 * 86400L) /* and a credential ten years */
#define MAX_TX_DESCRIPTION      300                 /* OID4VCI §4.1.1 */

static const char *const known_fields[] = {
    "subject", "vct",       "credentialConfigurationId", "selectivelyDisclosable",
    "txCode",  "expiresIn", "credentialExpiresIn",       "byReference",
};

static int bad(struct gr_err *err, const char *sentence)
{
    return gr_fail(err, GR_ERR_INVALID_REQUEST, "%s", sentence);
}

/* Our own API refuses what it does not know: a misspelt field should not pass silently. */
static int check_fields(const json_t *root, struct gr_err *err)
{
    const char *key;
    const json_t *v;

    json_object_foreach ((json_t *)root, key, v) {
        size_t i = 0;

        while (i < GR_NELEM(known_fields) && strcmp(key, known_fields[i]) != 0)
            i++;
        if (i == GR_NELEM(known_fields)) {
            /* Name it only when that is safe in an error_description (RFC 6749 §5.2 charset). */
            if (strlen(key) <= 40 &&
                strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                    strlen(key))
                return gr_fail(err, GR_ERR_INVALID_REQUEST, "The field %s is not known.", key);
            return gr_fail(err, GR_ERR_INVALID_REQUEST,
                           "The request has a field that is not known.");
        }
    }
    return 0;
}

static int seconds(const json_t *root, const char *name, int64_t max, int64_t *out,
                   struct gr_err *err)
{
    const json_t *v = json_object_get(root, name);

    *out = 0;
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 60 || json_integer_value(v) > max)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "%s must be a whole number of seconds from 60 to %lld.", name,
                       (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* txCode: true, or {length, inputMode, description} (OID4VCI §4.1.1). */
static int parse_tx_code(const json_t *v, struct gr_offer_request *req, struct gr_err *err)
{
    const json_t *length, *mode, *desc;

    if (v == NULL || json_is_false(v))
        return 0;
    req->tx_code = true;
    if (json_is_true(v))
        return 0;
    if (!json_is_object(v))
        return bad(err, "txCode must be true or an object.");
    length = json_object_get(v, "length");
    mode = json_object_get(v, "inputMode");
    desc = json_object_get(v, "description");
    if (mode && !gr_str_eq_c(gr__json_strv(mode), "numeric") &&
        !gr_str_eq_c(gr__json_strv(mode), "text"))
        return bad(err, "txCode.inputMode must be numeric or text.");
    req->tx_input_mode =
        mode && gr_str_eq_c(gr__json_strv(mode), "text") ? GR_TX_TEXT : GR_TX_NUMERIC;
    /* Wallets read a numeric code as an integer: the EU wallet caps it at nine digits. */
    if (length && (!json_is_integer(length) || json_integer_value(length) < 4 ||
                   json_integer_value(length) > (req->tx_input_mode == GR_TX_NUMERIC ? 9 : 16)))
        return bad(err, "txCode.length must be 4 to 9 digits, or 4 to 16 characters for text.");
    req->tx_length = length ? (int)json_integer_value(length) : 0;
    if (desc && (!json_is_string(desc) || json_string_length(desc) > MAX_TX_DESCRIPTION))
        return bad(err, "txCode.description must be a string of at most 300 characters.");
    req->tx_description = desc ? gr__json_strv(desc) : (struct gr_str){ NULL, 0 };
    return 0;
}

static int parse_disclosable(const json_t *v, struct gr_offer_request *req, struct gr_err *err)
{
    size_t i;
    const json_t *name;

    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return bad(err, "selectivelyDisclosable must be an array of claim names.");
    json_array_foreach (v, i, name) {
        if (!json_is_string(name) || json_string_length(name) == 0)
            return bad(err, "selectivelyDisclosable must be an array of claim names.");
    }
    gr__json_dump(v, false, &req->disclosable_json);
    return 0;
}

static int parse_selector(const json_t *root, struct gr_offer_request *req, struct gr_err *err)
{
    const json_t *vct = json_object_get(root, "vct");
    const json_t *id = json_object_get(root, "credentialConfigurationId");

    if ((vct && (!json_is_string(vct) || json_string_length(vct) == 0)) ||
        (id && (!json_is_string(id) || json_string_length(id) == 0)))
        return bad(err, "vct and credentialConfigurationId must be non-empty strings.");
    if (vct == NULL && id == NULL)
        return bad(err, "Say which credential to offer: vct or credentialConfigurationId.");
    req->vct = vct ? gr__json_strv(vct) : (struct gr_str){ NULL, 0 };
    req->configuration_id = id ? gr__json_strv(id) : (struct gr_str){ NULL, 0 };
    return 0;
}

static int parse(struct gr_str body, struct gr_offer_request *req, struct gr_err *err)
{
    const json_t *subject, *by_ref;
    json_t *root;

    memset(req, 0, sizeof(*req));
    gr_buf_init(&req->subject_json, GR_MAX_CLAIMS_LEN);
    gr_buf_init(&req->disclosable_json, GR_MAX_CLAIMS_LEN);
    root = gr__json_parse(body, GR_MAX_BODY, JSON_OBJECT, "The offer request", err);
    if (root == NULL)
        return gr_err_recode(err, GR_ERR_INVALID_REQUEST);
    req->root = gr__json_hide(root);
    if (check_fields(root, err) < 0 || parse_selector(root, req, err) < 0)
        return -1;
    subject = json_object_get(root, "subject");
    if (subject == NULL)
        return bad(err, "The offer request has no subject.");
    if (!json_is_object(subject))
        return bad(err, "The subject must be a JSON object of claims.");
    gr__json_dump(subject, false, &req->subject_json);
    if (gr_buf_check(&req->subject_json, err) < 0)
        return bad(err, "The subject is too large.");
    by_ref = json_object_get(root, "byReference");
    if (by_ref && !json_is_boolean(by_ref))
        return bad(err, "byReference must be true or false.");
    req->by_reference = json_is_true(by_ref);
    if (parse_tx_code(json_object_get(root, "txCode"), req, err) < 0 ||
        parse_disclosable(json_object_get(root, "selectivelyDisclosable"), req, err) < 0 ||
        seconds(root, "expiresIn", MAX_OFFER_LIFETIME, &req->expires_in, err) < 0 ||
        seconds(root, "credentialExpiresIn", MAX_CREDENTIAL_LIFETIME, &req->credential_expires_in,
                err) < 0)
        return -1;
    return 0;
}

/* see oid4vci.h */
int gr_offer_request_parse(struct gr_str body, struct gr_offer_request *req, struct gr_err *err)
{
    if (parse(body, req, err) == 0)
        return 0;
    gr_offer_request_release(req); /* nothing is left to release on failure */
    return -1;
}

/* see oid4vci.h */
void gr_offer_request_release(struct gr_offer_request *req)
{
    if (req == NULL)
        return;
    json_decref(gr__json_t(req->root));
    gr_buf_release(&req->subject_json);
    gr_buf_release(&req->disclosable_json);
    memset(req, 0, sizeof(*req)); /* no view outlives the body */
}

/* see oid4vci.h */
void gr_offer_json(struct gr_str issuer_url, const struct gr_offer *offer, struct gr_str code,
                   struct gr_buf *out)
{
    gr_buf_adds(out, "{\"credential_issuer\":");
    gr__json_quote(issuer_url, out);
    gr_buf_adds(out, ",\"credential_configuration_ids\":[");
    gr__json_quote(gr_str_c(offer->config_id), out);
    gr_buf_adds(out, "],\"grants\":{\"" GR_GRANT_PRE_AUTHORIZED "\":{\"pre-authorized_code\":");
    gr__json_quote(code, out);
    if (offer->has_tx_code) {
        gr_buf_printf(out, ",\"tx_code\":{\"input_mode\":\"%s\",\"length\":%d",
                      offer->tx_input_mode == GR_TX_TEXT ? "text" : "numeric", offer->tx_length);
        if (offer->tx_description[0]) {
            gr_buf_adds(out, ",\"description\":");
            gr__json_quote(gr_str_c(offer->tx_description), out);
        }
        gr_buf_addc(out, '}');
    }
    gr_buf_adds(out, "}}}");
}

/* see oid4vci.h */
void gr_offer_url(struct gr_str offer_json_or_uri, bool by_reference, struct gr_buf *out)
{
    gr_buf_adds(out, by_reference ? "openid-credential-offer://?credential_offer_uri="
                                  : "openid-credential-offer://?credential_offer=");
    gr_buf_add_urlencoded(out, offer_json_or_uri);
}

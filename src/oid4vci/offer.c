/* The admin API's offer request (API.md §2) and the Credential Offer it makes (OID4VCI §4.1). */
#include <gramota/oid4vci.h>

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
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

/* see oid4vci.h */
int gr_tx_code_new(enum gr_tx_input_mode mode, int length, char *out, struct gr_err *err)
{
    static const char text_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* no 0/O, 1/I */
    const char *alphabet = mode == GR_TX_TEXT ? text_alphabet : "0123456789";
    unsigned n = mode == GR_TX_TEXT ? 32 : 10, limit = 256 - 256 % n;
    int i = 0;

    if (length < 1 || length > GR_TX_CODE_MAX)
        return gr_fail(err, GR_ERR_USAGE, "A transaction code has 1 to %d characters.",
                       GR_TX_CODE_MAX);
    while (i < length) {
        uint8_t b[16];

        if (gr_random(b, sizeof(b), err) < 0)
            return -1;
        for (size_t j = 0; j < sizeof(b) && i < length; j++) {
            if (b[j] < limit) /* a byte past the last whole alphabet would favour its start */
                out[i++] = alphabet[b[j] % n];
        }
    }
    out[length] = '\0';
    return 0;
}

/* ---- making an offer ---- */

/* The configuration by credentialConfigurationId and/or vct; both must name the same one. */
static int offer_type(const struct gr_offer_request *req, const struct gr_cred_types *types,
                      const struct gr_cred_type **out, struct gr_err *err)
{
    const struct gr_cred_type *by_id = NULL, *by_vct = NULL;

    if (req->configuration_id.p &&
        (by_id = gr_cred_types_get(types, req->configuration_id)) == NULL)
        return bad(err, "There is no such credential configuration.");
    if (req->vct.p && (by_vct = gr_cred_types_by_vct(types, req->vct)) == NULL)
        return bad(err, "No credential configuration has this vct.");
    if (by_id && by_vct && by_id != by_vct)
        return bad(err, "The vct and credentialConfigurationId disagree.");
    if ((*out = by_id ? by_id : by_vct) == NULL)
        return bad(err, "The offer names no credential configuration.");
    return 0;
}

/* The claims the configuration marks mandatory are there: a wallet may refuse it otherwise. */
static int check_mandatory(const struct gr_cred_type *t, const json_t *subject, struct gr_err *err)
{
    for (size_t i = 0; i < gr_cred_type_claim_count(t); i++) {
        bool mandatory = false;
        struct gr_str name = gr_cred_type_claim(t, i, &mandatory);
        char key[128];

        if (!mandatory || name.len >= sizeof(key))
            continue;
        memcpy(key, name.p, name.len);
        key[name.len] = '\0';
        if (json_object_get(subject, key) == NULL)
            return gr_fail(err, GR_ERR_INVALID_REQUEST,
                           "The subject lacks the mandatory claim %.60s.", key);
    }
    return 0;
}

/*
 * What travels as a disclosure: the request's list, or else the
 * configuration's paths plus every other top-level claim of the subject.
 */
static char *disclosable(const struct gr_cred_type *t, const struct gr_offer_request *req,
                         const json_t *subject)
{
    struct gr_str type_paths = gr_cred_type_disclosable(t);
    json_t *paths, *v;
    struct gr_buf out;
    const char *key;
    size_t i;

    if (req->disclosable_json.len)
        return gr__xstrndup(req->disclosable_json.data, req->disclosable_json.len);
    paths = json_loadb(type_paths.p, type_paths.len, 0, NULL);
    if (!json_is_array(paths)) {
        json_decref(paths);
        paths = json_array();
    }
    json_object_foreach ((json_t *)subject, key, v) {
        bool listed = false;
        json_t *p;

        json_array_foreach (paths, i, p) {
            const json_t *first = json_is_array(p) ? json_array_get(p, 0) : p;

            listed |= json_array_size(p) <= 1 && json_is_string(first) &&
                      strcmp(json_string_value(first), key) == 0;
        }
        if (!listed)
            json_array_append_new(paths, json_string(key));
    }
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr__json_dump(paths, false, &out);
    json_decref(paths);
    return gr_buf_take(&out, &i);
}

/* The claims checked exactly as issuance will use them: the template that will issue them. */
static int make_template(struct gr_offer_made *m, const struct gr_offer_issuer *is,
                         struct gr_err *err)
{
    struct gr_sdjwt_vc_spec spec = {
        .vct = gr_cred_type_vct(m->type),
        .iss = is->issuer_url,
        .claims_json = gr_str_c(m->offer.subject_json),
        .disclosable_json = gr_str_c(m->offer.disclosable_json),
    };

    gr_cred_type_decoys(m->type, &spec.decoys_min, &spec.decoys_max);
    if ((m->tpl = gr_sdjwt_vc_template_new(&spec, is->signer, err)) == NULL)
        return gr_err_recode(err, err->code == GR_ERR_TOO_LARGE ? GR_ERR_REQUEST_TOO_LARGE
                                                                : GR_ERR_INVALID_REQUEST);
    return 0;
}

/* A transaction code when asked for: drawn, shown once, kept as its hash. */
static int draw_tx_code(struct gr_offer_made *m, const struct gr_offer_request *req,
                        int default_length, struct gr_err *err)
{
    struct gr_offer *o = &m->offer;

    if (!req->tx_code)
        return 0;
    o->has_tx_code = true;
    o->tx_input_mode = req->tx_input_mode;
    o->tx_length = req->tx_length ? req->tx_length : default_length;
    if (req->tx_description.p)
        snprintf(o->tx_description, sizeof(o->tx_description), "%.*s", (int)req->tx_description.len,
                 req->tx_description.p);
    if (gr_tx_code_new(o->tx_input_mode, o->tx_length, m->tx_code, err) < 0)
        return -1;
    gr_sha256(m->tx_code, strlen(m->tx_code), o->tx_code_hash);
    return 0;
}

static int fill(const struct gr_offer_issuer *is, const struct gr_offer_request *req, int64_t now,
                struct gr_offer_made *m, struct gr_err *err)
{
    const json_t *subject = json_object_get(gr__json_t(req->root), "subject");
    struct gr_offer *o = &m->offer;
    struct gr_str id;

    if (is == NULL || is->types == NULL || is->signer == NULL)
        return gr_fail(err, GR_ERR_USAGE, "gr_offer_make needs the issuer's types and signer.");
    if (offer_type(req, is->types, &m->type, err) < 0 || check_mandatory(m->type, subject, err) < 0)
        return -1;
    id = gr_cred_type_id(m->type);
    snprintf(o->config_id, sizeof(o->config_id), "%.*s", (int)id.len, id.p);
    o->subject_json = gr__xstrndup(req->subject_json.data, req->subject_json.len);
    o->disclosable_json = disclosable(m->type, req, subject);
    if (make_template(m, is, err) < 0 || gr__random_b64url(16, o->id, err) < 0 ||
        gr_secret_new(m->code, o->code_hash, err) < 0 ||
        draw_tx_code(m, req, is->tx_code_length ? is->tx_code_length : 6, err) < 0)
        return -1;
    o->by_reference = req->by_reference;
    o->state = GR_OFFER_PENDING;
    o->created_at = now;
    o->expires_at = now + (req->expires_in ? req->expires_in : is->lifetime ? is->lifetime : 1800);
    o->credential_lifetime =
        req->credential_expires_in ? req->credential_expires_in : gr_cred_type_lifetime(m->type);
    return 0;
}

/* see oid4vci.h */
int gr_offer_make(const struct gr_offer_issuer *issuer, const struct gr_offer_request *req,
                  int64_t now, struct gr_offer_made *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (fill(issuer, req, now, out, err) < 0) {
        gr_offer_made_release(out);
        return -1;
    }
    return 0;
}

/* see oid4vci.h */
void gr_offer_made_release(struct gr_offer_made *m)
{
    if (m == NULL)
        return;
    OPENSSL_cleanse(m->code, sizeof(m->code));
    OPENSSL_cleanse(m->tx_code, sizeof(m->tx_code));
    gr_offer_release(&m->offer);
    gr_sdjwt_vc_template_free(m->tpl);
    memset(m, 0, sizeof(*m));
}

/*
 * Making an offer, shared by POST /v1/credential-offers and `gramota offer
 * create`: the request checked against its credential type, the claims
 * checked as the credential will be built from them, a pre-authorized code and
 * maybe a transaction code drawn, and only their hashes stored.
 */
#include "offers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "seal.h"

#define CODE_BYTES 32

static int pick_type(const struct server *s, const struct gr_offer_request *req,
                     const struct gr_cred_type **out, struct gr_err *err)
{
    const struct gr_cred_type *by_id = NULL, *by_vct = NULL;

    if (req->configuration_id.p &&
        (by_id = gr_cred_types_get(s->types, req->configuration_id)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "There is no such credential configuration.");
    if (req->vct.p && (by_vct = gr_cred_types_by_vct(s->types, req->vct)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "No credential configuration has this vct.");
    if (by_id && by_vct && by_id != by_vct)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "The vct and credentialConfigurationId disagree.");
    *out = by_id ? by_id : by_vct;
    return 0;
}

/* The claims the type marks mandatory must be there (a wallet may refuse the credential otherwise).
 */
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
 * What travels as a disclosure: the request's list, or else the type's paths
 * plus every other top-level claim of the subject (API.md: by default every
 * claim is selectively disclosable).
 */
static void disclosable(const struct gr_cred_type *t, const struct gr_offer_request *req,
                        const json_t *subject, struct gr_buf *out)
{
    struct gr_str type_paths = gr_cred_type_disclosable(t);
    json_t *paths = NULL, *v;
    const char *key;
    size_t i;

    if (req->disclosable_json.len) {
        gr_buf_addstr(out, gr_buf_str(&req->disclosable_json));
        return;
    }
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
    cmd_json_dump(paths, out);
    json_decref(paths);
}

/* A numeric code by rejection sampling: every digit equally likely. */
static int draw_tx_code(enum gr_tx_input_mode mode, int length, char *out, struct gr_err *err)
{
    static const char text_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* no 0/O, 1/I */
    const char *alphabet = mode == GR_TX_TEXT ? text_alphabet : "0123456789";
    unsigned n = mode == GR_TX_TEXT ? 32 : 10, limit = 256 - 256 % n;
    int i = 0;

    while (i < length) {
        uint8_t b[16];

        if (gr_random(b, sizeof(b), err) < 0)
            return -1;
        for (size_t j = 0; j < sizeof(b) && i < length; j++) {
            if (b[j] < limit)
                out[i++] = alphabet[b[j] % n];
        }
    }
    out[length] = '\0';
    return 0;
}

static int draw_code(char *code, uint8_t hash[32], struct gr_err *err)
{
    uint8_t raw[CODE_BYTES];

    if (gr_random(raw, sizeof(raw), err) < 0)
        return -1;
    gr_b64url_encode(raw, sizeof(raw), code);
    code[gr_b64url_len(sizeof(raw))] = '\0';
    gr_sha256(code, strlen(code), hash);
    return 0;
}

static int draw_id(char id[GR_STORE_ID_LEN + 1], struct gr_err *err)
{
    uint8_t raw[16];

    if (gr_random(raw, sizeof(raw), err) < 0)
        return -1;
    gr_b64url_encode(raw, sizeof(raw), id);
    id[GR_STORE_ID_LEN] = '\0';
    return 0;
}

/* Check the claims exactly as issuance will use them, so that a bad offer fails now. */
static int check_claims(const struct server *s, const struct gr_cred_type *t, struct gr_offer *o,
                        struct gr_err *err)
{
    struct gr_sdjwt_vc_spec spec = {
        .vct = gr_cred_type_vct(t),
        .claims_json = gr_str_c(o->subject_json),
        .disclosable_json = gr_str_c(o->disclosable_json),
    };
    struct gr_sdjwt_vc_template *tpl;

    gr_cred_type_decoys(t, &spec.decoys_min, &spec.decoys_max);
    tpl = gr_sdjwt_vc_template_new(&spec, server_signer(s), err);
    if (tpl == NULL)
        return gr_err_recode(err, err->code == GR_ERR_TOO_LARGE ? GR_ERR_REQUEST_TOO_LARGE
                                                                : GR_ERR_INVALID_REQUEST);
    gr_sdjwt_vc_template_free(tpl);
    return 0;
}

static void build_urls(const struct server *s, struct offer_made *m)
{
    gr_offer_json(s->issuer_url, &m->offer, gr_str_c(m->code), &m->offer_json);
    if (m->offer.by_reference) {
        gr_buf_addstr(&m->offer_uri, s->issuer_url);
        gr_buf_adds(&m->offer_uri, "/oid4vci/credential-offer/");
        gr_buf_adds(&m->offer_uri, m->code);
        gr_offer_url(gr_buf_str(&m->offer_uri), true, &m->url);
    } else {
        gr_offer_url(gr_buf_str(&m->offer_json), false, &m->url);
    }
}

/* see offers.h */
int offer_make(const struct server *s, const struct gr_org *org, const struct gr_offer_request *req,
               struct gr_str api_key, int64_t now, struct offer_made *m, struct gr_err *err)
{
    const struct gr_cred_type *t = NULL;
    json_t *subject = NULL;
    struct gr_offer *o = &m->offer;
    struct gr_buf paths;
    int rc = -1;

    gr_buf_init(&paths, GR_MAX_CLAIMS_LEN);
    /* The claims' names, from the request's re-serialized subject (its JSON tree is private). */
    subject = json_loadb(req->subject_json.data, req->subject_json.len, 0, NULL);
    if (!json_is_object(subject)) {
        gr_fail(err, GR_ERR_SERVER_ERROR, "The subject cannot be read.");
        goto out;
    }
    if (pick_type(s, req, &t, err) < 0 || check_mandatory(t, subject, err) < 0 ||
        draw_id(o->id, err) < 0 || draw_code(m->code, o->code_hash, err) < 0)
        goto out;
    memcpy(o->org_id, org->id, sizeof(o->org_id));
    snprintf(o->config_id, sizeof(o->config_id), "%.*s", (int)gr_cred_type_id(t).len,
             gr_cred_type_id(t).p);
    if (req->tx_code) {
        o->has_tx_code = true;
        o->tx_input_mode = req->tx_input_mode;
        o->tx_length = req->tx_length ? req->tx_length : s->set.tx_code_length;
        if (req->tx_description.p)
            snprintf(o->tx_description, sizeof(o->tx_description), "%.*s",
                     (int)req->tx_description.len, req->tx_description.p);
        if (draw_tx_code(o->tx_input_mode, o->tx_length, m->tx_code, err) < 0)
            goto out;
        gr_sha256(m->tx_code, strlen(m->tx_code), o->tx_code_hash);
    }
    o->by_reference = req->by_reference;
    o->state = GR_OFFER_PENDING;
    o->created_at = now;
    o->expires_at = now + (req->expires_in ? req->expires_in : s->set.offer_lifetime);
    o->credential_lifetime =
        req->credential_expires_in ? req->credential_expires_in : gr_cred_type_lifetime(t);
    o->subject_json = cmd_xstrndup(req->subject_json.data, req->subject_json.len);
    disclosable(t, req, subject, &paths);
    o->disclosable_json = cmd_xstrndup(paths.data ? paths.data : "[]", paths.len);
    if (check_claims(s, t, o, err) < 0)
        goto out;
    build_urls(s, m);
    if (api_key.len && seal_url(api_key, gr_str_c(o->id), gr_buf_str(&m->url), &o->sealed_url,
                                &o->sealed_url_len, err) < 0)
        goto out;
    rc = s->store.ops->offer_put(s->store.ctx, o, err);
out:
    json_decref(subject);
    gr_buf_release(&paths);
    return rc;
}

/* RFC 3339 UTC, as the admin API writes times. */
void iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* see offers.h */
void offer_made_json(const struct offer_made *m, struct gr_buf *out)
{
    char expires[32];

    iso_time(m->offer.expires_at, expires);
    gr_buf_adds(out, "{\"offerId\":");
    gr_buf_add_json_string(out, gr_str_c(m->offer.id));
    gr_buf_adds(out, ",\"offerUrl\":");
    gr_buf_add_json_string(out, gr_buf_str(&m->url));
    gr_buf_adds(out, ",\"preAuthCode\":");
    gr_buf_add_json_string(out, gr_str_c(m->code));
    gr_buf_adds(out, ",\"credentialOffer\":");
    gr_buf_addstr(out, gr_buf_str(&m->offer_json));
    if (m->offer.by_reference) {
        gr_buf_adds(out, ",\"credentialOfferUri\":");
        gr_buf_add_json_string(out, gr_buf_str(&m->offer_uri));
    }
    if (m->offer.has_tx_code) {
        gr_buf_adds(out, ",\"txCode\":");
        gr_buf_add_json_string(out, gr_str_c(m->tx_code));
    }
    gr_buf_printf(out, ",\"expiresAt\":\"%s\"}", expires);
}

/* see offers.h */
void offer_made_init(struct offer_made *m)
{
    memset(m, 0, sizeof(*m));
    gr_buf_init(&m->offer_json, GR_BUF_UNBOUNDED);
    gr_buf_init(&m->offer_uri, GR_BUF_UNBOUNDED);
    gr_buf_init(&m->url, GR_BUF_UNBOUNDED);
}

/* see offers.h */
void offer_made_release(struct offer_made *m)
{
    OPENSSL_cleanse(m->code, sizeof(m->code));
    OPENSSL_cleanse(m->tx_code, sizeof(m->tx_code));
    gr_offer_release(&m->offer);
    gr_buf_release(&m->offer_json);
    gr_buf_release(&m->offer_uri);
    gr_buf_release(&m->url);
}

/*
 * POST /oid4vci/nonce and POST /oid4vci/credential (OID4VCI 1.0 §7, §8;
 * SPECS §2.8 - §2.12): the access token and its DPoP binding, the request in
 * any of the three dialects, every key proof, the c_nonce spent once, one
 * credential per proven key in order, recorded before it is sent.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include <gramota/dpop.h>
#include <gramota/proof.h>

#define GR_STATUS_BITS 2 /* valid, invalid, suspended (TSL §7.1) */

/* see server.h */
void route_nonce(struct req *r)
{
    const struct server *s = r->srv;
    char nonce[GR_C_NONCE_LEN + 1];
    struct gr_err err;

    /*
     * Wallets POST here with no body and no Content-Type; both are fine. Nothing
     * is stored: the nonce is checked by its MAC and recorded only once used.
     */
    if (gr_c_nonce_make(s->c_nonce_secret, r->now + s->set.nonce_lifetime, nonce, &err) < 0) {
        req_error(r, &err);
        return;
    }
    gr_buf_printf(&r->out, "{\"c_nonce\":\"%s\"}", nonce);
    req_json(r, 200);
    req_add_header(r, "Cache-Control", "no-store");
    req_dpop_nonce_header(r);
}

/* One credential request's state. */
struct issue {
    struct req *r;
    struct gr_token tok;
    bool dpop; /* the answer's challenge scheme */
    struct gr_credential_request cr;
    const struct gr_cred_type *type;
    struct gr_proofs proofs; /* every proven key, in order: one credential each */
    struct gr_offer offer;
    const struct gr_signer *signer; /* read once: it signs, and its kid is recorded (keys.c) */
};

/* Which configuration, and may this token have it (SPECS §2.9, §9.3). */
static int resolve(struct issue *is, struct gr_err *err)
{
    const struct gr_cred_types *types = is->r->srv->types;
    const struct gr_credential_request *cr = &is->cr;

    if (cr->credential_identifier.p)
        return gr_fail(
            err, GR_ERR_UNKNOWN_CREDENTIAL_IDENTIFIER,
            "This issuer hands out no credential identifiers; use credential_configuration_id.");
    if (cr->dialect == GR_VCI_DRAFT13) {
        if (!gr_str_eq_c(cr->format, "dc+sd-jwt") && !gr_str_eq_c(cr->format, "vc+sd-jwt"))
            return gr_fail(err, GR_ERR_UNKNOWN_CREDENTIAL_CONFIGURATION,
                           "This issuer issues SD-JWT VCs only.");
        is->type = gr_cred_types_by_vct(types, cr->vct);
    } else {
        is->type = gr_cred_types_get(types, cr->configuration_id);
    }
    if (is->type == NULL)
        return gr_fail(err, GR_ERR_UNKNOWN_CREDENTIAL_CONFIGURATION,
                       "This issuer has no such credential configuration.");
    if (!gr_str_eq_c(gr_cred_type_id(is->type), is->tok.config_id))
        return gr_fail(err, GR_ERR_INSUFFICIENT_SCOPE,
                       "The access token does not cover this credential configuration.");
    return 0;
}

/*
 * Every proof valid, each of its keys once, one shared c_nonce of ours spent
 * (SPECS §2.10). A jwt proof may carry a key attestation and an attestation
 * proof is one; where the configuration requires key attestations, a plain
 * jwk proof is refused: a requirement not enforced is none (WALLET.md).
 */
static int check_proofs(struct issue *is, struct gr_err *err)
{
    const struct server *s = is->r->srv;
    const struct gr_credential_request *cr = &is->cr;
    const char *type = cr->proof_type == GR_PROOF_ATTESTATION ? "attestation" : "jwt";
    const char *storage[8], *auth[8];
    struct gr_proof_check c;
    uint8_t replay_key[32];
    int64_t expires_at;

    if (!gr_cred_type_binding(is->type))
        return 0;
    if (cr->proof_count && !gr_cred_type_proof_type(is->type, gr_str_c(type)))
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "This credential configuration does not take %s proofs.", type);
    gr_cred_type_key_levels(is->type, type, "key_storage", storage, GR_NELEM(storage));
    gr_cred_type_key_levels(is->type, type, "user_authentication", auth, GR_NELEM(auth));
    c = (struct gr_proof_check){
        .audience = s->issuer_url,
        .now = is->r->now,
        .wallet_providers = s->wallet_providers,
        .key_storage = storage[0] ? storage : NULL,
        .user_authentication = auth[0] ? auth : NULL,
        .require_attestation = gr_cred_type_key_attestation(is->type, gr_str_c(type)),
        /* An attested client's proofs name it in iss (OID4VCI App. F.1); anonymous ones are not
           read. */
        .client_id =
            is->tok.client_id[0] ? gr_str_c(is->tok.client_id) : (struct gr_str){ NULL, 0 },
    };
    if (gr_proofs_verify(&c, cr->proof_type, cr->proofs, cr->proof_count, (size_t)s->set.batch_size,
                         &is->proofs, err) < 0)
        return -1;
    /*
     * Spent only once every proof holds: the nonce is the request's, not any one
     * proof's. Spent means recorded in the replay set until it expires.
     */
    if (gr_c_nonce_check(s->c_nonce_secret, gr_str_c(is->proofs.nonce), is->r->now, &expires_at,
                         replay_key, err) < 0)
        return -1;
    if (s->store.ops->jti_add(s->store.ctx, replay_key, expires_at, is->r->now, err) < 0) {
        if (err->code == GR_ERR_DUPLICATE)
            return gr_fail(err, GR_ERR_INVALID_NONCE,
                           "The c_nonce was used before: fetch a new one.");
        return -1;
    }
    return 0;
}

static void answer(struct issue *is, const struct gr_sdjwt_vc_issued *out, size_t n,
                   const struct gr_token_hash *th)
{
    struct req *r = is->r;
    char nid[GR_STORE_ID_LEN + 1];

    /* Draft 13 answers with one credential; 1.0 and Draft 15 with the batch and a notification_id.
     */
    if (th)
        notification_id(th, nid);
    gr_credential_response_json(is->cr.dialect, out, n,
                                th ? gr_str_c(nid) : (struct gr_str){ NULL, 0 }, &r->out);
    req_json(r, 200);
    req_add_header(r, "Cache-Control", "no-store");
    req_dpop_nonce_header(r);
}

/* The batch and its credential.issued events, recorded together (store.h: issued_add). */
static int record(struct issue *is, const struct gr_sdjwt_vc_issued *out, size_t n, int64_t exp,
                  const struct gr_status_slot *slots, struct gr_err *err)
{
    const struct server *s = is->r->srv;
    struct gr_audit_event events[GR_MAX_PROOFS];
    struct gr_issued rec[GR_MAX_PROOFS];
    struct gr_str vct = gr_cred_type_vct(is->type);

    memset(rec, 0, sizeof(rec));
    for (size_t i = 0; i < n; i++) {
        memcpy(rec[i].id, out[i].id, sizeof(rec[i].id));
        memcpy(rec[i].org_id, is->tok.org_id, sizeof(rec[i].org_id));
        memcpy(rec[i].offer_id, is->tok.offer_id, sizeof(rec[i].offer_id));
        memcpy(rec[i].config_id, is->tok.config_id, sizeof(rec[i].config_id));
        snprintf(rec[i].vct, sizeof(rec[i].vct), "%.*s", (int)vct.len, vct.p);
        if (is->proofs.key_count)
            gr_jwk_thumbprint(is->proofs.keys[i], rec[i].holder_jkt);
        rec[i].issued_at = is->r->now;
        rec[i].expires_at = exp;
        rec[i].has_status = true;
        rec[i].status = slots[i];
        snprintf(rec[i].kid, sizeof(rec[i].kid), "%.*s", (int)gr_signer_kid(is->signer).len,
                 gr_signer_kid(is->signer).p);
        audit_event(is->r, &events[i], "credential.issued", is->tok.org_id, is->tok.offer_id,
                    out[i].id, is->tok.config_id);
    }
    return s->store.ops->issued_add(s->store.ctx, rec, n, events, n, err);
}

/*
 * Nothing was issued because the signer failed (an HSM away or refusing):
 * the audit log says so, with the signer's reason (a CK_RV and the token
 * label, never a PIN or a handle), so that an operator can tell a wallet's
 * 503 from a lost credential. The c_nonce stays spent; the wallet fetches
 * another, as after any refusal.
 */
static void audit_refusal(const struct issue *is, const struct gr_err *err)
{
    char detail[128];

    snprintf(detail, sizeof(detail), "signer %s: %.100s", gr_signer_name(is->signer),
             err->cause[0] ? err->cause : err->desc);
    audit(is->r, "credential.failed", is->tok.org_id, is->tok.offer_id, "", detail);
}

static int issue(struct issue *is, const struct gr_token_hash *th, struct gr_err *err)
{
    const struct server *s = is->r->srv;
    struct gr_sdjwt_vc_issued out[GR_MAX_PROOFS];
    struct gr_status_slot slots[GR_MAX_PROOFS];
    struct gr_status_ref status[GR_MAX_PROOFS];
    struct gr_buf uris;
    struct gr_sdjwt_vc_template *t = NULL;
    struct gr_sdjwt_vc_spec spec;
    struct gr_sdjwt_vc_batch b;
    size_t n = is->proofs.key_count ? is->proofs.key_count : 1;
    double started, signing;
    bool signing_failed = false;
    int rc = -1;

    gr_buf_init(&uris, GR_BUF_UNBOUNDED);
    if (s->store.ops->offer_get(s->store.ctx, gr_str_c(is->tok.org_id), gr_str_c(is->tok.offer_id),
                                &is->offer, err) < 0)
        goto out;
    if (is->offer.subject_json == NULL) {
        gr_fail(err, GR_ERR_CREDENTIAL_REQUEST_DENIED, "The offer's claims are no longer held.");
        goto out;
    }
    spec = (struct gr_sdjwt_vc_spec){
        .vct = gr_cred_type_vct(is->type),
        .iss = s->issuer_url,
        .claims_json = gr_str_c(is->offer.subject_json),
        .disclosable_json = gr_str_c(is->offer.disclosable_json),
    };
    gr_cred_type_decoys(is->type, &spec.decoys_min, &spec.decoys_max);
    /*
     * A fresh random entry in a status list for every credential, taken before
     * signing: a crash after this only wastes entries, never reuses one.
     */
    if (s->store.ops->status_alloc(s->store.ctx, GR_STATUS_BITS, (size_t)s->set.status_list_size, n,
                                   is->r->now, slots, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        status[i].idx = slots[i].idx;
        status[i].uri.len = s->issuer_url.len + strlen("/status-lists/") + strlen(slots[i].list_id);
        gr_buf_printf(&uris, "%.*s/status-lists/%s", (int)s->issuer_url.len, s->issuer_url.p,
                      slots[i].list_id);
    }
    for (size_t i = 0, off = 0; i < n; off += status[i].uri.len, i++)
        status[i].uri.p = uris.data + off; /* views only now: the buffer has stopped moving */
    b = (struct gr_sdjwt_vc_batch){
        .iat = is->r->now,
        .exp = is->r->now + is->offer.credential_lifetime,
        .count = n,
        .holder_keys = is->proofs.key_count ? is->proofs.keys : NULL,
        .status = status,
    };
    is->signer = server_signer(s);
    if ((t = gr_sdjwt_vc_template_new(&spec, is->signer, err)) == NULL)
        goto out;
    started = http_clock();
    if (gr_sdjwt_vc_issue(t, &b, out, err) < 0) {
        signing_failed = true;
        goto out;
    }
    signing = http_clock() - started;
    /* Recorded and audited before it is sent: a crash may lose a response, never a record. */
    if (record(is, out, n, b.exp, slots, err) < 0) {
        gr_sdjwt_vc_issued_release(out, n);
        goto out;
    }
    /* Issued once recorded: what a crash or a store failure loses was never handed out. */
    metrics_issued(s->metrics, gr_cred_type_id(is->type), n, signing);
    answer(is, out, n, th);
    gr_sdjwt_vc_issued_release(out, n);
    rc = 0;
out:
    if (rc < 0 && err->code != GR_ERR_TEMPORARILY_UNAVAILABLE && gr_errc_wire(err->code) == NULL)
        gr_err_recode(err, GR_ERR_SERVER_ERROR); /* the offer was checked when it was made */
    if (rc < 0 && signing_failed)
        audit_refusal(is, err);
    gr_sdjwt_vc_template_free(t);
    gr_buf_release(&uris);
    return rc;
}

/* see server.h */
void route_credential(struct req *r)
{
    struct issue is = { .r = r };
    struct gr_token_hash th;
    struct gr_err err;

    if (resource_auth(r, "/oid4vci/credential", &is.tok, &th, &is.dpop, &err) < 0)
        goto fail;
    if (!req_content_type_is(r, "application/json")) {
        gr_fail(&err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                "The credential request must be application/json.");
        goto fail;
    }
    if (gr_credential_request_parse(req_body(r), &is.cr, &err) < 0 || resolve(&is, &err) < 0 ||
        check_proofs(&is, &err) < 0 || issue(&is, &th, &err) < 0)
        goto fail;
    goto out;
fail:
    req_token_error(r, &err, is.dpop); /* adds the challenge where the error is the token's */
    if (err.code == GR_ERR_USE_DPOP_NONCE)
        req_dpop_nonce_header(r);
out:
    gr_proofs_release(&is.proofs);
    gr_credential_request_release(&is.cr);
    gr_offer_release(&is.offer);
}

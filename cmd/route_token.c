/* POST /oid4vci/token: the pre-authorized code grant (OID4VCI 1.0 §6, SPECS §2.7). */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <gramota/attest.h>
#include <gramota/dpop.h>

/* A c_nonce for wallets on Draft 13/14, which look for it in the token response. */
static int mint_c_nonce(struct req *r, char nonce[GR_C_NONCE_LEN + 1], struct gr_err *err)
{
    const struct server *s = r->srv;

    return gr_c_nonce_make(s->c_nonce_secret, r->now + s->set.nonce_lifetime, nonce, err);
}

/*
 * Guessing at the token endpoint: each client address and each code has a
 * bucket that only failed redemptions spend (RATE_SPEND after one), so an
 * honest wallet, whose code works the first time, is never slowed, while a
 * guesser runs dry. Looking first refuses a guess before it touches the
 * code. Racing guesses may each pass the look before the first spends: the
 * overshoot is bounded by the requests in flight.
 */
static int guess_limit(struct req *r, const uint8_t code_hash[32], enum rate_mode mode,
                       struct gr_err *err)
{
    const struct settings *set = &r->srv->set;
    char client[64], key[80];

    req_client_address(r, client, sizeof(client));
    snprintf(key, sizeof(key), "client:%s", client);
    if (req_rate_limit(r, RATE_TOKEN_CLIENT, key, set->guess_rate, set->guess_burst, mode, err) < 0)
        return -1;
    memcpy(key, "code:", 5);
    gr_b64url_encode(code_hash, 32, key + 5);
    key[5 + gr_b64url_len(32)] = '\0';
    return req_rate_limit(r, RATE_TOKEN_CODE, key, set->guess_rate, set->guess_burst, mode, err);
}

static int grant(struct req *r, const struct gr_token_request *tr, const struct gr_dpop_proof *dpop,
                 bool bound, const char *client_id, struct gr_err *err)
{
    const struct server *s = r->srv;
    struct gr_offer offer = { 0 };
    struct gr_token tok = { 0 };
    struct gr_audit_event granted;
    uint8_t code_hash[32], tx_hash[32];
    char token[GR_SECRET_LEN + 1], c_nonce[GR_C_NONCE_LEN + 1];
    int rc = -1;

    gr_sha256(tr->code.p, tr->code.len, code_hash);
    if (tr->tx_code.p)
        gr_sha256(tr->tx_code.p, tr->tx_code.len, tx_hash);
    /* The c_nonce first: if it cannot be made, no code has been spent yet. */
    if (guess_limit(r, code_hash, RATE_LOOK, err) < 0 || mint_c_nonce(r, c_nonce, err) < 0 ||
        gr_secret_new(token, tok.hash, err) < 0)
        goto out;
    tok.dpop_bound = bound;
    if (bound)
        memcpy(tok.jkt, dpop->jkt, sizeof(tok.jkt));
    tok.expires_at = r->now + s->set.token_lifetime;
    snprintf(tok.client_id, sizeof(tok.client_id), "%s", client_id);
    /* Its offer's ids are the store's to fill in, once it knows which offer the code was. */
    audit_event(r, &granted, "token.granted", "", "", "", bound ? "DPoP" : "Bearer");
    if (s->store.ops->offer_redeem(s->store.ctx, code_hash, tr->tx_code.p ? tx_hash : NULL, r->now,
                                   s->set.max_tx_attempts, &tok, &granted, &offer, err) < 0) {
        /* Refusals worth keeping: guesses, replays, wrong transaction codes (never the code). */
        if (err->code == GR_ERR_INVALID_GRANT || err->code == GR_ERR_INVALID_REQUEST) {
            struct gr_err spent;

            audit(r, "token.refused", "", "", "", err->desc);
            /* The refusal stands whatever the buckets say; a failure to spend is only logged. */
            if (guess_limit(r, code_hash, RATE_SPEND, &spent) < 0)
                fprintf(stderr, "gramota: rate limit: %s (%s)\n", spent.desc, spent.cause);
        }
        goto out;
    }
    snprintf(r->log_ids, sizeof(r->log_ids), " org=%s offer=%s", offer.org_id, offer.id);
    gr_token_response_json(
        &(struct gr_token_response){
            .access_token = gr_str_c(token),
            .dpop = bound,
            .expires_in = s->set.token_lifetime,
            .c_nonce = gr_str_c(c_nonce),
            .c_nonce_expires_in = s->set.nonce_lifetime,
        },
        &r->out);
    req_json(r, 200);
    req_add_header(r, "Cache-Control", "no-store");
    req_add_header(r, "Pragma", "no-cache");
    rc = 0;
out:
    OPENSSL_cleanse(token, sizeof(token));
    gr_offer_release(&offer);
    return rc;
}

/*
 * Attestation-based client authentication (OID4VCI App. E, ABCA): the wallet
 * attestation signed by a trusted wallet provider, its PoP by the attested
 * key for our issuer, and the PoP's jti never seen before. Checked before the
 * code is touched, so a failed authentication spends nothing.
 */
static int client_auth(struct req *r, const struct gr_token_request *tr,
                       struct gr_client_attestation *ca, bool *attested, struct gr_err *err)
{
    const struct server *s = r->srv;
    unsigned na = req_header_count(r, "OAuth-Client-Attestation");
    unsigned np = req_header_count(r, "OAuth-Client-Attestation-PoP");
    struct gr_client_attestation_check c;

    *attested = false;
    if (s->meta.client_attestation == GR_CLIENT_ATTESTATION_OFF)
        return 0; /* not advertised: the headers are ignored like any unknown ones */
    if (na == 0 && np == 0) {
        if (s->meta.client_attestation == GR_CLIENT_ATTESTATION_REQUIRED)
            return gr_fail(err, GR_ERR_INVALID_CLIENT,
                           "This issuer requires wallet attestation (attest_jwt_client_auth).");
        return 0;
    }
    c = (struct gr_client_attestation_check){
        .attestation = gr_str_c(req_header(r, "OAuth-Client-Attestation")),
        .pop = gr_str_c(req_header(r, "OAuth-Client-Attestation-PoP")),
        .attestation_count = na,
        .pop_count = np,
        .anchors = s->wallet_providers,
        .audience = s->issuer_url,
        .client_id = tr->client_id,
        .now = r->now,
        .max_age = s->set.dpop_window,
    };
    if (na == 0)
        c.attestation = (struct gr_str){ NULL, 0 };
    if (np == 0)
        c.pop = (struct gr_str){ NULL, 0 };
    if (gr_client_attestation_verify(&c, ca, err) < 0)
        return -1;
    *attested = true;
    return 0;
}

/*
 * The PoP's jti goes into the replay set only once DPoP has passed too: a
 * use_dpop_nonce round must not spend a PoP the wallet will send again.
 */
static int record_pop(struct req *r, const struct gr_client_attestation *ca, struct gr_err *err)
{
    const struct server *s = r->srv;

    if (s->store.ops->jti_add(s->store.ctx, ca->jti_hash, ca->pop_iat + s->set.dpop_window, r->now,
                              err) < 0)
        return err->code == GR_ERR_DUPLICATE
                   ? gr_fail(err, GR_ERR_INVALID_CLIENT_ATTESTATION,
                             "The client attestation PoP was used before.")
                   : -1;
    return 0;
}

/* see server.h */
void route_token(struct req *r)
{
    struct gr_token_request tr;
    struct gr_dpop_proof dpop;
    struct gr_client_attestation ca;
    struct gr_err err;
    bool bound = false, attested = false;

    memset(&tr, 0, sizeof(tr));
    if (!req_content_type_is(r, "application/x-www-form-urlencoded")) {
        gr_fail(&err, GR_ERR_INVALID_REQUEST,
                "The token request must be application/x-www-form-urlencoded.");
        goto fail;
    }
    if (gr_token_request_parse(req_body(r), &tr, &err) < 0 ||
        client_auth(r, &tr, &ca, &attested, &err) < 0 ||
        req_dpop(r, "/oid4vci/token", (struct gr_str){ NULL, 0 }, &dpop, &bound, &err) < 0 ||
        (attested && record_pop(r, &ca, &err) < 0) ||
        grant(r, &tr, &dpop, bound, attested ? ca.client_id : "", &err) < 0)
        goto fail;
    gr_token_request_release(&tr);
    return;
fail:
    gr_token_request_release(&tr);
    req_error(r, &err);
    if (err.code == GR_ERR_USE_DPOP_NONCE)
        req_dpop_nonce_header(r);
}

/*
 * The access token at our protected endpoints (credential, notification):
 * Authorization: Bearer|DPoP <token> (RFC 6750 §2.1, RFC 9449 §7.1), the token
 * looked up by its hash, and a DPoP-bound token's proof by its key.
 */
#include "server.h"

#include <stdio.h>
#include <string.h>

#include <gramota/dpop.h>
#include <gramota/oauth.h>

/* A DPoP-bound token needs its proof, by its key, and the DPoP scheme (RFC 9449 §7). */
static int check_binding(struct req *r, const char *endpoint, const struct gr_token *tok,
                         struct gr_str token, bool dpop_scheme, struct gr_err *err)
{
    struct gr_dpop_proof proof;
    bool present;

    if (!tok->dpop_bound) {
        if (dpop_scheme)
            return gr_fail(err, GR_ERR_INVALID_TOKEN,
                           "This access token is not bound to a DPoP key.");
        return 0;
    }
    if (!dpop_scheme)
        return gr_fail(err, GR_ERR_INVALID_TOKEN,
                       "A DPoP-bound access token must come with the DPoP scheme.");
    if (req_dpop(r, endpoint, token, &proof, &present, err) < 0)
        return -1;
    if (!present)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "A DPoP-bound access token needs a DPoP proof.");
    if (!gr_ct_equal(proof.jkt, tok->jkt, sizeof(proof.jkt)))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof is signed by another key than the token's.");
    return 0;
}

/* see server.h */
int resource_auth(struct req *r, const char *endpoint, struct gr_token *tok,
                  struct gr_token_hash *hash, bool *dpop, struct gr_err *err)
{
    const struct server *s = r->srv;
    struct gr_authorization auth;
    struct gr_str token;
    bool dpop_scheme;

    *dpop = false;
    if (gr_authorization_parse(gr_str_c(req_header(r, "Authorization")),
                               req_header_count(r, "Authorization"), &auth, err) < 0)
        return -1;
    dpop_scheme = auth.scheme == GR_AUTH_DPOP;
    *dpop = dpop_scheme;
    token = auth.token;
    gr_sha256(token.p, token.len, hash->h);
    if (s->store.ops->token_get(s->store.ctx, hash->h, r->now, tok, err) < 0)
        return -1;
    *dpop = tok->dpop_bound || dpop_scheme;
    snprintf(r->log_ids, sizeof(r->log_ids), " org=%s offer=%s", tok->org_id, tok->offer_id);
    return check_binding(r, endpoint, tok, token, dpop_scheme, err);
}

/* see server.h */
void notification_id(const struct gr_token_hash *token, char out[GR_STORE_ID_LEN + 1])
{
    static const char label[] = "gramota notification id";
    uint8_t in[sizeof(label) - 1 + 32], md[32];

    /* Derived, not stored: the same token always names the same notification. */
    memcpy(in, label, sizeof(label) - 1);
    memcpy(in + sizeof(label) - 1, token->h, 32);
    gr_sha256(in, sizeof(in), md);
    gr_b64url_encode(md, 16, out);
    out[GR_STORE_ID_LEN] = '\0';
}

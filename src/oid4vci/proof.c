/* `jwt` key proofs (OID4VCI 1.0 Appendix F.1, F.4; SPECS.md §2.10). */
#include <gramota/proof.h>

#include <string.h>

#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"
#include "oid4vci/internal.h"

#define DEFAULT_MAX_AGE  300
#define DEFAULT_MAX_SKEW 60

/* see proof.h */
void gr_proof_init(struct gr_proof *p)
{
    memset(p, 0, sizeof(*p));
}

/* see proof.h */
void gr_proof_release(struct gr_proof *p)
{
    gr_jwk_free(p->key);
    gr_proof_init(p);
}

/*
 * F.1: exactly one of kid, jwk and x5c names the key; only jwk is accepted
 * for now. A kid (a DID URL, or with trust_chain an OpenID Federation entity)
 * needs a resolver and x5c a trust policy, neither of which exists yet.
 */
static int check_key_header(const struct gr_jws *jws, struct gr_err *err)
{
    const json_t *hdr = jws->header_json;
    int keys = (json_object_get(hdr, "kid") != NULL) + (jws->jwk != NULL) + (jws->x5c_count > 0);

    /*
     * Hook for key attestations (App. D.1, F.1): the attestation JWT would be
     * verified here, the proof key found among its attested_keys, and the
     * attested keys handed back for one credential each.
     */
    if (json_object_get(hdr, "key_attestation") != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "Key proofs with a key attestation are not accepted.");
    if (keys != 1)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof must carry exactly one of kid, jwk and x5c.");
    if (jws->kid.p != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "Key proofs that name their key by kid are not accepted; send a jwk.");
    if (jws->x5c_count > 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "Key proofs with an x5c certificate chain are not accepted; send a jwk.");
    if (json_object_get(hdr, "trust_chain") != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof has a trust_chain without a kid.");
    return 0;
}

/*
 * aud: the spec's type is a string. A one-element array says the same thing
 * (RFC 7519 §4.1.3) and is taken; a longer one would make the proof good at
 * other issuers too, and is refused.
 */
static int check_aud(const json_t *aud, struct gr_str want, struct gr_err *err)
{
    if (json_is_array(aud)) {
        if (json_array_size(aud) != 1)
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "The key proof's aud must name this issuer alone.");
        aud = json_array_get(aud, 0);
    }
    if (!json_is_string(aud))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof has no aud string.");
    if (!gr_str_eq(gr__json_strv(aud), want))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof is for another audience.");
    return 0;
}

static int check_iat(const json_t *iat, const struct gr_proof_check *c, struct gr_err *err)
{
    int64_t max_age = c->max_age > 0 ? c->max_age : DEFAULT_MAX_AGE;
    int64_t max_skew = c->max_skew > 0 ? c->max_skew : DEFAULT_MAX_SKEW;

    if (!json_is_integer(iat))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof has no integer iat.");
    switch (gr__oid4vci_window(json_integer_value(iat), c->now, max_age, max_skew)) {
    case GR__TOO_OLD:
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's iat is too old.");
    case GR__TOO_NEW:
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's iat is in the future.");
    case GR__IN_WINDOW:
        break;
    }
    return 0;
}

/*
 * iss is the client_id when the wallet authenticated as a client, and absent
 * for anonymous pre-auth (F.1). With no client_id to compare there is nothing
 * to check, so iss is not read (SPECS.md §2.10 [interp]).
 */
static int check_iss(const json_t *iss, struct gr_str client_id, struct gr_err *err)
{
    if (client_id.p == NULL || iss == NULL)
        return 0;
    if (!json_is_string(iss) || !gr_str_eq(gr__json_strv(iss), client_id))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's iss is not the client.");
    return 0;
}

static int take_nonce(const json_t *nonce, struct gr_proof *out, struct gr_err *err)
{
    struct gr_str s = gr__json_strv(nonce);

    if (nonce == NULL)
        return 0;
    if (s.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's nonce is not a string.");
    if (s.len == 0 || s.len > GR_PROOF_NONCE_MAX || memchr(s.p, '\0', s.len) != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof's nonce is empty or longer than %d bytes.",
                       GR_PROOF_NONCE_MAX);
    memcpy(out->nonce, s.p, s.len);
    out->nonce[s.len] = '\0';
    out->has_nonce = true;
    return 0;
}

static int check_claims(const json_t *claims, const struct gr_proof_check *c, struct gr_proof *out,
                        struct gr_err *err)
{
    if (check_aud(json_object_get(claims, "aud"), c->audience, err) < 0 ||
        check_iat(json_object_get(claims, "iat"), c, err) < 0 ||
        check_iss(json_object_get(claims, "iss"), c->client_id, err) < 0)
        return -1;
    return take_nonce(json_object_get(claims, "nonce"), out, err);
}

/* see proof.h */
int gr_proof_verify_jwt(const struct gr_proof_check *c, struct gr_proof *out, struct gr_err *err)
{
    struct gr_jws jws;
    int rc = -1;

    gr_proof_init(out);
    gr_jws_init(&jws);
    if (c->audience.p == NULL)
        return gr_fail(err, GR_ERR_USAGE, "The key proof check needs the issuer identifier.");
    if (c->jwt.len > GR_MAX_JWS_LEN)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof is larger than %d bytes.",
                       GR_MAX_JWS_LEN);
    /* none, HMAC, any alg but ES256, crit, and a jwk with private members fail here. */
    if (gr_jws_parse(c->jwt, &jws, err) < 0)
        return gr_err_recode(err, GR_ERR_INVALID_PROOF);
    if (!gr_jws_typ_is(jws.typ, "openid4vci-proof+jwt")) {
        gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's typ is not openid4vci-proof+jwt.");
        goto out;
    }
    if (check_key_header(&jws, err) < 0)
        goto out;
    if (gr_jws_verify(&jws, jws.jwk, err) < 0) {
        gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's signature does not verify.");
        goto out;
    }
    if (check_claims(jws.payload_json, c, out, err) < 0)
        goto out;
    out->key = jws.jwk;
    jws.jwk = NULL;
    rc = 0;
out:
    gr_jws_release(&jws);
    if (rc < 0)
        gr_proof_release(out);
    return rc;
}

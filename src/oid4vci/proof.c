/* Key proofs: `jwt` and `attestation` (OID4VCI 1.0 Appendix F.1, F.3, F.4; SPECS.md §2.10). */
#include <gramota/proof.h>

#include <string.h>

#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"
#include "oid4vci/internal.h"

#define DEFAULT_MAX_AGE  300
#define DEFAULT_MAX_SKEW 60

_Static_assert(GR_PROOF_NONCE_MAX == GR_ATTEST_NONCE_MAX, "one nonce size for both");

/* see proof.h */
void gr_proof_init(struct gr_proof *p)
{
    memset(p, 0, sizeof(*p));
}

/* see proof.h */
void gr_proof_release(struct gr_proof *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->key_count; i++) {
        gr_jwk_free(p->keys[i]);
    }
    gr_proof_init(p);
}

/* Take the one key of a `jwk` proof. */
static void take_key(struct gr_proof *p, struct gr_jwk *key)
{
    p->keys[0] = key;
    p->key_count = 1;
    p->key = key;
}

/* Take the keys and the nonce of a checked key attestation, which is left empty. */
static void take_attestation(struct gr_proof *p, struct gr_key_attestation *a)
{
    memcpy(p->keys, a->keys, a->count * sizeof(a->keys[0]));
    p->key_count = a->count;
    p->key = p->keys[0];
    p->attested = true;
    memcpy(p->attestation_nonce, a->nonce, sizeof(p->attestation_nonce));
    p->has_attestation_nonce = a->has_nonce;
    gr_key_attestation_init(a);
}

/*
 * F.1: exactly one of kid, jwk and x5c names the key; only jwk is accepted
 * for now. A kid (a DID URL, or with trust_chain an OpenID Federation entity)
 * needs a resolver and x5c a trust policy, neither of which exists yet.
 */
static int check_key_header(const struct gr_jws *jws, bool require_attestation, struct gr_err *err)
{
    const json_t *hdr = gr__json_t(jws->header_json);
    int keys = (json_object_get(hdr, "kid") != NULL) + (jws->jwk != NULL) + (jws->x5c_count > 0);

    if (require_attestation)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "This credential needs a key attestation in the key proof header.");
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

/*
 * F.1 with D.1: the key attestation in the header names the keys. kid may
 * stand beside it (the EUDI wallet sends "0"), x5c and trust_chain may not,
 * and a jwk must be the key that signs, the first attested one.
 */
static int check_attested_header(const struct gr_jws *jws, struct gr_str *ka, struct gr_err *err)
{
    const json_t *hdr = gr__json_t(jws->header_json);

    *ka = gr__json_str(hdr, "key_attestation");
    if (ka->p == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof's key_attestation is not a JWT string.");
    if (jws->x5c_count > 0 || json_object_get(hdr, "trust_chain") != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "A key proof with a key attestation must not carry x5c or trust_chain.");
    return 0;
}

/* The attested keys; the proof must be signed by the first (see proof.h). */
static int verify_attested(const struct gr_proof_check *c, const struct gr_jws *jws,
                           struct gr_proof *out, struct gr_err *err)
{
    struct gr_key_attestation_check kc = {
        .anchors = c->wallet_providers,
        .now = c->now,
        .max_skew = c->max_skew,
        .require_exp = true, /* D.1: exp MUST be present with the jwt proof type */
        .key_storage = c->key_storage,
        .user_authentication = c->user_authentication,
    };
    struct gr_key_attestation ka;

    if (c->wallet_providers == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "This issuer trusts no wallet provider, so it takes no key attestation.");
    if (check_attested_header(jws, &kc.jwt, err) < 0 ||
        gr_key_attestation_verify(&kc, &ka, err) < 0)
        return -1;
    take_attestation(out, &ka);
    if (jws->jwk != NULL && !gr_jwk_equal(jws->jwk, out->keys[0]))
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof's jwk is not the first attested key.");
    if (gr_jws_verify(jws, out->keys[0], err) < 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof is not signed by the first attested key.");
    return 0;
}

/* F.1: the key attestation's nonce is the c_nonce too; two different ones cannot both be. */
static int check_nonces(const struct gr_proof *p, struct gr_err *err)
{
    if (p->has_nonce && p->has_attestation_nonce && strcmp(p->nonce, p->attestation_nonce) != 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key proof's nonce and its key attestation's nonce differ.");
    return 0;
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
    if (json_object_get(gr__json_t(jws.header_json), "key_attestation") != NULL) {
        if (verify_attested(c, &jws, out, err) < 0)
            goto out;
    } else {
        if (check_key_header(&jws, c->require_attestation, err) < 0)
            goto out;
        if (gr_jws_verify(&jws, jws.jwk, err) < 0) {
            gr_fail(err, GR_ERR_INVALID_PROOF, "The key proof's signature does not verify.");
            goto out;
        }
        take_key(out, jws.jwk);
        jws.jwk = NULL;
    }
    if (check_claims(gr__json_t(jws.payload_json), c, out, err) < 0 || check_nonces(out, err) < 0)
        goto out;
    rc = 0;
out:
    gr_jws_release(&jws);
    if (rc < 0) {
        gr_proof_release(out);
    }
    return rc;
}

/* see proof.h */
int gr_proof_verify_attestation(const struct gr_proof_check *c, struct gr_proof *out,
                                struct gr_err *err)
{
    struct gr_key_attestation_check kc = {
        .jwt = c->jwt,
        .anchors = c->wallet_providers,
        .now = c->now,
        .max_skew = c->max_skew,
        /* F.4: the creation time within an acceptable window, as for any key proof. */
        .max_age = c->max_age > 0 ? c->max_age : DEFAULT_MAX_AGE,
        .key_storage = c->key_storage,
        .user_authentication = c->user_authentication,
    };
    struct gr_key_attestation ka;

    gr_proof_init(out);
    if (gr_key_attestation_verify(&kc, &ka, err) < 0)
        return -1;
    take_attestation(out, &ka);
    memcpy(out->nonce, out->attestation_nonce, sizeof(out->nonce));
    out->has_nonce = out->has_attestation_nonce;
    return 0;
}

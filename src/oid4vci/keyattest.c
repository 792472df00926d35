/* Key attestations (OID4VCI 1.0 Appendix D, Draft 15 D.1; HAIP §4.5.1; SPECS.md §2.10). */
#include <gramota/attest.h>

#include <stdio.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"
#include "oid4vci/internal.h"

#define DEFAULT_MAX_SKEW 60

/* see attest.h */
void gr_key_attestation_init(struct gr_key_attestation *a)
{
    memset(a, 0, sizeof(*a));
}

/* see attest.h */
void gr_key_attestation_release(struct gr_key_attestation *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->count; i++) {
        gr_jwk_free(a->keys[i]);
    }
    gr_key_attestation_init(a);
}

/* see oid4vci/internal.h */
struct gr_jwk *gr__attest_signer(const struct gr_jws *jws, const struct gr_trust *anchors,
                                 int64_t now, const char *what, enum gr_errc code,
                                 struct gr_err *err)
{
    struct gr_jwk *key;
    char cause[sizeof(err->cause)];

    /* HAIP §4.4.1, §4.5.1: the provider's key comes with its certificate chain. */
    if (jws->x5c_count == 0) {
        gr_fail(err, code, "The %s has no x5c certificate chain.", what);
        return NULL;
    }
    key = gr_x5c_verify(anchors, jws->x5c, jws->x5c_count, now, err);
    if (key != NULL)
        return key;
    memcpy(cause, err->cause, sizeof(cause));
    switch (err->code) {
    case GR_ERR_BAD_SIGNATURE:
        gr_fail(err, code, "The %s is not signed by a trusted wallet provider.", what);
        break;
    case GR_ERR_EXPIRED:
        gr_fail(err, code, "The certificate chain of the %s is expired or not yet valid.", what);
        break;
    default: /* x5c.h's sentence already names the broken rule */
        gr_err_recode(err, code);
        return NULL;
    }
    gr_err_cause(err, "%s", cause);
    return NULL;
}

/* iat always; exp when asked for (D.1: with the jwt proof type) and whenever present; nbf. */
static int check_times(const json_t *claims, const struct gr_key_attestation_check *c,
                       struct gr_key_attestation *out, struct gr_err *err)
{
    int64_t skew = c->max_skew > 0 ? c->max_skew : DEFAULT_MAX_SKEW;
    const json_t *iat = json_object_get(claims, "iat");
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *nbf = json_object_get(claims, "nbf");

    if (!json_is_integer(iat))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation has no integer iat.");
    out->iat = json_integer_value(iat);
    if (gr__oid4vci_future(out->iat, c->now, skew))
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation's iat is in the future.");
    if (c->max_age > 0 && gr__oid4vci_window(out->iat, c->now, c->max_age, skew) == GR__TOO_OLD)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation's iat is too old.");
    if (exp == NULL && c->require_exp)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation has no exp, which one in a jwt proof must have.");
    if (exp != NULL) {
        if (!json_is_integer(exp))
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "The key attestation's exp is not an integer.");
        out->exp = json_integer_value(exp);
        if (gr__oid4vci_expired(out->exp, c->now, skew))
            return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation has expired.");
    }
    if (nbf != NULL &&
        (!json_is_integer(nbf) || gr__oid4vci_future(json_integer_value(nbf), c->now, skew)))
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation's nbf is not an integer or lies in the future.");
    return 0;
}

/* D.1: a non-empty array of public JWKs; each will be bound to one credential, so none twice. */
static int take_keys(const json_t *claims, struct gr_key_attestation *out, struct gr_err *err)
{
    const json_t *list = json_object_get(claims, "attested_keys"), *v;
    size_t i;

    if (!json_is_array(list) || json_array_size(list) == 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation has no non-empty attested_keys array.");
    if (json_array_size(list) > GR_MAX_ATTESTED_KEYS)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation attests more than %d keys.",
                       GR_MAX_ATTESTED_KEYS);
    json_array_foreach (list, i, v) {
        struct gr_jwk *key = json_is_object(v) ? gr__jwk_from_json(v, GR_JWK_PUBLIC, err) : NULL;

        if (key == NULL) {
            char why[sizeof(err->desc)];

            snprintf(why, sizeof(why), "%s", json_is_object(v) ? err->desc : "not an object");
            gr_fail(err, GR_ERR_INVALID_PROOF, "Attested key %zu is not a public EC P-256 JWK.",
                    i + 1);
            return gr_err_cause(err, "%s", why);
        }
        for (size_t j = 0; j < out->count; j++) {
            if (gr_jwk_equal(key, out->keys[j])) {
                gr_jwk_free(key);
                return gr_fail(err, GR_ERR_INVALID_PROOF,
                               "The key attestation attests the same key twice.");
            }
        }
        out->keys[out->count++] = key;
    }
    return 0;
}

/*
 * key_storage and user_authentication (D.1, D.2): non-empty arrays of case
 * sensitive strings. The issuer's list holds the values it accepts (§12.2.4,
 * key_attestations_required), so one of them listed is enough.
 */
static int check_level(const json_t *claims, const char *name, const char *const *accepted,
                       struct gr_err *err)
{
    const json_t *list = json_object_get(claims, name), *v;
    bool need = accepted != NULL && accepted[0] != NULL, met = false;
    size_t i;

    if (list == NULL) {
        if (need)
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "The key attestation has no %s claim, which this issuer requires.",
                           name);
        return 0;
    }
    if (!json_is_array(list) || json_array_size(list) == 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation's %s is not a non-empty array.", name);
    json_array_foreach (list, i, v) {
        if (!json_is_string(v))
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "The key attestation's %s holds a value that is not a string.", name);
        for (size_t j = 0; need && accepted[j] != NULL; j++) {
            met = met || gr_str_eq_c(gr__json_strv(v), accepted[j]);
        }
    }
    if (need && !met)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation's %s is not a level this issuer accepts.", name);
    return 0;
}

static int take_nonce(const json_t *nonce, struct gr_key_attestation *out, struct gr_err *err)
{
    struct gr_str s = gr__json_strv(nonce);

    if (nonce == NULL)
        return 0;
    if (s.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation's nonce is not a string.");
    if (s.len == 0 || s.len > GR_ATTEST_NONCE_MAX || memchr(s.p, '\0', s.len) != NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The key attestation's nonce is empty or longer than %d bytes.",
                       GR_ATTEST_NONCE_MAX);
    memcpy(out->nonce, s.p, s.len);
    out->nonce[s.len] = '\0';
    out->has_nonce = true;
    return 0;
}

/* D.1 typ, with Draft 15's spelling (SPECS.md §3). */
static bool typ_ok(struct gr_str typ)
{
    return gr_jws_typ_is(typ, "key-attestation+jwt") || gr_jws_typ_is(typ, "keyattestation+jwt");
}

static int check_claims(const json_t *claims, const struct gr_key_attestation_check *c,
                        struct gr_key_attestation *out, struct gr_err *err)
{
    if (check_times(claims, c, out, err) < 0 || take_keys(claims, out, err) < 0 ||
        check_level(claims, "key_storage", c->key_storage, err) < 0 ||
        check_level(claims, "user_authentication", c->user_authentication, err) < 0)
        return -1;
    return take_nonce(json_object_get(claims, "nonce"), out, err);
}

/* see attest.h */
int gr_key_attestation_verify(const struct gr_key_attestation_check *c,
                              struct gr_key_attestation *out, struct gr_err *err)
{
    struct gr_jwk *signer = NULL;
    struct gr_jws jws;
    int rc = -1;

    gr_key_attestation_init(out);
    gr_jws_init(&jws);
    if (c->anchors == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "This issuer trusts no wallet provider, so it takes no key attestation.");
    if (c->jwt.len > GR_MAX_JWS_LEN)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation is larger than %d bytes.",
                       GR_MAX_JWS_LEN);
    /* none, HMAC, any alg but ES256 and crit fail here (D.1: no none, no MAC). */
    if (gr_jws_parse(c->jwt, &jws, err) < 0)
        return gr_err_recode(err, GR_ERR_INVALID_PROOF);
    if (!typ_ok(jws.typ)) {
        gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation's typ is not key-attestation+jwt.");
        goto out;
    }
    signer =
        gr__attest_signer(&jws, c->anchors, c->now, "key attestation", GR_ERR_INVALID_PROOF, err);
    if (signer == NULL)
        goto out;
    if (gr_jws_verify(&jws, signer, err) < 0) {
        gr_fail(err, GR_ERR_INVALID_PROOF, "The key attestation's signature does not verify.");
        goto out;
    }
    if (check_claims(gr__json_t(jws.payload_json), c, out, err) < 0)
        goto out;
    rc = 0;
out:
    gr_jwk_free(signer);
    gr_jws_release(&jws);
    if (rc < 0) {
        gr_key_attestation_release(out);
    }
    return rc;
}

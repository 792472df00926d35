/*
 * Attestation-based client authentication (draft-ietf-oauth-attestation-
 * based-client-auth-07 §5, §6; OID4VCI 1.0 Appendix E; HAIP §4.4.1;
 * SPECS.md §2.15): a wallet attestation and its proof of possession.
 */
#include <gramota/attest.h>

#include <string.h>

#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"
#include "oid4vci/internal.h"

#define DEFAULT_MAX_AGE  300
#define DEFAULT_MAX_SKEW 60
#define JTI_MAX          256

#define CODE GR_ERR_INVALID_CLIENT_ATTESTATION

static const char jti_label[] = "gramota client attestation PoP v1";

struct window {
    int64_t now, max_age, skew;
};

/* §6.1 steps 1 and 2: precisely one header of each kind. */
static int check_headers(const struct gr_client_attestation_check *c, struct gr_err *err)
{
    if (c->attestation_count == 0 || c->attestation.p == NULL)
        return gr_fail(err, CODE, "The request has no OAuth-Client-Attestation header.");
    if (c->attestation_count > 1)
        return gr_fail(err, CODE, "The request has more than one OAuth-Client-Attestation header.");
    if (c->pop_count == 0 || c->pop.p == NULL)
        return gr_fail(err, CODE, "The request has no OAuth-Client-Attestation-PoP header.");
    if (c->pop_count > 1)
        return gr_fail(err, CODE,
                       "The request has more than one OAuth-Client-Attestation-PoP header.");
    return 0;
}

/* One compact JWS, ES256 (no none, no MAC: §5.1 rule 8, §5.2 rule 9), explicitly typed. */
static int parse(struct gr_str in, const char *typ, const char *what, struct gr_jws *jws,
                 struct gr_err *err)
{
    if (in.len > GR_MAX_JWS_LEN)
        return gr_fail(err, CODE, "The %s is larger than %d bytes.", what, GR_MAX_JWS_LEN);
    if (gr_jws_parse(in, jws, err) < 0)
        return gr_err_recode(err, CODE);
    if (!gr_jws_typ_is(jws->typ, typ))
        return gr_fail(err, CODE, "The %s's typ is not %s.", what, typ);
    return 0;
}

/* exp (required or not), iat and nbf, with the allowed skew. */
static int check_times(const json_t *claims, const char *what, bool need_exp, struct window w,
                       struct gr_err *err)
{
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *iat = json_object_get(claims, "iat");
    const json_t *nbf = json_object_get(claims, "nbf");

    if (exp == NULL && need_exp)
        return gr_fail(err, CODE, "The %s has no exp.", what);
    if (exp != NULL &&
        (!json_is_integer(exp) || gr__oid4vci_expired(json_integer_value(exp), w.now, w.skew)))
        return gr_fail(err, CODE, "The %s has expired or its exp is not an integer.", what);
    if (iat != NULL &&
        (!json_is_integer(iat) || gr__oid4vci_future(json_integer_value(iat), w.now, w.skew)))
        return gr_fail(err, CODE, "The %s's iat is not an integer or lies in the future.", what);
    if (nbf != NULL &&
        (!json_is_integer(nbf) || gr__oid4vci_future(json_integer_value(nbf), w.now, w.skew)))
        return gr_fail(err, CODE, "The %s's nbf is not an integer or lies in the future.", what);
    return 0;
}

/* A string claim of 1..max bytes without NUL; .p NULL when it is not one. */
static struct gr_str short_str(const json_t *claims, const char *name, size_t max)
{
    struct gr_str s = gr__json_str(claims, name);

    if (s.p == NULL || s.len == 0 || s.len > max || memchr(s.p, '\0', s.len) != NULL)
        return (struct gr_str){ NULL, 0 };
    return s;
}

/* §5.1 rule 4, RFC 7800 §3.2: the wallet instance key, public. */
static struct gr_jwk *cnf_key(const json_t *claims, struct gr_err *err)
{
    const json_t *cnf = json_object_get(claims, "cnf");
    const json_t *jwk = json_is_object(cnf) ? json_object_get(cnf, "jwk") : NULL;
    struct gr_jwk *key = json_is_object(jwk) ? gr__jwk_from_json(jwk, GR_JWK_PUBLIC, err) : NULL;

    if (key == NULL) {
        gr_fail(err, CODE, "The client attestation's cnf.jwk is not a public EC P-256 key.");
    }
    return key;
}

/* printable ASCII of wallet_name (App. E), for logs; the rest becomes '?'. */
static void take_wallet_name(const json_t *claims, char out[GR_WALLET_NAME_MAX + 1])
{
    struct gr_str s = gr__json_str(claims, "wallet_name");
    size_t n = s.len < GR_WALLET_NAME_MAX ? s.len : GR_WALLET_NAME_MAX;

    for (size_t i = 0; i < n; i++) {
        out[i] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
    }
    out[n] = '\0';
}

/* §5.1 and App. E: the attestation, whose signer is a trusted wallet provider. */
static struct gr_jwk *check_attestation(const struct gr_client_attestation_check *c,
                                        const struct gr_jws *jws, struct window w,
                                        struct gr_client_attestation *out, struct gr_err *err)
{
    const json_t *claims = gr__json_t(jws->payload_json);
    struct gr_jwk *signer;
    struct gr_str sub;
    int rc;

    signer = gr__attest_signer(jws, c->anchors, w.now, "client attestation", CODE, err);
    if (signer == NULL)
        return NULL;
    rc = gr_jws_verify(jws, signer, err);
    gr_jwk_free(signer);
    if (rc < 0) {
        gr_fail(err, CODE, "The client attestation's signature does not verify.");
        return NULL;
    }
    if (short_str(claims, "iss", SIZE_MAX).p == NULL) {
        gr_fail(err, CODE, "The client attestation has no iss string.");
        return NULL;
    }
    sub = short_str(claims, "sub", GR_CLIENT_ID_MAX);
    if (sub.p == NULL) {
        gr_fail(err, CODE, "The client attestation has no sub string of 1 to %d bytes.",
                GR_CLIENT_ID_MAX);
        return NULL;
    }
    if (c->client_id.p != NULL && !gr_str_eq(c->client_id, sub)) {
        gr_fail(err, CODE, "The client_id is not the subject of the client attestation.");
        return NULL;
    }
    if (check_times(claims, "client attestation", true, w, err) < 0)
        return NULL;
    memcpy(out->client_id, sub.p, sub.len);
    out->client_id[sub.len] = '\0';
    out->exp = json_integer_value(json_object_get(claims, "exp"));
    take_wallet_name(claims, out->wallet_name);
    return cnf_key(claims, err);
}

/* §5.2 rule 4: aud names us; a one-element array says the same (RFC 7519 §4.1.3). */
static int check_aud(const json_t *aud, struct gr_str want, struct gr_err *err)
{
    if (json_is_array(aud) && json_array_size(aud) == 1) {
        aud = json_array_get(aud, 0);
    }
    if (!json_is_string(aud) || !gr_str_eq(gr__json_strv(aud), want))
        return gr_fail(err, CODE, "The client attestation PoP is not meant for this server.");
    return 0;
}

static int check_pop_iat(const json_t *claims, struct window w, struct gr_err *err)
{
    const json_t *iat = json_object_get(claims, "iat");

    if (!json_is_integer(iat))
        return gr_fail(err, CODE, "The client attestation PoP has no integer iat.");
    switch (gr__oid4vci_window(json_integer_value(iat), w.now, w.max_age, w.skew)) {
    case GR__TOO_OLD:
        return gr_fail(err, CODE, "The client attestation PoP's iat is too old.");
    case GR__TOO_NEW:
        return gr_fail(err, CODE, "The client attestation PoP's iat is in the future.");
    case GR__IN_WINDOW:
        break;
    }
    return 0;
}

static int check_challenge(const json_t *claims, struct gr_str want, struct gr_err *err)
{
    struct gr_str got = gr__json_str(claims, "challenge");

    if (want.p == NULL)
        return 0;
    if (got.p == NULL)
        return gr_fail(err, CODE, "The client attestation PoP has no challenge.");
    if (!gr_ct_str_equal(got, want))
        return gr_fail(err, CODE, "The client attestation PoP's challenge is not the one issued.");
    return 0;
}

/* The replay key of attest.h: label, length-prefixed client_id, jti. */
static void jti_hash(struct gr_str client_id, struct gr_str jti, uint8_t out[32])
{
    struct gr_buf b;
    uint8_t len[8];

    gr__put_be64(len, client_id.len);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_add(&b, jti_label, sizeof(jti_label) - 1);
    gr_buf_add(&b, len, sizeof(len));
    gr_buf_addstr(&b, client_id);
    gr_buf_addstr(&b, jti);
    gr_sha256(b.data, b.len, out);
    gr_buf_release(&b);
}

/* §5.2 and §6.1 step 3: the PoP, signed by the attested key, for us, fresh. */
static int check_pop(const struct gr_client_attestation_check *c, const struct gr_jws *jws,
                     const struct gr_jwk *key, struct window w, struct gr_client_attestation *out,
                     struct gr_err *err)
{
    const json_t *claims = gr__json_t(jws->payload_json);
    struct gr_str client_id = gr_str_c(out->client_id), jti;

    if (gr_jws_verify(jws, key, err) < 0)
        return gr_fail(err, CODE, "The client attestation PoP is not signed by the attested key.");
    if (!gr_str_eq(gr__json_str(claims, "iss"), client_id))
        return gr_fail(err, CODE, "The client attestation PoP's iss is not the attested client.");
    if (check_aud(json_object_get(claims, "aud"), c->audience, err) < 0)
        return -1;
    jti = short_str(claims, "jti", JTI_MAX);
    if (jti.p == NULL)
        return gr_fail(err, CODE, "The client attestation PoP has no jti string of 1 to %d bytes.",
                       JTI_MAX);
    if (check_pop_iat(claims, w, err) < 0 ||
        check_times(claims, "client attestation PoP", false, w, err) < 0 ||
        check_challenge(claims, c->challenge, err) < 0)
        return -1;
    out->pop_iat = json_integer_value(json_object_get(claims, "iat"));
    jti_hash(client_id, jti, out->jti_hash);
    return 0;
}

/* see attest.h */
int gr_client_attestation_verify(const struct gr_client_attestation_check *c,
                                 struct gr_client_attestation *out, struct gr_err *err)
{
    struct window w = {
        .now = c->now,
        .max_age = c->max_age > 0 ? c->max_age : DEFAULT_MAX_AGE,
        .skew = c->max_skew > 0 ? c->max_skew : DEFAULT_MAX_SKEW,
    };
    struct gr_client_attestation res;
    struct gr_jws att, pop;
    struct gr_jwk *key = NULL;
    int rc = -1;

    memset(&res, 0, sizeof(res));
    gr_jws_init(&att);
    gr_jws_init(&pop);
    if (c->audience.p == NULL)
        return gr_fail(err, GR_ERR_USAGE, "The client attestation check needs the issuer.");
    if (check_headers(c, err) < 0)
        return -1;
    if (c->anchors == NULL)
        return gr_fail(err, CODE,
                       "This server trusts no wallet provider, so it takes no client "
                       "attestation.");
    if (parse(c->attestation, "oauth-client-attestation+jwt", "client attestation", &att, err) <
            0 ||
        (key = check_attestation(c, &att, w, &res, err)) == NULL ||
        parse(c->pop, "oauth-client-attestation-pop+jwt", "client attestation PoP", &pop, err) <
            0 ||
        check_pop(c, &pop, key, w, &res, err) < 0)
        goto out;
    gr_jwk_thumbprint(key, res.jkt);
    *out = res;
    rc = 0;
out:
    gr_jwk_free(key);
    gr_jws_release(&pop);
    gr_jws_release(&att);
    return rc;
}

/* DPoP proofs (RFC 9449 §4.3) and stateless server nonces (§8, §9). */
#include <gramota/dpop.h>

#include <string.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"
#include "oid4vci/internal.h"

#define DEFAULT_MAX_AGE  300
#define DEFAULT_MAX_SKEW 60
#define DEFAULT_LIFETIME 300
#define JTI_MAX          256 /* §11.1: refuse huge jti values */

#define NONCE_RAW_LEN 32 /* time (8) || random (8) || MAC (16) */
#define NONCE_MSG_LEN 16 /* what the MAC covers after the label: time || random */
#define NONCE_MAC_LEN GR__OID4VCI_MAC_LEN
static const char nonce_label[] = "gramota DPoP nonce v1";

/* The first NONCE_MAC_LEN bytes of HMAC-SHA256(secret, label || msg). Code: CRYPTO. */
static int nonce_mac(const uint8_t secret[32], const uint8_t msg[NONCE_MSG_LEN],
                     uint8_t mac[NONCE_MAC_LEN], struct gr_err *err)
{
    return gr__oid4vci_mac(secret, nonce_label, msg, NONCE_MSG_LEN, mac, err);
}

/* see dpop.h */
int gr_dpop_nonce_make(const uint8_t secret[32], int64_t now, char out[GR_DPOP_NONCE_LEN + 1],
                       struct gr_err *err)
{
    uint8_t raw[NONCE_RAW_LEN];

    gr__put_be64(raw, (uint64_t)now);
    if (gr_random(raw + 8, 8, err) < 0 || nonce_mac(secret, raw, raw + NONCE_MSG_LEN, err) < 0)
        return -1;
    gr_b64url_encode(raw, sizeof(raw), out);
    out[GR_DPOP_NONCE_LEN] = '\0';
    return 0;
}

/* §8, §9: ours (the MAC verifies, in constant time) and within its window. */
static int check_nonce(const struct gr_dpop_check *c, const json_t *claims, int64_t max_skew,
                       struct gr_err *err)
{
    struct gr_str nonce = gr__json_str(claims, "nonce");
    int64_t lifetime = c->nonce_lifetime > 0 ? c->nonce_lifetime : DEFAULT_LIFETIME;
    uint8_t raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN];
    size_t n = 0;

    if (nonce.p == NULL)
        return gr_fail(err, GR_ERR_USE_DPOP_NONCE,
                       "The DPoP proof has no nonce; use the one from the DPoP-Nonce header.");
    if (nonce.len != GR_DPOP_NONCE_LEN || gr_b64url_decode(nonce, raw, sizeof(raw), &n, err) < 0 ||
        n != sizeof(raw))
        return gr_fail(err, GR_ERR_USE_DPOP_NONCE, "The DPoP proof's nonce was not issued here.");
    if (nonce_mac(c->nonce_secret, raw, mac, err) < 0)
        return -1;
    if (!gr_ct_equal(mac, raw + NONCE_MSG_LEN, sizeof(mac)))
        return gr_fail(err, GR_ERR_USE_DPOP_NONCE, "The DPoP proof's nonce was not issued here.");
    if (gr__oid4vci_window((int64_t)gr__get_be64(raw), c->now, lifetime, max_skew) != GR__IN_WINDOW)
        return gr_fail(err, GR_ERR_USE_DPOP_NONCE, "The DPoP proof's nonce has expired.");
    return 0;
}

/* Checks 1, 2, 4-7 of §4.3: one header, one JWS, typ, alg, a public jwk, the signature. */
static int check_jws(const struct gr_dpop_check *c, struct gr_jws *jws, struct gr_err *err)
{
    if (c->header_count > 1)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The request has more than one DPoP header.");
    if (c->header_count == 0 || c->header.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The request has no DPoP header.");
    if (c->header.len > GR_MAX_JWS_LEN)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof is larger than %d bytes.",
                       GR_MAX_JWS_LEN);
    /* none, HMAC, any alg but ES256, crit, and a jwk with private members fail here. */
    if (gr_jws_parse(c->header, jws, err) < 0)
        return gr_err_recode(err, GR_ERR_INVALID_DPOP_PROOF);
    if (!gr_jws_typ_is(jws->typ, "dpop+jwt"))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof's typ is not dpop+jwt.");
    if (jws->jwk == NULL)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof has no jwk in its header.");
    if (gr_jws_verify(jws, jws->jwk, err) < 0)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof's signature does not verify.");
    return 0;
}

/* Check 9: htu, without query and fragment, normalized, against the normalized `url`. */
static int check_htu(struct gr_str htu, struct gr_str url, struct gr_err *err)
{
    struct gr_buf norm;
    int rc = 0;

    if (htu.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof has no htu.");
    gr_buf_init(&norm, GR_BUF_UNBOUNDED);
    if (gr__url_normalize(gr__url_strip_query(htu), &norm, err) < 0)
        rc = gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                     "The DPoP proof's htu is not an http or https URL.");
    else if (!gr_str_eq(gr_buf_str(&norm), url))
        rc = gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                     "The DPoP proof's htu is not the URL of this endpoint.");
    gr_buf_release(&norm);
    return rc;
}

/* Check 12, first half: ath = base64url(SHA-256(ASCII(access token))), in constant time. */
static int check_ath(struct gr_str token, const json_t *claims, struct gr_err *err)
{
    struct gr_str ath = gr__json_str(claims, "ath");
    uint8_t digest[GR_SHA256_LEN];
    char want[44];

    if (ath.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof has no ath for the access token.");
    gr_sha256(token.p, token.len, digest);
    gr_b64url_encode(digest, sizeof(digest), want);
    if (!gr_ct_str_equal(ath, (struct gr_str){ want, 43 }))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof's ath does not match the access token.");
    return 0;
}

/* Checks 3, 8, 9 and the first half of 12: the claims that say what the proof is for. */
static int check_target(const struct gr_dpop_check *c, const json_t *claims, struct gr_str url,
                        struct gr_err *err)
{
    const json_t *jti = json_object_get(claims, "jti");
    struct gr_str htm = gr__json_str(claims, "htm");

    if (!json_is_string(jti))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof has no jti.");
    if (json_string_length(jti) == 0 || json_string_length(jti) > JTI_MAX)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof's jti is empty or longer than %d bytes.", JTI_MAX);
    if (htm.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof has no htm.");
    if (!gr_str_eq(htm, c->method))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF,
                       "The DPoP proof's htm is not the request method.");
    if (check_htu(gr__json_str(claims, "htu"), url, err) < 0)
        return -1;
    if (!json_is_integer(json_object_get(claims, "iat")))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof has no integer iat.");
    if (c->access_token.p != NULL && check_ath(c->access_token, claims, err) < 0)
        return -1;
    return 0;
}

static int64_t max_age_of(const struct gr_dpop_check *c)
{
    return c->max_age > 0 ? c->max_age : DEFAULT_MAX_AGE;
}

/* Checks 10 and 11: the nonce first, so that a client that lacks one learns that first. */
static int check_time(const struct gr_dpop_check *c, const json_t *claims, struct gr_err *err)
{
    int64_t max_age = max_age_of(c);
    int64_t max_skew = c->max_skew > 0 ? c->max_skew : DEFAULT_MAX_SKEW;
    int64_t iat = json_integer_value(json_object_get(claims, "iat"));

    if (c->nonce_secret != NULL && check_nonce(c, claims, max_skew, err) < 0)
        return -1;
    switch (gr__oid4vci_window(iat, c->now, max_age, max_skew)) {
    case GR__TOO_OLD:
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof's iat is too old.");
    case GR__TOO_NEW:
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof's iat is in the future.");
    case GR__IN_WINDOW:
        break;
    }
    return 0;
}

/* The replay key: the normalized URL with its length in front, then the jti. */
static void jti_hash(struct gr_str url, struct gr_str jti, uint8_t out[32])
{
    struct gr_buf b;
    uint8_t len[8];

    gr__put_be64(len, url.len);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_add(&b, len, sizeof(len));
    gr_buf_addstr(&b, url);
    gr_buf_addstr(&b, jti);
    gr_sha256(b.data, b.len, out);
    gr_buf_release(&b);
}

/* see dpop.h */
int gr_dpop_verify(const struct gr_dpop_check *c, struct gr_dpop_proof *out, struct gr_err *err)
{
    struct gr_jws jws;
    struct gr_buf url;
    int rc = -1;

    gr_jws_init(&jws);
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    if (check_jws(c, &jws, err) < 0)
        goto out;
    if (gr__url_normalize(gr__url_strip_query(c->url), &url, err) < 0) {
        gr_fail(err, GR_ERR_USAGE, "The endpoint URL is not an absolute http or https URL.");
        goto out;
    }
    if (check_target(c, gr__json_t(jws.payload_json), gr_buf_str(&url), err) < 0 ||
        check_time(c, gr__json_t(jws.payload_json), err) < 0)
        goto out;
    gr_jwk_thumbprint(jws.jwk, out->jkt);
    jti_hash(gr_buf_str(&url), gr__json_str(gr__json_t(jws.payload_json), "jti"), out->jti_hash);
    out->iat = json_integer_value(json_object_get(gr__json_t(jws.payload_json), "iat"));
    /* Last: a proof refused for any other reason must not use up its jti. */
    if (c->replay &&
        c->replay(c->replay_ctx, out->jti_hash, out->iat + max_age_of(c), c->now, err) < 0) {
        if (err->code == GR_ERR_DUPLICATE)
            gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof was used before.");
        goto out;
    }
    rc = 0;
out:
    gr_jws_release(&jws);
    gr_buf_release(&url);
    return rc;
}

/* Key binding (RFC 9901 §4.3, §7.3): the holder's side and the verifier's check. */
#include "sdjwt/internal.h"

#include <inttypes.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"

#define KB_DEFAULT_MAX_AGE 300

static void sd_hash(struct gr_str presented, char out[GR_SDJWT_DIGEST_LEN + 1])
{
    gr_sdjwt_digest(presented, out); /* the same hash, over the presented SD-JWT */
}

/* see sdjwt.h */
int gr_sdjwt_present(struct gr_str sdjwt, const struct gr_jwk *holder, struct gr_str aud,
                     struct gr_str nonce, int64_t iat, struct gr_buf *out, struct gr_err *err)
{
    char hash[GR_SDJWT_DIGEST_LEN + 1];
    struct gr_buf payload;
    struct gr__buf_mark at;
    int rc;

    if (sdjwt.len == 0 || sdjwt.p[sdjwt.len - 1] != '~' || memchr(sdjwt.p, '~', sdjwt.len) == NULL)
        return gr_fail(err, GR_ERR_MALFORMED, "The SD-JWT to present must end with '~'.");
    sd_hash(sdjwt, hash);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_printf(&payload, "{\"iat\":%" PRId64 ",\"aud\":", iat);
    gr__json_quote(aud, &payload);
    gr_buf_adds(&payload, ",\"nonce\":");
    gr__json_quote(nonce, &payload);
    gr_buf_printf(&payload, ",\"sd_hash\":\"%s\"}", hash);
    at = gr__buf_mark(out);
    gr_buf_addstr(out, sdjwt);
    rc = gr_jws_sign(holder, GR_STR("{\"alg\":\"ES256\",\"typ\":\"kb+jwt\"}"), gr_buf_str(&payload),
                     out, err);
    if (rc < 0)
        gr__buf_restore(out, at); /* the SD-JWT too */
    gr_buf_release(&payload);
    return rc;
}

static int check_kb_claims(const json_t *p, struct gr_str presented,
                           const struct gr_sdjwt_vc_verify_opts *o, int64_t now, struct gr_err *err)
{
    const json_t *iat = json_object_get(p, "iat");
    int64_t max_age = o->kb_max_age ? o->kb_max_age : KB_DEFAULT_MAX_AGE;
    char want[GR_SDJWT_DIGEST_LEN + 1];

    if (!json_is_integer(iat))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The key binding JWT has no iat.");
    if (json_integer_value(iat) > now + o->leeway ||
        json_integer_value(iat) < now - max_age - o->leeway)
        return gr_fail(err, GR_ERR_EXPIRED, "The key binding JWT's iat is outside the window.");
    if (!json_is_string(json_object_get(p, "aud")) || !json_is_string(json_object_get(p, "nonce")))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The key binding JWT needs aud and nonce.");
    if (o->kb_aud.p && !gr_str_eq(gr__json_str(p, "aud"), o->kb_aud))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The key binding JWT is for another audience.");
    if (o->kb_nonce.p && !gr_ct_str_equal(gr__json_str(p, "nonce"), o->kb_nonce))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The key binding JWT has the wrong nonce.");
    sd_hash(presented, want);
    if (!gr_str_eq_c(gr__json_str(p, "sd_hash"), want))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The key binding JWT's sd_hash does not match.");
    return 0;
}

int gr__sdjwt_check_kb(struct gr_str kb, struct gr_str presented, const json_t *claims,
                       const struct gr_sdjwt_vc_verify_opts *o, int64_t now, struct gr_err *err)
{
    const json_t *cnf_jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
    struct gr_jwk *holder = NULL;
    struct gr_jws jws;
    int rc = -1;

    gr_jws_init(&jws);
    if (kb.len > GR_MAX_JWS_LEN) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The key binding JWT is too large.");
        goto out;
    }
    if (!json_is_object(cnf_jwk)) {
        gr_fail(err, GR_ERR_BAD_CLAIM, "The credential has no cnf.jwk to check key binding with.");
        goto out;
    }
    if ((holder = gr__jwk_from_json(cnf_jwk, GR_JWK_PUBLIC, err)) == NULL ||
        gr_jws_parse(kb, &jws, err) < 0)
        goto out;
    if (!gr_jws_typ_is(jws.typ, "kb+jwt")) {
        gr_fail(err, GR_ERR_BAD_TYP, "The key binding JWT's typ is not kb+jwt.");
        goto out;
    }
    if (gr_jws_verify(&jws, holder, err) < 0 ||
        check_kb_claims(gr__json_t(jws.payload_json), presented, o, now, err) < 0)
        goto out;
    rc = 0;
out:
    gr_jws_release(&jws);
    gr_jwk_free(holder);
    return rc;
}

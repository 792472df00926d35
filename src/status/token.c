/* The Status List Token in JWT form (TSL §5.1): made by the issuer, checked as a relying party. */
#include <gramota/status.h>

#include <inttypes.h>

#include <gramota/b64url.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "core/internal.h"

/* see status.h */
int gr_status_list_token(const struct gr_status_list *list, struct gr_str uri, struct gr_str iss,
                         int64_t iat, int64_t exp, int64_t ttl, const struct gr_signer *signer,
                         struct gr_buf *out, struct gr_err *err)
{
    struct gr_buf header, header_b64, payload;
    int rc = -1;

    if (list == NULL || signer == NULL)
        return gr_fail(err, GR_ERR_USAGE, "A Status List Token needs a list and a signer.");
    if (uri.len == 0)
        return gr_fail(err, GR_ERR_USAGE, "A Status List Token needs the list's URI as sub.");
    if (ttl < 0)
        return gr_fail(err, GR_ERR_USAGE, "A Status List Token's ttl must be positive.");
    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&header_b64, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    /* The signer's kid and x5c: HAIP §6.1 wants the status key in x5c, as for credentials. */
    gr_signer_header(signer, "statuslist+jwt", &header);
    gr_buf_add_b64url(&header_b64, header.data, header.len);
    gr_buf_addc(&payload, '{');
    if (iss.len) {
        gr_buf_adds(&payload, "\"iss\":");
        gr__json_quote(iss, &payload);
        gr_buf_addc(&payload, ',');
    }
    gr_buf_adds(&payload, "\"sub\":");
    gr__json_quote(uri, &payload);
    gr_buf_printf(&payload, ",\"iat\":%" PRId64, iat);
    if (exp)
        gr_buf_printf(&payload, ",\"exp\":%" PRId64, exp);
    if (ttl)
        gr_buf_printf(&payload, ",\"ttl\":%" PRId64, ttl);
    gr_buf_printf(&payload, ",\"status_list\":{\"bits\":%u,\"lst\":\"", gr_status_list_bits(list));
    if (gr_status_list_encode(list, GR_STATUS_ZLIB_RLE, &payload, err) < 0)
        goto out;
    gr_buf_adds(&payload, "\"}}");
    rc = gr_signer_jws(signer, gr_buf_str(&header_b64), gr_buf_str(&payload), out, err);
out:
    gr_buf_release(&payload);
    gr_buf_release(&header_b64);
    gr_buf_release(&header);
    return rc;
}

/* The claims of TSL §5.1 and RFC 7519's exp. */
static int check_claims(const json_t *p, struct gr_str expected_sub, int64_t now,
                        struct gr_err *err)
{
    const json_t *sub = json_object_get(p, "sub"), *iat = json_object_get(p, "iat");
    const json_t *exp = json_object_get(p, "exp"), *ttl = json_object_get(p, "ttl");

    if (!json_is_string(sub) || !json_is_integer(iat))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The Status List Token needs sub and iat.");
    if (expected_sub.p && !gr_str_eq(gr__json_strv(sub), expected_sub))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The Status List Token is for another list.");
    if (exp && !json_is_integer(exp))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The Status List Token's exp is not a number.");
    if (exp && now >= json_integer_value(exp))
        return gr_fail(err, GR_ERR_EXPIRED, "The Status List Token has expired.");
    if (ttl && !(json_is_number(ttl) && json_number_value(ttl) > 0))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The Status List Token's ttl is not positive.");
    return 0;
}

/* see status.h */
int gr_status_list_token_verify(struct gr_str jwt, const struct gr_jwk *key,
                                struct gr_str expected_sub, int64_t now,
                                struct gr_status_list **out, struct gr_err *err)
{
    const json_t *sl, *bits;
    struct gr_jws jws;
    json_int_t b;
    int rc = -1;

    *out = NULL;
    if (gr_jws_parse(jwt, &jws, err) < 0)
        return -1;
    if (!gr_jws_typ_is(jws.typ, "statuslist+jwt")) {
        gr_fail(err, GR_ERR_BAD_TYP, "The token's typ is not statuslist+jwt.");
        goto out;
    }
    if (gr_jws_verify(&jws, key, err) < 0 ||
        check_claims(gr__json_t(jws.payload_json), expected_sub, now, err) < 0)
        goto out;
    sl = json_object_get(gr__json_t(jws.payload_json), "status_list");
    bits = json_object_get(sl, "bits");
    b = json_is_integer(bits) ? json_integer_value(bits) : 0;
    if (!(b == 1 || b == 2 || b == 4 || b == 8) || !json_is_string(json_object_get(sl, "lst"))) {
        gr_fail(err, GR_ERR_BAD_CLAIM, "The token's status_list needs bits 1, 2, 4 or 8 and lst.");
        goto out;
    }
    *out = gr_status_list_decode((unsigned)b, gr__json_str(sl, "lst"), GR_STATUS_MAX_SIZE, err);
    if (*out != NULL)
        rc = 0;
out:
    gr_jws_release(&jws);
    return rc;
}

/* Disclosures and their digests (RFC 9901 §4.2.1 - §4.2.3). */
#include "sdjwt/internal.h"

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>

static const char *const never_disclosed[] = {
    "iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status",
};

bool gr__sdjwt_never_disclosed(struct gr_str name)
{
    for (size_t i = 0; i < GR_NELEM(never_disclosed); i++) {
        if (gr_str_eq_c(name, never_disclosed[i]))
            return true;
    }
    return false;
}

bool gr__sdjwt_reserved(struct gr_str name)
{
    return gr_str_eq_c(name, "_sd") || gr_str_eq_c(name, "...") || gr_str_eq_c(name, "_sd_alg");
}

void gr__sdjwt_disclosure_b64(struct gr_str salt, struct gr_str name_json, struct gr_str value_json,
                              struct gr_buf *scratch, struct gr_buf *out)
{
    gr_buf_reset(scratch);
    gr_buf_adds(scratch, "[\"");
    gr_buf_addstr(scratch, salt); /* base64url: nothing to escape */
    gr_buf_adds(scratch, "\", ");
    if (name_json.p) {
        gr_buf_addstr(scratch, name_json);
        gr_buf_adds(scratch, ", ");
    }
    gr_buf_addstr(scratch, value_json);
    gr_buf_addc(scratch, ']');
    gr_buf_add_b64url(out, scratch->data, scratch->len);
}

/* see sdjwt.h */
int gr_sdjwt_disclosure(struct gr_str salt, struct gr_str name, struct gr_str value_json,
                        struct gr_buf *out, struct gr_err *err)
{
    json_t *value = gr__json_parse(value_json, GR_MAX_DISCLOSURE, -1, "The disclosed value", err);
    struct gr_buf name_json, value_text, scratch, salt_json;
    struct gr__buf_mark at = gr__buf_mark(out);
    int rc = -1;

    if (value == NULL)
        return -1;
    gr_buf_init(&name_json, GR_BUF_UNBOUNDED);
    gr_buf_init(&value_text, GR_BUF_UNBOUNDED);
    gr_buf_init(&scratch, GR_BUF_UNBOUNDED);
    gr_buf_init(&salt_json, GR_BUF_UNBOUNDED);
    /* The salt goes in verbatim between quotes; refuse one that would need escaping. */
    gr__json_quote(salt, &salt_json);
    if (salt_json.len != salt.len + 2) {
        gr_fail(err, GR_ERR_MALFORMED, "The salt has characters that need escaping.");
        goto out;
    }
    if (name.p)
        gr__json_quote(name, &name_json);
    gr__json_dump(value, true, &value_text);
    gr__sdjwt_disclosure_b64(salt, name.p ? gr_buf_str(&name_json) : (struct gr_str){ NULL, 0 },
                             gr_buf_str(&value_text), &scratch, out);
    rc = gr_buf_check(out, err);
    if (rc < 0)
        gr__buf_restore(out, at);
out:
    json_decref(value);
    gr_buf_release(&name_json);
    gr_buf_release(&value_text);
    gr_buf_release(&scratch);
    gr_buf_release(&salt_json);
    return rc;
}

/* see sdjwt.h */
void gr_sdjwt_digest(struct gr_str disclosure, char out[GR_SDJWT_DIGEST_LEN + 1])
{
    uint8_t md[GR_SHA256_LEN];

    gr_sha256(disclosure.p, disclosure.len, md);
    gr_b64url_encode(md, sizeof(md), out);
    out[GR_SDJWT_DIGEST_LEN] = '\0';
}

void gr__sdjwt_digest(gr_sha256_ctx *ctx, struct gr_str disclosure,
                      char out[GR_SDJWT_DIGEST_LEN + 1])
{
    uint8_t md[GR_SHA256_LEN];

    gr__sha256(ctx, disclosure.p, disclosure.len, md);
    gr_b64url_encode(md, sizeof(md), out);
    out[GR_SDJWT_DIGEST_LEN] = '\0';
}

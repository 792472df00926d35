/*
 * SD-JWT VC verification. The input is either a whole SD-JWT (first byte 'R',
 * raw), or "<payload JSON>\n<disclosures and KB-JWT>" (any other first byte),
 * whose payload this target signs with the issuer key, so that the fuzzer
 * gets past the signature into disclosure processing and key binding.
 *
 * Invariants: no crash, hang or leak; a failure carries one of the codes
 * gr_sdjwt_vc_verify documents and a sentence fit for error_description; a
 * success yields a JSON object with a vct and no `_sd` or `_sd_alg` left at the
 * top, and the disclosures it reports fit in the input.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/gramota.h>

#include "core/internal.h"

static struct gr_jwk *issuer(void)
{
    static struct gr_jwk *key; /* made once: the harness's own start-up */
    struct gr_err err;

    if (key == NULL)
        key = gr_jwk_parse(GR_STR("{\"kty\":\"EC\",\"crv\":\"P-256\","
                                  "\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\","
                                  "\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\","
                                  "\"d\":\"Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g\"}"),
                           GR_JWK_PRIVATE, &err);
    assert(key != NULL);
    return key;
}

static bool documented(enum gr_errc c)
{
    switch (c) {
    case GR_ERR_MALFORMED:
    case GR_ERR_TOO_LARGE:
    case GR_ERR_UNSUPPORTED_ALG:
    case GR_ERR_BAD_TYP:
    case GR_ERR_BAD_SIGNATURE:
    case GR_ERR_BAD_CLAIM:
    case GR_ERR_EXPIRED:
    case GR_ERR_RESERVED_NAME:
    case GR_ERR_DUPLICATE:
    case GR_ERR_ORPHAN:
    case GR_ERR_BAD_KEY:
        return true;
    default:
        return false;
    }
}

static void verify(struct gr_str in, size_t in_len)
{
    struct gr_sdjwt_vc_verify_opts o = {
        .now = 1764000000,
        .leeway = 60,
        .kb_aud = GR_STR("https://verifier.example.org"),
    };
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;

    gr_sdjwt_vc_verified_init(&v);
    if (gr_sdjwt_vc_verify(in, issuer(), &o, &v, &err) < 0) {
        assert(documented(err.code));
        assert(err.desc[0] != '\0' && strchr(err.desc, '"') == NULL &&
               strchr(err.desc, '\\') == NULL);
    } else {
        json_t *claims = json_loadb(v.claims.data, v.claims.len, 0, NULL);

        assert(json_is_object(claims));
        assert(json_is_string(json_object_get(claims, "vct")));
        assert(json_object_get(claims, "_sd") == NULL &&
               json_object_get(claims, "_sd_alg") == NULL);
        assert(v.disclosures <= in_len / 2);
        json_decref(claims);
    }
    gr_sdjwt_vc_verified_release(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const char *text = (const char *)data, *nl;
    struct gr_buf sdjwt;
    struct gr_err err;

    if (len == 0)
        return 0;
    if (text[0] == 'R') {
        verify((struct gr_str){ text + 1, len - 1 }, len);
        return 0;
    }
    nl = memchr(text, '\n', len);
    if (nl == NULL)
        return 0;
    gr_buf_init(&sdjwt, GR_BUF_UNBOUNDED);
    if (gr_jws_sign(issuer(), GR_STR("{\"alg\":\"ES256\",\"typ\":\"dc+sd-jwt\"}"),
                    (struct gr_str){ text, (size_t)(nl - text) }, &sdjwt, &err) == 0) {
        gr_buf_addc(&sdjwt, '~');
        gr_buf_add(&sdjwt, nl + 1, len - (size_t)(nl - text) - 1);
        verify(gr_buf_str(&sdjwt), sdjwt.len);
    }
    gr_buf_release(&sdjwt);
    return 0;
}

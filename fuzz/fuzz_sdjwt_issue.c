/*
 * SD-JWT VC issuance from outside claims: "<claims JSON>\n<disclosable JSON>".
 * Invariants: a spec is refused with a documented code and a clean sentence,
 * or every credential made from it verifies with gramota's own verifier and
 * gives back exactly the claims it was made from (the issuer never mints a
 * credential a wallet would reject, nor changes what it attests).
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/gramota.h>

#include "core/internal.h"

struct keys {
    struct gr_signer *signer;
    struct gr_jwk *holder;
};

static const struct keys *keys(void)
{
    static struct keys k; /* made once: the harness's own start-up */
    struct gr_err err;

    if (k.signer == NULL) {
        k.signer = gr_signer_new_key(gr_jwk_generate(&err), (struct gr_str){ NULL, 0 }, &err);
        k.holder = gr_jwk_generate(&err);
        assert(k.signer && k.holder);
    }
    return &k;
}

static void check_roundtrip(const struct gr_sdjwt_vc_template *t, struct gr_str claims_json)
{
    const struct gr_jwk *holder[2] = { keys()->holder, keys()->holder };
    struct gr_sdjwt_vc_batch b = {
        .iat = 1764000000, .exp = 1764086400, .count = 2, .holder_keys = holder
    };
    struct gr_sdjwt_vc_verify_opts o = { .now = 1764000100 };
    struct gr_sdjwt_vc_issued out[2];
    struct gr_err err;
    json_t *want = json_loadb(claims_json.p, claims_json.len, 0, NULL);

    assert(want != NULL);
    if (gr_sdjwt_vc_issue(t, &b, out, &err) < 0) {
        assert(err.code == GR_ERR_TOO_LARGE); /* nothing else can stop a checked template */
        json_decref(want);
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        struct gr_sdjwt_vc_verified v;
        json_t *got;
        const char *key;
        json_t *val;

        gr_sdjwt_vc_verified_init(&v);
        assert(gr_sdjwt_vc_verify(gr_buf_str(&out[i].credential), gr_signer_jwk(keys()->signer), &o,
                                  &v, &err) == 0);
        got = json_loadb(v.claims.data, v.claims.len, 0, NULL);
        json_object_foreach (want, key, val)
            assert(json_equal(val, json_object_get(got, key)));
        json_decref(got);
        gr_sdjwt_vc_verified_release(&v);
    }
    gr_sdjwt_vc_issued_release(out, 2);
    json_decref(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const char *text = (const char *)data, *nl = memchr(text, '\n', len);
    struct gr_sdjwt_vc_spec spec = {
        .vct = GR_STR("urn:eudi:pid:1"),
        .decoys_min = 0,
        .decoys_max = 3,
    };
    struct gr_sdjwt_vc_template *t;
    struct gr_err err;

    spec.claims_json = (struct gr_str){ text, nl ? (size_t)(nl - text) : len };
    if (nl)
        spec.disclosable_json = (struct gr_str){ nl + 1, len - (size_t)(nl - text) - 1 };
    t = gr_sdjwt_vc_template_new(&spec, keys()->signer, &err);
    if (t == NULL) {
        assert(err.code == GR_ERR_MALFORMED || err.code == GR_ERR_TOO_LARGE ||
               err.code == GR_ERR_RESERVED_NAME);
        assert(err.desc[0] && strchr(err.desc, '"') == NULL && strchr(err.desc, '\\') == NULL);
        return 0;
    }
    check_roundtrip(t, spec.claims_json);
    gr_sdjwt_vc_template_free(t);
    return 0;
}

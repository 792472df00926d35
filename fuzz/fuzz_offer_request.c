/*
 * The admin API's offer request, parsed and then made into an offer against
 * two credential types (one with a mandatory claim and disclosable paths).
 *
 * Invariants: a parsed request has a subject that is a JSON object and a
 * selector; numbers are within their documented ranges; a failure is
 * INVALID_REQUEST with a clean sentence and leaves nothing to release. An
 * offer made names one of the types, has its codes and their hashes, a
 * template that issues, and disclosable paths that are a JSON array; a
 * refused one is INVALID_REQUEST or REQUEST_TOO_LARGE with a clean sentence
 * and leaves the result empty.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/gramota.h>

#define NOW 1700000000

static const char degree[] =
    "{\"id\":\"degree\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:example:degree\","
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}},"
    "\"credential_metadata\":{\"claims\":[{\"path\":[\"name\"],\"mandatory\":true},"
    "{\"path\":[\"address\",\"city\"]}]}},"
    "\"gramota\":{\"disclosable\":[\"name\",[\"address\",\"city\"]]}}";
static const char badge[] =
    "{\"id\":\"badge\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:example:badge\","
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}}}";

/* The issuer, made once: the harness's own start-up. */
static const struct gr_offer_issuer *issuer(void)
{
    static struct gr_offer_issuer is;
    struct gr_err err;

    if (is.signer == NULL) {
        const struct gr_str texts[] = { { degree, sizeof(degree) - 1 },
                                        { badge, sizeof(badge) - 1 } };

        is.issuer_url = GR_STR("https://issuer.example.com");
        is.types = gr_cred_types_parse(texts, 2, &err);
        is.signer = gr_signer_new_key(gr_jwk_generate(&err), (struct gr_str){ NULL, 0 }, &err);
        assert(is.types != NULL && is.signer != NULL);
    }
    return &is;
}

static void clean_sentence(const struct gr_err *err)
{
    assert(err->desc[0] && strchr(err->desc, '"') == NULL && strchr(err->desc, '\\') == NULL);
}

static void make(const struct gr_offer_request *r)
{
    static const struct gr_offer_made empty;
    const struct gr_jwk *holder[1];
    struct gr_sdjwt_vc_issued out[1];
    struct gr_offer_made m;
    uint8_t hash[32];
    struct gr_err err;

    if (gr_offer_make(issuer(), r, NOW, &m, &err) < 0) {
        assert(err.code == GR_ERR_INVALID_REQUEST || err.code == GR_ERR_REQUEST_TOO_LARGE);
        clean_sentence(&err);
        assert(memcmp(&m, &empty, sizeof(m)) == 0);
        return;
    }
    assert(m.type != NULL && m.tpl != NULL);
    assert(strcmp(m.offer.config_id, "degree") == 0 || strcmp(m.offer.config_id, "badge") == 0);
    assert(strlen(m.code) == GR_SECRET_LEN);
    gr_sha256(m.code, strlen(m.code), hash);
    assert(memcmp(hash, m.offer.code_hash, 32) == 0);
    assert(m.offer.has_tx_code == (m.tx_code[0] != '\0'));
    assert(m.offer.disclosable_json && m.offer.disclosable_json[0] == '[');
    assert(m.offer.expires_at > NOW && m.offer.credential_lifetime > 0);
    holder[0] = gr_signer_jwk(issuer()->signer);
    assert(gr_sdjwt_vc_issue(m.tpl,
                             &(struct gr_sdjwt_vc_batch){
                                 .iat = NOW, .exp = NOW + 60, .count = 1, .holder_keys = holder },
                             out, &err) == 0);
    gr_sdjwt_vc_issued_release(out, 1);
    gr_offer_made_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static const struct gr_offer_request zero;
    struct gr_offer_request r;
    struct gr_err err;

    if (gr_offer_request_parse((struct gr_str){ (const char *)data, len }, &r, &err) == 0) {
        assert(r.subject_json.len >= 2 && r.subject_json.data[0] == '{');
        assert(r.vct.p || r.configuration_id.p);
        assert(r.tx_length == 0 || (r.tx_length >= 4 && r.tx_length <= 16));
        assert(r.expires_in == 0 || r.expires_in >= 60);
        assert(r.disclosable_json.len == 0 || r.disclosable_json.data[0] == '[');
        make(&r);
    } else {
        assert(err.code == GR_ERR_INVALID_REQUEST);
        clean_sentence(&err);
        assert(memcmp(&r, &zero, sizeof(r)) == 0); /* nothing left to release */
    }
    gr_offer_request_release(&r);
    return 0;
}

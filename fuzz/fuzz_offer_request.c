/*
 * The admin API's offer request. Invariants: a parsed request has a subject
 * that is a JSON object and a selector; numbers are within their documented
 * ranges; a failure is INVALID_REQUEST with a clean sentence.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/oid4vci.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_offer_request r;
    struct gr_err err;

    if (gr_offer_request_parse((struct gr_str){ (const char *)data, len }, &r, &err) == 0) {
        assert(r.subject_json.len >= 2 && r.subject_json.data[0] == '{');
        assert(r.vct.p || r.configuration_id.p);
        assert(r.tx_length == 0 || (r.tx_length >= 4 && r.tx_length <= 16));
        assert(r.expires_in == 0 || r.expires_in >= 60);
        assert(r.disclosable_json.len == 0 || r.disclosable_json.data[0] == '[');
    } else {
        assert(err.code == GR_ERR_INVALID_REQUEST);
        assert(err.desc[0] && strchr(err.desc, '"') == NULL && strchr(err.desc, '\\') == NULL);
    }
    gr_offer_request_release(&r);
    return 0;
}

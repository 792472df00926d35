/*
 * Credential request bodies. Invariants: a parsed request names exactly one
 * selector, its proofs are non-empty views within GR_MAX_PROOFS; a failure
 * carries a documented code and a sentence fit for error_description.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/oid4vci.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_credential_request cr;
    struct gr_err err;

    if (gr_credential_request_parse((struct gr_str){ (const char *)data, len }, &cr, &err) == 0) {
        assert((cr.configuration_id.p != NULL) + (cr.credential_identifier.p != NULL) +
                   (cr.dialect == GR_VCI_DRAFT13) ==
               1);
        assert(cr.proof_count <= GR_MAX_PROOFS);
        for (size_t i = 0; i < cr.proof_count; i++)
            assert(cr.proofs[i].len > 0);
        assert(cr.proof_count == 0 || cr.proof_type != GR_PROOF_NONE);
    } else {
        assert(err.code == GR_ERR_INVALID_CREDENTIAL_REQUEST || err.code == GR_ERR_INVALID_PROOF ||
               err.code == GR_ERR_INVALID_ENCRYPTION_PARAMETERS);
        assert(err.desc[0] && strchr(err.desc, '"') == NULL && strchr(err.desc, '\\') == NULL);
    }
    gr_credential_request_release(&cr);
    return 0;
}

/*
 * Credential request bodies, and their proofs checked together as an issuer
 * does (gr_proofs_verify, batch size 4). Invariants: a parsed request names
 * exactly one selector, its proofs are non-empty views within GR_MAX_PROOFS;
 * a failure carries a documented code and a sentence fit for
 * error_description, and leaves nothing to release. Proofs that pass share
 * one nonce and prove at most 4 distinct keys.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/oid4vci.h>
#include <gramota/proof.h>

static void proofs(const struct gr_credential_request *cr)
{
    static const struct gr_proofs empty;
    const struct gr_proof_check c = { .audience = GR_STR("https://issuer.example.com"),
                                      .now = 1700000000 };
    struct gr_proofs *p = malloc(sizeof(*p));
    struct gr_err err;

    assert(p != NULL);
    if (gr_proofs_verify(&c, cr->proof_type, cr->proofs, cr->proof_count, 4, p, &err) < 0) {
        assert(err.code == GR_ERR_INVALID_PROOF || err.code == GR_ERR_INVALID_CREDENTIAL_REQUEST);
        assert(memcmp(p, &empty, sizeof(empty)) == 0);
    } else {
        assert(p->key_count >= 1 && p->key_count <= 4 && p->nonce != NULL);
        for (size_t i = 0; i < p->proof_count; i++)
            assert(strcmp(p->proof[i].nonce, p->nonce) == 0);
        for (size_t i = 0; i < p->key_count; i++) {
            for (size_t j = 0; j < i; j++)
                assert(!gr_jwk_equal(p->keys[i], p->keys[j]));
        }
    }
    gr_proofs_release(p);
    free(p);
}

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
        proofs(&cr);
    } else {
        assert(err.code == GR_ERR_INVALID_CREDENTIAL_REQUEST || err.code == GR_ERR_INVALID_PROOF ||
               err.code == GR_ERR_INVALID_ENCRYPTION_PARAMETERS);
        assert(err.desc[0] && strchr(err.desc, '"') == NULL && strchr(err.desc, '\\') == NULL);
    }
    gr_credential_request_release(&cr);
    return 0;
}

/* The key proofs of one credential request, together (OID4VCI 1.0 §8.2, Appendix F.4). */
#include <gramota/proof.h>

#include <string.h>

#include <gramota/err.h>

/* see proof.h */
void gr_proofs_release(struct gr_proofs *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->proof_count; i++)
        gr_proof_release(&p->proof[i]);
    memset(p, 0, sizeof(*p));
}

/* Take the keys of a verified proof, in order, each once, at most `max_keys` in all. */
static int add_keys(struct gr_proofs *out, const struct gr_proof *p, size_t max_keys,
                    struct gr_err *err)
{
    for (size_t k = 0; k < p->key_count; k++) {
        if (out->key_count == max_keys)
            return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                           "The request proves more keys than the batch size of %zu.", max_keys);
        for (size_t j = 0; j < out->key_count; j++) {
            if (gr_jwk_equal(p->keys[k], out->keys[j]))
                return gr_fail(err, GR_ERR_INVALID_PROOF, "The same key is proven twice.");
        }
        out->keys[out->key_count++] = p->keys[k];
    }
    return 0;
}

static int check_all(const struct gr_proof_check *c, enum gr_proof_type type,
                     const struct gr_str *jwts, size_t count, size_t max_keys,
                     struct gr_proofs *out, struct gr_err *err)
{
    if (c == NULL || (count && jwts == NULL))
        return gr_fail(err, GR_ERR_USAGE, "gr_proofs_verify needs a check and the proofs.");
    if (count == 0 || type == GR_PROOF_NONE)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The request carries no key proof.");
    if (count > GR_MAX_PROOFS)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The request carries more than %d proofs.", GR_MAX_PROOFS);
    if (max_keys > GR_MAX_PROOFS)
        max_keys = GR_MAX_PROOFS;
    for (size_t i = 0; i < count; i++) {
        struct gr_proof_check one = *c;
        struct gr_proof *p = &out->proof[i];

        one.jwt = jwts[i];
        out->proof_count++;
        if ((type == GR_PROOF_ATTESTATION ? gr_proof_verify_attestation(&one, p, err)
                                          : gr_proof_verify_jwt(&one, p, err)) < 0)
            return -1;
        if (!p->has_nonce)
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "A proof has no nonce: fetch a c_nonce from the nonce endpoint.");
        if (strcmp(p->nonce, out->proof[0].nonce) != 0)
            return gr_fail(err, GR_ERR_INVALID_PROOF,
                           "The proofs of one request must share one c_nonce.");
        if (add_keys(out, p, max_keys, err) < 0)
            return -1;
    }
    out->nonce = out->proof[0].nonce;
    return 0;
}

/* see proof.h */
int gr_proofs_verify(const struct gr_proof_check *c, enum gr_proof_type type,
                     const struct gr_str *jwts, size_t count, size_t max_keys,
                     struct gr_proofs *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (check_all(c, type, jwts, count, max_keys, out, err) < 0) {
        gr_proofs_release(out);
        return -1;
    }
    return 0;
}

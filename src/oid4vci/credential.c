/* The credential request (OID4VCI 1.0 §8.2), with Draft 15 and Draft 13 shapes tolerated (SPECS
 * §3). */
#include <gramota/oid4vci.h>

#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

/* An optional string member: absent is fine, another type is not. */
static int opt_str(const json_t *root, const char *name, struct gr_str *out, struct gr_err *err)
{
    const json_t *v = json_object_get(root, name);

    *out = (struct gr_str){ NULL, 0 };
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST, "The member %s must be a string.",
                       name);
    *out = gr__json_strv(v);
    return 0;
}

static int proof_type_of(struct gr_str name, enum gr_proof_type *out, struct gr_err *err)
{
    if (gr_str_eq_c(name, "jwt"))
        *out = GR_PROOF_JWT;
    else if (gr_str_eq_c(name, "attestation"))
        *out = GR_PROOF_ATTESTATION;
    else
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "This issuer takes jwt and attestation proofs only.");
    return 0;
}

/* 1.0: "proofs": {"<type>": ["...", ...]}, exactly one type (§8.2). */
static int parse_proofs(const json_t *proofs, struct gr_credential_request *req, struct gr_err *err)
{
    const char *type = json_object_iter_key(json_object_iter((json_t *)proofs));
    const json_t *list, *el;
    size_t i;

    if (!json_is_object(proofs) || json_object_size(proofs) != 1)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The proofs member must be an object with exactly one proof type.");
    if (proof_type_of(gr_str_c(type), &req->proof_type, err) < 0)
        return -1;
    list = json_object_get(proofs, type);
    if (!json_is_array(list) || json_array_size(list) == 0)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The proofs of a type must be a non-empty array.");
    if (json_array_size(list) > GR_MAX_PROOFS)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The request carries more than %d proofs.", GR_MAX_PROOFS);
    if (req->proof_type == GR_PROOF_ATTESTATION && json_array_size(list) != 1)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "An attestation proof comes alone (OID4VCI 1.0 Appendix F.3).");
    json_array_foreach (list, i, el) {
        if (!json_is_string(el) || json_string_length(el) == 0)
            return gr_fail(err, GR_ERR_INVALID_PROOF, "Every proof must be a non-empty string.");
        req->proofs[req->proof_count++] = gr__json_strv(el);
    }
    return 0;
}

/* Draft 13 and 15: "proof": {"proof_type": "jwt", "jwt": "..."}. */
static int parse_proof(const json_t *proof, struct gr_credential_request *req, struct gr_err *err)
{
    struct gr_str type = gr__json_str(proof, "proof_type"), jwt;

    if (!json_is_object(proof) || type.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_PROOF,
                       "The proof member must be an object with a proof_type.");
    if (proof_type_of(type, &req->proof_type, err) < 0)
        return -1;
    jwt = gr__json_str(proof, req->proof_type == GR_PROOF_JWT ? "jwt" : "attestation");
    if (jwt.p == NULL || jwt.len == 0)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The proof carries no JWT.");
    req->proofs[req->proof_count++] = jwt;
    return 0;
}

static int parse_selector(const json_t *root, struct gr_credential_request *req, struct gr_err *err)
{
    if (opt_str(root, "credential_configuration_id", &req->configuration_id, err) < 0 ||
        opt_str(root, "credential_identifier", &req->credential_identifier, err) < 0 ||
        opt_str(root, "format", &req->format, err) < 0 || opt_str(root, "vct", &req->vct, err) < 0)
        return -1;
    if (req->configuration_id.p && req->credential_identifier.p)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "Give credential_configuration_id or credential_identifier, not both.");
    if (req->configuration_id.p || req->credential_identifier.p)
        return 0;
    /* Draft 13 names the credential by format and vct (SPECS §3). */
    if (req->format.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The request names no credential: give credential_configuration_id.");
    if (req->vct.p == NULL)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "A request by format must also give the vct.");
    req->dialect = GR_VCI_DRAFT13;
    return 0;
}

static int parse(struct gr_str body, struct gr_credential_request *req, struct gr_err *err)
{
    const json_t *proofs, *proof;
    json_t *root;

    memset(req, 0, sizeof(*req));
    root = gr__json_parse(body, GR_MAX_BODY, JSON_OBJECT, "The credential request", err);
    if (root == NULL)
        return gr_err_recode(err, GR_ERR_INVALID_CREDENTIAL_REQUEST);
    req->root = gr__json_hide(root);
    if (parse_selector(root, req, err) < 0)
        return -1;
    if (json_object_get(root, "credential_response_encryption"))
        return gr_fail(err, GR_ERR_INVALID_ENCRYPTION_PARAMETERS,
                       "This issuer does not encrypt credential responses.");
    proofs = json_object_get(root, "proofs");
    proof = json_object_get(root, "proof");
    if (proofs && proof)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "Give proofs or proof, not both.");
    if (proof && req->dialect != GR_VCI_DRAFT13)
        req->dialect = GR_VCI_DRAFT15;
    if (proofs)
        return parse_proofs(proofs, req, err);
    if (proof)
        return parse_proof(proof, req, err);
    return 0;
}

/* see oid4vci.h */
int gr_credential_request_parse(struct gr_str body, struct gr_credential_request *req,
                                struct gr_err *err)
{
    if (parse(body, req, err) == 0)
        return 0;
    gr_credential_request_release(req); /* nothing is left to release on failure */
    return -1;
}

/* see oid4vci.h */
void gr_credential_request_release(struct gr_credential_request *req)
{
    if (req == NULL)
        return;
    json_decref(gr__json_t(req->root));
    memset(req, 0, sizeof(*req)); /* no view outlives the body */
}

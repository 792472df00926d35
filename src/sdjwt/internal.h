#ifndef GR_SDJWT_INTERNAL_H
#define GR_SDJWT_INTERNAL_H

#include <gramota/sdjwt.h>

#include "core/internal.h"

/*
 * Append the disclosure JSON `["<salt>", <name_json>, <value_json>]` (or
 * without the name when name_json.p is NULL) base64url-encoded to `out`. The
 * parts are already JSON text; the separators are RFC 9901's ", ".
 */
void gr__sdjwt_disclosure_b64(struct gr_str salt, struct gr_str name_json, struct gr_str value_json,
                              struct gr_buf *scratch, struct gr_buf *out);

/* gr_sdjwt_digest() with a reused SHA-256 context. */
void gr__sdjwt_digest(gr_sha256_ctx *ctx, struct gr_str disclosure,
                      char out[GR_SDJWT_DIGEST_LEN + 1]);

/* Claims that only the issuer sets and that may never be disclosures (SD-JWT VC §2.2.2.3). */
bool gr__sdjwt_never_disclosed(struct gr_str name);

/* Names SD-JWT keeps for itself (RFC 9901 §4.1): `_sd`, `...`, `_sd_alg`. */
bool gr__sdjwt_reserved(struct gr_str name);

/*
 * Check the KB-JWT `kb` presented after `presented` (the SD-JWT up to and
 * including its last '~') against the holder key in `claims`' cnf.jwk (§7.3).
 * Codes: MALFORMED, BAD_TYP, BAD_CLAIM, BAD_SIGNATURE, EXPIRED, BAD_KEY.
 */
int gr__sdjwt_check_kb(struct gr_str kb, struct gr_str presented, const json_t *claims,
                       const struct gr_sdjwt_vc_verify_opts *o, int64_t now, struct gr_err *err);

#endif

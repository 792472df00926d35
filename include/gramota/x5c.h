#ifndef GRAMOTA_X5C_H
#define GRAMOTA_X5C_H

/*
 * X.509 certificate chains as a JWS header's `x5c` carries them (RFC 7515
 * §4.1.6: leaf first, each certificate the standard base64 of its DER), checked
 * against trust anchors the operator chose: the wallet providers whose key
 * attestations and wallet attestations the issuer takes (HAIP §4.4.1, §4.5.1).
 *
 * A `struct gr_trust` is read-only once loaded and may be shared by threads.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>

struct gr_trust;

/*
 * Trust anchors from PEM text: every CERTIFICATE block in it, each a CA
 * certificate (basicConstraints CA:TRUE); other blocks are skipped. An anchor
 * may be a self-signed root or an intermediate CA: a chain is trusted once it
 * reaches any anchor (OpenSSL's partial-chain mode). Codes: MALFORMED (no
 * certificate, or a block that does not decode), TOO_LARGE (past
 * GR_MAX_PEM_LEN), BAD_CLAIM (a certificate that is not a CA).
 */
GR_API struct gr_trust *gr_trust_load_pem(struct gr_str pem, struct gr_err *err);
/* NULL is a no-op. */
GR_API void gr_trust_free(struct gr_trust *t);
/* How many anchors were loaded. */
GR_API size_t gr_trust_count(const struct gr_trust *t);

/*
 * Check the chain `x5c[0..n)` (x5c[0] the leaf, the rest untrusted
 * intermediates in any order) at time `now` (seconds since the epoch) and
 * return the leaf's public key, which the caller owns. Rules: the chain
 * verifies up to one of `anchors` under RFC 5280 with OpenSSL's strict checks
 * (X509_V_FLAG_X509_STRICT); every certificate is within its validity period at
 * `now`; issuers are CAs (basicConstraints CA:TRUE) within their path length;
 * the leaf is not a CA, carries digitalSignature when it has a keyUsage
 * extension, and is not self-signed (HAIP: the signer is issued by a CA); its
 * key is EC P-256. A trust anchor inside `x5c` is tolerated, although HAIP says
 * the sender leaves it out.
 *
 * Codes, with a sentence that names the failed rule:
 *   MALFORMED     no certificate, bad base64 or DER, or bytes after the DER;
 *   TOO_LARGE     more than GR_JWS_MAX_X5C certificates, or one past 16 KiB;
 *   BAD_SIGNATURE the chain does not lead to an anchor (unknown issuer, a
 *                 signature that fails, a self-signed root that is not ours);
 *   EXPIRED       a certificate is expired or not yet valid at `now`;
 *   BAD_CLAIM     a constraint: the leaf is self-signed or a CA or may not sign,
 *                 an issuer is not a CA or exceeds its path length, or a
 *                 certificate breaks the strict profile;
 *   BAD_KEY       the leaf's key is not EC P-256;
 *   USAGE         `anchors` is NULL.
 * OpenSSL's own reason goes to err->cause.
 */
GR_API struct gr_jwk *gr_x5c_verify(const struct gr_trust *anchors, const struct gr_str *x5c,
                                    size_t n, int64_t now, struct gr_err *err);

#endif

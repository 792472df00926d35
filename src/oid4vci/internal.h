#ifndef GR_OID4VCI_INTERNAL_H
#define GR_OID4VCI_INTERNAL_H

/* What the files of src/oid4vci share and the public API does not show. */

#include <gramota/buf.h>
#include <gramota/err.h>

#include "core/internal.h"

/* ---- URLs (url.c) ---- */

#define GR__URL_MAX 2048 /* longest URL we normalize; longer is TOO_LARGE */

/*
 * Append the normal form of the absolute http or https URL `in` to `out`
 * (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalization):
 * scheme and host in lower case, percent-encodings of unreserved characters
 * decoded and all others in upper-case hex, the port as a plain decimal and
 * left out when it is the scheme's default (80, 443) or empty, an empty path
 * made "/", dot-segments removed. Query and fragment are kept, normalized the
 * same way; gr__url_strip_query() cuts them first where they do not count.
 * The result is its own normal form. Refused (MALFORMED): another scheme, no
 * "//" authority or an empty host, userinfo, a port that is not a number in
 * 1..65535, a broken percent-encoding, any character RFC 3986 does not allow
 * in that part (spaces, controls, non-ASCII, ...). TOO_LARGE past GR__URL_MAX.
 * On failure `out` is as it was.
 */
int gr__url_normalize(struct gr_str in, struct gr_buf *out, struct gr_err *err);

/* The view of `url` before its first `?` or `#`: the URL without query and fragment. */
struct gr_str gr__url_strip_query(struct gr_str url);

/* ---- stateless nonces, and the byte order of replay keys (mac.c) ---- */

#define GR__OID4VCI_MAC_LEN 16

/*
 * The first GR__OID4VCI_MAC_LEN bytes of HMAC-SHA256(secret, label || msg):
 * the MAC of a nonce that carries its own time (dpop.c, nonce.c), each kind
 * under its own label so that one kind is never taken for another. Code: CRYPTO.
 */
int gr__oid4vci_mac(const uint8_t secret[32], const char *label, const uint8_t *msg, size_t len,
                    uint8_t mac[GR__OID4VCI_MAC_LEN], struct gr_err *err);
/* A 64-bit number as 8 bytes, most significant first, and back. */
void gr__put_be64(uint8_t out[8], uint64_t v);
uint64_t gr__get_be64(const uint8_t in[8]);

/* ---- time windows (dpop.c, proof.c) ---- */

enum gr__window { GR__IN_WINDOW, GR__TOO_OLD, GR__TOO_NEW };

/*
 * Where `t` lies against [now - max_age, now + max_skew]; max_age and max_skew
 * are not negative. The differences are taken as unsigned 64-bit numbers, which
 * are exact for any two int64_t values, so no claim value can overflow them.
 */
static inline enum gr__window gr__oid4vci_window(int64_t t, int64_t now, int64_t max_age,
                                                 int64_t max_skew)
{
    if (t < now)
        return (uint64_t)now - (uint64_t)t > (uint64_t)max_age ? GR__TOO_OLD : GR__IN_WINDOW;
    return (uint64_t)t - (uint64_t)now > (uint64_t)max_skew ? GR__TOO_NEW : GR__IN_WINDOW;
}

/* `exp` has passed at `now`, allowing `skew` seconds (RFC 7519 §4.1.4): exp + skew <= now. */
static inline bool gr__oid4vci_expired(int64_t exp, int64_t now, int64_t skew)
{
    return exp <= now && (uint64_t)now - (uint64_t)exp >= (uint64_t)skew;
}

/* `t` (an iat or nbf) lies more than `skew` seconds after `now`. */
static inline bool gr__oid4vci_future(int64_t t, int64_t now, int64_t skew)
{
    return t > now && (uint64_t)t - (uint64_t)now > (uint64_t)skew;
}

/* ---- attestations (keyattest.c, client_attest.c) ---- */

struct gr_jws;
struct gr_trust;

/*
 * The key of the `x5c` chain in the header of `jws`, checked against
 * `anchors` at `now` (x5c.h): the wallet provider's signing key, which the
 * caller owns and still has to verify `jws` with. Every failure becomes
 * `code`; an absent chain, an untrusted one and an expired one get sentences
 * that name `what` ("key attestation"), the others keep the sentence of x5c.h.
 */
struct gr_jwk *gr__attest_signer(const struct gr_jws *jws, const struct gr_trust *anchors,
                                 int64_t now, const char *what, enum gr_errc code,
                                 struct gr_err *err);

#endif

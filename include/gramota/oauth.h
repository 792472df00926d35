#ifndef GRAMOTA_OAUTH_H
#define GRAMOTA_OAUTH_H

/*
 * OAuth 2.0 at the issuer's edge: the access token a request presents (RFC
 * 6750 §2.1, RFC 9449 §7.1), and the error answers every endpoint gives (RFC
 * 6749 §5.2, RFC 6750 §3, RFC 9449 §7.1, OpenID4VCI 1.0 §8.3.1). What the
 * token grants, and whether its DPoP proof matches, is the caller's to look
 * up: these functions only read and write the wire.
 */

#include <gramota/buf.h>

enum gr_auth_scheme { GR_AUTH_BEARER, GR_AUTH_DPOP };

struct gr_authorization {
    enum gr_auth_scheme scheme;
    struct gr_str token; /* the access token, borrowed from the header */
};

/*
 * Read the value of a request's Authorization header: `Bearer` or `DPoP`
 * (case-insensitive), one or more spaces, a token68 (RFC 9110 §11.2: letters,
 * digits, `-._~+/`, then any `=`), nothing after. `count` is how many
 * Authorization headers the request carries. Codes: UNAUTHORIZED when there
 * is none (`header.p` NULL or `count` 0: answer with a bare challenge per
 * scheme, RFC 6750 §3.1), INVALID_REQUEST for more than one, INVALID_TOKEN
 * for another scheme or a malformed value. `out` is set on success only.
 */
GR_API int gr_authorization_parse(struct gr_str header, unsigned count,
                                  struct gr_authorization *out, struct gr_err *err);

/*
 * The error body `{"error": ..., "error_description": ...}` for `err`,
 * appended to `out` with both strings JSON-escaped (the description left out
 * when empty), and the HTTP status to send it with (gr_errc_status). A code
 * without a wire name is internal (a bug or a broken installation, never the
 * client's doing): it goes out as `server_error`, 500, and the caller should
 * log err->cause. Send it with Cache-Control: no-store.
 */
GR_API int gr_error_json(const struct gr_err *err, struct gr_buf *out);

/*
 * The WWW-Authenticate value for an error at a protected resource (the
 * credential and notification endpoints), in the scheme the client used, or
 * for a DPoP-bound token the DPoP scheme: for INVALID_TOKEN,
 * INVALID_DPOP_PROOF, USE_DPOP_NONCE and INSUFFICIENT_SCOPE `<scheme>
 * error="...", error_description="..."` (DPoP adds `algs="ES256"`); for
 * UNAUTHORIZED (no token at all) the bare `Bearer` or `DPoP algs="ES256"`,
 * one header per scheme the resource takes. Appended to `out`. Returns the
 * status to answer with instead of gr_errc_status's: 401, or 403 for
 * INSUFFICIENT_SCOPE; 0, with nothing appended, for any other code.
 */
GR_API int gr_www_authenticate(const struct gr_err *err, enum gr_auth_scheme scheme,
                               struct gr_buf *out);

#endif

#ifndef GRAMOTA_ERR_H
#define GRAMOTA_ERR_H

/*
 * The one error type of gramota.
 *
 * Every function that can fail takes `struct gr_err *err` last (on the caller's
 * stack, never NULL) and returns 0/-1 or a pointer/NULL. On failure `err` holds
 * a code, which picks the row of GR_ERRORS (wire name and HTTP status), one
 * plain sentence for `error_description`, and a cause for the log only.
 *
 * A NULL where a function needs a value (a key, a signer, an operation table,
 * a spec) is the caller's bug and fails with USAGE, whatever the argument:
 * BAD_KEY and the like are for a value that is there and unusable. A NULL
 * straight from a call that failed in the same expression is no exception:
 * gr_signer_new_key(gr_jwk_generate(err), ..., err) fails cleanly, leaking
 * nothing, but with USAGE in place of gr_jwk_generate()'s error; check the key
 * first where that error matters. No call but the gr_err_ functions reads
 * `err`, so it needs no initialising and an earlier failure in it is never
 * taken for this call's.
 *
 * Codes with a wire name are the specifications' error codes. Codes without
 * one are internal (MALFORMED, BAD_SIGNATURE, ...): the protocol layer re-codes
 * them with gr_err_recode(); one that reaches HTTP as is goes out as
 * `server_error` and is logged as a bug.
 */

#include <gramota/buf.h>

#define GR_ERRORS(X)                                                                \
    X(OK, NULL, 200)                                                                \
    /* OAuth 2.0, RFC 6749 §5.2 and RFC 6750 §3.1 */                              \
    X(INVALID_REQUEST, "invalid_request", 400)                                      \
    X(INVALID_GRANT, "invalid_grant", 400)                                          \
    X(INVALID_CLIENT, "invalid_client", 400)                                        \
    X(UNSUPPORTED_GRANT_TYPE, "unsupported_grant_type", 400)                        \
    X(INVALID_TOKEN, "invalid_token", 401)                                          \
    X(INSUFFICIENT_SCOPE, "insufficient_scope", 403)                                \
    /* DPoP, RFC 9449 */                                                            \
    X(INVALID_DPOP_PROOF, "invalid_dpop_proof", 400)                                \
    X(USE_DPOP_NONCE, "use_dpop_nonce", 400)                                        \
    /* Attestation-based client authentication */                                   \
    X(INVALID_CLIENT_ATTESTATION, "invalid_client_attestation", 400)                \
    /* OpenID4VCI 1.0 §8.3.1.2, §9.3, §11.3 */                                   \
    X(INVALID_CREDENTIAL_REQUEST, "invalid_credential_request", 400)                \
    X(UNKNOWN_CREDENTIAL_CONFIGURATION, "unknown_credential_configuration", 400)    \
    X(UNKNOWN_CREDENTIAL_IDENTIFIER, "unknown_credential_identifier", 400)          \
    X(INVALID_PROOF, "invalid_proof", 400)                                          \
    X(INVALID_NONCE, "invalid_nonce", 400)                                          \
    X(INVALID_ENCRYPTION_PARAMETERS, "invalid_encryption_parameters", 400)          \
    X(CREDENTIAL_REQUEST_DENIED, "credential_request_denied", 400)                  \
    X(INVALID_TRANSACTION_ID, "invalid_transaction_id", 400)                        \
    X(INVALID_NOTIFICATION_ID, "invalid_notification_id", 400)                      \
    X(INVALID_NOTIFICATION_REQUEST, "invalid_notification_request", 400)            \
    /* gramota's admin API (API.md §2) */                                          \
    X(UNAUTHORIZED, "unauthorized", 401)                                            \
    X(NOT_FOUND, "not_found", 404)                                                  \
    X(CONFLICT, "conflict", 409)                                                    \
    X(REQUEST_TOO_LARGE, "request_too_large", 413)                                  \
    X(UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415)                        \
    X(RATE_LIMITED, "rate_limited", 429)                                            \
    X(SERVER_ERROR, "server_error", 500)                                            \
    X(TEMPORARILY_UNAVAILABLE, "temporarily_unavailable", 503)                      \
    /* internal: re-coded by the protocol layer before anything reaches the wire */ \
    X(MALFORMED, NULL, 500)       /* not the syntax it claims to be */              \
    X(TOO_LARGE, NULL, 500)       /* past a limit of gramota/limits.h */            \
    X(UNSUPPORTED_ALG, NULL, 500) /* none, HMAC, or not the key's algorithm */      \
    X(BAD_KEY, NULL, 500)         /* not a usable P-256 key */                      \
    X(BAD_SIGNATURE, NULL, 500)   /* the signature does not verify */               \
    X(BAD_TYP, NULL, 500)         /* explicit typing does not match */              \
    X(BAD_CLAIM, NULL, 500)       /* a claim is missing or has the wrong value */   \
    X(EXPIRED, NULL, 500)         /* exp passed, nbf or iat out of the window */    \
    X(RESERVED_NAME, NULL, 500)   /* a name SD-JWT or SD-JWT VC keeps for itself */ \
    X(DUPLICATE, NULL, 500)       /* a digest, disclosure or member seen twice */   \
    X(ORPHAN, NULL, 500)          /* a disclosure no digest refers to */            \
    X(CRYPTO, NULL, 500)          /* OpenSSL failed where it should not */          \
    X(IO, NULL, 500)              /* a file could not be read or written */         \
    X(USAGE, NULL, 500)           /* the caller broke a documented contract */

enum gr_errc {
#define GR_ERRC_ENUM(name, wire, status) GR_ERR_##name,
    GR_ERRORS(GR_ERRC_ENUM)
#undef GR_ERRC_ENUM
        GR_ERR__COUNT
};

struct gr_err {
    enum gr_errc code;
    const char *where; /* "src/jose/jws.c:118", logged */
    char desc[128];    /* the sentence for error_description */
    char cause[160];   /* library detail: logged, never sent */
};

#define GR_STRINGIFY_(x) #x
#define GR_STRINGIFY(x)  GR_STRINGIFY_(x)
#define GR_HERE          __FILE__ ":" GR_STRINGIFY(__LINE__)

/*
 * Fill `err` and return -1: the code, the place `where` (a string that
 * outlives `err`, logged: "src/jose/jws.c:118"), `desc` formatted (one
 * sentence, the problem first; cut to fit), and no cause. gr_fail() gives
 * GR_HERE, the file and line of its call, as the place; call gr_fail_at()
 * itself to name another one (a helper that reports its caller's place).
 */
#define gr_fail(err, code, ...) gr_fail_at((err), (code), GR_HERE, __VA_ARGS__)
GR_API int gr_fail_at(struct gr_err *err, enum gr_errc code, const char *where, const char *fmt,
                      ...) GR_PRINTF(4, 5);

/*
 * Set err->cause for the log (never sent), formatted, replacing any earlier
 * cause and cut to fit; code, desc and where are kept. Returns -1 so that it
 * can close a failure: `return gr_err_cause(err, "open %s: %s", path, why);`.
 */
GR_API int gr_err_cause(struct gr_err *err, const char *fmt, ...) GR_PRINTF(2, 3);
/*
 * Put the first error of this thread's OpenSSL error queue into err->cause
 * (an empty queue leaves the cause as it is) and clear the queue; code, desc
 * and where are kept. Returns -1, as gr_err_cause().
 */
GR_API int gr_err_openssl(struct gr_err *err);

/* Give the error a new code, keeping its sentence, cause and place; returns -1. */
GR_API int gr_err_recode(struct gr_err *err, enum gr_errc code);

/* Zero `err`: code OK, no place, empty desc and cause. */
GR_API void gr_err_clear(struct gr_err *err);

/*
 * The row of `code` in GR_ERRORS, as static strings: the wire name (NULL for
 * OK, internal codes and values outside the enum); the HTTP status (500 for
 * an internal code or a value outside the enum: one that reaches the wire is
 * answered as server_error); the enum's name without GR_ERR_ ("?" outside).
 */
GR_API const char *gr_errc_wire(enum gr_errc code);
GR_API int gr_errc_status(enum gr_errc code);
GR_API const char *gr_errc_name(enum gr_errc code);

#endif

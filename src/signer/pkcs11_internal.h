#ifndef GR_SIGNER_PKCS11_INTERNAL_H
#define GR_SIGNER_PKCS11_INTERNAL_H

/*
 * The PKCS#11 signer's pieces (pkcs11.c, pkcs11_uri.c, pkcs11_keygen.c):
 * the parsed RFC 7512 URI and what the token code shares.
 */

#include <p11-kit/pkcs11.h>

#include <gramota/signer.h>

#include "core/internal.h"

/* Sizes from PKCS#11 (CK_TOKEN_INFO's blank-padded fields) and our own ceilings. */
#define GR_P11_TOKEN_LEN  32
#define GR_P11_MANUF_LEN  32
#define GR_P11_MODEL_LEN  16
#define GR_P11_SERIAL_LEN 16
#define GR_P11_OBJECT_MAX 128  /* a CKA_LABEL we look for */
#define GR_P11_ID_MAX     64   /* a CKA_ID, in bytes */
#define GR_P11_PATH_MAX   1024 /* module-path, pin-source */
#define GR_P11_URI_MAX    4096 /* the whole URI */

/* CKA_EC_PARAMS of P-256: the DER of OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1). */
extern const uint8_t gr__p11_p256[10];

enum gr__p11_pin_kind {
    GR_P11_PIN_NONE, /* no pin-source: no login */
    GR_P11_PIN_FILE, /* pin-source=file:PATH (RFC 7512 §2.3) */
    GR_P11_PIN_ENV,  /* pin-source=env:NAME, gramota's extension */
};

/*
 * A parsed pkcs11: URI, every value percent-decoded and NUL-terminated. Text
 * attributes never hold a NUL byte; `id` may hold any byte.
 */
struct gr__p11_uri {
    char token[GR_P11_TOKEN_LEN + 1];
    char manufacturer[GR_P11_MANUF_LEN + 1];
    char model[GR_P11_MODEL_LEN + 1];
    char serial[GR_P11_SERIAL_LEN + 1];
    char object[GR_P11_OBJECT_MAX + 1];
    uint8_t id[GR_P11_ID_MAX];
    size_t id_len;
    bool has_object, has_id, has_slot_id;
    unsigned long slot_id;
    char module_path[GR_P11_PATH_MAX + 1]; /* from module-path, or module-name resolved */
    char module_name[256];
    enum gr__p11_pin_kind pin_kind;
    char pin_source[GR_P11_PATH_MAX + 1]; /* the file's path or the variable's name */
};

/*
 * Parse `uri` (RFC 7512). Path attributes: token (required), manufacturer,
 * model, serial, slot-id, object, id, type (only "private"). Query attributes:
 * module-path or module-name (one of them required), pin-source. pin-value is
 * refused: a PIN in a URI ends up in process listings, shell history and logs.
 * Unknown and repeated attributes are refused, as are characters RFC 7512
 * does not allow unencoded. `need_object`: object or id must be present. The
 * module named by module-name is not looked up here (gr__p11_module_resolve).
 * Code: USAGE, naming what is wrong; the sentence never quotes a value.
 */
int gr__p11_uri_parse(struct gr_str uri, bool need_object, struct gr__p11_uri *out,
                      struct gr_err *err);

/*
 * Fill `u->module_path` from `u->module_name` when module-path was not given:
 * p11-kit's module configuration NAME.module in its configuration directories
 * (its `module:` line, relative paths under p11-kit's module directory), else
 * NAME.so or libNAME.so in that directory. Code: USAGE.
 */
int gr__p11_module_resolve(struct gr__p11_uri *u, struct gr_err *err);

/*
 * Append `u` as a pkcs11: URI, every value percent-encoded where RFC 7512
 * asks; the module as module-path, the PIN source as given.
 */
void gr__p11_uri_format(const struct gr__p11_uri *u, struct gr_buf *out);

/* The symbolic name of a CK_RV ("CKR_DEVICE_REMOVED"), or "CKR_0x..." in `buf`. */
const char *gr__p11_rv_name(CK_RV rv, char buf[24]);

/*
 * A PKCS#11 module, loaded and initialised once per process however many
 * signers use it (pkcs11_token.c): C_Initialize may run only once per process
 * and C_Finalize ends every user's sessions, so loads are counted. Codes: IO
 * (dlopen, no C_GetFunctionList), TEMPORARILY_UNAVAILABLE (C_Initialize).
 */
struct gr__p11_module;
struct gr__p11_module *gr__p11_module_get(const char *path, struct gr_err *err);
void gr__p11_module_put(struct gr__p11_module *m);
CK_FUNCTION_LIST *gr__p11_funcs(const struct gr__p11_module *m);
/*
 * C_Finalize and C_Initialize again, for modules that find their tokens only
 * when initialised: a token gone and back is then seen again. Only when this
 * caller is the module's one user and initialised it, and has no session
 * open (the caller's promise). Returns 0 when it was done.
 */
int gr__p11_module_reinit(struct gr__p11_module *m);

/*
 * Open a session on the token `u` names (found by label and the other token
 * attributes, among the slots with a token now) and log in with the PIN of
 * its pin-source, read now and wiped after. Codes: NOT_FOUND (no such token),
 * USAGE (several tokens match), IO (the PIN cannot be read), UNAUTHORIZED
 * (the PIN is refused or locked, or the token needs one and `u` gives none),
 * TEMPORARILY_UNAVAILABLE (any other token failure).
 */
int gr__p11_open(const struct gr__p11_module *m, const struct gr__p11_uri *u, bool rw,
                 CK_SESSION_HANDLE *h, struct gr_err *err);

/*
 * The one EC object of class `cls` that `u`'s object/id name. Codes:
 * NOT_FOUND, USAGE (several match), TEMPORARILY_UNAVAILABLE.
 */
int gr__p11_find(const struct gr__p11_module *m, CK_SESSION_HANDLE h, const struct gr__p11_uri *u,
                 CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, struct gr_err *err);

/*
 * The public key object matching `u`: CKA_EC_PARAMS must name P-256 and
 * CKA_EC_POINT hold an uncompressed point. Codes: those of gr__p11_find, BAD_KEY.
 */
struct gr_jwk *gr__p11_public_key(const struct gr__p11_module *m, CK_SESSION_HANDLE h,
                                  const struct gr__p11_uri *u, struct gr_err *err);

/* The signer of a pkcs11: URI (pkcs11.c); gr_signer_new() dispatches here. */
struct gr_signer *gr__signer_pkcs11_new(struct gr_str uri, struct gr_str chain_pem,
                                        struct gr_err *err);

/* Fail with `code` and a cause naming the token, the call and its CK_RV; returns -1. */
int gr__p11_fail(struct gr_err *err, enum gr_errc code, const struct gr__p11_uri *u,
                 const char *call, CK_RV rv, const char *desc);

#endif

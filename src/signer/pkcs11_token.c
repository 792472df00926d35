/*
 * Talking to a PKCS#11 token: the module loaded with dlopen, the token found
 * by its label, a session logged in, objects found, the public key read.
 *
 * Only p11-kit's header is used, not its library: the module the URI names is
 * loaded directly, so that what runs is exactly what the operator configured
 * (p11-kit's proxy would add every module of the system configuration) and
 * libgramota gains no runtime dependency. What p11-kit's proxy would give us,
 * sharing one C_Initialize among several users, is the small counted registry
 * below.
 */
#include "signer/pkcs11_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <gramota/b64url.h>
#include <gramota/err.h>
#include <gramota/jwk.h>

#define PIN_MAX 256

struct gr__p11_module {
    struct gr__p11_module *next;
    void *dl;
    CK_FUNCTION_LIST *f;
    int refs;
    bool finalize; /* we initialised it: we finalise it when the last user goes */
};

/*
 * The one piece of process-wide state: C_Initialize is once per process and
 * per module, so two signers (or a signer and keygen) on one module share it.
 */
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gr__p11_module *modules;

/* see pkcs11_internal.h */
const uint8_t gr__p11_p256[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* see pkcs11_internal.h */
const char *gr__p11_rv_name(CK_RV rv, char buf[24])
{
    static const struct {
        CK_RV rv;
        const char *name;
    } names[] = {
#define N(x) { x, #x }
        N(CKR_OK),
        N(CKR_CANCEL),
        N(CKR_HOST_MEMORY),
        N(CKR_SLOT_ID_INVALID),
        N(CKR_GENERAL_ERROR),
        N(CKR_FUNCTION_FAILED),
        N(CKR_ARGUMENTS_BAD),
        N(CKR_CANT_LOCK),
        N(CKR_ATTRIBUTE_SENSITIVE),
        N(CKR_ATTRIBUTE_TYPE_INVALID),
        N(CKR_ATTRIBUTE_VALUE_INVALID),
        N(CKR_DATA_INVALID),
        N(CKR_DATA_LEN_RANGE),
        N(CKR_DEVICE_ERROR),
        N(CKR_DEVICE_MEMORY),
        N(CKR_DEVICE_REMOVED),
        N(CKR_FUNCTION_CANCELED),
        N(CKR_FUNCTION_NOT_SUPPORTED),
        N(CKR_KEY_HANDLE_INVALID),
        N(CKR_KEY_TYPE_INCONSISTENT),
        N(CKR_KEY_FUNCTION_NOT_PERMITTED),
        N(CKR_MECHANISM_INVALID),
        N(CKR_MECHANISM_PARAM_INVALID),
        N(CKR_OBJECT_HANDLE_INVALID),
        N(CKR_OPERATION_ACTIVE),
        N(CKR_OPERATION_NOT_INITIALIZED),
        N(CKR_PIN_INCORRECT),
        N(CKR_PIN_INVALID),
        N(CKR_PIN_LEN_RANGE),
        N(CKR_PIN_EXPIRED),
        N(CKR_PIN_LOCKED),
        N(CKR_SESSION_CLOSED),
        N(CKR_SESSION_COUNT),
        N(CKR_SESSION_HANDLE_INVALID),
        N(CKR_SESSION_READ_ONLY),
        N(CKR_TEMPLATE_INCOMPLETE),
        N(CKR_TEMPLATE_INCONSISTENT),
        N(CKR_TOKEN_NOT_PRESENT),
        N(CKR_TOKEN_NOT_RECOGNIZED),
        N(CKR_TOKEN_WRITE_PROTECTED),
        N(CKR_USER_ALREADY_LOGGED_IN),
        N(CKR_USER_NOT_LOGGED_IN),
        N(CKR_USER_PIN_NOT_INITIALIZED),
        N(CKR_USER_TYPE_INVALID),
        N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
        N(CKR_DOMAIN_PARAMS_INVALID),
        N(CKR_CURVE_NOT_SUPPORTED),
        N(CKR_BUFFER_TOO_SMALL),
        N(CKR_CRYPTOKI_NOT_INITIALIZED),
        N(CKR_CRYPTOKI_ALREADY_INITIALIZED),
        N(CKR_FUNCTION_REJECTED),
#undef N
    };

    for (size_t i = 0; i < GR_NELEM(names); i++) {
        if (names[i].rv == rv)
            return names[i].name;
    }
    snprintf(buf, 24, "CKR_0x%lx", (unsigned long)rv);
    return buf;
}

/* see pkcs11_internal.h */
int gr__p11_fail(struct gr_err *err, enum gr_errc code, const struct gr__p11_uri *u,
                 const char *call, CK_RV rv, const char *desc)
{
    char buf[24];

    gr_fail(err, code, "%s", desc);
    return gr_err_cause(err, "token %s: %s: %s", u->token, call, gr__p11_rv_name(rv, buf));
}

/* see pkcs11_internal.h */
struct gr__p11_module *gr__p11_module_get(const char *path, struct gr_err *err)
{
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    CK_C_GetFunctionList get;
    struct gr__p11_module *m;
    void *dl;
    CK_RV rv;
    char buf[24];

    pthread_mutex_lock(&modules_lock);
    /* RTLD_LOCAL: the module's symbols stay its own; dlopen counts its handles itself. */
    if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        gr_fail(err, GR_ERR_IO, "The PKCS#11 module cannot be loaded.");
        gr_err_cause(err, "%s", dlerror());
        m = NULL;
        goto out;
    }
    for (m = modules; m != NULL; m = m->next) {
        if (m->dl == dl) {
            dlclose(dl); /* the registry holds one handle */
            m->refs++;
            goto out;
        }
    }
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    m = gr__xcalloc(1, sizeof(*m));
    m->dl = dl;
    m->refs = 1;
    if (get == NULL || (rv = get(&m->f)) != CKR_OK || m->f == NULL) {
        gr_fail(err, GR_ERR_IO, "The PKCS#11 module has no usable C_GetFunctionList.");
        goto fail;
    }
    rv = m->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The PKCS#11 module fails to initialise.");
        gr_err_cause(err, "C_Initialize: %s", gr__p11_rv_name(rv, buf));
        goto fail;
    }
    /* Already initialised by the application itself: its to finalise, not ours. */
    m->finalize = rv == CKR_OK;
    m->next = modules;
    modules = m;
    goto out;
fail:
    dlclose(dl);
    free(m);
    m = NULL;
out:
    pthread_mutex_unlock(&modules_lock);
    return m;
}

/* see pkcs11_internal.h */
void gr__p11_module_put(struct gr__p11_module *m)
{
    struct gr__p11_module **pp;

    if (m == NULL)
        return;
    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        for (pp = &modules; *pp != m; pp = &(*pp)->next)
            ;
        *pp = m->next;
        if (m->finalize)
            m->f->C_Finalize(NULL);
        dlclose(m->dl);
        free(m);
    }
    pthread_mutex_unlock(&modules_lock);
}

/* see pkcs11_internal.h */
int gr__p11_module_reinit(struct gr__p11_module *m)
{
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    int rc = -1;

    pthread_mutex_lock(&modules_lock);
    if (m->refs == 1 && m->finalize) {
        m->f->C_Finalize(NULL);
        if (m->f->C_Initialize(&args) == CKR_OK)
            rc = 0;
        else
            m->finalize = false; /* not initialised: nothing to finalise */
    }
    pthread_mutex_unlock(&modules_lock);
    return rc;
}

/* see pkcs11_internal.h */
CK_FUNCTION_LIST *gr__p11_funcs(const struct gr__p11_module *m)
{
    return m->f;
}

/* A blank-padded CK_TOKEN_INFO field equals `want` ("" matches anything). */
static bool field_is(const CK_UTF8CHAR *field, size_t size, const char *want)
{
    size_t len = strlen(want);

    if (len == 0)
        return true;
    if (len > size || memcmp(field, want, len) != 0)
        return false;
    for (size_t i = len; i < size; i++) {
        if (field[i] != ' ')
            return false;
    }
    return true;
}

/* The slot holding the token `u` names, among the slots with a token now. */
static int find_slot(CK_FUNCTION_LIST *f, const struct gr__p11_uri *u, CK_SLOT_ID *out,
                     CK_FLAGS *flags, struct gr_err *err)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = GR_NELEM(slots);
    CK_TOKEN_INFO info;
    int found = 0;
    CK_RV rv;

    /* Asked afresh each time: a token re-inserted may come back in another slot. */
    if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
        return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, u, "C_GetSlotList", rv,
                            "The PKCS#11 module cannot list its slots.");
    for (CK_ULONG i = 0; i < n; i++) {
        if (u->has_slot_id && slots[i] != u->slot_id)
            continue;
        if (f->C_GetTokenInfo(slots[i], &info) != CKR_OK)
            continue; /* gone since the list was made */
        if (field_is(info.label, sizeof(info.label), u->token) &&
            field_is(info.manufacturerID, sizeof(info.manufacturerID), u->manufacturer) &&
            field_is(info.model, sizeof(info.model), u->model) &&
            field_is(info.serialNumber, sizeof(info.serialNumber), u->serial)) {
            *out = slots[i];
            *flags = info.flags;
            found++;
        }
    }
    if (found == 0) {
        gr_fail(err, GR_ERR_NOT_FOUND, "No PKCS#11 token with the signer URI's label is present.");
        return gr_err_cause(err, "token %s: not among %lu slot(s) with a token", u->token,
                            (unsigned long)n);
    }
    if (found > 1)
        return gr_fail(err, GR_ERR_USAGE,
                       "Several PKCS#11 tokens match the signer URI; add serial= to pick one.");
    return 0;
}

/* The PIN from the pin-source, into `pin` (wiped by the caller). */
static int read_pin(const struct gr__p11_uri *u, char *pin, size_t *len, struct gr_err *err)
{
    struct gr_buf b;
    const char *v;
    int rc = 0;

    if (u->pin_kind == GR_P11_PIN_ENV) {
        if ((v = getenv(u->pin_source)) == NULL)
            return gr_fail(err, GR_ERR_IO, "The PIN's environment variable is not set.");
        *len = strlen(v);
        if (*len > PIN_MAX)
            return gr_fail(err, GR_ERR_IO, "The PIN is longer than %d bytes.", PIN_MAX);
        memcpy(pin, v, *len);
        return 0;
    }
    gr_buf_init(&b, PIN_MAX + 2);
    if (gr__read_file(u->pin_source, PIN_MAX + 2, &b, err) < 0) {
        rc = gr_err_recode(err, GR_ERR_IO); /* its sentence names the file, never the PIN */
    } else {
        *len = b.len;
        /* One trailing newline is the editor's, not the PIN's. */
        if (*len && b.data[*len - 1] == '\n')
            (*len)--;
        if (*len && b.data[*len - 1] == '\r')
            (*len)--;
        if (*len > PIN_MAX)
            rc = gr_fail(err, GR_ERR_IO, "The PIN is longer than %d bytes.", PIN_MAX);
        else
            memcpy(pin, b.data, *len);
    }
    OPENSSL_cleanse(b.data, b.cap);
    gr_buf_release(&b);
    return rc;
}

static int login(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, const struct gr__p11_uri *u,
                 struct gr_err *err)
{
    char pin[PIN_MAX + 1];
    size_t len = 0;
    CK_RV rv;

    if (read_pin(u, pin, &len, err) < 0) {
        OPENSSL_cleanse(pin, sizeof(pin));
        return -1;
    }
    rv = f->C_Login(h, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)len);
    OPENSSL_cleanse(pin, sizeof(pin));
    /* Login is per token and application: a second session finds it done. */
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return 0;
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
        rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
        return gr__p11_fail(err, GR_ERR_UNAUTHORIZED, u, "C_Login", rv,
                            "The PKCS#11 token refuses the PIN.");
    return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, u, "C_Login", rv,
                        "The PKCS#11 token cannot log in.");
}

/* see pkcs11_internal.h */
int gr__p11_open(const struct gr__p11_module *m, const struct gr__p11_uri *u, bool rw,
                 CK_SESSION_HANDLE *h, struct gr_err *err)
{
    CK_FUNCTION_LIST *f = m->f;
    CK_SLOT_ID slot;
    CK_FLAGS flags;
    CK_RV rv;

    if (find_slot(f, u, &slot, &flags, err) < 0)
        return -1;
    if (u->pin_kind == GR_P11_PIN_NONE && (flags & CKF_LOGIN_REQUIRED))
        return gr_fail(err, GR_ERR_UNAUTHORIZED,
                       "The PKCS#11 token needs a PIN: add pin-source to the signer URI.");
    rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, h);
    if (rv != CKR_OK)
        return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, u, "C_OpenSession", rv,
                            "The PKCS#11 token cannot open a session.");
    if (u->pin_kind != GR_P11_PIN_NONE && login(f, *h, u, err) < 0) {
        f->C_CloseSession(*h);
        return -1;
    }
    return 0;
}

/* see pkcs11_internal.h */
int gr__p11_find(const struct gr__p11_module *m, CK_SESSION_HANDLE h, const struct gr__p11_uri *u,
                 CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, struct gr_err *err)
{
    CK_FUNCTION_LIST *f = m->f;
    CK_KEY_TYPE type = CKK_EC;
    CK_ATTRIBUTE t[4] = {
        { CKA_CLASS, &cls, sizeof(cls) },
        { CKA_KEY_TYPE, &type, sizeof(type) },
    };
    CK_ULONG nt = 2, found = 0;
    CK_OBJECT_HANDLE objs[2];
    CK_RV rv;

    if (u->has_object)
        t[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)u->object, strlen(u->object) };
    if (u->has_id)
        t[nt++] = (CK_ATTRIBUTE){ CKA_ID, (void *)u->id, u->id_len };
    rv = f->C_FindObjectsInit(h, t, nt);
    if (rv == CKR_OK) {
        rv = f->C_FindObjects(h, objs, GR_NELEM(objs), &found);
        f->C_FindObjectsFinal(h);
    }
    if (rv != CKR_OK)
        return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, u, "C_FindObjects", rv,
                            "The PKCS#11 token cannot search its objects.");
    if (found == 0) {
        gr_fail(err, GR_ERR_NOT_FOUND, "The PKCS#11 token holds no EC %s key the URI names.",
                cls == CKO_PRIVATE_KEY ? "private" : "public");
        return gr_err_cause(err, "token %s: no matching object", u->token);
    }
    if (found > 1)
        return gr_fail(err, GR_ERR_USAGE,
                       "Several keys on the PKCS#11 token match the URI; add id= to pick one.");
    *out = objs[0];
    return 0;
}

/* CKA_EC_POINT: a DER OCTET STRING around 04 || X || Y; some modules give the point bare. */
static const uint8_t *ec_point(const uint8_t *v, CK_ULONG len)
{
    if (len == 67 && v[0] == 0x04 && v[1] == 65 && v[2] == 0x04)
        return v + 3;
    if (len == 65 && v[0] == 0x04)
        return v + 1;
    return NULL;
}

/* see pkcs11_internal.h */
struct gr_jwk *gr__p11_public_key(const struct gr__p11_module *m, CK_SESSION_HANDLE h,
                                  const struct gr__p11_uri *u, struct gr_err *err)
{
    uint8_t params[64], point[128];
    CK_ATTRIBUTE t[2] = {
        { CKA_EC_PARAMS, params, sizeof(params) },
        { CKA_EC_POINT, point, sizeof(point) },
    };
    CK_OBJECT_HANDLE obj;
    const uint8_t *xy;
    struct gr_buf json;
    struct gr_jwk *key;
    CK_RV rv;

    if (gr__p11_find(m, h, u, CKO_PUBLIC_KEY, &obj, err) < 0)
        return NULL;
    if ((rv = m->f->C_GetAttributeValue(h, obj, t, 2)) != CKR_OK) {
        gr__p11_fail(err, GR_ERR_BAD_KEY, u, "C_GetAttributeValue", rv,
                     "The PKCS#11 public key's EC parameters cannot be read.");
        return NULL;
    }
    if (t[0].ulValueLen != sizeof(gr__p11_p256) ||
        memcmp(params, gr__p11_p256, sizeof(gr__p11_p256)) != 0) {
        gr_fail(err, GR_ERR_BAD_KEY, "The PKCS#11 key is not on P-256; ES256 needs P-256.");
        return NULL;
    }
    if ((xy = ec_point(point, t[1].ulValueLen)) == NULL) {
        gr_fail(err, GR_ERR_BAD_KEY, "The PKCS#11 public key is not an uncompressed P-256 point.");
        return NULL;
    }
    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_buf_adds(&json, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"");
    gr_buf_add_b64url(&json, xy, 32);
    gr_buf_adds(&json, "\",\"y\":\"");
    gr_buf_add_b64url(&json, xy + 32, 32);
    gr_buf_adds(&json, "\"}");
    key =
        gr_jwk_parse(gr_buf_str(&json), GR_JWK_PUBLIC, err); /* checks the point is on the curve */
    gr_buf_release(&json);
    return key;
}

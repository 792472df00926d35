/*
 * A key pair made on a PKCS#11 token (signer.h, gr_signer_pkcs11_keygen):
 * the private half is created inside the token and can never leave it.
 */
#include "signer/pkcs11_internal.h"

#include <string.h>

#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jwk.h>

#define KEY_ID_LEN 16 /* random: two keys with one label stay distinguishable by id */

/* No key of either class may already carry the label: lookups by label must stay unique. */
static int label_free(const struct gr__p11_module *m, CK_SESSION_HANDLE h,
                      const struct gr__p11_uri *u, struct gr_err *err)
{
    static const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
    CK_OBJECT_HANDLE obj;

    for (size_t i = 0; i < GR_NELEM(classes); i++) {
        if (gr__p11_find(m, h, u, classes[i], &obj, err) == 0 || err->code == GR_ERR_USAGE)
            return gr_fail(err, GR_ERR_CONFLICT,
                           "The PKCS#11 token already holds a key with this label.");
        if (err->code != GR_ERR_NOT_FOUND)
            return -1;
    }
    gr_err_clear(err);
    return 0;
}

static int generate(const struct gr__p11_module *m, CK_SESSION_HANDLE h,
                    const struct gr__p11_uri *u, struct gr_err *err)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ULONG label_len = strlen(u->object);
    CK_ATTRIBUTE pub[] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_PRIVATE, &no, sizeof(no) },
        { CKA_VERIFY, &yes, sizeof(yes) },
        { CKA_EC_PARAMS, (void *)gr__p11_p256, sizeof(gr__p11_p256) },
        { CKA_LABEL, (void *)u->object, label_len },
        { CKA_ID, (void *)u->id, u->id_len },
    };
    CK_ATTRIBUTE priv[] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_PRIVATE, &yes, sizeof(yes) },
        { CKA_SENSITIVE, &yes, sizeof(yes) },
        { CKA_EXTRACTABLE, &no, sizeof(no) },
        { CKA_SIGN, &yes, sizeof(yes) },
        { CKA_DERIVE, &no, sizeof(no) },
        { CKA_LABEL, (void *)u->object, label_len },
        { CKA_ID, (void *)u->id, u->id_len },
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv;

    rv = gr__p11_funcs(m)->C_GenerateKeyPair(h, &mech, pub, GR_NELEM(pub), priv, GR_NELEM(priv),
                                             &hpub, &hpriv);
    if (rv != CKR_OK)
        return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, u, "C_GenerateKeyPair", rv,
                            "The PKCS#11 token cannot make an EC P-256 key pair.");
    return 0;
}

/* see signer.h */
struct gr_jwk *gr_signer_pkcs11_keygen(struct gr_str token_uri, struct gr_str label,
                                       struct gr_buf *key_uri, struct gr_err *err)
{
    struct gr__p11_uri u;
    struct gr__p11_module *m = NULL;
    CK_SESSION_HANDLE h;
    struct gr_jwk *pub = NULL;
    struct gr_buf uri;
    bool open = false;

    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    if (key_uri == NULL) {
        gr_fail(err, GR_ERR_USAGE, "gr_signer_pkcs11_keygen needs a buffer for the key's URI.");
        return NULL;
    }
    if (label.len == 0 || label.len > GR_P11_OBJECT_MAX || memchr(label.p, '\0', label.len)) {
        gr_fail(err, GR_ERR_USAGE, "A key label is 1 to %d bytes.", GR_P11_OBJECT_MAX);
        return NULL;
    }
    if (gr__p11_uri_parse(token_uri, false, &u, err) < 0 || gr__p11_module_resolve(&u, err) < 0 ||
        gr_random(u.id, KEY_ID_LEN, err) < 0)
        return NULL;
    memcpy(u.object, label.p, label.len);
    u.object[label.len] = '\0';
    u.has_object = true;
    u.has_id = false; /* the label alone, for the uniqueness check */
    if ((m = gr__p11_module_get(u.module_path, err)) == NULL ||
        gr__p11_open(m, &u, true, &h, err) < 0)
        goto out;
    open = true;
    if (label_free(m, h, &u, err) < 0)
        goto out;
    u.has_id = true;
    u.id_len = KEY_ID_LEN;
    /* The URI is known before the key exists: one the caller cannot take leaves no key behind. */
    gr__p11_uri_format(&u, &uri);
    if (key_uri->failed || uri.failed || uri.len > key_uri->max - key_uri->len) {
        gr_fail(err, GR_ERR_USAGE, "The new key's pkcs11: URI would not fit in the buffer given.");
        goto out;
    }
    if (generate(m, h, &u, err) < 0 || (pub = gr__p11_public_key(m, h, &u, err)) == NULL)
        goto out;
    gr_buf_addstr(key_uri, gr_buf_str(&uri));
out:
    if (open)
        gr__p11_funcs(m)->C_CloseSession(h);
    gr__p11_module_put(m);
    gr_buf_release(&uri);
    return pub;
}

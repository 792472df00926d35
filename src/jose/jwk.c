#include <gramota/jwk.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>

#include "jose/internal.h"

#define COORD_LEN     32 /* a P-256 coordinate or scalar */
#define COORD_B64_LEN 43 /* its base64url, unpadded */

/* Members that only private keys have (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" };

static void broken(const char *what);

static EVP_PKEY_CTX *prepare(EVP_PKEY *pkey, bool sign)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    if (ctx == NULL || (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1)
        broken("prepare an ECDSA context");
    return ctx;
}

static struct gr_jwk *wrap(EVP_PKEY *pkey, const uint8_t x[32], const uint8_t y[32], bool priv)
{
    struct gr_jwk *key = gr__xcalloc(1, sizeof(*key));

    key->pkey = pkey;
    key->verify_ctx = prepare(pkey, false);
    key->sign_ctx = priv ? prepare(pkey, true) : NULL;
    memcpy(key->x, x, COORD_LEN);
    memcpy(key->y, y, COORD_LEN);
    key->priv = priv;
    return key;
}

/*
 * The cheap check for public keys: on the curve and not the point at infinity.
 * The full check also multiplies by the group order, which proves nothing more
 * on a curve of cofactor 1 such as P-256 and costs a scalar multiplication on
 * every DPoP proof. Key pairs get the full check, which includes d·G == Q.
 */
static int check_pkey(EVP_PKEY *pkey, bool priv, struct gr_err *err)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx != NULL && (priv ? EVP_PKEY_check(ctx) : EVP_PKEY_public_check_quick(ctx)) == 1;

    EVP_PKEY_CTX_free(ctx);
    if (ok)
        return 0;
    if (priv) {
        gr_fail(err, GR_ERR_BAD_KEY,
                "The private key is out of range or does not match the public key.");
    } else {
        gr_fail(err, GR_ERR_BAD_KEY, "The public key is not a valid P-256 point.");
    }
    return gr_err_openssl(err);
}

/*
 * Public keys are made from a P-256 parameter key built once: building the
 * group from its name (EC_GROUP_new_by_curve_name) costs more than all the rest
 * of an import, and a header `jwk` is imported for every proof and DPoP proof.
 * EVP_PKEY_fromdata() does it again each time (about 35 µs against 10 µs for
 * EVP_PKEY_dup() plus the point, on the build machine); it is kept for key
 * pairs, which are rare. The template is written once and then only read.
 */
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *p256_params;

static void make_p256_params(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

    if (ctx != NULL && EVP_PKEY_paramgen_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_group_name(ctx, SN_X9_62_prime256v1) == 1) {
        EVP_PKEY_paramgen(ctx, &p256_params);
    }
    EVP_PKEY_CTX_free(ctx);
}

/* `pub` is an uncompressed point; setting it checks that it lies on the curve. */
static EVP_PKEY *public_pkey(const uint8_t *pub, size_t len)
{
    EVP_PKEY *pkey = NULL;

    pthread_once(&p256_once, make_p256_params);
    if (p256_params != NULL) {
        pkey = EVP_PKEY_dup(p256_params);
    }
    if (pkey != NULL && EVP_PKEY_set1_encoded_public_key(pkey, pub, len) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

static EVP_PKEY *keypair_pkey(const uint8_t *pub, size_t len, const uint8_t d[32])
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    /* A secure BIGNUM makes the parameter builder keep `d` in memory it wipes. */
    BIGNUM *priv = BN_secure_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (bld != NULL && priv != NULL && BN_bin2bn(d, COORD_LEN, priv) != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) {
        params = OSSL_PARAM_BLD_to_param(bld);
    }
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params); /* pkey stays NULL on failure */
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return pkey;
}

/* A P-256 EVP_PKEY from coordinates and, when `d` is not NULL, the private scalar. */
static EVP_PKEY *pkey_from_coords(const uint8_t x[32], const uint8_t y[32], const uint8_t *d,
                                  struct gr_err *err)
{
    uint8_t pub[1 + 2 * COORD_LEN] = { 0x04 }; /* SEC 1 §2.3.3 uncompressed point */
    EVP_PKEY *pkey;

    memcpy(pub + 1, x, COORD_LEN);
    memcpy(pub + 1 + COORD_LEN, y, COORD_LEN);
    pkey = d == NULL ? public_pkey(pub, sizeof(pub)) : keypair_pkey(pub, sizeof(pub), d);
    if (pkey == NULL) {
        gr_fail(err, GR_ERR_BAD_KEY, "The key is not a valid P-256 key.");
        gr_err_openssl(err);
    }
    return pkey;
}

static struct gr_jwk *from_coords(const uint8_t x[32], const uint8_t y[32], const uint8_t *d,
                                  struct gr_err *err)
{
    EVP_PKEY *pkey = pkey_from_coords(x, y, d, err);

    if (pkey == NULL)
        return NULL;
    if (check_pkey(pkey, d != NULL, err) < 0) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return wrap(pkey, x, y, d != NULL);
}

/*
 * A string member: 1 with `out` set, 0 when absent, -1 (MALFORMED) when present
 * with another JSON type.
 */
static int str_member(const json_t *obj, const char *name, struct gr_str *out, struct gr_err *err)
{
    const json_t *v = json_object_get(obj, name);

    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return gr_fail(err, GR_ERR_MALFORMED, "The JWK member %s is not a string.", name);
    *out = gr__json_strv(v);
    return 1;
}

/* kty, crv, alg and the private members: everything but the numbers. */
static int check_members(const json_t *obj, enum gr_jwk_want want, struct gr_err *err)
{
    struct gr_str s;
    int rc;

    if (!json_is_object(obj))
        return gr_fail(err, GR_ERR_MALFORMED, "The JWK is not a JSON object.");
    rc = str_member(obj, "kty", &s, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || !gr_str_eq_c(s, "EC"))
        return gr_fail(err, GR_ERR_BAD_KEY, "The JWK is not an EC key.");
    if (want == GR_JWK_PUBLIC) {
        for (size_t i = 0; i < GR_NELEM(private_members); i++) {
            if (json_object_get(obj, private_members[i]) != NULL)
                return gr_fail(err, GR_ERR_BAD_KEY, "The JWK holds a private key.");
        }
    }
    rc = str_member(obj, "alg", &s, err);
    if (rc < 0)
        return -1;
    if (rc == 1 && !gr_str_eq_c(s, "ES256"))
        return gr_fail(err, GR_ERR_UNSUPPORTED_ALG, "The JWK is for another algorithm than ES256.");
    rc = str_member(obj, "crv", &s, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || !gr_str_eq_c(s, "P-256"))
        return gr_fail(err, GR_ERR_BAD_KEY, "The JWK is not a P-256 key.");
    return 0;
}

/* A coordinate or the scalar: exactly 32 bytes in canonical base64url (RFC 7518 §6.2.1.2). */
static int coord_member(const json_t *obj, const char *name, uint8_t out[32], struct gr_err *err)
{
    struct gr_str s;
    size_t n;
    int rc = str_member(obj, name, &s, err);

    if (rc < 0)
        return -1;
    if (rc == 0)
        return gr_fail(err, GR_ERR_BAD_KEY, "The JWK has no member %s.", name);
    if (s.len != COORD_B64_LEN)
        return gr_fail(err, GR_ERR_BAD_KEY, "The JWK member %s is not 32 bytes long.", name);
    if (gr_b64url_decode(s, out, COORD_LEN, &n, err) < 0)
        return gr_fail(err, GR_ERR_MALFORMED, "The JWK member %s is not canonical base64url.",
                       name);
    return 0;
}

/* see jose/internal.h */
struct gr_jwk *gr__jwk_from_json(const json_t *obj, enum gr_jwk_want want, struct gr_err *err)
{
    uint8_t x[COORD_LEN], y[COORD_LEN], d[COORD_LEN];
    bool has_d = json_object_get(obj, "d") != NULL;
    struct gr_jwk *key = NULL;

    if (check_members(obj, want, err) < 0)
        return NULL;
    if (coord_member(obj, "x", x, err) < 0 || coord_member(obj, "y", y, err) < 0)
        return NULL;
    if (!has_d && want == GR_JWK_PRIVATE) {
        gr_fail(err, GR_ERR_BAD_KEY, "The JWK holds no private key.");
        return NULL;
    }
    if (has_d && coord_member(obj, "d", d, err) < 0)
        goto out;
    key = from_coords(x, y, has_d ? d : NULL, err);
out:
    OPENSSL_cleanse(d, sizeof(d));
    return key;
}

/* see jwk.h */
struct gr_jwk *gr_jwk_parse(struct gr_str json, enum gr_jwk_want want, struct gr_err *err)
{
    json_t *obj = gr__json_parse(json, GR_MAX_JWK_LEN, JSON_OBJECT, "The JWK", err);
    struct gr_jwk *key;
    struct gr_str d;

    if (obj == NULL)
        return NULL;
    key = gr__jwk_from_json(obj, want, err);
    /* jansson frees without wiping: clear its copy of `d` first (the string is ours). */
    d = gr__json_str(obj, "d");
    if (d.p != NULL) {
        OPENSSL_cleanse((char *)d.p, d.len);
    }
    json_decref(obj);
    return key;
}

/* jansson frees without wiping: clear the private members' strings (ours) before it does. */
static void wipe_private(json_t *obj)
{
    for (size_t i = 0; i < GR_NELEM(private_members); i++) {
        struct gr_str v = gr__json_str(obj, private_members[i]);

        if (v.p != NULL)
            OPENSSL_cleanse((char *)v.p, v.len);
    }
}

/* see jwk.h */
struct gr_jwk *gr_jwk_parse_set(struct gr_str json, struct gr_str kid, enum gr_jwk_want want,
                                struct gr_err *err)
{
    json_t *doc = gr__json_parse(json, GR_MAX_PEM_LEN, JSON_OBJECT, "The JWK or JWK set", err);
    json_t *keys = json_object_get(doc, "keys"), *k;
    struct gr_jwk *key = NULL;
    size_t i;

    if (doc == NULL)
        return NULL;
    if (!json_is_array(keys)) { /* a lone JWK: a set of one */
        key = gr__jwk_from_json(doc, want, err);
        goto out;
    }
    /* Only the key picked is read: a set may publish RSA or OKP keys beside ours. */
    json_array_foreach (keys, i, k) {
        struct gr_str k_kid = gr__json_str(k, "kid");

        if (json_array_size(keys) == 1 || (kid.p && k_kid.p && gr_str_eq(k_kid, kid))) {
            key = gr__jwk_from_json(k, want, err);
            goto out;
        }
    }
    gr_fail(err, GR_ERR_NOT_FOUND, "No key in the JWK set has the kid asked for.");
out:
    json_array_foreach (keys, i, k)
        wipe_private(k);
    wipe_private(doc);
    json_decref(doc);
    return key;
}

static bool is_p256(const EVP_PKEY *pkey)
{
    char name[32];
    size_t len = 0;

    if (!EVP_PKEY_is_a(pkey, "EC"))
        return false;
    if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1)
        return false; /* explicit curve parameters: not accepted */
    return OBJ_sn2nid(name) == NID_X9_62_prime256v1;
}

static int get_coord(const EVP_PKEY *pkey, const char *param, uint8_t out[32])
{
    BIGNUM *bn = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, param, &bn) == 1 &&
             BN_bn2binpad(bn, out, COORD_LEN) == COORD_LEN;

    BN_clear_free(bn);
    return ok ? 0 : -1;
}

static bool has_private(const EVP_PKEY *pkey)
{
    BIGNUM *bn = NULL;
    bool yes = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;

    BN_clear_free(bn);
    ERR_clear_error(); /* a public key leaves "not found" on the queue */
    return yes;
}

/* see jose/internal.h */
struct gr_jwk *gr__jwk_from_pkey(EVP_PKEY *pkey, struct gr_err *err)
{
    uint8_t x[COORD_LEN], y[COORD_LEN];
    bool priv;

    if (pkey == NULL || !is_p256(pkey)) {
        gr_fail(err, GR_ERR_BAD_KEY, "The key is not an EC P-256 key.");
        goto fail;
    }
    if (get_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_X, x) < 0 ||
        get_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, y) < 0) {
        gr_fail(err, GR_ERR_BAD_KEY, "The key has no usable public point.");
        gr_err_openssl(err);
        goto fail;
    }
    priv = has_private(pkey);
    if (check_pkey(pkey, priv, err) < 0)
        goto fail;
    return wrap(pkey, x, y, priv);
fail:
    EVP_PKEY_free(pkey);
    return NULL;
}

enum pem_kind { PEM_NONE, PEM_PUBLIC, PEM_PRIVATE, PEM_ENCRYPTED };

/* The labels of RFC 7468 §10, §11, §13 and SEC 1's "EC PRIVATE KEY". */
static const struct {
    const char *label;
    enum pem_kind kind;
} pem_labels[] = {
    { "-----BEGIN PUBLIC KEY-----", PEM_PUBLIC },
    { "-----BEGIN PRIVATE KEY-----", PEM_PRIVATE },
    { "-----BEGIN EC PRIVATE KEY-----", PEM_PRIVATE },
    { "-----BEGIN ENCRYPTED PRIVATE KEY-----", PEM_ENCRYPTED },
};

/* The first key block of `pem`: its kind, and where its BEGIN line starts. */
static enum pem_kind find_key_block(struct gr_str pem, size_t *at)
{
    for (size_t i = 0; i < pem.len; i++) {
        if (pem.p[i] != '-')
            continue;
        for (size_t j = 0; j < GR_NELEM(pem_labels); j++) {
            size_t n = strlen(pem_labels[j].label);

            if (n <= pem.len - i && memcmp(pem.p + i, pem_labels[j].label, n) == 0) {
                *at = i;
                return pem_labels[j].kind;
            }
        }
    }
    return PEM_NONE;
}

/* Never prompt on a terminal for a pass phrase: a library has no business there. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* see jwk.h */
struct gr_jwk *gr_jwk_parse_pem(struct gr_str pem, enum gr_jwk_want want, struct gr_err *err)
{
    size_t at = 0;
    enum pem_kind kind;
    BIO *bio;
    EVP_PKEY *pkey;

    if (pem.len > GR_MAX_PEM_LEN) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The PEM text is larger than %d bytes.", GR_MAX_PEM_LEN);
        return NULL;
    }
    kind = find_key_block(pem, &at);
    if (kind == PEM_NONE) {
        gr_fail(err, GR_ERR_MALFORMED, "The PEM text holds no key.");
        return NULL;
    }
    if (kind == PEM_ENCRYPTED) {
        gr_fail(err, GR_ERR_BAD_KEY, "Encrypted private keys are not supported.");
        return NULL;
    }
    if ((kind == PEM_PUBLIC && want == GR_JWK_PRIVATE) ||
        (kind == PEM_PRIVATE && want == GR_JWK_PUBLIC)) {
        gr_fail(err, GR_ERR_BAD_KEY, "The PEM text holds a %s key where a %s key is needed.",
                kind == PEM_PUBLIC ? "public" : "private",
                kind == PEM_PUBLIC ? "private" : "public");
        return NULL;
    }
    bio = BIO_new_mem_buf(pem.p + at, (int)(pem.len - at));
    if (bio == NULL) {
        gr_fail(err, GR_ERR_CRYPTO, "The PEM text cannot be read.");
        gr_err_openssl(err);
        return NULL;
    }
    if (kind == PEM_PUBLIC) {
        pkey = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
    } else {
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    }
    BIO_free(bio);
    if (pkey == NULL) {
        gr_fail(err, GR_ERR_MALFORMED, "The PEM key cannot be decoded.");
        gr_err_openssl(err);
        return NULL;
    }
    return gr__jwk_from_pkey(pkey, err);
}

/* see jwk.h */
struct gr_jwk *gr_jwk_generate(struct gr_err *err)
{
    EVP_PKEY *pkey = EVP_EC_gen(SN_X9_62_prime256v1);
    struct gr_jwk *key;

    if (pkey == NULL) {
        gr_fail(err, GR_ERR_CRYPTO, "The key pair cannot be generated.");
        gr_err_openssl(err);
        return NULL;
    }
    key = gr__jwk_from_pkey(pkey, err);
    if (key == NULL) {
        gr_err_recode(err, GR_ERR_CRYPTO);
    }
    return key;
}

/* For a key that was valid when it was made, failure means OpenSSL is broken. */
static void broken(const char *what)
{
    fprintf(stderr, "gramota: OpenSSL cannot %s\n", what);
    abort();
}

/* see jwk.h */
struct gr_jwk *gr_jwk_dup_public(const struct gr_jwk *key)
{
    struct gr_err err;
    EVP_PKEY *pkey;

    if (key == NULL)
        return NULL;
    pkey = pkey_from_coords(key->x, key->y, NULL, &err);
    if (pkey == NULL) {
        broken("copy a public key");
    }
    return wrap(pkey, key->x, key->y, false);
}

/* see jwk.h */
void gr_jwk_free(struct gr_jwk *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_CTX_free(key->verify_ctx);
    EVP_PKEY_CTX_free(key->sign_ctx);
    EVP_PKEY_free(key->pkey);
    free(key);
}

/* see jwk.h */
bool gr_jwk_is_private(const struct gr_jwk *key)
{
    return key->priv;
}

/* see jwk.h */
bool gr_jwk_equal(const struct gr_jwk *a, const struct gr_jwk *b)
{
    /* Public values: a plain comparison is fine. */
    return memcmp(a->x, b->x, COORD_LEN) == 0 && memcmp(a->y, b->y, COORD_LEN) == 0;
}

/* see jwk.h */
void gr_jwk_to_json(const struct gr_jwk *key, bool with_private, struct gr_buf *out)
{
    gr_buf_adds(out, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"");
    gr_buf_add_b64url(out, key->x, COORD_LEN);
    gr_buf_adds(out, "\",\"y\":\"");
    gr_buf_add_b64url(out, key->y, COORD_LEN);
    if (with_private && key->priv) {
        uint8_t d[COORD_LEN];

        if (get_coord(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, d) < 0) {
            broken("export a private key");
        }
        gr_buf_adds(out, "\",\"d\":\"");
        gr_buf_add_b64url(out, d, COORD_LEN);
        OPENSSL_cleanse(d, sizeof(d));
    }
    gr_buf_adds(out, "\"}");
}

/* see jwk.h */
int gr_jwk_to_pem(const struct gr_jwk *key, bool with_private, struct gr_buf *out,
                  struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    bool priv = with_private && key->priv;
    /* The secure memory BIO wipes its buffer when freed (and when it grows). */
    BIO *bio = BIO_new(priv ? BIO_s_secmem() : BIO_s_mem());
    BUF_MEM *mem = NULL;
    int ok, rc = -1;

    if (bio == NULL)
        goto crypto;
    if (priv) {
        ok = PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL);
    } else {
        ok = PEM_write_bio_PUBKEY(bio, key->pkey);
    }
    if (!ok || BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL)
        goto crypto;
    gr_buf_add(out, mem->data, mem->length);
    rc = gr_buf_check(out, err);
    if (rc < 0)
        gr__buf_restore(out, at);
    goto out;
crypto:
    gr_fail(err, GR_ERR_CRYPTO, "The key cannot be written as PEM.");
    gr_err_openssl(err);
out:
    BIO_free(bio);
    return rc;
}

/* see jwk.h */
void gr_jwk_thumbprint(const struct gr_jwk *key, uint8_t out[32])
{
    /* RFC 7638 §3.2: required members only, sorted, no whitespace. */
    static const char head[] = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"";
    static const char mid[] = "\",\"y\":\"";
    char json[sizeof(head) - 1 + COORD_B64_LEN + sizeof(mid) - 1 + COORD_B64_LEN + 2];
    char *p = json;

    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;
    gr_b64url_encode(key->x, COORD_LEN, p);
    p += COORD_B64_LEN;
    memcpy(p, mid, sizeof(mid) - 1);
    p += sizeof(mid) - 1;
    gr_b64url_encode(key->y, COORD_LEN, p);
    p += COORD_B64_LEN;
    *p++ = '"';
    *p++ = '}';
    gr_sha256(json, (size_t)(p - json), out);
}

/* see jwk.h */
void gr_jwk_thumbprint_b64(const struct gr_jwk *key, char out[GR_JWK_THUMBPRINT_B64_LEN + 1])
{
    uint8_t digest[GR_SHA256_LEN];

    gr_jwk_thumbprint(key, digest);
    gr_b64url_encode(digest, sizeof(digest), out);
    out[GR_JWK_THUMBPRINT_B64_LEN] = '\0';
}

/* RFC 7638 §3.2 and RFC 8037 §2: the required members of each key type, sorted. */
static const struct {
    const char *kty;
    const char *members[4];
} thumbprint_members[] = {
    { "EC", { "crv", "kty", "x", "y" } },
    { "RSA", { "e", "kty", "n", NULL } },
    { "OKP", { "crv", "kty", "x", NULL } },
    { "oct", { "k", "kty", NULL, NULL } },
};

static int canonical_jwk(const json_t *obj, struct gr_buf *out, struct gr_err *err)
{
    struct gr_str kty = gr__json_str(obj, "kty");
    size_t row = GR_NELEM(thumbprint_members);

    for (size_t i = 0; kty.p != NULL && i < GR_NELEM(thumbprint_members); i++) {
        if (gr_str_eq_c(kty, thumbprint_members[i].kty)) {
            row = i;
        }
    }
    if (row == GR_NELEM(thumbprint_members))
        return gr_fail(err, GR_ERR_BAD_KEY, "The JWK has no known kty.");
    gr_buf_addc(out, '{');
    for (size_t i = 0; i < 4 && thumbprint_members[row].members[i] != NULL; i++) {
        const char *name = thumbprint_members[row].members[i];
        struct gr_str v = gr__json_str(obj, name);

        if (v.p == NULL)
            return gr_fail(err, GR_ERR_BAD_KEY, "The JWK member %s is missing or not a string.",
                           name);
        if (i > 0) {
            gr_buf_addc(out, ',');
        }
        gr__json_quote(gr_str_c(name), out);
        gr_buf_addc(out, ':');
        gr__json_quote(v, out);
    }
    gr_buf_addc(out, '}');
    return 0;
}

/* see jwk.h */
int gr_jwk_thumbprint_json(struct gr_str json, uint8_t out[32], struct gr_err *err)
{
    json_t *obj = gr__json_parse(json, GR_MAX_JWK_LEN, JSON_OBJECT, "The JWK", err);
    struct gr_buf canon;
    int rc = -1;

    if (obj == NULL)
        return -1;
    gr_buf_init(&canon, GR_BUF_UNBOUNDED); /* at most 6 times the capped input */
    if (canonical_jwk(obj, &canon, err) == 0) {
        gr_sha256(canon.data, canon.len, out);
        rc = 0;
    }
    /* An oct key's `k` is a secret. */
    if (canon.data != NULL) {
        OPENSSL_cleanse(canon.data, canon.len);
    }
    gr_buf_release(&canon);
    json_decref(obj);
    return rc;
}

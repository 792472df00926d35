/* A wallet provider for tests and fuzz targets (wallet_provider.h). */
#include "wallet_provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "jose/internal.h"

static void die(const char *what)
{
    fprintf(stderr, "wallet provider: %s failed\n", what);
    abort();
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || !X509_add_ext(cert, ext, -1)) {
        die(value);
    }
    X509_EXTENSION_free(ext);
}

static void set_names(X509 *cert, const char *cn, X509 *issuer)
{
    X509_NAME *name = X509_NAME_new();

    if (name == NULL ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_subject_name(cert, name) ||
        !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name))
        die("names");
    X509_NAME_free(name);
}

static void set_serial_and_times(X509 *cert, const struct t_cert_opts *o)
{
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    BIGNUM *bn = BN_new();
    time_t from = (time_t)(o->not_before ? o->not_before : T_WP_NOT_BEFORE);
    time_t to = (time_t)(o->not_after ? o->not_after : T_WP_NOT_AFTER);

    if (serial == NULL || bn == NULL || !BN_rand(bn, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(bn, serial) || !X509_set_serialNumber(cert, serial) ||
        !ASN1_TIME_set(X509_getm_notBefore(cert), from) ||
        !ASN1_TIME_set(X509_getm_notAfter(cert), to))
        die("serial and validity");
    BN_free(bn);
    ASN1_INTEGER_free(serial);
}

/* see wallet_provider.h */
X509 *t_cert_make(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                  const struct t_cert_opts *o)
{
    X509 *cert = X509_new();
    X509 *ext_issuer = issuer ? issuer : cert;
    const char *ku = o->key_usage ? o->key_usage
                     : o->ca      ? "critical,keyCertSign,cRLSign"
                                  : "critical,digitalSignature";

    if (cert == NULL || !X509_set_version(cert, X509_VERSION_3) || !X509_set_pubkey(cert, key)) {
        die("certificate");
    }
    set_serial_and_times(cert, o);
    set_names(cert, cn, issuer);
    if (o->basic_constraints != NULL) {
        add_ext(cert, ext_issuer, NID_basic_constraints, o->basic_constraints);
    } else if (!o->no_basic_constraints) {
        add_ext(cert, ext_issuer, NID_basic_constraints,
                o->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    }
    if (*ku != '\0') {
        add_ext(cert, ext_issuer, NID_key_usage, ku);
    }
    add_ext(cert, ext_issuer, NID_subject_key_identifier, "hash");
    if (issuer != NULL) {
        add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always");
    }
    if (X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()) <= 0) {
        die("X509_sign");
    }
    return cert;
}

/* see wallet_provider.h */
void t_cert_b64(X509 *cert, struct gr_buf *out)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    char *b64;

    if (len <= 0) {
        die("i2d_X509");
    }
    b64 = malloc(4 * (((size_t)len + 2) / 3) + 1);
    if (b64 == NULL) {
        die("malloc");
    }
    EVP_EncodeBlock((unsigned char *)b64, der, len);
    gr_buf_adds(out, b64);
    free(b64);
    OPENSSL_free(der);
}

/* see wallet_provider.h */
void t_cert_pem(X509 *cert, struct gr_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;

    if (bio == NULL || !PEM_write_bio_X509(bio, cert)) {
        die("PEM_write_bio_X509");
    }
    len = BIO_get_mem_data(bio, &data);
    gr_buf_add(out, data, (size_t)len);
    BIO_free(bio);
}

/* see wallet_provider.h */
struct gr_trust *t_trust(X509 *first, ...)
{
    struct gr_buf pem;
    struct gr_trust *t;
    struct gr_err err;
    va_list ap;

    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    va_start(ap, first);
    for (X509 *c = first; c != NULL; c = va_arg(ap, X509 *)) {
        t_cert_pem(c, &pem);
    }
    va_end(ap);
    t = gr_trust_load_pem(gr_buf_str(&pem), &err);
    if (t == NULL) {
        fprintf(stderr, "wallet provider: %s\n", err.desc);
        abort();
    }
    gr_buf_release(&pem);
    return t;
}

static struct gr_jwk *keygen(void)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_generate(&err);

    if (key == NULL) {
        die("keygen");
    }
    return key;
}

static struct t_wp *make_wp(bool deep)
{
    struct t_wp *wp = calloc(1, sizeof(*wp));
    struct t_cert_opts ca = { .ca = true }, leaf = { .ca = false };
    X509 *issuer;
    EVP_PKEY *issuer_key;

    if (wp == NULL) {
        die("calloc");
    }
    wp->ca_key = keygen();
    wp->key = keygen();
    wp->ca = t_cert_make(wp->ca_key->pkey, "Test Wallet Provider CA", NULL, NULL, &ca);
    issuer = wp->ca;
    issuer_key = wp->ca_key->pkey;
    if (deep) {
        wp->mid_key = keygen();
        wp->mid = t_cert_make(wp->mid_key->pkey, "Test Wallet Provider Issuing CA", wp->ca,
                              wp->ca_key->pkey, &ca);
        issuer = wp->mid;
        issuer_key = wp->mid_key->pkey;
    }
    wp->leaf = t_cert_make(wp->key->pkey, "Test Wallet Provider", issuer, issuer_key, &leaf);
    wp->anchors = t_trust(wp->ca, NULL);
    gr_buf_init(&wp->x5c, GR_BUF_UNBOUNDED);
    gr_buf_adds(&wp->x5c, "[\"");
    t_cert_b64(wp->leaf, &wp->x5c);
    if (deep) {
        gr_buf_adds(&wp->x5c, "\",\"");
        t_cert_b64(wp->mid, &wp->x5c);
    }
    gr_buf_adds(&wp->x5c, "\"]");
    return wp;
}

/* see wallet_provider.h */
struct t_wp *t_wp_new(void)
{
    return make_wp(false);
}

/* see wallet_provider.h */
struct t_wp *t_wp_new_deep(void)
{
    return make_wp(true);
}

/* see wallet_provider.h */
void t_wp_free(struct t_wp *wp)
{
    if (wp == NULL)
        return;
    gr_trust_free(wp->anchors);
    X509_free(wp->leaf);
    X509_free(wp->mid);
    X509_free(wp->ca);
    gr_jwk_free(wp->key);
    gr_jwk_free(wp->mid_key);
    gr_jwk_free(wp->ca_key);
    gr_buf_release(&wp->x5c);
    free(wp);
}

/* see wallet_provider.h */
void t_sign(const struct gr_jwk *key, struct gr_str header, struct gr_str payload,
            struct gr_buf *out)
{
    struct gr_err err;

    if (gr_jws_sign(key, header, payload, out, &err) < 0) {
        fprintf(stderr, "wallet provider: %s\n", err.desc);
        abort();
    }
}

/* see wallet_provider.h */
void t_wp_sign(const struct t_wp *wp, const char *typ, struct gr_str payload, struct gr_buf *out)
{
    struct gr_buf h;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_printf(&h, "{\"typ\":\"%s\",\"alg\":\"ES256\",\"x5c\":%s}", typ, wp->x5c.data);
    t_sign(wp->key, gr_buf_str(&h), payload, out);
    gr_buf_release(&h);
}

/* see wallet_provider.h */
void t_ka_payload(const struct t_ka *ka, struct gr_buf *out)
{
    gr_buf_printf(out, "{\"iat\":%lld", (long long)ka->iat);
    if (ka->exp != 0) {
        gr_buf_printf(out, ",\"exp\":%lld", (long long)ka->exp);
    }
    gr_buf_adds(out, ",\"attested_keys\":[");
    for (size_t i = 0; i < ka->n; i++) {
        if (i > 0) {
            gr_buf_addc(out, ',');
        }
        gr_jwk_to_json(ka->keys[i], ka->private_keys, out);
    }
    gr_buf_addc(out, ']');
    if (ka->nonce != NULL) {
        gr_buf_printf(out, ",\"nonce\":\"%s\"", ka->nonce);
    }
    if (ka->key_storage != NULL) {
        gr_buf_printf(out, ",\"key_storage\":%s", ka->key_storage);
    }
    if (ka->user_authentication != NULL) {
        gr_buf_printf(out, ",\"user_authentication\":%s", ka->user_authentication);
    }
    if (ka->extra != NULL) {
        gr_buf_printf(out, ",%s", ka->extra);
    }
    gr_buf_addc(out, '}');
}

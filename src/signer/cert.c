/* A development certificate chain for x5c (signer.h, gr_cert_chain_make). */
#include <gramota/signer.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gramota/err.h>

#include "jose/internal.h"

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return 0;
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for `key` named `cn`, signed by `signer` (itself when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *signer, int days,
                       bool ca)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    BIGNUM *bn = BN_new();
    int ok =
        cert && name && serial && bn && BN_rand(bn, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
        BN_to_ASN1_INTEGER(bn, serial) && X509_set_version(cert, X509_VERSION_3) &&
        X509_set_serialNumber(cert, serial) && X509_gmtime_adj(X509_getm_notBefore(cert), -300) &&
        X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) &&
        X509_set_subject_name(cert, name) &&
        X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) &&
        X509_set_pubkey(cert, key) &&
        add_ext(cert, issuer ? issuer : cert, NID_basic_constraints,
                ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
        add_ext(cert, issuer ? issuer : cert, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
        add_ext(cert, issuer ? issuer : cert, NID_subject_key_identifier, "hash") &&
        (ca || add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always")) &&
        X509_sign(cert, signer, EVP_sha256()) > 0;

    BN_free(bn);
    ASN1_INTEGER_free(serial);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Append the PEM of `cert`; -1 when OpenSSL cannot write it. */
static int add_pem(X509 *cert, struct gr_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int rc = -1;

    if (bio && PEM_write_bio_X509(bio, cert)) {
        len = BIO_get_mem_data(bio, &data);
        gr_buf_add(out, data, (size_t)len);
        rc = 0;
    }
    BIO_free(bio);
    return rc;
}

/* see signer.h */
int gr_cert_chain_make(const struct gr_jwk *key, const char *subject_cn, int days,
                       struct gr_buf *chain_pem, struct gr_err *err)
{
    struct gr_jwk *ca_key = NULL;
    X509 *ca = NULL, *leaf = NULL;
    char ca_cn[128];
    struct gr__buf_mark at;
    int rc = -1;

    if (key == NULL)
        return gr_fail(err, GR_ERR_USAGE, "A certificate chain needs the key to certify.");
    if (days <= 0 || days > 36500 || subject_cn == NULL || *subject_cn == '\0')
        return gr_fail(err, GR_ERR_USAGE,
                       "A certificate needs a subject name and 1 to 36500 days.");
    snprintf(ca_cn, sizeof(ca_cn), "%.100s CA", subject_cn);
    if ((ca_key = gr_jwk_generate(err)) == NULL)
        goto out;
    ca = make_cert(ca_key->pkey, ca_cn, NULL, ca_key->pkey, days + 1, true);
    leaf = ca ? make_cert(key->pkey, subject_cn, ca, ca_key->pkey, days, false) : NULL;
    if (leaf == NULL) {
        gr_fail(err, GR_ERR_CRYPTO, "The certificate chain cannot be made.");
        gr_err_openssl(err);
        goto out;
    }
    at = gr__buf_mark(chain_pem);
    if (add_pem(leaf, chain_pem) < 0 || add_pem(ca, chain_pem) < 0) {
        gr_fail(err, GR_ERR_CRYPTO, "The certificate chain cannot be written as PEM.");
        gr_err_openssl(err);
        gr__buf_restore(chain_pem, at);
        goto out;
    }
    rc = gr_buf_check(chain_pem, err);
    if (rc < 0)
        gr__buf_restore(chain_pem, at);
out:
    X509_free(leaf);
    X509_free(ca);
    gr_jwk_free(ca_key);
    return rc;
}

/* x5c certificate chains against configured trust anchors (x5c.h; RFC 7515 §4.1.6, RFC 5280). */
#include <gramota/x5c.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

#include "jose/internal.h"

#define CERT_B64_MAX (16 * 1024) /* one x5c entry; a JWS header is smaller anyway */

struct gr_trust {
    X509_STORE *store; /* the anchors; only read once loaded */
    size_t count;
};

/* see x5c.h */
void gr_trust_free(struct gr_trust *t)
{
    if (t == NULL)
        return;
    X509_STORE_free(t->store);
    free(t);
}

/* see x5c.h */
size_t gr_trust_count(const struct gr_trust *t)
{
    return t ? t->count : 0;
}

/* The end of the PEM text reads as PEM_R_NO_START_LINE; anything else is a broken block. */
static bool pem_ended(void)
{
    unsigned long e = ERR_peek_last_error();

    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

static int add_anchor(struct gr_trust *t, X509 *cert, struct gr_err *err)
{
    /* 1: basicConstraints CA:TRUE. v1 roots (3) and keyUsage-only CAs (4) are not enough. */
    if (X509_check_ca(cert) != 1)
        return gr_fail(err, GR_ERR_BAD_CLAIM, "Trust anchor %zu is not a CA certificate.",
                       t->count + 1);
    if (X509_STORE_add_cert(t->store, cert) != 1) {
        gr_fail(err, GR_ERR_CRYPTO, "Trust anchor %zu cannot be added.", t->count + 1);
        return gr_err_openssl(err);
    }
    t->count++;
    return 0;
}

/* see x5c.h */
struct gr_trust *gr_trust_load_pem(struct gr_str pem, struct gr_err *err)
{
    struct gr_trust *t = gr__xcalloc(1, sizeof(*t));
    BIO *bio = NULL;
    X509 *cert;

    if (pem.len > GR_MAX_PEM_LEN) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The trust anchors are larger than %d bytes.",
                GR_MAX_PEM_LEN);
        goto fail;
    }
    t->store = X509_STORE_new();
    bio = BIO_new_mem_buf(pem.p ? pem.p : "", (int)pem.len);
    if (t->store == NULL || bio == NULL) {
        gr_fail(err, GR_ERR_CRYPTO, "The trust anchors cannot be read.");
        gr_err_openssl(err);
        goto fail;
    }
    ERR_clear_error();
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        int rc = add_anchor(t, cert, err);

        X509_free(cert);
        if (rc < 0)
            goto fail;
    }
    if (!pem_ended()) {
        gr_fail(err, GR_ERR_MALFORMED, "Trust anchor %zu cannot be decoded.", t->count + 1);
        gr_err_openssl(err);
        goto fail;
    }
    ERR_clear_error();
    if (t->count == 0) {
        gr_fail(err, GR_ERR_MALFORMED, "The trust anchors hold no PEM certificate.");
        goto fail;
    }
    BIO_free(bio);
    return t;
fail:
    BIO_free(bio);
    gr_trust_free(t);
    return NULL;
}

/*
 * Standard base64 with padding (RFC 4648 §4), strictly: the length a multiple
 * of 4, at most two '=' at the end only, no whitespace, zero trailing bits. It
 * is mapped onto base64url and decoded by the strict decoder of core.
 */
static int decode_b64(struct gr_str in, struct gr_buf *der, struct gr_err *err)
{
    size_t pad = 0, n;
    char *url;
    int rc = 0;

    if (in.len > CERT_B64_MAX)
        return gr_fail(err, GR_ERR_TOO_LARGE, "An x5c certificate is larger than %d bytes.",
                       CERT_B64_MAX);
    if (in.p == NULL || in.len == 0 || in.len % 4 != 0)
        return gr_fail(err, GR_ERR_MALFORMED, "An x5c certificate is not standard base64.");
    while (pad < 2 && in.p[in.len - 1 - pad] == '=') {
        pad++;
    }
    n = in.len - pad;
    url = gr__xmalloc(n + 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char c = in.p[i];

        if (c == '-' || c == '_' || c == '=') {
            rc = -1;
        }
        url[i] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    if (rc == 0) {
        rc = gr_b64url_decode_buf((struct gr_str){ url, n }, der, err);
    }
    free(url);
    if (rc < 0)
        return gr_fail(err, GR_ERR_MALFORMED, "An x5c certificate is not standard base64.");
    return 0;
}

static X509 *decode_cert(struct gr_str b64, struct gr_err *err)
{
    struct gr_buf der;
    const unsigned char *p;
    X509 *cert = NULL;

    gr_buf_init(&der, GR_BUF_UNBOUNDED);
    if (decode_b64(b64, &der, err) < 0)
        goto out;
    p = (const unsigned char *)der.data;
    cert = d2i_X509(NULL, &p, (long)der.len);
    /* One DER certificate and nothing after it. */
    if (cert == NULL || p != (const unsigned char *)der.data + der.len) {
        X509_free(cert);
        cert = NULL;
        gr_fail(err, GR_ERR_MALFORMED, "An x5c certificate is not a DER certificate.");
        gr_err_openssl(err);
    }
out:
    gr_buf_release(&der);
    return cert;
}

/*
 * A certificate whose signature its own key verifies. X509_check_issued() is
 * not enough: it also wants keyCertSign, which a self-signed leaf lacks.
 */
static bool self_signed(X509 *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    bool yes = key != NULL && X509_verify(cert, key) == 1;

    ERR_clear_error();
    return yes;
}

/* HAIP §4.5.1, §6.1.1 and RFC 5280 §4.2.1.3, §4.2.1.9 for the signing certificate. */
static int check_leaf(X509 *leaf, struct gr_err *err)
{
    uint32_t flags = X509_get_extension_flags(leaf);

    if (flags & EXFLAG_INVALID)
        return gr_fail(err, GR_ERR_BAD_CLAIM,
                       "The x5c leaf certificate has an invalid or repeated extension.");
    if (self_signed(leaf))
        return gr_fail(err, GR_ERR_BAD_CLAIM,
                       "The x5c leaf certificate is self-signed; it must be issued by a CA.");
    if (flags & EXFLAG_CA)
        return gr_fail(err, GR_ERR_BAD_CLAIM,
                       "The x5c leaf certificate is a CA certificate, not a signing one.");
    if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
        return gr_fail(err, GR_ERR_BAD_CLAIM,
                       "The x5c leaf certificate's key usage does not allow signatures.");
    return 0;
}

/* Map OpenSSL's verdict onto our codes; its own words go to the cause. */
static int chain_error(int e, int depth, struct gr_err *err)
{
    switch (e) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        gr_fail(err, GR_ERR_EXPIRED, "A certificate of the x5c chain is expired or not yet valid.");
        break;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_INVALID_NON_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_PURPOSE:
        gr_fail(err, GR_ERR_BAD_CLAIM,
                "A certificate of the x5c chain issues certificates without being a CA for it.");
        break;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
    case X509_V_ERR_NO_EXPLICIT_POLICY:
    case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA:
    case X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN:
    case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
    case X509_V_ERR_ISSUER_NAME_EMPTY:
    case X509_V_ERR_SUBJECT_NAME_EMPTY:
    case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
    case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
    case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
    case X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL:
    case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
    case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
    case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
    case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
    case X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
        gr_fail(err, GR_ERR_BAD_CLAIM,
                "A certificate of the x5c chain breaks the RFC 5280 certificate profile.");
        break;
    default:
        gr_fail(err, GR_ERR_BAD_SIGNATURE,
                "The x5c certificate chain does not lead to a trusted certificate.");
        break;
    }
    gr_err_cause(err, "certificate %d: %s", depth, X509_verify_cert_error_string(e));
    ERR_clear_error();
    return -1;
}

/* RFC 5280 §6 by OpenSSL, at `now`, strict, up to any anchor. */
static int verify_path(const struct gr_trust *anchors, X509 *const *certs, size_t n, int64_t now,
                       struct gr_err *err)
{
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *param;
    int rc = -1;

    if (untrusted == NULL || ctx == NULL ||
        X509_STORE_CTX_init(ctx, anchors->store, certs[0], untrusted) != 1) {
        gr_fail(err, GR_ERR_CRYPTO, "The x5c certificate chain cannot be checked.");
        gr_err_openssl(err);
        goto out;
    }
    for (size_t i = 1; i < n; i++) {
        if (!sk_X509_push(untrusted, certs[i])) {
            gr_fail(err, GR_ERR_CRYPTO, "The x5c certificate chain cannot be checked.");
            goto out;
        }
    }
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, (time_t)now); /* sets X509_V_FLAG_USE_CHECK_TIME */
    if (X509_verify_cert(ctx) != 1) {
        chain_error(X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx), err);
        goto out;
    }
    rc = 0;
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted); /* the certificates stay the caller's */
    return rc;
}

/* see x5c.h */
struct gr_jwk *gr_x5c_verify(const struct gr_trust *anchors, const struct gr_str *x5c, size_t n,
                             int64_t now, struct gr_err *err)
{
    X509 *certs[GR_JWS_MAX_X5C] = { NULL };
    struct gr_jwk *key = NULL;
    size_t got = 0;

    if (anchors == NULL) {
        gr_fail(err, GR_ERR_USAGE, "No trust anchors were given for the x5c chain.");
        return NULL;
    }
    if (n == 0 || x5c == NULL) {
        gr_fail(err, GR_ERR_MALFORMED, "The x5c certificate chain is empty.");
        return NULL;
    }
    if (n > GR_JWS_MAX_X5C) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The x5c chain has more than %d certificates.",
                GR_JWS_MAX_X5C);
        return NULL;
    }
    for (; got < n; got++) {
        if ((certs[got] = decode_cert(x5c[got], err)) == NULL)
            goto out;
    }
    if (check_leaf(certs[0], err) < 0 || verify_path(anchors, certs, n, now, err) < 0)
        goto out;
    key = gr__jwk_from_pkey(X509_get_pubkey(certs[0]), err);
    if (key == NULL) {
        gr_fail(err, GR_ERR_BAD_KEY, "The x5c leaf certificate's key is not an EC P-256 key.");
    }
out:
    for (size_t i = 0; i < got; i++) {
        X509_free(certs[i]);
    }
    ERR_clear_error();
    return key;
}

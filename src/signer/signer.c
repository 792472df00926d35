/*
 * The signer interface (signer.h) and what every implementation shares: the
 * public JWK, the kid, the x5c chain and the JWS helpers, all prepared once
 * when the signer is made.
 */
#include <gramota/signer.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gramota/b64url.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"

struct gr_signer {
    const struct gr_signer_ops *ops;
    void *ctx;
    struct gr_jwk *pub;
    char *kid;
    size_t kid_len;
    char *x5c[GR_JWS_MAX_X5C]; /* standard base64 of each certificate's DER */
    size_t x5c_len[GR_JWS_MAX_X5C];
    size_t x5c_count;
};

/*
 * A certificate that issued itself: the trust anchor, which x5c leaves out
 * (HAIP §6.1.1). Its own key verifies its signature; X509_check_issued alone
 * would miss a self-signed leaf without keyCertSign.
 */
static bool self_signed(X509 *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);

    return key && X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
           X509_verify(cert, key) == 1;
}

static int add_x5c(struct gr_signer *s, X509 *cert, struct gr_err *err)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    size_t b64_len;

    if (len <= 0) {
        gr_fail(err, GR_ERR_CRYPTO, "A certificate cannot be encoded.");
        return gr_err_openssl(err);
    }
    if (s->x5c_count == GR_JWS_MAX_X5C) {
        OPENSSL_free(der);
        return gr_fail(err, GR_ERR_MALFORMED,
                       "The certificate chain has more than %d certificates.", GR_JWS_MAX_X5C);
    }
    b64_len = 4 * (((size_t)len + 2) / 3);
    s->x5c[s->x5c_count] = gr__xmalloc(b64_len + 1);
    EVP_EncodeBlock((unsigned char *)s->x5c[s->x5c_count], der, len);
    s->x5c_len[s->x5c_count++] = b64_len;
    OPENSSL_free(der);
    return 0;
}

/*
 * Read the PEM chain, leaf first. The leaf must certify our key; a self-signed
 * certificate may only come last, and is then the anchor that x5c omits.
 */
static int load_chain(struct gr_signer *s, struct gr_str pem, struct gr_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem.p, (int)pem.len);
    X509 *cert = NULL, *next = NULL;
    int rc = -1, n = 0;

    if (bio == NULL)
        return gr_fail(err, GR_ERR_CRYPTO, "The certificate chain cannot be read.");
    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    for (; cert != NULL; cert = next, n++) {
        next = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (n == 0 && EVP_PKEY_eq(X509_get0_pubkey(cert), s->pub->pkey) != 1) {
            gr_fail(err, GR_ERR_BAD_KEY,
                    "The first certificate of the chain is not for the signing key.");
            goto out;
        }
        if (self_signed(cert)) {
            if (next != NULL || n == 0) {
                gr_fail(
                    err, GR_ERR_BAD_KEY, "%s",
                    n == 0 ? "The signing certificate is self-signed; x5c needs one issued by a CA."
                           : "A self-signed certificate may only end the chain.");
                goto out;
            }
            break; /* the trust anchor */
        }
        if (add_x5c(s, cert, err) < 0)
            goto out;
        X509_free(cert);
    }
    ERR_clear_error(); /* the end of the PEM text reads as an error */
    if (n == 0) {
        gr_fail(err, GR_ERR_MALFORMED, "The certificate chain holds no PEM certificate.");
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    X509_free(next);
    BIO_free(bio);
    return rc;
}

/* see signer.h */
struct gr_signer *gr_signer_new_custom(const struct gr_signer_ops *ops, void *ctx,
                                       struct gr_jwk *public_key, struct gr_str chain_pem,
                                       struct gr_err *err)
{
    struct gr_signer *s = gr__xcalloc(1, sizeof(*s));
    char kid[GR_JWK_THUMBPRINT_B64_LEN + 1];

    s->ops = ops;
    s->ctx = ctx;
    s->pub = public_key;
    if (public_key == NULL) {
        gr_fail(err, GR_ERR_USAGE, "A signer needs a public key, and none was made or given.");
        goto fail;
    }
    if (ops == NULL || ops->sign == NULL) {
        gr_fail(err, GR_ERR_USAGE, "A signer needs an operation table with a sign operation.");
        goto fail;
    }
    gr_jwk_thumbprint_b64(public_key, kid);
    s->kid = gr__xstrndup(kid, strlen(kid));
    s->kid_len = strlen(kid);
    if (chain_pem.len > 0 && load_chain(s, chain_pem, err) < 0)
        goto fail;
    return s;
fail:
    gr_signer_free(s);
    return NULL;
}

/* see signer.h */
void gr_signer_free(struct gr_signer *s)
{
    if (s == NULL)
        return;
    if (s->ops && s->ops->free)
        s->ops->free(s->ctx);
    gr_jwk_free(s->pub);
    free(s->kid);
    for (size_t i = 0; i < s->x5c_count; i++)
        free(s->x5c[i]);
    free(s);
}

/* see signer.h */
const char *gr_signer_alg(const struct gr_signer *s)
{
    (void)s;
    return "ES256";
}

/* see signer.h */
const char *gr_signer_name(const struct gr_signer *s)
{
    return s->ops->name;
}

/* see signer.h */
struct gr_str gr_signer_kid(const struct gr_signer *s)
{
    return (struct gr_str){ s->kid, s->kid_len };
}

/* see signer.h */
void gr_signer_set_kid(struct gr_signer *s, struct gr_str kid)
{
    free(s->kid);
    s->kid = gr__xstrndup(kid.p, kid.len);
    s->kid_len = kid.len;
}

/* see signer.h */
const struct gr_jwk *gr_signer_jwk(const struct gr_signer *s)
{
    return s->pub;
}

/* see signer.h */
size_t gr_signer_x5c_count(const struct gr_signer *s)
{
    return s->x5c_count;
}

/* see signer.h */
struct gr_str gr_signer_x5c(const struct gr_signer *s, size_t i)
{
    if (i >= s->x5c_count)
        return (struct gr_str){ NULL, 0 };
    return (struct gr_str){ s->x5c[i], s->x5c_len[i] };
}

/* see signer.h */
int gr_signer_sign(const struct gr_signer *s, struct gr_str input, uint8_t sig[64],
                   struct gr_err *err)
{
    if (s == NULL)
        return gr_fail(err, GR_ERR_USAGE, "There is no signer to sign with.");
    return s->ops->sign(s->ctx, input, sig, err);
}

/* see signer.h */
int gr_signer_check(const struct gr_signer *s, struct gr_err *err)
{
    if (s == NULL)
        return gr_fail(err, GR_ERR_USAGE, "There is no signer to check.");
    return s->ops->check ? s->ops->check(s->ctx, err) : 0;
}

/* see signer.h */
void gr_signer_header(const struct gr_signer *s, const char *typ, struct gr_buf *out)
{
    gr_buf_adds(out, "{\"alg\":\"ES256\",\"typ\":");
    gr__json_quote(gr_str_c(typ), out);
    gr_buf_adds(out, ",\"kid\":");
    gr__json_quote(gr_signer_kid(s), out);
    if (s->x5c_count) {
        gr_buf_adds(out, ",\"x5c\":[");
        for (size_t i = 0; i < s->x5c_count; i++) {
            gr_buf_adds(out, i ? ",\"" : "\"");
            gr_buf_add(out, s->x5c[i], s->x5c_len[i]);
            gr_buf_addc(out, '"');
        }
        gr_buf_addc(out, ']');
    }
    gr_buf_addc(out, '}');
}

/* see signer.h */
int gr_signer_jws(const struct gr_signer *s, struct gr_str header_b64, struct gr_str payload_json,
                  struct gr_buf *out, struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    uint8_t sig[64];

    gr_buf_addstr(out, header_b64);
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, payload_json.p, payload_json.len);
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    /* Sign before appending again: the append may move out->data. */
    if (gr_signer_sign(s, (struct gr_str){ out->data + at.len, out->len - at.len }, sig, err) < 0)
        return gr__buf_restore(out, at);
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, sig, sizeof(sig));
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    return 0;
}

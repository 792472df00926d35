#include <gramota/crypto.h>
#include <gramota/jws.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

#include "jose/internal.h"

#define SIG_B64_LEN 86 /* base64url of 64 bytes */
#define SIG_DER_MAX 72 /* SEQUENCE { INTEGER r, INTEGER s }, each 33 bytes at most */

/* see jws.h */
void gr_jws_init(struct gr_jws *jws)
{
    memset(jws, 0, sizeof(*jws));
}

/* see jws.h */
void gr_jws_release(struct gr_jws *jws)
{
    if (jws == NULL)
        return;
    free((char *)jws->header.p);
    free((char *)jws->payload.p);
    gr_jwk_free(jws->jwk);
    json_decref(gr__json_t(jws->header_json));
    json_decref(gr__json_t(jws->payload_json));
    gr_jws_init(jws);
}

/* Three views around exactly two dots; parts may be empty here. */
static int split3(struct gr_str in, struct gr_str part[3], struct gr_err *err)
{
    size_t start = 0, n = 0;

    for (size_t i = 0; i <= in.len; i++) {
        if (i < in.len && in.p[i] != '.')
            continue;
        if (n == 3)
            return gr_fail(err, GR_ERR_MALFORMED, "The JWS has more than three parts.");
        part[n++] = (struct gr_str){ in.p + start, i - start };
        start = i + 1;
    }
    if (n != 3)
        return gr_fail(err, GR_ERR_MALFORMED, "The JWS does not have three parts.");
    return 0;
}

/* see jws.h */
int gr_jws_split(struct gr_str in, struct gr_str part[3], struct gr_err *err)
{
    if (split3(in, part, err) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (part[i].len == 0)
            return gr_fail(err, GR_ERR_MALFORMED, "The JWS has an empty part.");
    }
    return 0;
}

/*
 * Decode one base64url part into a fresh string and parse it as a JSON object.
 * The decoded size is checked against `max` before anything is allocated.
 */
static json_t *decode_json(struct gr_str b64, size_t max, const char *what, struct gr_str *text,
                           struct gr_err *err)
{
    struct gr_buf buf;
    json_t *v = NULL;

    if (gr_b64url_decoded_max(b64.len) > max) {
        gr_fail(err, GR_ERR_TOO_LARGE, "%s is larger than %zu bytes.", what, max);
        return NULL;
    }
    gr_buf_init(&buf, max);
    if (gr_b64url_decode_buf(b64, &buf, err) < 0) {
        gr_fail(err, GR_ERR_MALFORMED, "%s is not canonical base64url.", what);
        goto out;
    }
    v = gr__json_parse(gr_buf_str(&buf), max, JSON_OBJECT, what, err);
    if (v == NULL)
        goto out;
    text->p = gr_buf_take(&buf, &text->len);
out:
    gr_buf_release(&buf);
    return v;
}

/* A string header parameter: .p NULL when absent, MALFORMED when not a string. */
static int header_str(const json_t *hdr, const char *name, struct gr_str *out, struct gr_err *err)
{
    const json_t *v = json_object_get(hdr, name);

    *out = (struct gr_str){ NULL, 0 };
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return gr_fail(err, GR_ERR_MALFORMED, "The JWS header parameter %s is not a string.", name);
    *out = gr__json_strv(v);
    return 0;
}

/* `x5c` (RFC 7515 §4.1.6): a non-empty array of strings, kept as views. */
static int header_x5c(const json_t *hdr, struct gr_jws *jws, struct gr_err *err)
{
    const json_t *arr = json_object_get(hdr, "x5c");
    size_t n;

    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return gr_fail(err, GR_ERR_MALFORMED, "The JWS header x5c is not a non-empty array.");
    n = json_array_size(arr);
    if (n > GR_JWS_MAX_X5C)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The JWS header x5c has more than %d certificates.",
                       GR_JWS_MAX_X5C);
    for (size_t i = 0; i < n; i++) {
        struct gr_str s = gr__json_strv(json_array_get(arr, i));

        if (s.p == NULL || s.len == 0)
            return gr_fail(err, GR_ERR_MALFORMED,
                           "The JWS header x5c holds an empty or non-string entry.");
        jws->x5c[i] = s;
    }
    jws->x5c_count = n;
    return 0;
}

static int check_header(const json_t *hdr, struct gr_jws *jws, struct gr_err *err)
{
    const json_t *jwk;

    if (header_str(hdr, "alg", &jws->alg, err) < 0)
        return -1;
    if (jws->alg.p == NULL)
        return gr_fail(err, GR_ERR_MALFORMED, "The JWS header has no alg.");
    /* RFC 8725 §3.1: one algorithm, chosen by us; never none, never HMAC. */
    if (!gr_str_eq_c(jws->alg, "ES256"))
        return gr_fail(err, GR_ERR_UNSUPPORTED_ALG, "The JWS algorithm is not ES256.");
    /* RFC 7515 §4.1.11: we understand no extension, so any `crit` makes the JWS invalid. */
    if (json_object_get(hdr, "crit") != NULL)
        return gr_fail(err, GR_ERR_UNSUPPORTED_ALG, "The JWS uses a critical extension.");
    if (header_str(hdr, "typ", &jws->typ, err) < 0 || header_str(hdr, "kid", &jws->kid, err) < 0)
        return -1;
    jwk = json_object_get(hdr, "jwk");
    if (jwk != NULL) {
        if (!json_is_object(jwk))
            return gr_fail(err, GR_ERR_MALFORMED, "The JWS header jwk is not an object.");
        jws->jwk = gr__jwk_from_json(jwk, GR_JWK_PUBLIC, err);
        if (jws->jwk == NULL)
            return -1;
    }
    return header_x5c(hdr, jws, err);
}

/*
 * The header comes first so that `alg: none` (empty signature) and HS256 (a
 * 32-byte one) are reported as what they are, UNSUPPORTED_ALG.
 */
static int parse_parts(const struct gr_str part[3], struct gr_jws *jws, struct gr_err *err)
{
    json_t *hdr, *payload;
    size_t n = 0;

    hdr = decode_json(part[0], GR_MAX_JWS_HEADER, "The JWS header", &jws->header, err);
    if (hdr == NULL)
        return -1;
    jws->header_json = gr__json_hide(hdr);
    if (check_header(hdr, jws, err) < 0)
        return -1;
    /* An ES256 signature is always 64 bytes (RFC 7518 §3.4). */
    if (part[2].len != SIG_B64_LEN ||
        gr_b64url_decode(part[2], jws->sig, sizeof(jws->sig), &n, err) < 0 || n != sizeof(jws->sig))
        return gr_fail(err, GR_ERR_MALFORMED, "The JWS signature is not 64 bytes of base64url.");
    payload = decode_json(part[1], GR_MAX_SDJWT_PAYLOAD, "The JWS payload", &jws->payload, err);
    if (payload == NULL)
        return -1;
    jws->payload_json = gr__json_hide(payload);
    return 0;
}

/* see jws.h */
int gr_jws_parse(struct gr_str in, struct gr_jws *jws, struct gr_err *err)
{
    struct gr_str part[3];

    gr_jws_init(jws);
    if (in.len > GR_MAX_SDJWT_LEN)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The JWS is larger than %d bytes.", GR_MAX_SDJWT_LEN);
    if (split3(in, part, err) < 0)
        return -1;
    if (parse_parts(part, jws, err) < 0) {
        gr_jws_release(jws);
        return -1;
    }
    jws->signing_input = (struct gr_str){ in.p, part[0].len + 1 + part[1].len };
    return 0;
}

/* The order n of P-256 (SEC 2 §2.4.2), big-endian. */
static const uint8_t p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* 0 < v < n: a scalar of an ECDSA signature in its one canonical form (FIPS 186-5 §6.4.2). */
static bool scalar_ok(const uint8_t v[32])
{
    uint8_t any = 0;

    for (size_t i = 0; i < 32; i++) {
        any |= v[i];
    }
    return any != 0 && memcmp(v, p256_order, sizeof(p256_order)) < 0;
}

/* R || S to the DER that OpenSSL verifies; 0 with `*len` set, -1 on an OpenSSL failure. */
static int raw_to_der(const uint8_t sig[64], uint8_t der[SIG_DER_MAX], size_t *len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r_bn = BN_bin2bn(sig, 32, NULL);
    BIGNUM *s_bn = BN_bin2bn(sig + 32, 32, NULL);
    uint8_t *p = der;
    int n = -1;

    if (s != NULL && r_bn != NULL && s_bn != NULL && ECDSA_SIG_set0(s, r_bn, s_bn) == 1) {
        r_bn = s_bn = NULL; /* owned by s now */
        if (i2d_ECDSA_SIG(s, NULL) <= SIG_DER_MAX) {
            n = i2d_ECDSA_SIG(s, &p);
        }
    }
    BN_free(r_bn);
    BN_free(s_bn);
    ECDSA_SIG_free(s);
    if (n <= 0)
        return -1;
    *len = (size_t)n;
    return 0;
}

/* see jws.h */
int gr_es256_verify(const struct gr_jwk *key, struct gr_str input, const uint8_t sig[64],
                    struct gr_err *err)
{
    uint8_t der[SIG_DER_MAX], md[GR_SHA256_LEN];
    size_t der_len = 0;
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -1;

    if (key == NULL)
        return gr_fail(err, GR_ERR_USAGE, "There is no key to check the signature with.");
    /* Out-of-range scalars never verify; refuse them before OpenSSL sees them. */
    if (!scalar_ok(sig) || !scalar_ok(sig + 32))
        return gr_fail(err, GR_ERR_BAD_SIGNATURE, "The signature is not canonical.");
    if (raw_to_der(sig, der, &der_len) < 0)
        goto bad;
    gr_sha256(input.p, input.len, md);
    ctx = EVP_PKEY_CTX_dup(key->verify_ctx);
    if (ctx != NULL && EVP_PKEY_verify(ctx, der, der_len, md, sizeof(md)) == 1)
        rc = 0;
bad:
    EVP_PKEY_CTX_free(ctx);
    if (rc < 0) {
        gr_fail(err, GR_ERR_BAD_SIGNATURE, "The signature does not verify.");
        gr_err_openssl(err);
    }
    return rc;
}

/* see jws.h */
int gr_jws_verify(const struct gr_jws *jws, const struct gr_jwk *key, struct gr_err *err)
{
    if (key == NULL)
        return gr_fail(err, GR_ERR_USAGE, "There is no key to check the signature with.");
    if (jws->signing_input.p == NULL)
        return gr_fail(err, GR_ERR_USAGE, "The JWS was not parsed.");
    return gr_es256_verify(key, jws->signing_input, jws->sig, err);
}

/* DER from OpenSSL to R || S, strictly: one whole SEQUENCE, scalars of 32 bytes at most. */
static int der_to_raw(const uint8_t *der, size_t len, uint8_t sig[64])
{
    const uint8_t *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r_bn = NULL, *s_bn = NULL;
    int rc = -1;

    if (s == NULL || p != der + len)
        goto out;
    ECDSA_SIG_get0(s, &r_bn, &s_bn);
    if (BN_bn2binpad(r_bn, sig, 32) == 32 && BN_bn2binpad(s_bn, sig + 32, 32) == 32) {
        rc = 0;
    }
out:
    ECDSA_SIG_free(s);
    return rc;
}

/* see jws.h */
int gr_es256_sign(const struct gr_jwk *key, struct gr_str input, uint8_t sig[64],
                  struct gr_err *err)
{
    uint8_t der[SIG_DER_MAX], md[GR_SHA256_LEN];
    size_t der_len = sizeof(der);
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -1;

    if (key == NULL)
        return gr_fail(err, GR_ERR_USAGE, "There is no key to sign with.");
    if (!key->priv)
        return gr_fail(err, GR_ERR_BAD_KEY, "The key cannot sign: it has no private part.");
    gr_sha256(input.p, input.len, md);
    ctx = EVP_PKEY_CTX_dup(key->sign_ctx);
    if (ctx == NULL || EVP_PKEY_sign(ctx, der, &der_len, md, sizeof(md)) != 1 ||
        der_to_raw(der, der_len, sig) < 0) {
        gr_fail(err, GR_ERR_CRYPTO, "The signature cannot be made.");
        gr_err_openssl(err);
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* see jws.h */
int gr_jws_sign(const struct gr_jwk *key, struct gr_str header_json, struct gr_str payload_json,
                struct gr_buf *out, struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    uint8_t sig[64];

    gr_buf_add_b64url(out, header_json.p, header_json.len);
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, payload_json.p, payload_json.len);
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    /* Sign before appending again: the append may move out->data. */
    if (gr_es256_sign(key, (struct gr_str){ out->data + at.len, out->len - at.len }, sig, err) < 0)
        return gr__buf_restore(out, at);
    gr_buf_addc(out, '.');
    gr_buf_add_b64url(out, sig, sizeof(sig));
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    return 0;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(struct gr_str a, struct gr_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        if (ascii_lower(a.p[i]) != ascii_lower(b.p[i]))
            return false;
    }
    return true;
}

/* see jws.h */
bool gr_jws_typ_is(struct gr_str typ, const char *expected)
{
    static const char app_c[] = "application/";
    const struct gr_str app = { app_c, sizeof(app_c) - 1 };

    if (typ.p == NULL)
        return false;
    /* RFC 7515 §4.1.9: "application/" is implied when the value has no '/'. */
    if (memchr(typ.p, '/', typ.len) != NULL) {
        if (typ.len < app.len || !eq_nocase((struct gr_str){ typ.p, app.len }, app))
            return false;
        typ.p += app.len;
        typ.len -= app.len;
    }
    return eq_nocase(typ, gr_str_c(expected));
}

#ifndef GR_TEST_WALLET_PROVIDER_H
#define GR_TEST_WALLET_PROVIDER_H

/*
 * A wallet provider for tests and fuzz targets: its own CA, a signing
 * certificate issued by it, and the JWTs such a provider signs (key
 * attestations, wallet attestations). Certificates are made with OpenSSL
 * directly so that tests can break every rule of x5c.h on purpose. No cmocka
 * in here: the fuzz targets compile this file in too. A failure of OpenSSL or
 * of signing aborts: it is a broken test machine, not a finding.
 */

#include <openssl/x509.h>

#include <gramota/gramota.h>

/* Two validity bounds that contain every clock the tests use (2020 .. 2030). */
#define T_WP_NOT_BEFORE 1577836800
#define T_WP_NOT_AFTER  1893456000

struct t_cert_opts {
    bool ca;                       /* basicConstraints CA:TRUE (else CA:FALSE) */
    bool no_basic_constraints;     /* leave basicConstraints out */
    const char *basic_constraints; /* as for openssl.cnf, instead of the above; NULL: as above */
    /* keyUsage as for openssl.cnf; NULL: keyCertSign,cRLSign for a CA, else digitalSignature;
       "": none */
    const char *key_usage;
    int64_t not_before, not_after; /* 0: T_WP_NOT_BEFORE, T_WP_NOT_AFTER */
};

/*
 * A certificate for `key` named `cn`, issued by `issuer` with `issuer_key`,
 * or self-signed when `issuer` is NULL.
 */
X509 *t_cert_make(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                  const struct t_cert_opts *o);
/* Append the standard base64 of the DER, as an x5c entry. */
void t_cert_b64(X509 *cert, struct gr_buf *out);
/* Append the PEM. */
void t_cert_pem(X509 *cert, struct gr_buf *out);
/* Trust anchors made of these certificates (NULL-terminated). */
struct gr_trust *t_trust(X509 *first, ...);

struct t_wp {
    struct gr_jwk *ca_key, *mid_key, *key; /* the CA's key pair; the intermediate's; the signer's */
    X509 *ca, *mid, *leaf;                 /* mid NULL without an intermediate */
    struct gr_trust *anchors;              /* the CA alone */
    struct gr_buf x5c; /* the header member value: ["<leaf>"] or ["<leaf>","<mid>"] */
};

/* A provider whose certificates are valid from T_WP_NOT_BEFORE to T_WP_NOT_AFTER. */
struct t_wp *t_wp_new(void);
/* The same with an intermediate CA between the root and the signing certificate. */
struct t_wp *t_wp_new_deep(void);
void t_wp_free(struct t_wp *wp);

/* Sign `payload` as the provider: {"typ":<typ>,"alg":"ES256","x5c":[<leaf>]}. */
void t_wp_sign(const struct t_wp *wp, const char *typ, struct gr_str payload, struct gr_buf *out);
/* Sign `payload` under `header` with `key`, appending the compact JWS to `out`. */
void t_sign(const struct gr_jwk *key, struct gr_str header, struct gr_str payload,
            struct gr_buf *out);

/* A key attestation's claims (OID4VCI 1.0 App. D.1). */
struct t_ka {
    int64_t iat;
    int64_t exp; /* 0: left out */
    struct gr_jwk *const *keys;
    size_t n;
    bool private_keys;               /* write the keys with their d, which must be refused */
    const char *nonce;               /* NULL: left out */
    const char *key_storage;         /* a JSON value; NULL: left out */
    const char *user_authentication; /* a JSON value; NULL: left out */
    const char *extra;               /* more members, as "\"a\":1"; NULL: none */
};

/* Append the claims of `ka` as a JSON object. */
void t_ka_payload(const struct t_ka *ka, struct gr_buf *out);

#endif

#include "testutil.h"
#include "wallet_provider.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jose/internal.h"

#define NOW 1700000000

/* A root, an intermediate under it, leaves under both, and a stranger's root. */
struct pki {
    struct gr_jwk *root_key, *mid_key, *leaf_key, *other_key;
    X509 *root, *mid, *leaf, *mid_leaf, *other_root, *other_leaf;
    struct gr_trust *anchors; /* root */
};

static const struct t_cert_opts ca_opts = { .ca = true }, leaf_opts = { .ca = false };

static void pki_init(struct pki *p)
{
    p->root_key = t_keygen();
    p->mid_key = t_keygen();
    p->leaf_key = t_keygen();
    p->other_key = t_keygen();
    p->root = t_cert_make(p->root_key->pkey, "Root", NULL, NULL, &ca_opts);
    p->mid = t_cert_make(p->mid_key->pkey, "Intermediate", p->root, p->root_key->pkey, &ca_opts);
    p->leaf = t_cert_make(p->leaf_key->pkey, "Leaf", p->root, p->root_key->pkey, &leaf_opts);
    p->mid_leaf = t_cert_make(p->leaf_key->pkey, "Leaf", p->mid, p->mid_key->pkey, &leaf_opts);
    p->other_root = t_cert_make(p->other_key->pkey, "Other Root", NULL, NULL, &ca_opts);
    p->other_leaf =
        t_cert_make(p->leaf_key->pkey, "Leaf", p->other_root, p->other_key->pkey, &leaf_opts);
    p->anchors = t_trust(p->root, NULL);
}

static void pki_release(struct pki *p)
{
    X509 *certs[] = { p->root, p->mid, p->leaf, p->mid_leaf, p->other_root, p->other_leaf };

    for (size_t i = 0; i < GR_NELEM(certs); i++) {
        X509_free(certs[i]);
    }
    gr_jwk_free(p->root_key);
    gr_jwk_free(p->mid_key);
    gr_jwk_free(p->leaf_key);
    gr_jwk_free(p->other_key);
    gr_trust_free(p->anchors);
}

/* One sentence, the problem first: not empty, a full stop, no quote or backslash. */
static void assert_sentence(const struct gr_err *err)
{
    size_t n = strlen(err->desc);

    if (n == 0 || err->desc[n - 1] != '.' || strpbrk(err->desc, "\"\\") != NULL)
        fail_msg("unfit sentence: %s", err->desc);
}

/* gr_x5c_verify over already encoded entries; on success the key must be `want`. */
static enum gr_errc verify_strs(const struct gr_trust *anchors, const struct gr_str *x5c, size_t n,
                                int64_t now, const struct gr_jwk *want, struct gr_err *err)
{
    struct gr_jwk *key = gr_x5c_verify(anchors, x5c, n, now, err);

    if (key == NULL) {
        assert_sentence(err);
        return err->code;
    }
    assert_false(gr_jwk_is_private(key));
    if (want != NULL)
        assert_true(gr_jwk_equal(key, want));
    gr_jwk_free(key);
    return GR_ERR_OK;
}

/* gr_x5c_verify over certificates. */
static enum gr_errc verify(const struct gr_trust *anchors, X509 *const *certs, size_t n,
                           int64_t now, const struct gr_jwk *want, struct gr_err *err)
{
    struct gr_buf b64[GR_JWS_MAX_X5C + 1];
    struct gr_str x5c[GR_JWS_MAX_X5C + 1];
    enum gr_errc code;

    assert_true(n <= GR_NELEM(x5c));
    for (size_t i = 0; i < n; i++) {
        gr_buf_init(&b64[i], GR_BUF_UNBOUNDED);
        t_cert_b64(certs[i], &b64[i]);
        x5c[i] = gr_buf_str(&b64[i]);
    }
    code = verify_strs(anchors, x5c, n, now, want, err);
    for (size_t i = 0; i < n; i++) {
        gr_buf_release(&b64[i]);
    }
    return code;
}

#define VERIFY(anchors, want_key, ...)                \
    verify((anchors), (X509 *const[]){ __VA_ARGS__ }, \
           sizeof((X509 *[]){ __VA_ARGS__ }) / sizeof(X509 *), NOW, (want_key), &err)

static void test_good_chains(void **state)
{
    struct pki p;
    struct gr_trust *mid_only;
    struct gr_err err;

    (void)state;
    pki_init(&p);
    assert_code(VERIFY(p.anchors, p.leaf_key, p.leaf), GR_ERR_OK);
    assert_code(VERIFY(p.anchors, p.leaf_key, p.mid_leaf, p.mid), GR_ERR_OK);
    /* The anchor sent along is tolerated (HAIP says leave it out). */
    assert_code(VERIFY(p.anchors, p.leaf_key, p.leaf, p.root), GR_ERR_OK);
    assert_code(VERIFY(p.anchors, p.leaf_key, p.mid_leaf, p.mid, p.root), GR_ERR_OK);
    /* Intermediates in any order after the leaf. */
    assert_code(VERIFY(p.anchors, p.leaf_key, p.mid_leaf, p.root, p.mid), GR_ERR_OK);
    /* An intermediate CA as the anchor: the chain stops there. */
    mid_only = t_trust(p.mid, NULL);
    assert_code(VERIFY(mid_only, p.leaf_key, p.mid_leaf), GR_ERR_OK);
    assert_code(VERIFY(mid_only, NULL, p.leaf), GR_ERR_BAD_SIGNATURE);
    gr_trust_free(mid_only);
    /* Within the validity period, to the second (OpenSSL: notAfter itself is past). */
    assert_code(verify(p.anchors, &p.leaf, 1, T_WP_NOT_BEFORE, p.leaf_key, &err), GR_ERR_OK);
    assert_code(verify(p.anchors, &p.leaf, 1, T_WP_NOT_AFTER - 1, p.leaf_key, &err), GR_ERR_OK);
    pki_release(&p);
}

static void test_untrusted(void **state)
{
    struct pki p;
    struct gr_err err;

    (void)state;
    pki_init(&p);
    assert_code(VERIFY(p.anchors, NULL, p.other_leaf), GR_ERR_BAD_SIGNATURE);
    assert_true(strstr(err.desc, "trusted") != NULL);
    assert_true(err.cause[0] != '\0');
    assert_code(VERIFY(p.anchors, NULL, p.other_leaf, p.other_root), GR_ERR_BAD_SIGNATURE);
    /* The intermediate is missing. */
    assert_code(VERIFY(p.anchors, NULL, p.mid_leaf), GR_ERR_BAD_SIGNATURE);
    assert_code(VERIFY(p.anchors, NULL, p.mid_leaf, p.other_root), GR_ERR_BAD_SIGNATURE);
    pki_release(&p);
}

static void test_validity(void **state)
{
    struct pki p;
    struct t_cert_opts short_lived = { .not_before = NOW - 86400, .not_after = NOW - 1 };
    X509 *old;
    struct gr_err err;

    (void)state;
    pki_init(&p);
    assert_code(verify(p.anchors, &p.leaf, 1, T_WP_NOT_AFTER, NULL, &err), GR_ERR_EXPIRED);
    assert_true(strstr(err.desc, "expired") != NULL);
    assert_code(verify(p.anchors, &p.leaf, 1, T_WP_NOT_BEFORE - 1, NULL, &err), GR_ERR_EXPIRED);
    old = t_cert_make(p.leaf_key->pkey, "Old", p.root, p.root_key->pkey, &short_lived);
    assert_code(VERIFY(p.anchors, NULL, old), GR_ERR_EXPIRED);
    assert_code(verify(p.anchors, &old, 1, NOW - 2, p.leaf_key, &err), GR_ERR_OK);
    X509_free(old);
    pki_release(&p);
}

/* HAIP and RFC 5280 constraints on the leaf and the issuers. */
static void test_constraints(void **state)
{
    struct t_cert_opts ca_leaf = { .ca = true,
                                   .key_usage = "critical,digitalSignature,keyCertSign" };
    struct t_cert_opts no_sign = { .key_usage = "critical,keyEncipherment" };
    struct t_cert_opts no_ku = { .key_usage = "" };
    struct t_cert_opts not_ca = { .ca = false, .key_usage = "critical,keyCertSign" };
    struct t_cert_opts no_bc = { .no_basic_constraints = true,
                                 .key_usage = "critical,keyCertSign" };
    struct t_cert_opts pathlen0 = { .ca = true, .basic_constraints = "critical,CA:TRUE,pathlen:0" };
    struct pki p;
    struct gr_err err;
    X509 *c, *mid, *leaf;

    (void)state;
    pki_init(&p);
    /* A self-signed leaf, even one the anchors hold. */
    c = t_cert_make(p.leaf_key->pkey, "Self", NULL, NULL, &leaf_opts);
    assert_code(VERIFY(p.anchors, NULL, c), GR_ERR_BAD_CLAIM);
    assert_true(strstr(err.desc, "self-signed") != NULL);
    X509_free(c);
    c = t_cert_make(p.root_key->pkey, "Root", NULL, NULL, &ca_opts);
    assert_code(VERIFY(p.anchors, NULL, c), GR_ERR_BAD_CLAIM);
    X509_free(c);
    assert_code(VERIFY(p.anchors, NULL, p.root), GR_ERR_BAD_CLAIM);
    /* A CA as the leaf; a leaf that may not sign; a leaf without keyUsage is fine. */
    c = t_cert_make(p.leaf_key->pkey, "CA Leaf", p.root, p.root_key->pkey, &ca_leaf);
    assert_code(VERIFY(p.anchors, NULL, c), GR_ERR_BAD_CLAIM);
    assert_code(VERIFY(p.anchors, NULL, p.mid), GR_ERR_BAD_CLAIM);
    X509_free(c);
    c = t_cert_make(p.leaf_key->pkey, "No Sign", p.root, p.root_key->pkey, &no_sign);
    assert_code(VERIFY(p.anchors, NULL, c), GR_ERR_BAD_CLAIM);
    assert_true(strstr(err.desc, "key usage") != NULL);
    X509_free(c);
    c = t_cert_make(p.leaf_key->pkey, "No KU", p.root, p.root_key->pkey, &no_ku);
    assert_code(VERIFY(p.anchors, p.leaf_key, c), GR_ERR_OK);
    X509_free(c);
    /* Issuers that are not CAs, and a path length passed. */
    mid = t_cert_make(p.mid_key->pkey, "Not CA", p.root, p.root_key->pkey, &not_ca);
    leaf = t_cert_make(p.leaf_key->pkey, "Leaf", mid, p.mid_key->pkey, &leaf_opts);
    assert_code(VERIFY(p.anchors, NULL, leaf, mid), GR_ERR_BAD_CLAIM);
    X509_free(leaf);
    X509_free(mid);
    mid = t_cert_make(p.mid_key->pkey, "No BC", p.root, p.root_key->pkey, &no_bc);
    leaf = t_cert_make(p.leaf_key->pkey, "Leaf", mid, p.mid_key->pkey, &leaf_opts);
    assert_code(VERIFY(p.anchors, NULL, leaf, mid), GR_ERR_BAD_CLAIM);
    X509_free(leaf);
    X509_free(mid);
    c = t_cert_make(p.root_key->pkey, "Root 0", NULL, NULL, &pathlen0);
    mid = t_cert_make(p.mid_key->pkey, "Mid", c, p.root_key->pkey, &ca_opts);
    leaf = t_cert_make(p.leaf_key->pkey, "Leaf", mid, p.mid_key->pkey, &leaf_opts);
    {
        struct gr_trust *t = t_trust(c, NULL);

        assert_code(VERIFY(t, NULL, leaf, mid), GR_ERR_BAD_CLAIM);
        gr_trust_free(t);
    }
    X509_free(leaf);
    X509_free(mid);
    X509_free(c);
    pki_release(&p);
}

/* Only EC P-256 leaf keys; any issuer key OpenSSL checks is fine. */
static void test_leaf_key(void **state)
{
    struct pki p;
    struct gr_err err;
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    X509 *c;

    (void)state;
    pki_init(&p);
    assert_non_null(p384);
    c = t_cert_make(p384, "P-384", p.root, p.root_key->pkey, &leaf_opts);
    assert_code(VERIFY(p.anchors, NULL, c), GR_ERR_BAD_KEY);
    X509_free(c);
    EVP_PKEY_free(p384);
    pki_release(&p);
}

/* A changed byte anywhere in the leaf breaks its signature (or its DER). */
static void test_tampered(void **state)
{
    struct pki p;
    struct gr_buf b64;
    unsigned char *der = NULL;
    int len;
    struct gr_err err;

    (void)state;
    pki_init(&p);
    gr_buf_init(&b64, GR_BUF_UNBOUNDED);
    len = i2d_X509(p.leaf, &der);
    assert_true(len > 100);
    for (int i = len - 40; i < len; i++) {
        struct gr_str x5c;
        enum gr_errc code;
        char *out = malloc(4 * (((size_t)len + 2) / 3) + 1);

        der[i] ^= 0x01;
        EVP_EncodeBlock((unsigned char *)out, der, len);
        x5c = gr_str_c(out);
        code = verify_strs(p.anchors, &x5c, 1, NOW, NULL, &err);
        if (code != GR_ERR_BAD_SIGNATURE && code != GR_ERR_MALFORMED)
            fail_msg("byte %d: %s", i, gr_errc_name(code));
        der[i] ^= 0x01;
        free(out);
    }
    OPENSSL_free(der);
    gr_buf_release(&b64);
    pki_release(&p);
}

/* Encodings: standard base64 with padding, one DER certificate, nothing else. */
static void test_malformed(void **state)
{
    struct pki p;
    struct gr_buf good, bad, big;
    struct gr_str x5c[GR_JWS_MAX_X5C + 1];
    struct gr_err err;

    (void)state;
    pki_init(&p);
    gr_buf_init(&good, GR_BUF_UNBOUNDED);
    gr_buf_init(&bad, GR_BUF_UNBOUNDED);
    gr_buf_init(&big, GR_BUF_UNBOUNDED);
    t_cert_b64(p.leaf, &good);
    x5c[0] = gr_buf_str(&good);
    assert_code(verify_strs(p.anchors, x5c, 1, NOW, p.leaf_key, &err), GR_ERR_OK);
    assert_code(verify_strs(p.anchors, x5c, 0, NOW, NULL, &err), GR_ERR_MALFORMED);
    assert_code(verify_strs(NULL, x5c, 1, NOW, NULL, &err), GR_ERR_USAGE);
    assert_code(verify_strs(p.anchors, NULL, 1, NOW, NULL, &err), GR_ERR_MALFORMED);
    for (size_t i = 0; i < GR_NELEM(x5c); i++) {
        x5c[i] = gr_buf_str(&good);
    }
    assert_code(verify_strs(p.anchors, x5c, GR_JWS_MAX_X5C + 1, NOW, NULL, &err), GR_ERR_TOO_LARGE);
    {
        static const char *const texts[] = { "",     "MIIB",       "MIIB====", "====",   "A===",
                                             "AA=A", "TUlJQg==\n", " TUlJ",    "TUlJQg=" };

        for (size_t i = 0; i < GR_NELEM(texts); i++) {
            x5c[0] = gr_str_c(texts[i]);
            assert_code(verify_strs(p.anchors, x5c, 1, NOW, NULL, &err), GR_ERR_MALFORMED);
        }
    }
    /* base64url characters, a missing pad, and a trailing byte after the DER. */
    gr_buf_addstr(&bad, gr_buf_str(&good));
    for (size_t i = 0; i < bad.len; i++) {
        if (bad.data[i] == '+' || bad.data[i] == '/')
            bad.data[i] = bad.data[i] == '+' ? '-' : '_';
    }
    x5c[0] = gr_buf_str(&bad);
    if (strcmp(bad.data, good.data) != 0)
        assert_code(verify_strs(p.anchors, x5c, 1, NOW, NULL, &err), GR_ERR_MALFORMED);
    {
        unsigned char *der = NULL;
        int len = i2d_X509(p.leaf, &der);
        unsigned char *more = malloc((size_t)len + 1);
        char *out = malloc(4 * (((size_t)len + 3) / 3) + 1);

        memcpy(more, der, (size_t)len);
        more[len] = 0;
        EVP_EncodeBlock((unsigned char *)out, more, len + 1);
        x5c[0] = gr_str_c(out);
        assert_code(verify_strs(p.anchors, x5c, 1, NOW, NULL, &err), GR_ERR_MALFORMED);
        free(out);
        free(more);
        OPENSSL_free(der);
    }
    for (size_t i = 0; i < 16 * 1024 + 4; i++) {
        gr_buf_addc(&big, 'A');
    }
    x5c[0] = gr_buf_str(&big);
    assert_code(verify_strs(p.anchors, x5c, 1, NOW, NULL, &err), GR_ERR_TOO_LARGE);
    gr_buf_release(&big);
    gr_buf_release(&bad);
    gr_buf_release(&good);
    pki_release(&p);
}

static enum gr_errc load_code(const char *pem, size_t *count)
{
    struct gr_err err;
    struct gr_trust *t = gr_trust_load_pem(gr_str_c(pem), &err);

    if (t == NULL) {
        assert_sentence(&err);
        return err.code;
    }
    if (count != NULL)
        *count = gr_trust_count(t);
    gr_trust_free(t);
    return GR_ERR_OK;
}

static void test_trust_load(void **state)
{
    struct pki p;
    struct gr_buf pem, key;
    struct gr_err err;
    size_t n = 0;

    (void)state;
    pki_init(&p);
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_init(&key, GR_BUF_UNBOUNDED);
    assert_code(load_code("", NULL), GR_ERR_MALFORMED);
    assert_code(load_code("no PEM here", NULL), GR_ERR_MALFORMED);
    assert_code(load_code("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", NULL),
                GR_ERR_MALFORMED);
    t_cert_pem(p.root, &pem);
    t_cert_pem(p.mid, &pem);
    assert_code(load_code(pem.data, &n), GR_ERR_OK);
    assert_int_equal(n, 2);
    /* A key block among the certificates is skipped. */
    assert_int_equal(gr_jwk_to_pem(p.leaf_key, true, &key, &err), 0);
    gr_buf_reset(&pem);
    gr_buf_addstr(&pem, gr_buf_str(&key));
    t_cert_pem(p.root, &pem);
    assert_code(load_code(pem.data, &n), GR_ERR_OK);
    assert_int_equal(n, 1);
    /* A leaf is no anchor; a broken block after a good one is an error. */
    gr_buf_reset(&pem);
    t_cert_pem(p.root, &pem);
    t_cert_pem(p.leaf, &pem);
    assert_code(load_code(pem.data, NULL), GR_ERR_BAD_CLAIM);
    gr_buf_reset(&pem);
    t_cert_pem(p.root, &pem);
    gr_buf_adds(&pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    assert_code(load_code(pem.data, NULL), GR_ERR_MALFORMED);
    gr_buf_reset(&pem);
    while (pem.len <= GR_MAX_PEM_LEN) {
        t_cert_pem(p.root, &pem);
    }
    assert_code(load_code(pem.data, NULL), GR_ERR_TOO_LARGE);
    gr_trust_free(NULL);
    assert_int_equal(gr_trust_count(NULL), 0);
    gr_buf_release(&key);
    gr_buf_release(&pem);
    pki_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chains), cmocka_unit_test(test_untrusted),
        cmocka_unit_test(test_validity),    cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_leaf_key),    cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_trust_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

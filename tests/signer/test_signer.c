/* The signer interface: file signer, certificate chains and x5c, custom signers. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static char tmpdir[] = "/tmp/gr_signer_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, struct gr_str data, char *path, size_t size)
{
    FILE *f;

    snprintf(path, size, "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data.p, 1, data.len, f), data.len);
    fclose(f);
}

/* The one-call round trip: sign with the signer, verify with its public JWK. */
static void sign_and_verify(const struct gr_signer *s)
{
    struct gr_buf header, header_b64, jws;
    struct gr_jws parsed;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&header_b64, GR_BUF_UNBOUNDED);
    gr_buf_init(&jws, GR_BUF_UNBOUNDED);
    gr_signer_header(s, "statuslist+jwt", &header);
    gr_buf_add_b64url(&header_b64, header.data, header.len);
    assert_int_equal(
        gr_signer_jws(s, gr_buf_str(&header_b64), GR_STR("{\"sub\":\"x\"}"), &jws, &err), 0);
    gr_jws_init(&parsed);
    assert_int_equal(gr_jws_parse(gr_buf_str(&jws), &parsed, &err), 0);
    assert_true(gr_jws_typ_is(parsed.typ, "statuslist+jwt"));
    assert_true(gr_str_eq(parsed.kid, gr_signer_kid(s)));
    assert_int_equal(parsed.x5c_count, gr_signer_x5c_count(s));
    for (size_t i = 0; i < parsed.x5c_count; i++)
        assert_true(gr_str_eq(parsed.x5c[i], gr_signer_x5c(s, i)));
    assert_int_equal(gr_jws_verify(&parsed, gr_signer_jwk(s), &err), 0);
    gr_jws_release(&parsed);
    gr_buf_release(&header);
    gr_buf_release(&header_b64);
    gr_buf_release(&jws);
}

static void test_file_signer(void **state)
{
    struct gr_jwk *key = t_keygen();
    struct gr_buf pem, uri;
    struct gr_err err;
    struct gr_signer *s;
    char path[256], kid[GR_JWK_THUMBPRINT_B64_LEN + 1];

    (void)state;
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_jwk_to_pem(key, true, &pem, &err), 0);
    write_file("key.pem", gr_buf_str(&pem), path, sizeof(path));
    gr_buf_printf(&uri, "file:%s", path);
    s = gr_signer_new(gr_buf_str(&uri), (struct gr_str){ NULL, 0 }, &err);
    if (s == NULL)
        fail_msg("%s", err.desc);
    assert_string_equal(gr_signer_name(s), "file");
    assert_string_equal(gr_signer_alg(s), "ES256");
    assert_true(gr_jwk_equal(gr_signer_jwk(s), key));
    assert_false(gr_jwk_is_private(gr_signer_jwk(s))); /* the public half only */
    gr_jwk_thumbprint_b64(key, kid);
    assert_true(gr_str_eq_c(gr_signer_kid(s), kid));
    assert_int_equal(gr_signer_x5c_count(s), 0);
    sign_and_verify(s);
    gr_signer_set_kid(s, GR_STR("issuer-2026"));
    assert_true(gr_str_eq_c(gr_signer_kid(s), "issuer-2026"));
    sign_and_verify(s);
    gr_signer_free(s);
    gr_buf_release(&pem);
    gr_buf_release(&uri);
    gr_jwk_free(key);
}

static void test_bad_uris_and_keys(void **state)
{
    struct gr_jwk *key = t_keygen();
    struct gr_buf pem, uri;
    struct gr_err err;
    char path[256];

    (void)state;
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    assert_null(gr_signer_new(GR_STR("kms:whatever"), (struct gr_str){ NULL, 0 }, &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_null(
        gr_signer_new(GR_STR("file:/nonexistent/key.pem"), (struct gr_str){ NULL, 0 }, &err));
    assert_code(err.code, GR_ERR_IO);
    /* A public key cannot sign. */
    assert_int_equal(gr_jwk_to_pem(key, false, &pem, &err), 0);
    write_file("pub.pem", gr_buf_str(&pem), path, sizeof(path));
    gr_buf_printf(&uri, "file:%s", path);
    assert_null(gr_signer_new(gr_buf_str(&uri), (struct gr_str){ NULL, 0 }, &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    /* Not a key at all. */
    write_file("junk.pem", GR_STR("hello"), path, sizeof(path));
    gr_buf_reset(&uri);
    gr_buf_printf(&uri, "file:%s", path);
    assert_null(gr_signer_new(gr_buf_str(&uri), (struct gr_str){ NULL, 0 }, &err));
    assert_true(err.code == GR_ERR_MALFORMED || err.code == GR_ERR_BAD_KEY);
    assert_null(gr_signer_new_key(gr_jwk_dup_public(key), (struct gr_str){ NULL, 0 }, &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    gr_buf_release(&pem);
    gr_buf_release(&uri);
    gr_jwk_free(key);
}

/* A private copy of `key`, since a signer takes the key it is given. */
static struct gr_jwk *dup_private(const struct gr_jwk *key)
{
    struct gr_buf json;
    struct gr_jwk *copy;

    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, true, &json);
    copy = t_jwk(json.data);
    gr_buf_release(&json);
    return copy;
}

/* x5c: the leaf and any intermediates, never the self-signed anchor (HAIP §6.1.1). */
static void test_chain(void **state)
{
    struct gr_jwk *key = t_keygen(), *other = t_keygen();
    struct gr_buf chain, bad;
    struct gr_err err;
    struct gr_signer *s;
    const char *anchor;

    (void)state;
    gr_buf_init(&chain, GR_BUF_UNBOUNDED);
    gr_buf_init(&bad, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_cert_chain_make(key, "issuer.example.com", 30, &chain, &err), 0);
    s = gr_signer_new_key(dup_private(key), gr_buf_str(&chain), &err);
    if (s == NULL)
        fail_msg("%s", err.desc);
    assert_int_equal(gr_signer_x5c_count(s), 1); /* the CA stays out */
    sign_and_verify(s);
    {
        struct gr_str b64 = gr_signer_x5c(s, 0);
        unsigned char der[4096];
        const unsigned char *p = der;
        int len = EVP_DecodeBlock(der, (const unsigned char *)b64.p, (int)b64.len);
        X509 *leaf;
        EVP_PKEY *pub;

        assert_true(len > 0);
        leaf = d2i_X509(NULL, &p, len);
        assert_non_null(leaf);
        pub = X509_get0_pubkey(leaf);
        assert_non_null(pub);
        assert_int_not_equal(X509_check_issued(leaf, leaf), X509_V_OK); /* not self-signed */
        X509_free(leaf);
    }
    gr_signer_free(s);

    /* A chain for another key. */
    assert_null(gr_signer_new_key(dup_private(other), gr_buf_str(&chain), &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    /* The anchor alone: self-signed and not for the key. */
    anchor = strstr(chain.data + 1, "-----BEGIN CERTIFICATE-----");
    assert_non_null(anchor);
    assert_null(gr_signer_new_key(dup_private(key), gr_str_c(anchor), &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    /* A self-signed certificate in the middle of the chain. */
    gr_buf_addstr(&bad, gr_buf_str(&chain));
    gr_buf_add(&bad, chain.data, (size_t)(anchor - chain.data));
    assert_null(gr_signer_new_key(dup_private(key), gr_buf_str(&bad), &err));
    assert_code(err.code, GR_ERR_BAD_KEY);
    /* No certificate at all. */
    assert_null(gr_signer_new_key(dup_private(key), GR_STR("not a certificate"), &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    /* Nonsense parameters. */
    assert_code(t_code(gr_cert_chain_make(key, "", 30, &bad, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_cert_chain_make(key, "x", 0, &bad, &err), &err), GR_ERR_USAGE);
    gr_buf_release(&chain);
    gr_buf_release(&bad);
    gr_jwk_free(key);
    gr_jwk_free(other);
}

/* An application's own signing operation (a KMS) behind the same interface. */
struct counting {
    struct gr_jwk *key;
    int signs, frees;
};

static int counting_sign(void *ctx, struct gr_str in, uint8_t sig[64], struct gr_err *err)
{
    struct counting *c = ctx;

    c->signs++;
    return gr_es256_sign(c->key, in, sig, err);
}

static void counting_free(void *ctx)
{
    ((struct counting *)ctx)->frees++;
}

static void test_custom_signer(void **state)
{
    static const struct gr_signer_ops ops = { .name = "kms",
                                              .sign = counting_sign,
                                              .free = counting_free };
    struct counting c = { .key = t_keygen() };
    struct gr_err err;
    struct gr_signer *s =
        gr_signer_new_custom(&ops, &c, gr_jwk_dup_public(c.key), (struct gr_str){ NULL, 0 }, &err);

    (void)state;
    assert_non_null(s);
    assert_string_equal(gr_signer_name(s), "kms");
    sign_and_verify(s);
    assert_int_equal(c.signs, 1);
    gr_signer_free(s);
    assert_int_equal(c.frees, 1);
    /* A failed construction still hands the context back. */
    assert_null(gr_signer_new_custom(&ops, &c, NULL, (struct gr_str){ NULL, 0 }, &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_int_equal(c.frees, 2);
    gr_jwk_free(c.key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_signer),
        cmocka_unit_test(test_bad_uris_and_keys),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_custom_signer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * core through the installed headers only (err.h, buf.h, b64url.h, crypto.h):
 * the calls no other public-API test makes.
 * tests/packaging/test_api_coverage.sh checks that every exported function has
 * such a test.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

static void test_err_cause_and_clear(void **state)
{
    struct gr_err err;
    char long_text[400];

    (void)state;
    assert_int_equal(gr_fail(&err, GR_ERR_IO, "The file cannot be read."), -1);
    assert_string_equal(err.cause, ""); /* gr_fail starts without a cause */
    assert_int_equal(gr_err_cause(&err, "open %s: %s", "/x", "ENOENT"), -1);
    assert_string_equal(err.cause, "open /x: ENOENT");
    assert_code(err.code, GR_ERR_IO); /* the rest is kept */
    assert_string_equal(err.desc, "The file cannot be read.");

    memset(long_text, 'c', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    gr_err_cause(&err, "%s", long_text); /* cut to the field, still terminated */
    assert_int_equal(strlen(err.cause), sizeof(err.cause) - 1);

    gr_err_clear(&err);
    assert_code(err.code, GR_ERR_OK);
    assert_null(err.where);
    assert_string_equal(err.desc, "");
    assert_string_equal(err.cause, "");
}

/* gr_fail() is gr_fail_at() with the caller's file and line; a helper names its own place. */
static void test_fail_at(void **state)
{
    struct gr_err err;
    const char *here;

    (void)state;
    snprintf(err.cause, sizeof(err.cause), "left over");
    assert_int_equal(gr_fail_at(&err, GR_ERR_MALFORMED, "caller.c:7", "Bad %s.", "input"), -1);
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_string_equal(err.where, "caller.c:7");
    assert_string_equal(err.desc, "Bad input.");
    assert_string_equal(err.cause, ""); /* no cause */

    here = GR_HERE;
    assert_int_equal(gr_fail(&err, GR_ERR_IO, "Again."), -1);
    assert_non_null(strstr(err.where, "test_api_core.c:"));
    assert_string_not_equal(err.where, here); /* its own line, not the one above */
}

static void test_err_openssl(void **state)
{
    struct gr_err err;
    BIO *bio;

    (void)state;
    ERR_clear_error();
    gr_fail(&err, GR_ERR_CRYPTO, "OpenSSL failed.");
    assert_int_equal(gr_err_openssl(&err), -1); /* an empty queue: no cause */
    assert_string_equal(err.cause, "");

    bio = BIO_new_mem_buf("not PEM", -1);
    assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL)); /* queues "no start line" */
    BIO_free(bio);
    assert_int_not_equal(ERR_peek_error(), 0);
    assert_int_equal(gr_err_openssl(&err), -1);
    assert_non_null(strstr(err.cause, "no start line"));
    assert_int_equal(ERR_peek_error(), 0); /* the queue is emptied */
    assert_code(err.code, GR_ERR_CRYPTO);
    assert_string_equal(err.desc, "OpenSSL failed.");
}

static void test_buf_grow(void **state)
{
    struct gr_buf b;
    struct gr_err err;
    char *p;

    (void)state;
    gr_buf_init(&b, 8);
    gr_buf_adds(&b, "ab");
    p = gr_buf_grow(&b, 4);
    assert_ptr_equal(p, b.data + 2);
    assert_int_equal(b.len, 2); /* reserving does not move len */
    memcpy(p, "cdef", 4);
    b.len += 4;
    b.data[b.len] = '\0'; /* room for the NUL is part of the reservation */
    assert_string_equal(b.data, "abcdef");
    assert_int_equal(gr_buf_check(&b, &err), 0);

    assert_null(gr_buf_grow(&b, 3)); /* 6 + 3 > 8: the buffer fails */
    assert_true(b.failed);
    assert_null(gr_buf_grow(&b, 1)); /* and stays failed */
    assert_code(t_code(gr_buf_check(&b, &err), &err), GR_ERR_TOO_LARGE);
    assert_string_equal(b.data, "abcdef");
    gr_buf_release(&b);
}

static void test_b64url_decoded_max(void **state)
{
    static const struct {
        size_t in, max;
    } rows[] = { { 0, 0 }, { 2, 1 }, { 3, 2 }, { 4, 3 }, { 6, 4 }, { 43, 32 }, { 86, 64 } };
    struct gr_err err;
    uint8_t bytes[64], out[64];
    char text[90];
    size_t len;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(rows); i++) {
        assert_int_equal(gr_b64url_decoded_max(rows[i].in), rows[i].max);
        /* exact for every valid length: what an encoding of max bytes decodes to */
        assert_int_equal(gr_b64url_len(rows[i].max), rows[i].in);
        memset(bytes, 0xa5, rows[i].max);
        gr_b64url_encode(bytes, rows[i].max, text);
        assert_int_equal(gr_b64url_decode((struct gr_str){ text, rows[i].in }, out,
                                          gr_b64url_decoded_max(rows[i].in), &len, &err),
                         0);
        assert_int_equal(len, rows[i].max);
    }
}

static void test_random(void **state)
{
    struct gr_err err;
    uint8_t a[32], b[32], zero[32] = { 0 };

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(gr_random(a, sizeof(a), &err), 0);
    assert_int_equal(gr_random(b, sizeof(b), &err), 0);
    assert_memory_not_equal(a, zero, sizeof(a)); /* 2^-256 to fail by chance */
    assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_cause_and_clear), cmocka_unit_test(test_fail_at),
        cmocka_unit_test(test_err_openssl),         cmocka_unit_test(test_buf_grow),
        cmocka_unit_test(test_b64url_decoded_max),  cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

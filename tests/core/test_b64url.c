#include "testutil.h"

#include <string.h>

/* RFC 4648 §10 vectors, in the URL alphabet and without padding. */
static const struct {
    const char *plain;
    const char *enc;
} vectors[] = {
    { "", "" },           { "f", "Zg" },          { "fo", "Zm8" },          { "foo", "Zm9v" },
    { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(vectors); i++) {
        struct gr_buf b;
        uint8_t out[16];
        size_t n = 99;
        struct gr_err err;

        gr_buf_init(&b, GR_BUF_UNBOUNDED);
        gr_buf_add_b64url(&b, vectors[i].plain, strlen(vectors[i].plain));
        assert_string_equal(gr_buf_str(&b).p, vectors[i].enc);
        assert_int_equal(gr_b64url_len(strlen(vectors[i].plain)), strlen(vectors[i].enc));
        assert_int_equal(gr_b64url_decode(gr_str_c(vectors[i].enc), out, sizeof(out), &n, &err), 0);
        assert_int_equal(n, strlen(vectors[i].plain));
        assert_memory_equal(out, vectors[i].plain, n);
        gr_buf_release(&b);
    }
}

/* The two characters that differ from standard base64, and every byte value. */
static void test_url_alphabet_roundtrip(void **state)
{
    uint8_t all[256], back[256];
    size_t n;
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)(255 - i);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_add_b64url(&b, "\xfb\xff", 2);
    assert_string_equal(b.data, "-_8");
    gr_buf_reset(&b);
    for (size_t len = 0; len <= sizeof(all); len++) {
        gr_buf_reset(&b);
        gr_buf_add_b64url(&b, all, len);
        assert_int_equal(gr_b64url_decode(gr_buf_str(&b), back, sizeof(back), &n, &err), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, all, len);
    }
    gr_buf_release(&b);
}

static void test_rejects(void **state)
{
    static const char *bad[] = {
        "Zg==",     /* padding */
        "Zm8=",     /* padding */
        "Z",        /* 1 mod 4: impossible length */
        "Zm9vY",    /* 1 mod 4 */
        "Zm+v",     /* '+' is standard base64 */
        "Zm/v",     /* '/' is standard base64 */
        "Zm9 v",    /* whitespace */
        "Zm9v\n",   /* newline */
        "Zh",       /* trailing bits not zero: 'h' leaves bits set */
        "Zm9",      /* trailing bits not zero */
        "Zm\x80v",  /* non-ASCII */
        "Zm9v\0Zg", /* NUL inside */
    };
    static const size_t bad_len[] = { 4, 4, 1, 5, 4, 4, 5, 5, 2, 3, 4, 7 };
    uint8_t out[16];
    size_t n;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        struct gr_str in = { bad[i], bad_len[i] };

        assert_code(t_code(gr_b64url_decode(in, out, sizeof(out), &n, &err), &err),
                    GR_ERR_MALFORMED);
    }
    /* Too little room is its own code, not a crash. */
    assert_code(t_code(gr_b64url_decode(GR_STR("Zm9vYmFy"), out, 5, &n, &err), &err),
                GR_ERR_TOO_LARGE);
}

static void test_decode_buf_cap(void **state)
{
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, 4);
    assert_int_equal(gr_b64url_decode_buf(GR_STR("Zm9v"), &b, &err), 0);
    assert_string_equal(b.data, "foo");
    assert_code(t_code(gr_b64url_decode_buf(GR_STR("Zm9vYmFy"), &b, &err), &err), GR_ERR_TOO_LARGE);
    assert_false(b.failed); /* as it was: the caller may go on with it */
    assert_string_equal(b.data, "foo");
    gr_buf_release(&b);
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(gr_ct_equal("abc", "abc", 3));
    assert_false(gr_ct_equal("abc", "abd", 3));
    assert_true(gr_ct_str_equal(GR_STR("token"), GR_STR("token")));
    assert_false(gr_ct_str_equal(GR_STR("token"), GR_STR("toke")));
    assert_false(gr_ct_str_equal(GR_STR("token"), GR_STR("tokem")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),  cmocka_unit_test(test_url_alphabet_roundtrip),
        cmocka_unit_test(test_rejects),  cmocka_unit_test(test_decode_buf_cap),
        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

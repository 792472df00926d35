/*
 * buf.h on its own (with err.h for gr_buf_check): the encodings that append to
 * a buffer are declared here, not in the protocol headers that use them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <gramota/buf.h>
#include <gramota/err.h>

static void test_buf_add_urlencoded(void **state)
{
    struct gr_buf b;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_buf_add_urlencoded(&b, GR_STR("AZaz09-._~"));
    assert_string_equal(b.data, "AZaz09-._~"); /* RFC 3986 unreserved stay */
    gr_buf_reset(&b);
    gr_buf_add_urlencoded(&b, GR_STR("a b/?&=+%\"{}\xc3\xbc"));
    assert_string_equal(b.data, "a%20b%2F%3F%26%3D%2B%25%22%7B%7D%C3%BC"); /* upper-case hex */
    gr_buf_reset(&b);
    gr_buf_add_urlencoded(&b, (struct gr_str){ "\0\x7f", 2 });
    assert_string_equal(b.data, "%00%7F");
    gr_buf_release(&b);
}

static void test_buf_add_urlencoded_cap(void **state)
{
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, 5);
    gr_buf_add_urlencoded(&b, GR_STR("a b"));
    assert_int_equal(gr_buf_check(&b, &err), 0);
    assert_string_equal(b.data, "a%20b"); /* exactly the cap */
    gr_buf_add_urlencoded(&b, GR_STR("c"));
    assert_int_equal(gr_buf_check(&b, &err), -1);
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    gr_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_add_urlencoded),
        cmocka_unit_test(test_buf_add_urlencoded_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_cap_is_sticky(void **state)
{
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, 8);
    gr_buf_adds(&b, "1234");
    gr_buf_printf(&b, "%d", 56);
    assert_int_equal(gr_buf_check(&b, &err), 0);
    assert_string_equal(b.data, "123456");
    gr_buf_adds(&b, "789"); /* passes the cap: dropped, and so is all that follows */
    gr_buf_addc(&b, 'x');
    assert_string_equal(b.data, "123456");
    assert_code(t_code(gr_buf_check(&b, &err), &err), GR_ERR_TOO_LARGE);
    gr_buf_reset(&b);
    gr_buf_adds(&b, "ok");
    assert_int_equal(gr_buf_check(&b, &err), 0);
    assert_string_equal(b.data, "ok");
    gr_buf_release(&b);
}

static void test_take_and_grow(void **state)
{
    struct gr_buf b;
    size_t len;
    char *s;

    (void)state;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    for (int i = 0; i < 1000; i++)
        gr_buf_printf(&b, "%03d", i % 1000);
    assert_int_equal(b.len, 3000);
    assert_memory_equal(b.data + 2997, "999", 3);
    s = gr_buf_take(&b, &len);
    assert_int_equal(len, 3000);
    assert_null(b.data);
    free(s);
    s = gr_buf_take(&b, &len); /* an empty buffer hands out an empty string */
    assert_string_equal(s, "");
    free(s);
}

static void test_errors_table(void **state)
{
    struct gr_err err;

    (void)state;
    assert_string_equal(gr_errc_wire(GR_ERR_INVALID_PROOF), "invalid_proof");
    assert_int_equal(gr_errc_status(GR_ERR_INVALID_TOKEN), 401);
    assert_int_equal(gr_errc_status(GR_ERR_RATE_LIMITED), 429);
    assert_null(gr_errc_wire(GR_ERR_BAD_SIGNATURE));
    assert_int_equal(gr_errc_status(GR_ERR_BAD_SIGNATURE), 500); /* internal: a bug if sent */
    assert_int_equal(gr_fail(&err, GR_ERR_BAD_SIGNATURE, "The signature is %s.", "wrong"), -1);
    assert_string_equal(err.desc, "The signature is wrong.");
    assert_non_null(strstr(err.where, "test_buf.c:"));
    assert_int_equal(gr_err_recode(&err, GR_ERR_INVALID_PROOF), -1);
    assert_int_equal(err.code, GR_ERR_INVALID_PROOF);
    assert_string_equal(err.desc, "The signature is wrong."); /* kept */
}

static void test_str(void **state)
{
    (void)state;
    assert_true(gr_str_eq_c(GR_STR("abc"), "abc"));
    assert_false(gr_str_eq_c(GR_STR("abc"), "ab"));
    assert_true(gr_str_eq(gr_str_c(NULL), GR_STR("")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_is_sticky),
        cmocka_unit_test(test_take_and_grow),
        cmocka_unit_test(test_errors_table),
        cmocka_unit_test(test_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

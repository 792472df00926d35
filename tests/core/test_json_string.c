/*
 * gr_buf_add_json_string: JSON string literals written by hand, byte for byte
 * what jansson's encoder writes. Only the installed headers (and jansson, for
 * the comparison) are used here, as a library user would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <gramota/gramota.h>

struct quote_case {
    const char *in;
    size_t len;
    const char *want;
};

#define IN(lit) lit, sizeof(lit) - 1 /* the literal's bytes, NULs included */

static const struct quote_case quotes[] = {
    { IN(""), "\"\"" },
    { IN("plain"), "\"plain\"" },
    { IN("say \"hi\""), "\"say \\\"hi\\\"\"" },
    { IN("C:\\path"), "\"C:\\\\path\"" },
    { IN("a/b"), "\"a/b\"" }, /* the solidus stays, as jansson leaves it */
    { IN("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"" },
    { IN("\x01\x1f"), "\"\\u0001\\u001F\"" },
    { IN("nul\0in"), "\"nul\\u0000in\"" },
    { IN("\x7f"), "\"\x7f\"" },
    { IN("Erika Mustermann, M\xc3\xbcnchen \xe2\x82\xac \xf0\x9f\x98\x80"),
      "\"Erika Mustermann, M\xc3\xbcnchen \xe2\x82\xac \xf0\x9f\x98\x80\"" },
};

static void test_quote_table(void **state)
{
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(quotes); i++) {
        struct gr_buf b;

        gr_buf_init(&b, GR_BUF_UNBOUNDED);
        gr_buf_add_json_string(&b, (struct gr_str){ quotes[i].in, quotes[i].len });
        assert_int_equal(gr_buf_check(&b, &err), 0);
        assert_string_equal(b.data, quotes[i].want);
        gr_buf_release(&b);
    }
}

/* Every ASCII character, alone and inside text, as jansson writes it. */
static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    for (int c = 0; c < 0x80; c++) {
        char text[] = { 'x', (char)c, 'y' };
        json_t *s = json_stringn(text, sizeof(text));
        char *want = json_dumps(s, JSON_ENCODE_ANY);
        struct gr_buf b;

        assert_non_null(want);
        gr_buf_init(&b, GR_BUF_UNBOUNDED);
        gr_buf_add_json_string(&b, (struct gr_str){ text, sizeof(text) });
        assert_string_equal(b.data, want);
        gr_buf_release(&b);
        free(want);
        json_decref(s);
    }
}

/* Passing the cap fails the buffer, reported by gr_buf_check(), like every gr_buf append. */
static void test_cap(void **state)
{
    struct gr_buf b;
    struct gr_err err;

    (void)state;
    gr_buf_init(&b, 8);
    gr_buf_add_json_string(&b, GR_STR("abc\n"));
    assert_int_equal(gr_buf_check(&b, &err), 0);
    assert_string_equal(b.data, "\"abc\\n\"");
    gr_buf_add_json_string(&b, GR_STR("more"));
    assert_int_equal(gr_buf_check(&b, &err), -1);
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    gr_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

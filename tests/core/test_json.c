/* The JSON reader's limits and the writer's exact output. */
#include "testutil.h"

#include <string.h>

#include "core/internal.h"

static void dump(const char *in, bool spaced, const char *want)
{
    struct gr_err err;
    struct gr_buf out;
    json_t *v = gr__json_parse(gr_str_c(in), 4096, -1, "The test value", &err);

    if (v == NULL)
        fail_msg("parse %s: %s", in, err.desc);
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr__json_dump(v, spaced, &out);
    assert_string_equal(out.data, want);
    gr_buf_release(&out);
    json_decref(v);
}

static void test_dump(void **state)
{
    (void)state;
    dump("{\"a\":[1,true,null],\"b\":{\"c\":\"d\"}}", false,
         "{\"a\":[1,true,null],\"b\":{\"c\":\"d\"}}");
    dump("{\"a\":[1,true,null],\"b\":{\"c\":\"d\"}}", true,
         "{\"a\": [1, true, null], \"b\": {\"c\": \"d\"}}");
    /* Members keep their order; UTF-8 stays as it is; controls are escaped. */
    dump("{\"z\":1,\"\xc3\xa4\":\"M\xc3\xb6\",\"a\":\"\\u0001\\n\\\"\\\\/\"}", false,
         "{\"z\":1,\"\xc3\xa4\":\"M\xc3\xb6\",\"a\":\"\\u0001\\n\\\"\\\\/\"}");
    /* Reals: the shortest form that reads back the same, still a real. */
    dump("[0.1,1.68,1E+2,-2.5e-7,123456789012345680000.0]", false,
         "[0.1,1.68,100.0,-2.5e-07,1.2345678901234568e+20]");
    dump("[-9223372036854775808,9223372036854775807]", false,
         "[-9223372036854775808,9223372036854775807]");
}

static void test_limits(void **state)
{
    struct gr_err err;
    char deep[64];

    (void)state;
    memset(deep, '[', 17);
    memset(deep + 17, ']', 17);
    deep[34] = '\0';
    assert_null(gr__json_parse(gr_str_c(deep), 4096, -1, "The value", &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    deep[16] = ']'; /* 16 levels: allowed */
    deep[33] = '\0';
    {
        json_t *v = gr__json_parse((struct gr_str){ deep + 0, 32 }, 4096, -1, "The value", &err);

        assert_non_null(v);
        json_decref(v);
    }
    /* Brackets inside strings do not count. */
    {
        json_t *v = gr__json_parse(GR_STR("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[\"}"), 4096, JSON_OBJECT,
                                   "The value", &err);

        assert_non_null(v);
        json_decref(v);
    }
    assert_null(gr__json_parse(GR_STR("{\"a\":1,\"a\":2}"), 4096, -1, "The value", &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_null(gr__json_parse(GR_STR("[1]"), 4096, JSON_OBJECT, "The value", &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_string_equal(err.desc, "The value is not a JSON object.");
    assert_null(gr__json_parse(GR_STR("{\"a\":\"\\u0000\"}"), 4096, -1, "The value", &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_null(gr__json_parse(GR_STR("[1,2,3]"), 4, -1, "The value", &err));
    assert_code(err.code, GR_ERR_TOO_LARGE);
    assert_null(gr__json_parse(GR_STR("[99999999999999999999]"), 4096, -1, "The value", &err));
    assert_code(err.code, GR_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

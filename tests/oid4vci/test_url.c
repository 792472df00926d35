#include "testutil.h"

#include <string.h>

#include "oid4vci/internal.h"

/* Normalize `in`; the result in `out`, or the code. */
static enum gr_errc norm(const char *in, size_t len, struct gr_buf *out)
{
    struct gr_err err;

    gr_buf_reset(out);
    return t_code(gr__url_normalize((struct gr_str){ in, len }, out, &err), &err);
}

static void test_normal_forms(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "https://server.example.com/token", "https://server.example.com/token" },
        /* §6.2.2.1: case of scheme and host; paths keep theirs */
        { "HTTPS://Server.EXAMPLE.com/Token", "https://server.example.com/Token" },
        { "hTtP://EXAMPLE.com", "http://example.com/" },
        /* §6.2.3: default ports, empty port, empty path */
        { "https://example.com:443/a", "https://example.com/a" },
        { "http://example.com:80/a", "http://example.com/a" },
        { "https://example.com:80/a", "https://example.com:80/a" },
        { "http://example.com:443/a", "http://example.com:443/a" },
        { "https://example.com:8443", "https://example.com:8443/" },
        { "https://example.com:/a", "https://example.com/a" },
        { "https://example.com:", "https://example.com/" },
        { "https://example.com:0443/", "https://example.com/" },
        { "https://example.com:08443/", "https://example.com:8443/" },
        { "https://example.com:65535/", "https://example.com:65535/" },
        { "https://example.com", "https://example.com/" },
        /* §6.2.2.1, §6.2.2.2: percent-encodings */
        { "https://example.com/%7euser", "https://example.com/~user" },
        { "https://example.com/%41%62%2D%2e%5F%7E%30", "https://example.com/Ab-._~0" },
        { "https://example.com/a%2fb", "https://example.com/a%2Fb" },
        { "https://example.com/a%2Fb", "https://example.com/a%2Fb" },
        { "https://example.com/%e2%82%ac", "https://example.com/%E2%82%AC" },
        { "https://example.com/%00", "https://example.com/%00" },
        { "https://ex%41mple.com/", "https://example.com/" },
        { "https://ex%c3%a9mple.com/", "https://ex%C3%A9mple.com/" },
        /* §6.2.2.3, §5.2.4: dot-segments */
        { "https://example.com/a/b/c/./../../g", "https://example.com/a/g" },
        { "https://example.com/mid/content=5/../6", "https://example.com/mid/6" },
        { "https://example.com/..", "https://example.com/" },
        { "https://example.com/../../a", "https://example.com/a" },
        { "https://example.com/.", "https://example.com/" },
        { "https://example.com/a/.", "https://example.com/a/" },
        { "https://example.com/a/..", "https://example.com/" },
        { "https://example.com/a/b/..", "https://example.com/a/" },
        { "https://example.com/a/./b", "https://example.com/a/b" },
        { "https://example.com/a//../b", "https://example.com/a/b" },
        { "https://example.com/a//b", "https://example.com/a//b" },
        { "https://example.com/a/%2E%2e/b", "https://example.com/b" },
        { "https://example.com/a/.b/..c/...", "https://example.com/a/.b/..c/..." },
        { "https://example.com/a/", "https://example.com/a/" },
        /* query and fragment are kept, normalized; the path before them too */
        { "https://example.com?x=1", "https://example.com/?x=1" },
        { "https://example.com/a/../b?x=%7e&y=%2f#F%61g", "https://example.com/b?x=~&y=%2F#Fag" },
        { "https://example.com/#", "https://example.com/#" },
        { "https://example.com/?", "https://example.com/?" },
        { "https://example.com/?a?b/c:d@e", "https://example.com/?a?b/c:d@e" },
        /* characters RFC 3986 allows in a path */
        { "https://example.com/a:b@c!$&'()*+,;=", "https://example.com/a:b@c!$&'()*+,;=" },
        { "https://a-b.c_d~e!$&'()*+,;=/", "https://a-b.c_d~e!$&'()*+,;=/" },
        /* hosts */
        { "https://127.0.0.1:8080/x", "https://127.0.0.1:8080/x" },
        { "https://[::1]/x", "https://[::1]/x" },
        { "https://[2001:DB8::A]:443/x", "https://[2001:db8::a]/x" },
        { "https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443/" },
        { "https://[::ffff:192.0.2.1]/", "https://[::ffff:192.0.2.1]/" },
    };
    struct gr_buf out, again;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_init(&again, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        enum gr_errc got = norm(cases[i].in, strlen(cases[i].in), &out);

        if (got != GR_ERR_OK)
            fail_msg("case %zu (%s): %s", i, cases[i].in, gr_errc_name(got));
        if (strcmp(out.data, cases[i].want) != 0)
            fail_msg("case %zu (%s): %s, expected %s", i, cases[i].in, out.data, cases[i].want);
        /* The normal form is its own normal form. */
        assert_code(norm(out.data, out.len, &again), GR_ERR_OK);
        assert_string_equal(again.data, out.data);
    }
    gr_buf_release(&out);
    gr_buf_release(&again);
}

static void test_rejects(void **state)
{
    static const struct {
        const char *in;
        enum gr_errc code;
    } cases[] = {
        { "", GR_ERR_MALFORMED },
        { "https", GR_ERR_MALFORMED },
        { "https:", GR_ERR_MALFORMED },
        { "https:/", GR_ERR_MALFORMED },
        { "https://", GR_ERR_MALFORMED },
        { "https:///path", GR_ERR_MALFORMED },
        { "https://:443/path", GR_ERR_MALFORMED },
        { "https:example.com/path", GR_ERR_MALFORMED },
        { "/token", GR_ERR_MALFORMED },
        { "//example.com/token", GR_ERR_MALFORMED },
        { "example.com/token", GR_ERR_MALFORMED },
        { "ftp://example.com/", GR_ERR_MALFORMED },
        { "httpss://example.com/", GR_ERR_MALFORMED },
        { "htt://example.com/", GR_ERR_MALFORMED },
        { "http+s://example.com/", GR_ERR_MALFORMED },
        { "urn:example:a", GR_ERR_MALFORMED },
        { " https://example.com/", GR_ERR_MALFORMED },
        /* userinfo */
        { "https://user@example.com/", GR_ERR_MALFORMED },
        { "https://user:pass@example.com/", GR_ERR_MALFORMED },
        { "https://@example.com/", GR_ERR_MALFORMED },
        /* ports */
        { "https://example.com:0/", GR_ERR_MALFORMED },
        { "https://example.com:65536/", GR_ERR_MALFORMED },
        { "https://example.com:99999999999999999999/", GR_ERR_MALFORMED },
        { "https://example.com:-1/", GR_ERR_MALFORMED },
        { "https://example.com:44a/", GR_ERR_MALFORMED },
        { "https://example.com:443:443/", GR_ERR_MALFORMED },
        /* percent-encodings */
        { "https://example.com/%", GR_ERR_MALFORMED },
        { "https://example.com/%4", GR_ERR_MALFORMED },
        { "https://example.com/%4g", GR_ERR_MALFORMED },
        { "https://example.com/%g4", GR_ERR_MALFORMED },
        { "https://example.com/a?%", GR_ERR_MALFORMED },
        { "https://example.com/a#%zz", GR_ERR_MALFORMED },
        { "https://ex%2.com/", GR_ERR_MALFORMED },
        /* characters that are not allowed */
        { "https://example.com/a b", GR_ERR_MALFORMED },
        { "https://example.com/a\"b", GR_ERR_MALFORMED },
        { "https://example.com/a<b>", GR_ERR_MALFORMED },
        { "https://example.com/a\\b", GR_ERR_MALFORMED },
        { "https://example.com/a^b", GR_ERR_MALFORMED },
        { "https://example.com/a`b", GR_ERR_MALFORMED },
        { "https://example.com/a{b}", GR_ERR_MALFORMED },
        { "https://example.com/a|b", GR_ERR_MALFORMED },
        { "https://example.com/a\nb", GR_ERR_MALFORMED },
        { "https://example.com/a\x7f", GR_ERR_MALFORMED },
        { "https://example.com/\xc3\xa9", GR_ERR_MALFORMED },
        { "https://example.com/a#b#c", GR_ERR_MALFORMED },
        { "https://exa mple.com/", GR_ERR_MALFORMED },
        { "https://example.com\\@evil.com/", GR_ERR_MALFORMED },
        { "https://ex[ample.com/", GR_ERR_MALFORMED },
        /* IP literals */
        { "https://[::1/", GR_ERR_MALFORMED },
        { "https://[]/", GR_ERR_MALFORMED },
        { "https://[127.0.0.1]/", GR_ERR_MALFORMED },
        { "https://[::1]x/", GR_ERR_MALFORMED },
        { "https://[::1]:/", GR_ERR_OK },
        { "https://[fe80::1%25eth0]/", GR_ERR_MALFORMED },
        { "https://[v1.fe80::a+en1]/", GR_ERR_MALFORMED },
        { "https://[::g]/", GR_ERR_MALFORMED },
    };
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        enum gr_errc got;

        gr_buf_reset(&out);
        gr_buf_adds(&out, "keep");
        got = norm(cases[i].in, strlen(cases[i].in), &out);
        if (got != cases[i].code)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].code));
    }
    /* A NUL is a character like any other that is not allowed. */
    assert_code(norm("https://example.com/a\0b", 23, &out), GR_ERR_MALFORMED);
    assert_code(norm("https://exa\0mple.com/", 21, &out), GR_ERR_MALFORMED);
    gr_buf_release(&out);
}

/* Failure leaves `out` as it was; success appends. */
static void test_appends(void **state)
{
    struct gr_buf out;
    struct gr_err err;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_adds(&out, "keep ");
    assert_int_equal(gr__url_normalize(GR_STR("https://example.com/a b"), &out, &err), -1);
    assert_string_equal(out.data, "keep ");
    assert_non_null(strstr(err.desc, "not allowed"));
    assert_int_equal(gr__url_normalize(GR_STR("HTTPS://X.Y"), &out, &err), 0);
    assert_string_equal(out.data, "keep https://x.y/");
    gr_buf_release(&out);
}

static void test_length_cap(void **state)
{
    struct gr_buf in, out;

    (void)state;
    gr_buf_init(&in, GR_BUF_UNBOUNDED);
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_adds(&in, "https://example.com/");
    while (in.len < GR__URL_MAX) {
        gr_buf_addc(&in, 'a');
    }
    assert_code(norm(in.data, in.len, &out), GR_ERR_OK);
    assert_int_equal(out.len, GR__URL_MAX);
    gr_buf_addc(&in, 'a');
    assert_code(norm(in.data, in.len, &out), GR_ERR_TOO_LARGE);
    /* The longest growth: an empty path becomes "/". */
    gr_buf_reset(&in);
    gr_buf_adds(&in, "https://");
    while (in.len < GR__URL_MAX) {
        gr_buf_addc(&in, 'h');
    }
    assert_code(norm(in.data, in.len, &out), GR_ERR_OK);
    assert_int_equal(out.len, GR__URL_MAX + 1);
    gr_buf_release(&in);
    gr_buf_release(&out);
}

/* Equal after normalization: the comparisons RFC 9449 §4.3 step 9 asks for. */
static void test_equivalent(void **state)
{
    static const char *const same[][2] = {
        { "https://server.example.com/token", "HTTPS://SERVER.EXAMPLE.COM:443/token" },
        { "https://server.example.com/token", "https://server.example.com/./token" },
        { "https://server.example.com/token", "https://server.example.com/x/../%74oken" },
        { "https://server.example.com/", "https://server.example.com" },
    };
    struct gr_buf a, b;

    (void)state;
    gr_buf_init(&a, GR_BUF_UNBOUNDED);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(same); i++) {
        assert_code(norm(same[i][0], strlen(same[i][0]), &a), GR_ERR_OK);
        assert_code(norm(same[i][1], strlen(same[i][1]), &b), GR_ERR_OK);
        assert_string_equal(a.data, b.data);
    }
    /* The path is case-sensitive. */
    assert_code(norm("https://x.y/Token", 17, &a), GR_ERR_OK);
    assert_code(norm("https://x.y/token", 17, &b), GR_ERR_OK);
    assert_string_not_equal(a.data, b.data);
    gr_buf_release(&a);
    gr_buf_release(&b);
}

static void test_strip_query(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "https://x.y/a?b#c", "https://x.y/a" },
        { "https://x.y/a#c?d", "https://x.y/a" },
        { "https://x.y?b", "https://x.y" },
        { "https://x.y/a", "https://x.y/a" },
        { "", "" },
        { "?", "" },
    };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_str got = gr__url_strip_query(gr_str_c(cases[i].in));

        assert_ptr_equal(got.p, cases[i].in);
        assert_true(gr_str_eq_c(got, cases[i].want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_forms), cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_appends),      cmocka_unit_test(test_length_cap),
        cmocka_unit_test(test_equivalent),   cmocka_unit_test(test_strip_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

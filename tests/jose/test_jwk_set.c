/*
 * gr_jwk_parse_set: one key out of a JWK Set, by kid, as a verifier picks the
 * issuer's key (`gramota credential verify --key`). Only the installed headers
 * are used here, as a library user would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gramota/gramota.h>

#define NO_KID ((struct gr_str){ NULL, 0 })

/* An RSA key beside ours: never read unless picked. */
#define RSA_KEY "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"0vx7agoebGcQSuu\",\"e\":\"AQAB\"}"

struct keys {
    struct gr_jwk *a, *b;
    char a_json[512], b_json[512], b_private[512];
};

/* The key's JWK with `"kid":KID` added (none for NULL). */
static void jwk_text(const struct gr_jwk *k, bool with_private, const char *kid, char *out,
                     size_t size)
{
    struct gr_buf b;

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(k, with_private, &b);
    b.data[--b.len] = '\0'; /* drop the closing brace */
    if (kid)
        gr_buf_printf(&b, ",\"kid\":\"%s\"", kid);
    gr_buf_addc(&b, '}');
    assert_true(b.len < size);
    memcpy(out, b.data, b.len + 1);
    gr_buf_release(&b);
}

static int setup(void **state)
{
    struct keys *k = calloc(1, sizeof(*k));
    struct gr_err err;

    assert_non_null(k->a = gr_jwk_generate(&err));
    assert_non_null(k->b = gr_jwk_generate(&err));
    jwk_text(k->a, false, "a", k->a_json, sizeof(k->a_json));
    jwk_text(k->b, false, "b", k->b_json, sizeof(k->b_json));
    jwk_text(k->b, true, "b", k->b_private, sizeof(k->b_private));
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    struct keys *k = *state;

    gr_jwk_free(k->a);
    gr_jwk_free(k->b);
    free(k);
    return 0;
}

/* Parse the set `{"keys":[...]}` made of `members` and pick `kid`. */
static struct gr_jwk *pick(const char *members, struct gr_str kid, enum gr_jwk_want want,
                           struct gr_err *err)
{
    struct gr_buf set;
    struct gr_jwk *key;

    gr_buf_init(&set, GR_BUF_UNBOUNDED);
    gr_buf_printf(&set, "{\"keys\":[%s]}", members);
    key = gr_jwk_parse_set(gr_buf_str(&set), kid, want, err);
    gr_buf_release(&set);
    return key;
}

static void test_by_kid(void **state)
{
    struct keys *k = *state;
    char members[1200];
    struct gr_jwk *got;
    struct gr_err err;

    snprintf(members, sizeof(members), "%s,%s,%s", RSA_KEY, k->a_json, k->b_json);
    assert_non_null(got = pick(members, GR_STR("b"), GR_JWK_PUBLIC, &err));
    assert_true(gr_jwk_equal(got, k->b));
    assert_false(gr_jwk_is_private(got));
    gr_jwk_free(got);
    assert_non_null(got = pick(members, GR_STR("a"), GR_JWK_ANY, &err));
    assert_true(gr_jwk_equal(got, k->a));
    gr_jwk_free(got);
}

/* A set of one answers whatever the kid; so does a lone JWK. */
static void test_only_key(void **state)
{
    struct keys *k = *state;
    struct gr_jwk *got;
    struct gr_err err;

    assert_non_null(got = pick(k->a_json, GR_STR("other"), GR_JWK_ANY, &err));
    assert_true(gr_jwk_equal(got, k->a));
    gr_jwk_free(got);
    assert_non_null(got = pick(k->a_json, NO_KID, GR_JWK_ANY, &err));
    gr_jwk_free(got);
    assert_non_null(got = gr_jwk_parse_set(gr_str_c(k->b_json), GR_STR("x"), GR_JWK_ANY, &err));
    assert_true(gr_jwk_equal(got, k->b));
    gr_jwk_free(got);
}

static void test_private(void **state)
{
    struct keys *k = *state;
    char members[1200];
    struct gr_jwk *got;
    struct gr_err err;

    snprintf(members, sizeof(members), "%s,%s", k->a_json, k->b_private);
    assert_non_null(got = pick(members, GR_STR("b"), GR_JWK_PRIVATE, &err));
    assert_true(gr_jwk_is_private(got));
    gr_jwk_free(got);
    assert_null(pick(members, GR_STR("b"), GR_JWK_PUBLIC, &err));
    assert_int_equal(err.code, GR_ERR_BAD_KEY);
    assert_non_null(got = pick(members, GR_STR("a"), GR_JWK_PUBLIC, &err)); /* not b: fine */
    gr_jwk_free(got);
}

struct refusal {
    const char *what;
    const char *text; /* @KEYS stands for the two public keys a and b */
    const char *kid;  /* NULL: no kid */
    enum gr_errc want;
};

static const struct refusal refusals[] = {
    { "no key has the kid", "{\"keys\":[@KEYS]}", "zz", GR_ERR_NOT_FOUND },
    { "no kid, two keys", "{\"keys\":[@KEYS]}", NULL, GR_ERR_NOT_FOUND },
    { "an empty set", "{\"keys\":[]}", "a", GR_ERR_NOT_FOUND },
    { "the kid picks an RSA key", "{\"keys\":[@KEYS," RSA_KEY "]}", "rsa", GR_ERR_BAD_KEY },
    { "the only key is RSA", "{\"keys\":[" RSA_KEY "]}", "a", GR_ERR_BAD_KEY },
    { "not JSON", "{\"keys\":[", "a", GR_ERR_MALFORMED },
    { "an array", "[@KEYS]", "a", GR_ERR_MALFORMED },
    { "duplicate members", "{\"keys\":[@KEYS],\"keys\":[]}", "a", GR_ERR_MALFORMED },
    { "a lone object that is no key", "{\"keys\":{}}", "a", GR_ERR_BAD_KEY },
};

static void test_refusals(void **state)
{
    struct keys *k = *state;

    for (size_t i = 0; i < GR_NELEM(refusals); i++) {
        const struct refusal *r = &refusals[i];
        const char *ab = strstr(r->text, "@KEYS");
        struct gr_buf text;
        struct gr_err err;

        gr_buf_init(&text, GR_BUF_UNBOUNDED);
        if (ab)
            gr_buf_printf(&text, "%.*s%s,%s%s", (int)(ab - r->text), r->text, k->a_json, k->b_json,
                          ab + 5);
        else
            gr_buf_adds(&text, r->text);
        print_message("%s\n", r->what);
        assert_null(gr_jwk_parse_set(gr_buf_str(&text), r->kid ? gr_str_c(r->kid) : NO_KID,
                                     GR_JWK_ANY, &err));
        assert_int_equal(err.code, r->want);
        gr_buf_release(&text);
    }
}

/* Kid-less keys are not matched by an empty kid. */
static void test_empty_kid(void **state)
{
    struct keys *k = *state;
    char a[512], b[512], members[1100];
    struct gr_err err;

    jwk_text(k->a, false, NULL, a, sizeof(a));
    jwk_text(k->b, false, NULL, b, sizeof(b));
    snprintf(members, sizeof(members), "%s,%s", a, b);
    assert_null(pick(members, GR_STR(""), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_NOT_FOUND);
}

static void test_too_large(void **state)
{
    size_t len = GR_MAX_PEM_LEN + 1;
    char *p = malloc(len);
    struct gr_err err;

    (void)state;
    memset(p, ' ', len);
    memcpy(p, "{\"keys\":[]}", 11);
    assert_null(gr_jwk_parse_set((struct gr_str){ p, len }, GR_STR("a"), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    assert_null(gr_jwk_parse_set((struct gr_str){ p, len - 1 }, GR_STR("a"), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_NOT_FOUND);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_kid),    cmocka_unit_test(test_only_key),
        cmocka_unit_test(test_private),   cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_empty_kid), cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * gramota/limits.h: the ceilings a caller sizes its buffers to are the ones
 * the library refuses past, exactly at the boundary. Only the installed
 * headers are used here, as a library user would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gramota/gramota.h>

/* `len` bytes of `fill`: never a valid input, so that only the length decides TOO_LARGE. */
static struct gr_str filled(char *p, size_t len, char fill)
{
    memset(p, fill, len);
    return (struct gr_str){ p, len };
}

static void test_pem_ceiling(void **state)
{
    char *p = malloc(GR_MAX_PEM_LEN + 1);
    struct gr_err err;

    (void)state;
    assert_null(gr_jwk_parse_pem(filled(p, GR_MAX_PEM_LEN, 'A'), GR_JWK_ANY, &err));
    assert_int_not_equal(err.code, GR_ERR_TOO_LARGE);
    assert_null(gr_jwk_parse_pem(filled(p, GR_MAX_PEM_LEN + 1, 'A'), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    free(p);
}

static void test_jwk_ceiling(void **state)
{
    char *p = malloc(GR_MAX_JWK_LEN + 1);
    struct gr_err err;

    (void)state;
    assert_null(gr_jwk_parse(filled(p, GR_MAX_JWK_LEN, ' '), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_MALFORMED);
    assert_null(gr_jwk_parse(filled(p, GR_MAX_JWK_LEN + 1, ' '), GR_JWK_ANY, &err));
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    free(p);
}

static void test_sdjwt_ceiling(void **state)
{
    char *p = malloc(GR_MAX_SDJWT_LEN + 1);
    struct gr_sdjwt_vc_verify_opts o = { .now = 1700000000 };
    struct gr_sdjwt_vc_verified v;
    struct gr_jwk *key = NULL;
    struct gr_err err;

    (void)state;
    assert_non_null(key = gr_jwk_generate(&err));
    gr_sdjwt_vc_verified_init(&v);
    assert_int_equal(gr_sdjwt_vc_verify(filled(p, GR_MAX_SDJWT_LEN, 'a'), key, &o, &v, &err), -1);
    assert_int_not_equal(err.code, GR_ERR_TOO_LARGE);
    gr_sdjwt_vc_verified_release(&v);
    gr_sdjwt_vc_verified_init(&v);
    assert_int_equal(gr_sdjwt_vc_verify(filled(p, GR_MAX_SDJWT_LEN + 1, 'a'), key, &o, &v, &err),
                     -1);
    assert_int_equal(err.code, GR_ERR_TOO_LARGE);
    gr_sdjwt_vc_verified_release(&v);
    gr_jwk_free(key);
    free(p);
}

/* The sizes a caller may rely on when it sizes its own buffers. */
static void test_ordering(void **state)
{
    (void)state;
    assert_true(GR_MAX_JWS_LEN <= GR_MAX_BODY);
    assert_true(GR_MAX_CLAIMS_LEN <= GR_MAX_BODY);
    assert_true(GR_MAX_SDJWT_PAYLOAD <= GR_MAX_SDJWT_LEN);
    assert_true(GR_MAX_JWK_LEN <= GR_MAX_PEM_LEN);
    assert_true(GR_MAX_JSON_DEPTH > 0 && GR_MAX_BATCH > 0 && GR_MAX_SD_PATHS > 0);
    assert_true(GR_MAX_DISCLOSURE <= GR_MAX_SDJWT_LEN && GR_MAX_DISCLOSURES > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_ceiling),
        cmocka_unit_test(test_jwk_ceiling),
        cmocka_unit_test(test_sdjwt_ceiling),
        cmocka_unit_test(test_ordering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

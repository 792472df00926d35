/*
 * status.h through the installed headers only, on the published vectors of
 * SPECS.md §1 (T9, T10): the list, its encoding, the signed token and the
 * random index (see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>

#define T9_LST  "eNrbuRgAAhcBXQ"
#define T10_LST "eNo76fITAAPfAgc"
#define URI     "https://issuer.example.com/status/1"
#define IAT     1700000000

static const unsigned t9[16] = { 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1 };
static const unsigned t10[12] = { 1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3 };

static struct gr_status_list *list_of(unsigned bits, const unsigned *v, size_t n)
{
    struct gr_err err;
    struct gr_status_list *l = gr_status_list_new(bits, n, &err);

    assert_non_null(l);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gr_status_list_set(l, i, v[i], &err), 0);
    return l;
}

static void test_list_and_vectors(void **state)
{
    struct gr_status_list *l = list_of(1, t9, 16), *l2 = list_of(2, t10, 12), *back;
    struct gr_buf lst;
    struct gr_err err;
    const uint8_t *bytes;
    size_t len;

    (void)state;
    assert_int_equal(gr_status_list_bits(l), 1);
    assert_int_equal(gr_status_list_size(l), 16);
    bytes = gr_status_list_bytes(l, &len);
    assert_int_equal(len, 2);
    assert_int_equal(bytes[0], 0xb9); /* T9: packed from the least significant bit */
    assert_int_equal(bytes[1], 0xa3);
    bytes = gr_status_list_bytes(l2, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "\xc9\x44\xf9", 3); /* T10 */

    gr_buf_init(&lst, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_status_list_encode(l, GR_STATUS_ZLIB_BEST, &lst, &err), 0);
    assert_string_equal(lst.data, T9_LST);
    gr_buf_reset(&lst);
    assert_int_equal(gr_status_list_encode(l2, GR_STATUS_ZLIB_BEST, &lst, &err), 0);
    assert_string_equal(lst.data, T10_LST);
    gr_buf_reset(&lst);
    assert_int_equal(gr_status_list_encode(l2, GR_STATUS_ZLIB_RLE, &lst, &err), 0);
    back = gr_status_list_decode(2, gr_buf_str(&lst), 12, &err); /* other bytes, same list */
    assert_non_null(back);
    bytes = gr_status_list_bytes(back, &len);
    assert_memory_equal(bytes, "\xc9\x44\xf9", 3);
    gr_status_list_free(back);
    gr_buf_release(&lst);

    assert_int_equal(gr_status_list_get(l, 0), GR_STATUS_INVALID);
    assert_int_equal(gr_status_list_get(l, 1), GR_STATUS_VALID);
    assert_int_equal(gr_status_list_get(l2, 1), GR_STATUS_SUSPENDED);
    assert_int_equal(gr_status_list_get(l2, 3), 3);
    assert_int_equal(gr_status_list_get(l, 16), GR_STATUS_NONE); /* past the end */

    assert_code(t_code(gr_status_list_set(l, 16, 1, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_status_list_set(l, 0, 2, &err), &err), GR_ERR_USAGE); /* 2 > 1 bit */
    assert_int_equal(gr_status_list_get(l, 0), 1);                              /* unchanged */
    gr_status_list_free(l);
    gr_status_list_free(l2);
    gr_status_list_free(NULL);
}

static void test_new_refusals(void **state)
{
    static const struct {
        unsigned bits;
        size_t size;
    } bad[] = {
        { 3, 8 }, { 0, 8 }, { 16, 8 }, { 1, 0 }, { 1, 12 }, { 2, 6 }, { 1, GR_STATUS_MAX_SIZE + 8 }
    };
    struct gr_err err;
    struct gr_status_list *l;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        assert_null(gr_status_list_new(bad[i].bits, bad[i].size, &err));
        assert_code(err.code, GR_ERR_USAGE);
    }
    l = gr_status_list_new(8, 4, &err); /* a fresh list is all VALID */
    assert_non_null(l);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(gr_status_list_get(l, i), GR_STATUS_VALID);
    gr_status_list_free(l);
}

static void test_new_bytes_and_decode(void **state)
{
    struct gr_status_list *l;
    struct gr_err err;
    const uint8_t raw[2] = { 0xb9, 0xa3 };
    const uint8_t *bytes;
    size_t len;

    (void)state;
    l = gr_status_list_new_bytes(1, raw, sizeof(raw), &err);
    assert_non_null(l);
    assert_int_equal(gr_status_list_size(l), 16);
    for (size_t i = 0; i < 16; i++)
        assert_int_equal(gr_status_list_get(l, i), t9[i]);
    assert_ptr_not_equal(gr_status_list_bytes(l, &len), raw); /* a copy */
    gr_status_list_free(l);
    l = gr_status_list_new_bytes(4, raw, sizeof(raw), &err); /* the same bytes, 4 bits each */
    assert_non_null(l);
    assert_int_equal(gr_status_list_size(l), 4);
    assert_int_equal(gr_status_list_get(l, 0), 0x9);
    assert_int_equal(gr_status_list_get(l, 1), 0xb);
    gr_status_list_free(l);
    assert_null(gr_status_list_new_bytes(1, raw, 0, &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_null(gr_status_list_new_bytes(5, raw, sizeof(raw), &err));
    assert_code(err.code, GR_ERR_USAGE);

    l = gr_status_list_decode(2, GR_STR(T10_LST), 1024, &err);
    assert_non_null(l);
    assert_int_equal(gr_status_list_size(l), 12);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(gr_status_list_get(l, i), t10[i]);
    bytes = gr_status_list_bytes(l, &len);
    assert_memory_equal(bytes, "\xc9\x44\xf9", 3);
    gr_status_list_free(l);

    assert_null(gr_status_list_decode(2, GR_STR(T10_LST), 8, &err)); /* 12 entries > 8 */
    assert_code(err.code, GR_ERR_TOO_LARGE);
    assert_null(gr_status_list_decode(2, GR_STR("eNo76fITAAPfAgd"), 1024, &err)); /* checksum */
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_null(gr_status_list_decode(2, GR_STR("not+base64url"), 1024, &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_null(gr_status_list_decode(3, GR_STR(T10_LST), 1024, &err));
    assert_code(err.code, GR_ERR_USAGE);
}

static void test_token(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_jwk *stranger = t_keygen();
    struct gr_status_list *l = list_of(1, t9, 16), *back = NULL;
    struct gr_buf tok, part;
    struct gr_err err;
    struct gr_str p[3];

    (void)state;
    gr_buf_init(&tok, GR_BUF_UNBOUNDED);
    gr_buf_init(&part, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_status_list_token(l, GR_STR(URI), GR_STR("https://issuer.example.com"), IAT,
                                          IAT + 86400, 43200, s, &tok, &err),
                     0);
    assert_int_equal(gr_jws_split(gr_buf_str(&tok), p, &err), 0);
    assert_int_equal(gr_b64url_decode_buf(p[0], &part, &err), 0);
    assert_non_null(strstr(part.data, "\"typ\":\"statuslist+jwt\""));
    gr_buf_reset(&part);
    assert_int_equal(gr_b64url_decode_buf(p[1], &part, &err), 0);
    assert_non_null(strstr(part.data, "\"sub\":\"" URI "\""));
    assert_non_null(strstr(part.data, "\"ttl\":43200"));
    assert_non_null(strstr(part.data, "\"bits\":1"));

    assert_int_equal(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s), GR_STR(URI),
                                                 IAT + 60, &back, &err),
                     0);
    assert_non_null(back);
    for (size_t i = 0; i < 16; i++)
        assert_int_equal(gr_status_list_get(back, i), t9[i]);
    gr_status_list_free(back);
    back = NULL;
    assert_int_equal(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s),
                                                 (struct gr_str){ NULL, 0 }, IAT + 60, &back, &err),
                     0); /* no expected sub: not compared */
    gr_status_list_free(back);
    back = NULL;

    assert_code(t_code(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s),
                                                   GR_STR(URI "0"), IAT + 60, &back, &err),
                       &err),
                GR_ERR_BAD_CLAIM);
    assert_code(t_code(gr_status_list_token_verify(gr_buf_str(&tok), stranger, GR_STR(URI),
                                                   IAT + 60, &back, &err),
                       &err),
                GR_ERR_BAD_SIGNATURE);
    assert_code(t_code(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s), GR_STR(URI),
                                                   IAT + 2 * 86400, &back, &err),
                       &err),
                GR_ERR_EXPIRED);
    assert_code(t_code(gr_status_list_token_verify(GR_STR("a.b.c"), gr_signer_jwk(s), GR_STR(URI),
                                                   IAT, &back, &err),
                       &err),
                GR_ERR_MALFORMED);
    assert_null(back);

    gr_buf_reset(&tok);
    assert_code(
        t_code(gr_status_list_token(l, GR_STR(""), GR_STR(""), IAT, 0, 0, s, &tok, &err), &err),
        GR_ERR_USAGE); /* no uri */
    assert_code(
        t_code(gr_status_list_token(l, GR_STR(URI), GR_STR(""), IAT, 0, -1, s, &tok, &err), &err),
        GR_ERR_USAGE); /* ttl < 0 */

    gr_buf_release(&part);
    gr_buf_release(&tok);
    gr_status_list_free(l);
    gr_jwk_free(stranger);
    gr_signer_free(s);
}

static void test_index_pick(void **state)
{
    uint8_t used[4];
    size_t idx, seen[32] = { 0 };
    struct gr_err err;

    (void)state;
    memset(used, 0xff, sizeof(used));
    used[2] = 0xff & ~(1u << 5); /* index 21 is the one free entry */
    assert_int_equal(gr_status_index_pick(used, 32, &idx, &err), 0);
    assert_int_equal(idx, 21);

    used[2] = 0xff;
    assert_code(t_code(gr_status_index_pick(used, 32, &idx, &err), &err), GR_ERR_CONFLICT);
    assert_int_equal(gr_status_index_pick(used, 24, &idx, &err) < 0, 1); /* still full */
    used[3] = 0x7f; /* index 31 free, but past `size` = 24: bits past size are ignored */
    assert_code(t_code(gr_status_index_pick(used, 24, &idx, &err), &err), GR_ERR_CONFLICT);

    memset(used, 0, sizeof(used)); /* all free: the picks spread over the list */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(gr_status_index_pick(used, 32, &idx, &err), 0);
        assert_in_range(idx, 0, 31);
        seen[idx]++;
    }
    for (size_t i = 0, distinct = 0; i < 32; i++) {
        distinct += seen[i] != 0;
        if (i == 31)
            assert_true(distinct > 16); /* a sequential or constant pick would fail this */
    }
    assert_code(t_code(gr_status_index_pick(used, 0, &idx, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_status_index_pick(used, GR_STATUS_MAX_SIZE + 1, &idx, &err), &err),
                GR_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_vectors),     cmocka_unit_test(test_new_refusals),
        cmocka_unit_test(test_new_bytes_and_decode), cmocka_unit_test(test_token),
        cmocka_unit_test(test_index_pick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

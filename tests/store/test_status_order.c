/*
 * The order in which the PostgreSQL store hands out a status list's entries
 * (src/store/status_order.c): a permutation of [0, size) for every size a
 * list may have, fixed by its key, different under another key, and spread
 * over the list rather than in the order of issuance.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static void key_from(unsigned n, uint8_t key[GR__STATUS_ORDER_KEY_LEN])
{
    for (size_t i = 0; i < GR__STATUS_ORDER_KEY_LEN; i++)
        key[i] = (uint8_t)(n * 131 + i * 7);
}

/* Every position of a list of `size` maps to its own entry, all below size. */
static void assert_permutation(uint64_t size, unsigned key_n)
{
    struct gr__status_order o;
    uint8_t key[GR__STATUS_ORDER_KEY_LEN];
    uint8_t *seen = calloc(size, 1);
    struct gr_err err;
    uint64_t entry;

    assert_non_null(seen);
    key_from(key_n, key);
    ok(gr__status_order_init(&o, key, sizeof(key), size, &err), &err);
    for (uint64_t p = 0; p < size; p++) {
        ok(gr__status_order_at(&o, p, &entry, &err), &err);
        assert_true(entry < size);
        assert_int_equal(seen[entry], 0);
        seen[entry] = 1;
    }
    gr__status_order_release(&o);
    free(seen);
}

static void test_every_size_is_a_permutation(void **state)
{
    /* Powers of four and two (no walking, and some), and sizes just past them (most). */
    static const uint64_t sizes[] = { 8, 16, 24, 64, 72, 1000, 1024, 1032, 4104, 1u << 17 };

    (void)state;
    for (size_t i = 0; i < GR_NELEM(sizes); i++)
        assert_permutation(sizes[i], (unsigned)i);
}

/* The largest list: checked on a stride of positions, for time. */
static void test_largest_list(void **state)
{
    struct gr__status_order o;
    uint8_t key[GR__STATUS_ORDER_KEY_LEN];
    struct gr_err err;
    uint64_t entry, last = 0;
    size_t ascending = 0;

    (void)state;
    key_from(99, key);
    ok(gr__status_order_init(&o, key, sizeof(key), GR__STATUS_ORDER_MAX, &err), &err);
    for (uint64_t p = 0; p < GR__STATUS_ORDER_MAX; p += 4099) {
        ok(gr__status_order_at(&o, p, &entry, &err), &err);
        assert_true(entry < GR__STATUS_ORDER_MAX);
        ascending += p > 0 && entry > last;
        last = entry;
    }
    /* About half of 4094 neighbours ascend when the order is random. */
    assert_in_range(ascending, 1700, 2400);
    gr__status_order_release(&o);
}

/* The same key gives the same order; another key another one. */
static void test_keyed(void **state)
{
    struct gr__status_order a, b, c;
    uint8_t key[GR__STATUS_ORDER_KEY_LEN], other[GR__STATUS_ORDER_KEY_LEN];
    struct gr_err err;
    size_t same = 0, ascending = 0;

    (void)state;
    key_from(1, key);
    key_from(2, other);
    ok(gr__status_order_init(&a, key, sizeof(key), 1 << 17, &err), &err);
    ok(gr__status_order_init(&b, key, sizeof(key), 1 << 17, &err), &err);
    ok(gr__status_order_init(&c, other, sizeof(other), 1 << 17, &err), &err);
    for (uint64_t p = 0; p < 1000; p++) {
        uint64_t x, y, z, prev;

        ok(gr__status_order_at(&a, p, &x, &err), &err);
        ok(gr__status_order_at(&b, p, &y, &err), &err);
        ok(gr__status_order_at(&c, p, &z, &err), &err);
        assert_true(x == y);
        same += x == z;
        if (p > 0) {
            ok(gr__status_order_at(&a, p - 1, &prev, &err), &err);
            ascending += x == prev + 1;
        }
    }
    assert_true(same < 5);      /* 1 in 2^17 each, by chance */
    assert_true(ascending < 5); /* consecutive credentials are not neighbours */
    gr__status_order_release(&a);
    gr__status_order_release(&b);
    gr__status_order_release(&c);
}

/*
 * The first entry of a list, over 1024 keys, falls in each eighth of the
 * list about 128 times (a standard deviation of about 10.6): a skewed
 * round function would crowd some eighths.
 */
static void test_first_entry_spread(void **state)
{
    unsigned eighths[8] = { 0 };
    struct gr_err err;

    (void)state;
    for (unsigned k = 0; k < 1024; k++) {
        struct gr__status_order o;
        uint8_t key[GR__STATUS_ORDER_KEY_LEN];
        uint64_t entry;

        key_from(k, key);
        key[15] = (uint8_t)(k >> 8);
        ok(gr__status_order_init(&o, key, sizeof(key), 1000, &err), &err);
        ok(gr__status_order_at(&o, 0, &entry, &err), &err);
        eighths[entry * 8 / 1000]++;
        gr__status_order_release(&o);
    }
    for (size_t i = 0; i < 8; i++)
        assert_in_range(eighths[i], 128 - 60, 128 + 60);
}

/* A damaged key or size, or a position past the list, is refused, not mapped. */
static void test_refusals(void **state)
{
    struct gr__status_order o;
    uint8_t key[GR__STATUS_ORDER_KEY_LEN] = { 0 };
    struct gr_err err;
    uint64_t entry = 7;

    (void)state;
    assert_code(t_code(gr__status_order_init(&o, key, sizeof(key) - 1, 64, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_null(o.aes);
    assert_code(t_code(gr__status_order_init(&o, key, sizeof(key), 0, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_code(
        t_code(gr__status_order_init(&o, key, sizeof(key), GR__STATUS_ORDER_MAX + 1, &err), &err),
        GR_ERR_SERVER_ERROR);
    ok(gr__status_order_init(&o, key, sizeof(key), 64, &err), &err);
    assert_code(t_code(gr__status_order_at(&o, 64, &entry, &err), &err), GR_ERR_SERVER_ERROR);
    assert_int_equal(entry, 7);
    gr__status_order_release(&o);
    gr__status_order_release(&o); /* twice is harmless */
}

int main(void)
{
    static const struct CMUnitTest cases[] = {
        cmocka_unit_test(test_every_size_is_a_permutation),
        cmocka_unit_test(test_largest_list),
        cmocka_unit_test(test_keyed),
        cmocka_unit_test(test_first_entry_spread),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(cases, NULL, NULL);
}

/*
 * The store's connection pool (src/store/pool.h): its cap, what a thread past
 * the cap gets, and the slot a failed connect hands back.
 */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

#include "store/pool.h"

static int conns[GR__POOL_MAX + 1]; /* stand-ins: the pool only keeps pointers */
static int freed;

static void count_free(void *conn)
{
    assert_non_null(conn);
    freed++;
}

static void test_lends_the_idle_one_first(void **state)
{
    struct gr__pool p;
    struct gr_err err;
    void *c;

    (void)state;
    gr__pool_init(&p, 100, &conns[0]);
    assert_int_equal(gr__pool_take(&p, &c, &err), 1);
    assert_ptr_equal(c, &conns[0]);
    /* None idle: room to make a second, and the caller makes it. */
    assert_int_equal(gr__pool_take(&p, &c, &err), 0);
    assert_null(c);
    gr__pool_give(&p, &conns[1]);
    gr__pool_give(&p, &conns[0]);
    freed = 0;
    gr__pool_destroy(&p, count_free);
    assert_int_equal(freed, 2);
}

static void test_past_the_cap_is_503_after_the_wait(void **state)
{
    struct gr__pool p;
    struct gr_err err;
    struct timespec t0, t1;
    void *c;
    double waited;

    (void)state;
    gr__pool_init(&p, 200, &conns[0]);
    assert_int_equal(gr__pool_take(&p, &c, &err), 1);
    for (int i = 1; i < GR__POOL_MAX; i++)
        assert_int_equal(gr__pool_take(&p, &c, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(gr__pool_take(&p, &c, &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(err.code, GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_true(waited >= 0.15 && waited < 5);
    /* A failed connect gives its slot back: the next caller may make one. */
    gr__pool_unmade(&p);
    assert_int_equal(gr__pool_take(&p, &c, &err), 0);
    for (int i = 0; i < GR__POOL_MAX; i++)
        gr__pool_give(&p, &conns[i]);
    freed = 0;
    gr__pool_destroy(&p, count_free);
    assert_int_equal(freed, GR__POOL_MAX);
}

struct waiter {
    struct gr__pool *p;
    void *got;
    int rc;
};

static void *wait_for_one(void *arg)
{
    struct waiter *w = arg;
    struct gr_err err;

    w->rc = gr__pool_take(w->p, &w->got, &err);
    return NULL;
}

static void test_a_waiter_gets_the_one_given_back(void **state)
{
    struct gr__pool p;
    struct gr_err err;
    struct waiter w = { &p, NULL, -2 };
    pthread_t t;
    void *c;

    (void)state;
    gr__pool_init(&p, 5000, &conns[0]);
    assert_int_equal(gr__pool_take(&p, &c, &err), 1);
    for (int i = 1; i < GR__POOL_MAX; i++)
        assert_int_equal(gr__pool_take(&p, &c, &err), 0);
    assert_int_equal(pthread_create(&t, NULL, wait_for_one, &w), 0);
    nanosleep(&(struct timespec){ 0, 50000000L }, NULL);
    gr__pool_give(&p, &conns[7]);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 1);
    assert_ptr_equal(w.got, &conns[7]);
    for (int i = 0; i < GR__POOL_MAX; i++)
        gr__pool_give(&p, &conns[i]);
    freed = 0;
    gr__pool_destroy(&p, count_free);
    assert_int_equal(freed, GR__POOL_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lends_the_idle_one_first),
        cmocka_unit_test(test_past_the_cap_is_503_after_the_wait),
        cmocka_unit_test(test_a_waiter_gets_the_one_given_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

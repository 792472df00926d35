/*
 * store.h through the installed headers only, on a SQLite store in a scratch
 * directory: what the records own and how they are released, and the Redis
 * wrapper's refusals (the contract itself, Redis included, is test_store's and
 * test_pg.sh's; see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1764000000

struct fixture {
    char dir[64];
    char path[96];
    struct gr_store s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char url[128];
    struct gr_err err;

    snprintf(f->dir, sizeof(f->dir), "/tmp/gr_api_store_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/gramota.db", f->dir);
    snprintf(url, sizeof(url), "sqlite:%s", f->path);
    if (gr_store_open(gr_str_c(url), &f->s, &err) < 0) {
        print_error("open %s: %s\n", url, err.desc);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char side[128];

    gr_store_close(&f->s);
    unlink(f->path);
    snprintf(side, sizeof(side), "%s-wal", f->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", f->path);
    unlink(side);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_offer_release(void **state)
{
    struct fixture *f = *state;
    struct gr_org org = { .id = "org-1", .name = "acme", .created_at = NOW };
    struct gr_offer o = {
        .id = "offer-1",
        .org_id = "org-1",
        .config_id = "pid",
        .state = GR_OFFER_PENDING,
        .created_at = NOW,
        .expires_at = NOW + 600,
        .credential_lifetime = 86400,
        .subject_json = "{\"given_name\":\"Erika\"}",
        .disclosable_json = "[\"given_name\"]",
        .sealed_url = (uint8_t *)"sealed-bytes",
        .sealed_url_len = 12,
    };
    struct gr_offer got;
    struct gr_err err;
    uint8_t key[32];

    gr_sha256("api key", 7, key);
    gr_sha256("code", 4, o.code_hash);
    assert_int_equal(f->s.ops->org_create(f->s.ctx, &org, key, &err), 0);
    assert_int_equal(f->s.ops->offer_put(f->s.ctx, &o, NULL, &err), 0);
    assert_int_equal(f->s.ops->offer_get(f->s.ctx, GR_STR("org-1"), GR_STR("offer-1"), &got, &err),
                     0);
    /* the reader hands out copies the caller owns */
    assert_string_equal(got.subject_json, o.subject_json);
    assert_ptr_not_equal(got.subject_json, o.subject_json);
    assert_string_equal(got.disclosable_json, o.disclosable_json);
    assert_int_equal(got.sealed_url_len, 12);
    assert_memory_equal(got.sealed_url, "sealed-bytes", 12);
    gr_offer_release(&got); /* ASan reports a leak if this does not free all three */
    assert_null(got.subject_json);
    assert_null(got.disclosable_json);
    assert_null(got.sealed_url);
    assert_int_equal(got.sealed_url_len, 0);
    assert_string_equal(got.id, "offer-1"); /* the plain fields stay */
    gr_offer_release(&got);                 /* twice is harmless */
    gr_offer_release(NULL);

    /* a failed read leaves nothing to release, and releasing it is still safe */
    assert_int_equal(f->s.ops->offer_get(f->s.ctx, GR_STR("org-1"), GR_STR("nope"), &got, &err),
                     -1);
    assert_code(err.code, GR_ERR_NOT_FOUND);
    gr_offer_release(&got);
}

static void test_status_list_rec_release(void **state)
{
    struct fixture *f = *state;
    struct gr_status_slot slot;
    struct gr_status_list_rec rec;
    struct gr_status_list *list;
    struct gr_err err;
    size_t len;

    assert_int_equal(f->s.ops->status_alloc(f->s.ctx, 2, 1024, 1, NOW, &slot, &err), 0);
    assert_in_range(slot.idx, 0, 1023);
    assert_int_equal(f->s.ops->status_list_get(f->s.ctx, gr_str_c(slot.list_id), &rec, &err), 0);
    assert_int_equal(rec.bits, 2);
    assert_int_equal(rec.size, 1024);
    assert_int_equal(rec.statuses_len, 1024 * 2 / 8);
    /* the record's bytes are what status.h takes */
    list = gr_status_list_new_bytes(rec.bits, rec.statuses, rec.statuses_len, &err);
    assert_non_null(list);
    assert_int_equal(gr_status_list_get(list, slot.idx), GR_STATUS_VALID);
    assert_non_null(gr_status_list_bytes(list, &len));
    assert_int_equal(len, rec.statuses_len);
    gr_status_list_free(list);

    gr_status_list_rec_release(&rec);
    assert_null(rec.statuses);
    assert_int_equal(rec.statuses_len, 0);
    gr_status_list_rec_release(&rec);
}

static void test_with_redis_refusals(void **state)
{
    static const struct {
        const char *url;
        enum gr_errc want;
    } rows[] = {
        { "http://127.0.0.1:6379", GR_ERR_USAGE },
        { "redis://", GR_ERR_USAGE },
        { "redis://127.0.0.1:99999", GR_ERR_USAGE },
        { "redis://127.0.0.1:1", GR_ERR_TEMPORARILY_UNAVAILABLE }, /* nothing listens there */
    };
    struct fixture *f = *state;
    struct gr_store out;
    struct gr_err err;
    char url[128];

    for (size_t i = 0; i < GR_NELEM(rows); i++) {
        struct gr_store db;

        snprintf(url, sizeof(url), "sqlite:%s", f->path);
        assert_int_equal(gr_store_open(gr_str_c(url), &db, &err), 0);
        assert_int_equal(gr_store_with_redis(&db, gr_str_c(rows[i].url), &out, &err), -1);
        if (err.code != rows[i].want)
            fail_msg("%s: %s, expected %s", rows[i].url, gr_errc_name(err.code),
                     gr_errc_name(rows[i].want));
        /* `db` is taken even on failure: closed, and zeroed (ASan sees a leak otherwise) */
        assert_null(db.ops);
        assert_null(out.ops);
    }
}

static int closed; /* times mine_close ran */

static void mine_close(void *ctx)
{
    (void)ctx;
    closed++;
}

/* A store of the caller's own making: Redis cannot keep its tokens inside its redemption. */
static void test_with_redis_own_store(void **state)
{
    static const struct gr_store_ops mine = { .name = "mine", .close = mine_close };
    struct gr_store db = { .ops = &mine, .ctx = NULL }, out;
    struct gr_err err;

    (void)state;
    closed = 0;
    assert_int_equal(gr_store_with_redis(&db, GR_STR("redis://127.0.0.1:1"), &out, &err), -1);
    assert_int_equal(err.code, GR_ERR_USAGE);
    assert_int_equal(closed, 1); /* taken, as on every failure */
    assert_null(db.ops);
    assert_null(out.ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_list_rec_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_with_redis_refusals, setup, teardown),
        cmocka_unit_test(test_with_redis_own_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

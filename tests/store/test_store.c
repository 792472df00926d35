/*
 * The store contract (store.h), run against every backend of `backends[]`:
 * each test gets a fresh store and drives it only through the ops table, so a
 * new backend joins by adding a row. Races use real threads. What only
 * SQLite has (URLs, migrations, the file) is in test_sqlite.c.
 *
 * The PostgreSQL row runs when GR_TEST_PG holds the libpq conninfo of a
 * server (tests/store/test_pg.sh starts a private one): each test gets a
 * database of its own there, made from the conninfo's maintenance database.
 * The PostgreSQL + Redis row runs when GR_TEST_REDIS_URL names a Redis too
 * (test_pg.sh starts one): the same store with its short-lived state in
 * Redis, emptied before each test.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include <gramota/store.h>

#include "store/redis_internal.h"

#define NOW     1764000000
#define MAX_TX  3  /* wrong transaction codes before an offer dies */
#define RACERS  20 /* threads racing for one single-use thing */
#define SUBJECT "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\"}"
#define SEALED  "\x01sealed\x00url\xff"

struct backend {
    const char *name;
    /* Write the URL of a fresh store kept in the empty directory `dir`. */
    void (*url)(const char *dir, char *out, size_t cap);
    bool redis; /* short-lived state in the Redis of GR_TEST_REDIS_URL */
};

static void sqlite_url(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "sqlite:%s/gramota.db", dir);
}

/* The value of option `key` in the conninfo `info`, or "". */
static const char *conninfo_get(PQconninfoOption *opts, const char *key)
{
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, key) == 0 && o->val != NULL)
            return o->val;
    }
    return "";
}

/* A fresh database named after `dir`'s last part, on the server of GR_TEST_PG. */
static void pg_url(const char *dir, char *out, size_t cap)
{
    const char *info = getenv("GR_TEST_PG"), *name = strrchr(dir, '/') + 1;
    PQconninfoOption *opts = PQconninfoParse(info, NULL);
    PGconn *pg = PQconnectdb(info);
    char sql[128];
    PGresult *r;

    if (opts == NULL || PQstatus(pg) != CONNECTION_OK)
        fail_msg("GR_TEST_PG: %s", PQerrorMessage(pg));
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
    r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
    snprintf(out, cap, "postgresql:///%s?host=%s&user=%s&port=%s", name, conninfo_get(opts, "host"),
             conninfo_get(opts, "user"),
             conninfo_get(opts, "port")[0] ? conninfo_get(opts, "port") : "5432");
    PQconninfoFree(opts);
}

static const struct backend backends[] = {
    { "sqlite", sqlite_url, false },
    { "postgres", pg_url, false },      /* only with GR_TEST_PG */
    { "postgres+redis", pg_url, true }, /* ... and GR_TEST_REDIS_URL */
};

/* Empty the test Redis, so that each test starts from nothing. */
static void redis_flush(void)
{
    struct gr__redis_url u;
    struct gr_err err;
    redisContext *c;
    redisReply *r;

    if (gr__redis_url_parse(gr_str_c(getenv("GR_TEST_REDIS_URL")), &u, &err) < 0)
        fail_msg("GR_TEST_REDIS_URL: %s", err.desc);
    c = redisConnect(u.host, u.port);
    if (c == NULL || c->err)
        fail_msg("redis: %s", c ? c->errstr : "no memory");
    r = redisCommand(c, "AUTH %s", u.password);
    freeReplyObject(r);
    r = redisCommand(c, "FLUSHDB");
    if (r == NULL || r->type != REDIS_REPLY_STATUS)
        fail_msg("redis FLUSHDB failed");
    freeReplyObject(r);
    redisFree(c);
}

static const struct backend *backend; /* the one the running group tests */

struct fixture {
    char dir[64];
    char url[256];
    struct gr_store s;
    struct gr_org org, other; /* two organizations, made by setup */
};

#define OPS(f) ((f)->s.ops)
#define CTX(f) ((f)->s.ctx)

/*
 * The code of a call's result; a failure's sentence must be fit for
 * error_description (STYLE §2.1): present, one sentence, no quote or backslash.
 */
static enum gr_errc code_of(int rc, const struct gr_err *err)
{
    size_t n;

    if (rc == 0)
        return GR_ERR_OK;
    assert_int_equal(rc, -1);
    n = strlen(err->desc);
    if (n == 0 || err->desc[n - 1] != '.' || strpbrk(err->desc, "\"\\") != NULL)
        fail_msg("sentence unfit for error_description: '%s'", err->desc);
    return err->code;
}

/* A call that must succeed; `err` is the one it was given. */
#define ok(call, err)                                                                  \
    do {                                                                               \
        if ((call) != 0)                                                               \
            fail_msg("%s: %s (%s; %s)", #call, (err)->desc, gr_errc_name((err)->code), \
                     (err)->cause);                                                    \
    } while (0)

static void hash(const char *s, uint8_t out[32])
{
    gr_sha256(s, strlen(s), out);
}

static void open_store(const char *url, struct gr_store *s)
{
    struct gr_store db;
    struct gr_err err;

    if (gr_store_open(gr_str_c(url), backend->redis ? &db : s, &err) < 0)
        fail_msg("open %s: %s (%s)", url, err.desc, err.cause);
    if (backend->redis &&
        gr_store_with_redis(&db, gr_str_c(getenv("GR_TEST_REDIS_URL")), s, &err) < 0)
        fail_msg("redis: %s (%s)", err.desc, err.cause);
}

static void make_org(struct fixture *f, const char *id, const char *name, const char *key,
                     struct gr_org *org)
{
    struct gr_err err;
    uint8_t h[32];

    memset(org, 0, sizeof(*org));
    snprintf(org->id, sizeof(org->id), "%s", id);
    snprintf(org->name, sizeof(org->name), "%s", name);
    org->created_at = NOW - 1000;
    hash(key, h);
    if (OPS(f)->org_create(CTX(f), org, h, &err) < 0)
        fail_msg("org_create: %s", err.desc);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/gr_store_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    backend->url(f->dir, f->url, sizeof(f->url));
    if (backend->redis)
        redis_flush();
    open_store(f->url, &f->s);
    make_org(f, "org-acme", "acme", "key-acme", &f->org);
    make_org(f, "org-other", "other", "key-other", &f->other);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    gr_store_close(&f->s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    free(f);
    return system(cmd) == 0 ? 0 : -1;
}

/* A pending offer of `org`, its code "code-<id>", expiring at `exp`; `tx` NULL for none. */
static void offer_init(struct gr_offer *o, const struct gr_org *org, const char *id, const char *tx,
                       int64_t exp)
{
    char code[64];

    memset(o, 0, sizeof(*o));
    snprintf(o->id, sizeof(o->id), "%s", id);
    snprintf(o->org_id, sizeof(o->org_id), "%s", org->id);
    snprintf(o->config_id, sizeof(o->config_id), "pid_sd_jwt");
    snprintf(code, sizeof(code), "code-%s", id);
    hash(code, o->code_hash);
    if (tx != NULL) {
        o->has_tx_code = true;
        hash(tx, o->tx_code_hash);
        o->tx_input_mode = GR_TX_NUMERIC;
        o->tx_length = (int)strlen(tx);
        snprintf(o->tx_description, sizeof(o->tx_description), "The PIN from the letter.");
    }
    o->by_reference = true;
    o->state = GR_OFFER_PENDING;
    o->created_at = NOW - 10;
    o->expires_at = exp;
    o->credential_lifetime = 86400;
    o->subject_json = (char *)SUBJECT; /* read only by offer_put */
    o->disclosable_json = (char *)"[[\"given_name\"]]";
    o->sealed_url = (uint8_t *)SEALED; /* opaque bytes, NULs included */
    o->sealed_url_len = sizeof(SEALED) - 1;
}

static void put_offer(struct fixture *f, const struct gr_org *org, const char *id, const char *tx,
                      int64_t exp)
{
    struct gr_offer o;
    struct gr_err err;

    offer_init(&o, org, id, tx, exp);
    ok(OPS(f)->offer_put(CTX(f), &o, &err), &err);
}

/* Redeem offer `id`'s code with transaction code `tx` (NULL: none sent) at `now`. */
static enum gr_errc redeem(struct fixture *f, const char *id, const char *tx, int64_t now,
                           struct gr_offer *out)
{
    struct gr_offer scratch = { 0 };
    struct gr_err err;
    uint8_t code_h[32], tx_h[32];
    char code[64];
    int rc;

    snprintf(code, sizeof(code), "code-%s", id);
    hash(code, code_h);
    if (tx != NULL)
        hash(tx, tx_h);
    rc = OPS(f)->offer_redeem(CTX(f), code_h, tx ? tx_h : NULL, now, MAX_TX, NULL,
                              out ? out : &scratch, &err);
    if (out == NULL)
        gr_offer_release(&scratch);
    return code_of(rc, &err);
}

static enum gr_errc get_offer(struct fixture *f, const char *org_id, const char *id,
                              struct gr_offer *out)
{
    struct gr_err err;

    return code_of(OPS(f)->offer_get(CTX(f), gr_str_c(org_id), gr_str_c(id), out, &err), &err);
}

static void test_orgs(void **state)
{
    struct fixture *f = *state;
    struct gr_org got, dup = f->org;
    struct gr_err err;
    uint8_t h[32];

    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_string_equal(got.id, "org-acme");
    assert_string_equal(got.name, "acme");
    assert_int_equal(got.created_at, NOW - 1000);
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("other"), &got, &err), &err);
    assert_string_equal(got.id, "org-other");

    hash("key-unknown", h);
    assert_code(code_of(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err), GR_ERR_UNAUTHORIZED);
    assert_code(code_of(OPS(f)->org_by_name(CTX(f), GR_STR("nobody"), &got, &err), &err),
                GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->org_by_name(CTX(f), GR_STR(""), &got, &err), &err),
                GR_ERR_NOT_FOUND);

    /* The name is taken, whatever the id and key. */
    snprintf(dup.id, sizeof(dup.id), "org-acme-2");
    hash("key-acme-2", h);
    assert_code(code_of(OPS(f)->org_create(CTX(f), &dup, h, &err), &err), GR_ERR_CONFLICT);
    /* The first one is untouched. */
    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_string_equal(got.id, "org-acme");
}

static void test_org_limits(void **state)
{
    struct fixture *f = *state;
    struct gr_org own = f->org, got;
    struct gr_err err;
    uint8_t h[32];

    /* An organization made without limits takes the server's (0). */
    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_int_equal(got.offer_rate, 0);
    assert_int_equal(got.offer_burst, 0);

    snprintf(own.id, sizeof(own.id), "org-own");
    snprintf(own.name, sizeof(own.name), "own");
    own.offer_rate = 120;
    own.offer_burst = 7;
    hash("key-own", h);
    ok(OPS(f)->org_create(CTX(f), &own, h, &err), &err);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_int_equal(got.offer_rate, 120);
    assert_int_equal(got.offer_burst, 7);

    ok(OPS(f)->org_set_limits(CTX(f), GR_STR("org-own"), 30, 0, &err), &err);
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("own"), &got, &err), &err);
    assert_int_equal(got.offer_rate, 30);
    assert_int_equal(got.offer_burst, 0);
    /* The other organizations are untouched. */
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("acme"), &got, &err), &err);
    assert_int_equal(got.offer_rate, 0);
    assert_code(code_of(OPS(f)->org_set_limits(CTX(f), GR_STR("org-nobody"), 1, 1, &err), &err),
                GR_ERR_NOT_FOUND);
}

/* One look at (take false) or take from (take true) bucket `key`: burst 3, one per second. */
static struct gr_rate rate(struct fixture *f, const char *key, int64_t now_ms, bool take)
{
    struct gr_rate out = { .allowed = !take, .retry_after_ms = -1 };
    struct gr_err err;

    ok(OPS(f)->rate_limit(CTX(f), gr_str_c(key), 3, 1000, now_ms, take, &out, &err), &err);
    return out;
}

static void test_rate_limit(void **state)
{
    struct fixture *f = *state;
    const int64_t t = (int64_t)NOW * 1000;
    struct gr_rate r;
    struct gr_err err;

    /* A fresh bucket is full: looking takes nothing, three takes pass, the fourth does not. */
    for (int i = 0; i < 5; i++)
        assert_true(rate(f, "offer:acme", t, false).allowed);
    for (int i = 0; i < 3; i++) {
        r = rate(f, "offer:acme", t, true);
        assert_true(r.allowed);
        assert_int_equal(r.retry_after_ms, 0);
    }
    r = rate(f, "offer:acme", t, true);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 1000);
    r = rate(f, "offer:acme", t + 400, false);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 600);
    /* A refusal took nothing: after the one interval it named, exactly one more. */
    r = rate(f, "offer:acme", t + 1000, true);
    assert_true(r.allowed);
    assert_false(rate(f, "offer:acme", t + 1000, true).allowed);
    /* It refills at its rate, up to its burst and no further. */
    assert_true(rate(f, "offer:acme", t + 2000, true).allowed);
    for (int i = 0; i < 3; i++)
        assert_true(rate(f, "offer:acme", t + 60000, true).allowed);
    assert_false(rate(f, "offer:acme", t + 60000, true).allowed);
    /* Buckets are independent. */
    assert_true(rate(f, "client:127.0.0.1", t + 60000, true).allowed);

    /* Swept once full again: the row goes, the bucket still answers as full. */
    ok(OPS(f)->sweep(CTX(f), NOW + 120, 300, &err), &err);
    for (int i = 0; i < 3; i++)
        assert_true(rate(f, "offer:acme", t + 120000, true).allowed);
    assert_false(rate(f, "offer:acme", t + 120000, true).allowed);

    /* Shapes that make no bucket are refused, not guessed at. */
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR(""), 3, 1000, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR("k"), 0, 1000, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR("k"), 3, 0, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
}

static void test_stats(void **state)
{
    struct fixture *f = *state;
    struct gr_store_stats st = { .db_errors = 99, .redis_errors = 99 };
    struct gr_org got;
    struct gr_err err;
    uint8_t h[32];

    /* Refusals are answers, not failures of the database. */
    hash("key-unknown", h);
    assert_code(code_of(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err), GR_ERR_UNAUTHORIZED);
    assert_code(code_of(OPS(f)->org_create(CTX(f), &f->org, h, &err), &err), GR_ERR_CONFLICT);
    OPS(f)->stats(CTX(f), &st);
    assert_int_equal(st.db_errors, 0);
    assert_int_equal(st.redis_errors, 0);
}

static void test_offer_put_get(void **state)
{
    struct fixture *f = *state;
    struct gr_offer in, got;
    struct gr_err err;

    offer_init(&in, &f->org, "offer-1", "493536", NOW + 600);
    ok(OPS(f)->offer_put(CTX(f), &in, &err), &err);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_string_equal(got.id, in.id);
    assert_string_equal(got.org_id, in.org_id);
    assert_string_equal(got.config_id, in.config_id);
    assert_memory_equal(got.code_hash, in.code_hash, 32);
    assert_true(got.has_tx_code);
    assert_memory_equal(got.tx_code_hash, in.tx_code_hash, 32);
    assert_int_equal(got.tx_input_mode, GR_TX_NUMERIC);
    assert_int_equal(got.tx_length, 6);
    assert_string_equal(got.tx_description, in.tx_description);
    assert_int_equal(got.tx_attempts, 0);
    assert_true(got.by_reference);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    assert_int_equal(got.created_at, in.created_at);
    assert_int_equal(got.expires_at, in.expires_at);
    assert_int_equal(got.credential_lifetime, 86400);
    assert_string_equal(got.subject_json, SUBJECT);
    assert_string_equal(got.disclosable_json, in.disclosable_json);
    assert_int_equal(got.sealed_url_len, sizeof(SEALED) - 1);
    assert_memory_equal(got.sealed_url, SEALED, sizeof(SEALED) - 1);
    gr_offer_release(&got);
    assert_null(got.sealed_url);

    /* Without a transaction code, text mode fields stay empty; no disclosable paths. */
    offer_init(&in, &f->org, "offer-2", NULL, NOW + 600);
    in.by_reference = false;
    in.disclosable_json = NULL;
    in.sealed_url = NULL;
    in.sealed_url_len = 0;
    ok(OPS(f)->offer_put(CTX(f), &in, &err), &err);
    assert_code(get_offer(f, "org-acme", "offer-2", &got), GR_ERR_OK);
    assert_false(got.has_tx_code);
    assert_false(got.by_reference);
    assert_string_equal(got.tx_description, "");
    assert_null(got.disclosable_json);
    assert_null(got.sealed_url);
    assert_int_equal(got.sealed_url_len, 0);
    gr_offer_release(&got);

    /* Another organization's offer does not exist for it; nor does an unknown id. */
    assert_code(get_offer(f, "org-other", "offer-1", &got), GR_ERR_NOT_FOUND);
    assert_null(got.subject_json);
    assert_code(get_offer(f, "org-acme", "offer-9", &got), GR_ERR_NOT_FOUND);
    assert_code(get_offer(f, "org-acme", "an-id-much-too-long-to-be-one-of-ours", &got),
                GR_ERR_NOT_FOUND);

    /* The same id, or the same code, again. */
    offer_init(&in, &f->org, "offer-1", NULL, NOW + 600);
    hash("code-offer-3", in.code_hash);
    assert_code(code_of(OPS(f)->offer_put(CTX(f), &in, &err), &err), GR_ERR_CONFLICT);
    offer_init(&in, &f->org, "offer-3", NULL, NOW + 600);
    hash("code-offer-1", in.code_hash);
    assert_code(code_of(OPS(f)->offer_put(CTX(f), &in, &err), &err), GR_ERR_CONFLICT);
}

static void test_offer_by_code(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;
    struct gr_err err;
    uint8_t h[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    hash("code-offer-1", h);
    ok(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err);
    assert_string_equal(got.id, "offer-1");
    assert_string_equal(got.subject_json, SUBJECT);
    gr_offer_release(&got);
    /* Expired, unknown, redeemed: gone. */
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW + 600, &got, &err), &err),
                GR_ERR_NOT_FOUND);
    hash("code-offer-9", h);
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err), GR_ERR_NOT_FOUND);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    hash("code-offer-1", h);
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err), GR_ERR_NOT_FOUND);
}

static void test_redeem_once(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW, &got), GR_ERR_OK);
    assert_string_equal(got.id, "offer-1");
    assert_string_equal(got.org_id, "org-acme");
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    assert_string_equal(got.subject_json, SUBJECT);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-1", NULL, NOW, &got), GR_ERR_INVALID_GRANT);
    assert_null(got.subject_json);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
}

/* A token handed to redeem is stored with the redemption, naming the offer; a refused redeem stores
 * none. */
static void test_redeem_with_token(void **state)
{
    struct fixture *f = *state;
    struct gr_token tok = { .dpop_bound = true, .expires_at = NOW + 300 }, got;
    struct gr_offer offer;
    struct gr_err err;
    uint8_t code_h[32];

    put_offer(f, &f->org, "offer-t", NULL, NOW + 600);
    hash("the token", tok.hash);
    hash("the key", tok.jkt);
    snprintf(tok.client_id, sizeof(tok.client_id), "wallet-instance-1");
    hash("code-offer-t", code_h);
    ok(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &offer, &err), &err);
    gr_offer_release(&offer);
    ok(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err);
    assert_string_equal(got.offer_id, "offer-t");
    assert_string_equal(got.org_id, "org-acme");
    assert_true(got.dpop_bound);
    assert_memory_equal(got.jkt, tok.jkt, 32);
    assert_string_equal(got.client_id, "wallet-instance-1");
    hash("another token", tok.hash);
    assert_code(
        code_of(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &offer, &err), &err),
        GR_ERR_INVALID_GRANT);
    assert_code(code_of(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err),
                GR_ERR_INVALID_TOKEN);
}

static void test_redeem_refusals(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    assert_code(redeem(f, "offer-none", NULL, NOW, NULL), GR_ERR_INVALID_GRANT);
    /* Expired at expires_at exactly; the refusal leaves it pending. */
    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW + 600, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", NULL, NOW + 601, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    gr_offer_release(&got);
    /* An expired offer with a transaction code is refused for expiry, and counts nothing. */
    put_offer(f, &f->org, "offer-2", "1234", NOW + 600);
    assert_code(redeem(f, "offer-2", "9999", NOW + 700, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-2", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, 0);
    gr_offer_release(&got);
}

static void test_redeem_tx_codes(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-tx", "493536", NOW + 600);
    put_offer(f, &f->org, "offer-no-tx", NULL, NOW + 600);
    /* Missing while required, or sent while not: the request is wrong, nothing counted. */
    assert_code(redeem(f, "offer-tx", NULL, NOW, NULL), GR_ERR_INVALID_REQUEST);
    assert_code(redeem(f, "offer-no-tx", "493536", NOW, NULL), GR_ERR_INVALID_REQUEST);
    /* A wrong one counts. */
    assert_code(redeem(f, "offer-tx", "000000", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-tx", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, 1);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    gr_offer_release(&got);
    /* The right one, after a wrong one, redeems. */
    assert_code(redeem(f, "offer-tx", "493536", NOW, &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-tx", "493536", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-no-tx", NULL, NOW, NULL), GR_ERR_OK);
}

static void test_redeem_attempt_cap(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-1", "493536", NOW + 600);
    for (int i = 0; i < MAX_TX; i++)
        assert_code(redeem(f, "offer-1", "111111", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_DEAD);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
    /* Dead: even the right code fails, and nothing more is counted. */
    assert_code(redeem(f, "offer-1", "493536", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", "111111", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
}

/* Threads that start together on a barrier and each record one result. */
#define RACE_SLOTS 4 /* status entries each racer takes */

struct race {
    struct fixture *f;
    struct gr_status_slot slots[RACERS][RACE_SLOTS];
    pthread_barrier_t start;
    enum gr_errc code[RACERS];
    char desc[RACERS][128];
    uint8_t secret[RACERS][32];
    int (*op)(struct race *r, int i, struct gr_err *err);
};

struct racer {
    struct race *r;
    int i;
};

static void *racer_main(void *arg)
{
    struct racer *me = arg;
    struct gr_err err;
    int rc;

    pthread_barrier_wait(&me->r->start);
    rc = me->r->op(me->r, me->i, &err);
    me->r->code[me->i] = rc == 0 ? GR_ERR_OK : err.code;
    if (rc != 0)
        memcpy(me->r->desc[me->i], err.desc, sizeof(err.desc));
    return NULL;
}

/* Run `op` on RACERS threads at once; returns how many succeeded. */
static int run_race(struct race *r)
{
    pthread_t t[RACERS];
    struct racer who[RACERS];
    int wins = 0;

    pthread_barrier_init(&r->start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        who[i] = (struct racer){ r, i };
        assert_int_equal(pthread_create(&t[i], NULL, racer_main, &who[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&r->start);
    for (int i = 0; i < RACERS; i++)
        wins += r->code[i] == GR_ERR_OK;
    return wins;
}

/* Every loser failed with `want`, in a clean sentence. */
static void assert_losers(const struct race *r, enum gr_errc want)
{
    for (int i = 0; i < RACERS; i++) {
        if (r->code[i] == GR_ERR_OK)
            continue;
        if (r->code[i] != want)
            fail_msg("racer %d: %s (%s)", i, gr_errc_name(r->code[i]), r->desc[i]);
        assert_null(strpbrk(r->desc[i], "\"\\"));
    }
}

static int race_redeem(struct race *r, int i, struct gr_err *err)
{
    struct gr_offer out = { 0 };
    uint8_t code[32], tx[32];
    int rc;

    (void)i;
    hash("code-offer-1", code);
    hash("493536", tx);
    rc = OPS(r->f)->offer_redeem(CTX(r->f), code, tx, NOW, MAX_TX, NULL, &out, err);
    gr_offer_release(&out);
    return rc;
}

static void test_redeem_race(void **state)
{
    struct race r = { .f = *state, .op = race_redeem };

    put_offer(r.f, &r.f->org, "offer-1", "493536", NOW + 600);
    assert_int_equal(run_race(&r), 1);
    assert_losers(&r, GR_ERR_INVALID_GRANT);
}

/* Racing wrong codes: every one is counted, and exactly MAX_TX - 1 leave the offer alive. */
static int race_wrong_tx(struct race *r, int i, struct gr_err *err)
{
    struct gr_offer out = { 0 };
    uint8_t code[32], tx[32];
    int rc;

    (void)i;
    hash("code-offer-1", code);
    hash("000000", tx);
    rc = OPS(r->f)->offer_redeem(CTX(r->f), code, tx, NOW, MAX_TX, NULL, &out, err);
    gr_offer_release(&out);
    return rc;
}

static void test_redeem_wrong_tx_race(void **state)
{
    struct race r = { .f = *state, .op = race_wrong_tx };
    struct gr_offer got;

    put_offer(r.f, &r.f->org, "offer-1", "493536", NOW + 600);
    assert_int_equal(run_race(&r), 0);
    assert_losers(&r, GR_ERR_INVALID_GRANT);
    assert_code(get_offer(r.f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_DEAD);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
}

static void token_init(struct gr_token *t, const char *token, bool dpop, int64_t exp)
{
    memset(t, 0, sizeof(*t));
    hash(token, t->hash);
    snprintf(t->offer_id, sizeof(t->offer_id), "offer-1");
    snprintf(t->org_id, sizeof(t->org_id), "org-acme");
    snprintf(t->config_id, sizeof(t->config_id), "pid_sd_jwt");
    t->dpop_bound = dpop;
    if (dpop)
        hash("holder-key", t->jkt);
    t->expires_at = exp;
}

static void test_tokens(void **state)
{
    struct fixture *f = *state;
    struct gr_token in, got;
    struct gr_err err;
    uint8_t h[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    token_init(&in, "token-dpop", true, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &in, &err), &err);
    ok(OPS(f)->token_get(CTX(f), in.hash, NOW, &got, &err), &err);
    assert_memory_equal(got.hash, in.hash, 32);
    assert_string_equal(got.offer_id, "offer-1");
    assert_string_equal(got.org_id, "org-acme");
    assert_string_equal(got.config_id, "pid_sd_jwt");
    assert_true(got.dpop_bound);
    assert_memory_equal(got.jkt, in.jkt, 32);
    assert_int_equal(got.expires_at, NOW + 300);
    assert_code(code_of(OPS(f)->token_get(CTX(f), in.hash, NOW + 300, &got, &err), &err),
                GR_ERR_INVALID_TOKEN);

    token_init(&in, "token-bearer", false, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &in, &err), &err);
    ok(OPS(f)->token_get(CTX(f), in.hash, NOW + 299, &got, &err), &err);
    assert_false(got.dpop_bound);

    hash("token-unknown", h);
    assert_code(code_of(OPS(f)->token_get(CTX(f), h, NOW, &got, &err), &err), GR_ERR_INVALID_TOKEN);
}

static enum gr_errc take(struct fixture *f, const char *nonce, int64_t now)
{
    struct gr_err err;
    uint8_t h[32];

    hash(nonce, h);
    return code_of(OPS(f)->nonce_take(CTX(f), h, now, &err), &err);
}

static void test_nonces(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    uint8_t h[32];

    hash("nonce-1", h);
    ok(OPS(f)->nonce_put(CTX(f), h, NOW + 300, &err), &err);
    hash("nonce-2", h);
    ok(OPS(f)->nonce_put(CTX(f), h, NOW + 300, &err), &err);
    assert_code(take(f, "nonce-1", NOW), GR_ERR_OK);
    assert_code(take(f, "nonce-1", NOW), GR_ERR_INVALID_NONCE);
    assert_code(take(f, "nonce-2", NOW + 300), GR_ERR_INVALID_NONCE); /* expired */
    assert_code(take(f, "nonce-9", NOW), GR_ERR_INVALID_NONCE);
}

static int race_nonce(struct race *r, int i, struct gr_err *err)
{
    uint8_t h[32];

    (void)i;
    hash("nonce-1", h);
    return OPS(r->f)->nonce_take(CTX(r->f), h, NOW, err);
}

static void test_nonce_race(void **state)
{
    struct race r = { .f = *state, .op = race_nonce };
    struct gr_err err;
    uint8_t h[32];

    hash("nonce-1", h);
    ok(OPS(r.f)->nonce_put(CTX(r.f), h, NOW + 300, &err), &err);
    assert_int_equal(run_race(&r), 1);
    assert_losers(&r, GR_ERR_INVALID_NONCE);
}

static enum gr_errc jti(struct fixture *f, const char *id, int64_t exp, int64_t now)
{
    struct gr_err err;
    uint8_t h[32];

    hash(id, h);
    return code_of(OPS(f)->jti_add(CTX(f), h, exp, now, &err), &err);
}

static void test_jti(void **state)
{
    struct fixture *f = *state;

    assert_code(jti(f, "jti-1", NOW + 60, NOW), GR_ERR_OK);
    assert_code(jti(f, "jti-1", NOW + 60, NOW), GR_ERR_DUPLICATE);
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 59), GR_ERR_DUPLICATE);
    assert_code(jti(f, "jti-2", NOW + 60, NOW), GR_ERR_OK);
    /* Once expired, the same jti is new again, and then a replay of that. */
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 60), GR_ERR_OK);
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 61), GR_ERR_DUPLICATE);
}

static int race_jti(struct race *r, int i, struct gr_err *err)
{
    uint8_t h[32];

    (void)i;
    hash("jti-race", h);
    return OPS(r->f)->jti_add(CTX(r->f), h, NOW + 60, NOW, err);
}

static void test_jti_race(void **state)
{
    struct race r = { .f = *state, .op = race_jti };

    assert_int_equal(run_race(&r), 1);
    assert_losers(&r, GR_ERR_DUPLICATE);
}

static int race_rate(struct race *r, int i, struct gr_err *err)
{
    struct gr_rate got;

    (void)i;
    if (OPS(r->f)->rate_limit(CTX(r->f), GR_STR("offer:race"), 5, 60000, (int64_t)NOW * 1000, true,
                              &got, err) < 0)
        return -1;
    return got.allowed ? 0 : gr_fail(err, GR_ERR_RATE_LIMITED, "Refused by the bucket.");
}

/* Twenty takers at once from a bucket of five: five pass, never more. */
static void test_rate_race(void **state)
{
    struct race r = { .f = *state, .op = race_rate };

    assert_int_equal(run_race(&r), 5);
    assert_losers(&r, GR_ERR_RATE_LIMITED);
}

static void issued_init(struct gr_issued *r, const char *id)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->org_id, sizeof(r->org_id), "org-acme");
    snprintf(r->offer_id, sizeof(r->offer_id), "offer-1");
    snprintf(r->config_id, sizeof(r->config_id), "pid_sd_jwt");
    snprintf(r->vct, sizeof(r->vct), "https://example.bmi.bund.de/credential/pid/1.0");
    hash(id, r->holder_jkt);
    r->issued_at = NOW;
    r->expires_at = NOW + 86400;
}

static void test_issued_add(void **state)
{
    struct fixture *f = *state;
    struct gr_issued batch[3];
    struct gr_err err;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issued_init(&batch[0], "cred-1");
    issued_init(&batch[1], "cred-2");
    ok(OPS(f)->issued_add(CTX(f), batch, 2, &err), &err);
    ok(OPS(f)->issued_add(CTX(f), batch, 0, &err), &err);
    /* A batch with one id already recorded is refused whole: cred-3 is not kept... */
    issued_init(&batch[0], "cred-3");
    issued_init(&batch[1], "cred-1");
    assert_code(code_of(OPS(f)->issued_add(CTX(f), batch, 2, &err), &err), GR_ERR_CONFLICT);
    /* ...so it can be recorded now. */
    ok(OPS(f)->issued_add(CTX(f), batch, 1, &err), &err);
    {
        char ids[4][GR_STORE_ID_LEN + 1];
        size_t n = 99;

        /* The offer's credentials, oldest first, and none for another org or offer. */
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-1"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 3);
        assert_string_equal(ids[0], "cred-1");
        assert_string_equal(ids[2], "cred-3");
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-1"), ids, 2, &n, &err),
           &err);
        assert_int_equal(n, 2);
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-other"), GR_STR("offer-1"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 0);
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-9"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 0);
    }
}

static bool same_slot(const struct gr_status_slot *a, const struct gr_status_slot *b)
{
    return a->idx == b->idx && strcmp(a->list_id, b->list_id) == 0;
}

/* Entries are distinct, in lists of the asked shape, and not handed out in order. */
static void test_status_alloc(void **state)
{
    struct fixture *f = *state;
    struct gr_status_slot s[40];
    struct gr_status_list_rec rec;
    struct gr_err err;
    size_t ascending = 0;
    int lists = 1;

    ok(OPS(f)->status_alloc(CTX(f), 2, 1024, 30, NOW, s, &err), &err);
    for (size_t i = 0; i < 30; i++) {
        assert_true(s[i].idx < 1024);
        for (size_t j = 0; j < i; j++)
            assert_false(same_slot(&s[i], &s[j]));
        ascending += i && s[i].idx == s[i - 1].idx + 1;
    }
    assert_true(ascending < 5); /* 30 random picks of 1024 are almost never neighbours */
    ok(OPS(f)->status_list_get(CTX(f), gr_str_c(s[0].list_id), &rec, &err), &err);
    assert_int_equal(rec.bits, 2);
    assert_int_equal(rec.size, 1024);
    assert_int_equal(rec.statuses_len, 256);
    for (size_t i = 0; i < rec.statuses_len; i++)
        assert_int_equal(rec.statuses[i], 0); /* every entry VALID */
    gr_status_list_rec_release(&rec);
    /* A small list fills, every index once, and the next one opens. */
    ok(OPS(f)->status_alloc(CTX(f), 1, 16, 40, NOW, s, &err), &err);
    for (size_t i = 1; i < 40; i++) {
        for (size_t j = 0; j < i; j++)
            assert_false(same_slot(&s[i], &s[j]));
        lists += strcmp(s[i].list_id, s[i - 1].list_id) != 0;
    }
    assert_int_equal(lists, 3); /* 16 + 16 + 8 */
    assert_code(code_of(OPS(f)->status_list_get(CTX(f), GR_STR("nope"), &rec, &err), &err),
                GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->status_alloc(CTX(f), 3, 16, 1, NOW, s, &err), &err), GR_ERR_USAGE);
    assert_code(code_of(OPS(f)->status_alloc(CTX(f), 2, 12, 1, NOW, s, &err), &err), GR_ERR_USAGE);
}

/*
 * A large list fills to its last entry, each once, in batches, then the next
 * one opens: the last few are found however a backend looks for free ones
 * (pg_status.c draws at random, then lists the tail).
 */
static void test_status_fill(void **state)
{
    struct fixture *f = *state;
    static struct gr_status_slot s[1024 + 32];
    bool seen[1024] = { false };
    struct gr_err err;

    for (size_t done = 0; done < GR_NELEM(s); done += 32)
        ok(OPS(f)->status_alloc(CTX(f), 1, 1024, 32, NOW, s + done, &err), &err);
    for (size_t i = 0; i < 1024; i++) {
        assert_string_equal(s[i].list_id, s[0].list_id);
        assert_true(s[i].idx < 1024);
        assert_false(seen[s[i].idx]);
        seen[s[i].idx] = true;
    }
    for (size_t i = 1024; i < GR_NELEM(s); i++)
        assert_string_not_equal(s[i].list_id, s[0].list_id);
}

static int race_status(struct race *r, int i, struct gr_err *err)
{
    return OPS(r->f)->status_alloc(CTX(r->f), 2, 64, RACE_SLOTS, NOW, r->slots[i], err);
}

/* Many issuers at once: every entry handed out exactly once. */
static void test_status_race(void **state)
{
    struct race r = { .f = *state, .op = race_status };

    assert_int_equal(run_race(&r), RACERS);
    for (int i = 0; i < RACERS; i++) {
        for (int a = 0; a < RACE_SLOTS; a++) {
            for (int j = 0; j <= i; j++) {
                for (int b = 0; b < (j == i ? a : RACE_SLOTS); b++)
                    assert_false(same_slot(&r.slots[i][a], &r.slots[j][b]));
            }
        }
    }
}

/* Issue n credentials of offer-1 at NOW+i, each with a status entry. */
static void issue_some(struct fixture *f, size_t n, const char *vct, struct gr_issued *out)
{
    struct gr_status_slot slots[8];
    struct gr_err err;

    ok(OPS(f)->status_alloc(CTX(f), 2, 1024, n, NOW, slots, &err), &err);
    for (size_t i = 0; i < n; i++) {
        char id[16];

        snprintf(id, sizeof(id), "cred-%zu", i);
        issued_init(&out[i], id);
        snprintf(out[i].vct, sizeof(out[i].vct), "%s", vct);
        out[i].issued_at = NOW + (int64_t)i;
        out[i].has_status = true;
        out[i].status = slots[i];
    }
    ok(OPS(f)->issued_add(CTX(f), out, n, &err), &err);
}

static unsigned entry(struct fixture *f, const struct gr_status_slot *slot)
{
    struct gr_status_list_rec rec;
    struct gr_err err;
    unsigned v;

    ok(OPS(f)->status_list_get(CTX(f), gr_str_c(slot->list_id), &rec, &err), &err);
    /* TSL §4.1: 2 bits, index i at bits (i mod 4) * 2 of byte i / 4, least significant first. */
    v = rec.statuses[slot->idx / 4] >> (slot->idx % 4 * 2) & 3;
    gr_status_list_rec_release(&rec);
    return v;
}

static void test_lifecycle(void **state)
{
    struct fixture *f = *state;
    struct gr_issued made[3];
    struct gr_credential_rec rec;
    struct gr_err err;
    int64_t version;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issue_some(f, 3, "urn:eudi:pid:1", made);
    ok(OPS(f)->credential_get(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), &rec, &err), &err);
    assert_int_equal(rec.status, GR_CRED_VALID);
    assert_true(rec.issued.has_status);
    assert_int_equal(rec.issued.status.idx, made[1].status.idx);
    /* Another organization's credential does not exist for it. */
    assert_code(
        code_of(OPS(f)->credential_get(CTX(f), GR_STR("org-other"), GR_STR("cred-1"), &rec, &err),
                &err),
        GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-other"), GR_STR("cred-1"),
                                                      GR_CRED_INVALID, NOW, &rec, &err),
                        &err),
                GR_ERR_NOT_FOUND);
    {
        struct gr_status_list_rec l;

        ok(OPS(f)->status_list_get(CTX(f), gr_str_c(made[1].status.list_id), &l, &err), &err);
        version = l.version;
        gr_status_list_rec_release(&l);
    }
    /* suspend, reinstate, revoke: the record and the list entry move together */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                     GR_CRED_SUSPENDED, NOW + 5, &rec, &err),
       &err);
    assert_int_equal(rec.status, GR_CRED_SUSPENDED);
    assert_int_equal(entry(f, &made[1].status), 2);
    assert_int_equal(entry(f, &made[0].status), 0); /* its neighbours untouched */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_VALID,
                                     NOW + 6, &rec, &err),
       &err);
    assert_int_equal(entry(f, &made[1].status), 0);
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_INVALID,
                                     NOW + 7, &rec, &err),
       &err);
    assert_int_equal(entry(f, &made[1].status), 1);
    assert_int_equal(rec.status_at, NOW + 7);
    {
        struct gr_status_list_rec l;

        ok(OPS(f)->status_list_get(CTX(f), gr_str_c(made[1].status.list_id), &l, &err), &err);
        assert_int_equal(l.version, version + 3); /* every change moves the version */
        gr_status_list_rec_release(&l);
    }
    /* Revoking twice is fine; revocation is final. */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_INVALID,
                                     NOW + 8, &rec, &err),
       &err);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                                      GR_CRED_VALID, NOW, &rec, &err),
                        &err),
                GR_ERR_CONFLICT);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                                      GR_CRED_SUSPENDED, NOW, &rec, &err),
                        &err),
                GR_ERR_CONFLICT);
}

static void test_credential_list(void **state)
{
    struct fixture *f = *state;
    struct gr_issued made[6];
    struct gr_credential_rec page[4];
    struct gr_credential_filter all = { .status = -1 };
    struct gr_credential_cursor cur = { 0 };
    struct gr_credential_rec rec;
    struct gr_err err;
    size_t n;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issue_some(f, 6, "urn:eudi:pid:1", made);
    /* Newest first, in pages, to the end. */
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 4);
    assert_string_equal(page[0].issued.id, "cred-5");
    assert_string_equal(page[3].issued.id, "cred-2");
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].issued.id, "cred-1");
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 0);
    /* Filters: by status, by vct, by offer; nothing for another organization. */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-3"),
                                     GR_CRED_SUSPENDED, NOW, &rec, &err),
       &err);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"),
                               &(struct gr_credential_filter){ .status = GR_CRED_SUSPENDED }, &cur,
                               page, 4, &n, &err),
       &err);
    assert_int_equal(n, 1);
    assert_string_equal(page[0].issued.id, "cred-3");
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(
           CTX(f), GR_STR("org-acme"),
           &(struct gr_credential_filter){ .vct = GR_STR("urn:other"), .status = -1 }, &cur, page,
           4, &n, &err),
       &err);
    assert_int_equal(n, 0);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(
           CTX(f), GR_STR("org-acme"),
           &(struct gr_credential_filter){ .offer_id = GR_STR("offer-1"), .status = -1 }, &cur,
           page, 4, &n, &err),
       &err);
    assert_int_equal(n, 4);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-other"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 0);
}

static void test_audit_chain(void **state)
{
    struct fixture *f = *state;
    struct gr_audit_event ev = { .at = NOW,
                                 .kind = "offer.created",
                                 .org_id = "org-acme",
                                 .offer_id = "offer-1",
                                 .client = "127.0.0.1" };
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 0);
    for (int i = 0; i < 5; i++) {
        ev.at = NOW + i;
        ok(OPS(f)->audit_append(CTX(f), &ev, 1, &err), &err);
    }
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 5);
}

static int race_audit(struct race *r, int i, struct gr_err *err)
{
    struct gr_audit_event ev = { .at = NOW + i, .kind = "credential.issued" };

    snprintf(ev.detail, sizeof(ev.detail), "racer %d", i);
    return OPS(r->f)->audit_append(CTX(r->f), &ev, 1, err);
}

/* Appenders at once: every event lands, and the chain does not fork. */
static void test_audit_race(void **state)
{
    struct race r = { .f = *state, .op = race_audit };
    struct gr_err err;
    size_t n = 0;

    assert_int_equal(run_race(&r), RACERS);
    ok(OPS(r.f)->audit_verify(CTX(r.f), &n, &err), &err);
    assert_int_equal(n, RACERS);
}

#define RACE_CREDS 8

static int race_suspend(struct race *r, int i, struct gr_err *err)
{
    struct gr_credential_rec rec;
    char id[16];

    snprintf(id, sizeof(id), "cred-%d", i % RACE_CREDS);
    return OPS(r->f)->credential_set_status(CTX(r->f), GR_STR("org-acme"), gr_str_c(id),
                                            GR_CRED_SUSPENDED, NOW + 1, &rec, err);
}

/* Status changes at once on one list: none overwrites another's entry. */
static void test_status_change_race(void **state)
{
    struct race r = { .f = *state, .op = race_suspend };
    struct gr_issued made[RACE_CREDS];

    put_offer(r.f, &r.f->org, "offer-1", NULL, NOW + 600);
    issue_some(r.f, RACE_CREDS, "urn:eudi:pid:1", made);
    assert_int_equal(run_race(&r), RACERS);
    for (int i = 0; i < RACE_CREDS; i++)
        assert_int_equal(entry(r.f, &made[i].status), GR_CRED_SUSPENDED);
}

static void test_secret(void **state)
{
    struct fixture *f = *state;
    uint8_t a[32], b[32], c[32], zero[32] = { 0 };
    struct gr_err err;

    ok(OPS(f)->secret(CTX(f), "dpop-nonce", a, &err), &err);
    ok(OPS(f)->secret(CTX(f), "dpop-nonce", b, &err), &err);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, zero, 32);
    ok(OPS(f)->secret(CTX(f), "offer-uri", c, &err), &err);
    assert_memory_not_equal(a, c, 32);
    assert_code(code_of(OPS(f)->secret(CTX(f), "", c, &err), &err), GR_ERR_USAGE);
}

static void test_ping(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;

    ok(OPS(f)->ping(CTX(f), &err), &err);
    ok(OPS(f)->ping(CTX(f), &err), &err);
}

static int race_secret(struct race *r, int i, struct gr_err *err)
{
    return OPS(r->f)->secret(CTX(r->f), "race", r->secret[i], err);
}

static void test_secret_race(void **state)
{
    struct race r = { .f = *state, .op = race_secret };

    assert_int_equal(run_race(&r), RACERS);
    for (int i = 1; i < RACERS; i++)
        assert_memory_equal(r.secret[0], r.secret[i], 32);
}

/* A keyring entry for `kid`, opened from file:/keys/<kid>.pem. */
static void key_init(struct gr_signing_key *k, const char *kid)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->kid, sizeof(k->kid), "%s", kid);
    snprintf(k->signer_uri, sizeof(k->signer_uri), "file:/keys/%s.pem", kid);
    snprintf(k->jwk, sizeof(k->jwk), "{\"kty\":\"EC\",\"kid\":\"%s\"}", kid);
}

static void activate(struct fixture *f, const char *kid, int64_t now)
{
    struct gr_signing_key k;
    struct gr_err err;

    key_init(&k, kid);
    ok(OPS(f)->key_activate(CTX(f), &k, now, &err), &err);
}

/* The keyring at `now`, counted; returns how many keys. */
static size_t list_keys(struct fixture *f, int64_t now, struct gr_signing_key *out, size_t max)
{
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->key_list(CTX(f), now, true, out, max, &n, &err), &err);
    return n;
}

/* A credential of offer-1 signed by `kid`, expiring at `exp`. */
static void issue_with(struct fixture *f, const char *id, const char *kid, int64_t exp)
{
    struct gr_issued rec;
    struct gr_err err;

    issued_init(&rec, id);
    snprintf(rec.kid, sizeof(rec.kid), "%s", kid);
    rec.expires_at = exp;
    ok(OPS(f)->issued_add(CTX(f), &rec, 1, &err), &err);
}

/* Activate, rotate, re-activate: one key active, the others retired with their times. */
static void test_keyring(void **state)
{
    struct fixture *f = *state;
    struct gr_signing_key keys[4], bad;
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->key_list(CTX(f), NOW, true, keys, 4, &n, &err), &err);
    assert_int_equal(n, 0);
    activate(f, "key-a", NOW - 100);
    activate(f, "key-a", NOW - 90); /* again: nothing changes */
    assert_int_equal(list_keys(f, NOW, keys, 4), 1);
    assert_string_equal(keys[0].kid, "key-a");
    assert_string_equal(keys[0].signer_uri, "file:/keys/key-a.pem");
    assert_string_equal(keys[0].jwk, "{\"kty\":\"EC\",\"kid\":\"key-a\"}");
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
    assert_int_equal(keys[0].created_at, NOW - 100);
    assert_int_equal(keys[0].activated_at, NOW - 100); /* not moved by the second activation */
    assert_int_equal(keys[0].retired_at, 0);
    assert_int_equal(keys[0].live_until, 0);
    assert_int_equal(keys[0].live_count, 0);
    /* A rotation retires key-a then and there. */
    activate(f, "key-b", NOW - 50);
    assert_int_equal(list_keys(f, NOW, keys, 4), 2);
    assert_string_equal(keys[0].kid, "key-b");
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
    assert_string_equal(keys[1].kid, "key-a");
    assert_int_equal(keys[1].state, GR_KEY_RETIRED);
    assert_int_equal(keys[1].retired_at, NOW - 50);
    /* Back to key-a, from elsewhere: active again, its creation kept, key-b retired. */
    key_init(&bad, "key-a");
    snprintf(bad.signer_uri, sizeof(bad.signer_uri), "file:/moved/key-a.pem");
    ok(OPS(f)->key_activate(CTX(f), &bad, NOW - 10, &err), &err);
    assert_int_equal(list_keys(f, NOW, keys, 4), 2);
    assert_string_equal(keys[0].kid, "key-a");
    assert_string_equal(keys[0].signer_uri, "file:/moved/key-a.pem");
    assert_int_equal(keys[0].created_at, NOW - 100);
    assert_int_equal(keys[0].activated_at, NOW - 10);
    assert_int_equal(keys[0].retired_at, 0);
    assert_string_equal(keys[1].kid, "key-b");
    assert_int_equal(keys[1].retired_at, NOW - 10);
    /* At most `max`, the active one first. */
    activate(f, "key-c", NOW - 5);
    ok(OPS(f)->key_list(CTX(f), NOW, false, keys, 2, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].kid, "key-c");
    assert_string_equal(keys[1].kid, "key-a"); /* retired last */
    assert_int_equal(keys[0].live_count, -1);  /* not counted */
    /* Refused: an empty kid, URI or JWK. */
    key_init(&bad, "");
    assert_code(code_of(OPS(f)->key_activate(CTX(f), &bad, NOW, &err), &err),
                GR_ERR_INVALID_REQUEST);
    key_init(&bad, "key-d");
    bad.jwk[0] = '\0';
    assert_code(code_of(OPS(f)->key_activate(CTX(f), &bad, NOW, &err), &err),
                GR_ERR_INVALID_REQUEST);
    assert_int_equal(list_keys(f, NOW, keys, 4), 3);
}

/* live_until and live_count follow the credentials recorded with each kid. */
static void test_keyring_live(void **state)
{
    struct fixture *f = *state;
    struct gr_signing_key keys[3];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    activate(f, "key-a", NOW - 100);
    issue_with(f, "cred-1", "key-a", NOW + 1000);
    issue_with(f, "cred-2", "key-a", NOW + 5000);
    issue_with(f, "cred-3", "key-a", NOW - 1); /* expired already */
    issue_with(f, "cred-4", "", NOW + 9000);   /* signed before the keyring: no kid */
    activate(f, "key-b", NOW - 50);
    issue_with(f, "cred-5", "key-b", NOW + 200);
    assert_int_equal(list_keys(f, NOW, keys, 3), 2);
    assert_string_equal(keys[0].kid, "key-b");
    assert_int_equal(keys[0].live_until, NOW + 200);
    assert_int_equal(keys[0].live_count, 1);
    assert_string_equal(keys[1].kid, "key-a");
    assert_int_equal(keys[1].live_until, NOW + 5000);
    assert_int_equal(keys[1].live_count, 2);
    /* Later, key-a's last credential outlives key-b's. */
    assert_int_equal(list_keys(f, NOW + 1000, keys, 3), 2);
    assert_int_equal(keys[0].live_count, 0);
    assert_int_equal(keys[1].live_count, 1);
    assert_int_equal(keys[1].live_until, NOW + 5000); /* past or not: the caller compares */
}

/* Racing activations of distinct keys: afterwards exactly one is active. */
static int race_activate(struct race *r, int i, struct gr_err *err)
{
    struct gr_signing_key k;
    char kid[16];

    snprintf(kid, sizeof(kid), "key-%02d", i);
    key_init(&k, kid);
    return OPS(r->f)->key_activate(CTX(r->f), &k, NOW, err);
}

static void test_keyring_race(void **state)
{
    struct race r = { .f = *state, .op = race_activate };
    struct gr_signing_key keys[RACERS + 1];
    size_t n, active = 0;

    activate(r.f, "key-old", NOW - 100);
    assert_int_equal(run_race(&r), RACERS);
    n = list_keys(r.f, NOW, keys, GR_NELEM(keys));
    assert_int_equal(n, RACERS + 1);
    for (size_t i = 0; i < n; i++)
        active += keys[i].state == GR_KEY_ACTIVE;
    assert_int_equal(active, 1);
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
}

/* Whether offer `id` still holds its claims. */
static bool holds_claims(struct fixture *f, const char *id)
{
    struct gr_offer got;
    bool holds;

    assert_code(get_offer(f, "org-acme", id, &got), GR_ERR_OK);
    holds = got.subject_json != NULL;
    assert_true(holds == (got.disclosable_json != NULL));
    assert_true(holds == (got.sealed_url != NULL));
    gr_offer_release(&got);
    return holds;
}

static void test_sweep(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    struct gr_token t, got;
    uint8_t h[32];

    put_offer(f, &f->org, "pending", NULL, NOW + 600);
    put_offer(f, &f->org, "expired", NULL, NOW + 10);
    put_offer(f, &f->org, "dead", "493536", NOW + 600);
    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);  /* redeemed, a token till NOW + 300 */
    put_offer(f, &f->org, "no-token", NULL, NOW + 600); /* redeemed, no token stored */
    for (int i = 0; i < MAX_TX; i++)
        assert_code(redeem(f, "dead", "000000", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    assert_code(redeem(f, "no-token", NULL, NOW, NULL), GR_ERR_OK);
    token_init(&t, "token-1", true, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &t, &err), &err);
    hash("nonce-1", h);
    ok(OPS(f)->nonce_put(CTX(f), h, NOW + 10, &err), &err);
    assert_code(jti(f, "jti-1", NOW + 10, NOW), GR_ERR_OK);

    ok(OPS(f)->sweep(CTX(f), NOW + 10, 300, &err), &err);
    assert_true(holds_claims(f, "pending"));
    assert_false(holds_claims(f, "expired"));
    assert_false(holds_claims(f, "dead"));
    assert_true(holds_claims(f, "offer-1"));
    assert_true(holds_claims(f, "no-token")); /* a token made at redemption could still use it */
    /*
     * Expired things are gone, not merely expired: a clock set back does not
     * revive them. Redis expires its keys by its own clock, not the sweep's.
     */
    if (!backend->redis) {
        assert_code(take(f, "nonce-1", NOW), GR_ERR_INVALID_NONCE);
        assert_code(jti(f, "jti-1", NOW + 10, NOW), GR_ERR_OK);
    }

    ok(OPS(f)->sweep(CTX(f), NOW + 300, 300, &err), &err);
    assert_false(holds_claims(f, "offer-1"));
    assert_false(holds_claims(f, "no-token"));
    assert_true(holds_claims(f, "pending"));
    if (!backend->redis)
        assert_code(code_of(OPS(f)->token_get(CTX(f), t.hash, NOW, &got, &err), &err),
                    GR_ERR_INVALID_TOKEN);
}

static void test_reopen(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    struct gr_store second;
    struct gr_offer got;
    uint8_t a[32], b[32], h[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    ok(OPS(f)->secret(CTX(f), "k", a, &err), &err);
    hash("nonce-1", h);
    ok(OPS(f)->nonce_put(CTX(f), h, NOW + 300, &err), &err);

    /* A second store on the same file, as a second process would have: same state. */
    open_store(f->url, &second);
    ok(second.ops->secret(second.ctx, "k", b, &err), &err);
    assert_memory_equal(a, b, 32);
    gr_store_close(&second);

    gr_store_close(&f->s);
    open_store(f->url, &f->s);
    ok(OPS(f)->secret(CTX(f), "k", b, &err), &err);
    assert_memory_equal(a, b, 32);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(take(f, "nonce-1", NOW), GR_ERR_OK);
}

static const struct CMUnitTest contract[] = {
    cmocka_unit_test_setup_teardown(test_orgs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_org_limits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
    cmocka_unit_test_setup_teardown(test_offer_put_get, setup, teardown),
    cmocka_unit_test_setup_teardown(test_offer_by_code, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_with_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_tx_codes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_attempt_cap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_wrong_tx_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nonces, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nonce_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jti, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jti_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_issued_add, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_alloc, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_fill, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
    cmocka_unit_test_setup_teardown(test_credential_list, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audit_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_change_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secret, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secret_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring_live, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
};

int main(void)
{
    int failed = 0;

    for (size_t i = 0; i < GR_NELEM(backends); i++) {
        backend = &backends[i];
        if (backend->url == pg_url && getenv("GR_TEST_PG") == NULL)
            continue;
        if (backend->redis && getenv("GR_TEST_REDIS_URL") == NULL)
            continue;
        failed += _cmocka_run_group_tests(backend->name, contract, GR_NELEM(contract), NULL, NULL);
    }
    return failed;
}

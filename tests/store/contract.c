/* The store contract's harness: see contract.h. */
#include "contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/redis_internal.h"

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
    { "sqlite", sqlite_url, false, NULL },
    { "postgres", pg_url, false, NULL },                                 /* only with GR_TEST_PG */
    { "postgres+redis", pg_url, true, "GR_TEST_REDIS_URL" },             /* ... and a Redis */
    { "postgres+redis-unix", pg_url, true, "GR_TEST_REDIS_SOCKET_URL" }, /* on its socket */
};

/* see contract.h */
void redis_command(const char *command)
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
    r = redisCommand(c, command);
    if (r == NULL || r->type != REDIS_REPLY_STATUS)
        fail_msg("redis %s failed", command);
    freeReplyObject(r);
    redisFree(c);
}

const struct backend *backend; /* the one the running group tests */

/*
 * The code of a call's result; a failure's sentence must be fit for
 * error_description (STYLE §2.1): present, one sentence, no quote or backslash.
 */
enum gr_errc code_of(int rc, const struct gr_err *err)
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

void hash(const char *s, uint8_t out[32])
{
    gr_sha256(s, strlen(s), out);
}

void open_store(const char *url, struct gr_store *s)
{
    struct gr_store db;
    struct gr_err err;

    if (gr_store_open(gr_str_c(url), backend->redis ? &db : s, &err) < 0)
        fail_msg("open %s: %s (%s)", url, err.desc, err.cause);
    if (backend->redis &&
        gr_store_with_redis(&db, gr_str_c(getenv(backend->redis_env)), s, &err) < 0)
        fail_msg("redis: %s (%s)", err.desc, err.cause);
}

void make_org(struct fixture *f, const char *id, const char *name, const char *key,
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

int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/gr_store_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    backend->url(f->dir, f->url, sizeof(f->url));
    if (backend->redis)
        redis_command("FLUSHDB"); /* each test starts from nothing */
    open_store(f->url, &f->s);
    make_org(f, "org-acme", "acme", "key-acme", &f->org);
    make_org(f, "org-other", "other", "key-other", &f->other);
    *state = f;
    return 0;
}

int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    gr_store_close(&f->s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    free(f);
    return system(cmd) == 0 ? 0 : -1;
}

/* A pending offer of `org`, its code "code-<id>", expiring at `exp`; `tx` NULL for none. */
void offer_init(struct gr_offer *o, const struct gr_org *org, const char *id, const char *tx,
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

void put_offer(struct fixture *f, const struct gr_org *org, const char *id, const char *tx,
               int64_t exp)
{
    struct gr_offer o;
    struct gr_err err;

    offer_init(&o, org, id, tx, exp);
    ok(OPS(f)->offer_put(CTX(f), &o, NULL, &err), &err);
}

/* Redeem offer `id`'s code with transaction code `tx` (NULL: none sent) at `now`. */
enum gr_errc redeem(struct fixture *f, const char *id, const char *tx, int64_t now,
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
    rc = OPS(f)->offer_redeem(CTX(f), code_h, tx ? tx_h : NULL, now, MAX_TX, NULL, NULL,
                              out ? out : &scratch, &err);
    if (out == NULL)
        gr_offer_release(&scratch);
    return code_of(rc, &err);
}

enum gr_errc get_offer(struct fixture *f, const char *org_id, const char *id, struct gr_offer *out)
{
    struct gr_err err;

    return code_of(OPS(f)->offer_get(CTX(f), gr_str_c(org_id), gr_str_c(id), out, &err), &err);
}

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
int run_race(struct race *r)
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
void assert_losers(const struct race *r, enum gr_errc want)
{
    for (int i = 0; i < RACERS; i++) {
        if (r->code[i] == GR_ERR_OK)
            continue;
        if (r->code[i] != want)
            fail_msg("racer %d: %s (%s)", i, gr_errc_name(r->code[i]), r->desc[i]);
        assert_null(strpbrk(r->desc[i], "\"\\"));
    }
}

void token_init(struct gr_token *t, const char *token, bool dpop, int64_t exp)
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

void issued_init(struct gr_issued *r, const char *id)
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

bool same_slot(const struct gr_status_slot *a, const struct gr_status_slot *b)
{
    return a->idx == b->idx && strcmp(a->list_id, b->list_id) == 0;
}

/* Add `id` (hashed) to the replay set until `exp`, at `now`: the code of it. */
enum gr_errc jti(struct fixture *f, const char *id, int64_t exp, int64_t now)
{
    struct gr_err err;
    uint8_t h[32];

    hash(id, h);
    return code_of(OPS(f)->jti_add(CTX(f), h, exp, now, &err), &err);
}

/* see contract.h */
int contract_run(const struct CMUnitTest *cases, size_t n)
{
    int failed = 0;

    for (size_t i = 0; i < GR_NELEM(backends); i++) {
        backend = &backends[i];
        if (backend->url == pg_url && getenv("GR_TEST_PG") == NULL)
            continue;
        if (backend->redis && getenv(backend->redis_env) == NULL)
            continue;
        failed += _cmocka_run_group_tests(backend->name, cases, n, NULL, NULL);
    }
    return failed;
}

/* see contract.h */
size_t audit_last(struct fixture *f, struct gr_audit_event *out)
{
    static const char sql[] = "SELECT kind, org_id, offer_id, (SELECT count(*) FROM audit), "
                              "detail FROM audit ORDER BY seq DESC LIMIT 1";
    const char *v[5] = { "", "", "", "0", "" };
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    PGconn *pg = NULL;
    PGresult *r = NULL;
    size_t n;

    if (strncmp(f->url, "sqlite:", 7) == 0) {
        if (sqlite3_open_v2(f->url + 7, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("audit_last: %s", sqlite3_errmsg(db));
        if (sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < 5; i++)
                v[i] = (const char *)sqlite3_column_text(st, i);
        }
    } else {
        pg = PQconnectdb(f->url);
        r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("audit_last: %s", PQerrorMessage(pg));
        for (int i = 0; PQntuples(r) == 1 && i < 5; i++)
            v[i] = PQgetvalue(r, 0, i);
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->kind, sizeof(out->kind), "%s", v[0]);
    snprintf(out->org_id, sizeof(out->org_id), "%s", v[1]);
    snprintf(out->offer_id, sizeof(out->offer_id), "%s", v[2]);
    snprintf(out->detail, sizeof(out->detail), "%s", v[4]);
    n = strtoul(v[3], NULL, 10);
    sqlite3_finalize(st);
    sqlite3_close(db);
    PQclear(r);
    PQfinish(pg);
    return n;
}

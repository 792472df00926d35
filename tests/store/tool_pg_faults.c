/*
 * What only the PostgreSQL store has, against the server of GR_TEST_PG
 * (tests/store/test_pg.sh): migrations raced by stores opening at once, a
 * connection lost under the store and reset, a lock wait cut short by
 * lock_timeout, the server stopped and started again under an open store
 * (GR_TEST_PG_STOP and GR_TEST_PG_START, from scripts/pg-test.sh), and a
 * server that is not there. Every wait is bounded: the
 * store answers TEMPORARILY_UNAVAILABLE quickly instead of hanging. Prints
 * one line per check and exits non-zero if any failed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include <gramota/err.h>
#include <gramota/store.h>

/* The number of schema steps (src/store/pg_schema.c), which a migrated database records. */
extern const size_t gr__pg_migrations_len;

#define OPENERS 8

static char url[512];
static int failures;

static void check(bool ok, const char *what, const struct gr_err *err)
{
    printf("%s %s", ok ? "ok  " : "FAIL", what);
    if (!ok && err != NULL)
        printf(" (%s: %s; %s)", gr_errc_name(err->code), err->desc, err->cause);
    printf("\n");
    failures += !ok;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static PGresult *sql(PGconn *pg, const char *q)
{
    PGresult *r = PQexec(pg, q);

    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", q, PQerrorMessage(pg));
        exit(1);
    }
    return r;
}

/* Check that `q`'s first value is `want`. */
static void check_sql(PGconn *pg, const char *q, const char *want, const char *what)
{
    PGresult *r = sql(pg, q);
    bool ok = strcmp(PQgetvalue(r, 0, 0), want) == 0;

    if (!ok)
        printf("     got %s, not %s\n", PQgetvalue(r, 0, 0), want);
    check(ok, what, NULL);
    PQclear(r);
}

/*
 * Migration 3 turns the `used` bitmaps of status lists into status_used
 * rows: a list as an older gramota left it (entries 0, 9 and 1023 of 1024
 * handed out, marked in its bitmap) comes out with exactly those rows, and
 * the next allocations never hand them out again.
 */
static void bitmap_migration(PGconn *db)
{
    struct gr_status_slot slots[1021];
    struct gr_store s;
    struct gr_err err;
    PGresult *r;
    bool ok;
    int again = 0;

    if (gr_store_open(gr_str_c(url), &s, &err) < 0 ||
        s.ops->status_alloc(s.ctx, 1, 1024, 1, 1, slots, &err) < 0) {
        check(false, "open and allocate for the bitmap migration", &err);
        return;
    }
    gr_store_close(&s);
    /*
     * Back to schema 2: the bitmap marks 0, 9 and 1023 (bit i % 8 of byte i / 8),
     * migration 11's columns are gone and the nonces table is back.
     */
    PQclear(sql(db, "DROP TABLE status_used"));
    PQclear(sql(db, "ALTER TABLE status_lists DROP COLUMN next, DROP COLUMN order_key, "
                    "DROP COLUMN skip_used"));
    PQclear(sql(db, "CREATE TABLE nonces (hash BYTEA PRIMARY KEY CHECK (length(hash) = 32), "
                    "expires_at BIGINT NOT NULL)")); /* gone at migration 12 */
    PQclear(sql(db, "UPDATE status_lists SET free = 1021, used = set_bit(set_bit(set_bit("
                    "decode(repeat('00', 128), 'hex'), 0, 1), 9, 1), 1023, 1)"));
    PQclear(sql(db, "UPDATE gramota_schema SET version = 2"));
    if (gr_store_open(gr_str_c(url), &s, &err) < 0) {
        check(false, "a schema 2 database opens (migrated)", &err);
        return;
    }
    r = sql(db, "SELECT string_agg(idx::text, ',' ORDER BY idx), min(length(used)) "
                "FROM status_used, status_lists");
    ok = strcmp(PQgetvalue(r, 0, 0), "0,9,1023") == 0 && strcmp(PQgetvalue(r, 0, 1), "0") == 0;
    PQclear(r);
    check(ok, "migration 3 turns a list's bitmap into exactly its rows", NULL);
    /*
     * The other 1021 entries fill the list, in batches as issuance takes them; none of the
     * three comes again (migration 11: the list skips the entries its rows name).
     */
    ok = true;
    for (size_t done = 0; ok && done < GR_NELEM(slots); done += 10) {
        size_t n = GR_NELEM(slots) - done < 10 ? GR_NELEM(slots) - done : 10;

        ok = s.ops->status_alloc(s.ctx, 1, 1024, n, 1, slots + done, &err) == 0;
    }
    for (size_t i = 0; ok && i < GR_NELEM(slots); i++) {
        again += slots[i].idx == 0 || slots[i].idx == 9 || slots[i].idx == 1023;
        again += strcmp(slots[i].list_id, slots[0].list_id) != 0;
        for (size_t j = 0; j < i; j++)
            again += slots[i].idx == slots[j].idx;
    }
    check(ok && again == 0, "a list migrated from a bitmap fills up, each entry once", &err);
    /* The next list opens, and its entries cost no status_used rows. */
    ok = s.ops->status_alloc(s.ctx, 1, 1024, 10, 1, slots, &err) == 0 &&
         strcmp(slots[0].list_id, slots[1020].list_id) != 0;
    r = sql(db, "SELECT count(*) FROM status_used");
    check(ok && strcmp(PQgetvalue(r, 0, 0), "3") == 0,
          "a list opened since migration 11 counts its entries off one row", &err);
    PQclear(r);
    gr_store_close(&s);
}

static void *open_one(void *arg)
{
    struct gr_store s;
    struct gr_err *err = arg;

    if (gr_store_open(gr_str_c(url), &s, err) == 0) {
        gr_store_close(&s);
        err->code = GR_ERR_OK;
    }
    return NULL;
}

/* Stores opening at once on an empty database: one migrates, the others wait and find it done. */
static void migration_race(PGconn *db)
{
    pthread_t t[OPENERS];
    struct gr_err err[OPENERS];
    PGresult *r;
    bool all = true;

    for (int i = 0; i < OPENERS; i++) {
        memset(&err[i], 0, sizeof(err[i]));
        err[i].code = GR_ERR_SERVER_ERROR;
        pthread_create(&t[i], NULL, open_one, &err[i]);
    }
    for (int i = 0; i < OPENERS; i++) {
        pthread_join(t[i], NULL);
        if (err[i].code != GR_ERR_OK) {
            check(false, "a store opened during the migration race", &err[i]);
            all = false;
        }
    }
    /* One row, at the latest step. */
    r = sql(db, "SELECT count(*), min(version) FROM gramota_schema");
    check(all && strcmp(PQgetvalue(r, 0, 0), "1") == 0 &&
              strtoull(PQgetvalue(r, 0, 1), NULL, 10) == gr__pg_migrations_len,
          "8 stores opening at once migrate once", NULL);
    PQclear(r);
    /*
     * Migrations 5 and 6: no foreign key, nor a unique index nothing searches, on the rows an
     * issuance writes.
     */
    check_sql(
        db,
        "SELECT count(*) FROM pg_constraint WHERE (contype = 'f' AND conrelid::regclass::text "
        "IN ('issued', 'status_used', 'offers', 'tokens')) OR conname = 'issued_seq_key'",
        "0", "no foreign key or unused unique index on the rows every issuance writes");
    /* Migration 7: no index of status_lists names `free`, whose updates can then be HOT. */
    check_sql(db,
              "SELECT count(*) FROM pg_index WHERE indrelid = 'status_lists'::regclass "
              "AND (indpred IS NOT NULL OR indexprs IS NOT NULL OR EXISTS (SELECT 1 FROM "
              "pg_attribute a WHERE a.attrelid = indrelid AND a.attname = 'free' "
              "AND a.attnum = ANY (indkey)))",
              "0", "an allocation's update of a status list's count touches no index");
    /* Migration 8: no CHECK on the tables an issuance writes; the rarely written keep theirs. */
    check_sql(db,
              "SELECT count(*) FILTER (WHERE conrelid::regclass::text IN ('offers', 'tokens', "
              "'jtis', 'status_lists', 'issued', 'audit')) = 0 AND count(*) > 0 FROM "
              "pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace",
              "t", "no CHECK is re-planned for each statement of an issuance");
    /* Migration 9: every indexed text column but an organization's name compares bytes. */
    check_sql(db,
              "SELECT coalesce(string_agg(c.relname || '.' || a.attname, ', '), '') FROM "
              "pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON "
              "a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE c.relnamespace = "
              "'public'::regnamespace AND a.atttypid = 'text'::regtype AND a.attcollation <> "
              "'\"C\"'::regcollation AND NOT (c.relname = 'orgs' AND a.attname = 'name') "
              "AND c.relname <> 'gramota_schema'",
              "", "indexed ids compare bytes, not a language's collation");
    /* Migration 10: the short-lived tables are indexed by their keys alone. */
    check_sql(db,
              "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE "
              "c.relname IN ('jtis', 'tokens', 'rate_buckets') AND NOT i.indisprimary",
              "0", "a jti, token or rate take is one index entry");
    /* Migration 12: c_nonces are stateless; no table holds them. */
    check_sql(db, "SELECT to_regclass('nonces') IS NULL", "t", "no table of c_nonces");
}

/*
 * Rows out of shape, as someone else's writes could leave them now that the
 * tables an issuance writes have no CHECK (migration 8): each read refuses
 * them with SERVER_ERROR rather than passing them on.
 */
static void damaged_rows(PGconn *db, struct gr_store *s)
{
    struct gr_issued rec = { .id = "dmg-cred",
                             .org_id = "dmg-org",
                             .offer_id = "dmg-offer",
                             .config_id = "pid",
                             .vct = "urn:eudi:pid:1",
                             .issued_at = 1,
                             .expires_at = 2 };
    struct gr_offer offer = { .id = "dmg-offer",
                              .org_id = "dmg-org",
                              .config_id = "pid",
                              .code_hash = { 0xd0 },
                              .created_at = 1,
                              .expires_at = 2 };
    struct gr_token tok = { .hash = { 0xd1 },
                            .offer_id = "dmg-offer",
                            .org_id = "dmg-org",
                            .config_id = "pid",
                            .dpop_bound = true,
                            .expires_at = 9 };
    struct gr_credential_rec cred;
    struct gr_status_list_rec list;
    struct gr_status_slot slot;
    struct gr_token got_tok;
    struct gr_offer got_offer;
    struct gr_err err;
    char q[256];

    if (s->ops->status_alloc(s->ctx, 8, 64, 1, 1, &slot, &err) < 0 ||
        s->ops->issued_add(s->ctx, &rec, 1, NULL, 0, &err) < 0 ||
        s->ops->offer_put(s->ctx, &offer, NULL, &err) < 0 ||
        s->ops->token_put(s->ctx, &tok, &err) < 0) {
        check(false, "rows to damage", &err);
        return;
    }
    snprintf(q, sizeof(q), "UPDATE status_lists SET bits = 3 WHERE id = '%s'", slot.list_id);
    PQclear(sql(db, q));
    PQclear(sql(db, "UPDATE issued SET status = 7 WHERE id = 'dmg-cred'"));
    PQclear(sql(db, "UPDATE offers SET state = 'bogus' WHERE id = 'dmg-offer'"));
    PQclear(sql(db, "UPDATE tokens SET jkt = '\\x01' WHERE offer_id = 'dmg-offer'"));
    check(s->ops->status_list_get(s->ctx, gr_str_c(slot.list_id), &list, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "a status list of 3 bits is refused", NULL);
    /* The open list's order key cut short, then its counter past its end: nothing handed out. */
    snprintf(q, sizeof(q),
             "UPDATE status_lists SET bits = 8, order_key = '\\x0102' WHERE id = '%s'",
             slot.list_id);
    PQclear(sql(db, q));
    check(s->ops->status_alloc(s->ctx, 8, 64, 1, 1, &slot, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "a status list with a damaged order key hands out nothing", NULL);
    snprintf(q, sizeof(q),
             "UPDATE status_lists SET order_key = '\\x%s', next = size + 5 WHERE id = '%s'",
             "000102030405060708090a0b0c0d0e0f", slot.list_id);
    PQclear(sql(db, q));
    check(s->ops->status_alloc(s->ctx, 8, 64, 1, 1, &slot, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "a status list counted past its end hands out nothing", NULL);
    check(s->ops->credential_get(s->ctx, GR_STR("dmg-org"), GR_STR("dmg-cred"), &cred, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "a credential of status 7 is refused", NULL);
    check(s->ops->offer_get(s->ctx, GR_STR("dmg-org"), GR_STR("dmg-offer"), &got_offer, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "an offer in no known state is refused", NULL);
    check(s->ops->token_get(s->ctx, tok.hash, 1, &got_tok, &err) < 0 &&
              err.code == GR_ERR_SERVER_ERROR,
          "a token bound to a one-byte thumbprint is refused", NULL);
}

/* The server drops every connection of the store: the next call may fail fast, then it works. */
static void lost_connection(PGconn *db, struct gr_store *s)
{
    uint8_t a[32], b[32];
    struct gr_err err;
    int rc;

    if (s->ops->secret(s->ctx, "k", a, &err) < 0)
        check(false, "secret before the cut", &err);
    PQclear(sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"));
    rc = s->ops->secret(s->ctx, "k", b, &err);
    check(rc == 0 || err.code == GR_ERR_TEMPORARILY_UNAVAILABLE,
          "the first call after a cut fails with 503 at worst", &err);
    rc = s->ops->secret(s->ctx, "k", b, &err);
    check(rc == 0 && memcmp(a, b, 32) == 0, "the next call reconnects and works", &err);
}

/* Another session holds the audit lock: the append gives up at lock_timeout with 503. */
static void lock_timeout(PGconn *db, struct gr_store *s)
{
    struct gr_audit_event ev = { .at = 1, .kind = "test.lock" };
    struct gr_err err;
    double t0;
    int rc;

    PQclear(sql(db, "BEGIN"));
    PQclear(sql(db, "SELECT pg_advisory_xact_lock(1196581229, 2)"));
    t0 = now_s();
    rc = s->ops->audit_append(s->ctx, &ev, 1, &err);
    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && now_s() - t0 < 10,
          "a lock held elsewhere ends in 503 within the lock timeout", rc < 0 ? &err : NULL);
    PQclear(sql(db, "ROLLBACK"));
    rc = s->ops->audit_append(s->ctx, &ev, 1, &err);
    check(rc == 0, "the append works once the lock is free", &err);
}

/* The server goes away and comes back: 503 quickly meanwhile, then service resumes by itself. */
static void outage(struct gr_store *s)
{
    const char *stop = getenv("GR_TEST_PG_STOP"), *start = getenv("GR_TEST_PG_START");
    uint8_t a[32], b[32];
    struct gr_err err;
    double t0;
    bool fast = true;
    int rc = -1;

    if (stop == NULL || start == NULL) {
        check(false, "GR_TEST_PG_STOP and GR_TEST_PG_START are set", NULL);
        return;
    }
    if (s->ops->secret(s->ctx, "outage", a, &err) < 0)
        check(false, "secret before the outage", &err);
    if (system(stop) != 0) {
        check(false, "the server stops", NULL);
        return;
    }
    for (int i = 0; i < 3; i++) {
        t0 = now_s();
        rc = s->ops->secret(s->ctx, "outage", b, &err);
        fast = fast && rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && now_s() - t0 < 2;
    }
    check(fast, "every call while the server is down is 503 within 2 s", rc < 0 ? &err : NULL);
    t0 = now_s();
    rc = s->ops->ping(s->ctx, &err);
    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && now_s() - t0 < 2,
          "ping (readiness) while the server is down is 503 within 2 s", rc < 0 ? &err : NULL);
    if (system(start) != 0) {
        check(false, "the server starts again", NULL);
        return;
    }
    /* The first call may meet a connection not yet known to be dead; the next must work. */
    rc = s->ops->secret(s->ctx, "outage", b, &err);
    if (rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE)
        rc = s->ops->secret(s->ctx, "outage", b, &err);
    check(rc == 0 && memcmp(a, b, 32) == 0, "service resumes when the server is back", &err);
    rc = s->ops->ping(s->ctx, &err);
    check(rc == 0, "ping answers again once the server is back", &err);
}

static void no_server(void)
{
    struct gr_store s;
    struct gr_err err;
    double t0 = now_s();
    int rc = gr_store_open(GR_STR("postgresql:///gramota?host=/nonexistent/socket/dir"), &s, &err);

    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && now_s() - t0 < 5,
          "a server that is not there is 503 at once", rc < 0 ? &err : NULL);
}

int main(void)
{
    const char *info = getenv("GR_TEST_PG");
    PQconninfoOption *opts = info ? PQconninfoParse(info, NULL) : NULL;
    const char *host = "", *user = "";
    char dbinfo[512];
    struct gr_store s;
    struct gr_err err;
    PGconn *admin = NULL, *db = NULL;
    int rc = 1;

    if (opts == NULL) {
        fprintf(stderr, "tool_pg_faults: GR_TEST_PG must hold a libpq conninfo\n");
        return 1;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val)
            host = o->val;
        if (strcmp(o->keyword, "user") == 0 && o->val)
            user = o->val;
    }
    admin = PQconnectdb(info);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "tool_pg_faults: %s", PQerrorMessage(admin));
        goto out;
    }
    PQclear(sql(admin, "CREATE DATABASE gr_faults"));
    snprintf(url, sizeof(url), "postgresql:///gr_faults?host=%s&user=%s", host, user);
    snprintf(dbinfo, sizeof(dbinfo), "host=%s user=%s dbname=gr_faults", host, user);
    db = PQconnectdb(dbinfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "tool_pg_faults: %s", PQerrorMessage(db));
        goto out;
    }
    migration_race(db);
    bitmap_migration(db);
    if (gr_store_open(gr_str_c(url), &s, &err) < 0) {
        check(false, "open", &err);
        goto out;
    }
    damaged_rows(db, &s);
    lost_connection(db, &s);
    lock_timeout(db, &s);
    PQfinish(db); /* the outage ends every session */
    db = NULL;
    outage(&s);
    gr_store_close(&s);
    no_server();
    rc = failures ? 1 : 0;
out:
    PQfinish(db);
    PQfinish(admin);
    PQconninfoFree(opts);
    printf("%s\n", rc ? "tool_pg_faults: FAILED" : "tool_pg_faults: all passed");
    return rc;
}

/*
 * What only the SQLite store has, beyond the contract of test_store.c: its
 * URLs, the file on disk (mode, WAL, schema version, rows), and how it waits
 * for, then gives up on, a writer holding the lock.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <gramota/store.h>

#define NOW 1764000000

struct fixture {
    char dir[64];
    char url[256];
    const char *path; /* the file, inside url */
    struct gr_store s;
};

#define OPS(f) ((f)->s.ops)
#define CTX(f) ((f)->s.ctx)

static void open_store(const char *url, struct gr_store *s)
{
    struct gr_err err;

    if (gr_store_open(gr_str_c(url), s, &err) < 0)
        fail_msg("open %s: %s (%s)", url, err.desc, err.cause);
}

/* A store holding one organization, "org-acme", with one pending offer, "offer-1". */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct gr_org org = { .id = "org-acme", .name = "acme", .created_at = NOW };
    struct gr_offer o = {
        .id = "offer-1",
        .org_id = "org-acme",
        .config_id = "pid_sd_jwt",
        .state = GR_OFFER_PENDING,
        .created_at = NOW,
        .expires_at = NOW + 10,
    };
    struct gr_buf subject;
    struct gr_err err;
    uint8_t key[32];

    /* Claims larger than a page, so that some live in overflow pages. */
    gr_buf_init(&subject, GR_BUF_UNBOUNDED);
    gr_buf_adds(&subject, "{\"given_name\":\"Erika\",\"portrait\":\"");
    for (int i = 0; i < 1000; i++)
        gr_buf_adds(&subject, "Erika-Mustermann ");
    gr_buf_adds(&subject, "\"}");
    o.subject_json = subject.data;
    snprintf(f->dir, sizeof(f->dir), "/tmp/gr_sqlite_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->url, sizeof(f->url), "sqlite:%s/gramota.db", f->dir);
    f->path = f->url + strlen("sqlite:");
    open_store(f->url, &f->s);
    gr_sha256("key", 3, key);
    gr_sha256("code", 4, o.code_hash);
    ok(OPS(f)->org_create(CTX(f), &org, key, &err), &err);
    ok(OPS(f)->offer_put(CTX(f), &o, NULL, &err), &err);
    gr_buf_release(&subject);
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

static void sql(const char *path, const char *stmt)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, stmt, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", stmt, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static int64_t sql_int(const char *path, const char *query)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static enum gr_errc open_code(const char *url, struct gr_err *err)
{
    struct gr_store s;
    int rc = gr_store_open(gr_str_c(url), &s, err);

    if (rc == 0)
        gr_store_close(&s);
    if (rc < 0 && (strpbrk(err->desc, "\"\\") || strstr(err->desc, "/tmp/")))
        fail_msg("sentence unfit for error_description: '%s'", err->desc);
    return t_code(rc, err);
}

static void test_urls(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    char url[256];
    FILE *junk;

    assert_code(open_code("mysql://localhost/gramota", &err), GR_ERR_USAGE);
    assert_code(open_code("/var/lib/gramota/gramota.db", &err), GR_ERR_USAGE);
    /* PostgreSQL URLs go to libpq: one it cannot parse is USAGE, a server not there is 503. */
    assert_code(open_code("postgres://[::1/gramota", &err), GR_ERR_USAGE);
    assert_non_null(strstr(err.desc, "PostgreSQL"));
    assert_code(open_code("postgresql:///gramota?host=/nonexistent/socket/dir", &err),
                GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_code(open_code("sqlite:", &err), GR_ERR_USAGE);
    assert_code(open_code("sqlite::memory:", &err), GR_ERR_USAGE);
    /* The path is told to the log, not in the sentence. */
    assert_code(open_code("sqlite:/nonexistent/directory/gramota.db", &err), GR_ERR_IO);
    assert_null(strstr(err.desc, "nonexistent"));
    assert_non_null(strstr(err.cause, "/nonexistent/directory/gramota.db"));
    /* Not a database. */
    snprintf(url, sizeof(url), "%s/junk.db", f->dir);
    junk = fopen(url, "wb");
    assert_non_null(junk);
    for (int i = 0; i < 512; i++)
        fputs("not a database ", junk);
    fclose(junk);
    snprintf(url, sizeof(url), "sqlite:%s/junk.db", f->dir);
    assert_code(open_code(url, &err), GR_ERR_IO);
    assert_null(strstr(err.desc, "junk"));
}

static void test_file(void **state)
{
    struct fixture *f = *state;
    char wal[300];
    struct stat st;

    /* Claims and secrets inside: readable by the owner only, the WAL too. */
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(sql_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    /* Only hashes of secrets are kept. */
    assert_int_equal(sql_int(f->path, "SELECT length(code_hash) FROM offers"), 32);
    assert_int_equal(sql_int(f->path, "SELECT length(key_hash) FROM orgs"), 32);
}

static void test_migrations(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    int64_t version = sql_int(f->path, "PRAGMA user_version");
    char set[64];

    assert_true(version >= 1);
    /* Opening again migrates nothing and loses nothing, with a store still open. */
    {
        struct gr_store second;

        open_store(f->url, &second);
        gr_store_close(&second);
    }
    assert_int_equal(sql_int(f->path, "PRAGMA user_version"), version);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM orgs"), 1);
    /* A database from a newer gramota is refused, and left alone. */
    gr_store_close(&f->s);
    sql(f->path, "PRAGMA user_version = 9999");
    assert_code(open_code(f->url, &err), GR_ERR_USAGE);
    assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 9999);
    snprintf(set, sizeof(set), "PRAGMA user_version = %d", (int)version);
    sql(f->path, set);
    open_store(f->url, &f->s);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM offers"), 1);
}

/* Whether the file `path` + `suffix` holds the bytes of `text` (a missing file holds nothing). */
static bool file_has(const char *path, const char *suffix, const char *text)
{
    char name[300];
    struct gr_buf b;
    size_t n = strlen(text);
    bool found = false;
    FILE *in;
    char chunk[4096];
    size_t got;

    snprintf(name, sizeof(name), "%s%s", path, suffix);
    in = fopen(name, "rb");
    if (in == NULL)
        return false;
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    while ((got = fread(chunk, 1, sizeof(chunk), in)) > 0)
        gr_buf_add(&b, chunk, got);
    fclose(in);
    for (size_t i = 0; !found && b.len >= n && i <= b.len - n; i++)
        found = memcmp(b.data + i, text, n) == 0;
    gr_buf_release(&b);
    return found;
}

/* Sweeping deletes rows rather than hiding them; offers stay, without claims. */
static void test_sweep_rows(void **state)
{
    struct fixture *f = *state;
    struct gr_token t = { .offer_id = "offer-1", .org_id = "org-acme", .expires_at = NOW + 10 };
    struct gr_err err;
    uint8_t h[32];

    assert_true(file_has(f->path, "-wal", "Erika")); /* the check below can see them */
    gr_sha256("token", 5, t.hash);
    ok(OPS(f)->token_put(CTX(f), &t, &err), &err);
    gr_sha256("nonce", 5, h);
    ok(OPS(f)->jti_add(CTX(f), h, NOW + 10, NOW, &err), &err);
    gr_sha256("jti", 3, h);
    ok(OPS(f)->jti_add(CTX(f), h, NOW + 11, NOW, &err), &err);
    ok(OPS(f)->sweep(CTX(f), NOW + 10, 300, &err), &err);
    /* The claims are gone from the bytes on disk too: zeroed, and the WAL cut. */
    assert_false(file_has(f->path, "-wal", "Erika"));
    assert_false(file_has(f->path, "", "Erika"));
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM tokens"), 0);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM jtis"), 1);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM offers WHERE subject_json IS NULL"), 1);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM offers"), 1);
}

/* Another process's writer, holding the write lock for `ms`. */
struct holder {
    const char *path;
    int ms;
    pthread_barrier_t locked;
};

static void *hold_lock(void *arg)
{
    struct holder *h = arg;
    struct timespec ts = { h->ms / 1000, (long)(h->ms % 1000) * 1000000L };
    sqlite3 *db = NULL;

    sqlite3_open(h->path, &db);
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    pthread_barrier_wait(&h->locked);
    nanosleep(&ts, NULL);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

static double seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Add a jti while another writer holds the lock for `ms`; the code, and the time it took. */
static enum gr_errc put_while_locked(struct fixture *f, int ms, double *took, struct gr_err *err)
{
    struct holder h = { .path = f->path, .ms = ms };
    pthread_t t;
    uint8_t hash[32];
    double start;
    int rc;

    gr_sha256(&ms, sizeof(ms), hash);
    pthread_barrier_init(&h.locked, NULL, 2);
    assert_int_equal(pthread_create(&t, NULL, hold_lock, &h), 0);
    pthread_barrier_wait(&h.locked);
    start = seconds();
    rc = OPS(f)->jti_add(CTX(f), hash, NOW + 10, NOW, err);
    *took = seconds() - start;
    pthread_join(t, NULL);
    pthread_barrier_destroy(&h.locked);
    return t_code(rc, err);
}

/* The audit table refuses changes through SQLite, and a change made around that breaks the chain.
 */
static void test_audit_tamper(void **state)
{
    struct fixture *f = *state;
    struct gr_audit_event ev = { .at = NOW, .kind = "credential.issued", .org_id = "org-acme" };
    struct gr_err err;
    size_t n;
    sqlite3 *db = NULL;

    for (int i = 0; i < 3; i++)
        ok(OPS(f)->audit_append(CTX(f), &ev, 1, &err), &err);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE audit SET kind = 'x' WHERE seq = 2", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 2", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 3);
    /* Someone with the file drops the guard and rewrites an event. */
    sql(f->path, "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'edited' WHERE seq = 2;");
    assert_int_equal(OPS(f)->audit_verify(CTX(f), &n, &err), -1);
    assert_non_null(strstr(err.desc, "event 2"));
    sql(f->path, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2;");
    assert_int_equal(OPS(f)->audit_verify(CTX(f), &n, &err), -1);
}

static void test_busy(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    double took;

    /* A writer waits for another rather than failing... */
    assert_code(put_while_locked(f, 500, &took, &err), GR_ERR_OK);
    assert_true(took >= 0.4);
    /* ...up to the busy timeout, then answers 503 with the reason in the log only. */
    assert_code(put_while_locked(f, 6500, &took, &err), GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_true(took >= 4.5);
    assert_null(strpbrk(err.desc, "\"\\"));
    assert_non_null(strstr(err.cause, "locked"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

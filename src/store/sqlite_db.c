/*
 * The SQLite backend's plumbing: opening and migrating the database, a small
 * pool of connections shared by the server's threads, the per-connection
 * statement cache and the mapping of SQLite's result codes onto ours.
 *
 * Threads: each connection is opened with SQLITE_OPEN_NOMUTEX and lent to one
 * thread at a time, so SQLite's own per-connection mutexes would only cost.
 * Concurrency between connections (and between processes sharing the file) is
 * SQLite's file locking: WAL lets readers run beside the one writer, and the
 * busy timeout makes a second writer wait for the first instead of failing.
 */
#include "store/internal.h"
#include "store/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gramota/crypto.h>

/*
 * SQLite admits one writer at a time anyway, so the pool's connections only
 * buy concurrent readers; a thread past its cap waits for a connection to come
 * back rather than opening files without bound. BUSY_MS: how long a writer
 * waits for the lock, and a thread for a connection, before 503.
 */
#define BUSY_MS 5000

struct gr__store_db {
    char *path;
    struct gr__pool pool; /* of struct gr__store_conn */
};

/* see internal.h */
int gr__store_dberr(struct gr__store_conn *c, int rc, struct gr_err *err)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The database is busy; try again shortly.");
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
        gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
                "The database cannot be reached; try again shortly.");
        break;
    case SQLITE_CONSTRAINT: /* the meaningful ones (a name taken) are told by the caller */
        gr_fail(err, GR_ERR_SERVER_ERROR,
                "The database refused a record that breaks its rules or refers to nothing.");
        break;
    default:
        gr_fail(err, GR_ERR_SERVER_ERROR, "The database failed unexpectedly.");
        break;
    }
    if ((rc & 0xff) != SQLITE_CONSTRAINT && c != NULL)
        gr__pool_failed(c->failures);
    return gr_err_cause(err, "sqlite: %s (%d)", c && c->db ? sqlite3_errmsg(c->db) : "-", rc);
}

/*
 * tx_match(stored, sent): whether a transaction code matches, for the one
 * conditional UPDATE that redeems an offer. Both NULL (none required, none
 * sent) match; otherwise both must be 32-byte hashes, compared in constant time
 * (STYLE §3.3) since a transaction code is short enough that leaking its
 * hash's prefix through timing would help guessing it offline.
 */
static void tx_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const void *a, *b;
    int match = 0;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        match = sqlite3_value_type(argv[0]) == sqlite3_value_type(argv[1]);
    } else if (sqlite3_value_bytes(argv[0]) == 32 && sqlite3_value_bytes(argv[1]) == 32) {
        a = sqlite3_value_blob(argv[0]);
        b = sqlite3_value_blob(argv[1]);
        match = a && b && gr_ct_equal(a, b, 32);
    }
    sqlite3_result_int(ctx, match);
}

/*
 * Settings of every connection (none of these persist in the file):
 * - foreign_keys: SQLite leaves them off by default.
 * - synchronous=FULL: with WAL, NORMAL keeps the file consistent but may lose
 *   the last commits on power loss, and a lost commit here is a redeemed code
 *   or a spent nonce coming back to life, or a credential handed out with no
 *   record. FULL syncs the WAL at every commit; we pay one fsync per write.
 * - secure_delete: overwrite freed content, so that claims the sweep forgets
 *   do not linger in free pages.
 * - trusted_schema=OFF: the schema is ours; refuse functions planted in it.
 */
static const char conn_pragmas[] = "PRAGMA foreign_keys = ON;"
                                   "PRAGMA synchronous = FULL;"
                                   "PRAGMA secure_delete = ON;"
                                   "PRAGMA trusted_schema = OFF;";

static void conn_free(struct gr__store_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->db); /* every statement is finalized, so it closes now */
    free(c);
}

/*
 * Wait for the write lock in short steps. SQLite's own busy timeout sleeps
 * 1, 2, 5 ... up to 100 ms between tries, far longer than a writer here holds
 * the lock (microseconds, or one fsync): under load a loser slept through
 * many commits and the tail latency followed. 200 µs steps keep the wait
 * close to the time the lock is actually held; BUSY_MS still bounds it.
 */
static int busy_wait(void *ctx, int tries)
{
    static const struct timespec step = { 0, 200 * 1000 };
    struct timespec now;
    double *since = ctx, t;

    clock_gettime(CLOCK_MONOTONIC, &now);
    t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    if (tries == 0)
        *since = t; /* a new wait begins */
    if (t - *since >= BUSY_MS / 1000.0)
        return 0; /* give up: SQLITE_BUSY, answered as 503 */
    nanosleep(&step, NULL);
    return 1;
}

static struct gr__store_conn *conn_new(const char *path, struct gr_err *err)
{
    struct gr__store_conn *c = gr__xcalloc(1, sizeof(*c));
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_PRIVATECACHE,
                             NULL);

    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_handler(c->db, busy_wait, &c->busy_since);
    /* No PRAGMA writable_schema or other ways of corrupting the file by SQL. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    rc = sqlite3_exec(c->db, conn_pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sqlite3_create_function(c->db, "tx_match", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                 tx_match, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    return c;
fail:
    gr__store_dberr(c, rc, err);
    conn_free(c);
    return NULL;
}

/* see internal.h */
int gr__store_stmt(struct gr__store_conn *c, enum gr__store_sql_id id, sqlite3_stmt **st,
                   struct gr_err *err)
{
    int rc;

    if (c->stmt[id] == NULL) {
        rc = sqlite3_prepare_v3(c->db, gr__store_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                &c->stmt[id], NULL);
        if (rc != SQLITE_OK)
            return gr__store_dberr(c, rc, err);
    }
    *st = c->stmt[id];
    return 0;
}

/* see internal.h */
int gr__store_run(struct gr__store_conn *c, enum gr__store_sql_id id, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (gr__store_stmt(c, id, &st, err) < 0)
        return -1;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return gr__store_dberr(c, rc, err);
    return 0;
}

/* see internal.h */
int gr__store_insert(struct gr__store_conn *c, sqlite3_stmt *st, enum gr_errc code,
                     const char *desc, struct gr_err *err)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_CONSTRAINT_UNIQUE && rc != SQLITE_CONSTRAINT_PRIMARYKEY)
        return gr__store_dberr(c, rc, err);
    gr_fail(err, code, "%s", desc);
    return gr_err_cause(err, "sqlite: %s", sqlite3_errmsg(c->db));
}

/* see internal.h */
int gr__store_step_done(struct gr__store_conn *c, sqlite3_stmt *st, struct gr_err *err)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : gr__store_dberr(c, rc, err);
}

/*
 * Bindings are SQLITE_STATIC: the values live in the caller's arguments for
 * the whole call, and gr__store_put() clears them before the connection goes
 * to another thread. Binding cannot fail here: the indexes are ours, the
 * lengths are bounded, and nothing is copied.
 */

/* see internal.h */
void gr__store_bind_hash(sqlite3_stmt *st, int i, const uint8_t *hash)
{
    if (hash == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_blob(st, i, hash, 32, SQLITE_STATIC);
}

/* see internal.h */
void gr__store_bind_field(sqlite3_stmt *st, int i, const char *s, size_t cap)
{
    sqlite3_bind_text(st, i, s, (int)strnlen(s, cap), SQLITE_STATIC);
}

static int corrupt(struct gr_err *err, int col)
{
    gr_fail(err, GR_ERR_SERVER_ERROR, "The database holds a value of an unexpected shape.");
    return gr_err_cause(err, "sqlite: column %d has the wrong type or size", col);
}

/* see internal.h */
int gr__store_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap, struct gr_err *err)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);

    if (t == NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (n >= cap)
        return corrupt(err, i);
    memcpy(dst, t, n);
    dst[n] = '\0';
    return 0;
}

/* see internal.h */
int gr__store_col_hash(sqlite3_stmt *st, int i, uint8_t out[32], struct gr_err *err)
{
    const void *b = sqlite3_column_blob(st, i);

    if (b == NULL || sqlite3_column_bytes(st, i) != 32)
        return corrupt(err, i);
    memcpy(out, b, 32);
    return 0;
}

/* see internal.h */
char *gr__store_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (t == NULL)
        return NULL;
    return gr__xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

/* see internal.h */
int gr__store_get(struct gr__store_db *db, struct gr__store_conn **out, struct gr_err *err)
{
    void *idle;
    struct gr__store_conn *c;
    int rc = gr__pool_take(&db->pool, &idle, err);

    if (rc != 0) {
        if (rc > 0)
            ((struct gr__store_conn *)idle)->failures = &db->pool.failures;
        *out = idle;
        return rc < 0 ? -1 : 0;
    }
    c = conn_new(db->path, err);
    if (c == NULL) {
        gr__pool_unmade(&db->pool);
        return -1;
    }
    c->failures = &db->pool.failures;
    *out = c;
    return 0;
}

/* see internal.h */
void gr__store_put(struct gr__store_db *db, struct gr__store_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < SQ__COUNT; i++) {
        if (c->stmt[i] == NULL)
            continue;
        sqlite3_reset(c->stmt[i]);
        sqlite3_clear_bindings(c->stmt[i]);
    }
    /* An error path left its transaction open: undo it before anyone else uses the connection. */
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    gr__pool_give(&db->pool, c);
}

static int user_version(struct gr__store_conn *c, int *out, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : gr__store_dberr(c, rc, err);
}

static int exec(struct gr__store_conn *c, const char *sql, struct gr_err *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : gr__store_dberr(c, rc, err);
}

/*
 * Bring the schema to the version this code knows, all steps in one
 * transaction: a crash halfway leaves the old version whole. BEGIN IMMEDIATE
 * takes the write lock before reading user_version, so two processes starting
 * at once cannot both apply the same step. A database from a newer gramota is
 * refused: this code would not know what its columns mean.
 */
static int migrate(struct gr__store_conn *c, struct gr_err *err)
{
    int have = 0, want = (int)gr__store_sqlite_migrations_len;
    char set[48];

    if (exec(c, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    if (user_version(c, &have, err) < 0)
        goto fail;
    if (have > want) {
        gr_fail(err, GR_ERR_USAGE,
                "The database was made by a newer gramota (schema %d, this one knows %d).", have,
                want);
        goto fail;
    }
    for (int v = have; v < want; v++) {
        if (exec(c, gr__store_sqlite_migrations[v], err) < 0)
            goto fail;
    }
    snprintf(set, sizeof(set), "PRAGMA user_version = %d", want);
    if (have < want && exec(c, set, err) < 0)
        goto fail;
    if (exec(c, "COMMIT", err) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/*
 * WAL lets readers and the writer proceed together, and the mode is kept in the
 * file, so setting it on the first connection is enough. SQLite answers with
 * the mode it ended in: anything but "wal" (a file system without shared
 * memory, say) is refused rather than silently serializing every reader.
 */
static int set_wal(struct gr__store_conn *c, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    const unsigned char *mode = NULL;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        mode = sqlite3_column_text(st, 0);
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_OK && (mode == NULL || strcmp((const char *)mode, "wal") != 0)) {
        sqlite3_finalize(st);
        return gr_fail(err, GR_ERR_IO, "The database cannot use write-ahead logging here.");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : gr__store_dberr(c, rc, err);
}

static void free_conn(void *c)
{
    conn_free(c);
}

/* see internal.h */
void gr__store_sqlite_stats(void *ctx, struct gr_store_stats *out)
{
    struct gr__store_db *db = ctx;

    *out = (struct gr_store_stats){
        .db_errors = atomic_load_explicit(&db->pool.failures, memory_order_relaxed),
    };
}

/* see internal.h */
void gr__store_sqlite_close(void *ctx)
{
    struct gr__store_db *db = ctx;

    if (db == NULL)
        return;
    /* Every connection is back by now: closing a store in use is the caller's bug. */
    gr__pool_destroy(&db->pool, free_conn);
    free(db->path);
    free(db);
}

/* At open, trouble with the file is the operator's to fix: IO, not "try again". */
static int open_failed(struct gr_err *err, const char *path)
{
    size_t n;

    if (err->code == GR_ERR_TEMPORARILY_UNAVAILABLE || err->code == GR_ERR_SERVER_ERROR) {
        err->code = GR_ERR_IO;
        snprintf(err->desc, sizeof(err->desc), "The database file cannot be opened or read.");
    }
    /* The path goes to the log, not into the sentence (STYLE §2.1: no input echoed). */
    n = strlen(err->cause);
    snprintf(err->cause + n, sizeof(err->cause) - n, "%s%s", n ? "; path " : "path ", path);
    return -1;
}

/*
 * The file holds claims and the store's secrets: make it readable by its owner
 * only. SQLite would create it with 0644 less the umask; it gives the -wal and
 * -shm files the mode of the database file, so creating that one is enough.
 */
static int create_private(const char *path, struct gr_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        gr_fail(err, GR_ERR_IO, "The database file cannot be opened or created.");
        return gr_err_cause(err, "%s", strerror(errno));
    }
    close(fd);
    return 0;
}

/* see internal.h */
int gr__store_sqlite_open(const char *path, struct gr_store *out, struct gr_err *err)
{
    struct gr__store_db *db = NULL;
    struct gr__store_conn *c = NULL;

    /*
     * Connections are NOMUTEX but pass between threads through the pool: that
     * needs a thread-safe build (SQLITE_THREADSAFE 1 or 2), which Debian's is.
     */
    if (!sqlite3_threadsafe())
        return gr_fail(err, GR_ERR_USAGE, "This SQLite library was built without thread support.");
    /* ":memory:" would give each pooled connection a database of its own. */
    if (strcmp(path, ":memory:") == 0)
        return gr_fail(err, GR_ERR_USAGE,
                       "An in-memory SQLite store cannot be shared; give a file.");
    if (create_private(path, err) < 0)
        return open_failed(err, path);
    c = conn_new(path, err);
    if (c == NULL || set_wal(c, err) < 0 || migrate(c, err) < 0) {
        conn_free(c);
        return open_failed(err, path);
    }
    db = gr__xcalloc(1, sizeof(*db));
    db->path = gr__xstrndup(path, strlen(path));
    gr__pool_init(&db->pool, BUSY_MS, c);
    out->ops = &gr__store_sqlite_ops;
    out->ctx = db;
    return 0;
}

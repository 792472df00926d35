/*
 * The PostgreSQL backend's plumbing: connecting, a small pool of connections
 * shared by the server's threads (one per worker at a time), statements
 * prepared once per session, binary parameters and results, the mapping of
 * SQLSTATEs onto our codes, and the migrations run at open.
 *
 * No call may hang: every connection is opened with connect_timeout and a
 * statement_timeout / lock_timeout, a lost connection is reset once when it is
 * next borrowed, and a reset that fails answers TEMPORARILY_UNAVAILABLE at
 * once (503); the next borrower tries again, so service resumes by itself.
 */
#include "store/pg_internal.h"
#include "store/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a thread waits for a connection to come back before 503. */
#define WAIT_MS 5000
/*
 * Defaults a conninfo may override: a dead server is noticed within seconds,
 * and no statement or lock wait outlives what a client would wait for.
 */
#define CONNECT_TIMEOUT "5"
#define SESSION_OPTIONS                                                                            \
    "-c statement_timeout=5000 -c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000 " \
    "-c client_min_messages=warning"
/* Advisory lock of the migrations: see pg_schema.c for the key space. */
#define LOCK_MIGRATE "SELECT pg_advisory_xact_lock(1196581229, 1)"

struct gr__pg_db {
    char *conninfo;
    struct gr__pool pool; /* of struct gr__pg_conn */
};

/* Failures that pass: the server is away, restarting, overloaded, or a wait ran out. */
static bool transient(const char *state)
{
    return state[0] == '\0' ||              /* no answer at all: the connection failed */
           strncmp(state, "08", 2) == 0 ||  /* connection exception */
           strncmp(state, "53", 2) == 0 ||  /* insufficient resources */
           strncmp(state, "57P", 3) == 0 || /* server shutting down or restarting */
           strcmp(state, "57014") == 0 ||   /* statement_timeout */
           strcmp(state, "55P03") == 0 ||   /* lock_timeout */
           strcmp(state, "40001") == 0 ||   /* serialization failure */
           strcmp(state, "40P01") == 0;     /* deadlock detected */
}

static int fail_with(struct gr__pg_conn *c, const PGresult *r, struct gr_err *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
    snprintf(c->constraint, sizeof(c->constraint), "%s", constraint ? constraint : "");
    if (msg == NULL)
        msg = PQerrorMessage(c->pg); /* no server message: libpq's own */
    if (PQstatus(c->pg) == CONNECTION_BAD || transient(c->sqlstate))
        gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
                "The database cannot be reached or is busy; try again shortly.");
    else if (strncmp(c->sqlstate, "23", 2) == 0) /* the meaningful ones are told by the caller */
        gr_fail(err, GR_ERR_SERVER_ERROR,
                "The database refused a record that breaks its rules or refers to nothing.");
    else
        gr_fail(err, GR_ERR_SERVER_ERROR, "The database failed unexpectedly.");
    if (strncmp(c->sqlstate, "23", 2) != 0)
        gr__pool_failed(c->failures);
    gr_err_cause(err, "postgres: %s (%s)", msg, c->sqlstate);
    /* One line in the log: libpq's messages end in, and may hold, newlines. */
    for (char *p = err->cause; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    return -1;
}

/* see pg_internal.h */
int gr__pg_unique(struct gr__pg_conn *c, enum gr_errc code, const char *desc, struct gr_err *err)
{
    if (strcmp(c->sqlstate, "23505") == 0) { /* unique_violation: keep the cause */
        err->code = code;
        snprintf(err->desc, sizeof(err->desc), "%s", desc);
    }
    return -1;
}

static int prepare(struct gr__pg_conn *c, enum gr__pg_sql_id id, const char *name,
                   struct gr_err *err)
{
    PGresult *r = PQprepare(c->pg, name, gr__pg_sql[id], 0, NULL);

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_with(c, r, err);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    c->prepared[id] = true; /* a session's prepared statements outlive its transactions */
    return 0;
}

/*
 * A connection idle in the pool may have died unseen (the server restarted):
 * libpq only learns it when it next talks. If that happens on the first
 * statement since the connection was lent, reset it and say so, once, for
 * the statement to run again: nothing of this borrow had been done yet. Had
 * the first try run and only its answer been lost, the second refuses (a
 * code, nonce or jti already spent), which fails closed.
 */
static bool stale(struct gr__pg_conn *c)
{
    bool first = c->untouched;

    c->untouched = false;
    if (!first || PQstatus(c->pg) != CONNECTION_BAD)
        return false;
    PQreset(c->pg);
    memset(c->prepared, 0, sizeof(c->prepared));
    return PQstatus(c->pg) == CONNECTION_OK;
}

/* see pg_internal.h */
int gr__pg_run(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
               PGresult **res, struct gr_err *err)
{
    static const struct gr__pg_args none = { 0 };
    char name[16];
    PGresult *r;
    ExecStatusType st;

    *res = NULL;
    if (a == NULL)
        a = &none;
    snprintf(name, sizeof(name), "g%d", (int)id);
    if (!c->prepared[id] && prepare(c, id, name, err) < 0)
        return stale(c) ? gr__pg_run(c, id, a, res, err) : -1;
    r = PQexecPrepared(c->pg, name, a->n, a->v, a->len, a->fmt, 1);
    st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        c->untouched = false;
        c->sqlstate[0] = '\0';
        c->constraint[0] = '\0';
        *res = r;
        return 0;
    }
    if (stale(c)) {
        PQclear(r);
        return gr__pg_run(c, id, a, res, err);
    }
    fail_with(c, r, err);
    PQclear(r);
    return -1;
}

/*
 * Sync a pipeline and read every answer up to the sync, then leave pipeline
 * mode. The first failure is reported in `err` as gr__pg_run() reports it;
 * the statements after it answer PIPELINE_ABORTED. With `kept` not NULL the
 * `keep`-th successful answer (from 1) is handed over there, unless anything
 * failed. Returns 0 or -1.
 */
static int pipeline_end(struct gr__pg_conn *c, PGresult **kept, size_t n, struct gr_err *err)
{
    bool failed = PQpipelineSync(c->pg) != 1, synced = false;
    size_t answers = 0;
    PGresult *r;

    for (size_t i = 0; i < n; i++)
        kept[i] = NULL;
    if (failed)
        fail_with(c, NULL, err);
    /* Each statement's answer is followed by a NULL; the sync's answer ends the pipeline. */
    while (!failed && !synced) {
        r = PQgetResult(c->pg);
        if (r == NULL) {
            if (PQstatus(c->pg) == CONNECTION_BAD)
                failed = fail_with(c, NULL, err) < 0;
            continue;
        }
        switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC:
            synced = true;
            break;
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
            if (answers < n) {
                kept[answers] = r;
                r = NULL;
            }
            answers++;
            break;
        default:
            fail_with(c, r, err);
            failed = true;
            break;
        }
        PQclear(r);
    }
    /* After a failure, what is left up to the sync is read and dropped. */
    while (failed && !synced && PQstatus(c->pg) == CONNECTION_OK) {
        r = PQgetResult(c->pg);
        synced = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
    }
    PQexitPipelineMode(c->pg);
    for (size_t i = 0; failed && i < n; i++) {
        PQclear(kept[i]);
        kept[i] = NULL;
    }
    return failed ? -1 : 0;
}

/* see pg_internal.h */
int gr__pg_pipe_open(struct gr__pg_conn *c, const enum gr__pg_sql_id *ids, size_t n,
                     struct gr_err *err)
{
    char name[16];

    /* Outside the pipeline: a prepare that finds the connection stale revives it first. */
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "g%d", (int)ids[i]);
        if (!c->prepared[ids[i]] && prepare(c, ids[i], name, err) < 0)
            return stale(c) ? gr__pg_pipe_open(c, ids, n, err) : -1;
    }
    c->pipe_untouched = c->untouched;
    c->untouched = false;
    if (PQenterPipelineMode(c->pg) != 1)
        return fail_with(c, NULL, err);
    return 0;
}

/* see pg_internal.h */
int gr__pg_pipe_sql(struct gr__pg_conn *c, const char *sql, struct gr_err *err)
{
    if (PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 1) != 1)
        return fail_with(c, NULL, err);
    return 0;
}

/* see pg_internal.h */
int gr__pg_pipe_add(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                    struct gr_err *err)
{
    static const struct gr__pg_args none = { 0 };
    char name[16];

    if (a == NULL)
        a = &none;
    snprintf(name, sizeof(name), "g%d", (int)id); /* prepared by gr__pg_pipe_open() */
    if (PQsendQueryPrepared(c->pg, name, a->n, a->v, a->len, a->fmt, 1) != 1)
        return fail_with(c, NULL, err);
    return 0;
}

/* see pg_internal.h */
int gr__pg_pipe_run(struct gr__pg_conn *c, PGresult **res, size_t n, struct gr_err *err)
{
    bool untouched = c->pipe_untouched;

    c->pipe_untouched = false;
    if (pipeline_end(c, res, n, err) == 0) {
        c->sqlstate[0] = '\0';
        c->constraint[0] = '\0';
        return 0;
    }
    /* A connection lent stale fails before anything ran: revived, the caller sends it again. */
    if (untouched && PQstatus(c->pg) == CONNECTION_BAD) {
        c->untouched = true;
        if (stale(c))
            return 1;
    }
    return -1;
}

/* see pg_internal.h */
int gr__pg_tx_open(struct gr__pg_conn *c, enum gr__pg_sql_id lock, enum gr__pg_sql_id read,
                   const struct gr__pg_args *a, PGresult **res, struct gr_err *err)
{
    const enum gr__pg_sql_id ids[2] = { lock, read };
    size_t n = read == PQ__COUNT ? 1 : 2;
    PGresult *answers[3] = { NULL };
    int rc;

    do {
        if (gr__pg_pipe_open(c, ids, n, err) < 0)
            return -1;
        if (gr__pg_pipe_sql(c, "BEGIN", err) < 0 || gr__pg_pipe_add(c, lock, NULL, err) < 0 ||
            (n == 2 && gr__pg_pipe_add(c, read, a, err) < 0)) {
            PQexitPipelineMode(c->pg);
            return -1;
        }
        /* BEGIN's answer, the lock's, then the read's (kept, the third). */
        rc = gr__pg_pipe_run(c, answers, n + 1, err);
    } while (rc == 1);
    PQclear(answers[0]);
    PQclear(answers[1]);
    *res = answers[2];
    return rc;
}

/* see pg_internal.h */
int gr__pg_do(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
              struct gr_err *err)
{
    PGresult *r = NULL;

    if (gr__pg_run(c, id, a, &r, err) < 0)
        return -1;
    PQclear(r);
    return 0;
}

/* see pg_internal.h */
int gr__pg_exec(struct gr__pg_conn *c, const char *sql, struct gr_err *err)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        if (stale(c)) {
            PQclear(r);
            return gr__pg_exec(c, sql, err);
        }
        rc = fail_with(c, r, err);
    }
    c->untouched = false;
    PQclear(r);
    return rc;
}

/* The low `n` bytes of `v` at `p`, most significant first: the wire's byte order. */
static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

static void arg(struct gr__pg_args *a, const char *v, size_t len)
{
    if (a->n >= GR__PG_MAX_ARGS)
        abort(); /* the statements are ours: more parameters is a bug */
    a->v[a->n] = v;
    a->len[a->n] = (int)len;
    a->fmt[a->n] = 1;
    a->n++;
}

/* see pg_internal.h */
void gr__pg_bytes(struct gr__pg_args *a, const void *p, size_t len)
{
    arg(a, p, p ? len : 0);
}

/* see pg_internal.h */
void gr__pg_hash(struct gr__pg_args *a, const uint8_t *hash)
{
    arg(a, (const char *)hash, 32);
}

/* see pg_internal.h */
void gr__pg_str(struct gr__pg_args *a, struct gr_str s)
{
    arg(a, s.p, s.len);
}

/* see pg_internal.h */
void gr__pg_field(struct gr__pg_args *a, const char *s, size_t cap)
{
    arg(a, s, strnlen(s, cap));
}

/* see pg_internal.h */
void gr__pg_i64(struct gr__pg_args *a, int64_t v)
{
    char *b = a->num[a->n < GR__PG_MAX_ARGS ? a->n : 0];

    put_be((uint8_t *)b, (uint64_t)v, 8);
    arg(a, b, 8);
}

/*
 * The binary array format (PostgreSQL's array_recv): the number of
 * dimensions, whether any element is NULL, the element type's OID, then per
 * dimension its length and lower bound, then each element as its length
 * (-1 for NULL) and its binary form; all integers big-endian.
 */
enum { ARRAY_HEADER = 20, ARRAY_FLAGS = 4, ARRAY_LENGTH = 12 };

static void add_u32(struct gr_buf *b, uint32_t v)
{
    uint8_t p[4];

    put_be(p, v, sizeof(p));
    gr_buf_add(b, p, sizeof(p));
}

/* see pg_internal.h */
void gr__pg_cols_init(struct gr__pg_cols *cols, const char *types)
{
    size_t n = strlen(types);

    if (n > GR__PG_MAX_ARGS)
        abort(); /* the statements are ours: more columns is a bug */
    cols->n = n;
    for (size_t i = 0; i < n; i++) {
        /* pg_type.h: TEXTOID, BYTEAOID, INT8OID */
        uint32_t oid = types[i] == 't' ? 25 : types[i] == 'b' ? 17 : types[i] == 'i' ? 20 : 0;

        if (oid == 0)
            abort();
        gr_buf_init(&cols->col[i], GR_BUF_UNBOUNDED);
        add_u32(&cols->col[i], 1);   /* dimensions */
        add_u32(&cols->col[i], 0);   /* any NULL: set by gr__pg_cols_args */
        add_u32(&cols->col[i], oid); /* element type */
        add_u32(&cols->col[i], 0);   /* length: set by gr__pg_cols_args */
        add_u32(&cols->col[i], 1);   /* lower bound */
        cols->rows[i] = 0;
        cols->has_null[i] = false;
    }
}

void gr__pg_cols_release(struct gr__pg_cols *cols)
{
    for (size_t i = 0; i < cols->n; i++)
        gr_buf_release(&cols->col[i]);
    cols->n = 0;
}

static void add_element(struct gr__pg_cols *cols, size_t i, const void *p, size_t len)
{
    add_u32(&cols->col[i], (uint32_t)len);
    gr_buf_add(&cols->col[i], p, len);
    cols->rows[i]++;
}

/* see pg_internal.h */
void gr__pg_col_add_text(struct gr__pg_cols *cols, size_t i, const char *s, size_t cap)
{
    if (s == NULL)
        gr__pg_col_add_null(cols, i);
    else
        add_element(cols, i, s, strnlen(s, cap));
}

/* see pg_internal.h */
void gr__pg_col_add_i64(struct gr__pg_cols *cols, size_t i, int64_t v)
{
    uint8_t p[8];

    put_be(p, (uint64_t)v, sizeof(p));
    add_element(cols, i, p, sizeof(p));
}

/* see pg_internal.h */
void gr__pg_col_add_null(struct gr__pg_cols *cols, size_t i)
{
    add_u32(&cols->col[i], UINT32_MAX); /* length -1 */
    cols->rows[i]++;
    cols->has_null[i] = true;
}

/* see pg_internal.h */
void gr__pg_col_add_bytes(struct gr__pg_cols *cols, size_t i, const uint8_t *p, size_t len)
{
    add_element(cols, i, p, len);
}

/* see pg_internal.h */
void gr__pg_cols_args(struct gr__pg_cols *cols, struct gr__pg_args *a)
{
    for (size_t i = 0; i < cols->n; i++) {
        uint8_t *head = (uint8_t *)cols->col[i].data;

        put_be(head + ARRAY_FLAGS, cols->has_null[i], 4);
        put_be(head + ARRAY_LENGTH, cols->rows[i], 4);
        gr__pg_bytes(a, head, cols->col[i].len);
    }
}

static int corrupt(struct gr_err *err, int col)
{
    gr_fail(err, GR_ERR_SERVER_ERROR, "The database holds a value of an unexpected shape.");
    return gr_err_cause(err, "postgres: column %d has the wrong type or size", col);
}

/* see pg_internal.h */
bool gr__pg_col_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) != 0;
}

/* see pg_internal.h */
int gr__pg_col_text(const PGresult *r, int row, int col, char *dst, size_t cap, struct gr_err *err)
{
    size_t n = (size_t)PQgetlength(r, row, col);

    if (PQgetisnull(r, row, col)) {
        dst[0] = '\0';
        return 0;
    }
    if (n >= cap)
        return corrupt(err, col);
    memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = '\0';
    return 0;
}

/* see pg_internal.h */
int gr__pg_col_hash(const PGresult *r, int row, int col, uint8_t out[32], struct gr_err *err)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 32)
        return corrupt(err, col);
    memcpy(out, PQgetvalue(r, row, col), 32);
    return 0;
}

/* see pg_internal.h: BIGINT, INTEGER and BOOLEAN alike, as binary results send them. */
int64_t gr__pg_col_i64(const PGresult *r, int row, int col)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    int n = PQgetlength(r, row, col);
    uint64_t v = 0;

    if (PQgetisnull(r, row, col) || n < 1 || n > 8)
        return 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    if (n < 8 && (p[0] & 0x80))
        v |= ~(uint64_t)0 << (8 * n);
    return (int64_t)v;
}

/* see pg_internal.h */
char *gr__pg_col_dup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return gr__xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static void conn_free(struct gr__pg_conn *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c);
}

/*
 * Our defaults come first and the operator's conninfo (expanded from dbname)
 * after, so that a URL's own connect_timeout or options win.
 */
static struct gr__pg_conn *conn_new(const char *conninfo, struct gr_err *err)
{
    const char *const keys[] = { "connect_timeout", "options", "application_name", "dbname", NULL };
    const char *const values[] = { CONNECT_TIMEOUT, SESSION_OPTIONS, "gramota", conninfo, NULL };
    struct gr__pg_conn *c = gr__xcalloc(1, sizeof(*c));

    c->pg = PQconnectdbParams(keys, values, 1);
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
        return c;
    gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
            "The database cannot be reached; try again shortly.");
    gr_err_cause(err, "postgres: %s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
    conn_free(c);
    return NULL;
}

/*
 * A connection found lost (the server restarted, a network cut): reset it
 * once, which forgets its prepared statements. If the server is still away
 * the caller gets 503 now, within connect_timeout, and the connection goes
 * back to the pool to be tried again by the next borrower.
 */
static int revive(struct gr__pg_db *db, struct gr__pg_conn *c, struct gr_err *err)
{
    if (PQstatus(c->pg) != CONNECTION_BAD)
        return 0;
    PQreset(c->pg);
    memset(c->prepared, 0, sizeof(c->prepared));
    if (PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
            "The database cannot be reached; try again shortly.");
    gr_err_cause(err, "postgres: %s", PQerrorMessage(c->pg));
    gr__pool_failed(&db->pool.failures);
    gr__pool_give(&db->pool, c);
    return -1;
}

/* see pg_internal.h */
int gr__pg_get(struct gr__pg_db *db, struct gr__pg_conn **out, struct gr_err *err)
{
    void *idle;
    struct gr__pg_conn *c;
    int rc = gr__pool_take(&db->pool, &idle, err);

    *out = NULL;
    if (rc < 0)
        return -1;
    if (rc == 1) {
        if (revive(db, idle, err) < 0)
            return -1;
        c = idle;
    } else {
        c = conn_new(db->conninfo, err);
        if (c == NULL) {
            gr__pool_unmade(&db->pool);
            return -1;
        }
    }
    c->failures = &db->pool.failures;
    c->untouched = true;
    *out = c;
    return 0;
}

/* see pg_internal.h */
void gr__pg_put(struct gr__pg_db *db, struct gr__pg_conn *c)
{
    if (c == NULL)
        return;
    /* An error path left a pipeline open (gr__pg_pipe_add): end it, reading what it sent. */
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) {
        struct gr_err ignored;

        pipeline_end(c, NULL, 0, &ignored);
    }
    /* An error path left its transaction open: undo it before anyone else uses the connection. */
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    gr__pool_give(&db->pool, c);
}

static int schema_version(struct gr__pg_conn *c, int64_t *out, struct gr_err *err)
{
    PGresult *r = PQexec(c->pg, "SELECT version FROM gramota_schema");
    int rc = 0;

    *out = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = fail_with(c, r, err);
    else if (PQntuples(r) > 0)
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

/*
 * Bring the schema to the version this code knows, all steps in one
 * transaction (PostgreSQL's DDL is transactional: a failure halfway leaves the
 * old version whole). The transaction-level advisory lock is taken before the
 * version is read, so that of two processes starting together the second
 * waits for the first's COMMIT and then finds nothing left to do. A database
 * from a newer gramota is refused.
 */
static int migrate(struct gr__pg_conn *c, struct gr_err *err)
{
    int64_t have = 0, want = (int64_t)gr__pg_migrations_len;
    char set[96];

    if (gr__pg_exec(c, "BEGIN", err) < 0)
        return -1;
    if (gr__pg_exec(c, LOCK_MIGRATE, err) < 0 ||
        gr__pg_exec(c, "CREATE TABLE IF NOT EXISTS gramota_schema (version BIGINT NOT NULL)", err) <
            0 ||
        schema_version(c, &have, err) < 0)
        goto fail;
    if (have > want) {
        gr_fail(err, GR_ERR_USAGE,
                "The database was made by a newer gramota (schema %lld, this one knows %lld).",
                (long long)have, (long long)want);
        goto fail;
    }
    for (int64_t v = have; v < want; v++) {
        if (gr__pg_exec(c, gr__pg_migrations[v], err) < 0)
            goto fail;
    }
    snprintf(set, sizeof(set),
             "DELETE FROM gramota_schema; INSERT INTO gramota_schema VALUES (%lld)",
             (long long)want);
    if ((have < want && gr__pg_exec(c, set, err) < 0) || gr__pg_exec(c, "COMMIT", err) < 0)
        goto fail;
    return 0;
fail:
    PQclear(PQexec(c->pg, "ROLLBACK"));
    return -1;
}

static void free_conn(void *c)
{
    conn_free(c);
}

/* see pg_internal.h */
void gr__pg_stats(void *ctx, struct gr_store_stats *out)
{
    struct gr__pg_db *db = ctx;

    *out = (struct gr_store_stats){
        .db_errors = atomic_load_explicit(&db->pool.failures, memory_order_relaxed),
    };
}

/* see pg_internal.h */
void gr__pg_close(void *ctx)
{
    struct gr__pg_db *db = ctx;

    if (db == NULL)
        return;
    gr__pool_destroy(&db->pool, free_conn);
    free(db->conninfo);
    free(db);
}

/* see pg_internal.h */
int gr__pg_open(const char *conninfo, struct gr_store *out, struct gr_err *err)
{
    struct gr__pg_db *db;
    struct gr__pg_conn *c;
    PQconninfoOption *opts;
    char *why = NULL;

    if (!PQisthreadsafe())
        return gr_fail(err, GR_ERR_USAGE, "This libpq was built without thread support.");
    opts = PQconninfoParse(conninfo, &why);
    if (opts == NULL) {
        gr_fail(err, GR_ERR_USAGE, "The PostgreSQL URL cannot be parsed.");
        gr_err_cause(err, "postgres: %s", why ? why : "out of memory");
        PQfreemem(why);
        return -1;
    }
    PQconninfoFree(opts);
    c = conn_new(conninfo, err);
    if (c == NULL)
        return -1;
    if (migrate(c, err) < 0) {
        conn_free(c);
        return -1;
    }
    db = gr__xcalloc(1, sizeof(*db));
    db->conninfo = gr__xstrndup(conninfo, strlen(conninfo));
    gr__pool_init(&db->pool, WAIT_MS, c);
    out->ops = &gr__pg_ops;
    out->ctx = db;
    return 0;
}

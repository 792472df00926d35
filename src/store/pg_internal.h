#ifndef GR_STORE_PG_INTERNAL_H
#define GR_STORE_PG_INTERNAL_H

/*
 * What the files of the PostgreSQL store share: pg_db.c (connection pool,
 * prepared statements, parameters, error mapping, migrations), pg_schema.c
 * (the tables and every statement over them), pg_offer.c (offers and their
 * redemption), pg_status.c (status lists, the lifecycle and the audit trail),
 * pg_keys.c (the keyring) and pg.c (the other operations and the ops table).
 *
 * Every parameter and every result travels in binary format: integers are
 * BIGINT (8 bytes, network order), hashes BYTEA, texts their bytes. Each
 * statement casts its parameters, so that the server knows their types.
 */

#include <libpq-fe.h>
#include <stdatomic.h>

#include <gramota/store.h>

#include "core/internal.h"
#include "store/redeem.h"

/* Open (connect, migrate) the PostgreSQL store at libpq `conninfo`. Codes: USAGE,
 * TEMPORARILY_UNAVAILABLE, SERVER_ERROR. */
int gr__pg_open(const char *conninfo, struct gr_store *out, struct gr_err *err);

extern const struct gr_store_ops gr__pg_ops;
void gr__pg_close(void *ctx);
void gr__pg_stats(void *ctx, struct gr_store_stats *out);

/* The schema, as ordered steps: step i takes the database from version i to i + 1. */
extern const char *const gr__pg_migrations[];
extern const size_t gr__pg_migrations_len;

enum gr__pg_sql_id {
    PQ_ORG_INSERT,
    PQ_ORG_BY_KEY,
    PQ_ORG_BY_NAME,
    PQ_ORG_LIMITS,
    PQ_OFFER_INSERT,
    PQ_OFFER_GET,
    PQ_OFFER_BY_CODE,
    PQ_OFFER_REDEEM,
    PQ_OFFER_DIAGNOSE,
    PQ_OFFER_MISS,
    PQ_TOKEN_INSERT,
    PQ_TOKEN_GET,
    PQ_JTI_ADD,
    PQ_ISSUED_INSERT,
    PQ_ISSUED_IDS,
    PQ_STATUS_LOCK,
    PQ_STATUS_OPEN,
    PQ_STATUS_NEW,
    PQ_STATUS_QUICK,
    PQ_STATUS_USED,
    PQ_STATUS_TAKE,
    PQ_STATUS_GET,
    PQ_CRED_GET,
    PQ_CRED_LIST,
    PQ_CRED_LOCK,
    PQ_CRED_SET,
    PQ_STATUS_VALUES,
    PQ_STATUS_WRITE,
    PQ_AUDIT_LOCK,
    PQ_AUDIT_LAST,
    PQ_AUDIT_INSERT,
    PQ_AUDIT_ALL,
    PQ_SECRET_INSERT,
    PQ_SECRET_GET,
    PQ_PING,
    PQ_SWEEP_JTIS,
    PQ_SWEEP_TOKENS,
    PQ_SWEEP_RATES,
    PQ_SWEEP_OFFERS,
    PQ_RATE_TAKE,
    PQ_RATE_GET,
    PQ_KEY_LOCK,
    PQ_KEY_RETIRE,
    PQ_KEY_ACTIVATE,
    PQ_KEY_LIST,
    PQ__COUNT
};
extern const char *const gr__pg_sql[PQ__COUNT];

/* One connection, lent to one thread at a time by the pool. */
struct gr__pg_conn {
    PGconn *pg;
    bool prepared[PQ__COUNT];        /* PQprepare'd on this session (a reset forgets them) */
    char sqlstate[6];                /* of the last failure, "" when it had none */
    char constraint[64];             /* the constraint the last failure broke, or "" */
    atomic_uint_least64_t *failures; /* the pool's count, set while lent (gr__pg_get) */
    bool untouched;                  /* lent, and nothing sent on it yet (pg_db.c: stale) */
    bool pipe_untouched;             /* untouched when the open pipeline began */
};

struct gr__pg_db;

/*
 * Borrow a connection (resetting it once if it was lost), and give it back;
 * put rolls back a transaction left open. Codes of get: TEMPORARILY_UNAVAILABLE.
 */
int gr__pg_get(struct gr__pg_db *db, struct gr__pg_conn **out, struct gr_err *err);
void gr__pg_put(struct gr__pg_db *db, struct gr__pg_conn *c);

#define GR__PG_MAX_ARGS 20

/* The parameters of one statement; values are borrowed and must outlive the run. */
struct gr__pg_args {
    int n;
    const char *v[GR__PG_MAX_ARGS];
    int len[GR__PG_MAX_ARGS];
    int fmt[GR__PG_MAX_ARGS];
    char num[GR__PG_MAX_ARGS][8];
};

void gr__pg_bytes(struct gr__pg_args *a, const void *p, size_t len); /* NULL p: SQL NULL */
void gr__pg_hash(struct gr__pg_args *a, const uint8_t *hash);        /* NULL: SQL NULL */
void gr__pg_str(struct gr__pg_args *a, struct gr_str s);             /* .p NULL: SQL NULL */
void gr__pg_field(struct gr__pg_args *a, const char *s, size_t cap);
void gr__pg_i64(struct gr__pg_args *a, int64_t v);

/*
 * Many rows in one statement: one array parameter per column, in
 * PostgreSQL's binary array format (array_recv), unnest()ed by the
 * statement. `types` gives each column's element type, a letter each:
 * 't' text, 'b' bytea, 'i' bigint, as the statement declares them
 * (`$1::text[]`, `$2::bytea[]`, `$3::bigint[]`). Add each row's value to
 * every column, then gr__pg_cols_args() completes the arrays and adds them
 * to `a` in column order; the columns must outlive the run.
 */
struct gr__pg_cols {
    struct gr_buf col[GR__PG_MAX_ARGS];
    uint32_t rows[GR__PG_MAX_ARGS];
    bool has_null[GR__PG_MAX_ARGS];
    size_t n;
};

void gr__pg_cols_init(struct gr__pg_cols *cols, const char *types);
void gr__pg_cols_release(struct gr__pg_cols *cols);
void gr__pg_col_add_text(struct gr__pg_cols *cols, size_t i, const char *s,
                         size_t cap); /* NULL s: NULL */
void gr__pg_col_add_i64(struct gr__pg_cols *cols, size_t i, int64_t v);
void gr__pg_col_add_null(struct gr__pg_cols *cols, size_t i);
void gr__pg_col_add_bytes(struct gr__pg_cols *cols, size_t i, const uint8_t *p, size_t len);
void gr__pg_cols_args(struct gr__pg_cols *cols, struct gr__pg_args *a);

/*
 * Run the prepared statement `id` (prepared on first use on this session).
 * On success *res holds the result (PQclear it). On failure err says why:
 * a lost connection, a timeout, a lock or serialization failure are
 * TEMPORARILY_UNAVAILABLE, the rest SERVER_ERROR; c->sqlstate and
 * c->constraint keep what the server said.
 */
int gr__pg_run(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
               PGresult **res, struct gr_err *err);
/* gr__pg_run() for statements whose result is not needed. */
int gr__pg_do(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
              struct gr_err *err);
/*
 * Several statements in one round trip (libpq's pipeline mode).
 * gr__pg_pipe_open() prepares the statements `ids` where need be and enters
 * the pipeline; gr__pg_pipe_sql() queues plain SQL (BEGIN, COMMIT) and
 * gr__pg_pipe_add() a prepared statement; gr__pg_pipe_run() sends them all,
 * reads every answer and leaves the pipeline, handing over the first `n`
 * answers in res[0] to res[n - 1] (PQclear each; all NULL on failure). The first
 * failure is reported as gr__pg_run() reports it and the rest does not run;
 * gr__pg_put() rolls an open transaction back. gr__pg_pipe_run() returns 1
 * when the connection, untouched since it was lent, turned out dead and has
 * been revived: nothing ran, so send the same again (once more at most).
 * After a failed open, sql or add, leave with PQexitPipelineMode.
 */
int gr__pg_pipe_open(struct gr__pg_conn *c, const enum gr__pg_sql_id *ids, size_t n,
                     struct gr_err *err);
int gr__pg_pipe_sql(struct gr__pg_conn *c, const char *sql, struct gr_err *err);
int gr__pg_pipe_add(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                    struct gr_err *err);
int gr__pg_pipe_run(struct gr__pg_conn *c, PGresult **res, size_t n, struct gr_err *err);
/*
 * BEGIN, the advisory lock statement `lock`, and, unless `read` is
 * PQ__COUNT, statement `read` with `a`, in one round trip; *res gets
 * `read`'s result (PQclear it). Failures as gr__pg_run().
 */
int gr__pg_tx_open(struct gr__pg_conn *c, enum gr__pg_sql_id lock, enum gr__pg_sql_id read,
                   const struct gr__pg_args *a, PGresult **res, struct gr_err *err);
/* Run plain SQL (BEGIN, COMMIT). */
int gr__pg_exec(struct gr__pg_conn *c, const char *sql, struct gr_err *err);
/* After a failed run: a unique key taken becomes `code` with `desc`; otherwise err stays. -1. */
int gr__pg_unique(struct gr__pg_conn *c, enum gr_errc code, const char *desc, struct gr_err *err);

/* Column readers of row `row`; SERVER_ERROR when the value does not fit. */
int gr__pg_col_text(const PGresult *r, int row, int col, char *dst, size_t cap, struct gr_err *err);
int gr__pg_col_hash(const PGresult *r, int row, int col, uint8_t out[32], struct gr_err *err);
int64_t gr__pg_col_i64(const PGresult *r, int row, int col);
bool gr__pg_col_null(const PGresult *r, int row, int col);
/* A NUL-terminated copy of a column (free() it); NULL when the column is NULL. */
char *gr__pg_col_dup(const PGresult *r, int row, int col);

/* The operations of the ops table that live outside pg.c; see store.h. */
int gr__pg_offer_put(void *ctx, const struct gr_offer *offer, const struct gr_audit_event *created,
                     struct gr_err *err);
int gr__pg_offer_get(void *ctx, struct gr_str org_id, struct gr_str offer_id, struct gr_offer *out,
                     struct gr_err *err);
int gr__pg_offer_by_code(void *ctx, const uint8_t code_hash[32], int64_t now, struct gr_offer *out,
                         struct gr_err *err);
int gr__pg_offer_redeem(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash, int64_t now,
                        int max_tx_attempts, struct gr_token *token,
                        const struct gr_audit_event *granted, struct gr_offer *out,
                        struct gr_err *err);
gr__redeem_fn gr__pg_offer_redeem_keeping;
/* A token as the parameters of PQ_TOKEN_INSERT. */
void gr__pg_token_args(struct gr__pg_args *a, const struct gr_token *t);
int gr__pg_status_alloc(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                        struct gr_status_slot *out, struct gr_err *err);
int gr__pg_status_list_get(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                           struct gr_err *err);
int gr__pg_credential_get(void *ctx, struct gr_str org_id, struct gr_str id,
                          struct gr_credential_rec *out, struct gr_err *err);
int gr__pg_credential_list(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                           struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                           size_t max, size_t *count, struct gr_err *err);
int gr__pg_credential_set_status(void *ctx, struct gr_str org_id, struct gr_str id,
                                 enum gr_cred_status status, int64_t now,
                                 struct gr_credential_rec *out, struct gr_err *err);
int gr__pg_audit_append(void *ctx, const struct gr_audit_event *ev, size_t count,
                        struct gr_err *err);
/*
 * The audit rows after `last` (PQ_AUDIT_LAST's answer, read under the audit
 * lock in the open transaction), chained, as the columns of PQ_AUDIT_INSERT;
 * and gr__pg_audit_finish(), which sends statement `before` with `a` (none
 * when PQ__COUNT), the rows and the COMMIT in one round trip.
 */
int gr__pg_audit_cols(const PGresult *last, const struct gr_audit_event *ev, size_t count,
                      struct gr__pg_cols *cols, struct gr_err *err);
int gr__pg_audit_finish(struct gr__pg_conn *c, enum gr__pg_sql_id before,
                        const struct gr__pg_args *a, const PGresult *last,
                        const struct gr_audit_event *ev, size_t count, struct gr_err *err);
/*
 * The audit lock and the chain's last row (*last: PQclear it), in one round
 * trip, in the transaction open on `c`.
 */
int gr__pg_audit_head(struct gr__pg_conn *c, PGresult **last, struct gr_err *err);
/*
 * Statement `id` with `a` as the first round trip of a transaction: BEGIN,
 * the statement and, with `head`, the audit lock and the chain's last row.
 * *res gets the statement's result, *last (unless NULL) the last row's, or
 * NULL without `head` (PQclear them). Failures as gr__pg_run().
 */
int gr__pg_tx_first(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                    bool head, PGresult **res, PGresult **last, struct gr_err *err);
/*
 * One statement and the audit events that say so, in one transaction:
 * gr__pg_tx_first() with the audit head, then the events and the COMMIT
 * (gr__pg_audit_finish); with no events, the statement alone, committed by
 * itself. Failures as gr__pg_run().
 */
int gr__pg_write_audited(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                         const struct gr_audit_event *ev, size_t count, struct gr_err *err);
int gr__pg_audit_verify(void *ctx, size_t *count, struct gr_err *err);
int gr__pg_key_activate(void *ctx, const struct gr_signing_key *key, int64_t now,
                        struct gr_err *err);
int gr__pg_key_list(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out, size_t max,
                    size_t *count, struct gr_err *err);

#endif

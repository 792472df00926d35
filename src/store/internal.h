#ifndef GR_STORE_INTERNAL_H
#define GR_STORE_INTERNAL_H

/*
 * What the files of the store share. The SQLite backend is five files:
 * sqlite_db.c (connection pool, statement cache, error mapping, migrations),
 * sqlite_schema.c (the tables and every statement over them), sqlite_offer.c
 * (offers and their redemption), sqlite_keys.c (the keyring) and sqlite.c
 * (the other operations).
 */

#include <sqlite3.h>
#include <stdatomic.h>

#include <gramota/store.h>

#include "core/internal.h"
#include "store/redeem.h"

/* Open (create, migrate) the SQLite database at `path`. Codes: USAGE, IO, TEMPORARILY_UNAVAILABLE.
 */
int gr__store_sqlite_open(const char *path, struct gr_store *out, struct gr_err *err);

extern const struct gr_store_ops gr__store_sqlite_ops;
/* The ops table's close: every connection must be back in the pool. */
void gr__store_sqlite_close(void *ctx);
/* The ops table's stats. */
void gr__store_sqlite_stats(void *ctx, struct gr_store_stats *out);

/* The schema, as ordered steps: step i takes the database from version i to i + 1. */
extern const char *const gr__store_sqlite_migrations[];
extern const size_t gr__store_sqlite_migrations_len;

/*
 * The statements, prepared once per connection on first use. The SQL text is
 * gr__store_sql[id], in sqlite_schema.c.
 */
enum gr__store_sql_id {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ORG_NAME_TAKEN,
    SQ_ORG_INSERT,
    SQ_ORG_BY_KEY,
    SQ_ORG_BY_NAME,
    SQ_ORG_LIMITS,
    SQ_OFFER_INSERT,
    SQ_OFFER_GET,
    SQ_OFFER_BY_CODE,
    SQ_OFFER_REDEEM,
    SQ_OFFER_DIAGNOSE,
    SQ_OFFER_MISS,
    SQ_TOKEN_INSERT,
    SQ_TOKEN_GET,
    SQ_JTI_ADD,
    SQ_ISSUED_INSERT,
    SQ_ISSUED_IDS,
    SQ_STATUS_OPEN,
    SQ_STATUS_NEW,
    SQ_STATUS_TAKE,
    SQ_STATUS_GET,
    SQ_CRED_GET,
    SQ_CRED_LIST,
    SQ_CRED_SET,
    SQ_STATUS_VALUES,
    SQ_STATUS_WRITE,
    SQ_AUDIT_LAST,
    SQ_AUDIT_INSERT,
    SQ_AUDIT_ALL,
    SQ_SECRET_INSERT,
    SQ_SECRET_GET,
    SQ_PING,
    SQ_SWEEP_JTIS,
    SQ_SWEEP_TOKENS,
    SQ_SWEEP_RATES,
    SQ_SWEEP_OFFERS,
    SQ_RATE_TAKE,
    SQ_RATE_GET,
    SQ_KEY_RETIRE,
    SQ_KEY_ACTIVATE,
    SQ_KEY_LIST,
    SQ__COUNT
};
extern const char *const gr__store_sql[SQ__COUNT];

/* One SQLite connection, lent to one thread at a time by the pool. */
struct gr__store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ__COUNT];   /* prepared on first use, kept until close */
    double busy_since;               /* when the current wait for the write lock began */
    atomic_uint_least64_t *failures; /* the pool's count, set while lent (gr__store_get) */
};

struct gr__store_db;

/*
 * Borrow a connection, waiting a while when every one is lent; give it back
 * with gr__store_put(), which rolls back a transaction left open and resets
 * every statement, so an error path can simply stop where it is.
 * Codes of get: TEMPORARILY_UNAVAILABLE, SERVER_ERROR.
 */
int gr__store_get(struct gr__store_db *db, struct gr__store_conn **out, struct gr_err *err);
void gr__store_put(struct gr__store_db *db, struct gr__store_conn *c);

/* The cached statement `id` in `st`, reset and with no bindings (prepared on first use). */
int gr__store_stmt(struct gr__store_conn *c, enum gr__store_sql_id id, sqlite3_stmt **st,
                   struct gr_err *err);

/*
 * Fill `err` for a SQLite result code `rc` (busy and I/O trouble become
 * TEMPORARILY_UNAVAILABLE, the rest SERVER_ERROR), sqlite3_errmsg() going to
 * the cause only. Returns -1.
 */
int gr__store_dberr(struct gr__store_conn *c, int rc, struct gr_err *err);

/*
 * Step an INSERT and reset it: a unique key taken becomes `code` with `desc`;
 * any other failure is gr__store_dberr().
 */
int gr__store_insert(struct gr__store_conn *c, sqlite3_stmt *st, enum gr_errc code,
                     const char *desc, struct gr_err *err);
/* Step a statement that returns no row, and reset it. */
int gr__store_step_done(struct gr__store_conn *c, sqlite3_stmt *st, struct gr_err *err);

/* Run a statement that returns no row (BEGIN IMMEDIATE, COMMIT, a DELETE). Returns 0 or
 * gr__store_dberr(). */
int gr__store_run(struct gr__store_conn *c, enum gr__store_sql_id id, struct gr_err *err);

/* Insert an access token on `c` (inside the caller's transaction, if any). Code: DUPLICATE. */
int gr__store_token_insert(struct gr__store_conn *c, const struct gr_token *t, struct gr_err *err);

/* Bind a 32-byte hash, or NULL when `hash` is NULL. Binding is SQLITE_STATIC: `hash` must outlive
 * the step. */
void gr__store_bind_hash(sqlite3_stmt *st, int i, const uint8_t *hash);
/* Bind a NUL-terminated field of a fixed-size array, at most `cap` bytes long. */
void gr__store_bind_field(sqlite3_stmt *st, int i, const char *s, size_t cap);

/* The offer operations of the ops table (sqlite_offer.c); see store.h. */
int gr__store_offer_put(void *ctx, const struct gr_offer *offer,
                        const struct gr_audit_event *created, struct gr_err *err);
int gr__store_offer_get(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                        struct gr_offer *out, struct gr_err *err);
int gr__store_offer_by_code(void *ctx, const uint8_t code_hash[32], int64_t now,
                            struct gr_offer *out, struct gr_err *err);
int gr__store_offer_redeem(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash,
                           int64_t now, int max_tx_attempts, struct gr_token *token,
                           const struct gr_audit_event *granted, struct gr_offer *out,
                           struct gr_err *err);
gr__redeem_fn gr__store_offer_redeem_keeping;

/* Column readers: copy into fixed storage, SERVER_ERROR when the stored value does not fit. */
int gr__store_status_alloc(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                           struct gr_status_slot *out, struct gr_err *err);
int gr__store_status_list_get(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                              struct gr_err *err);

int gr__store_credential_get(void *ctx, struct gr_str org_id, struct gr_str id,
                             struct gr_credential_rec *out, struct gr_err *err);
int gr__store_credential_list(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                              struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                              size_t max, size_t *count, struct gr_err *err);
int gr__store_credential_set_status(void *ctx, struct gr_str org_id, struct gr_str id,
                                    enum gr_cred_status status, int64_t now,
                                    struct gr_credential_rec *out, struct gr_err *err);
int gr__store_audit_append(void *ctx, const struct gr_audit_event *ev, size_t count,
                           struct gr_err *err);
/*
 * Append `count` audit events in the caller's transaction (BEGIN IMMEDIATE,
 * so that the last hash read stays the last): audit_append, and issued_add
 * with its records.
 */
int gr__store_audit_rows(struct gr__store_conn *c, const struct gr_audit_event *ev, size_t count,
                         struct gr_err *err);
int gr__store_audit_verify(void *ctx, size_t *count, struct gr_err *err);
/* The keyring (sqlite_keys.c). */
int gr__store_key_activate(void *ctx, const struct gr_signing_key *key, int64_t now,
                           struct gr_err *err);
int gr__store_key_list(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out,
                       size_t max, size_t *count, struct gr_err *err);
/* Both backends: does `key` fit the keyring (store.h key_activate)? Code: INVALID_REQUEST. */
int gr__store_key_check(const struct gr_signing_key *key, struct gr_err *err);

/*
 * Offer states and transaction-code input modes as every backend stores them
 * (names.c); a stored name back into its enum (SERVER_ERROR naming `backend`
 * and `col` when it is none of them); and emptying `out` after a failed read,
 * so that it holds nothing, not even an id read halfway (store.h).
 */
#define GR__STORE_OFFER_STATES 3
#define GR__STORE_TX_MODES     2
extern const char *const gr__store_offer_state_names[GR__STORE_OFFER_STATES];
extern const char *const gr__store_tx_mode_names[GR__STORE_TX_MODES];
int gr__store_name_index(const char *text, const char *const *names, size_t n, int *out,
                         const char *backend, int col, struct gr_err *err);
void gr__store_offer_forget(struct gr_offer *out);

/*
 * Shared by every backend, so that they hand out, pack and chain alike:
 * pick `n` free indices of a list of `size` at random, marking them in `used`
 * (sqlite_status.c); write `value` at `idx` of a packed list, TSL §4.1
 * (sqlite_lifecycle.c); the hash of audit event number `seq` after `prev`.
 */
int gr__store_status_pick(uint8_t *used, size_t size, size_t free_count, size_t n, uint64_t *out,
                          struct gr_err *err);
void gr__store_status_pack(uint8_t *statuses, unsigned bits, uint64_t idx, unsigned value);
void gr__store_audit_hash(const uint8_t prev[32], int64_t seq, const struct gr_audit_event *ev,
                          uint8_t out[32]);

/*
 * A keyed pseudorandom permutation of a status list's entries [0, size)
 * (status_order.c): entry_at(p) is the entry handed out p-th. The key is
 * the list's own secret, GR__STATUS_ORDER_KEY_LEN bytes; size at most
 * GR__STATUS_ORDER_MAX. Fails with SERVER_ERROR on a damaged key or size.
 */
#define GR__STATUS_ORDER_KEY_LEN 16
#define GR__STATUS_ORDER_MAX     (UINT64_C(1) << 24)
struct gr__status_order {
    struct evp_cipher_ctx_st *aes;
    uint64_t size;
    unsigned half; /* bits of each Feistel half */
};
int gr__status_order_init(struct gr__status_order *o, const uint8_t *key, size_t key_len,
                          uint64_t size, struct gr_err *err);
int gr__status_order_at(struct gr__status_order *o, uint64_t position, uint64_t *entry,
                        struct gr_err *err);
void gr__status_order_release(struct gr__status_order *o);

/*
 * Token buckets (rate.c): check rate_limit's arguments (SERVER_ERROR when a
 * key is empty or too long, or burst or interval not positive); and the
 * answer for a bucket full at `full_at` (0 for one never used).
 */
int gr__rate_args(struct gr_str key, int64_t burst, int64_t interval_ms, struct gr_err *err);
void gr__rate_answer(int64_t full_at, int64_t now_ms, int64_t burst, int64_t interval_ms,
                     struct gr_rate *out);

int gr__store_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap, struct gr_err *err);
int gr__store_col_hash(sqlite3_stmt *st, int i, uint8_t out[32], struct gr_err *err);
/* A copy of a TEXT column (free() it); NULL when the column is NULL. */
char *gr__store_col_dup(sqlite3_stmt *st, int i);

#endif

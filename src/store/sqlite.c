/*
 * The SQLite store: the operations of store.h over the schema of
 * sqlite_schema.c, offers aside (sqlite_offer.c). Each operation borrows a
 * pooled connection (sqlite_db.c), runs its cached statements and gives the
 * connection back.
 *
 * Single-use things are spent by one conditional write, whose row count or
 * RETURNING row says who won: a code is redeemed by an UPDATE ... WHERE
 * state = 'pending', a jti (or a spent c_nonce) added by an INSERT that only
 * replaces an expired row. SQLite runs one writer at a time, so exactly
 * one of any number of racing callers sees the change.
 */
#include "store/internal.h"

#include <string.h>

#include <openssl/crypto.h>

#include <gramota/crypto.h>

static int read_org(sqlite3_stmt *st, struct gr_org *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (gr__store_col_text(st, 0, out->id, sizeof(out->id), err) < 0 ||
        gr__store_col_text(st, 1, out->name, sizeof(out->name), err) < 0)
        return -1;
    out->created_at = sqlite3_column_int64(st, 2);
    out->offer_rate = sqlite3_column_int64(st, 3);
    out->offer_burst = sqlite3_column_int64(st, 4);
    return 0;
}

static int org_create(void *ctx, const struct gr_org *org, const uint8_t api_key_hash[32],
                      struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    /*
     * The name check and the insert share one write transaction, so that two
     * creators of one name cannot both pass the check; UNIQUE is the backstop.
     */
    if (gr__store_run(c, SQ_BEGIN, err) < 0 || gr__store_stmt(c, SQ_ORG_NAME_TAKEN, &st, err) < 0)
        goto out;
    gr__store_bind_field(st, 1, org->name, sizeof(org->name));
    step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_ROW) {
        gr_fail(err, GR_ERR_CONFLICT, "An organization with this name already exists.");
        goto out;
    }
    if (step != SQLITE_DONE) {
        gr__store_dberr(c, step, err);
        goto out;
    }
    if (gr__store_stmt(c, SQ_ORG_INSERT, &st, err) < 0)
        goto out;
    gr__store_bind_field(st, 1, org->id, sizeof(org->id));
    gr__store_bind_field(st, 2, org->name, sizeof(org->name));
    gr__store_bind_hash(st, 3, api_key_hash);
    sqlite3_bind_int64(st, 4, org->created_at);
    sqlite3_bind_int64(st, 5, org->offer_rate);
    sqlite3_bind_int64(st, 6, org->offer_burst);
    if (gr__store_insert(c, st, GR_ERR_CONFLICT,
                         "The organization's id or API key is already in use.", err) < 0)
        goto out;
    rc = gr__store_run(c, SQ_COMMIT, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

/* Run a SELECT of one org; `missing` (code, sentence) when there is no row. */
static int org_select(struct gr__store_conn *c, sqlite3_stmt *st, enum gr_errc missing,
                      const char *desc, struct gr_org *out, struct gr_err *err)
{
    int step = sqlite3_step(st);

    if (step == SQLITE_DONE)
        return gr_fail(err, missing, "%s", desc);
    if (step != SQLITE_ROW)
        return gr__store_dberr(c, step, err);
    return read_org(st, out, err);
}

static int org_by_key(void *ctx, const uint8_t hash[32], struct gr_org *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_ORG_BY_KEY, &st, err) == 0) {
        gr__store_bind_hash(st, 1, hash);
        rc = org_select(c, st, GR_ERR_UNAUTHORIZED, "The API key is not valid.", out, err);
    }
    gr__store_put(ctx, c);
    return rc;
}

static int org_by_name(void *ctx, struct gr_str name, struct gr_org *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (name.len == 0 || name.len > GR_STORE_NAME_MAX)
        return gr_fail(err, GR_ERR_NOT_FOUND, "No organization has this name.");
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_ORG_BY_NAME, &st, err) == 0) {
        sqlite3_bind_text(st, 1, name.p, (int)name.len, SQLITE_STATIC);
        rc = org_select(c, st, GR_ERR_NOT_FOUND, "No organization has this name.", out, err);
    }
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h */
static int org_set_limits(void *ctx, struct gr_str org_id, int64_t offer_rate, int64_t offer_burst,
                          struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_ORG_LIMITS, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, org_id.p, (int)org_id.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, offer_rate);
    sqlite3_bind_int64(st, 3, offer_burst);
    if (gr__store_step_done(c, st, err) < 0)
        goto out;
    if (sqlite3_changes(c->db) != 1) {
        gr_fail(err, GR_ERR_NOT_FOUND, "No organization has this id.");
        goto out;
    }
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

/* see internal.h */
int gr__store_token_insert(struct gr__store_conn *c, const struct gr_token *t, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;

    if (gr__store_stmt(c, SQ_TOKEN_INSERT, &st, err) < 0)
        return -1;
    gr__store_bind_hash(st, 1, t->hash);
    gr__store_bind_field(st, 2, t->offer_id, sizeof(t->offer_id));
    gr__store_bind_field(st, 3, t->org_id, sizeof(t->org_id));
    gr__store_bind_field(st, 4, t->config_id, sizeof(t->config_id));
    gr__store_bind_hash(st, 5, t->dpop_bound ? t->jkt : NULL);
    sqlite3_bind_int64(st, 6, t->expires_at);
    gr__store_bind_field(st, 7, t->client_id, sizeof(t->client_id));
    return gr__store_insert(c, st, GR_ERR_DUPLICATE, "This access token is already stored.", err);
}

static int token_put(void *ctx, const struct gr_token *t, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    int rc;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    rc = gr__store_token_insert(c, t, err);
    gr__store_put(ctx, c);
    return rc;
}

static int read_token(sqlite3_stmt *st, struct gr_token *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (gr__store_col_hash(st, 0, out->hash, err) < 0 ||
        gr__store_col_text(st, 1, out->offer_id, sizeof(out->offer_id), err) < 0 ||
        gr__store_col_text(st, 2, out->org_id, sizeof(out->org_id), err) < 0 ||
        gr__store_col_text(st, 3, out->config_id, sizeof(out->config_id), err) < 0)
        return -1;
    out->dpop_bound = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (out->dpop_bound && gr__store_col_hash(st, 4, out->jkt, err) < 0)
        return -1;
    out->expires_at = sqlite3_column_int64(st, 5);
    return gr__store_col_text(st, 6, out->client_id, sizeof(out->client_id), err);
}

static int token_get(void *ctx, const uint8_t hash[32], int64_t now, struct gr_token *out,
                     struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_TOKEN_GET, &st, err) < 0)
        goto out;
    gr__store_bind_hash(st, 1, hash);
    sqlite3_bind_int64(st, 2, now);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is not known or has expired.");
    else if (step != SQLITE_ROW)
        gr__store_dberr(c, step, err);
    else
        rc = read_token(st, out, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h: the upsert changes a row only when the jti is new or its old row expired. */
static int jti_add(void *ctx, const uint8_t hash[32], int64_t expires_at, int64_t now,
                   struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_JTI_ADD, &st, err) < 0)
        goto out;
    gr__store_bind_hash(st, 1, hash);
    sqlite3_bind_int64(st, 2, expires_at);
    sqlite3_bind_int64(st, 3, now);
    if (gr__store_step_done(c, st, err) < 0)
        goto out;
    if (sqlite3_changes(c->db) != 1) {
        gr_fail(err, GR_ERR_DUPLICATE, "The DPoP proof's jti has been used before.");
        goto out;
    }
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h: one transaction, so that a batch and its events are recorded whole or not at all. */
static int issued_add(void *ctx, const struct gr_issued *records, size_t count,
                      const struct gr_audit_event *events, size_t event_count, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (count == 0 && event_count == 0)
        return 0;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0 || gr__store_stmt(c, SQ_ISSUED_INSERT, &st, err) < 0)
        goto out;
    for (size_t i = 0; i < count; i++) {
        const struct gr_issued *r = &records[i];

        gr__store_bind_field(st, 1, r->id, sizeof(r->id));
        gr__store_bind_field(st, 2, r->org_id, sizeof(r->org_id));
        gr__store_bind_field(st, 3, r->offer_id, sizeof(r->offer_id));
        gr__store_bind_field(st, 4, r->config_id, sizeof(r->config_id));
        gr__store_bind_field(st, 5, r->vct, sizeof(r->vct));
        gr__store_bind_hash(st, 6, r->holder_jkt);
        sqlite3_bind_int64(st, 7, r->issued_at);
        sqlite3_bind_int64(st, 8, r->expires_at);
        if (r->has_status) {
            gr__store_bind_field(st, 9, r->status.list_id, sizeof(r->status.list_id));
            sqlite3_bind_int64(st, 10, (sqlite3_int64)r->status.idx);
        } else {
            sqlite3_bind_null(st, 9);
            sqlite3_bind_null(st, 10);
        }
        gr__store_bind_field(st, 11, r->kid, sizeof(r->kid));
        if (gr__store_insert(c, st, GR_ERR_CONFLICT,
                             "A credential with this id is already recorded.", err) < 0)
            goto out;
    }
    if (event_count && gr__store_audit_rows(c, events, event_count, err) < 0)
        goto out;
    rc = gr__store_run(c, SQ_COMMIT, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h */
static int issued_ids(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                      char (*ids)[GR_STORE_ID_LEN + 1], size_t max, size_t *count,
                      struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    *count = 0;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_ISSUED_IDS, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, org_id.p, (int)org_id.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, offer_id.p, (int)offer_id.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);

        snprintf(ids[*count], sizeof(ids[*count]), "%s", id ? (const char *)id : "");
        (*count)++;
    }
    sqlite3_reset(st);
    rc = step == SQLITE_DONE ? 0 : gr__store_dberr(c, step, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

/*
 * see store.h. Offer a fresh value, keep whichever was there first, read it
 * back: concurrent first uses, in this process or another, all read the one
 * value that won the insert. No transaction is needed: the row never changes.
 */
static int secret(void *ctx, const char *name, uint8_t out[32], struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    uint8_t fresh[32];
    int rc = -1, step;

    if (name == NULL || name[0] == '\0' || strnlen(name, GR_STORE_NAME_MAX + 1) > GR_STORE_NAME_MAX)
        return gr_fail(err, GR_ERR_USAGE, "A store secret needs a name of 1 to 64 bytes.");
    if (gr_random(fresh, sizeof(fresh), err) < 0)
        return gr_err_recode(err, GR_ERR_SERVER_ERROR);
    if (gr__store_get(ctx, &c, err) < 0)
        goto out;
    if (gr__store_stmt(c, SQ_SECRET_INSERT, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    gr__store_bind_hash(st, 2, fresh);
    if (gr__store_step_done(c, st, err) < 0 || gr__store_stmt(c, SQ_SECRET_GET, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW) { /* DONE cannot happen: rows are never deleted */
        gr__store_dberr(c, step, err);
        goto out;
    }
    rc = gr__store_col_hash(st, 0, out, err);
out:
    gr__store_put(ctx, c);
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return rc;
}

/* Run a sweep statement: ?1 is now, ?2 (when there is one) now less the grace of redeemed offers.
 */
static int run_at(struct gr__store_conn *c, enum gr__store_sql_id id, int64_t now,
                  int64_t token_lifetime, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;

    if (gr__store_stmt(c, id, &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_int64(st, 2, now - token_lifetime);
    return gr__store_step_done(c, st, err);
}

/* see store.h */
static int sweep(void *ctx, int64_t now, int64_t token_lifetime, struct gr_err *err)
{
    static const enum gr__store_sql_id steps[] = {
        SQ_SWEEP_JTIS,
        SQ_SWEEP_TOKENS,
        SQ_SWEEP_RATES,
        SQ_SWEEP_OFFERS,
    };
    struct gr__store_conn *c = NULL;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0)
        goto out;
    for (size_t i = 0; i < GR_NELEM(steps); i++) {
        if (run_at(c, steps[i], now, token_lifetime, err) < 0)
            goto out;
    }
    if (gr__store_run(c, SQ_COMMIT, err) < 0)
        goto out;
    /*
     * secure_delete zeroed the forgotten claims in their pages, but the pages'
     * old images still sit in the WAL until it is checkpointed and cut. Best
     * effort: a busy checkpoint is simply tried again at the next sweep.
     */
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h */
static int ping(void *ctx, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (gr__store_get(ctx, &c, err) < 0 || gr__store_stmt(c, SQ_PING, &st, err) < 0)
        goto out;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = 0;
    else
        gr__store_dberr(c, step, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

/* When bucket `key` is full again, into *full_at (0: it has no row, so it is full). */
static int rate_full_at(struct gr__store_conn *c, struct gr_str key, int64_t *full_at,
                        struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    int step;

    if (gr__store_stmt(c, SQ_RATE_GET, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, key.p, (int)key.len, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return gr__store_dberr(c, step, err);
    *full_at = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return 0;
}

/*
 * see store.h, and rate.c for the algorithm. A take is one conditional
 * UPSERT, so SQLite's single writer makes it atomic; only a refusal (or a
 * look without taking) reads the bucket to say when to come back.
 */
static int rate_limit(void *ctx, struct gr_str key, int64_t burst, int64_t interval_ms,
                      int64_t now_ms, bool take, struct gr_rate *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int64_t full_at = 0;
    int rc = -1;

    if (gr__rate_args(key, burst, interval_ms, err) < 0 || gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (take) {
        if (gr__store_stmt(c, SQ_RATE_TAKE, &st, err) < 0)
            goto out;
        sqlite3_bind_text(st, 1, key.p, (int)key.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_ms);
        sqlite3_bind_int64(st, 3, interval_ms);
        sqlite3_bind_int64(st, 4, burst * interval_ms);
        if (gr__store_step_done(c, st, err) < 0)
            goto out;
        if (sqlite3_changes(c->db) == 1) {
            *out = (struct gr_rate){ .allowed = true };
            rc = 0;
            goto out;
        }
    }
    if (rate_full_at(c, key, &full_at, err) < 0)
        goto out;
    gr__rate_answer(full_at, now_ms, burst, interval_ms, out);
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

const struct gr_store_ops gr__store_sqlite_ops = {
    .name = "sqlite",
    .org_create = org_create,
    .org_by_key = org_by_key,
    .org_by_name = org_by_name,
    .org_set_limits = org_set_limits,
    .offer_put = gr__store_offer_put,
    .offer_get = gr__store_offer_get,
    .offer_by_code = gr__store_offer_by_code,
    .offer_redeem = gr__store_offer_redeem,
    .token_put = token_put,
    .token_get = token_get,
    .jti_add = jti_add,
    .issued_add = issued_add,
    .issued_ids = issued_ids,
    .status_alloc = gr__store_status_alloc,
    .status_list_get = gr__store_status_list_get,
    .credential_get = gr__store_credential_get,
    .credential_list = gr__store_credential_list,
    .credential_set_status = gr__store_credential_set_status,
    .audit_append = gr__store_audit_append,
    .audit_verify = gr__store_audit_verify,
    .key_activate = gr__store_key_activate,
    .key_list = gr__store_key_list,
    .secret = secret,
    .ping = ping,
    .sweep = sweep,
    .rate_limit = rate_limit,
    .stats = gr__store_sqlite_stats,
    .close = gr__store_sqlite_close,
};

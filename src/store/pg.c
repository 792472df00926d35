/*
 * The PostgreSQL store: the operations of store.h over the schema of
 * pg_schema.c, offers (pg_offer.c) and status lists, lifecycle and audit
 * (pg_status.c) aside. Each operation borrows a pooled connection (pg_db.c),
 * runs its prepared statements and gives the connection back.
 *
 * Many processes share one database, so every single-use thing is spent by
 * one conditional write whose row count says who won, never by a read and a
 * write: a jti (or a spent c_nonce) by INSERT ... ON CONFLICT DO UPDATE ...
 * WHERE expired. PostgreSQL's row locks make the losers of a race wait for
 * the winner's commit and then see its row. Transactions run at READ
 * COMMITTED; where a read decides a write, the read locks (FOR UPDATE or an
 * advisory lock), which is cheaper than SERIALIZABLE's retries.
 */
#include "store/internal.h"
#include "store/pg_internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <gramota/crypto.h>

static int read_org(const PGresult *r, struct gr_org *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (gr__pg_col_text(r, 0, 0, out->id, sizeof(out->id), err) < 0 ||
        gr__pg_col_text(r, 0, 1, out->name, sizeof(out->name), err) < 0)
        return -1;
    out->created_at = gr__pg_col_i64(r, 0, 2);
    out->offer_rate = gr__pg_col_i64(r, 0, 3);
    out->offer_burst = gr__pg_col_i64(r, 0, 4);
    return 0;
}

/*
 * see store.h. The UNIQUE constraints decide: of two creators of one name the
 * second's INSERT waits for the first and then fails with unique_violation,
 * which names the constraint that was hit.
 */
static int org_create(void *ctx, const struct gr_org *org, const uint8_t api_key_hash[32],
                      struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    int rc;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_field(&a, org->id, sizeof(org->id));
    gr__pg_field(&a, org->name, sizeof(org->name));
    gr__pg_hash(&a, api_key_hash);
    gr__pg_i64(&a, org->created_at);
    gr__pg_i64(&a, org->offer_rate);
    gr__pg_i64(&a, org->offer_burst);
    rc = gr__pg_do(c, PQ_ORG_INSERT, &a, err);
    if (rc < 0 && strcmp(c->constraint, "orgs_name_key") == 0)
        gr__pg_unique(c, GR_ERR_CONFLICT, "An organization with this name already exists.", err);
    else if (rc < 0)
        gr__pg_unique(c, GR_ERR_CONFLICT, "The organization's id or API key is already in use.",
                      err);
    gr__pg_put(ctx, c);
    return rc;
}

static int org_select(void *ctx, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                      enum gr_errc missing, const char *desc, struct gr_org *out,
                      struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL;
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_run(c, id, a, &r, err) == 0) {
        if (PQntuples(r) == 0)
            gr_fail(err, missing, "%s", desc);
        else
            rc = read_org(r, out, err);
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

static int org_by_key(void *ctx, const uint8_t hash[32], struct gr_org *out, struct gr_err *err)
{
    struct gr__pg_args a = { 0 };

    gr__pg_hash(&a, hash);
    return org_select(ctx, PQ_ORG_BY_KEY, &a, GR_ERR_UNAUTHORIZED, "The API key is not valid.", out,
                      err);
}

static int org_by_name(void *ctx, struct gr_str name, struct gr_org *out, struct gr_err *err)
{
    struct gr__pg_args a = { 0 };

    if (name.len == 0 || name.len > GR_STORE_NAME_MAX)
        return gr_fail(err, GR_ERR_NOT_FOUND, "No organization has this name.");
    gr__pg_str(&a, name);
    return org_select(ctx, PQ_ORG_BY_NAME, &a, GR_ERR_NOT_FOUND, "No organization has this name.",
                      out, err);
}

/* see pg_internal.h */
void gr__pg_token_args(struct gr__pg_args *a, const struct gr_token *t)
{
    gr__pg_hash(a, t->hash);
    gr__pg_field(a, t->offer_id, sizeof(t->offer_id));
    gr__pg_field(a, t->org_id, sizeof(t->org_id));
    gr__pg_field(a, t->config_id, sizeof(t->config_id));
    gr__pg_bytes(a, t->dpop_bound ? t->jkt : NULL, 32);
    gr__pg_i64(a, t->expires_at);
    gr__pg_field(a, t->client_id, sizeof(t->client_id));
}

static int token_put(void *ctx, const struct gr_token *t, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    int rc;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_token_args(&a, t);
    rc = gr__pg_do(c, PQ_TOKEN_INSERT, &a, err);
    if (rc < 0)
        gr__pg_unique(c, GR_ERR_DUPLICATE, "This access token is already stored.", err);
    gr__pg_put(ctx, c);
    return rc;
}

static int read_token(const PGresult *r, struct gr_token *out, struct gr_err *err)
{
    memset(out, 0, sizeof(*out));
    if (gr__pg_col_hash(r, 0, 0, out->hash, err) < 0 ||
        gr__pg_col_text(r, 0, 1, out->offer_id, sizeof(out->offer_id), err) < 0 ||
        gr__pg_col_text(r, 0, 2, out->org_id, sizeof(out->org_id), err) < 0 ||
        gr__pg_col_text(r, 0, 3, out->config_id, sizeof(out->config_id), err) < 0)
        return -1;
    out->dpop_bound = !gr__pg_col_null(r, 0, 4);
    if (out->dpop_bound && gr__pg_col_hash(r, 0, 4, out->jkt, err) < 0)
        return -1;
    out->expires_at = gr__pg_col_i64(r, 0, 5);
    return gr__pg_col_text(r, 0, 6, out->client_id, sizeof(out->client_id), err);
}

static int token_get(void *ctx, const uint8_t hash[32], int64_t now, struct gr_token *out,
                     struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_hash(&a, hash);
    gr__pg_i64(&a, now);
    if (gr__pg_run(c, PQ_TOKEN_GET, &a, &r, err) == 0) {
        if (PQntuples(r) == 0)
            gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is not known or has expired.");
        else
            rc = read_token(r, out, err);
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/* Run a statement whose affected-row count must be 1; `code` with `desc` when it is 0. */
static int change_one(void *ctx, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                      enum gr_errc code, const char *desc, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL;
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_run(c, id, a, &r, err) == 0) {
        if (strcmp(PQcmdTuples(r), "1") == 0)
            rc = 0;
        else
            gr_fail(err, code, "%s", desc);
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/*
 * see store.h. INSERT ... ON CONFLICT DO UPDATE ... WHERE expired: the upsert
 * changes a row only when the jti is new or its old row expired, and the
 * unique index serializes racing inserts of one jti, so one of them counts.
 */
/* see store.h */
static int org_set_limits(void *ctx, struct gr_str org_id, int64_t offer_rate, int64_t offer_burst,
                          struct gr_err *err)
{
    struct gr__pg_args a = { 0 };

    gr__pg_str(&a, org_id);
    gr__pg_i64(&a, offer_rate);
    gr__pg_i64(&a, offer_burst);
    return change_one(ctx, PQ_ORG_LIMITS, &a, GR_ERR_NOT_FOUND, "No organization has this id.",
                      err);
}

static int jti_add(void *ctx, const uint8_t hash[32], int64_t expires_at, int64_t now,
                   struct gr_err *err)
{
    struct gr__pg_args a = { 0 };

    gr__pg_hash(&a, hash);
    gr__pg_i64(&a, expires_at);
    gr__pg_i64(&a, now);
    return change_one(ctx, PQ_JTI_ADD, &a, GR_ERR_DUPLICATE,
                      "The DPoP proof's jti has been used before.", err);
}

/* The records as the columns of PQ_ISSUED_INSERT. */
static void issued_cols(const struct gr_issued *records, size_t count, struct gr__pg_cols *cols)
{
    gr__pg_cols_init(cols, "tttttbiitit");
    for (size_t i = 0; i < count; i++) {
        const struct gr_issued *r = &records[i];

        gr__pg_col_add_text(cols, 0, r->id, sizeof(r->id));
        gr__pg_col_add_text(cols, 1, r->org_id, sizeof(r->org_id));
        gr__pg_col_add_text(cols, 2, r->offer_id, sizeof(r->offer_id));
        gr__pg_col_add_text(cols, 3, r->config_id, sizeof(r->config_id));
        gr__pg_col_add_text(cols, 4, r->vct, sizeof(r->vct));
        gr__pg_col_add_bytes(cols, 5, r->holder_jkt, sizeof(r->holder_jkt));
        gr__pg_col_add_i64(cols, 6, r->issued_at);
        gr__pg_col_add_i64(cols, 7, r->expires_at);
        if (r->has_status) {
            gr__pg_col_add_text(cols, 8, r->status.list_id, sizeof(r->status.list_id));
            gr__pg_col_add_i64(cols, 9, (int64_t)r->status.idx);
        } else {
            gr__pg_col_add_null(cols, 8);
            gr__pg_col_add_null(cols, 9);
        }
        gr__pg_col_add_text(cols, 10, r->kid, sizeof(r->kid));
    }
}

/*
 * see store.h: one transaction, so that a batch and its audit events are
 * recorded whole or not at all, in two round trips (gr__pg_write_audited):
 * the whole batch is one statement, the events another.
 */
static int issued_add(void *ctx, const struct gr_issued *records, size_t count,
                      const struct gr_audit_event *events, size_t event_count, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_cols rows = { .n = 0 };
    struct gr__pg_args a = { 0 };
    int rc;

    if (count == 0)
        return gr__pg_audit_append(ctx, events, event_count, err);
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    issued_cols(records, count, &rows);
    gr__pg_cols_args(&rows, &a);
    rc = gr__pg_write_audited(c, PQ_ISSUED_INSERT, &a, events, event_count, err);
    if (rc < 0)
        gr__pg_unique(c, GR_ERR_CONFLICT, "A credential with this id is already recorded.", err);
    gr__pg_cols_release(&rows);
    gr__pg_put(ctx, c);
    return rc;
}

/* see store.h */
static int issued_ids(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                      char (*ids)[GR_STORE_ID_LEN + 1], size_t max, size_t *count,
                      struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    *count = 0;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_str(&a, offer_id);
    gr__pg_i64(&a, (int64_t)max);
    /* An offer's credentials are all its organization's: another's has none (PQ_OFFER_GET). */
    if (gr__pg_run(c, PQ_ISSUED_IDS, &a, &r, err) == 0) {
        rc = 0;
        for (int i = 0; i < PQntuples(r) && *count < max && rc == 0; i++) {
            if (!gr_str_eq(gr_str_c(PQgetvalue(r, i, 1)), org_id))
                continue;
            rc = gr__pg_col_text(r, i, 0, ids[*count], sizeof(ids[*count]), err);
            *count += rc == 0;
        }
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/*
 * see store.h. Offer a fresh value, keep whichever was there first, read it
 * back: a racing INSERT of the same name waits for the first to commit and
 * then does nothing, so every process reads the one value that won.
 */
static int secret(void *ctx, const char *name, uint8_t out[32], struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    uint8_t fresh[32];
    int rc = -1;

    if (name == NULL || name[0] == '\0' || strnlen(name, GR_STORE_NAME_MAX + 1) > GR_STORE_NAME_MAX)
        return gr_fail(err, GR_ERR_USAGE, "A store secret needs a name of 1 to 64 bytes.");
    if (gr_random(fresh, sizeof(fresh), err) < 0)
        return gr_err_recode(err, GR_ERR_SERVER_ERROR);
    if (gr__pg_get(ctx, &c, err) < 0)
        goto out;
    gr__pg_field(&a, name, GR_STORE_NAME_MAX);
    gr__pg_hash(&a, fresh);
    if (gr__pg_do(c, PQ_SECRET_INSERT, &a, err) < 0)
        goto out;
    a.n = 1;
    if (gr__pg_run(c, PQ_SECRET_GET, &a, &r, err) < 0)
        goto out;
    if (PQntuples(r) != 1) /* cannot happen: rows are never deleted */
        gr_fail(err, GR_ERR_SERVER_ERROR, "A store secret vanished.");
    else
        rc = gr__pg_col_hash(r, 0, 0, out, err);
out:
    PQclear(r);
    gr__pg_put(ctx, c);
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return rc;
}

/* see store.h: one transaction, as in sqlite.c. */
static int sweep(void *ctx, int64_t now, int64_t token_lifetime, struct gr_err *err)
{
    static const enum gr__pg_sql_id steps[] = {
        PQ_SWEEP_JTIS,
        PQ_SWEEP_TOKENS,
        PQ_SWEEP_RATES,
        PQ_SWEEP_OFFERS,
    };
    struct gr__pg_conn *c = NULL;
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_exec(c, "BEGIN", err) < 0)
        goto out;
    for (size_t i = 0; i < GR_NELEM(steps); i++) {
        struct gr__pg_args a = { 0 };

        gr__pg_i64(&a, now);
        if (steps[i] == PQ_SWEEP_OFFERS)
            gr__pg_i64(&a, now - token_lifetime);
        if (gr__pg_do(c, steps[i], &a, err) < 0)
            goto out;
    }
    rc = gr__pg_exec(c, "COMMIT", err);
out:
    gr__pg_put(ctx, c);
    return rc;
}

/* see store.h. Borrowing a connection resets a lost one first; the query proves it works. */
static int ping(void *ctx, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        goto out;
    rc = gr__pg_do(c, PQ_PING, &a, err);
out:
    gr__pg_put(ctx, c);
    return rc;
}

/* see store.h, and rate.c for the algorithm; as sqlite.c's, one conditional UPSERT takes. */
static int rate_limit(void *ctx, struct gr_str key, int64_t burst, int64_t interval_ms,
                      int64_t now_ms, bool take, struct gr_rate *out, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    if (gr__rate_args(key, burst, interval_ms, err) < 0 || gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_str(&a, key);
    gr__pg_i64(&a, now_ms);
    gr__pg_i64(&a, interval_ms);
    gr__pg_i64(&a, burst * interval_ms);
    if (take) {
        if (gr__pg_run(c, PQ_RATE_TAKE, &a, &r, err) < 0)
            goto out;
        if (strcmp(PQcmdTuples(r), "1") == 0) {
            *out = (struct gr_rate){ .allowed = true };
            rc = 0;
            goto out;
        }
        PQclear(r);
        r = NULL;
    }
    a.n = 1;
    if (gr__pg_run(c, PQ_RATE_GET, &a, &r, err) < 0)
        goto out;
    gr__rate_answer(PQntuples(r) == 1 ? gr__pg_col_i64(r, 0, 0) : 0, now_ms, burst, interval_ms,
                    out);
    rc = 0;
out:
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

const struct gr_store_ops gr__pg_ops = {
    .name = "postgres",
    .org_create = org_create,
    .org_by_key = org_by_key,
    .org_by_name = org_by_name,
    .org_set_limits = org_set_limits,
    .offer_put = gr__pg_offer_put,
    .offer_get = gr__pg_offer_get,
    .offer_by_code = gr__pg_offer_by_code,
    .offer_redeem = gr__pg_offer_redeem,
    .token_put = token_put,
    .token_get = token_get,
    .jti_add = jti_add,
    .issued_add = issued_add,
    .issued_ids = issued_ids,
    .status_alloc = gr__pg_status_alloc,
    .status_list_get = gr__pg_status_list_get,
    .credential_get = gr__pg_credential_get,
    .credential_list = gr__pg_credential_list,
    .credential_set_status = gr__pg_credential_set_status,
    .audit_append = gr__pg_audit_append,
    .audit_verify = gr__pg_audit_verify,
    .key_activate = gr__pg_key_activate,
    .key_list = gr__pg_key_list,
    .secret = secret,
    .ping = ping,
    .sweep = sweep,
    .rate_limit = rate_limit,
    .stats = gr__pg_stats,
    .close = gr__pg_close,
};

/*
 * Offers in the SQLite store, and the redemption of their pre-authorized codes
 * (store.h; SPECS §2.7, §2.15). The redemption is one conditional UPDATE in a
 * write transaction; when it changes nothing, the same transaction says why
 * and counts a wrong transaction code.
 */
#include "store/internal.h"

#include <string.h>

/* Text of a column into an enum, by a table of names. */
static int col_enum(sqlite3_stmt *st, int i, const char *const *names, size_t n, int *out,
                    struct gr_err *err)
{
    const char *t = (const char *)sqlite3_column_text(st, i);

    return gr__store_name_index(t, names, n, out, "sqlite", i, err);
}

/* A row of OFFER_COLS into `out`, which then owns its JSON texts and sealed URL. */
static int read_offer(sqlite3_stmt *st, struct gr_offer *out, struct gr_err *err)
{
    int state = 0, mode = 0;

    memset(out, 0, sizeof(*out));
    if (gr__store_col_text(st, 0, out->id, sizeof(out->id), err) < 0 ||
        gr__store_col_text(st, 1, out->org_id, sizeof(out->org_id), err) < 0 ||
        gr__store_col_text(st, 2, out->config_id, sizeof(out->config_id), err) < 0 ||
        gr__store_col_hash(st, 3, out->code_hash, err) < 0 ||
        col_enum(st, 10, gr__store_offer_state_names, GR__STORE_OFFER_STATES, &state, err) < 0)
        return -1;
    out->has_tx_code = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (out->has_tx_code) {
        if (gr__store_col_hash(st, 4, out->tx_code_hash, err) < 0 ||
            col_enum(st, 5, gr__store_tx_mode_names, GR__STORE_TX_MODES, &mode, err) < 0 ||
            gr__store_col_text(st, 7, out->tx_description, sizeof(out->tx_description), err) < 0)
            return -1;
        out->tx_input_mode = (enum gr_tx_input_mode)mode;
        out->tx_length = sqlite3_column_int(st, 6);
    }
    out->tx_attempts = sqlite3_column_int(st, 8);
    out->by_reference = sqlite3_column_int(st, 9) != 0;
    out->state = (enum gr_offer_state)state;
    out->created_at = sqlite3_column_int64(st, 11);
    out->expires_at = sqlite3_column_int64(st, 12);
    out->credential_lifetime = sqlite3_column_int64(st, 13);
    out->subject_json = gr__store_col_dup(st, 14);
    out->disclosable_json = gr__store_col_dup(st, 15);
    if (sqlite3_column_type(st, 16) != SQLITE_NULL) {
        out->sealed_url_len = (size_t)sqlite3_column_bytes(st, 16);
        out->sealed_url = gr__xmalloc(out->sealed_url_len);
        memcpy(out->sealed_url, sqlite3_column_blob(st, 16), out->sealed_url_len);
    }
    return 0;
}

static void bind_offer(sqlite3_stmt *st, const struct gr_offer *o)
{
    gr__store_bind_field(st, 1, o->id, sizeof(o->id));
    gr__store_bind_field(st, 2, o->org_id, sizeof(o->org_id));
    gr__store_bind_field(st, 3, o->config_id, sizeof(o->config_id));
    gr__store_bind_hash(st, 4, o->code_hash);
    if (o->has_tx_code) { /* otherwise the tx_* columns stay NULL */
        gr__store_bind_hash(st, 5, o->tx_code_hash);
        sqlite3_bind_text(st, 6, gr__store_tx_mode_names[o->tx_input_mode], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, o->tx_length);
        gr__store_bind_field(st, 8, o->tx_description, sizeof(o->tx_description));
    }
    sqlite3_bind_int(st, 9, o->tx_attempts);
    sqlite3_bind_int(st, 10, o->by_reference);
    sqlite3_bind_text(st, 11, gr__store_offer_state_names[o->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, o->created_at);
    sqlite3_bind_int64(st, 13, o->expires_at);
    sqlite3_bind_int64(st, 14, o->credential_lifetime);
    sqlite3_bind_text(st, 15, o->subject_json, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(st, 16, o->disclosable_json, -1, SQLITE_STATIC);
    if (o->sealed_url != NULL && o->sealed_url_len > 0)
        sqlite3_bind_blob(st, 17, o->sealed_url, (int)o->sealed_url_len, SQLITE_STATIC);
}

/* see store.h */
int gr__store_offer_put(void *ctx, const struct gr_offer *offer,
                        const struct gr_audit_event *created, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if ((unsigned)offer->state >= GR__STORE_OFFER_STATES ||
        (unsigned)offer->tx_input_mode >= GR__STORE_TX_MODES || offer->sealed_url_len > GR_MAX_BODY)
        return gr_fail(err, GR_ERR_USAGE, "The offer has a field out of range.");
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    /* With its event, one write transaction; alone, the INSERT is one by itself. */
    if ((created && gr__store_run(c, SQ_BEGIN, err) < 0) ||
        gr__store_stmt(c, SQ_OFFER_INSERT, &st, err) < 0)
        goto out;
    bind_offer(st, offer);
    if (gr__store_insert(c, st, GR_ERR_CONFLICT, "An offer with this id or code already exists.",
                         err) < 0 ||
        (created &&
         (gr__store_audit_rows(c, created, 1, err) < 0 || gr__store_run(c, SQ_COMMIT, err) < 0)))
        goto out;
    rc = 0;
out:
    gr__store_put(ctx, c); /* rolls back whatever did not commit */
    return rc;
}

/* Run a SELECT of one offer; NOT_FOUND with `desc` when there is no row. */
static int offer_select(struct gr__store_conn *c, sqlite3_stmt *st, const char *desc,
                        struct gr_offer *out, struct gr_err *err)
{
    int step = sqlite3_step(st);

    if (step == SQLITE_DONE)
        return gr_fail(err, GR_ERR_NOT_FOUND, "%s", desc);
    if (step != SQLITE_ROW)
        return gr__store_dberr(c, step, err);
    if (read_offer(st, out, err) < 0) {
        gr__store_offer_forget(out);
        return -1;
    }
    return 0;
}

/* see store.h */
int gr__store_offer_get(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                        struct gr_offer *out, struct gr_err *err)
{
    static const char missing[] = "The offer does not exist.";
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    /* Another organization's offer is answered exactly like one that does not exist. */
    if (org_id.len > GR_STORE_ID_LEN || offer_id.len > GR_STORE_ID_LEN)
        return gr_fail(err, GR_ERR_NOT_FOUND, "%s", missing);
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_OFFER_GET, &st, err) == 0) {
        sqlite3_bind_text(st, 1, offer_id.p, (int)offer_id.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, org_id.p, (int)org_id.len, SQLITE_STATIC);
        rc = offer_select(c, st, missing, out, err);
    }
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h */
int gr__store_offer_by_code(void *ctx, const uint8_t code_hash[32], int64_t now,
                            struct gr_offer *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_OFFER_BY_CODE, &st, err) == 0) {
        gr__store_bind_hash(st, 1, code_hash);
        sqlite3_bind_int64(st, 2, now);
        rc = offer_select(c, st, "The credential offer does not exist or is no longer available.",
                          out, err);
    }
    gr__store_put(ctx, c);
    return rc;
}

/*
 * A wrong transaction code, inside the redeeming transaction: count it, and
 * kill the offer at the max_tx_attempts-th (VCI-E §13.6.3). Conditional on
 * 'pending' like the redemption, so a count never revives or skips a state.
 */
static int count_miss(struct gr__store_conn *c, const char *id, int max_tx_attempts,
                      struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *state;
    bool dead;
    int step;

    if (gr__store_stmt(c, SQ_OFFER_MISS, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, max_tx_attempts);
    step = sqlite3_step(st);
    /* No row cannot happen: the write lock is ours since the diagnosis saw 'pending'. */
    if (step == SQLITE_DONE)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "The offer changed state unexpectedly.");
    if (step != SQLITE_ROW)
        return gr__store_dberr(c, step, err);
    state = sqlite3_column_text(st, 0);
    dead = state != NULL && strcmp((const char *)state, "dead") == 0;
    sqlite3_reset(st);
    if (gr__store_run(c, SQ_COMMIT, err) < 0)
        return -1;
    if (dead)
        return gr_fail(err, GR_ERR_INVALID_GRANT,
                       "The transaction code is wrong, and too many wrong codes have invalidated "
                       "the offer.");
    return gr_fail(err, GR_ERR_INVALID_GRANT, "The transaction code is wrong.");
}

/*
 * The redemption found no row: say why, from the same transaction's view
 * (SPECS §2.7: the grant's own state is invalid_grant, a transaction code
 * missing or unexpected is invalid_request). Always returns -1.
 */
static int refuse(struct gr__store_conn *c, const uint8_t code_hash[32], const uint8_t *tx_hash,
                  int64_t now, int max_tx_attempts, struct gr_err *err)
{
    sqlite3_stmt *st = NULL;
    char id[GR_STORE_ID_LEN + 1];
    int step, state = 0;
    int64_t expires_at;
    bool has_tx;

    if (gr__store_stmt(c, SQ_OFFER_DIAGNOSE, &st, err) < 0)
        return -1;
    gr__store_bind_hash(st, 1, code_hash);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code is not known.");
    if (step != SQLITE_ROW)
        return gr__store_dberr(c, step, err);
    if (gr__store_col_text(st, 0, id, sizeof(id), err) < 0 ||
        col_enum(st, 1, gr__store_offer_state_names, GR__STORE_OFFER_STATES, &state, err) < 0)
        return -1;
    expires_at = sqlite3_column_int64(st, 2);
    has_tx = sqlite3_column_int(st, 3) != 0;
    sqlite3_reset(st);
    if (state == GR_OFFER_DEAD)
        return gr_fail(err, GR_ERR_INVALID_GRANT,
                       "The pre-authorized code was invalidated after too many wrong "
                       "transaction codes.");
    if (state == GR_OFFER_REDEEMED)
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code has already been used.");
    if (expires_at <= now)
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code has expired.");
    if (has_tx && tx_hash == NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "The transaction code is missing; this offer requires one.");
    if (!has_tx && tx_hash != NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "A transaction code was sent, but this offer does not use one.");
    return count_miss(c, id, max_tx_attempts, err);
}

/*
 * see store.h and internal.h. One write transaction: the conditional UPDATE
 * ... RETURNING is the redemption (pending, unexpired, transaction code
 * matching, all in its WHERE); when it changes nothing, refuse() reads why and
 * may count a wrong code before the same COMMIT. BEGIN IMMEDIATE holds the
 * write lock from the UPDATE to the COMMIT, so no racing redeemer sees
 * anything in between.
 */
int gr__store_offer_redeem_keeping(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash,
                                   int64_t now, int max_tx_attempts, struct gr_token *token,
                                   const struct gr__token_keeper *keeper,
                                   const struct gr_audit_event *granted, struct gr_offer *out,
                                   struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    struct gr_audit_event ev;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    memset(out, 0, sizeof(*out));
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0 || gr__store_stmt(c, SQ_OFFER_REDEEM, &st, err) < 0)
        goto out;
    gr__store_bind_hash(st, 1, code_hash);
    sqlite3_bind_int64(st, 2, now);
    gr__store_bind_hash(st, 3, tx_hash);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        sqlite3_reset(st);
        refuse(c, code_hash, tx_hash, now, max_tx_attempts, err);
        goto out;
    }
    if (step != SQLITE_ROW) {
        gr__store_dberr(c, step, err);
        goto out;
    }
    if (read_offer(st, out, err) < 0)
        goto out;
    sqlite3_reset(st);
    /* The token goes in with the redemption: a code is never spent without its token. */
    if (token) {
        memcpy(token->offer_id, out->id, sizeof(token->offer_id));
        memcpy(token->org_id, out->org_id, sizeof(token->org_id));
        memcpy(token->config_id, out->config_id, sizeof(token->config_id));
        if ((keeper ? keeper->keep(keeper->arg, token, err)
                    : gr__store_token_insert(c, token, err)) < 0)
            goto out;
    }
    if (granted) {
        ev = *granted;
        memcpy(ev.org_id, out->org_id, sizeof(ev.org_id));
        memcpy(ev.offer_id, out->id, sizeof(ev.offer_id));
        if (gr__store_audit_rows(c, &ev, 1, err) < 0)
            goto out;
    }
    /* Only a durable COMMIT makes this caller the one who redeemed the code. */
    if (gr__store_run(c, SQ_COMMIT, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        gr__store_offer_forget(out);
    gr__store_put(ctx, c); /* rolls back whatever did not commit */
    return rc;
}

/* see store.h */
int gr__store_offer_redeem(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash,
                           int64_t now, int max_tx_attempts, struct gr_token *token,
                           const struct gr_audit_event *granted, struct gr_offer *out,
                           struct gr_err *err)
{
    return gr__store_offer_redeem_keeping(ctx, code_hash, tx_hash, now, max_tx_attempts, token,
                                          NULL, granted, out, err);
}

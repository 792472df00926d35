/*
 * Offers in the PostgreSQL store, and the redemption of their pre-authorized
 * codes (store.h; SPECS §2.7, §2.15). The redemption is one conditional
 * UPDATE ... RETURNING; when it changes nothing, the same transaction locks
 * the row, says why, and counts a wrong transaction code.
 */
#include "store/internal.h"
#include "store/pg_internal.h"

#include <string.h>

#include <gramota/crypto.h>

static int col_enum(const PGresult *r, int col, const char *const *names, size_t n, int *out,
                    struct gr_err *err)
{
    char t[16];

    if (gr__pg_col_text(r, 0, col, t, sizeof(t), err) < 0)
        return -1;
    return gr__store_name_index(t, names, n, out, "postgres", col, err);
}

/* Row 0 of OFFER_COLS into `out`, which then owns its JSON texts and sealed URL. */
static int read_offer(const PGresult *r, struct gr_offer *out, struct gr_err *err)
{
    int state = 0, mode = 0;

    memset(out, 0, sizeof(*out));
    if (gr__pg_col_text(r, 0, 0, out->id, sizeof(out->id), err) < 0 ||
        gr__pg_col_text(r, 0, 1, out->org_id, sizeof(out->org_id), err) < 0 ||
        gr__pg_col_text(r, 0, 2, out->config_id, sizeof(out->config_id), err) < 0 ||
        gr__pg_col_hash(r, 0, 3, out->code_hash, err) < 0 ||
        col_enum(r, 10, gr__store_offer_state_names, GR__STORE_OFFER_STATES, &state, err) < 0)
        return -1;
    out->has_tx_code = !gr__pg_col_null(r, 0, 4);
    if (out->has_tx_code) {
        if (gr__pg_col_hash(r, 0, 4, out->tx_code_hash, err) < 0 ||
            col_enum(r, 5, gr__store_tx_mode_names, GR__STORE_TX_MODES, &mode, err) < 0 ||
            gr__pg_col_text(r, 0, 7, out->tx_description, sizeof(out->tx_description), err) < 0)
            return -1;
        out->tx_input_mode = (enum gr_tx_input_mode)mode;
        out->tx_length = (int)gr__pg_col_i64(r, 0, 6);
    }
    out->tx_attempts = (int)gr__pg_col_i64(r, 0, 8);
    out->by_reference = gr__pg_col_i64(r, 0, 9) != 0;
    out->state = (enum gr_offer_state)state;
    out->created_at = gr__pg_col_i64(r, 0, 11);
    out->expires_at = gr__pg_col_i64(r, 0, 12);
    out->credential_lifetime = gr__pg_col_i64(r, 0, 13);
    out->subject_json = gr__pg_col_dup(r, 0, 14);
    out->disclosable_json = gr__pg_col_dup(r, 0, 15);
    if (!gr__pg_col_null(r, 0, 16)) {
        out->sealed_url_len = (size_t)PQgetlength(r, 0, 16);
        out->sealed_url = gr__xmalloc(out->sealed_url_len ? out->sealed_url_len : 1);
        memcpy(out->sealed_url, PQgetvalue(r, 0, 16), out->sealed_url_len);
    }
    return 0;
}

static void bind_offer(struct gr__pg_args *a, const struct gr_offer *o)
{
    gr__pg_field(a, o->id, sizeof(o->id));
    gr__pg_field(a, o->org_id, sizeof(o->org_id));
    gr__pg_field(a, o->config_id, sizeof(o->config_id));
    gr__pg_hash(a, o->code_hash);
    if (o->has_tx_code) { /* otherwise the tx_* columns stay NULL */
        gr__pg_hash(a, o->tx_code_hash);
        gr__pg_field(a, gr__store_tx_mode_names[o->tx_input_mode], 16);
        gr__pg_i64(a, o->tx_length);
        gr__pg_field(a, o->tx_description, sizeof(o->tx_description));
    } else {
        for (int i = 0; i < 4; i++)
            gr__pg_bytes(a, NULL, 0);
    }
    gr__pg_i64(a, o->tx_attempts);
    gr__pg_i64(a, o->by_reference);
    gr__pg_field(a, gr__store_offer_state_names[o->state], 16);
    gr__pg_i64(a, o->created_at);
    gr__pg_i64(a, o->expires_at);
    gr__pg_i64(a, o->credential_lifetime);
    gr__pg_bytes(a, o->subject_json, o->subject_json ? strlen(o->subject_json) : 0);
    gr__pg_bytes(a, o->disclosable_json, o->disclosable_json ? strlen(o->disclosable_json) : 0);
    gr__pg_bytes(a, o->sealed_url_len > 0 ? o->sealed_url : NULL, o->sealed_url_len);
}

/* see store.h: with its event, in two round trips (gr__pg_write_audited); alone, in one. */
int gr__pg_offer_put(void *ctx, const struct gr_offer *offer, const struct gr_audit_event *created,
                     struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    int rc;

    if ((unsigned)offer->state >= GR__STORE_OFFER_STATES ||
        (unsigned)offer->tx_input_mode >= GR__STORE_TX_MODES || offer->sealed_url_len > GR_MAX_BODY)
        return gr_fail(err, GR_ERR_USAGE, "The offer has a field out of range.");
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    bind_offer(&a, offer);
    rc = gr__pg_write_audited(c, PQ_OFFER_INSERT, &a, created, created ? 1 : 0, err);
    if (rc < 0)
        gr__pg_unique(c, GR_ERR_CONFLICT, "An offer with this id or code already exists.", err);
    gr__pg_put(ctx, c);
    return rc;
}

/* Run a SELECT of one offer; NOT_FOUND with `desc` when there is no row. */
static int offer_select(void *ctx, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                        const char *desc, struct gr_offer *out, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL;
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_run(c, id, a, &r, err) == 0) {
        if (PQntuples(r) == 0)
            gr_fail(err, GR_ERR_NOT_FOUND, "%s", desc);
        else if (read_offer(r, out, err) < 0)
            gr__store_offer_forget(out);
        else
            rc = 0;
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/* see store.h */
int gr__pg_offer_get(void *ctx, struct gr_str org_id, struct gr_str offer_id, struct gr_offer *out,
                     struct gr_err *err)
{
    static const char missing[] = "The offer does not exist.";
    struct gr__pg_args a = { 0 };

    memset(out, 0, sizeof(*out));
    /* Another organization's offer is answered exactly like one that does not exist. */
    if (org_id.len > GR_STORE_ID_LEN || offer_id.len > GR_STORE_ID_LEN)
        return gr_fail(err, GR_ERR_NOT_FOUND, "%s", missing);
    gr__pg_str(&a, offer_id);
    if (offer_select(ctx, PQ_OFFER_GET, &a, missing, out, err) < 0)
        return -1;
    if (!gr_str_eq(gr_str_c(out->org_id), org_id)) {
        gr_offer_release(out);
        memset(out, 0, sizeof(*out));
        return gr_fail(err, GR_ERR_NOT_FOUND, "%s", missing);
    }
    return 0;
}

/* see store.h */
int gr__pg_offer_by_code(void *ctx, const uint8_t code_hash[32], int64_t now, struct gr_offer *out,
                         struct gr_err *err)
{
    struct gr__pg_args a = { 0 };

    memset(out, 0, sizeof(*out));
    gr__pg_hash(&a, code_hash);
    gr__pg_i64(&a, now);
    return offer_select(ctx, PQ_OFFER_BY_CODE, &a,
                        "The credential offer does not exist or is no longer available.", out, err);
}

/*
 * A wrong transaction code, inside the redeeming transaction: count it, and
 * kill the offer at the max_tx_attempts-th (VCI-E §13.6.3). The diagnosis
 * holds the row lock (FOR UPDATE), so racing wrong guesses are counted one
 * after another, each seeing the count the one before it committed.
 */
static int count_miss(struct gr__pg_conn *c, const char *id, int max_tx_attempts,
                      struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    char state[16] = "";

    gr__pg_field(&a, id, GR_STORE_ID_LEN + 1);
    gr__pg_i64(&a, max_tx_attempts);
    if (gr__pg_run(c, PQ_OFFER_MISS, &a, &r, err) < 0)
        return -1;
    if (PQntuples(r) != 1 || gr__pg_col_text(r, 0, 0, state, sizeof(state), err) < 0) {
        PQclear(r);
        return gr_fail(err, GR_ERR_SERVER_ERROR, "The offer changed state unexpectedly.");
    }
    PQclear(r);
    if (gr__pg_exec(c, "COMMIT", err) < 0)
        return -1;
    if (strcmp(state, "dead") == 0)
        return gr_fail(err, GR_ERR_INVALID_GRANT,
                       "The transaction code is wrong, and too many wrong codes have invalidated "
                       "the offer.");
    return gr_fail(err, GR_ERR_INVALID_GRANT, "The transaction code is wrong.");
}

/*
 * The redemption found no row: say why, from the row as locked now (SPECS
 * §2.7: the grant's own state is invalid_grant, a transaction code missing or
 * unexpected is invalid_request). Always returns -1.
 */
static int refuse(struct gr__pg_conn *c, const uint8_t code_hash[32], const uint8_t *tx_hash,
                  int64_t now, int max_tx_attempts, struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    char id[GR_STORE_ID_LEN + 1];
    int state = 0;
    int64_t expires_at;
    bool has_tx;

    gr__pg_hash(&a, code_hash);
    if (gr__pg_run(c, PQ_OFFER_DIAGNOSE, &a, &r, err) < 0)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code is not known.");
    }
    if (gr__pg_col_text(r, 0, 0, id, sizeof(id), err) < 0 ||
        col_enum(r, 1, gr__store_offer_state_names, GR__STORE_OFFER_STATES, &state, err) < 0) {
        PQclear(r);
        return -1;
    }
    expires_at = gr__pg_col_i64(r, 0, 2);
    has_tx = gr__pg_col_i64(r, 0, 3) != 0;
    PQclear(r);
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
 * see store.h and internal.h. One transaction at READ COMMITTED. The
 * conditional UPDATE ... RETURNING is the redemption (pending, unexpired,
 * transaction code matching, all in its WHERE): PostgreSQL makes a concurrent
 * UPDATE of the same row wait for the first to end and then re-check the WHERE
 * against the committed row, so of any number of racing redeemers, in any
 * number of processes, exactly one gets a row back. The token (or the
 * keeper's) and the audit event follow before the COMMIT, in a second round
 * trip: a code is never spent without them. With a keeper, the audit lock is
 * taken only once the keeper is done (a third round trip): a slow Redis must
 * not hold up every audit append of every process.
 *
 * When the UPDATE changes nothing, its transaction (and the audit lock it may
 * hold) is let go, and refuse() locks the row with FOR UPDATE in a new one,
 * reads why and may count a wrong code: states only move forward, so what it
 * finds explains the refusal.
 */
int gr__pg_offer_redeem_keeping(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash,
                                int64_t now, int max_tx_attempts, struct gr_token *token,
                                const struct gr__token_keeper *keeper,
                                const struct gr_audit_event *granted, struct gr_offer *out,
                                struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 }, t = { 0 };
    struct gr_audit_event ev = { 0 };
    PGresult *redeemed = NULL, *last = NULL;
    bool insert_token = token != NULL && keeper == NULL;
    bool alone = token == NULL && granted == NULL;
    uint8_t blind[32];
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (gr_random(blind, sizeof(blind), err) < 0)
        return gr_err_recode(err, GR_ERR_SERVER_ERROR);
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_hash(&a, code_hash);
    gr__pg_i64(&a, now);
    gr__pg_bytes(&a, tx_hash, 32);
    gr__pg_hash(&a, blind);
    /*
     * Alone (nothing else to write), the UPDATE is committed by itself.
     * Otherwise it opens the transaction, with the audit lock and the chain's
     * last row when an event is to follow and no keeper is to be waited for.
     */
    if ((alone ? gr__pg_run(c, PQ_OFFER_REDEEM, &a, &redeemed, err)
               : gr__pg_tx_first(c, PQ_OFFER_REDEEM, &a, granted != NULL && keeper == NULL,
                                 &redeemed, &last, err)) != 0)
        goto out;
    if (PQntuples(redeemed) == 0) {
        if ((!alone && gr__pg_exec(c, "ROLLBACK", err) < 0) || gr__pg_exec(c, "BEGIN", err) < 0)
            goto out;
        refuse(c, code_hash, tx_hash, now, max_tx_attempts, err);
        goto out;
    }
    if (read_offer(redeemed, out, err) < 0)
        goto out;
    if (alone) {
        rc = 0;
        goto out;
    }
    if (token) {
        memcpy(token->offer_id, out->id, sizeof(token->offer_id));
        memcpy(token->org_id, out->org_id, sizeof(token->org_id));
        memcpy(token->config_id, out->config_id, sizeof(token->config_id));
        if (keeper && keeper->keep(keeper->arg, token, err) < 0)
            goto out;
        if (insert_token)
            gr__pg_token_args(&t, token);
    }
    /* Not taken with the UPDATE when a keeper was to be waited for (see above). */
    if (granted && keeper && gr__pg_audit_head(c, &last, err) < 0)
        goto out;
    if (granted) {
        ev = *granted;
        memcpy(ev.org_id, out->org_id, sizeof(ev.org_id));
        memcpy(ev.offer_id, out->id, sizeof(ev.offer_id));
    }
    /* Only a durable COMMIT makes this caller the one who redeemed the code. */
    if (gr__pg_audit_finish(c, insert_token ? PQ_TOKEN_INSERT : PQ__COUNT, &t, last, &ev,
                            granted ? 1 : 0, err) < 0) {
        if (insert_token)
            gr__pg_unique(c, GR_ERR_DUPLICATE, "This access token is already stored.", err);
        goto out;
    }
    rc = 0;
out:
    PQclear(redeemed);
    PQclear(last);
    if (rc < 0)
        gr__store_offer_forget(out);
    gr__pg_put(ctx, c); /* rolls back whatever did not commit */
    return rc;
}

/* see store.h */
int gr__pg_offer_redeem(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash, int64_t now,
                        int max_tx_attempts, struct gr_token *token,
                        const struct gr_audit_event *granted, struct gr_offer *out,
                        struct gr_err *err)
{
    return gr__pg_offer_redeem_keeping(ctx, code_hash, tx_hash, now, max_tx_attempts, token, NULL,
                                       granted, out, err);
}

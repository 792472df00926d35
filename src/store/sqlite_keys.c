/*
 * The keyring of the SQLite store (store.h key_activate, key_list): which
 * signing key is active, and which retired ones may still verify something.
 * SQLite has one writer at a time (BEGIN IMMEDIATE), so racing activations
 * simply run one after the other; the partial unique index
 * signing_keys_one_active would refuse a second active key anyway.
 */
#include "store/internal.h"

#include <string.h>

static const char *const key_states[] = {
    [GR_KEY_ACTIVE] = "active", [GR_KEY_RETIRED] = "retired"
};

/* see store.h */
int gr__store_key_activate(void *ctx, const struct gr_signing_key *key, int64_t now,
                           struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (gr__store_key_check(key, err) < 0)
        return -1;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0 || gr__store_stmt(c, SQ_KEY_RETIRE, &st, err) < 0)
        goto out;
    gr__store_bind_field(st, 1, key->kid, sizeof(key->kid));
    sqlite3_bind_int64(st, 2, now);
    if (gr__store_step_done(c, st, err) < 0 || gr__store_stmt(c, SQ_KEY_ACTIVATE, &st, err) < 0)
        goto out;
    gr__store_bind_field(st, 1, key->kid, sizeof(key->kid));
    gr__store_bind_field(st, 2, key->signer_uri, sizeof(key->signer_uri));
    gr__store_bind_field(st, 3, key->jwk, sizeof(key->jwk));
    sqlite3_bind_int64(st, 4, now);
    if (gr__store_step_done(c, st, err) < 0)
        goto out;
    rc = gr__store_run(c, SQ_COMMIT, err);
out:
    gr__store_put(ctx, c);
    return rc;
}

static int read_key(sqlite3_stmt *st, struct gr_signing_key *out, struct gr_err *err)
{
    int state;

    memset(out, 0, sizeof(*out));
    if (gr__store_col_text(st, 0, out->kid, sizeof(out->kid), err) < 0 ||
        gr__store_col_text(st, 1, out->signer_uri, sizeof(out->signer_uri), err) < 0 ||
        gr__store_col_text(st, 2, out->jwk, sizeof(out->jwk), err) < 0 ||
        gr__store_name_index((const char *)sqlite3_column_text(st, 3), key_states,
                             GR_NELEM(key_states), &state, "sqlite", 3, err) < 0)
        return -1;
    out->state = (enum gr_key_state)state;
    out->created_at = sqlite3_column_int64(st, 4);
    out->activated_at = sqlite3_column_int64(st, 5);
    out->retired_at = sqlite3_column_int64(st, 6);
    out->live_until = sqlite3_column_int64(st, 7);
    out->live_count = sqlite3_column_int64(st, 8);
    return 0;
}

/* see store.h */
int gr__store_key_list(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out,
                       size_t max, size_t *count, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1, step = SQLITE_DONE;

    *count = 0;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_KEY_LIST, &st, err) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, count_live);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    while (*count < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_key(st, &out[*count], err) < 0)
            goto out;
        (*count)++;
    }
    rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 : gr__store_dberr(c, step, err);
out:
    if (st)
        sqlite3_reset(st);
    gr__store_put(ctx, c);
    return rc;
}

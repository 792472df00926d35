/*
 * The keyring of the PostgreSQL store (store.h key_activate, key_list), as
 * sqlite_keys.c does it; activations take an advisory lock first, because
 * PostgreSQL, unlike SQLite, lets writers run side by side (pg_schema.c).
 */
#include "store/internal.h"
#include "store/pg_internal.h"

#include <string.h>

static const char *const key_states[] = {
    [GR_KEY_ACTIVE] = "active", [GR_KEY_RETIRED] = "retired"
};

/* see store.h */
int gr__pg_key_activate(void *ctx, const struct gr_signing_key *key, int64_t now,
                        struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args retire = { 0 }, add = { 0 };
    int rc = -1;

    if (gr__store_key_check(key, err) < 0)
        return -1;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_field(&retire, key->kid, sizeof(key->kid));
    gr__pg_i64(&retire, now);
    gr__pg_field(&add, key->kid, sizeof(key->kid));
    gr__pg_field(&add, key->signer_uri, sizeof(key->signer_uri));
    gr__pg_field(&add, key->jwk, sizeof(key->jwk));
    gr__pg_i64(&add, now);
    if (gr__pg_exec(c, "BEGIN", err) < 0 || gr__pg_do(c, PQ_KEY_LOCK, NULL, err) < 0 ||
        gr__pg_do(c, PQ_KEY_RETIRE, &retire, err) < 0 ||
        gr__pg_do(c, PQ_KEY_ACTIVATE, &add, err) < 0)
        goto out;
    rc = gr__pg_exec(c, "COMMIT", err);
out:
    gr__pg_put(ctx, c);
    return rc;
}

static int read_key(const PGresult *r, int row, struct gr_signing_key *out, struct gr_err *err)
{
    char state[16];
    int k;

    memset(out, 0, sizeof(*out));
    if (gr__pg_col_text(r, row, 0, out->kid, sizeof(out->kid), err) < 0 ||
        gr__pg_col_text(r, row, 1, out->signer_uri, sizeof(out->signer_uri), err) < 0 ||
        gr__pg_col_text(r, row, 2, out->jwk, sizeof(out->jwk), err) < 0 ||
        gr__pg_col_text(r, row, 3, state, sizeof(state), err) < 0 ||
        gr__store_name_index(state, key_states, GR_NELEM(key_states), &k, "postgres", 3, err) < 0)
        return -1;
    out->state = (enum gr_key_state)k;
    out->created_at = gr__pg_col_i64(r, row, 4);
    out->activated_at = gr__pg_col_i64(r, row, 5);
    out->retired_at = gr__pg_col_i64(r, row, 6);
    out->live_until = gr__pg_col_i64(r, row, 7);
    out->live_count = gr__pg_col_i64(r, row, 8);
    return 0;
}

/* see store.h */
int gr__pg_key_list(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out, size_t max,
                    size_t *count, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    *count = 0;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_i64(&a, now);
    gr__pg_i64(&a, count_live ? 1 : 0);
    gr__pg_i64(&a, (int64_t)max);
    if (gr__pg_run(c, PQ_KEY_LIST, &a, &r, err) == 0) {
        rc = 0;
        for (int i = 0; i < PQntuples(r) && *count < max && rc == 0; i++) {
            rc = read_key(r, i, &out[*count], err);
            *count += rc == 0;
        }
    }
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/*
 * Status lists, the credential lifecycle and the audit trail in the
 * PostgreSQL store (store.h). The packing and chaining are the SQLite
 * backend's own functions (store/internal.h), so both backends publish and
 * chain exactly alike. Where SQLite draws each index at random among the
 * free ones of a bitmap, a list here hands its entries out in the order of
 * a keyed pseudorandom permutation (status_order.c): as unpredictable from
 * outside, never one twice, and counted off one row instead of a table of
 * the taken ones. What differs is how concurrent writers, possibly in
 * several processes, are kept apart, said at each one.
 */
#include "store/internal.h"
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>

#define MAX_LIST_SIZE GR__STATUS_ORDER_MAX /* entries in one list, as sqlite_status.c */

static int new_list(struct gr__pg_conn *c, unsigned bits, size_t size, int64_t now,
                    struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    char id[GR_STORE_ID_LEN + 1];

    /* A random id: the list's URL says nothing about how many lists came before. */
    if (gr__random_b64url(16, id, err) < 0)
        return -1;
    gr__pg_field(&a, id, sizeof(id));
    gr__pg_i64(&a, bits);
    gr__pg_i64(&a, (int64_t)size);
    gr__pg_i64(&a, now);
    return gr__pg_do(c, PQ_STATUS_NEW, &a, err);
}

#define MAX_TAKE 64 /* positions counted off at a time by the transaction */

/*
 * The open list's row as PQ_STATUS_QUICK and PQ_STATUS_OPEN return it: id,
 * first position, key (columns 0, 1, 2), keyed for mapping positions.
 */
static int keyed_list(const PGresult *r, size_t size, char id[GR_STORE_ID_LEN + 1], uint64_t *first,
                      struct gr__status_order *order, struct gr_err *err)
{
    int64_t next = gr__pg_col_i64(r, 0, 1);

    if (gr__pg_col_text(r, 0, 0, id, GR_STORE_ID_LEN + 1, err) < 0)
        return -1;
    if (next < 0 || (uint64_t)next >= size)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    *first = (uint64_t)next;
    return gr__status_order_init(order, (const uint8_t *)PQgetvalue(r, 0, 2),
                                 (size_t)PQgetlength(r, 0, 2), size, err);
}

/*
 * The common case, one statement (PQ_STATUS_QUICK): `want` positions of an
 * open list that has them, as entries. *got is 0 when no list has them (or
 * only one opened before migration 11 does): the transaction below then
 * takes them.
 */
static int quick(struct gr__pg_conn *c, unsigned bits, size_t size, size_t want,
                 struct gr_status_slot *out, size_t *got, struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    struct gr__status_order order = { 0 };
    char id[GR_STORE_ID_LEN + 1];
    PGresult *r = NULL;
    uint64_t first;
    int rc = -1;

    *got = 0;
    gr__pg_i64(&a, bits);
    gr__pg_i64(&a, (int64_t)size);
    gr__pg_i64(&a, (int64_t)want);
    if (gr__pg_run(c, PQ_STATUS_QUICK, &a, &r, err) < 0)
        goto out;
    if (PQntuples(r) == 0) {
        rc = 0;
        goto out;
    }
    if (keyed_list(r, size, id, &first, &order, err) < 0)
        goto out;
    for (size_t i = 0; i < want; i++) {
        if (gr__status_order_at(&order, first + i, &out[i].idx, err) < 0)
            goto out;
        memcpy(out[i].list_id, id, sizeof(id));
    }
    *got = want;
    rc = 0;
out:
    gr__status_order_release(&order);
    PQclear(r);
    return rc;
}

/* Drop from `idx` the entries status_used names for list `id`; *n becomes how many are left. */
static int skip_used(struct gr__pg_conn *c, const char *id, uint64_t *idx, size_t *n,
                     struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    struct gr_buf list;
    PGresult *r = NULL;
    size_t kept = 0;
    int rc = -1;

    gr_buf_init(&list, GR_BUF_UNBOUNDED);
    gr_buf_printf(&list, "{");
    for (size_t i = 0; i < *n; i++)
        gr_buf_printf(&list, "%s%llu", i ? "," : "", (unsigned long long)idx[i]);
    gr_buf_printf(&list, "}");
    gr__pg_field(&a, id, GR_STORE_ID_LEN + 1);
    gr__pg_str(&a, gr_buf_str(&list));
    if (gr__pg_run(c, PQ_STATUS_USED, &a, &r, err) < 0)
        goto out;
    for (size_t i = 0; i < *n; i++) {
        bool used = false;

        for (int row = 0; row < PQntuples(r) && !used; row++)
            used = (uint64_t)gr__pg_col_i64(r, row, 0) == idx[i];
        if (!used)
            idx[kept++] = idx[i];
    }
    *n = kept;
    rc = 0;
out:
    PQclear(r);
    gr_buf_release(&list);
    return rc;
}

/*
 * Count off up to `want` positions of the open list and hand out their
 * entries, less those a list opened before migration 11 handed out
 * already; *got says how many. 1 when no list is open.
 */
static int take(struct gr__pg_conn *c, unsigned bits, size_t size, size_t want,
                struct gr_status_slot *out, size_t *got, struct gr_err *err)
{
    struct gr__pg_args a = { 0 }, b = { 0 };
    struct gr__status_order order = { 0 };
    char id[GR_STORE_ID_LEN + 1];
    uint64_t idx[MAX_TAKE], first;
    PGresult *r = NULL;
    size_t counted, n;
    bool skips;
    int rc = -1;

    gr__pg_i64(&a, bits);
    gr__pg_i64(&a, (int64_t)size);
    if (gr__pg_run(c, PQ_STATUS_OPEN, &a, &r, err) < 0)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    if (keyed_list(r, size, id, &first, &order, err) < 0)
        goto out;
    skips = gr__pg_col_i64(r, 0, 3) != 0;
    counted = size - first;
    counted = counted < want ? counted : want;
    counted = counted < MAX_TAKE ? counted : MAX_TAKE;
    for (size_t i = 0; i < counted; i++) {
        if (gr__status_order_at(&order, first + i, &idx[i], err) < 0)
            goto out;
    }
    n = counted;
    if (skips && skip_used(c, id, idx, &n, err) < 0)
        goto out;
    gr__pg_field(&b, id, sizeof(id));
    gr__pg_i64(&b, (int64_t)counted);
    gr__pg_i64(&b, (int64_t)n);
    if (gr__pg_do(c, PQ_STATUS_TAKE, &b, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        memcpy(out[i].list_id, id, sizeof(id));
        out[i].idx = idx[i];
    }
    *got = n;
    rc = 0;
out:
    gr__status_order_release(&order);
    PQclear(r);
    return rc;
}

/*
 * see store.h. Most calls end in quick(); the rest is one transaction: a
 * transaction-level advisory lock serializes these allocators (in every
 * process) before they look for the open list, so that two of them never
 * both find none and open two lists, and SELECT ... FOR UPDATE on that
 * list's row orders them against quick() in other processes. Positions are
 * counted off a list's row under its lock, so none is handed out twice; the
 * unique index on issued is the backstop.
 */
int gr__pg_status_alloc(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                        struct gr_status_slot *out, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL; /* none: the lock answers nothing worth reading */
    size_t done = 0;
    int rc = -1;

    if ((bits != 1 && bits != 2 && bits != 4 && bits != 8) || size == 0 || size % 8 ||
        size > MAX_LIST_SIZE)
        return gr_fail(err, GR_ERR_USAGE,
                       "A status list has 1, 2, 4 or 8 bits and a size that is a multiple of 8.");
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (quick(c, bits, size, count, out, &done, err) < 0)
        goto out;
    if (done == count) {
        rc = 0;
        goto out;
    }
    if (gr__pg_tx_open(c, PQ_STATUS_LOCK, PQ__COUNT, NULL, &r, err) < 0)
        goto out;
    while (done < count) {
        size_t got = 0;
        int t = take(c, bits, size, count - done, out + done, &got, err);

        if (t < 0)
            goto out;
        if (t == 1 && new_list(c, bits, size, now, err) < 0)
            goto out;
        done += got;
    }
    rc = gr__pg_exec(c, "COMMIT", err);
out:
    gr__pg_put(ctx, c); /* rolls back what did not commit */
    return rc;
}

/* see store.h */
int gr__pg_status_list_get(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                           struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (id.len == 0 || id.len > GR_STORE_ID_LEN)
        return gr_fail(err, GR_ERR_NOT_FOUND, "There is no such status list.");
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_str(&a, id);
    if (gr__pg_run(c, PQ_STATUS_GET, &a, &r, err) < 0)
        goto out;
    if (PQntuples(r) == 0) {
        gr_fail(err, GR_ERR_NOT_FOUND, "There is no such status list.");
    } else if (gr__pg_col_text(r, 0, 0, out->id, sizeof(out->id), err) == 0) {
        out->bits = (unsigned)gr__pg_col_i64(r, 0, 1);
        out->size = (size_t)gr__pg_col_i64(r, 0, 2);
        out->statuses_len = (size_t)PQgetlength(r, 0, 3);
        out->statuses = gr__xmalloc(out->statuses_len ? out->statuses_len : 1);
        memcpy(out->statuses, PQgetvalue(r, 0, 3), out->statuses_len);
        out->version = gr__pg_col_i64(r, 0, 4);
        out->updated_at = gr__pg_col_i64(r, 0, 5);
        rc = (out->bits == 1 || out->bits == 2 || out->bits == 4 || out->bits == 8) &&
                     out->size > 0 && out->size % 8 == 0 && out->size <= MAX_LIST_SIZE &&
                     out->statuses_len == out->size * out->bits / 8
                 ? 0
                 : gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    }
out:
    PQclear(r);
    if (rc < 0)
        gr_status_list_rec_release(out);
    gr__pg_put(ctx, c);
    return rc;
}

static int read_cred(const PGresult *r, int row, struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr_issued *i = &out->issued;
    int64_t status;

    memset(out, 0, sizeof(*out));
    if (gr__pg_col_text(r, row, 0, i->id, sizeof(i->id), err) < 0 ||
        gr__pg_col_text(r, row, 1, i->org_id, sizeof(i->org_id), err) < 0 ||
        gr__pg_col_text(r, row, 2, i->offer_id, sizeof(i->offer_id), err) < 0 ||
        gr__pg_col_text(r, row, 3, i->config_id, sizeof(i->config_id), err) < 0 ||
        gr__pg_col_text(r, row, 4, i->vct, sizeof(i->vct), err) < 0 ||
        gr__pg_col_hash(r, row, 5, i->holder_jkt, err) < 0)
        return -1;
    i->issued_at = gr__pg_col_i64(r, row, 6);
    i->expires_at = gr__pg_col_i64(r, row, 7);
    i->has_status = !gr__pg_col_null(r, row, 8);
    if (i->has_status &&
        gr__pg_col_text(r, row, 8, i->status.list_id, sizeof(i->status.list_id), err) < 0)
        return -1;
    i->status.idx = (uint64_t)gr__pg_col_i64(r, row, 9);
    status = gr__pg_col_i64(r, row, 10);
    if (status < GR_CRED_VALID || status > GR_CRED_SUSPENDED)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A credential's recorded status is damaged.");
    out->status = (enum gr_cred_status)status;
    out->status_at = gr__pg_col_i64(r, row, 11);
    if (gr__pg_col_text(r, row, 12, i->kid, sizeof(i->kid), err) < 0)
        return -1;
    return 0;
}

/* One credential of `org_id` by PQ_CRED_GET or, inside a transaction, PQ_CRED_LOCK. */
static int get_on(struct gr__pg_conn *c, enum gr__pg_sql_id sql, struct gr_str org_id,
                  struct gr_str id, struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    gr__pg_str(&a, id);
    if (gr__pg_run(c, sql, &a, &r, err) < 0)
        return -1;
    /* Another organization's credential is answered exactly like one that does not exist. */
    if (PQntuples(r) > 0 && read_cred(r, 0, out, err) < 0) {
        memset(out, 0, sizeof(*out));
    } else if (PQntuples(r) == 0 || !gr_str_eq(gr_str_c(out->issued.org_id), org_id)) {
        memset(out, 0, sizeof(*out));
        gr_fail(err, GR_ERR_NOT_FOUND, "There is no such credential.");
    } else {
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* see store.h */
int gr__pg_credential_get(void *ctx, struct gr_str org_id, struct gr_str id,
                          struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    int rc;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    rc = get_on(c, PQ_CRED_GET, org_id, id, out, err);
    gr__pg_put(ctx, c);
    return rc;
}

/* see store.h */
int gr__pg_credential_list(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                           struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                           size_t max, size_t *count, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    PGresult *r = NULL;
    int rc = -1;

    *count = 0;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    gr__pg_str(&a, org_id);
    gr__pg_str(&a, f->offer_id);
    gr__pg_str(&a, f->vct);
    gr__pg_i64(&a, f->status);
    gr__pg_field(&a, cursor->id, sizeof(cursor->id));
    gr__pg_i64(&a, cursor->issued_at);
    gr__pg_i64(&a, (int64_t)max);
    if (gr__pg_run(c, PQ_CRED_LIST, &a, &r, err) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r) && *count < max; i++) {
        if (read_cred(r, i, &out[*count], err) < 0)
            goto out;
        (*count)++;
    }
    if (*count) {
        cursor->issued_at = out[*count - 1].issued.issued_at;
        memcpy(cursor->id, out[*count - 1].issued.id, sizeof(cursor->id));
    }
    rc = 0;
out:
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/* Rewrite one entry of a list, its row locked by FOR UPDATE until the caller's COMMIT. */
static int write_entry(struct gr__pg_conn *c, const struct gr_status_slot *slot,
                       enum gr_cred_status status, int64_t now, struct gr_err *err)
{
    struct gr__pg_args a = { 0 }, b = { 0 };
    PGresult *r = NULL;
    uint8_t *statuses = NULL;
    size_t len;
    unsigned bits;
    int rc = -1;

    gr__pg_field(&a, slot->list_id, sizeof(slot->list_id));
    if (gr__pg_run(c, PQ_STATUS_VALUES, &a, &r, err) < 0)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A credential's status list is missing.");
    }
    bits = (unsigned)gr__pg_col_i64(r, 0, 0);
    len = (size_t)PQgetlength(r, 0, 1);
    statuses = gr__xmalloc(len ? len : 1);
    memcpy(statuses, PQgetvalue(r, 0, 1), len);
    PQclear(r);
    if (bits < 2 || slot->idx * bits / 8 >= len) {
        gr_fail(err, GR_ERR_SERVER_ERROR, "A credential's status list entry is out of range.");
        goto out;
    }
    gr__store_status_pack(statuses, bits, slot->idx, (unsigned)status);
    gr__pg_field(&b, slot->list_id, sizeof(slot->list_id));
    gr__pg_bytes(&b, statuses, len);
    gr__pg_i64(&b, now);
    rc = gr__pg_do(c, PQ_STATUS_WRITE, &b, err);
out:
    free(statuses);
    return rc;
}

/*
 * see store.h. One transaction: the record is read with SELECT ... FOR UPDATE
 * (so that a concurrent revocation cannot slip between the check that it is
 * not revoked and the change), and the list's row is locked the same way
 * before its packed bytes are rewritten, so that two status changes on one
 * list, in any processes, each rewrite the bytes the other committed.
 */
int gr__pg_credential_set_status(void *ctx, struct gr_str org_id, struct gr_str id,
                                 enum gr_cred_status status, int64_t now,
                                 struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    struct gr__pg_args a = { 0 };
    int rc = -1;

    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_exec(c, "BEGIN", err) < 0 || get_on(c, PQ_CRED_LOCK, org_id, id, out, err) < 0)
        goto out;
    if (out->status == status) {
        rc = gr__pg_exec(c, "COMMIT", err); /* nothing to change: idempotent */
        goto out;
    }
    if (out->status == GR_CRED_INVALID) {
        gr_fail(err, GR_ERR_CONFLICT, "The credential is revoked; revocation is final.");
        goto out;
    }
    gr__pg_str(&a, id);
    gr__pg_i64(&a, (int64_t)status);
    gr__pg_i64(&a, now);
    if (gr__pg_do(c, PQ_CRED_SET, &a, err) < 0 ||
        (out->issued.has_status && write_entry(c, &out->issued.status, status, now, err) < 0) ||
        gr__pg_exec(c, "COMMIT", err) < 0)
        goto out;
    out->status = status;
    out->status_at = now;
    rc = 0;
out:
    gr__pg_put(ctx, c);
    return rc;
}

/* see pg_internal.h */
int gr__pg_audit_cols(const PGresult *last, const struct gr_audit_event *ev, size_t count,
                      struct gr__pg_cols *cols, struct gr_err *err)
{
    uint8_t prev[32] = { 0 }, hash[32];
    int64_t seq = 1;

    if (PQntuples(last) == 1) {
        seq = gr__pg_col_i64(last, 0, 0) + 1;
        if (gr__pg_col_hash(last, 0, 1, prev, err) < 0)
            return -1;
    }
    gr__pg_cols_init(cols, "iittttttbb");
    for (size_t i = 0; i < count; i++, seq++) {
        gr__store_audit_hash(prev, seq, &ev[i], hash);
        gr__pg_col_add_i64(cols, 0, seq);
        gr__pg_col_add_i64(cols, 1, ev[i].at);
        gr__pg_col_add_text(cols, 2, ev[i].kind, sizeof(ev[i].kind));
        gr__pg_col_add_text(cols, 3, ev[i].org_id, sizeof(ev[i].org_id));
        gr__pg_col_add_text(cols, 4, ev[i].offer_id, sizeof(ev[i].offer_id));
        gr__pg_col_add_text(cols, 5, ev[i].credential_id, sizeof(ev[i].credential_id));
        gr__pg_col_add_text(cols, 6, ev[i].client, sizeof(ev[i].client));
        gr__pg_col_add_text(cols, 7, ev[i].detail, sizeof(ev[i].detail));
        gr__pg_col_add_bytes(cols, 8, prev, sizeof(prev));
        gr__pg_col_add_bytes(cols, 9, hash, sizeof(hash));
        memcpy(prev, hash, sizeof(prev));
    }
    return 0;
}

/* see pg_internal.h */
int gr__pg_audit_finish(struct gr__pg_conn *c, enum gr__pg_sql_id before,
                        const struct gr__pg_args *a, const PGresult *last,
                        const struct gr_audit_event *ev, size_t count, struct gr_err *err)
{
    const enum gr__pg_sql_id ids[2] = { PQ_AUDIT_INSERT, before };
    struct gr__pg_cols cols = { .n = 0 };
    struct gr__pg_args rows = { 0 };
    int rc = -1;

    if (gr__pg_audit_cols(last, ev, count, &cols, err) < 0)
        goto out;
    gr__pg_cols_args(&cols, &rows);
    if (gr__pg_pipe_open(c, ids, before == PQ__COUNT ? 1 : 2, err) < 0)
        goto out;
    if ((before != PQ__COUNT && gr__pg_pipe_add(c, before, a, err) < 0) ||
        (count && gr__pg_pipe_add(c, PQ_AUDIT_INSERT, &rows, err) < 0) ||
        gr__pg_pipe_sql(c, "COMMIT", err) < 0) {
        PQexitPipelineMode(c->pg);
        goto out;
    }
    rc = gr__pg_pipe_run(c, NULL, 0, err) == 0 ? 0 : -1;
out:
    gr__pg_cols_release(&cols);
    return rc;
}

/* see pg_internal.h */
int gr__pg_audit_head(struct gr__pg_conn *c, PGresult **last, struct gr_err *err)
{
    static const enum gr__pg_sql_id ids[] = { PQ_AUDIT_LOCK, PQ_AUDIT_LAST };
    PGresult *answers[2] = { NULL };
    int sent;

    *last = NULL;
    if (gr__pg_pipe_open(c, ids, GR_NELEM(ids), err) < 0)
        return -1;
    if (gr__pg_pipe_add(c, PQ_AUDIT_LOCK, NULL, err) < 0 ||
        gr__pg_pipe_add(c, PQ_AUDIT_LAST, NULL, err) < 0) {
        PQexitPipelineMode(c->pg);
        return -1;
    }
    sent = gr__pg_pipe_run(c, answers, GR_NELEM(answers), err);
    if (sent == 1) /* a connection in a transaction is never untouched: not to be resent */
        return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The database connection was lost.");
    if (sent < 0)
        return -1;
    PQclear(answers[0]);
    *last = answers[1];
    return 0;
}

/* see pg_internal.h */
int gr__pg_tx_first(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                    bool head, PGresult **res, PGresult **last, struct gr_err *err)
{
    const enum gr__pg_sql_id ids[] = { id, PQ_AUDIT_LOCK, PQ_AUDIT_LAST };
    PGresult *answers[4] = { NULL };
    int sent;

    do {
        if (gr__pg_pipe_open(c, ids, head ? 3 : 1, err) < 0)
            return -1;
        if (gr__pg_pipe_sql(c, "BEGIN", err) < 0 || gr__pg_pipe_add(c, id, a, err) < 0 ||
            (head && (gr__pg_pipe_add(c, PQ_AUDIT_LOCK, NULL, err) < 0 ||
                      gr__pg_pipe_add(c, PQ_AUDIT_LAST, NULL, err) < 0))) {
            PQexitPipelineMode(c->pg);
            return -1;
        }
        /* Answers: BEGIN, the statement, then the lock and the last row. */
        sent = gr__pg_pipe_run(c, answers, GR_NELEM(answers), err);
    } while (sent == 1);
    PQclear(answers[0]);
    PQclear(answers[2]);
    *res = answers[1];
    if (last != NULL)
        *last = answers[3];
    else
        PQclear(answers[3]);
    return sent;
}

/* see pg_internal.h */
int gr__pg_write_audited(struct gr__pg_conn *c, enum gr__pg_sql_id id, const struct gr__pg_args *a,
                         const struct gr_audit_event *ev, size_t count, struct gr_err *err)
{
    PGresult *res = NULL, *last = NULL;
    int rc = -1;

    if (count == 0)
        return gr__pg_do(c, id, a, err);
    if (gr__pg_tx_first(c, id, a, true, &res, &last, err) == 0)
        rc = gr__pg_audit_finish(c, PQ__COUNT, NULL, last, ev, count, err);
    PQclear(res);
    PQclear(last);
    return rc;
}

/*
 * see store.h. Appends are serialized by a transaction-level advisory lock
 * taken before the last hash is read: a second appender, in any process,
 * waits for the first's COMMIT and then reads the row it added, so the chain
 * never forks. (FOR UPDATE on the last row would not do for an empty table,
 * and two first appenders would both start from zero.) The primary key on
 * seq is the backstop. Two round trips: the lock and the last row, then the
 * rows and the COMMIT.
 */
int gr__pg_audit_append(void *ctx, const struct gr_audit_event *ev, size_t count,
                        struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL;
    int rc = -1;

    if (count == 0)
        return 0;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_tx_open(c, PQ_AUDIT_LOCK, PQ_AUDIT_LAST, NULL, &r, err) == 0)
        rc = gr__pg_audit_finish(c, PQ__COUNT, NULL, r, ev, count, err);
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

static int read_event(const PGresult *r, int row, struct gr_audit_event *ev, struct gr_err *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->at = gr__pg_col_i64(r, row, 1);
    if (gr__pg_col_text(r, row, 2, ev->kind, sizeof(ev->kind), err) < 0 ||
        gr__pg_col_text(r, row, 3, ev->org_id, sizeof(ev->org_id), err) < 0 ||
        gr__pg_col_text(r, row, 4, ev->offer_id, sizeof(ev->offer_id), err) < 0 ||
        gr__pg_col_text(r, row, 5, ev->credential_id, sizeof(ev->credential_id), err) < 0 ||
        gr__pg_col_text(r, row, 6, ev->client, sizeof(ev->client), err) < 0 ||
        gr__pg_col_text(r, row, 7, ev->detail, sizeof(ev->detail), err) < 0)
        return -1;
    return 0;
}

/* see store.h */
int gr__pg_audit_verify(void *ctx, size_t *count, struct gr_err *err)
{
    struct gr__pg_conn *c = NULL;
    PGresult *r = NULL;
    uint8_t prev[32] = { 0 }, stored_prev[32], stored[32], want[32];
    struct gr_audit_event ev;
    int64_t expect = 1;
    int rc = -1;

    *count = 0;
    if (gr__pg_get(ctx, &c, err) < 0)
        return -1;
    if (gr__pg_run(c, PQ_AUDIT_ALL, NULL, &r, err) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t seq = gr__pg_col_i64(r, i, 0);

        if (read_event(r, i, &ev, err) < 0 || gr__pg_col_hash(r, i, 8, stored_prev, err) < 0 ||
            gr__pg_col_hash(r, i, 9, stored, err) < 0)
            goto out;
        gr__store_audit_hash(prev, seq, &ev, want);
        if (seq != expect || !gr_ct_equal(stored_prev, prev, 32) ||
            !gr_ct_equal(stored, want, 32)) {
            gr_fail(err, GR_ERR_SERVER_ERROR,
                    "The audit trail is broken at event %lld: it was changed or removed.",
                    (long long)expect);
            goto out;
        }
        memcpy(prev, stored, 32);
        expect++;
        (*count)++;
    }
    rc = 0;
out:
    PQclear(r);
    gr__pg_put(ctx, c);
    return rc;
}

/*
 * Status lists in SQLite (store.h): handing out entries at random, never
 * twice, and reading a list to publish it. One write transaction per
 * allocation, so concurrent issuers (threads or processes) each get their own
 * entries: BEGIN IMMEDIATE serializes the read-pick-write of the `used` bitmap.
 */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>

#define MAX_LIST_SIZE (1u << 24) /* entries in one list */

static bool used_bit(const uint8_t *used, uint64_t i)
{
    return used[i / 8] >> (i % 8) & 1;
}

/*
 * Pick `n` free indices of `size` at random, marking them in `used`. Random
 * probes while the list is mostly free; once it is nearly full, a scan for the
 * free ones and a random choice among them, so that filling a list never
 * degenerates into endless probing. TSL §12.5 / HAIP §6.1: unpredictable.
 */
int gr__store_status_pick(uint8_t *used, size_t size, size_t free_count, size_t n, uint64_t *out,
                          struct gr_err *err)
{
    size_t done = 0;

    while (done < n && free_count * 8 >= size) {
        uint64_t r;

        if (gr_random(&r, sizeof(r), err) < 0)
            return -1;
        r %= size; /* size <= 2^24: the bias is below 2^-40 */
        if (used_bit(used, r))
            continue;
        used[r / 8] |= (uint8_t)(1u << (r % 8));
        out[done++] = r;
        free_count--;
    }
    while (done < n) {
        uint64_t r, k = 0;

        if (gr_random(&r, sizeof(r), err) < 0)
            return -1;
        r %= free_count; /* the r-th free index */
        for (uint64_t i = 0; i < size; i++) {
            if (!used_bit(used, i) && k++ == r) {
                used[i / 8] |= (uint8_t)(1u << (i % 8));
                out[done++] = i;
                free_count--;
                break;
            }
        }
    }
    return 0;
}

static int new_list(struct gr__store_conn *c, unsigned bits, size_t size, int64_t now,
                    struct gr_err *err)
{
    sqlite3_stmt *st;
    char id[GR_STORE_ID_LEN + 1];

    /* A random id: the list's URL says nothing about how many lists came before. */
    if (gr__random_b64url(16, id, err) < 0 || gr__store_stmt(c, SQ_STATUS_NEW, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, (int)bits);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 4, now);
    return gr__store_step_done(c, st, err);
}

/* Take up to `want` entries of the open list; *got says how many. 1 when no list is open. */
static int take(struct gr__store_conn *c, unsigned bits, size_t size, size_t want,
                struct gr_status_slot *out, size_t *got, struct gr_err *err)
{
    sqlite3_stmt *open, *upd;
    uint64_t idx[64];
    uint8_t *used = NULL;
    size_t free_count, n;
    char id[GR_STORE_ID_LEN + 1];
    int step, rc = -1;

    if (gr__store_stmt(c, SQ_STATUS_OPEN, &open, err) < 0)
        return -1;
    sqlite3_bind_int(open, 1, (int)bits);
    sqlite3_bind_int64(open, 2, (sqlite3_int64)size);
    step = sqlite3_step(open);
    if (step == SQLITE_DONE) {
        sqlite3_reset(open);
        return 1;
    }
    if (step != SQLITE_ROW || (size_t)sqlite3_column_bytes(open, 1) != size / 8 ||
        gr__store_col_text(open, 0, id, sizeof(id), err) < 0) {
        sqlite3_reset(open);
        return step != SQLITE_ROW ? gr__store_dberr(c, step, err)
                                  : gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    }
    used = gr__xmalloc(size / 8);
    memcpy(used, sqlite3_column_blob(open, 1), size / 8);
    free_count = (size_t)sqlite3_column_int64(open, 2);
    sqlite3_reset(open);
    n = want < free_count ? want : free_count;
    if (n > GR_NELEM(idx))
        n = GR_NELEM(idx);
    if (gr__store_status_pick(used, size, free_count, n, idx, err) < 0 ||
        gr__store_stmt(c, SQ_STATUS_TAKE, &upd, err) < 0)
        goto out;
    sqlite3_bind_text(upd, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(upd, 2, used, (int)(size / 8), SQLITE_STATIC);
    sqlite3_bind_int64(upd, 3, (sqlite3_int64)n);
    if (gr__store_step_done(c, upd, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        memcpy(out[i].list_id, id, sizeof(id));
        out[i].idx = idx[i];
    }
    *got = n;
    rc = 0;
out:
    free(used);
    return rc;
}

/* see store.h */
int gr__store_status_alloc(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                           struct gr_status_slot *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    size_t done = 0;
    int rc = -1;

    if ((bits != 1 && bits != 2 && bits != 4 && bits != 8) || size == 0 || size % 8 ||
        size > MAX_LIST_SIZE)
        return gr_fail(err, GR_ERR_USAGE,
                       "A status list has 1, 2, 4 or 8 bits and a size that is a multiple of 8.");
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0)
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
    rc = gr__store_run(c, SQ_COMMIT, err);
out:
    gr__store_put(ctx, c); /* rolls back what did not commit */
    return rc;
}

/* see store.h */
int gr__store_status_list_get(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                              struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st;
    int step, rc = -1;

    memset(out, 0, sizeof(*out));
    if (id.len == 0 || id.len > GR_STORE_ID_LEN)
        return gr_fail(err, GR_ERR_NOT_FOUND, "There is no such status list.");
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_STATUS_GET, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, id.p, (int)id.len, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        gr_fail(err, GR_ERR_NOT_FOUND, "There is no such status list.");
    } else if (step != SQLITE_ROW) {
        gr__store_dberr(c, step, err);
    } else if (gr__store_col_text(st, 0, out->id, sizeof(out->id), err) == 0) {
        out->bits = (unsigned)sqlite3_column_int(st, 1);
        out->size = (size_t)sqlite3_column_int64(st, 2);
        out->statuses_len = (size_t)sqlite3_column_bytes(st, 3);
        out->statuses = gr__xmalloc(out->statuses_len);
        memcpy(out->statuses, sqlite3_column_blob(st, 3), out->statuses_len);
        out->version = sqlite3_column_int64(st, 4);
        out->updated_at = sqlite3_column_int64(st, 5);
        rc = out->statuses_len == out->size * out->bits / 8
                 ? 0
                 : gr_fail(err, GR_ERR_SERVER_ERROR, "A status list is damaged.");
    }
    sqlite3_reset(st);
out:
    if (rc < 0)
        gr_status_list_rec_release(out);
    gr__store_put(ctx, c);
    return rc;
}

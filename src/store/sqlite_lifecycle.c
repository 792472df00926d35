/*
 * The credential lifecycle and the audit trail in SQLite (store.h): reading
 * and listing what was issued, moving a credential's status together with its
 * entry in the status list, and the hash-chained, append-only audit table.
 */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <gramota/crypto.h>

static int read_cred(sqlite3_stmt *st, struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr_issued *i = &out->issued;

    memset(out, 0, sizeof(*out));
    if (gr__store_col_text(st, 0, i->id, sizeof(i->id), err) < 0 ||
        gr__store_col_text(st, 1, i->org_id, sizeof(i->org_id), err) < 0 ||
        gr__store_col_text(st, 2, i->offer_id, sizeof(i->offer_id), err) < 0 ||
        gr__store_col_text(st, 3, i->config_id, sizeof(i->config_id), err) < 0 ||
        gr__store_col_text(st, 4, i->vct, sizeof(i->vct), err) < 0 ||
        gr__store_col_hash(st, 5, i->holder_jkt, err) < 0)
        return -1;
    i->issued_at = sqlite3_column_int64(st, 6);
    i->expires_at = sqlite3_column_int64(st, 7);
    i->has_status = sqlite3_column_type(st, 8) != SQLITE_NULL;
    if (i->has_status &&
        gr__store_col_text(st, 8, i->status.list_id, sizeof(i->status.list_id), err) < 0)
        return -1;
    i->status.idx = (uint64_t)sqlite3_column_int64(st, 9);
    out->status = (enum gr_cred_status)sqlite3_column_int(st, 10);
    out->status_at = sqlite3_column_int64(st, 11);
    return gr__store_col_text(st, 12, i->kid, sizeof(i->kid), err);
}

static int get_on(struct gr__store_conn *c, struct gr_str org_id, struct gr_str id,
                  struct gr_credential_rec *out, struct gr_err *err)
{
    sqlite3_stmt *st;
    int step, rc = -1;

    if (gr__store_stmt(c, SQ_CRED_GET, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, org_id.p, (int)org_id.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id.p, (int)id.len, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        gr_fail(err, GR_ERR_NOT_FOUND, "There is no such credential.");
    else if (step != SQLITE_ROW)
        gr__store_dberr(c, step, err);
    else
        rc = read_cred(st, out, err);
    sqlite3_reset(st);
    return rc;
}

/* see store.h */
int gr__store_credential_get(void *ctx, struct gr_str org_id, struct gr_str id,
                             struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    int rc;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    rc = get_on(c, org_id, id, out, err);
    gr__store_put(ctx, c);
    return rc;
}

/* see store.h */
int gr__store_credential_list(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                              struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                              size_t max, size_t *count, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st;
    int step = SQLITE_DONE, rc = -1;

    *count = 0;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_CRED_LIST, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, org_id.p, (int)org_id.len, SQLITE_STATIC);
    if (f->offer_id.p)
        sqlite3_bind_text(st, 2, f->offer_id.p, (int)f->offer_id.len, SQLITE_STATIC);
    if (f->vct.p)
        sqlite3_bind_text(st, 3, f->vct.p, (int)f->vct.len, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, f->status);
    sqlite3_bind_text(st, 5, cursor->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, cursor->issued_at);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)max);
    while (*count < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_cred(st, &out[*count], err) < 0) {
            sqlite3_reset(st);
            goto out;
        }
        (*count)++;
    }
    sqlite3_reset(st);
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        gr__store_dberr(c, step, err);
        goto out;
    }
    if (*count) {
        cursor->issued_at = out[*count - 1].issued.issued_at;
        memcpy(cursor->id, out[*count - 1].issued.id, sizeof(cursor->id));
    }
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

/* Write `value` at `idx` of a packed list (TSL §4.1: LSB first within a byte). */
void gr__store_status_pack(uint8_t *statuses, unsigned bits, uint64_t idx, unsigned value)
{
    unsigned per_byte = 8 / bits, shift = (unsigned)(idx % per_byte) * bits;
    uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);

    statuses[idx / per_byte] = (uint8_t)((statuses[idx / per_byte] & ~mask) | (value << shift));
}

static int write_entry(struct gr__store_conn *c, const struct gr_status_slot *slot,
                       enum gr_cred_status status, int64_t now, struct gr_err *err)
{
    sqlite3_stmt *st;
    uint8_t *statuses = NULL;
    size_t len;
    unsigned bits;
    int step, rc = -1;

    if (gr__store_stmt(c, SQ_STATUS_VALUES, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, slot->list_id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        sqlite3_reset(st);
        return step == SQLITE_DONE
                   ? gr_fail(err, GR_ERR_SERVER_ERROR, "A credential's status list is missing.")
                   : gr__store_dberr(c, step, err);
    }
    bits = (unsigned)sqlite3_column_int(st, 0);
    len = (size_t)sqlite3_column_bytes(st, 1);
    statuses = gr__xmalloc(len ? len : 1);
    memcpy(statuses, sqlite3_column_blob(st, 1), len);
    sqlite3_reset(st);
    if (bits < 2 || slot->idx * bits / 8 >= len) {
        gr_fail(err, GR_ERR_SERVER_ERROR, "A credential's status list entry is out of range.");
        goto out;
    }
    gr__store_status_pack(statuses, bits, slot->idx, (unsigned)status);
    if (gr__store_stmt(c, SQ_STATUS_WRITE, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, slot->list_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, statuses, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = gr__store_step_done(c, st, err);
out:
    free(statuses);
    return rc;
}

/* see store.h */
int gr__store_credential_set_status(void *ctx, struct gr_str org_id, struct gr_str id,
                                    enum gr_cred_status status, int64_t now,
                                    struct gr_credential_rec *out, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) < 0 || get_on(c, org_id, id, out, err) < 0)
        goto out;
    if (out->status == status) {
        rc = gr__store_run(c, SQ_COMMIT, err); /* nothing to change: idempotent */
        goto out;
    }
    if (out->status == GR_CRED_INVALID) {
        gr_fail(err, GR_ERR_CONFLICT, "The credential is revoked; revocation is final.");
        goto out;
    }
    if (gr__store_stmt(c, SQ_CRED_SET, &st, err) < 0)
        goto out;
    sqlite3_bind_text(st, 1, org_id.p, (int)org_id.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id.p, (int)id.len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)status);
    sqlite3_bind_int64(st, 4, now);
    /* The record and the published list change together, or not at all. */
    if (gr__store_step_done(c, st, err) < 0 ||
        (out->issued.has_status && write_entry(c, &out->issued.status, status, now, err) < 0) ||
        gr__store_run(c, SQ_COMMIT, err) < 0)
        goto out;
    out->status = status;
    out->status_at = now;
    rc = 0;
out:
    gr__store_put(ctx, c);
    return rc;
}

/* ---- the audit trail ---- */

static void field(gr_sha256_ctx *h, const char *s)
{
    uint8_t len[4];
    size_t n = strlen(s);

    len[0] = (uint8_t)(n >> 24);
    len[1] = (uint8_t)(n >> 16);
    len[2] = (uint8_t)(n >> 8);
    len[3] = (uint8_t)n;
    EVP_DigestUpdate(h, len, sizeof(len));
    EVP_DigestUpdate(h, s, n);
}

/*
 * The hash of an event: SHA-256 over the previous hash, the sequence number,
 * the time and every field length-prefixed, so that no two events share an
 * encoding.
 */
void gr__store_audit_hash(const uint8_t prev[32], int64_t seq, const struct gr_audit_event *ev,
                          uint8_t out[32])
{
    uint8_t num[16];
    unsigned int n = 32;
    EVP_MD_CTX *h = EVP_MD_CTX_new();

    for (int i = 0; i < 8; i++) {
        num[i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
        num[8 + i] = (uint8_t)((uint64_t)ev->at >> (56 - 8 * i));
    }
    if (h == NULL || !EVP_DigestInit_ex(h, EVP_sha256(), NULL))
        abort(); /* allocation failure: fatal, as everywhere (STYLE §2.4) */
    EVP_DigestUpdate(h, prev, 32);
    EVP_DigestUpdate(h, num, sizeof(num));
    field(h, ev->kind);
    field(h, ev->org_id);
    field(h, ev->offer_id);
    field(h, ev->credential_id);
    field(h, ev->client);
    field(h, ev->detail);
    EVP_DigestFinal_ex(h, out, &n);
    EVP_MD_CTX_free(h);
}

/* see store/internal.h */
int gr__store_audit_rows(struct gr__store_conn *c, const struct gr_audit_event *ev, size_t count,
                         struct gr_err *err)
{
    sqlite3_stmt *st;
    uint8_t prev[32] = { 0 }, hash[32];
    int64_t seq = 1;
    int step;

    if (gr__store_stmt(c, SQ_AUDIT_LAST, &st, err) < 0)
        return -1;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0) + 1;
        if (gr__store_col_hash(st, 1, prev, err) < 0) {
            sqlite3_reset(st);
            return -1;
        }
    } else if (step != SQLITE_DONE) {
        sqlite3_reset(st);
        return gr__store_dberr(c, step, err);
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < count; i++, seq++) {
        gr__store_audit_hash(prev, seq, &ev[i], hash);
        if (gr__store_stmt(c, SQ_AUDIT_INSERT, &st, err) < 0)
            return -1;
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_int64(st, 2, ev[i].at);
        gr__store_bind_field(st, 3, ev[i].kind, sizeof(ev[i].kind));
        gr__store_bind_field(st, 4, ev[i].org_id, sizeof(ev[i].org_id));
        gr__store_bind_field(st, 5, ev[i].offer_id, sizeof(ev[i].offer_id));
        gr__store_bind_field(st, 6, ev[i].credential_id, sizeof(ev[i].credential_id));
        gr__store_bind_field(st, 7, ev[i].client, sizeof(ev[i].client));
        gr__store_bind_field(st, 8, ev[i].detail, sizeof(ev[i].detail));
        gr__store_bind_hash(st, 9, prev);
        gr__store_bind_hash(st, 10, hash);
        if (gr__store_step_done(c, st, err) < 0)
            return -1;
        memcpy(prev, hash, sizeof(prev));
    }
    return 0;
}

/* see store.h. BEGIN IMMEDIATE: the last hash read and the new rows written under one lock. */
int gr__store_audit_append(void *ctx, const struct gr_audit_event *ev, size_t count,
                           struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    int rc = -1;

    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_run(c, SQ_BEGIN, err) == 0 && gr__store_audit_rows(c, ev, count, err) == 0)
        rc = gr__store_run(c, SQ_COMMIT, err);
    gr__store_put(ctx, c);
    return rc;
}

static int read_event(sqlite3_stmt *st, struct gr_audit_event *ev, struct gr_err *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->at = sqlite3_column_int64(st, 1);
    return gr__store_col_text(st, 2, ev->kind, sizeof(ev->kind), err) < 0 ||
                   gr__store_col_text(st, 3, ev->org_id, sizeof(ev->org_id), err) < 0 ||
                   gr__store_col_text(st, 4, ev->offer_id, sizeof(ev->offer_id), err) < 0 ||
                   gr__store_col_text(st, 5, ev->credential_id, sizeof(ev->credential_id), err) <
                       0 ||
                   gr__store_col_text(st, 6, ev->client, sizeof(ev->client), err) < 0 ||
                   gr__store_col_text(st, 7, ev->detail, sizeof(ev->detail), err) < 0
               ? -1
               : 0;
}

/* see store.h */
int gr__store_audit_verify(void *ctx, size_t *count, struct gr_err *err)
{
    struct gr__store_conn *c = NULL;
    sqlite3_stmt *st;
    uint8_t prev[32] = { 0 }, stored_prev[32], stored[32], want[32];
    struct gr_audit_event ev;
    int64_t expect = 1;
    int step, rc = -1;

    *count = 0;
    if (gr__store_get(ctx, &c, err) < 0)
        return -1;
    if (gr__store_stmt(c, SQ_AUDIT_ALL, &st, err) < 0)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);

        if (read_event(st, &ev, err) < 0 || gr__store_col_hash(st, 8, stored_prev, err) < 0 ||
            gr__store_col_hash(st, 9, stored, err) < 0)
            goto reset;
        gr__store_audit_hash(prev, seq, &ev, want);
        if (seq != expect || !gr_ct_equal(stored_prev, prev, 32) ||
            !gr_ct_equal(stored, want, 32)) {
            gr_fail(err, GR_ERR_SERVER_ERROR,
                    "The audit trail is broken at event %lld: it was changed or removed.",
                    (long long)expect);
            goto reset;
        }
        memcpy(prev, stored, 32);
        expect++;
        (*count)++;
    }
    rc = step == SQLITE_DONE ? 0 : gr__store_dberr(c, step, err);
reset:
    sqlite3_reset(st);
out:
    gr__store_put(ctx, c);
    return rc;
}

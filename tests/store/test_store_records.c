/*
 * The store contract (store.h), continued from test_store.c: the credential
 * lifecycle, the audit trail, store secrets, the keyring of signing keys,
 * readiness, the sweep and reopening a store.
 */
#include "contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Issue n credentials of offer-1 at NOW+i, each with a status entry. */
static void issue_some(struct fixture *f, size_t n, const char *vct, struct gr_issued *out)
{
    struct gr_status_slot slots[8];
    struct gr_err err;

    ok(OPS(f)->status_alloc(CTX(f), 2, 1024, n, NOW, slots, &err), &err);
    for (size_t i = 0; i < n; i++) {
        char id[16];

        snprintf(id, sizeof(id), "cred-%zu", i);
        issued_init(&out[i], id);
        snprintf(out[i].vct, sizeof(out[i].vct), "%s", vct);
        out[i].issued_at = NOW + (int64_t)i;
        out[i].has_status = true;
        out[i].status = slots[i];
    }
    ok(OPS(f)->issued_add(CTX(f), out, n, NULL, 0, &err), &err);
}

static unsigned entry(struct fixture *f, const struct gr_status_slot *slot)
{
    struct gr_status_list_rec rec;
    struct gr_err err;
    unsigned v;

    ok(OPS(f)->status_list_get(CTX(f), gr_str_c(slot->list_id), &rec, &err), &err);
    /* TSL §4.1: 2 bits, index i at bits (i mod 4) * 2 of byte i / 4, least significant first. */
    v = rec.statuses[slot->idx / 4] >> (slot->idx % 4 * 2) & 3;
    gr_status_list_rec_release(&rec);
    return v;
}

static void test_lifecycle(void **state)
{
    struct fixture *f = *state;
    struct gr_issued made[3];
    struct gr_credential_rec rec;
    struct gr_err err;
    int64_t version;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issue_some(f, 3, "urn:eudi:pid:1", made);
    ok(OPS(f)->credential_get(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), &rec, &err), &err);
    assert_int_equal(rec.status, GR_CRED_VALID);
    assert_true(rec.issued.has_status);
    assert_int_equal(rec.issued.status.idx, made[1].status.idx);
    /* Another organization's credential does not exist for it. */
    assert_code(
        code_of(OPS(f)->credential_get(CTX(f), GR_STR("org-other"), GR_STR("cred-1"), &rec, &err),
                &err),
        GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-other"), GR_STR("cred-1"),
                                                      GR_CRED_INVALID, NOW, &rec, &err),
                        &err),
                GR_ERR_NOT_FOUND);
    {
        struct gr_status_list_rec l;

        ok(OPS(f)->status_list_get(CTX(f), gr_str_c(made[1].status.list_id), &l, &err), &err);
        version = l.version;
        gr_status_list_rec_release(&l);
    }
    /* suspend, reinstate, revoke: the record and the list entry move together */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                     GR_CRED_SUSPENDED, NOW + 5, &rec, &err),
       &err);
    assert_int_equal(rec.status, GR_CRED_SUSPENDED);
    assert_int_equal(entry(f, &made[1].status), 2);
    assert_int_equal(entry(f, &made[0].status), 0); /* its neighbours untouched */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_VALID,
                                     NOW + 6, &rec, &err),
       &err);
    assert_int_equal(entry(f, &made[1].status), 0);
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_INVALID,
                                     NOW + 7, &rec, &err),
       &err);
    assert_int_equal(entry(f, &made[1].status), 1);
    assert_int_equal(rec.status_at, NOW + 7);
    {
        struct gr_status_list_rec l;

        ok(OPS(f)->status_list_get(CTX(f), gr_str_c(made[1].status.list_id), &l, &err), &err);
        assert_int_equal(l.version, version + 3); /* every change moves the version */
        gr_status_list_rec_release(&l);
    }
    /* Revoking twice is fine; revocation is final. */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"), GR_CRED_INVALID,
                                     NOW + 8, &rec, &err),
       &err);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                                      GR_CRED_VALID, NOW, &rec, &err),
                        &err),
                GR_ERR_CONFLICT);
    assert_code(code_of(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-1"),
                                                      GR_CRED_SUSPENDED, NOW, &rec, &err),
                        &err),
                GR_ERR_CONFLICT);
}

/*
 * A batch of records mixing every column's shapes (a status entry or none, a
 * kid or none, a thumbprint of any bytes) reads back field for field.
 */
static void test_records_round_trip(void **state)
{
    struct fixture *f = *state;
    struct gr_issued made[2];
    struct gr_credential_rec rec;
    struct gr_err err;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issued_init(&made[0], "cred-with");
    issued_init(&made[1], "cred-without");
    made[0].has_status = true;
    ok(OPS(f)->status_alloc(CTX(f), 2, 1024, 1, NOW, &made[0].status, &err), &err);
    snprintf(made[0].kid, sizeof(made[0].kid), "kid-\"1\"");
    memset(made[1].holder_jkt, 0, sizeof(made[1].holder_jkt));
    made[1].holder_jkt[31] = 0xff;
    made[1].expires_at = INT64_MAX;
    ok(OPS(f)->issued_add(CTX(f), made, 2, NULL, 0, &err), &err);
    for (size_t i = 0; i < 2; i++) {
        const struct gr_issued *got = &rec.issued;

        ok(OPS(f)->credential_get(CTX(f), GR_STR("org-acme"), gr_str_c(made[i].id), &rec, &err),
           &err);
        assert_string_equal(got->id, made[i].id);
        assert_string_equal(got->offer_id, made[i].offer_id);
        assert_string_equal(got->config_id, made[i].config_id);
        assert_string_equal(got->vct, made[i].vct);
        assert_memory_equal(got->holder_jkt, made[i].holder_jkt, sizeof(got->holder_jkt));
        assert_int_equal(got->issued_at, made[i].issued_at);
        assert_int_equal(got->expires_at, made[i].expires_at);
        assert_int_equal(got->has_status, made[i].has_status);
        if (got->has_status) {
            assert_string_equal(got->status.list_id, made[i].status.list_id);
            assert_int_equal(got->status.idx, made[i].status.idx);
        }
        assert_string_equal(got->kid, made[i].kid);
    }
}

static void test_credential_list(void **state)
{
    struct fixture *f = *state;
    struct gr_issued made[6];
    struct gr_credential_rec page[4];
    struct gr_credential_filter all = { .status = -1 };
    struct gr_credential_cursor cur = { 0 };
    struct gr_credential_rec rec;
    struct gr_err err;
    size_t n;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issue_some(f, 6, "urn:eudi:pid:1", made);
    /* Newest first, in pages, to the end. */
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 4);
    assert_string_equal(page[0].issued.id, "cred-5");
    assert_string_equal(page[3].issued.id, "cred-2");
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].issued.id, "cred-1");
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 0);
    /* Filters: by status, by vct, by offer; nothing for another organization. */
    ok(OPS(f)->credential_set_status(CTX(f), GR_STR("org-acme"), GR_STR("cred-3"),
                                     GR_CRED_SUSPENDED, NOW, &rec, &err),
       &err);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-acme"),
                               &(struct gr_credential_filter){ .status = GR_CRED_SUSPENDED }, &cur,
                               page, 4, &n, &err),
       &err);
    assert_int_equal(n, 1);
    assert_string_equal(page[0].issued.id, "cred-3");
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(
           CTX(f), GR_STR("org-acme"),
           &(struct gr_credential_filter){ .vct = GR_STR("urn:other"), .status = -1 }, &cur, page,
           4, &n, &err),
       &err);
    assert_int_equal(n, 0);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(
           CTX(f), GR_STR("org-acme"),
           &(struct gr_credential_filter){ .offer_id = GR_STR("offer-1"), .status = -1 }, &cur,
           page, 4, &n, &err),
       &err);
    assert_int_equal(n, 4);
    cur = (struct gr_credential_cursor){ 0 };
    ok(OPS(f)->credential_list(CTX(f), GR_STR("org-other"), &all, &cur, page, 4, &n, &err), &err);
    assert_int_equal(n, 0);
}

static void test_audit_chain(void **state)
{
    struct fixture *f = *state;
    struct gr_audit_event ev = { .at = NOW,
                                 .kind = "offer.created",
                                 .org_id = "org-acme",
                                 .offer_id = "offer-1",
                                 .client = "127.0.0.1" };
    struct gr_audit_event last;
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 0);
    for (int i = 0; i < 5; i++) {
        ev.at = NOW + i;
        ok(OPS(f)->audit_append(CTX(f), &ev, 1, &err), &err);
    }
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 5);
    /* Text that array literals and CSV would mangle comes back byte for byte, still chained. */
    snprintf(ev.detail, sizeof(ev.detail), "%s", "{\"a\\b\", NULL}, 'x' \xc3\xa9");
    ok(OPS(f)->audit_append(CTX(f), &ev, 1, &err), &err);
    assert_int_equal(audit_last(f, &last), 6);
    assert_string_equal(last.detail, ev.detail);
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 6);
}

static int race_audit(struct race *r, int i, struct gr_err *err)
{
    struct gr_audit_event ev = { .at = NOW + i, .kind = "credential.issued" };

    snprintf(ev.detail, sizeof(ev.detail), "racer %d", i);
    return OPS(r->f)->audit_append(CTX(r->f), &ev, 1, err);
}

/* Appenders at once: every event lands, and the chain does not fork. */
static void test_audit_race(void **state)
{
    struct race r = { .f = *state, .op = race_audit };
    struct gr_err err;
    size_t n = 0;

    assert_int_equal(run_race(&r), RACERS);
    ok(OPS(r.f)->audit_verify(CTX(r.f), &n, &err), &err);
    assert_int_equal(n, RACERS);
}

static int race_issue(struct race *r, int i, struct gr_err *err)
{
    struct gr_issued rec[2];
    struct gr_audit_event ev[2] = { { .at = NOW + i, .kind = "credential.issued" },
                                    { .at = NOW + i, .kind = "credential.issued" } };

    for (int k = 0; k < 2; k++) {
        char id[GR_STORE_ID_LEN + 1];

        snprintf(id, sizeof(id), "racer-%d-%d", i % 100, k);
        issued_init(&rec[k], id);
        snprintf(ev[k].credential_id, sizeof(ev[k].credential_id), "%s", id);
    }
    return OPS(r->f)->issued_add(CTX(r->f), rec, 2, ev, 2, err);
}

/* Batches recorded at once with their events: every event lands, the chain does not fork. */
static void test_issued_audit_race(void **state)
{
    struct race r = { .f = *state, .op = race_issue };
    struct gr_err err;
    size_t n = 0;

    put_offer(r.f, &r.f->org, "offer-1", NULL, NOW + 600);
    assert_int_equal(run_race(&r), RACERS);
    ok(OPS(r.f)->audit_verify(CTX(r.f), &n, &err), &err);
    assert_int_equal(n, 2 * RACERS);
}

#define RACE_CREDS 8

static int race_suspend(struct race *r, int i, struct gr_err *err)
{
    struct gr_credential_rec rec;
    char id[16];

    snprintf(id, sizeof(id), "cred-%d", i % RACE_CREDS);
    return OPS(r->f)->credential_set_status(CTX(r->f), GR_STR("org-acme"), gr_str_c(id),
                                            GR_CRED_SUSPENDED, NOW + 1, &rec, err);
}

/* Status changes at once on one list: none overwrites another's entry. */
static void test_status_change_race(void **state)
{
    struct race r = { .f = *state, .op = race_suspend };
    struct gr_issued made[RACE_CREDS];

    put_offer(r.f, &r.f->org, "offer-1", NULL, NOW + 600);
    issue_some(r.f, RACE_CREDS, "urn:eudi:pid:1", made);
    assert_int_equal(run_race(&r), RACERS);
    for (int i = 0; i < RACE_CREDS; i++)
        assert_int_equal(entry(r.f, &made[i].status), GR_CRED_SUSPENDED);
}

static void test_secret(void **state)
{
    struct fixture *f = *state;
    uint8_t a[32], b[32], c[32], zero[32] = { 0 };
    struct gr_err err;

    ok(OPS(f)->secret(CTX(f), "dpop-nonce", a, &err), &err);
    ok(OPS(f)->secret(CTX(f), "dpop-nonce", b, &err), &err);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, zero, 32);
    ok(OPS(f)->secret(CTX(f), "offer-uri", c, &err), &err);
    assert_memory_not_equal(a, c, 32);
    assert_code(code_of(OPS(f)->secret(CTX(f), "", c, &err), &err), GR_ERR_USAGE);
}

static void test_ping(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;

    ok(OPS(f)->ping(CTX(f), &err), &err);
    ok(OPS(f)->ping(CTX(f), &err), &err);
}

static int race_secret(struct race *r, int i, struct gr_err *err)
{
    return OPS(r->f)->secret(CTX(r->f), "race", r->secret[i], err);
}

static void test_secret_race(void **state)
{
    struct race r = { .f = *state, .op = race_secret };

    assert_int_equal(run_race(&r), RACERS);
    for (int i = 1; i < RACERS; i++)
        assert_memory_equal(r.secret[0], r.secret[i], 32);
}

/* A keyring entry for `kid`, opened from file:/keys/<kid>.pem. */
static void key_init(struct gr_signing_key *k, const char *kid)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->kid, sizeof(k->kid), "%s", kid);
    snprintf(k->signer_uri, sizeof(k->signer_uri), "file:/keys/%s.pem", kid);
    snprintf(k->jwk, sizeof(k->jwk), "{\"kty\":\"EC\",\"kid\":\"%s\"}", kid);
}

static void activate(struct fixture *f, const char *kid, int64_t now)
{
    struct gr_signing_key k;
    struct gr_err err;

    key_init(&k, kid);
    ok(OPS(f)->key_activate(CTX(f), &k, now, &err), &err);
}

/* The keyring at `now`, counted; returns how many keys. */
static size_t list_keys(struct fixture *f, int64_t now, struct gr_signing_key *out, size_t max)
{
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->key_list(CTX(f), now, true, out, max, &n, &err), &err);
    return n;
}

/* A credential of offer-1 signed by `kid`, expiring at `exp`. */
static void issue_with(struct fixture *f, const char *id, const char *kid, int64_t exp)
{
    struct gr_issued rec;
    struct gr_err err;

    issued_init(&rec, id);
    snprintf(rec.kid, sizeof(rec.kid), "%s", kid);
    rec.expires_at = exp;
    ok(OPS(f)->issued_add(CTX(f), &rec, 1, NULL, 0, &err), &err);
}

/* Activate, rotate, re-activate: one key active, the others retired with their times. */
static void test_keyring(void **state)
{
    struct fixture *f = *state;
    struct gr_signing_key keys[4], bad;
    struct gr_err err;
    size_t n = 99;

    ok(OPS(f)->key_list(CTX(f), NOW, true, keys, 4, &n, &err), &err);
    assert_int_equal(n, 0);
    activate(f, "key-a", NOW - 100);
    activate(f, "key-a", NOW - 90); /* again: nothing changes */
    assert_int_equal(list_keys(f, NOW, keys, 4), 1);
    assert_string_equal(keys[0].kid, "key-a");
    assert_string_equal(keys[0].signer_uri, "file:/keys/key-a.pem");
    assert_string_equal(keys[0].jwk, "{\"kty\":\"EC\",\"kid\":\"key-a\"}");
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
    assert_int_equal(keys[0].created_at, NOW - 100);
    assert_int_equal(keys[0].activated_at, NOW - 100); /* not moved by the second activation */
    assert_int_equal(keys[0].retired_at, 0);
    assert_int_equal(keys[0].live_until, 0);
    assert_int_equal(keys[0].live_count, 0);
    /* A rotation retires key-a then and there. */
    activate(f, "key-b", NOW - 50);
    assert_int_equal(list_keys(f, NOW, keys, 4), 2);
    assert_string_equal(keys[0].kid, "key-b");
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
    assert_string_equal(keys[1].kid, "key-a");
    assert_int_equal(keys[1].state, GR_KEY_RETIRED);
    assert_int_equal(keys[1].retired_at, NOW - 50);
    /* Back to key-a, from elsewhere: active again, its creation kept, key-b retired. */
    key_init(&bad, "key-a");
    snprintf(bad.signer_uri, sizeof(bad.signer_uri), "file:/moved/key-a.pem");
    ok(OPS(f)->key_activate(CTX(f), &bad, NOW - 10, &err), &err);
    assert_int_equal(list_keys(f, NOW, keys, 4), 2);
    assert_string_equal(keys[0].kid, "key-a");
    assert_string_equal(keys[0].signer_uri, "file:/moved/key-a.pem");
    assert_int_equal(keys[0].created_at, NOW - 100);
    assert_int_equal(keys[0].activated_at, NOW - 10);
    assert_int_equal(keys[0].retired_at, 0);
    assert_string_equal(keys[1].kid, "key-b");
    assert_int_equal(keys[1].retired_at, NOW - 10);
    /* At most `max`, the active one first. */
    activate(f, "key-c", NOW - 5);
    ok(OPS(f)->key_list(CTX(f), NOW, false, keys, 2, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].kid, "key-c");
    assert_string_equal(keys[1].kid, "key-a"); /* retired last */
    assert_int_equal(keys[0].live_count, -1);  /* not counted */
    /* Refused: an empty kid, URI or JWK. */
    key_init(&bad, "");
    assert_code(code_of(OPS(f)->key_activate(CTX(f), &bad, NOW, &err), &err),
                GR_ERR_INVALID_REQUEST);
    key_init(&bad, "key-d");
    bad.jwk[0] = '\0';
    assert_code(code_of(OPS(f)->key_activate(CTX(f), &bad, NOW, &err), &err),
                GR_ERR_INVALID_REQUEST);
    assert_int_equal(list_keys(f, NOW, keys, 4), 3);
}

/* live_until and live_count follow the credentials recorded with each kid. */
static void test_keyring_live(void **state)
{
    struct fixture *f = *state;
    struct gr_signing_key keys[3];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    activate(f, "key-a", NOW - 100);
    issue_with(f, "cred-1", "key-a", NOW + 1000);
    issue_with(f, "cred-2", "key-a", NOW + 5000);
    issue_with(f, "cred-3", "key-a", NOW - 1); /* expired already */
    issue_with(f, "cred-4", "", NOW + 9000);   /* signed before the keyring: no kid */
    activate(f, "key-b", NOW - 50);
    issue_with(f, "cred-5", "key-b", NOW + 200);
    assert_int_equal(list_keys(f, NOW, keys, 3), 2);
    assert_string_equal(keys[0].kid, "key-b");
    assert_int_equal(keys[0].live_until, NOW + 200);
    assert_int_equal(keys[0].live_count, 1);
    assert_string_equal(keys[1].kid, "key-a");
    assert_int_equal(keys[1].live_until, NOW + 5000);
    assert_int_equal(keys[1].live_count, 2);
    /* Later, key-a's last credential outlives key-b's. */
    assert_int_equal(list_keys(f, NOW + 1000, keys, 3), 2);
    assert_int_equal(keys[0].live_count, 0);
    assert_int_equal(keys[1].live_count, 1);
    assert_int_equal(keys[1].live_until, NOW + 5000); /* past or not: the caller compares */
    /* Each record says which key signed it; one from before the keyring says none. */
    {
        struct gr_credential_rec rec;
        struct gr_err err;

        ok(OPS(f)->credential_get(CTX(f), GR_STR("org-acme"), GR_STR("cred-5"), &rec, &err), &err);
        assert_string_equal(rec.issued.kid, "key-b");
        ok(OPS(f)->credential_get(CTX(f), GR_STR("org-acme"), GR_STR("cred-4"), &rec, &err), &err);
        assert_string_equal(rec.issued.kid, "");
    }
}

/* Racing activations of distinct keys: afterwards exactly one is active. */
static int race_activate(struct race *r, int i, struct gr_err *err)
{
    struct gr_signing_key k;
    char kid[16];

    snprintf(kid, sizeof(kid), "key-%02d", i);
    key_init(&k, kid);
    return OPS(r->f)->key_activate(CTX(r->f), &k, NOW, err);
}

static void test_keyring_race(void **state)
{
    struct race r = { .f = *state, .op = race_activate };
    struct gr_signing_key keys[RACERS + 1];
    size_t n, active = 0;

    activate(r.f, "key-old", NOW - 100);
    assert_int_equal(run_race(&r), RACERS);
    n = list_keys(r.f, NOW, keys, GR_NELEM(keys));
    assert_int_equal(n, RACERS + 1);
    for (size_t i = 0; i < n; i++)
        active += keys[i].state == GR_KEY_ACTIVE;
    assert_int_equal(active, 1);
    assert_int_equal(keys[0].state, GR_KEY_ACTIVE);
}

/* Whether offer `id` still holds its claims. */
static bool holds_claims(struct fixture *f, const char *id)
{
    struct gr_offer got;
    bool holds;

    assert_code(get_offer(f, "org-acme", id, &got), GR_ERR_OK);
    holds = got.subject_json != NULL;
    assert_true(holds == (got.disclosable_json != NULL));
    assert_true(holds == (got.sealed_url != NULL));
    gr_offer_release(&got);
    return holds;
}

static void test_sweep(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    struct gr_token t, got;

    put_offer(f, &f->org, "pending", NULL, NOW + 600);
    put_offer(f, &f->org, "expired", NULL, NOW + 10);
    put_offer(f, &f->org, "dead", "493536", NOW + 600);
    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);  /* redeemed, a token till NOW + 300 */
    put_offer(f, &f->org, "no-token", NULL, NOW + 600); /* redeemed, no token stored */
    for (int i = 0; i < MAX_TX; i++)
        assert_code(redeem(f, "dead", "000000", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    assert_code(redeem(f, "no-token", NULL, NOW, NULL), GR_ERR_OK);
    token_init(&t, "token-1", true, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &t, &err), &err);
    assert_code(jti(f, "jti-1", NOW + 10, NOW), GR_ERR_OK);

    ok(OPS(f)->sweep(CTX(f), NOW + 10, 300, &err), &err);
    assert_true(holds_claims(f, "pending"));
    assert_false(holds_claims(f, "expired"));
    assert_false(holds_claims(f, "dead"));
    assert_true(holds_claims(f, "offer-1"));
    assert_true(holds_claims(f, "no-token")); /* a token made at redemption could still use it */
    /*
     * Expired things are gone, not merely expired: a clock set back does not
     * revive them. Redis expires its keys by its own clock, not the sweep's.
     */
    if (!backend->redis)
        assert_code(jti(f, "jti-1", NOW + 10, NOW), GR_ERR_OK);

    ok(OPS(f)->sweep(CTX(f), NOW + 300, 300, &err), &err);
    assert_false(holds_claims(f, "offer-1"));
    assert_false(holds_claims(f, "no-token"));
    assert_true(holds_claims(f, "pending"));
    if (!backend->redis)
        assert_code(code_of(OPS(f)->token_get(CTX(f), t.hash, NOW, &got, &err), &err),
                    GR_ERR_INVALID_TOKEN);
}

static void test_reopen(void **state)
{
    struct fixture *f = *state;
    struct gr_err err;
    struct gr_store second;
    struct gr_offer got;
    uint8_t a[32], b[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    ok(OPS(f)->secret(CTX(f), "k", a, &err), &err);
    assert_code(jti(f, "jti-1", NOW + 300, NOW), GR_ERR_OK);

    /* A second store on the same file, as a second process would have: same state. */
    open_store(f->url, &second);
    ok(second.ops->secret(second.ctx, "k", b, &err), &err);
    assert_memory_equal(a, b, 32);
    gr_store_close(&second);

    gr_store_close(&f->s);
    open_store(f->url, &f->s);
    ok(OPS(f)->secret(CTX(f), "k", b, &err), &err);
    assert_memory_equal(a, b, 32);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(jti(f, "jti-1", NOW + 300, NOW), GR_ERR_DUPLICATE);
}

static const struct CMUnitTest cases[] = {
    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
    cmocka_unit_test_setup_teardown(test_records_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_credential_list, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_audit_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_issued_audit_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_change_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secret, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secret_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring_live, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyring_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
};

int main(void)
{
    return contract_run(cases, GR_NELEM(cases));
}

/*
 * The store contract (store.h), run against every backend (contract.h): each
 * case gets a fresh store and drives it only through the ops table, so a new
 * backend joins by adding a row. Here: organizations and rate limits, offers
 * and their redemption, access tokens, the jti replay set, issued
 * records and status allocation; test_store_records.c has the rest. What
 * only SQLite has (URLs, migrations, the file) is in test_sqlite.c.
 */
#include "contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/redeem.h"

static void test_orgs(void **state)
{
    struct fixture *f = *state;
    struct gr_org got, dup = f->org;
    struct gr_err err;
    uint8_t h[32];

    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_string_equal(got.id, "org-acme");
    assert_string_equal(got.name, "acme");
    assert_int_equal(got.created_at, NOW - 1000);
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("other"), &got, &err), &err);
    assert_string_equal(got.id, "org-other");

    hash("key-unknown", h);
    assert_code(code_of(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err), GR_ERR_UNAUTHORIZED);
    assert_code(code_of(OPS(f)->org_by_name(CTX(f), GR_STR("nobody"), &got, &err), &err),
                GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->org_by_name(CTX(f), GR_STR(""), &got, &err), &err),
                GR_ERR_NOT_FOUND);

    /* The name is taken, whatever the id and key. */
    snprintf(dup.id, sizeof(dup.id), "org-acme-2");
    hash("key-acme-2", h);
    assert_code(code_of(OPS(f)->org_create(CTX(f), &dup, h, &err), &err), GR_ERR_CONFLICT);
    /* The first one is untouched. */
    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_string_equal(got.id, "org-acme");
}

static void test_org_limits(void **state)
{
    struct fixture *f = *state;
    struct gr_org own = f->org, got;
    struct gr_err err;
    uint8_t h[32];

    /* An organization made without limits takes the server's (0). */
    hash("key-acme", h);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_int_equal(got.offer_rate, 0);
    assert_int_equal(got.offer_burst, 0);

    snprintf(own.id, sizeof(own.id), "org-own");
    snprintf(own.name, sizeof(own.name), "own");
    own.offer_rate = 120;
    own.offer_burst = 7;
    hash("key-own", h);
    ok(OPS(f)->org_create(CTX(f), &own, h, &err), &err);
    ok(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err);
    assert_int_equal(got.offer_rate, 120);
    assert_int_equal(got.offer_burst, 7);

    ok(OPS(f)->org_set_limits(CTX(f), GR_STR("org-own"), 30, 0, &err), &err);
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("own"), &got, &err), &err);
    assert_int_equal(got.offer_rate, 30);
    assert_int_equal(got.offer_burst, 0);
    /* The other organizations are untouched. */
    ok(OPS(f)->org_by_name(CTX(f), GR_STR("acme"), &got, &err), &err);
    assert_int_equal(got.offer_rate, 0);
    assert_code(code_of(OPS(f)->org_set_limits(CTX(f), GR_STR("org-nobody"), 1, 1, &err), &err),
                GR_ERR_NOT_FOUND);
}

/* One look at (take false) or take from (take true) bucket `key`: burst 3, one per second. */
static struct gr_rate rate(struct fixture *f, const char *key, int64_t now_ms, bool take)
{
    struct gr_rate out = { .allowed = !take, .retry_after_ms = -1 };
    struct gr_err err;

    ok(OPS(f)->rate_limit(CTX(f), gr_str_c(key), 3, 1000, now_ms, take, &out, &err), &err);
    return out;
}

static void test_rate_limit(void **state)
{
    struct fixture *f = *state;
    const int64_t t = (int64_t)NOW * 1000;
    struct gr_rate r;
    struct gr_err err;

    /* A fresh bucket is full: looking takes nothing, three takes pass, the fourth does not. */
    for (int i = 0; i < 5; i++)
        assert_true(rate(f, "offer:acme", t, false).allowed);
    for (int i = 0; i < 3; i++) {
        r = rate(f, "offer:acme", t, true);
        assert_true(r.allowed);
        assert_int_equal(r.retry_after_ms, 0);
    }
    r = rate(f, "offer:acme", t, true);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 1000);
    r = rate(f, "offer:acme", t + 400, false);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 600);
    /* A refusal took nothing: after the one interval it named, exactly one more. */
    r = rate(f, "offer:acme", t + 1000, true);
    assert_true(r.allowed);
    assert_false(rate(f, "offer:acme", t + 1000, true).allowed);
    /* It refills at its rate, up to its burst and no further. */
    assert_true(rate(f, "offer:acme", t + 2000, true).allowed);
    for (int i = 0; i < 3; i++)
        assert_true(rate(f, "offer:acme", t + 60000, true).allowed);
    assert_false(rate(f, "offer:acme", t + 60000, true).allowed);
    /* Buckets are independent. */
    assert_true(rate(f, "client:127.0.0.1", t + 60000, true).allowed);

    /* Swept once full again: the row goes, the bucket still answers as full. */
    ok(OPS(f)->sweep(CTX(f), NOW + 120, 300, &err), &err);
    for (int i = 0; i < 3; i++)
        assert_true(rate(f, "offer:acme", t + 120000, true).allowed);
    assert_false(rate(f, "offer:acme", t + 120000, true).allowed);

    /* Shapes that make no bucket are refused, not guessed at. */
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR(""), 3, 1000, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR("k"), 0, 1000, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
    assert_code(code_of(OPS(f)->rate_limit(CTX(f), GR_STR("k"), 3, 0, t, true, &r, &err), &err),
                GR_ERR_SERVER_ERROR);
}

static void test_stats(void **state)
{
    struct fixture *f = *state;
    struct gr_store_stats st = { .db_errors = 99, .redis_errors = 99 };
    struct gr_org got;
    struct gr_err err;
    uint8_t h[32];

    /* Refusals are answers, not failures of the database. */
    hash("key-unknown", h);
    assert_code(code_of(OPS(f)->org_by_key(CTX(f), h, &got, &err), &err), GR_ERR_UNAUTHORIZED);
    assert_code(code_of(OPS(f)->org_create(CTX(f), &f->org, h, &err), &err), GR_ERR_CONFLICT);
    OPS(f)->stats(CTX(f), &st);
    assert_int_equal(st.db_errors, 0);
    assert_int_equal(st.redis_errors, 0);
}

static void test_offer_put_get(void **state)
{
    struct fixture *f = *state;
    struct gr_offer in, got;
    struct gr_err err;

    offer_init(&in, &f->org, "offer-1", "493536", NOW + 600);
    ok(OPS(f)->offer_put(CTX(f), &in, NULL, &err), &err);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_string_equal(got.id, in.id);
    assert_string_equal(got.org_id, in.org_id);
    assert_string_equal(got.config_id, in.config_id);
    assert_memory_equal(got.code_hash, in.code_hash, 32);
    assert_true(got.has_tx_code);
    assert_memory_equal(got.tx_code_hash, in.tx_code_hash, 32);
    assert_int_equal(got.tx_input_mode, GR_TX_NUMERIC);
    assert_int_equal(got.tx_length, 6);
    assert_string_equal(got.tx_description, in.tx_description);
    assert_int_equal(got.tx_attempts, 0);
    assert_true(got.by_reference);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    assert_int_equal(got.created_at, in.created_at);
    assert_int_equal(got.expires_at, in.expires_at);
    assert_int_equal(got.credential_lifetime, 86400);
    assert_string_equal(got.subject_json, SUBJECT);
    assert_string_equal(got.disclosable_json, in.disclosable_json);
    assert_int_equal(got.sealed_url_len, sizeof(SEALED) - 1);
    assert_memory_equal(got.sealed_url, SEALED, sizeof(SEALED) - 1);
    gr_offer_release(&got);
    assert_null(got.sealed_url);

    /* Without a transaction code, text mode fields stay empty; no disclosable paths. */
    offer_init(&in, &f->org, "offer-2", NULL, NOW + 600);
    in.by_reference = false;
    in.disclosable_json = NULL;
    in.sealed_url = NULL;
    in.sealed_url_len = 0;
    ok(OPS(f)->offer_put(CTX(f), &in, NULL, &err), &err);
    assert_code(get_offer(f, "org-acme", "offer-2", &got), GR_ERR_OK);
    assert_false(got.has_tx_code);
    assert_false(got.by_reference);
    assert_string_equal(got.tx_description, "");
    assert_null(got.disclosable_json);
    assert_null(got.sealed_url);
    assert_int_equal(got.sealed_url_len, 0);
    gr_offer_release(&got);

    /* Another organization's offer does not exist for it; nor does an unknown id. */
    assert_code(get_offer(f, "org-other", "offer-1", &got), GR_ERR_NOT_FOUND);
    assert_null(got.subject_json);
    assert_code(get_offer(f, "org-acme", "offer-9", &got), GR_ERR_NOT_FOUND);
    assert_code(get_offer(f, "org-acme", "an-id-much-too-long-to-be-one-of-ours", &got),
                GR_ERR_NOT_FOUND);

    /* The same id, or the same code, again. */
    offer_init(&in, &f->org, "offer-1", NULL, NOW + 600);
    hash("code-offer-3", in.code_hash);
    assert_code(code_of(OPS(f)->offer_put(CTX(f), &in, NULL, &err), &err), GR_ERR_CONFLICT);
    offer_init(&in, &f->org, "offer-3", NULL, NOW + 600);
    hash("code-offer-1", in.code_hash);
    assert_code(code_of(OPS(f)->offer_put(CTX(f), &in, NULL, &err), &err), GR_ERR_CONFLICT);
}

/* An offer and its offer.created event are stored together, or neither. */
static void test_offer_put_audited(void **state)
{
    struct fixture *f = *state;
    struct gr_audit_event created = { .at = NOW,
                                      .kind = "offer.created",
                                      .org_id = "org-acme",
                                      .offer_id = "offer-1",
                                      .detail = "pid" },
                          last;
    struct gr_offer in, got;
    struct gr_err err;
    size_t n = 99;

    offer_init(&in, &f->org, "offer-1", NULL, NOW + 600);
    ok(OPS(f)->offer_put(CTX(f), &in, &created, &err), &err);
    assert_int_equal(audit_last(f, &last), 1);
    assert_string_equal(last.kind, "offer.created");
    assert_string_equal(last.offer_id, "offer-1");
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    gr_offer_release(&got);
    /* Refused as a duplicate: no event either. */
    snprintf(created.offer_id, sizeof(created.offer_id), "offer-2");
    offer_init(&in, &f->org, "offer-2", NULL, NOW + 600);
    hash("code-offer-1", in.code_hash);
    assert_code(code_of(OPS(f)->offer_put(CTX(f), &in, &created, &err), &err), GR_ERR_CONFLICT);
    assert_int_equal(audit_last(f, &last), 1);
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 1);
}

static void test_offer_by_code(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;
    struct gr_err err;
    uint8_t h[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    hash("code-offer-1", h);
    ok(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err);
    assert_string_equal(got.id, "offer-1");
    assert_string_equal(got.subject_json, SUBJECT);
    gr_offer_release(&got);
    /* Expired, unknown, redeemed: gone. */
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW + 600, &got, &err), &err),
                GR_ERR_NOT_FOUND);
    hash("code-offer-9", h);
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err), GR_ERR_NOT_FOUND);
    assert_code(redeem(f, "offer-1", NULL, NOW, NULL), GR_ERR_OK);
    hash("code-offer-1", h);
    assert_code(code_of(OPS(f)->offer_by_code(CTX(f), h, NOW, &got, &err), &err), GR_ERR_NOT_FOUND);
}

static void test_redeem_once(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW, &got), GR_ERR_OK);
    assert_string_equal(got.id, "offer-1");
    assert_string_equal(got.org_id, "org-acme");
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    assert_string_equal(got.subject_json, SUBJECT);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-1", NULL, NOW, &got), GR_ERR_INVALID_GRANT);
    assert_null(got.subject_json);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
}

/* A token handed to redeem is stored with the redemption, naming the offer; a refused redeem stores
 * none. */
static void test_redeem_with_token(void **state)
{
    struct fixture *f = *state;
    struct gr_token tok = { .dpop_bound = true, .expires_at = NOW + 300 }, got;
    struct gr_offer offer;
    struct gr_err err;
    uint8_t code_h[32];

    put_offer(f, &f->org, "offer-t", NULL, NOW + 600);
    hash("the token", tok.hash);
    hash("the key", tok.jkt);
    snprintf(tok.client_id, sizeof(tok.client_id), "wallet-instance-1");
    hash("code-offer-t", code_h);
    ok(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, NULL, &offer, &err), &err);
    gr_offer_release(&offer);
    ok(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err);
    assert_string_equal(got.offer_id, "offer-t");
    assert_string_equal(got.org_id, "org-acme");
    assert_true(got.dpop_bound);
    assert_memory_equal(got.jkt, tok.jkt, 32);
    assert_string_equal(got.client_id, "wallet-instance-1");
    hash("another token", tok.hash);
    assert_code(
        code_of(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, NULL, &offer, &err),
                &err),
        GR_ERR_INVALID_GRANT);
    assert_code(code_of(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err),
                GR_ERR_INVALID_TOKEN);
}

/*
 * A redemption's event goes in with it, naming the offer the code was for
 * (whatever the caller put there); a refused one appends none.
 */
static void test_redeem_audited(void **state)
{
    struct fixture *f = *state;
    struct gr_audit_event granted = { .at = NOW,
                                      .kind = "token.granted",
                                      .org_id = "org-x",
                                      .offer_id = "offer-x",
                                      .detail = "DPoP" },
                          last;
    struct gr_token tok = { .expires_at = NOW + 300 }, got;
    struct gr_offer offer;
    struct gr_err err;
    uint8_t code_h[32];
    size_t n = 99;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    put_offer(f, &f->org, "offer-2", NULL, NOW + 600);
    hash("the token", tok.hash);
    hash("code-offer-1", code_h);
    ok(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &granted, &offer, &err), &err);
    gr_offer_release(&offer);
    assert_int_equal(audit_last(f, &last), 1);
    assert_string_equal(last.kind, "token.granted");
    assert_string_equal(last.org_id, "org-acme");
    assert_string_equal(last.offer_id, "offer-1");
    /* Used already: refused, no event, the token asked for not stored. */
    hash("another token", tok.hash);
    assert_code(code_of(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &granted,
                                             &offer, &err),
                        &err),
                GR_ERR_INVALID_GRANT);
    assert_int_equal(audit_last(f, &last), 1);
    assert_code(code_of(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err),
                GR_ERR_INVALID_TOKEN);
    /* Without a token, the event still goes with the redemption. */
    hash("code-offer-2", code_h);
    ok(OPS(f)->offer_redeem(CTX(f), code_h, NULL, NOW, MAX_TX, NULL, &granted, &offer, &err), &err);
    gr_offer_release(&offer);
    assert_int_equal(audit_last(f, &last), 2);
    assert_string_equal(last.offer_id, "offer-2");
    ok(OPS(f)->audit_verify(CTX(f), &n, &err), &err);
    assert_int_equal(n, 2);
}

struct kept {
    int calls;
    bool fail;
    char offer_id[GR_STORE_ID_LEN + 1];
};

static int keep(void *arg, const struct gr_token *token, struct gr_err *err)
{
    struct kept *k = arg;

    k->calls++;
    snprintf(k->offer_id, sizeof(k->offer_id), "%s", token->offer_id);
    return k->fail ? gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "Kept nowhere.") : 0;
}

/*
 * A token kept outside the database (store/redeem.h), as the Redis store
 * keeps it: the keeper's failure leaves the code unspent and nothing
 * audited; its success, the token in the keeper's hands only.
 */
static void test_redeem_keeper(void **state)
{
    struct fixture *f = *state;
    gr__redeem_fn *redeem_keeping = gr__store_redeem_keeping(&f->s);
    const struct gr_audit_event granted = { .at = NOW, .kind = "token.granted" };
    struct kept k = { .fail = true };
    const struct gr__token_keeper keeper = { .keep = keep, .arg = &k };
    struct gr_token tok = { .expires_at = NOW + 300 }, got;
    struct gr_audit_event last;
    struct gr_offer offer;
    struct gr_err err;
    uint8_t code_h[32];

    if (redeem_keeping == NULL) { /* the Redis store: it is the keeper, of its database */
        assert_string_equal(OPS(f)->name, "redis");
        return;
    }
    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    hash("the token", tok.hash);
    hash("code-offer-1", code_h);
    assert_code(code_of(redeem_keeping(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &keeper, &granted,
                                       &offer, &err),
                        &err),
                GR_ERR_TEMPORARILY_UNAVAILABLE);
    assert_null(offer.subject_json);
    assert_int_equal(k.calls, 1);
    assert_string_equal(k.offer_id, "offer-1");
    assert_int_equal(audit_last(f, &last), 0);
    assert_code(get_offer(f, "org-acme", "offer-1", &offer), GR_ERR_OK);
    assert_int_equal(offer.state, GR_OFFER_PENDING); /* not spent */
    gr_offer_release(&offer);
    k.fail = false;
    ok(redeem_keeping(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &keeper, &granted, &offer, &err),
       &err);
    gr_offer_release(&offer);
    assert_int_equal(k.calls, 2);
    assert_int_equal(audit_last(f, &last), 1);
    assert_code(code_of(OPS(f)->token_get(CTX(f), tok.hash, NOW, &got, &err), &err),
                GR_ERR_INVALID_TOKEN); /* kept by the keeper, not the database */
    /* A refusal never reaches the keeper. */
    assert_code(code_of(redeem_keeping(CTX(f), code_h, NULL, NOW, MAX_TX, &tok, &keeper, &granted,
                                       &offer, &err),
                        &err),
                GR_ERR_INVALID_GRANT);
    assert_int_equal(k.calls, 2);
}

static void test_redeem_refusals(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    assert_code(redeem(f, "offer-none", NULL, NOW, NULL), GR_ERR_INVALID_GRANT);
    /* Expired at expires_at exactly; the refusal leaves it pending. */
    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    assert_code(redeem(f, "offer-1", NULL, NOW + 600, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", NULL, NOW + 601, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    gr_offer_release(&got);
    /* An expired offer with a transaction code is refused for expiry, and counts nothing. */
    put_offer(f, &f->org, "offer-2", "1234", NOW + 600);
    assert_code(redeem(f, "offer-2", "9999", NOW + 700, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-2", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, 0);
    gr_offer_release(&got);
}

static void test_redeem_tx_codes(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-tx", "493536", NOW + 600);
    put_offer(f, &f->org, "offer-no-tx", NULL, NOW + 600);
    /* Missing while required, or sent while not: the request is wrong, nothing counted. */
    assert_code(redeem(f, "offer-tx", NULL, NOW, NULL), GR_ERR_INVALID_REQUEST);
    assert_code(redeem(f, "offer-no-tx", "493536", NOW, NULL), GR_ERR_INVALID_REQUEST);
    /* A wrong one counts. */
    assert_code(redeem(f, "offer-tx", "000000", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-tx", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, 1);
    assert_int_equal(got.state, GR_OFFER_PENDING);
    gr_offer_release(&got);
    /* The right one, after a wrong one, redeems. */
    assert_code(redeem(f, "offer-tx", "493536", NOW, &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_REDEEMED);
    gr_offer_release(&got);
    assert_code(redeem(f, "offer-tx", "493536", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-no-tx", NULL, NOW, NULL), GR_ERR_OK);
}

static void test_redeem_attempt_cap(void **state)
{
    struct fixture *f = *state;
    struct gr_offer got;

    put_offer(f, &f->org, "offer-1", "493536", NOW + 600);
    for (int i = 0; i < MAX_TX; i++)
        assert_code(redeem(f, "offer-1", "111111", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_DEAD);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
    /* Dead: even the right code fails, and nothing more is counted. */
    assert_code(redeem(f, "offer-1", "493536", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(redeem(f, "offer-1", "111111", NOW, NULL), GR_ERR_INVALID_GRANT);
    assert_code(get_offer(f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
}

/* Threads that start together on a barrier and each record one result. */
static int race_redeem(struct race *r, int i, struct gr_err *err)
{
    const struct gr_audit_event granted = { .at = NOW, .kind = "token.granted" };
    struct gr_offer out = { 0 };
    struct gr_token tok = { .expires_at = NOW + 300 };
    uint8_t code[32], tx[32];
    int rc;

    hash("code-offer-1", code);
    hash("493536", tx);
    memcpy(tok.hash, r->secret[i], sizeof(tok.hash));
    rc = OPS(r->f)->offer_redeem(CTX(r->f), code, tx, NOW, MAX_TX, &tok, &granted, &out, err);
    gr_offer_release(&out);
    return rc;
}

/* Racing redeemers, each with its own token: one wins, with its token and one event. */
static void test_redeem_race(void **state)
{
    struct race r = { .f = *state, .op = race_redeem };
    struct gr_audit_event last;
    struct gr_token got;
    struct gr_err err;
    int tokens = 0;

    put_offer(r.f, &r.f->org, "offer-1", "493536", NOW + 600);
    for (int i = 0; i < RACERS; i++) {
        r.secret[i][0] = (uint8_t)i;
        r.secret[i][1] = 0x5a; /* a token hash of each racer's own */
    }
    assert_int_equal(run_race(&r), 1);
    assert_losers(&r, GR_ERR_INVALID_GRANT);
    for (int i = 0; i < RACERS; i++) {
        if (OPS(r.f)->token_get(CTX(r.f), r.secret[i], NOW, &got, &err) == 0) {
            assert_int_equal(r.code[i], GR_ERR_OK);
            tokens++;
        }
    }
    assert_int_equal(tokens, 1);
    assert_int_equal(audit_last(r.f, &last), 1);
    assert_string_equal(last.offer_id, "offer-1");
}

/* Racing wrong codes: every one is counted, and exactly MAX_TX - 1 leave the offer alive. */
static int race_wrong_tx(struct race *r, int i, struct gr_err *err)
{
    struct gr_offer out = { 0 };
    uint8_t code[32], tx[32];
    int rc;

    (void)i;
    hash("code-offer-1", code);
    hash("000000", tx);
    rc = OPS(r->f)->offer_redeem(CTX(r->f), code, tx, NOW, MAX_TX, NULL,
                                 &(struct gr_audit_event){ .at = NOW, .kind = "token.granted" },
                                 &out, err);
    gr_offer_release(&out);
    return rc;
}

static void test_redeem_wrong_tx_race(void **state)
{
    struct race r = { .f = *state, .op = race_wrong_tx };
    struct gr_offer got;

    put_offer(r.f, &r.f->org, "offer-1", "493536", NOW + 600);
    assert_int_equal(run_race(&r), 0);
    assert_losers(&r, GR_ERR_INVALID_GRANT);
    assert_code(get_offer(r.f, "org-acme", "offer-1", &got), GR_ERR_OK);
    assert_int_equal(got.state, GR_OFFER_DEAD);
    assert_int_equal(got.tx_attempts, MAX_TX);
    gr_offer_release(&got);
    assert_int_equal(audit_last(r.f, &(struct gr_audit_event){ 0 }), 0); /* nothing granted */
}

static void test_tokens(void **state)
{
    struct fixture *f = *state;
    struct gr_token in, got;
    struct gr_err err;
    uint8_t h[32];

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    token_init(&in, "token-dpop", true, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &in, &err), &err);
    ok(OPS(f)->token_get(CTX(f), in.hash, NOW, &got, &err), &err);
    assert_memory_equal(got.hash, in.hash, 32);
    assert_string_equal(got.offer_id, "offer-1");
    assert_string_equal(got.org_id, "org-acme");
    assert_string_equal(got.config_id, "pid_sd_jwt");
    assert_true(got.dpop_bound);
    assert_memory_equal(got.jkt, in.jkt, 32);
    assert_int_equal(got.expires_at, NOW + 300);
    assert_code(code_of(OPS(f)->token_get(CTX(f), in.hash, NOW + 300, &got, &err), &err),
                GR_ERR_INVALID_TOKEN);

    token_init(&in, "token-bearer", false, NOW + 300);
    ok(OPS(f)->token_put(CTX(f), &in, &err), &err);
    ok(OPS(f)->token_get(CTX(f), in.hash, NOW + 299, &got, &err), &err);
    assert_false(got.dpop_bound);

    hash("token-unknown", h);
    assert_code(code_of(OPS(f)->token_get(CTX(f), h, NOW, &got, &err), &err), GR_ERR_INVALID_TOKEN);
}

static void test_jti(void **state)
{
    struct fixture *f = *state;

    assert_code(jti(f, "jti-1", NOW + 60, NOW), GR_ERR_OK);
    assert_code(jti(f, "jti-1", NOW + 60, NOW), GR_ERR_DUPLICATE);
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 59), GR_ERR_DUPLICATE);
    assert_code(jti(f, "jti-2", NOW + 60, NOW), GR_ERR_OK);
    /* Once expired, the same jti is new again, and then a replay of that. */
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 60), GR_ERR_OK);
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 61), GR_ERR_DUPLICATE);
}

/* A Redis that forgot its scripts (restarted, SCRIPT FLUSH) is sent their text again. */
static void test_redis_scripts(void **state)
{
    struct fixture *f = *state;
    const int64_t t = (int64_t)NOW * 1000;

    if (!backend->redis) {
        assert_string_not_equal(OPS(f)->name, "redis");
        return;
    }
    redis_command("SCRIPT FLUSH");
    for (int i = 0; i < 3; i++) {
        assert_true(rate(f, "offer:acme", t, true).allowed);
        redis_command("SCRIPT FLUSH");
    }
    assert_false(rate(f, "offer:acme", t, true).allowed);
    /* A jti Redis still holds, expired by the caller's clock: the script decides, twice. */
    assert_code(jti(f, "jti-1", NOW + 60, NOW), GR_ERR_OK);
    redis_command("SCRIPT FLUSH");
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 60), GR_ERR_OK);
    redis_command("SCRIPT FLUSH");
    assert_code(jti(f, "jti-1", NOW + 120, NOW + 61), GR_ERR_DUPLICATE);
}

static int race_jti(struct race *r, int i, struct gr_err *err)
{
    uint8_t h[32];

    (void)i;
    hash("jti-race", h);
    return OPS(r->f)->jti_add(CTX(r->f), h, NOW + 60, NOW, err);
}

static void test_jti_race(void **state)
{
    struct race r = { .f = *state, .op = race_jti };

    assert_int_equal(run_race(&r), 1);
    assert_losers(&r, GR_ERR_DUPLICATE);
}

static int race_rate(struct race *r, int i, struct gr_err *err)
{
    struct gr_rate got;

    (void)i;
    if (OPS(r->f)->rate_limit(CTX(r->f), GR_STR("offer:race"), 5, 60000, (int64_t)NOW * 1000, true,
                              &got, err) < 0)
        return -1;
    return got.allowed ? 0 : gr_fail(err, GR_ERR_RATE_LIMITED, "Refused by the bucket.");
}

/* Twenty takers at once from a bucket of five: five pass, never more. */
static void test_rate_race(void **state)
{
    struct race r = { .f = *state, .op = race_rate };

    assert_int_equal(run_race(&r), 5);
    assert_losers(&r, GR_ERR_RATE_LIMITED);
}

static void test_issued_add(void **state)
{
    struct fixture *f = *state;
    struct gr_issued batch[3];
    struct gr_err err;

    struct gr_audit_event events[2] = { { .at = NOW, .kind = "credential.issued" },
                                        { .at = NOW, .kind = "credential.issued" } };
    size_t audited = 99;

    put_offer(f, &f->org, "offer-1", NULL, NOW + 600);
    issued_init(&batch[0], "cred-1");
    issued_init(&batch[1], "cred-2");
    snprintf(events[0].credential_id, sizeof(events[0].credential_id), "cred-1");
    snprintf(events[1].credential_id, sizeof(events[1].credential_id), "cred-2");
    ok(OPS(f)->issued_add(CTX(f), batch, 2, events, 2, &err), &err);
    ok(OPS(f)->issued_add(CTX(f), batch, 0, NULL, 0, &err), &err);
    ok(OPS(f)->audit_verify(CTX(f), &audited, &err), &err);
    assert_int_equal(audited, 2); /* the events went with their records */
    /* A batch with one id already recorded is refused whole, events too: cred-3 is not kept... */
    issued_init(&batch[0], "cred-3");
    issued_init(&batch[1], "cred-1");
    assert_code(code_of(OPS(f)->issued_add(CTX(f), batch, 2, events, 2, &err), &err),
                GR_ERR_CONFLICT);
    ok(OPS(f)->audit_verify(CTX(f), &audited, &err), &err);
    assert_int_equal(audited, 2);
    /* ...so it can be recorded now; and events alone are appended as by audit_append. */
    ok(OPS(f)->issued_add(CTX(f), batch, 1, NULL, 0, &err), &err);
    ok(OPS(f)->issued_add(CTX(f), batch, 0, events, 1, &err), &err);
    ok(OPS(f)->audit_verify(CTX(f), &audited, &err), &err);
    assert_int_equal(audited, 3);
    {
        char ids[4][GR_STORE_ID_LEN + 1];
        size_t n = 99;

        /* The offer's credentials, oldest first, and none for another org or offer. */
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-1"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 3);
        assert_string_equal(ids[0], "cred-1");
        assert_string_equal(ids[2], "cred-3");
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-1"), ids, 2, &n, &err),
           &err);
        assert_int_equal(n, 2);
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-other"), GR_STR("offer-1"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 0);
        ok(OPS(f)->issued_ids(CTX(f), GR_STR("org-acme"), GR_STR("offer-9"), ids, 4, &n, &err),
           &err);
        assert_int_equal(n, 0);
    }
}

static void test_status_alloc(void **state)
{
    struct fixture *f = *state;
    struct gr_status_slot s[40];
    struct gr_status_list_rec rec;
    struct gr_err err;
    size_t ascending = 0;
    int lists = 1;

    ok(OPS(f)->status_alloc(CTX(f), 2, 1024, 30, NOW, s, &err), &err);
    for (size_t i = 0; i < 30; i++) {
        assert_true(s[i].idx < 1024);
        for (size_t j = 0; j < i; j++)
            assert_false(same_slot(&s[i], &s[j]));
        ascending += i && s[i].idx == s[i - 1].idx + 1;
    }
    assert_true(ascending < 5); /* 30 random picks of 1024 are almost never neighbours */
    ok(OPS(f)->status_list_get(CTX(f), gr_str_c(s[0].list_id), &rec, &err), &err);
    assert_int_equal(rec.bits, 2);
    assert_int_equal(rec.size, 1024);
    assert_int_equal(rec.statuses_len, 256);
    for (size_t i = 0; i < rec.statuses_len; i++)
        assert_int_equal(rec.statuses[i], 0); /* every entry VALID */
    gr_status_list_rec_release(&rec);
    /* A small list fills, every index once, and the next one opens. */
    ok(OPS(f)->status_alloc(CTX(f), 1, 16, 40, NOW, s, &err), &err);
    for (size_t i = 1; i < 40; i++) {
        for (size_t j = 0; j < i; j++)
            assert_false(same_slot(&s[i], &s[j]));
        lists += strcmp(s[i].list_id, s[i - 1].list_id) != 0;
    }
    assert_int_equal(lists, 3); /* 16 + 16 + 8 */
    assert_code(code_of(OPS(f)->status_list_get(CTX(f), GR_STR("nope"), &rec, &err), &err),
                GR_ERR_NOT_FOUND);
    assert_code(code_of(OPS(f)->status_alloc(CTX(f), 3, 16, 1, NOW, s, &err), &err), GR_ERR_USAGE);
    assert_code(code_of(OPS(f)->status_alloc(CTX(f), 2, 12, 1, NOW, s, &err), &err), GR_ERR_USAGE);
}

/*
 * A large list fills to its last entry, each once, in batches, then the next
 * one opens: the last few are found however a backend looks for free ones
 * (pg_status.c draws at random, then lists the tail).
 */
static void test_status_fill(void **state)
{
    struct fixture *f = *state;
    static struct gr_status_slot s[1024 + 32];
    bool seen[1024] = { false };
    struct gr_err err;

    for (size_t done = 0; done < GR_NELEM(s); done += 32)
        ok(OPS(f)->status_alloc(CTX(f), 1, 1024, 32, NOW, s + done, &err), &err);
    for (size_t i = 0; i < 1024; i++) {
        assert_string_equal(s[i].list_id, s[0].list_id);
        assert_true(s[i].idx < 1024);
        assert_false(seen[s[i].idx]);
        seen[s[i].idx] = true;
    }
    for (size_t i = 1024; i < GR_NELEM(s); i++)
        assert_string_not_equal(s[i].list_id, s[0].list_id);
}

static int race_status(struct race *r, int i, struct gr_err *err)
{
    return OPS(r->f)->status_alloc(CTX(r->f), 2, 64, RACE_SLOTS, NOW, r->slots[i], err);
}

/* Many issuers at once: every entry handed out exactly once. */
static void test_status_race(void **state)
{
    struct race r = { .f = *state, .op = race_status };

    assert_int_equal(run_race(&r), RACERS);
    for (int i = 0; i < RACERS; i++) {
        for (int a = 0; a < RACE_SLOTS; a++) {
            for (int j = 0; j <= i; j++) {
                for (int b = 0; b < (j == i ? a : RACE_SLOTS); b++)
                    assert_false(same_slot(&r.slots[i][a], &r.slots[j][b]));
            }
        }
    }
}

static const struct CMUnitTest cases[] = {
    cmocka_unit_test_setup_teardown(test_orgs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_org_limits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
    cmocka_unit_test_setup_teardown(test_offer_put_get, setup, teardown),
    cmocka_unit_test_setup_teardown(test_offer_put_audited, setup, teardown),
    cmocka_unit_test_setup_teardown(test_offer_by_code, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_with_token, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_audited, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_keeper, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_tx_codes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_attempt_cap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redeem_wrong_tx_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jti, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jti_race, setup, teardown),
    cmocka_unit_test_setup_teardown(test_redis_scripts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_issued_add, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_alloc, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_fill, setup, teardown),
    cmocka_unit_test_setup_teardown(test_status_race, setup, teardown),
};

int main(void)
{
    return contract_run(cases, GR_NELEM(cases));
}

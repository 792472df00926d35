/*
 * The short-lived state in Redis (store.h: gr_store_with_redis): access
 * tokens, the jti replay set (DPoP jtis and spent c_nonces) and the
 * rate-limit buckets, each key with its own expiry, so that Redis forgets
 * them by itself and every process on one Redis sees the same ones. The
 * rest goes to the database store this one wraps.
 *
 * Single use holds as in the databases, by one atomic Redis operation per
 * spend: a jti is added by SET NX (or, over an expired one Redis still
 * keeps, by a Lua script) and a bucket taken by a Lua script (Redis runs a
 * script alone). Times compared are the caller's `now`,
 * as the stored values carry their expiry; Redis's own expiry, relative to
 * now, only frees the memory.
 *
 * Failing closed: any error of Redis (down, timed out, answering an error)
 * fails the call with TEMPORARILY_UNAVAILABLE, never "not seen before". A
 * connection that broke is dropped and the next call makes a new one, so
 * service resumes by itself when Redis is back.
 */
#include "store/internal.h"
#include "store/redis_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <gramota/b64url.h>

#include "store/pool.h"

/*
 * How long a call waits for Redis: connecting, and each command. Short: the
 * state here is on the path of every wallet request, and a Redis that does
 * not answer in a second should cost a 503, not a hung worker.
 */
#define TIMEOUT_MS 1000
#define KEY_MAX    160
#define MAX_ARGS   8 /* of a script's command */
/*
 * The least time Redis keeps a key. Reads compare the stored expiry with the
 * caller's clock, so a key kept a little longer is harmless, while one Redis
 * dropped early (a caller's clock ahead of Redis's) would lose a token.
 */
#define TTL_FLOOR 60

struct redis {
    struct gr_store db;    /* the durable state (owned) */
    gr__redeem_fn *redeem; /* db's redemption, which lets this store keep the token */
    char jti_sha[41];      /* the scripts' SHA-1s, hex, for EVALSHA */
    char rate_sha[41];
    struct gr__redis_url url;
    struct gr__pool pool; /* of redisContext */
    atomic_uint_least64_t failures;
};

/* An error of Redis as the store's failure; counted. Returns -1. */
static int fail(struct redis *R, const char *what, const char *detail, struct gr_err *err)
{
    atomic_fetch_add_explicit(&R->failures, 1, memory_order_relaxed);
    gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
            "The short-lived state store cannot be reached; try again shortly.");
    return gr_err_cause(err, "redis: %s: %s", what, detail);
}

/*
 * One command on `c`; NULL unless it answered something other than an error.
 * An EVALSHA names a script by its SHA-1, `script` being its text: a Redis
 * that has not seen it yet (restarted, or its scripts flushed) gets the text
 * with EVAL instead, which also caches it for the next EVALSHA.
 */
static redisReply *command(redisContext *c, int argc, const char **argv, const char *script,
                           char *why, size_t why_cap)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);

    if (script != NULL && r != NULL && r->type == REDIS_REPLY_ERROR &&
        strncmp(r->str, "NOSCRIPT", 8) == 0 && argc <= MAX_ARGS) {
        const char *again[MAX_ARGS];

        memcpy(again, argv, (size_t)argc * sizeof(*argv));
        again[0] = "EVAL";
        again[1] = script;
        freeReplyObject(r);
        r = redisCommandArgv(c, argc, again, NULL);
    }
    if (r == NULL) {
        snprintf(why, why_cap, "%s", c->errstr[0] ? c->errstr : "no answer");
    } else if (r->type == REDIS_REPLY_ERROR) {
        snprintf(why, why_cap, "%.*s", (int)r->len, r->str);
        freeReplyObject(r);
        r = NULL;
    }
    return r;
}

/* A new connection: connected, authenticated, on its database, with its timeouts. */
static redisContext *connect_one(const struct gr__redis_url *u, char *why, size_t why_cap)
{
    const struct timeval tv = { TIMEOUT_MS / 1000, (TIMEOUT_MS % 1000) * 1000 };
    redisContext *c = u->socket[0] ? redisConnectUnixWithTimeout(u->socket, tv)
                                   : redisConnectWithTimeout(u->host, u->port, tv);
    redisReply *r = NULL;
    char db[16];

    if (c == NULL || c->err) {
        snprintf(why, why_cap, "%s", c ? c->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(why, why_cap, "cannot set a timeout");
        goto fail;
    }
    if (u->password[0] != '\0') {
        const char *argv[] = { "AUTH", u->user, u->password };
        bool named = u->user[0] != '\0';

        r = command(c, named ? 3 : 2, named ? argv : (const char *[]){ "AUTH", u->password }, NULL,
                    why, why_cap);
        if (r == NULL)
            goto fail;
        freeReplyObject(r);
    }
    if (u->db != 0) {
        snprintf(db, sizeof(db), "%d", u->db);
        r = command(c, 2, (const char *[]){ "SELECT", db }, NULL, why, why_cap);
        if (r == NULL)
            goto fail;
        freeReplyObject(r);
    }
    return c;
fail:
    if (c != NULL)
        redisFree(c);
    return NULL;
}

/*
 * Run one command on a pooled connection. The answer, or NULL with `err`
 * (TEMPORARILY_UNAVAILABLE, counted). A connection whose I/O failed is
 * dropped, not returned. When it was an idle one from the pool (Redis may
 * have restarted since), the command is tried once more on a fresh
 * connection: should the first try have run and only its answer been lost,
 * the second finds the jti or token there, and refuses,
 * which fails closed.
 */
static redisReply *run(struct redis *R, const char *what, int argc, const char **argv,
                       const char *script, struct gr_err *err)
{
    char why[256] = "";
    void *idle = NULL;
    redisContext *c;
    redisReply *r;
    int got = gr__pool_take(&R->pool, &idle, err);

    if (got < 0) {
        atomic_fetch_add_explicit(&R->failures, 1, memory_order_relaxed);
        return NULL;
    }
    c = got == 1 ? idle : connect_one(&R->url, why, sizeof(why));
    if (c == NULL) {
        gr__pool_unmade(&R->pool);
        fail(R, "connecting", why, err);
        return NULL;
    }
    r = command(c, argc, argv, script, why, sizeof(why));
    if (c->err && got == 1) {
        redisFree(c);
        c = connect_one(&R->url, why, sizeof(why));
        r = c != NULL ? command(c, argc, argv, script, why, sizeof(why)) : NULL;
    }
    if (c == NULL || c->err) {
        if (c != NULL)
            redisFree(c);
        gr__pool_unmade(&R->pool);
    } else {
        gr__pool_give(&R->pool, c);
    }
    if (r == NULL)
        fail(R, what, why, err);
    return r;
}

/* A reply of an unexpected shape: SERVER_ERROR (the key holds something gramota did not put). */
static int odd(struct redis *R, redisReply *r, struct gr_err *err)
{
    freeReplyObject(r);
    atomic_fetch_add_explicit(&R->failures, 1, memory_order_relaxed);
    return gr_fail(err, GR_ERR_SERVER_ERROR, "The short-lived state store answered nonsense.");
}

/* "gramota:KIND:" and the base64url of `hash`. */
static void hash_key(const char *kind, const uint8_t hash[32], char out[KEY_MAX])
{
    int n = snprintf(out, KEY_MAX, "gramota:%s:", kind);

    gr_b64url_encode(hash, 32, out + n);
    out[n + (int)gr_b64url_len(32)] = '\0';
}

/* Seconds from now to `expires_at` as Redis's EX, at least TTL_FLOOR. */
static void ttl_of(int64_t expires_at, char out[24])
{
    int64_t left = expires_at - (int64_t)time(NULL);

    snprintf(out, 24, "%lld", (long long)(left > TTL_FLOOR ? left : TTL_FLOOR));
}

/* ---- access tokens ---- */

static int token_put(void *ctx, const struct gr_token *t, struct gr_err *err)
{
    struct redis *R = ctx;
    char key[KEY_MAX], ttl[24], jkt[48];
    json_t *v;
    char *text;
    redisReply *r;

    hash_key("token", t->hash, key);
    gr_b64url_encode(t->jkt, sizeof(t->jkt), jkt);
    jkt[gr_b64url_len(sizeof(t->jkt))] = '\0';
    v = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:s}", "offer", t->offer_id, "org", t->org_id,
                  "config", t->config_id, "dpop", t->dpop_bound, "jkt", t->dpop_bound ? jkt : "",
                  "exp", (json_int_t)t->expires_at, "client", t->client_id);
    text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (text == NULL)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "An access token could not be serialized.");
    ttl_of(t->expires_at, ttl);
    /* NX: a token hash taken already is DUPLICATE, as the databases' primary key says. */
    r = run(R, "token_put", 6, (const char *[]){ "SET", key, text, "EX", ttl, "NX" }, NULL, err);
    free(text);
    if (r == NULL)
        return -1;
    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        return gr_fail(err, GR_ERR_DUPLICATE, "This access token exists already.");
    }
    freeReplyObject(r);
    return 0;
}

/* Copy string member `name` of `v` into `dst` (cap with its NUL); false when absent or too long. */
static bool member(json_t *v, const char *name, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(v, name));
    size_t n = s ? strlen(s) : cap;

    if (n >= cap)
        return false;
    memcpy(dst, s, n + 1);
    return true;
}

static int token_get(void *ctx, const uint8_t hash[32], int64_t now, struct gr_token *out,
                     struct gr_err *err)
{
    struct redis *R = ctx;
    char key[KEY_MAX], jkt[48];
    json_t *v;
    redisReply *r;
    size_t n = 0;
    bool good;

    hash_key("token", hash, key);
    r = run(R, "token_get", 2, (const char *[]){ "GET", key }, NULL, err);
    if (r == NULL)
        return -1;
    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is unknown or expired.");
    }
    if (r->type != REDIS_REPLY_STRING)
        return odd(R, r, err);
    memset(out, 0, sizeof(*out));
    v = json_loadb(r->str, r->len, 0, NULL);
    good = json_is_object(v) && member(v, "offer", out->offer_id, sizeof(out->offer_id)) &&
           member(v, "org", out->org_id, sizeof(out->org_id)) &&
           member(v, "config", out->config_id, sizeof(out->config_id)) &&
           member(v, "client", out->client_id, sizeof(out->client_id)) &&
           member(v, "jkt", jkt, sizeof(jkt)) && json_is_boolean(json_object_get(v, "dpop")) &&
           json_is_integer(json_object_get(v, "exp"));
    if (good) {
        out->dpop_bound = json_is_true(json_object_get(v, "dpop"));
        out->expires_at = json_integer_value(json_object_get(v, "exp"));
        good = !out->dpop_bound ||
               (gr_b64url_decode(gr_str_c(jkt), out->jkt, sizeof(out->jkt), &n, err) == 0 &&
                n == sizeof(out->jkt));
    }
    json_decref(v);
    if (!good)
        return odd(R, r, err);
    freeReplyObject(r);
    memcpy(out->hash, hash, 32);
    if (out->expires_at <= now)
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is unknown or expired.");
    return 0;
}

/* ---- the jti replay set: DPoP jtis and spent c_nonces ---- */

/*
 * A jti seen before counts only while unexpired at the caller's now; 1:
 * added, 0: seen. (Redis keeps a key at least TTL_FLOOR, which may be past
 * the caller's expiry.)
 */
static const char jti_script[] = "local seen = redis.call('GET', KEYS[1]) "
                                 "if seen and tonumber(seen) > tonumber(ARGV[2]) then return 0 end "
                                 "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3]) "
                                 "return 1";

/* Added by SET NX when the jti is new, as nearly every one is; when not, the script decides. */
static int jti_add(void *ctx, const uint8_t hash[32], int64_t expires_at, int64_t now,
                   struct gr_err *err)
{
    struct redis *R = ctx;
    char key[KEY_MAX], ttl[24], exp[24], at[24];
    redisReply *r;
    bool added;

    hash_key("jti", hash, key);
    snprintf(exp, sizeof(exp), "%lld", (long long)expires_at);
    snprintf(at, sizeof(at), "%lld", (long long)now);
    ttl_of(expires_at, ttl);
    r = run(R, "jti_add", 6, (const char *[]){ "SET", key, exp, "EX", ttl, "NX" }, NULL, err);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL)
        return odd(R, r, err);
    added = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!added) {
        r = run(R, "jti_add", 7, (const char *[]){ "EVALSHA", R->jti_sha, "1", key, exp, at, ttl },
                jti_script, err);
        if (r == NULL)
            return -1;
        if (r->type != REDIS_REPLY_INTEGER)
            return odd(R, r, err);
        added = r->integer != 0;
        freeReplyObject(r);
    }
    if (!added)
        return gr_fail(err, GR_ERR_DUPLICATE, "The DPoP proof's jti has been used before.");
    return 0;
}

/* ---- rate limits ---- */

/*
 * rate.c's GCRA in one script, so that a take is atomic. Returns 0 when
 * allowed (and taken, with ARGV[4] = 1), else the milliseconds to wait.
 * The key lives until the bucket is full again.
 */
static const char rate_script[] =
    "local now, interval, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]) "
    "local full = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if full < now then full = now end "
    "local nxt = full + interval "
    "if nxt - now > limit then return nxt - now - limit end "
    "if ARGV[4] == '1' then redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', "
    "string.format('%d', nxt - now)) end "
    "return 0";

static int rate_look(struct redis *R, const char *name, int64_t burst, int64_t interval_ms,
                     int64_t now_ms, struct gr_rate *out, struct gr_err *err)
{
    redisReply *r = run(R, "rate_limit", 2, (const char *[]){ "GET", name }, NULL, err);
    long long full_at = 0;
    char *end = NULL;

    if (r == NULL)
        return -1;
    if (r->type == REDIS_REPLY_STRING) {
        errno = 0;
        full_at = strtoll(r->str, &end, 10);
        if (errno != 0 || end == r->str || *end != '\0' || full_at < 0)
            return odd(R, r, err);
    } else if (r->type != REDIS_REPLY_NIL) {
        return odd(R, r, err);
    }
    freeReplyObject(r);
    gr__rate_answer(full_at, now_ms, burst, interval_ms, out);
    return 0;
}

static int rate_limit(void *ctx, struct gr_str key, int64_t burst, int64_t interval_ms,
                      int64_t now_ms, bool take, struct gr_rate *out, struct gr_err *err)
{
    struct redis *R = ctx;
    char name[KEY_MAX + 16], now[24], interval[24], limit[24];
    redisReply *r;

    if (gr__rate_args(key, burst, interval_ms, err) < 0)
        return -1;
    snprintf(name, sizeof(name), "gramota:rate:%.*s", (int)key.len, key.p);
    if (!take) /* a look changes nothing: the bucket's instant, read, answers it */
        return rate_look(R, name, burst, interval_ms, now_ms, out, err);
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    snprintf(interval, sizeof(interval), "%lld", (long long)interval_ms);
    snprintf(limit, sizeof(limit), "%lld", (long long)(burst * interval_ms));
    r = run(R, "rate_limit", 8,
            (const char *[]){ "EVALSHA", R->rate_sha, "1", name, now, interval, limit, "1" },
            rate_script, err);
    if (r == NULL)
        return -1;
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0)
        return odd(R, r, err);
    *out = (struct gr_rate){ .allowed = r->integer == 0, .retry_after_ms = r->integer };
    freeReplyObject(r);
    return 0;
}

/* ---- what combines both ---- */

/* The keeper of a redemption's token (internal.h): Redis, and whether it took it. */
struct keeping {
    struct redis *R;
    bool kept;
};

static int keep_token(void *arg, const struct gr_token *token, struct gr_err *err)
{
    struct keeping *k = arg;

    if (token_put(k->R, token, err) < 0)
        return -1;
    k->kept = true;
    return 0;
}

/*
 * see store.h. The database redeems the code and, before it commits, hands
 * the token to Redis (gr__token_keeper): a code is never spent without its
 * token. If the COMMIT then fails, the token is deleted again; should that
 * fail too, the token is still unusable, as nobody ever learns it.
 */
static int offer_redeem(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash, int64_t now,
                        int max_tx_attempts, struct gr_token *token,
                        const struct gr_audit_event *granted, struct gr_offer *out,
                        struct gr_err *err)
{
    struct redis *R = ctx;
    struct keeping k = { .R = R };
    const struct gr__token_keeper keeper = { .keep = keep_token, .arg = &k };
    struct gr_err ignored;
    char key[KEY_MAX];
    redisReply *r;

    if (R->redeem(R->db.ctx, code_hash, tx_hash, now, max_tx_attempts, token,
                  token ? &keeper : NULL, granted, out, err) == 0)
        return 0;
    if (k.kept) {
        hash_key("token", token->hash, key);
        r = run(R, "token_del", 2, (const char *[]){ "DEL", key }, NULL, &ignored);
        if (r != NULL)
            freeReplyObject(r);
    }
    return -1;
}

static int ping(void *ctx, struct gr_err *err)
{
    struct redis *R = ctx;
    redisReply *r;

    if (R->db.ops->ping(R->db.ctx, err) < 0)
        return -1;
    r = run(R, "ping", 1, (const char *[]){ "PING" }, NULL, err);
    if (r == NULL)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Redis expires its keys itself; the database still has its own to sweep. */
static int sweep(void *ctx, int64_t now, int64_t token_lifetime, struct gr_err *err)
{
    struct redis *R = ctx;

    return R->db.ops->sweep(R->db.ctx, now, token_lifetime, err);
}

static void stats(void *ctx, struct gr_store_stats *out)
{
    struct redis *R = ctx;

    *out = (struct gr_store_stats){ 0 };
    if (R->db.ops->stats != NULL)
        R->db.ops->stats(R->db.ctx, out);
    out->redis_errors = atomic_load_explicit(&R->failures, memory_order_relaxed);
}

static void free_conn(void *c)
{
    redisFree(c);
}

static void close_both(void *ctx)
{
    struct redis *R = ctx;

    gr__pool_destroy(&R->pool, free_conn);
    gr_store_close(&R->db);
    OPENSSL_cleanse(&R->url, sizeof(R->url));
    free(R);
}

/* ---- the rest is the database's ---- */

#define DB(R) (((struct redis *)(R))->db)

static int org_create(void *ctx, const struct gr_org *org, const uint8_t api_key_hash[32],
                      struct gr_err *err)
{
    return DB(ctx).ops->org_create(DB(ctx).ctx, org, api_key_hash, err);
}
static int org_by_key(void *ctx, const uint8_t hash[32], struct gr_org *out, struct gr_err *err)
{
    return DB(ctx).ops->org_by_key(DB(ctx).ctx, hash, out, err);
}
static int org_by_name(void *ctx, struct gr_str name, struct gr_org *out, struct gr_err *err)
{
    return DB(ctx).ops->org_by_name(DB(ctx).ctx, name, out, err);
}
static int org_set_limits(void *ctx, struct gr_str org_id, int64_t rate, int64_t burst,
                          struct gr_err *err)
{
    return DB(ctx).ops->org_set_limits(DB(ctx).ctx, org_id, rate, burst, err);
}
static int offer_put(void *ctx, const struct gr_offer *offer, const struct gr_audit_event *created,
                     struct gr_err *err)
{
    return DB(ctx).ops->offer_put(DB(ctx).ctx, offer, created, err);
}
static int offer_get(void *ctx, struct gr_str org_id, struct gr_str offer_id, struct gr_offer *out,
                     struct gr_err *err)
{
    return DB(ctx).ops->offer_get(DB(ctx).ctx, org_id, offer_id, out, err);
}
static int offer_by_code(void *ctx, const uint8_t code_hash[32], int64_t now, struct gr_offer *out,
                         struct gr_err *err)
{
    return DB(ctx).ops->offer_by_code(DB(ctx).ctx, code_hash, now, out, err);
}
static int issued_add(void *ctx, const struct gr_issued *records, size_t count,
                      const struct gr_audit_event *events, size_t event_count, struct gr_err *err)
{
    return DB(ctx).ops->issued_add(DB(ctx).ctx, records, count, events, event_count, err);
}
static int issued_ids(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                      char (*ids)[GR_STORE_ID_LEN + 1], size_t max, size_t *count,
                      struct gr_err *err)
{
    return DB(ctx).ops->issued_ids(DB(ctx).ctx, org_id, offer_id, ids, max, count, err);
}
static int status_alloc(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                        struct gr_status_slot *out, struct gr_err *err)
{
    return DB(ctx).ops->status_alloc(DB(ctx).ctx, bits, size, count, now, out, err);
}
static int status_list_get(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                           struct gr_err *err)
{
    return DB(ctx).ops->status_list_get(DB(ctx).ctx, id, out, err);
}
static int credential_get(void *ctx, struct gr_str org_id, struct gr_str id,
                          struct gr_credential_rec *out, struct gr_err *err)
{
    return DB(ctx).ops->credential_get(DB(ctx).ctx, org_id, id, out, err);
}
static int credential_list(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                           struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                           size_t max, size_t *count, struct gr_err *err)
{
    return DB(ctx).ops->credential_list(DB(ctx).ctx, org_id, f, cursor, out, max, count, err);
}
static int credential_set_status(void *ctx, struct gr_str org_id, struct gr_str id,
                                 enum gr_cred_status status, int64_t now,
                                 struct gr_credential_rec *out, struct gr_err *err)
{
    return DB(ctx).ops->credential_set_status(DB(ctx).ctx, org_id, id, status, now, out, err);
}
static int audit_append(void *ctx, const struct gr_audit_event *ev, size_t count,
                        struct gr_err *err)
{
    return DB(ctx).ops->audit_append(DB(ctx).ctx, ev, count, err);
}
static int audit_verify(void *ctx, size_t *count, struct gr_err *err)
{
    return DB(ctx).ops->audit_verify(DB(ctx).ctx, count, err);
}
static int secret(void *ctx, const char *name, uint8_t out[32], struct gr_err *err)
{
    return DB(ctx).ops->secret(DB(ctx).ctx, name, out, err);
}

/* The keyring lives in the database: every process must see one active key. */
static int key_activate(void *ctx, const struct gr_signing_key *key, int64_t now,
                        struct gr_err *err)
{
    return DB(ctx).ops->key_activate(DB(ctx).ctx, key, now, err);
}
static int key_list(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out, size_t max,
                    size_t *count, struct gr_err *err)
{
    return DB(ctx).ops->key_list(DB(ctx).ctx, now, count_live, out, max, count, err);
}

static const struct gr_store_ops redis_ops = {
    .name = "redis",
    .org_create = org_create,
    .org_by_key = org_by_key,
    .org_by_name = org_by_name,
    .org_set_limits = org_set_limits,
    .offer_put = offer_put,
    .offer_get = offer_get,
    .offer_by_code = offer_by_code,
    .offer_redeem = offer_redeem,
    .token_put = token_put,
    .token_get = token_get,
    .jti_add = jti_add,
    .issued_add = issued_add,
    .issued_ids = issued_ids,
    .status_alloc = status_alloc,
    .status_list_get = status_list_get,
    .credential_get = credential_get,
    .credential_list = credential_list,
    .credential_set_status = credential_set_status,
    .audit_append = audit_append,
    .audit_verify = audit_verify,
    .key_activate = key_activate,
    .key_list = key_list,
    .secret = secret,
    .ping = ping,
    .sweep = sweep,
    .rate_limit = rate_limit,
    .stats = stats,
    .close = close_both,
};

/* The SHA-1 by which EVALSHA names `script`, in hex. */
static int script_sha(const char *script, char out[41], struct gr_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(script, strlen(script), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "SHA-1 is not available to name a Redis script.");
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
    return 0;
}

/* see store.h */
int gr_store_with_redis(struct gr_store *db, struct gr_str url, struct gr_store *out,
                        struct gr_err *err)
{
    struct redis *R = gr__xcalloc(1, sizeof(*R));
    redisContext *first;
    char why[256] = "";

    out->ops = NULL;
    out->ctx = NULL;
    if (db == NULL || (R->redeem = gr__store_redeem_keeping(db)) == NULL) {
        gr_fail(err, GR_ERR_USAGE,
                "Redis can hold the short-lived state of a SQLite or "
                "PostgreSQL store only.");
        goto fail;
    }
    if (gr__redis_url_parse(url, &R->url, err) < 0 || script_sha(jti_script, R->jti_sha, err) < 0 ||
        script_sha(rate_script, R->rate_sha, err) < 0)
        goto fail;
    /* The first connection now, so that a wrong address or password stops start-up. */
    first = connect_one(&R->url, why, sizeof(why));
    if (first == NULL) {
        gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "Redis cannot be reached.");
        if (R->url.socket[0])
            gr_err_cause(err, "redis %s: %s", R->url.socket, why);
        else
            gr_err_cause(err, "redis %s:%d: %s", R->url.host, R->url.port, why);
        goto fail;
    }
    gr__pool_init(&R->pool, TIMEOUT_MS, first);
    atomic_init(&R->failures, 0);
    R->db = *db;
    *db = (struct gr_store){ 0 };
    out->ops = &redis_ops;
    out->ctx = R;
    return 0;
fail:
    OPENSSL_cleanse(&R->url, sizeof(R->url));
    free(R);
    gr_store_close(db);
    return -1;
}

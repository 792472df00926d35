/*
 * The PKCS#11 signer ("pkcs11:" URIs, RFC 7512): ES256 with a P-256 key that
 * never leaves its token.
 *
 * The digest is computed here and the token signs the 32 bytes with
 * CKM_ECDSA, which answers the raw R || S a JWS wants. A session runs one
 * operation at a time, and the daemon signs from every worker thread, so
 * signs borrow a logged-in session from a small pool. A token error closes
 * the session that met it (and, for errors of the whole token, every idle
 * one); the next borrow opens a new one, finding the token, logging in and
 * finding the key again, since handles die with their sessions. Everything
 * the token refuses at signing time is TEMPORARILY_UNAVAILABLE: the request
 * may be tried again, and the daemon answers 503. Errors name the CK_RV and
 * the token label; never the PIN, a session or an object handle.
 */
#include "signer/pkcs11_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#define POOL_MAX        16  /* sessions; more than the daemon's threads on most machines */
#define BORROW_WAIT     5.0 /* seconds a sign waits for a free session */
#define CHECK_WAIT      1.0 /* the same for the readiness check, which must answer quickly */
#define RECONNECT_PAUSE 1.0 /* seconds after a failed reconnect during which signs fail at once */

enum sess_state { S_FREE, S_IDLE, S_BUSY };

struct sess {
    enum sess_state state;
    unsigned gen; /* p11.gen when opened: an older one predates a token error */
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE key; /* the private key as this session sees it */
};

struct p11 {
    struct gr__p11_module *m;
    CK_FUNCTION_LIST *f;
    struct gr__p11_uri uri;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    struct sess pool[POOL_MAX];
    unsigned gen;
    bool connecting;      /* one thread at a time opens a session */
    double failed_at;     /* monotonic time of the last failed reconnect, 0 after a good one */
    struct gr_err failed; /* and why, repeated while RECONNECT_PAUSE lasts */
};

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The token itself is gone or broken: no session of it is worth keeping. */
static bool token_gone(CK_RV rv)
{
    return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR ||
           rv == CKR_DEVICE_MEMORY || rv == CKR_GENERAL_ERROR ||
           rv == CKR_CRYPTOKI_NOT_INITIALIZED || rv == CKR_TOKEN_NOT_RECOGNIZED;
}

/* Only this session (or its handles) is stale: a fresh one may well work. */
static bool session_gone(CK_RV rv)
{
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
           rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_KEY_HANDLE_INVALID ||
           rv == CKR_OBJECT_HANDLE_INVALID;
}

/* A logged-in session and its key handle, into `s` (called without the lock). */
static int connect_session(struct p11 *p, struct sess *s, struct gr_err *err)
{
    if (gr__p11_open(p->m, &p->uri, false, &s->h, err) < 0)
        return -1;
    if (gr__p11_find(p->m, s->h, &p->uri, CKO_PRIVATE_KEY, &s->key, err) < 0) {
        p->f->C_CloseSession(s->h);
        return -1;
    }
    return 0;
}

/* Close idle sessions opened before the last token error (lock held). */
static void drop_stale(struct p11 *p)
{
    for (size_t i = 0; i < POOL_MAX; i++) {
        if (p->pool[i].state == S_IDLE && p->pool[i].gen != p->gen) {
            p->f->C_CloseSession(p->pool[i].h);
            p->pool[i].state = S_FREE;
        }
    }
}

/* No session of ours is open or being used, but the one slot `except`. */
static bool pool_empty(const struct p11 *p, size_t except)
{
    for (size_t i = 0; i < POOL_MAX; i++) {
        if (i != except && p->pool[i].state != S_FREE)
            return false;
    }
    return true;
}

/*
 * Take a free slot and open a session in it (lock held on entry and exit,
 * released meanwhile). A token still missing with none of our sessions open
 * may be one the module lost track of: SoftHSM2, like modules that enumerate
 * tokens only in C_Initialize, never sees a token again once its files were
 * gone; re-initialising the module (when we are its only user) lets it look.
 */
static int reconnect(struct p11 *p, size_t i, struct gr_err *err)
{
    struct sess *s = &p->pool[i];
    int rc;

    if (p->failed_at > 0 && mono() - p->failed_at < RECONNECT_PAUSE) {
        *err = p->failed; /* it failed a moment ago: fail fast, do not queue on the token */
        return -1;
    }
    s->state = S_BUSY;
    s->gen = p->gen;
    p->connecting = true;
    pthread_mutex_unlock(&p->lock);
    rc = connect_session(p, s, err);
    pthread_mutex_lock(&p->lock);
    if (rc < 0 && err->code == GR_ERR_NOT_FOUND && p->failed_at > 0 && pool_empty(p, i) &&
        gr__p11_module_reinit(p->m) == 0) {
        pthread_mutex_unlock(&p->lock);
        rc = connect_session(p, s, err);
        pthread_mutex_lock(&p->lock);
    }
    p->connecting = false;
    if (rc < 0) {
        s->state = S_FREE;
        p->failed_at = mono();
        p->failed = *err;
        pthread_cond_broadcast(&p->freed); /* waiters may take the free slot and fail fast */
        return -1;
    }
    p->failed_at = 0;
    return 0;
}

/* Borrow a logged-in session for one operation, waiting at most `wait` seconds. */
static int borrow(struct p11 *p, double wait, size_t *out, struct gr_err *err)
{
    double deadline = mono() + wait;
    struct timespec ts;
    int rc = -1;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        size_t free_slot = POOL_MAX;

        drop_stale(p);
        for (size_t i = 0; i < POOL_MAX; i++) {
            if (p->pool[i].state == S_IDLE) {
                p->pool[i].state = S_BUSY;
                *out = i;
                rc = 0;
                goto out;
            }
            if (p->pool[i].state == S_FREE && free_slot == POOL_MAX)
                free_slot = i;
        }
        if (free_slot < POOL_MAX && !p->connecting) {
            if (reconnect(p, free_slot, err) == 0) {
                *out = free_slot;
                rc = 0;
            }
            goto out;
        }
        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
        if (pthread_cond_timedwait(&p->freed, &p->lock, &ts) == ETIMEDOUT) {
            gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
                    "Every PKCS#11 session is busy; try again later.");
            gr_err_cause(err, "token %s: %d sessions busy for %.0f s", p->uri.token, POOL_MAX,
                         wait);
            goto out;
        }
    }
out:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* Hand a session back; one that met an error is closed, with every idle one if the token did. */
static void give_back(struct p11 *p, size_t i, CK_RV rv)
{
    struct sess *s = &p->pool[i];

    pthread_mutex_lock(&p->lock);
    if (rv == CKR_OK) {
        s->state = S_IDLE;
    } else {
        /* A failed C_Sign ends the operation, but the session's state is not worth trusting. */
        p->f->C_CloseSession(s->h);
        s->state = S_FREE;
        if (token_gone(rv))
            p->gen++;
    }
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

static CK_RV sign_digest(struct p11 *p, const struct sess *s, const uint8_t digest[32],
                         uint8_t sig[64])
{
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_ULONG len = 64;
    CK_RV rv;

    if ((rv = p->f->C_SignInit(s->h, &mech, s->key)) != CKR_OK)
        return rv;
    /* PKCS#11 §2.3.1 (ECDSA): the signature is r || s, each the length of the order. */
    if ((rv = p->f->C_Sign(s->h, (CK_BYTE *)digest, 32, sig, &len)) != CKR_OK)
        return rv;
    return len == 64 ? CKR_OK : CKR_FUNCTION_FAILED;
}

/* Sign `digest`, trying a fresh session once when the borrowed one had gone stale. */
static int sign_hash(struct p11 *p, const uint8_t digest[32], uint8_t sig[64], double wait,
                     struct gr_err *err)
{
    CK_RV rv = CKR_OK;
    size_t i;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (borrow(p, wait, &i, err) < 0)
            return -1;
        rv = sign_digest(p, &p->pool[i], digest, sig);
        give_back(p, i, rv);
        if (rv == CKR_OK)
            return 0;
        if (!session_gone(rv))
            break;
    }
    return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, &p->uri, "C_Sign", rv,
                        "The signing key's token is unavailable; try again later.");
}

static int p11_sign(void *ctx, struct gr_str input, uint8_t sig[64], struct gr_err *err)
{
    uint8_t digest[32];

    gr_sha256(input.p, input.len, digest);
    if (sign_hash(ctx, digest, sig, BORROW_WAIT, err) < 0)
        return gr_err_recode(err, GR_ERR_TEMPORARILY_UNAVAILABLE); /* a wrong PIN, a lost key too */
    return 0;
}

/*
 * Ready: a session answers C_GetSessionInfo and the key signs. A signature
 * costs the token a millisecond or so and is the one thing we need of it.
 */
static int p11_check(void *ctx, struct gr_err *err)
{
    static const uint8_t probe[32] = { 0 };
    struct p11 *p = ctx;
    CK_SESSION_INFO info;
    uint8_t sig[64];
    size_t i;
    CK_RV rv;

    if (borrow(p, CHECK_WAIT, &i, err) < 0)
        return gr_err_recode(err, GR_ERR_TEMPORARILY_UNAVAILABLE);
    rv = p->f->C_GetSessionInfo(p->pool[i].h, &info);
    give_back(p, i, rv);
    if (rv != CKR_OK)
        return gr__p11_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, &p->uri, "C_GetSessionInfo", rv,
                            "The signing key's token is unavailable.");
    if (sign_hash(p, probe, sig, CHECK_WAIT, err) < 0)
        return gr_err_recode(err, GR_ERR_TEMPORARILY_UNAVAILABLE);
    return 0;
}

static void p11_free(void *ctx)
{
    struct p11 *p = ctx;

    if (p == NULL)
        return;
    for (size_t i = 0; i < POOL_MAX; i++) {
        if (p->pool[i].state != S_FREE)
            p->f->C_CloseSession(p->pool[i].h);
    }
    gr__p11_module_put(p->m);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static const struct gr_signer_ops p11_ops = {
    .name = "pkcs11",
    .sign = p11_sign,
    .free = p11_free,
    .check = p11_check,
};

/* The public key object of the pair, checked against the private key by one signature. */
static struct gr_jwk *public_key(struct p11 *p, struct gr_err *err)
{
#define PROBE "gramota: does the public key match the private one?"
    struct gr_jwk *pub = NULL;
    uint8_t sig[64];
    size_t i;

    if (borrow(p, BORROW_WAIT, &i, err) < 0)
        return NULL;
    pub = gr__p11_public_key(p->m, p->pool[i].h, &p->uri, err);
    give_back(p, i, pub ? CKR_OK : CKR_GENERAL_ERROR);
    if (pub == NULL || p11_sign(p, GR_STR(PROBE), sig, err) < 0)
        goto fail;
    if (gr_es256_verify(pub, GR_STR(PROBE), sig, err) < 0) {
        gr_fail(err, GR_ERR_BAD_KEY, "The PKCS#11 public key does not match the private key.");
        goto fail;
    }
    return pub;
fail:
    gr_jwk_free(pub);
    return NULL;
}

/* see pkcs11_internal.h */
struct gr_signer *gr__signer_pkcs11_new(struct gr_str uri, struct gr_str chain_pem,
                                        struct gr_err *err)
{
    struct p11 *p = gr__xcalloc(1, sizeof(*p));
    pthread_condattr_t ca;
    struct gr_jwk *pub;
    size_t i;

    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines from mono() */
    pthread_cond_init(&p->freed, &ca);
    pthread_condattr_destroy(&ca);
    if (gr__p11_uri_parse(uri, true, &p->uri, err) < 0 ||
        gr__p11_module_resolve(&p->uri, err) < 0 ||
        (p->m = gr__p11_module_get(p->uri.module_path, err)) == NULL)
        goto fail;
    p->f = gr__p11_funcs(p->m);
    /* The first session keeps the codes of what went wrong: a wrong PIN is not "try later". */
    if (borrow(p, BORROW_WAIT, &i, err) < 0)
        goto fail;
    give_back(p, i, CKR_OK);
    if ((pub = public_key(p, err)) == NULL)
        goto fail;
    return gr_signer_new_custom(&p11_ops, p, pub, chain_pem, err);
fail:
    p11_free(p);
    return NULL;
}

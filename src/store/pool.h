/*
 * The pool every store backend lends its connections from, one thread at a
 * time: at most GR__POOL_MAX exist; a thread waits up to `wait_ms` for one to
 * come back, then gets TEMPORARILY_UNAVAILABLE (503). What a connection is,
 * and how to make or free one, only the backend knows.
 */
#ifndef GRAMOTA_STORE_POOL_H
#define GRAMOTA_STORE_POOL_H

#include <pthread.h>
#include <stdatomic.h>

#include <gramota/err.h>

/* Connections per store: the server's worker threads, with room to spare. */
#define GR__POOL_MAX 16

struct gr__pool {
    pthread_mutex_t lock;
    pthread_cond_t returned; /* signalled when a connection comes back or a slot frees */
    void *idle[GR__POOL_MAX];
    int nidle;
    int made; /* connections that exist, idle or lent */
    int wait_ms;
    /* Calls failed by the database (or by waiting for a connection), for gr_store_stats. */
    atomic_uint_least64_t failures;
};

/* A pool holding `first` (made by the caller, counted as made), idle. */
void gr__pool_init(struct gr__pool *p, int wait_ms, void *first);
/*
 * 1: an idle connection in *out. 0: none idle, but room for one: the caller
 * makes it, and calls gr__pool_unmade() if that fails. -1: every connection
 * is lent and none came back in time (TEMPORARILY_UNAVAILABLE).
 */
int gr__pool_take(struct gr__pool *p, void **out, struct gr_err *err);
void gr__pool_unmade(struct gr__pool *p);
void gr__pool_give(struct gr__pool *p, void *conn);
/* Count a failure of the database: lost, unreachable, busy past its wait, or answering nonsense. */
void gr__pool_failed(atomic_uint_least64_t *failures);
/* free_conn() on every idle connection (all of them: closing a store in use is a bug). */
void gr__pool_destroy(struct gr__pool *p, void (*free_conn)(void *conn));

#endif

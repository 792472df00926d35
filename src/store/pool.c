/* The store's connection pool (pool.h). */
#include "store/pool.h"

#include <time.h>

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* see pool.h */
void gr__pool_init(struct gr__pool *p, int wait_ms, void *first)
{
    pthread_condattr_t attr;

    pthread_mutex_init(&p->lock, NULL);
    /* A monotonic clock for the wait, so that a clock step does not cut it short or stretch it. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->returned, &attr);
    pthread_condattr_destroy(&attr);
    p->idle[0] = first;
    p->nidle = 1;
    p->made = 1;
    atomic_init(&p->failures, 0);
    p->wait_ms = wait_ms;
}

/* see pool.h */
int gr__pool_take(struct gr__pool *p, void **out, struct gr_err *err)
{
    struct timespec deadline;
    int rc = 0;

    *out = NULL;
    deadline_in(&deadline, p->wait_ms);
    pthread_mutex_lock(&p->lock);
    while (p->nidle == 0 && p->made >= GR__POOL_MAX && rc == 0)
        rc = pthread_cond_timedwait(&p->returned, &p->lock, &deadline);
    if (p->nidle > 0) {
        *out = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        return 1;
    }
    if (p->made >= GR__POOL_MAX) {
        pthread_mutex_unlock(&p->lock);
        gr__pool_failed(&p->failures);
        return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE,
                       "Every database connection is busy; try again shortly.");
    }
    p->made++; /* counted before the caller makes it, so that the cap holds meanwhile */
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* see pool.h */
void gr__pool_failed(atomic_uint_least64_t *failures)
{
    if (failures != NULL)
        atomic_fetch_add_explicit(failures, 1, memory_order_relaxed);
}

/* see pool.h: a connection that could not be made is a failure too. */
void gr__pool_unmade(struct gr__pool *p)
{
    gr__pool_failed(&p->failures);
    pthread_mutex_lock(&p->lock);
    p->made--;
    pthread_cond_signal(&p->returned);
    pthread_mutex_unlock(&p->lock);
}

/* see pool.h */
void gr__pool_give(struct gr__pool *p, void *conn)
{
    pthread_mutex_lock(&p->lock);
    p->idle[p->nidle++] = conn; /* nidle < made <= GR__POOL_MAX: it was lent */
    pthread_cond_signal(&p->returned);
    pthread_mutex_unlock(&p->lock);
}

/* see pool.h */
void gr__pool_destroy(struct gr__pool *p, void (*free_conn)(void *conn))
{
    while (p->nidle > 0)
        free_conn(p->idle[--p->nidle]);
    pthread_cond_destroy(&p->returned);
    pthread_mutex_destroy(&p->lock);
}

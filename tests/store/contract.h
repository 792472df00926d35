#ifndef GR_TESTS_STORE_CONTRACT_H
#define GR_TESTS_STORE_CONTRACT_H

/*
 * The store contract's harness (contract.c), shared by the files that hold
 * its cases (test_store.c, test_store_records.c): the backends each case
 * runs against, a fresh store per case with two organizations, the helpers
 * the cases share, and real threads racing for one single-use thing.
 *
 * The PostgreSQL row runs when GR_TEST_PG holds the libpq conninfo of a
 * server (tests/store/test_pg.sh starts a private one): each case gets a
 * database of its own there, made from the conninfo's maintenance database.
 * The PostgreSQL + Redis row runs when GR_TEST_REDIS_URL names a Redis too
 * (test_pg.sh starts one): the same store with its short-lived state in
 * Redis, emptied before each case.
 */

#include "testutil.h"

#include <pthread.h>

#include <gramota/store.h>

#define NOW     1764000000
#define MAX_TX  3  /* wrong transaction codes before an offer dies */
#define RACERS  20 /* threads racing for one single-use thing */
#define SUBJECT "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\"}"
#define SEALED  "\x01sealed\x00url\xff"

struct backend {
    const char *name;
    /* Write the URL of a fresh store kept in the empty directory `dir`. */
    void (*url)(const char *dir, char *out, size_t cap);
    bool redis;            /* short-lived state in Redis, at the URL in ... */
    const char *redis_env; /* ... this environment variable */
};

struct fixture {
    char dir[64];
    char url[256];
    struct gr_store s;
    struct gr_org org, other; /* two organizations, made by setup */
};

#define OPS(f) ((f)->s.ops)
#define CTX(f) ((f)->s.ctx)

#define RACE_SLOTS 4 /* status entries each racer takes */

struct race {
    struct fixture *f;
    struct gr_status_slot slots[RACERS][RACE_SLOTS];
    pthread_barrier_t start;
    enum gr_errc code[RACERS];
    char desc[RACERS][128];
    uint8_t secret[RACERS][32];
    int (*op)(struct race *r, int i, struct gr_err *err);
};

struct racer {
    struct race *r;
    int i;
};

/* The backend the running group tests. */
extern const struct backend *backend;

enum gr_errc code_of(int rc, const struct gr_err *err);
void hash(const char *s, uint8_t out[32]);
void open_store(const char *url, struct gr_store *s);
void make_org(struct fixture *f, const char *id, const char *name, const char *key,
              struct gr_org *org);
int setup(void **state);
int teardown(void **state);
void offer_init(struct gr_offer *o, const struct gr_org *org, const char *id, const char *tx,
                int64_t exp);
void put_offer(struct fixture *f, const struct gr_org *org, const char *id, const char *tx,
               int64_t exp);
enum gr_errc redeem(struct fixture *f, const char *id, const char *tx, int64_t now,
                    struct gr_offer *out);
enum gr_errc get_offer(struct fixture *f, const char *org_id, const char *id, struct gr_offer *out);
int run_race(struct race *r);
void assert_losers(const struct race *r, enum gr_errc want);
void token_init(struct gr_token *t, const char *token, bool dpop, int64_t exp);
void issued_init(struct gr_issued *r, const char *id);
bool same_slot(const struct gr_status_slot *a, const struct gr_status_slot *b);
enum gr_errc jti(struct fixture *f, const char *id, int64_t exp, int64_t now);
/*
 * The audit trail as the database holds it: the number of events, and the
 * kind, org_id, offer_id and detail of the last one in *out (empty when none).
 */
size_t audit_last(struct fixture *f, struct gr_audit_event *out);
/* Run `command` (answered with a status: FLUSHDB, SCRIPT FLUSH) on the Redis of GR_TEST_REDIS_URL.
 */
void redis_command(const char *command);

/* Run `cases` against every backend the environment offers; the failures. */
int contract_run(const struct CMUnitTest *cases, size_t n);

#endif

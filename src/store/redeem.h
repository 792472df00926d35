#ifndef GR_STORE_REDEEM_H
#define GR_STORE_REDEEM_H

/*
 * A redemption whose token is kept outside the database: what the Redis
 * store (redis.c) asks of the database store it wraps.
 */

#include <gramota/store.h>

/*
 * Somewhere other than the database to keep a redemption's access token
 * (redis.c): `keep` is called once the code is redeemed and before the
 * redemption commits, with the token's offer_id, org_id and config_id
 * filled in. Its failure rolls the redemption back, so that a code is still
 * never spent without its token, and the COMMIT's failure after it is the
 * caller's to undo (the token was never handed out).
 */
struct gr__token_keeper {
    int (*keep)(void *arg, const struct gr_token *token, struct gr_err *err);
    void *arg;
};

/* A database's offer_redeem (store.h) that keeps `token` with `keeper` when one is given. */
typedef int gr__redeem_fn(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash,
                          int64_t now, int max_tx_attempts, struct gr_token *token,
                          const struct gr__token_keeper *keeper,
                          const struct gr_audit_event *granted, struct gr_offer *out,
                          struct gr_err *err);
/* The redemption of database store `db` that takes a keeper; NULL for any other store. */
gr__redeem_fn *gr__store_redeem_keeping(const struct gr_store *db);

#endif

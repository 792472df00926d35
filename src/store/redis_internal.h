#ifndef GR_STORE_REDIS_INTERNAL_H
#define GR_STORE_REDIS_INTERNAL_H

/*
 * The Redis layer of the store (redis.c): the short-lived state of a
 * database store kept in Redis instead. What its files share.
 */

#include <gramota/store.h>

#include "core/internal.h"

struct gr__redis_url {
    char host[256];   /* "" for a Unix socket */
    char socket[108]; /* a Unix socket's path (sun_path's size); "" for TCP */
    int port;
    char user[128]; /* "" for none: AUTH with the password alone */
    char password[256];
    int db;
};

/* Parse a redis:// or unix:// URL (redis_url.c). Code: USAGE, naming what is wrong. */
int gr__redis_url_parse(struct gr_str url, struct gr__redis_url *out, struct gr_err *err);

#endif

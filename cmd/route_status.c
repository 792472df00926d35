/*
 * GET /status-lists/{id}: the Status List Token (TSL §5.1, §8). A token is
 * signed when its list changed (the store's version moved) or when the one
 * in the cache is an hour old, not on every request; the cache is the one
 * piece of state that changes while serving, behind its own lock.
 */
#include "server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/status.h>

#include "cmd.h"

#define TOKEN_TTL 300 /* seconds a relying party may cache a token: the bound on a change */
#define TOKEN_LIFETIME                                                          \
    STATUS_TOKEN_LIFETIME  /* exp; keys.c keeps a retired key published as long \
                            */
#define TOKEN_REFRESH 3600 /* re-sign an unchanged list after an hour, long before exp */
#define CACHE_SLOTS   32

struct cached {
    char id[GR_STORE_ID_LEN + 1];
    int64_t version;
    int64_t iat;
    const struct gr_signer *signer; /* a token of a key since rotated out is signed again */
    char *token;
    size_t len;
};

struct status_cache {
    pthread_mutex_t lock;
    struct cached slot[CACHE_SLOTS];
    size_t next; /* the slot to reuse next, round robin */
};

/* see server.h */
struct status_cache *status_cache_new(void)
{
    struct status_cache *c = cmd_xcalloc(1, sizeof(*c));

    pthread_mutex_init(&c->lock, NULL);
    return c;
}

/* see server.h */
void status_cache_free(struct status_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(c->slot[i].token);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Copy a fresh enough token for (id, version) into `out`; false when there is none. */
static bool cache_get(struct status_cache *c, const struct gr_status_list_rec *rec,
                      const struct gr_signer *signer, int64_t now, struct gr_buf *out)
{
    bool hit = false;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < CACHE_SLOTS && !hit; i++) {
        const struct cached *e = &c->slot[i];

        if (e->token && strcmp(e->id, rec->id) == 0 && e->version == rec->version &&
            e->signer == signer && now - e->iat < TOKEN_REFRESH) {
            gr_buf_add(out, e->token, e->len);
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void cache_put(struct status_cache *c, const struct gr_status_list_rec *rec,
                      const struct gr_signer *signer, int64_t iat, struct gr_str token)
{
    struct cached *e = NULL;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < CACHE_SLOTS && e == NULL; i++) {
        if (c->slot[i].token && strcmp(c->slot[i].id, rec->id) == 0)
            e = &c->slot[i];
    }
    if (e == NULL) {
        e = &c->slot[c->next];
        c->next = (c->next + 1) % CACHE_SLOTS;
    }
    /* A token made from an older version never replaces a newer one. */
    if (e->token == NULL || strcmp(e->id, rec->id) != 0 || e->version <= rec->version) {
        free(e->token);
        memcpy(e->id, rec->id, sizeof(e->id));
        e->version = rec->version;
        e->iat = iat;
        e->signer = signer;
        e->token = cmd_xstrndup(token.p, token.len);
        e->len = token.len;
    }
    pthread_mutex_unlock(&c->lock);
}

static int make_token(const struct req *r, const struct gr_status_list_rec *rec,
                      const struct gr_signer *signer, struct gr_buf *out, struct gr_err *err)
{
    const struct server *s = r->srv;
    struct gr_status_list *list =
        gr_status_list_new_bytes(rec->bits, rec->statuses, rec->statuses_len, err);
    struct gr_buf uri;
    int rc;

    if (list == NULL)
        return -1;
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    gr_buf_printf(&uri, "%.*s/status-lists/%s", (int)s->issuer_url.len, s->issuer_url.p, rec->id);
    rc = gr_status_list_token(list, gr_buf_str(&uri), s->issuer_url, r->now,
                              r->now + TOKEN_LIFETIME, TOKEN_TTL, signer, out, err);
    gr_buf_release(&uri);
    gr_status_list_free(list);
    return rc;
}

/* see server.h */
void route_status_list(struct req *r, struct gr_str id)
{
    const struct server *s = r->srv;
    const struct gr_signer *signer = server_signer(s); /* the active key, read once */
    struct gr_status_list_rec rec;
    struct gr_err err;
    char max_age[48];

    memset(&rec, 0, sizeof(rec));
    /* TSL §8.4: history is not kept, for the holders' privacy; 501 says so. */
    if (MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "time")) {
        gr_fail(&err, GR_ERR_INVALID_REQUEST,
                "This issuer does not serve status lists of the past.");
        req_error(r, &err);
        r->status = 501;
        return;
    }
    if (s->store.ops->status_list_get(s->store.ctx, id, &rec, &err) < 0) {
        req_error(r, &err);
        return;
    }
    if (!cache_get(s->status_cache, &rec, signer, r->now, &r->out)) {
        if (make_token(r, &rec, signer, &r->out, &err) < 0) {
            gr_buf_reset(&r->out);
            req_error(r, &err);
            gr_status_list_rec_release(&rec);
            return;
        }
        cache_put(s->status_cache, &rec, signer, r->now, gr_buf_str(&r->out));
    }
    r->status = 200;
    r->content_type = "application/statuslist+jwt";
    snprintf(max_age, sizeof(max_age), "public, max-age=%d", TOKEN_TTL); /* agrees with ttl */
    req_add_header(r, "Cache-Control", max_age);
    req_add_header(r, "Access-Control-Allow-Origin", "*");
    gr_status_list_rec_release(&rec);
}

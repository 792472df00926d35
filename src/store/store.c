/* Opening a store by URL (store.h): the one place that knows which backends exist. */
#include "store/internal.h"
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static bool has_prefix(struct gr_str s, const char *prefix)
{
    size_t n = strlen(prefix);

    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/* see store.h */
int gr_store_open(struct gr_str url, struct gr_store *out, struct gr_err *err)
{
    static const char sqlite[] = "sqlite:";
    char *path;
    int rc;

    out->ops = NULL;
    out->ctx = NULL;
    /* A PostgreSQL URL is handed to libpq whole: it reads the URI form itself. */
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://")) {
        if (memchr(url.p, '\0', url.len) != NULL)
            return gr_fail(err, GR_ERR_USAGE, "The store URL cannot be parsed.");
        path = gr__xstrndup(url.p, url.len);
        rc = gr__pg_open(path, out, err);
        OPENSSL_cleanse(path, url.len); /* it may hold a password */
        free(path);
        return rc;
    }
    if (!has_prefix(url, sqlite))
        return gr_fail(err, GR_ERR_USAGE,
                       "The store URL must start with sqlite: followed by a path.");
    url.p += sizeof(sqlite) - 1;
    url.len -= sizeof(sqlite) - 1;
    if (url.len == 0 || memchr(url.p, '\0', url.len) != NULL)
        return gr_fail(err, GR_ERR_USAGE, "The store URL needs a file path after sqlite:.");
    path = gr__xstrndup(url.p, url.len);
    rc = gr__store_sqlite_open(path, out, err);
    free(path);
    return rc;
}

/* see store.h */
void gr_store_close(struct gr_store *store)
{
    if (store == NULL || store->ops == NULL)
        return;
    store->ops->close(store->ctx);
    store->ops = NULL;
    store->ctx = NULL;
}

/* see internal.h */
gr__redeem_fn *gr__store_redeem_keeping(const struct gr_store *db)
{
    if (db->ops == &gr__store_sqlite_ops)
        return gr__store_offer_redeem_keeping;
    if (db->ops == &gr__pg_ops)
        return gr__pg_offer_redeem_keeping;
    return NULL;
}

/* see store.h */
void gr_offer_release(struct gr_offer *offer)
{
    if (offer == NULL)
        return;
    free(offer->subject_json);
    free(offer->disclosable_json);
    free(offer->sealed_url);
    offer->subject_json = NULL;
    offer->disclosable_json = NULL;
    offer->sealed_url = NULL;
    offer->sealed_url_len = 0;
}

/* see store.h */
void gr_status_list_rec_release(struct gr_status_list_rec *rec)
{
    if (rec == NULL)
        return;
    free(rec->statuses);
    rec->statuses = NULL;
    rec->statuses_len = 0;
}

#ifndef GR_CMD_SERVER_H
#define GR_CMD_SERVER_H

/*
 * gramota serve: the settings, the start-up state every request reads, and
 * one request's life. Start-up state is built once before the first
 * connection and never written while serving (STYLE §3.1), but for one
 * pointer: the keyset of keys.c, swapped whole when the keys rotate.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include <gramota/gramota.h>
#include <gramota/metadata.h>
#include <gramota/oid4vci.h>
#include <gramota/store.h>
#include <gramota/x5c.h>

#include "metrics.h"
#include "settings.h"

struct server {
    struct settings set;
    struct gr_str issuer_url;
    struct gr_str issuer_path; /* the path part of the issuer URL, "" or "/tenant" */
    struct gr_store store;
    struct gr_signer *signer;      /* the configured key; what signs is server_signer()'s */
    _Atomic(struct keyset *) keys; /* the keys signing and published, swapped whole (keys.c) */
    struct gr_cred_types *types;
    struct gr_issuer_settings meta;                  /* what the documents are built from */
    struct gr_buf issuer_meta, as_meta, jwt_vc_meta; /* served as they are */
    uint8_t dpop_secret[32];                         /* server nonces, shared through the store */
    uint8_t c_nonce_secret[32];                      /* c_nonces (nonce.h), likewise */
    struct gr_trust *wallet_providers;               /* NULL: no attestation is trusted */
    bool quiet;
    atomic_uint *in_flight;            /* requests begun and not yet completed (for a clean stop) */
    struct status_cache *status_cache; /* signed status list tokens (route_status.c) */
    struct metrics *metrics;           /* counters written by any request thread (metrics.h) */
};

#define REQ_MAX_HEADERS 8

/* One request, from the first access-handler call to MHD's completion callback. */
struct req {
    const struct server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;   /* as received, without the query */
    const char *route;  /* the matched route's name, for the log */
    struct gr_buf body; /* capped at GR_MAX_BODY */
    bool too_large;
    int64_t now;    /* wall clock, seconds */
    double started; /* monotonic, seconds */
    /* the answer */
    unsigned status;
    struct gr_buf out;
    const char *content_type;
    const char *hdr_name[REQ_MAX_HEADERS];
    char *hdr_value[REQ_MAX_HEADERS];
    size_t nhdr;
    char log_ids[96];  /* ids worth a log line (org, offer), never a secret */
    const char *error; /* the error code sent, for the log */
};

/* http.c: a listening socket for HOST:PORT; `bound` gets the address bound ("127.0.0.1:8080"). */
int http_listen(const char *listen_on, char *bound, size_t bound_size, struct gr_err *err);
/* Serve on `fd` (taken) with a worker pool. */
int http_start(struct server *srv, int fd, struct MHD_Daemon **out, struct gr_err *err);
/* Stop accepting connections; those open go on. */
void http_quiesce(struct MHD_Daemon *d);
/* Requests begun and not completed. */
unsigned http_in_flight(const struct server *srv);
void http_stop(struct MHD_Daemon *d);
/* The monotonic clock r->started is read from, in seconds. */
double http_clock(void);
/* The value of request header `name` (case-insensitive); NULL when absent. */
const char *req_header(const struct req *r, const char *name);
/* How many times header `name` came. */
unsigned req_header_count(const struct req *r, const char *name);
void req_add_header(struct req *r, const char *name, const char *value);
/* Answer `status` with the JSON in r->out. */
void req_json(struct req *r, unsigned status);
/* Answer the error in `err` as {"error","error_description"}, with its status. */
void req_error(struct req *r, const struct gr_err *err);
/*
 * Answer a protected resource's token error (RFC 6750 §3, RFC 9449 §7.1):
 * 401 and WWW-Authenticate with the scheme, the error, and the algorithms.
 */
void req_token_error(struct req *r, const struct gr_err *err, bool dpop);
/* The request's body as a view. */
struct gr_str req_body(const struct req *r);
/* Does Content-Type name `type` (parameters ignored)? */
bool req_content_type_is(const struct req *r, const char *type);

/* route_*.c: each answers one kind of request */
void route_wellknown(struct req *r, const struct gr_buf *doc);
/* The issuer metadata, signed, for Accept: application/jwt (OID4VCI §12.2.3). */
void route_issuer_metadata_signed(struct req *r);
/* /healthz and /readyz (r->route says which); /readyz asks the store too. */
void route_health(struct req *r);
/* /metrics: the counters of s->metrics and the store's, in Prometheus text format. */
void route_metrics(struct req *r);
/* routes.c: every route name r->route may take, `*n` of them (static). */
const char *const *routes_names(size_t *n);
void route_token(struct req *r);
void route_nonce(struct req *r);
void route_credential(struct req *r);
void route_offer_by_reference(struct req *r, struct gr_str code);
void route_offer_create(struct req *r);
void route_offer_get(struct req *r, struct gr_str id, struct gr_str what);

/* route_admin.c: the organization whose API key came as Bearer. Code: UNAUTHORIZED. */
int admin_auth(struct req *r, struct gr_org *org, struct gr_str *key, struct gr_err *err);
/* An admin API error, with the Bearer challenge on 401. */
void admin_error(struct req *r, const struct gr_err *err);

/* route_lifecycle.c: /v1/credentials... `rest` follows /v1/credentials. */
void route_credentials(struct req *r, struct gr_str rest);
/* The admin API's credential object. */
void credential_json(const struct server *s, const struct gr_credential_rec *c, struct gr_buf *out);
/* Is the request's method `method`? */
bool req_is(const struct req *r, const char *method);

/*
 * audit.c: append an audit event (kind, ids, the client's address, a detail
 * that is never a secret nor a claim). A failure is logged, and the action it
 * records stands: the trail never undoes what was done.
 */
void audit(const struct req *r, const char *kind, const char *org_id, const char *offer_id,
           const char *credential_id, const char *detail);
/* The same in two steps, so that a batch of events goes in one transaction. */
void audit_event(const struct req *r, struct gr_audit_event *ev, const char *kind,
                 const char *org_id, const char *offer_id, const char *credential_id,
                 const char *detail);
void audit_write(const struct req *r, const struct gr_audit_event *ev, size_t count);
/* The client's numeric address ("127.0.0.1", "::1"); "cli" outside a request. */
void req_client_address(const struct req *r, char *out, size_t size);

/*
 * ratelimit.c: the token bucket `key` of the store, `per_minute` and `burst`
 * (store.h rate_limit). RATE_LOOK: is one more allowed? RATE_TAKE: take one
 * if so. Refused: RATE_LIMITED, with Retry-After on the answer and counted
 * in /metrics. RATE_SPEND: take one if any is left, for something that has
 * happened already (never refused). Codes: the store's failures too.
 */
enum rate_kind { RATE_OFFER, RATE_TOKEN_CODE, RATE_TOKEN_CLIENT };
enum rate_mode { RATE_LOOK, RATE_TAKE, RATE_SPEND };
int req_rate_limit(struct req *r, enum rate_kind kind, const char *key, int64_t per_minute,
                   int64_t burst, enum rate_mode mode, struct gr_err *err);

/* resource_auth.c: the access token at a protected endpoint, its hash, its DPoP binding. */
struct gr_token_hash {
    uint8_t h[32];
};
int resource_auth(struct req *r, const char *endpoint, struct gr_token *tok,
                  struct gr_token_hash *hash, bool *dpop, struct gr_err *err);
/* The notification_id of the credential responses made under this token. */
void notification_id(const struct gr_token_hash *token, char out[GR_STORE_ID_LEN + 1]);
void route_notification(struct req *r);

/*
 * keys.c: the signing keys, following the store's keyring. server_signer()
 * is the key that signs now, server_jwt_vc_meta() the jwt-vc-issuer document
 * listing every key that may still verify: a request reads each once and may
 * keep what it got until it completes. keys_start() (gramota serve, once the
 * store is open) registers the configured key as the keyring says and builds
 * the first keyset; keys_refresh() (the main thread alone) follows the
 * keyring, swapping in a new keyset when the active key or the published set
 * changed; keys_free() (after the last request) frees every keyset.
 * keys_register() makes `signer`, opened from `uri`, the active key.
 * keys_redact() copies a signer URI without its secrets (pin-value).
 */
struct keyset;
const struct gr_signer *server_signer(const struct server *s);
const struct gr_buf *server_jwt_vc_meta(const struct server *s);
int keys_start(struct server *s, int64_t now, struct gr_err *err);
int keys_refresh(struct server *s, int64_t now, bool starting, struct gr_err *err);
void keys_free(struct server *s);
int keys_register(const struct server *s, const struct gr_signer *signer, const char *uri,
                  int64_t now, struct gr_err *err);
void keys_redact(const char *uri, char *out, size_t size);
/* Until when keyring key `k` stays published (INT64_MAX while active). */
int64_t keys_published_until(const struct gr_signing_key *k);

/* route_status.c */
#define STATUS_TOKEN_LIFETIME 86400 /* a status list token's exp, after its iat: a day */
/*
 * How long caches may keep the well-known documents (Cache-Control max-age),
 * and so how long `gramota key rotate` publishes a new key before it signs:
 * a verifier holding the document from just before the rotation has fetched
 * it again by the time a credential under the new kid can reach it.
 */
#define WELL_KNOWN_MAX_AGE 300
struct status_cache;
struct status_cache *status_cache_new(void);
void status_cache_free(struct status_cache *c);
void route_status_list(struct req *r, struct gr_str id);

/* dpop.c of cmd: DPoP at an endpoint, with the replay set and server nonces. */
struct gr_dpop_proof;
int req_dpop(struct req *r, const char *endpoint, struct gr_str access_token,
             struct gr_dpop_proof *out, bool *present, struct gr_err *err);
/* A fresh DPoP-Nonce header, when server nonces are on. */
void req_dpop_nonce_header(struct req *r);

/* serve.c: the start-up state without HTTP, shared by serve and the CLI commands. */
int server_open(struct server *s, const char *bound, struct gr_err *err);
void server_close(struct server *s);

/* org.c: make an organization and its API key (`key`, shown once). Codes: CONFLICT, the store's. */
int org_create(const struct server *s, const char *name, struct gr_org *org, char key[64],
               struct gr_err *err);

#endif

#ifndef GRAMOTA_STORE_H
#define GRAMOTA_STORE_H

/*
 * Where the issuer keeps its state: organizations and their API keys, offers
 * and their pre-authorized codes, access tokens, the jti replay set (DPoP
 * jtis and spent c_nonces: nonce.h) and the record of issued credentials.
 *
 * One interface, several backends: SQLite (the embedded default) and
 * PostgreSQL (src/store/pg*.c), behind the same const operation table, so that no route
 * knows which one it talks to. Every operation may be called from many threads
 * at once; single-use things (a pre-authorized code, a c_nonce, a DPoP jti)
 * are spent by one atomic conditional write, never read-then-write, so that
 * concurrent requests cannot both succeed.
 *
 * Secrets are stored only as SHA-256 hashes: API keys, pre-authorized codes,
 * transaction codes, access tokens and jtis arrive here hashed by the
 * caller (gr_sha256) and are compared by hash.
 *
 * Times are Unix seconds, passed in by the caller (`now`), so that tests can
 * move the clock. Codes: every operation may fail with TEMPORARILY_UNAVAILABLE
 * (the database cannot be reached or is busy past its timeout) and SERVER_ERROR
 * (it answered something impossible); the others are listed per operation.
 */

#include <gramota/buf.h>

#define GR_STORE_ID_LEN   22 /* base64url of 16 random bytes */
#define GR_STORE_NAME_MAX 64
#define GR_STORE_KID_MAX  128  /* a signing key's kid (an RFC 7638 thumbprint is 43) */
#define GR_STORE_URI_MAX  1024 /* a signer URI, as the keyring keeps it */
#define GR_STORE_JWK_MAX  1024 /* a public JWK, JSON */

struct gr_org {
    char id[GR_STORE_ID_LEN + 1];
    char name[GR_STORE_NAME_MAX + 1];
    int64_t created_at;
    /* Its own limit on offer creation: offers per minute and burst; 0: the server's default. */
    int64_t offer_rate;
    int64_t offer_burst;
};

enum gr_offer_state {
    GR_OFFER_PENDING,  /* the code can be redeemed */
    GR_OFFER_REDEEMED, /* the code was exchanged for an access token */
    GR_OFFER_DEAD,     /* too many wrong transaction codes */
};

enum gr_tx_input_mode { GR_TX_NUMERIC, GR_TX_TEXT };

struct gr_offer {
    char id[GR_STORE_ID_LEN + 1]; /* public: the admin API's offerId */
    char org_id[GR_STORE_ID_LEN + 1];
    char config_id[GR_STORE_NAME_MAX + 1]; /* the credential configuration offered */
    uint8_t code_hash[32];                 /* SHA-256 of the pre-authorized code */
    bool has_tx_code;
    uint8_t tx_code_hash[32]; /* SHA-256 of the transaction code */
    enum gr_tx_input_mode tx_input_mode;
    int tx_length;
    char tx_description[301]; /* OID4VCI §4.1.1: at most 300 characters */
    int tx_attempts;          /* wrong transaction codes so far */
    bool by_reference;        /* delivered as credential_offer_uri */
    enum gr_offer_state state;
    int64_t created_at;
    int64_t expires_at;          /* the code is dead after this */
    int64_t credential_lifetime; /* seconds each credential is valid */
    char *subject_json;          /* owned: the claims; NULL once forgotten */
    char *disclosable_json;      /* owned: claim paths made disclosable; may be NULL */
    /*
     * The offer URL, sealed (AES-256-GCM) under a key derived from the API key
     * that made the offer: the admin API can show its QR code again to that key,
     * while the store alone never yields a usable code. Owned; may be NULL.
     */
    uint8_t *sealed_url;
    size_t sealed_url_len;
};

struct gr_token {
    uint8_t hash[32]; /* SHA-256 of the access token */
    char offer_id[GR_STORE_ID_LEN + 1];
    char org_id[GR_STORE_ID_LEN + 1];
    char config_id[GR_STORE_NAME_MAX + 1];
    bool dpop_bound;
    uint8_t jkt[32]; /* the DPoP key's RFC 7638 thumbprint, when bound */
    int64_t expires_at;
    char client_id[257]; /* the client a wallet attestation named; "" when anonymous */
};

/* A place in a status list (Token Status List §6.2: uri and idx). */
struct gr_status_slot {
    char list_id[GR_STORE_ID_LEN + 1];
    uint64_t idx;
};

/* A status list as the store keeps it. */
struct gr_status_list_rec {
    char id[GR_STORE_ID_LEN + 1];
    unsigned bits;
    size_t size;       /* entries */
    uint8_t *statuses; /* owned: size * bits / 8 bytes, packed as TSL §4.1 says */
    size_t statuses_len;
    int64_t version; /* grows with every change of a status */
    int64_t updated_at;
};

struct gr_issued {
    char id[GR_STORE_ID_LEN + 1]; /* the credentialId */
    char org_id[GR_STORE_ID_LEN + 1];
    char offer_id[GR_STORE_ID_LEN + 1];
    char config_id[GR_STORE_NAME_MAX + 1];
    char vct[256];
    uint8_t holder_jkt[32]; /* thumbprint of cnf.jwk */
    int64_t issued_at;
    int64_t expires_at;
    bool has_status;
    struct gr_status_slot status;   /* its entry in a status list, when has_status */
    char kid[GR_STORE_KID_MAX + 1]; /* the signing key's kid; "" when not recorded */
};

/* A credential's status, as the admin API names it (TSL §7.1 values). */
enum gr_cred_status {
    GR_CRED_VALID = 0,
    GR_CRED_INVALID = 1, /* revoked: final */
    GR_CRED_SUSPENDED = 2,
};

/* What the store keeps of an issued credential (no claim values). */
struct gr_credential_rec {
    struct gr_issued issued;
    enum gr_cred_status status;
    int64_t status_at; /* when the status last changed; 0: never */
};

/* Which credentials to list; .p NULL / -1 for "any". */
struct gr_credential_filter {
    struct gr_str offer_id;
    struct gr_str vct;
    int status; /* an enum gr_cred_status, or -1 */
};

/* An opaque position in a listing: newest first, so (issued_at, id) of the last one shown. */
struct gr_credential_cursor {
    int64_t issued_at;
    char id[GR_STORE_ID_LEN + 1]; /* "" for the start */
};

struct gr_audit_event {
    int64_t at;
    char kind[40];                    /* "offer.created", "credential.revoked", ... */
    char org_id[GR_STORE_ID_LEN + 1]; /* may be empty */
    char offer_id[GR_STORE_ID_LEN + 1];
    char credential_id[GR_STORE_ID_LEN + 1];
    char client[64];  /* the client's address */
    char detail[128]; /* a reason worth keeping; never a secret or a claim */
};

/*
 * Failures a store has met since it was opened, for /metrics: calls that
 * answered TEMPORARILY_UNAVAILABLE or SERVER_ERROR because the database (or
 * Redis, when the short-lived state lives there) failed or could not be
 * reached. A refusal (NOT_FOUND, INVALID_GRANT, ...) is not a failure.
 */
struct gr_store_stats {
    uint64_t db_errors;
    uint64_t redis_errors;
};

enum gr_key_state { GR_KEY_ACTIVE, GR_KEY_RETIRED };

/*
 * A signing key of the keyring (key_activate, key_list): the key that signs
 * now, and the ones before it, kept so that whoever still holds something
 * they signed can verify it.
 */
struct gr_signing_key {
    char kid[GR_STORE_KID_MAX + 1];
    char signer_uri[GR_STORE_URI_MAX + 1]; /* how to open it again; never a secret (see below) */
    char jwk[GR_STORE_JWK_MAX + 1];        /* its public JWK, JSON */
    enum gr_key_state state;
    int64_t created_at;   /* first registered */
    int64_t activated_at; /* last made active */
    int64_t retired_at;   /* 0 while active */
    /* key_list only: */
    int64_t live_until; /* the latest expires_at of a credential it signed; 0: none */
    int64_t live_count; /* its credentials unexpired at `now`; -1 when not counted */
};

/* A token bucket's answer (see rate_take). */
struct gr_rate {
    bool allowed;
    int64_t retry_after_ms; /* when refused: how long until one more is allowed */
};

struct gr_store_ops {
    const char *name; /* "sqlite", ... */

    /* Organizations. org_create: CONFLICT when the name is taken. */
    int (*org_create)(void *ctx, const struct gr_org *org, const uint8_t api_key_hash[32],
                      struct gr_err *err);
    /* The organization whose API key hashes to `hash`. Code: UNAUTHORIZED. */
    int (*org_by_key)(void *ctx, const uint8_t hash[32], struct gr_org *out, struct gr_err *err);
    int (*org_by_name)(void *ctx, struct gr_str name, struct gr_org *out, struct gr_err *err);
    /* Set an organization's offer_rate and offer_burst (0: the default). Code: NOT_FOUND. */
    int (*org_set_limits)(void *ctx, struct gr_str org_id, int64_t offer_rate, int64_t offer_burst,
                          struct gr_err *err);

    /*
     * Offers. offer_put stores `offer` and, when `created` is not NULL,
     * appends that audit event (as audit_append) in the same transaction: an
     * offer is never stored without its event. offer_get: NOT_FOUND unless it
     * exists and belongs to `org_id`. The three readers zero `out` first:
     * after a failure it owns nothing, and gr_offer_release() is safe on it
     * either way.
     */
    int (*offer_put)(void *ctx, const struct gr_offer *offer, const struct gr_audit_event *created,
                     struct gr_err *err);
    int (*offer_get)(void *ctx, struct gr_str org_id, struct gr_str offer_id, struct gr_offer *out,
                     struct gr_err *err);
    /* A pending, unexpired offer by its code's hash (offers by reference). Code: NOT_FOUND. */
    int (*offer_by_code)(void *ctx, const uint8_t code_hash[32], int64_t now, struct gr_offer *out,
                         struct gr_err *err);
    /*
     * Redeem a pre-authorized code, atomically: only a pending, unexpired offer
     * whose transaction code matches (`tx_hash` NULL when none was sent) moves to
     * REDEEMED, and only one caller ever sees it happen. A wrong transaction code
     * counts an attempt; the `max_tx_attempts`-th wrong one kills the offer.
     * `token`, when not NULL, is stored in the same transaction (its offer_id,
     * org_id and config_id filled in from the offer), so that a code is never
     * spent without the token it was exchanged for. `granted`, when not NULL,
     * is an audit event appended in that transaction too, with the offer's
     * org_id and offer_id (whatever it says of them).
     * Codes: INVALID_GRANT (unknown, expired, used or dead code; wrong tx_code),
     * INVALID_REQUEST (tx_code missing while required, or sent while not).
     */
    int (*offer_redeem)(void *ctx, const uint8_t code_hash[32], const uint8_t *tx_hash, int64_t now,
                        int max_tx_attempts, struct gr_token *token,
                        const struct gr_audit_event *granted, struct gr_offer *out,
                        struct gr_err *err);

    /* Access tokens. token_get: INVALID_TOKEN when unknown or expired. */
    int (*token_put)(void *ctx, const struct gr_token *token, struct gr_err *err);
    int (*token_get)(void *ctx, const uint8_t hash[32], int64_t now, struct gr_token *out,
                     struct gr_err *err);

    /*
     * The replay set, of DPoP jtis and of spent c_nonces (nonce.h's replay
     * key): DUPLICATE when `hash` is there and not expired.
     */
    int (*jti_add)(void *ctx, const uint8_t hash[32], int64_t expires_at, int64_t now,
                   struct gr_err *err);

    /*
     * Issued credentials, all of a batch or none, durably before the response,
     * with the `event_count` audit events that say so, appended to the audit
     * trail (as audit_append) in the same transaction: a credential is never
     * recorded without its audit event, nor the event without the record.
     * Each record carries the kid it was signed with, which key_list counts.
     */
    int (*issued_add)(void *ctx, const struct gr_issued *records, size_t count,
                      const struct gr_audit_event *events, size_t event_count, struct gr_err *err);

    /*
     * The ids of the credentials issued from an offer of `org_id`, oldest
     * first, at most `max`; `*count` says how many. An unknown offer has none.
     */
    int (*issued_ids)(void *ctx, struct gr_str org_id, struct gr_str offer_id,
                      char (*ids)[GR_STORE_ID_LEN + 1], size_t max, size_t *count,
                      struct gr_err *err);

    /*
     * Status lists. status_alloc hands out `count` distinct entries of lists of
     * `bits` bits and `size` entries, each index chosen at random among the
     * free ones (never sequential, never twice, even to concurrent callers),
     * opening a new list when one is full. status_list_get: NOT_FOUND.
     */
    int (*status_alloc)(void *ctx, unsigned bits, size_t size, size_t count, int64_t now,
                        struct gr_status_slot *out, struct gr_err *err);
    int (*status_list_get)(void *ctx, struct gr_str id, struct gr_status_list_rec *out,
                           struct gr_err *err);

    /*
     * The credential lifecycle. credential_get and credential_set_status see
     * only `org_id`'s credentials (NOT_FOUND otherwise). credential_list gives
     * at most `max` records newest first after `*cursor`, and moves the cursor;
     * `*count` 0 means the end. credential_set_status moves a credential to
     * `status` and rewrites its entry in its status list in one transaction:
     * INVALID is final (setting it again is fine), so a revoked credential
     * cannot be suspended or reinstated (CONFLICT).
     */
    int (*credential_get)(void *ctx, struct gr_str org_id, struct gr_str id,
                          struct gr_credential_rec *out, struct gr_err *err);
    int (*credential_list)(void *ctx, struct gr_str org_id, const struct gr_credential_filter *f,
                           struct gr_credential_cursor *cursor, struct gr_credential_rec *out,
                           size_t max, size_t *count, struct gr_err *err);
    int (*credential_set_status)(void *ctx, struct gr_str org_id, struct gr_str id,
                                 enum gr_cred_status status, int64_t now,
                                 struct gr_credential_rec *out, struct gr_err *err);

    /*
     * The audit trail: append-only, each event carrying the SHA-256 of the one
     * before it, so that a changed or removed event breaks the chain.
     * audit_append writes `count` events in one transaction.
     * audit_verify walks the chain; *count gets the events checked. Code
     * SERVER_ERROR with the sequence number where the chain breaks.
     */
    int (*audit_append)(void *ctx, const struct gr_audit_event *ev, size_t count,
                        struct gr_err *err);
    int (*audit_verify)(void *ctx, size_t *count, struct gr_err *err);

    /*
     * The keyring, shared by every process on this store. key_activate makes
     * `key` (its kid, signer_uri and jwk) the one active key in one
     * transaction: the active one, if another, is retired at `now`; a new kid
     * is added (created_at `now`); a retired one comes back (retired_at
     * cleared, signer_uri replaced; its jwk stays, a kid names one key);
     * activated_at becomes `now` unless it was active already.
     * Racing activations are serialized: afterwards exactly one key is
     * active, the last one committed. The caller strips secrets (a PIN) from
     * signer_uri first: the store holds no secret but as a hash.
     * Code: INVALID_REQUEST (an empty or too long kid, uri or jwk).
     *
     * key_list writes at most `max` keys, the active one first, then the
     * retired ones, most recently retired first; `*count` says how many.
     * live_until comes from the credentials recorded with each kid
     * (issued_add); with `count_live`, live_count counts those unexpired at
     * `now` (a scan of them: for the CLI, not for every request).
     */
    int (*key_activate)(void *ctx, const struct gr_signing_key *key, int64_t now,
                        struct gr_err *err);
    int (*key_list)(void *ctx, int64_t now, bool count_live, struct gr_signing_key *out, size_t max,
                    size_t *count, struct gr_err *err);

    /* A random 32-byte secret shared by every process on this store, made on first use. */
    int (*secret)(void *ctx, const char *name, uint8_t out[32], struct gr_err *err);

    /* One round trip to the database (readiness). Code: TEMPORARILY_UNAVAILABLE or IO. */
    int (*ping)(void *ctx, struct gr_err *err);

    /*
     * Delete the jtis, tokens and rate buckets expired at `now`. Keep
     * every offer, but forget the claims and sealed URL of one past its use:
     * dead, expired unredeemed, or redeemed `token_lifetime` seconds ago or
     * more (its access token, made at the redemption, can no longer fetch a
     * credential then, wherever that token is kept).
     */
    int (*sweep)(void *ctx, int64_t now, int64_t token_lifetime, struct gr_err *err);

    /*
     * The token bucket `key` (1 to 128 bytes: "offer:ORG", "code:HASH", ...),
     * which holds `burst` and gains one every `interval_ms`, starting full;
     * `now_ms` is the caller's clock in milliseconds. Says whether one more is
     * allowed now, and with `take` takes it if so, atomically. Shared by every
     * process on this store; a refusal takes nothing. Codes: the store's
     * failures only.
     */
    int (*rate_limit)(void *ctx, struct gr_str key, int64_t burst, int64_t interval_ms,
                      int64_t now_ms, bool take, struct gr_rate *out, struct gr_err *err);

    /* The failures counted so far (see gr_store_stats). */
    void (*stats)(void *ctx, struct gr_store_stats *out);

    void (*close)(void *ctx);
};

struct gr_store {
    const struct gr_store_ops *ops;
    void *ctx;
};

/*
 * Open the store named by `url`: "sqlite:PATH" (created owner-only, migrated
 * to the current schema), or "postgres://..." / "postgresql://..." (a libpq
 * URI; the database must exist, its schema is migrated at open). Codes: USAGE
 * (unknown scheme, a URL libpq cannot parse, or a database made by a newer
 * gramota), IO (the file cannot be created, opened or read),
 * TEMPORARILY_UNAVAILABLE (the server cannot be reached). `*out` is the
 * caller's, zeroed on failure; close it with gr_store_close().
 */
GR_API int gr_store_open(struct gr_str url, struct gr_store *out, struct gr_err *err);
/* Close and zero `store`; NULL or a zeroed (or already closed) store is a no-op. */
GR_API void gr_store_close(struct gr_store *store);

/*
 * Keep the short-lived state of `db` (access tokens, the jti replay set,
 * rate-limit buckets) in the Redis at `url`,
 * redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or, on this machine's Unix
 * socket, unix://[[USER]:PASSWORD@]/PATH[?db=DB], each key expiring by itself;
 * the rest stays in `db`, a SQLite or PostgreSQL store (USAGE otherwise:
 * a code's redemption puts its token in Redis before the database commits
 * it, which only these two let it do). Takes `db`: closed with *out, or at once on
 * failure (`*db` is zeroed either way; `*out` is zeroed on failure). Every
 * Redis failure fails the call (TEMPORARILY_UNAVAILABLE): a
 * jti is never taken as new because Redis could not say. Expired keys go by
 * Redis's clock, so sweep() leaves them to it. Codes: USAGE (the URL),
 * TEMPORARILY_UNAVAILABLE (Redis cannot be reached, or refused the password).
 */
GR_API int gr_store_with_redis(struct gr_store *db, struct gr_str url, struct gr_store *out,
                               struct gr_err *err);

/*
 * Release what a gr_status_list_rec owns (statuses), setting it NULL; twice,
 * or on a zeroed record or NULL, is harmless.
 */
GR_API void gr_status_list_rec_release(struct gr_status_list_rec *rec);

/*
 * Release what a gr_offer owns (subject_json, disclosable_json, sealed_url),
 * setting them NULL; twice, or on a zeroed offer or NULL, is harmless.
 */
GR_API void gr_offer_release(struct gr_offer *offer);

#endif

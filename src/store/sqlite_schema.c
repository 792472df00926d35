/*
 * The SQLite schema, as migrations, and the statements over it. PRAGMA user_version counts the
 * steps applied; sqlite_db.c runs the missing ones in one transaction at open. A step once released
 * never changes: a new column or index is a new step.
 *
 * Conventions: secrets are 32-byte SHA-256 BLOBs (store.h), times are Unix
 * seconds, and a thing is expired when expires_at <= now. STRICT tables would
 * need SQLite 3.37 and we promise 3.35, so CHECKs keep the shapes instead.
 */
#include "store/internal.h"

const char *const gr__store_sqlite_migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE orgs ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),"
    "  created_at INTEGER NOT NULL"
    ");"
    /*
     * An offer's tx_* columns are NULL when it has no transaction code. The
     * row outlives its use (the admin API shows its state); the sweep only
     * forgets subject_json and disclosable_json.
     */
    "CREATE TABLE offers ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  config_id TEXT NOT NULL,"
    "  code_hash BLOB NOT NULL UNIQUE CHECK (length(code_hash) = 32),"
    "  tx_code_hash BLOB CHECK (tx_code_hash IS NULL OR length(tx_code_hash) = 32),"
    "  tx_input_mode TEXT CHECK (tx_input_mode IN ('numeric', 'text')),"
    "  tx_length INTEGER,"
    "  tx_description TEXT,"
    "  tx_attempts INTEGER NOT NULL DEFAULT 0,"
    "  by_reference INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'redeemed', 'dead')),"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  redeemed_at INTEGER,"
    "  credential_lifetime INTEGER NOT NULL,"
    "  subject_json TEXT,"
    "  disclosable_json TEXT,"
    "  sealed_url BLOB" /* opaque to the store: cmd/ seals it under the API key */
    ");"
    "CREATE INDEX offers_org ON offers (org_id);"
    /* Only offers still holding claims, for the sweep: the rest are history. */
    "CREATE INDEX offers_holding ON offers (expires_at) WHERE subject_json IS NOT NULL;"
    "CREATE TABLE tokens ("
    "  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
    "  offer_id TEXT NOT NULL REFERENCES offers (id),"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  config_id TEXT NOT NULL,"
    "  jkt BLOB CHECK (jkt IS NULL OR length(jkt) = 32)," /* NULL: a bearer token */
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX tokens_offer ON tokens (offer_id, expires_at);"
    "CREATE INDEX tokens_expiry ON tokens (expires_at);"
    "CREATE TABLE nonces ("
    "  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX nonces_expiry ON nonces (expires_at);"
    "CREATE TABLE jtis ("
    "  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX jtis_expiry ON jtis (expires_at);"
    "CREATE TABLE issued ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  offer_id TEXT NOT NULL REFERENCES offers (id),"
    "  config_id TEXT NOT NULL,"
    "  vct TEXT NOT NULL,"
    "  holder_jkt BLOB NOT NULL CHECK (length(holder_jkt) = 32),"
    "  issued_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX issued_offer ON issued (offer_id);"
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL CHECK (length(value) = 32)"
    ");",
    /*
     * 2: status lists (Token Status List). `used` has one bit per index handed
     * out, so that none is handed out twice; `statuses` is the list itself,
     * packed as TSL §4.1 says; `version` grows with every status change so that
     * servers know when to sign a new token.
     */
    "CREATE TABLE status_lists ("
    "  id TEXT PRIMARY KEY,"
    "  bits INTEGER NOT NULL CHECK (bits IN (1, 2, 4, 8)),"
    "  size INTEGER NOT NULL CHECK (size > 0 AND size % 8 = 0),"
    "  used BLOB NOT NULL,"
    "  free INTEGER NOT NULL CHECK (free >= 0),"
    "  statuses BLOB NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX status_lists_open ON status_lists (bits, size, created_at) WHERE free > 0;"
    "ALTER TABLE issued ADD COLUMN status_list TEXT REFERENCES status_lists (id);"
    "ALTER TABLE issued ADD COLUMN status_idx INTEGER;"
    "CREATE UNIQUE INDEX issued_status ON issued (status_list, status_idx) "
    "WHERE status_list IS NOT NULL;",
    /*
     * 3: the credential lifecycle and the audit trail. An audit row carries the
     * hash of the row before it (store.h); the triggers make the table
     * append-only for anything that goes through SQLite, and the chain makes
     * any other change visible to `gramota audit verify`.
     */
    "ALTER TABLE issued ADD COLUMN status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2));"
    "ALTER TABLE issued ADD COLUMN status_at INTEGER;"
    "CREATE INDEX issued_org_time ON issued (org_id, issued_at DESC, id DESC);"
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  org_id TEXT NOT NULL,"
    "  offer_id TEXT NOT NULL,"
    "  credential_id TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev BLOB NOT NULL CHECK (length(prev) = 32),"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32)"
    ");"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    /* 4: the client a token was issued to, when a wallet attestation named it. */
    "ALTER TABLE tokens ADD COLUMN client_id TEXT NOT NULL DEFAULT '';",
    /*
     * 5: rate limits. An organization's own offer rate (NULL: the server's
     * default), and the token buckets, each kept as the time at which it will
     * be full again (GCRA, sqlite.c's rate_take): one number per key, so that
     * taking from a bucket is one conditional UPSERT.
     */
    "ALTER TABLE orgs ADD COLUMN offer_rate INTEGER;"
    "ALTER TABLE orgs ADD COLUMN offer_burst INTEGER;"
    "CREATE TABLE rate_buckets ("
    "  key TEXT PRIMARY KEY,"
    "  full_at INTEGER NOT NULL" /* Unix milliseconds */
    ") WITHOUT ROWID;"
    "CREATE INDEX rate_buckets_full ON rate_buckets (full_at);",
    /*
     * 6: the keyring (store.h key_activate). The partial unique index lets at
     * most one key be active, whatever the writers do. issued.kid says which
     * key signed each credential (NULL before this step), so that a retired
     * key stays published while a credential it signed is live: the index
     * answers max(expires_at) per kid without a scan.
     */
    "CREATE TABLE signing_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  signer_uri TEXT NOT NULL,"
    "  jwk TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'retired')),"
    "  created_at INTEGER NOT NULL,"
    "  activated_at INTEGER NOT NULL,"
    "  retired_at INTEGER"
    ");"
    "CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';"
    "ALTER TABLE issued ADD COLUMN kid TEXT;"
    "CREATE INDEX issued_kid ON issued (kid, expires_at);",
    /*
     * 7: c_nonces are stateless (nonce.h): made without a write, and a used
     * one is kept in the jti replay set until it expires.
     */
    "DROP TABLE IF EXISTS nonces;",
};

const size_t gr__store_sqlite_migrations_len = GR_NELEM(gr__store_sqlite_migrations);

/*
 * The statements over this schema, prepared once per connection (sqlite_db.c)
 * and run by sqlite.c and sqlite_offer.c; kept here so that each can be read
 * against the tables it touches.
 */
#define OFFER_COLS                                                               \
    "id, org_id, config_id, code_hash, tx_code_hash, tx_input_mode, tx_length, " \
    "tx_description, tx_attempts, by_reference, state, created_at, expires_at, " \
    "credential_lifetime, subject_json, disclosable_json, sealed_url"
#define TOKEN_COLS "hash, offer_id, org_id, config_id, jkt, expires_at, client_id"
#define CRED_COLS                                                               \
    "id, org_id, offer_id, config_id, vct, holder_jkt, issued_at, expires_at, " \
    "status_list, status_idx, status, status_at, coalesce(kid, '')"
#define ORG_COLS   "id, name, created_at, coalesce(offer_rate, 0), coalesce(offer_burst, 0)"
#define AUDIT_COLS "seq, at, kind, org_id, offer_id, credential_id, client, detail, prev, hash"

/* see internal.h */
const char *const gr__store_sql[SQ__COUNT] = {
    /* Every transaction writes, so it takes the write lock up front: a deferred one that
     * read first could not upgrade past a concurrent writer and would fail, not wait. */
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ORG_NAME_TAKEN] = "SELECT 1 FROM orgs WHERE name = ?1",
    [SQ_ORG_INSERT] = "INSERT INTO orgs (id, name, key_hash, created_at, offer_rate, offer_burst) "
                      "VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), nullif(?6, 0))",
    [SQ_ORG_BY_KEY] = "SELECT " ORG_COLS " FROM orgs WHERE key_hash = ?1",
    [SQ_ORG_BY_NAME] = "SELECT " ORG_COLS " FROM orgs WHERE name = ?1",
    [SQ_ORG_LIMITS] = "UPDATE orgs SET offer_rate = nullif(?2, 0), offer_burst = nullif(?3, 0) "
                      "WHERE id = ?1",
    [SQ_OFFER_INSERT] =
        "INSERT INTO offers (" OFFER_COLS ") VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [SQ_OFFER_GET] = "SELECT " OFFER_COLS " FROM offers WHERE id = ?1 AND org_id = ?2",
    [SQ_OFFER_BY_CODE] = "SELECT " OFFER_COLS " FROM offers "
                         "WHERE code_hash = ?1 AND state = 'pending' AND expires_at > ?2",
    /* The redemption itself: every condition in one statement (tx_match: sqlite_db.c). */
    [SQ_OFFER_REDEEM] = "UPDATE offers SET state = 'redeemed', redeemed_at = ?2 "
                        "WHERE code_hash = ?1 AND state = 'pending' AND expires_at > ?2 "
                        "AND tx_match(tx_code_hash, ?3) RETURNING " OFFER_COLS,
    [SQ_OFFER_DIAGNOSE] = "SELECT id, state, expires_at, tx_code_hash IS NOT NULL "
                          "FROM offers WHERE code_hash = ?1",
    [SQ_OFFER_MISS] = "UPDATE offers SET tx_attempts = tx_attempts + 1, "
                      "state = CASE WHEN tx_attempts + 1 >= ?2 THEN 'dead' ELSE state END "
                      "WHERE id = ?1 AND state = 'pending' RETURNING state",
    [SQ_TOKEN_INSERT] = "INSERT INTO tokens (" TOKEN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1 AND expires_at > ?2",
    /* A jti seen before counts only while unexpired; an expired row is reused in place. */
    [SQ_JTI_ADD] = "INSERT INTO jtis (hash, expires_at) VALUES (?1, ?2) "
                   "ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at "
                   "WHERE jtis.expires_at <= ?3",
    [SQ_ISSUED_INSERT] = "INSERT INTO issued (id, org_id, offer_id, config_id, vct, holder_jkt, "
                         "issued_at, expires_at, status_list, status_idx, kid) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, nullif(?11, ''))",
    [SQ_STATUS_OPEN] = "SELECT id, used, free FROM status_lists WHERE bits = ?1 AND size = ?2 "
                       "AND free > 0 ORDER BY created_at, id LIMIT 1",
    [SQ_STATUS_NEW] = "INSERT INTO status_lists (id, bits, size, used, free, statuses, created_at, "
                      "updated_at) VALUES (?1, ?2, ?3, zeroblob(?3 / 8), ?3, "
                      "zeroblob(?3 * ?2 / 8), ?4, ?4)",
    [SQ_STATUS_TAKE] = "UPDATE status_lists SET used = ?2, free = free - ?3 WHERE id = ?1",
    [SQ_CRED_GET] = "SELECT " CRED_COLS " FROM issued WHERE org_id = ?1 AND id = ?2",
    /* Newest first; the cursor is the (issued_at, id) of the last row shown. */
    [SQ_CRED_LIST] = "SELECT " CRED_COLS " FROM issued WHERE org_id = ?1 "
                     "AND (?2 IS NULL OR offer_id = ?2) AND (?3 IS NULL OR vct = ?3) "
                     "AND (?4 < 0 OR status = ?4) "
                     "AND (?5 = '' OR issued_at < ?6 OR (issued_at = ?6 AND id < ?5)) "
                     "ORDER BY issued_at DESC, id DESC LIMIT ?7",
    [SQ_CRED_SET] = "UPDATE issued SET status = ?3, status_at = ?4 WHERE org_id = ?1 AND id = ?2",
    [SQ_STATUS_VALUES] = "SELECT bits, statuses FROM status_lists WHERE id = ?1",
    [SQ_STATUS_WRITE] = "UPDATE status_lists SET statuses = ?2, version = version + 1, "
                        "updated_at = ?3 WHERE id = ?1",
    [SQ_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [SQ_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQ_AUDIT_ALL] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq",
    [SQ_STATUS_GET] = "SELECT id, bits, size, statuses, version, updated_at FROM status_lists "
                      "WHERE id = ?1",
    [SQ_ISSUED_IDS] = "SELECT id FROM issued WHERE org_id = ?1 AND offer_id = ?2 "
                      "ORDER BY issued_at, rowid LIMIT ?3",
    [SQ_SECRET_INSERT] = "INSERT INTO secrets (name, value) VALUES (?1, ?2) "
                         "ON CONFLICT (name) DO NOTHING",
    [SQ_SECRET_GET] = "SELECT value FROM secrets WHERE name = ?1",
    /* Reads a table, so that a database file gone unreadable fails it. */
    [SQ_PING] = "SELECT count(*) FROM secrets",
    [SQ_SWEEP_JTIS] = "DELETE FROM jtis WHERE expires_at <= ?1",
    [SQ_SWEEP_TOKENS] = "DELETE FROM tokens WHERE expires_at <= ?1",
    [SQ_SWEEP_RATES] = "DELETE FROM rate_buckets WHERE full_at <= ?1 * 1000",
    /*
     * Claims are kept no longer than they can still be issued (VCI §15.4.1).
     * disclosable_json (paths, not values) goes with them, and so does the
     * sealed offer URL: its code can no longer be redeemed. ?2 is now less
     * the access tokens' lifetime. The first term matches offers_holding.
     */
    [SQ_SWEEP_OFFERS] =
        "UPDATE offers SET subject_json = NULL, disclosable_json = NULL, sealed_url = NULL "
        "WHERE subject_json IS NOT NULL "
        "AND (state = 'dead' "
        "OR (state = 'pending' AND expires_at <= ?1) "
        "OR (state = 'redeemed' AND redeemed_at <= ?2))",
    /*
     * Take one from a bucket (?1 key, ?2 now, ?3 interval, ?4 burst * interval):
     * a new key starts full; an existing one is at least full now, and takes
     * only when what is left covers one more.
     */
    [SQ_RATE_TAKE] = "INSERT INTO rate_buckets (key, full_at) VALUES (?1, ?2 + ?3) "
                     "ON CONFLICT (key) DO UPDATE SET full_at = max(full_at, ?2) + ?3 "
                     "WHERE max(full_at, ?2) + ?3 - ?2 <= ?4",
    [SQ_RATE_GET] = "SELECT full_at FROM rate_buckets WHERE key = ?1",
    /* key_activate (sqlite_keys.c): retire the active key unless it is ?1, then make ?1 active. */
    [SQ_KEY_RETIRE] = "UPDATE signing_keys SET state = 'retired', retired_at = ?2 "
                      "WHERE state = 'active' AND kid <> ?1",
    [SQ_KEY_ACTIVATE] = "INSERT INTO signing_keys (kid, signer_uri, jwk, state, created_at, "
                        "activated_at) VALUES (?1, ?2, ?3, 'active', ?4, ?4) ON CONFLICT (kid) "
                        "DO UPDATE SET signer_uri = excluded.signer_uri, retired_at = NULL, "
                        "activated_at = CASE WHEN state = 'active' THEN activated_at ELSE ?4 END, "
                        "state = 'active'",
    /* ?1 now, ?2 whether to count the live credentials (a scan of issued_kid), ?3 the limit. */
    [SQ_KEY_LIST] = "SELECT k.kid, k.signer_uri, k.jwk, k.state, k.created_at, "
                    "k.activated_at, coalesce(k.retired_at, 0), "
                    "coalesce((SELECT max(i.expires_at) FROM issued i WHERE i.kid = k.kid), 0), "
                    "CASE WHEN ?2 THEN (SELECT count(*) FROM issued i WHERE i.kid = k.kid "
                    "AND i.expires_at > ?1) ELSE -1 END "
                    "FROM signing_keys k ORDER BY k.state = 'active' DESC, "
                    "coalesce(k.retired_at, 0) DESC, k.kid LIMIT ?3",
};

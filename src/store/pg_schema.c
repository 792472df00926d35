/*
 * The PostgreSQL schema, as migrations, and the statements over it. The table
 * gramota_schema holds the number of steps applied; pg_db.c runs the missing
 * ones in one transaction at open, under an advisory lock. A step once
 * released never changes: a new column or index is a new step.
 *
 * The tables mirror the SQLite ones (sqlite_schema.c) column for column, so
 * that both backends keep the same facts: secrets are 32-byte SHA-256 BYTEAs
 * (store.h), times are Unix seconds in BIGINTs, and a thing is expired when
 * expires_at <= now.
 */
#include "store/pg_internal.h"

const char *const gr__pg_migrations[] = {
    /* 1: the whole schema of SQLite's steps 1 to 4. */
    "CREATE TABLE orgs ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL CONSTRAINT orgs_name_key UNIQUE,"
    "  key_hash BYTEA NOT NULL UNIQUE CHECK (length(key_hash) = 32),"
    "  created_at BIGINT NOT NULL"
    ");"
    "CREATE TABLE offers ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  config_id TEXT NOT NULL,"
    "  code_hash BYTEA NOT NULL UNIQUE CHECK (length(code_hash) = 32),"
    "  tx_code_hash BYTEA CHECK (tx_code_hash IS NULL OR length(tx_code_hash) = 32),"
    "  tx_input_mode TEXT CHECK (tx_input_mode IN ('numeric', 'text')),"
    "  tx_length BIGINT,"
    "  tx_description TEXT,"
    "  tx_attempts BIGINT NOT NULL DEFAULT 0,"
    "  by_reference BIGINT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'redeemed', 'dead')),"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  redeemed_at BIGINT,"
    "  credential_lifetime BIGINT NOT NULL,"
    "  subject_json TEXT,"
    "  disclosable_json TEXT,"
    "  sealed_url BYTEA"
    ");"
    "CREATE INDEX offers_org ON offers (org_id);"
    "CREATE INDEX offers_holding ON offers (expires_at) WHERE subject_json IS NOT NULL;"
    "CREATE TABLE tokens ("
    "  hash BYTEA PRIMARY KEY CHECK (length(hash) = 32),"
    "  offer_id TEXT NOT NULL REFERENCES offers (id),"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  config_id TEXT NOT NULL,"
    "  jkt BYTEA CHECK (jkt IS NULL OR length(jkt) = 32),"
    "  expires_at BIGINT NOT NULL,"
    "  client_id TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX tokens_offer ON tokens (offer_id, expires_at);"
    "CREATE INDEX tokens_expiry ON tokens (expires_at);"
    "CREATE TABLE nonces ("
    "  hash BYTEA PRIMARY KEY CHECK (length(hash) = 32),"
    "  expires_at BIGINT NOT NULL"
    ");"
    "CREATE INDEX nonces_expiry ON nonces (expires_at);"
    "CREATE TABLE jtis ("
    "  hash BYTEA PRIMARY KEY CHECK (length(hash) = 32),"
    "  expires_at BIGINT NOT NULL"
    ");"
    "CREATE INDEX jtis_expiry ON jtis (expires_at);"
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY,"
    "  value BYTEA NOT NULL CHECK (length(value) = 32)"
    ");"
    "CREATE TABLE status_lists ("
    "  id TEXT PRIMARY KEY,"
    "  bits BIGINT NOT NULL CHECK (bits IN (1, 2, 4, 8)),"
    "  size BIGINT NOT NULL CHECK (size > 0 AND size % 8 = 0),"
    "  used BYTEA NOT NULL,"
    "  free BIGINT NOT NULL CHECK (free >= 0),"
    "  statuses BYTEA NOT NULL,"
    "  version BIGINT NOT NULL DEFAULT 1,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL"
    ");"
    "CREATE INDEX status_lists_open ON status_lists (bits, size, created_at) WHERE free > 0;"
    /* seq orders a batch as it was recorded, as SQLite's rowid does. */
    "CREATE TABLE issued ("
    "  seq BIGSERIAL UNIQUE,"
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs (id),"
    "  offer_id TEXT NOT NULL REFERENCES offers (id),"
    "  config_id TEXT NOT NULL,"
    "  vct TEXT NOT NULL,"
    "  holder_jkt BYTEA NOT NULL CHECK (length(holder_jkt) = 32),"
    "  issued_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  status_list TEXT REFERENCES status_lists (id),"
    "  status_idx BIGINT,"
    "  status BIGINT NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),"
    "  status_at BIGINT"
    ");"
    "CREATE INDEX issued_offer ON issued (offer_id);"
    "CREATE UNIQUE INDEX issued_status ON issued (status_list, status_idx) "
    "WHERE status_list IS NOT NULL;"
    "CREATE INDEX issued_org_time ON issued (org_id, issued_at DESC, id DESC);"
    /*
     * The audit trail: each row carries the hash of the one before it
     * (store.h); the trigger makes the table append-only for anything that
     * goes through SQL, and the chain makes any other change visible.
     */
    "CREATE TABLE audit ("
    "  seq BIGINT PRIMARY KEY,"
    "  at BIGINT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  org_id TEXT NOT NULL,"
    "  offer_id TEXT NOT NULL,"
    "  credential_id TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev BYTEA NOT NULL CHECK (length(prev) = 32),"
    "  hash BYTEA NOT NULL CHECK (length(hash) = 32)"
    ");"
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END$$;"
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();",
    /* 2: rate limits, as migration 5 of sqlite_schema.c says. */
    "ALTER TABLE orgs ADD COLUMN offer_rate BIGINT;"
    "ALTER TABLE orgs ADD COLUMN offer_burst BIGINT;"
    "CREATE TABLE rate_buckets ("
    "  key TEXT PRIMARY KEY,"
    "  full_at BIGINT NOT NULL" /* Unix milliseconds */
    ");"
    "CREATE INDEX rate_buckets_full ON rate_buckets (full_at);",
    /*
     * 3: the indices handed out, a row each, instead of the `used` bitmap:
     * rewriting a 16 KiB bytea (TOASTed) for every allocation cost more than
     * all the rest of an issuance (pg_status.c). The bitmaps become rows once,
     * here (bit i is bit i % 8 of byte i / 8, as gr__store_status_pick marks).
     */
    "CREATE TABLE status_used ("
    "  list_id TEXT NOT NULL REFERENCES status_lists (id),"
    "  idx BIGINT NOT NULL,"
    "  PRIMARY KEY (list_id, idx)"
    ");"
    "INSERT INTO status_used (list_id, idx) SELECT id, i FROM status_lists, "
    "generate_series(0, size - 1) AS i WHERE get_bit(used, i::int) = 1;"
    "UPDATE status_lists SET used = ''::bytea;",
    /*
     * 4: the keyring, as migration 6 of sqlite_schema.c says. IF NOT EXISTS:
     * tests roll the recorded version back to re-run older steps.
     */
    "CREATE TABLE IF NOT EXISTS signing_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  signer_uri TEXT NOT NULL,"
    "  jwk TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'retired')),"
    "  created_at BIGINT NOT NULL,"
    "  activated_at BIGINT NOT NULL,"
    "  retired_at BIGINT"
    ");"
    "CREATE UNIQUE INDEX IF NOT EXISTS signing_keys_one_active ON signing_keys (state) "
    "WHERE state = 'active';"
    "ALTER TABLE issued ADD COLUMN IF NOT EXISTS kid TEXT;"
    "CREATE INDEX IF NOT EXISTS issued_kid ON issued (kid, expires_at);",
    /*
     * 5: no foreign keys to rows every issuance shares. A foreign key check
     * takes a FOR KEY SHARE lock on the parent row for each child row: with
     * one organization and one open status list behind every concurrent
     * issuance, that is a multixact per row on two hot rows, for rows only
     * this store writes, from parents it has just read or allocated in the
     * same transaction, and parents are never deleted. issued.offer_id keeps
     * its key: each offer's row is its own issuance's.
     */
    "ALTER TABLE issued DROP CONSTRAINT IF EXISTS issued_org_id_fkey;"
    "ALTER TABLE issued DROP CONSTRAINT IF EXISTS issued_status_list_fkey;"
    "ALTER TABLE status_used DROP CONSTRAINT IF EXISTS status_used_list_id_fkey;"
    "ALTER TABLE offers DROP CONSTRAINT IF EXISTS offers_org_id_fkey;",
    /*
     * 6: what each issued row paid for and nothing read. The foreign key to
     * the offer ran one lookup of the offer per credential (ten for a batch
     * of ten), for an offer the same request had just read through its
     * token, in a table whose rows are never deleted; the unique index on
     * seq was never searched (seq only orders an offer's few credentials,
     * found by issued_offer). The tokens' keys go for the same reason: a
     * token is inserted by the redemption that has just updated its offer.
     */
    "ALTER TABLE issued DROP CONSTRAINT IF EXISTS issued_offer_id_fkey;"
    "ALTER TABLE issued DROP CONSTRAINT IF EXISTS issued_seq_key;"
    "ALTER TABLE tokens DROP CONSTRAINT IF EXISTS tokens_offer_id_fkey;"
    "ALTER TABLE tokens DROP CONSTRAINT IF EXISTS tokens_org_id_fkey;",
    /*
     * 7: status lists found without an index on `free`. A column in an
     * index's predicate is an indexed column, so every allocation's update of
     * the open list's count was a new row version with new index entries:
     * thousands of dead versions of one row that each lookup walked until a
     * vacuum. Updates of `free` are HOT now. Full lists stay in the index, so
     * it is read newest first: the open list is the newest of its shape (an
     * allocator opens one only when none has room, under the status lock).
     */
    "DROP INDEX IF EXISTS status_lists_open;"
    "CREATE INDEX IF NOT EXISTS status_lists_shape ON status_lists (bits, size, created_at, id);",
    /*
     * 8: no CHECK constraints on the tables an issuance writes. PostgreSQL
     * rebuilds each CHECK from its stored text and plans it again for every
     * statement that writes the table (ExecRelCheck): with about twenty per
     * issuance that was a tenth of the database's CPU, to check lengths of
     * hashes bound from 32-byte fields and names of enums, written by this
     * store alone. What reads them back checks them still (gr__pg_col_hash,
     * the enum names, status list shapes and credential statuses), so a row
     * out of shape is SERVER_ERROR, as before. The tables written rarely
     * (orgs, secrets, signing_keys) keep theirs.
     */
    "ALTER TABLE offers DROP CONSTRAINT IF EXISTS offers_code_hash_check,"
    "  DROP CONSTRAINT IF EXISTS offers_tx_code_hash_check,"
    "  DROP CONSTRAINT IF EXISTS offers_tx_input_mode_check,"
    "  DROP CONSTRAINT IF EXISTS offers_state_check;"
    "ALTER TABLE tokens DROP CONSTRAINT IF EXISTS tokens_hash_check,"
    "  DROP CONSTRAINT IF EXISTS tokens_jkt_check;"
    "ALTER TABLE nonces DROP CONSTRAINT IF EXISTS nonces_hash_check;"
    "ALTER TABLE jtis DROP CONSTRAINT IF EXISTS jtis_hash_check;"
    "ALTER TABLE status_lists DROP CONSTRAINT IF EXISTS status_lists_bits_check,"
    "  DROP CONSTRAINT IF EXISTS status_lists_size_check,"
    "  DROP CONSTRAINT IF EXISTS status_lists_free_check;"
    "ALTER TABLE issued DROP CONSTRAINT IF EXISTS issued_holder_jkt_check,"
    "  DROP CONSTRAINT IF EXISTS issued_status_check;"
    "ALTER TABLE audit DROP CONSTRAINT IF EXISTS audit_prev_check,"
    "  DROP CONSTRAINT IF EXISTS audit_hash_check;",
    /*
     * 9: ids, keys and names compared byte by byte (COLLATE "C"), whatever
     * the database's own collation: they are random base64url or names
     * gramota makes, for which a language's collation only costs. Under
     * any other, each comparison in an index copies both values and calls
     * strcoll(), and an issuance inserts into about twenty indexes on them.
     */
    "ALTER TABLE orgs ALTER COLUMN id TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE offers ALTER COLUMN id TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN org_id TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE tokens ALTER COLUMN offer_id TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE status_lists ALTER COLUMN id TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE status_used ALTER COLUMN list_id TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE issued ALTER COLUMN id TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN org_id TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN offer_id TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN status_list TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN kid TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE rate_buckets ALTER COLUMN key TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE secrets ALTER COLUMN name TYPE TEXT COLLATE \"C\";"
    "ALTER TABLE signing_keys ALTER COLUMN kid TYPE TEXT COLLATE \"C\","
    "  ALTER COLUMN state TYPE TEXT COLLATE \"C\";",
    /*
     * 10: indexes only the sweep used, or nothing. The sweep reads the
     * short-lived tables once a minute, and whole they are a few minutes of
     * traffic; every nonce, jti, token and rate take paid for an index on
     * its expiry meanwhile (and rate_buckets' on full_at made each take a
     * new row version, as migration 7 says of status lists). No statement
     * looks offers up by organization, nor tokens by offer.
     */
    "DROP INDEX IF EXISTS nonces_expiry, jtis_expiry, tokens_expiry, tokens_offer, "
    "rate_buckets_full, offers_org;",
    /*
     * 11: a list's entries handed out in the order of a keyed permutation
     * (status_order.c): `next` counts the positions handed out, `order_key`
     * is the list's secret. An allocation is one update of the list's row
     * (HOT: neither column is indexed) and no status_used rows, which cost
     * an insert and a probe per credential. Lists opened before this keep
     * their status_used rows and skip the entries those name (`skip_used`):
     * the permutation reaches every entry once, so they fill up exactly.
     * The default key is drawn for each row, existing ones included
     * (gen_random_uuid: PostgreSQL's strong random source, 122 bits).
     */
    "ALTER TABLE status_lists ADD COLUMN IF NOT EXISTS next BIGINT NOT NULL DEFAULT 0,"
    "  ADD COLUMN IF NOT EXISTS order_key BYTEA NOT NULL DEFAULT uuid_send(gen_random_uuid()),"
    "  ADD COLUMN IF NOT EXISTS skip_used BOOLEAN NOT NULL DEFAULT false;"
    "UPDATE status_lists s SET skip_used = true "
    "WHERE EXISTS (SELECT 1 FROM status_used u WHERE u.list_id = s.id);",
    /*
     * 12: c_nonces are stateless (nonce.h): the nonce endpoint writes nothing,
     * and a used c_nonce is kept in jtis until it expires.
     */
    "DROP TABLE IF EXISTS nonces;",
};

const size_t gr__pg_migrations_len = GR_NELEM(gr__pg_migrations);

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

/*
 * Advisory lock keys (pg_advisory_xact_lock(int, int)): the first number is
 * gramota's ("GRam"), the second says what is serialized. pg_db.c uses 1 for
 * migrations.
 */
#define LOCK_NS     "1196581229"
#define LOCK_AUDIT  "2"
#define LOCK_STATUS "3"
#define LOCK_KEYS   "4"

/* see pg_internal.h */
const char *const gr__pg_sql[PQ__COUNT] = {
    [PQ_ORG_INSERT] = "INSERT INTO orgs (id, name, key_hash, created_at, offer_rate, offer_burst) "
                      "VALUES ($1::text, $2::text, $3::bytea, $4::bigint, "
                      "nullif($5::bigint, 0), nullif($6::bigint, 0))",
    [PQ_ORG_BY_KEY] = "SELECT " ORG_COLS " FROM orgs WHERE key_hash = $1::bytea",
    [PQ_ORG_BY_NAME] = "SELECT " ORG_COLS " FROM orgs WHERE name = $1::text",
    [PQ_ORG_LIMITS] = "UPDATE orgs SET offer_rate = nullif($2::bigint, 0), "
                      "offer_burst = nullif($3::bigint, 0) WHERE id = $1::text",
    [PQ_OFFER_INSERT] = "INSERT INTO offers (" OFFER_COLS ") VALUES ($1::text, $2::text, "
                        "$3::text, $4::bytea, $5::bytea, $6::text, $7::bigint, $8::text, "
                        "$9::bigint, $10::bigint, $11::text, $12::bigint, $13::bigint, "
                        "$14::bigint, $15::text, $16::text, $17::bytea)",
    /*
     * By the primary key alone; the organization is compared by the caller
     * (pg_offer.c). With `AND org_id = $2` a generic plan made while the
     * table was empty may choose offers_org and read every offer of the
     * organization on each call: 380 pages per lookup were measured.
     * PQ_CRED_GET, PQ_CRED_LOCK and PQ_ISSUED_IDS do the same.
     */
    [PQ_OFFER_GET] = "SELECT " OFFER_COLS " FROM offers WHERE id = $1::text",
    [PQ_OFFER_BY_CODE] = "SELECT " OFFER_COLS " FROM offers WHERE code_hash = $1::bytea "
                         "AND state = 'pending' AND expires_at > $2::bigint",
    /*
     * The redemption itself: every condition in one statement. Under READ
     * COMMITTED a racing UPDATE waits for the row lock of the first and then
     * re-checks this WHERE on the row as committed, so only one ever matches.
     * The transaction codes are compared as SHA-256(hash || $4), $4 fresh
     * random bytes per call: bytea = stops at the first differing byte, and
     * blinding both sides keeps that from timing the stored hash's prefix
     * (STYLE §3.3; sqlite_db.c's tx_match does the same in constant time).
     */
    [PQ_OFFER_REDEEM] = "UPDATE offers SET state = 'redeemed', redeemed_at = $2::bigint "
                        "WHERE code_hash = $1::bytea AND state = 'pending' "
                        "AND expires_at > $2::bigint AND ((tx_code_hash IS NULL AND "
                        "$3::bytea IS NULL) OR sha256(tx_code_hash || $4::bytea) = "
                        "sha256($3::bytea || $4::bytea)) RETURNING " OFFER_COLS,
    /* FOR UPDATE: the diagnosis and the attempt count see the row as it stays until COMMIT. */
    [PQ_OFFER_DIAGNOSE] = "SELECT id, state, expires_at, tx_code_hash IS NOT NULL "
                          "FROM offers WHERE code_hash = $1::bytea FOR UPDATE",
    [PQ_OFFER_MISS] = "UPDATE offers SET tx_attempts = tx_attempts + 1, "
                      "state = CASE WHEN tx_attempts + 1 >= $2::bigint THEN 'dead' ELSE state END "
                      "WHERE id = $1::text AND state = 'pending' RETURNING state",
    [PQ_TOKEN_INSERT] = "INSERT INTO tokens (" TOKEN_COLS ") VALUES ($1::bytea, $2::text, "
                        "$3::text, $4::text, $5::bytea, $6::bigint, $7::text)",
    [PQ_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = $1::bytea "
                     "AND expires_at > $2::bigint",
    /*
     * A jti seen before counts only while unexpired; an expired row is reused
     * in place. ON CONFLICT makes a racing insert of the same key wait for the
     * first and then take the DO UPDATE path, whose WHERE refuses it.
     */
    [PQ_JTI_ADD] = "INSERT INTO jtis (hash, expires_at) VALUES ($1::bytea, $2::bigint) "
                   "ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at "
                   "WHERE jtis.expires_at <= $3::bigint",
    /* A batch in one statement: a binary array per column (pg_db.c: gr__pg_cols). */
    [PQ_ISSUED_INSERT] =
        "INSERT INTO issued (id, org_id, offer_id, config_id, vct, holder_jkt, issued_at, "
        "expires_at, status_list, status_idx, kid) "
        "SELECT t.id, t.org, t.offer, t.config, t.vct, t.jkt, t.iat, t.exp, t.list, t.idx, "
        "nullif(t.kid, '') "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], "
        "$7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::text[]) "
        "AS t(id, org, offer, config, vct, jkt, iat, exp, list, idx, kid)",
    [PQ_ISSUED_IDS] = "SELECT id, org_id FROM issued WHERE offer_id = $1::text "
                      "ORDER BY issued_at, seq LIMIT $2::bigint",
    /* One allocator at a time, across every process (pg_status.c). */
    [PQ_STATUS_LOCK] = "SELECT pg_advisory_xact_lock(" LOCK_NS ", " LOCK_STATUS ")",
    /* The open list: positions left to hand out. Full lists stay in the index (migration 7). */
    [PQ_STATUS_OPEN] = "SELECT id, next, order_key, skip_used FROM status_lists "
                       "WHERE bits = $1::bigint AND size = $2::bigint AND next < size "
                       "ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE",
    [PQ_STATUS_NEW] = "INSERT INTO status_lists (id, bits, size, used, free, statuses, "
                      "created_at, updated_at) VALUES ($1::text, $2::bigint, $3::bigint, "
                      "''::bytea, $3::bigint, "
                      "decode(repeat('00', ($3::bigint * $2::bigint / 8)::int), 'hex'), "
                      "$4::bigint, $4::bigint)",
    /*
     * The common case in one autocommit statement: the next $3 positions of
     * the newest list that has them, counted off under the row's lock. The
     * row returned says which ($4 the first; pg_status.c maps them to
     * entries); none leaves the allocation to the transaction of
     * gr__pg_status_alloc. An allocator that waited for the row's lock
     * rechecks `free` on the version it waited for (READ COMMITTED's
     * recheck), so two never count off the same positions.
     */
    [PQ_STATUS_QUICK] =
        "UPDATE status_lists SET next = next + $3::bigint, free = free - $3::bigint "
        "WHERE id = (SELECT id FROM status_lists WHERE bits = $1::bigint AND size = $2::bigint "
        "AND free >= $3::bigint ORDER BY created_at DESC, id DESC LIMIT 1) "
        "AND free >= $3::bigint AND NOT skip_used RETURNING id, next - $3::bigint, order_key",
    /* Which of the entries $2 ("{i,j,k}") a list opened before migration 11 handed out. */
    [PQ_STATUS_USED] = "SELECT idx FROM status_used WHERE list_id = $1::text "
                       "AND idx = ANY ($2::text::bigint[])",
    /* $2 positions counted off, $3 of them handed out (the rest were skipped). */
    [PQ_STATUS_TAKE] = "UPDATE status_lists SET next = next + $2::bigint, "
                       "free = free - $3::bigint WHERE id = $1::text",
    [PQ_STATUS_GET] = "SELECT id, bits, size, statuses, version, updated_at FROM status_lists "
                      "WHERE id = $1::text",
    [PQ_CRED_GET] = "SELECT " CRED_COLS " FROM issued WHERE id = $1::text",
    /* Newest first; the cursor is the (issued_at, id) of the last row shown. */
    [PQ_CRED_LIST] = "SELECT " CRED_COLS " FROM issued WHERE org_id = $1::text "
                     "AND ($2::text IS NULL OR offer_id = $2::text) "
                     "AND ($3::text IS NULL OR vct = $3::text) "
                     "AND ($4::bigint < 0 OR status = $4::bigint) "
                     "AND ($5::text = '' OR issued_at < $6::bigint OR "
                     "(issued_at = $6::bigint AND id < $5::text)) "
                     "ORDER BY issued_at DESC, id DESC LIMIT $7::bigint",
    /* FOR UPDATE: a status change reads the record it is about to change under its lock. */
    [PQ_CRED_LOCK] = "SELECT " CRED_COLS " FROM issued WHERE id = $1::text FOR UPDATE",
    /* After PQ_CRED_LOCK, in its transaction: the row is the organization's and locked. */
    [PQ_CRED_SET] = "UPDATE issued SET status = $2::bigint, status_at = $3::bigint "
                    "WHERE id = $1::text",
    [PQ_STATUS_VALUES] = "SELECT bits, statuses FROM status_lists WHERE id = $1::text FOR UPDATE",
    [PQ_STATUS_WRITE] = "UPDATE status_lists SET statuses = $2::bytea, version = version + 1, "
                        "updated_at = $3::bigint WHERE id = $1::text",
    [PQ_AUDIT_LOCK] = "SELECT pg_advisory_xact_lock(" LOCK_NS ", " LOCK_AUDIT ")",
    [PQ_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [PQ_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ") "
                        "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], "
                        "$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
                        "$9::bytea[], $10::bytea[])",
    [PQ_AUDIT_ALL] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq",
    [PQ_SECRET_INSERT] = "INSERT INTO secrets (name, value) VALUES ($1::text, $2::bytea) "
                         "ON CONFLICT (name) DO NOTHING",
    [PQ_SECRET_GET] = "SELECT value FROM secrets WHERE name = $1::text",
    [PQ_PING] = "SELECT 1",
    [PQ_SWEEP_JTIS] = "DELETE FROM jtis WHERE expires_at <= $1::bigint",
    [PQ_SWEEP_TOKENS] = "DELETE FROM tokens WHERE expires_at <= $1::bigint",
    [PQ_SWEEP_RATES] = "DELETE FROM rate_buckets WHERE full_at <= $1::bigint * 1000",
    /* As SQ_SWEEP_OFFERS in sqlite_schema.c: $2 is now less the access tokens' lifetime. */
    [PQ_SWEEP_OFFERS] =
        "UPDATE offers SET subject_json = NULL, disclosable_json = NULL, sealed_url = NULL "
        "WHERE subject_json IS NOT NULL "
        "AND (state = 'dead' "
        "OR (state = 'pending' AND expires_at <= $1::bigint) "
        "OR (state = 'redeemed' AND redeemed_at <= $2::bigint))",
    /*
     * As SQ_RATE_TAKE in sqlite_schema.c. A racing UPSERT on one key waits for
     * the first's row lock and re-checks its WHERE on the committed row, so
     * two takers cannot both spend the last token.
     */
    [PQ_RATE_TAKE] =
        "INSERT INTO rate_buckets AS b (key, full_at) "
        "VALUES ($1::text, $2::bigint + $3::bigint) ON CONFLICT (key) DO UPDATE "
        "SET full_at = greatest(b.full_at, $2::bigint) + $3::bigint "
        "WHERE greatest(b.full_at, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint",
    [PQ_RATE_GET] = "SELECT full_at FROM rate_buckets WHERE key = $1::text",
    /*
     * key_activate (pg_keys.c). Under READ COMMITTED, two activations could
     * each retire the key they saw active and each insert their own, and the
     * second would break signing_keys_one_active: one at a time instead.
     */
    [PQ_KEY_LOCK] = "SELECT pg_advisory_xact_lock(" LOCK_NS ", " LOCK_KEYS ")",
    [PQ_KEY_RETIRE] = "UPDATE signing_keys SET state = 'retired', retired_at = $2::bigint "
                      "WHERE state = 'active' AND kid <> $1::text",
    [PQ_KEY_ACTIVATE] = "INSERT INTO signing_keys AS k (kid, signer_uri, jwk, state, created_at, "
                        "activated_at) VALUES ($1::text, $2::text, $3::text, 'active', $4::bigint, "
                        "$4::bigint) ON CONFLICT (kid) DO UPDATE SET "
                        "signer_uri = excluded.signer_uri, retired_at = NULL, "
                        "activated_at = CASE WHEN k.state = 'active' THEN k.activated_at "
                        "ELSE $4::bigint END, state = 'active'",
    /* As SQ_KEY_LIST in sqlite_schema.c. */
    [PQ_KEY_LIST] = "SELECT k.kid, k.signer_uri, k.jwk, k.state, k.created_at, "
                    "k.activated_at, coalesce(k.retired_at, 0), "
                    "coalesce((SELECT max(i.expires_at) FROM issued i WHERE i.kid = k.kid), 0), "
                    "CASE WHEN $2::bigint <> 0 THEN (SELECT count(*) FROM issued i "
                    "WHERE i.kid = k.kid AND i.expires_at > $1::bigint) ELSE -1 END "
                    "FROM signing_keys k ORDER BY k.state = 'active' DESC, "
                    "coalesce(k.retired_at, 0) DESC, k.kid LIMIT $3::bigint",
};

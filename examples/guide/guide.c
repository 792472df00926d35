/*
 * The guide's issuer, in C: OpenID4VCI's pre-authorized code flow handing out
 * SD-JWT VCs, on libmicrohttpd and the public API of libgramota. docs/guide.md
 * walks through it; the numbered steps below are the guide's.
 *
 *   guide [--port N] [--issuer-url URL] [--signer file:PEM|pkcs11:...] [--batch-size N]
 *
 * libgramota checks and builds; the application keeps the state. Here that is
 * four small hash tables in memory (offers, access tokens, c_nonces, DPoP
 * jtis) and one status list, all touched by libmicrohttpd's one thread. The
 * daemon, `gramota serve`, is this same program grown up: each PRODUCTION note
 * says what it does instead.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include <gramota/gramota.h>

#define MAX_BODY         (64 * 1024)
#define OFFER_LIFETIME   1800 /* seconds a pre-authorized code may be redeemed */
#define TOKEN_LIFETIME   300  /* seconds an access token fetches credentials */
#define NONCE_LIFETIME   300  /* seconds a c_nonce stays good */
#define DPOP_MAX_AGE     300  /* seconds a DPoP proof stays acceptable */
#define MAX_TX_ATTEMPTS  5    /* wrong transaction codes before an offer dies */
#define STATUS_LIST_SIZE (1 << 17)

/*
 * Step 0: what the issuer issues. The guide's one credential type, with the
 * same shape as a file of `gramota serve --credential-types DIR` would have
 * (docs/credential-types.md); every claim it declares is selectively
 * disclosable by default.
 */
static const char degree_type[] =
    "{\"id\":\"university_degree\",\"configuration\":{\"format\":\"dc+sd-jwt\","
    "\"vct\":\"urn:example:guide:university_degree:1\","
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"
    "\"credential_signing_alg_values_supported\":[\"ES256\"],"
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}},"
    "\"credential_metadata\":{\"display\":[{\"name\":\"University degree\",\"locale\":\"en\"}],"
    "\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true},"
    "{\"path\":[\"family_name\"],\"mandatory\":true},{\"path\":[\"degree\"],\"mandatory\":true},"
    "{\"path\":[\"graduation_date\"]}]}},\"gramota\":{\"lifetime_days\":365}}";

/* ---- the application's state: hash tables keyed by SHA-256 values ---- */

#define SLOTS 4096 /* per table, a power of two */

struct slot {
    uint8_t key[32];    /* the SHA-256 of a secret (code, token, nonce), or a DPoP jti_hash */
    int64_t expires_at; /* 0: never used; in the past: free again */
    void *value;
};

struct table {
    struct slot slot[SLOTS];
    void (*free_value)(void *);
};

/* The live slot of `key`, or NULL. Keys are hashes: their first bytes spread them well. */
static struct slot *table_get(struct table *t, const uint8_t key[32], int64_t now)
{
    size_t i = ((size_t)key[0] << 8 | key[1]) & (SLOTS - 1);

    for (size_t n = 0; n < SLOTS && t->slot[i].expires_at != 0; n++, i = (i + 1) & (SLOTS - 1)) {
        if (t->slot[i].expires_at >= now && memcmp(t->slot[i].key, key, 32) == 0)
            return &t->slot[i];
    }
    return NULL;
}

/* Add `key` (taking `value`); DUPLICATE when it is there already. */
static int table_put(struct table *t, const uint8_t key[32], int64_t expires_at, void *value,
                     int64_t now, struct gr_err *err)
{
    size_t i = ((size_t)key[0] << 8 | key[1]) & (SLOTS - 1);
    struct slot *s = NULL;

    if (table_get(t, key, now) != NULL) {
        if (t->free_value)
            t->free_value(value);
        return gr_fail(err, GR_ERR_DUPLICATE, "The key is taken.");
    }
    for (size_t n = 0; n < SLOTS && s == NULL; n++, i = (i + 1) & (SLOTS - 1)) {
        if (t->slot[i].expires_at < now)
            s = &t->slot[i];
    }
    if (s == NULL) {
        if (t->free_value)
            t->free_value(value);
        return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The issuer is busy; try again.");
    }
    if (s->value && t->free_value)
        t->free_value(s->value); /* an expired entry's */
    memcpy(s->key, key, 32);
    s->expires_at = expires_at;
    s->value = value;
    return 0;
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < SLOTS; i++) {
        if (t->slot[i].value && t->free_value)
            t->free_value(t->slot[i].value);
    }
    memset(t->slot, 0, sizeof(t->slot));
}

/* An offer: the Credential Offer's fields, and the subject's claims checked into a template. */
struct offer {
    struct gr_offer o;
    const struct gr_cred_type *type;
    struct gr_sdjwt_vc_template *tpl; /* moves to the access token when the code is redeemed */
};

/* An access token: what it may fetch, and the DPoP key it is bound to. */
struct token {
    const struct gr_cred_type *type;
    struct gr_sdjwt_vc_template *tpl;
    int64_t credential_lifetime;
    bool dpop_bound;
    uint8_t jkt[32];
};

static void offer_free(void *p)
{
    struct offer *o = p;

    gr_sdjwt_vc_template_free(o->tpl);
    gr_offer_release(&o->o);
    free(o);
}

static void token_free(void *p)
{
    struct token *t = p;

    gr_sdjwt_vc_template_free(t->tpl);
    free(t);
}

/* Everything made at start-up is read-only afterwards; the tables are MHD's thread's alone. */
static struct {
    struct gr_str issuer_url;
    struct gr_issuer_settings settings;
    struct gr_signer *signer;
    struct gr_cred_types *types;
    struct gr_str base_path; /* the issuer URL's path: "" or "/tenant" */
    struct {
        struct gr_buf doc, path, draft13_path; /* a published document, where it is served */
    } meta[3];
    char admin_key[44];
    struct gr_status_list *status;
    uint8_t status_used[STATUS_LIST_SIZE / 8];
    struct gr_buf status_uri;
    struct table offers, tokens, nonces, jtis;
} g = { .offers.free_value = offer_free, .tokens.free_value = token_free };

/* The DPoP replay set for gr_dpop_verify: the jti table (see gr_dpop_replay_fn). */
static int jti_seen(void *ctx, const uint8_t jti_hash[32], int64_t expires_at, int64_t now,
                    struct gr_err *err)
{
    return table_put(ctx, jti_hash, expires_at, NULL, now, err);
}

/* A fresh random secret, base64url, NUL-terminated in out[44], and its SHA-256. */
static int mint(char out[44], uint8_t hash[32], struct gr_err *err)
{
    uint8_t raw[32];

    if (gr_random(raw, sizeof(raw), err) < 0)
        return -1;
    gr_b64url_encode(raw, sizeof(raw), out);
    out[43] = '\0';
    if (hash)
        gr_sha256(out, 43, hash);
    return 0;
}

/* ---- HTTP: one request in, one answer out ---- */

struct reply {
    unsigned status;
    const char *type;
    struct gr_buf body;
    char www_authenticate[200];
};

/* Every error is {"error", "error_description"}: err.h keeps `desc` free of '"' and '\'. */
static void reply_error(struct reply *rep, const struct gr_err *err)
{
    const char *wire = gr_errc_wire(err->code);

    rep->status = (unsigned)gr_errc_status(err->code);
    if (wire == NULL) { /* an internal code: a bug or a broken installation, never the client */
        fprintf(stderr, "guide: %s at %s: %s (%s)\n", gr_errc_name(err->code),
                err->where ? err->where : "?", err->desc, err->cause);
        wire = "server_error";
        rep->status = 500;
    }
    rep->type = "application/json";
    gr_buf_reset(&rep->body);
    gr_buf_printf(&rep->body, "{\"error\":\"%s\",\"error_description\":\"%s\"}", wire, err->desc);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result count_dpop(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, "DPoP") == 0)
        ++*(unsigned *)cls;
    return MHD_YES;
}

static bool content_type_is(struct MHD_Connection *c, const char *type)
{
    const char *ct = header(c, "Content-Type");
    size_t n = strlen(type);

    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/*
 * The request's DPoP proof for `path`, if it has one (RFC 9449 §4.3), the
 * access token's hash checked when there is one (`ath`), its jti recorded.
 * PRODUCTION: `gramota serve --dpop-nonce` also demands server nonces
 * (gr_dpop_check.nonce_secret); the jti set lives in Redis or the database.
 */
static int dpop(struct MHD_Connection *c, const char *path, struct gr_str access_token, int64_t now,
                struct gr_dpop_proof *out, bool *present, struct gr_err *err)
{
    unsigned n = 0;
    struct gr_buf url;
    int rc;

    MHD_get_connection_values(c, MHD_HEADER_KIND, count_dpop, &n);
    *present = n > 0;
    if (n == 0)
        return 0;
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    gr_buf_addstr(&url, g.issuer_url);
    gr_buf_adds(&url, path);
    rc = gr_dpop_verify(
        &(struct gr_dpop_check){
            .header = gr_str_c(header(c, "DPoP")),
            .header_count = n,
            .method = GR_STR("POST"),
            .url = gr_buf_str(&url),
            .access_token = access_token,
            .now = now,
            .max_age = DPOP_MAX_AGE,
            .replay = jti_seen,
            .replay_ctx = &g.jtis,
        },
        out, err);
    gr_buf_release(&url);
    return rc;
}

/* ---- Step 1: mint the offer (the back office asks; API.md §2's request) ---- */

static int pick_type(const struct gr_offer_request *req, const struct gr_cred_type **t,
                     struct gr_err *err)
{
    *t = req->vct.p ? gr_cred_types_by_vct(g.types, req->vct)
                    : gr_cred_types_get(g.types, req->configuration_id);
    if (*t == NULL)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "This issuer has no such credential type.");
    return 0;
}

/* A numeric transaction code, every digit equally likely. */
static int draw_tx_code(char *out, int length, struct gr_err *err)
{
    for (int i = 0; i < length;) {
        uint8_t b;

        if (gr_random(&b, 1, err) < 0)
            return -1;
        if (b < 250)
            out[i++] = (char)('0' + b % 10);
    }
    out[length] = '\0';
    return 0;
}

/* The subject's claims checked now, into the template that will issue them. */
static int offer_claims(struct offer *o, const struct gr_offer_request *req, struct gr_err *err)
{
    struct gr_sdjwt_vc_spec spec = {
        .vct = gr_cred_type_vct(o->type),
        .iss = g.issuer_url,
        .claims_json = gr_buf_str(&req->subject_json),
        .disclosable_json = req->disclosable_json.len ? gr_buf_str(&req->disclosable_json)
                                                      : gr_cred_type_disclosable(o->type),
    };

    gr_cred_type_decoys(o->type, &spec.decoys_min, &spec.decoys_max);
    if ((o->tpl = gr_sdjwt_vc_template_new(&spec, g.signer, err)) == NULL)
        return gr_err_recode(err, GR_ERR_INVALID_REQUEST);
    snprintf(o->o.config_id, sizeof(o->o.config_id), "%.*s", (int)gr_cred_type_id(o->type).len,
             gr_cred_type_id(o->type).p);
    return 0;
}

/* A transaction code when asked for (its hash kept, the code shown once). */
static int offer_tx_code(struct offer *o, const struct gr_offer_request *req, char tx[11],
                         struct gr_err *err)
{
    if (!req->tx_code)
        return 0;
    o->o.has_tx_code = true;
    o->o.tx_length = req->tx_length ? req->tx_length : 6;
    if (req->tx_input_mode != GR_TX_NUMERIC || o->o.tx_length > 10)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "This issuer makes numeric codes of 4 to 10 digits.");
    if (draw_tx_code(tx, o->o.tx_length, err) < 0)
        return -1;
    gr_sha256(tx, strlen(tx), o->o.tx_code_hash);
    return 0;
}

/*
 * POST /v1/credential-offers, the admin key as Bearer token, the body of
 * API.md §2. A bad subject fails here, not in the wallet. PRODUCTION: the
 * configuration's mandatory claims required, organizations with their own
 * API keys, offer rate limits, offers by reference, QR codes, the audit log.
 */
static int make_offer(struct MHD_Connection *c, struct gr_str body, int64_t now, struct reply *rep,
                      struct gr_err *err)
{
    const char *auth = header(c, "Authorization");
    struct gr_offer_request req;
    struct offer *o = calloc(1, sizeof(*o));
    struct gr_buf json, url;
    char code[44], tx[11] = "";
    int rc = -1;

    if (o == NULL)
        abort();
    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    memset(&req, 0, sizeof(req));
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
        !gr_ct_str_equal(gr_str_c(auth + 7), gr_str_c(g.admin_key))) {
        gr_fail(err, GR_ERR_UNAUTHORIZED, "The admin key is missing or wrong.");
        goto out;
    }
    if (gr_offer_request_parse(body, &req, err) < 0 || pick_type(&req, &o->type, err) < 0 ||
        offer_claims(o, &req, err) < 0 || offer_tx_code(o, &req, tx, err) < 0 ||
        mint(code, o->o.code_hash, err) < 0)
        goto out;
    o->o.state = GR_OFFER_PENDING;
    o->o.expires_at = now + (req.expires_in ? req.expires_in : OFFER_LIFETIME);
    o->o.credential_lifetime =
        req.credential_expires_in ? req.credential_expires_in : gr_cred_type_lifetime(o->type);
    gr_offer_json(g.issuer_url, &o->o, gr_str_c(code), &json);
    gr_offer_url(gr_buf_str(&json), false, &url);
    rc = table_put(&g.offers, o->o.code_hash, o->o.expires_at, o, now, err);
    o = NULL; /* taken, even on failure */
    if (rc < 0)
        goto out;
    rep->status = 201;
    gr_buf_printf(&rep->body, "{\"offerUrl\":\"%s\",\"preAuthCode\":\"%s\",\"credentialOffer\":%s",
                  url.data, code, json.data);
    gr_buf_printf(&rep->body, tx[0] ? ",\"txCode\":\"%s\"}" : "}%s", tx);
out:
    if (o)
        offer_free(o);
    gr_offer_request_release(&req);
    gr_buf_release(&url);
    gr_buf_release(&json);
    return rc;
}

/* ---- Step 3: the token endpoint, pre-authorized code (OID4VCI 1.0 §6) ---- */

/* The offer for this code and transaction code, now REDEEMED. */
static int redeem(const struct gr_token_request *tr, int64_t now, struct offer **out,
                  struct gr_err *err)
{
    uint8_t hash[32];
    struct slot *s;
    struct offer *o;

    gr_sha256(tr->code.p, tr->code.len, hash);
    s = table_get(&g.offers, hash, now);
    o = s ? s->value : NULL;
    if (o == NULL || o->o.state != GR_OFFER_PENDING)
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code is unknown or used.");
    if (o->o.has_tx_code != (tr->tx_code.p != NULL))
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       o->o.has_tx_code ? "This offer needs its tx_code."
                                        : "This offer has no tx_code.");
    if (o->o.has_tx_code) {
        gr_sha256(tr->tx_code.p, tr->tx_code.len, hash);
        if (!gr_ct_equal(hash, o->o.tx_code_hash, 32)) {
            if (++o->o.tx_attempts >= MAX_TX_ATTEMPTS)
                o->o.state = GR_OFFER_DEAD; /* guessing a 6-digit code stops here */
            return gr_fail(err, GR_ERR_INVALID_GRANT, "The tx_code is wrong.");
        }
    }
    o->o.state = GR_OFFER_REDEEMED;
    *out = o;
    return 0;
}

/*
 * POST /oid4vci/token. The DPoP proof is checked before the code is spent; a
 * DPoP-bound token remembers its key's thumbprint. PRODUCTION: wallet
 * attestation (attest_jwt_client_auth), rate limits on failed guesses per
 * client and per code, the code redeemed atomically across processes.
 */
static int token(struct MHD_Connection *c, struct gr_str body, int64_t now, struct reply *rep,
                 struct gr_err *err)
{
    struct gr_token_request tr;
    struct gr_dpop_proof proof;
    struct token *t = NULL;
    struct offer *o = NULL;
    uint8_t hash[32];
    char access[44];
    bool bound;
    int rc = -1;

    memset(&tr, 0, sizeof(tr));
    if (!content_type_is(c, "application/x-www-form-urlencoded")) {
        gr_fail(err, GR_ERR_INVALID_REQUEST, "The token request must be a form.");
        goto out;
    }
    if (gr_token_request_parse(body, &tr, err) < 0 ||
        dpop(c, "/oid4vci/token", (struct gr_str){ NULL, 0 }, now, &proof, &bound, err) < 0 ||
        mint(access, hash, err) < 0 || redeem(&tr, now, &o, err) < 0)
        goto out;
    if ((t = calloc(1, sizeof(*t))) == NULL)
        abort();
    t->type = o->type;
    t->tpl = o->tpl; /* the claims move from the spent code to the token */
    o->tpl = NULL;
    t->credential_lifetime = o->o.credential_lifetime;
    t->dpop_bound = bound;
    memcpy(t->jkt, proof.jkt, bound ? 32 : 0);
    if (table_put(&g.tokens, hash, now + TOKEN_LIFETIME, t, now, err) < 0)
        goto out;
    gr_buf_printf(&rep->body, "{\"access_token\":\"%s\",\"token_type\":\"%s\",\"expires_in\":%d}",
                  access, bound ? "DPoP" : "Bearer", TOKEN_LIFETIME);
    rc = 0;
out:
    gr_token_request_release(&tr);
    return rc;
}

/* ---- Step 4: the nonce endpoint (OID4VCI 1.0 §7) ---- */

static int nonce(int64_t now, struct reply *rep, struct gr_err *err)
{
    char n[44];
    uint8_t hash[32];

    if (mint(n, hash, err) < 0 || table_put(&g.nonces, hash, now + NONCE_LIFETIME, NULL, now, err))
        return -1;
    gr_buf_printf(&rep->body, "{\"c_nonce\":\"%s\"}", n);
    return 0;
}

/* ---- Step 5: issue the credential (OID4VCI 1.0 §8) ---- */

/*
 * The access token of `Authorization: Bearer|DPoP <token>` (RFC 6750 §2.1,
 * RFC 9449 §7.1); a DPoP-bound one with its proof, by its key.
 */
static int access_token(struct MHD_Connection *c, int64_t now, struct token **out,
                        struct gr_err *err)
{
    const char *auth = header(c, "Authorization");
    bool dpop_scheme = auth && strncasecmp(auth, "DPoP ", 5) == 0, present;
    struct gr_dpop_proof proof;
    struct gr_str tok;
    uint8_t hash[32];
    struct slot *s;

    if (auth == NULL || (!dpop_scheme && strncasecmp(auth, "Bearer ", 7) != 0))
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The request carries no access token.");
    tok = gr_str_c(auth + (dpop_scheme ? 5 : 7));
    gr_sha256(tok.p, tok.len, hash);
    if ((s = table_get(&g.tokens, hash, now)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is unknown or expired.");
    *out = s->value;
    if ((*out)->dpop_bound != dpop_scheme)
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The token is sent with the wrong scheme.");
    if (!dpop_scheme)
        return 0;
    if (dpop(c, "/oid4vci/credential", tok, now, &proof, &present, err) < 0)
        return -1;
    if (!present || !gr_ct_equal(proof.jkt, (*out)->jkt, 32))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof is not by the token's key.");
    return 0;
}

/* Which configuration: OID4VCI 1.0 and Draft 15 name it, Draft 13 gives format and vct. */
static int resolve(const struct gr_credential_request *cr, const struct token *t,
                   struct gr_err *err)
{
    const struct gr_cred_type *want = cr->dialect == GR_VCI_DRAFT13
                                          ? gr_cred_types_by_vct(g.types, cr->vct)
                                          : gr_cred_types_get(g.types, cr->configuration_id);

    if (cr->credential_identifier.p)
        return gr_fail(err, GR_ERR_UNKNOWN_CREDENTIAL_IDENTIFIER,
                       "This issuer hands out no credential identifiers.");
    if (want == NULL)
        return gr_fail(err, GR_ERR_UNKNOWN_CREDENTIAL_CONFIGURATION,
                       "This issuer has no such credential configuration.");
    if (want != t->type)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST,
                       "The access token is for another credential configuration.");
    return 0;
}

/*
 * Every key proof valid, by different keys, over one c_nonce of ours, which
 * is then spent (OID4VCI 1.0 App. F.1, F.4). PRODUCTION: key attestations
 * from trusted wallet providers (`--credential-types eudi`,
 * `--wallet-trust-anchors`), and the `attestation` proof type.
 */
static int check_proofs(const struct gr_credential_request *cr, int64_t now,
                        struct gr_proof *proofs, const struct gr_jwk **keys, struct gr_err *err)
{
    uint8_t hash[32];
    struct slot *s;

    if (cr->proof_count == 0 || cr->proof_type != GR_PROOF_JWT)
        return gr_fail(err, GR_ERR_INVALID_PROOF, "The request needs jwt key proofs.");
    if (cr->proof_count > (size_t)g.settings.batch_size)
        return gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST, "The batch is too large.");
    for (size_t i = 0; i < cr->proof_count; i++) {
        struct gr_proof_check pc = { .jwt = cr->proofs[i], .audience = g.issuer_url, .now = now };

        if (gr_proof_verify_jwt(&pc, &proofs[i], err) < 0)
            return -1;
        if (!proofs[i].has_nonce || strcmp(proofs[i].nonce, proofs[0].nonce) != 0)
            return gr_fail(err, GR_ERR_INVALID_PROOF, "Every proof needs the one c_nonce.");
        for (size_t j = 0; j < i; j++) {
            if (gr_jwk_equal(keys[j], proofs[i].key))
                return gr_fail(err, GR_ERR_INVALID_PROOF, "The same key is proven twice.");
        }
        keys[i] = proofs[i].key;
    }
    gr_sha256(proofs[0].nonce, strlen(proofs[0].nonce), hash);
    if ((s = table_get(&g.nonces, hash, now)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_NONCE, "The c_nonce is unknown or spent.");
    s->expires_at = 1; /* spent: a c_nonce is good once */
    return 0;
}

/*
 * A batch: one SD-JWT VC per proven key, each with its own status list entry,
 * fresh salts and decoys, one signer call each. PRODUCTION: entries from the
 * store's status lists, every credential recorded durably and audited before
 * the response leaves, a notification_id, the signer on an HSM (pkcs11:).
 */
static int issue(const struct gr_credential_request *cr, const struct token *t,
                 const struct gr_jwk **keys, size_t n, int64_t now, struct reply *rep,
                 struct gr_err *err)
{
    struct gr_status_ref status[GR_MAX_PROOFS];
    struct gr_sdjwt_vc_issued out[GR_MAX_PROOFS];
    struct gr_sdjwt_vc_batch b = {
        .iat = now,
        .exp = now + t->credential_lifetime,
        .count = n,
        .holder_keys = keys,
        .status = status,
    };

    for (size_t i = 0; i < n; i++) {
        size_t idx;

        if (gr_status_index_pick(g.status_used, STATUS_LIST_SIZE, &idx, err) < 0)
            return -1;
        g.status_used[idx / 8] |= (uint8_t)(1u << idx % 8);
        status[i] = (struct gr_status_ref){ gr_buf_str(&g.status_uri), idx };
    }
    if (gr_sdjwt_vc_issue(t->tpl, &b, out, err) < 0)
        return -1;
    /* An SD-JWT is base64url, '.' and '~': nothing to escape. */
    if (cr->dialect == GR_VCI_DRAFT13) { /* Draft 13: one proof, one credential, at the top */
        gr_buf_printf(&rep->body, "{\"credential\":\"%s\"}", out[0].credential.data);
    } else {
        gr_buf_adds(&rep->body, "{\"credentials\":[");
        for (size_t i = 0; i < n; i++)
            gr_buf_printf(&rep->body, "%s{\"credential\":\"%s\"}", i ? "," : "",
                          out[i].credential.data);
        gr_buf_adds(&rep->body, "]}");
    }
    for (size_t i = 0; i < n; i++) /* the credentialIds a back office would keep */
        printf("guide: issued %s, status entry %zu\n", out[i].id, (size_t)status[i].idx);
    gr_sdjwt_vc_issued_release(out, n);
    fflush(stdout);
    return 0;
}

static int credential(struct MHD_Connection *c, struct gr_str body, int64_t now, struct reply *rep,
                      struct gr_err *err)
{
    struct gr_credential_request cr;
    struct gr_proof proofs[GR_MAX_PROOFS];
    const struct gr_jwk *keys[GR_MAX_PROOFS];
    struct token *t = NULL;
    int rc = -1;

    memset(&cr, 0, sizeof(cr));
    for (size_t i = 0; i < GR_MAX_PROOFS; i++)
        gr_proof_init(&proofs[i]);
    if (access_token(c, now, &t, err) < 0)
        goto out;
    if (!content_type_is(c, "application/json")) {
        gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST, "The request must be JSON.");
        goto out;
    }
    if (gr_credential_request_parse(body, &cr, err) < 0 || resolve(&cr, t, err) < 0 ||
        check_proofs(&cr, now, proofs, keys, err) < 0 ||
        issue(&cr, t, keys, cr.proof_count, now, rep, err) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < GR_MAX_PROOFS; i++)
        gr_proof_release(&proofs[i]);
    gr_credential_request_release(&cr);
    return rc;
}

/* ---- Step 6: the status list (Token Status List §5), signed afresh on each fetch ---- */

/* PRODUCTION: lists in the store, revocation and suspension by the lifecycle API, tokens cached. */
static int status_list(int64_t now, struct reply *rep, struct gr_err *err)
{
    rep->type = "application/statuslist+jwt";
    return gr_status_list_token(g.status, gr_buf_str(&g.status_uri), g.issuer_url, now, now + 86400,
                                300, g.signer, &rep->body, err);
}

/* ---- routes ---- */

static int route(struct MHD_Connection *c, const char *method, const char *path, struct gr_str body,
                 struct reply *rep, struct gr_err *err)
{
    int64_t now = (int64_t)time(NULL);
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;

    /* Step 2: publish metadata, where 1.0 puts it and (with a path) where Draft 13 did. */
    for (size_t i = 0; get && i < GR_NELEM(g.meta); i++) {
        if (strcmp(path, g.meta[i].path.data) == 0 ||
            (g.meta[i].draft13_path.len && strcmp(path, g.meta[i].draft13_path.data) == 0)) {
            gr_buf_addstr(&rep->body, gr_buf_str(&g.meta[i].doc));
            return 0;
        }
    }
    if (strncmp(path, g.base_path.p, g.base_path.len) != 0)
        return gr_fail(err, GR_ERR_NOT_FOUND, "There is nothing here.");
    path += g.base_path.len;
    if (post && strcmp(path, "/v1/credential-offers") == 0)
        return make_offer(c, body, now, rep, err);
    if (post && strcmp(path, "/oid4vci/token") == 0)
        return token(c, body, now, rep, err);
    if (post && strcmp(path, "/oid4vci/nonce") == 0)
        return nonce(now, rep, err);
    if (post && strcmp(path, "/oid4vci/credential") == 0)
        return credential(c, body, now, rep, err);
    if (get && strcmp(path, "/status-lists/1") == 0)
        return status_list(now, rep, err);
    return gr_fail(err, GR_ERR_NOT_FOUND, "There is nothing here.");
}

/* A 401 for the access token's errors at the credential endpoint (RFC 6750 §3, RFC 9449 §7.1). */
static void challenge(struct MHD_Connection *c, const struct gr_err *err, struct reply *rep)
{
    const char *auth = header(c, "Authorization");
    bool dpop_scheme = auth && strncasecmp(auth, "DPoP ", 5) == 0;

    if (err->code != GR_ERR_INVALID_TOKEN && err->code != GR_ERR_INVALID_DPOP_PROOF)
        return;
    rep->status = 401;
    snprintf(rep->www_authenticate, sizeof(rep->www_authenticate), "%s error=\"%s\"%s",
             dpop_scheme ? "DPoP" : "Bearer", gr_errc_wire(err->code),
             dpop_scheme ? ", algs=\"ES256\"" : "");
}

static enum MHD_Result answer(struct MHD_Connection *c, const char *path, const char *method,
                              struct gr_buf *body)
{
    struct reply rep = { .status = 200, .type = "application/json" };
    struct MHD_Response *resp;
    struct gr_err err;
    enum MHD_Result ok;
    size_t len;
    char *data;

    gr_buf_init(&rep.body, GR_BUF_UNBOUNDED);
    if (body->failed)
        gr_fail(&err, GR_ERR_REQUEST_TOO_LARGE, "The request body is too large.");
    if (body->failed || route(c, method, path, gr_buf_str(body), &rep, &err) < 0) {
        reply_error(&rep, &err);
        if (strstr(path, "/oid4vci/credential"))
            challenge(c, &err, &rep);
    }
    data = gr_buf_take(&rep.body, &len);
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        abort();
    MHD_add_response_header(resp, "Content-Type", rep.type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (rep.www_authenticate[0])
        MHD_add_response_header(resp, "WWW-Authenticate", rep.www_authenticate);
    ok = MHD_queue_response(c, rep.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* libmicrohttpd calls this once for the headers, then per piece of body, then once more. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct gr_buf *body = *con_cls;

    (void)cls;
    (void)version;
    if (body == NULL) {
        if ((body = malloc(sizeof(*body))) == NULL)
            abort();
        gr_buf_init(body, MAX_BODY); /* past the cap it is marked failed, not grown */
        *con_cls = body;
        return MHD_YES;
    }
    if (*upload_size) {
        gr_buf_add(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(c, url, method, body);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct gr_buf *body = *con_cls;

    (void)cls;
    (void)c;
    (void)code;
    if (body) {
        gr_buf_release(body);
        free(body);
    }
    *con_cls = NULL;
}

/* ---- start-up: the signer, the credential types, the documents, the status list ---- */

/*
 * PRODUCTION: the key on an HSM (`--signer pkcs11:token=...;object=...`, see
 * docs/library.md), a certificate chain for x5c (`--cert-chain`), key
 * rotation with the old keys still published in jwt-vc-issuer.
 */
static struct gr_signer *make_signer(const char *uri, struct gr_err *err)
{
    if (uri)
        return gr_signer_new(gr_str_c(uri), (struct gr_str){ NULL, 0 }, err);
    return gr_signer_new_key(gr_jwk_generate(err), (struct gr_str){ NULL, 0 }, err);
}

static int setup(const char *signer_uri, struct gr_err *err)
{
    static const char *const names[] = { "openid-credential-issuer", "oauth-authorization-server",
                                         "jwt-vc-issuer" };
    const struct gr_str types[] = { { degree_type, sizeof(degree_type) - 1 } };
    struct gr_issuer_url iu;
    const struct gr_jwk *keys[1];
    char kid[128];
    const char *kids[1] = { kid };
    struct gr_str k;

    if (gr_issuer_url_parse(g.issuer_url, &iu, err) < 0 ||
        (g.signer = make_signer(signer_uri, err)) == NULL ||
        (g.types = gr_cred_types_parse(types, GR_NELEM(types), err)) == NULL ||
        (g.status = gr_status_list_new(2, STATUS_LIST_SIZE, err)) == NULL ||
        mint(g.admin_key, NULL, err) < 0)
        return -1;
    g.base_path = iu.path;
    k = gr_signer_kid(g.signer);
    snprintf(kid, sizeof(kid), "%.*s", (int)k.len, k.p);
    keys[0] = gr_signer_jwk(g.signer);
    for (size_t i = 0; i < GR_NELEM(g.meta); i++) {
        gr_buf_init(&g.meta[i].doc, GR_BUF_UNBOUNDED);
        gr_buf_init(&g.meta[i].path, GR_BUF_UNBOUNDED);
        gr_buf_init(&g.meta[i].draft13_path, GR_BUF_UNBOUNDED);
        if (gr_metadata_wellknown_paths(g.issuer_url, names[i], &g.meta[i].path,
                                        &g.meta[i].draft13_path, err) < 0)
            return -1;
    }
    gr_buf_init(&g.status_uri, GR_BUF_UNBOUNDED);
    gr_buf_printf(&g.status_uri, "%s/status-lists/1", g.issuer_url.p);
    return gr_metadata_issuer_json(g.types, &g.settings, &g.meta[0].doc, err) < 0 ||
                   gr_metadata_as_json(g.types, &g.settings, &g.meta[1].doc, err) < 0 ||
                   gr_metadata_jwt_vc_issuer_json(&g.settings, keys, kids, 1, &g.meta[2].doc, err) <
                       0
               ? -1
               : 0;
}

static void teardown(void)
{
    table_clear(&g.offers);
    table_clear(&g.tokens);
    for (size_t i = 0; i < GR_NELEM(g.meta); i++) {
        gr_buf_release(&g.meta[i].doc);
        gr_buf_release(&g.meta[i].path);
        gr_buf_release(&g.meta[i].draft13_path);
    }
    gr_buf_release(&g.status_uri);
    gr_status_list_free(g.status);
    gr_cred_types_free(g.types);
    gr_signer_free(g.signer);
}

static const char usage[] =
    "usage: guide [--port N] [--issuer-url URL] [--signer URI] [--batch-size N]\n";

int main(int argc, char **argv)
{
    const char *signer = NULL, *issuer = NULL;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    struct MHD_Daemon *d;
    char url[256];
    struct gr_err err;
    sigset_t stop;
    long port = 8080, batch = 4;
    int sig;

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 == argc) {
            fputs(usage, stderr);
            return 2;
        } else if (strcmp(argv[i], "--port") == 0) {
            port = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--issuer-url") == 0) {
            issuer = argv[i + 1];
        } else if (strcmp(argv[i], "--signer") == 0) {
            signer = argv[i + 1];
        } else if (strcmp(argv[i], "--batch-size") == 0) {
            batch = strtol(argv[i + 1], NULL, 10);
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || batch < 2 || batch > GR_MAX_PROOFS) {
        fputs(usage, stderr);
        return 2;
    }
    snprintf(url, sizeof(url), "%s", issuer ? issuer : "");
    if (issuer == NULL)
        snprintf(url, sizeof(url), "http://127.0.0.1:%ld", port);
    g.issuer_url = gr_str_c(url);
    g.settings = (struct gr_issuer_settings){
        .issuer_url = g.issuer_url,
        .batch_size = (int)batch,
        .display_name = GR_STR("The guide's issuer"),
        .display_locale = GR_STR("en"),
    };
    if (setup(signer, &err) < 0) {
        fprintf(stderr, "guide: %s (%s)\n", err.desc, err.cause);
        teardown();
        return 1;
    }
    /* SIGINT and SIGTERM are waited for here, so block them before MHD's thread starts. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /*
     * Loopback only: behind a TLS-terminating proxy in production, with the
     * https issuer URL wallets insist on. One thread for every request, so
     * that the tables need no lock. PRODUCTION: a thread pool over a store
     * (SQLite, or PostgreSQL + Redis for several processes), per-IP
     * connection limits, /healthz, /readyz and /metrics.
     */
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
                         NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "guide: cannot listen on 127.0.0.1:%ld\n", port);
        teardown();
        return 1;
    }
    printf("guide: issuer %s\nguide: admin key %s\n", url, g.admin_key);
    fflush(stdout);
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    teardown();
    return 0;
}

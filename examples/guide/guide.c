/*
 * The guide's issuer, in C: OpenID4VCI's pre-authorized code flow handing out
 * SD-JWT VCs, on libmicrohttpd and libgramota's public API. docs/guide.md
 * walks through it, step by step.
 *
 *   guide [--port N] [--issuer-url URL] [--signer file:PEM|pkcs11:...] [--batch-size N]
 *
 * libgramota checks and builds; the application keeps the state: here four
 * small hash tables in memory and one status list, all touched by
 * libmicrohttpd's one thread. Each PRODUCTION note names what `gramota serve`
 * does instead.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include <gramota/gramota.h>

#define OFFER_LIFETIME   1800 /* seconds a pre-authorized code may be redeemed */
#define TOKEN_LIFETIME   300  /* seconds an access token fetches credentials */
#define NONCE_LIFETIME   300  /* seconds a c_nonce stays good */
#define DPOP_MAX_AGE     300  /* seconds a DPoP proof stays acceptable */
#define MAX_TX_ATTEMPTS  5    /* wrong transaction codes before an offer dies */
#define STATUS_LIST_SIZE (1 << 17)
#define SLOTS            4096 /* per table, a power of two */

/* Step 0: what the issuer issues, as a `gramota serve --credential-types` file would say. */
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

/* ---- the state: open-addressed tables keyed by SHA-256 values (of a secret, or a jti) ---- */

struct slot {
    uint8_t key[32];
    int64_t expires_at; /* 0: never used; in the past: free again */
    void *value;
};

struct table {
    struct slot slot[SLOTS];
    void (*free_value)(void *);
};

static struct slot *table_get(struct table *t, const uint8_t key[32], int64_t now)
{
    size_t i = ((size_t)key[0] << 8 | key[1]) & (SLOTS - 1);

    for (size_t n = 0; n < SLOTS && t->slot[i].expires_at != 0; n++, i = (i + 1) & (SLOTS - 1)) {
        if (t->slot[i].expires_at >= now && memcmp(t->slot[i].key, key, 32) == 0)
            return &t->slot[i];
    }
    return NULL;
}

/* Add `key` with `value`, taken on success only; DUPLICATE when the key is live already. */
static int table_put(struct table *t, const uint8_t key[32], int64_t expires_at, void *value,
                     int64_t now, struct gr_err *err)
{
    size_t i = ((size_t)key[0] << 8 | key[1]) & (SLOTS - 1);

    if (table_get(t, key, now) != NULL)
        return gr_fail(err, GR_ERR_DUPLICATE, "The key is taken.");
    for (size_t n = 0; n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
        struct slot *s = &t->slot[i];

        if (s->expires_at < now) {
            if (s->value && t->free_value)
                t->free_value(s->value); /* an expired entry's */
            *s = (struct slot){ .expires_at = expires_at, .value = value };
            memcpy(s->key, key, 32);
            return 0;
        }
    }
    return gr_fail(err, GR_ERR_TEMPORARILY_UNAVAILABLE, "The issuer is busy; try again.");
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < SLOTS; i++) {
        if (t->slot[i].value && t->free_value)
            t->free_value(t->slot[i].value);
    }
}

/* An access token: what it may fetch, and the DPoP key it is bound to. */
struct token {
    const struct gr_cred_type *type;
    struct gr_sdjwt_vc_template *tpl;
    int64_t credential_lifetime;
    bool dpop_bound;
    uint8_t jkt[32];
};

/* An offer is gr_offer_make()'s result: its hashes, claims, template; its codes wiped once sent. */
static void offer_free(void *p)
{
    gr_offer_made_release(p);
    free(p);
}

static void token_free(void *p)
{
    struct token *t = p;

    gr_sdjwt_vc_template_free(t->tpl);
    free(t);
}

/* Made at start-up and read-only afterwards, but for the tables and the status list. */
static struct {
    struct gr_str issuer_url, base_path; /* base_path: the issuer URL's path, "" or "/tenant" */
    struct gr_issuer_settings settings;
    struct gr_signer *signer;
    struct gr_cred_types *types;
    struct gr_buf meta[3]; /* the metadata documents, by enum gr_wellknown */
    char admin_key[GR_SECRET_LEN + 1];
    struct gr_status_list *status;
    uint8_t status_used[STATUS_LIST_SIZE / 8];
    struct gr_buf status_uri;
    struct table offers, tokens, nonces, jtis;
} g = { .offers.free_value = offer_free, .tokens.free_value = token_free };

/* ---- one request, one answer ---- */

struct request {
    struct MHD_Connection *c;
    struct gr_str body;
    int64_t now;
    unsigned status;
    const char *type;
    struct gr_buf out;
    enum gr_auth_scheme scheme; /* at the credential endpoint: the challenge's */
    bool protected_resource;
};

static const char *header(struct request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, name);
}

struct counter {
    const char *name;
    unsigned n;
};

static enum MHD_Result count_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct counter *c = cls;

    (void)kind;
    (void)value;
    c->n += strcasecmp(key, c->name) == 0;
    return MHD_YES;
}

/* How many times the request carries header `name`: a second DPoP or Authorization is refused. */
static unsigned header_count(struct request *rq, const char *name)
{
    struct counter c = { name, 0 };

    MHD_get_connection_values(rq->c, MHD_HEADER_KIND, count_one, &c);
    return c.n;
}

static bool content_type_is(struct request *rq, const char *type)
{
    const char *ct = header(rq, "Content-Type");
    size_t n = strlen(type);

    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* The DPoP replay set for gr_dpop_verify (gr_dpop_replay_fn): the jti table. */
static int jti_seen(void *ctx, const uint8_t jti_hash[32], int64_t expires_at, int64_t now,
                    struct gr_err *err)
{
    return table_put(ctx, jti_hash, expires_at, NULL, now, err);
}

/*
 * The request's DPoP proof for `path` if it has one (RFC 9449 §4.3), bound to
 * `access_token` when given (ath). PRODUCTION: `gramota serve --dpop-nonce`
 * demands server nonces too; its jti set lives in Redis or the database.
 */
static int dpop(struct request *rq, const char *path, struct gr_str access_token,
                struct gr_dpop_proof *out, bool *present, struct gr_err *err)
{
    unsigned n = header_count(rq, "DPoP");
    struct gr_buf url;
    int rc;

    if (!(*present = n > 0))
        return 0;
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    gr_buf_printf(&url, "%s%s", g.issuer_url.p, path);
    rc = gr_dpop_verify(
        &(struct gr_dpop_check){
            .header = gr_str_c(header(rq, "DPoP")),
            .header_count = n,
            .method = GR_STR("POST"),
            .url = gr_buf_str(&url),
            .access_token = access_token,
            .now = rq->now,
            .max_age = DPOP_MAX_AGE,
            .replay = jti_seen,
            .replay_ctx = &g.jtis,
        },
        out, err);
    gr_buf_release(&url);
    return rc;
}

/* ---- Step 1: mint the offer (the back office's POST /v1/credential-offers) ---- */

/*
 * The admin key as Bearer token, API.md §2's body; a bad subject fails here,
 * not in the wallet. PRODUCTION: organizations with their own API keys, the
 * configuration's mandatory claims, offer rate limits, QR codes, the audit log.
 */
static int make_offer(struct request *rq, struct gr_err *err)
{
    const struct gr_offer_issuer is = {
        .issuer_url = g.issuer_url, .types = g.types, .signer = g.signer, .lifetime = OFFER_LIFETIME
    };
    struct gr_offer_made *m = calloc(1, sizeof(*m));
    struct gr_authorization auth;
    struct gr_offer_request req;
    struct gr_buf json, url;
    int rc = -1;

    if (m == NULL)
        abort();
    memset(&req, 0, sizeof(req));
    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    if (gr_authorization_parse(gr_str_c(header(rq, "Authorization")),
                               header_count(rq, "Authorization"), &auth, err) < 0 ||
        auth.scheme != GR_AUTH_BEARER || !gr_ct_str_equal(auth.token, gr_str_c(g.admin_key))) {
        gr_fail(err, GR_ERR_UNAUTHORIZED, "The admin key is missing or wrong.");
        goto out;
    }
    if (gr_offer_request_parse(rq->body, &req, err) < 0 ||
        gr_offer_make(&is, &req, rq->now, m, err) < 0)
        goto out;
    if (m->offer.by_reference) { /* PRODUCTION: the daemon serves offers by reference too */
        gr_fail(err, GR_ERR_INVALID_REQUEST, "This issuer sends offers by value only.");
        goto out;
    }
    gr_offer_json(g.issuer_url, &m->offer, gr_str_c(m->code), &json);
    gr_offer_url(gr_buf_str(&json), false, &url);
    rq->status = 201;
    gr_buf_printf(&rq->out, "{\"offerUrl\":\"%s\",\"preAuthCode\":\"%s\",\"credentialOffer\":%s",
                  url.data, m->code, json.data);
    gr_buf_printf(&rq->out, m->tx_code[0] ? ",\"txCode\":\"%s\"}" : "}%s", m->tx_code);
    memset(m->code, 0, sizeof(m->code)); /* sent once; the table keeps the hashes */
    memset(m->tx_code, 0, sizeof(m->tx_code));
    if (table_put(&g.offers, m->offer.code_hash, m->offer.expires_at, m, rq->now, err) < 0)
        goto out;
    m = NULL; /* the table's now */
    rc = 0;
out:
    offer_free(m);
    gr_offer_request_release(&req);
    gr_buf_release(&url);
    gr_buf_release(&json);
    return rc;
}

/* ---- Step 3: the token endpoint, pre-authorized code (OID4VCI 1.0 §6) ---- */

/* The pending offer of this code, its tx_code checked; the caller marks it redeemed. */
static int find_offer(const struct gr_token_request *tr, int64_t now, struct gr_offer_made **out,
                      struct gr_err *err)
{
    struct slot *s;
    struct gr_offer *o;
    uint8_t hash[32];

    gr_sha256(tr->code.p, tr->code.len, hash);
    if ((s = table_get(&g.offers, hash, now)) == NULL ||
        (o = &((struct gr_offer_made *)s->value)->offer)->state != GR_OFFER_PENDING)
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The pre-authorized code is unknown or used.");
    if (o->has_tx_code != (tr->tx_code.p != NULL))
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       o->has_tx_code ? "This offer needs its tx_code."
                                      : "This offer has no tx_code.");
    gr_sha256(tr->tx_code.p, tr->tx_code.len, hash);
    if (o->has_tx_code && !gr_ct_equal(hash, o->tx_code_hash, 32)) {
        if (++o->tx_attempts >= MAX_TX_ATTEMPTS)
            o->state = GR_OFFER_DEAD; /* guessing a 6-digit code stops here */
        return gr_fail(err, GR_ERR_INVALID_GRANT, "The tx_code is wrong.");
    }
    *out = s->value;
    return 0;
}

/*
 * The DPoP proof is checked before the code is spent; a DPoP-bound token
 * keeps its key's thumbprint. The c_nonce in the answer is for Draft 13
 * wallets. PRODUCTION: wallet attestation (attest_jwt_client_auth), limits on
 * failed guesses per client and per code, redemption atomic across processes.
 */
static int token(struct request *rq, struct gr_err *err)
{
    struct gr_token_request tr;
    struct gr_dpop_proof proof;
    struct token *t = calloc(1, sizeof(*t));
    struct gr_offer_made *o = NULL;
    char access[GR_SECRET_LEN + 1], nonce[GR_SECRET_LEN + 1];
    uint8_t hash[32], nonce_hash[32];
    int rc = -1;

    if (t == NULL)
        abort();
    memset(&tr, 0, sizeof(tr));
    if (!content_type_is(rq, "application/x-www-form-urlencoded")) {
        gr_fail(err, GR_ERR_INVALID_REQUEST, "The token request must be a form.");
        goto out;
    }
    if (gr_token_request_parse(rq->body, &tr, err) < 0 ||
        dpop(rq, "/oid4vci/token", (struct gr_str){ NULL, 0 }, &proof, &t->dpop_bound, err) < 0 ||
        find_offer(&tr, rq->now, &o, err) < 0 || gr_secret_new(access, hash, err) < 0 ||
        gr_secret_new(nonce, nonce_hash, err) < 0 ||
        table_put(&g.nonces, nonce_hash, rq->now + NONCE_LIFETIME, NULL, rq->now, err) < 0)
        goto out;
    t->type = o->type;
    t->tpl = o->tpl;
    t->credential_lifetime = o->offer.credential_lifetime;
    memcpy(t->jkt, proof.jkt, t->dpop_bound ? 32 : 0);
    if (table_put(&g.tokens, hash, rq->now + TOKEN_LIFETIME, t, rq->now, err) < 0)
        goto out;
    o->offer.state = GR_OFFER_REDEEMED;
    o->tpl = NULL; /* the claims moved from the spent code to the token */
    gr_token_response_json(&(struct gr_token_response){ gr_str_c(access), t->dpop_bound,
                                                        TOKEN_LIFETIME, gr_str_c(nonce),
                                                        NONCE_LIFETIME },
                           &rq->out);
    t = NULL; /* the table's now */
    rc = 0;
out:
    free(t);
    gr_token_request_release(&tr);
    return rc;
}

/* ---- Step 4: the nonce endpoint (OID4VCI 1.0 §7) ---- */

static int nonce(struct request *rq, struct gr_err *err)
{
    char n[GR_SECRET_LEN + 1];
    uint8_t hash[32];

    if (gr_secret_new(n, hash, err) < 0 ||
        table_put(&g.nonces, hash, rq->now + NONCE_LIFETIME, NULL, rq->now, err) < 0)
        return -1;
    gr_buf_printf(&rq->out, "{\"c_nonce\":\"%s\"}", n);
    return 0;
}

/* ---- Step 5: issue the credentials (OID4VCI 1.0 §8) ---- */

/* `Authorization: Bearer|DPoP <token>`; a DPoP-bound token with its proof, by its key. */
static int access_token(struct request *rq, struct token **out, struct gr_err *err)
{
    struct gr_authorization auth;
    struct gr_dpop_proof proof;
    uint8_t hash[32];
    struct slot *s;
    bool present;

    rq->protected_resource = true;
    if (gr_authorization_parse(gr_str_c(header(rq, "Authorization")),
                               header_count(rq, "Authorization"), &auth, err) < 0)
        return -1;
    rq->scheme = auth.scheme;
    gr_sha256(auth.token.p, auth.token.len, hash);
    if ((s = table_get(&g.tokens, hash, rq->now)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token is unknown or expired.");
    *out = s->value;
    if ((*out)->dpop_bound != (auth.scheme == GR_AUTH_DPOP))
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The token is sent with the wrong scheme.");
    if (auth.scheme == GR_AUTH_BEARER)
        return 0;
    if (dpop(rq, "/oid4vci/credential", auth.token, &proof, &present, err) < 0)
        return -1;
    if (!present || !gr_ct_equal(proof.jkt, (*out)->jkt, 32))
        return gr_fail(err, GR_ERR_INVALID_DPOP_PROOF, "The DPoP proof is not by the token's key.");
    return 0;
}

/* Which configuration: OID4VCI 1.0 and Draft 15 name it, Draft 13 gives format and vct. */
static int resolve(const struct gr_credential_request *cr, const struct token *t,
                   struct gr_err *err)
{
    bool sd_jwt = gr_str_eq_c(cr->format, "dc+sd-jwt") || gr_str_eq_c(cr->format, "vc+sd-jwt");
    const struct gr_cred_type *want = cr->dialect != GR_VCI_DRAFT13
                                          ? gr_cred_types_get(g.types, cr->configuration_id)
                                      : sd_jwt ? gr_cred_types_by_vct(g.types, cr->vct)
                                               : NULL;

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

/* The proofs' one c_nonce, ours and unspent, now spent (OID4VCI 1.0 §7.2). */
static int spend_nonce(const char *n, int64_t now, struct gr_err *err)
{
    uint8_t hash[32];
    struct slot *s;

    gr_sha256(n, strlen(n), hash);
    if ((s = table_get(&g.nonces, hash, now)) == NULL)
        return gr_fail(err, GR_ERR_INVALID_NONCE, "The c_nonce is unknown or spent.");
    s->expires_at = 1;
    return 0;
}

/*
 * One SD-JWT VC per proven key, each with its own status list entry, fresh
 * salts and decoys. PRODUCTION: entries from the store's status lists, every
 * credential recorded and audited before the answer leaves, a
 * notification_id, the signer on an HSM, key attestations for the EUDI wallet.
 */
static int issue(struct request *rq, const struct gr_credential_request *cr, const struct token *t,
                 const struct gr_proofs *p, struct gr_err *err)
{
    struct gr_status_ref status[GR_MAX_PROOFS];
    struct gr_sdjwt_vc_issued out[GR_MAX_PROOFS];
    struct gr_sdjwt_vc_batch b = { .iat = rq->now,
                                   .exp = rq->now + t->credential_lifetime,
                                   .count = p->key_count,
                                   .holder_keys = p->keys,
                                   .status = status };

    for (size_t i = 0; i < b.count; i++) {
        size_t idx;

        if (gr_status_index_pick(g.status_used, STATUS_LIST_SIZE, &idx, err) < 0)
            return -1;
        g.status_used[idx / 8] |= (uint8_t)(1u << idx % 8);
        status[i] = (struct gr_status_ref){ gr_buf_str(&g.status_uri), idx };
    }
    if (gr_sdjwt_vc_issue(t->tpl, &b, out, err) < 0)
        return -1;
    gr_credential_response_json(cr->dialect, out, b.count, (struct gr_str){ NULL, 0 }, &rq->out);
    for (size_t i = 0; i < b.count; i++) /* the credentialIds a back office would keep */
        printf("guide: issued %s, status entry %zu\n", out[i].id, (size_t)status[i].idx);
    fflush(stdout);
    gr_sdjwt_vc_issued_release(out, b.count);
    return 0;
}

static int credential(struct request *rq, struct gr_err *err)
{
    struct gr_credential_request cr;
    struct gr_proofs *proofs = calloc(1, sizeof(*proofs));
    struct token *t = NULL;
    int rc = -1;

    if (proofs == NULL)
        abort();
    memset(&cr, 0, sizeof(cr));
    if (access_token(rq, &t, err) < 0)
        goto out;
    if (!content_type_is(rq, "application/json")) {
        gr_fail(err, GR_ERR_INVALID_CREDENTIAL_REQUEST, "The request must be JSON.");
        goto out;
    }
    if (gr_credential_request_parse(rq->body, &cr, err) < 0 || resolve(&cr, t, err) < 0 ||
        gr_proofs_verify(&(struct gr_proof_check){ .audience = g.issuer_url, .now = rq->now },
                         cr.proof_type, cr.proofs, cr.proof_count, (size_t)g.settings.batch_size,
                         proofs, err) < 0 ||
        spend_nonce(proofs->nonce, rq->now, err) < 0 || issue(rq, &cr, t, proofs, err) < 0)
        goto out;
    rc = 0;
out:
    gr_proofs_release(proofs);
    free(proofs);
    gr_credential_request_release(&cr);
    return rc;
}

/* ---- Step 6: the status list, signed afresh on each fetch (Token Status List §5) ---- */

/* PRODUCTION: lists in the store, revocation and suspension by the lifecycle API, tokens cached. */
static int status_list(struct request *rq, struct gr_err *err)
{
    rq->type = "application/statuslist+jwt";
    return gr_status_list_token(g.status, gr_buf_str(&g.status_uri), g.issuer_url, rq->now,
                                rq->now + 86400, 300, g.signer, &rq->out, err);
}

/* ---- routes, and libmicrohttpd ---- */

static int route(struct request *rq, const char *method, const char *path, struct gr_err *err)
{
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;

    /* Step 2: publish metadata, where 1.0 puts it and (with a path) where Draft 13 did. */
    enum gr_wellknown doc = gr_metadata_wellknown(g.base_path, gr_str_c(path));

    if (get && doc != GR_WELLKNOWN_NONE) {
        gr_buf_addstr(&rq->out, gr_buf_str(&g.meta[doc]));
        return 0;
    }
    if (strncmp(path, g.base_path.p, g.base_path.len) != 0)
        return gr_fail(err, GR_ERR_NOT_FOUND, "There is nothing here.");
    path += g.base_path.len;
    if (post && strcmp(path, "/v1/credential-offers") == 0)
        return make_offer(rq, err);
    if (post && strcmp(path, "/oid4vci/token") == 0)
        return token(rq, err);
    if (post && strcmp(path, "/oid4vci/nonce") == 0)
        return nonce(rq, err);
    if (post && strcmp(path, "/oid4vci/credential") == 0)
        return credential(rq, err);
    if (get && strcmp(path, "/status-lists/1") == 0)
        return status_list(rq, err);
    return gr_fail(err, GR_ERR_NOT_FOUND, "There is nothing here.");
}

static enum MHD_Result answer(struct MHD_Connection *c, const char *path, const char *method,
                              struct gr_buf *body)
{
    struct request rq = { .c = c,
                          .body = gr_buf_str(body),
                          .now = time(NULL),
                          .status = 200,
                          .type = "application/json" };
    struct gr_buf challenge[2]; /* WWW-Authenticate: one, or one per scheme without a token */
    struct MHD_Response *resp;
    struct gr_err err;
    enum MHD_Result ok;
    size_t len;
    char *data;
    int status;

    gr_buf_init(&rq.out, GR_BUF_UNBOUNDED);
    gr_buf_init(&challenge[0], GR_BUF_UNBOUNDED);
    gr_buf_init(&challenge[1], GR_BUF_UNBOUNDED);
    if (body->failed)
        gr_fail(&err, GR_ERR_REQUEST_TOO_LARGE, "The request body is too large.");
    if (body->failed || route(&rq, method, path, &err) < 0) {
        if (gr_errc_wire(err.code) == NULL) /* an internal code: a bug, never the client's */
            fprintf(stderr, "guide: %s at %s: %s (%s)\n", gr_errc_name(err.code), err.where,
                    err.desc, err.cause);
        gr_buf_reset(&rq.out);
        rq.type = "application/json";
        rq.status = (unsigned)gr_error_json(&err, &rq.out);
        if (rq.protected_resource &&
            (status = gr_www_authenticate(&err, rq.scheme, &challenge[0]))) {
            rq.status = (unsigned)status; /* the access token's errors: 401 and a challenge */
            if (err.code == GR_ERR_UNAUTHORIZED) { /* no token at all (RFC 6750 §3.1) */
                gr_www_authenticate(&err, GR_AUTH_DPOP, &challenge[1]);
                err.code = GR_ERR_INVALID_TOKEN;
                gr_buf_reset(&rq.out);
                gr_error_json(&err, &rq.out);
            }
        }
        if (rq.status == 401 && challenge[0].len == 0) /* the admin key's: every 401 has one */
            gr_buf_adds(&challenge[0], "Bearer");
    }
    data = gr_buf_take(&rq.out, &len);
    if ((resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)) == NULL)
        abort();
    MHD_add_response_header(resp, "Content-Type", rq.type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; i < 2; i++) {
        if (challenge[i].len)
            MHD_add_response_header(resp, "WWW-Authenticate", challenge[i].data);
        gr_buf_release(&challenge[i]);
    }
    ok = MHD_queue_response(c, rq.status, resp);
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
        gr_buf_init(body, GR_MAX_BODY); /* past the cap it is marked failed, not grown */
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
    (void)cls;
    (void)c;
    (void)code;
    if (*con_cls)
        gr_buf_release(*con_cls);
    free(*con_cls);
}

/* ---- start-up ---- */

/* PRODUCTION: the key on an HSM (pkcs11:), an x5c chain, rotation with old keys still published. */
static int setup(const char *signer_uri, struct gr_err *err)
{
    const struct gr_str types[] = { { degree_type, sizeof(degree_type) - 1 } };
    struct gr_issuer_url iu;
    const struct gr_jwk *keys[1];
    const char *kids[1];

    g.signer = signer_uri
                   ? gr_signer_new(gr_str_c(signer_uri), (struct gr_str){ NULL, 0 }, err)
                   : gr_signer_new_key(gr_jwk_generate(err), (struct gr_str){ NULL, 0 }, err);
    if (gr_issuer_url_parse(g.issuer_url, &iu, err) < 0 || g.signer == NULL ||
        (g.types = gr_cred_types_parse(types, GR_NELEM(types), err)) == NULL ||
        (g.status = gr_status_list_new(2, STATUS_LIST_SIZE, err)) == NULL ||
        gr_secret_new(g.admin_key, NULL, err) < 0)
        return -1;
    g.base_path = iu.path;
    gr_buf_init(&g.status_uri, GR_BUF_UNBOUNDED);
    gr_buf_printf(&g.status_uri, "%s/status-lists/1", g.issuer_url.p);
    for (size_t i = 0; i < GR_NELEM(g.meta); i++)
        gr_buf_init(&g.meta[i], GR_BUF_UNBOUNDED);
    keys[0] = gr_signer_jwk(g.signer);
    kids[0] = gr_signer_kid(g.signer).p; /* NUL-terminated */
    return gr_metadata_issuer_json(g.types, &g.settings, &g.meta[GR_WELLKNOWN_ISSUER], err) < 0 ||
                   gr_metadata_as_json(g.types, &g.settings, &g.meta[GR_WELLKNOWN_AS], err) < 0 ||
                   gr_metadata_jwt_vc_issuer_json(&g.settings, keys, kids, 1,
                                                  &g.meta[GR_WELLKNOWN_JWT_VC_ISSUER], err) < 0
               ? -1
               : 0;
}

static void teardown(void)
{
    table_clear(&g.offers);
    table_clear(&g.tokens);
    for (size_t i = 0; i < GR_NELEM(g.meta); i++)
        gr_buf_release(&g.meta[i]);
    gr_buf_release(&g.status_uri);
    gr_status_list_free(g.status);
    gr_cred_types_free(g.types);
    gr_signer_free(g.signer);
}

int main(int argc, char **argv)
{
    const char *signer = NULL, *issuer = NULL;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    long port = 8080, batch = 4;
    struct MHD_Daemon *d;
    char url[256];
    struct gr_err err;
    sigset_t stop;
    int sig;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--issuer-url") == 0)
            issuer = argv[i + 1];
        else if (strcmp(argv[i], "--signer") == 0)
            signer = argv[i + 1];
        else if (strcmp(argv[i], "--batch-size") == 0)
            batch = strtol(argv[i + 1], NULL, 10);
        else
            port = 0;
    }
    if (argc % 2 == 0 || port <= 0 || port > 65535 || batch < 2 || batch > GR_MAX_PROOFS) {
        fputs("usage: guide [--port N] [--issuer-url URL] [--signer URI] [--batch-size N]\n",
              stderr);
        return 2;
    }
    if (issuer)
        snprintf(url, sizeof(url), "%s", issuer);
    else
        snprintf(url, sizeof(url), "http://127.0.0.1:%ld", port);
    g.issuer_url = gr_str_c(url);
    g.settings = (struct gr_issuer_settings){ .issuer_url = g.issuer_url,
                                              .batch_size = (int)batch,
                                              .display_name = GR_STR("The guide's issuer"),
                                              .display_locale = GR_STR("en") };
    if (setup(signer, &err) < 0) {
        fprintf(stderr, "guide: %s (%s)\n", err.desc, err.cause);
        teardown();
        return 1;
    }
    /* SIGINT and SIGTERM are waited for below: blocked before MHD's thread starts. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /*
     * Loopback only, one thread for every request so that the tables need no
     * lock. PRODUCTION: behind a TLS-terminating proxy with the https issuer
     * URL wallets insist on; a thread pool over a store (SQLite, or PostgreSQL
     * + Redis for several processes); connection limits; /healthz, /readyz, /metrics.
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

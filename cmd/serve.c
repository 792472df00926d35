/*
 * gramota serve: build the start-up state (data directory, key, database,
 * credential types, the documents served as they are), serve, and on SIGINT
 * or SIGTERM stop taking connections, let those in flight finish, and exit.
 */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define DRAIN_SECONDS    10 /* how long in-flight requests get to finish on shutdown */
#define SWEEP_SECONDS    60
#define KEY_POLL_SECONDS 5 /* how soon a rotation (gramota key rotate) is followed */

static int make_dir(const char *path, struct gr_err *err)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    gr_fail(err, GR_ERR_IO, "The data directory %.80s cannot be made.", path);
    return gr_err_cause(err, "%s", strerror(errno));
}

/* The default signer: DATA_DIR/issuer.pem, made on first start. */
static int default_key(struct server *s, struct gr_buf *uri, struct gr_err *err)
{
    struct gr_buf path, pem;
    struct gr_jwk *key = NULL;
    int rc = 0;

    gr_buf_init(&path, GR_BUF_UNBOUNDED);
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_printf(&path, "%s/issuer.pem", s->set.data_dir);
    gr_buf_printf(uri, "file:%s", path.data);
    if (access(path.data, F_OK) != 0) {
        rc = -1;
        if ((key = gr_jwk_generate(err)) != NULL && gr_jwk_to_pem(key, true, &pem, err) == 0 &&
            cmd_write(path.data, gr_buf_str(&pem), 0600, false, err) == 0) {
            fprintf(stderr, "gramota: made a new ES256 signing key in %s\n", path.data);
            rc = 0;
        }
    }
    OPENSSL_cleanse(pem.data, pem.len);
    gr_buf_release(&pem);
    gr_buf_release(&path);
    gr_jwk_free(key);
    return rc;
}

static int open_signer(struct server *s, struct gr_err *err)
{
    struct gr_buf uri, chain;
    int rc = -1;

    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    gr_buf_init(&chain, GR_MAX_PEM_LEN);
    if (s->set.signer)
        gr_buf_adds(&uri, s->set.signer);
    else if (default_key(s, &uri, err) < 0)
        goto out;
    if (s->set.cert_chain && cmd_read_file(s->set.cert_chain, GR_MAX_PEM_LEN, &chain, err) < 0)
        goto out;
    s->signer = gr_signer_new(gr_buf_str(&uri), gr_buf_str(&chain), err);
    rc = s->signer ? 0 : -1;
out:
    gr_buf_release(&uri);
    gr_buf_release(&chain);
    return rc;
}

static int build_documents(struct server *s, struct gr_err *err)
{
    struct gr_issuer_settings is = {
        .issuer_url = s->issuer_url,
        .batch_size = s->set.batch_size >= 2 ? s->set.batch_size : 0,
        .display_name = GR_STR("gramota"),
        .display_locale = GR_STR("en"),
        .notification_endpoint = true,
    };

    is.client_attestation = s->meta.client_attestation;
    s->meta = is;
    const struct gr_jwk *keys[1] = { gr_signer_jwk(s->signer) };
    const char *kids[1] = { gr_signer_kid(s->signer).p }; /* NUL-terminated */

    gr_buf_init(&s->issuer_meta, GR_BUF_UNBOUNDED);
    gr_buf_init(&s->as_meta, GR_BUF_UNBOUNDED);
    gr_buf_init(&s->jwt_vc_meta, GR_BUF_UNBOUNDED);
    if (gr_metadata_issuer_json(s->types, &is, &s->issuer_meta, err) < 0 ||
        gr_metadata_as_json(s->types, &is, &s->as_meta, err) < 0 ||
        gr_metadata_jwt_vc_issuer_json(&is, keys, kids, 1, &s->jwt_vc_meta, err) < 0)
        return -1;
    return 0;
}

/*
 * Wallet providers and what the configuration asks of them: a requirement
 * nobody can meet is refused at start-up, not discovered by a wallet.
 */
static int attestation_policy(struct server *s, struct gr_err *err)
{
    const char *mode = s->set.client_attestation;
    struct gr_buf pem;

    if (!strcmp(mode, "off"))
        s->meta.client_attestation = GR_CLIENT_ATTESTATION_OFF;
    else if (!strcmp(mode, "optional"))
        s->meta.client_attestation = GR_CLIENT_ATTESTATION_OPTIONAL;
    else if (!strcmp(mode, "required"))
        s->meta.client_attestation = GR_CLIENT_ATTESTATION_REQUIRED;
    else
        return gr_fail(err, GR_ERR_USAGE, "--client-attestation is off, optional or required.");
    if (s->set.wallet_trust_anchors) {
        gr_buf_init(&pem, GR_MAX_PEM_LEN);
        if (cmd_read_file(s->set.wallet_trust_anchors, GR_MAX_PEM_LEN, &pem, err) == 0)
            s->wallet_providers = gr_trust_load_pem(gr_buf_str(&pem), err);
        gr_buf_release(&pem);
        if (s->wallet_providers == NULL)
            return -1;
        return 0;
    }
    /* Without anchors, an optional attestation can never be checked: it is off. */
    if (s->meta.client_attestation == GR_CLIENT_ATTESTATION_OPTIONAL)
        s->meta.client_attestation = GR_CLIENT_ATTESTATION_OFF;
    if (s->meta.client_attestation == GR_CLIENT_ATTESTATION_REQUIRED)
        return gr_fail(err, GR_ERR_USAGE,
                       "--client-attestation required needs --wallet-trust-anchors.");
    for (size_t i = 0; i < gr_cred_types_count(s->types); i++) {
        const struct gr_cred_type *t = gr_cred_types_at(s->types, i);

        if (gr_cred_type_key_attestation(t, GR_STR("jwt")) ||
            gr_cred_type_key_attestation(t, GR_STR("attestation")))
            return gr_fail(err, GR_ERR_USAGE,
                           "The credential type %.*s requires key attestations: give "
                           "--wallet-trust-anchors.",
                           (int)gr_cred_type_id(t).len, gr_cred_type_id(t).p);
    }
    return 0;
}

static int set_issuer_url(struct server *s, const char *bound, struct gr_err *err)
{
    static char derived[300];
    struct gr_issuer_url u;
    const char *colon = strrchr(bound, ':');

    if (s->set.issuer_url == NULL) {
        snprintf(derived, sizeof(derived), "http://localhost%s", colon ? colon : ":8080");
        s->set.issuer_url = derived;
    }
    if (gr_issuer_url_parse(gr_str_c(s->set.issuer_url), &u, err) < 0)
        return gr_fail(err, GR_ERR_USAGE, "--issuer-url is not a valid issuer URL: %s", err->desc);
    s->issuer_url = u.base;
    s->issuer_path = u.path;
    if (!u.https && !u.loopback)
        fprintf(stderr, "gramota: warning: the issuer URL is plain http on a public name; wallets "
                        "require https (OID4VCI §12.2.2)\n");
    return 0;
}

/* The counters of /metrics, one row per route and per credential configuration. */
static void make_metrics(struct server *s)
{
    size_t nroutes, nconfigs = gr_cred_types_count(s->types);
    const char *const *routes = routes_names(&nroutes);
    struct gr_str *configs = cmd_xcalloc(nconfigs ? nconfigs : 1, sizeof(*configs));

    for (size_t i = 0; i < nconfigs; i++)
        configs[i] = gr_cred_type_id(gr_cred_types_at(s->types, i));
    s->metrics = metrics_new(routes, nroutes, configs, nconfigs, (int64_t)time(NULL));
    free(configs);
}

/* see cmd.h */
int server_open(struct server *s, const char *bound, struct gr_err *err)
{
    struct gr_buf url;
    int rc;

    if (set_issuer_url(s, bound, err) < 0 || make_dir(s->set.data_dir, err) < 0 ||
        open_signer(s, err) < 0 ||
        (s->types = gr_cred_types_load(gr_str_c(s->set.credential_types), err)) == NULL ||
        attestation_policy(s, err) < 0)
        return -1;
    make_metrics(s);
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    if (s->set.database_url)
        gr_buf_adds(&url, s->set.database_url);
    else
        gr_buf_printf(&url, "sqlite:%s/gramota.db", s->set.data_dir);
    rc = gr_store_open(gr_buf_str(&url), &s->store, err);
    gr_buf_release(&url);
    if (rc == 0 && s->set.redis_url != NULL) {
        struct gr_store db = s->store;

        rc = gr_store_with_redis(&db, gr_str_c(s->set.redis_url), &s->store, err);
    }
    if (rc < 0 || s->store.ops->secret(s->store.ctx, "dpop-nonce", s->dpop_secret, err) < 0 ||
        s->store.ops->secret(s->store.ctx, "c-nonce", s->c_nonce_secret, err) < 0)
        return -1;
    s->status_cache = status_cache_new();
    return build_documents(s, err);
}

/* see cmd.h */
void server_close(struct server *s)
{
    if (s->store.ops)
        gr_store_close(&s->store);
    gr_cred_types_free(s->types);
    gr_trust_free(s->wallet_providers);
    status_cache_free(s->status_cache);
    metrics_free(s->metrics);
    keys_free(s);
    gr_signer_free(s->signer);
    gr_buf_release(&s->issuer_meta);
    gr_buf_release(&s->as_meta);
    gr_buf_release(&s->jwt_vc_meta);
    OPENSSL_cleanse(s->dpop_secret, sizeof(s->dpop_secret));
    OPENSSL_cleanse(s->c_nonce_secret, sizeof(s->c_nonce_secret));
}

/* The default organization, and its API key shown once, on the first start. */
static int default_org(struct server *s, struct gr_err *err)
{
    struct gr_org org;
    char key[64];

    if (s->store.ops->org_by_name(s->store.ctx, GR_STR("default"), &org, err) == 0)
        return 0;
    if (err->code != GR_ERR_NOT_FOUND)
        return -1;
    if (org_create(s, "default", &org, key, err) < 0)
        return err->code == GR_ERR_CONFLICT ? 0 : -1; /* another process made it meanwhile */
    {
        struct req r = { .srv = s, .now = org.created_at };

        audit(&r, "org.created", org.id, "", "", org.name);
    }
    printf("organization 'default' created; its API key (shown once, store it now):\n%s\n", key);
    OPENSSL_cleanse(key, sizeof(key));
    return 0;
}

static void serve_usage(FILE *f)
{
    fprintf(f, "usage: gramota serve [OPTIONS]\n\nRuns the issuer. Options (flag, or the variable "
               "shown; the flag wins):\n");
    settings_help(f);
}

/*
 * Wait for SIGINT/SIGTERM, following the keyring every few seconds (a cheap
 * read: keys.c swaps keys only when something changed) and sweeping expired
 * state now and then.
 */
static void run(struct server *s)
{
    sigset_t set;
    struct timespec every = { KEY_POLL_SECONDS, 0 };
    struct gr_err err;
    int64_t swept = (int64_t)time(NULL);

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &every);
        int64_t now = (int64_t)time(NULL);

        if (sig == SIGINT || sig == SIGTERM)
            return;
        if (sig >= 0 || errno != EAGAIN)
            continue;
        if (keys_refresh(s, now, false, &err) < 0)
            fprintf(stderr, "gramota: keyring: %s (%s)\n", err.desc, err.cause);
        if (now - swept < SWEEP_SECONDS)
            continue;
        swept = now;
        if (s->store.ops->sweep(s->store.ctx, now, s->set.token_lifetime, &err) < 0)
            fprintf(stderr, "gramota: sweep: %s (%s)\n", err.desc, err.cause);
    }
}

int cmd_serve(int argc, char **argv)
{
    static atomic_uint in_flight;
    struct server s = { .in_flight = &in_flight };
    struct MHD_Daemon *d = NULL;
    struct gr_err err;
    char bound[300];
    sigset_t sigs;
    bool help;
    int next, fd, rc = 1;

    if (settings_parse(&s.set, argc, argv, &next, &help) < 0 || (!help && next != argc)) {
        serve_usage(stderr);
        return 2;
    }
    if (help) {
        serve_usage(stdout);
        return 0;
    }
    /* Signals are taken by the main thread alone: block them before any thread starts. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((fd = http_listen(s.set.listen, bound, sizeof(bound), &err)) < 0 ||
        server_open(&s, bound, &err) < 0 || keys_start(&s, (int64_t)time(NULL), &err) < 0 ||
        default_org(&s, &err) < 0 || http_start(&s, fd, &d, &err) < 0) {
        rc = cmd_fail("serve", &err);
        goto out;
    }
    printf("gramota %s serving %.*s, listening on http://%s\n", GR_VERSION, (int)s.issuer_url.len,
           s.issuer_url.p, bound);
    fflush(stdout);
    run(&s);
    fprintf(stderr, "gramota: stopping: finishing the requests in flight\n");
    http_quiesce(d);
    for (int i = 0; i < DRAIN_SECONDS * 10 && http_in_flight(&s) > 0; i++)
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    rc = 0;
out:
    http_stop(d);
    server_close(&s);
    return rc;
}

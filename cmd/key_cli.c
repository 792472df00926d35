/*
 * gramota key list|rotate: the keyring (store.h key_activate) from the shell,
 * on the same store as the running servers, which follow a rotation within
 * a few seconds (serve.c KEY_POLL_SECONDS).
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"

#define LIST_MAX 256

static const char usage[] =
    "usage: gramota key list [server settings]\n"
    "       gramota key rotate [--now] [--signer URI] [server settings]\n"
    "\n"
    "list: every signing key of the keyring: its kid, whether it is active or\n"
    "retired and since when, until when it stays published at\n"
    "/.well-known/jwt-vc-issuer, how many unexpired credentials it signed, and its\n"
    "signer URI (secrets redacted).\n"
    "rotate: makes a new ES256 key in DATA_DIR/keys/KID.pem (or, with --signer,\n"
    "the key at URI) the next one: published at once at /.well-known/jwt-vc-issuer,\n"
    "signing five minutes later, when caches of that document have expired (--now:\n"
    "at once, for a key that must stop signing now). The key before it is retired\n"
    "then and stays published while anything it signed may still be verified.\n"
    "Running servers follow within seconds; no restart is needed.\n";

static void iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * One key. A scheduled rotation (key_cli's rotate) shows as it is now: the
 * key to sign from a future time is "next", the one signing until then
 * still "active"; SINCE is when that state began or begins.
 */
static void print_key(const struct gr_signing_key *k, int64_t now)
{
    char since[32], until[32], uri[GR_STORE_URI_MAX + 1];
    int64_t last = keys_published_until(k);
    bool active = k->state == GR_KEY_ACTIVE;
    const char *state = active ? (k->activated_at > now ? "next" : "active")
                               : (k->retired_at > now ? "active" : "retired");

    iso(active || k->retired_at > now ? k->activated_at : k->retired_at, since);
    if (active || k->retired_at > now)
        snprintf(until, sizeof(until), "while-active");
    else
        iso(last, until);
    keys_redact(k->signer_uri, uri, sizeof(uri)); /* stored redacted already; never print one */
    printf("%-44s %-8s %-20s %-20s %6lld %s%s\n", k->kid, state, since, until,
           (long long)k->live_count, uri, !active && last <= now ? " (no longer published)" : "");
}

static int list(const struct server *s, int64_t now, struct gr_err *err)
{
    struct gr_signing_key *keys = cmd_xcalloc(LIST_MAX, sizeof(*keys));
    size_t n = 0;
    int rc = s->store.ops->key_list(s->store.ctx, now, true, keys, LIST_MAX, &n, err);

    if (rc == 0) {
        printf("%-44s %-8s %-20s %-20s %6s %s\n", "KID", "STATE", "SINCE", "PUBLISHED-UNTIL",
               "LIVE", "SIGNER");
        for (size_t i = 0; i < n; i++)
            print_key(&keys[i], now);
    }
    free(keys);
    return rc;
}

/* A fresh ES256 key in DATA_DIR/keys/KID.pem, owner-only; `uri` gets file:PATH. */
static int new_file_key(const struct server *s, struct gr_buf *uri, struct gr_err *err)
{
    char kid[GR_JWK_THUMBPRINT_B64_LEN + 1];
    struct gr_jwk *key = gr_jwk_generate(err);
    struct gr_buf dir, pem;
    int rc = -1;

    if (key == NULL)
        return -1;
    gr_buf_init(&dir, GR_BUF_UNBOUNDED);
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_printf(&dir, "%s/keys", s->set.data_dir);
    gr_jwk_thumbprint_b64(key, kid);
    if (mkdir(dir.data, 0700) != 0 && errno != EEXIST) {
        gr_fail(err, GR_ERR_IO, "The key directory %.80s cannot be made.", dir.data);
        gr_err_cause(err, "%s", strerror(errno));
        goto out;
    }
    gr_buf_printf(uri, "file:%s/%s.pem", dir.data, kid);
    if (gr_jwk_to_pem(key, true, &pem, err) < 0 ||
        cmd_write(uri->data + 5, gr_buf_str(&pem), 0600, false, err) < 0)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(pem.data, pem.len);
    gr_buf_release(&pem);
    gr_buf_release(&dir);
    gr_jwk_free(key);
    return rc;
}

/*
 * Register the new key to sign from `at`: now + WELL_KNOWN_MAX_AGE, or now
 * with --now (keys.c says why).
 */
static int rotate(struct server *s, int64_t now, int64_t at, struct gr_err *err)
{
    struct gr_signing_key active;
    struct gr_signer *fresh = NULL;
    struct gr_buf uri;
    size_t n = 0;
    int rc = -1;

    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    if (s->store.ops->key_list(s->store.ctx, now, false, &active, 1, &n, err) < 0)
        goto out;
    if (s->set.signer) { /* server_open opened it, with --cert-chain if given */
        rc = keys_register(s, s->signer, s->set.signer, at, err);
        if (rc == 0)
            printf("%.*s %s\n", (int)gr_signer_kid(s->signer).len, gr_signer_kid(s->signer).p,
                   s->set.signer);
        goto out;
    }
    /* A keyring never used yet: the key serving until now is registered first, to be retired. */
    if (n == 0) {
        gr_buf_printf(&uri, "file:%s/issuer.pem", s->set.data_dir);
        if (keys_register(s, s->signer, uri.data, now, err) < 0)
            goto out;
        gr_buf_reset(&uri);
    }
    if (new_file_key(s, &uri, err) < 0 ||
        (fresh = gr_signer_new(gr_buf_str(&uri), (struct gr_str){ "", 0 }, err)) == NULL ||
        keys_register(s, fresh, uri.data, at, err) < 0)
        goto out;
    printf("%.*s %s\n", (int)gr_signer_kid(fresh).len, gr_signer_kid(fresh).p, uri.data);
    if (at > now)
        fprintf(stderr, "gramota: published now, signing from %lld seconds from now\n",
                (long long)(at - now));
    rc = 0;
out:
    gr_signer_free(fresh);
    gr_buf_release(&uri);
    return rc;
}

int cmd_key(int argc, char **argv)
{
    struct server s = { 0 };
    struct gr_err err;
    int64_t now = (int64_t)time(NULL);
    bool help, at_once = false;
    int next, rc = 1;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    /* --now is rotate's own; the rest are the server's settings. */
    if (argc >= 3 && !strcmp(argv[1], "rotate") && !strcmp(argv[2], "--now")) {
        at_once = true;
        argv[2] = argv[1];
        argv++;
        argc--;
    }
    if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "rotate")) ||
        settings_parse(&s.set, argc - 1, argv + 1, &next, &help) < 0 ||
        (!help && next != argc - 1)) {
        fputs(usage, stderr);
        return 2;
    }
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    if (server_open(&s, "", &err) < 0) {
        rc = cmd_fail("key", &err);
        goto out;
    }
    if (!strcmp(argv[1], "list"))
        rc = list(&s, now, &err) < 0 ? cmd_fail("key list", &err) : 0;
    else
        rc = rotate(&s, now, at_once ? now : now + WELL_KNOWN_MAX_AGE, &err) < 0
                 ? cmd_fail("key rotate", &err)
                 : 0;
out:
    server_close(&s);
    return rc;
}

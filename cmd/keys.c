/*
 * The signing keys of a running server: which one signs, and which are
 * published at /.well-known/jwt-vc-issuer, following the store's keyring
 * (store.h key_activate), which every process on the store shares.
 *
 * Publishing. A verifier resolves the `kid` of a credential, and of a status
 * list token, through jwt-vc-issuer. So the document lists the active key and
 * every retired key that may still verify something: one that signed a
 * credential not yet expired (live_until), or one retired less than a status
 * list token's lifetime ago (plus KEY_GRACE for processes that noticed the
 * rotation late), since a verifier may still hold a token it signed.
 *
 * Scheduling. `gramota key rotate` activates a key WELL_KNOWN_MAX_AGE ahead:
 * the keyring calls it active (and its predecessor retired) from then on,
 * so it is published at once, while its predecessor, retired at that same
 * future time, signs until then (signing_key()). A verifier's cached
 * jwt-vc-issuer thus never meets a kid it has not had time to fetch.
 *
 * Swapping. Requests read the signer and the document through one atomic
 * pointer to an immutable keyset. keys_refresh() (the main thread only)
 * builds a new keyset and publishes it with one atomic store; the keyset it
 * replaces is kept, not freed, until server_close(), after the last request
 * has completed. A request holding the old signer thus never sees it freed,
 * with no lock or reference count on the hot path. What this costs is one
 * keyset per change of what is published (a rotation, a retired key ageing
 * out): a handful over a process's life, never one per poll.
 */
#include "server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define KEYS_MAX  256  /* keys read from the keyring; older retired ones are long unpublished */
#define KEY_GRACE 3600 /* seconds a retired key stays published past a status token's life */

struct keyset {
    const struct gr_signer *signer; /* signs now */
    struct gr_signer *owned;        /* the signer, when this keyset opened it; else NULL */
    struct gr_buf jwt_vc_meta;      /* /.well-known/jwt-vc-issuer: every key that may verify */
    struct gr_buf published;        /* the active kid, then those listed: says when to rebuild */
    struct keyset *older;           /* the keyset this one replaced, kept until shutdown */
};

/* see server.h */
const struct gr_signer *server_signer(const struct server *s)
{
    const struct keyset *k = atomic_load(&s->keys);

    return k ? k->signer : s->signer;
}

/* see server.h */
const struct gr_buf *server_jwt_vc_meta(const struct server *s)
{
    const struct keyset *k = atomic_load(&s->keys);

    return k ? &k->jwt_vc_meta : &s->jwt_vc_meta;
}

/* see server.h */
void keys_redact(const char *uri, char *out, size_t size)
{
    static const char secret[] = "pin-value=";
    struct gr_buf b;
    const char *p = uri, *hit;

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    while ((hit = strstr(p, secret)) != NULL) {
        gr_buf_add(&b, p, (size_t)(hit - p) + strlen(secret));
        gr_buf_adds(&b, "REDACTED");
        p = hit + strlen(secret) + strcspn(hit + strlen(secret), ";&?");
    }
    gr_buf_adds(&b, p);
    snprintf(out, size, "%s", b.data ? b.data : "");
    gr_buf_release(&b);
}

/* The URI of the key gramota serve is configured with: --signer, or the default file. */
static void configured_uri(const struct server *s, struct gr_buf *out)
{
    if (s->set.signer)
        gr_buf_adds(out, s->set.signer);
    else
        gr_buf_printf(out, "file:%s/issuer.pem", s->set.data_dir);
}

/* A file: URI with an absolute path, so that any process can open it from the keyring. */
static void absolute_uri(const char *uri, char *out, size_t size)
{
    char cwd[1024];
    struct gr_buf b;

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    if (strncmp(uri, "file:", 5) == 0 && uri[5] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
        gr_buf_printf(&b, "file:%s/%s", cwd, uri + 5);
    else
        gr_buf_adds(&b, uri);
    keys_redact(b.data, out, size);
    gr_buf_release(&b);
}

/* see server.h */
int keys_register(const struct server *s, const struct gr_signer *signer, const char *uri,
                  int64_t now, struct gr_err *err)
{
    struct gr_signing_key k;
    struct gr_str kid = gr_signer_kid(signer);
    struct gr_buf jwk;
    int rc;

    memset(&k, 0, sizeof(k));
    snprintf(k.kid, sizeof(k.kid), "%.*s", (int)kid.len, kid.p);
    absolute_uri(uri, k.signer_uri, sizeof(k.signer_uri));
    gr_buf_init(&jwk, GR_STORE_JWK_MAX);
    gr_jwk_to_json(gr_signer_jwk(signer), false, &jwk);
    snprintf(k.jwk, sizeof(k.jwk), "%s", jwk.data ? jwk.data : "");
    gr_buf_release(&jwk);
    rc = s->store.ops->key_activate(s->store.ctx, &k, now, err);
    if (rc == 0)
        fprintf(stderr, "gramota: key %s is now the active signing key\n", k.kid);
    return rc;
}

static bool same_kid(const struct gr_signer *s, const char *kid)
{
    return gr_str_eq(gr_signer_kid(s), gr_str_c(kid));
}

/*
 * Open the keyring's key `k`. The certificate chain of --cert-chain belongs
 * to the key it certifies: tried first, and left out when it certifies
 * another key (a key rotated in without a chain has no x5c).
 */
static struct gr_signer *open_key(const struct server *s, const struct gr_signing_key *k,
                                  struct gr_err *err)
{
    struct gr_buf chain;
    struct gr_signer *out = NULL;

    gr_buf_init(&chain, GR_MAX_PEM_LEN);
    if (s->set.cert_chain && cmd_read_file(s->set.cert_chain, GR_MAX_PEM_LEN, &chain, err) == 0)
        out = gr_signer_new(gr_str_c(k->signer_uri), gr_buf_str(&chain), err);
    if (out == NULL)
        out = gr_signer_new(gr_str_c(k->signer_uri), (struct gr_str){ "", 0 }, err);
    gr_buf_release(&chain);
    if (out != NULL && !same_kid(out, k->kid)) {
        gr_signer_free(out);
        gr_fail(err, GR_ERR_BAD_KEY, "The key the keyring names cannot be opened as that key.");
        gr_err_cause(err, "%.200s holds another key than %s", k->signer_uri, k->kid);
        return NULL;
    }
    return out;
}

/* see server.h (and the top of this file) */
int64_t keys_published_until(const struct gr_signing_key *k)
{
    int64_t tokens = k->retired_at + STATUS_TOKEN_LIFETIME + KEY_GRACE;

    if (k->state == GR_KEY_ACTIVE)
        return INT64_MAX;
    return k->live_until > tokens ? k->live_until : tokens;
}

static bool still_verifies(const struct gr_signing_key *k, int64_t now)
{
    return keys_published_until(k) > now;
}

/*
 * Build keyset `ks` around `signer`: the document lists `signer`'s key, then
 * each other key of `keys` that still verifies.
 */
static int build_keyset(const struct server *s, struct keyset *ks,
                        const struct gr_signing_key *keys, size_t n, int64_t now,
                        struct gr_err *err)
{
    const struct gr_jwk *jwks[KEYS_MAX + 1];
    struct gr_jwk *parsed[KEYS_MAX] = { 0 };
    const char *kids[KEYS_MAX + 1];
    char own[GR_STORE_KID_MAX + 1];
    struct gr_str kid = gr_signer_kid(ks->signer);
    size_t m = 1, np = 0;
    int rc;

    snprintf(own, sizeof(own), "%.*s", (int)kid.len, kid.p);
    jwks[0] = gr_signer_jwk(ks->signer);
    kids[0] = own;
    gr_buf_init(&ks->jwt_vc_meta, GR_BUF_UNBOUNDED);
    gr_buf_init(&ks->published, GR_BUF_UNBOUNDED);
    gr_buf_adds(&ks->published, own);
    for (size_t i = 0; i < n; i++) {
        struct gr_err ignored;

        if (!strcmp(keys[i].kid, own) || !still_verifies(&keys[i], now))
            continue;
        parsed[np] = gr_jwk_parse(gr_str_c(keys[i].jwk), GR_JWK_PUBLIC, &ignored);
        if (parsed[np] == NULL) {
            fprintf(stderr, "gramota: keyring: the JWK of %s is unusable: %s\n", keys[i].kid,
                    ignored.desc);
            continue;
        }
        jwks[m] = parsed[np++];
        kids[m++] = keys[i].kid;
        gr_buf_printf(&ks->published, ",%s", keys[i].kid);
    }
    rc = gr_metadata_jwt_vc_issuer_json(&s->meta, jwks, kids, m, &ks->jwt_vc_meta, err);
    for (size_t i = 0; i < np; i++)
        gr_jwk_free(parsed[i]);
    return rc;
}

static void keyset_free(struct keyset *ks)
{
    gr_signer_free(ks->owned);
    gr_buf_release(&ks->jwt_vc_meta);
    gr_buf_release(&ks->published);
    free(ks);
}

/*
 * The signer to use for the keyring's active key `active` (NULL: none yet):
 * the current one if it is that key, the configured one if that is, else the
 * key opened from the keyring (`*opened`, owned by the caller).
 */
static const struct gr_signer *pick_signer(const struct server *s, const struct gr_signer *cur,
                                           const struct gr_signing_key *active,
                                           struct gr_signer **opened, struct gr_err *err)
{
    *opened = NULL;
    if (active == NULL || same_kid(cur, active->kid))
        return cur;
    if (same_kid(s->signer, active->kid))
        return s->signer;
    *opened = open_key(s, active, err);
    return *opened;
}

/*
 * The keyring entry that signs at `now` (keys as key_list gives them, the
 * active one first): the active key, unless its activation is still ahead,
 * in which case the key it retires then. NULL when the keyring is empty.
 */
static const struct gr_signing_key *signing_key(const struct gr_signing_key *keys, size_t n,
                                                int64_t now)
{
    if (n == 0 || keys[0].state != GR_KEY_ACTIVE)
        return NULL;
    if (keys[0].activated_at > now && n > 1 && keys[1].retired_at == keys[0].activated_at)
        return &keys[1];
    return &keys[0];
}

/* see server.h */
int keys_refresh(struct server *s, int64_t now, bool starting, struct gr_err *err)
{
    struct gr_signing_key *keys = cmd_xcalloc(KEYS_MAX, sizeof(*keys));
    struct keyset *cur = atomic_load(&s->keys), *ks = NULL;
    const struct gr_signer *signer = cur ? cur->signer : s->signer;
    struct gr_signer *opened = NULL;
    size_t n = 0;
    int rc = -1;

    if (s->store.ops->key_list(s->store.ctx, now, false, keys, KEYS_MAX, &n, err) < 0)
        goto out;
    {
        const struct gr_signing_key *signs = signing_key(keys, n, now);
        const struct gr_signer *want = pick_signer(s, signer, signs, &opened, err);

        if (want == NULL && starting)
            goto out;
        if (want == NULL) /* keep signing with the key we have, which stays published */
            fprintf(stderr, "gramota: keyring: the signing key %s cannot be opened: %s (%s)\n",
                    signs->kid, err->desc, err->cause);
        else
            signer = want;
    }
    ks = cmd_xcalloc(1, sizeof(*ks));
    ks->signer = signer;
    ks->owned = opened;
    opened = NULL;
    if (build_keyset(s, ks, keys, n, now, err) < 0)
        goto out;
    if (cur && cur->signer == ks->signer &&
        gr_str_eq(gr_buf_str(&cur->published), gr_buf_str(&ks->published))) {
        rc = 0; /* nothing changed */
        goto out;
    }
    if (cur == NULL || cur->signer != ks->signer)
        fprintf(stderr, "gramota: signing with key %.*s; published: %s\n",
                (int)gr_signer_kid(ks->signer).len, gr_signer_kid(ks->signer).p,
                ks->published.data);
    ks->older = cur;
    atomic_store(&s->keys, ks); /* requests see the whole keyset from now on */
    ks = NULL;
    rc = 0;
out:
    if (ks)
        keyset_free(ks);
    gr_signer_free(opened);
    free(keys);
    return rc;
}

/* see server.h */
int keys_start(struct server *s, int64_t now, struct gr_err *err)
{
    struct gr_signing_key keys[KEYS_MAX > 64 ? 64 : KEYS_MAX];
    struct gr_buf uri;
    size_t n = 0;
    bool known = false, active;
    int rc = -1;

    if (s->store.ops->key_list(s->store.ctx, now, false, keys, GR_NELEM(keys), &n, err) < 0)
        return -1;
    active = n > 0 && keys[0].state == GR_KEY_ACTIVE;
    for (size_t i = 0; i < n; i++)
        known = known || same_kid(s->signer, keys[i].kid);
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    configured_uri(s, &uri);
    /*
     * A key new to the keyring, given with --signer, is a rotation by
     * configuration; without --signer the keyring's active key is used, so
     * that `gramota key rotate` needs no change of flags. A known, retired
     * key given again is not made active behind the operator's back.
     */
    if ((!active || (s->set.signer && !known)) &&
        keys_register(s, s->signer, uri.data, now, err) < 0)
        goto out;
    if (active && s->set.signer && known && !same_kid(s->signer, keys[0].kid))
        fprintf(stderr,
                "gramota: warning: --signer names a retired key; the keyring's active key %s "
                "signs (gramota key rotate --signer makes it active again)\n",
                keys[0].kid);
    rc = keys_refresh(s, now, true, err);
out:
    gr_buf_release(&uri);
    return rc;
}

/* see server.h */
void keys_free(struct server *s)
{
    struct keyset *ks = atomic_load(&s->keys);

    atomic_store(&s->keys, NULL);
    while (ks) {
        struct keyset *older = ks->older;

        keyset_free(ks);
        ks = older;
    }
}

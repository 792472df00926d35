/* gramota org create|limits, and the organization-making both create and serve use. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"

#define KEY_BYTES 32

/* see server.h */
int org_create(const struct server *s, const char *name, struct gr_org *org, char key[64],
               struct gr_err *err)
{
    uint8_t raw[KEY_BYTES], id[16], hash[32];
    size_t n = strlen(name);

    if (n == 0 || n > GR_STORE_NAME_MAX ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
        return gr_fail(
            err, GR_ERR_INVALID_REQUEST,
            "An organization name is 1 to 64 letters, digits, dots, dashes or underscores.");
    memset(org, 0, sizeof(*org));
    if (gr_random(raw, sizeof(raw), err) < 0 || gr_random(id, sizeof(id), err) < 0)
        return -1;
    /* A recognisable prefix lets secret scanners find leaked keys. */
    memcpy(key, "gk_", 3);
    gr_b64url_encode(raw, sizeof(raw), key + 3);
    key[3 + gr_b64url_len(sizeof(raw))] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    gr_sha256(key, strlen(key), hash);
    gr_b64url_encode(id, sizeof(id), org->id);
    org->id[GR_STORE_ID_LEN] = '\0';
    snprintf(org->name, sizeof(org->name), "%s", name);
    org->created_at = (int64_t)time(NULL);
    return s->store.ops->org_create(s->store.ctx, org, hash, err);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gramota org create NAME [OPTIONS]\n"
            "       gramota org limits NAME PER_MINUTE BURST [OPTIONS]\n\n"
            "create: makes an organization and prints its API key once, alone on the last line.\n"
            "limits: sets how many offers it may make per minute and at once (0 0: the\n"
            "server's --offer-rate and --offer-burst).\n"
            "Options as for gramota serve (--data-dir, --database-url, ...).\n");
}

static int create(struct server *s, const char *name)
{
    struct gr_org org;
    struct gr_err err;
    char key[64];

    if (org_create(s, name, &org, key, &err) < 0)
        return cmd_fail("org create", &err);
    {
        struct req r = { .srv = s, .now = org.created_at };

        audit(&r, "org.created", org.id, "", "", org.name);
    }
    printf("organization %s (%s); its API key, shown once:\n%s\n", org.name, org.id, key);
    OPENSSL_cleanse(key, sizeof(key));
    return 0;
}

/* A limit as given on the command line: 0 (the default) to a million. */
static bool parse_limit(const char *text, int64_t *out)
{
    char *end;
    long long v = strtoll(text, &end, 10);

    *out = v;
    return end != text && *end == '\0' && v >= 0 && v <= 1000000;
}

static int limits(struct server *s, const char *name, const char *rate, const char *burst)
{
    struct gr_org org;
    struct gr_err err;
    int64_t per_minute, at_once;
    char detail[64];

    if (!parse_limit(rate, &per_minute) || !parse_limit(burst, &at_once)) {
        fprintf(stderr, "gramota org limits: PER_MINUTE and BURST are 0 to 1000000\n");
        return 2;
    }
    if (s->store.ops->org_by_name(s->store.ctx, gr_str_c(name), &org, &err) < 0 ||
        s->store.ops->org_set_limits(s->store.ctx, gr_str_c(org.id), per_minute, at_once, &err) < 0)
        return cmd_fail("org limits", &err);
    snprintf(detail, sizeof(detail), "%lld/min, burst %lld", (long long)per_minute,
             (long long)at_once);
    {
        struct req r = { .srv = s, .now = (int64_t)time(NULL) };

        audit(&r, "org.limits", org.id, "", "", detail);
    }
    printf("organization %s: %lld offers per minute, %lld at once\n", org.name,
           (long long)(per_minute ? per_minute : s->set.offer_rate),
           (long long)(at_once ? at_once : s->set.offer_burst));
    return 0;
}

int cmd_org(int argc, char **argv)
{
    struct server s = { 0 };
    struct gr_err err;
    bool help, is_create = argc >= 3 && strcmp(argv[1], "create") == 0;
    int args = is_create ? 1 : 3, next, rc;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (!is_create && (argc < 5 || strcmp(argv[1], "limits") != 0)) {
        usage(stderr);
        return 2;
    }
    if (settings_parse(&s.set, argc - 1 - args, argv + 1 + args, &next, &help) < 0 ||
        next != argc - 1 - args) {
        usage(stderr);
        return 2;
    }
    if (server_open(&s, "", &err) < 0)
        rc = cmd_fail(argv[1], &err);
    else
        rc = is_create ? create(&s, argv[2]) : limits(&s, argv[2], argv[3], argv[4]);
    server_close(&s);
    return rc;
}

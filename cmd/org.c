/* gramota org create NAME, and the organization-making both it and serve use. */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "core/internal.h"

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
    fprintf(
        f,
        "usage: gramota org create NAME [OPTIONS]\n\nMakes an organization and prints its API key "
        "once, alone on the last line.\nOptions as for gramota serve (--data-dir, --database-url, "
        "...).\n");
}

int cmd_org(int argc, char **argv)
{
    struct server s = { 0 };
    struct gr_org org;
    struct gr_err err;
    char key[64];
    bool help;
    int next, rc = 1;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "create") != 0) {
        usage(stderr);
        return 2;
    }
    if (settings_parse(&s.set, argc - 2, argv + 2, &next, &help) < 0 || next != argc - 2) {
        usage(stderr);
        return 2;
    }
    if (server_open(&s, "", &err) < 0 || org_create(&s, argv[2], &org, key, &err) < 0) {
        rc = cmd_fail("org create", &err);
        goto out;
    }
    {
        struct req r = { .srv = &s, .now = org.created_at };

        audit(&r, "org.created", org.id, "", "", org.name);
    }
    printf("organization %s (%s); its API key, shown once:\n%s\n", org.name, org.id, key);
    OPENSSL_cleanse(key, sizeof(key));
    rc = 0;
out:
    server_close(&s);
    return rc;
}

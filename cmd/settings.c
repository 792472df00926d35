/*
 * Settings: every one a flag and a GRAMOTA_<NAME> environment variable, the
 * flag winning (API.md §1). One table drives parsing, defaults and --help.
 */
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { STR, INT, I64, BOOL };

struct setting {
    const char *flag;
    enum kind kind;
    size_t offset;
    const char *def;
    int64_t min, max;
    const char *help;
};

#define S(f, field, def, help)                                    \
    {                                                             \
        f, STR, offsetof(struct settings, field), def, 0, 0, help \
    }
#define I(f, field, def, lo, hi, help)                              \
    {                                                               \
        f, INT, offsetof(struct settings, field), def, lo, hi, help \
    }
#define L(f, field, def, lo, hi, help)                              \
    {                                                               \
        f, I64, offsetof(struct settings, field), def, lo, hi, help \
    }
#define B(f, field, def, help)                                     \
    {                                                              \
        f, BOOL, offsetof(struct settings, field), def, 0, 1, help \
    }

static const struct setting table[] = {
    S("issuer-url", issuer_url, NULL, "public URL of the issuer (default http://localhost:PORT)"),
    S("listen", listen, "127.0.0.1:8080", "address to serve on, HOST:PORT (port 0 picks one)"),
    S("data-dir", data_dir, "gramota-data", "directory for the database and the generated key"),
    S("database-url", database_url, NULL,
      "sqlite:PATH or postgresql://... (default sqlite:DATA_DIR/gramota.db)"),
    S("signer", signer, NULL,
      "file:PATH of the PEM signing key (default DATA_DIR/issuer.pem, made if missing)"),
    S("cert-chain", cert_chain, NULL, "PEM certificate chain of the signing key, for x5c"),
    S("credential-types", credential_types, "default",
      "the shipped set 'default', or a directory of type files"),
    S("log-format", log_format, "text", "text or json"),
    S("wallet-trust-anchors", wallet_trust_anchors, NULL,
      "PEM CA certificates of the wallet providers whose attestations are trusted"),
    S("client-attestation", client_attestation, "optional",
      "wallet attestation at the token endpoint: off, optional or required"),
    L("token-lifetime", token_lifetime, "300", 30, 3600, "seconds an access token lives"),
    L("nonce-lifetime", nonce_lifetime, "300", 30, 3600, "seconds a c_nonce lives"),
    L("dpop-window", dpop_window, "300", 30, 3600, "seconds a DPoP proof stays acceptable"),
    L("offer-lifetime", offer_lifetime, "1800", 60, 30 * 86400, "default seconds an offer lives"),
    I("batch-size", batch_size, "10", 1, 32, "most credentials in one request"),
    I("max-tx-attempts", max_tx_attempts, "5", 1, 100,
      "wrong transaction codes before an offer dies"),
    I("tx-code-length", tx_code_length, "6", 4, 9, "digits of an issuer-made transaction code"),
    I("threads", threads, "0", 0, 256, "worker threads (0: one per core)"),
    L("status-list-size", status_list_size, "131072", 1024, 1 << 24,
      "entries in one status list, a multiple of 8"),
    B("dpop-nonce", dpop_nonce, "false", "demand DPoP server nonces (use_dpop_nonce)"),
    S("redis-url", redis_url, NULL,
      "redis://[:PASSWORD@]HOST[:PORT][/DB] or unix://[:PASSWORD@]/SOCKET[?db=DB]: "
      "short-lived state there, not in the database"),
    L("offer-rate", offer_rate, "600", 1, 1000000,
      "offers an organization may make per minute, unless it has its own limit"),
    L("offer-burst", offer_burst, "100", 1, 1000000, "offers an organization may make at once"),
    L("guess-rate", guess_rate, "30", 1, 1000000,
      "failed token requests per minute allowed per client address and per code"),
    L("guess-burst", guess_burst, "20", 1, 1000000,
      "failed token requests allowed at once per client address and per code"),
};

static void *field(struct settings *s, const struct setting *t)
{
    return (char *)s + t->offset;
}

static int assign(struct settings *s, const struct setting *t, const char *v, const char *from)
{
    char *end;
    long long n;

    switch (t->kind) {
    case STR:
        *(const char **)field(s, t) = v;
        return 0;
    case BOOL:
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0")) {
            fprintf(stderr, "gramota: %s wants true or false\n", from);
            return -1;
        }
        *(bool *)field(s, t) = v[0] == 't' || v[0] == '1';
        return 0;
    case INT:
    case I64:
        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || end == v || *end || n < t->min || n > t->max) {
            fprintf(stderr, "gramota: %s wants a whole number from %lld to %lld\n", from,
                    (long long)t->min, (long long)t->max);
            return -1;
        }
        if (t->kind == INT)
            *(int *)field(s, t) = (int)n;
        else
            *(int64_t *)field(s, t) = n;
        return 0;
    }
    return -1;
}

/* GRAMOTA_ISSUER_URL for issuer-url. */
static void env_name(const char *flag, char *out, size_t size)
{
    size_t i = 0, n = snprintf(out, size, "GRAMOTA_");

    for (; flag[i] && n + 1 < size; i++)
        out[n++] = flag[i] == '-' ? '_' : (char)toupper((unsigned char)flag[i]);
    out[n] = '\0';
}

/* see settings.h */
void settings_help(FILE *f)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char env[64];

        env_name(table[i].flag, env, sizeof(env));
        fprintf(f, "  --%-18s %s\n  %-20s   [%s%s%s]\n", table[i].flag, table[i].help, "", env,
                table[i].def ? ", default " : "", table[i].def ? table[i].def : "");
    }
}

/* see settings.h */
int settings_parse(struct settings *s, int argc, char **argv, int *next, bool *help)
{
    struct option opts[sizeof(table) / sizeof(table[0]) + 2];
    size_t n = sizeof(table) / sizeof(table[0]);
    int c, idx;

    memset(s, 0, sizeof(*s));
    *help = false;
    for (size_t i = 0; i < n; i++) {
        char env[64];
        const char *v;

        env_name(table[i].flag, env, sizeof(env));
        v = getenv(env);
        if ((table[i].def && assign(s, &table[i], table[i].def, "a default") < 0) ||
            (v && assign(s, &table[i], v, env) < 0))
            return -1;
        opts[i] = (struct option){ table[i].flag,
                                   table[i].kind == BOOL ? optional_argument : required_argument,
                                   NULL, (int)(i + 256) };
    }
    opts[n] = (struct option){ "help", no_argument, NULL, 'h' };
    opts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, &idx)) != -1) {
        char flag[80];

        if (c == 'h') {
            *help = true;
            return 0;
        }
        if (c < 256)
            return -1; /* getopt said what was wrong */
        snprintf(flag, sizeof(flag), "--%s", table[c - 256].flag);
        if (assign(s, &table[c - 256], optarg ? optarg : "true", flag) < 0)
            return -1;
    }
    *next = optind;
    return 0;
}

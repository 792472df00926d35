#ifndef GR_CMD_SETTINGS_H
#define GR_CMD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct settings {
    const char *issuer_url; /* the public Credential Issuer Identifier */
    const char *listen;     /* host:port */
    const char *data_dir;
    const char *database_url; /* sqlite:PATH */
    const char *signer;       /* file:PATH */
    const char *cert_chain;   /* PEM file, optional */
    const char *credential_types;
    const char *log_format;           /* text | json */
    const char *wallet_trust_anchors; /* PEM: CAs of the wallet providers trusted */
    const char *client_attestation;   /* off | optional | required */
    int64_t token_lifetime;           /* seconds */
    int64_t nonce_lifetime;
    int64_t dpop_window;    /* how long a DPoP proof's iat stays acceptable */
    int64_t offer_lifetime; /* default for offers */
    int batch_size;
    int max_tx_attempts;
    int tx_code_length;
    int threads;              /* worker threads; 0: the number of cores */
    int64_t status_list_size; /* entries in one status list */
    bool dpop_nonce;          /* demand DPoP server nonces */
    const char *redis_url;    /* redis://...: short-lived state there; NULL: in the database */
    int64_t offer_rate;       /* offers an organization may make per minute (its default) */
    int64_t offer_burst;      /* ... and at once */
    int64_t guess_rate;       /* failed token requests per minute, per client address and code */
    int64_t guess_burst;
};

/*
 * Defaults, then GRAMOTA_* variables, then flags from argv (getopt_long, stops
 * at the first non-option; `*next` is its index). Says what is wrong on
 * stderr and returns -1 on a bad value.
 */
int settings_parse(struct settings *s, int argc, char **argv, int *next, bool *help);
/* The settings' part of --help. */
void settings_help(FILE *f);

#endif

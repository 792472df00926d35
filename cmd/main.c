#include <stdio.h>
#include <string.h>

#include <gramota/gramota.h>

#include "cmd.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "serve", cmd_serve, "run the issuer" },
    { "org", cmd_org, "make an organization and its API key" },
    { "offer", cmd_offer, "make a credential offer, with a QR code" },
    { "keygen", cmd_keygen, "make an ES256 key, optionally with a certificate chain" },
    { "key", cmd_key, "list the signing keys, rotate to a new one" },
    { "credential", cmd_credential, "list, show, revoke, suspend, reinstate, verify credentials" },
    { "audit", cmd_audit, "check the audit trail's hash chain" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gramota [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < GR_NELEM(commands); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'gramota COMMAND --help' tells more about one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("gramota %s\n", GR_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < GR_NELEM(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "gramota: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

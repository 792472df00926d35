/* gramota credential: work with issued credentials from the shell. */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <gramota/gramota.h>

static const char usage[] =
    "usage: gramota credential list|show|revoke|suspend|reinstate ... (see 'credential list "
    "--help')\n"
    "       gramota credential verify --key FILE [options] [CREDENTIAL_FILE|-]\n"
    "\n"
    "Verifies an SD-JWT VC as a wallet or verifier would: the issuer's signature,\n"
    "every disclosure, the validity period and, when present, the key binding JWT.\n"
    "Prints the disclosed claims as JSON and exits 0, or says what is wrong and\n"
    "exits 1. The credential is read from the file, or standard input.\n"
    "\n"
    "  --key FILE       the issuer's public key: PEM, a JWK, or a JWK set (the key\n"
    "                   whose kid matches the credential's header)\n"
    "  --aud AUD        the key binding JWT must be for this audience\n"
    "  --nonce NONCE    the key binding JWT must carry this nonce\n"
    "  --require-kb     refuse a credential presented without key binding\n"
    "  --now UNIX_TIME  check validity at this time instead of now\n"
    "  --leeway SECS    clock skew to tolerate (default 60)\n"
    "  --accept-vc-typ  also accept the legacy typ vc+sd-jwt\n";

/* The kid in the issuer-signed JWT's header, copied; NULL when there is none. */
static char *header_kid(struct gr_str cred)
{
    const char *tilde = memchr(cred.p, '~', cred.len);
    struct gr_jws jws;
    struct gr_err err;
    char *kid = NULL;

    gr_jws_init(&jws);
    if (tilde &&
        gr_jws_parse((struct gr_str){ cred.p, (size_t)(tilde - cred.p) }, &jws, &err) == 0 &&
        jws.kid.p)
        kid = cmd_xstrndup(jws.kid.p, jws.kid.len);
    gr_jws_release(&jws);
    return kid;
}

static struct gr_jwk *load_key(const char *path, struct gr_str cred, struct gr_err *err)
{
    struct gr_buf text;
    struct gr_jwk *key = NULL;
    char *kid = NULL;

    gr_buf_init(&text, GR_MAX_PEM_LEN);
    if (cmd_read(path, GR_MAX_PEM_LEN, &text, err) < 0)
        goto out;
    if (text.len == 0 || text.data[strspn(text.data, " \t\r\n")] != '{') {
        key = gr_jwk_parse_pem(gr_buf_str(&text), GR_JWK_ANY, err);
        goto out;
    }
    /* A JWK, or a JWK set: the key with the credential's kid, or the only key. */
    kid = header_kid(cred);
    key = gr_jwk_parse_set(gr_buf_str(&text), kid ? gr_str_c(kid) : (struct gr_str){ NULL, 0 },
                           GR_JWK_ANY, err);
    if (key == NULL && err->code == GR_ERR_NOT_FOUND)
        gr_fail(err, GR_ERR_BAD_KEY, "No key in the set has the credential's kid.");
out:
    free(kid);
    gr_buf_release(&text);
    return key;
}

/* The JSON text of `claims` indented for a person. */
static void print_claims(struct gr_str claims)
{
    json_t *v = json_loadb(claims.p, claims.len, 0, NULL);

    json_dumpf(v, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(v);
}

static int verify(int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "aud", required_argument, NULL, 'a' },
        { "nonce", required_argument, NULL, 'n' },
        { "require-kb", no_argument, NULL, 'r' },
        { "now", required_argument, NULL, 't' },
        { "leeway", required_argument, NULL, 'l' },
        { "accept-vc-typ", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct gr_sdjwt_vc_verify_opts o = { .leeway = 60 };
    const char *key_path = NULL, *in = "-";
    struct gr_buf cred;
    struct gr_jwk *key = NULL;
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "k:a:n:rt:l:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            key_path = optarg;
            break;
        case 'a':
            o.kb_aud = gr_str_c(optarg);
            break;
        case 'n':
            o.kb_nonce = gr_str_c(optarg);
            break;
        case 'r':
            o.require_kb = true;
            break;
        case 't':
            if (!cmd_int("--now", optarg, 1, INT64_MAX / 2, &o.now))
                return 2;
            break;
        case 'l':
            if (!cmd_int("--leeway", optarg, 0, 86400, &o.leeway))
                return 2;
            break;
        case 'v':
            o.accept_vc_typ = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (key_path == NULL || argc - optind > 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (optind < argc)
        in = argv[optind];
    gr_buf_init(&cred, GR_MAX_SDJWT_LEN);
    gr_sdjwt_vc_verified_init(&v);
    if (cmd_read(in, GR_MAX_SDJWT_LEN, &cred, &err) < 0) {
        rc = cmd_fail("credential verify", &err);
        goto out;
    }
    while (cred.len && strchr(" \t\r\n", cred.data[cred.len - 1]))
        cred.data[--cred.len] = '\0'; /* a file's final newline is not part of the credential */
    if ((key = load_key(key_path, gr_buf_str(&cred), &err)) == NULL) {
        rc = cmd_fail("credential verify: the issuer key", &err);
        goto out;
    }
    if (gr_sdjwt_vc_verify(gr_buf_str(&cred), key, &o, &v, &err) < 0) {
        fprintf(stderr, "gramota: credential verify: invalid (%s): %s\n", gr_errc_name(err.code),
                err.desc);
        goto out;
    }
    print_claims(gr_buf_str(&v.claims));
    fprintf(stderr, "valid: %zu disclosures, key binding %s\n", v.disclosures,
            v.key_bound ? "verified" : "absent");
    rc = 0;
out:
    gr_jwk_free(key);
    gr_sdjwt_vc_verified_release(&v);
    gr_buf_release(&cred);
    return rc;
}

int cmd_credential(int argc, char **argv)
{
    static const char *const lifecycle[] = { "list", "show", "revoke", "suspend", "reinstate" };

    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return verify(argc - 1, argv + 1);
    for (size_t i = 0; argc >= 2 && i < GR_NELEM(lifecycle); i++) {
        if (strcmp(argv[1], lifecycle[i]) == 0)
            return cmd_credential_lifecycle(argc, argv);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}

/*
 * gramota keygen: an ES256 key pair, in a PEM file or made on a PKCS#11 token,
 * and optionally a certificate chain for x5c.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include <gramota/gramota.h>

static const char usage[] =
    "usage: gramota keygen [--out FILE] [--chain FILE] [--subject NAME] [--days N] [--force]\n"
    "       gramota keygen --pkcs11 URI --label NAME [--chain FILE] [--subject NAME] [--days N]\n"
    "\n"
    "Makes an ES256 (P-256) key pair and writes its private key as PKCS#8 PEM to\n"
    "FILE (mode 0600; '-' or no --out: standard output). Prints the key's kid (its\n"
    "RFC 7638 thumbprint) and public JWK to standard error.\n"
    "\n"
    "  --pkcs11 URI    make the key pair on the PKCS#11 token that URI names\n"
    "                  (pkcs11:token=LABEL?module-path=FILE&pin-source=file:PIN);\n"
    "                  the private key never leaves the token. Prints the pkcs11:\n"
    "                  URI to give --signer on standard output.\n"
    "  --label NAME    the new key's label on the token (CKA_LABEL)\n"
    "  --chain FILE    also write a certificate chain for the key: a leaf issued by\n"
    "                  a fresh CA, leaf first (for --cert-chain and x5c). The CA's\n"
    "                  private key is discarded: this is for development, not a PKI.\n"
    "  --subject NAME  the leaf's common name (default: gramota issuer)\n"
    "  --days N        validity of the chain in days (default: 365)\n"
    "  --force         replace existing files\n";

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "chain", required_argument, NULL, 'c' },
        { "subject", required_argument, NULL, 's' },
        { "days", required_argument, NULL, 'd' },
        { "force", no_argument, NULL, 'f' },
        { "pkcs11", required_argument, NULL, 'p' },
        { "label", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *chain = NULL, *subject = "gramota issuer", *pkcs11 = NULL,
               *label = NULL;
    int64_t days = 365;
    int c, rc = 1;
    bool force = false;
    struct gr_err err;
    struct gr_jwk *key = NULL;
    struct gr_buf pem, chain_pem, jwk, uri;
    char kid[GR_JWK_THUMBPRINT_B64_LEN + 1];

    while ((c = getopt_long(argc, argv, "o:c:s:d:fp:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'c':
            chain = optarg;
            break;
        case 's':
            subject = optarg;
            break;
        case 'd':
            if (!cmd_int("--days", optarg, 1, 36500, &days))
                return 2;
            break;
        case 'f':
            force = true;
            break;
        case 'p':
            pkcs11 = optarg;
            break;
        case 'l':
            label = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    /* A token key has no file; a file key no label. */
    if (optind != argc || (pkcs11 && (out || !label)) || (!pkcs11 && label)) {
        fputs(usage, stderr);
        return 2;
    }
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    gr_buf_init(&chain_pem, GR_BUF_UNBOUNDED);
    gr_buf_init(&jwk, GR_BUF_UNBOUNDED);
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    if (pkcs11)
        key = gr_signer_pkcs11_keygen(gr_str_c(pkcs11), gr_str_c(label), &uri, &err);
    else if ((key = gr_jwk_generate(&err)) != NULL && gr_jwk_to_pem(key, true, &pem, &err) < 0)
        goto fail;
    /* The chain needs only the public key: the leaf certifies it, a fresh CA signs. */
    if (key == NULL ||
        (chain && gr_cert_chain_make(key, subject, (int)days, &chain_pem, &err) < 0) ||
        (!pkcs11 && cmd_write(out ? out : "-", gr_buf_str(&pem), 0600, force, &err) < 0) ||
        (chain && cmd_write(chain, gr_buf_str(&chain_pem), 0644, force, &err) < 0))
        goto fail;
    gr_jwk_thumbprint_b64(key, kid);
    gr_jwk_to_json(key, false, &jwk);
    fprintf(stderr, "kid: %s\njwk: %s\n", kid, jwk.data);
    if (pkcs11)
        printf("%s\n", uri.data);
    rc = 0;
    goto out;
fail:
    rc = cmd_fail("keygen", &err);
out:
    OPENSSL_cleanse(pem.data, pem.len);
    gr_buf_release(&pem);
    gr_buf_release(&chain_pem);
    gr_buf_release(&jwk);
    gr_buf_release(&uri);
    gr_jwk_free(key);
    return rc;
}

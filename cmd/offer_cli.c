/* gramota offer create: POST /v1/credential-offers from the shell, with a QR code in the terminal.
 */
#include "server.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "offers.h"
#include "qr.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: gramota offer create --subject JSON|@FILE (--vct VCT | --config ID) [OPTIONS]\n\n"
        "Makes a credential offer as POST /v1/credential-offers does, and prints its URL, its\n"
        "pre-authorized code and a QR code to scan. Beside a running server, give it the same\n"
        "--data-dir, --database-url and --issuer-url (or GRAMOTA_* variables).\n\n"
        "  --org NAME              the organization (default: default)\n"
        "  --disclosable JSON      the selectivelyDisclosable array of claim names\n"
        "  --tx-code               ask for a transaction code (the issuer makes one)\n"
        "  --by-reference          deliver the offer as credential_offer_uri\n"
        "  --expires-in SECONDS    lifetime of the offer\n"
        "  --no-qr                 print no QR code\n"
        "and every option of gramota serve.\n");
}

struct offer_opts {
    const char *org, *subject, *vct, *config, *disclosable, *expires_in;
    bool tx_code, by_reference, no_qr;
};

/* Take our own options out of argv, leaving the serve settings for settings_parse. */
static int take_opts(int *argc, char **argv, struct offer_opts *o)
{
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--org")           ? &o->org
                            : !strcmp(a, "--subject")     ? &o->subject
                            : !strcmp(a, "--vct")         ? &o->vct
                            : !strcmp(a, "--config")      ? &o->config
                            : !strcmp(a, "--disclosable") ? &o->disclosable
                            : !strcmp(a, "--expires-in")  ? &o->expires_in
                                                          : NULL;

        if (slot) {
            if (i + 1 == *argc)
                return -1;
            *slot = argv[++i];
        } else if (!strcmp(a, "--tx-code")) {
            o->tx_code = true;
        } else if (!strcmp(a, "--by-reference")) {
            o->by_reference = true;
        } else if (!strcmp(a, "--no-qr")) {
            o->no_qr = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    return 0;
}

/* The admin API's request body, so that both paths check the same way. */
static int request_body(const struct offer_opts *o, struct gr_buf *body, struct gr_err *err)
{
    struct gr_buf subject;
    json_t *req = json_object(), *v;
    int rc = -1;

    gr_buf_init(&subject, GR_MAX_BODY);
    if (o->subject && o->subject[0] == '@') {
        if (cmd_read(o->subject + 1, GR_MAX_BODY, &subject, err) < 0)
            goto out;
    } else if (o->subject) {
        gr_buf_adds(&subject, o->subject);
    }
    v = json_loadb(subject.data ? subject.data : "", subject.len, JSON_REJECT_DUPLICATES, NULL);
    if (v == NULL) {
        gr_fail(err, GR_ERR_INVALID_REQUEST,
                "--subject must be a JSON object of claims (or @FILE).");
        goto out;
    }
    json_object_set_new(req, "subject", v);
    if (o->vct)
        json_object_set_new(req, "vct", json_string(o->vct));
    if (o->config)
        json_object_set_new(req, "credentialConfigurationId", json_string(o->config));
    if (o->disclosable) {
        v = json_loads(o->disclosable, 0, NULL);
        if (v == NULL) {
            gr_fail(err, GR_ERR_INVALID_REQUEST,
                    "--disclosable must be a JSON array of claim names.");
            goto out;
        }
        json_object_set_new(req, "selectivelyDisclosable", v);
    }
    if (o->tx_code)
        json_object_set_new(req, "txCode", json_true());
    if (o->by_reference)
        json_object_set_new(req, "byReference", json_true());
    if (o->expires_in)
        json_object_set_new(req, "expiresIn", json_integer(strtoll(o->expires_in, NULL, 10)));
    cmd_json_dump(req, body);
    rc = 0;
out:
    json_decref(req);
    gr_buf_release(&subject);
    return rc;
}

int cmd_offer(int argc, char **argv)
{
    struct offer_opts o = { .org = "default" };
    struct server s = { 0 };
    struct gr_offer_request req;
    struct offer_made m;
    struct gr_buf body;
    struct gr_org org;
    struct gr_err err;
    bool help;
    int next, rc = 1, n = argc - 1; /* argv + 1: "create" and what follows */

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "create") != 0 || take_opts(&n, argv + 1, &o) < 0 ||
        settings_parse(&s.set, n, argv + 1, &next, &help) < 0 || next != n) {
        usage(stderr);
        return 2;
    }
    memset(&req, 0, sizeof(req));
    offer_made_init(&m);
    gr_buf_init(&body, GR_MAX_BODY);
    if (server_open(&s, "", &err) < 0 || request_body(&o, &body, &err) < 0 ||
        s.store.ops->org_by_name(s.store.ctx, gr_str_c(o.org), &org, &err) < 0 ||
        gr_offer_request_parse(gr_buf_str(&body), &req, &err) < 0 ||
        offer_make(&(struct req){ .srv = &s, .now = (int64_t)time(NULL) }, &org, &req,
                   (struct gr_str){ NULL, 0 }, &m, &err) < 0) {
        rc = cmd_fail("offer create", &err);
        goto out;
    }
    printf("offer %s for %s\n", m.made.offer.id, m.made.offer.config_id);
    if (m.made.offer.has_tx_code)
        printf("transaction code (send it by another channel): %s\n", m.made.tx_code);
    printf("pre-authorized code: %s\n", m.made.code);
    if (!o.no_qr && qr_terminal(gr_buf_str(&m.url), stdout, &err) < 0)
        fprintf(stderr, "gramota: %s\n", err.desc);
    printf("%s\n", m.url.data);
    rc = 0;
out:
    gr_buf_release(&body);
    gr_offer_request_release(&req);
    offer_made_release(&m);
    server_close(&s);
    return rc;
}

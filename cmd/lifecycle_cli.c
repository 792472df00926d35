/*
 * gramota credential list|show|revoke|suspend|reinstate and gramota audit
 * verify: the lifecycle API and the audit trail from the shell, on the same
 * store as a running server.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

static const char usage[] =
    "usage: gramota credential list [--org NAME] [--offer ID] [--vct VCT] [--status S] [--limit "
    "N]\n"
    "       gramota credential show|revoke|suspend|reinstate ID [--org NAME]\n"
    "       (and the server settings: --data-dir, --database-url, --issuer-url, ...)\n"
    "\n"
    "The credentials an organization issued, newest first, and their status.\n"
    "revoke is final; suspend and reinstate go back and forth. A change shows in\n"
    "the next status list token the server serves.\n";

struct life_opts {
    const char *org, *offer, *vct, *status, *limit;
};

static int take(int *argc, char **argv, struct life_opts *o)
{
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char **slot = !strcmp(argv[i], "--org")      ? &o->org
                            : !strcmp(argv[i], "--offer")  ? &o->offer
                            : !strcmp(argv[i], "--vct")    ? &o->vct
                            : !strcmp(argv[i], "--status") ? &o->status
                            : !strcmp(argv[i], "--limit")  ? &o->limit
                                                           : NULL;

        if (slot == NULL) {
            argv[out++] = argv[i];
        } else if (i + 1 < *argc) {
            *slot = argv[++i];
        } else {
            return -1;
        }
    }
    *argc = out;
    return 0;
}

static int print_list(const struct server *s, const struct gr_org *org, const struct life_opts *o,
                      struct gr_err *err)
{
    static const char *const names[] = { "valid", "invalid", "suspended" };
    struct gr_credential_filter f = {
        .offer_id = o->offer ? gr_str_c(o->offer) : (struct gr_str){ NULL, 0 },
        .vct = o->vct ? gr_str_c(o->vct) : (struct gr_str){ NULL, 0 },
        .status = -1,
    };
    struct gr_credential_cursor cur = { 0 };
    struct gr_credential_rec recs[64];
    struct gr_buf out;
    int64_t limit = 1000;
    size_t n, shown = 0;

    for (int i = 0; o->status && i < 3; i++) {
        if (!strcmp(o->status, names[i]))
            f.status = i;
    }
    if (o->status && f.status < 0)
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "--status is valid, invalid or suspended.");
    if (o->limit && !cmd_int("--limit", o->limit, 1, 1000000, &limit))
        return gr_fail(err, GR_ERR_INVALID_REQUEST, "--limit wants a whole number.");
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    do {
        size_t want =
            (size_t)limit - shown < GR_NELEM(recs) ? (size_t)limit - shown : GR_NELEM(recs);

        if (s->store.ops->credential_list(s->store.ctx, gr_str_c(org->id), &f, &cur, recs, want, &n,
                                          err) < 0) {
            gr_buf_release(&out);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            gr_buf_reset(&out);
            credential_json(s, &recs[i], &out);
            puts(out.data);
        }
        shown += n;
    } while (n > 0 && shown < (size_t)limit);
    gr_buf_release(&out);
    return 0;
}

int cmd_credential_lifecycle(int argc, char **argv)
{
    static const struct {
        const char *verb, *event;
        enum gr_cred_status to;
    } moves[] = {
        { "revoke", "credential.revoked", GR_CRED_INVALID },
        { "suspend", "credential.suspended", GR_CRED_SUSPENDED },
        { "reinstate", "credential.reinstated", GR_CRED_VALID },
    };
    struct life_opts o = { .org = "default" };
    struct server s = { 0 };
    struct req r = { .srv = &s, .now = (int64_t)time(NULL) };
    struct gr_credential_rec rec;
    struct gr_buf out;
    struct gr_org org;
    struct gr_err err;
    const char *verb = argv[1], *id = NULL;
    bool help, list = !strcmp(verb, "list");
    /* list takes options only; the others an ID first: argv from there on is parsed as a command
     * line */
    int skip = list ? 1 : 2, next, rc = 1, n = argc - skip;

    if (argc <= skip || take(&n, argv + skip, &o) < 0 ||
        settings_parse(&s.set, n, argv + skip, &next, &help) < 0 || next != n) {
        fputs(usage, stderr);
        return 2;
    }
    if (!list)
        id = argv[2];
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    if (server_open(&s, "", &err) < 0 ||
        s.store.ops->org_by_name(s.store.ctx, gr_str_c(o.org), &org, &err) < 0) {
        rc = cmd_fail("credential", &err);
        goto out;
    }
    if (list) {
        rc = print_list(&s, &org, &o, &err) < 0 ? cmd_fail("credential list", &err) : 0;
        goto out;
    }
    if (!strcmp(verb, "show")) {
        if (s.store.ops->credential_get(s.store.ctx, gr_str_c(org.id), gr_str_c(id), &rec, &err) <
            0) {
            rc = cmd_fail("credential show", &err);
            goto out;
        }
    } else {
        size_t i = 0;

        while (i < GR_NELEM(moves) && strcmp(verb, moves[i].verb))
            i++;
        if (i == GR_NELEM(moves)) {
            fputs(usage, stderr);
            rc = 2;
            goto out;
        }
        if (s.store.ops->credential_set_status(s.store.ctx, gr_str_c(org.id), gr_str_c(id),
                                               moves[i].to, r.now, &rec, &err) < 0) {
            rc = cmd_fail(verb, &err);
            goto out;
        }
        audit(&r, moves[i].event, org.id, rec.issued.offer_id, rec.issued.id, "");
    }
    credential_json(&s, &rec, &out);
    puts(out.data);
    rc = 0;
out:
    gr_buf_release(&out);
    server_close(&s);
    return rc;
}

static const char audit_usage[] =
    "usage: gramota audit verify [server settings]\n\n"
    "Walks the audit trail and checks that each event carries the hash of the one\n"
    "before it: a changed, inserted or removed event is found and named.\n";

int cmd_audit(int argc, char **argv)
{
    struct server s = { 0 };
    struct gr_err err;
    size_t count = 0;
    bool help;
    int next, rc = 1;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(audit_usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0 ||
        settings_parse(&s.set, argc - 1, argv + 1, &next, &help) < 0 ||
        (!help && next != argc - 1)) {
        fputs(audit_usage, stderr);
        return 2;
    }
    if (help) {
        fputs(audit_usage, stdout);
        return 0;
    }
    if (server_open(&s, "", &err) < 0 || s.store.ops->audit_verify(s.store.ctx, &count, &err) < 0) {
        rc = cmd_fail("audit verify", &err);
        goto out;
    }
    printf("audit trail intact: %zu events\n", count);
    rc = 0;
out:
    server_close(&s);
    return rc;
}

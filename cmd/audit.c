/* Audit events from requests (server.h: audit). */
#include "server.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* see server.h */
void req_client_address(const struct req *r, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    const struct sockaddr *sa = info ? info->client_addr : NULL;

    out[0] = '\0';
    if (sa == NULL || getnameinfo(sa,
                                  sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                            : sizeof(struct sockaddr_in),
                                  out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, size, "%s", r->conn ? "?" : "cli");
}

/* see server.h */
void audit_event(const struct req *r, struct gr_audit_event *ev, const char *kind,
                 const char *org_id, const char *offer_id, const char *credential_id,
                 const char *detail)
{
    memset(ev, 0, sizeof(*ev));
    ev->at = r->now;
    snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
    snprintf(ev->org_id, sizeof(ev->org_id), "%s", org_id ? org_id : "");
    snprintf(ev->offer_id, sizeof(ev->offer_id), "%s", offer_id ? offer_id : "");
    snprintf(ev->credential_id, sizeof(ev->credential_id), "%s",
             credential_id ? credential_id : "");
    snprintf(ev->detail, sizeof(ev->detail), "%s", detail ? detail : "");
    req_client_address(r, ev->client, sizeof(ev->client));
}

/* see server.h */
void audit_write(const struct req *r, const struct gr_audit_event *ev, size_t count)
{
    struct gr_err err;

    if (count && r->srv->store.ops->audit_append(r->srv->store.ctx, ev, count, &err) < 0)
        fprintf(stderr, "gramota: %zu audit event(s) %s could not be recorded: %s (%s)\n", count,
                ev[0].kind, err.desc, err.cause);
}

/* see server.h */
void audit(const struct req *r, const char *kind, const char *org_id, const char *offer_id,
           const char *credential_id, const char *detail)
{
    struct gr_audit_event ev;

    audit_event(r, &ev, kind, org_id, offer_id, credential_id, detail);
    audit_write(r, &ev, 1);
}

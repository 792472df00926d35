/*
 * Which route answers a request. Protocol and admin routes live under the
 * issuer URL's path (so that https://host/tenant serves /tenant/oid4vci/...);
 * the well-known documents live where OID4VCI 1.0 and Draft 13 place them.
 */
#include "server.h"

#include <string.h>

/*
 * Every name r->route takes, here and in route_lifecycle.c: /metrics keeps a
 * row of counters for each (tests/cmd/test_serve_metrics.sh checks none is missing).
 */
static const char *const route_names[] = {
    "wellknown_issuer",
    "wellknown_as",
    "wellknown_jwt_vc_issuer",
    "healthz",
    "readyz",
    "metrics",
    "token",
    "nonce",
    "notification",
    "credential",
    "credential_offer",
    "offers",
    "offer",
    "offer_qr",
    "credentials",
    "credential_show",
    "credential_status",
    "status_list",
};

/* see server.h */
const char *const *routes_names(size_t *n)
{
    *n = GR_NELEM(route_names);
    return route_names;
}

/* see server.h */
bool req_is(const struct req *r, const char *method)
{
    return strcmp(r->method, method) == 0;
}

static void method_not_allowed(struct req *r, const char *allow)
{
    struct gr_err err;

    gr_fail(&err, GR_ERR_INVALID_REQUEST, "This endpoint takes %s only.", allow);
    req_error(r, &err);
    r->status = 405;
    req_add_header(r, "Allow", allow);
}

static void not_found(struct req *r)
{
    struct gr_err err;

    gr_fail(&err, GR_ERR_NOT_FOUND, "There is nothing at this address.");
    req_error(r, &err);
}

/* `path` starts with `prefix`; the rest (possibly empty) goes to `rest`. */
static bool under(struct gr_str path, const char *prefix, struct gr_str *rest)
{
    size_t n = strlen(prefix);

    if (path.len < n || memcmp(path.p, prefix, n) != 0)
        return false;
    *rest = (struct gr_str){ path.p + n, path.len - n };
    return true;
}

/*
 * Does the client ask for the signed metadata? Accept naming application/jwt
 * and not preferring application/json before it (§12.2.2: SHOULD honour Accept).
 */
static bool wants_jwt(const struct req *r)
{
    const char *accept = req_header(r, "Accept");
    const char *jwt = accept ? strstr(accept, "application/jwt") : NULL;
    const char *json = accept ? strstr(accept, "application/json") : NULL;

    return jwt != NULL && (json == NULL || jwt < json);
}

static bool wellknown(struct req *r, struct gr_str path)
{
    const struct server *s = r->srv;
    static const char *const routes[] = { "wellknown_issuer", "wellknown_as",
                                          "wellknown_jwt_vc_issuer" };
    const struct gr_buf *docs[] = { &s->issuer_meta, &s->as_meta,
                                    server_jwt_vc_meta(s) /* keys.c */ };
    enum gr_wellknown which = gr_metadata_wellknown(s->issuer_path, path);

    if (which == GR_WELLKNOWN_NONE)
        return false;
    r->route = routes[which];
    if (!req_is(r, "GET") && !req_is(r, "HEAD"))
        method_not_allowed(r, "GET");
    else if (which == GR_WELLKNOWN_ISSUER && wants_jwt(r))
        route_issuer_metadata_signed(r);
    else
        route_wellknown(r, docs[which]);
    return true;
}

static void oid4vci(struct req *r, struct gr_str rest)
{
    struct gr_str code;

    if (gr_str_eq_c(rest, "/token")) {
        r->route = "token";
        req_is(r, "POST") ? route_token(r) : method_not_allowed(r, "POST");
    } else if (gr_str_eq_c(rest, "/nonce")) {
        r->route = "nonce";
        req_is(r, "POST") ? route_nonce(r) : method_not_allowed(r, "POST");
    } else if (gr_str_eq_c(rest, "/notification")) {
        r->route = "notification";
        req_is(r, "POST") ? route_notification(r) : method_not_allowed(r, "POST");
    } else if (gr_str_eq_c(rest, "/credential")) {
        r->route = "credential";
        req_is(r, "POST") ? route_credential(r) : method_not_allowed(r, "POST");
    } else if (under(rest, "/credential-offer/", &code) && code.len > 0 &&
               memchr(code.p, '/', code.len) == NULL) {
        r->route = "credential_offer"; /* the path holds the code: never logged */
        req_is(r, "GET") ? route_offer_by_reference(r, code) : method_not_allowed(r, "GET");
    } else {
        not_found(r);
    }
}

static void admin(struct req *r, struct gr_str rest)
{
    struct gr_str id, what = { "", 0 };
    const char *slash;

    if (rest.len == 0) {
        r->route = "offers";
        req_is(r, "POST") ? route_offer_create(r) : method_not_allowed(r, "POST");
        return;
    }
    if (rest.p[0] != '/') {
        not_found(r);
        return;
    }
    id = (struct gr_str){ rest.p + 1, rest.len - 1 };
    slash = memchr(id.p, '/', id.len);
    if (slash) {
        what = (struct gr_str){ slash + 1, (size_t)(id.p + id.len - slash - 1) };
        id.len = (size_t)(slash - id.p);
    }
    r->route = what.len ? "offer_qr" : "offer";
    req_is(r, "GET") ? route_offer_get(r, id, what) : method_not_allowed(r, "GET");
}

/* see http.c */
void routes_dispatch(struct req *r)
{
    struct gr_str path = gr_str_c(r->path), rest;
    const struct gr_str prefix = r->srv->issuer_path;

    if (wellknown(r, path))
        return;
    if (gr_str_eq_c(path, "/healthz") || gr_str_eq_c(path, "/readyz")) {
        r->route = path.p + 1;
        route_health(r);
        return;
    }
    if (gr_str_eq_c(path, "/metrics")) {
        r->route = "metrics";
        req_is(r, "GET") ? route_metrics(r) : method_not_allowed(r, "GET");
        return;
    }
    if (path.len < prefix.len || memcmp(path.p, prefix.p, prefix.len) != 0) {
        not_found(r);
        return;
    }
    path = (struct gr_str){ path.p + prefix.len, path.len - prefix.len };
    if (under(path, "/oid4vci", &rest))
        oid4vci(r, rest);
    else if (under(path, "/v1/credential-offers", &rest))
        admin(r, rest);
    else if (under(path, "/v1/credentials", &rest) && (rest.len == 0 || rest.p[0] == '/'))
        route_credentials(r, rest);
    else if (under(path, "/status-lists/", &rest) && rest.len &&
             memchr(rest.p, '/', rest.len) == NULL) {
        r->route = "status_list";
        req_is(r, "GET") ? route_status_list(r, rest) : method_not_allowed(r, "GET");
    } else
        not_found(r);
}

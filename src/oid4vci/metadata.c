/*
 * The issuer identifier and the documents built from it at start-up
 * (metadata.h): Credential Issuer Metadata, Authorization Server Metadata,
 * JWT VC Issuer Metadata, and where each is served.
 */
#include "oid4vci/metadata_internal.h"

#include <string.h>

#include <gramota/b64url.h>

/* ---- the issuer identifier (OpenID4VCI 1.0 §12.2.1) ---- */

static bool in(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

static bool alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A registered name in lower case, or an IPv6 literal with its brackets. */
static int check_host(struct gr_str h, struct gr_err *err)
{
    bool v6 = h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']';

    if (h.len == 0 || (v6 && h.len == 2))
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL has no host.");
    for (size_t i = v6; i < h.len - v6; i++) {
        char c = h.p[i];

        if (c >= 'A' && c <= 'Z')
            return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL's host is not in lower case.");
        if (v6 ? !(in(c, "abcdef:.") || (c >= '0' && c <= '9'))
               : !(alnum_lower(c) || in(c, ".-_~")))
            return gr_fail(err, GR_ERR_MALFORMED,
                           "The issuer URL's host has a character a host name does not take.");
    }
    return 0;
}

static int check_port(struct gr_str port, unsigned *out, struct gr_err *err)
{
    unsigned v = 0;

    if (port.len == 0 || port.len > 5)
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL's port is not a number 1 to 65535.");
    for (size_t i = 0; i < port.len; i++) {
        if (port.p[i] < '0' || port.p[i] > '9')
            return gr_fail(err, GR_ERR_MALFORMED,
                           "The issuer URL's port is not a number 1 to 65535.");
        v = v * 10 + (unsigned)(port.p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL's port is not a number 1 to 65535.");
    *out = v;
    return 0;
}

/*
 * Only unreserved characters and '/', no empty, "." or ".." segment: the
 * path then reads the same to every client and to the server's router, with
 * nothing to normalize or percent-decode.
 */
static int check_path(struct gr_str path, struct gr_err *err)
{
    size_t seg = 0; /* where the current segment starts */

    for (size_t i = 1; i <= path.len; i++) {
        char c = i < path.len ? path.p[i] : '/';

        if (c == '/') {
            struct gr_str s = { path.p + seg + 1, i - seg - 1 };

            if (s.len == 0 || gr_str_eq_c(s, ".") || gr_str_eq_c(s, ".."))
                return gr_fail(err, GR_ERR_MALFORMED,
                               "The issuer URL's path has an empty, dot or dot-dot segment.");
            seg = i;
        } else if (!alnum_lower(c) && !(c >= 'A' && c <= 'Z') && !in(c, "-._~")) {
            return gr_fail(
                err, GR_ERR_MALFORMED,
                "The issuer URL's path has a character other than A-Z a-z 0-9 - . _ ~ /.");
        }
    }
    return 0;
}

static bool is_loopback(struct gr_str host)
{
    static const char suffix[] = ".localhost";
    size_t n = sizeof(suffix) - 1;

    if (gr_str_eq_c(host, "localhost") || gr_str_eq_c(host, "[::1]"))
        return true;
    if (host.len > n && memcmp(host.p + host.len - n, suffix, n) == 0)
        return true;
    if (host.len < 7 || memcmp(host.p, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < host.len; i++) {
        if (!in(host.p[i], "0123456789."))
            return false;
    }
    return true;
}

/* Split the authority into host and port. */
static int split_authority(struct gr_str a, struct gr_issuer_url *out, struct gr_err *err)
{
    const char *colon = NULL;

    if (memchr(a.p, '@', a.len))
        return gr_fail(err, GR_ERR_MALFORMED,
                       "The issuer URL has userinfo, which an issuer identifier may not have.");
    if (a.len && a.p[0] == '[') {
        const char *close = memchr(a.p, ']', a.len);

        if (close == NULL)
            return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL's IPv6 host is not closed.");
        if (close + 1 < a.p + a.len && close[1] != ':')
            return gr_fail(err, GR_ERR_MALFORMED,
                           "The issuer URL's host is not followed by a port.");
        colon = close + 1 < a.p + a.len ? close + 1 : NULL;
    } else {
        colon = memchr(a.p, ':', a.len);
    }
    out->host = (struct gr_str){ a.p, colon ? (size_t)(colon - a.p) : a.len };
    if (check_host(out->host, err) < 0)
        return -1;
    if (colon)
        return check_port((struct gr_str){ colon + 1, (size_t)(a.p + a.len - colon - 1) },
                          &out->port, err);
    return 0;
}

/* see metadata.h */
int gr_issuer_url_parse(struct gr_str url, struct gr_issuer_url *out, struct gr_err *err)
{
    struct gr_str rest, authority;
    const char *slash;

    *out = (struct gr_issuer_url){ .base = url };
    if (url.len > GR_MAX_ISSUER_URL_LEN)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The issuer URL is longer than %d bytes.",
                       GR_MAX_ISSUER_URL_LEN);
    if (url.len && memchr(url.p, '?', url.len))
        return gr_fail(err, GR_ERR_MALFORMED,
                       "The issuer URL has a query, which an issuer identifier may not have.");
    if (url.len && memchr(url.p, '#', url.len))
        return gr_fail(err, GR_ERR_MALFORMED,
                       "The issuer URL has a fragment, which an issuer identifier may not have.");
    if (url.len >= 8 && memcmp(url.p, "https://", 8) == 0)
        out->https = true;
    else if (!(url.len >= 7 && memcmp(url.p, "http://", 7) == 0))
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer URL is not an https or http URL.");
    rest = (struct gr_str){ url.p + (out->https ? 8 : 7), url.len - (out->https ? 8 : 7) };
    slash = memchr(rest.p, '/', rest.len);
    authority = (struct gr_str){ rest.p, slash ? (size_t)(slash - rest.p) : rest.len };
    if (split_authority(authority, out, err) < 0)
        return -1;
    out->path = (struct gr_str){ rest.p + authority.len, rest.len - authority.len };
    /* RFC 8414 §3.1 and SD-JWT VC §4: a terminating '/' goes before the well-known part. */
    if (out->path.len && out->path.p[out->path.len - 1] == '/') {
        out->path.len--;
        out->base.len--;
    }
    if (out->path.len && check_path(out->path, err) < 0)
        return -1;
    out->loopback = is_loopback(out->host);
    return 0;
}

/* see metadata.h */
int gr_metadata_wellknown_paths(struct gr_str issuer_url, const char *name, struct gr_buf *v1_path,
                                struct gr_buf *draft13_path, struct gr_err *err)
{
    struct gr__buf_mark v1_at = gr__buf_mark(v1_path);
    struct gr__buf_mark d13_at = draft13_path ? gr__buf_mark(draft13_path) : v1_at;
    struct gr_issuer_url u;
    bool appended = strcmp(name, "openid-credential-issuer") == 0 ||
                    strcmp(name, "oauth-authorization-server") == 0;

    if (!appended && strcmp(name, "jwt-vc-issuer") != 0)
        return gr_fail(err, GR_ERR_USAGE, "The well-known name is not one that gramota serves.");
    if (gr_issuer_url_parse(issuer_url, &u, err) < 0)
        return -1;
    gr_buf_printf(v1_path, "/.well-known/%s", name);
    gr_buf_addstr(v1_path, u.path);
    /* Draft 13 §11.2.2 appended the well-known part; SD-JWT VC §4 never did. */
    if (draft13_path && appended && u.path.len) {
        gr_buf_addstr(draft13_path, u.path);
        gr_buf_printf(draft13_path, "/.well-known/%s", name);
    }
    if (gr_buf_check(v1_path, err) < 0 || (draft13_path && gr_buf_check(draft13_path, err) < 0)) {
        if (draft13_path)
            gr__buf_restore(draft13_path, d13_at);
        return gr__buf_restore(v1_path, v1_at);
    }
    return 0;
}

/* `s` starts with `prefix`: then `s` becomes what follows it. */
static bool strip(struct gr_str *s, struct gr_str prefix)
{
    if (s->len < prefix.len || memcmp(s->p, prefix.p, prefix.len) != 0)
        return false;
    s->p += prefix.len;
    s->len -= prefix.len;
    return true;
}

/* see metadata.h */
enum gr_wellknown gr_metadata_wellknown(struct gr_str issuer_path, struct gr_str path)
{
    static const char *const names[] = { "openid-credential-issuer", "oauth-authorization-server",
                                         "jwt-vc-issuer" };
    const struct gr_str wk = GR_STR("/.well-known/");

    for (int i = 0; i < (int)GR_NELEM(names); i++) {
        struct gr_str v1 = path, draft13 = path;

        /* 1.0: /.well-known/<name><issuer path> */
        if (strip(&v1, wk) && strip(&v1, gr_str_c(names[i])) && gr_str_eq(v1, issuer_path))
            return (enum gr_wellknown)i;
        /* Draft 13, with a path, for the two OpenID4VCI names: <issuer path>/.well-known/<name> */
        if (i < GR_WELLKNOWN_JWT_VC_ISSUER && issuer_path.len && strip(&draft13, issuer_path) &&
            strip(&draft13, wk) && gr_str_eq_c(draft13, names[i]))
            return (enum gr_wellknown)i;
    }
    return GR_WELLKNOWN_NONE;
}

/* ---- documents ---- */

/* A BCP 47 tag's characters, at most 35 of them (RFC 5646 §4.4.1). */
static bool locale_ok(struct gr_str s)
{
    if (s.len > 35)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (!alnum_lower(s.p[i]) && !(s.p[i] >= 'A' && s.p[i] <= 'Z') && s.p[i] != '-')
            return false;
    }
    return true;
}

/* UTF-8 text without NUL, as jansson accepts a string. */
static bool text_ok(struct gr_str s, size_t max)
{
    json_t *v;

    if (s.len > max)
        return false;
    v = json_stringn(s.len ? s.p : "", s.len);
    json_decref(v);
    return v != NULL && memchr(s.p ? s.p : "", 0, s.len) == NULL;
}

static int check_settings(const struct gr_issuer_settings *s, struct gr_issuer_url *u,
                          struct gr_err *err)
{
    if (gr_issuer_url_parse(s->issuer_url, u, err) < 0)
        return -1;
    if (s->batch_size < 0 || s->batch_size > GR_MAX_BATCH)
        return gr_fail(err, GR_ERR_USAGE, "The batch size is not between 0 and %d.", GR_MAX_BATCH);
    if (s->client_attestation > GR_CLIENT_ATTESTATION_REQUIRED)
        return gr_fail(err, GR_ERR_USAGE, "The client attestation setting is not known.");
    if (!text_ok(s->display_name, 256))
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer's display name is not UTF-8 text.");
    if (!locale_ok(s->display_locale))
        return gr_fail(err, GR_ERR_MALFORMED, "The issuer's display locale is not a BCP 47 tag.");
    return 0;
}

/* "name":"<base><suffix>" */
static void url_member(struct gr_buf *out, const char *name, const struct gr_issuer_url *u,
                       const char *suffix)
{
    gr_buf_printf(out, "\"%s\":\"", name);
    gr_buf_addstr(out, u->base); /* gr_issuer_url_parse() lets nothing through that JSON escapes */
    gr_buf_adds(out, suffix);
    gr_buf_addc(out, '"');
}

static void display(const struct gr_issuer_settings *s, struct gr_buf *out)
{
    if (s->display_name.len == 0)
        return;
    gr_buf_adds(out, ",\"display\":[{\"name\":");
    gr__json_quote(s->display_name, out);
    if (s->display_locale.len) {
        gr_buf_adds(out, ",\"locale\":");
        gr__json_quote(s->display_locale, out);
    }
    gr_buf_adds(out, "}]");
}

/* see metadata.h */
int gr_metadata_issuer_json(const struct gr_cred_types *types,
                            const struct gr_issuer_settings *settings, struct gr_buf *out,
                            struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    struct gr_issuer_url u;

    if (check_settings(settings, &u, err) < 0)
        return -1;
    gr_buf_adds(out, "{\"credential_issuer\":");
    gr__json_quote(settings->issuer_url, out); /* exactly as given (§12.2.4) */
    /*
     * The issuer is its own authorization server. Saying so explicitly costs
     * nothing (wallets take authorization_servers[0], or credential_issuer when
     * it is absent: the same URL) and is what API.md §3 promises.
     */
    gr_buf_adds(out, ",\"authorization_servers\":[");
    gr__json_quote(settings->issuer_url, out);
    gr_buf_adds(out, "],");
    url_member(out, "credential_endpoint", &u, "/oid4vci/credential");
    gr_buf_addc(out, ',');
    url_member(out, "nonce_endpoint", &u, "/oid4vci/nonce");
    if (settings->notification_endpoint) {
        gr_buf_addc(out, ',');
        url_member(out, "notification_endpoint", &u, "/oid4vci/notification");
    }
    /* §12.2.4: batch_size MUST be 2 or more; without the member, one proof per request. */
    if (settings->batch_size >= 2)
        gr_buf_printf(out, ",\"batch_credential_issuance\":{\"batch_size\":%d}",
                      settings->batch_size);
    display(settings, out);
    gr_buf_adds(out, ",\"credential_configurations_supported\":{");
    for (size_t i = 0; i < gr_cred_types_count(types); i++) {
        const struct gr_cred_type *t = gr_cred_types_at(types, i);

        if (i)
            gr_buf_addc(out, ',');
        gr__json_quote(gr_cred_type_id(t), out);
        gr_buf_addc(out, ':');
        gr__json_dump(t->config, false, out);
    }
    gr_buf_adds(out, "}}");
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    return 0;
}

/* Each type's scope, once, in load order. */
static void scopes(const struct gr_cred_types *types, struct gr_buf *out)
{
    size_t n = gr_cred_types_count(types), listed = 0;

    gr_buf_adds(out, ",\"scopes_supported\":[");
    for (size_t i = 0; i < n; i++) {
        struct gr_str scope = gr_cred_type_scope(gr_cred_types_at(types, i));
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++)
            seen = gr_str_eq(scope, gr_cred_type_scope(gr_cred_types_at(types, j)));
        if (seen)
            continue;
        if (listed++)
            gr_buf_addc(out, ',');
        gr__json_quote(scope, out);
    }
    gr_buf_addc(out, ']');
}

/* see metadata.h */
int gr_metadata_as_json(const struct gr_cred_types *types,
                        const struct gr_issuer_settings *settings, struct gr_buf *out,
                        struct gr_err *err)
{
    enum gr_client_attestation_mode ca = settings->client_attestation;
    struct gr__buf_mark at = gr__buf_mark(out);
    struct gr_issuer_url u;

    if (check_settings(settings, &u, err) < 0)
        return -1;
    gr_buf_adds(out, "{\"issuer\":");
    gr__json_quote(settings->issuer_url, out); /* RFC 8414 §3.3: identical to the AS id */
    gr_buf_addc(out, ',');
    url_member(out, "token_endpoint", &u, "/oid4vci/token");
    gr_buf_adds(out, ",\"grant_types_supported\":"
                     "[\"urn:ietf:params:oauth:grant-type:pre-authorized_code\"]");
    /* OpenID4VCI 1.0 §12.3: token requests without client_id are fine unless attested. */
    gr_buf_printf(out, ",\"pre-authorized_grant_anonymous_access_supported\":%s",
                  ca == GR_CLIENT_ATTESTATION_REQUIRED ? "false" : "true");
    gr_buf_printf(out, ",\"token_endpoint_auth_methods_supported\":[%s]",
                  ca == GR_CLIENT_ATTESTATION_OFF        ? "\"none\""
                  : ca == GR_CLIENT_ATTESTATION_OPTIONAL ? "\"none\",\"attest_jwt_client_auth\""
                                                         : "\"attest_jwt_client_auth\"");
    /* Attestation-based client authentication: both lists come with the method. */
    if (ca != GR_CLIENT_ATTESTATION_OFF)
        gr_buf_adds(out, ",\"client_attestation_signing_alg_values_supported\":[\"ES256\"]"
                         ",\"client_attestation_pop_signing_alg_values_supported\":[\"ES256\"]");
    gr_buf_adds(out, ",\"dpop_signing_alg_values_supported\":[\"ES256\"]");
    scopes(types, out);
    gr_buf_addc(out, '}');
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    return 0;
}

/* {"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..,"alg":"ES256","use":"sig"} */
static void jwk_entry(const struct gr_jwk *key, const char *kid, struct gr_buf *out)
{
    struct gr_buf jwk;

    gr_buf_init(&jwk, GR_MAX_JWK_LEN);
    gr_jwk_to_json(key, false, &jwk);
    gr_buf_add(out, jwk.data, jwk.len - 1); /* all but its closing brace */
    gr_buf_adds(out, ",\"kid\":");
    gr__json_quote(gr_str_c(kid), out);
    gr_buf_adds(out, ",\"alg\":\"ES256\",\"use\":\"sig\"}");
    gr_buf_release(&jwk);
}

static int check_kids(const struct gr_jwk *const *keys, const char *const *kids, size_t n,
                      struct gr_err *err)
{
    if (n == 0)
        return gr_fail(err, GR_ERR_USAGE, "The JWT VC issuer metadata needs at least one key.");
    for (size_t i = 0; i < n; i++) {
        if (keys[i] == NULL || kids == NULL || kids[i] == NULL || kids[i][0] == '\0')
            return gr_fail(err, GR_ERR_USAGE, "Every issuer key needs a kid.");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(kids[i], kids[j]) == 0)
                return gr_fail(err, GR_ERR_USAGE, "Two issuer keys have the same kid.");
        }
    }
    return 0;
}

/* see metadata.h */
int gr_metadata_jwt_vc_issuer_json(const struct gr_issuer_settings *settings,
                                   const struct gr_jwk *const *keys, const char *const *kids,
                                   size_t n, struct gr_buf *out, struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    struct gr_issuer_url u;

    if (gr_issuer_url_parse(settings->issuer_url, &u, err) < 0 ||
        check_kids(keys, kids, n, err) < 0)
        return -1;
    /* SD-JWT VC §4.3: issuer identical to the credentials' iss. */
    gr_buf_adds(out, "{\"issuer\":");
    gr__json_quote(settings->issuer_url, out);
    gr_buf_adds(out, ",\"jwks\":{\"keys\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gr_buf_addc(out, ',');
        jwk_entry(keys[i], kids[i], out);
    }
    gr_buf_adds(out, "]}}");
    if (gr_buf_check(out, err) < 0)
        return gr__buf_restore(out, at);
    return 0;
}

/* see metadata.h */
int gr_metadata_issuer_signed(const struct gr_cred_types *types,
                              const struct gr_issuer_settings *settings,
                              const struct gr_signer *signer, int64_t iat, struct gr_buf *out,
                              struct gr_err *err)
{
    struct gr_buf doc, header, header_b64;
    int rc = -1;

    if (signer == NULL)
        return gr_fail(err, GR_ERR_USAGE, "Signed metadata needs a signer.");
    gr_buf_init(&doc, GR_BUF_UNBOUNDED);
    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&header_b64, GR_BUF_UNBOUNDED);
    if (gr_metadata_issuer_json(types, settings, &doc, err) < 0)
        goto out;
    /*
     * §12.2.3: every metadata parameter a top-level claim, plus sub (the issuer
     * identifier), iat and iss. The unsigned document ends with its closing brace.
     */
    doc.len--;
    gr_buf_adds(&doc, ",\"sub\":");
    gr__json_quote(settings->issuer_url, &doc);
    gr_buf_adds(&doc, ",\"iss\":");
    gr__json_quote(settings->issuer_url, &doc);
    gr_buf_printf(&doc, ",\"iat\":%lld}", (long long)iat);
    gr_signer_header(signer, "openidvci-issuer-metadata+jwt", &header);
    gr_buf_add_b64url(&header_b64, header.data, header.len);
    rc = gr_signer_jws(signer, gr_buf_str(&header_b64), gr_buf_str(&doc), out, err);
out:
    gr_buf_release(&doc);
    gr_buf_release(&header);
    gr_buf_release(&header_b64);
    return rc;
}

/* OAuth 2.0 on the wire: Authorization headers and error answers (RFC 6749, 6750, 9449). */
#include <gramota/oauth.h>

#include <string.h>
#include <strings.h>

#include <gramota/err.h>

/* RFC 9110 §11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_token68(struct gr_str s)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
    size_t i = 0;

    while (i < s.len && s.p[i] != '\0' && strchr(chars, s.p[i]) != NULL)
        i++;
    if (i == 0)
        return false;
    while (i < s.len && s.p[i] == '=')
        i++;
    return i == s.len;
}

/* see oauth.h */
int gr_authorization_parse(struct gr_str header, unsigned count, struct gr_authorization *out,
                           struct gr_err *err)
{
    size_t sp = 0;
    enum gr_auth_scheme scheme;

    if (header.p == NULL || count == 0)
        return gr_fail(err, GR_ERR_UNAUTHORIZED, "The request carries no access token.");
    if (count > 1)
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "The request carries more than one Authorization header.");
    while (sp < header.len && header.p[sp] != ' ')
        sp++;
    if (sp == 6 && strncasecmp(header.p, "Bearer", 6) == 0)
        scheme = GR_AUTH_BEARER;
    else if (sp == 4 && strncasecmp(header.p, "DPoP", 4) == 0)
        scheme = GR_AUTH_DPOP;
    else
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The access token must come as Bearer or DPoP.");
    while (sp < header.len && header.p[sp] == ' ')
        sp++;
    if (!is_token68((struct gr_str){ header.p + sp, header.len - sp }))
        return gr_fail(err, GR_ERR_INVALID_TOKEN, "The Authorization header is malformed.");
    out->scheme = scheme;
    out->token = (struct gr_str){ header.p + sp, header.len - sp };
    return 0;
}

/* see oauth.h */
int gr_error_json(const struct gr_err *err, struct gr_buf *out)
{
    const char *wire = gr_errc_wire(err->code);

    gr_buf_adds(out, "{\"error\":");
    gr_buf_add_json_string(out, gr_str_c(wire ? wire : "server_error"));
    if (err->desc[0]) {
        gr_buf_adds(out, ",\"error_description\":");
        gr_buf_add_json_string(out, gr_str_c(err->desc));
    }
    gr_buf_addc(out, '}');
    return wire ? gr_errc_status(err->code) : 500;
}

/*
 * error_description in a quoted-string: RFC 6749 §5.2 allows %x20-21 /
 * %x23-5B / %x5D-7E, so '"', '\' and anything else outside become a space.
 */
static void add_description(struct gr_buf *out, const char *desc)
{
    for (size_t i = 0; desc[i] && i < 200; i++) {
        unsigned char c = (unsigned char)desc[i];

        gr_buf_addc(out, c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? ' ' : (char)c);
    }
}

/* see oauth.h */
int gr_www_authenticate(const struct gr_err *err, enum gr_auth_scheme scheme, struct gr_buf *out)
{
    bool dpop = scheme == GR_AUTH_DPOP;

    switch (err->code) {
    case GR_ERR_UNAUTHORIZED:
        gr_buf_adds(out, dpop ? "DPoP algs=\"ES256\"" : "Bearer");
        return 401;
    case GR_ERR_INVALID_TOKEN:
    case GR_ERR_INVALID_DPOP_PROOF:
    case GR_ERR_USE_DPOP_NONCE:
    case GR_ERR_INSUFFICIENT_SCOPE:
        gr_buf_printf(out, "%s error=\"%s\", error_description=\"", dpop ? "DPoP" : "Bearer",
                      gr_errc_wire(err->code));
        add_description(out, err->desc);
        gr_buf_adds(out, dpop ? "\", algs=\"ES256\"" : "\"");
        return err->code == GR_ERR_INSUFFICIENT_SCOPE ? 403 : 401;
    default:
        return 0;
    }
}

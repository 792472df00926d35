/*
 * The Authorization header of the credential and notification endpoints, and
 * the error answers built around text that may have come from outside.
 *
 * Invariants: no crash, hang or leak. gr_authorization_parse fails with
 * INVALID_TOKEN (one header given) and a sentence, or gives a scheme whose
 * name starts the input and a token that ends it, made of token68
 * characters. gr_www_authenticate, with the input as the error's
 * description, writes one header value: printable ASCII, no CR or LF, and
 * exactly the quotes of its own quoted-strings. gr_error_json writes JSON that
 * reads back to the same code and description.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <gramota/gramota.h>
#include <gramota/oauth.h>

static void parse(struct gr_str in)
{
    struct gr_authorization a;
    struct gr_err err;
    size_t n;

    if (gr_authorization_parse(in, 1, &a, &err) < 0) {
        n = strlen(err.desc);
        assert(err.code == GR_ERR_INVALID_TOKEN && n > 0 && err.desc[n - 1] == '.');
        return;
    }
    assert(strncasecmp(in.p, a.scheme == GR_AUTH_DPOP ? "DPoP " : "Bearer ",
                       a.scheme == GR_AUTH_DPOP ? 5 : 7) == 0);
    assert(a.token.len > 0 && a.token.p + a.token.len == in.p + in.len);
    for (size_t i = 0; i < a.token.len; i++)
        assert(a.token.p[i] > ' ' && a.token.p[i] < 0x7f && a.token.p[i] != '"' &&
               a.token.p[i] != ',');
}

static void challenge(const struct gr_err *err)
{
    struct gr_buf out;
    size_t quotes = 0;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert(gr_www_authenticate(err, GR_AUTH_DPOP, &out) == 401);
    for (size_t i = 0; i < out.len; i++) {
        assert(out.data[i] >= 0x20 && out.data[i] < 0x7f);
        quotes += out.data[i] == '"';
    }
    assert(quotes == 6); /* error, error_description and algs, each opened and closed */
    gr_buf_release(&out);
}

static void error_json(const struct gr_err *err)
{
    struct gr_buf out;
    json_error_t jerr;
    json_t *j;

    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert(gr_error_json(err, &out) == 401);
    j = json_loadb(out.data, out.len, 0, &jerr);
    assert(j != NULL);
    assert(strcmp(json_string_value(json_object_get(j, "error")), "invalid_token") == 0);
    if (err->desc[0])
        assert(strcmp(json_string_value(json_object_get(j, "error_description")), err->desc) == 0);
    json_decref(j);
    gr_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr_err err;

    parse(in);
    /* As a description: what a route might have quoted from a request. */
    gr_fail(&err, GR_ERR_INVALID_TOKEN, "%.*s", (int)(len > 200 ? 200 : len), (const char *)data);
    if (memchr(data, '\0', len > 200 ? 200 : len) == NULL) {
        const unsigned char *d = (const unsigned char *)err.desc;
        bool utf8_ok = true;

        /* jansson reads back valid UTF-8 only; other bytes are the encoder's business. */
        for (size_t i = 0; d[i]; i++)
            utf8_ok &= d[i] < 0x80;
        if (utf8_ok)
            error_json(&err);
    }
    challenge(&err);
    return 0;
}

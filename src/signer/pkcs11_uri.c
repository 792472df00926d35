/*
 * The pkcs11: URI of --signer and keygen --pkcs11 (RFC 7512), parsed into
 * fixed fields, and the p11-kit module lookup behind module-name.
 *
 * Strict on purpose: a typo in an attribute name would otherwise widen the
 * search to "any key on any token", so unknown and repeated attributes are
 * errors, not ignored as RFC 7512 §2.3 would permit for unknown ones.
 */
#include "signer/pkcs11_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gramota/err.h>

#ifndef GR_P11_MODULE_DIR
#define GR_P11_MODULE_DIR "/usr/lib/x86_64-linux-gnu/pkcs11" /* p11-kit-1's p11_module_path */
#endif
#ifndef GR_P11_MODULE_CONFIGS
#define GR_P11_MODULE_CONFIGS "/usr/share/p11-kit/modules" /* p11-kit-1's p11_module_configs */
#endif
#define GR_P11_SYSTEM_CONFIGS "/etc/pkcs11/modules" /* the administrator's, read first */

enum attr {
    A_TOKEN,
    A_MANUFACTURER,
    A_MODEL,
    A_SERIAL,
    A_SLOT_ID,
    A_OBJECT,
    A_ID,
    A_TYPE,
    A_MODULE_PATH,
    A_MODULE_NAME,
    A_PIN_SOURCE,
    A_PIN_VALUE,
    A__COUNT
};

static const struct {
    const char *name;
    bool query; /* a query attribute (after '?'), else a path attribute */
} attrs[A__COUNT] = {
    [A_TOKEN] = { "token", false },
    [A_MANUFACTURER] = { "manufacturer", false },
    [A_MODEL] = { "model", false },
    [A_SERIAL] = { "serial", false },
    [A_SLOT_ID] = { "slot-id", false },
    [A_OBJECT] = { "object", false },
    [A_ID] = { "id", false },
    [A_TYPE] = { "type", false },
    [A_MODULE_PATH] = { "module-path", true },
    [A_MODULE_NAME] = { "module-name", true },
    [A_PIN_SOURCE] = { "pin-source", true },
    [A_PIN_VALUE] = { "pin-value", true },
};

/* RFC 7512 §2.3: pk11-path-res-avail and pk11-query-res-avail, beside unreserved. */
static bool allowed(unsigned char c, bool query)
{
    if (isalnum(c) || strchr("-._~", c))
        return c != '\0';
    if (c != '\0' && strchr(":[]@!$'()*+,=", c))
        return true;
    return c != '\0' && (query ? strchr("/?|", c) != NULL : c == '&');
}

/* Percent-decode `v` into `out` (at most `cap` bytes). */
static int decode(struct gr_str v, bool query, const char *name, uint8_t *out, size_t cap,
                  size_t *len, struct gr_err *err)
{
    size_t n = 0;

    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];

        if (c == '%') {
            int b = gr__pct_byte(v, i);

            if (b < 0)
                return gr_fail(err, GR_ERR_USAGE,
                               "The pkcs11: URI has a bad percent-encoding in %s.", name);
            c = (unsigned char)b;
            i += 2;
        } else if (!allowed(c, query)) {
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI has a character in %s that must be percent-encoded.",
                           name);
        }
        if (n == cap)
            return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI's %s is too long.", name);
        out[n++] = c;
    }
    *len = n;
    return 0;
}

/* A text attribute: decoded, no NUL inside, NUL-terminated in `out` of `size` bytes. */
static int text(struct gr_str v, bool query, const char *name, char *out, size_t size,
                struct gr_err *err)
{
    size_t len = 0;

    if (decode(v, query, name, (uint8_t *)out, size - 1, &len, err) < 0)
        return -1;
    if (memchr(out, '\0', len) != NULL)
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI's %s holds a NUL byte.", name);
    out[len] = '\0';
    return 0;
}

static int pin_source(struct gr__p11_uri *u, const char *v, struct gr_err *err)
{
    if (strncmp(v, "file:", 5) == 0 || v[0] == '/') {
        v += v[0] == '/' ? 0 : 5;
        if (strncmp(v, "//", 2) == 0)
            v += 2; /* file:///path: an empty authority */
        if (v[0] != '/')
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI's pin-source=file: needs an absolute path.");
        u->pin_kind = GR_P11_PIN_FILE;
    } else if (strncmp(v, "env:", 4) == 0) {
        v += 4;
        if (!(isalpha((unsigned char)v[0]) || v[0] == '_'))
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI's pin-source=env: needs a variable name.");
        for (const char *c = v; *c; c++) {
            if (!isalnum((unsigned char)*c) && *c != '_')
                return gr_fail(err, GR_ERR_USAGE,
                               "The pkcs11: URI's pin-source=env: needs a variable name.");
        }
        u->pin_kind = GR_P11_PIN_ENV;
    } else {
        return gr_fail(err, GR_ERR_USAGE,
                       "The pkcs11: URI's pin-source must be file:PATH or env:NAME.");
    }
    snprintf(u->pin_source, sizeof(u->pin_source), "%s", v);
    return 0;
}

static int set_number(const char *v, unsigned long *out, struct gr_err *err)
{
    char *end;

    if (!isdigit((unsigned char)v[0]) || strlen(v) > 19)
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI's slot-id is not a number.");
    *out = strtoul(v, &end, 10);
    if (*end != '\0')
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI's slot-id is not a number.");
    return 0;
}

/* Store one attribute's value (still encoded) in `u`. */
static int set_attr(struct gr__p11_uri *u, enum attr a, struct gr_str v, struct gr_err *err)
{
    const char *name = attrs[a].name;
    bool q = attrs[a].query;
    char tmp[GR_P11_PATH_MAX + 1];

    switch (a) {
    case A_TOKEN:
        return text(v, q, name, u->token, sizeof(u->token), err);
    case A_MANUFACTURER:
        return text(v, q, name, u->manufacturer, sizeof(u->manufacturer), err);
    case A_MODEL:
        return text(v, q, name, u->model, sizeof(u->model), err);
    case A_SERIAL:
        return text(v, q, name, u->serial, sizeof(u->serial), err);
    case A_OBJECT:
        u->has_object = true;
        return text(v, q, name, u->object, sizeof(u->object), err);
    case A_ID:
        u->has_id = true;
        return decode(v, q, name, u->id, sizeof(u->id), &u->id_len, err);
    case A_MODULE_NAME:
        if (text(v, q, name, u->module_name, sizeof(u->module_name), err) < 0)
            return -1;
        if (u->module_name[0] == '\0' ||
            strspn(u->module_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789._-") != strlen(u->module_name) ||
            u->module_name[0] == '.')
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI's module-name must be a plain module name.");
        return 0;
    case A_PIN_VALUE:
        return gr_fail(err, GR_ERR_USAGE,
                       "The pkcs11: URI carries pin-value; give the PIN with pin-source=file:PATH "
                       "or env:NAME instead.");
    default:
        break;
    }
    if (text(v, q, name, tmp, sizeof(tmp), err) < 0)
        return -1;
    if (a == A_SLOT_ID) {
        u->has_slot_id = true;
        return set_number(tmp, &u->slot_id, err);
    }
    if (a == A_TYPE) {
        if (strcmp(tmp, "private") != 0)
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI's type must be private (the signing key).");
        return 0;
    }
    if (a == A_MODULE_PATH) {
        if (tmp[0] != '/')
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI's module-path must be an absolute path.");
        snprintf(u->module_path, sizeof(u->module_path), "%s", tmp);
        return 0;
    }
    return pin_source(u, tmp, err);
}

/* One "name=value" of the path (`query` false) or the query. */
static int attribute(struct gr__p11_uri *u, struct gr_str a, bool query, bool seen[A__COUNT],
                     struct gr_err *err)
{
    const char *eq = memchr(a.p, '=', a.len);
    size_t nlen = eq ? (size_t)(eq - a.p) : a.len;

    if (eq == NULL || nlen == 0)
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI has an attribute without name=value.");
    for (int i = 0; i < A__COUNT; i++) {
        if (strlen(attrs[i].name) != nlen || memcmp(attrs[i].name, a.p, nlen) != 0)
            continue;
        if (attrs[i].query != query)
            return gr_fail(err, GR_ERR_USAGE,
                           "The pkcs11: URI has %s in the %s; it belongs in the %s.", attrs[i].name,
                           query ? "query" : "path", query ? "path" : "query");
        if (seen[i])
            return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI has %s twice.", attrs[i].name);
        seen[i] = true;
        return set_attr(u, (enum attr)i, (struct gr_str){ eq + 1, a.len - nlen - 1 }, err);
    }
    return gr_fail(err, GR_ERR_USAGE,
                   "The pkcs11: URI has an attribute this issuer does not know.");
}

/* Split `part` at `sep` and hand each piece to attribute(). */
static int attributes(struct gr__p11_uri *u, struct gr_str part, char sep, bool query,
                      bool seen[A__COUNT], struct gr_err *err)
{
    const char *p = part.p, *end;

    if (part.len == 0)
        return 0; /* part.p may be NULL: no arithmetic on it */
    end = part.p + part.len;
    for (;;) {
        const char *next = memchr(p, sep, (size_t)(end - p));
        struct gr_str a = { p, next ? (size_t)(next - p) : (size_t)(end - p) };

        if (attribute(u, a, query, seen, err) < 0)
            return -1;
        if (next == NULL)
            return 0;
        p = next + 1;
    }
}

/* see pkcs11_internal.h */
int gr__p11_uri_parse(struct gr_str uri, bool need_object, struct gr__p11_uri *out,
                      struct gr_err *err)
{
    bool seen[A__COUNT] = { false };
    const char *q;
    struct gr_str path, query = { NULL, 0 };

    memset(out, 0, sizeof(*out));
    if (uri.len > GR_P11_URI_MAX)
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI is longer than %d bytes.",
                       GR_P11_URI_MAX);
    if (uri.len < 7 || strncasecmp(uri.p, "pkcs11:", 7) != 0)
        return gr_fail(err, GR_ERR_USAGE, "The PKCS#11 signer's URI must start with pkcs11:.");
    path = (struct gr_str){ uri.p + 7, uri.len - 7 };
    if ((q = memchr(path.p, '?', path.len)) != NULL) {
        query = (struct gr_str){ q + 1, path.len - (size_t)(q - path.p) - 1 };
        path.len = (size_t)(q - path.p);
    }
    if (attributes(out, path, ';', false, seen, err) < 0 ||
        attributes(out, query, '&', true, seen, err) < 0)
        return -1;
    if (!seen[A_TOKEN] || out->token[0] == '\0')
        return gr_fail(err, GR_ERR_USAGE, "The pkcs11: URI names no token: add token=LABEL.");
    if (need_object && !seen[A_OBJECT] && !seen[A_ID])
        return gr_fail(err, GR_ERR_USAGE,
                       "The pkcs11: URI names no key: add object=LABEL or id=BYTES.");
    if (!seen[A_MODULE_PATH] && !seen[A_MODULE_NAME])
        return gr_fail(
            err, GR_ERR_USAGE,
            "The pkcs11: URI names no module: add module-path=FILE or module-name=NAME.");
    return 0;
}

/* The `module:` line of a p11-kit module configuration file, or "". */
static void module_line(const char *conf, char *out, size_t size)
{
    FILE *f = fopen(conf, "r");
    char line[GR_P11_PATH_MAX + 32];

    out[0] = '\0';
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *v = line + strspn(line, " \t");

        if (strncmp(v, "module:", 7) != 0)
            continue;
        v += 7;
        v += strspn(v, " \t");
        v[strcspn(v, "\r\n")] = '\0';
        for (size_t n = strlen(v); n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
            v[n - 1] = '\0';
        snprintf(out, size, "%s", v);
        break;
    }
    fclose(f);
}

/* module_path = dir "/" name (dir NULL: name alone), unless too long. */
static bool set_module(struct gr__p11_uri *u, const char *dir, const char *name)
{
    size_t dl = dir ? strlen(dir) + 1 : 0, nl = strlen(name);

    if (dl + nl > GR_P11_PATH_MAX)
        return false;
    if (dir) {
        memcpy(u->module_path, dir, dl - 1);
        u->module_path[dl - 1] = '/';
    }
    memcpy(u->module_path + dl, name, nl + 1);
    return true;
}

/* see pkcs11_internal.h */
int gr__p11_module_resolve(struct gr__p11_uri *u, struct gr_err *err)
{
    static const char *const confdirs[] = { GR_P11_SYSTEM_CONFIGS, GR_P11_MODULE_CONFIGS };
    char conf[GR_P11_PATH_MAX + 300], mod[GR_P11_PATH_MAX + 1];

    if (u->module_path[0] != '\0')
        return 0;
    for (size_t i = 0; i < GR_NELEM(confdirs); i++) {
        snprintf(conf, sizeof(conf), "%s/%s.module", confdirs[i], u->module_name);
        module_line(conf, mod, sizeof(mod));
        /* A relative module: is under p11-kit's module directory. */
        if (mod[0] != '\0' && set_module(u, mod[0] == '/' ? NULL : GR_P11_MODULE_DIR, mod))
            return 0;
    }
    for (int lib = 0; lib < 2; lib++) {
        snprintf(conf, sizeof(conf), "%s%s.so", lib ? "lib" : "", u->module_name);
        if (set_module(u, GR_P11_MODULE_DIR, conf) && access(u->module_path, F_OK) == 0)
            return 0;
    }
    u->module_path[0] = '\0';
    return gr_fail(err, GR_ERR_USAGE,
                   "The PKCS#11 module named by module-name is not configured for p11-kit.");
}

static void add_encoded(struct gr_buf *out, const uint8_t *v, size_t len, bool query, bool all)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        if (!all && allowed(v[i], query) && v[i] != '%') {
            gr_buf_addc(out, (char)v[i]);
        } else {
            gr_buf_addc(out, '%');
            gr_buf_addc(out, hex[v[i] >> 4]);
            gr_buf_addc(out, hex[v[i] & 15]);
        }
    }
}

static void add_text(struct gr_buf *out, const char *sep, const char *name, const char *v,
                     bool query)
{
    gr_buf_adds(out, sep);
    gr_buf_adds(out, name);
    gr_buf_addc(out, '=');
    add_encoded(out, (const uint8_t *)v, strlen(v), query, false);
}

/* see pkcs11_internal.h */
void gr__p11_uri_format(const struct gr__p11_uri *u, struct gr_buf *out)
{
    char pin[GR_P11_PATH_MAX + 8];

    gr_buf_adds(out, "pkcs11:");
    add_text(out, "", "token", u->token, false);
    if (u->manufacturer[0])
        add_text(out, ";", "manufacturer", u->manufacturer, false);
    if (u->model[0])
        add_text(out, ";", "model", u->model, false);
    if (u->serial[0])
        add_text(out, ";", "serial", u->serial, false);
    if (u->has_object)
        add_text(out, ";", "object", u->object, false);
    if (u->has_id) {
        gr_buf_adds(out, ";id=");
        add_encoded(out, u->id, u->id_len, false, true); /* RFC 7512: id is always %XX */
    }
    add_text(out, "?", "module-path", u->module_path, true);
    if (u->pin_kind != GR_P11_PIN_NONE) {
        /* A path starting "//" gets the empty authority, or it would read as one. */
        snprintf(pin, sizeof(pin), "%s:%s%s", u->pin_kind == GR_P11_PIN_ENV ? "env" : "file",
                 u->pin_kind == GR_P11_PIN_FILE && !strncmp(u->pin_source, "//", 2) ? "//" : "",
                 u->pin_source);
        add_text(out, "&", "pin-source", pin, true);
    }
}

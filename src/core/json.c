#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * jansson has no depth limit of its own short of its compile-time 2048, so the
 * nesting is measured first with a scan that skips string contents.
 */
static bool too_deep(struct gr_str in)
{
    int depth = 0;
    bool in_string = false;

    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > GR_MAX_JSON_DEPTH)
                return true;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return false;
}

json_t *gr__json_parse(struct gr_str in, size_t max, int want, const char *what, struct gr_err *err)
{
    json_error_t jerr;
    json_t *v;

    if (in.len > max) {
        gr_fail(err, GR_ERR_TOO_LARGE, "%s is larger than %zu bytes.", what, max);
        return NULL;
    }
    if (too_deep(in)) {
        gr_fail(err, GR_ERR_MALFORMED, "%s is nested too deeply.", what);
        return NULL;
    }
    v = json_loadb(in.p, in.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        gr_fail(err, GR_ERR_MALFORMED, "%s is not valid JSON.", what);
        gr_err_cause(err, "%s at %d:%d", jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (want >= 0 && json_typeof(v) != (json_type)want) {
        json_decref(v);
        gr_fail(err, GR_ERR_MALFORMED, "%s is not a JSON %s.", what,
                want == JSON_OBJECT  ? "object"
                : want == JSON_ARRAY ? "array"
                                     : "value");
        return NULL;
    }
    return v;
}

struct gr_str gr__json_strv(const json_t *v)
{
    if (!json_is_string(v))
        return (struct gr_str){ NULL, 0 };
    return (struct gr_str){ json_string_value(v), json_string_length(v) };
}

struct gr_str gr__json_str(const json_t *obj, const char *key)
{
    return gr__json_strv(json_object_get(obj, key));
}

/*
 * The shortest text that reads back as the same double, as JavaScript and
 * Python print numbers: 0.1 stays "0.1" where "%.17g" would say
 * 0.10000000000000001. A real keeps a ".0" so that it reads back as a real.
 */
static void dump_real(double d, struct gr_buf *out)
{
    char s[40];

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof(s), "%.*g", prec, d);
        if (strtod(s, NULL) == d)
            break;
    }
    gr_buf_adds(out, s);
    if (strpbrk(s, ".eE") == NULL)
        gr_buf_adds(out, ".0");
}

/*
 * jansson's own encoder would do, but for two things: it prints reals with 17
 * digits, and it costs a callback per token. Member order is jansson's, which
 * is insertion order.
 */
void gr__json_dump(const json_t *v, bool spaced, struct gr_buf *out)
{
    const char *sep = spaced ? ", " : ",", *colon = spaced ? ": " : ":";
    const char *key;
    const json_t *e;
    size_t i = 0;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        gr_buf_addc(out, '{');
        json_object_foreach ((json_t *)v, key, e) {
            if (i++)
                gr_buf_adds(out, sep);
            gr__json_quote(gr_str_c(key), out);
            gr_buf_adds(out, colon);
            gr__json_dump(e, spaced, out);
        }
        gr_buf_addc(out, '}');
        break;
    case JSON_ARRAY:
        gr_buf_addc(out, '[');
        json_array_foreach (v, i, e) {
            if (i)
                gr_buf_adds(out, sep);
            gr__json_dump(e, spaced, out);
        }
        gr_buf_addc(out, ']');
        break;
    case JSON_STRING:
        gr__json_quote(gr__json_strv(v), out);
        break;
    case JSON_INTEGER:
        gr_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        dump_real(json_real_value(v), out);
        break;
    case JSON_TRUE:
        gr_buf_adds(out, "true");
        break;
    case JSON_FALSE:
        gr_buf_adds(out, "false");
        break;
    case JSON_NULL:
        gr_buf_adds(out, "null");
        break;
    }
}

/*
 * see buf.h. The escaping jansson's encoder uses, so that both produce the
 * same bytes: gr__json_dump() and hand-built JSON must agree with its output.
 */
void gr_buf_add_json_string(struct gr_buf *out, struct gr_str s)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson writes \u001F */
    size_t run = 0;

    gr_buf_addc(out, '"');
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        const char *esc = NULL;

        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c >= 0x20)
                continue;
        }
        gr_buf_add(out, s.p + run, i - run);
        run = i + 1;
        if (esc) {
            gr_buf_adds(out, esc);
        } else {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

            gr_buf_add(out, u, sizeof(u));
        }
    }
    gr_buf_add(out, s.p + run, s.len - run);
    gr_buf_addc(out, '"');
}

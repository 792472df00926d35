/* application/x-www-form-urlencoded bodies (the token endpoint, RFC 6749 §4.1.3 / App. B). */
#include <gramota/oid4vci.h>

#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

/* Decode one name or value into the form's buffer; returns its offset, or -1. */
static int decode(struct gr_str in, struct gr_buf *data, size_t *off, size_t *len)
{
    *off = data->len;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];

        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int b = gr__pct_byte(in, i);

            if (b <= 0)
                return -1; /* a broken escape, or an escaped NUL */
            c = (char)b;
            i += 2;
        } else if (c == '\0') {
            return -1;
        }
        gr_buf_addc(data, c);
    }
    *len = data->len - *off;
    gr_buf_addc(data, '\0'); /* keeps each piece a C string too */
    return 0;
}

static int parse(struct gr_str body, struct gr_form *form, struct gr_err *err)
{
    size_t offs[GR_FORM_MAX_FIELDS][4];
    const char *p = body.p, *end = body.p + body.len;

    memset(form, 0, sizeof(*form));
    gr_buf_init(&form->data, GR_MAX_BODY * 2);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct gr_str name = { p, (size_t)((eq ? eq : stop) - p) };
        struct gr_str value =
            eq ? (struct gr_str){ eq + 1, (size_t)(stop - eq - 1) } : (struct gr_str){ stop, 0 };

        p = amp ? amp + 1 : end;
        if (name.len == 0 && value.len == 0)
            continue; /* "a=1&&b=2" */
        if (form->count == GR_FORM_MAX_FIELDS)
            return gr_fail(err, GR_ERR_INVALID_REQUEST, "The request has too many parameters.");
        if (decode(name, &form->data, &offs[form->count][0], &offs[form->count][1]) < 0 ||
            decode(value, &form->data, &offs[form->count][2], &offs[form->count][3]) < 0)
            return gr_fail(err, GR_ERR_INVALID_REQUEST,
                           "The request body is not valid form encoding.");
        form->count++;
    }
    if (gr_buf_check(&form->data, err) < 0)
        return gr_err_recode(err, GR_ERR_INVALID_REQUEST);
    /* Views only now: the buffer may have moved while it grew. */
    for (size_t i = 0; i < form->count; i++) {
        form->field[i].name = (struct gr_str){ form->data.data + offs[i][0], offs[i][1] };
        form->field[i].value = (struct gr_str){ form->data.data + offs[i][2], offs[i][3] };
        for (size_t j = 0; j < i; j++) {
            if (gr_str_eq(form->field[i].name, form->field[j].name))
                return gr_fail(err, GR_ERR_INVALID_REQUEST,
                               "A request parameter is given more than once.");
        }
    }
    return 0;
}

/* see oid4vci.h */
int gr_form_parse(struct gr_str body, struct gr_form *form, struct gr_err *err)
{
    if (parse(body, form, err) == 0)
        return 0;
    gr_form_release(form); /* nothing is left to release on failure */
    return -1;
}

/* see oid4vci.h */
void gr_form_release(struct gr_form *form)
{
    if (form == NULL)
        return;
    gr_buf_release(&form->data);
    memset(form, 0, sizeof(*form)); /* no view outlives the data */
}

/* see oid4vci.h */
struct gr_str gr_form_get(const struct gr_form *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++) {
        if (gr_str_eq_c(form->field[i].name, name))
            return form->field[i].value;
    }
    return (struct gr_str){ NULL, 0 };
}

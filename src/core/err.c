#include <gramota/err.h>

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const struct {
    const char *name;
    const char *wire;
    int status;
} table[] = {
#define GR_ERRC_ROW(name, wire, status) { #name, wire, status },
    GR_ERRORS(GR_ERRC_ROW)
#undef GR_ERRC_ROW
};

/* see err.h */
int gr_fail_at(struct gr_err *err, enum gr_errc code, const char *where, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    err->where = where;
    err->cause[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
    va_end(ap);
    return -1;
}

/* see err.h */
int gr_err_cause(struct gr_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->cause, sizeof(err->cause), fmt, ap);
    va_end(ap);
    return -1;
}

/* see err.h */
int gr_err_openssl(struct gr_err *err)
{
    unsigned long e = ERR_get_error();

    if (e != 0)
        ERR_error_string_n(e, err->cause, sizeof(err->cause));
    ERR_clear_error();
    return -1;
}

/* see err.h */
int gr_err_recode(struct gr_err *err, enum gr_errc code)
{
    err->code = code;
    return -1;
}

/* see err.h */
void gr_err_clear(struct gr_err *err)
{
    memset(err, 0, sizeof(*err));
}

/* see err.h */
const char *gr_errc_wire(enum gr_errc code)
{
    if ((unsigned)code >= GR_NELEM(table))
        return NULL;
    return table[code].wire;
}

/* see err.h */
int gr_errc_status(enum gr_errc code)
{
    if ((unsigned)code >= GR_NELEM(table))
        return 500;
    if (code != GR_ERR_OK && table[code].wire == NULL)
        return 500; /* an internal code that escaped: a bug, answered as server_error */
    return table[code].status;
}

/* see err.h */
const char *gr_errc_name(enum gr_errc code)
{
    if ((unsigned)code >= GR_NELEM(table))
        return "?";
    return table[code].name;
}

/*
 * The pkcs11: URI of --signer (RFC 7512). Invariants: a failure is USAGE with
 * a sentence; a success has a non-empty token of at most 32 bytes, a module,
 * NUL-terminated text fields without a NUL inside, an id within its cap, and
 * a PIN source only of a known kind; formatting it and parsing that gives the
 * same fields; and the parse depends on the input alone.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "signer/pkcs11_internal.h"

static void terminated(const char *field, size_t size)
{
    assert(memchr(field, '\0', size) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr__p11_uri a, b;
    struct gr_buf out;
    struct gr_err err;
    size_t n;

    if (gr__p11_uri_parse(in, len % 2 == 0, &a, &err) < 0) {
        n = strlen(err.desc);
        assert(err.code == GR_ERR_USAGE && n > 0 && err.desc[n - 1] == '.');
        return 0;
    }
    assert(len >= 7);
    terminated(a.token, sizeof(a.token));
    terminated(a.manufacturer, sizeof(a.manufacturer));
    terminated(a.model, sizeof(a.model));
    terminated(a.serial, sizeof(a.serial));
    terminated(a.object, sizeof(a.object));
    terminated(a.module_path, sizeof(a.module_path));
    terminated(a.module_name, sizeof(a.module_name));
    terminated(a.pin_source, sizeof(a.pin_source));
    assert(a.token[0] != '\0' && strlen(a.token) <= GR_P11_TOKEN_LEN);
    assert(a.module_path[0] == '/' || a.module_name[0] != '\0');
    assert(a.id_len <= GR_P11_ID_MAX && (a.has_id || a.id_len == 0));
    assert(a.pin_kind == GR_P11_PIN_NONE || a.pin_source[0] != '\0');
    assert(gr__p11_uri_parse(in, len % 2 == 0, &b, &err) == 0 && memcmp(&a, &b, sizeof(a)) == 0);
    if (a.module_path[0] ==
        '/') { /* format needs a module path; module-name alone is not printed */
        gr_buf_init(&out, GR_BUF_UNBOUNDED);
        gr__p11_uri_format(&a, &out);
        assert(gr__p11_uri_parse(gr_buf_str(&out), false, &b, &err) == 0);
        b.has_object = a.has_object; /* a format of an empty object label still says object= */
        memcpy(b.module_name, a.module_name, sizeof(b.module_name));
        assert(strcmp(a.token, b.token) == 0 && strcmp(a.object, b.object) == 0);
        assert(a.id_len == b.id_len && memcmp(a.id, b.id, a.id_len) == 0);
        assert(strcmp(a.pin_source, b.pin_source) == 0 && a.pin_kind == b.pin_kind);
        assert(strcmp(a.module_path, b.module_path) == 0);
        gr_buf_release(&out);
    }
    return 0;
}

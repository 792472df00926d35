/*
 * Form bodies and token requests. Invariants: a parsed form's names and values
 * are distinct, hold no NUL, and lie inside its own buffer; a token request
 * either parses with a non-empty code or fails with one of its documented codes.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/err.h>
#include <gramota/oid4vci.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr_form f;
    struct gr_token_request tr;
    struct gr_err err;

    if (gr_form_parse(in, &f, &err) == 0) {
        for (size_t i = 0; i < f.count; i++) {
            assert(f.field[i].name.p >= f.data.data &&
                   f.field[i].value.p + f.field[i].value.len <= f.data.data + f.data.len);
            assert(memchr(f.field[i].value.p, '\0', f.field[i].value.len) == NULL);
            for (size_t j = 0; j < i; j++)
                assert(!gr_str_eq(f.field[i].name, f.field[j].name));
        }
    } else {
        assert(err.code == GR_ERR_INVALID_REQUEST);
    }
    gr_form_release(&f);
    if (gr_token_request_parse(in, &tr, &err) == 0) {
        assert(tr.code.len > 0);
    } else {
        assert(err.code == GR_ERR_INVALID_REQUEST || err.code == GR_ERR_UNSUPPORTED_GRANT_TYPE);
        assert(strchr(err.desc, '"') == NULL);
    }
    gr_token_request_release(&tr);
    return 0;
}

/*
 * base64url decoding (RFC 4648 §5, no padding). Invariants: whatever decodes
 * re-encodes to exactly the input (one accepted encoding per byte string),
 * both decoders agree, and any bytes encode and decode back to themselves.
 */
#undef NDEBUG /* the assertions are the point of a fuzz target */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

static void check_decode(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    size_t max = gr_b64url_decoded_max(len), n = 0;
    uint8_t *out = malloc(max + 1);
    char *back = malloc(len + 1);
    struct gr_buf buf;
    struct gr_err err;
    int rc = gr_b64url_decode(in, out, max, &n, &err);

    gr_buf_init(&buf, max);
    assert((gr_b64url_decode_buf(in, &buf, &err) == 0) == (rc == 0));
    if (rc == 0) {
        assert(n <= max && buf.len == n && memcmp(buf.data, out, n) == 0);
        assert(gr_b64url_len(n) == len);
        gr_b64url_encode(out, n, back);
        assert(memcmp(back, data, len) == 0);
    } else {
        assert(err.code == GR_ERR_MALFORMED);
    }
    gr_buf_release(&buf);
    free(back);
    free(out);
}

static void check_encode(const uint8_t *data, size_t len)
{
    size_t enc_len = gr_b64url_len(len), n = 0;
    char *enc = malloc(enc_len + 1);
    uint8_t *back = malloc(len + 1);
    struct gr_err err;

    gr_b64url_encode(data, len, enc);
    assert(gr_b64url_decoded_max(enc_len) == len);
    assert(gr_b64url_decode((struct gr_str){ enc, enc_len }, back, len, &n, &err) == 0);
    assert(n == len && memcmp(back, data, len) == 0);
    free(back);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    check_decode(data, len);
    check_encode(data, len);
    return 0;
}

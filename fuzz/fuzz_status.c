/*
 * Status list `lst` decoding. The first byte picks the width (bits 0-1: 1, 2,
 * 4 or 8 bits), the form of the rest (bit 2: set, the rest is zlib bytes that
 * the harness base64url-encodes, so that mutations hit the stream itself;
 * clear, it is the `lst` text) and the cap (bits 3-7: max_size 2^0 .. 2^22
 * entries). Invariants: a failure is MALFORMED or TOO_LARGE;
 * a decoded list has whole bytes, at least one entry and no more than the cap;
 * it encodes both ways, and each encoding decodes to the same list and
 * re-encodes to the same text (decode∘encode is the identity on whatever
 * decodes).
 */
#undef NDEBUG /* the assertions are the point of a fuzz target */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/b64url.h>
#include <gramota/err.h>
#include <gramota/status.h>

static void check_round_trip(const struct gr_status_list *list, enum gr_status_zlib how,
                             size_t max_size)
{
    struct gr_buf lst, again;
    struct gr_status_list *back;
    const uint8_t *a, *b;
    size_t alen, blen;
    struct gr_err err;

    gr_buf_init(&lst, GR_BUF_UNBOUNDED);
    gr_buf_init(&again, GR_BUF_UNBOUNDED);
    assert(gr_status_list_encode(list, how, &lst, &err) == 0);
    back = gr_status_list_decode(gr_status_list_bits(list), gr_buf_str(&lst), max_size, &err);
    assert(back != NULL);
    a = gr_status_list_bytes(list, &alen);
    b = gr_status_list_bytes(back, &blen);
    assert(alen == blen && memcmp(a, b, alen) == 0);
    assert(gr_status_list_encode(back, how, &again, &err) == 0);
    assert(lst.len == again.len && memcmp(lst.data, again.data, lst.len) == 0);
    gr_status_list_free(back);
    gr_buf_release(&again);
    gr_buf_release(&lst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_status_list *list;
    struct gr_buf text;
    struct gr_err err;
    unsigned bits;
    size_t max_size, size, nbytes;

    if (len == 0)
        return 0;
    bits = 1u << (data[0] & 3);
    max_size = (size_t)1 << ((data[0] >> 3) % 23);
    gr_buf_init(&text, GR_BUF_UNBOUNDED);
    if (data[0] & 4)
        gr_buf_add_b64url(&text, data + 1, len - 1);
    else
        gr_buf_add(&text, data + 1, len - 1);
    list = gr_status_list_decode(bits, gr_buf_str(&text), max_size, &err);
    gr_buf_release(&text);
    if (list == NULL) {
        assert(err.code == GR_ERR_MALFORMED || err.code == GR_ERR_TOO_LARGE);
        return 0;
    }
    size = gr_status_list_size(list);
    (void)gr_status_list_bytes(list, &nbytes);
    assert(gr_status_list_bits(list) == bits);
    assert(size >= 1 && size <= max_size && nbytes * 8 == size * bits);
    assert(gr_status_list_get(list, size - 1) < (1u << bits));
    assert(gr_status_list_get(list, size) == GR_STATUS_NONE);
    check_round_trip(list, GR_STATUS_ZLIB_RLE, max_size);
    if (nbytes <= 4096) /* BEST is slow on large lists; the fuzzer's time goes elsewhere */
        check_round_trip(list, GR_STATUS_ZLIB_BEST, max_size);
    gr_status_list_free(list);
    return 0;
}

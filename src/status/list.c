/*
 * The status list: packed entries (TSL §4.1) and the `lst` encoding (§4.2),
 * zlib at the highest level and base64url. Decoding treats its input as
 * hostile: the base64url length and the inflated length are both capped
 * before any memory is spent on them.
 */
#include <gramota/status.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <gramota/b64url.h>
#include <gramota/err.h>

#include "core/internal.h"

struct gr_status_list {
    unsigned bits;
    size_t size;   /* entries */
    size_t len;    /* bytes: size * bits / 8 */
    uint8_t *data; /* owned */
};

static bool bits_ok(unsigned bits)
{
    return bits == 1 || bits == 2 || bits == 4 || bits == 8;
}

/* A list over `data` (len bytes, taken). The caller checked bits and len. */
static struct gr_status_list *wrap(unsigned bits, uint8_t *data, size_t len)
{
    struct gr_status_list *list = gr__xmalloc(sizeof(*list));

    list->bits = bits;
    list->len = len;
    list->size = len * 8 / bits;
    list->data = data;
    return list;
}

/* see status.h */
struct gr_status_list *gr_status_list_new(unsigned bits, size_t size, struct gr_err *err)
{
    if (!bits_ok(bits)) {
        gr_fail(err, GR_ERR_USAGE, "A status list has 1, 2, 4 or 8 bits per entry.");
        return NULL;
    }
    if (size == 0 || size > GR_STATUS_MAX_SIZE) {
        gr_fail(err, GR_ERR_USAGE, "A status list has 1 to %zu entries.", GR_STATUS_MAX_SIZE);
        return NULL;
    }
    /* TSL §4.1 RECOMMENDS whole bytes; we require them: no padding bits to misread. */
    if (size % (8 / bits) != 0) {
        gr_fail(err, GR_ERR_USAGE, "A status list of %u-bit entries needs a multiple of %u.", bits,
                8 / bits);
        return NULL;
    }
    return wrap(bits, gr__xcalloc(1, size * bits / 8), size * bits / 8);
}

/* see status.h */
struct gr_status_list *gr_status_list_new_bytes(unsigned bits, const uint8_t *bytes, size_t len,
                                                struct gr_err *err)
{
    uint8_t *copy;

    if (!bits_ok(bits)) {
        gr_fail(err, GR_ERR_USAGE, "A status list has 1, 2, 4 or 8 bits per entry.");
        return NULL;
    }
    if (len == 0 || len > GR_STATUS_MAX_SIZE / 8 * bits) {
        gr_fail(err, GR_ERR_USAGE, "A status list has 1 to %zu entries.", GR_STATUS_MAX_SIZE);
        return NULL;
    }
    if (bytes == NULL) {
        gr_fail(err, GR_ERR_USAGE, "A status list needs its bytes.");
        return NULL;
    }
    copy = gr__xmalloc(len);
    memcpy(copy, bytes, len);
    return wrap(bits, copy, len);
}

/* see status.h */
void gr_status_list_free(struct gr_status_list *list)
{
    if (list == NULL)
        return;
    free(list->data);
    free(list);
}

/* see status.h */
unsigned gr_status_list_bits(const struct gr_status_list *list)
{
    return list->bits;
}

/* see status.h */
size_t gr_status_list_size(const struct gr_status_list *list)
{
    return list->size;
}

/* see status.h */
int gr_status_list_set(struct gr_status_list *list, size_t idx, unsigned value, struct gr_err *err)
{
    unsigned per = 8 / list->bits, mask = (1u << list->bits) - 1, shift;
    uint8_t *byte;

    if (idx >= list->size)
        return gr_fail(err, GR_ERR_USAGE, "The index is past the end of the status list.");
    if (value > mask)
        return gr_fail(err, GR_ERR_USAGE, "The status value does not fit in %u bits.", list->bits);
    /* TSL §4.1: byte floor(i·bits/8), starting at bit (i mod 8/bits)·bits, LSB first. */
    byte = &list->data[idx / per];
    shift = (unsigned)(idx % per) * list->bits;
    *byte = (uint8_t)((*byte & ~(mask << shift)) | value << shift);
    return 0;
}

/* see status.h */
unsigned gr_status_list_get(const struct gr_status_list *list, size_t idx)
{
    unsigned per = 8 / list->bits, mask = (1u << list->bits) - 1;

    if (idx >= list->size)
        return GR_STATUS_NONE;
    return (list->data[idx / per] >> ((idx % per) * list->bits)) & mask;
}

/* see status.h */
const uint8_t *gr_status_list_bytes(const struct gr_status_list *list, size_t *len)
{
    *len = list->len;
    return list->data;
}

/* see status.h */
int gr_status_list_encode(const struct gr_status_list *list, enum gr_status_zlib how,
                          struct gr_buf *lst_b64, struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(lst_b64);
    z_stream zs = { 0 };
    uLong zmax;
    uint8_t *z;
    int zrc;

    /*
     * The ZLIB format (RFC 1950) of TSL §4.1, level 9, zlib's defaults otherwise
     * (32 KiB window, memLevel 8): with the default strategy that is compress2()
     * at Z_BEST_COMPRESSION and gives the published `lst` values byte for byte.
     * Z_RLE looks for runs only, which is what a status list is made of: 50 to
     * 200 times faster on realistic lists and within about 10 % of the size.
     */
    zrc = deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15, 8,
                       how == GR_STATUS_ZLIB_BEST ? Z_DEFAULT_STRATEGY : Z_RLE);
    if (zrc != Z_OK) {
        gr_fail(err, GR_ERR_CRYPTO, "The status list could not be compressed.");
        return gr_err_cause(err, "zlib deflateInit2: %d", zrc);
    }
    zmax = deflateBound(&zs, (uLong)list->len);
    z = gr__xmalloc(zmax);
    zs.next_in = list->data;
    zs.avail_in = (uInt)list->len;
    zs.next_out = z;
    zs.avail_out = (uInt)zmax;
    zrc = deflate(&zs, Z_FINISH);
    if (zrc == Z_STREAM_END)
        gr_buf_add_b64url(lst_b64, z, zs.total_out);
    deflateEnd(&zs);
    free(z);
    if (zrc != Z_STREAM_END) {
        gr_fail(err, GR_ERR_CRYPTO, "The status list could not be compressed.");
        return gr_err_cause(err, "zlib deflate: %d", zrc);
    }
    if (gr_buf_check(lst_b64, err) < 0)
        return gr__buf_restore(lst_b64, at);
    return 0;
}

/*
 * Inflate one ZLIB stream into at most `cap` bytes. The output grows as the
 * stream does, so a small list costs little even when `cap` is large; one
 * byte past `cap` is enough to know the stream is too long.
 */
static int inflate_capped(const uint8_t *in, size_t in_len, size_t cap, uint8_t **out,
                          size_t *out_len, struct gr_err *err)
{
    z_stream zs = { 0 };
    size_t room = cap + 1 < 4096 ? cap + 1 : 4096;
    uint8_t *buf = gr__xmalloc(room);
    int zrc, rc = -1;

    /* inflateInit() takes the ZLIB wrapper only: raw DEFLATE and gzip fail its header check. */
    if (inflateInit(&zs) != Z_OK) {
        free(buf);
        return gr_fail(err, GR_ERR_CRYPTO, "zlib could not start inflating.");
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = buf;
    zs.avail_out = (uInt)room;
    for (;;) {
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END || (zrc != Z_OK && zrc != Z_BUF_ERROR))
            break;
        if (zs.total_out > cap)
            break;
        if (zs.avail_out > 0)
            break; /* Z_BUF_ERROR or no progress with room left: the input ran out */
        room = room * 2 > cap + 1 ? cap + 1 : room * 2;
        buf = gr__xrealloc(buf, room);
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(room - zs.total_out);
    }
    if (zs.total_out > cap) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The status list is larger than allowed.");
    } else if (zrc != Z_STREAM_END) {
        gr_fail(err, GR_ERR_MALFORMED, "The status list is not ZLIB-compressed data.");
        gr_err_cause(err, "zlib inflate: %d %s", zrc, zs.msg ? zs.msg : "truncated");
    } else if (zs.avail_in != 0) {
        gr_fail(err, GR_ERR_MALFORMED, "The status list has bytes after its ZLIB stream.");
    } else {
        *out = buf;
        *out_len = zs.total_out;
        buf = NULL;
        rc = 0;
    }
    inflateEnd(&zs);
    free(buf);
    return rc;
}

/* see status.h */
struct gr_status_list *gr_status_list_decode(unsigned bits, struct gr_str lst, size_t max_size,
                                             struct gr_err *err)
{
    size_t cap, zmax, zlen, len = 0;
    uint8_t *z, *raw = NULL;

    if (!bits_ok(bits)) {
        gr_fail(err, GR_ERR_USAGE, "A status list has 1, 2, 4 or 8 bits per entry.");
        return NULL;
    }
    cap = (max_size < GR_STATUS_MAX_SIZE ? max_size : GR_STATUS_MAX_SIZE) * bits / 8;
    /*
     * zlib's worst case is stored blocks, 5 bytes per 16 KiB (compressBound);
     * cap/64 more leaves room for encoders with small blocks.
     */
    zmax = cap + cap / 64 + 64;
    if (lst.len > gr_b64url_len(zmax)) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The status list is larger than allowed.");
        return NULL;
    }
    z = gr__xmalloc(gr_b64url_decoded_max(lst.len) + 1);
    if (gr_b64url_decode(lst, z, gr_b64url_decoded_max(lst.len) + 1, &zlen, err) < 0 ||
        inflate_capped(z, zlen, cap, &raw, &len, err) < 0) {
        free(z);
        return NULL;
    }
    free(z);
    if (len == 0) {
        free(raw);
        gr_fail(err, GR_ERR_MALFORMED, "The status list is empty.");
        return NULL;
    }
    return wrap(bits, raw, len);
}

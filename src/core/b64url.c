#include <gramota/b64url.h>

#include <pthread.h>
#include <string.h>

#include <gramota/err.h>

#include "core/internal.h"

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for the alphabet, 0xff for everything else (padding, '+', '/', space). */
/* clang-format off */
static const uint8_t value_of[256] = {
#define X 0xff
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  /* 0x20 '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30 digits */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40 A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63, /* 0x50 P-Z '_' */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60 a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70 p-z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};
/* clang-format on */

/* see b64url.h */
size_t gr_b64url_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

/*
 * Two output characters per lookup: every 12-bit value's pair, built once.
 * Encoding is on the issuing hot path (payload, disclosures, digests), and this
 * halves its cost against one lookup per character.
 */
static pthread_once_t pairs_once = PTHREAD_ONCE_INIT;
static char pairs[4096][2];

static void make_pairs(void)
{
    for (int i = 0; i < 4096; i++) {
        pairs[i][0] = alphabet[i >> 6];
        pairs[i][1] = alphabet[i & 63];
    }
}

/* see b64url.h */
void gr_b64url_encode(const void *in, size_t len, char *out)
{
    const uint8_t *s = in;
    size_t i = 0;

    pthread_once(&pairs_once, make_pairs);
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

        memcpy(out, pairs[v >> 12], 2);
        memcpy(out + 2, pairs[v & 0xfff], 2);
        out += 4;
    }
    if (len - i == 1) {
        *out++ = alphabet[s[i] >> 2];
        *out++ = alphabet[(s[i] & 3) << 4];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)s[i] << 8 | s[i + 1];

        *out++ = alphabet[v >> 10];
        *out++ = alphabet[(v >> 4) & 63];
        *out++ = alphabet[(v & 15) << 2];
    }
}

/* see b64url.h */
void gr_buf_add_b64url(struct gr_buf *b, const void *in, size_t len)
{
    size_t n = gr_b64url_len(len);
    char *dst = gr_buf_grow(b, n);

    if (dst == NULL)
        return;
    gr_b64url_encode(in, len, dst);
    b->len += n;
    b->data[b->len] = '\0';
}

/* see b64url.h */
size_t gr_b64url_decoded_max(size_t len)
{
    return len / 4 * 3 + (len % 4 > 1 ? len % 4 - 1 : 0);
}

/* see b64url.h */
int gr_b64url_decode(struct gr_str in, uint8_t *out, size_t cap, size_t *out_len,
                     struct gr_err *err)
{
    const uint8_t *s = (const uint8_t *)in.p;
    size_t n = 0, i = 0, rest = in.len % 4;
    uint32_t v;

    if (rest == 1)
        return gr_fail(err, GR_ERR_MALFORMED, "The base64url text has an impossible length.");
    if (gr_b64url_decoded_max(in.len) > cap)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The base64url text is too long.");
    for (; i + 4 <= in.len; i += 4) {
        uint8_t a = value_of[s[i]], b = value_of[s[i + 1]];
        uint8_t c = value_of[s[i + 2]], d = value_of[s[i + 3]];

        if ((a | b | c | d) == 0xff)
            goto bad;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[n++] = (uint8_t)(v >> 16);
        out[n++] = (uint8_t)(v >> 8);
        out[n++] = (uint8_t)v;
    }
    if (rest) {
        uint8_t a = value_of[s[i]], b = value_of[s[i + 1]];
        uint8_t c = rest == 3 ? value_of[s[i + 2]] : 0;

        if ((a | b | c) == 0xff)
            goto bad;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        /* The bits past the last whole byte must be zero: one encoding per value. */
        if (rest == 2 ? (v & 0xffff) != 0 : (v & 0xff) != 0)
            goto bad;
        out[n++] = (uint8_t)(v >> 16);
        if (rest == 3)
            out[n++] = (uint8_t)(v >> 8);
    }
    *out_len = n;
    return 0;
bad:
    return gr_fail(err, GR_ERR_MALFORMED, "The text is not canonical base64url without padding.");
}

/* see b64url.h */
int gr_b64url_decode_buf(struct gr_str in, struct gr_buf *out, struct gr_err *err)
{
    struct gr__buf_mark at = gr__buf_mark(out);
    size_t max = gr_b64url_decoded_max(in.len), n = 0;
    char *dst;

    if (in.len % 4 == 1)
        return gr_fail(err, GR_ERR_MALFORMED, "The base64url text has an impossible length.");
    dst = gr_buf_grow(out, max);
    if (dst == NULL) {
        gr_buf_check(out, err);
        return gr__buf_restore(out, at); /* not failed, unless it was already */
    }
    if (gr_b64url_decode(in, (uint8_t *)dst, max, &n, err) < 0)
        return -1;
    out->len += n;
    out->data[out->len] = '\0';
    return 0;
}

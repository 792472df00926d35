#ifndef GRAMOTA_B64URL_H
#define GRAMOTA_B64URL_H

/*
 * base64url without padding (RFC 7515 §2, RFC 4648 §5).
 *
 * Decoding is strict: padding, `+`, `/`, whitespace, a length of 1 mod 4 and
 * non-zero trailing bits are all MALFORMED, so every byte string has exactly
 * one accepted encoding.
 */

#include <gramota/buf.h>

/* Encoded length of `len` bytes. */
GR_API size_t gr_b64url_len(size_t len);

/* Write gr_b64url_len(len) characters to `out` (no NUL). */
GR_API void gr_b64url_encode(const void *in, size_t len, char *out);
/* Append the encoding of `in` to `b`. */
GR_API void gr_buf_add_b64url(struct gr_buf *b, const void *in, size_t len);

/* Most bytes an encoding of `len` characters can decode to. */
GR_API size_t gr_b64url_decoded_max(size_t len);

/*
 * Decode `in` into `out` (room for `cap` bytes); `*out_len` gets the length.
 * Codes: MALFORMED, TOO_LARGE (cap too small).
 */
GR_API int gr_b64url_decode(struct gr_str in, uint8_t *out, size_t cap, size_t *out_len,
                            struct gr_err *err);
/*
 * Decode `in`, appending to `out`. On failure `out` is as it was (buf.h), not
 * failed by a result too large for it. Codes: MALFORMED, TOO_LARGE (the
 * result would pass out's max).
 */
GR_API int gr_b64url_decode_buf(struct gr_str in, struct gr_buf *out, struct gr_err *err);

#endif

#ifndef GRAMOTA_STATUS_H
#define GRAMOTA_STATUS_H

/*
 * Token Status List (draft-ietf-oauth-status-list-20): the list, its JSON
 * encoding, the Status List Token JWT, and the choice of a random index.
 *
 * A status list is a byte array holding `size` statuses of `bits` bits each
 * (1, 2, 4 or 8). Packing starts at the least significant bit (TSL §4.1):
 * index i occupies bits (i mod (8/bits))·bits .. +bits-1 of byte
 * floor(i·bits/8), so with one bit index 0 is bit 0 of byte 0. The list
 * always has whole bytes: size·bits must be a multiple of 8 (TSL §4.1
 * RECOMMENDS it; requiring it means no padding bits whose value a verifier
 * could read), and size is at most GR_STATUS_MAX_SIZE entries.
 *
 * Encoding (TSL §4.1, §4.2) is DEFLATE in the ZLIB format (RFC 1950), then
 * base64url without padding: the `lst` member of `{"bits":n,"lst":"..."}`.
 * See enum gr_status_zlib for the two ways of compressing.
 *
 * A list is not locked: one writer, or the caller's own lock.
 */

#include <gramota/buf.h>
#include <gramota/jwk.h>
#include <gramota/signer.h>

/* Registered status values (TSL §7.1). 0x03 and 0x0C-0x0F are application-specific. */
#define GR_STATUS_VALID     0x00u
#define GR_STATUS_INVALID   0x01u
#define GR_STATUS_SUSPENDED 0x02u /* needs bits >= 2 */
/* What gr_status_list_get() returns for an index past the end: never VALID. */
#define GR_STATUS_NONE ((unsigned)-1)

/* Most entries in one list: 2^24, i.e. 2 MiB raw at 1 bit, 16 MiB at 8 bits. */
#define GR_STATUS_MAX_SIZE ((size_t)1 << 24)

struct gr_status_list;

/*
 * A list of `size` entries of `bits` bits, every entry VALID (0x00: the most
 * common value, which hides how many entries are in use, TSL §13).
 * Code: USAGE (bits not 1, 2, 4 or 8; size 0, above GR_STATUS_MAX_SIZE, or
 * size·bits not a multiple of 8).
 */
GR_API struct gr_status_list *gr_status_list_new(unsigned bits, size_t size, struct gr_err *err);
/*
 * A list over a copy of `len` packed bytes (as gr_status_list_bytes() gives
 * and a store keeps them): len·8/bits entries. Code: USAGE (bits, len 0, more
 * than GR_STATUS_MAX_SIZE entries, `bytes` NULL).
 */
GR_API struct gr_status_list *gr_status_list_new_bytes(unsigned bits, const uint8_t *bytes,
                                                       size_t len, struct gr_err *err);
/* NULL is a no-op. */
GR_API void gr_status_list_free(struct gr_status_list *list);

/* Bits per entry (1, 2, 4 or 8) and the number of entries. */
GR_API unsigned gr_status_list_bits(const struct gr_status_list *list);
GR_API size_t gr_status_list_size(const struct gr_status_list *list);

/* Set entry `idx` to `value`. Code: USAGE (idx >= size, value >= 2^bits). */
GR_API int gr_status_list_set(struct gr_status_list *list, size_t idx, unsigned value,
                              struct gr_err *err);
/* Entry `idx`, or GR_STATUS_NONE when idx >= size. */
GR_API unsigned gr_status_list_get(const struct gr_status_list *list, size_t idx);

/*
 * The packed bytes (size·bits/8 of them, `*len`), borrowed from the list:
 * good until it is freed; a set changes them in place.
 */
GR_API const uint8_t *gr_status_list_bytes(const struct gr_status_list *list, size_t *len);

/*
 * How `lst` is compressed. Both are DEFLATE in the ZLIB format (RFC 1950) at
 * level 9 and decode anywhere; they differ in how hard zlib searches.
 *
 * GR_STATUS_ZLIB_BEST is zlib's Z_BEST_COMPRESSION with the default strategy,
 * what TSL §4.1 RECOMMENDS literally and what made the published vectors: the
 * T9-T11 `lst` values come out byte for byte. On a realistic list it is slow:
 * zlib walks long match chains through the runs of zeros, 15-60 ms for a
 * 2^17-entry 2-bit list with 1-5 % of entries set, 150 ms for 2^20 1-bit.
 *
 * GR_STATUS_ZLIB_RLE uses the Z_RLE strategy (matches at distance 1 only: the
 * runs a status list is made of): well under a millisecond for the same lists,
 * and within about 10 % of BEST's size, often smaller (measured: -13 % to +10 %).
 * It is what gr_status_list_token() uses, so that a token can be remade on
 * every change of a list.
 */
enum gr_status_zlib {
    GR_STATUS_ZLIB_RLE,  /* fast; the tokens' choice */
    GR_STATUS_ZLIB_BEST, /* Z_BEST_COMPRESSION; the published vectors' bytes */
};

/*
 * Append the `lst` value: the packed bytes compressed as `how` says, then
 * base64url without padding. On failure `lst_b64` is as it was. Codes: CRYPTO
 * (zlib failed), TOO_LARGE (the buffer's cap).
 */
GR_API int gr_status_list_encode(const struct gr_status_list *list, enum gr_status_zlib how,
                                 struct gr_buf *lst_b64, struct gr_err *err);

/*
 * The list an `lst` value encodes, with `bits` per entry (from `bits` of the
 * same object). It takes strict base64url, then exactly one ZLIB stream: raw
 * DEFLATE, gzip, a bad checksum, bytes after the stream and an empty list are
 * MALFORMED. The output may hold at most `max_size` entries (and never more
 * than GR_STATUS_MAX_SIZE): inflation stops at max_size·bits/8 bytes, so a
 * small stream that inflates to more (a decompression bomb) costs no more
 * than that and is TOO_LARGE, as is an `lst` longer than any honest encoding
 * of that many bytes. A decoded length whose entries do not fill whole bytes
 * cannot occur: every byte holds 8/bits entries. Codes: USAGE (bits),
 * MALFORMED, TOO_LARGE.
 */
GR_API struct gr_status_list *gr_status_list_decode(unsigned bits, struct gr_str lst,
                                                    size_t max_size, struct gr_err *err);

/*
 * Append the Status List Token (TSL §5.1), a compact JWS from `signer`: header
 * {"alg":"ES256","typ":"statuslist+jwt","kid":...[,"x5c":[...]]}, payload
 * {"iss"?,"sub":uri,"iat","exp"?,"ttl"?,"status_list":{"bits":n,"lst":"..."}}.
 * `uri` is the list's own URI, the `uri` its referenced tokens carry; `iss`
 * is left out when empty; `exp` and `ttl` (seconds a relying party may cache
 * the token) are left out when 0. `lst` is compressed with
 * GR_STATUS_ZLIB_RLE. One signer call. On failure `out` is as it was. Codes:
 * USAGE (`list` or `signer` NULL, uri empty, ttl < 0), TOO_LARGE (out's cap),
 * and the signer's codes.
 */
GR_API int gr_status_list_token(const struct gr_status_list *list, struct gr_str uri,
                                struct gr_str iss, int64_t iat, int64_t exp, int64_t ttl,
                                const struct gr_signer *signer, struct gr_buf *out,
                                struct gr_err *err);

/*
 * A relying party's check of a Status List Token, for tests and tools: the
 * JWS (jws.h's rules and size limits: ES256 only, at most GR_MAX_SDJWT_LEN
 * bytes), `typ` statuslist+jwt, the signature under `key`, `sub` equal to
 * `expected_sub` (unless expected_sub.p is NULL), `iat` present, `exp` after
 * `now` when present, `ttl` positive when present, and `status_list` with
 * `bits` and a decodable `lst`. On success `*out` is the list (free it). On
 * failure nothing is left to release: `*out` is NULL.
 * Codes: MALFORMED, TOO_LARGE, UNSUPPORTED_ALG, BAD_KEY, BAD_TYP,
 * BAD_SIGNATURE, BAD_CLAIM, EXPIRED; USAGE (`key` NULL).
 */
GR_API int gr_status_list_token_verify(struct gr_str jwt, const struct gr_jwk *key,
                                       struct gr_str expected_sub, int64_t now,
                                       struct gr_status_list **out, struct gr_err *err);

/*
 * Pick a free index of a list of `size` entries, uniformly at random among
 * the free ones, with the CSPRNG (HAIP §6.1 wants an unpredictable index per
 * credential; TSL §12.5, §13.2). `used` is a bitmap of size bits packed like
 * a 1-bit list (index i is bit i mod 8 of byte i/8; set = taken); it is only
 * read, and bits past `size` are ignored. Random draws are tried first;
 * when they keep hitting taken entries (a nearly full list) the free entries
 * are counted and one of them is drawn, so the result stays uniform and the
 * call always ends. Recording the pick is the caller's job (the store's,
 * atomically, TSL §13.3, §13.4). Codes: CONFLICT ("The status list is
 * full."), USAGE (size 0 or above GR_STATUS_MAX_SIZE), CRYPTO (the CSPRNG).
 */
GR_API int gr_status_index_pick(const uint8_t *used, size_t size, size_t *idx, struct gr_err *err);

#endif

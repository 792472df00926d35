/* Token Status List: the published vectors T9-T12, encoding, hostile `lst`, tokens, index picking.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <gramota/status.h>

#include "core/internal.h"

/* SPECS.md T12: TSL examples/status_list_jwt_raw, its lines joined, and the key of TSL src/util.py.
 */
#define T12_JWT                                                                               \
    "eyJhbGciOiJFUzI1NiIsImtpZCI6IjEyIiwidHlwIjoic3RhdHVzbGlzdCtqd3QifQ.eyJleHAiOjIyOTE3MjAx" \
    "NzAsImlhdCI6MTY4NjkyMDE3MCwiaXNzIjoiaHR0cHM6Ly9leGFtcGxlLmNvbSIsInN0YXR1c19saXN0Ijp7Im"  \
    "JpdHMiOjEsImxzdCI6ImVOcmJ1UmdBQWhjQlhRIn0sInN1YiI6Imh0dHBzOi8vZXhhbXBsZS5jb20vc3RhdHVz"  \
    "bGlzdHMvMSIsInR0bCI6NDMyMDB9.2lKUUNG503R9htu4aHAYi7vjmr3sgApbfoDvPrl65N3URUO1EYqqQl45J"  \
    "fzd-Av4QzlKa3oVALpLwOEUOq-U_g"
#define T12_JWK                                              \
    "{\"kty\":\"EC\",\"crv\":\"P-256\","                     \
    "\"x\":\"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo\"," \
    "\"y\":\"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M\"}"
#define T12_SUB "https://example.com/statuslists/1"
#define T12_IAT 1686920170
#define T12_EXP 2291720170

#define LONG_SIZE ((size_t)1 << 20) /* T11 lists */

static struct gr_status_list *new_list(unsigned bits, size_t size)
{
    struct gr_err err;
    struct gr_status_list *list = gr_status_list_new(bits, size, &err);

    if (list == NULL)
        fail_msg("gr_status_list_new(%u, %zu): %s", bits, size, err.desc);
    return list;
}

static void set(struct gr_status_list *list, size_t idx, unsigned value)
{
    struct gr_err err;

    if (gr_status_list_set(list, idx, value, &err) < 0)
        fail_msg("set(%zu, %u): %s", idx, value, err.desc);
}

static void hex(const uint8_t *p, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* `lst` of `list`, in a buffer the caller releases. */
static struct gr_buf encode(const struct gr_status_list *list, enum gr_status_zlib how)
{
    struct gr_buf b;
    struct gr_err err;

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    if (gr_status_list_encode(list, how, &b, &err) < 0)
        fail_msg("encode: %s", err.desc);
    return b;
}

static void assert_same_list(const struct gr_status_list *a, const struct gr_status_list *b)
{
    size_t alen, blen;
    const uint8_t *ap = gr_status_list_bytes(a, &alen), *bp = gr_status_list_bytes(b, &blen);

    assert_int_equal(gr_status_list_bits(a), gr_status_list_bits(b));
    assert_int_equal(gr_status_list_size(a), gr_status_list_size(b));
    assert_int_equal(alen, blen);
    assert_memory_equal(ap, bp, alen);
}

/* decode(lst) must give `want` back. */
static void assert_decodes_to(struct gr_str lst, const struct gr_status_list *want)
{
    struct gr_err err;
    struct gr_status_list *got =
        gr_status_list_decode(gr_status_list_bits(want), lst, gr_status_list_size(want), &err);

    if (got == NULL)
        fail_msg("decode: %s (%s)", err.desc, gr_errc_name(err.code));
    assert_same_list(got, want);
    gr_status_list_free(got);
}

struct small_case {
    unsigned bits;
    size_t size;
    unsigned status[16];
    const char *bytes, *zlib, *lst;
    const char *rle_lst; /* the same DEFLATE data; the header's FLEVEL says "fastest" */
};

/* SPECS.md T9 and T10 (TSL §4.1, §4.2), verbatim; then what GR_STATUS_ZLIB_RLE makes of them. */
static const struct small_case small[] = {
    { 1,
      16,
      { 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1 },
      "b9a3",
      "78dadbb918000217015d",
      "eNrbuRgAAhcBXQ",
      "eAHbuRgAAhcBXQ" },
    { 2,
      12,
      { 1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3 },
      "c944f9",
      "78da3be9f2130003df0207",
      "eNo76fITAAPfAgc",
      "eAE76fITAAPfAgc" },
};

static void test_small_vectors(void **state)
{
    (void)state;
    for (size_t c = 0; c < GR_NELEM(small); c++) {
        const struct small_case *k = &small[c];
        struct gr_status_list *list = new_list(k->bits, k->size);
        struct gr_buf lst, rle, z;
        struct gr_err err;
        const uint8_t *bytes;
        size_t len;
        char h[64];

        for (size_t i = 0; i < k->size; i++)
            set(list, i, k->status[i]);
        bytes = gr_status_list_bytes(list, &len);
        hex(bytes, len, h);
        assert_string_equal(h, k->bytes);
        for (size_t i = 0; i < k->size; i++)
            assert_int_equal(gr_status_list_get(list, i), k->status[i]);
        lst = encode(list, GR_STATUS_ZLIB_BEST);
        assert_string_equal(lst.data, k->lst);
        gr_buf_init(&z, 64);
        assert_int_equal(gr_b64url_decode_buf(gr_buf_str(&lst), &z, &err), 0);
        hex((const uint8_t *)z.data, z.len, h);
        assert_string_equal(h, k->zlib);
        assert_decodes_to(gr_str_c(k->lst), list);
        rle = encode(list, GR_STATUS_ZLIB_RLE);
        assert_string_equal(rle.data, k->rle_lst);
        assert_decodes_to(gr_buf_str(&rle), list);
        gr_buf_release(&rle);
        gr_buf_release(&z);
        gr_buf_release(&lst);
        gr_status_list_free(list);
    }
}

/*
 * A T11 fixture: `status[i] = 0b...` lines into `list`, and the `lst` of the
 * JSON example that follows, its line breaks and indentation dropped.
 */
static void read_long_vector(const char *rel, struct gr_status_list *list, struct gr_buf *lst)
{
    struct gr_buf text;
    const char *p, *q;
    size_t n = 0;

    t_fixture(rel, &text);
    for (p = text.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        size_t idx;
        char bin[9];

        if (sscanf(p, "status[%zu]%*[ =]0b%8[01]", &idx, bin) == 2) {
            set(list, idx, (unsigned)strtoul(bin, NULL, 2));
            n++;
        }
    }
    assert_true(n >= 11);
    p = strstr(text.data, "\"lst\": \"");
    assert_non_null(p);
    gr_buf_init(lst, GR_BUF_UNBOUNDED);
    for (q = p + 8; *q && *q != '"'; q++) {
        if (*q != ' ' && *q != '\n')
            gr_buf_addc(lst, *q);
    }
    gr_buf_release(&text);
}

/*
 * SPECS.md T11: all four 2^20-entry vectors reproduce byte for byte with
 * GR_STATUS_ZLIB_BEST, and the published `lst` decodes to the listed statuses.
 * GR_STATUS_ZLIB_RLE's encoding differs but decodes to the same list.
 */
static void test_long_vectors(void **state)
{
    static const struct {
        unsigned bits;
        const char *file;
    } cases[] = {
        { 1, "status/vectors/t11_1bit.txt" },
        { 2, "status/vectors/t11_2bit.txt" },
        { 4, "status/vectors/t11_4bit.txt" },
        { 8, "status/vectors/t11_8bit.txt" },
    };

    (void)state;
    for (size_t c = 0; c < GR_NELEM(cases); c++) {
        struct gr_status_list *list = new_list(cases[c].bits, LONG_SIZE);
        struct gr_buf want, got;

        read_long_vector(cases[c].file, list, &want);
        got = encode(list, GR_STATUS_ZLIB_BEST);
        if (strcmp(got.data, want.data) != 0)
            fail_msg("%s: lst differs (%zu vs %zu characters)", cases[c].file, got.len, want.len);
        assert_decodes_to(gr_buf_str(&want), list);
        gr_buf_release(&got);
        got = encode(list, GR_STATUS_ZLIB_RLE);
        assert_decodes_to(gr_buf_str(&got), list);
        gr_buf_release(&got);
        gr_buf_release(&want);
        gr_status_list_free(list);
    }
}

/* SPECS.md T12: the published Status List Token verifies with the published key. */
static void test_published_token(void **state)
{
    struct gr_jwk *key = t_jwk(T12_JWK), *other = t_keygen();
    struct gr_status_list *list = NULL;
    struct gr_err err;
    char jwt[] = T12_JWT;
    struct gr_str in = gr_str_c(jwt);
    const uint8_t *bytes;
    size_t len;

    (void)state;
    assert_int_equal(gr_status_list_token_verify(in, key, GR_STR(T12_SUB), T12_IAT, &list, &err),
                     0);
    assert_int_equal(gr_status_list_bits(list), 1);
    assert_int_equal(gr_status_list_size(list), 16);
    bytes = gr_status_list_bytes(list, &len);
    assert_int_equal(len, 2);
    assert_int_equal(bytes[0], 0xb9);
    assert_int_equal(bytes[1], 0xa3);
    assert_int_equal(gr_status_list_get(list, 0), GR_STATUS_INVALID);
    assert_int_equal(gr_status_list_get(list, 1), GR_STATUS_VALID);
    gr_status_list_free(list);
    assert_int_equal(
        gr_status_list_token_verify(in, key, (struct gr_str){ NULL, 0 }, T12_IAT, &list, &err), 0);
    gr_status_list_free(list);

    assert_code(t_code(gr_status_list_token_verify(in, key, GR_STR("https://example.com/2"),
                                                   T12_IAT, &list, &err),
                       &err),
                GR_ERR_BAD_CLAIM);
    assert_null(list);
    assert_code(
        t_code(gr_status_list_token_verify(in, key, GR_STR(T12_SUB), T12_EXP, &list, &err), &err),
        GR_ERR_EXPIRED);
    assert_code(
        t_code(gr_status_list_token_verify(in, other, GR_STR(T12_SUB), T12_IAT, &list, &err), &err),
        GR_ERR_BAD_SIGNATURE);
    /* STYLE §4.2: every character of the signature changed. */
    for (char *c = strrchr(jwt, '.') + 1; *c; c++) {
        char keep = *c;
        enum gr_errc code;

        *c = keep == 'A' ? 'B' : 'A';
        code = t_code(gr_status_list_token_verify(in, key, GR_STR(T12_SUB), T12_IAT, &list, &err),
                      &err);
        if (code != GR_ERR_BAD_SIGNATURE && code != GR_ERR_MALFORMED)
            fail_msg("signature character %zu: %s", (size_t)(c - jwt), gr_errc_name(code));
        assert_null(list);
        *c = keep;
    }
    gr_jwk_free(other);
    gr_jwk_free(key);
}

/* decode(encode(x)) == x for random lists of every width, dense and sparse. */
static void test_round_trip(void **state)
{
    static const unsigned widths[] = { 1, 2, 4, 8 };
    static const size_t sizes[] = { 8, 1024, (size_t)1 << 17 };
    struct gr_err err;

    (void)state;
    for (size_t w = 0; w < GR_NELEM(widths); w++) {
        for (size_t s = 0; s < GR_NELEM(sizes); s++) {
            struct gr_status_list *dense = new_list(widths[w], sizes[s]);
            struct gr_status_list *sparse = new_list(widths[w], sizes[s]);
            unsigned mask = (1u << widths[w]) - 1;
            uint8_t *r = malloc(sizes[s]);
            assert_int_equal(gr_random(r, sizes[s], &err), 0);
            for (size_t i = 0; i < sizes[s]; i++) {
                set(dense, i, r[i] & mask);
                if (r[i] < 3)
                    set(sparse, i, (r[i] & mask) ? r[i] & mask : 1);
            }
            for (size_t i = 0; i < sizes[s]; i++)
                assert_int_equal(gr_status_list_get(dense, i), r[i] & mask);
            for (int how = GR_STATUS_ZLIB_RLE; how <= GR_STATUS_ZLIB_BEST; how++) {
                struct gr_buf a = encode(dense, how), b = encode(sparse, how);

                assert_decodes_to(gr_buf_str(&a), dense);
                assert_decodes_to(gr_buf_str(&b), sparse);
                gr_buf_release(&a);
                gr_buf_release(&b);
            }
            free(r);
            gr_status_list_free(dense);
            gr_status_list_free(sparse);
        }
    }
}

static enum gr_errc new_code(unsigned bits, size_t size)
{
    struct gr_err err;
    struct gr_status_list *list = gr_status_list_new(bits, size, &err);

    gr_status_list_free(list);
    return list ? GR_ERR_OK : err.code;
}

static void test_bounds(void **state)
{
    static const struct {
        unsigned bits;
        size_t size;
        enum gr_errc want;
    } cases[] = {
        { 1, 8, GR_ERR_OK },
        { 8, 1, GR_ERR_OK },
        { 2, 4, GR_ERR_OK },
        { 1, GR_STATUS_MAX_SIZE, GR_ERR_OK },
        { 0, 8, GR_ERR_USAGE },
        { 3, 8, GR_ERR_USAGE },
        { 16, 8, GR_ERR_USAGE },
        { 1, 0, GR_ERR_USAGE },
        { 1, 12, GR_ERR_USAGE }, /* 12 bits: not whole bytes */
        { 2, 6, GR_ERR_USAGE },
        { 4, 3, GR_ERR_USAGE },
        { 8, GR_STATUS_MAX_SIZE + 1, GR_ERR_USAGE },
        { 1, GR_STATUS_MAX_SIZE + 8, GR_ERR_USAGE },
    };
    struct gr_status_list *list;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++)
        assert_code(new_code(cases[i].bits, cases[i].size), cases[i].want);

    for (unsigned bits = 1; bits <= 8; bits *= 2) {
        size_t size = 64;

        list = new_list(bits, size);
        assert_code(t_code(gr_status_list_set(list, size, 0, &err), &err), GR_ERR_USAGE);
        assert_code(t_code(gr_status_list_set(list, SIZE_MAX, 0, &err), &err), GR_ERR_USAGE);
        assert_code(t_code(gr_status_list_set(list, 0, 1u << bits, &err), &err), GR_ERR_USAGE);
        assert_int_equal(gr_status_list_get(list, size), GR_STATUS_NONE);
        assert_int_equal(gr_status_list_get(list, SIZE_MAX), GR_STATUS_NONE);
        /* Neighbours keep their values; a value overwrites every bit of its entry. */
        set(list, size - 1, (1u << bits) - 1);
        set(list, size - 2, 1);
        set(list, size - 1, 1);
        assert_int_equal(gr_status_list_get(list, size - 1), 1);
        assert_int_equal(gr_status_list_get(list, size - 2), 1);
        assert_int_equal(gr_status_list_get(list, size - 3), GR_STATUS_VALID);
        gr_status_list_free(list);
    }
    gr_status_list_free(NULL);
}

/* A list rebuilt from the bytes a store keeps is the same list. */
static void test_new_bytes(void **state)
{
    static const uint8_t t10[] = { 0xc9, 0x44, 0xf9 };
    static uint8_t big[GR_STATUS_MAX_SIZE / 8 + 1];
    struct gr_status_list *list;
    struct gr_err err;
    const uint8_t *p;
    size_t len;

    (void)state;
    list = gr_status_list_new_bytes(2, t10, sizeof(t10), &err);
    assert_non_null(list);
    assert_int_equal(gr_status_list_size(list), 12);
    assert_int_equal(gr_status_list_get(list, 1), 2);
    assert_int_equal(gr_status_list_get(list, 3), 3);
    p = gr_status_list_bytes(list, &len);
    assert_true(p != t10 && len == 3 && memcmp(p, t10, 3) == 0);
    gr_status_list_free(list);
    list = gr_status_list_new_bytes(1, big, sizeof(big) - 1, &err); /* 2^24 entries */
    assert_non_null(list);
    gr_status_list_free(list);
    assert_null(gr_status_list_new_bytes(1, big, sizeof(big), &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_null(gr_status_list_new_bytes(8, big, 0, &err));
    assert_null(gr_status_list_new_bytes(5, t10, sizeof(t10), &err));
}

/* `len` bytes of `byte` compressed at level 9: ZLIB (windowBits 15), raw DEFLATE (-15) or gzip
 * (31). */
static void deflated(int window_bits, uint8_t byte, size_t len, struct gr_buf *out)
{
    uint8_t *in = malloc(len);
    z_stream zs = { 0 };
    uLong bound;

    memset(in, byte, len);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bound = deflateBound(&zs, (uLong)len);
    gr_buf_init(out, GR_BUF_UNBOUNDED);
    zs.next_in = in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)gr_buf_grow(out, bound);
    zs.avail_out = (uInt)bound;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out->len = zs.total_out;
    deflateEnd(&zs);
    free(in);
}

/* base64url of `len` bytes of `z`, as an `lst` in `out`. */
static struct gr_str b64(const char *z, size_t len, struct gr_buf *out)
{
    gr_buf_init(out, GR_BUF_UNBOUNDED);
    gr_buf_add_b64url(out, z, len);
    return gr_buf_str(out);
}

static enum gr_errc decode_code(unsigned bits, struct gr_str lst, size_t max_size)
{
    struct gr_err err;
    struct gr_status_list *list = gr_status_list_decode(bits, lst, max_size, &err);

    gr_status_list_free(list);
    return list ? GR_ERR_OK : err.code;
}

static void test_decode_rejects(void **state)
{
    struct gr_buf zl, raw, gz, bomb, enc[7];
    struct gr_str ok, bad[5], big;

    (void)state;
    deflated(15, 0xb9, 64, &zl);
    deflated(-15, 0xb9, 64, &raw);
    deflated(31, 0xb9, 64, &gz);
    deflated(15, 0, 16 << 20, &bomb); /* 16 MiB of zeros in about 16 KiB */
    ok = b64(zl.data, zl.len, &enc[0]);
    bad[0] = b64(raw.data, raw.len, &enc[1]);
    bad[1] = b64(gz.data, gz.len, &enc[2]);
    bad[2] = b64(zl.data, zl.len - 3, &enc[3]); /* truncated */
    bad[3] = b64(zl.data, 2, &enc[4]);          /* the header only */
    gr_buf_addc(&zl, 'x');
    bad[4] = b64(zl.data, zl.len, &enc[5]); /* a byte after the stream */
    big = b64(bomb.data, bomb.len, &enc[6]);

    const struct {
        unsigned bits;
        struct gr_str lst;
        size_t max_size;
        enum gr_errc want;
    } cases[] = {
        { 1, ok, 512, GR_ERR_OK },
        { 1, ok, 511, GR_ERR_TOO_LARGE }, /* one entry over */
        { 8, ok, 64, GR_ERR_OK },
        { 3, ok, 512, GR_ERR_USAGE },
        { 1, bad[0], 512, GR_ERR_MALFORMED }, /* raw DEFLATE */
        { 1, bad[1], 512, GR_ERR_MALFORMED }, /* gzip */
        { 1, bad[2], 512, GR_ERR_MALFORMED },
        { 1, bad[3], 512, GR_ERR_MALFORMED },
        { 1, bad[4], 512, GR_ERR_MALFORMED },
        { 1, big, (size_t)1 << 20, GR_ERR_TOO_LARGE },
        { 1, big, GR_STATUS_MAX_SIZE, GR_ERR_TOO_LARGE }, /* 2 MiB of 16 */
        { 8, big, GR_STATUS_MAX_SIZE, GR_ERR_OK },        /* 16 MiB */
        { 8, big, SIZE_MAX, GR_ERR_OK },                  /* clamped to the maximum */
        { 1, big, 1024, GR_ERR_TOO_LARGE }, /* longer than any encoding of 128 bytes */
        { 1, GR_STR(""), 512, GR_ERR_MALFORMED },
        { 1, GR_STR("eNrbuRgAAhcBXQ=="), 512, GR_ERR_MALFORMED }, /* padding */
        { 1, GR_STR("eNrbuRgAAhcBXQ="), 512, GR_ERR_MALFORMED },
        { 1, GR_STR("eNrbuRgAAhcBX+"), 512, GR_ERR_MALFORMED },
        { 1, GR_STR("eNrbuRgA AhcBXQ"), 512, GR_ERR_MALFORMED },
        { 1, GR_STR("eNrbuRgAAhcBXR"), 512, GR_ERR_MALFORMED }, /* non-zero trailing bits */
        { 1, GR_STR("eNrbuRgAAhcBXg"), 512, GR_ERR_MALFORMED }, /* adler32 off by one */
        { 1, GR_STR("eNoDAAAAAAE"), 512, GR_ERR_MALFORMED },    /* zlib of nothing: empty */
        { 1, GR_STR("eNrbuRgAAhcBXQ"), 16, GR_ERR_OK },
        { 1, GR_STR("eNrbuRgAAhcBXQ"), 15, GR_ERR_TOO_LARGE },
        { 1, GR_STR("eNrbuRgAAhcBXQ"), 0, GR_ERR_TOO_LARGE },
    };
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        enum gr_errc got = decode_code(cases[i].bits, cases[i].lst, cases[i].max_size);

        if (got != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].want));
    }
    for (size_t i = 0; i < GR_NELEM(enc); i++)
        gr_buf_release(&enc[i]);
    gr_buf_release(&zl);
    gr_buf_release(&raw);
    gr_buf_release(&gz);
    gr_buf_release(&bomb);
}

/* The parts of a token we made, parsed and checked for shape. */
static void check_token(struct gr_str tok, const struct gr_signer *s, struct gr_jws *jws)
{
    struct gr_err err;

    assert_int_equal(gr_jws_parse(tok, jws, &err), 0);
    assert_true(gr_str_eq_c(jws->typ, "statuslist+jwt"));
    assert_true(gr_str_eq(jws->kid, gr_signer_kid(s)));
    assert_int_equal(jws->x5c_count, gr_signer_x5c_count(s));
    for (size_t i = 0; i < jws->x5c_count; i++)
        assert_true(gr_str_eq(jws->x5c[i], gr_signer_x5c(s, i)));
    assert_int_equal(gr_jws_verify(jws, gr_signer_jwk(s), &err), 0);
}

static void test_token_round_trip(void **state)
{
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_status_list *list = new_list(2, 1024), *back = NULL;
    struct gr_buf tok;
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    set(list, 7, GR_STATUS_SUSPENDED);
    set(list, 1000, GR_STATUS_INVALID);
    gr_buf_init(&tok, GR_MAX_JWS_LEN);
    assert_int_equal(gr_status_list_token(list, GR_STR("https://issuer.example/status/1"),
                                          GR_STR("https://issuer.example"), 1764000000, 1764086400,
                                          3600, s, &tok, &err),
                     0);
    check_token(gr_buf_str(&tok), s, &jws);
    assert_true(
        gr_str_eq_c(gr__json_str(gr__json_t(jws.payload_json), "iss"), "https://issuer.example"));
    assert_true(gr_str_eq_c(gr__json_str(gr__json_t(jws.payload_json), "sub"),
                            "https://issuer.example/status/1"));
    assert_int_equal(json_integer_value(json_object_get(gr__json_t(jws.payload_json), "iat")),
                     1764000000);
    assert_int_equal(json_integer_value(json_object_get(gr__json_t(jws.payload_json), "exp")),
                     1764086400);
    assert_int_equal(json_integer_value(json_object_get(gr__json_t(jws.payload_json), "ttl")),
                     3600);
    gr_jws_release(&jws);
    assert_int_equal(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s),
                                                 GR_STR("https://issuer.example/status/1"),
                                                 1764000001, &back, &err),
                     0);
    assert_same_list(back, list);
    assert_int_equal(gr_status_list_get(back, 7), GR_STATUS_SUSPENDED);
    gr_status_list_free(back);

    /* No iss, exp or ttl when not given. */
    gr_buf_reset(&tok);
    assert_int_equal(gr_status_list_token(list, GR_STR("https://issuer.example/status/1"),
                                          (struct gr_str){ NULL, 0 }, 1764000000, 0, 0, s, &tok,
                                          &err),
                     0);
    check_token(gr_buf_str(&tok), s, &jws);
    assert_null(json_object_get(gr__json_t(jws.payload_json), "iss"));
    assert_null(json_object_get(gr__json_t(jws.payload_json), "exp"));
    assert_null(json_object_get(gr__json_t(jws.payload_json), "ttl"));
    gr_jws_release(&jws);

    assert_code(
        t_code(gr_status_list_token(list, GR_STR(""), GR_STR(""), 1, 0, 0, s, &tok, &err), &err),
        GR_ERR_USAGE);
    assert_code(
        t_code(gr_status_list_token(list, GR_STR("u"), GR_STR(""), 1, 0, -1, s, &tok, &err), &err),
        GR_ERR_USAGE);
    gr_buf_release(&tok);
    gr_buf_init(&tok, 64); /* a cap too small for the token */
    assert_code(
        t_code(gr_status_list_token(list, GR_STR("u"), GR_STR(""), 1, 0, 0, s, &tok, &err), &err),
        GR_ERR_TOO_LARGE);
    gr_buf_release(&tok);
    gr_status_list_free(list);
    gr_signer_free(s);
}

/* With a certificate chain the header carries x5c: the leaf, not the trust anchor (HAIP §6.1). */
static void test_token_x5c(void **state)
{
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_status_list *list = new_list(1, 256), *back = NULL;
    struct gr_buf pem, tok;
    struct gr_signer *s;
    struct gr_jws jws;
    struct gr_err err;

    (void)state;
    gr_buf_init(&pem, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_cert_chain_make(key, "gramota status", 1, &pem, &err), 0);
    s = gr_signer_new_key(key, gr_buf_str(&pem), &err);
    assert_non_null(s);
    assert_int_equal(gr_signer_x5c_count(s), 1);
    gr_buf_init(&tok, GR_MAX_JWS_LEN);
    assert_int_equal(gr_status_list_token(list, GR_STR("https://i.example/s/1"), GR_STR(""), 100,
                                          200, 60, s, &tok, &err),
                     0);
    check_token(gr_buf_str(&tok), s, &jws);
    assert_int_equal(jws.x5c_count, 1);
    gr_jws_release(&jws);
    assert_int_equal(gr_status_list_token_verify(gr_buf_str(&tok), gr_signer_jwk(s),
                                                 GR_STR("https://i.example/s/1"), 150, &back, &err),
                     0);
    assert_same_list(back, list);
    gr_status_list_free(back);
    gr_buf_release(&tok);
    gr_buf_release(&pem);
    gr_status_list_free(list);
    gr_signer_free(s);
}

/* Tokens that are JWS but not good Status List Tokens. */
static void test_token_rejects(void **state)
{
    static const struct {
        const char *header, *payload;
        enum gr_errc want;
    } cases[] = {
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_OK },
        { "{\"alg\":\"ES256\",\"typ\":\"application/statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_OK },
        { "{\"alg\":\"ES256\",\"typ\":\"jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_TYP },
        { "{\"alg\":\"ES256\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_TYP },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}", GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"t\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"exp\":50,\"status_list\":{\"bits\":1,\"lst\":"
          "\"eNrbuRgAAhcBXQ\"}"
          "}",
          GR_ERR_EXPIRED },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"exp\":\"x\",\"status_list\":{\"bits\":1,\"lst\":"
          "\"eNrbuRgAAhcB"
          "XQ\"}}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"ttl\":0,\"status_list\":{\"bits\":1,\"lst\":"
          "\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}", "{\"sub\":\"s\",\"iat\":1}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":3,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":7}}", GR_ERR_BAD_CLAIM },
        { "{\"alg\":\"ES256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ==\"}}",
          GR_ERR_MALFORMED },
        { "{\"alg\":\"HS256\",\"typ\":\"statuslist+jwt\"}",
          "{\"sub\":\"s\",\"iat\":1,\"status_list\":{\"bits\":1,\"lst\":\"eNrbuRgAAhcBXQ\"}}",
          GR_ERR_UNSUPPORTED_ALG },
    };
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(cases); i++) {
        struct gr_status_list *list = NULL;
        struct gr_buf jwt;
        enum gr_errc got;

        gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
        assert_int_equal(
            gr_jws_sign(key, gr_str_c(cases[i].header), gr_str_c(cases[i].payload), &jwt, &err), 0);
        got = t_code(
            gr_status_list_token_verify(gr_buf_str(&jwt), key, GR_STR("s"), 100, &list, &err),
            &err);
        if (got != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got),
                     gr_errc_name(cases[i].want));
        assert_true((list != NULL) == (got == GR_ERR_OK));
        gr_status_list_free(list);
        gr_buf_release(&jwt);
    }
    gr_jwk_free(key);
}

static size_t pick(const uint8_t *used, size_t size)
{
    struct gr_err err;
    size_t idx = SIZE_MAX;

    if (gr_status_index_pick(used, size, &idx, &err) < 0)
        fail_msg("pick: %s", err.desc);
    assert_true(idx < size);
    return idx;
}

static void mark(uint8_t *used, size_t i)
{
    used[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool is_used(const uint8_t *used, size_t i)
{
    return (used[i / 8] >> (i % 8)) & 1;
}

/* Never a taken index, at any fill, on both the drawing and the scanning path. */
static void test_pick_never_used(void **state)
{
    static const unsigned taken_per_256[] = { 0, 128, 230, 254, 255 };
    enum { SIZE = 4096 };
    uint8_t used[SIZE / 8], r[SIZE];
    struct gr_err err;

    (void)state;
    for (size_t f = 0; f < GR_NELEM(taken_per_256); f++) {
        memset(used, 0, sizeof(used));
        assert_int_equal(gr_random(r, sizeof(r), &err), 0);
        for (size_t i = 0; i < SIZE; i++) {
            if (r[i] < taken_per_256[f])
                mark(used, i);
        }
        mark(used, SIZE - 1);
        used[0] &= 0xfe; /* at least one free */
        for (int n = 0; n < 2000; n++)
            assert_false(is_used(used, pick(used, SIZE)));
    }
    /* Fill a small list pick by pick: every index once, then full. */
    memset(used, 0, sizeof(used));
    for (size_t n = 0; n < 100; n++) {
        size_t i = pick(used, 100);

        assert_false(is_used(used, i));
        mark(used, i);
    }
    for (size_t i = 0; i < 100; i++)
        assert_true(is_used(used, i));
}

static void test_pick_full_and_usage(void **state)
{
    uint8_t used[4] = { 0xff, 0x0f, 0, 0 };
    struct gr_err err;
    size_t idx;

    (void)state;
    /* 12 entries, all taken; the free bits past `size` do not count. */
    assert_code(t_code(gr_status_index_pick(used, 12, &idx, &err), &err), GR_ERR_CONFLICT);
    assert_string_equal(err.desc, "The status list is full.");
    assert_int_equal(pick(used, 13), 12);
    used[1] = 0xef; /* only index 12 free, bits past 16 free but outside */
    assert_int_equal(pick(used, 16), 12);
    assert_code(t_code(gr_status_index_pick(used, 0, &idx, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_status_index_pick(NULL, 8, &idx, &err), &err), GR_ERR_USAGE);
    assert_code(t_code(gr_status_index_pick(used, GR_STATUS_MAX_SIZE + 1, &idx, &err), &err),
                GR_ERR_USAGE);
}

/*
 * A sanity check of uniformity, not a test of randomness: N picks over k free
 * entries land within 20 % of N/k each. With N/k = 1000 that is 6 standard
 * deviations, so a correct picker fails it about once in 10^8 runs.
 */
static void check_spread(const uint8_t *used, size_t size, size_t k)
{
    size_t *hits = calloc(size, sizeof(*hits)), n = 1000 * k;

    for (size_t i = 0; i < n; i++)
        hits[pick(used, size)]++;
    for (size_t i = 0; i < size; i++) {
        if (is_used(used, i)) {
            assert_int_equal(hits[i], 0);
        } else if (hits[i] < 800 || hits[i] > 1200) {
            fail_msg("index %zu of %zu: %zu of %zu picks", i, size, hits[i], n);
        }
    }
    free(hits);
}

static void test_pick_spread(void **state)
{
    uint8_t used[512] = { 0 };

    (void)state;
    check_spread(used, 64, 64); /* an empty list: the drawing path */
    memset(used, 0xff, sizeof(used));
    for (size_t i = 0; i < 4096; i += 1024)
        used[i / 8] &= (uint8_t) ~(1u << (i % 8));
    check_spread(used, 4096, 4); /* 4 free of 4096: mostly the scanning path */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_vectors),   cmocka_unit_test(test_long_vectors),
        cmocka_unit_test(test_published_token), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bounds),          cmocka_unit_test(test_new_bytes),
        cmocka_unit_test(test_decode_rejects),  cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_token_x5c),       cmocka_unit_test(test_token_rejects),
        cmocka_unit_test(test_pick_never_used), cmocka_unit_test(test_pick_full_and_usage),
        cmocka_unit_test(test_pick_spread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * What a Status List Token costs to remake after every change of a list.
 *
 * A 2^17-entry 2-bit list (32 KiB raw) three ways: all VALID, 1 % of the
 * entries set at random (a realistic revocation rate), and every byte random
 * (the worst case for zlib's sizes). Prints microseconds per operation for the
 * `lst` encoding both ways (GR_STATUS_ZLIB_RLE, GR_STATUS_ZLIB_BEST), for the
 * whole signed token (RLE), and for a relying party's decoding; and the
 * encoded lengths. Target: the token in a few milliseconds at most.
 *
 *   bench_status [--seconds S] [--previous FILE] [--save FILE]
 */
#include "previous.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/gramota.h>

#define SIZE ((size_t)1 << 17)
#define BITS 2

struct figure {
    const char *name;
    double us;
};

struct ctx {
    struct gr_err err;
    struct gr_signer *signer;
    struct gr_status_list *list; /* the list the operation works on */
    struct gr_buf out;
    struct gr_str lst; /* its encoding, for decoding */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct gr_err *err)
{
    fprintf(stderr, "bench: %s: %s\n", what, err ? err->desc : "failed");
    exit(1);
}

/* Run `op` repeatedly for `seconds`, after a short warm-up; microseconds per call. */
static double measure(double seconds, void (*op)(struct ctx *), struct ctx *c)
{
    double t0, t1;
    long n = 0;

    for (int i = 0; i < 5; i++)
        op(c);
    t0 = now_s();
    do {
        op(c);
        n++;
    } while ((t1 = now_s()) < t0 + seconds);
    return (t1 - t0) * 1e6 / (double)n;
}

static void op_encode_rle(struct ctx *c)
{
    gr_buf_reset(&c->out);
    if (gr_status_list_encode(c->list, GR_STATUS_ZLIB_RLE, &c->out, &c->err) < 0)
        die("encode", &c->err);
}

static void op_encode_best(struct ctx *c)
{
    gr_buf_reset(&c->out);
    if (gr_status_list_encode(c->list, GR_STATUS_ZLIB_BEST, &c->out, &c->err) < 0)
        die("encode", &c->err);
}

static void op_token(struct ctx *c)
{
    gr_buf_reset(&c->out);
    if (gr_status_list_token(c->list, GR_STR("https://issuer.example.com/status-lists/1"),
                             GR_STR("https://issuer.example.com"), 1764000000, 1764086400, 3600,
                             c->signer, &c->out, &c->err) < 0)
        die("token", &c->err);
}

static void op_decode(struct ctx *c)
{
    struct gr_status_list *l = gr_status_list_decode(BITS, c->lst, SIZE, &c->err);

    if (l == NULL)
        die("decode", &c->err);
    gr_status_list_free(l);
}

/* A list with `percent` % of its entries set to a random non-VALID value (100: random bytes). */
static struct gr_status_list *make_list(unsigned percent, struct gr_err *err)
{
    struct gr_status_list *l = gr_status_list_new(BITS, SIZE, err);
    uint8_t *r = malloc(SIZE * 4);

    if (l == NULL || gr_random(r, SIZE * 4, err) < 0)
        die("list", err);
    for (size_t i = 0; i < SIZE; i++) {
        uint32_t v =
            (uint32_t)r[4 * i] | (uint32_t)r[4 * i + 1] << 8 | (uint32_t)r[4 * i + 2] << 16;
        unsigned value = percent == 100 ? r[4 * i + 3] & 3 : 1 + r[4 * i + 3] % 2;

        if (percent == 100 || v % 100 < percent)
            gr_status_list_set(l, i, value, err);
    }
    free(r);
    return l;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        unsigned percent;
    } fills[] = { { "empty", 0 }, { "1pct", 1 }, { "5pct", 5 }, { "random", 100 } };
    static struct ctx c;
    double seconds = 1.0;
    const char *prev = NULL, *save = NULL;
    struct figure fig[4 * GR_NELEM(fills)];
    char names[GR_NELEM(fig)][64];
    size_t nfig = 0;
    FILE *sf;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--previous") == 0 && i + 1 < argc) {
            prev = argv[++i];
        } else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc) {
            save = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_status [--seconds S] [--previous FILE] [--save FILE]\n");
            return 2;
        }
    }
    c.signer = gr_signer_new_key(gr_jwk_generate(&c.err), (struct gr_str){ 0 }, &c.err);
    if (c.signer == NULL)
        die("signer", &c.err);
    gr_buf_init(&c.out, GR_BUF_UNBOUNDED);
    printf("Status list: %zu entries of %d bits (%zu KiB raw), zlib level 9\n", SIZE, BITS,
           SIZE * BITS / 8 / 1024);
    for (size_t f = 0; f < GR_NELEM(fills); f++) {
        struct gr_buf lst, best;
        static const char *const ops[] = { "encode_rle", "encode_best", "token", "decode" };
        void (*const fn[])(struct ctx *) = { op_encode_rle, op_encode_best, op_token, op_decode };

        c.list = make_list(fills[f].percent, &c.err);
        gr_buf_init(&lst, GR_BUF_UNBOUNDED);
        gr_buf_init(&best, GR_BUF_UNBOUNDED);
        if (gr_status_list_encode(c.list, GR_STATUS_ZLIB_RLE, &lst, &c.err) < 0 ||
            gr_status_list_encode(c.list, GR_STATUS_ZLIB_BEST, &best, &c.err) < 0)
            die("encode", &c.err);
        c.lst = gr_buf_str(&lst);
        op_token(&c);
        printf("%-7s lst %6zu characters (BEST: %zu), token %6zu bytes\n", fills[f].name, lst.len,
               best.len, c.out.len);
        gr_buf_release(&best);
        for (size_t o = 0; o < GR_NELEM(ops); o++) {
            snprintf(names[nfig], sizeof(names[nfig]), "status_%s_2bit_128k_%s_us", ops[o],
                     fills[f].name);
            fig[nfig] = (struct figure){ names[nfig], measure(seconds, fn[o], &c) };
            nfig++;
        }
        gr_buf_release(&lst);
        gr_status_list_free(c.list);
    }
    for (size_t i = 0; i < nfig; i++) {
        double p = bench_previous(prev, fig[i].name);

        printf("%-40s %9.2f us", fig[i].name, fig[i].us);
        if (p > 0)
            printf("   (previous build %.2f, %+.1f%%)", p, (fig[i].us - p) / p * 100);
        printf("\n");
    }
    if (save && (sf = fopen(save, "w")) != NULL) {
        for (size_t i = 0; i < nfig; i++)
            fprintf(sf, "%s %.3f\n", fig[i].name, fig[i].us);
        fclose(sf);
    }
    gr_buf_release(&c.out);
    gr_signer_free(c.signer);
    return 0;
}

/*
 * A random free index of a status list (TSL §12.5, §13.2; HAIP §6.1: unique
 * and unpredictable per credential). Uniform over the free entries whatever
 * the fill: draws that hit a taken entry are simply retried, and only a list
 * so full that the retries keep failing is scanned.
 */
#include <gramota/status.h>

#include <gramota/crypto.h>
#include <gramota/err.h>

/*
 * Draws before scanning. A list with a fraction f of free entries needs the
 * scan with probability (1-f)^TRIES: 1e-3 at 90 % full, about 0.3 at 99 %.
 */
#define TRIES 64

static bool used_at(const uint8_t *used, size_t i)
{
    return (used[i / 8] >> (i % 8)) & 1;
}

/* A uniform value below `n` (n >= 1): 64-bit draws, those below 2^64 mod n thrown away. */
static int uniform_below(uint64_t n, uint64_t *v, struct gr_err *err)
{
    uint64_t r, low = -n % n;

    do {
        if (gr_random(&r, sizeof(r), err) < 0)
            return -1;
    } while (r < low);
    *v = r % n;
    return 0;
}

/* Free entries of byte `b` of the bitmap, counting only indices below `size`. */
static unsigned free_in_byte(const uint8_t *used, size_t size, size_t b)
{
    unsigned valid = size - b * 8 >= 8 ? 0xffu : (1u << (size - b * 8)) - 1;

    return (unsigned)__builtin_popcount(~used[b] & valid);
}

/* The nearly full case: count the free entries, draw a rank, find the entry of that rank. */
static int pick_by_scan(const uint8_t *used, size_t size, size_t *idx, struct gr_err *err)
{
    size_t nbytes = (size + 7) / 8, free_count = 0, b;
    uint64_t rank;

    for (b = 0; b < nbytes; b++)
        free_count += free_in_byte(used, size, b);
    if (free_count == 0)
        return gr_fail(err, GR_ERR_CONFLICT, "The status list is full.");
    if (uniform_below(free_count, &rank, err) < 0)
        return -1;
    for (b = 0; rank >= free_in_byte(used, size, b); b++)
        rank -= free_in_byte(used, size, b);
    for (size_t i = b * 8;; i++) {
        if (!used_at(used, i) && rank-- == 0) {
            *idx = i;
            return 0;
        }
    }
}

/* see status.h */
int gr_status_index_pick(const uint8_t *used, size_t size, size_t *idx, struct gr_err *err)
{
    if (used == NULL || size == 0 || size > GR_STATUS_MAX_SIZE)
        return gr_fail(err, GR_ERR_USAGE, "A status list has 1 to %zu entries.",
                       GR_STATUS_MAX_SIZE);
    for (int t = 0; t < TRIES; t++) {
        uint64_t i;

        if (uniform_below(size, &i, err) < 0)
            return -1;
        if (!used_at(used, (size_t)i)) {
            *idx = (size_t)i;
            return 0;
        }
    }
    return pick_by_scan(used, size, idx, err);
}

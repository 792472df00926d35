/*
 * Token buckets as every backend keeps them: GCRA (the generic cell rate
 * algorithm), which stores a bucket as the one instant at which it will be
 * full again. A bucket of `burst` gaining one every `interval` is full at or
 * before now; taking one moves that instant `interval` later; and one more
 * may be taken while the instant stays within burst * interval of now.
 * Equivalent to counting tokens, but one number per key needs no
 * read-modify-write across two columns, so a backend takes with one
 * conditional UPSERT (or one Redis script) and concurrent takers cannot
 * both spend the last token.
 */
#include "store/internal.h"

#define RATE_KEY_MAX 128

/* see internal.h */
int gr__rate_args(struct gr_str key, int64_t burst, int64_t interval_ms, struct gr_err *err)
{
    if (key.len == 0 || key.len > RATE_KEY_MAX || burst < 1 || interval_ms < 1 ||
        burst > INT64_MAX / interval_ms)
        return gr_fail(err, GR_ERR_SERVER_ERROR, "A rate limit was asked for with a bad shape.");
    return 0;
}

/* see internal.h */
void gr__rate_answer(int64_t full_at, int64_t now_ms, int64_t burst, int64_t interval_ms,
                     struct gr_rate *out)
{
    int64_t next = (full_at > now_ms ? full_at : now_ms) + interval_ms;
    int64_t over = next - now_ms - burst * interval_ms;

    out->allowed = over <= 0;
    out->retry_after_ms = over > 0 ? over : 0;
}

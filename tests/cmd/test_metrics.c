/*
 * cmd/metrics.c on its own: what is recorded is what a scrape shows, buckets
 * cumulative, _count the sum of the requests counted, label values escaped,
 * every line in the text format, no update lost between threads.
 */
#include "testutil.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const char *const routes[] = { "healthz", "token" };

/* The value of the series `series` (name and labels as rendered), or -1 when it is absent. */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *line = text;

    while (line) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

static void render(const struct metrics *m, const struct metrics_now *now, struct gr_buf *out)
{
    struct gr_err err;

    gr_buf_reset(out);
    metrics_render(m, now, out);
    assert_int_equal(gr_buf_check(out, &err), 0);
}

#define REQ(route, status)  "gramota_http_requests_total{route=\"" route "\",status=\"" status "\"}"
#define LAT(suffix, labels) "gramota_http_request_duration_seconds_" suffix "{" labels "}"

static void test_requests_and_latency(void **state)
{
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), NULL, 0, 1700000000);
    struct metrics_now now = { .in_flight = 3 };
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    metrics_request(m, "healthz", 200, 0.0005);
    metrics_request(m, "healthz", 200, 0.003);
    metrics_request(m, "healthz", 503, 2.0);
    metrics_request(m, "token", 400, 0.0025); /* on a bound: inside it (le) */
    metrics_request(m, NULL, 404, 0.01);      /* no route matched */
    metrics_request(m, "bogus", 404, 5.0);    /* a name not in the list */
    metrics_request(m, "token", 0, -1.0);     /* the client left; a clock gone backwards */
    render(m, &now, &out);

    assert_int_equal(value_of(out.data, REQ("healthz", "200")), 2);
    assert_int_equal(value_of(out.data, REQ("healthz", "503")), 1);
    assert_int_equal(value_of(out.data, REQ("token", "400")), 1);
    assert_int_equal(value_of(out.data, REQ("token", "0")), 1);
    assert_int_equal(value_of(out.data, REQ("unmatched", "404")), 2);
    assert_int_equal(value_of(out.data, REQ("healthz", "404")), -1); /* no zero series by status */
    assert_null(strstr(out.data, "bogus"));

    /* healthz: 0.0005, 0.003, 2.0 s, made cumulative */
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"0.001\"")), 1);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"0.0025\"")), 1);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"0.005\"")), 2);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"1\"")), 2);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"2.5\"")), 3);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"healthz\",le=\"+Inf\"")), 3);
    assert_int_equal(value_of(out.data, LAT("count", "route=\"healthz\"")), 3);
    assert_non_null(strstr(out.data, LAT("sum", "route=\"healthz\"") " 2.0035\n"));
    /* token: 0.0025 s lands in le="0.0025", not below; the negative time counts as 0 */
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"token\",le=\"0.001\"")), 1);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"token\",le=\"0.0025\"")), 2);
    assert_non_null(strstr(out.data, LAT("sum", "route=\"token\"") " 0.0025\n"));
    /* unmatched: 0.01 and 5 s, the second above every bound */
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"unmatched\",le=\"2.5\"")), 1);
    assert_int_equal(value_of(out.data, LAT("bucket", "route=\"unmatched\",le=\"+Inf\"")), 2);
    assert_non_null(strstr(out.data, LAT("sum", "route=\"unmatched\"") " 5.01\n"));
    /* a route never asked for is there, at zero */
    assert_int_equal(value_of(out.data, LAT("count", "route=\"token\"")), 2);
    metrics_request(m, "token", 200, 0.1);
    render(m, &now, &out);
    assert_int_equal(value_of(out.data, LAT("count", "route=\"token\"")), 3);
    assert_int_equal(value_of(out.data, "gramota_http_requests_in_flight"), 3);
    assert_int_equal(value_of(out.data, "process_start_time_seconds"), 1700000000);
    assert_non_null(strstr(out.data, "\ngramota_build_info{version=\"" GR_VERSION "\"} 1\n"));
    gr_buf_release(&out);
    metrics_free(m);
}

/*
 * Every route's _count is the sum of its requests over the statuses, and its
 * buckets never decrease, for whatever was recorded.
 */
static void test_count_is_the_sum_of_requests(void **state)
{
    static const unsigned statuses[] = { 200, 201, 400, 401, 404, 405, 500, 503, 0 };
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), NULL, 0, 0);
    struct metrics_now now = { 0 };
    const char *names[] = { "healthz", "token", "unmatched" };
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    for (unsigned i = 0; i < 500; i++)
        metrics_request(m, i % 7 == 0 ? NULL : routes[i % 2], statuses[i % GR_NELEM(statuses)],
                        (double)(i * 7919 % 4000) / 1000);
    render(m, &now, &out);
    for (size_t r = 0; r < GR_NELEM(names); r++) {
        char series[160];
        double sum = 0, count, prev = 0, v;
        const char *p;

        for (size_t s = 0; s < GR_NELEM(statuses); s++) {
            snprintf(series, sizeof(series),
                     "gramota_http_requests_total{route=\"%s\",status=\"%u\"}", names[r],
                     statuses[s]);
            v = value_of(out.data, series);
            if (v > 0)
                sum += v;
        }
        snprintf(series, sizeof(series),
                 "gramota_http_request_duration_seconds_count{route=\"%s\"}", names[r]);
        count = value_of(out.data, series);
        assert_true(count > 0);
        assert_true(sum == count);
        snprintf(series, sizeof(series),
                 "gramota_http_request_duration_seconds_bucket{route=\"%s\",", names[r]);
        for (p = strstr(out.data, series); p; p = strstr(p + 1, series)) {
            v = strtod(strchr(p, ' ') + 1, NULL);
            assert_true(v >= prev);
            prev = v;
        }
        assert_true(prev == count); /* +Inf, the last */
    }
    gr_buf_release(&out);
    metrics_free(m);
}

static void test_issued_and_signer(void **state)
{
    const struct gr_str configs[] = { GR_STR("pid"), GR_STR("odd \"id\" \\ with\nnewline") };
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), configs, GR_NELEM(configs), 0);
    struct metrics_now now = { 0 };
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    render(m, &now, &out);
    assert_int_equal(value_of(out.data, "gramota_credentials_issued_total{configuration=\"pid\"}"),
                     0);
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_count"), 0);
    metrics_issued(m, GR_STR("pid"), 3, 0.003);      /* a batch of three */
    metrics_issued(m, configs[1], 1, 0.2);           /* one, slowly */
    metrics_issued(m, GR_STR("unknown"), 2, 0.0001); /* signed, not counted */
    metrics_issued(m, GR_STR("pid"), 0, 1.0);        /* nothing made */
    render(m, &now, &out);
    assert_int_equal(value_of(out.data, "gramota_credentials_issued_total{configuration=\"pid\"}"),
                     3);
    assert_int_equal(value_of(out.data, "gramota_credentials_issued_total{configuration=\"odd "
                                        "\\\"id\\\" \\\\ with\\nnewline\"}"),
                     1);
    assert_null(strstr(out.data, "unknown"));
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_bucket{le=\"0.0001\"}"),
                     2); /* the unknown pair, 0.00005 s each */
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_bucket{le=\"0.001\"}"), 5);
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_bucket{le=\"0.25\"}"), 6);
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_bucket{le=\"+Inf\"}"), 6);
    assert_int_equal(value_of(out.data, "gramota_signer_duration_seconds_count"), 6);
    assert_non_null(strstr(out.data, "\ngramota_signer_duration_seconds_sum 0.2031\n"));
    gr_buf_release(&out);
    metrics_free(m);
}

static void test_store_and_rate_limits(void **state)
{
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), NULL, 0, 0);
    struct metrics_now now = { .store = { .db_errors = 5, .redis_errors = 7 } };
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    metrics_rate_limited(m, METRICS_LIMIT_OFFER);
    metrics_rate_limited(m, METRICS_LIMIT_TOKEN_CLIENT);
    metrics_rate_limited(m, METRICS_LIMIT_TOKEN_CLIENT);
    metrics_rate_limited(m, (enum metrics_limit)7); /* not a limit: ignored */
    render(m, &now, &out);
    assert_int_equal(value_of(out.data, "gramota_store_errors_total{source=\"database\"}"), 5);
    assert_int_equal(value_of(out.data, "gramota_store_errors_total{source=\"redis\"}"), 7);
    assert_int_equal(value_of(out.data, "gramota_rate_limited_total{limit=\"offer\"}"), 1);
    assert_int_equal(value_of(out.data, "gramota_rate_limited_total{limit=\"token_code\"}"), 0);
    assert_int_equal(value_of(out.data, "gramota_rate_limited_total{limit=\"token_client\"}"), 2);
    /* No server: nothing is counted and nothing breaks. */
    metrics_request(NULL, "healthz", 200, 1);
    metrics_issued(NULL, GR_STR("pid"), 1, 1);
    metrics_rate_limited(NULL, METRICS_LIMIT_OFFER);
    metrics_free(NULL);
    gr_buf_release(&out);
    metrics_free(m);
}

/*
 * The exposition format, line by line: # HELP then # TYPE before a family's
 * first sample, each sample `name{label="value",...} number` with the family's
 * name (plus _bucket, _sum, _count for a histogram), no family twice.
 */
static void test_text_format(void **state)
{
    const struct gr_str configs[] = { GR_STR("a\"b\\c\nd"), GR_STR("pid") };
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), configs, GR_NELEM(configs), 0);
    struct metrics_now now = { 0 };
    struct gr_buf out;
    regex_t sample;
    char family[128] = "", type[16] = "", help_of[128] = "";
    struct gr_buf seen; /* " name name ... " of the families so far */
    size_t samples = 0;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    gr_buf_init(&seen, GR_BUF_UNBOUNDED);
    gr_buf_addc(&seen, ' ');
    metrics_request(m, "token", 200, 0.02);
    metrics_issued(m, GR_STR("pid"), 2, 0.01);
    render(m, &now, &out);
    assert_int_equal(regcomp(&sample,
                             "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
                             "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
                             "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\")*\\})? "
                             "[0-9]+(\\.[0-9]+)?$",
                             REG_EXTENDED),
                     0);
    assert_true(out.len > 0 && out.data[out.len - 1] == '\n');
    for (char *line = out.data, *end; *line; line = end + 1) {
        regmatch_t mt[2];
        char name[128];

        end = strchr(line, '\n');
        *end = '\0';
        if (sscanf(line, "# HELP %127s", name) == 1) {
            char key[132];

            snprintf(key, sizeof(key), " %s ", name);
            assert_null(strstr(seen.data, key)); /* each family once */
            gr_buf_adds(&seen, key + 1);
            snprintf(help_of, sizeof(help_of), "%s", name);
            family[0] = '\0';
            continue;
        }
        if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
            assert_string_equal(name, help_of); /* TYPE right after its HELP */
            snprintf(family, sizeof(family), "%s", name);
            continue;
        }
        if (regexec(&sample, line, 2, mt, 0) != 0)
            fail_msg("not a sample line: %s", line);
        assert_true(family[0]);
        snprintf(name, sizeof(name), "%.*s", (int)(mt[1].rm_eo - mt[1].rm_so), line);
        if (strcmp(type, "histogram") == 0) {
            size_t n = strlen(family);

            assert_memory_equal(name, family, n);
            assert_true(!strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") ||
                        !strcmp(name + n, "_count"));
        } else {
            assert_string_equal(name, family);
            if (strcmp(type, "counter") == 0)
                assert_true(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"));
        }
        samples++;
    }
    assert_true(samples > 50);
    assert_non_null(strstr(seen.data, " gramota_signer_duration_seconds "));
    assert_non_null(strstr(seen.data, " gramota_rate_limited_total "));
    regfree(&sample);
    gr_buf_release(&seen);
    gr_buf_release(&out);
    metrics_free(m);
}

struct hammer {
    struct metrics *m;
    pthread_t t;
};

static void *hammer(void *arg)
{
    struct hammer *h = arg;

    for (int i = 0; i < 20000; i++) {
        metrics_request(h->m, "token", 200, 0.0001);
        metrics_issued(h->m, GR_STR("pid"), 1, 0.0001);
    }
    return NULL;
}

/* Four threads at once lose no update: the counters are atomics, not plain integers. */
static void test_threads(void **state)
{
    const struct gr_str configs[] = { GR_STR("pid") };
    struct metrics *m = metrics_new(routes, GR_NELEM(routes), configs, 1, 0);
    struct metrics_now now = { 0 };
    struct hammer h[4];
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < GR_NELEM(h); i++) {
        h[i].m = m;
        assert_int_equal(pthread_create(&h[i].t, NULL, hammer, &h[i]), 0);
    }
    for (size_t i = 0; i < GR_NELEM(h); i++)
        pthread_join(h[i].t, NULL);
    render(m, &now, &out);
    assert_int_equal(value_of(out.data, REQ("token", "200")), 80000);
    assert_int_equal(value_of(out.data, LAT("count", "route=\"token\"")), 80000);
    assert_int_equal(value_of(out.data, "gramota_credentials_issued_total{configuration=\"pid\"}"),
                     80000);
    assert_non_null(strstr(out.data, LAT("sum", "route=\"token\"") " 8\n"));
    gr_buf_release(&out);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_and_latency),
        cmocka_unit_test(test_count_is_the_sum_of_requests),
        cmocka_unit_test(test_issued_and_signer),
        cmocka_unit_test(test_store_and_rate_limits),
        cmocka_unit_test(test_text_format),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

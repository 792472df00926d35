/*
 * The Redis URLs of --redis-url (src/store/redis_url.c): redis:// over TCP
 * and unix:// on a Unix socket, what each field comes out as, and what is
 * refused rather than ignored.
 */
#include "testutil.h"

#include <string.h>

#include "store/redis_internal.h"

struct good {
    const char *url;
    const char *host, *socket, *user, *password;
    int port, db;
};

static void test_parsed(void **state)
{
    static const struct good rows[] = {
        { "redis://localhost", "localhost", "", "", "", 6379, 0 },
        { "redis://:s3cret@10.0.0.5:6380/2", "10.0.0.5", "", "", "s3cret", 6380, 2 },
        { "redis://app:p%40ss@[::1]:7000", "::1", "", "app", "p@ss", 7000, 0 },
        { "unix:///run/redis/redis.sock", "", "/run/redis/redis.sock", "", "", 0, 0 },
        { "unix://:p%40ss@/tmp/r%20s.sock?db=3", "", "/tmp/r s.sock", "", "p@ss", 0, 3 },
        { "unix://app:pw@/r.sock", "", "/r.sock", "app", "pw", 0, 0 },
    };
    struct gr__redis_url u;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(rows); i++) {
        const struct good *g = &rows[i];

        if (gr__redis_url_parse(gr_str_c(g->url), &u, &err) < 0)
            fail_msg("%s: %s", g->url, err.desc);
        assert_string_equal(u.host, g->host);
        assert_string_equal(u.socket, g->socket);
        assert_string_equal(u.user, g->user);
        assert_string_equal(u.password, g->password);
        assert_int_equal(u.port, g->port);
        assert_int_equal(u.db, g->db);
    }
}

static void test_refused(void **state)
{
    static const char *const rows[] = {
        "http://localhost",
        "unix:",
        "unix://",
        "unix:///",                /* no socket */
        "unix://localhost/r.sock", /* a host */
        "unix://r.sock",           /* relative */
        "unix://user@/r.sock",     /* a user without a password */
        "unix://:@/r.sock",        /* an empty password */
        "unix:///r.sock?db=x",
        "unix:///r.sock?db=",
        "unix:///r.sock?timeout=1", /* a query it would ignore */
        "unix:///r.sock?db=1&x=2",
        "unix:///r.sock#frag",
        "unix:///r%00.sock",
        "redis://localhost?db=1",
    };
    char longpath[160] = "unix:///";
    struct gr__redis_url u;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(rows); i++) {
        if (gr__redis_url_parse(gr_str_c(rows[i]), &u, &err) == 0)
            fail_msg("%s: accepted", rows[i]);
        assert_int_equal(err.code, GR_ERR_USAGE);
        assert_string_equal(u.socket, ""); /* nothing half-parsed */
    }
    /* sun_path holds 108 bytes: a path of 107 fits, one of 108 does not. */
    memset(longpath + 8, 'a', 106);
    assert_int_equal(gr__redis_url_parse(gr_str_c(longpath), &u, &err), 0);
    assert_int_equal(strlen(u.socket), 107);
    longpath[8 + 106] = 'a';
    assert_int_equal(gr__redis_url_parse(gr_str_c(longpath), &u, &err), -1);
    assert_int_equal(err.code, GR_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsed),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

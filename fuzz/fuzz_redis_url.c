/*
 * The redis:// or unix:// URL of --redis-url. Invariants: a failure is USAGE
 * with a sentence; a success has either a host of printable characters
 * without '@', '/', '?', '#' or a space and a port 1..65535 (redis://), or an
 * absolute socket path and no host (unix://); a database number,
 * NUL-terminated fields, and a password whenever there is a user; and the
 * parse depends on the input alone (parsing twice gives the same).
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "store/redis_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str in = { (const char *)data, len };
    struct gr__redis_url a, b;
    struct gr_err err;
    size_t n;

    if (gr__redis_url_parse(in, &a, &err) < 0) {
        n = strlen(err.desc);
        assert(err.code == GR_ERR_USAGE && n > 0 && err.desc[n - 1] == '.');
        return 0;
    }
    assert(memchr(a.host, '\0', sizeof(a.host)) != NULL);
    assert(memchr(a.socket, '\0', sizeof(a.socket)) != NULL);
    if (a.socket[0] != '\0') {
        assert(len >= 9 && memcmp(data, "unix://", 7) == 0);
        assert(a.host[0] == '\0' && a.socket[0] == '/' && a.socket[1] != '\0');
    } else {
        assert(len >= 9 && memcmp(data, "redis://", 8) == 0);
        assert(a.host[0] != '\0' && strpbrk(a.host, "@/?# ") == NULL);
        assert(a.port >= 1 && a.port <= 65535);
    }
    assert(a.db >= 0);
    assert(memchr(a.user, '\0', sizeof(a.user)) != NULL);
    assert(memchr(a.password, '\0', sizeof(a.password)) != NULL);
    assert(a.user[0] == '\0' || a.password[0] != '\0');
    assert(gr__redis_url_parse(in, &b, &err) == 0 && memcmp(&a, &b, sizeof(a)) == 0);
    return 0;
}

/*
 * Attestation-based client authentication (attest.h). The input is a mode
 * byte, a flags byte, then:
 *   mode 'R': "<attestation>\n<PoP>", raw;
 *   mode 'S': "<attestation claims>\n<PoP claims>": the attestation signed by
 *             this target's wallet provider under {"typ":
 *             "oauth-client-attestation+jwt","alg":"ES256","x5c":[...]}, the
 *             PoP by the harness's wallet instance key under {"typ":
 *             "oauth-client-attestation-pop+jwt","alg":"ES256"};
 *   mode 'H': "<attestation header>\n<claims>\n<PoP header>\n<claims>", signed
 *             the same way; {X5C} becomes the provider's chain.
 * In any JSON {JWK} becomes the instance's public key and {PRIV} its key pair.
 * Flags: 1 the token request's client_id is "wallet-1"; 2 the challenge "ch-1"
 * is expected; 4 two attestation headers came; 8 no PoP header came. The clock
 * is 1700000000, the audience https://issuer.example.com.
 *
 * Invariants: no crash, hang or leak; a failure is INVALID_CLIENT_ATTESTATION
 * with a sentence fit for error_description and leaves the result untouched; a
 * success names a client of 1..256 bytes (the client_id when one was given),
 * carries a PoP iat within the window, and checking the same headers again
 * gives the same result, replay hash included.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/gramota.h>

#include "jose/internal.h"
#include "wallet_provider.h"

#define NOW 1700000000
#define AUD "https://issuer.example.com"

static struct t_wp *wp;
static struct gr_jwk *instance;

static void start(void)
{
    if (wp != NULL)
        return;
    wp = t_wp_new();
    instance = gr_jwk_generate(&(struct gr_err){ 0 });
    assert(instance != NULL);
}

static void subst(struct gr_str tmpl, struct gr_buf *out)
{
    for (size_t i = 0; i < tmpl.len; i++) {
        struct gr_str rest = { tmpl.p + i, tmpl.len - i };

        if (rest.len >= 5 && memcmp(rest.p, "{JWK}", 5) == 0) {
            gr_jwk_to_json(instance, false, out);
            i += 4;
        } else if (rest.len >= 6 && memcmp(rest.p, "{PRIV}", 6) == 0) {
            gr_jwk_to_json(instance, true, out);
            i += 5;
        } else if (rest.len >= 5 && memcmp(rest.p, "{X5C}", 5) == 0) {
            gr_buf_addstr(out, gr_buf_str(&wp->x5c));
            i += 4;
        } else {
            gr_buf_addc(out, tmpl.p[i]);
        }
    }
}

static void sign(const struct gr_jwk *key, struct gr_str header, struct gr_str claims,
                 struct gr_buf *out)
{
    struct gr_buf h, p;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    subst(header, &h);
    subst(claims, &p);
    t_sign(key, gr_buf_str(&h), gr_buf_str(&p), out);
    gr_buf_release(&h);
    gr_buf_release(&p);
}

/* Cut `in` at its first newline: the head in *head, the rest in *in; false when none. */
static bool cut(struct gr_str *in, struct gr_str *head)
{
    const char *nl = memchr(in->p, '\n', in->len);

    if (nl == NULL)
        return false;
    *head = (struct gr_str){ in->p, (size_t)(nl - in->p) };
    *in = (struct gr_str){ nl + 1, in->len - head->len - 1 };
    return true;
}

static void check_failure(const struct gr_err *err, const struct gr_client_attestation *out)
{
    struct gr_client_attestation untouched;
    size_t n = strlen(err->desc);

    assert(err->code == GR_ERR_INVALID_CLIENT_ATTESTATION);
    assert(n > 0 && err->desc[n - 1] == '.');
    for (size_t i = 0; i < n; i++) {
        assert(err->desc[i] >= 0x20 && err->desc[i] < 0x7f && err->desc[i] != '"' &&
               err->desc[i] != '\\');
    }
    memset(&untouched, 0xa5, sizeof(untouched));
    assert(memcmp(out, &untouched, sizeof(untouched)) == 0);
}

static void verify(struct gr_str att, struct gr_str pop, uint8_t flags)
{
    struct gr_client_attestation_check c = {
        .attestation = att,
        .pop = pop,
        .attestation_count = flags & 4 ? 2 : 1,
        .pop_count = flags & 8 ? 0 : 1,
        .anchors = wp->anchors,
        .audience = GR_STR(AUD),
        .client_id = flags & 1 ? GR_STR("wallet-1") : (struct gr_str){ NULL, 0 },
        .challenge = flags & 2 ? GR_STR("ch-1") : (struct gr_str){ NULL, 0 },
        .now = NOW,
    };
    struct gr_client_attestation out, again;
    struct gr_err err;
    size_t n;

    memset(&out, 0xa5, sizeof(out));
    if (gr_client_attestation_verify(&c, &out, &err) < 0) {
        check_failure(&err, &out);
        return;
    }
    assert(!(flags & 12));
    n = strnlen(out.client_id, sizeof(out.client_id));
    assert(n >= 1 && n <= GR_CLIENT_ID_MAX);
    assert(!(flags & 1) || strcmp(out.client_id, "wallet-1") == 0);
    assert(out.pop_iat >= NOW - 300 && out.pop_iat <= NOW + 60);
    assert(strlen(out.wallet_name) <= GR_WALLET_NAME_MAX);
    memset(&again, 0, sizeof(again));
    assert(gr_client_attestation_verify(&c, &again, &err) == 0);
    assert(memcmp(&out, &again, sizeof(out)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str rest, h1, c1, h2;
    struct gr_buf att, pop;

    if (len < 2)
        return 0;
    start();
    rest = (struct gr_str){ (const char *)data + 2, len - 2 };
    gr_buf_init(&att, GR_BUF_UNBOUNDED);
    gr_buf_init(&pop, GR_BUF_UNBOUNDED);
    switch (data[0]) {
    case 'R':
        if (cut(&rest, &h1)) {
            verify(h1, rest, data[1]);
        }
        break;
    case 'S':
        if (cut(&rest, &c1)) {
            sign(wp->key,
                 GR_STR("{\"typ\":\"oauth-client-attestation+jwt\",\"alg\":\"ES256\","
                        "\"x5c\":{X5C}}"),
                 c1, &att);
            sign(instance,
                 GR_STR("{\"typ\":\"oauth-client-attestation-pop+jwt\",\"alg\":\"ES256\"}"), rest,
                 &pop);
            verify(gr_buf_str(&att), gr_buf_str(&pop), data[1]);
        }
        break;
    case 'H':
        if (cut(&rest, &h1) && cut(&rest, &c1) && cut(&rest, &h2)) {
            sign(wp->key, h1, c1, &att);
            sign(instance, h2, rest, &pop);
            verify(gr_buf_str(&att), gr_buf_str(&pop), data[1]);
        }
        break;
    }
    gr_buf_release(&pop);
    gr_buf_release(&att);
    return 0;
}

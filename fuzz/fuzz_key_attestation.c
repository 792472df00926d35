/*
 * Key attestations (attest.h) and the key proofs that carry them (proof.h).
 * The input is a mode byte, a flags byte, then:
 *   mode 'R': a key attestation, raw (also tried as either kind of proof);
 *   mode 'S': claims JSON that this target signs as its wallet provider under
 *             {"typ":"key-attestation+jwt","alg":"ES256","x5c":[...]};
 *   mode 'H': "<header JSON>\n<claims JSON>", signed the same way; {X5C} in
 *             the header becomes the provider's chain;
 *   mode 'P': "<attestation claims>\n<proof claims>": the attestation signed
 *             as in 'S', in the key_attestation header of a jwt proof that the
 *             harness's first holder key signs (kid "0");
 *   mode 'A': claims signed as in 'S', checked as an `attestation` proof.
 * In any JSON, {K0} and {K1} become the harness's two holder keys (public) and
 * {PRIV} the first with its private part. Flags: 1 require_exp, 2 require
 * key_storage iso_18045_high, 4 require user_authentication iso_18045_high,
 * 8 a max_age of 300 s. The clock is 1700000000, the audience
 * https://issuer.example.com; the provider's certificates are valid 2020-2030.
 *
 * Invariants: no crash, hang or leak; a failure is INVALID_PROOF with a
 * sentence fit for error_description and leaves the result empty; a success
 * holds 1..GR_MAX_ATTESTED_KEYS distinct public keys and a nonce of at most
 * 256 bytes exactly when it says so, an exp when one was required, an iat not
 * past the skew; an attested jwt proof verifies with its first key, and its two
 * nonces agree when both are present.
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
static struct gr_jwk *holder[2];

/* Made once: the harness's own start-up. */
static void start(void)
{
    if (wp != NULL)
        return;
    wp = t_wp_new();
    holder[0] = gr_jwk_generate(&(struct gr_err){ 0 });
    holder[1] = gr_jwk_generate(&(struct gr_err){ 0 });
    assert(holder[0] != NULL && holder[1] != NULL);
}

static void subst(struct gr_str tmpl, struct gr_buf *out)
{
    for (size_t i = 0; i < tmpl.len; i++) {
        struct gr_str rest = { tmpl.p + i, tmpl.len - i };

        if (rest.len >= 4 && memcmp(rest.p, "{K0}", 4) == 0) {
            gr_jwk_to_json(holder[0], false, out);
            i += 3;
        } else if (rest.len >= 4 && memcmp(rest.p, "{K1}", 4) == 0) {
            gr_jwk_to_json(holder[1], false, out);
            i += 3;
        } else if (rest.len >= 6 && memcmp(rest.p, "{PRIV}", 6) == 0) {
            gr_jwk_to_json(holder[0], true, out);
            i += 5;
        } else if (rest.len >= 5 && memcmp(rest.p, "{X5C}", 5) == 0) {
            gr_buf_addstr(out, gr_buf_str(&wp->x5c));
            i += 4;
        } else {
            gr_buf_addc(out, tmpl.p[i]);
        }
    }
}

/* `claims` signed as the provider under `header` (NULL: the good one). */
static void sign_provider(struct gr_str header, struct gr_str claims, struct gr_buf *out)
{
    struct gr_buf h, p;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    if (header.p == NULL) {
        gr_buf_printf(&h, "{\"typ\":\"key-attestation+jwt\",\"alg\":\"ES256\",\"x5c\":%s}",
                      wp->x5c.data);
    } else {
        subst(header, &h);
    }
    subst(claims, &p);
    t_sign(wp->key, gr_buf_str(&h), gr_buf_str(&p), out);
    gr_buf_release(&h);
    gr_buf_release(&p);
}

/* A jwt proof around the attestation `ka`, signed by the first holder key. */
static void sign_proof(struct gr_str ka, struct gr_str claims, struct gr_buf *out)
{
    struct gr_buf h, p;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    gr_buf_adds(&h, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"kid\":\"0\","
                    "\"key_attestation\":");
    gr__json_quote(ka, &h);
    gr_buf_addc(&h, '}');
    subst(claims, &p);
    t_sign(holder[0], gr_buf_str(&h), gr_buf_str(&p), out);
    gr_buf_release(&h);
    gr_buf_release(&p);
}

static void check_sentence(const struct gr_err *err)
{
    size_t n = strlen(err->desc);

    assert(err->code == GR_ERR_INVALID_PROOF);
    assert(n > 0 && err->desc[n - 1] == '.');
    for (size_t i = 0; i < n; i++) {
        assert(err->desc[i] >= 0x20 && err->desc[i] < 0x7f && err->desc[i] != '"' &&
               err->desc[i] != '\\');
    }
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0)
            return false;
    }
    return true;
}

static void check_keys(struct gr_jwk *const *keys, size_t n)
{
    assert(n >= 1 && n <= GR_MAX_ATTESTED_KEYS);
    for (size_t i = 0; i < n; i++) {
        assert(keys[i] != NULL && !gr_jwk_is_private(keys[i]));
        for (size_t j = 0; j < i; j++) {
            assert(!gr_jwk_equal(keys[i], keys[j]));
        }
    }
}

static void check_nonce(const char *nonce, bool has)
{
    assert(strlen(nonce) <= GR_ATTEST_NONCE_MAX);
    assert(has == (nonce[0] != '\0'));
}

static const char *const high[] = { "iso_18045_high", NULL };

static void attestation(struct gr_str jwt, uint8_t flags)
{
    struct gr_key_attestation_check c = {
        .jwt = jwt,
        .anchors = wp->anchors,
        .now = NOW,
        .max_age = flags & 8 ? 300 : 0,
        .require_exp = flags & 1,
        .key_storage = flags & 2 ? high : NULL,
        .user_authentication = flags & 4 ? high : NULL,
    };
    struct gr_key_attestation a;
    struct gr_err err;

    if (gr_key_attestation_verify(&c, &a, &err) < 0) {
        check_sentence(&err);
        assert(all_zero(&a, sizeof(a)));
        return;
    }
    check_keys(a.keys, a.count);
    check_nonce(a.nonce, a.has_nonce);
    assert(!(flags & 1) || a.exp != 0);
    assert(a.iat <= NOW + 60);
    gr_key_attestation_release(&a);
    assert(all_zero(&a, sizeof(a)));
}

static void proof(struct gr_str jwt, uint8_t flags, bool attestation_type)
{
    struct gr_proof_check c = {
        .jwt = jwt,
        .audience = GR_STR(AUD),
        .now = NOW,
        .wallet_providers = wp->anchors,
        .key_storage = flags & 2 ? high : NULL,
        .user_authentication = flags & 4 ? high : NULL,
        .require_attestation = flags & 1,
    };
    struct gr_proof p;
    struct gr_jws jws;
    struct gr_err err;
    int rc = attestation_type ? gr_proof_verify_attestation(&c, &p, &err)
                              : gr_proof_verify_jwt(&c, &p, &err);

    if (rc < 0) {
        check_sentence(&err);
        assert(all_zero(&p, sizeof(p)));
        return;
    }
    check_keys(p.keys, p.key_count);
    assert(p.key == p.keys[0]);
    check_nonce(p.nonce, p.has_nonce);
    check_nonce(p.attestation_nonce, p.has_attestation_nonce);
    if (p.has_nonce && p.has_attestation_nonce) {
        assert(strcmp(p.nonce, p.attestation_nonce) == 0);
    }
    if (attestation_type) {
        assert(p.attested && p.has_nonce == p.has_attestation_nonce);
    } else if (p.attested) {
        assert(gr_jws_parse(jwt, &jws, &err) == 0);
        assert(gr_jws_verify(&jws, p.keys[0], &err) == 0);
        gr_jws_release(&jws);
    } else {
        assert(!(flags & 1) && p.key_count == 1); /* a plain jwk proof */
    }
    gr_proof_release(&p);
}

/* Split at the first newline; false when there is none. */
static bool split(struct gr_str in, struct gr_str *a, struct gr_str *b)
{
    const char *nl = memchr(in.p, '\n', in.len);

    if (nl == NULL)
        return false;
    *a = (struct gr_str){ in.p, (size_t)(nl - in.p) };
    *b = (struct gr_str){ nl + 1, in.len - a->len - 1 };
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str rest, a, b;
    struct gr_buf jwt, ka;

    if (len < 2)
        return 0;
    start();
    rest = (struct gr_str){ (const char *)data + 2, len - 2 };
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    gr_buf_init(&ka, GR_BUF_UNBOUNDED);
    switch (data[0]) {
    case 'R':
        attestation(rest, data[1]);
        proof(rest, data[1], true);
        proof(rest, data[1], false);
        break;
    case 'S':
        sign_provider((struct gr_str){ NULL, 0 }, rest, &jwt);
        attestation(gr_buf_str(&jwt), data[1]);
        break;
    case 'H':
        if (split(rest, &a, &b)) {
            sign_provider(a, b, &jwt);
            attestation(gr_buf_str(&jwt), data[1]);
        }
        break;
    case 'P':
        if (split(rest, &a, &b)) {
            sign_provider((struct gr_str){ NULL, 0 }, a, &ka);
            sign_proof(gr_buf_str(&ka), b, &jwt);
            proof(gr_buf_str(&jwt), data[1], false);
        }
        break;
    case 'A':
        sign_provider((struct gr_str){ NULL, 0 }, rest, &jwt);
        proof(gr_buf_str(&jwt), data[1], true);
        break;
    }
    gr_buf_release(&ka);
    gr_buf_release(&jwt);
    return 0;
}

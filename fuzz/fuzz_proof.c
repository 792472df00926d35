/*
 * `jwt` key proof verification. The input is a mode byte, a flags byte, then:
 *   mode 'R': the proof JWT, raw;
 *   mode 'S': a payload JSON that this target signs under a fixed
 *             openid4vci-proof+jwt header with the harness key;
 *   mode 'H': "<header JSON>\n<payload JSON>", signed the same way; {JWK} in
 *             either becomes the harness's public key.
 * Flag 1 authenticates the client "wallet-1"; without it the request is
 * anonymous. The audience is https://issuer.example.com, the clock 1700000000.
 *
 * Invariants: no crash, hang or leak; a failure is INVALID_PROOF with a
 * sentence fit for error_description and leaves the result empty; a success
 * holds a public key that signed the proof, the key of the header's jwk, and a
 * nonce of at most GR_PROOF_NONCE_MAX bytes exactly when has_nonce says so.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/gramota.h>
#include <gramota/proof.h>

#include "jose/internal.h"

#define NOW 1700000000

static struct gr_jwk *holder(void)
{
    static struct gr_jwk *key; /* made once: the harness's own start-up */
    struct gr_err err;

    if (key == NULL)
        key = gr_jwk_parse(GR_STR("{\"kty\":\"EC\",\"crv\":\"P-256\","
                                  "\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
                                  "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\","
                                  "\"d\":\"5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I\"}"),
                           GR_JWK_PRIVATE, &err);
    assert(key != NULL);
    return key;
}

static void subst(struct gr_str tmpl, struct gr_buf *out)
{
    struct gr_buf jwk;

    gr_buf_init(&jwk, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(holder(), false, &jwk);
    for (size_t i = 0; i < tmpl.len; i++) {
        if (tmpl.len - i >= 5 && memcmp(tmpl.p + i, "{JWK}", 5) == 0) {
            gr_buf_addstr(out, gr_buf_str(&jwk));
            i += 4;
        } else {
            gr_buf_addc(out, tmpl.p[i]);
        }
    }
    gr_buf_release(&jwk);
}

static bool sign(struct gr_str header, struct gr_str payload, struct gr_buf *out)
{
    struct gr_buf h, p;
    struct gr_err err;
    bool ok;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    subst(header, &h);
    subst(payload, &p);
    ok = gr_jws_sign(holder(), gr_buf_str(&h), gr_buf_str(&p), out, &err) == 0;
    gr_buf_release(&h);
    gr_buf_release(&p);
    return ok;
}

static void check_failure(const struct gr_proof *p, const struct gr_err *err)
{
    size_t n = strlen(err->desc);
    struct gr_proof empty;

    assert(err->code == GR_ERR_INVALID_PROOF);
    assert(n > 0 && err->desc[n - 1] == '.');
    for (size_t i = 0; i < n; i++) {
        assert(err->desc[i] >= 0x20 && err->desc[i] < 0x7f && err->desc[i] != '"' &&
               err->desc[i] != '\\');
    }
    memset(&empty, 0, sizeof(empty));
    assert(memcmp(p, &empty, sizeof(empty)) == 0);
}

static void verify(const struct gr_proof_check *c)
{
    struct gr_proof p;
    struct gr_jws jws;
    struct gr_err err;

    if (gr_proof_verify_jwt(c, &p, &err) < 0) {
        check_failure(&p, &err);
        return;
    }
    assert(p.key != NULL && !gr_jwk_is_private(p.key));
    assert(p.key_count == 1 && p.keys[0] == p.key && !p.attested); /* no anchors: no attestation */
    assert(p.has_nonce == (p.nonce[0] != '\0'));
    assert(strlen(p.nonce) <= GR_PROOF_NONCE_MAX);
    assert(gr_jws_parse(c->jwt, &jws, &err) == 0);
    assert(jws.jwk != NULL && gr_jwk_equal(jws.jwk, p.key));
    assert(jws.kid.p == NULL && jws.x5c_count == 0);
    assert(gr_jws_verify(&jws, p.key, &err) == 0);
    gr_jws_release(&jws);
    gr_proof_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str rest;
    struct gr_buf jwt;
    struct gr_proof_check c;
    const char *nl;

    if (len < 2)
        return 0;
    rest = (struct gr_str){ (const char *)data + 2, len - 2 };
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    if (data[0] == 'S') {
        if (!sign(GR_STR("{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}"),
                  rest, &jwt))
            goto out;
    } else if (data[0] == 'H') {
        nl = memchr(rest.p, '\n', rest.len);
        if (nl == NULL ||
            !sign((struct gr_str){ rest.p, (size_t)(nl - rest.p) },
                  (struct gr_str){ nl + 1, rest.len - (size_t)(nl - rest.p) - 1 }, &jwt))
            goto out;
    } else {
        gr_buf_addstr(&jwt, rest);
    }
    c = (struct gr_proof_check){
        .jwt = gr_buf_str(&jwt),
        .audience = GR_STR("https://issuer.example.com"),
        .client_id = data[1] & 1 ? GR_STR("wallet-1") : (struct gr_str){ NULL, 0 },
        .now = NOW,
    };
    verify(&c);
out:
    gr_buf_release(&jwt);
    return 0;
}

/*
 * DPoP proof verification. The input is a mode byte, a flags byte, then
 * "<url>\n<method>\n" and:
 *   mode 'R': the DPoP header value, raw;
 *   mode 'S': a payload JSON that this target signs under a fixed dpop+jwt
 *             header with the harness key, so the fuzzer reaches the claims;
 *   mode 'H': "<header JSON>\n<payload JSON>", signed the same way.
 * In the JSON, {JWK} becomes the harness's public key, {ATH} the right ath for
 * the access token "tok-123", {NONCE} a good server nonce made 30 * (flags >> 4)
 * seconds ago. Flags: 1 requires a nonce, 2 presents the access token (with 4,
 * RFC 9449's T8 token instead), 8 sends the header twice.
 *
 * Invariants: no crash, hang or leak; a failure carries a documented code
 * (USE_DPOP_NONCE only when a nonce is required, USAGE only when the URL does
 * not normalize) and a sentence fit for error_description; a success comes
 * from a proof whose iat is in the window and whose thumbprint is reported.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <gramota/dpop.h>
#include <gramota/gramota.h>

#include "oid4vci/internal.h"

#define NOW 1700000000

static const uint8_t secret[32] = "fuzz-dpop-nonce-secret-32-bytes!";
static const char t8_token[] = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

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

/* The next '\n'-terminated field of `*rest`; false when there is none. */
static bool field(struct gr_str *rest, struct gr_str *out)
{
    const char *nl = memchr(rest->p, '\n', rest->len);

    if (nl == NULL)
        return false;
    *out = (struct gr_str){ rest->p, (size_t)(nl - rest->p) };
    rest->len -= out->len + 1;
    rest->p = nl + 1;
    return true;
}

static void subst(struct gr_str tmpl, uint8_t flags, struct gr_buf *out)
{
    char nonce[GR_DPOP_NONCE_LEN + 1], ath[44];
    uint8_t digest[32];
    struct gr_buf jwk;
    struct gr_err err;

    gr_buf_init(&jwk, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(holder(), false, &jwk);
    assert(gr_dpop_nonce_make(secret, NOW - 30 * (flags >> 4), nonce, &err) == 0);
    gr_sha256("tok-123", 7, digest);
    gr_b64url_encode(digest, sizeof(digest), ath);
    ath[43] = '\0';
    for (size_t i = 0; i < tmpl.len; i++) {
        struct gr_str at = { tmpl.p + i, tmpl.len - i };

        if (at.len >= 5 && memcmp(at.p, "{JWK}", 5) == 0) {
            gr_buf_addstr(out, gr_buf_str(&jwk));
            i += 4;
        } else if (at.len >= 5 && memcmp(at.p, "{ATH}", 5) == 0) {
            gr_buf_adds(out, ath);
            i += 4;
        } else if (at.len >= 7 && memcmp(at.p, "{NONCE}", 7) == 0) {
            gr_buf_adds(out, nonce);
            i += 6;
        } else {
            gr_buf_addc(out, tmpl.p[i]);
        }
    }
    gr_buf_release(&jwk);
}

/* Sign header and payload (templates) with the harness key; false when that cannot be done. */
static bool sign(struct gr_str header, struct gr_str payload, uint8_t flags, struct gr_buf *out)
{
    struct gr_buf h, p;
    struct gr_err err;
    bool ok;

    gr_buf_init(&h, GR_BUF_UNBOUNDED);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    subst(header, flags, &h);
    subst(payload, flags, &p);
    ok = gr_jws_sign(holder(), gr_buf_str(&h), gr_buf_str(&p), out, &err) == 0;
    gr_buf_release(&h);
    gr_buf_release(&p);
    return ok;
}

static void check_failure(const struct gr_dpop_check *c, const struct gr_err *err)
{
    size_t n = strlen(err->desc);
    struct gr_buf url;
    struct gr_err e2;

    assert(err->code == GR_ERR_INVALID_DPOP_PROOF || err->code == GR_ERR_USE_DPOP_NONCE ||
           err->code == GR_ERR_USAGE);
    assert(err->code != GR_ERR_USE_DPOP_NONCE || c->nonce_secret != NULL);
    assert(n > 0 && err->desc[n - 1] == '.');
    for (size_t i = 0; i < n; i++) {
        assert(err->desc[i] >= 0x20 && err->desc[i] < 0x7f && err->desc[i] != '"' &&
               err->desc[i] != '\\');
    }
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    if (err->code == GR_ERR_USAGE)
        assert(gr__url_normalize(gr__url_strip_query(c->url), &url, &e2) < 0);
    gr_buf_release(&url);
}

static void verify(const struct gr_dpop_check *c)
{
    struct gr_dpop_proof p;
    struct gr_jws jws;
    struct gr_err err;
    uint8_t jkt[32];

    if (gr_dpop_verify(c, &p, &err) < 0) {
        check_failure(c, &err);
        return;
    }
    assert(c->header_count == 1);
    assert(p.iat >= NOW - 300 && p.iat <= NOW + 60);
    assert(gr_jws_parse(c->header, &jws, &err) == 0);
    gr_jwk_thumbprint(jws.jwk, jkt);
    assert(memcmp(jkt, p.jkt, 32) == 0);
    gr_jws_release(&jws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct gr_str rest, url, method, a;
    struct gr_buf proof;
    struct gr_dpop_check c;

    if (len < 2)
        return 0;
    rest = (struct gr_str){ (const char *)data + 2, len - 2 };
    if (!field(&rest, &url) || !field(&rest, &method))
        return 0;
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    if (data[0] == 'S') {
        if (!sign(GR_STR("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{JWK}}"), rest, data[1],
                  &proof))
            goto out;
    } else if (data[0] == 'H') {
        if (!field(&rest, &a) || !sign(a, rest, data[1], &proof))
            goto out;
    } else {
        gr_buf_addstr(&proof, rest);
    }
    c = (struct gr_dpop_check){
        .header = gr_buf_str(&proof),
        .header_count = data[1] & 8 ? 2 : 1,
        .method = method,
        .url = url,
        .now = NOW,
        .nonce_secret = data[1] & 1 ? secret : NULL,
    };
    if (data[1] & 2)
        c.access_token = data[1] & 4 ? gr_str_c(t8_token) : GR_STR("tok-123");
    verify(&c);
out:
    gr_buf_release(&proof);
    return 0;
}

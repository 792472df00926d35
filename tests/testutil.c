#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gr_jwk *t_jwk(const char *json)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_parse(gr_str_c(json), GR_JWK_ANY, &err);

    if (key == NULL)
        fail_msg("test key rejected: %s (%s)", err.desc, gr_errc_name(err.code));
    return key;
}

struct gr_jwk *t_keygen(void)
{
    struct gr_err err;
    struct gr_jwk *key = gr_jwk_generate(&err);

    if (key == NULL)
        fail_msg("keygen: %s", err.desc);
    return key;
}

struct gr_signer *t_signer(const char *json)
{
    struct gr_err err;
    struct gr_signer *s = gr_signer_new_key(t_jwk(json), (struct gr_str){ NULL, 0 }, &err);

    if (s == NULL)
        fail_msg("signer: %s", err.desc);
    return s;
}

enum gr_errc t_code(int rc, const struct gr_err *err)
{
    return rc == 0 ? GR_ERR_OK : err->code;
}

void t_fixture(const char *rel, struct gr_buf *out)
{
    const char *root = getenv("GR_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char chunk[4096];
    size_t n;

    snprintf(path, sizeof(path), "%s/tests/%s", root ? root : ".", rel);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("fixture %s missing", path);
    gr_buf_init(out, GR_BUF_UNBOUNDED);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        gr_buf_add(out, chunk, n);
    fclose(f);
}

/* see testutil.h */
void t_each_flipped_signature(const char *jws, enum gr_errc (*answer)(const char *text),
                              enum gr_errc want)
{
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    const char *dot = strrchr(jws, '.');
    size_t head = (size_t)(dot - jws) + 1, n = 0;
    uint8_t sig[64];
    struct gr_buf b;
    struct gr_err err;

    assert_int_equal(gr_b64url_decode(gr_str_c(dot + 1), sig, sizeof(sig), &n, &err), 0);
    assert_int_equal(n, sizeof(sig));
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    for (size_t i = 0; i < sizeof(sig); i++) {
        for (size_t m = 0; m < GR_NELEM(masks); m++) {
            sig[i] ^= masks[m];
            gr_buf_reset(&b);
            gr_buf_add(&b, jws, head);
            gr_buf_add_b64url(&b, sig, sizeof(sig));
            assert_code(answer(b.data), want);
            sig[i] ^= masks[m];
        }
    }
    gr_buf_reset(&b);
    gr_buf_add(&b, jws, head);
    gr_buf_add_b64url(&b, sig, sizeof(sig));
    assert_string_equal(b.data, jws);
    gr_buf_release(&b);
}

/* see testutil.h */
void t_keys_init(struct t_keys *k)
{
    k->key = t_keygen();
    k->other = t_keygen();
    gr_buf_init(&k->pub, GR_BUF_UNBOUNDED);
    gr_buf_init(&k->priv, GR_BUF_UNBOUNDED);
    gr_buf_init(&k->other_pub, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(k->key, false, &k->pub);
    gr_jwk_to_json(k->key, true, &k->priv);
    gr_jwk_to_json(k->other, false, &k->other_pub);
}

/* see testutil.h */
void t_keys_release(struct t_keys *k)
{
    gr_jwk_free(k->key);
    gr_jwk_free(k->other);
    gr_buf_release(&k->pub);
    gr_buf_release(&k->priv);
    gr_buf_release(&k->other_pub);
}

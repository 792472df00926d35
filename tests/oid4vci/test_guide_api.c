/*
 * What examples/guide/guide.c needed of the public API beyond what the daemon
 * had: the DPoP replay callback of gr_dpop_check and credential types parsed
 * from memory. Only the installed headers are used here, as a library user
 * would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <gramota/gramota.h>

#define NOW 1700000000
#define URL "https://issuer.example.com/oid4vci/token"

/* ---- DPoP replay callback ---- */

struct replay_set {
    uint8_t seen[8][32];
    int64_t expires[8];
    size_t n;
    unsigned calls;
    enum gr_errc fail_with; /* GR_ERR_OK: behave */
};

static int replay(void *ctx, const uint8_t jti_hash[32], int64_t expires_at, int64_t now,
                  struct gr_err *err)
{
    struct replay_set *s = ctx;

    s->calls++;
    if (s->fail_with != GR_ERR_OK)
        return gr_fail(err, s->fail_with, "The replay set cannot be reached.");
    for (size_t i = 0; i < s->n; i++) {
        if (memcmp(s->seen[i], jti_hash, 32) == 0 && s->expires[i] >= now)
            return gr_fail(err, GR_ERR_DUPLICATE, "Seen before.");
    }
    assert_true(s->n < GR_NELEM(s->seen));
    memcpy(s->seen[s->n], jti_hash, 32);
    s->expires[s->n++] = expires_at;
    return 0;
}

/* A DPoP proof by `key` with this jti, method and iat, for URL. */
static void proof(const struct gr_jwk *key, const char *jti, const char *htm, int64_t iat,
                  struct gr_buf *out)
{
    struct gr_buf header, payload;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_adds(&header, "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":");
    gr_jwk_to_json(key, false, &header);
    gr_buf_addc(&header, '}');
    gr_buf_printf(&payload, "{\"jti\":\"%s\",\"htm\":\"%s\",\"htu\":\"" URL "\",\"iat\":%lld}", jti,
                  htm, (long long)iat);
    gr_buf_reset(out);
    assert_int_equal(gr_jws_sign(key, gr_buf_str(&header), gr_buf_str(&payload), out, &err), 0);
    gr_buf_release(&payload);
    gr_buf_release(&header);
}

static int verify(struct gr_str header, struct replay_set *set, int64_t max_age,
                  const uint8_t *nonce_secret, struct gr_dpop_proof *out, struct gr_err *err)
{
    struct gr_dpop_check c = {
        .header = header,
        .header_count = 1,
        .method = GR_STR("POST"),
        .url = GR_STR(URL),
        .now = NOW,
        .max_age = max_age,
        .nonce_secret = nonce_secret,
        .replay = set ? replay : NULL,
        .replay_ctx = set,
    };

    return gr_dpop_verify(&c, out, err);
}

/* A proof is recorded once, until iat + max_age; the second time it is refused. */
static void test_replay_refused(void **state)
{
    struct replay_set set = { 0 };
    struct gr_jwk *key;
    struct gr_buf p;
    struct gr_dpop_proof out;
    struct gr_err err;

    (void)state;
    key = gr_jwk_generate(&err);
    assert_non_null(key);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    proof(key, "jti-1", "POST", NOW - 10, &p);
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), 0);
    assert_int_equal(set.calls, 1);
    assert_memory_equal(set.seen[0], out.jti_hash, 32);
    assert_int_equal(set.expires[0], NOW - 10 + 300); /* max_age 0 means 300 */
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), -1);
    assert_int_equal(err.code, GR_ERR_INVALID_DPOP_PROOF);
    assert_string_equal(err.desc, "The DPoP proof was used before.");
    /* Another jti by the same key is new; an explicit max_age sets the expiry. */
    proof(key, "jti-2", "POST", NOW, &p);
    assert_int_equal(verify(gr_buf_str(&p), &set, 60, NULL, &out, &err), 0);
    assert_int_equal(set.expires[1], NOW + 60);
    /* Without a callback the call stays stateless: the same proof passes again. */
    assert_int_equal(verify(gr_buf_str(&p), NULL, 60, NULL, &out, &err), 0);
    assert_int_equal(verify(gr_buf_str(&p), NULL, 60, NULL, &out, &err), 0);
    gr_buf_release(&p);
    gr_jwk_free(key);
}

/* A proof refused for another reason does not use up its jti; the set's failure is passed on. */
static void test_replay_order_and_failure(void **state)
{
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
    struct replay_set set = { 0 };
    struct gr_jwk *key;
    struct gr_buf p;
    struct gr_dpop_proof out;
    struct gr_err err;

    (void)state;
    key = gr_jwk_generate(&err);
    assert_non_null(key);
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    proof(key, "jti-1", "GET", NOW, &p); /* htm does not match */
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), -1);
    assert_int_equal(err.code, GR_ERR_INVALID_DPOP_PROOF);
    proof(key, "jti-1", "POST", NOW - 301, &p); /* too old */
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), -1);
    proof(key, "jti-1", "POST", NOW, &p); /* no server nonce, one is required */
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, secret, &out, &err), -1);
    assert_int_equal(err.code, GR_ERR_USE_DPOP_NONCE);
    assert_int_equal(set.calls, 0);
    set.fail_with = GR_ERR_TEMPORARILY_UNAVAILABLE;
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), -1);
    assert_int_equal(err.code, GR_ERR_TEMPORARILY_UNAVAILABLE);
    set.fail_with = GR_ERR_OK;
    assert_int_equal(verify(gr_buf_str(&p), &set, 0, NULL, &out, &err), 0);
    assert_int_equal(set.n, 1);
    gr_buf_release(&p);
    gr_jwk_free(key);
}

/* ---- credential types from memory ---- */

#define TYPE(id, vct)                                                                           \
    "{\"id\":\"" id "\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"" vct "\","       \
    "\"cryptographic_binding_methods_supported\":[\"jwk\"],"                                    \
    "\"credential_signing_alg_values_supported\":[\"ES256\"],"                                  \
    "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}," \
    "\"credential_metadata\":{\"claims\":[{\"path\":[\"given_name\"]},{\"path\":[\"degree\"],"  \
    "\"mandatory\":true}]}},\"gramota\":{\"lifetime_days\":30}}"

static void test_types_parse(void **state)
{
    const struct gr_str texts[] = { GR_STR(TYPE("degree", "urn:example:degree:1")),
                                    GR_STR(TYPE("badge", "urn:example:badge:1")) };
    struct gr_issuer_settings settings = { .issuer_url = GR_STR("https://issuer.example.com") };
    struct gr_cred_types *set;
    const struct gr_cred_type *t;
    struct gr_buf doc;
    struct gr_err err;
    bool mandatory = false;

    (void)state;
    set = gr_cred_types_parse(texts, GR_NELEM(texts), &err);
    assert_non_null(set);
    assert_int_equal(gr_cred_types_count(set), 2);
    t = gr_cred_types_by_vct(set, GR_STR("urn:example:badge:1"));
    assert_non_null(t);
    assert_true(gr_str_eq_c(gr_cred_type_id(t), "badge"));
    assert_int_equal(gr_cred_type_lifetime(t), 30 * 86400);
    assert_true(gr_str_eq_c(gr_cred_type_claim(t, 1, &mandatory), "degree"));
    assert_true(mandatory);
    assert_true(gr_str_eq_c(gr_cred_type_disclosable(t), "[[\"given_name\"],[\"degree\"]]") ||
                gr_str_eq_c(gr_cred_type_disclosable(t), "[\"given_name\",\"degree\"]"));
    gr_buf_init(&doc, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_metadata_issuer_json(set, &settings, &doc, &err), 0);
    assert_non_null(strstr(doc.data, "\"degree\":{"));
    assert_non_null(strstr(doc.data, "\"badge\":{"));
    gr_buf_release(&doc);
    gr_cred_types_free(set);
}

static void test_types_parse_refusals(void **state)
{
    const struct gr_str twice[] = { GR_STR(TYPE("degree", "urn:a")),
                                    GR_STR(TYPE("degree", "urn:b")) };
    const struct gr_str broken[] = { GR_STR(TYPE("degree", "urn:a")), GR_STR("{\"id\":") };
    struct gr_err err;

    (void)state;
    assert_null(gr_cred_types_parse(twice, 0, &err));
    assert_int_equal(err.code, GR_ERR_USAGE);
    assert_null(gr_cred_types_parse(twice, 2, &err));
    assert_int_equal(err.code, GR_ERR_DUPLICATE);
    assert_non_null(strstr(err.desc, "texts[1]"));
    assert_null(gr_cred_types_parse(broken, 2, &err));
    assert_int_equal(err.code, GR_ERR_MALFORMED);
    assert_non_null(strstr(err.desc, "texts[1]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_refused),
        cmocka_unit_test(test_replay_order_and_failure),
        cmocka_unit_test(test_types_parse),
        cmocka_unit_test(test_types_parse_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

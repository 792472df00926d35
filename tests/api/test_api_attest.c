/*
 * x5c.h, attest.h and proof.h through the installed headers only: a wallet
 * provider made with gr_cert_chain_make() (no OpenSSL of our own), its key
 * attestations and wallet attestations, and the key proofs that carry them
 * (see tests/packaging/test_api_coverage.sh).
 */
#include "testutil.h"

#include <string.h>
#include <time.h>

#define AUD        "https://issuer.example.com"
#define PROOF_TYP  "openid4vci-proof+jwt"
#define KA_TYP     "key-attestation+jwt"
#define HIGH       "iso_18045_high"
#define ATT_TYP    "oauth-client-attestation+jwt"
#define POP_TYP    "oauth-client-attestation-pop+jwt"
#define CLIENT     "wallet-instance-1"
#define CHAIN_DAYS 30

/* A wallet provider: its signing key, certificate chain and trust anchor. */
struct provider {
    struct gr_jwk *key;
    struct gr_buf leaf_b64;   /* the leaf as an x5c entry */
    struct gr_trust *anchors; /* its CA alone */
};

/* The base64 body of the `n`th PEM block of `pem`, lines joined: an x5c entry. */
static void pem_body(const char *pem, int n, struct gr_buf *out)
{
    const char *p = pem, *end;

    for (int i = 0; i <= n; i++) {
        p = strstr(p, "-----BEGIN CERTIFICATE-----");
        assert_non_null(p);
        p += strlen("-----BEGIN CERTIFICATE-----");
    }
    end = strstr(p, "-----END");
    for (; p < end; p++) {
        if (*p != '\n' && *p != '\r')
            gr_buf_addc(out, *p);
    }
}

static void provider_init(struct provider *wp)
{
    struct gr_buf chain;
    struct gr_err err;
    const char *ca;

    wp->key = t_keygen();
    gr_buf_init(&chain, GR_BUF_UNBOUNDED);
    gr_buf_init(&wp->leaf_b64, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_cert_chain_make(wp->key, "Test Wallet Provider", CHAIN_DAYS, &chain, &err),
                     0);
    pem_body(chain.data, 0, &wp->leaf_b64);
    ca = strstr(chain.data + 1, "-----BEGIN CERTIFICATE-----"); /* leaf first, then the CA */
    assert_non_null(ca);
    wp->anchors = gr_trust_load_pem(gr_str_c(ca), &err);
    assert_non_null(wp->anchors);
    gr_buf_release(&chain);
}

static void provider_release(struct provider *wp)
{
    gr_trust_free(wp->anchors);
    gr_buf_release(&wp->leaf_b64);
    gr_jwk_free(wp->key);
}

/* Sign `payload` as the provider, under its x5c. */
static void provider_sign(const struct provider *wp, const char *typ, const char *payload,
                          struct gr_buf *out)
{
    struct gr_buf header;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_printf(&header, "{\"typ\":\"%s\",\"alg\":\"ES256\",\"x5c\":[\"%s\"]}", typ,
                  wp->leaf_b64.data);
    assert_int_equal(gr_jws_sign(wp->key, gr_buf_str(&header), gr_str_c(payload), out, &err), 0);
    gr_buf_release(&header);
}

/* A key attestation of `keys` with a nonce and key_storage `storage` (a JSON array). */
static void key_attestation(const struct provider *wp, int64_t iat, int64_t exp,
                            struct gr_jwk *const *keys, size_t n, const char *storage,
                            struct gr_buf *out)
{
    struct gr_buf payload;

    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_printf(&payload, "{\"iat\":%lld", (long long)iat);
    if (exp)
        gr_buf_printf(&payload, ",\"exp\":%lld", (long long)exp);
    gr_buf_adds(&payload, ",\"attested_keys\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gr_buf_addc(&payload, ',');
        gr_jwk_to_json(keys[i], false, &payload);
    }
    gr_buf_printf(&payload, "],\"nonce\":\"c-nonce-1\",\"key_storage\":%s}", storage);
    provider_sign(wp, KA_TYP, payload.data, out);
    gr_buf_release(&payload);
}

/* ---- x5c.h ---- */

static void test_trust_and_x5c(void **state)
{
    struct provider wp, other;
    struct gr_buf chain;
    struct gr_err err;
    struct gr_jwk *leaf_key;
    int64_t now = time(NULL);
    struct gr_str bad = GR_STR("not base64!");

    (void)state;
    provider_init(&wp);
    provider_init(&other);
    assert_int_equal(gr_trust_count(wp.anchors), 1);

    leaf_key = gr_x5c_verify(wp.anchors, &(struct gr_str){ wp.leaf_b64.data, wp.leaf_b64.len }, 1,
                             now, &err);
    assert_non_null(leaf_key);
    assert_true(gr_jwk_equal(leaf_key, wp.key)); /* the leaf's key, public */
    assert_false(gr_jwk_is_private(leaf_key));
    gr_jwk_free(leaf_key);

    assert_null(gr_x5c_verify(other.anchors, &(struct gr_str){ wp.leaf_b64.data, wp.leaf_b64.len },
                              1, now, &err));
    assert_code(err.code, GR_ERR_BAD_SIGNATURE); /* another provider's CA */
    assert_null(gr_x5c_verify(wp.anchors, &(struct gr_str){ wp.leaf_b64.data, wp.leaf_b64.len }, 1,
                              now + (CHAIN_DAYS + 2) * 86400, &err));
    assert_code(err.code, GR_ERR_EXPIRED);
    assert_null(gr_x5c_verify(wp.anchors, &bad, 1, now, &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_null(gr_x5c_verify(wp.anchors, &bad, 0, now, &err));
    assert_code(err.code, GR_ERR_MALFORMED); /* no certificate */
    assert_null(
        gr_x5c_verify(NULL, &(struct gr_str){ wp.leaf_b64.data, wp.leaf_b64.len }, 1, now, &err));
    assert_code(err.code, GR_ERR_USAGE);

    /* anchors must be CAs: the whole chain (leaf first) is refused */
    gr_buf_init(&chain, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_cert_chain_make(wp.key, "Leaf", 1, &chain, &err), 0);
    assert_null(gr_trust_load_pem(gr_buf_str(&chain), &err));
    assert_code(err.code, GR_ERR_BAD_CLAIM);
    assert_null(gr_trust_load_pem(GR_STR("no certificate"), &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    gr_buf_release(&chain);
    gr_trust_free(NULL);
    provider_release(&other);
    provider_release(&wp);
}

/* ---- attest.h: key attestations ---- */

static void test_key_attestation(void **state)
{
    static const char *const high[] = { HIGH, NULL };
    struct provider wp;
    struct gr_jwk *keys[2] = { t_keygen(), t_keygen() };
    struct gr_key_attestation a;
    struct gr_buf jwt;
    struct gr_err err;
    int64_t now = time(NULL);
    struct gr_key_attestation_check c = { .now = now, .require_exp = true, .key_storage = high };

    (void)state;
    provider_init(&wp);
    c.anchors = wp.anchors;
    gr_buf_init(&jwt, GR_BUF_UNBOUNDED);
    key_attestation(&wp, now, now + 3600, keys, 2, "[\"" HIGH "\"]", &jwt);
    c.jwt = gr_buf_str(&jwt);

    gr_key_attestation_init(&a);
    assert_int_equal(a.count, 0);
    assert_null(a.keys[0]);
    assert_int_equal(gr_key_attestation_verify(&c, &a, &err), 0);
    assert_int_equal(a.count, 2);
    assert_true(gr_jwk_equal(a.keys[0], keys[0])); /* in order */
    assert_true(gr_jwk_equal(a.keys[1], keys[1]));
    assert_true(a.has_nonce);
    assert_string_equal(a.nonce, "c-nonce-1");
    assert_int_equal(a.iat, now);
    assert_int_equal(a.exp, now + 3600);
    gr_key_attestation_release(&a); /* frees the keys and empties it */
    assert_int_equal(a.count, 0);
    assert_null(a.keys[0]);
    assert_false(a.has_nonce);

    c.anchors = NULL; /* no trusted provider: refused */
    assert_code(t_code(gr_key_attestation_verify(&c, &a, &err), &err), GR_ERR_INVALID_PROOF);
    assert_int_equal(a.count, 0); /* left empty */
    c.anchors = wp.anchors;
    gr_buf_reset(&jwt);
    key_attestation(&wp, now, 0, keys, 1, "[\"" HIGH "\"]", &jwt); /* no exp */
    c.jwt = gr_buf_str(&jwt);
    assert_code(t_code(gr_key_attestation_verify(&c, &a, &err), &err), GR_ERR_INVALID_PROOF);
    c.require_exp = false;
    assert_int_equal(gr_key_attestation_verify(&c, &a, &err), 0);
    gr_key_attestation_release(&a);
    gr_buf_reset(&jwt);
    key_attestation(&wp, now, now + 3600, keys, 1, "[\"iso_18045_moderate\"]", &jwt);
    c.jwt = gr_buf_str(&jwt);
    assert_code(t_code(gr_key_attestation_verify(&c, &a, &err), &err), GR_ERR_INVALID_PROOF);
    assert_int_equal(a.count, 0);

    gr_key_attestation_release(&a); /* harmless when empty */
    gr_buf_release(&jwt);
    gr_jwk_free(keys[0]);
    gr_jwk_free(keys[1]);
    provider_release(&wp);
}

/* ---- proof.h ---- */

/* A `jwt` key proof signed by `key`, with `jwk` (or `key_attestation`) in its header. */
static void jwt_proof(const struct gr_jwk *key, const char *key_attestation, const char *aud,
                      int64_t iat, struct gr_buf *out)
{
    struct gr_buf header, payload;
    struct gr_err err;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_adds(&header, "{\"typ\":\"" PROOF_TYP "\",\"alg\":\"ES256\",");
    if (key_attestation) {
        gr_buf_printf(&header, "\"kid\":\"0\",\"key_attestation\":\"%s\"}", key_attestation);
    } else {
        gr_buf_adds(&header, "\"jwk\":");
        gr_jwk_to_json(key, false, &header);
        gr_buf_addc(&header, '}');
    }
    gr_buf_printf(&payload, "{\"aud\":\"%s\",\"iat\":%lld,\"nonce\":\"c-nonce-1\"}", aud,
                  (long long)iat);
    assert_int_equal(gr_jws_sign(key, gr_buf_str(&header), gr_buf_str(&payload), out, &err), 0);
    gr_buf_release(&header);
    gr_buf_release(&payload);
}

static void test_proof_jwt(void **state)
{
    struct provider wp;
    struct gr_jwk *holder = t_keygen(), *keys[2] = { t_keygen(), t_keygen() };
    struct gr_proof p;
    struct gr_buf proof, ka;
    struct gr_err err;
    int64_t now = time(NULL);
    struct gr_proof_check c = { .audience = GR_STR(AUD), .now = now };

    (void)state;
    provider_init(&wp);
    gr_buf_init(&proof, GR_BUF_UNBOUNDED);
    gr_buf_init(&ka, GR_BUF_UNBOUNDED);

    gr_proof_init(&p);
    assert_int_equal(p.key_count, 0);
    assert_null(p.key);
    jwt_proof(holder, NULL, AUD, now, &proof);
    c.jwt = gr_buf_str(&proof);
    assert_int_equal(gr_proof_verify_jwt(&c, &p, &err), 0);
    assert_int_equal(p.key_count, 1);
    assert_ptr_equal(p.key, p.keys[0]);
    assert_true(gr_jwk_equal(p.key, holder));
    assert_false(gr_jwk_is_private(p.key));
    assert_false(p.attested);
    assert_true(p.has_nonce);
    assert_string_equal(p.nonce, "c-nonce-1");
    gr_proof_release(&p);
    assert_int_equal(p.key_count, 0);
    assert_null(p.keys[0]);
    assert_null(p.key);

    c.require_attestation = true; /* a plain `jwk` proof is not enough then */
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);
    assert_int_equal(p.key_count, 0);
    c.require_attestation = false;
    c.now = now + 3600; /* iat an hour old */
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);
    c.now = now;
    c.audience = GR_STR("https://other.example.com");
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);
    c.audience = (struct gr_str){ NULL, 0 };
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err), GR_ERR_USAGE);
    c.audience = GR_STR(AUD);

    /* the EUDI wallet's shape: two keys attested, the proof signed by the first */
    key_attestation(&wp, now, now + 3600, keys, 2, "[\"" HIGH "\"]", &ka);
    gr_buf_reset(&proof);
    jwt_proof(keys[0], ka.data, AUD, now, &proof);
    c.jwt = gr_buf_str(&proof);
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err),
                GR_ERR_INVALID_PROOF); /* no trusted wallet providers */
    c.wallet_providers = wp.anchors;
    c.require_attestation = true;
    assert_int_equal(gr_proof_verify_jwt(&c, &p, &err), 0);
    assert_true(p.attested);
    assert_int_equal(p.key_count, 2);
    assert_true(gr_jwk_equal(p.keys[1], keys[1]));
    assert_true(p.has_attestation_nonce);
    assert_string_equal(p.attestation_nonce, "c-nonce-1");
    gr_proof_release(&p);
    gr_buf_reset(&proof);
    jwt_proof(keys[1], ka.data, AUD, now, &proof); /* signed by the second key: refused */
    c.jwt = gr_buf_str(&proof);
    assert_code(t_code(gr_proof_verify_jwt(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);

    gr_proof_release(&p);
    gr_buf_release(&ka);
    gr_buf_release(&proof);
    gr_jwk_free(holder);
    gr_jwk_free(keys[0]);
    gr_jwk_free(keys[1]);
    provider_release(&wp);
}

static void test_proof_attestation(void **state)
{
    static const char *const high[] = { HIGH, NULL };
    struct provider wp;
    struct gr_jwk *keys[2] = { t_keygen(), t_keygen() };
    struct gr_proof p;
    struct gr_buf ka;
    struct gr_err err;
    int64_t now = time(NULL);
    struct gr_proof_check c = { .now = now, .key_storage = high };

    (void)state;
    provider_init(&wp);
    gr_buf_init(&ka, GR_BUF_UNBOUNDED);
    key_attestation(&wp, now, 0, keys, 2, "[\"" HIGH "\"]", &ka);
    c.jwt = gr_buf_str(&ka);

    gr_proof_init(&p);
    assert_code(t_code(gr_proof_verify_attestation(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);
    c.wallet_providers = wp.anchors; /* `audience` is not read for this type */
    assert_int_equal(gr_proof_verify_attestation(&c, &p, &err), 0);
    assert_true(p.attested);
    assert_int_equal(p.key_count, 2);
    assert_true(gr_jwk_equal(p.keys[0], keys[0]));
    assert_true(p.has_nonce && p.has_attestation_nonce);
    assert_string_equal(p.nonce, p.attestation_nonce);
    gr_proof_release(&p);

    c.now = now + 3600; /* no proof of possession: the attestation's age counts */
    assert_code(t_code(gr_proof_verify_attestation(&c, &p, &err), &err), GR_ERR_INVALID_PROOF);
    assert_int_equal(p.key_count, 0);
    gr_buf_release(&ka);
    gr_jwk_free(keys[0]);
    gr_jwk_free(keys[1]);
    provider_release(&wp);
}

/* ---- attest.h: wallet attestations ---- */

static void test_client_attestation(void **state)
{
    struct provider wp;
    struct gr_jwk *instance = t_keygen(), *other = t_keygen();
    struct gr_buf att, pop, payload;
    struct gr_client_attestation out, out2;
    struct gr_err err;
    int64_t now = time(NULL);
    uint8_t jkt[32];
    struct gr_client_attestation_check c = {
        .attestation_count = 1, .pop_count = 1, .audience = GR_STR(AUD), .now = now
    };

    (void)state;
    provider_init(&wp);
    c.anchors = wp.anchors;
    gr_buf_init(&att, GR_BUF_UNBOUNDED);
    gr_buf_init(&pop, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_printf(&payload,
                  "{\"iss\":\"https://wallet.example.org\",\"sub\":\"" CLIENT "\",\"iat\":%lld,"
                  "\"exp\":%lld,\"wallet_name\":\"Test\\u00e9 Wallet\",\"cnf\":{\"jwk\":",
                  (long long)now, (long long)now + 3600);
    gr_jwk_to_json(instance, false, &payload);
    gr_buf_adds(&payload, "}}");
    provider_sign(&wp, ATT_TYP, payload.data, &att);
    gr_buf_reset(&payload);
    gr_buf_printf(&payload,
                  "{\"iss\":\"" CLIENT "\",\"aud\":\"" AUD "\",\"jti\":\"j-1\",\"iat\":%lld}",
                  (long long)now);
    assert_int_equal(gr_jws_sign(instance, GR_STR("{\"typ\":\"" POP_TYP "\",\"alg\":\"ES256\"}"),
                                 gr_buf_str(&payload), &pop, &err),
                     0);
    c.attestation = gr_buf_str(&att);
    c.pop = gr_buf_str(&pop);

    assert_int_equal(gr_client_attestation_verify(&c, &out, &err), 0);
    assert_string_equal(out.client_id, CLIENT);
    gr_jwk_thumbprint(instance, jkt);
    assert_memory_equal(out.jkt, jkt, 32);
    assert_int_equal(out.pop_iat, now);
    assert_int_equal(out.exp, now + 3600);
    assert_string_equal(out.wallet_name, "Test?? Wallet"); /* é's two bytes, not printable ASCII */
    c.client_id = GR_STR(CLIENT); /* the token request's client_id agrees */
    assert_int_equal(gr_client_attestation_verify(&c, &out2, &err), 0);
    assert_memory_equal(out2.jti_hash, out.jti_hash, 32); /* the same PoP: the same replay key */

    c.client_id = GR_STR("someone-else");
    assert_code(t_code(gr_client_attestation_verify(&c, &out, &err), &err),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c.client_id = (struct gr_str){ NULL, 0 };
    c.pop_count = 2;
    assert_code(t_code(gr_client_attestation_verify(&c, &out, &err), &err),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c.pop_count = 1;
    c.anchors = NULL;
    assert_code(t_code(gr_client_attestation_verify(&c, &out, &err), &err),
                GR_ERR_INVALID_CLIENT_ATTESTATION);
    c.anchors = wp.anchors;
    c.audience = (struct gr_str){ NULL, 0 };
    assert_code(t_code(gr_client_attestation_verify(&c, &out, &err), &err), GR_ERR_USAGE);
    c.audience = GR_STR(AUD);
    gr_buf_reset(&pop); /* a PoP by a key the attestation does not name */
    assert_int_equal(gr_jws_sign(other, GR_STR("{\"typ\":\"" POP_TYP "\",\"alg\":\"ES256\"}"),
                                 gr_buf_str(&payload), &pop, &err),
                     0);
    c.pop = gr_buf_str(&pop);
    assert_code(t_code(gr_client_attestation_verify(&c, &out, &err), &err),
                GR_ERR_INVALID_CLIENT_ATTESTATION);

    gr_buf_release(&payload);
    gr_buf_release(&pop);
    gr_buf_release(&att);
    gr_jwk_free(instance);
    gr_jwk_free(other);
    provider_release(&wp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_and_x5c),      cmocka_unit_test(test_key_attestation),
        cmocka_unit_test(test_proof_jwt),          cmocka_unit_test(test_proof_attestation),
        cmocka_unit_test(test_client_attestation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

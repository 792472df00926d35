/* SD-JWT VC verification against hostile input (STYLE §4.2) and key binding. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sdjwt_test.h"

#define NOW 1764000100

struct fixture {
    struct gr_jwk *issuer, *holder, *other;
    struct gr_buf good; /* a PID credential issued by `issuer`, bound to `holder` */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct gr_signer *s = t_signer(T4_ISSUER_JWK);
    struct gr_sdjwt_vc_spec spec = {
        .vct = GR_STR(PID_VCT),
        .claims_json = GR_STR(PID_CLAIMS),
        .disclosable_json = GR_STR(PID_DISCLOSABLE),
        .decoys_min = 1,
        .decoys_max = 4,
    };
    struct gr_err err;
    struct gr_sdjwt_vc_template *t = gr_sdjwt_vc_template_new(&spec, s, &err);
    struct gr_sdjwt_vc_issued out[1];
    const struct gr_jwk *keys[1];

    f->issuer = t_jwk(T4_ISSUER_JWK);
    f->holder = t_jwk(T4_HOLDER_JWK);
    f->other = t_keygen();
    keys[0] = f->holder;
    struct gr_sdjwt_vc_batch b = {
        .iat = NOW - 100, .exp = NOW + 3600, .count = 1, .holder_keys = keys
    };
    assert_int_equal(gr_sdjwt_vc_issue(t, &b, out, &err), 0);
    f->good = out[0].credential;
    gr_sdjwt_vc_template_free(t);
    gr_signer_free(s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    gr_jwk_free(f->issuer);
    gr_jwk_free(f->holder);
    gr_jwk_free(f->other);
    gr_buf_release(&f->good);
    free(f);
    return 0;
}

static enum gr_errc verify_code(const struct fixture *f, struct gr_str cred,
                                const struct gr_sdjwt_vc_verify_opts *o)
{
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;
    int rc;

    gr_sdjwt_vc_verified_init(&v);
    rc = gr_sdjwt_vc_verify(cred, f->issuer, o, &v, &err);
    if (rc < 0 && (strchr(err.desc, '"') || strlen(err.desc) == 0))
        fail_msg("description unfit for error_description: '%s'", err.desc);
    gr_sdjwt_vc_verified_release(&v);
    return t_code(rc, &err);
}

/* An SD-JWT signed by the T4 issuer over `payload`, followed by `tail` ("d1~d2~"). */
static void craft(const char *payload, const char *tail, struct gr_buf *out)
{
    struct gr_jwk *issuer = t_jwk(T4_ISSUER_JWK);
    struct gr_err err;

    gr_buf_init(out, GR_BUF_UNBOUNDED);
    if (gr_jws_sign(issuer, GR_STR("{\"alg\":\"ES256\",\"typ\":\"dc+sd-jwt\"}"), gr_str_c(payload),
                    out, &err))
        fail_msg("sign: %s", err.desc);
    gr_buf_addc(out, '~');
    gr_buf_adds(out, tail);
    gr_jwk_free(issuer);
}

/* A disclosure of `json` (an array's JSON text) and its digest. */
static void disclosure(const char *json, struct gr_buf *b64, char digest[GR_SDJWT_DIGEST_LEN + 1])
{
    gr_buf_init(b64, GR_BUF_UNBOUNDED);
    gr_buf_add_b64url(b64, json, strlen(json));
    gr_sdjwt_digest(gr_buf_str(b64), digest);
}

static void test_good(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };

    assert_code(verify_code(f, gr_buf_str(&f->good), &o), GR_ERR_OK);
}

/* Every byte of the signature flipped, one at a time. */
static void test_signature_flips(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };
    char *cred = strndup(f->good.data, f->good.len);
    char *sig = strchr(strchr(cred, '.') + 1, '.') + 1, *end = strchr(sig, '~');
    uint8_t raw[64];
    size_t n;
    struct gr_err err;
    char enc[87];

    assert_int_equal(
        gr_b64url_decode((struct gr_str){ sig, (size_t)(end - sig) }, raw, sizeof(raw), &n, &err),
        0);
    assert_int_equal(n, 64);
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] ^= 0x01;
        gr_b64url_encode(raw, sizeof(raw), enc);
        memcpy(sig, enc, 86);
        assert_code(verify_code(f, gr_str_c(cred), &o), GR_ERR_BAD_SIGNATURE);
        raw[i] ^= 0x01;
    }
    gr_b64url_encode(raw, sizeof(raw), enc);
    memcpy(sig, enc, 86);
    assert_code(verify_code(f, gr_str_c(cred), &o), GR_ERR_OK);
    free(cred);
}

/* Another issuer's key, an unsigned token, a wrong typ. */
static void test_wrong_key_alg_typ(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;
    struct gr_buf b;

    gr_sdjwt_vc_verified_init(&v);
    assert_code(t_code(gr_sdjwt_vc_verify(gr_buf_str(&f->good), f->other, &o, &v, &err), &err),
                GR_ERR_BAD_SIGNATURE);
    gr_sdjwt_vc_verified_release(&v);
    /* alg none: {"alg":"none","typ":"dc+sd-jwt"} . {"vct":"x"} . */
    assert_code(
        verify_code(f, GR_STR("eyJhbGciOiJub25lIiwidHlwIjoiZGMrc2Qtand0In0.eyJ2Y3QiOiJ4In0.~"), &o),
        GR_ERR_UNSUPPORTED_ALG);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    assert_int_equal(gr_jws_sign(f->issuer, GR_STR("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"),
                                 GR_STR("{\"vct\":\"x\"}"), &b, &err),
                     0);
    gr_buf_addc(&b, '~');
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_BAD_TYP);
    gr_buf_release(&b);
}

static void test_structure(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };
    struct gr_buf b;

    assert_code(verify_code(f, GR_STR("not an sd-jwt"), &o), GR_ERR_MALFORMED);
    assert_code(verify_code(f, GR_STR(""), &o), GR_ERR_MALFORMED);
    assert_code(verify_code(f, GR_STR("~"), &o), GR_ERR_MALFORMED);
    craft("{\"vct\":\"x\"}", "~", &b); /* an empty disclosure */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\"}", "bm90IGpzb24~", &b); /* "not json" */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\"}", "WyJhIl0~", &b); /* ["a"]: too short */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\"}", "WyJhIiwgImIiLCAxLCAyXQ~", &b); /* ["a", "b", 1, 2] */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\"}", "WyJhIiwgMSwgMl0~", &b); /* ["a", 1, 2]: name not a string */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\"}", "Zm9v+g~", &b); /* not base64url */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\",\"_sd\":\"abc\"}", "", &b); /* _sd not an array */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\",\"_sd\":[1]}", "", &b); /* _sd entry not a string */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\",\"a\":[{\"...\":\"x\",\"b\":1}]}", "", &b); /* ... with company */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_MALFORMED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\",\"_sd_alg\":\"sha-512\"}", "", &b);
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_UNSUPPORTED_ALG);
    gr_buf_release(&b);
    craft("{\"_sd_alg\":\"sha-256\"}", "", &b); /* no vct */
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_BAD_CLAIM);
    gr_buf_release(&b);
}

/* Orphans, duplicates, reserved and colliding names, misplaced disclosures (RFC 9901 §7.1). */
static void test_disclosure_rules(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };
    struct gr_buf d1, d2, dsd, dcnf, darr, cred, tail, payload;
    char h1[44], h2[44], hsd[44], hcnf[44], harr[44];

    disclosure("[\"salt1\", \"given_name\", \"Erika\"]", &d1, h1);
    disclosure("[\"salt2\", \"family_name\", \"M\"]", &d2, h2);
    disclosure("[\"salt3\", \"_sd\", 1]", &dsd, hsd);
    disclosure("[\"salt4\", \"cnf\", {}]", &dcnf, hcnf);
    disclosure("[\"salt5\", \"DE\"]", &darr, harr);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&tail, GR_BUF_UNBOUNDED);

#define CASE(pl, tl, want)                                        \
    do {                                                          \
        gr_buf_reset(&payload);                                   \
        gr_buf_reset(&tail);                                      \
        pl;                                                       \
        tl;                                                       \
        craft(payload.data, tail.data ? tail.data : "", &cred);   \
        assert_code(verify_code(f, gr_buf_str(&cred), &o), want); \
        gr_buf_release(&cred);                                    \
    } while (0)

    /* Sanity: one good disclosure. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", h1),
         gr_buf_printf(&tail, "%s~", d1.data), GR_ERR_OK);
    /* A disclosure no digest refers to. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", h1),
         gr_buf_printf(&tail, "%s~%s~", d1.data, d2.data), GR_ERR_ORPHAN);
    /* The same disclosure twice. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", h1),
         gr_buf_printf(&tail, "%s~%s~", d1.data, d1.data), GR_ERR_DUPLICATE);
    /* The same digest twice in the payload. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\",\"%s\"]}", h1, h1),
         gr_buf_printf(&tail, "%s~", d1.data), GR_ERR_DUPLICATE);
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"],\"a\":{\"_sd\":[\"%s\"]}}", h1,
                       h1),
         gr_buf_printf(&tail, "%s~", d1.data), GR_ERR_DUPLICATE);
    /* A decoy repeated is a duplicate digest too. */
    CASE(gr_buf_adds(&payload,
                     "{\"vct\":\"x\",\"_sd\":[\"decoydecoydecoydecoydecoydecoydecoydecoyAAA\","
                     "\"decoydecoydecoydecoydecoydecoydecoydecoyAAA\"]}"),
         (void)0, GR_ERR_DUPLICATE);
    /* A disclosed name already plain in its object. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"given_name\":\"A\",\"_sd\":[\"%s\"]}", h1),
         gr_buf_printf(&tail, "%s~", d1.data), GR_ERR_DUPLICATE);
    /* A disclosure named _sd. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", hsd),
         gr_buf_printf(&tail, "%s~", dsd.data), GR_ERR_RESERVED_NAME);
    /* cnf may never be a disclosure. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", hcnf),
         gr_buf_printf(&tail, "%s~", dcnf.data), GR_ERR_RESERVED_NAME);
    /* An array element disclosure in _sd, and an object property one in an array. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"_sd\":[\"%s\"]}", harr),
         gr_buf_printf(&tail, "%s~", darr.data), GR_ERR_MALFORMED);
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"n\":[{\"...\":\"%s\"}]}", h1),
         gr_buf_printf(&tail, "%s~", d1.data), GR_ERR_MALFORMED);
    /* An array element disclosure used twice. */
    CASE(gr_buf_printf(&payload, "{\"vct\":\"x\",\"n\":[{\"...\":\"%s\"},{\"...\":\"%s\"}]}", harr,
                       harr),
         gr_buf_printf(&tail, "%s~", darr.data), GR_ERR_DUPLICATE);
#undef CASE
    gr_buf_release(&d1);
    gr_buf_release(&d2);
    gr_buf_release(&dsd);
    gr_buf_release(&dcnf);
    gr_buf_release(&darr);
    gr_buf_release(&tail);
    gr_buf_release(&payload);
}

/* A holder may leave disclosures out; the rest still verifies. */
static void test_partial_disclosure(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW };
    char *cred = strndup(f->good.data, f->good.len);
    char *first = strchr(cred, '~') + 1, *second = strchr(first, '~') + 1;

    memmove(first, second, strlen(second) + 1); /* drop the first disclosure */
    assert_code(verify_code(f, gr_str_c(cred), &o), GR_ERR_OK);
    free(cred);
}

static void test_validity_period(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = { .now = NOW + 3600 };
    struct gr_buf b;

    assert_code(verify_code(f, gr_buf_str(&f->good), &o), GR_ERR_EXPIRED);
    o.leeway = 60;
    assert_code(verify_code(f, gr_buf_str(&f->good), &o), GR_ERR_OK);
    o = (struct gr_sdjwt_vc_verify_opts){ .now = NOW };
    craft("{\"vct\":\"x\",\"nbf\":1764009999}", "", &b);
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_EXPIRED);
    gr_buf_release(&b);
    craft("{\"vct\":\"x\",\"exp\":\"soon\"}", "", &b);
    assert_code(verify_code(f, gr_buf_str(&b), &o), GR_ERR_BAD_CLAIM);
    gr_buf_release(&b);
}

static void present(const struct fixture *f, const struct gr_jwk *key, const char *aud,
                    const char *nonce, int64_t iat, struct gr_buf *out)
{
    struct gr_err err;

    gr_buf_init(out, GR_BUF_UNBOUNDED);
    if (gr_sdjwt_present(gr_buf_str(&f->good), key, gr_str_c(aud), gr_str_c(nonce), iat, out, &err))
        fail_msg("present: %s", err.desc);
}

static void test_key_binding(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_verify_opts o = {
        .now = NOW,
        .kb_aud = GR_STR("https://verifier.example.org"),
        .kb_nonce = GR_STR("n-0S6"),
        .require_kb = true,
    };
    struct gr_sdjwt_vc_verified v;
    struct gr_buf p;
    struct gr_err err;
    char *cut;

    present(f, f->holder, "https://verifier.example.org", "n-0S6", NOW, &p);
    gr_sdjwt_vc_verified_init(&v);
    assert_int_equal(gr_sdjwt_vc_verify(gr_buf_str(&p), f->issuer, &o, &v, &err), 0);
    assert_true(v.key_bound);
    gr_sdjwt_vc_verified_release(&v);
    /* Without KB, while required. */
    assert_code(verify_code(f, gr_buf_str(&f->good), &o), GR_ERR_BAD_CLAIM);
    /* Another audience, another nonce. */
    o.kb_aud = GR_STR("https://elsewhere.example.org");
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_BAD_CLAIM);
    o.kb_aud = GR_STR("https://verifier.example.org");
    o.kb_nonce = GR_STR("n-other");
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_BAD_CLAIM);
    o.kb_nonce = GR_STR("n-0S6");
    /* A disclosure dropped after binding: sd_hash no longer matches. */
    cut = strndup(p.data, p.len);
    {
        char *first = strchr(cut, '~') + 1, *second = strchr(first, '~') + 1;

        memmove(first, second, strlen(second) + 1);
    }
    assert_code(verify_code(f, gr_str_c(cut), &o), GR_ERR_BAD_CLAIM);
    free(cut);
    gr_buf_release(&p);
    /* Signed by a key that is not cnf.jwk. */
    present(f, f->other, "https://verifier.example.org", "n-0S6", NOW, &p);
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_BAD_SIGNATURE);
    gr_buf_release(&p);
    /* Stale, and from the future. */
    present(f, f->holder, "https://verifier.example.org", "n-0S6", NOW - 301, &p);
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_EXPIRED);
    gr_buf_release(&p);
    present(f, f->holder, "https://verifier.example.org", "n-0S6", NOW + 120, &p);
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_EXPIRED);
    gr_buf_release(&p);
    /* A KB-JWT with the wrong typ. */
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    gr_buf_addstr(&p, gr_buf_str(&f->good));
    assert_int_equal(gr_jws_sign(f->holder, GR_STR("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"),
                                 GR_STR("{\"iat\":1764000100}"), &p, &err),
                     0);
    assert_code(verify_code(f, gr_buf_str(&p), &o), GR_ERR_BAD_TYP);
    gr_buf_release(&p);
    /* Presenting something that is not an SD-JWT. */
    gr_buf_init(&p, GR_BUF_UNBOUNDED);
    assert_code(
        t_code(gr_sdjwt_present(GR_STR("abc"), f->holder, GR_STR("a"), GR_STR("n"), NOW, &p, &err),
               &err),
        GR_ERR_MALFORMED);
    gr_buf_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_signature_flips),
        cmocka_unit_test(test_wrong_key_alg_typ),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_disclosure_rules),
        cmocka_unit_test(test_partial_disclosure),
        cmocka_unit_test(test_validity_period),
        cmocka_unit_test(test_key_binding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

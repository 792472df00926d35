/* SD-JWT VC issuance: shape of what is made, batches, and every refusal of bad input. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sdjwt_test.h"

struct fixture {
    struct gr_signer *signer;
    struct gr_jwk *holder[3];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->signer = t_signer(T4_ISSUER_JWK);
    for (size_t i = 0; i < GR_NELEM(f->holder); i++)
        f->holder[i] = t_keygen();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    gr_signer_free(f->signer);
    for (size_t i = 0; i < GR_NELEM(f->holder); i++)
        gr_jwk_free(f->holder[i]);
    free(f);
    return 0;
}

static struct gr_sdjwt_vc_spec pid_spec(void)
{
    return (struct gr_sdjwt_vc_spec){
        .vct = GR_STR(PID_VCT),
        .iss = GR_STR("https://issuer.example.com"),
        .claims_json = GR_STR(PID_CLAIMS),
        .disclosable_json = GR_STR(PID_DISCLOSABLE),
        .decoys_min = GR_SDJWT_DECOYS_MIN,
        .decoys_max = GR_SDJWT_DECOYS_MAX,
    };
}

/* Decode the issuer-signed JWT's payload of a credential. */
static json_t *payload_of(const char *cred)
{
    struct gr_jws jws;
    struct gr_err err;
    const char *tilde = strchr(cred, '~');
    json_t *p;

    gr_jws_init(&jws);
    assert_non_null(tilde);
    assert_int_equal(gr_jws_parse((struct gr_str){ cred, (size_t)(tilde - cred) }, &jws, &err), 0);
    assert_true(gr_jws_typ_is(jws.typ, "dc+sd-jwt"));
    assert_string_equal(jws.alg.p, "ES256");
    p = json_loadb(jws.payload.p, jws.payload.len, 0, NULL); /* the decoded text, public */
    assert_non_null(p);
    gr_jws_release(&jws);
    return p;
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

static void issue(struct fixture *f, const struct gr_sdjwt_vc_spec *spec, size_t count,
                  struct gr_sdjwt_vc_issued *out)
{
    struct gr_err err;
    struct gr_sdjwt_vc_template *t = gr_sdjwt_vc_template_new(spec, f->signer, &err);
    struct gr_status_ref status[3] = {
        { GR_STR("https://issuer.example.com/status-lists/1"), 7 },
        { GR_STR("https://issuer.example.com/status-lists/1"), 99 },
        { GR_STR("https://issuer.example.com/status-lists/2"), 3 },
    };
    const struct gr_jwk *keys[3] = { f->holder[0], f->holder[1], f->holder[2] };
    struct gr_sdjwt_vc_batch b = {
        .iat = 1764000000,
        .exp = 1764000000 + 86400,
        .count = count,
        .holder_keys = keys,
        .status = status,
    };

    if (t == NULL)
        fail_msg("template: %s", err.desc);
    if (gr_sdjwt_vc_issue(t, &b, out, &err) < 0)
        fail_msg("issue: %s", err.desc);
    gr_sdjwt_vc_template_free(t);
}

/* The payload carries what SD-JWT VC requires and nothing of the hidden claims. */
static void test_payload_shape(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_issued out[1];
    json_t *p, *sd, *jwk;
    struct gr_buf want;

    issue(f, &spec, 1, out);
    p = payload_of(out[0].credential.data);
    assert_string_equal(json_string_value(json_object_get(p, "vct")), PID_VCT);
    assert_string_equal(json_string_value(json_object_get(p, "iss")), "https://issuer.example.com");
    assert_int_equal(json_integer_value(json_object_get(p, "iat")), 1764000000);
    assert_int_equal(json_integer_value(json_object_get(p, "exp")), 1764000000 + 86400);
    assert_null(json_object_get(p, "nbf"));
    assert_string_equal(json_string_value(json_object_get(p, "_sd_alg")), "sha-256");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(p, "status"), "status_list"), "idx")),
                     7);
    jwk = json_object_get(json_object_get(p, "cnf"), "jwk");
    gr_buf_init(&want, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(f->holder[0], false, &want);
    {
        char *got = json_dumps(jwk, JSON_COMPACT);

        assert_string_equal(got, want.data);
        free(got);
    }
    gr_buf_release(&want);
    /* Plain claims stay plain; disclosable ones are gone from the payload. */
    assert_string_equal(json_string_value(json_object_get(p, "issuing_country")), "DE");
    assert_null(json_object_get(p, "given_name"));
    assert_null(json_object_get(p, "address"));
    assert_true(json_is_array(json_object_get(p, "nationalities"))); /* stays, elements hidden */
    assert_non_null(json_object_get(json_array_get(json_object_get(p, "nationalities"), 0), "..."));
    /* age_equal_or_over stays an object with its members behind digests. */
    assert_non_null(json_object_get(json_object_get(p, "age_equal_or_over"), "_sd"));
    /* Top level: 8 disclosable members plus 1..4 decoys. */
    sd = json_object_get(p, "_sd");
    assert_true(json_array_size(sd) >= 8 + GR_SDJWT_DECOYS_MIN);
    assert_true(json_array_size(sd) <= 8 + GR_SDJWT_DECOYS_MAX);
    /* 15 disclosures: 8 top-level, 3 in address, 2 nationalities, 2 age_equal_or_over. */
    assert_int_equal(count_char(out[0].credential.data, '~'), 1 + 15);
    assert_int_equal(out[0].credential.data[out[0].credential.len - 1], '~');
    json_decref(p);
    gr_sdjwt_vc_issued_release(out, 1);
}

/* The credential verifies and gives back exactly the subject's claims. */
static void test_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_issued out[1];
    struct gr_sdjwt_vc_verify_opts o = { .now = 1764000100 };
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;
    json_t *claims, *subject;
    json_error_t jerr;
    const char *key;
    json_t *val;

    issue(f, &spec, 1, out);
    gr_sdjwt_vc_verified_init(&v);
    if (gr_sdjwt_vc_verify(gr_buf_str(&out[0].credential), gr_signer_jwk(f->signer), &o, &v, &err))
        fail_msg("verify: %s", err.desc);
    claims = json_loads(v.claims.data, 0, &jerr);
    subject = json_loads(PID_CLAIMS, 0, &jerr);
    json_object_foreach (subject, key, val)
        assert_true(json_equal(val, json_object_get(claims, key)));
    assert_int_equal(v.disclosures, 15);
    json_decref(claims);
    json_decref(subject);
    gr_sdjwt_vc_verified_release(&v);
    gr_sdjwt_vc_issued_release(out, 1);
}

/* A batch: its own key, status, id, salts and decoys for every credential. */
static void test_batch_is_unlinkable(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_issued out[3];

    issue(f, &spec, 3, out);
    for (size_t i = 0; i < 3; i++) {
        json_t *p = payload_of(out[i].credential.data);
        struct gr_jwk *cnf;
        struct gr_err err;
        char *jwk = json_dumps(json_object_get(json_object_get(p, "cnf"), "jwk"), JSON_COMPACT);

        cnf = gr_jwk_parse(gr_str_c(jwk), GR_JWK_PUBLIC, &err);
        assert_non_null(cnf);
        assert_true(gr_jwk_equal(cnf, f->holder[i]));
        assert_int_equal(strlen(out[i].id), GR_SDJWT_ID_LEN);
        for (size_t j = 0; j < i; j++) {
            const char *a = strchr(out[i].credential.data, '~'),
                       *b = strchr(out[j].credential.data, '~');

            assert_string_not_equal(out[i].id, out[j].id);
            /* No disclosure (salt) is shared between two credentials. */
            for (const char *d = a + 1; *d; d = strchr(d, '~') + 1) {
                size_t len = (size_t)(strchr(d, '~') - d);
                char *needle = strndup(d, len);

                assert_null(strstr(b, needle));
                free(needle);
            }
        }
        free(jwk);
        gr_jwk_free(cnf);
        json_decref(p);
    }
    gr_sdjwt_vc_issued_release(out, 3);
}

/* With nothing disclosable there is no _sd, no _sd_alg and no disclosure (SD-JWT VC §2.2.2.5). */
static void test_nothing_disclosable(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_issued out[1];
    json_t *p;

    spec.disclosable_json = GR_STR("[]");
    issue(f, &spec, 1, out);
    p = payload_of(out[0].credential.data);
    assert_null(json_object_get(p, "_sd"));
    assert_null(json_object_get(p, "_sd_alg"));
    assert_string_equal(json_string_value(json_object_get(p, "given_name")), "Erika");
    assert_int_equal(count_char(out[0].credential.data, '~'), 1);
    json_decref(p);
    gr_sdjwt_vc_issued_release(out, 1);
}

/* The header names the key and, with a chain, would carry x5c; here: alg, typ, kid. */
static void test_header(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_issued out[1];
    struct gr_jws jws;
    struct gr_err err;
    const char *cred;

    issue(f, &spec, 1, out);
    cred = out[0].credential.data;
    gr_jws_init(&jws);
    assert_int_equal(
        gr_jws_parse((struct gr_str){ cred, (size_t)(strchr(cred, '~') - cred) }, &jws, &err), 0);
    assert_true(gr_str_eq(jws.kid, gr_signer_kid(f->signer)));
    assert_string_equal(gr_signer_kid(f->signer).p, "Q5yTSREAbvZL131ynDBhalXJcF9fL0foJlMN8u6ldiY");
    assert_int_equal(jws.x5c_count, 0);
    assert_int_equal(gr_jws_verify(&jws, gr_signer_jwk(f->signer), &err), 0);
    gr_jws_release(&jws);
    gr_sdjwt_vc_issued_release(out, 1);
}

static const struct {
    const char *claims;
    const char *disclosable;
    enum gr_errc want;
} bad_specs[] = {
    { "[1,2]", NULL, GR_ERR_MALFORMED },             /* claims not an object */
    { "{\"a\":", NULL, GR_ERR_MALFORMED },           /* not JSON */
    { "{\"a\":1,\"a\":2}", NULL, GR_ERR_MALFORMED }, /* duplicate member */
    { "{\"_sd\":[]}", NULL, GR_ERR_RESERVED_NAME },  /* SD-JWT's own names */
    { "{\"a\":{\"...\":1}}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"a\":[{\"_sd_alg\":1}]}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"iss\":\"x\"}", NULL, GR_ERR_RESERVED_NAME }, /* set by the issuer */
    { "{\"cnf\":{}}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"status\":{}}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"iat\":1}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"vct\":\"x\"}", NULL, GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[\"iss\"]", GR_ERR_RESERVED_NAME }, /* never disclosable */
    { "{\"a\":1}", "[\"nbf\"]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[\"exp\"]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[[\"cnf\",\"jwk\"]]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[\"vct\"]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[\"vct#integrity\"]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "[[\"status\",\"status_list\"]]", GR_ERR_RESERVED_NAME },
    { "{\"a\":1}", "{\"a\":true}", GR_ERR_MALFORMED },   /* not a list */
    { "{\"a\":1}", "[[]]", GR_ERR_MALFORMED },           /* empty path */
    { "{\"a\":1}", "[[0]]", GR_ERR_MALFORMED },          /* must start with a name */
    { "{\"a\":[1]}", "[[\"a\",-1]]", GR_ERR_MALFORMED }, /* negative index */
    { "{\"a\":[1]}", "[[\"a\",true]]", GR_ERR_MALFORMED },
    { "{\"a\":1}", "[42]", GR_ERR_MALFORMED },
    { "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", NULL, GR_ERR_MALFORMED }, /* too deep */
};

static void test_bad_specs(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < GR_NELEM(bad_specs); i++) {
        struct gr_sdjwt_vc_spec spec = { .vct = GR_STR("urn:x"),
                                         .claims_json = gr_str_c(bad_specs[i].claims),
                                         .disclosable_json = gr_str_c(bad_specs[i].disclosable) };
        struct gr_err err;
        struct gr_sdjwt_vc_template *t = gr_sdjwt_vc_template_new(&spec, f->signer, &err);

        if (t != NULL)
            fail_msg("case %zu accepted", i);
        assert_code(err.code, bad_specs[i].want);
        assert_null(strchr(err.desc, '"')); /* fit for error_description */
    }
}

/* Misuse of the API is a clear error too: no vct, a reversed decoy range, an empty batch. */
static void test_usage_errors(void **state)
{
    struct fixture *f = *state;
    struct gr_sdjwt_vc_spec spec = pid_spec();
    struct gr_sdjwt_vc_template *t;
    struct gr_sdjwt_vc_batch b = { .iat = 1764000000, .count = 0 };
    struct gr_sdjwt_vc_issued out[1];
    struct gr_err err;

    spec.vct = (struct gr_str){ NULL, 0 };
    assert_null(gr_sdjwt_vc_template_new(&spec, f->signer, &err));
    assert_code(err.code, GR_ERR_USAGE);
    spec = pid_spec();
    spec.decoys_min = 5;
    spec.decoys_max = 2;
    assert_null(gr_sdjwt_vc_template_new(&spec, f->signer, &err));
    assert_code(err.code, GR_ERR_USAGE);
    spec = pid_spec();
    t = gr_sdjwt_vc_template_new(&spec, f->signer, &err);
    assert_non_null(t);
    assert_code(t_code(gr_sdjwt_vc_issue(t, &b, out, &err), &err), GR_ERR_USAGE);
    b.count = 1;
    b.exp = b.iat - 1; /* expires before it is issued */
    assert_code(t_code(gr_sdjwt_vc_issue(t, &b, out, &err), &err), GR_ERR_USAGE);
    gr_sdjwt_vc_template_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_shape),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_batch_is_unlinkable),
        cmocka_unit_test(test_nothing_disclosable),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* The request parsers of oid4vci.h: forms, token requests, credential requests, offer requests. */
#include "testutil.h"

#include <string.h>

#include <gramota/oid4vci.h>

static void test_form(void **state)
{
    struct gr_form f;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_form_parse(GR_STR("a=1&b=x+y%2Bz&&c=&d&e=%C3%A4"), &f, &err), 0);
    assert_true(gr_str_eq_c(gr_form_get(&f, "a"), "1"));
    assert_true(gr_str_eq_c(gr_form_get(&f, "b"), "x y+z"));
    assert_true(gr_str_eq_c(gr_form_get(&f, "c"), ""));
    assert_non_null(gr_form_get(&f, "d").p);
    assert_true(gr_str_eq_c(gr_form_get(&f, "e"), "\xc3\xa4"));
    assert_null(gr_form_get(&f, "z").p);
    gr_form_release(&f);
}

static void test_form_rejects(void **state)
{
    static const char *const bad[] = {
        "a=%zz",         /* not hex */
        "a=%4",          /* cut short */
        "a=%00",         /* an escaped NUL */
        "a=1&a=2",       /* twice (RFC 6749 §3.2) */
        "a%3D=1&a%3d=2", /* the same decoded name twice */
    };
    struct gr_form f;
    struct gr_err err;
    struct gr_buf many;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        assert_code(t_code(gr_form_parse(gr_str_c(bad[i]), &f, &err), &err),
                    GR_ERR_INVALID_REQUEST);
        gr_form_release(&f);
    }
    gr_buf_init(&many, GR_BUF_UNBOUNDED);
    for (int i = 0; i < GR_FORM_MAX_FIELDS + 1; i++)
        gr_buf_printf(&many, "p%d=1&", i);
    assert_code(t_code(gr_form_parse(gr_buf_str(&many), &f, &err), &err), GR_ERR_INVALID_REQUEST);
    gr_form_release(&f);
    gr_buf_release(&many);
}

static void test_token_request(void **state)
{
    struct gr_token_request tr;
    struct gr_err err;

    (void)state;
    assert_int_equal(
        gr_token_request_parse(
            GR_STR("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
                   "&pre-authorized_code=abc&tx_code=1234&resource=https%3A%2F%2Fx&client_id=w"),
            &tr, &err),
        0);
    assert_true(gr_str_eq_c(tr.code, "abc"));
    assert_true(gr_str_eq_c(tr.tx_code, "1234"));
    assert_true(gr_str_eq_c(tr.client_id, "w"));
    gr_token_request_release(&tr);
    /* Draft 11's user_pin stands for tx_code. */
    assert_int_equal(gr_token_request_parse(GR_STR("grant_type=" GR_GRANT_PRE_AUTHORIZED
                                                   "&pre-authorized_code=abc&user_pin=99"),
                                            &tr, &err),
                     0);
    assert_true(gr_str_eq_c(tr.tx_code, "99"));
    gr_token_request_release(&tr);
}

static void test_token_request_rejects(void **state)
{
    static const struct {
        const char *body;
        enum gr_errc want;
    } bad[] = {
        { "pre-authorized_code=abc", GR_ERR_INVALID_REQUEST },
        { "grant_type=authorization_code&code=x", GR_ERR_UNSUPPORTED_GRANT_TYPE },
        { "grant_type=" GR_GRANT_PRE_AUTHORIZED, GR_ERR_INVALID_REQUEST },
        { "grant_type=" GR_GRANT_PRE_AUTHORIZED "&pre-authorized_code=", GR_ERR_INVALID_REQUEST },
        { "grant_type=" GR_GRANT_PRE_AUTHORIZED "&pre-authorized_code=a&tx_code=1&user_pin=2",
          GR_ERR_INVALID_REQUEST },
        { "grant_type=" GR_GRANT_PRE_AUTHORIZED "&pre-authorized_code=a&pre-authorized_code=b",
          GR_ERR_INVALID_REQUEST },
    };
    struct gr_token_request tr;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        assert_code(t_code(gr_token_request_parse(gr_str_c(bad[i].body), &tr, &err), &err),
                    bad[i].want);
        assert_null(strchr(err.desc, '"'));
        gr_token_request_release(&tr);
    }
}

static void test_credential_request_dialects(void **state)
{
    struct gr_credential_request cr;
    struct gr_err err;

    (void)state;
    assert_int_equal(
        gr_credential_request_parse(
            GR_STR("{\"credential_configuration_id\":\"pid\",\"proofs\":{\"jwt\":[\"a\",\"b\"]},"
                   "\"unknown\":1}"),
            &cr, &err),
        0);
    assert_int_equal(cr.dialect, GR_VCI_1_0);
    assert_true(gr_str_eq_c(cr.configuration_id, "pid"));
    assert_int_equal(cr.proof_type, GR_PROOF_JWT);
    assert_int_equal(cr.proof_count, 2);
    assert_true(gr_str_eq_c(cr.proofs[1], "b"));
    gr_credential_request_release(&cr);
    assert_int_equal(
        gr_credential_request_parse(GR_STR("{\"credential_configuration_id\":\"pid\",\"proof\":{"
                                           "\"proof_type\":\"jwt\",\"jwt\":\"x\"}}"),
                                    &cr, &err),
        0);
    assert_int_equal(cr.dialect, GR_VCI_DRAFT15);
    assert_int_equal(cr.proof_count, 1);
    gr_credential_request_release(&cr);
    assert_int_equal(
        gr_credential_request_parse(GR_STR("{\"format\":\"vc+sd-jwt\",\"vct\":\"urn:x\",\"proof\":{"
                                           "\"proof_type\":\"jwt\",\"jwt\":\"x\"}}"),
                                    &cr, &err),
        0);
    assert_int_equal(cr.dialect, GR_VCI_DRAFT13);
    assert_true(gr_str_eq_c(cr.vct, "urn:x"));
    gr_credential_request_release(&cr);
    /* No proofs at all parses: whether the configuration needs them is the caller's question. */
    assert_int_equal(
        gr_credential_request_parse(GR_STR("{\"credential_configuration_id\":\"x\"}"), &cr, &err),
        0);
    assert_int_equal(cr.proof_count, 0);
    gr_credential_request_release(&cr);
}

static void test_credential_request_rejects(void **state)
{
    static const struct {
        const char *body;
        enum gr_errc want;
    } bad[] = {
        { "[1]", GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":", GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{}", GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":1}", GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"credential_identifier\":\"b\"}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"format\":\"dc+sd-jwt\"}", GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{}}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[\"x\"],\"attestation\":["
          "\"y\"]}}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[]}}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":\"x\"}}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[1]}}",
          GR_ERR_INVALID_PROOF },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"di_vp\":[\"x\"]}}",
          GR_ERR_INVALID_PROOF },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"attestation\":[\"x\",\"y\"]}}",
          GR_ERR_INVALID_CREDENTIAL_REQUEST },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[\"x\"]},\"proof\":{\"proof_"
          "type\":\"jwt\",\"jwt\":\"x\"}}",
          GR_ERR_INVALID_PROOF },
        { "{\"credential_configuration_id\":\"a\",\"proof\":{\"proof_type\":\"cwt\",\"cwt\":\"x\"}"
          "}",
          GR_ERR_INVALID_PROOF },
        { "{\"credential_configuration_id\":\"a\",\"proof\":{\"proof_type\":\"jwt\"}}",
          GR_ERR_INVALID_PROOF },
        { "{\"credential_configuration_id\":\"a\",\"credential_response_encryption\":{}}",
          GR_ERR_INVALID_ENCRYPTION_PARAMETERS },
    };
    struct gr_credential_request cr;
    struct gr_err err;
    struct gr_buf many;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        enum gr_errc got =
            t_code(gr_credential_request_parse(gr_str_c(bad[i].body), &cr, &err), &err);

        if (got != bad[i].want)
            fail_msg("case %zu: %s, expected %s", i, gr_errc_name(got), gr_errc_name(bad[i].want));
        gr_credential_request_release(&cr);
    }
    gr_buf_init(&many, GR_BUF_UNBOUNDED);
    gr_buf_adds(&many, "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[");
    for (int i = 0; i < GR_MAX_PROOFS + 1; i++)
        gr_buf_adds(&many, i ? ",\"p\"" : "\"p\"");
    gr_buf_adds(&many, "]}}");
    assert_code(t_code(gr_credential_request_parse(gr_buf_str(&many), &cr, &err), &err),
                GR_ERR_INVALID_CREDENTIAL_REQUEST);
    gr_credential_request_release(&cr);
    gr_buf_release(&many);
}

static void test_offer_request(void **state)
{
    struct gr_offer_request or ;
    struct gr_err err;

    (void)state;
    assert_int_equal(
        gr_offer_request_parse(
            GR_STR("{\"subject\":{\"given_name\":\"Ada\"},\"vct\":\"urn:eudi:pid:1\","
                   "\"txCode\":{\"length\":8,\"inputMode\":\"numeric\",\"description\":\"PIN\"},"
                   "\"selectivelyDisclosable\":[\"given_name\"],\"expiresIn\":600,"
                   "\"credentialExpiresIn\":86400,\"byReference\":true}"),
            & or, &err),
        0);
    assert_string_equal(or.subject_json.data, "{\"given_name\":\"Ada\"}");
    assert_string_equal(or.disclosable_json.data, "[\"given_name\"]");
    assert_true(or.tx_code);
    assert_int_equal(or.tx_length, 8);
    assert_true(gr_str_eq_c(or.tx_description, "PIN"));
    assert_int_equal(or.expires_in, 600);
    assert_int_equal(or.credential_expires_in, 86400);
    assert_true(or.by_reference);
    gr_offer_request_release(& or);
}

static void test_offer_request_rejects(void **state)
{
    static const char *const bad[] = {
        "not json",
        "[]",
        "{\"vct\":\"x\"}",                 /* no subject */
        "{\"vct\":\"x\",\"subject\":[1]}", /* subject not an object */
        "{\"subject\":{}}",                /* which credential? */
        "{\"subject\":{},\"vct\":\"\"}",
        "{\"subject\":{},\"vct\":\"x\",\"txCode\":\"yes\"}",
        "{\"subject\":{},\"vct\":\"x\",\"txCode\":{\"length\":3}}",
        "{\"subject\":{},\"vct\":\"x\",\"txCode\":{\"length\":10}}", /* numeric: at most 9 digits */
        "{\"subject\":{},\"vct\":\"x\",\"txCode\":{\"inputMode\":\"emoji\"}}",
        "{\"subject\":{},\"vct\":\"x\",\"expiresIn\":5}",
        "{\"subject\":{},\"vct\":\"x\",\"expiresIn\":\"600\"}",
        "{\"subject\":{},\"vct\":\"x\",\"byReference\":\"yes\"}",
        "{\"subject\":{},\"vct\":\"x\",\"selectivelyDisclosable\":[1]}",
        "{\"subject\":{},\"vct\":\"x\",\"subjct\":{}}", /* a typo is not ignored */
        /* found by fuzz_offer_request: an unknown field with a backslash, never echoed */
        "{\"subject\":{},\"v\\\\ct\":\"v\",\"txCode\":true}",
        "{\"subject\":{},\"vct\":\"x\",\"a\\\"b\":1}",
    };
    struct gr_offer_request or ;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        if (gr_offer_request_parse(gr_str_c(bad[i]), & or, &err) == 0)
            fail_msg("case %zu accepted", i);
        assert_code(err.code, GR_ERR_INVALID_REQUEST);
        assert_null(strchr(err.desc, '"'));
        gr_offer_request_release(& or);
    }
}

static void test_offer_json_and_url(void **state)
{
    struct gr_offer o = { .config_id = "pid",
                          .has_tx_code = true,
                          .tx_length = 6,
                          .tx_input_mode = GR_TX_NUMERIC,
                          .tx_description = "Check your mail" };
    struct gr_buf json, url;

    (void)state;
    gr_buf_init(&json, GR_BUF_UNBOUNDED);
    gr_buf_init(&url, GR_BUF_UNBOUNDED);
    gr_offer_json(GR_STR("https://issuer.example.com"), &o, GR_STR("c0de"), &json);
    assert_string_equal(
        json.data,
        "{\"credential_issuer\":\"https://issuer.example.com\",\"credential_configuration_ids\":"
        "[\"pid\"],\"grants\":{\"urn:ietf:params:oauth:grant-type:pre-authorized_code\":"
        "{\"pre-authorized_code\":\"c0de\",\"tx_code\":{\"input_mode\":\"numeric\",\"length\":6,"
        "\"description\":\"Check your mail\"}}}}");
    gr_offer_url(GR_STR("{\"a\":\"b c/~\"}"), false, &url);
    assert_string_equal(
        url.data, "openid-credential-offer://?credential_offer=%7B%22a%22%3A%22b%20c%2F~%22%7D");
    gr_buf_reset(&url);
    gr_offer_url(GR_STR("https://i.example/o/1"), true, &url);
    assert_string_equal(
        url.data,
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fi.example%2Fo%2F1");
    gr_buf_release(&json);
    gr_buf_release(&url);
}

static void test_notification_request(void **state)
{
    static const char *const bad[] = {
        "[]",
        "{",
        "{\"event\":\"credential_accepted\"}",
        "{\"notification_id\":\"\",\"event\":\"credential_accepted\"}",
        "{\"notification_id\":\"n\",\"event\":\"CREDENTIAL_ACCEPTED\"}", /* case-sensitive */
        "{\"notification_id\":\"n\",\"event\":\"credential_accepted\",\"event_description\":1}",
        "{\"notification_id\":\"n\",\"event\":\"credential_accepted\",\"event_description\":"
        "\"tab\\there\"}",
        "{\"notification_id\":1,\"event\":\"credential_accepted\"}",
    };
    struct gr_notification_request n;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_notification_request_parse(
                         GR_STR("{\"notification_id\":\"n-1\",\"event\":\"credential_deleted\","
                                "\"event_description\":\"Gone\",\"extra\":true}"),
                         &n, &err),
                     0);
    assert_true(gr_str_eq_c(n.notification_id, "n-1"));
    assert_int_equal(n.event, GR_NOTIFY_DELETED);
    assert_true(gr_str_eq_c(n.description, "Gone"));
    gr_notification_request_release(&n);
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        if (gr_notification_request_parse(gr_str_c(bad[i]), &n, &err) == 0)
            fail_msg("case %zu accepted", i);
        assert_code(err.code, GR_ERR_INVALID_NOTIFICATION_REQUEST);
        gr_notification_request_release(&n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_form_rejects),
        cmocka_unit_test(test_token_request),
        cmocka_unit_test(test_token_request_rejects),
        cmocka_unit_test(test_credential_request_dialects),
        cmocka_unit_test(test_credential_request_rejects),
        cmocka_unit_test(test_offer_request),
        cmocka_unit_test(test_offer_request_rejects),
        cmocka_unit_test(test_offer_json_and_url),
        cmocka_unit_test(test_notification_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

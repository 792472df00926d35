/*
 * Parsers that fill a struct in the caller's storage leave nothing to release
 * on failure: the struct is zeroed, as gr_jws_parse() leaves its own. The
 * failures below are taken late, after the parser has allocated (the form's
 * buffer, the JSON body, the re-serialized subject, a header key), and are
 * not released: under LeakSanitizer a parser that kept memory fails the run.
 * A _release after the failure is a no-op, and one after a success zeroes.
 */
#include "testutil.h"

#include <string.h>

/*
 * The JSON trees the structs own are typed, `struct gr_json *` (private to the
 * library, incomplete here), not `void *`: assigning another pointer to one is
 * a compile error, and these fail to build if the type goes back to void *.
 */
#define IS_GR_JSON(e) _Generic((e), struct gr_json * : 1, default : 0)
_Static_assert(IS_GR_JSON(((struct gr_jws *)0)->header_json), "jws header_json typed");
_Static_assert(IS_GR_JSON(((struct gr_jws *)0)->payload_json), "jws payload_json typed");
_Static_assert(IS_GR_JSON(((struct gr_credential_request *)0)->root), "credential root typed");
_Static_assert(IS_GR_JSON(((struct gr_notification_request *)0)->root), "notification root typed");
_Static_assert(IS_GR_JSON(((struct gr_offer_request *)0)->root), "offer root typed");

#define PRE_AUTH "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"

/* Every byte zero: nothing owned, no view left behind. */
static bool all_zero(const void *p, size_t len)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < len; i++) {
        if (b[i] != 0)
            return false;
    }
    return true;
}

struct bad_body {
    const char *body;
    enum gr_errc want;
};

static const struct bad_body bad_forms[] = {
    { "a=1&b=2&a=3", GR_ERR_INVALID_REQUEST }, /* found once every field is decoded */
    { "a=1&b=%zz", GR_ERR_INVALID_REQUEST },
    { "a=1&b=%00", GR_ERR_INVALID_REQUEST },
};

static const struct bad_body bad_tokens[] = {
    { "grant_type=authorization_code&code=x", GR_ERR_UNSUPPORTED_GRANT_TYPE },
    { PRE_AUTH, GR_ERR_INVALID_REQUEST }, /* no code */
    { PRE_AUTH "&pre-authorized_code=c&tx_code=1&user_pin=2", GR_ERR_INVALID_REQUEST }, /* last */
    { "a=%zz", GR_ERR_INVALID_REQUEST },
};

static const struct bad_body bad_credentials[] = {
    { "not json", GR_ERR_INVALID_CREDENTIAL_REQUEST },
    { "{\"credential_configuration_id\":\"a\",\"credential_identifier\":\"b\"}",
      GR_ERR_INVALID_CREDENTIAL_REQUEST },
    { "{\"credential_configuration_id\":\"a\",\"credential_response_encryption\":{}}",
      GR_ERR_INVALID_ENCRYPTION_PARAMETERS },
    { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[\"x\",1]}}",
      GR_ERR_INVALID_PROOF }, /* after the first proof's view is taken */
};

static const struct bad_body bad_notifications[] = {
    { "[]", GR_ERR_INVALID_NOTIFICATION_REQUEST },
    { "{\"notification_id\":\"n\",\"event\":\"credential_lost\"}",
      GR_ERR_INVALID_NOTIFICATION_REQUEST },
    { "{\"notification_id\":\"n\",\"event\":\"credential_accepted\",\"event_description\":"
      "\"tab\\there\"}",
      GR_ERR_INVALID_NOTIFICATION_REQUEST }, /* the last check */
};

static const struct bad_body bad_offers[] = {
    { "{\"vct\":\"v\"", GR_ERR_INVALID_REQUEST },
    { "{\"vct\":\"v\",\"subject\":{\"a\":1},\"txCode\":\"yes\"}", GR_ERR_INVALID_REQUEST },
    /* subject and selectivelyDisclosable re-serialized into their buffers before it fails */
    { "{\"vct\":\"v\",\"subject\":{\"a\":1},\"selectivelyDisclosable\":[\"a\"],"
      "\"credentialExpiresIn\":5}",
      GR_ERR_INVALID_REQUEST },
};

/*
 * Each parser, on each of its refusals: the struct, filled with junk first,
 * comes back zeroed, so that nothing is left to release (and releasing is
 * still harmless).
 */
#define FAILURE_LEAVES_NOTHING(name, type, parse, release, cases)                                 \
    static void name(void **state)                                                                \
    {                                                                                             \
        type req;                                                                                 \
        struct gr_err err;                                                                        \
                                                                                                  \
        (void)state;                                                                              \
        for (size_t i = 0; i < GR_NELEM(cases); i++) {                                            \
            memset(&req, 0xa5, sizeof(req));                                                      \
            assert_code(t_code(parse(gr_str_c(cases[i].body), &req, &err), &err), cases[i].want); \
            assert_true(all_zero(&req, sizeof(req)));                                             \
            release(&req);                                                                        \
        }                                                                                         \
    }
FAILURE_LEAVES_NOTHING(test_form_failure_leaves_nothing, struct gr_form, gr_form_parse,
                       gr_form_release, bad_forms)

FAILURE_LEAVES_NOTHING(test_token_failure_leaves_nothing, struct gr_token_request,
                       gr_token_request_parse, gr_token_request_release, bad_tokens)
FAILURE_LEAVES_NOTHING(test_credential_failure_leaves_nothing, struct gr_credential_request,
                       gr_credential_request_parse, gr_credential_request_release, bad_credentials)
FAILURE_LEAVES_NOTHING(test_notification_failure_leaves_nothing, struct gr_notification_request,
                       gr_notification_request_parse, gr_notification_request_release,
                       bad_notifications)
FAILURE_LEAVES_NOTHING(test_offer_failure_leaves_nothing, struct gr_offer_request,
                       gr_offer_request_parse, gr_offer_request_release, bad_offers)

/* A success owns memory until _release, which leaves the struct zeroed; a second is a no-op. */
static void test_release_after_success_zeroes(void **state)
{
    struct gr_token_request tr;
    struct gr_offer_request offer;
    struct gr_credential_request cr;
    struct gr_notification_request nr;
    struct gr_err err;

    (void)state;
    assert_int_equal(gr_token_request_parse(GR_STR(PRE_AUTH "&pre-authorized_code=c"), &tr, &err),
                     0);
    assert_true(gr_str_eq_c(tr.code, "c"));
    gr_token_request_release(&tr);
    assert_true(all_zero(&tr, sizeof(tr)));
    gr_token_request_release(&tr);

    assert_int_equal(
        gr_offer_request_parse(GR_STR("{\"vct\":\"v\",\"subject\":{\"a\":1}}"), &offer, &err), 0);
    assert_string_equal(offer.subject_json.data, "{\"a\":1}");
    gr_offer_request_release(&offer);
    assert_true(all_zero(&offer, sizeof(offer)));
    gr_offer_request_release(&offer);

    assert_int_equal(
        gr_credential_request_parse(GR_STR("{\"credential_configuration_id\":\"a\"}"), &cr, &err),
        0);
    gr_credential_request_release(&cr);
    assert_true(all_zero(&cr, sizeof(cr)));
    gr_credential_request_release(&cr);

    assert_int_equal(
        gr_notification_request_parse(
            GR_STR("{\"notification_id\":\"n\",\"event\":\"credential_deleted\"}"), &nr, &err),
        0);
    gr_notification_request_release(&nr);
    assert_true(all_zero(&nr, sizeof(nr)));
    gr_notification_request_release(&nr);
}

/* gr_jws_parse, the model: a header `jwk` is made, then the payload fails; nothing is kept. */
static void test_jws_failure_leaves_nothing(void **state)
{
    struct gr_buf in, header;
    struct gr_jws jws;
    struct gr_err err;
    struct gr_jwk *key = t_jwk(T4_ISSUER_JWK);
    uint8_t sig[64] = { 1 };

    (void)state;
    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_adds(&header, "{\"alg\":\"ES256\",\"jwk\":");
    gr_jwk_to_json(key, false, &header);
    gr_buf_addc(&header, '}');
    gr_buf_init(&in, GR_BUF_UNBOUNDED);
    gr_buf_add_b64url(&in, header.data, header.len);
    gr_buf_addc(&in, '.');
    gr_buf_add_b64url(&in, "[1]", 3); /* a payload that is not an object */
    gr_buf_addc(&in, '.');
    gr_buf_add_b64url(&in, sig, sizeof(sig));

    memset(&jws, 0xa5, sizeof(jws));
    assert_code(t_code(gr_jws_parse(gr_buf_str(&in), &jws, &err), &err), GR_ERR_MALFORMED);
    assert_true(all_zero(&jws, sizeof(jws)));
    gr_jws_release(&jws);
    gr_buf_release(&in);
    gr_buf_release(&header);
    gr_jwk_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_failure_leaves_nothing),
        cmocka_unit_test(test_token_failure_leaves_nothing),
        cmocka_unit_test(test_credential_failure_leaves_nothing),
        cmocka_unit_test(test_notification_failure_leaves_nothing),
        cmocka_unit_test(test_offer_failure_leaves_nothing),
        cmocka_unit_test(test_release_after_success_zeroes),
        cmocka_unit_test(test_jws_failure_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

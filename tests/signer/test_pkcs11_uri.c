/* The pkcs11: URI of --signer (RFC 7512): what is taken, what is refused and why. */
#include "testutil.h"

#include <string.h>

#include "signer/pkcs11_internal.h"

#define MOD "?module-path=/usr/lib/softhsm/libsofthsm2.so"

static enum gr_errc parse(const char *uri, bool need_object, struct gr__p11_uri *u)
{
    struct gr_err err;

    return t_code(gr__p11_uri_parse(gr_str_c(uri), need_object, u, &err), &err);
}

static void test_good(void **state)
{
    struct gr__p11_uri u;

    (void)state;
    assert_code(
        parse("pkcs11:token=gramota;object=issuer" MOD "&pin-source=file:/run/pin", true, &u),
        GR_ERR_OK);
    assert_string_equal(u.token, "gramota");
    assert_string_equal(u.object, "issuer");
    assert_true(u.has_object && !u.has_id);
    assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
    assert_int_equal(u.pin_kind, GR_P11_PIN_FILE);
    assert_string_equal(u.pin_source, "/run/pin");

    /* RFC 7512 §3's example shape: percent-encoded spaces, id bytes, every token attribute. */
    assert_code(
        parse("PKCS11:token=My%20token%25;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;"
              "serial=12ab;slot-id=7;id=%01%02%FF%00;type=private" MOD "&pin-source=env:HSM_PIN",
              true, &u),
        GR_ERR_OK);
    assert_string_equal(u.token, "My token%");
    assert_string_equal(u.manufacturer, "SoftHSM project");
    assert_string_equal(u.model, "SoftHSM v2");
    assert_string_equal(u.serial, "12ab");
    assert_true(u.has_slot_id && u.slot_id == 7);
    assert_true(u.has_id && u.id_len == 4);
    assert_memory_equal(u.id, "\x01\x02\xff\x00", 4);
    assert_int_equal(u.pin_kind, GR_P11_PIN_ENV);
    assert_string_equal(u.pin_source, "HSM_PIN");

    /* file:///path, a bare path, module-name, no pin-source, a 32-byte label. */
    assert_code(
        parse("pkcs11:token=t;object=k?module-name=softhsm2&pin-source=file:///p", true, &u),
        GR_ERR_OK);
    assert_string_equal(u.pin_source, "/p");
    assert_string_equal(u.module_name, "softhsm2");
    assert_code(parse("pkcs11:token=t;object=k" MOD "&pin-source=/p", true, &u), GR_ERR_OK);
    assert_int_equal(u.pin_kind, GR_P11_PIN_FILE);
    assert_code(parse("pkcs11:token=t;id=%aa" MOD, true, &u), GR_ERR_OK);
    assert_int_equal(u.pin_kind, GR_P11_PIN_NONE);
    assert_code(parse("pkcs11:token=0123456789abcdef0123456789abcdef" MOD, false, &u), GR_ERR_OK);
    /* Characters RFC 7512 allows unencoded: '&' in the path, '/' '?' '|' in the query. */
    assert_code(parse("pkcs11:token=a&b:[c]@!$'()*+,=;object=x?module-path=/a/b?c|d", true, &u),
                GR_ERR_OK);
    assert_string_equal(u.token, "a&b:[c]@!$'()*+,=");
    assert_string_equal(u.module_path, "/a/b?c|d");
}

static const struct {
    const char *uri;
    bool need_object;
} bad[] = {
    { "file:/x", false },                               /* not pkcs11: */
    { "pkcs11:", false },                               /* no token */
    { "pkcs11:object=k" MOD, true },                    /* no token */
    { "pkcs11:token=" MOD, false },                     /* empty token */
    { "pkcs11:token=t", false },                        /* no module */
    { "pkcs11:token=t" MOD, true },                     /* no object or id */
    { "pkcs11:token=t;token=u" MOD, false },            /* duplicate */
    { "pkcs11:token=t;object=k;object=k" MOD, true },   /* duplicate */
    { "pkcs11:token=t" MOD "&module-path=/y", false },  /* duplicate */
    { "pkcs11:token=t;colour=blue" MOD, false },        /* unknown */
    { "pkcs11:token=t;x-vendor=1" MOD, false },         /* vendor attributes too */
    { "pkcs11:token=t;library-version=1" MOD, false },  /* not supported */
    { "pkcs11:token=t" MOD "&pin-value=1234", false },  /* pin-value refused */
    { "pkcs11:token=t;pin-source=file:/p" MOD, false }, /* query attribute in the path */
    { "pkcs11:token=t?token=u&module-path=/m", false }, /* path attribute in the query */
    { "pkcs11:token=t;object" MOD, false },             /* no '=' */
    { "pkcs11:token=t;;object=k" MOD, false },          /* empty attribute */
    { "pkcs11:token=t;=k" MOD, false },                 /* empty name */
    { "pkcs11:token=a%2" MOD, false },                  /* short escape */
    { "pkcs11:token=a%zz" MOD, false },                 /* not hex */
    { "pkcs11:token=a%" MOD, false },                   /* bare % */
    { "pkcs11:token=a%00b" MOD, false },                /* NUL in text */
    { "pkcs11:token=a b" MOD, false },                  /* space unencoded */
    { "pkcs11:token=a/b" MOD, false },                  /* '/' in the path */
    { "pkcs11:token=a\"b" MOD, false },                 /* '"' unencoded */
    { "pkcs11:token=0123456789abcdef0123456789abcdef0" MOD, false }, /* 33-byte label */
    { "pkcs11:token=t;slot-id=x" MOD, false },                       /* not a number */
    { "pkcs11:token=t;slot-id=" MOD, false },                        /* empty number */
    { "pkcs11:token=t;type=cert" MOD, false },                       /* not the private key */
    { "pkcs11:token=t?module-path=lib.so", false },                  /* relative module */
    { "pkcs11:token=t?module-name=../x", false },                    /* a path as a name */
    { "pkcs11:token=t?module-name=", false },                        /* empty name */
    { "pkcs11:token=t" MOD "&pin-source=http://x", false },          /* unknown pin scheme */
    { "pkcs11:token=t" MOD "&pin-source=file:rel", false },          /* relative pin file */
    { "pkcs11:token=t" MOD "&pin-source=env:", false },              /* empty variable */
    { "pkcs11:token=t" MOD "&pin-source=env:A-B", false },           /* not a variable name */
    { "pkcs11:token=t" MOD "&pin-source=env:1A", false },            /* not a variable name */
};

static void test_bad(void **state)
{
    struct gr__p11_uri u;
    struct gr_err err;

    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        int rc = gr__p11_uri_parse(gr_str_c(bad[i].uri), bad[i].need_object, &u, &err);

        if (rc == 0 || err.code != GR_ERR_USAGE)
            fail_msg("%s: rc %d, %s", bad[i].uri, rc, gr_errc_name(err.code));
        /* The sentence never repeats a value: a PIN typed in the wrong place stays unsaid. */
        assert_null(strstr(err.desc, "1234"));
    }
}

static void test_id_cap(void **state)
{
    struct gr__p11_uri u;
    struct gr_buf uri;

    (void)state;
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    gr_buf_adds(&uri, "pkcs11:token=t;id=");
    for (int i = 0; i < GR_P11_ID_MAX; i++)
        gr_buf_adds(&uri, "%ab");
    gr_buf_adds(&uri, MOD);
    assert_code(parse(uri.data, true, &u), GR_ERR_OK);
    assert_int_equal(u.id_len, GR_P11_ID_MAX);
    gr_buf_reset(&uri);
    gr_buf_adds(&uri, "pkcs11:token=t;id=");
    for (int i = 0; i <= GR_P11_ID_MAX; i++)
        gr_buf_adds(&uri, "%ab");
    gr_buf_adds(&uri, MOD);
    assert_code(parse(uri.data, true, &u), GR_ERR_USAGE);
    gr_buf_reset(&uri);
    gr_buf_adds(&uri, "pkcs11:token=t;object=");
    for (int i = 0; i < GR_P11_URI_MAX; i++)
        gr_buf_addc(&uri, 'a');
    assert_code(parse(uri.data, true, &u), GR_ERR_USAGE);
    gr_buf_release(&uri);
}

/* What keygen prints parses back to the same fields. */
static void test_format_roundtrip(void **state)
{
    struct gr__p11_uri a, b;
    struct gr_buf out;

    (void)state;
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    assert_code(parse("pkcs11:token=My%20token;serial=1;object=k%3Bey;id=%00%ff" MOD
                      "&pin-source=file:/a%20b",
                      true, &a),
                GR_ERR_OK);
    gr__p11_uri_format(&a, &out);
    assert_string_equal(out.data, "pkcs11:token=My%20token;serial=1;object=k%3Bey;id=%00%FF"
                                  "?module-path=/usr/lib/softhsm/libsofthsm2.so"
                                  "&pin-source=file:/a%20b");
    assert_code(parse(out.data, true, &b), GR_ERR_OK);
    assert_memory_equal(&a, &b, sizeof(a));
    /* Found by fuzz_pkcs11_uri: a PIN path starting "//" must keep its empty authority. */
    assert_code(parse("pkcs11:token=t" MOD "&pin-source=file:////p", false, &a), GR_ERR_OK);
    assert_string_equal(a.pin_source, "//p");
    gr_buf_reset(&out);
    gr__p11_uri_format(&a, &out);
    assert_code(parse(out.data, false, &b), GR_ERR_OK);
    assert_string_equal(b.pin_source, "//p");
    gr_buf_release(&out);
}

static void test_module_name(void **state)
{
    struct gr__p11_uri u;
    struct gr_err err;

    (void)state;
    assert_code(parse("pkcs11:token=t?module-name=no-such-module-here", false, &u), GR_ERR_OK);
    assert_int_equal(gr__p11_module_resolve(&u, &err), -1);
    assert_code(err.code, GR_ERR_USAGE);
    /* module-path wins over module-name, as given. */
    assert_code(parse("pkcs11:token=t?module-name=x&module-path=/m.so", false, &u), GR_ERR_OK);
    assert_int_equal(gr__p11_module_resolve(&u, &err), 0);
    assert_string_equal(u.module_path, "/m.so");
}

static void test_rv_names(void **state)
{
    char buf[24];

    (void)state;
    assert_string_equal(gr__p11_rv_name(CKR_DEVICE_REMOVED, buf), "CKR_DEVICE_REMOVED");
    assert_string_equal(gr__p11_rv_name(CKR_PIN_INCORRECT, buf), "CKR_PIN_INCORRECT");
    assert_string_equal(gr__p11_rv_name(0x8000abcdUL, buf), "CKR_0x8000abcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_id_cap),      cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_module_name), cmocka_unit_test(test_rv_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

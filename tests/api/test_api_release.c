/*
 * Every `_free` and `_release` of the public API takes NULL (a no-op), a
 * zeroed value, and a value released already: one cleanup label may release
 * everything, whatever failed (STYLE §2.3). The headers are read too, so that
 * a release function added later without a row here fails this test.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NULL_CALL(fn)           \
    static void null_##fn(void) \
    {                           \
        fn(NULL);               \
    }
NULL_CALL(gr_buf_release)
NULL_CALL(gr_jwk_free)
NULL_CALL(gr_jws_release)
NULL_CALL(gr_trust_free)
NULL_CALL(gr_signer_free)
NULL_CALL(gr_sdjwt_vc_template_free)
NULL_CALL(gr_sdjwt_vc_verified_release)
NULL_CALL(gr_status_list_free)
NULL_CALL(gr_cred_types_free)
NULL_CALL(gr_form_release)
NULL_CALL(gr_token_request_release)
NULL_CALL(gr_credential_request_release)
NULL_CALL(gr_notification_request_release)
NULL_CALL(gr_offer_request_release)
NULL_CALL(gr_key_attestation_release)
NULL_CALL(gr_proof_release)
NULL_CALL(gr_store_close)
NULL_CALL(gr_status_list_rec_release)
NULL_CALL(gr_offer_release)
NULL_CALL(gr_offer_made_release)
NULL_CALL(gr_proofs_release)

static void null_gr_sdjwt_vc_issued_release(void)
{
    gr_sdjwt_vc_issued_release(NULL, 3);
}

#define ROW(fn)        \
    {                  \
#fn, null_##fn \
    }
static const struct release_row {
    const char *name;
    void (*call_with_null)(void);
} releases[] = {
    ROW(gr_buf_release),
    ROW(gr_jwk_free),
    ROW(gr_jws_release),
    ROW(gr_trust_free),
    ROW(gr_signer_free),
    ROW(gr_sdjwt_vc_template_free),
    ROW(gr_sdjwt_vc_issued_release),
    ROW(gr_sdjwt_vc_verified_release),
    ROW(gr_status_list_free),
    ROW(gr_cred_types_free),
    ROW(gr_form_release),
    ROW(gr_token_request_release),
    ROW(gr_credential_request_release),
    ROW(gr_notification_request_release),
    ROW(gr_offer_request_release),
    ROW(gr_key_attestation_release),
    ROW(gr_proof_release),
    ROW(gr_store_close),
    ROW(gr_status_list_rec_release),
    ROW(gr_offer_release),
    ROW(gr_offer_made_release),
    ROW(gr_proofs_release),
};

static void test_null_is_a_noop(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(releases); i++)
        releases[i].call_with_null(); /* a crash here names no row: the sanitizer's trace does */
}

/* Zeroed, then released twice: nothing to free, nothing freed twice. */
#define ZEROED_TWICE(type, fn)      \
    do {                            \
        type v_;                    \
        memset(&v_, 0, sizeof(v_)); \
        fn(&v_);                    \
        fn(&v_);                    \
    } while (0)

static void test_zeroed_twice(void **state)
{
    struct gr_sdjwt_vc_issued issued[2];

    (void)state;
    ZEROED_TWICE(struct gr_buf, gr_buf_release);
    ZEROED_TWICE(struct gr_jws, gr_jws_release);
    ZEROED_TWICE(struct gr_sdjwt_vc_verified, gr_sdjwt_vc_verified_release);
    ZEROED_TWICE(struct gr_form, gr_form_release);
    ZEROED_TWICE(struct gr_token_request, gr_token_request_release);
    ZEROED_TWICE(struct gr_credential_request, gr_credential_request_release);
    ZEROED_TWICE(struct gr_notification_request, gr_notification_request_release);
    ZEROED_TWICE(struct gr_offer_request, gr_offer_request_release);
    ZEROED_TWICE(struct gr_key_attestation, gr_key_attestation_release);
    ZEROED_TWICE(struct gr_proof, gr_proof_release);
    ZEROED_TWICE(struct gr_store, gr_store_close);
    ZEROED_TWICE(struct gr_status_list_rec, gr_status_list_rec_release);
    ZEROED_TWICE(struct gr_offer, gr_offer_release);
    ZEROED_TWICE(struct gr_offer_made, gr_offer_made_release);
    ZEROED_TWICE(struct gr_proofs, gr_proofs_release);
    memset(issued, 0, sizeof(issued));
    gr_sdjwt_vc_issued_release(issued, 2);
    gr_sdjwt_vc_issued_release(issued, 2);
}

/* Each `GR_API void gr_..._release(` or `_free(` of the installed headers has a row above. */
static void check_header(const char *name)
{
    struct gr_buf text;
    char rel[300];
    const char *p;

    snprintf(rel, sizeof(rel), "../include/gramota/%s", name);
    t_fixture(rel, &text);
    for (p = text.data; (p = strstr(p, "GR_API void gr_")) != NULL; p++) {
        const char *fn = p + strlen("GR_API void "), *paren = strchr(fn, '(');
        size_t len = (size_t)(paren - fn), i = 0;
        bool release = (len > 8 && memcmp(paren - 8, "_release", 8) == 0) ||
                       (len > 5 && memcmp(paren - 5, "_free", 5) == 0) ||
                       (len > 6 && memcmp(paren - 6, "_close", 6) == 0);

        if (!release)
            continue;
        while (i < GR_NELEM(releases) &&
               !(strlen(releases[i].name) == len && memcmp(releases[i].name, fn, len) == 0))
            i++;
        if (i == GR_NELEM(releases))
            fail_msg("%s: %.*s has no row in test_api_release.c", name, (int)len, fn);
    }
    gr_buf_release(&text);
}

static void test_every_release_has_a_row(void **state)
{
    const char *root = getenv("GR_SOURCE_DIR");
    char path[1024];
    DIR *dir;
    const struct dirent *e;
    size_t headers = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/include/gramota", root ? root : ".");
    dir = opendir(path);
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);

        if (n > 2 && strcmp(e->d_name + n - 2, ".h") == 0) {
            check_header(e->d_name);
            headers++;
        }
    }
    closedir(dir);
    assert_true(headers >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_is_a_noop),
        cmocka_unit_test(test_zeroed_twice),
        cmocka_unit_test(test_every_release_has_a_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

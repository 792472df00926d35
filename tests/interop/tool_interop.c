/*
 * The C half of the interop test (tests/interop/test_interop.sh): gramota issues
 * SD-JWT VCs for @sd-jwt/sd-jwt-vc to verify, and verifies the JWS that jose makes
 * and the SD-JWT VCs that @sd-jwt makes.
 *
 *   tool_interop issue DIR                          keys, credentials, presentations,
 *                                                   expected.json into DIR
 *   tool_interop verify-jws JWKFILE JWSFILE         the payload, or the error code name
 *   tool_interop verify-sdjwt JWKFILE FILE [AUD NONCE]
 *                                                   the processed claims, or the code name
 *
 * Exit status: 0 done, 1 gramota said no (its code name on stdout, the sentence on
 * stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/gramota.h>

#include "core/internal.h"

#define ISS        "https://issuer.example.com"
#define VCT        "urn:eudi:pid:1"
#define AUD        "https://verifier.example.org"
#define NONCE      "n-0S6_WzA2Mj"
#define STATUS_URI "https://issuer.example.com/status/1"
#define BATCH      3
#define LIFETIME   (365 * 24 * 3600)

/*
 * A PID-like subject: nested object, array, numeric-looking member name, non-ASCII
 * text and member name, and a string that needs every kind of JSON escape.
 */
#define PID_CLAIMS                                                                           \
    "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\",\"birthdate\":\"1964-08-12\"," \
    "\"address\":{\"street_address\":\"Heidestra\xc3\x9f"                                    \
    "e 17\",\"locality\":\"K\xc3\xb6ln\",\"postal_code\":\"51147\",\"country\":\"DE\"},"     \
    "\"nationalities\":[\"DE\",\"FR\"],\"age_equal_or_over\":{\"18\":true,\"21\":true},"     \
    "\"age_in_years\":61,\"email\":\"erika@example.com\","                                   \
    "\"place_of_birth\":{\"locality\":\"Berlin\"},\"issuing_country\":\"DE\","               \
    "\"issuing_authority\":\"DE\",\"\xc3\xa4nderung\":\"2024-01-01\","                       \
    "\"notes\":\"tab\\t quote\\\" backslash\\\\ slash/ newline\\n unit\\u001f line\\u2028 "  \
    "\xf0\x9f\x98\x80 \\ud83d\\ude00\"}"

/* Top-level names, a recursive disclosure inside address, every element of an array. */
#define PID_DISCLOSABLE                                                             \
    "[\"given_name\",\"family_name\",\"birthdate\",\"email\",\"age_in_years\","     \
    "[\"address\"],[\"address\",\"locality\"],[\"address\",\"street_address\"],"    \
    "[\"nationalities\",null],[\"age_equal_or_over\",\"18\"],[\"place_of_birth\"]," \
    "\"notes\",\"\xc3\xa4nderung\"]"

/* What the partial presentation leaves out: two top-level claims and one array element. */
static const char *const drop_names[] = { "family_name", "email" };
#define DROP_ELEMENT "FR"

static const uint64_t status_idx[1 + BATCH] = { 7, 1000, 1001, 4095 };

static int report(const struct gr_err *err)
{
    printf("%s\n", gr_errc_name(err->code));
    fprintf(stderr, "tool_interop: %s: %s%s%s (%s)\n", gr_errc_name(err->code), err->desc,
            err->cause[0] ? " / " : "", err->cause, err->where ? err->where : "?");
    return 1;
}

/* A whole file, trailing whitespace dropped (editors and shells add newlines). */
static int read_text(const char *path, size_t max, struct gr_buf *out, struct gr_err *err)
{
    gr_buf_init(out, max);
    if (gr__read_file(path, max, out, err) < 0)
        return -1;
    while (out->len > 0 && strchr(" \t\r\n", out->data[out->len - 1]) != NULL)
        out->data[--out->len] = '\0';
    return 0;
}

static int write_file(const char *dir, const char *name, struct gr_str data, struct gr_err *err)
{
    char path[4096];
    FILE *f;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL)
        return gr_fail(err, GR_ERR_IO, "The file %.80s cannot be made.", path);
    if (fwrite(data.p, 1, data.len, f) != data.len)
        rc = gr_fail(err, GR_ERR_IO, "The file %.80s cannot be written.", path);
    if (fclose(f) != 0 && rc == 0)
        rc = gr_fail(err, GR_ERR_IO, "The file %.80s cannot be written.", path);
    return rc;
}

static int write_jwk(const char *dir, const char *name, const struct gr_jwk *key, bool with_private,
                     struct gr_err *err)
{
    struct gr_buf b;
    int rc;

    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr_jwk_to_json(key, with_private, &b);
    rc = write_file(dir, name, gr_buf_str(&b), err);
    gr_buf_release(&b);
    return rc;
}

static struct gr_jwk *load_jwk(const char *path, enum gr_jwk_want want, struct gr_err *err)
{
    struct gr_buf b;
    struct gr_jwk *key = NULL;

    if (read_text(path, GR_MAX_JWK_LEN, &b, err) == 0)
        key = gr_jwk_parse(gr_buf_str(&b), want, err);
    gr_buf_release(&b);
    return key;
}

/* ---- issue ---- */

struct issuer {
    const char *dir;
    struct gr_signer *signer;
    struct gr_jwk *holder[1 + BATCH]; /* key pairs: [0] the PID's, then the batch's */
    struct gr_jwk *holder_pub[1 + BATCH];
    struct gr_sdjwt_vc_template *tmpl;
    struct gr_sdjwt_vc_issued issued[1 + BATCH];
    size_t issued_count; /* how many of `issued` hold something to release */
    int64_t now;
};

static void issuer_release(struct issuer *is)
{
    gr_sdjwt_vc_issued_release(is->issued, is->issued_count);
    gr_sdjwt_vc_template_free(is->tmpl);
    for (size_t i = 0; i < 1 + BATCH; i++) {
        gr_jwk_free(is->holder_pub[i]);
        gr_jwk_free(is->holder[i]);
    }
    gr_signer_free(is->signer);
}

static const char *holder_file(size_t i)
{
    static const char *const names[1 + BATCH] = { "holder.jwk", "holder1.jwk", "holder2.jwk",
                                                  "holder3.jwk" };
    return names[i];
}

static const char *credential_file(size_t i)
{
    static const char *const names[1 + BATCH] = { "credential.txt", "credential1.txt",
                                                  "credential2.txt", "credential3.txt" };
    return names[i];
}

/* The issuer's key behind a signer, and the holders' keys, all written to DIR. */
static int make_keys(struct issuer *is, struct gr_err *err)
{
    struct gr_jwk *key = gr_jwk_generate(err);

    if (key == NULL)
        return -1;
    is->signer = gr_signer_new_key(key, (struct gr_str){ NULL, 0 }, err);
    if (is->signer == NULL)
        return -1;
    if (write_jwk(is->dir, "issuer.jwk", gr_signer_jwk(is->signer), false, err) < 0)
        return -1;
    for (size_t i = 0; i < 1 + BATCH; i++) {
        is->holder[i] = gr_jwk_generate(err);
        if (is->holder[i] == NULL)
            return -1;
        is->holder_pub[i] = gr_jwk_dup_public(is->holder[i]);
        if (write_jwk(is->dir, holder_file(i), is->holder[i], true, err) < 0)
            return -1;
    }
    return 0;
}

/* One PID alone, then a batch of BATCH under the same template, as an issuer would. */
static int issue_all(struct issuer *is, struct gr_err *err)
{
    const struct gr_sdjwt_vc_spec spec = {
        .vct = GR_STR(VCT),
        .iss = GR_STR(ISS),
        .claims_json = GR_STR(PID_CLAIMS),
        .disclosable_json = GR_STR(PID_DISCLOSABLE),
        .decoys_min = GR_SDJWT_DECOYS_MIN,
        .decoys_max = GR_SDJWT_DECOYS_MAX,
    };
    struct gr_status_ref status[1 + BATCH];
    struct gr_sdjwt_vc_batch one = { .iat = is->now, .exp = is->now + LIFETIME, .count = 1 };
    struct gr_sdjwt_vc_batch many = { .iat = is->now, .exp = is->now + LIFETIME, .count = BATCH };

    for (size_t i = 0; i < 1 + BATCH; i++)
        status[i] = (struct gr_status_ref){ GR_STR(STATUS_URI), status_idx[i] };
    is->tmpl = gr_sdjwt_vc_template_new(&spec, is->signer, err);
    if (is->tmpl == NULL)
        return -1;
    one.holder_keys = (const struct gr_jwk *const *)&is->holder_pub[0];
    one.status = &status[0];
    if (gr_sdjwt_vc_issue(is->tmpl, &one, &is->issued[0], err) < 0)
        return -1;
    is->issued_count = 1;
    many.holder_keys = (const struct gr_jwk *const *)&is->holder_pub[1];
    many.status = &status[1];
    if (gr_sdjwt_vc_issue(is->tmpl, &many, &is->issued[1], err) < 0)
        return -1;
    is->issued_count = 1 + BATCH;
    for (size_t i = 0; i < 1 + BATCH; i++) {
        if (write_file(is->dir, credential_file(i), gr_buf_str(&is->issued[i].credential), err) < 0)
            return -1;
    }
    return 0;
}

static bool dropped_name(const char *name)
{
    for (size_t i = 0; i < GR_NELEM(drop_names); i++) {
        if (strcmp(name, drop_names[i]) == 0)
            return true;
    }
    return false;
}

/* Whether the holder leaves this disclosure (decoded JSON array) out of the partial one. */
static bool dropped(const json_t *disclosure)
{
    const json_t *name = json_array_get(disclosure, 1);

    if (json_array_size(disclosure) == 3)
        return json_is_string(name) && dropped_name(json_string_value(name));
    return json_is_string(name) && strcmp(json_string_value(name), DROP_ELEMENT) == 0;
}

/* Copy `sdjwt` (`<jws>~<d1>~...~<dn>~`) without the disclosures the holder keeps back. */
static int select_disclosures(struct gr_str sdjwt, struct gr_buf *out, struct gr_err *err)
{
    const char *p = sdjwt.p, *end = sdjwt.p + sdjwt.len;
    const char *tilde = memchr(p, '~', sdjwt.len);
    struct gr_buf raw;
    int rc = -1;

    if (tilde == NULL)
        return gr_fail(err, GR_ERR_MALFORMED, "The credential has no disclosures.");
    gr_buf_init(&raw, GR_MAX_DISCLOSURE);
    gr_buf_add(out, p, (size_t)(tilde - p) + 1);
    for (p = tilde + 1; p < end; p = tilde + 1) {
        struct gr_str d;
        json_t *arr;
        bool drop;

        tilde = memchr(p, '~', (size_t)(end - p));
        if (tilde == NULL)
            break; /* a KB-JWT or junk: not in a fresh credential */
        d = (struct gr_str){ p, (size_t)(tilde - p) };
        gr_buf_reset(&raw);
        if (gr_b64url_decode_buf(d, &raw, err) < 0)
            goto out;
        arr = gr__json_parse(gr_buf_str(&raw), GR_MAX_DISCLOSURE, JSON_ARRAY, "A disclosure", err);
        if (arr == NULL)
            goto out;
        drop = dropped(arr);
        json_decref(arr);
        if (!drop)
            gr_buf_add(out, p, d.len + 1);
    }
    rc = 0;
out:
    gr_buf_release(&raw);
    return rc;
}

static int present(struct issuer *is, const char *file, bool partial, struct gr_err *err)
{
    struct gr_str cred = gr_buf_str(&is->issued[0].credential);
    struct gr_buf sel, out;
    int rc = -1;

    gr_buf_init(&sel, GR_BUF_UNBOUNDED);
    gr_buf_init(&out, GR_BUF_UNBOUNDED);
    if (partial) {
        if (select_disclosures(cred, &sel, err) < 0)
            goto out;
        cred = gr_buf_str(&sel);
    }
    if (gr_sdjwt_present(cred, is->holder[0], GR_STR(AUD), GR_STR(NONCE), is->now, &out, err) < 0)
        goto out;
    rc = write_file(is->dir, file, gr_buf_str(&out), err);
out:
    gr_buf_release(&out);
    gr_buf_release(&sel);
    return rc;
}

/* The claims as the partial presentation discloses them. */
static json_t *partial_claims(json_t *claims)
{
    json_t *c = json_deep_copy(claims);
    json_t *arr = json_object_get(c, "nationalities");

    for (size_t i = 0; i < GR_NELEM(drop_names); i++)
        json_object_del(c, drop_names[i]);
    for (size_t i = json_array_size(arr); i-- > 0;) {
        const json_t *v = json_array_get(arr, i);

        if (json_is_string(v) && strcmp(json_string_value(v), DROP_ELEMENT) == 0)
            json_array_remove(arr, i);
    }
    return c;
}

static json_t *credential_entry(size_t i)
{
    return json_pack("{s:s, s:s, s:{s:{s:I, s:s}}}", "file", credential_file(i), "holder",
                     holder_file(i), "status", "status_list", "idx", (json_int_t)status_idx[i],
                     "uri", STATUS_URI);
}

static json_t *presentation_entry(const char *file, json_t *claims)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "file", file, "holder", holder_file(0), "aud",
                     AUD, "nonce", NONCE, "claims", claims);
}

/* expected.json: what a verifier of each file must find. */
static int write_expected(struct issuer *is, struct gr_err *err)
{
    json_t *claims =
        gr__json_parse(GR_STR(PID_CLAIMS), GR_MAX_CLAIMS_LEN, JSON_OBJECT, "The PID claims", err);
    json_t *creds = json_array(), *pres = json_array(), *root;
    struct gr_buf b;
    int rc;

    if (claims == NULL) {
        json_decref(creds);
        json_decref(pres);
        return -1;
    }
    for (size_t i = 0; i < 1 + BATCH; i++)
        json_array_append_new(creds, credential_entry(i));
    json_array_append_new(pres, presentation_entry("presentation.txt", json_deep_copy(claims)));
    json_array_append_new(pres,
                          presentation_entry("presentation_partial.txt", partial_claims(claims)));
    root = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "iss", ISS, "vct", VCT, "iat",
                     (json_int_t)is->now, "exp", (json_int_t)(is->now + LIFETIME), "claims", claims,
                     "disclosable", json_loads(PID_DISCLOSABLE, 0, NULL), "credentials", creds,
                     "presentations", pres);
    gr_buf_init(&b, GR_BUF_UNBOUNDED);
    gr__json_dump(root, true, &b);
    rc = write_file(is->dir, "expected.json", gr_buf_str(&b), err);
    gr_buf_release(&b);
    json_decref(root);
    return rc;
}

static int cmd_issue(const char *dir)
{
    struct issuer is = { .dir = dir, .now = (int64_t)time(NULL) };
    struct gr_err err;
    int rc = 1;

    if (make_keys(&is, &err) < 0 || issue_all(&is, &err) < 0 ||
        present(&is, "presentation.txt", false, &err) < 0 ||
        present(&is, "presentation_partial.txt", true, &err) < 0 || write_expected(&is, &err) < 0) {
        report(&err);
        goto out;
    }
    rc = 0;
out:
    issuer_release(&is);
    return rc;
}

/* ---- verify ---- */

/* The JWS is judged before the key is read, so that its own faults are the ones reported. */
static int verify_jws(const char *jwk_path, struct gr_str in, struct gr_jws *jws,
                      struct gr_err *err)
{
    struct gr_jwk *key;
    int rc;

    if (gr_jws_parse(in, jws, err) < 0)
        return -1;
    key = load_jwk(jwk_path, GR_JWK_PUBLIC, err);
    if (key == NULL)
        return -1;
    rc = gr_jws_verify(jws, key, err);
    gr_jwk_free(key);
    return rc;
}

static int cmd_verify_jws(const char *jwk_path, const char *jws_path)
{
    struct gr_err err;
    struct gr_buf in;
    struct gr_jws jws;
    int rc = 1;

    gr_jws_init(&jws);
    if (read_text(jws_path, GR_MAX_SDJWT_LEN * 2, &in, &err) < 0 ||
        verify_jws(jwk_path, gr_buf_str(&in), &jws, &err) < 0) {
        report(&err);
        goto out;
    }
    fwrite(jws.payload.p, 1, jws.payload.len, stdout);
    putchar('\n');
    rc = 0;
out:
    gr_jws_release(&jws);
    gr_buf_release(&in);
    return rc;
}

static int cmd_verify_sdjwt(const char *jwk_path, const char *path, const char *aud,
                            const char *nonce)
{
    struct gr_sdjwt_vc_verify_opts opts = { .leeway = 60 };
    struct gr_sdjwt_vc_verified v;
    struct gr_err err;
    struct gr_jwk *key = NULL;
    struct gr_buf in;
    int rc = 1;

    if (aud != NULL) {
        opts.require_kb = true;
        opts.kb_aud = gr_str_c(aud);
        opts.kb_nonce = gr_str_c(nonce);
    }
    gr_sdjwt_vc_verified_init(&v);
    gr_buf_init(&in, GR_BUF_UNBOUNDED);
    key = load_jwk(jwk_path, GR_JWK_PUBLIC, &err);
    if (key == NULL || read_text(path, GR_MAX_SDJWT_LEN * 2, &in, &err) < 0 ||
        gr_sdjwt_vc_verify(gr_buf_str(&in), key, &opts, &v, &err) < 0) {
        report(&err);
        goto out;
    }
    printf("%s\n", v.claims.data ? v.claims.data : "");
    fprintf(stderr, "tool_interop: %zu disclosures, %s\n", v.disclosures,
            v.key_bound ? "key bound" : "no key binding");
    rc = 0;
out:
    gr_buf_release(&in);
    gr_jwk_free(key);
    gr_sdjwt_vc_verified_release(&v);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: tool_interop issue DIR\n"
                    "       tool_interop verify-jws JWKFILE JWSFILE\n"
                    "       tool_interop verify-sdjwt JWKFILE FILE [AUD NONCE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "issue") == 0)
        return cmd_issue(argv[2]);
    if (argc == 4 && strcmp(argv[1], "verify-jws") == 0)
        return cmd_verify_jws(argv[2], argv[3]);
    if ((argc == 4 || argc == 6) && strcmp(argv[1], "verify-sdjwt") == 0)
        return cmd_verify_sdjwt(argv[2], argv[3], argc == 6 ? argv[4] : NULL,
                                argc == 6 ? argv[5] : NULL);
    return usage();
}

/* Credential types: the shipped default set, directories, and every refusal at load time. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <gramota/metadata.h>

#define PID_ID "eu.europa.ec.eudi.pid_vc_sd_jwt"

/* A scratch directory of credential-type files, removed by tmp_release(). */
struct tmp {
    char dir[64];
    char names[8][64];
    size_t n;
};

static void tmp_init(struct tmp *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/gr_types_XXXXXX");
    assert_non_null(mkdtemp(t->dir));
}

static void tmp_put(struct tmp *t, const char *name, const char *text)
{
    char path[160];
    FILE *f;

    assert_true(t->n < GR_NELEM(t->names));
    snprintf(t->names[t->n++], sizeof(t->names[0]), "%s", name);
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void tmp_release(struct tmp *t)
{
    char path[160];

    for (size_t i = 0; i < t->n; i++) {
        snprintf(path, sizeof(path), "%s/%s", t->dir, t->names[i]);
        unlink(path);
        rmdir(path); /* a directory made to look like a file */
    }
    rmdir(t->dir);
}

static struct gr_str sv(const char *s)
{
    return gr_str_c(s);
}

static void assert_str(struct gr_str got, const char *want)
{
    if (!gr_str_eq_c(got, want))
        fail_msg("got %.*s, expected %s", (int)got.len, got.p, want);
}

/* ---- the shipped default set ---- */

static void test_default_set(void **state)
{
    static const struct {
        const char *name;
        bool mandatory;
    } pid_claims[] = {
        { "family_name", true },
        { "given_name", true },
        { "birthdate", true },
        { "place_of_birth", true },
        { "nationalities", true },
        { "address", false },
        { "personal_administrative_number", false },
        { "picture", false },
        { "birth_family_name", false },
        { "birth_given_name", false },
        { "sex", false },
        { "email", false },
        { "phone_number", false },
        { "date_of_expiry", true },
        { "issuing_authority", true },
        { "issuing_country", true },
        { "document_number", false },
        { "issuing_jurisdiction", false },
        { "date_of_issuance", false },
    };
    struct gr_err err;
    struct gr_cred_types *set = gr_cred_types_load(GR_STR("default"), &err);
    const struct gr_cred_type *pid;
    unsigned lo, hi;
    bool mandatory;

    (void)state;
    if (set == NULL)
        fail_msg("default set: %s", err.desc);
    assert_int_equal(gr_cred_types_count(set), 2);
    pid = gr_cred_types_get(set, GR_STR(PID_ID));
    assert_non_null(pid);
    assert_ptr_equal(gr_cred_types_by_vct(set, GR_STR("urn:eudi:pid:1")), pid);
    assert_ptr_equal(gr_cred_types_at(set, 0), pid); /* sorted by file name */
    assert_null(gr_cred_types_at(set, 2));
    assert_null(gr_cred_types_get(set, GR_STR("eu.europa.ec.eudi.pid_vc_sd_jw")));
    assert_null(gr_cred_types_by_vct(set, GR_STR("urn:eudi:pid:2")));
    assert_str(gr_cred_type_id(pid), PID_ID);
    assert_str(gr_cred_type_vct(pid), "urn:eudi:pid:1");
    assert_str(gr_cred_type_scope(pid), PID_ID);
    assert_int_equal(gr_cred_type_lifetime(pid), 365 * 86400);
    gr_cred_type_decoys(pid, &lo, &hi);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 4);
    assert_true(gr_cred_type_binding(pid));
    assert_true(gr_cred_type_proof_type(pid, GR_STR("jwt")));
    assert_false(gr_cred_type_proof_type(pid, GR_STR("attestation")));
    assert_false(gr_cred_type_proof_type(pid, GR_STR("di_vp")));
    assert_false(gr_cred_type_key_attestation(pid, GR_STR("jwt"))); /* plain jwk proofs */
    assert_int_equal(gr_cred_type_claim_count(pid), GR_NELEM(pid_claims));
    for (size_t i = 0; i < GR_NELEM(pid_claims); i++) {
        assert_str(gr_cred_type_claim(pid, i, &mandatory), pid_claims[i].name);
        assert_int_equal(mandatory, pid_claims[i].mandatory);
    }
    assert_int_equal(gr_cred_type_claim(pid, GR_NELEM(pid_claims), &mandatory).len, 0);
    assert_false(mandatory);
    gr_cred_types_free(set);
}

/* The PID's layout: each top-level claim, each sub-claim of address and place_of_birth, each
 * nationality. */
static void test_default_disclosable(void **state)
{
    struct gr_err err;
    struct gr_cred_types *set = gr_cred_types_load(GR_STR("default"), &err);
    const struct gr_cred_type *pid = gr_cred_types_get(set, GR_STR(PID_ID));
    const struct gr_cred_type *card = gr_cred_types_get(set, GR_STR("membership_card"));
    json_t *list = json_loads(gr_cred_type_disclosable(pid).p, 0, NULL);
    json_t *want = json_loads("[\"place_of_birth\",[\"place_of_birth\",\"locality\"],"
                              "[\"nationalities\",null],\"address\",[\"address\",\"formatted\"],"
                              "[\"address\",\"house_number\"],\"date_of_issuance\"]",
                              0, NULL);
    size_t i, j;
    json_t *w;

    (void)state;
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 19 + 3 + 7 + 1);
    json_array_foreach (want, i, w) {
        bool found = false;

        for (j = 0; j < json_array_size(list) && !found; j++)
            found = json_equal(json_array_get(list, j), w);
        assert_true(found);
    }
    /* No disclosable entry in the membership file: every top-level claim, in order. */
    assert_str(gr_cred_type_disclosable(card), "[\"organization\",\"membership_number\","
                                               "\"given_name\",\"family_name\",\"member_since\"]");
    json_decref(list);
    json_decref(want);
    gr_cred_types_free(set);
}

/* The layout is one gr_sdjwt_vc_template_new() takes, and it discloses recursively. */
static void test_default_layout_issues(void **state)
{
    static const char subject[] =
        "{\"family_name\":\"Mustermann\",\"given_name\":\"Erika\",\"birthdate\":\"1964-08-12\","
        "\"place_of_birth\":{\"locality\":\"Berlin\",\"country\":\"DE\"},"
        "\"nationalities\":[\"DE\",\"FR\"],"
        "\"address\":{\"street_address\":\"Heidestrasse 17\",\"locality\":\"Koeln\","
        "\"postal_code\":\"51147\",\"country\":\"DE\"},"
        "\"date_of_expiry\":\"2031-01-01\",\"issuing_authority\":\"DE\",\"issuing_country\":"
        "\"DE\"}";
    struct gr_err err;
    struct gr_cred_types *set = gr_cred_types_load(GR_STR("default"), &err);
    const struct gr_cred_type *pid = gr_cred_types_get(set, GR_STR(PID_ID));
    struct gr_signer *signer = t_signer(T4_ISSUER_JWK);
    struct gr_sdjwt_vc_spec spec = {
        .vct = gr_cred_type_vct(pid),
        .iss = GR_STR("https://issuer.example.com"),
        .claims_json = { subject, sizeof(subject) - 1 },
        .disclosable_json = gr_cred_type_disclosable(pid),
    };
    struct gr_sdjwt_vc_template *t;
    struct gr_sdjwt_vc_issued out[1];
    struct gr_sdjwt_vc_batch batch = { .iat = time(NULL), .count = 1 };
    struct gr_sdjwt_vc_verify_opts opts = { 0 };
    struct gr_sdjwt_vc_verified v;

    (void)state;
    gr_cred_type_decoys(pid, &spec.decoys_min, &spec.decoys_max);
    batch.exp = batch.iat + gr_cred_type_lifetime(pid);
    t = gr_sdjwt_vc_template_new(&spec, signer, &err);
    if (t == NULL)
        fail_msg("template: %s", err.desc);
    assert_int_equal(gr_sdjwt_vc_issue(t, &batch, out, &err), 0);
    gr_sdjwt_vc_verified_init(&v);
    assert_int_equal(
        gr_sdjwt_vc_verify(gr_buf_str(&out[0].credential), gr_signer_jwk(signer), &opts, &v, &err),
        0);
    /* 9 top-level claims + 2 places of birth + 2 nationalities + 4 address parts */
    assert_int_equal(v.disclosures, 9 + 2 + 2 + 4);
    gr_sdjwt_vc_verified_release(&v);
    gr_sdjwt_vc_issued_release(out, 1);
    gr_sdjwt_vc_template_free(t);
    gr_signer_free(signer);
    gr_cred_types_free(set);
}

/* ---- directories ---- */

#define MINIMAL(id) \
    "{\"id\":\"" id "\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:" id "\"}}"

static void test_directory(void **state)
{
    struct tmp tmp;
    struct gr_err err;
    struct gr_cred_types *set;
    const struct gr_cred_type *t;
    char sub[96];
    unsigned lo, hi;

    (void)state;
    tmp_init(&tmp);
    tmp_put(&tmp, "b.json", MINIMAL("second"));
    tmp_put(&tmp, "a.json",
            "{\"id\":\"first\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:first\","
            "\"credential_metadata\":{\"claims\":[{\"path\":[\"x\"],\"mandatory\":true},"
            "{\"path\":[\"y\",\"z\"]},{\"path\":[\"y\"]},{\"path\":[\"w\",null,0]}]}},"
            "\"gramota\":{\"lifetime_days\":30,\"decoys\":[0,0]}}");
    tmp_put(&tmp, ".hidden.json", "not even JSON");
    tmp_put(&tmp, "notes.txt", "not JSON either");
    tmp_put(&tmp, "c.json.bak", "nor this");
    snprintf(sub, sizeof(sub), "%s/d.json", tmp.dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(tmp.names[tmp.n++], sizeof(tmp.names[0]), "d.json");
    set = gr_cred_types_load(sv(tmp.dir), &err);
    if (set == NULL)
        fail_msg("directory: %s", err.desc);
    assert_int_equal(gr_cred_types_count(set), 2);
    t = gr_cred_types_at(set, 0);
    assert_str(gr_cred_type_id(t), "first");
    assert_str(gr_cred_type_scope(t), "first"); /* no scope in the file: the id */
    assert_int_equal(gr_cred_type_lifetime(t), 30 * 86400);
    gr_cred_type_decoys(t, &lo, &hi);
    assert_int_equal(lo + hi, 0);
    assert_false(gr_cred_type_binding(t));
    assert_false(gr_cred_type_proof_type(t, GR_STR("jwt")));
    /* x, y (once, from its sub-claim first), w; only whole-name paths are disclosable by default */
    assert_int_equal(gr_cred_type_claim_count(t), 3);
    assert_str(gr_cred_type_claim(t, 1, NULL), "y");
    assert_str(gr_cred_type_disclosable(t), "[\"x\",\"y\"]");
    t = gr_cred_types_at(set, 1);
    assert_str(gr_cred_type_id(t), "second");
    assert_int_equal(gr_cred_type_claim_count(t), 0);
    assert_str(gr_cred_type_disclosable(t), "[]");
    gr_cred_types_free(set);
    tmp_release(&tmp);
}

static void test_directory_errors(void **state)
{
    struct tmp tmp;
    struct gr_err err;

    (void)state;
    tmp_init(&tmp);
    assert_null(gr_cred_types_load(sv(tmp.dir), &err)); /* empty */
    assert_code(err.code, GR_ERR_IO);
    tmp_put(&tmp, "only.txt", MINIMAL("x"));
    assert_null(gr_cred_types_load(sv(tmp.dir), &err));
    assert_code(err.code, GR_ERR_IO);
    tmp_put(&tmp, "a.json", MINIMAL("same"));
    tmp_put(&tmp, "b.json", MINIMAL("same"));
    assert_null(gr_cred_types_load(sv(tmp.dir), &err));
    assert_code(err.code, GR_ERR_DUPLICATE);
    assert_non_null(strstr(err.desc, "b.json"));
    tmp_release(&tmp);
    assert_null(gr_cred_types_load(GR_STR("/nonexistent/gramota/types"), &err));
    assert_code(err.code, GR_ERR_IO);
    assert_null(gr_cred_types_load(GR_STR(""), &err));
    assert_code(err.code, GR_ERR_USAGE);
    assert_null(gr_cred_types_load(GR_STR("nosuchset"), &err)); /* not a set: a directory */
    assert_code(err.code, GR_ERR_IO);
}

/* The eudi set: the PID requiring key attestations at iso_18045_high on jwt and attestation. */
static void test_eudi_set(void **state)
{
    struct gr_err err;
    struct gr_cred_types *set = gr_cred_types_load(GR_STR("eudi"), &err);
    const struct gr_cred_type *pid;

    (void)state;
    if (set == NULL)
        fail_msg("eudi: %s", err.desc);
    pid = gr_cred_types_get(set, GR_STR(PID_ID));
    assert_non_null(pid);
    assert_str(gr_cred_type_vct(pid), "urn:eudi:pid:1");
    assert_true(gr_cred_type_binding(pid));
    assert_true(gr_cred_type_key_attestation(pid, GR_STR("jwt")));
    assert_true(gr_cred_type_proof_type(pid, GR_STR("attestation")));
    assert_true(gr_cred_type_key_attestation(pid, GR_STR("attestation")));
    gr_cred_types_free(set);
}

/* ---- refusals ---- */

#define HEAD         "{\"id\":\"t\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:t\""
#define BOUND        ",\"cryptographic_binding_methods_supported\":[\"jwk\"]"
#define JWT          "\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}"
#define PROOF        ",\"proof_types_supported\":{" JWT "}"
#define CLAIMS(list) ",\"credential_metadata\":{\"claims\":[" list "]}"
#define SD(list)     "},\"gramota\":{\"disclosable\":[" list "]}}"

static const struct bad {
    const char *why, *text;
    enum gr_errc code;
    const char *says; /* a piece of the sentence */
} bad[] = {
    { "not JSON", "{\"id\":", GR_ERR_MALFORMED, "not valid JSON" },
    { "not an object", "[]", GR_ERR_MALFORMED, "not a JSON object" },
    { "a repeated member", HEAD ",\"vct\":\"urn:u\"}}", GR_ERR_MALFORMED, "not valid JSON" },
    { "unknown top member", HEAD "},\"gramotta\":{}}", GR_ERR_MALFORMED, "gramotta" },
    { "no id", "{\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"v\"}}", GR_ERR_MALFORMED,
      "id" },
    { "empty id", "{\"id\":\"\",\"configuration\":{}}", GR_ERR_MALFORMED, "id" },
    { "id with a space", "{\"id\":\"a b\",\"configuration\":{}}", GR_ERR_MALFORMED, "id" },
    { "id too long",
      "{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
      "\"configuration\":{}}",
      GR_ERR_MALFORMED, "id" },
    { "no configuration", "{\"id\":\"t\"}", GR_ERR_MALFORMED, "configuration" },
    { "legacy format", "{\"id\":\"t\",\"configuration\":{\"format\":\"vc+sd-jwt\",\"vct\":\"v\"}}",
      GR_ERR_MALFORMED, "format" },
    { "mso_mdoc", "{\"id\":\"t\",\"configuration\":{\"format\":\"mso_mdoc\"}}", GR_ERR_MALFORMED,
      "format" },
    { "no vct", "{\"id\":\"t\",\"configuration\":{\"format\":\"dc+sd-jwt\"}}", GR_ERR_MALFORMED,
      "vct" },
    { "empty vct", "{\"id\":\"t\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":\"\"}}",
      GR_ERR_MALFORMED, "vct" },
    { "vct not a string", "{\"id\":\"t\",\"configuration\":{\"format\":\"dc+sd-jwt\",\"vct\":1}}",
      GR_ERR_MALFORMED, "vct" },
    { "scope with a space", HEAD ",\"scope\":\"a b\"}}", GR_ERR_MALFORMED, "scope" },
    { "scope not a string", HEAD ",\"scope\":[\"a\"]}}", GR_ERR_MALFORMED, "scope" },
    { "signing alg RS256", HEAD ",\"credential_signing_alg_values_supported\":[\"RS256\"]}}",
      GR_ERR_MALFORMED, "credential_signing_alg_values_supported" },
    { "signing algs empty", HEAD ",\"credential_signing_alg_values_supported\":[]}}",
      GR_ERR_MALFORMED, "credential_signing_alg_values_supported" },
    { "binding without proof types", HEAD BOUND "}}", GR_ERR_MALFORMED,
      "proof_types_supported is missing" },
    { "proof types without binding", HEAD PROOF "}}", GR_ERR_MALFORMED,
      "cryptographic_binding_methods_supported is missing" },
    { "binding by did",
      HEAD ",\"cryptographic_binding_methods_supported\":[\"did:jwk\"]" PROOF "}}",
      GR_ERR_MALFORMED, "jwk" },
    { "no proof types", HEAD BOUND ",\"proof_types_supported\":{}}}", GR_ERR_MALFORMED,
      "proof_types_supported" },
    { "proof type di_vp",
      HEAD BOUND ",\"proof_types_supported\":{\"di_vp\":{\"proof_signing_alg_values_supported\":"
                 "[\"ES256\"]}}}}",
      GR_ERR_MALFORMED, "di_vp" },
    { "proof alg ES384",
      HEAD BOUND ",\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":"
                 "[\"ES384\"]}}}}",
      GR_ERR_MALFORMED, "proof_signing_alg_values_supported" },
    { "proof algs missing", HEAD BOUND ",\"proof_types_supported\":{\"jwt\":{}}}}",
      GR_ERR_MALFORMED, "proof_signing_alg_values_supported" },
    { "attestation without key_attestations_required",
      HEAD BOUND
      ",\"proof_types_supported\":{\"attestation\":{\"proof_signing_alg_values_supported\""
      ":[\"ES256\"]}}}}",
      GR_ERR_MALFORMED, "key_attestations_required" },
    { "empty key_storage",
      HEAD BOUND ",\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":"
                 "[\"ES256\"],\"key_attestations_required\":{\"key_storage\":[]}}}}}",
      GR_ERR_MALFORMED, "key_storage" },
    { "credential_metadata a list", HEAD ",\"credential_metadata\":[]}}", GR_ERR_MALFORMED,
      "credential_metadata" },
    { "display without a name",
      HEAD ",\"credential_metadata\":{\"display\":[{\"locale\":\"en\"}]}}}", GR_ERR_MALFORMED,
      "name" },
    { "claims an object", HEAD ",\"credential_metadata\":{\"claims\":{\"a\":{}}}}}",
      GR_ERR_MALFORMED, "claims" },
    { "claim without path", HEAD CLAIMS("{\"mandatory\":true}") "}}", GR_ERR_MALFORMED, "Claim 1" },
    { "empty path", HEAD CLAIMS("{\"path\":[]}") "}}", GR_ERR_MALFORMED, "Claim 1" },
    { "path a string", HEAD CLAIMS("{\"path\":\"a\"}") "}}", GR_ERR_MALFORMED, "Claim 1" },
    { "path starting with an index", HEAD CLAIMS("{\"path\":[0,\"a\"]}") "}}", GR_ERR_MALFORMED,
      "Claim 1" },
    { "negative index", HEAD CLAIMS("{\"path\":[\"a\"]},{\"path\":[\"a\",-1]}") "}}",
      GR_ERR_MALFORMED, "Claim 2" },
    { "real index", HEAD CLAIMS("{\"path\":[\"a\",1.0]}") "}}", GR_ERR_MALFORMED, "Claim 1" },
    { "boolean in path", HEAD CLAIMS("{\"path\":[\"a\",true]}") "}}", GR_ERR_MALFORMED, "Claim 1" },
    { "empty name in path", HEAD CLAIMS("{\"path\":[\"a\",\"\"]}") "}}", GR_ERR_MALFORMED,
      "Claim 1" },
    { "mandatory a string", HEAD CLAIMS("{\"path\":[\"a\"],\"mandatory\":\"yes\"}") "}}",
      GR_ERR_MALFORMED, "mandatory" },
    { "duplicate path",
      HEAD CLAIMS("{\"path\":[\"a\",\"b\"]},{\"path\":[\"c\"]},{\"path\":[\"a\",\"b\"]}") "}}",
      GR_ERR_MALFORMED, "Claims 1 and 3 have the same path" },
    { "object and array at once", HEAD CLAIMS("{\"path\":[\"a\",\"b\"]},{\"path\":[\"a\",0]}") "}}",
      GR_ERR_MALFORMED, "contradicting" },
    { "object and array under null",
      HEAD CLAIMS("{\"path\":[\"a\",null,\"x\"]},{\"path\":[\"a\",2,1]}") "}}", GR_ERR_MALFORMED,
      "contradicting" },
    { "gramota a list", HEAD "},\"gramota\":[]}", GR_ERR_MALFORMED, "gramota" },
    { "unknown gramota member", HEAD "},\"gramota\":{\"lifetime\":365}}", GR_ERR_MALFORMED,
      "lifetime" },
    { "lifetime zero", HEAD "},\"gramota\":{\"lifetime_days\":0}}", GR_ERR_MALFORMED, "lifetime" },
    { "lifetime a string", HEAD "},\"gramota\":{\"lifetime_days\":\"365\"}}", GR_ERR_MALFORMED,
      "lifetime" },
    { "decoys upside down", HEAD "},\"gramota\":{\"decoys\":[3,1]}}", GR_ERR_MALFORMED, "decoys" },
    { "decoys too many", HEAD "},\"gramota\":{\"decoys\":[0,65]}}", GR_ERR_MALFORMED, "decoys" },
    { "decoys one number", HEAD "},\"gramota\":{\"decoys\":[2]}}", GR_ERR_MALFORMED, "decoys" },
    { "disclosable an object", HEAD "},\"gramota\":{\"disclosable\":{}}}", GR_ERR_MALFORMED,
      "disclosable" },
    { "disclosable iss", HEAD SD("\"a\",\"iss\""), GR_ERR_RESERVED_NAME, "iss" },
    { "disclosable cnf.jwk", HEAD SD("[\"cnf\",\"jwk\"]"), GR_ERR_RESERVED_NAME, "cnf" },
    { "disclosable vct#integrity", HEAD SD("\"vct#integrity\""), GR_ERR_RESERVED_NAME, "vct" },
    { "disclosable status", HEAD SD("[\"status\",\"status_list\"]"), GR_ERR_RESERVED_NAME,
      "status" },
    { "disclosable exp", HEAD SD("\"exp\""), GR_ERR_RESERVED_NAME, "exp" },
    { "disclosable nbf", HEAD SD("\"nbf\""), GR_ERR_RESERVED_NAME, "nbf" },
    { "disclosable vct", HEAD SD("\"vct\""), GR_ERR_RESERVED_NAME, "vct" },
    { "disclosable twice", HEAD SD("\"a\",[\"b\"],[\"a\"]"), GR_ERR_MALFORMED, "entry 3" },
    { "disclosable path twice", HEAD SD("[\"a\",null],[\"a\",null]"), GR_ERR_MALFORMED, "entry 2" },
    { "disclosable bad path", HEAD SD("[\"a\",-2]"), GR_ERR_MALFORMED, "entry 1" },
    { "disclosable empty name", HEAD SD("\"\""), GR_ERR_MALFORMED, "entry 1" },
    { "disclosable number", HEAD SD("7"), GR_ERR_MALFORMED, "entry 1" },
};

/* A sentence for error_description: ends with a period, no quote or backslash. */
static void assert_sentence(const char *desc)
{
    size_t n = strlen(desc);

    assert_true(n > 0 && desc[n - 1] == '.');
    assert_null(strchr(desc, '"'));
    assert_null(strchr(desc, '\\'));
}

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < GR_NELEM(bad); i++) {
        struct tmp tmp;
        struct gr_err err;
        struct gr_cred_types *set;

        tmp_init(&tmp);
        tmp_put(&tmp, "case.json", bad[i].text);
        set = gr_cred_types_load(sv(tmp.dir), &err);
        tmp_release(&tmp);
        if (set != NULL)
            fail_msg("accepted: %s", bad[i].why);
        if (err.code != bad[i].code || strstr(err.desc, bad[i].says) == NULL ||
            strstr(err.desc, "case.json") == NULL)
            fail_msg("%s: %s (%s)", bad[i].why, err.desc, gr_errc_name(err.code));
        assert_sentence(err.desc);
    }
}

/* File names the sentence could not carry are left out of it, not cut. */
static void test_file_names(void **state)
{
    struct tmp tmp;
    struct gr_err err;

    (void)state;
    tmp_init(&tmp);
    tmp_put(&tmp, "we\\ird.json", HEAD "},\"gramota\":{\"dis\\\"closable\":[]}}");
    assert_null(gr_cred_types_load(sv(tmp.dir), &err));
    assert_code(err.code, GR_ERR_MALFORMED);
    assert_non_null(strstr(err.desc, "a credential type file"));
    assert_sentence(err.desc);
    assert_non_null(strstr(err.cause, "we\\ird.json")); /* the log has the path */
    tmp_release(&tmp);
    /* A name that would not fit the sentence goes to the cause alone. */
    tmp_init(&tmp);
    tmp_put(&tmp, "a-credential-type-file-with-a-rather-long-descriptive-name.json",
            HEAD PROOF "}}");
    assert_null(gr_cred_types_load(sv(tmp.dir), &err));
    assert_sentence(err.desc);
    assert_non_null(strstr(err.desc, "cryptographic_binding_methods_supported"));
    assert_null(strstr(err.desc, "rather-long"));
    assert_non_null(strstr(err.cause, "rather-long"));
    tmp_release(&tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_set),
        cmocka_unit_test(test_default_disclosable),
        cmocka_unit_test(test_default_layout_issues),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_directory_errors),
        cmocka_unit_test(test_eudi_set),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

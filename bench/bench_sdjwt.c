/*
 * What an SD-JWT VC costs next to the ECDSA P-256 operation underneath it.
 *
 * Prints microseconds per operation for: OpenSSL's bare ECDSA P-256 sign and
 * verify of a SHA-256 digest (what `openssl speed ecdsap256` measures), and
 * gramota issuing and verifying a PID-like SD-JWT VC (ten claims, one nested
 * object, one array, 15 disclosures, decoys), with the ratios. Targets:
 * issuing <= 1.3x a bare signature, verifying <= 1.3x a bare verification.
 *
 * With GR_TEST_P11_URI set (scripts/bench.sh runs it under
 * scripts/softhsm-test.sh), the same key operations side by side with the
 * key in a PKCS#11 token (SoftHSM2): one signature through the signer, and
 * credentials per second at batch 10, file signer against PKCS#11 signer.
 *
 *   bench_sdjwt [--seconds S] [--previous FILE] [--save FILE]
 *
 * --previous prints the change against figures a previous build saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <gramota/gramota.h>

#include "jose/internal.h"
#include "previous.h"

#define PID_CLAIMS                                                                           \
    "{\"given_name\":\"Erika\",\"family_name\":\"Mustermann\",\"birthdate\":\"1964-08-12\"," \
    "\"birth_family_name\":\"Gabler\",\"place_of_birth\":{\"locality\":\"Berlin\"},"         \
    "\"address\":{\"street_address\":\"Heidestrasse 17\",\"locality\":\"Koeln\","            \
    "\"postal_code\":\"51147\",\"country\":\"DE\"},"                                         \
    "\"nationalities\":[\"DE\",\"FR\"],\"age_equal_or_over\":{\"18\":true,\"21\":true},"     \
    "\"age_in_years\":62,\"issuing_country\":\"DE\"}"
#define PID_DISCLOSABLE                                                                       \
    "[\"given_name\",\"family_name\",\"birthdate\",\"birth_family_name\",\"place_of_birth\"," \
    "\"address\",[\"address\",\"street_address\"],[\"address\",\"locality\"],"                \
    "[\"address\",\"postal_code\"],[\"nationalities\",null],[\"age_equal_or_over\",\"18\"],"  \
    "[\"age_equal_or_over\",\"21\"],\"age_in_years\"]"

struct figure {
    const char *name;
    double us;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct gr_err *err)
{
    fprintf(stderr, "bench: %s: %s\n", what, err ? err->desc : "failed");
    exit(1);
}

struct ctx {
    struct gr_err err;
    struct gr_signer *signer;
    struct gr_signer *p11; /* NULL without a token */
    struct gr_sdjwt_vc_template *p11_template;
    struct gr_sdjwt_vc_spec spec;
    struct gr_sdjwt_vc_template *template;
    const struct gr_jwk *holder_refs[10];
    struct gr_status_ref status[10];
    struct gr_sdjwt_vc_issued out[10];
    struct gr_buf credential;
    struct gr_sdjwt_vc_verify_opts vopts;
    struct gr_sdjwt_vc_verified verified;
    EVP_PKEY_CTX *sctx, *vctx;
    uint8_t digest[32], der[80];
    size_t der_len;
};

/* Run `op` repeatedly for `seconds`, after a short warm-up; microseconds per call. */
static double measure(double seconds, void (*op)(struct ctx *), struct ctx *c)
{
    double t0, t1, deadline;
    long n = 0;

    for (int i = 0; i < 50; i++)
        op(c);
    t0 = now_s();
    deadline = t0 + seconds;
    do {
        for (int i = 0; i < 16; i++)
            op(c);
        n += 16;
    } while ((t1 = now_s()) < deadline);
    return (t1 - t0) * 1e6 / (double)n;
}

static void op_openssl_sign(struct ctx *c)
{
    uint8_t der[80];
    size_t len = sizeof(der);

    if (EVP_PKEY_sign(c->sctx, der, &len, c->digest, sizeof(c->digest)) <= 0)
        die("openssl sign", NULL);
}

static void op_openssl_verify(struct ctx *c)
{
    if (EVP_PKEY_verify(c->vctx, c->der, c->der_len, c->digest, sizeof(c->digest)) != 1)
        die("openssl verify", NULL);
}

/* One credential, start to end: parse and check the input, make it, free it. */
static void op_issue_one(struct ctx *c)
{
    struct gr_sdjwt_vc_batch b = { .iat = 1764000000,
                                   .exp = 1795536000,
                                   .count = 1,
                                   .holder_keys = c->holder_refs,
                                   .status = c->status };
    struct gr_sdjwt_vc_template *t = gr_sdjwt_vc_template_new(&c->spec, c->signer, &c->err);

    if (t == NULL || gr_sdjwt_vc_issue(t, &b, c->out, &c->err) < 0)
        die("issue", &c->err);
    gr_sdjwt_vc_issued_release(c->out, 1);
    gr_sdjwt_vc_template_free(t);
}

/* Ten credentials from one prepared template. */
static void op_issue_batch(struct ctx *c)
{
    struct gr_sdjwt_vc_batch b = { .iat = 1764000000,
                                   .exp = 1795536000,
                                   .count = 10,
                                   .holder_keys = c->holder_refs,
                                   .status = c->status };

    if (gr_sdjwt_vc_issue(c->template, &b, c->out, &c->err) < 0)
        die("issue", &c->err);
    gr_sdjwt_vc_issued_release(c->out, 10);
}

/* One ES256 signature of a credential-sized input through a signer. */
static void sign_with(struct ctx *c, const struct gr_signer *s)
{
    static char input[700];
    uint8_t sig[64];

    if (input[0] == '\0')
        memset(input, 'e', sizeof(input));
    if (gr_signer_sign(s, (struct gr_str){ input, sizeof(input) }, sig, &c->err) < 0)
        die("sign", &c->err);
}

static void op_sign_file(struct ctx *c)
{
    sign_with(c, c->signer);
}

static void op_sign_p11(struct ctx *c)
{
    sign_with(c, c->p11);
}

static void op_issue_batch_p11(struct ctx *c)
{
    struct gr_sdjwt_vc_batch b = { .iat = 1764000000,
                                   .exp = 1795536000,
                                   .count = 10,
                                   .holder_keys = c->holder_refs,
                                   .status = c->status };

    if (gr_sdjwt_vc_issue(c->p11_template, &b, c->out, &c->err) < 0)
        die("issue", &c->err);
    gr_sdjwt_vc_issued_release(c->out, 10);
}

/* A fresh key on the token GR_TEST_P11_URI names, and a signer over it; NULL without one. */
static struct gr_signer *p11_signer(struct ctx *c)
{
    const char *base = getenv("GR_TEST_P11_URI");
    struct gr_buf uri, label;
    struct gr_jwk *pub;
    struct gr_signer *s;

    if (base == NULL)
        return NULL;
    gr_buf_init(&uri, GR_BUF_UNBOUNDED);
    gr_buf_init(&label, GR_BUF_UNBOUNDED);
    gr_buf_printf(&label, "bench-%ld", (long)time(NULL));
    if ((pub = gr_signer_pkcs11_keygen(gr_str_c(base), gr_buf_str(&label), &uri, &c->err)) == NULL)
        die("pkcs11 keygen", &c->err);
    if ((s = gr_signer_new(gr_buf_str(&uri), (struct gr_str){ 0 }, &c->err)) == NULL)
        die("pkcs11 signer", &c->err);
    if ((c->p11_template = gr_sdjwt_vc_template_new(&c->spec, s, &c->err)) == NULL)
        die("template", &c->err);
    gr_jwk_free(pub);
    gr_buf_release(&uri);
    gr_buf_release(&label);
    return s;
}

static void op_verify(struct ctx *c)
{
    if (gr_sdjwt_vc_verify(gr_buf_str(&c->credential), gr_signer_jwk(c->signer), &c->vopts,
                           &c->verified, &c->err) < 0)
        die("verify", &c->err);
}

int main(int argc, char **argv)
{
    static struct ctx c;
    double seconds = 1.0;
    const char *prev = NULL, *save = NULL;
    struct gr_jwk *key, *holders[10];
    struct figure fig[9];
    size_t nfig = 5;
    FILE *sf;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--previous") == 0 && i + 1 < argc)
            prev = argv[++i];
        else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
            save = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sdjwt [--seconds S] [--previous FILE] [--save FILE]\n");
            return 2;
        }
    }
    c.spec = (struct gr_sdjwt_vc_spec){
        .vct = GR_STR("urn:eudi:pid:1"),
        .iss = GR_STR("https://issuer.example.com"),
        .claims_json = GR_STR(PID_CLAIMS),
        .disclosable_json = GR_STR(PID_DISCLOSABLE),
        .decoys_min = GR_SDJWT_DECOYS_MIN,
        .decoys_max = GR_SDJWT_DECOYS_MAX,
    };
    if ((key = gr_jwk_generate(&c.err)) == NULL)
        die("keygen", &c.err);
    {
        struct gr_buf json;

        gr_buf_init(&json, GR_BUF_UNBOUNDED);
        gr_jwk_to_json(key, true, &json);
        c.signer = gr_signer_new_key(gr_jwk_parse(gr_buf_str(&json), GR_JWK_PRIVATE, &c.err),
                                     (struct gr_str){ 0 }, &c.err);
        gr_buf_release(&json);
    }
    if (c.signer == NULL)
        die("signer", &c.err);
    for (int i = 0; i < 10; i++) {
        if ((holders[i] = gr_jwk_generate(&c.err)) == NULL)
            die("keygen", &c.err);
        c.holder_refs[i] = holders[i];
        c.status[i] = (struct gr_status_ref){ GR_STR("https://issuer.example.com/status-lists/1"),
                                              1000u + (unsigned)i * 7919u };
    }
    /* The bare operations as `openssl speed ecdsap256` does them: a digest, a prepared context. */
    c.sctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    c.vctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    c.der_len = sizeof(c.der);
    memset(c.digest, 0x5a, sizeof(c.digest));
    if (!c.sctx || !c.vctx || EVP_PKEY_sign_init(c.sctx) <= 0 ||
        EVP_PKEY_verify_init(c.vctx) <= 0 ||
        EVP_PKEY_sign(c.sctx, c.der, &c.der_len, c.digest, sizeof(c.digest)) <= 0)
        die("openssl", NULL);
    if ((c.template = gr_sdjwt_vc_template_new(&c.spec, c.signer, &c.err)) == NULL)
        die("template", &c.err);
    {
        struct gr_sdjwt_vc_batch b = { .iat = 1764000000,
                                       .exp = 4102444800,
                                       .count = 1,
                                       .holder_keys = c.holder_refs,
                                       .status = c.status };

        if (gr_sdjwt_vc_issue(c.template, &b, c.out, &c.err) < 0)
            die("issue", &c.err);
        c.credential = c.out[0].credential;
    }
    gr_sdjwt_vc_verified_init(&c.verified);

    fig[0] = (struct figure){ "openssl_ecdsa_p256_sign_us", measure(seconds, op_openssl_sign, &c) };
    fig[1] =
        (struct figure){ "openssl_ecdsa_p256_verify_us", measure(seconds, op_openssl_verify, &c) };
    fig[2] = (struct figure){ "sdjwt_issue_one_us", measure(seconds, op_issue_one, &c) };
    fig[3] = (struct figure){ "sdjwt_issue_batch10_per_credential_us",
                              measure(seconds, op_issue_batch, &c) / 10 };
    fig[4] = (struct figure){ "sdjwt_verify_us", measure(seconds, op_verify, &c) };
    if ((c.p11 = p11_signer(&c)) != NULL) {
        fig[nfig++] = (struct figure){ "file_signer_sign_us", measure(seconds, op_sign_file, &c) };
        fig[nfig++] = (struct figure){ "pkcs11_signer_sign_us", measure(seconds, op_sign_p11, &c) };
        fig[nfig++] = fig[3];
        fig[nfig - 1].name = "file_batch10_per_credential_us";
        fig[nfig++] = (struct figure){ "pkcs11_batch10_per_credential_us",
                                       measure(seconds, op_issue_batch_p11, &c) / 10 };
    }

    printf("SD-JWT VC: PID-like subject (10 claims, a nested object, an array), %zu disclosures, "
           "%zu bytes\n",
           c.verified.disclosures, c.credential.len);
    for (size_t i = 0; i < nfig; i++) {
        double p = bench_previous(prev, fig[i].name);

        printf("%-40s %9.2f us", fig[i].name, fig[i].us);
        if (p > 0)
            printf("   (previous build %.2f, %+.1f%%)", p, (fig[i].us - p) / p * 100);
        printf("\n");
    }
    printf("ratio issue / bare sign           %.2f   (target <= 1.30)\n", fig[2].us / fig[0].us);
    printf("ratio batch issue / bare sign     %.2f\n", fig[3].us / fig[0].us);
    printf("ratio verify / bare verify        %.2f   (target <= 1.30)\n", fig[4].us / fig[1].us);
    if (c.p11) {
        printf(
            "signer, one signature             file %.1f us, pkcs11 (SoftHSM2) %.1f us (%.2fx)\n",
            fig[5].us, fig[6].us, fig[6].us / fig[5].us);
        printf("credentials/s at batch 10, 1 thread   file %.0f, pkcs11 (SoftHSM2) %.0f\n",
               1e6 / fig[7].us, 1e6 / fig[8].us);
    } else {
        printf("(no GR_TEST_P11_URI: the PKCS#11 figures need scripts/softhsm-test.sh)\n");
    }
    if (save && (sf = fopen(save, "w")) != NULL) {
        for (size_t i = 0; i < nfig; i++)
            fprintf(sf, "%s %.3f\n", fig[i].name, fig[i].us);
        fclose(sf);
    }
    gr_sdjwt_vc_verified_release(&c.verified);
    gr_buf_release(&c.credential);
    EVP_PKEY_CTX_free(c.sctx);
    EVP_PKEY_CTX_free(c.vctx);
    gr_sdjwt_vc_template_free(c.template);
    gr_sdjwt_vc_template_free(c.p11_template);
    gr_signer_free(c.p11);
    for (int i = 0; i < 10; i++)
        gr_jwk_free(holders[i]);
    gr_signer_free(c.signer);
    gr_jwk_free(key);
    return 0;
}

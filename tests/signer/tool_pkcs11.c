/*
 * tool_pkcs11: the PKCS#11 signer against a real SoftHSM2 token, run by
 * test_pkcs11_signer.sh under scripts/softhsm-test.sh (GR_TEST_P11_* say where the
 * token is). Prints "ok - NAME" / "not ok - NAME" per check.
 *
 * A key made on the token; a signer opened from its URI; 8 threads signing at
 * once, every signature verified with the public key read from the token;
 * wrong PIN, missing token, missing key and a refused URI, each a clear code
 * and never the PIN in an error; a second signer on the same module; then the
 * token taken away under a live signer (fails fast, TEMPORARILY_UNAVAILABLE)
 * and put back (signs again by itself).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/gramota.h>

#include "core/internal.h"

#define THREADS 8
#define SIGNS   40

static int failures;
static char pin[300];

static void check(bool cond, const char *fmt, ...) GR_PRINTF(2, 3);
static void check(bool cond, const char *fmt, ...)
{
    va_list ap;

    printf(cond ? "ok - " : "not ok - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    failures += !cond;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL) {
        fprintf(stderr, "tool_pkcs11: %s is not set: run under scripts/softhsm-test.sh\n", name);
        exit(2);
    }
    return v;
}

/* The PIN's text never shows in what an error says or logs. */
static bool pin_hidden(const struct gr_err *err)
{
    return strstr(err->desc, pin) == NULL && strstr(err->cause, pin) == NULL;
}

/* One JWS through the signer, verified with `pub` by the library's verifier. */
static int sign_verify(const struct gr_signer *s, const struct gr_jwk *pub, int n,
                       struct gr_err *err)
{
    struct gr_buf header, h64, payload, jws;
    struct gr_jws parsed;
    int rc = -1;

    gr_buf_init(&header, GR_BUF_UNBOUNDED);
    gr_buf_init(&h64, GR_BUF_UNBOUNDED);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&jws, GR_BUF_UNBOUNDED);
    gr_jws_init(&parsed);
    gr_signer_header(s, "statuslist+jwt", &header);
    gr_buf_add_b64url(&h64, header.data, header.len);
    gr_buf_printf(&payload, "{\"n\":%d}", n);
    if (gr_signer_jws(s, gr_buf_str(&h64), gr_buf_str(&payload), &jws, err) == 0 &&
        gr_jws_parse(gr_buf_str(&jws), &parsed, err) == 0 && gr_jws_verify(&parsed, pub, err) == 0)
        rc = 0;
    gr_jws_release(&parsed);
    gr_buf_release(&header);
    gr_buf_release(&h64);
    gr_buf_release(&payload);
    gr_buf_release(&jws);
    return rc;
}

struct worker {
    pthread_t t;
    const struct gr_signer *s;
    const struct gr_jwk *pub;
    int id, good;
    struct gr_err err;
};

static void *work(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < SIGNS; i++)
        w->good += sign_verify(w->s, w->pub, w->id * 1000 + i, &w->err) == 0;
    return NULL;
}

static void threads(const struct gr_signer *s, const struct gr_jwk *pub)
{
    struct worker w[THREADS];
    int good = 0;
    double t0 = now_s();

    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ .s = s, .pub = pub, .id = i };
        pthread_create(&w[i].t, NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(w[i].t, NULL);
        good += w[i].good;
        if (w[i].good != SIGNS)
            printf("# thread %d: %s (%s)\n", i, w[i].err.desc, w[i].err.cause);
    }
    check(good == THREADS * SIGNS,
          "%d threads signed %d JWS at once, %d verify with the token's public key (%.0f/s)",
          THREADS, THREADS * SIGNS, good, THREADS * SIGNS / (now_s() - t0));
}

/* gr_signer_new(uri) must fail with `want`, saying nothing of the PIN. */
static void refused(const char *what, const char *uri, enum gr_errc want)
{
    struct gr_err err = { 0 };
    struct gr_signer *s = gr_signer_new(gr_str_c(uri), (struct gr_str){ NULL, 0 }, &err);

    check(s == NULL && err.code == want && pin_hidden(&err), "%s: %s (%s; %s)", what,
          s ? "opened" : gr_errc_name(err.code), err.desc, err.cause);
    gr_signer_free(s);
}

static void refusals(const char *base, const char *key_uri, const char *tmp)
{
    char uri[2048], bad_pin[600];
    const char *q = strchr(base, '?');
    FILE *f;

    snprintf(bad_pin, sizeof(bad_pin), "%s/wrong-pin", tmp);
    f = fopen(bad_pin, "w");
    fprintf(f, "%s0\n", pin);
    fclose(f);
    snprintf(uri, sizeof(uri), "%.*s;object=t-key?module-path=%s&pin-source=file:%s",
             (int)(q - base), base, env("GR_TEST_P11_MODULE"), bad_pin);
    refused("a wrong PIN is UNAUTHORIZED", uri, GR_ERR_UNAUTHORIZED);
    snprintf(uri, sizeof(uri), "pkcs11:token=no-such-token;object=t-key%s", q);
    refused("a missing token is NOT_FOUND", uri, GR_ERR_NOT_FOUND);
    snprintf(uri, sizeof(uri), "%.*s;object=no-such-key%s", (int)(q - base), base, q);
    refused("a missing key is NOT_FOUND", uri, GR_ERR_NOT_FOUND);
    snprintf(uri, sizeof(uri), "%s&pin-value=%s", key_uri, pin);
    refused("pin-value is refused (USAGE)", uri, GR_ERR_USAGE);
    snprintf(uri, sizeof(uri), "%.*s;object=t-key?module-path=/nonexistent/libnone.so",
             (int)(q - base), base);
    refused("a module that cannot be loaded is IO", uri, GR_ERR_IO);
    snprintf(uri, sizeof(uri), "%.*s;object=t-key?module-path=%s&pin-source=file:%s/none",
             (int)(q - base), base, env("GR_TEST_P11_MODULE"), tmp);
    refused("a missing PIN file is IO", uri, GR_ERR_IO);
    snprintf(uri, sizeof(uri), "%.*s;object=t-key?module-path=%s", (int)(q - base), base,
             env("GR_TEST_P11_MODULE"));
    refused("no pin-source on a token that needs a login is UNAUTHORIZED", uri,
            GR_ERR_UNAUTHORIZED);
}

/* The PIN from an environment variable, and module-name through p11-kit. */
static void other_sources(const char *key_uri, const struct gr_jwk *pub)
{
    char uri[2048];
    const char *q = strchr(key_uri, '?');
    struct gr_signer *s;
    struct gr_err err;

    setenv("GR_TEST_P11_PIN", pin, 1);
    snprintf(uri, sizeof(uri), "%.*s?module-name=softhsm2&pin-source=env:GR_TEST_P11_PIN",
             (int)(q - key_uri), key_uri);
    s = gr_signer_new(gr_str_c(uri), (struct gr_str){ NULL, 0 }, &err);
    check(s && gr_jwk_equal(gr_signer_jwk(s), pub) && sign_verify(s, pub, 1, &err) == 0,
          "module-name=softhsm2 and pin-source=env: open the same key%s%s", s ? "" : ": ",
          s ? "" : err.desc);
    gr_signer_free(s);
    unsetenv("GR_TEST_P11_PIN");
}

/* Token away under a live signer: fails fast; back: signs again by itself. */
static void removal(struct gr_signer *s, const struct gr_jwk *pub)
{
    struct gr_err err;
    double t0, took;
    int rc, i;

    check(gr_signer_check(s, &err) == 0, "the signer's readiness check passes");
    if (system(env("GR_TEST_P11_AWAY")) != 0) {
        check(false, "GR_TEST_P11_AWAY takes the token away");
        return;
    }
    t0 = now_s();
    rc = sign_verify(s, pub, 1, &err);
    took = now_s() - t0;
    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && took < 2 && pin_hidden(&err),
          "token away: signing fails in %.3f s, %s (%s; %s)", took,
          rc < 0 ? gr_errc_name(err.code) : "signed", err.desc, err.cause);
    t0 = now_s();
    for (i = 0; i < 20; i++)
        rc = sign_verify(s, pub, 1, &err);
    took = now_s() - t0;
    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE && took < 1,
          "token away: 20 more signs fail fast (%.3f s in all)", took);
    rc = gr_signer_check(s, &err);
    check(rc < 0 && err.code == GR_ERR_TEMPORARILY_UNAVAILABLE,
          "token away: the readiness check fails (%s)", err.cause);
    if (system(env("GR_TEST_P11_BACK")) != 0) {
        check(false, "GR_TEST_P11_BACK puts the token back");
        return;
    }
    t0 = now_s();
    while ((rc = sign_verify(s, pub, 2, &err)) < 0 && now_s() - t0 < 5)
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    check(rc == 0, "token back: signing works again after %.1f s, no restart", now_s() - t0);
    check(gr_signer_check(s, &err) == 0, "token back: the readiness check passes");
    threads(s, pub);
}

int main(void)
{
    const char *base = env("GR_TEST_P11_URI");
    char tmp[512];
    struct gr_buf pinb, key_uri;
    struct gr_signer *s = NULL, *s2 = NULL;
    struct gr_jwk *pub, *again;
    struct gr_err err;

    snprintf(tmp, sizeof(tmp), "%s", env("GR_TEST_P11_PIN_FILE"));
    *strrchr(tmp, '/') = '\0';
    gr_buf_init(&pinb, 1024);
    if (gr__read_file(env("GR_TEST_P11_PIN_FILE"), 1024, &pinb, &err) < 0)
        return 2;
    snprintf(pin, sizeof(pin), "%.*s", (int)strcspn(pinb.data, "\n"), pinb.data);
    gr_buf_release(&pinb);

    gr_buf_init(&key_uri, GR_BUF_UNBOUNDED);
    pub = gr_signer_pkcs11_keygen(gr_str_c(base), GR_STR("t-key"), &key_uri, &err);
    check(pub != NULL, "keygen on the token: %s", pub ? key_uri.data : err.desc);
    if (pub == NULL)
        return 1;
    again = gr_signer_pkcs11_keygen(gr_str_c(base), GR_STR("t-key"), &(struct gr_buf){ 0 }, &err);
    check(again == NULL && err.code == GR_ERR_CONFLICT, "keygen of a taken label is CONFLICT");
    gr_jwk_free(again);
    {
        struct gr_buf small;

        /* A URI that will not fit is refused before the key is made: the label stays free. */
        gr_buf_init(&small, 16);
        again = gr_signer_pkcs11_keygen(gr_str_c(base), GR_STR("t-small"), &small, &err);
        check(again == NULL && err.code == GR_ERR_USAGE && small.len == 0,
              "keygen into a buffer too small for its URI is USAGE, the buffer untouched");
        gr_buf_release(&small);
        gr_buf_init(&small, GR_BUF_UNBOUNDED);
        again = gr_signer_pkcs11_keygen(gr_str_c(base), GR_STR("t-small"), &small, &err);
        check(again != NULL, "...and left no key behind: the label is free for the next one%s%s",
              again ? "" : ": ", again ? "" : err.desc);
        gr_jwk_free(again);
        gr_buf_release(&small);
    }
    /*
     * Before any signer is open: a login is per token and process (PKCS#11
     * §5.6), so once one signer is logged in, a second one's wrong PIN is
     * never even asked about.
     */
    refusals(base, key_uri.data, tmp);
    s = gr_signer_new(gr_buf_str(&key_uri), (struct gr_str){ NULL, 0 }, &err);
    check(s && gr_jwk_equal(gr_signer_jwk(s), pub) && !strcmp(gr_signer_name(s), "pkcs11"),
          "the signer opened from keygen's URI has the token's public key%s%s", s ? "" : ": ",
          s ? "" : err.desc);
    if (s == NULL)
        return 1;
    threads(s, pub);
    other_sources(key_uri.data, pub);
    /* A second signer on the same module shares its C_Initialize; freeing it leaves ours. */
    s2 = gr_signer_new(gr_buf_str(&key_uri), (struct gr_str){ NULL, 0 }, &err);
    check(s2 && sign_verify(s2, pub, 3, &err) == 0, "a second signer on the same module signs");
    gr_signer_free(s2);
    check(sign_verify(s, pub, 4, &err) == 0,
          "the first signer still signs once the second is freed");
    removal(s, pub);
    gr_signer_free(s);
    gr_jwk_free(pub);
    gr_buf_release(&key_uri);
    printf("# %d failure(s)\n", failures);
    return failures ? 1 : 0;
}

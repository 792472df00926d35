/*
 * gramota serve under load: wallets on loopback running whole pre-authorized
 * code flows, beside the ECDSA P-256 work those flows cannot avoid.
 *
 * It starts `gramota serve` (a temporary data directory, SQLite, a free
 * loopback port, --batch-size 10, request logs to /dev/null), reads the
 * default organization's API key from its first start, and for B = 1 and
 * B = 10 credentials per request runs:
 *   saturation  W wallets back to back for S seconds: credentials per second,
 *               p50/p99 per endpoint, the server's CPU time per credential;
 *   half rate   flows started on a fixed schedule at half the saturation rate
 *               (open loop): p50/p99 per endpoint, the credential p99 against
 *               its 20 ms target (B = 1);
 *   breakdown   the same flows one endpoint at a time, every request signed
 *               before its stage: the server's CPU time per request of each.
 * The floor is measured with OpenSSL in the same run: per credential one ECDSA
 * verification (its key proof) and one signature (the credential), plus the
 * two DPoP verifications of its flow (token, credential) spread over the
 * batch. Targets: server CPU per credential <= 1.5x the floor at B = 1, 1.3x at
 * B = 10. Speed is printed, never asserted; a failed flow, or a server that
 * does not exit 0 on SIGTERM, makes the exit status 1.
 *
 *   bench_server [--gramota PATH] [--seconds S] [--wallets W] [--threads T]
 *                [--processes 1|2] [--tmp DIR] [--previous FILE] [--save FILE]
 *                [--batch 1|10]
 *
 * --batch runs that batch size alone (comparisons that need one figure, faster).
 * With --processes 2 a second `gramota serve` shares the first's data
 * directory (its store and key) and issuer URL, and every wallet's requests
 * alternate between the two, as behind a load balancer: "server" figures are
 * then the two processes together. With GRAMOTA_DATABASE_URL (and
 * GRAMOTA_REDIS_URL) in the environment the servers use that store.
 *
 * The data directory is made under --tmp (default $TMPDIR, else /tmp): on a
 * disk every commit waits for fdatasync, whose cost is printed; on a tmpfs
 * (/dev/shm) the server's CPU is what limits it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include <gramota/gramota.h>

#include "jose/internal.h"
#include "previous.h"

#ifndef GR_BENCH_GRAMOTA
#define GR_BENCH_GRAMOTA "gramota"
#endif

#define NKEYS       64 /* wallet and holder keys, used in turn */
#define MAX_WALLETS 64
#define MAX_FLOWS   100000 /* per phase, whatever the machine */
#define MAX_FAILS   50     /* a wallet gives up the phase after so many */
#define MAX_FIGURES 80
#define PID_CONFIG  "eu.europa.ec.eudi.pid_vc_sd_jwt"
#define OFFER_BODY                                                                             \
    "{\"vct\":\"urn:eudi:pid:1\",\"subject\":{\"family_name\":\"Mustermann\","                 \
    "\"given_name\":\"Erika\",\"birthdate\":\"1964-08-12\",\"place_of_birth\":{\"locality\":"  \
    "\"Berlin\",\"country\":\"DE\"},\"nationalities\":[\"DE\"],\"address\":{"                  \
    "\"street_address\":\"Heidestrasse 17\",\"locality\":\"Koeln\",\"postal_code\":\"51147\"," \
    "\"country\":\"DE\"},\"date_of_expiry\":\"2031-01-01\",\"issuing_authority\":\"DE\","      \
    "\"issuing_country\":\"DE\"}}"

extern char **environ;

enum ep { EP_OFFER, EP_TOKEN, EP_NONCE, EP_CREDENTIAL, EP_N };
static const char *const ep_name[EP_N] = { "offers", "token", "nonce", "credential" };
static const char *const ep_path[EP_N] = { "/v1/credential-offers", "/oid4vci/token",
                                           "/oid4vci/nonce", "/oid4vci/credential" };

struct key {
    struct gr_jwk *jwk;
    char *dpop_header;  /* {"typ":"dpop+jwt","alg":"ES256","jwk":{...}} */
    char *proof_header; /* {"typ":"openid4vci-proof+jwt","alg":"ES256","jwk":{...}} */
};

/* Start-up state, read-only while the load runs. */
static struct {
    char issuer[64];
    char url[EP_N][128];   /* as the issuer names its endpoints (htu) */
    char to[2][EP_N][128]; /* where each process answers them */
    int nproc;
    char auth[300]; /* "Authorization: Bearer <API key>" */
    struct key key[NKEYS];
    int batch;
    pid_t pid[2];
    char dir[256];    /* the temporary directory, removed at the end */
    clockid_t cpu[2]; /* the servers' CPU-time clocks: every thread of each */
    const char *previous;
    struct {
        char name[64];
        double v;
    } fig[MAX_FIGURES];
    size_t nfig;
} g;

/* One endpoint's latencies, in ms. */
struct samples {
    double *ms;
    size_t n, cap;
};

/* One stage item: a flow cut at its endpoints, each request made before its stage. */
struct item {
    char code[128], token[128], nonce[128];
    struct gr_buf dpop, body;
    bool ok;
};

enum mode { CLOSED, PACED, STAGE };

struct phase {
    enum mode mode;
    enum ep stage;     /* STAGE: the endpoint */
    double seconds;    /* CLOSED, PACED */
    double rate;       /* PACED: flow starts per second */
    double t0, end;    /* set by run_phase */
    atomic_long next;  /* the next flow or item */
    struct item *item; /* STAGE */
    long items;
};

struct wallet {
    pthread_t thread;
    CURL *h;
    struct gr_buf resp;
    struct samples lat[EP_N];
    struct phase *ph;
    long flows, credentials, failures, late;
    double max_lag;
    char failure[300];
    unsigned turn; /* which process the next request goes to */
};

struct result {
    double wall, server_cpu, client_cpu, others_cpu, store_cpu;
    long flows, credentials, failures, late;
    double max_lag;
    double p50[EP_N], p99[EP_N];
    char failure[300];
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the server processes, together. */
static double servers_cpu_s(void)
{
    double sum = 0;

    for (int k = 0; k < g.nproc; k++)
        sum += clock_s(g.cpu[k]);
    return sum;
}

/* CPU seconds the whole machine spent busy (/proc/stat), to tell other load apart. */
static double machine_busy_s(void)
{
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                       &v[4], &v[5], &v[6], &v[7])
              : 0;

    if (f)
        fclose(f);
    if (n != 8)
        return 0;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* The pid on the first line of `path` (a pid file); 0 when there is none. */
static long pid_in(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    long pid = 0;

    if (f && fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    if (f)
        fclose(f);
    return pid;
}

/*
 * CPU seconds of the store's own processes: the PostgreSQL postmaster of
 * GR_TEST_PG_PIDFILE with its backends, and the Redis of
 * GR_TEST_REDIS_PIDFILE (scripts/pg-test.sh and redis-test.sh set them).
 * Unlike the machine's busy time, other load on the machine does not count.
 */
static double store_cpu_s(void)
{
    long pg = pid_in(getenv("GR_TEST_PG_PIDFILE")), rd = pid_in(getenv("GR_TEST_REDIS_PIDFILE"));
    unsigned long long ticks = 0, ut, st;
    char path[64], line[1024], *p;
    struct dirent *e;
    DIR *d;
    long pid, ppid;

    if ((pg == 0 && rd == 0) || (d = opendir("/proc")) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        FILE *f;

        if ((pid = strtol(e->d_name, &p, 10)) <= 0 || *p != '\0')
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL; /* past "(comm)" */
        fclose(f);
        /* ") state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime" */
        if (p == NULL || sscanf(p, ") %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ppid,
                                &ut, &st) != 3)
            continue;
        if ((pg && (pid == pg || ppid == pg)) || (rd && pid == rd))
            ticks += ut + st;
    }
    closedir(d);
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static void remove_dir(void)
{
    char *rm[] = { "rm", "-rf", g.dir, NULL };
    pid_t p;

    if (g.dir[0] && posix_spawnp(&p, "rm", NULL, NULL, rm, environ) == 0)
        waitpid(p, NULL, 0);
    g.dir[0] = '\0';
}

static void die(const char *what, const struct gr_err *err)
{
    fprintf(stderr, "bench_server: %s%s%s\n", what, err ? ": " : "", err ? err->desc : "");
    for (int k = 0; k < 2; k++) {
        if (g.pid[k] > 0) {
            kill(g.pid[k], SIGKILL);
            waitpid(g.pid[k], NULL, 0);
        }
    }
    remove_dir();
    exit(1);
}

/* ---- figures: kept by name, compared with a previous run's ---- */

static double previous(const char *name)
{
    return bench_previous(g.previous, name);
}

/* Keep figure `name` and write its change against the previous run into `note`. */
static void keep(const char *name, double v, char *note, size_t size)
{
    double p = previous(name);

    note[0] = '\0';
    if (g.nfig < MAX_FIGURES) {
        snprintf(g.fig[g.nfig].name, sizeof(g.fig[g.nfig].name), "%.63s", name);
        g.fig[g.nfig++].v = v;
    }
    if (p > 0)
        snprintf(note, size, "   (previous %.2f, %+.1f%%)", p, (v - p) / p * 100);
}

/* Print and keep one figure: "b1_credentials_per_s   123.45 /s". */
static void figure(const char *prefix, const char *name, double v, const char *unit)
{
    char full[64], note[64];

    /* Names are ours and short; a cut one would only print shorter. */
    if ((size_t)snprintf(full, sizeof(full), "%.16s%.46s", prefix, name) >= sizeof(full))
        full[sizeof(full) - 1] = '\0';
    keep(full, v, note, sizeof(note));
    printf("  %-44s %10.2f %-3s%s\n", full, v, unit, note);
}

/* ---- the client's requests ---- */

static size_t on_data(char *p, size_t size, size_t n, void *buf)
{
    gr_buf_add(buf, p, size * n);
    return size * n;
}

static void samples_add(struct samples *s, double ms)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        if ((s->ms = realloc(s->ms, s->cap * sizeof(*s->ms))) == NULL)
            die("out of memory", NULL);
    }
    s->ms[s->n++] = ms;
}

/* POST `body` to `ep`: the HTTP status (0 when none came), the answer in w->resp. */
static long post(struct wallet *w, enum ep ep, struct curl_slist *hdrs, struct gr_str body)
{
    long status = 0;
    double t;
    CURLcode rc;

    gr_buf_reset(&w->resp);
    curl_easy_setopt(w->h, CURLOPT_URL, g.to[w->turn++ % (unsigned)g.nproc][ep]);
    curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, body.p);
    t = now_s();
    rc = curl_easy_perform(w->h);
    samples_add(&w->lat[ep], (now_s() - t) * 1e3);
    if (rc != CURLE_OK) {
        gr_buf_reset(&w->resp);
        gr_buf_adds(&w->resp, curl_easy_strerror(rc));
        return 0;
    }
    curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* The request headers: "Name: value" strings, the last one NULL. */
static struct curl_slist *headers(const char *const *h)
{
    struct curl_slist *l = NULL;

    /* No "Expect: 100-continue" round trip on the larger bodies. */
    l = curl_slist_append(l, "Expect:");
    for (; *h; h++)
        l = curl_slist_append(l, *h);
    if (l == NULL)
        die("out of memory", NULL);
    return l;
}

static int fail(struct wallet *w, enum ep ep, long status)
{
    if (w->failures++ == 0)
        snprintf(w->failure, sizeof(w->failure), "%s answered %ld: %.200s", ep_name[ep], status,
                 w->resp.data ? w->resp.data : "");
    return -1;
}

/* Copy the string member `name` of the JSON answer into `out`. */
static int json_member(const struct gr_buf *resp, const char *name, char *out, size_t size)
{
    json_t *root = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
    const char *s = json_string_value(json_object_get(root, name));
    int rc = -1;

    if (s && strlen(s) < size) {
        memcpy(out, s, strlen(s) + 1);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

/* How many credentials the answer carries: {"credentials":[{"credential":"..."}, ...]}. */
static long count_credentials(const struct gr_buf *resp)
{
    json_t *root = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
    json_t *list = json_object_get(root, "credentials"), *c;
    long n = json_is_array(list) ? (long)json_array_size(list) : -1;
    size_t i;

    json_array_foreach (list, i, c) {
        if (!json_is_string(json_object_get(c, "credential")))
            n = -1;
    }
    json_decref(root);
    return n;
}

static int do_offer(struct wallet *w, char code[128])
{
    const char *h[] = { g.auth, "Content-Type: application/json", NULL };
    struct curl_slist *l = headers(h);
    long st = post(w, EP_OFFER, l, GR_STR(OFFER_BODY));

    curl_slist_free_all(l);
    if (st != 201 || json_member(&w->resp, "preAuthCode", code, 128) < 0)
        return fail(w, EP_OFFER, st);
    return 0;
}

static int do_token(struct wallet *w, const struct gr_buf *form, const struct gr_buf *dpop,
                    char token[128])
{
    char type[16];
    struct gr_buf dh;
    struct curl_slist *l;
    long st;

    gr_buf_init(&dh, GR_BUF_UNBOUNDED);
    gr_buf_printf(&dh, "DPoP: %s", dpop->data);
    l = headers(
        (const char *[]){ dh.data, "Content-Type: application/x-www-form-urlencoded", NULL });
    st = post(w, EP_TOKEN, l, gr_buf_str(form));
    curl_slist_free_all(l);
    gr_buf_release(&dh);
    if (st != 200 || json_member(&w->resp, "access_token", token, 128) < 0 ||
        json_member(&w->resp, "token_type", type, sizeof(type)) < 0 || strcmp(type, "DPoP") != 0)
        return fail(w, EP_TOKEN, st);
    return 0;
}

static int do_nonce(struct wallet *w, char nonce[128])
{
    const char *h[] = { NULL };
    struct curl_slist *l = headers(h);
    long st = post(w, EP_NONCE, l, GR_STR(""));

    curl_slist_free_all(l);
    if (st != 200 || json_member(&w->resp, "c_nonce", nonce, 128) < 0)
        return fail(w, EP_NONCE, st);
    return 0;
}

static int do_credential(struct wallet *w, const char *token, const struct gr_buf *dpop,
                         const struct gr_buf *body)
{
    char auth[160];
    struct gr_buf dh;
    struct curl_slist *l;
    long st, n;

    snprintf(auth, sizeof(auth), "Authorization: DPoP %s", token);
    gr_buf_init(&dh, GR_BUF_UNBOUNDED);
    gr_buf_printf(&dh, "DPoP: %s", dpop->data);
    l = headers((const char *[]){ auth, dh.data, "Content-Type: application/json", NULL });
    st = post(w, EP_CREDENTIAL, l, gr_buf_str(body));
    curl_slist_free_all(l);
    gr_buf_release(&dh);
    if (st != 200 || (n = count_credentials(&w->resp)) != g.batch)
        return fail(w, EP_CREDENTIAL, st);
    w->credentials += n;
    return 0;
}

/* ---- what the wallet signs ---- */

/* A DPoP proof (RFC 9449 §4.2) by `k` for POST to `ep`; with `ath` when `token` is set. */
static void sign_dpop(const struct key *k, enum ep ep, const char *token, struct gr_buf *out)
{
    uint8_t jti[12], ath[32];
    char jti64[17], ath64[44];
    struct gr_buf payload;
    struct gr_err err;

    if (gr_random(jti, sizeof(jti), &err) < 0)
        die("random", &err);
    gr_b64url_encode(jti, sizeof(jti), jti64);
    jti64[16] = '\0';
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_printf(&payload, "{\"jti\":\"%s\",\"htm\":\"POST\",\"htu\":\"%s\",\"iat\":%lld", jti64,
                  g.url[ep], (long long)time(NULL));
    if (token) {
        gr_sha256(token, strlen(token), ath);
        gr_b64url_encode(ath, sizeof(ath), ath64);
        ath64[43] = '\0';
        gr_buf_printf(&payload, ",\"ath\":\"%s\"", ath64);
    }
    gr_buf_addc(&payload, '}');
    gr_buf_reset(out);
    if (gr_jws_sign(k->jwk, gr_str_c(k->dpop_header), gr_buf_str(&payload), out, &err) < 0)
        die("sign a DPoP proof", &err);
    gr_buf_release(&payload);
}

/* The token request's form: the pre-authorized code, percent-encoded. */
static void token_form(const char *code, struct gr_buf *out)
{
    gr_buf_reset(out);
    gr_buf_adds(out, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
                     "&pre-authorized_code=");
    for (const char *p = code; *p; p++) {
        char c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            gr_buf_addc(out, c);
        else
            gr_buf_printf(out, "%%%02X", (unsigned)(unsigned char)c);
    }
}

/*
 * The credential request of flow `flow`: B key proofs over `nonce`, each by
 * its own holder key, and the DPoP proof of the flow's wallet key.
 */
static void credential_request(long flow, const char *token, const char *nonce, struct gr_buf *dpop,
                               struct gr_buf *body)
{
    struct gr_buf payload;
    struct gr_err err;

    sign_dpop(&g.key[flow % NKEYS], EP_CREDENTIAL, token, dpop);
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_printf(&payload, "{\"aud\":\"%s\",\"iat\":%lld,\"nonce\":\"%s\"}", g.issuer,
                  (long long)time(NULL), nonce);
    gr_buf_reset(body);
    gr_buf_adds(body, "{\"credential_configuration_id\":\"" PID_CONFIG "\",\"proofs\":{\"jwt\":[");
    for (int i = 0; i < g.batch; i++) {
        const struct key *k = &g.key[((size_t)flow * (size_t)g.batch + (size_t)i) % NKEYS];

        gr_buf_adds(body, i ? ",\"" : "\"");
        if (gr_jws_sign(k->jwk, gr_str_c(k->proof_header), gr_buf_str(&payload), body, &err) < 0)
            die("sign a key proof", &err);
        gr_buf_addc(body, '"');
    }
    gr_buf_adds(body, "]}}");
    gr_buf_release(&payload);
}

/* One whole flow, as a wallet given an offer runs it. */
static void flow(struct wallet *w, long n)
{
    char code[128], token[128], nonce[128];
    struct gr_buf form, dpop, body;

    gr_buf_init(&form, GR_BUF_UNBOUNDED);
    gr_buf_init(&dpop, GR_BUF_UNBOUNDED);
    gr_buf_init(&body, GR_BUF_UNBOUNDED);
    if (do_offer(w, code) < 0)
        goto out;
    token_form(code, &form);
    sign_dpop(&g.key[n % NKEYS], EP_TOKEN, NULL, &dpop);
    if (do_token(w, &form, &dpop, token) < 0 || do_nonce(w, nonce) < 0)
        goto out;
    credential_request(n, token, nonce, &dpop, &body);
    if (do_credential(w, token, &dpop, &body) == 0)
        w->flows++;
out:
    gr_buf_release(&form);
    gr_buf_release(&dpop);
    gr_buf_release(&body);
}

static void stage_step(struct wallet *w, enum ep ep, struct item *it)
{
    if (!it->ok)
        return;
    switch (ep) {
    case EP_OFFER:
        it->ok = do_offer(w, it->code) == 0;
        break;
    case EP_TOKEN:
        it->ok = do_token(w, &it->body, &it->dpop, it->token) == 0;
        break;
    case EP_NONCE:
        it->ok = do_nonce(w, it->nonce) == 0;
        break;
    case EP_CREDENTIAL:
        it->ok = do_credential(w, it->token, &it->dpop, &it->body) == 0;
        w->flows += it->ok;
        break;
    case EP_N:
        break;
    }
}

static void *wallet_run(void *arg)
{
    struct wallet *w = arg;
    struct phase *ph = w->ph;

    while (w->failures < MAX_FAILS) {
        long n = atomic_fetch_add(&ph->next, 1);
        double at, lag;
        struct timespec ts;

        if (n >= MAX_FLOWS || (ph->mode == STAGE && n >= ph->items))
            break;
        if (ph->mode == STAGE) {
            stage_step(w, ph->stage, &ph->item[n]);
            continue;
        }
        at = ph->mode == PACED ? ph->t0 + (double)n / ph->rate : now_s();
        if (at >= ph->end)
            break;
        if (ph->mode == PACED) {
            ts.tv_sec = (time_t)at;
            ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
            lag = now_s() - at;
            w->max_lag = lag > w->max_lag ? lag : w->max_lag;
            w->late += lag > 0.005;
        }
        flow(w, n);
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentiles of one endpoint over every wallet. */
static void percentiles(struct wallet *w, int nw, enum ep ep, double *p50, double *p99)
{
    size_t n = 0, k = 0;
    double *all;

    for (int i = 0; i < nw; i++)
        n += w[i].lat[ep].n;
    *p50 = *p99 = 0;
    if (n == 0)
        return;
    if ((all = malloc(n * sizeof(*all))) == NULL)
        die("out of memory", NULL);
    for (int i = 0; i < nw; i++) {
        memcpy(all + k, w[i].lat[ep].ms, w[i].lat[ep].n * sizeof(*all));
        k += w[i].lat[ep].n;
    }
    qsort(all, n, sizeof(*all), by_value);
    *p50 = all[(size_t)ceil(0.50 * (double)n) - 1];
    *p99 = all[(size_t)ceil(0.99 * (double)n) - 1];
    free(all);
}

/* Run `ph` on `nw` wallets; the server's and this process's CPU time over it. */
static void run_phase(struct phase *ph, struct wallet *w, int nw, struct result *r)
{
    double c0, s0, m0, d0, t0;

    memset(r, 0, sizeof(*r));
    for (int i = 0; i < nw; i++) {
        for (int e = 0; e < EP_N; e++)
            w[i].lat[e].n = 0;
        w[i].flows = w[i].credentials = w[i].failures = w[i].late = 0;
        w[i].max_lag = 0;
        w[i].ph = ph;
    }
    atomic_store(&ph->next, 0);
    s0 = servers_cpu_s();
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    m0 = machine_busy_s();
    d0 = store_cpu_s();
    t0 = now_s();
    ph->t0 = t0 + 0.01; /* the first paced start, once the threads are up */
    ph->end = ph->t0 + ph->seconds;
    for (int i = 0; i < nw; i++) {
        if (pthread_create(&w[i].thread, NULL, wallet_run, &w[i]) != 0)
            die("pthread_create", NULL);
    }
    for (int i = 0; i < nw; i++)
        pthread_join(w[i].thread, NULL);
    r->wall = now_s() - t0;
    r->server_cpu = servers_cpu_s() - s0;
    r->client_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    r->store_cpu = store_cpu_s() - d0;
    r->others_cpu = machine_busy_s() - m0 - r->server_cpu - r->client_cpu;
    r->others_cpu = r->others_cpu > 0 ? r->others_cpu : 0;
    for (int i = 0; i < nw; i++) {
        r->flows += w[i].flows;
        r->credentials += w[i].credentials;
        r->late += w[i].late;
        r->max_lag = w[i].max_lag > r->max_lag ? w[i].max_lag : r->max_lag;
        if (w[i].failures && r->failures == 0)
            memcpy(r->failure, w[i].failure, sizeof(r->failure));
        r->failures += w[i].failures;
    }
    for (int e = 0; e < EP_N; e++)
        percentiles(w, nw, (enum ep)e, &r->p50[e], &r->p99[e]);
}

/* ---- the server ---- */

static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool healthy(const char *base)
{
    char url[96];
    long status = 0;
    CURL *h = curl_easy_init();
    struct gr_buf sink;

    gr_buf_init(&sink, GR_BUF_UNBOUNDED);
    snprintf(url, sizeof(url), "%s/healthz", base);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    gr_buf_release(&sink);
    return status == 200;
}

static void print_file(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    char line[512];

    while (f && fgets(line, sizeof(line), f))
        printf("%s%s", prefix, line);
    if (f)
        fclose(f);
}

/*
 * `gramota serve` number `k` on a free loopback port, its standard output and
 * error to `out` and `errf`; back once /healthz answers. The first names the
 * issuer URL, the second serves under it. Retries when the port was taken in
 * between.
 */
static void start_server(int k, const char *gramota, const char *data, const char *threads,
                         const char *out, const char *errf)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int port = free_port(), st;
        char listen[32], base[64];
        char *argv[16] = { (char *)gramota, "serve",  "--listen",   listen,
                           "--issuer-url",  g.issuer, "--data-dir", (char *)data,
                           "--batch-size",  "10",     NULL };
        posix_spawn_file_actions_t fa;

        if (threads) {
            argv[10] = "--threads";
            argv[11] = (char *)threads;
        }
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
        if (k == 0)
            snprintf(g.issuer, sizeof(g.issuer), "%s", base);
        for (int e = 0; e < EP_N; e++)
            snprintf(g.to[k][e], sizeof(g.to[k][e]), "%s%s", base, ep_path[e]);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, errf, O_WRONLY | O_CREAT | O_APPEND, 0600);
        errno = posix_spawn(&g.pid[k], gramota, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (errno != 0) {
            fprintf(stderr, "bench_server: cannot run %s: %s\n", gramota, strerror(errno));
            exit(1);
        }
        for (int i = 0; i < 150; i++) {
            if (healthy(base))
                return;
            if (waitpid(g.pid[k], &st, WNOHANG) == g.pid[k])
                break;
            nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
        }
        if (kill(g.pid[k], SIGKILL) == 0)
            waitpid(g.pid[k], &st, 0);
    }
    g.pid[k] = 0;
    print_file(errf, "  server: ");
    die("gramota serve did not answer /healthz", NULL);
}

/* SIGTERM to server `k`, then its exit status (-1: killed, or still running after 15 s). */
static int stop_server(int k)
{
    int st = 0;

    kill(g.pid[k], SIGTERM);
    for (int i = 0; i < 150; i++) {
        if (waitpid(g.pid[k], &st, WNOHANG) == g.pid[k]) {
            g.pid[k] = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
    kill(g.pid[k], SIGKILL);
    waitpid(g.pid[k], &st, 0);
    g.pid[k] = 0;
    return -1;
}

/* The API key on the line after "organization 'default' created ...". */
static void read_api_key(const char *out)
{
    FILE *f = fopen(out, "r");
    char line[256];
    bool next = false;

    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (next && strncmp(line, "gk_", 3) == 0) {
            snprintf(g.auth, sizeof(g.auth), "Authorization: Bearer %s", line);
            break;
        }
        next = strstr(line, "organization 'default' created") != NULL;
    }
    if (f)
        fclose(f);
    if (g.auth[0] == '\0') {
        print_file(out, "  server: ");
        die("no API key (gk_...) after \"organization 'default' created\" in the server's output",
            NULL);
    }
}

/* Resident memory of the servers, together. */
static long rss_kb(void)
{
    char path[64], line[256];
    long sum = 0, kb;
    FILE *f;

    for (int k = 0; k < g.nproc; k++) {
        snprintf(path, sizeof(path), "/proc/%d/status", (int)g.pid[k]);
        f = fopen(path, "r");
        kb = 0;
        while (f && fgets(line, sizeof(line), f)) {
            if (sscanf(line, "VmRSS: %ld", &kb) == 1)
                break;
        }
        if (f)
            fclose(f);
        sum += kb;
    }
    return sum;
}

/* ---- the runs ---- */

/*
 * OpenSSL's bare ECDSA P-256 as `openssl speed ecdsap256` does it (a digest, a
 * prepared context): CPU microseconds per sign and per verify, the median of
 * five rounds. CPU time, like the server's, so that other load on the machine
 * does not count.
 */
static void measure_floor(double seconds, double *sign_us, double *verify_us)
{
    const struct gr_jwk *k = g.key[0].jwk;
    EVP_PKEY_CTX *s = EVP_PKEY_CTX_new(k->pkey, NULL), *v = EVP_PKEY_CTX_new(k->pkey, NULL);
    uint8_t digest[32], der[80], tmp[80];
    size_t der_len = sizeof(der), len;
    double round[5], c0, end;
    long n;

    memset(digest, 0x5a, sizeof(digest));
    if (!s || !v || EVP_PKEY_sign_init(s) <= 0 || EVP_PKEY_verify_init(v) <= 0 ||
        EVP_PKEY_sign(s, der, &der_len, digest, sizeof(digest)) <= 0)
        die("openssl", NULL);
    for (int op = 0; op < 2; op++) {
        for (size_t r = 0; r < GR_NELEM(round); r++) {
            c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
            end = now_s() + seconds / (double)GR_NELEM(round);
            for (n = 0; n < 16 || now_s() < end; n++) {
                len = sizeof(tmp);
                if (op == 0 ? EVP_PKEY_sign(s, tmp, &len, digest, sizeof(digest)) <= 0
                            : EVP_PKEY_verify(v, der, der_len, digest, sizeof(digest)) != 1)
                    die("openssl", NULL);
            }
            round[r] = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6 / (double)n;
        }
        qsort(round, GR_NELEM(round), sizeof(round[0]), by_value);
        *(op == 0 ? sign_us : verify_us) = round[GR_NELEM(round) / 2];
    }
    EVP_PKEY_CTX_free(s);
    EVP_PKEY_CTX_free(v);
}

/* Median milliseconds of a 4 KiB write + fdatasync in `dir`: what a durable commit costs there. */
static double sync_ms(const char *dir)
{
    char path[320], page[4096] = { 0 };
    double t[21];
    int fd;

    snprintf(path, sizeof(path), "%s/sync-probe", dir);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        return 0;
    for (size_t i = 0; i < GR_NELEM(t); i++) {
        double t0 = now_s();

        if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) || fdatasync(fd) != 0)
            break;
        t[i] = (now_s() - t0) * 1e3;
    }
    close(fd);
    unlink(path);
    qsort(t, GR_NELEM(t), sizeof(t[0]), by_value);
    return t[GR_NELEM(t) / 2];
}

static void make_keys(void)
{
    struct gr_err err;

    for (int i = 0; i < NKEYS; i++) {
        struct gr_buf jwk, h;

        if ((g.key[i].jwk = gr_jwk_generate(&err)) == NULL)
            die("keygen", &err);
        gr_buf_init(&jwk, GR_BUF_UNBOUNDED);
        gr_buf_init(&h, GR_BUF_UNBOUNDED);
        gr_jwk_to_json(g.key[i].jwk, false, &jwk);
        gr_buf_printf(&h, "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":%s}", jwk.data);
        g.key[i].dpop_header = gr_buf_take(&h, NULL);
        gr_buf_printf(&h, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":%s}",
                      jwk.data);
        g.key[i].proof_header = gr_buf_take(&h, NULL);
        gr_buf_release(&jwk);
    }
}

static void print_latency(const char *prefix, const struct result *r)
{
    printf("  %-12s %9s %9s\n", "latency ms", "p50", "p99");
    for (int e = 0; e < EP_N; e++) {
        char name[2][64], note[2][64];

        for (int q = 0; q < 2; q++) {
            snprintf(name[q], sizeof(name[q]), "%s%s_p%d_ms", prefix, ep_name[e], q ? 99 : 50);
            keep(name[q], q ? r->p99[e] : r->p50[e], note[q], sizeof(note[q]));
        }
        printf("  %-12s %9.2f %9.2f", ep_name[e], r->p50[e], r->p99[e]);
        if (previous(name[0]) > 0 && previous(name[1]) > 0)
            printf("   (previous %.2f, %.2f)", previous(name[0]), previous(name[1]));
        printf("\n");
    }
}

/* Failures, where the phase had any: visible, never silently fast. */
static long report_failures(const char *phase, const struct result *r)
{
    if (r->failures)
        printf("  FAILED: %ld request(s) in %s; the first: %s\n", r->failures, phase, r->failure);
    return r->failures;
}

/* Sign each item's request for `ep` before its stage, so that the stage is the server's alone. */
static void prepare_stage(enum ep ep, struct item *it, long n)
{
    for (long i = 0; i < n; i++) {
        if (!it[i].ok)
            continue;
        if (ep == EP_TOKEN) {
            token_form(it[i].code, &it[i].body);
            sign_dpop(&g.key[i % NKEYS], EP_TOKEN, NULL, &it[i].dpop);
        } else if (ep == EP_CREDENTIAL) {
            credential_request(i, it[i].token, it[i].nonce, &it[i].dpop, &it[i].body);
        }
    }
}

/* The flows cut at their endpoints: the server's CPU per request of each. */
static long breakdown(struct wallet *w, int nw, long n, const char *prefix, double floor_us)
{
    struct item *it = calloc((size_t)n, sizeof(*it));
    double cpu[EP_N], store[EP_N], per_s = 0;
    long failures = 0;
    char name[64];

    if (it == NULL)
        die("out of memory", NULL);
    for (long i = 0; i < n; i++) {
        gr_buf_init(&it[i].dpop, GR_BUF_UNBOUNDED);
        gr_buf_init(&it[i].body, GR_BUF_UNBOUNDED);
        it[i].ok = true;
    }
    printf("breakdown: %ld flows cut at their endpoints, %d wallets, each request signed before "
           "its stage\n",
           n, nw);
    for (int e = 0; e < EP_N; e++) {
        struct phase ph = { .mode = STAGE, .stage = (enum ep)e, .item = it, .items = n };
        struct result r;

        prepare_stage((enum ep)e, it, n);
        run_phase(&ph, w, nw, &r);
        failures += report_failures(ep_name[e], &r);
        cpu[e] = r.server_cpu * 1e6 / (double)n;
        store[e] = r.store_cpu * 1e6 / (double)n;
        if (e == EP_CREDENTIAL)
            per_s = (double)r.credentials / r.wall;
        snprintf(name, sizeof(name), "%s_cpu_us", ep_name[e]);
        figure(prefix, name, cpu[e], "us");
    }
    figure(prefix, "credential_alone_per_s", per_s, "/s");
    printf("  server CPU per credential: offers %.0f + token %.0f + nonce %.0f + credential %.0f "
           "= %.0f us\n",
           cpu[0] / g.batch, cpu[1] / g.batch, cpu[2] / g.batch, cpu[3] / g.batch,
           (cpu[0] + cpu[1] + cpu[2] + cpu[3]) / g.batch);
    if (store[0] + store[1] + store[2] + store[3] > 0) {
        printf(
            "  store CPU per credential: offers %.0f + token %.0f + nonce %.0f + credential %.0f "
            "= %.0f us\n",
            store[0] / g.batch, store[1] / g.batch, store[2] / g.batch, store[3] / g.batch,
            (store[0] + store[1] + store[2] + store[3]) / g.batch);
    }
    printf("  token + credential endpoints only: %.0f us per credential, %.2fx the floor\n",
           (cpu[1] + cpu[3]) / g.batch, (cpu[1] + cpu[3]) / g.batch / floor_us);
    for (long i = 0; i < n; i++) {
        gr_buf_release(&it[i].dpop);
        gr_buf_release(&it[i].body);
    }
    free(it);
    return failures;
}

/* Saturation, half rate and breakdown for one batch size; the failures seen. */
static long run_batch(int batch, struct wallet *w, int nw, int npaced, double seconds,
                      double sign_us, double verify_us)
{
    char prefix[8], name[64], note[64];
    double floor_us = verify_us + sign_us + 2 * verify_us / batch, target = batch == 1 ? 1.5 : 1.3;
    double per_s, cpu, rate;
    struct phase warm = { .mode = CLOSED, .seconds = seconds / 5 };
    struct phase sat = { .mode = CLOSED, .seconds = seconds };
    struct phase half = { .mode = PACED, .seconds = seconds };
    struct result r;
    long failures = 0, n;

    g.batch = batch;
    snprintf(prefix, sizeof(prefix), "b%d_", batch);
    printf("\n== batch %d: %d credential%s per request\n", batch, batch, batch > 1 ? "s" : "");
    run_phase(&warm, w, nw, &r);
    failures += report_failures("the warm-up", &r);

    run_phase(&sat, w, nw, &r);
    per_s = (double)r.credentials / r.wall;
    cpu = r.credentials ? r.server_cpu * 1e6 / (double)r.credentials : 0;
    printf("saturation: %d wallets back to back for %.1f s: %ld flows, %ld credentials; busy "
           "cores: server %.2f, this client %.2f, other processes %.2f\n",
           nw, r.wall, r.flows, r.credentials, r.server_cpu / r.wall, r.client_cpu / r.wall,
           r.others_cpu / r.wall);
    failures += report_failures("saturation", &r);
    figure(prefix, "credentials_per_s", per_s, "/s");
    figure(prefix, "server_cpu_per_credential_us", cpu, "us");
    figure(prefix, "floor_per_credential_us", floor_us, "us");
    figure(prefix, "client_cpu_per_credential_us",
           r.credentials ? r.client_cpu * 1e6 / (double)r.credentials : 0, "us");
    /* Every other process's share, and of that the store's own processes (PostgreSQL, Redis). */
    figure(prefix, "others_cpu_per_credential_us",
           r.credentials ? r.others_cpu * 1e6 / (double)r.credentials : 0, "us");
    if (getenv("GR_TEST_PG_PIDFILE") != NULL) {
        double store = r.credentials ? r.store_cpu * 1e6 / (double)r.credentials : 0;

        figure(prefix, "store_cpu_per_credential_us", store, "us");
        figure(prefix, "server_and_store_cpu_per_credential_us", cpu + store, "us");
    }
    snprintf(name, sizeof(name), "%scpu_to_floor_ratio", prefix);
    keep(name, floor_us > 0 ? cpu / floor_us : 0, note, sizeof(note));
    printf("  ratio server CPU / floor %.2f   (target <= %.2f; the floor is ECDSA alone: no "
           "offer, nonce, JSON, key import or database)%s\n",
           floor_us > 0 ? cpu / floor_us : 0, target, note);
    snprintf(note, sizeof(note), "%ssat_", prefix);
    print_latency(note, &r);

    rate = per_s / 2 / batch;
    half.rate = rate > 0 ? rate : 1;
    run_phase(&half, w, npaced, &r);
    printf("half rate: %.1f flows/s (%.1f credentials/s) on a fixed schedule for %.1f s, %d "
           "wallets: %ld flows; %ld started over 5 ms late (worst %.1f ms)\n",
           half.rate, half.rate * batch, r.wall, npaced, r.flows, r.late, r.max_lag * 1e3);
    failures += report_failures("half rate", &r);
    snprintf(note, sizeof(note), "%shalf_", prefix);
    print_latency(note, &r);
    printf("  credential p99 at half rate %.2f ms   (target < 20 ms%s)\n", r.p99[EP_CREDENTIAL],
           batch == 1 ? "" : " is for batch 1");

    n = (long)(per_s / batch * 2); /* about two seconds of flows */
    n = n < 50 ? 50 : n > 4000 ? 4000 : n;
    failures += breakdown(w, nw, n, prefix, floor_us);
    return failures;
}

int main(int argc, char **argv)
{
    const char *gramota = GR_BENCH_GRAMOTA, *save = NULL, *threads = NULL, *tmp = NULL;
    double seconds = 5, sign_us = 0, verify_us = 0;
    int nw = 8, npaced, rc, only_batch = 0;
    long failures = 0, rss[3];
    char *dir = g.dir, data[300], out[300], errf[300];
    static struct wallet w[MAX_WALLETS];
    FILE *sf;

    /*
     * The load makes offers and tokens far faster than any back office: the
     * server's rate limits (unless the environment sets them) must not be what
     * is measured.
     */
    setenv("GRAMOTA_OFFER_BURST", "1000000", 0);
    setenv("GRAMOTA_GUESS_BURST", "1000000", 0);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gramota") == 0 && i + 1 < argc)
            gramota = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--wallets") == 0 && i + 1 < argc)
            nw = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = argv[++i];
        else if (strcmp(argv[i], "--processes") == 0 && i + 1 < argc)
            g.nproc = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--tmp") == 0 && i + 1 < argc)
            tmp = argv[++i];
        else if (strcmp(argv[i], "--previous") == 0 && i + 1 < argc)
            g.previous = argv[++i];
        else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
            save = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            only_batch = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_server [--gramota PATH] [--seconds S] [--wallets W] "
                            "[--threads T] [--processes 1|2] [--tmp DIR] [--previous FILE] "
                            "[--save FILE] [--batch 1|10]\n");
            return 2;
        }
    }
    g.nproc = g.nproc ? g.nproc : 1;
    if (seconds <= 0 || seconds > 60 || nw < 1 || nw > MAX_WALLETS / 2 || g.nproc > 2 ||
        g.nproc < 1 || (only_batch != 0 && only_batch != 1 && only_batch != 10)) {
        fprintf(stderr,
                "bench_server: --seconds 0..60, --wallets 1..%d, --processes 1..2, --batch 1|10\n",
                MAX_WALLETS / 2);
        return 2;
    }
    npaced = nw * 2 > 16 ? nw * 2 : 16;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init", NULL);
    make_keys();
    measure_floor(1.0, &sign_us, &verify_us);

    if (tmp == NULL)
        tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(g.dir), "%s/gramota-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        die("mkdtemp", NULL);
    }
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(out, sizeof(out), "%s/first-start.out", dir);
    snprintf(errf, sizeof(errf), "%s/server.err", dir);
    /* The first start prints the API key; the second runs with its request log in /dev/null. */
    start_server(0, gramota, data, threads, out, errf);
    if ((rc = stop_server(0)) != 0) {
        print_file(errf, "  server: ");
        die("the first start of gramota serve did not exit 0 on SIGTERM", NULL);
    }
    read_api_key(out);
    for (int k = 0; k < g.nproc; k++) {
        start_server(k, gramota, data, threads, "/dev/null", errf);
        if (clock_getcpuclockid(g.pid[k], &g.cpu[k]) != 0)
            die("clock_getcpuclockid: cannot read the server's CPU time", NULL);
    }
    for (int e = 0; e < EP_N; e++)
        snprintf(g.url[e], sizeof(g.url[e]), "%s%s", g.issuer, ep_path[e]);
    for (int i = 0; i < npaced; i++) {
        gr_buf_init(&w[i].resp, GR_BUF_UNBOUNDED);
        if ((w[i].h = curl_easy_init()) == NULL)
            die("curl_easy_init", NULL);
        curl_easy_setopt(w[i].h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w[i].h, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(w[i].h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(w[i].h, CURLOPT_WRITEDATA, &w[i].resp);
    }

    printf("gramota serve on %s: %d process%s, store %s%s, data in %s, batch size 10, %s worker "
           "threads, %ld cores shared with this client\n",
           g.issuer, g.nproc, g.nproc > 1 ? "es (requests alternate)" : "",
           getenv("GRAMOTA_DATABASE_URL") ? "PostgreSQL" : "SQLite",
           getenv("GRAMOTA_REDIS_URL") ? " + Redis" : "", dir, threads ? threads : "default",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf(
        "the client makes beforehand: %d ES256 keys (wallet DPoP keys and holder keys, used in "
        "turn) with their JWS headers, and the offer body; during a flow it signs only what "
        "needs an answer of the server: the token's DPoP proof, the credential's DPoP proof "
        "(ath) and the B key proofs (c_nonce); in the breakdown it signs them before each stage. "
        "Latency is measured at the client.\n",
        NKEYS);
    printf("floor (OpenSSL, prepared EVP_PKEY_CTX, CPU time of one thread, measured before the "
           "server started):\n");
    figure("", "openssl_ecdsa_p256_sign_us", sign_us, "us");
    figure("", "openssl_ecdsa_p256_verify_us", verify_us, "us");
    printf("the data directory's disk: a 4 KiB write + fdatasync takes %.2f ms (median)\n",
           sync_ms(dir));
    rss[0] = rss_kb();
    if (only_batch != 10)
        failures += run_batch(1, w, nw, npaced, seconds, sign_us, verify_us);
    rss[1] = rss_kb();
    if (only_batch != 1)
        failures += run_batch(10, w, nw, npaced, seconds, sign_us, verify_us);
    rss[2] = rss_kb();
    printf("\nserver memory resident: %.1f MB before the load, %.1f MB after batch 1, %.1f MB "
           "after batch 10\n",
           rss[0] / 1024.0, rss[1] / 1024.0, rss[2] / 1024.0);

    for (int i = 0; i < npaced; i++) {
        curl_easy_cleanup(w[i].h);
        gr_buf_release(&w[i].resp);
        for (int e = 0; e < EP_N; e++)
            free(w[i].lat[e].ms);
    }
    for (int k = 0, one; k < g.nproc; k++) {
        one = stop_server(k);
        printf("server %d exit status on SIGTERM: %d%s\n", k + 1, one,
               one == 0 ? "" : "   FAILED (want 0)");
        rc = rc ? rc : one;
    }
    printf("server standard error:\n");
    print_file(errf, "  | ");
    if (save && (sf = fopen(save, "w")) != NULL) {
        for (size_t i = 0; i < g.nfig; i++)
            fprintf(sf, "%s %.3f\n", g.fig[i].name, g.fig[i].v);
        fclose(sf);
    }
    remove_dir();
    for (int i = 0; i < NKEYS; i++) {
        gr_jwk_free(g.key[i].jwk);
        free(g.key[i].dpop_header);
        free(g.key[i].proof_header);
    }
    curl_global_cleanup();
    if (failures)
        printf("FAILED: %ld request(s) failed\n", failures);
    return failures || rc != 0 ? 1 : 0;
}

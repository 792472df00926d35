/*
 * SD-JWT VC verification (RFC 9901 §7.1 and §7.3, SD-JWT VC §2.4): the
 * issuer's signature, every disclosure put back where its digest stands, and
 * the key binding JWT when there is one.
 */
#include "sdjwt/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>
#include <gramota/jws.h>

#include "jose/internal.h"

struct disclosure {
    char digest[GR_SDJWT_DIGEST_LEN + 1];
    json_t *array; /* [salt, name, value] or [salt, value], owned */
    bool used;
};

struct verify {
    struct disclosure *d; /* sorted by digest */
    size_t nd;
    char (*seen)[GR_SDJWT_DIGEST_LEN + 1]; /* every digest met in the payload */
    size_t nseen, seen_cap;
    gr_sha256_ctx *sha;
};

static int by_digest(const void *a, const void *b)
{
    return strcmp(((const struct disclosure *)a)->digest, ((const struct disclosure *)b)->digest);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Decode and check one disclosure's shape (§7.1 step 3). */
static int parse_disclosure(gr_sha256_ctx *sha, struct gr_str b64, struct disclosure *d,
                            struct gr_err *err)
{
    struct gr_buf raw;
    json_t *a;
    size_t n;

    gr_buf_init(&raw, GR_MAX_DISCLOSURE);
    if (gr_b64url_decode_buf(b64, &raw, err) < 0) {
        gr_buf_release(&raw);
        return gr_err_cause(err, "disclosure is not base64url");
    }
    a = gr__json_parse(gr_buf_str(&raw), GR_MAX_DISCLOSURE, JSON_ARRAY, "A disclosure", err);
    gr_buf_release(&raw);
    if (a == NULL)
        return -1;
    d->array = a;
    n = json_array_size(a);
    if ((n != 2 && n != 3) || !json_is_string(json_array_get(a, 0)) ||
        (n == 3 && !json_is_string(json_array_get(a, 1))))
        return gr_fail(err, GR_ERR_MALFORMED,
                       "A disclosure is not [salt, name, value] or [salt, value].");
    if (n == 3 && gr__sdjwt_reserved(gr__json_strv(json_array_get(a, 1))))
        return gr_fail(err, GR_ERR_RESERVED_NAME, "A disclosure uses a name SD-JWT reserves.");
    gr__sdjwt_digest(sha, b64, d->digest);
    return 0;
}

static struct disclosure *lookup(struct verify *v, const char *digest)
{
    struct disclosure key;

    if (strlen(digest) != GR_SDJWT_DIGEST_LEN)
        return NULL;
    memcpy(key.digest, digest, sizeof(key.digest));
    return bsearch(&key, v->d, v->nd, sizeof(*v->d), by_digest);
}

static void note_seen(struct verify *v, const char *digest)
{
    if (v->nseen == v->seen_cap) {
        v->seen_cap = v->seen_cap ? 2 * v->seen_cap : 32;
        v->seen = gr__xrealloc(v->seen, v->seen_cap * sizeof(*v->seen));
    }
    snprintf(v->seen[v->nseen++], sizeof(*v->seen), "%s", digest);
}

static int process(struct verify *v, json_t *node, size_t depth, struct gr_err *err);

/* Put back the members that `_sd` stands for (§7.1 step 4.2.1 - 4.2.3). */
static int process_object(struct verify *v, json_t *obj, size_t depth, struct gr_err *err)
{
    json_t *sd = json_object_get(obj, "_sd"), *val;
    const char *key;
    size_t i;

    if (sd && !json_is_array(sd))
        return gr_fail(err, GR_ERR_MALFORMED, "An _sd member is not an array.");
    json_object_foreach (obj, key, val) {
        if (strcmp(key, "_sd") != 0 && strcmp(key, "_sd_alg") != 0 &&
            process(v, val, depth + 1, err) < 0)
            return -1;
    }
    if (sd == NULL)
        return 0;
    json_incref(sd);
    json_object_del(obj, "_sd");
    json_array_foreach (sd, i, val) {
        struct disclosure *d;
        const char *name;

        if (!json_is_string(val)) {
            json_decref(sd);
            return gr_fail(err, GR_ERR_MALFORMED, "An _sd entry is not a string.");
        }
        note_seen(v, json_string_value(val));
        d = lookup(v, json_string_value(val));
        if (d == NULL)
            continue; /* a decoy */
        if (d->used || json_array_size(d->array) != 3) {
            json_decref(sd);
            return gr_fail(err, d->used ? GR_ERR_DUPLICATE : GR_ERR_MALFORMED, "%s",
                           d->used ? "A disclosure is referenced twice."
                                   : "An array element disclosure is referenced from _sd.");
        }
        d->used = true;
        name = json_string_value(json_array_get(d->array, 1));
        if (json_object_get(obj, name)) {
            json_decref(sd);
            return gr_fail(err, GR_ERR_DUPLICATE,
                           "A disclosed claim name is already in its object.");
        }
        if (depth == 0 && gr__sdjwt_never_disclosed(gr_str_c(name))) {
            json_decref(sd);
            return gr_fail(err, GR_ERR_RESERVED_NAME, "The claim %.40s may never be a disclosure.",
                           name);
        }
        json_object_set(obj, name, json_array_get(d->array, 2));
        if (process(v, json_object_get(obj, name), depth + 1, err) < 0) {
            json_decref(sd);
            return -1;
        }
    }
    json_decref(sd);
    return 0;
}

/* Replace `{"...": digest}` elements by their values, drop decoys (§7.1 step 4.2.4). */
static int process_array(struct verify *v, json_t *arr, size_t depth, struct gr_err *err)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *el = json_array_get(arr, i), *dots = json_object_get(el, "...");
        struct disclosure *d;

        if (dots == NULL) {
            if (process(v, el, depth + 1, err) < 0)
                return -1;
            continue;
        }
        if (json_object_size(el) != 1 || !json_is_string(dots))
            return gr_fail(err, GR_ERR_MALFORMED, "An array element digest object is malformed.");
        note_seen(v, json_string_value(dots));
        d = lookup(v, json_string_value(dots));
        if (d == NULL) {
            json_array_remove(arr, i--); /* a decoy */
            continue;
        }
        if (d->used || json_array_size(d->array) != 2)
            return gr_fail(err, d->used ? GR_ERR_DUPLICATE : GR_ERR_MALFORMED, "%s",
                           d->used ? "A disclosure is referenced twice."
                                   : "An object property disclosure stands in an array.");
        d->used = true;
        json_array_set(arr, i, json_array_get(d->array, 1));
        if (process(v, json_array_get(arr, i), depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int process(struct verify *v, json_t *node, size_t depth, struct gr_err *err)
{
    if (depth > GR_MAX_JSON_DEPTH * 2)
        return gr_fail(err, GR_ERR_MALFORMED, "The disclosed claims are nested too deeply.");
    if (json_is_object(node))
        return process_object(v, node, depth, err);
    if (json_is_array(node))
        return process_array(v, node, depth, err);
    return 0;
}

/* Every digest once, every disclosure used (§7.1 steps 4.2.6 and 5). */
static int check_digests(struct verify *v, struct gr_err *err)
{
    if (v->nseen > 1)
        qsort(v->seen, v->nseen, sizeof(*v->seen), by_string);
    for (size_t i = 1; i < v->nseen; i++) {
        if (strcmp(v->seen[i - 1], v->seen[i]) == 0)
            return gr_fail(err, GR_ERR_DUPLICATE, "A digest appears twice in the credential.");
    }
    for (size_t i = 0; i < v->nd; i++) {
        if (!v->d[i].used)
            return gr_fail(err, GR_ERR_ORPHAN, "A disclosure is not referenced by any digest.");
    }
    return 0;
}

/* The SD-JWT VC claims and validity window (SD-JWT VC §2.2.2, RFC 7519 §4.1). */
static int check_claims(const json_t *claims, const struct gr_sdjwt_vc_verify_opts *o, int64_t now,
                        struct gr_err *err)
{
    const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    const json_t *iat = json_object_get(claims, "iat"), *iss = json_object_get(claims, "iss");

    if (gr__json_str(claims, "vct").len == 0)
        return gr_fail(err, GR_ERR_BAD_CLAIM, "The credential has no vct.");
    if ((exp && !json_is_integer(exp)) || (nbf && !json_is_integer(nbf)) ||
        (iat && !json_is_integer(iat)) || (iss && !json_is_string(iss)))
        return gr_fail(err, GR_ERR_BAD_CLAIM, "A registered claim has the wrong type.");
    if (exp && now - o->leeway >= json_integer_value(exp))
        return gr_fail(err, GR_ERR_EXPIRED, "The credential has expired.");
    if (nbf && now + o->leeway < json_integer_value(nbf))
        return gr_fail(err, GR_ERR_EXPIRED, "The credential is not valid yet.");
    if (iat && now + o->leeway < json_integer_value(iat))
        return gr_fail(err, GR_ERR_EXPIRED, "The credential was issued in the future.");
    return 0;
}

static int split_disclosures(struct gr_str in, struct verify *v, struct gr_str *jws,
                             struct gr_str *kb, struct gr_err *err)
{
    const char *end = in.p + in.len, *p, *tilde = memchr(in.p, '~', in.len);
    size_t tildes = 0;

    if (tilde == NULL)
        return gr_fail(err, GR_ERR_MALFORMED, "The text is not an SD-JWT: it has no '~'.");
    *jws = (struct gr_str){ in.p, (size_t)(tilde - in.p) };
    for (p = tilde; p < end; p++)
        tildes += *p == '~';
    if (tildes - 1 > GR_MAX_DISCLOSURES)
        return gr_fail(err, GR_ERR_TOO_LARGE, "The SD-JWT has more than %d disclosures.",
                       GR_MAX_DISCLOSURES);
    v->d = gr__xcalloc(tildes, sizeof(*v->d));
    for (p = tilde + 1; p < end; p = tilde + 1) {
        tilde = memchr(p, '~', (size_t)(end - p));
        if (tilde == NULL)
            break;
        if (tilde == p)
            return gr_fail(err, GR_ERR_MALFORMED, "The SD-JWT has an empty disclosure.");
        if (parse_disclosure(v->sha, (struct gr_str){ p, (size_t)(tilde - p) }, &v->d[v->nd++],
                             err) < 0)
            return -1;
    }
    *kb = (struct gr_str){ p, (size_t)(end - p) };
    qsort(v->d, v->nd, sizeof(*v->d), by_digest);
    for (size_t i = 1; i < v->nd; i++) {
        if (strcmp(v->d[i - 1].digest, v->d[i].digest) == 0)
            return gr_fail(err, GR_ERR_DUPLICATE, "The same disclosure is presented twice.");
    }
    return 0;
}

static int check_issuer_jwt(const struct gr_jws *jws, const struct gr_jwk *key,
                            const struct gr_sdjwt_vc_verify_opts *o, struct gr_err *err)
{
    struct gr_str alg;

    if (!gr_jws_typ_is(jws->typ, "dc+sd-jwt") &&
        !(o->accept_vc_typ && gr_jws_typ_is(jws->typ, "vc+sd-jwt")))
        return gr_fail(err, GR_ERR_BAD_TYP, "The credential's typ is not dc+sd-jwt.");
    if (gr_jws_verify(jws, key, err) < 0)
        return -1;
    alg = gr__json_str(gr__json_t(jws->payload_json), "_sd_alg");
    if (json_object_get(gr__json_t(jws->payload_json), "_sd_alg") && !gr_str_eq_c(alg, "sha-256"))
        return gr_fail(err, GR_ERR_UNSUPPORTED_ALG, "The credential's _sd_alg is not sha-256.");
    return 0;
}

/* see sdjwt.h */
void gr_sdjwt_vc_verified_init(struct gr_sdjwt_vc_verified *out)
{
    memset(out, 0, sizeof(*out));
    gr_buf_init(&out->claims, GR_BUF_UNBOUNDED);
}

/* see sdjwt.h */
void gr_sdjwt_vc_verified_release(struct gr_sdjwt_vc_verified *out)
{
    if (out == NULL)
        return;
    gr_buf_release(&out->claims);
}

/* see sdjwt.h */
int gr_sdjwt_vc_verify(struct gr_str in, const struct gr_jwk *issuer_key,
                       const struct gr_sdjwt_vc_verify_opts *o, struct gr_sdjwt_vc_verified *out,
                       struct gr_err *err)
{
    struct verify v = { 0 };
    struct gr_jws jws;
    struct gr_str jws_text, kb;
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    json_t *claims;
    int rc = -1;

    gr_jws_init(&jws);
    v.sha = gr__sha256_ctx_new();
    if (in.len > GR_MAX_SDJWT_LEN) {
        gr_fail(err, GR_ERR_TOO_LARGE, "The SD-JWT is larger than %d bytes.", GR_MAX_SDJWT_LEN);
        goto out;
    }
    if (split_disclosures(in, &v, &jws_text, &kb, err) < 0 ||
        gr_jws_parse(jws_text, &jws, err) < 0 || check_issuer_jwt(&jws, issuer_key, o, err) < 0)
        goto out;
    claims = gr__json_t(jws.payload_json);
    if (process(&v, claims, 0, err) < 0 || check_digests(&v, err) < 0)
        goto out;
    json_object_del(claims, "_sd_alg");
    if (check_claims(claims, o, now, err) < 0)
        goto out;
    if (kb.len == 0 && o->require_kb) {
        gr_fail(err, GR_ERR_BAD_CLAIM, "A key binding JWT is required and missing.");
        goto out;
    }
    if (kb.len &&
        gr__sdjwt_check_kb(kb, (struct gr_str){ in.p, in.len - kb.len }, claims, o, now, err) < 0)
        goto out;
    gr_buf_reset(&out->claims);
    gr__json_dump(claims, false, &out->claims);
    out->disclosures = v.nd;
    out->key_bound = kb.len > 0;
    rc = 0;
out:
    for (size_t i = 0; i < v.nd; i++)
        json_decref(v.d[i].array);
    free(v.d);
    free(v.seen);
    gr__sha256_ctx_free(v.sha);
    gr_jws_release(&jws);
    return rc;
}

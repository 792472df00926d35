/*
 * SD-JWT VC issuance for a batch (sdjwt.h). Per credential the work is: one
 * CSPRNG call for every salt, decoy and shuffle, one pass over the claims tree
 * that writes the payload and the disclosures, one SHA-256 per disclosure and
 * decoy, and one signer call. Everything else was done by the template.
 */
#include "sdjwt/template.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>
#include <gramota/err.h>

#include "jose/internal.h"

typedef char digest_t[GR_SDJWT_DIGEST_LEN + 1];

/* The state of writing one credential. */
struct emit {
    const struct gr_template_counts *counts;
    const char *text;      /* the template's text */
    const uint8_t *random; /* this credential's share of the batch's random bytes */
    size_t random_left;
    struct gr_buf *tail;                        /* the disclosures, each followed by '~' */
    struct gr_buf scratch;                      /* one disclosure's JSON */
    struct gr_buf level[GR_MAX_JSON_DEPTH + 2]; /* a disclosed value, per depth */
    digest_t *digests; /* `_sd` entries of the objects being written, as a stack */
    gr_sha256_ctx *sha;
    size_t ndigests;
};

static const uint8_t *take_random(struct emit *e, size_t n)
{
    const uint8_t *p = e->random;

    /* The template counted every byte; running short is a bug, not an input. */
    if (n > e->random_left)
        abort();
    e->random += n;
    e->random_left -= n;
    return p;
}

static uint32_t random_u32(struct emit *e)
{
    const uint8_t *p = take_random(e, 4);

    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void emit_value(struct emit *e, const struct node *n, bool spaced, size_t depth,
                       struct gr_buf *out);

static void add_span(struct emit *e, struct gr_buf *out, struct span s)
{
    gr_buf_add(out, e->text + s.off, s.len);
}

/*
 * Write the disclosure of `n` (a member when it has a name, else an array
 * element) to the tail and its digest to `digest`.
 */
static void disclose(struct emit *e, const struct node *n, size_t depth, digest_t digest)
{
    struct gr_str value = { e->text + n->spaced.off, n->spaced.len };
    char salt[GR_SDJWT_SALT_LEN];
    size_t start;

    if (n->dynamic) {
        struct gr_buf *b = &e->level[depth];

        gr_buf_reset(b);
        emit_value(e, n, true, depth + 1, b);
        value = gr_buf_str(b);
    }
    gr_b64url_encode(take_random(e, 16), 16, salt);
    start = e->tail->len;
    gr__sdjwt_disclosure_b64((struct gr_str){ salt, sizeof(salt) },
                             n->name.len ? (struct gr_str){ e->text + n->name.off, n->name.len }
                                         : (struct gr_str){ NULL, 0 },
                             value, &e->scratch, e->tail);
    gr__sdjwt_digest(e->sha, (struct gr_str){ e->tail->data + start, e->tail->len - start },
                     digest);
    gr_buf_addc(e->tail, '~');
}

/* Decoys (RFC 9901 §4.2.5), then a Fisher-Yates shuffle of the whole `_sd` (§4.2.4.1). */
static void add_decoys_and_shuffle(struct emit *e, size_t base)
{
    unsigned span = e->counts->decoys_max - e->counts->decoys_min + 1;
    unsigned decoys = e->counts->decoys_min + *take_random(e, 1) % span;
    size_t n;

    for (unsigned i = 0; i < decoys; i++) {
        uint8_t md[32];

        gr__sha256(e->sha, take_random(e, 16), 16, md);
        gr_b64url_encode(md, sizeof(md), e->digests[e->ndigests]);
        e->digests[e->ndigests++][GR_SDJWT_DIGEST_LEN] = '\0';
    }
    n = e->ndigests - base;
    /* Modulo bias with n <= a few hundred is below 2^-23: invisible in a shuffle. */
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = random_u32(e) % (i + 1);
        digest_t tmp;

        memcpy(tmp, e->digests[base + i], sizeof(tmp));
        memcpy(e->digests[base + i], e->digests[base + j], sizeof(tmp));
        memcpy(e->digests[base + j], tmp, sizeof(tmp));
    }
}

/* The members of an object, without braces; `comma` when something precedes them. */
static void emit_members(struct emit *e, const struct node *n, bool spaced, size_t depth,
                         struct gr_buf *out, bool comma)
{
    const char *sep = spaced ? ", " : ",", *colon = spaced ? ": " : ":";
    size_t base = e->ndigests;

    for (size_t i = 0; i < n->nkids; i++) {
        const struct node *kid = &n->kids[i];

        if (kid->sd) {
            disclose(e, kid, depth, e->digests[e->ndigests++]);
            continue;
        }
        if (comma)
            gr_buf_adds(out, sep);
        comma = true;
        add_span(e, out, kid->name);
        gr_buf_adds(out, colon);
        emit_value(e, kid, spaced, depth + 1, out);
    }
    if (n->nsd == 0)
        return;
    add_decoys_and_shuffle(e, base);
    if (comma)
        gr_buf_adds(out, sep);
    gr_buf_adds(out, "\"_sd\"");
    gr_buf_adds(out, colon);
    gr_buf_addc(out, '[');
    for (size_t i = base; i < e->ndigests; i++) {
        if (i > base)
            gr_buf_adds(out, sep);
        gr_buf_addc(out, '"');
        gr_buf_add(out, e->digests[i], GR_SDJWT_DIGEST_LEN);
        gr_buf_addc(out, '"');
    }
    gr_buf_addc(out, ']');
    e->ndigests = base;
}

static void emit_elements(struct emit *e, const struct node *n, bool spaced, size_t depth,
                          struct gr_buf *out)
{
    const char *sep = spaced ? ", " : ",";

    for (size_t i = 0; i < n->nkids; i++) {
        const struct node *kid = &n->kids[i];

        if (i)
            gr_buf_adds(out, sep);
        if (kid->sd) {
            digest_t d;

            disclose(e, kid, depth, d);
            gr_buf_adds(out, spaced ? "{\"...\": \"" : "{\"...\":\"");
            gr_buf_add(out, d, GR_SDJWT_DIGEST_LEN);
            gr_buf_adds(out, "\"}");
        } else {
            emit_value(e, kid, spaced, depth + 1, out);
        }
    }
}

static void emit_value(struct emit *e, const struct node *n, bool spaced, size_t depth,
                       struct gr_buf *out)
{
    if (!n->dynamic) {
        add_span(e, out, spaced ? n->spaced : n->compact);
    } else if (n->kind == NODE_OBJECT) {
        gr_buf_addc(out, '{');
        emit_members(e, n, spaced, depth, out, false);
        gr_buf_addc(out, '}');
    } else {
        gr_buf_addc(out, '[');
        emit_elements(e, n, spaced, depth, out);
        gr_buf_addc(out, ']');
    }
}

/* The claims that differ per credential: times, holder key, status reference. */
static void emit_envelope(const struct gr_sdjwt_vc_template *t, const struct gr_sdjwt_vc_batch *b,
                          size_t i, struct gr_buf *payload)
{
    gr_buf_addstr(payload, gr_buf_str(&t->fixed));
    gr_buf_printf(payload, ",\"iat\":%" PRId64, b->iat);
    if (b->nbf)
        gr_buf_printf(payload, ",\"nbf\":%" PRId64, b->nbf);
    if (b->exp)
        gr_buf_printf(payload, ",\"exp\":%" PRId64, b->exp);
    if (b->holder_keys) {
        gr_buf_adds(payload, ",\"cnf\":{\"jwk\":");
        gr_jwk_to_json(b->holder_keys[i], false, payload);
        gr_buf_addc(payload, '}');
    }
    if (b->status) {
        gr_buf_printf(payload, ",\"status\":{\"status_list\":{\"idx\":%" PRIu64 ",\"uri\":",
                      b->status[i].idx);
        gr__json_quote(b->status[i].uri, payload);
        gr_buf_adds(payload, "}}");
    }
    if (t->counts.disclosures)
        gr_buf_adds(payload, ",\"_sd_alg\":\"sha-256\"");
}

static int issue_one(const struct gr_sdjwt_vc_template *t, const struct gr_sdjwt_vc_batch *b,
                     size_t i, struct emit *e, struct gr_buf *payload,
                     struct gr_sdjwt_vc_issued *out, struct gr_err *err)
{
    gr_buf_init(&out->credential, GR_BUF_UNBOUNDED);
    gr_buf_grow(&out->credential, 6144);
    gr_buf_reset(payload);
    gr_buf_reset(e->tail);
    gr_b64url_encode(take_random(e, GR_SDJWT_RANDOM_ID), GR_SDJWT_RANDOM_ID, out->id);
    out->id[GR_SDJWT_ID_LEN] = '\0';
    emit_envelope(t, b, i, payload);
    emit_members(e, &t->root, false, 0, payload, true);
    gr_buf_addc(payload, '}');
    if (gr_buf_check(payload, err) < 0 || gr_buf_check(e->tail, err) < 0)
        return -1;
    if (gr_signer_jws(t->signer, gr_buf_str(&t->header_b64), gr_buf_str(payload), &out->credential,
                      err) < 0)
        return -1;
    gr_buf_addc(&out->credential, '~');
    gr_buf_addstr(&out->credential, gr_buf_str(e->tail));
    return gr_buf_check(&out->credential, err);
}

static int check_batch(const struct gr_sdjwt_vc_batch *b, struct gr_err *err)
{
    if (b->count == 0 || b->count > GR_MAX_BATCH)
        return gr_fail(err, GR_ERR_USAGE, "A batch makes between 1 and %d credentials.",
                       GR_MAX_BATCH);
    if (b->iat <= 0 || b->exp < 0 || b->nbf < 0 || (b->exp && b->exp <= b->iat))
        return gr_fail(err, GR_ERR_USAGE, "The credential times are not valid.");
    for (size_t i = 0; b->holder_keys && i < b->count; i++) {
        if (b->holder_keys[i] == NULL)
            return gr_fail(err, GR_ERR_USAGE, "Holder key %zu is missing.", i);
    }
    return 0;
}

/* see sdjwt.h */
int gr_sdjwt_vc_issue(const struct gr_sdjwt_vc_template *t, const struct gr_sdjwt_vc_batch *b,
                      struct gr_sdjwt_vc_issued *out, struct gr_err *err)
{
    struct emit e = { .counts = &t->counts, .text = t->text.data };
    struct gr_buf payload, tail;
    uint8_t *random = NULL;
    size_t done = 0;
    int rc = -1;

    if (check_batch(b, err) < 0)
        return -1;
    gr_buf_init(&payload, GR_BUF_UNBOUNDED);
    gr_buf_init(&tail, GR_BUF_UNBOUNDED);
    gr_buf_init(&e.scratch, GR_BUF_UNBOUNDED);
    for (size_t d = 0; d < GR_NELEM(e.level); d++)
        gr_buf_init(&e.level[d], GR_BUF_UNBOUNDED);
    e.tail = &tail;
    e.sha = gr__sha256_ctx_new();
    /* Room for a typical credential up front: growing by doubling costs several copies. */
    gr_buf_grow(&payload, 4096);
    gr_buf_grow(&tail, 4096);
    gr_buf_grow(&e.scratch, 1024);
    e.digests = gr__xcalloc(t->counts.digests + 1, sizeof(*e.digests));
    random = gr__xmalloc(t->counts.random * b->count);
    if (gr_random(random, t->counts.random * b->count, err) < 0)
        goto out;
    for (; done < b->count; done++) {
        e.random = random + done * t->counts.random;
        e.random_left = t->counts.random;
        if (issue_one(t, b, done, &e, &payload, &out[done], err) < 0) {
            gr_buf_release(&out[done].credential);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        gr_sdjwt_vc_issued_release(out, done);
    OPENSSL_cleanse(random, t->counts.random * b->count); /* salts are secrets until issued */
    free(random);
    free(e.digests);
    gr__sha256_ctx_free(e.sha);
    for (size_t d = 0; d < GR_NELEM(e.level); d++)
        gr_buf_release(&e.level[d]);
    gr_buf_release(&e.scratch);
    gr_buf_release(&tail);
    gr_buf_release(&payload);
    return rc;
}

/* see sdjwt.h */
void gr_sdjwt_vc_issued_release(struct gr_sdjwt_vc_issued *out, size_t count)
{
    for (size_t i = 0; out && i < count; i++)
        gr_buf_release(&out[i].credential);
}

#ifndef GR_TESTUTIL_H
#define GR_TESTUTIL_H

/* What the unit tests share: cmocka, the published example keys, fixtures. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gramota/gramota.h>

/* SPECS.md §1 T4: the example keys of SD-JWT and SD-JWT VC (test use only). */
#define T4_ISSUER_JWK                                        \
    "{\"kty\":\"EC\",\"crv\":\"P-256\","                     \
    "\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\"," \
    "\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\"," \
    "\"d\":\"Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g\"}"
#define T4_HOLDER_JWK                                        \
    "{\"kty\":\"EC\",\"crv\":\"P-256\","                     \
    "\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\"," \
    "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"," \
    "\"d\":\"5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I\"}"

/* Parse a JWK that the test knows to be good; fails the test otherwise. */
struct gr_jwk *t_jwk(const char *json);
/* A fresh key pair. */
struct gr_jwk *t_keygen(void);
/* A signer over a copy of `json` (a private JWK). */
struct gr_signer *t_signer(const char *json);

/*
 * Two fresh key pairs for proofs made in a test: `key` (its public and private
 * JWK as JSON in `pub` and `priv`) and `other` (public JWK in `other_pub`).
 */
struct t_keys {
    struct gr_jwk *key, *other;
    struct gr_buf pub, priv, other_pub;
};
void t_keys_init(struct t_keys *k);
void t_keys_release(struct t_keys *k);

/* The code a call left in `err`, or GR_ERR_OK when it returned 0. */
enum gr_errc t_code(int rc, const struct gr_err *err);

/*
 * STYLE §4.2: each byte of the ES256 signature of the compact JWS `jws` flipped
 * by 0x01, 0x80 and 0xff in turn; `answer(text)` sees every altered text
 * and must give `want`. The text rebuilt unflipped must be `jws` again.
 */
void t_each_flipped_signature(const char *jws, enum gr_errc (*answer)(const char *text),
                              enum gr_errc want);

/* Read tests/<rel> from the source tree into `out` (NUL-terminated). */
void t_fixture(const char *rel, struct gr_buf *out);

/* A call that must succeed; `err` is the one it was given. */
#define ok(call, err)                                                                  \
    do {                                                                               \
        if ((call) != 0)                                                               \
            fail_msg("%s: %s (%s; %s)", #call, (err)->desc, gr_errc_name((err)->code), \
                     (err)->cause);                                                    \
    } while (0)

/* Assert two error codes equal, printing their names. */
#define assert_code(got, want)                                                         \
    do {                                                                               \
        enum gr_errc got_ = (got), want_ = (want);                                     \
        if (got_ != want_)                                                             \
            fail_msg("code %s, expected %s", gr_errc_name(got_), gr_errc_name(want_)); \
    } while (0)

#endif

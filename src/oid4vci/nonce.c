/* Stateless c_nonces (nonce.h; OID4VCI 1.0 §7). */
#include <gramota/nonce.h>

#include <string.h>

#include <gramota/b64url.h>
#include <gramota/crypto.h>

#include "oid4vci/internal.h"

#define RAW_LEN 40 /* expiry (8) || random (16) || MAC (16) */
#define MSG_LEN 24 /* what the MAC covers after the label */
static const char label[] = "gramota c_nonce v1";

/* see nonce.h */
int gr_c_nonce_make(const uint8_t secret[32], int64_t expires_at, char out[GR_C_NONCE_LEN + 1],
                    struct gr_err *err)
{
    uint8_t raw[RAW_LEN];

    gr__put_be64(raw, (uint64_t)expires_at);
    if (gr_random(raw + 8, 16, err) < 0 ||
        gr__oid4vci_mac(secret, label, raw, MSG_LEN, raw + MSG_LEN, err) < 0)
        return -1;
    gr_b64url_encode(raw, sizeof(raw), out);
    out[GR_C_NONCE_LEN] = '\0';
    return 0;
}

/* see nonce.h */
int gr_c_nonce_check(const uint8_t secret[32], struct gr_str nonce, int64_t now,
                     int64_t *expires_at, uint8_t replay_key[32], struct gr_err *err)
{
    uint8_t raw[RAW_LEN], mac[GR__OID4VCI_MAC_LEN], keyed[sizeof(label) - 1 + RAW_LEN];
    struct gr_err ignored;
    int64_t exp;
    size_t n = 0;

    if (nonce.len != GR_C_NONCE_LEN ||
        gr_b64url_decode(nonce, raw, sizeof(raw), &n, &ignored) < 0 || n != sizeof(raw))
        return gr_fail(err, GR_ERR_INVALID_NONCE, "The c_nonce was not issued here: fetch one.");
    if (gr__oid4vci_mac(secret, label, raw, MSG_LEN, mac, err) < 0)
        return -1;
    if (!gr_ct_equal(mac, raw + MSG_LEN, sizeof(mac)))
        return gr_fail(err, GR_ERR_INVALID_NONCE, "The c_nonce was not issued here: fetch one.");
    exp = (int64_t)gr__get_be64(raw);
    if (exp <= now)
        return gr_fail(err, GR_ERR_INVALID_NONCE, "The c_nonce has expired: fetch a new one.");
    /* The label first: a jti's key starts with the 8-byte length of a URL (dpop.c). */
    memcpy(keyed, label, sizeof(label) - 1);
    memcpy(keyed + sizeof(label) - 1, raw, sizeof(raw));
    gr_sha256(keyed, sizeof(keyed), replay_key);
    *expires_at = exp;
    return 0;
}

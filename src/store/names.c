/*
 * What every store backend stores alike: the names of offer states and of
 * transaction-code input modes in the database, and reading them back; and
 * what a keyring entry must hold.
 */
#include "store/internal.h"

#include <string.h>

const char *const gr__store_offer_state_names[GR__STORE_OFFER_STATES] = {
    [GR_OFFER_PENDING] = "pending",
    [GR_OFFER_REDEEMED] = "redeemed",
    [GR_OFFER_DEAD] = "dead",
};

const char *const gr__store_tx_mode_names[GR__STORE_TX_MODES] = {
    [GR_TX_NUMERIC] = "numeric", /* OID4VCI §4.1.1 tx_code.input_mode */
    [GR_TX_TEXT] = "text",
};

/* see internal.h */
int gr__store_name_index(const char *text, const char *const *names, size_t n, int *out,
                         const char *backend, int col, struct gr_err *err)
{
    for (size_t k = 0; text != NULL && k < n; k++) {
        if (strcmp(text, names[k]) == 0) {
            *out = (int)k;
            return 0;
        }
    }
    gr_fail(err, GR_ERR_SERVER_ERROR, "The database holds a value of an unexpected shape.");
    return gr_err_cause(err, "%s: column %d holds no known name", backend, col);
}

/* see internal.h */
void gr__store_offer_forget(struct gr_offer *out)
{
    gr_offer_release(out);
    memset(out, 0, sizeof(*out));
}

/* see internal.h */
int gr__store_key_check(const struct gr_signing_key *key, struct gr_err *err)
{
    size_t kid = strnlen(key->kid, sizeof(key->kid)),
           uri = strnlen(key->signer_uri, sizeof(key->signer_uri)),
           jwk = strnlen(key->jwk, sizeof(key->jwk));

    if (kid == 0 || kid == sizeof(key->kid) || uri == 0 || uri == sizeof(key->signer_uri) ||
        jwk == 0 || jwk == sizeof(key->jwk))
        return gr_fail(err, GR_ERR_INVALID_REQUEST,
                       "A signing key needs a kid, a signer URI and a JWK, each within its size.");
    return 0;
}

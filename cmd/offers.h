#ifndef GR_CMD_OFFERS_H
#define GR_CMD_OFFERS_H

#include "server.h"

/* An offer just made: the only moment its codes exist in the clear. */
struct offer_made {
    struct gr_offer_made made; /* the offer and its codes (gr_offer_make) */
    struct gr_buf offer_json;  /* the Credential Offer object */
    struct gr_buf offer_uri;   /* credential_offer_uri, for offers by reference */
    struct gr_buf url;         /* openid-credential-offer://... */
};

void offer_made_init(struct offer_made *m);
void offer_made_release(struct offer_made *m);

/*
 * Make and store an offer for `org`, at r->now, with its offer.created audit
 * event (the client: r's). `api_key`, when not empty, seals the URL so that
 * the admin API can show its QR code again. Codes: INVALID_REQUEST,
 * REQUEST_TOO_LARGE, and the store's.
 */
int offer_make(const struct req *r, const struct gr_org *org, const struct gr_offer_request *req,
               struct gr_str api_key, struct offer_made *m, struct gr_err *err);

/* The admin API's 201 body: offerId, offerUrl, preAuthCode, credentialOffer, txCode?, expiresAt. */
void offer_made_json(const struct offer_made *m, struct gr_buf *out);

/* RFC 3339 UTC time. */
void iso_time(int64_t t, char out[32]);

#endif

#ifndef GR_CMD_SEAL_H
#define GR_CMD_SEAL_H

#include <gramota/buf.h>

/* Seal `url` for `offer_id` under `api_key`; *out is malloc'd. Code: SERVER_ERROR. */
int seal_url(struct gr_str api_key, struct gr_str offer_id, struct gr_str url, uint8_t **out,
             size_t *out_len, struct gr_err *err);
/* Append the URL sealed in `blob` to `url`. Code: NOT_FOUND (another key, or tampered). */
int unseal_url(struct gr_str api_key, struct gr_str offer_id, const uint8_t *blob, size_t len,
               struct gr_buf *url, struct gr_err *err);

#endif

#ifndef GRAMOTA_LIMITS_H
#define GRAMOTA_LIMITS_H

#include <stddef.h> /* the ceilings compare with size_t lengths */

/*
 * Ceilings on every length that comes from outside. Each parser checks its
 * input against one of these first and answers TOO_LARGE (or the protocol
 * code it is re-coded to) past it, so that memory use per request is bounded
 * and out-of-memory stays a fatal, never-expected event.
 *
 * They are public so that a caller can size what it hands in to the same
 * ceilings: the request body it buffers before gr_*_request_parse(), the key
 * file or SD-JWT it reads before gr_jwk_parse_pem() or gr_sdjwt_vc_verify().
 * A larger input is refused by the library whatever the caller's buffer.
 * Related ceilings live with their module: GR_MAX_ATTESTED_KEYS (attest.h), GR_STATUS_MAX_SIZE
 * (status.h).
 */

#define GR_MAX_BODY          (64 * 1024)  /* any request body */
#define GR_MAX_JWS_LEN       (16 * 1024)  /* compact JWS: proof, DPoP, attestation, KB-JWT */
#define GR_MAX_JWS_HEADER    (16 * 1024)  /* decoded header: x5c, a key attestation in a proof */
#define GR_MAX_JWK_LEN       (4 * 1024)   /* one JWK as JSON */
#define GR_MAX_SDJWT_LEN     (256 * 1024) /* an SD-JWT with its disclosures and KB-JWT */
#define GR_MAX_SDJWT_PAYLOAD (128 * 1024) /* the issuer-signed JWT's decoded payload */
#define GR_MAX_DISCLOSURES   1024         /* disclosures in one SD-JWT */
#define GR_MAX_DISCLOSURE    (16 * 1024)  /* one decoded disclosure */
#define GR_MAX_CLAIMS_LEN    (48 * 1024)  /* a subject's claims as JSON */
#define GR_MAX_SD_PATHS      256          /* selectively disclosable paths in one spec */
#define GR_MAX_JSON_DEPTH    16           /* nesting of any JSON we read */
#define GR_MAX_PROOFS        32  /* key proofs, and keys proven, in one credential request */
#define GR_MAX_BATCH         100 /* credentials in one issuance call */
#define GR_MAX_PEM_LEN       (64 * 1024) /* a key or certificate chain file; a JWK set */

#endif

#ifndef GRAMOTA_GRAMOTA_H
#define GRAMOTA_GRAMOTA_H

/* libgramota: everything at once. */

#include <gramota/version.h>
#include <gramota/buf.h>
#include <gramota/err.h>
#include <gramota/limits.h>
#include <gramota/crypto.h>
#include <gramota/b64url.h>
#include <gramota/jwk.h>
#include <gramota/jws.h>
#include <gramota/x5c.h>
#include <gramota/signer.h>
#include <gramota/sdjwt.h>
#include <gramota/status.h>
#include <gramota/store.h>
#include <gramota/metadata.h>
#include <gramota/oid4vci.h>
#include <gramota/dpop.h>
#include <gramota/nonce.h>
#include <gramota/attest.h>
#include <gramota/proof.h>
#include <gramota/oauth.h>

#endif

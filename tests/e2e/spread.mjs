// Preloaded with `node --import ./spread.mjs` for the two-process run: every
// request for GR_ISSUER's origin goes, in turn, to it or to GR_ISSUER_TWIN, a
// second `gramota serve` with the same --issuer-url, database and signing key.
// A flow passes only if whatever one process stored (offer, token, c_nonce,
// DPoP jti, nonce secret, status list) the other one honours.
const one = new URL(process.env.GR_ISSUER).origin;
const two = new URL(process.env.GR_ISSUER_TWIN).origin;
const realFetch = globalThis.fetch;
let turn = 0;

globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== one || turn++ % 2 === 0) return realFetch(input, init);
    const moved = two + url.pathname + url.search;
    return realFetch(input instanceof Request ? new Request(moved, input) : moved, init);
};

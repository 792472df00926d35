// The wallet: its keys, the @openid4vc/openid4vci client that signs with them,
// and one issuance walked through that client, each step a check. wallet.mjs
// walks it against `gramota serve` and against the guide's issuer.
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import { assert, assertEqual, check, newKey, profile } from './lib.mjs';

// The servers under test speak plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true });

// The wallet's keys, by the x of their public JWK: the library asks to sign by public key.
const wallet = new Map();
export async function walletKey() {
    const k = await newKey();
    wallet.set(k.publicJwk.x, k);
    return k;
}
export const signer = (k) => ({ method: 'jwk', alg: 'ES256', publicJwk: k.publicJwk });

export const client = new Openid4vciClient({
    callbacks: {
        fetch,
        hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
        generateRandom: (n) => randomBytes(n),
        clientAuthentication: clientAuthenticationAnonymous(),
        signJwt: async (s, { header, payload }) => {
            assert(s.method === 'jwk', `asked to sign with a ${s.method} signer`);
            const k = wallet.get(s.publicJwk.x);
            assert(k, 'asked to sign with a key the wallet does not hold');
            const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(k.privateKey);
            return { jwt, signerJwk: s.publicJwk };
        },
    },
});

// One issuance from an offer URL for configuration ID (the profile's unless
// given), as far as it gets: every step is a check, and a failed step ends the
// flow. Returns the credentials and their holder keys, or undefined.
export async function issue(label, server, offer,
    { id = profile.credential.id, txCode, proofs = 1, single = false, dpop = true } = {}) {
    let credentialOffer, issuerMetadata, tokenRes, nonce, creds, notificationId;
    const dpopKey = dpop ? await walletKey() : undefined;
    const dpopOpt = dpop ? { signer: signer(dpopKey) } : undefined;
    const holders = [];

    if (!await check(`${label}: the library resolves the offer URL`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        assertEqual(credentialOffer.credential_issuer, server.url, 'credential_issuer');
        assertEqual(credentialOffer.credential_configuration_ids, [id], 'credential_configuration_ids');
    })) return;
    if (!await check(`${label}: the library reads the issuer and AS metadata`, async () => {
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        assert(issuerMetadata.credentialIssuer.credential_configurations_supported[id], `no ${id}`);
        assertEqual(issuerMetadata.authorizationServers.length, 1, 'authorization servers');
        assertEqual(issuerMetadata.authorizationServers[0].issuer, server.url, 'AS issuer');
        return `draft ${issuerMetadata.originalDraftVersion}`;
    })) return;
    if (!await check(`${label}: the pre-authorized code buys a${dpop ? ' DPoP-bound' : ' Bearer'} access token`, async () => {
        tokenRes = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
            credentialOffer, issuerMetadata, txCode, dpop: dpopOpt,
        });
        const t = tokenRes.accessTokenResponse;
        assertEqual(t.token_type, dpop ? 'DPoP' : 'Bearer', 'token_type');
        assert(typeof t.access_token === 'string' && t.access_token.length >= 20, 'access_token');
        assert(t.expires_in > 0 && t.expires_in <= 3600, `expires_in ${t.expires_in}`);
        assert(!('authorization_details' in t), 'authorization_details without RAR');
    })) return;
    if (!await check(`${label}: the library gets a c_nonce`, async () => {
        nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
    })) return;
    const creq = {};
    if (!await check(`${label}: ${proofs} jwt proof${proofs > 1 ? 's' : ''}, each by a fresh key`, async () => {
        for (let i = 0; i < proofs; i++) {
            const k = await walletKey();
            holders.push(k);
            const { jwt } = await client.createCredentialRequestJwtProof({
                issuerMetadata, credentialConfigurationId: id, signer: signer(k), nonce, issuedAt: new Date(),
            });
            if (single) creq.proof = { proof_type: 'jwt', jwt };
            else (creq.proofs ??= { jwt: [] }).jwt.push(jwt);
        }
    })) return;
    if (!await check(`${label}: the library gets the credential${single ? ' (Draft 15 single proof)' : 's'}`, async () => {
        let res;
        try {
            res = await client.retrieveCredentials({
                issuerMetadata, credentialConfigurationId: id, accessToken: tokenRes.accessTokenResponse.access_token,
                dpop: dpopOpt && { ...dpopOpt, nonce: tokenRes.dpop?.nonce }, ...creq,
            });
        } catch (e) {
            const r = e.response;
            throw new Error(`${e.message}: ${r?.response?.status ?? ''} ${e.responseText ?? ''}`.slice(0, 500));
        }
        const body = res.credentialResponse;
        assert(Array.isArray(body.credentials), `no credentials array: ${JSON.stringify(body).slice(0, 200)}`);
        for (const c of body.credentials) assert(c && typeof c === 'object', 'a credentials element is not an object');
        creds = body.credentials.map((c) => c.credential);
        notificationId = body.notification_id;
        assert(!('transaction_id' in body), 'transaction_id beside credentials');
        assertEqual(res.response.headers.get('cache-control'), 'no-store', 'Cache-Control');
    })) return;
    return { creds, holders, issuerMetadata, tokenRes, dpopKey, notificationId };
}

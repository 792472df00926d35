// The guide's issuer (examples/guide/guide.c) driven by the real wallet
// library, as wallet.mjs drives the daemon: @openid4vc/openid4vci resolves the
// offer, reads the metadata, redeems the code (DPoP or Bearer, with or without
// a tx_code), asks for a c_nonce and a batch; every credential is checked by
// @sd-jwt/sd-jwt-vc against the key of /.well-known/jwt-vc-issuer (lib.mjs
// checkIssued, the daemon's checks). Then Draft 15 and Draft 13 requests, and
// the refusals that the guide's own tables must produce.
//
//   node guide.mjs      (GR_ISSUER = the guide's URL, GR_API_KEY = its admin key; test_guide.sh)
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import {
    assert, assertEqual, batchSize, cNonce, check, checkIssued, credentialRequest, dpopProof, expectChallenge,
    expectError, finish, http, keyProof, makeOffer, newKey, preAuth, servers, tokenRequest,
} from './lib.mjs';

setGlobalConfig({ allowInsecureUrls: true });

const guide = servers.main;
const ID = 'university_degree';
const VCT = 'urn:example:guide:university_degree:1';
const subject = (given = 'Ada') => ({
    given_name: given, family_name: 'Lovelace', degree: { type: 'BachelorDegree', name: 'Mathematics' },
    graduation_date: '1833-06-05',
});

const wallet = new Map();
async function walletKey() {
    const k = await newKey();
    wallet.set(k.publicJwk.x, k);
    return k;
}
const signer = (k) => ({ method: 'jwk', alg: 'ES256', publicJwk: k.publicJwk });
const client = new Openid4vciClient({
    callbacks: {
        fetch,
        hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
        generateRandom: (n) => randomBytes(n),
        clientAuthentication: clientAuthenticationAnonymous(),
        signJwt: async (s, { header, payload }) => {
            const k = wallet.get(s.publicJwk.x);
            assert(k, 'asked to sign with a key the wallet does not hold');
            return { jwt: await new jose.SignJWT(payload).setProtectedHeader(header).sign(k.privateKey), signerJwk: s.publicJwk };
        },
    },
});

// One issuance through the library, each step a check; returns { creds, holders, ... } or undefined.
async function issue(label, offer, { txCode, proofs = 1, single = false, dpop = true } = {}) {
    let credentialOffer, issuerMetadata, tokenRes, nonce, creds;
    const dpopOpt = dpop ? { signer: signer(await walletKey()) } : undefined;
    const holders = [];
    if (!await check(`${label}: the library resolves the offer and reads both metadata documents`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        assertEqual(credentialOffer.credential_configuration_ids, [ID], 'credential_configuration_ids');
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        assertEqual(issuerMetadata.credentialIssuer.credential_issuer, guide.url, 'credential_issuer');
        assertEqual(issuerMetadata.authorizationServers[0].issuer, guide.url, 'AS issuer');
    })) return;
    if (!await check(`${label}: the code buys a ${dpop ? 'DPoP-bound' : 'Bearer'} access token`, async () => {
        tokenRes = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode, dpop: dpopOpt });
        assertEqual(tokenRes.accessTokenResponse.token_type, dpop ? 'DPoP' : 'Bearer', 'token_type');
    })) return;
    if (!await check(`${label}: the library gets a c_nonce`, async () => {
        nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
    })) return;
    const creq = {};
    for (let i = 0; i < proofs; i++) {
        const k = await walletKey();
        holders.push(k);
        const { jwt } = await client.createCredentialRequestJwtProof({
            issuerMetadata, credentialConfigurationId: ID, signer: signer(k), nonce, issuedAt: new Date(),
        });
        if (single) creq.proof = { proof_type: 'jwt', jwt };
        else (creq.proofs ??= { jwt: [] }).jwt.push(jwt);
    }
    if (!await check(`${label}: the library gets ${proofs} credential${proofs > 1 ? 's' : ''}`, async () => {
        const res = await client.retrieveCredentials({
            issuerMetadata, credentialConfigurationId: ID, accessToken: tokenRes.accessTokenResponse.access_token,
            dpop: dpopOpt && { ...dpopOpt, nonce: tokenRes.dpop?.nonce }, ...creq,
        }).catch((e) => { throw new Error(`${e.message}: ${e.responseText ?? ''}`.slice(0, 500)); });
        creds = res.credentialResponse.credentials.map((c) => c.credential);
        assertEqual(res.response.headers.get('cache-control'), 'no-store', 'Cache-Control');
    })) return;
    return { creds, holders, tokenRes, dpopKey: dpopOpt && wallet.get(dpopOpt.signer.publicJwk.x) };
}

// ---- the guide's flows ----

{
    const sub = subject();
    const offer = await makeOffer(guide, { subject: sub, vct: VCT });
    const got = await issue('1.0 batch', offer, { proofs: batchSize });
    if (got) await checkIssued('1.0 batch', guide, got.creds, got.holders, sub, VCT);
    await check('1.0 batch: the code is good once', async () =>
        expectError(await tokenRequest(guide, preAuth(offer.preAuthCode)), 400, 'invalid_grant'));
    if (got) {
        await check('1.0 batch: the DPoP-bound token is refused as Bearer', async () => {
            const r = await credentialRequest(guide, { credential_configuration_id: ID }, { token: got.tokenRes.accessTokenResponse.access_token, scheme: 'Bearer' });
            expectChallenge(r, 'Bearer', 'invalid_token');
        });
        await check('1.0 batch: the DPoP-bound token is refused with a proof by another key', async () => {
            const r = await credentialRequest(guide, { credential_configuration_id: ID },
                { token: got.tokenRes.accessTokenResponse.access_token, dpopKey: await newKey() });
            expectChallenge(r, 'DPoP', 'invalid_dpop_proof');
        });
    }
}

{
    const sub = subject('Tx');
    const offer = await makeOffer(guide, { subject: sub, credentialConfigurationId: ID, txCode: true });
    await check('tx_code: a wrong code is invalid_grant', async () => {
        assert(/^[0-9]{6}$/.test(offer.txCode ?? ''), `txCode ${offer.txCode}`);
        const wrong = String((Number(offer.txCode) + 1) % 1000000).padStart(6, '0');
        expectError(await tokenRequest(guide, preAuth(offer.preAuthCode, wrong)), 400, 'invalid_grant');
    });
    const got = await issue('tx_code, Bearer', offer, { txCode: offer.txCode, proofs: 2, dpop: false });
    if (got) await checkIssued('tx_code, Bearer', guide, got.creds, got.holders, sub, VCT);
}

{
    const sub = subject('Fifteen');
    const got = await issue('Draft 15 proof', await makeOffer(guide, { subject: sub, vct: VCT }), { single: true });
    if (got) await checkIssued('Draft 15 proof', guide, got.creds, got.holders, sub, VCT);
}

{
    const sub = subject('Thirteen');
    const offer = await makeOffer(guide, { subject: sub, vct: VCT, selectivelyDisclosable: ['given_name'] });
    const k = await newKey();
    let body;
    if (await check('Draft 13: {format, vct, proof} is answered with a top-level credential', async () => {
        const tok = await tokenRequest(guide, preAuth(offer.preAuthCode));
        const jwt = await keyProof(k, guide.url, await cNonce(guide));
        const r = await credentialRequest(guide, { format: 'dc+sd-jwt', vct: VCT, proof: { proof_type: 'jwt', jwt } },
            { token: tok.json.access_token });
        assertEqual(r.status, 200, `status (${r.text.slice(0, 200)})`);
        body = r.json;
        assert(typeof body.credential === 'string' && !('credentials' in body), JSON.stringify(body).slice(0, 200));
    })) await checkIssued('Draft 13', guide, [body.credential], [k], sub, VCT);
}

// ---- what the guide's tables refuse ----

{
    await check('refusal: a DPoP proof replayed at the token endpoint is invalid_dpop_proof', async () => {
        const key = await newKey();
        const proof = await dpopProof(key, 'POST', `${guide.url}/oid4vci/token`);
        const a = await makeOffer(guide, { subject: subject(), vct: VCT });
        const b = await makeOffer(guide, { subject: subject(), vct: VCT });
        assertEqual((await tokenRequest(guide, preAuth(a.preAuthCode), { dpop: proof })).status, 200, 'first use');
        expectError(await tokenRequest(guide, preAuth(b.preAuthCode), { dpop: proof }), 400, 'invalid_dpop_proof');
        assertEqual((await tokenRequest(guide, preAuth(b.preAuthCode))).status, 200, 'b\'s code was not spent');
    });
    const offer = await makeOffer(guide, { subject: subject(), vct: VCT });
    const tok = (await tokenRequest(guide, preAuth(offer.preAuthCode))).json;
    const nonce = await cNonce(guide);
    const k = await newKey();
    const req = async (n, proofs) => credentialRequest(guide, {
        credential_configuration_id: ID,
        proofs: { jwt: await Promise.all(proofs.map((key) => keyProof(key, guide.url, n))) },
    }, { token: tok.access_token });
    await check('refusal: more proofs than the batch size is invalid_credential_request', async () => {
        const keys = await Promise.all(Array.from({ length: batchSize + 1 }, newKey));
        expectError(await req(nonce, keys), 400, 'invalid_credential_request');
    });
    await check('refusal: a nonce the issuer never gave is invalid_nonce', async () =>
        expectError(await req('not-ours', [k]), 400, 'invalid_nonce'));
    await check('refusal: a c_nonce is good once', async () => {
        assertEqual((await req(nonce, [k])).status, 200, 'first use');
        expectError(await req(nonce, [k]), 400, 'invalid_nonce');
    });
    await check('refusal: the same key proven twice is invalid_proof', async () =>
        expectError(await req(await cNonce(guide), [k, k]), 400, 'invalid_proof'));
    await check('refusal: a proof for another audience is invalid_proof', async () => {
        const jwt = await keyProof(k, 'https://elsewhere.example', await cNonce(guide));
        expectError(await credentialRequest(guide, { credential_configuration_id: ID, proofs: { jwt: [jwt] } },
            { token: tok.access_token }), 400, 'invalid_proof');
    });
    await check('refusal: an offer without the admin key is 401 unauthorized', async () =>
        expectError(await http('POST', `${guide.url}/v1/credential-offers`, {
            headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ subject: subject(), vct: VCT }),
        }), 401, 'unauthorized'));
    await check('refusal: claims SD-JWT reserves are invalid_request at the offer', async () => {
        const r = await http('POST', `${guide.url}/v1/credential-offers`, {
            headers: { Authorization: `Bearer ${guide.apiKey}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ subject: { ...subject(), _sd: [] }, vct: VCT }),
        });
        expectError(r, 400, 'invalid_request');
    });
}

finish();

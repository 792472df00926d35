// The happy paths, as a wallet walks them: @openid4vc/openid4vci's
// Openid4vciClient resolves the offer, reads the issuer and AS metadata, redeems
// the pre-authorized code with a DPoP key, asks for a c_nonce and for a batch of
// credentials, one fresh ES256 key per proof; @sd-jwt/sd-jwt-vc checks each
// credential (lib.mjs checkIssued). What the library cannot send (a Draft 13
// request) is sent by hand with fetch + jose.
//
//   node wallet.mjs        (GR_ISSUER, GR_API_KEY, ... from test_e2e.sh)
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import {
    PID, PID_VCT, assert, assertEqual, batchSize, check, checkIssued, credentialRequest, expectOk,
    decodeJson, finish, http, issuerKey, keyProof, makeOffer, newKey, now, pidSubject, servers,
} from './lib.mjs';

// The servers under test speak plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true });

// The wallet's keys, by the x of their public JWK: the library asks to sign by public key.
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
            assert(s.method === 'jwk', `asked to sign with a ${s.method} signer`);
            const k = wallet.get(s.publicJwk.x);
            assert(k, 'asked to sign with a key the wallet does not hold');
            const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(k.privateKey);
            return { jwt, signerJwk: s.publicJwk };
        },
    },
});

// One issuance from an offer URL, as far as it gets: every step is a check, and
// a failed step ends the flow. Returns the credentials and their holder keys.
async function issue(label, server, offer, { txCode, proofs = 1, single = false, dpop = true } = {}) {
    let credentialOffer, issuerMetadata, tokenRes, nonce, creds, notificationId;
    const dpopKey = dpop ? await walletKey() : undefined;
    const dpopOpt = dpop ? { signer: signer(dpopKey) } : undefined;
    const holders = [];

    if (!await check(`${label}: the library resolves the offer URL`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        assertEqual(credentialOffer.credential_issuer, server.url, 'credential_issuer');
        assertEqual(credentialOffer.credential_configuration_ids, [PID], 'credential_configuration_ids');
    })) return;
    if (!await check(`${label}: the library reads the issuer and AS metadata`, async () => {
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        assert(issuerMetadata.credentialIssuer.credential_configurations_supported[PID], `no ${PID}`);
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
                issuerMetadata, credentialConfigurationId: PID, signer: signer(k), nonce, issuedAt: new Date(),
            });
            if (single) creq.proof = { proof_type: 'jwt', jwt };
            else (creq.proofs ??= { jwt: [] }).jwt.push(jwt);
        }
    })) return;
    if (!await check(`${label}: the library gets the credential${single ? ' (Draft 15 single proof)' : 's'}`, async () => {
        let res;
        try {
            res = await client.retrieveCredentials({
                issuerMetadata, credentialConfigurationId: PID, accessToken: tokenRes.accessTokenResponse.access_token,
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

// ---- 1.0: a batch, DPoP ----

// The Status List Token at `uri`, its signature checked with the issuer's key from
// jwt-vc-issuer, decoded by @sd-jwt/jwt-status-list.
async function statusList(server, uri) {
    const r = await http('GET', uri);
    expectOk(r);
    const header = decodeJson(r.text.split('.')[0]);
    assertEqual(header.typ, 'statuslist+jwt', 'typ');
    await jose.compactVerify(r.text, await jose.importJWK(await issuerKey(server, header.kid), 'ES256'));
    assertEqual(decodeJson(r.text.split('.')[1]).sub, uri, 'sub');
    return getListFromStatusListJWT(r.text);
}

// The admin API's lifecycle, seen by a relying party in the served status list.
async function lifecycle(label, server, offer, creds) {
    const admin = { headers: { Authorization: `Bearer ${server.apiKey}` } };
    const ids = (await http('GET', `${server.url}/v1/credentials?offerId=${offer.offerId}`, admin)).json?.credentials ?? [];
    await check(`${label}: the lifecycle API lists the offer's credentials, newest first`, () => {
        assertEqual(ids.length, creds.length, 'count');
        for (const c of ids) assertEqual(c.status, 'valid', 'status');
        for (let i = 1; i < ids.length; i++) assert(ids[i - 1].issuedAt >= ids[i].issuedAt, 'order');
    });
    if (ids.length < 2) return;
    const [a, b] = ids;
    const post = (id, what) => http('POST', `${server.url}/v1/credentials/${id}/${what}`, admin);
    // The list as it was: other flows on the same store may have set entries.
    const before = await statusList(server, b.statusList.uri).catch(() => null);
    await check(`${label}: revoke shows invalid in the next status list token`, async () => {
        const r = await post(a.credentialId, 'revoke');
        expectOk(r);
        assertEqual(r.json.status, 'invalid', 'status');
        assertEqual((await statusList(server, a.statusList.uri)).getStatus(a.statusList.idx), 1, 'entry');
    });
    await check(`${label}: revoking twice is fine; reinstating a revoked credential is 409`, async () => {
        expectOk(await post(a.credentialId, 'revoke'));
        const r = await post(a.credentialId, 'reinstate');
        assertEqual(r.status, 409, 'status');
        assertEqual(r.json?.error, 'conflict', 'error');
    });
    await check(`${label}: suspend shows 2, the list holds 1 and 2, and nothing else changed`, async () => {
        expectOk(await post(b.credentialId, 'suspend'));
        const list = await statusList(server, b.statusList.uri);
        assertEqual(list.getStatus(b.statusList.idx), 2, 'suspended entry');
        if (a.statusList.uri === b.statusList.uri) assertEqual(list.getStatus(a.statusList.idx), 1, 'revoked entry');
        assertEqual(list.getBitsPerStatus(), 2, 'bits');
        assert(before, 'the status list could not be fetched before the revocation');
        const others = list.statusList.filter(
            (v, i) => v !== before.statusList[i] && !(i === a.statusList.idx && a.statusList.uri === b.statusList.uri) && i !== b.statusList.idx,
        );
        assertEqual(others.length, 0, 'entries changed elsewhere');
        assertEqual(list.statusList.length, 1 << 17, 'entries');
    });
    await check(`${label}: reinstate brings the entry back to 0`, async () => {
        const r = await post(b.credentialId, 'reinstate');
        expectOk(r);
        assertEqual(r.json.status, 'valid', 'status');
        assertEqual((await statusList(server, b.statusList.uri)).getStatus(b.statusList.idx), 0, 'valid entry');
    });
    await check(`${label}: another organization sees none of it`, async () => {
        const other = { headers: { Authorization: `Bearer ${servers.other.apiKey}` } };
        const r = await http('GET', `${server.url}/v1/credentials/${a.credentialId}`, other);
        assertEqual(r.status, 404, `status (${r.json?.error})`);
    });
    await check(`${label}: the status list token refuses ?time= with 501 (TSL §8.4)`, async () => {
        const r = await http('GET', `${a.statusList.uri}?time=1`);
        assertEqual(r.status, 501, 'status');
    });
}

const subject = pidSubject();
{
    const offer = await makeOffer(servers.main, { subject, vct: PID_VCT });
    const got = await issue('1.0 batch', servers.main, offer, { proofs: batchSize });
    if (got) {
        await checkIssued('1.0 batch', servers.main, got.creds, got.holders, subject);
        await check('1.0 batch: the offer says redeemed and names the credentials', async () => {
            const r = await http('GET', `${servers.main.url}/v1/credential-offers/${offer.offerId}`, {
                headers: { Authorization: `Bearer ${servers.main.apiKey}` },
            });
            expectOk(r);
            assertEqual(r.json.state, 'redeemed', 'state');
            assertEqual(r.json.credentialIds?.length, got.creds.length, 'credentialIds');
        });
        await check('1.0 batch: the library sends credential_accepted, 204 (VCI §11)', async () => {
            assert(got.issuerMetadata.credentialIssuer.notification_endpoint, 'no notification_endpoint in the metadata');
            assert(typeof got.notificationId === 'string', 'no notification_id in the credential response');
            const res = await client.sendNotification({
                issuerMetadata: got.issuerMetadata, accessToken: got.tokenRes.accessTokenResponse.access_token,
                dpop: { signer: signer(got.dpopKey) },
                notification: { notificationId: got.notificationId, event: 'credential_accepted' },
            });
            assertEqual(res.response.status, 204, 'status');
        });
        await lifecycle('1.0 batch', servers.main, offer, got.creds);
        await check('1.0 batch: the same token serves a second request (VCI §14.3)', async () => {
            const k = await walletKey();
            const nonce = (await client.requestNonce({ issuerMetadata: got.issuerMetadata })).c_nonce;
            const { jwt } = await client.createCredentialRequestJwtProof({
                issuerMetadata: got.issuerMetadata, credentialConfigurationId: PID, signer: signer(k), nonce, issuedAt: new Date(),
            });
            const res = await client.retrieveCredentials({
                issuerMetadata: got.issuerMetadata, credentialConfigurationId: PID,
                accessToken: got.tokenRes.accessTokenResponse.access_token,
                dpop: { signer: signer(got.dpopKey) }, proofs: { jwt: [jwt] },
            });
            assertEqual(res.credentialResponse.credentials.length, 1, 'credentials');
        });
    }
}

// ---- a transaction code the issuer made ----

{
    const sub = pidSubject({ given_name: 'Tx' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: PID_VCT, txCode: true });
    await check('tx_code: the issuer made a numeric code of the advertised length', () => {
        const tx = offer.credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code;
        assert(tx, 'no tx_code in the offer');
        assert(/^[0-9]+$/.test(offer.txCode ?? ''), `txCode ${offer.txCode}`);
        assertEqual(offer.txCode.length, tx.length ?? offer.txCode.length, 'length');
        assert(!JSON.stringify(offer.credentialOffer).includes(offer.txCode) || offer.txCode.length < 4,
            'the code travels inside the offer');
    });
    const got = await issue('tx_code', servers.main, offer, { txCode: offer.txCode, proofs: 2 });
    if (got) await checkIssued('tx_code', servers.main, got.creds, got.holders, sub);
}

// ---- a text tx_code of 8, two plain claims, a one-day credential ----

{
    const sub = pidSubject({ given_name: 'Options' });
    const offer = await makeOffer(servers.main, {
        subject: sub, vct: PID_VCT, txCode: { length: 8, inputMode: 'text', description: 'The code in your letter' },
        selectivelyDisclosable: ['given_name', 'birthdate'], credentialExpiresIn: 86400,
    });
    await check('tx_code object: the offer carries input_mode text, length 8 and the description', () => {
        const tx = offer.credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code;
        assertEqual(tx, { input_mode: 'text', length: 8, description: 'The code in your letter' }, 'tx_code');
        assert(typeof offer.txCode === 'string' && offer.txCode.length === 8, `txCode ${offer.txCode}`);
    });
    const got = await issue('tx_code object', servers.main, offer, { txCode: offer.txCode });
    if (got) {
        const [payload] = await checkIssued('selectivelyDisclosable', servers.main, got.creds, got.holders, sub);
        await check('selectivelyDisclosable: exactly given_name and birthdate travel as disclosures', () => {
            const names = got.creds[0].split('~').slice(1, -1).map((d) => decodeJson(d)[1]).sort();
            assertEqual(names, ['birthdate', 'given_name'], 'disclosed names');
            const plain = JSON.parse(Buffer.from(got.creds[0].split('.')[1], 'base64url'));
            assertEqual(plain.family_name, sub.family_name, 'family_name in the clear');
            assert(!('given_name' in plain), 'given_name in the clear');
        });
        await check('credentialExpiresIn: exp is about a day away, not the default', () => {
            assert(payload, 'no verified credential');
            assert(payload.exp > now() + 3600 && payload.exp <= now() + 2 * 86400,
                `exp is ${payload.exp - now()} s from now`);
        });
    }
}

// ---- by reference: the library fetches credential_offer_uri ----

{
    const sub = pidSubject({ given_name: 'Ref' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: PID_VCT, byReference: true });
    await check('byReference: offerUrl carries credential_offer_uri only', () => {
        const q = new URL(offer.offerUrl.replace(/^openid-credential-offer:\/\//, 'https://x/')).searchParams;
        assert(q.get('credential_offer_uri'), 'no credential_offer_uri');
        assert(!q.has('credential_offer'), 'credential_offer beside credential_offer_uri');
        assertEqual(q.get('credential_offer_uri'), offer.credentialOfferUri, 'credentialOfferUri');
    });
    await check('byReference: the offer URI answers application/json, no-store', async () => {
        const r = await http('GET', offer.credentialOfferUri);
        expectOk(r);
        assert(/^application\/json/.test(r.headers.get('content-type')), `Content-Type ${r.headers.get('content-type')}`);
        assertEqual(r.json, offer.credentialOffer, 'offer');
    });
    const got = await issue('byReference', servers.main, offer, { proofs: 1 });
    if (got) await checkIssued('byReference', servers.main, got.creds, got.holders, sub);
}

// ---- Draft 15: a single `proof` ----

{
    const sub = pidSubject({ given_name: 'Fifteen' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: PID_VCT });
    const got = await issue('Draft 15 proof', servers.main, offer, { single: true });
    if (got) await checkIssued('Draft 15 proof', servers.main, got.creds, got.holders, sub);
}

// ---- a Bearer token (no DPoP), 1.0 request ----

{
    const sub = pidSubject({ given_name: 'Bearer' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: PID_VCT });
    const got = await issue('Bearer', servers.main, offer, { dpop: false, proofs: 2 });
    if (got) await checkIssued('Bearer', servers.main, got.creds, got.holders, sub);
}

// ---- Draft 13, by hand: format + vct + proof, c_nonce from the token response ----

for (const format of ['dc+sd-jwt', 'vc+sd-jwt']) {
    const label = `Draft 13 (${format})`;
    const sub = pidSubject({ given_name: 'Thirteen' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: PID_VCT });
    let tok;
    if (!await check(`${label}: token response carries c_nonce and c_nonce_expires_in`, async () => {
        const r = await http('POST', `${servers.main.url}/oid4vci/token`, {
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
                grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code',
                'pre-authorized_code': offer.preAuthCode,
            }).toString(),
        });
        expectOk(r);
        tok = r.json;
        assertEqual(tok.token_type, 'Bearer', 'token_type');
        assert(typeof tok.c_nonce === 'string' && tok.c_nonce.length > 0, 'no c_nonce');
        assert(tok.c_nonce_expires_in > 0, `c_nonce_expires_in ${tok.c_nonce_expires_in}`);
        assertEqual(r.headers.get('cache-control'), 'no-store', 'Cache-Control');
    })) continue;
    const k = await newKey();
    let body;
    if (!await check(`${label}: {format, vct, proof} is answered with a top-level credential`, async () => {
        const jwt = await keyProof(k, servers.main.url, tok.c_nonce);
        const r = await credentialRequest(servers.main, { format, vct: PID_VCT, proof: { proof_type: 'jwt', jwt } },
            { token: tok.access_token });
        expectOk(r);
        body = r.json;
        assert(typeof body.credential === 'string', `no top-level credential: ${JSON.stringify(body).slice(0, 200)}`);
        assert(!('credentials' in body), 'credentials beside credential');
    })) continue;
    await checkIssued(label, servers.main, [body.credential], [k], sub);
}

// ---- the DPoP-nonce server: the library follows use_dpop_nonce on its own ----

{
    const sub = pidSubject({ given_name: 'Nonce' });
    const offer = await makeOffer(servers.nonce, { subject: sub, vct: PID_VCT });
    const got = await issue('DPoP nonces', servers.nonce, offer, { proofs: 2 });
    if (got) await checkIssued('DPoP nonces', servers.nonce, got.creds, got.holders, sub);
}

// ---- another configuration, picked by its id ----

{
    const r = await http('GET', `${servers.main.url}/.well-known/openid-credential-issuer`);
    const configs = Object.entries(r.json?.credential_configurations_supported ?? {}).filter(([id]) => id !== PID);
    for (const [id, conf] of configs.slice(0, 1)) {
        const mandatory = (conf.credential_metadata?.claims ?? []).filter((c) => c.mandatory && c.path.length === 1);
        const sub = Object.fromEntries(mandatory.map((c, i) => [c.path[0], `value ${i}`]));
        let offer;
        if (!await check(`${id}: an offer by credentialConfigurationId`, async () => {
            offer = await makeOffer(servers.main, { subject: sub, credentialConfigurationId: id });
            assertEqual(offer.credentialOffer.credential_configuration_ids, [id], 'credential_configuration_ids');
        })) continue;
        const k = await walletKey();
        let creds;
        if (!await check(`${id}: the library walks the offer to a credential`, async () => {
            const credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
            const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
            const dpopOpt = { signer: signer(await walletKey()) };
            const t = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, dpop: dpopOpt });
            const nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
            const { jwt } = await client.createCredentialRequestJwtProof({
                issuerMetadata, credentialConfigurationId: id, signer: signer(k), nonce, issuedAt: new Date(),
            });
            const res = await client.retrieveCredentials({
                issuerMetadata, credentialConfigurationId: id, accessToken: t.accessTokenResponse.access_token,
                dpop: { ...dpopOpt, nonce: t.dpop?.nonce }, proofs: { jwt: [jwt] },
            });
            creds = res.credentialResponse.credentials.map((c) => c.credential);
        })) continue;
        await checkIssued(id, servers.main, creds, [k], sub, conf.vct);
    }
}

finish();

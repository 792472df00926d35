// The happy paths, as a wallet walks them: @openid4vc/openid4vci's
// Openid4vciClient (client.mjs) resolves the offer, reads the issuer and AS
// metadata, redeems the pre-authorized code with a DPoP key, asks for a c_nonce
// and for a batch of credentials, one fresh ES256 key per proof;
// @sd-jwt/sd-jwt-vc checks each credential (lib.mjs checkIssued). What the
// library cannot send (a Draft 13 request) is sent by hand with fetch + jose.
//
// The same suite walks `gramota serve` (the PID) and, with
// GR_WALLET_PROFILE=library, an issuer built on the library (the guide's
// university degree). A section that needs what only the daemon has is skipped
// by a named condition: lib.mjs `daemon` declares them, the rest is derived
// from the issuer's metadata below.
//
//   node wallet.mjs        (GR_ISSUER, GR_API_KEY, ... from test_e2e.sh or test_guide.sh)
import * as jose from 'jose';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import {
    assert, assertEqual, batchSize, check, checkIssued, checkWhen, credentialRequest, daemon, decodeJson,
    derived, expectOk, finish, has, http, issuerKey, keyProof, makeOffer, newKey, now, profile, servers,
} from './lib.mjs';
import { client, issue, signer, walletKey } from './client.mjs';

const { id: ID, vct: VCT, subject: makeSubject, twoClaims } = profile.credential;

// What the issuer's metadata (META, its credential issuer document) says it
// has, as conditions for the sections that need it. The metadata is read where
// a wallet reads it: the requests' order is what spread.mjs splits between two
// processes.
const advertises = {
    notifications: (meta) => derived('metadata.notification_endpoint',
        typeof meta.notification_endpoint === 'string', 'the issuer advertises no notification endpoint'),
    otherConfiguration: (meta) => derived('metadata.credential_configurations_supported',
        Object.keys(meta.credential_configurations_supported ?? {}).some((id) => id !== ID),
        `the issuer advertises no configuration but ${ID}`),
};

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
}

{
    const subject = makeSubject();
    const offer = await makeOffer(servers.main, { subject, vct: VCT });
    const got = await issue('1.0 batch', servers.main, offer, { proofs: batchSize });
    if (got) {
        const payloads = await checkIssued('1.0 batch', servers.main, got.creds, got.holders, subject, VCT);
        await checkWhen(daemon.offerState, '1.0 batch: the offer says redeemed and names the credentials', async () => {
            const r = await http('GET', `${servers.main.url}/v1/credential-offers/${offer.offerId}`, {
                headers: { Authorization: `Bearer ${servers.main.apiKey}` },
            });
            expectOk(r);
            assertEqual(r.json.state, 'redeemed', 'state');
            assertEqual(r.json.credentialIds?.length, got.creds.length, 'credentialIds');
        });
        const notifies = advertises.notifications(got.issuerMetadata.credentialIssuer);
        await checkWhen(notifies, '1.0 batch: the library sends credential_accepted, 204 (VCI §11)', async () => {
            assert(got.issuerMetadata.credentialIssuer.notification_endpoint, 'no notification_endpoint in the metadata');
            assert(typeof got.notificationId === 'string', 'no notification_id in the credential response');
            const res = await client.sendNotification({
                issuerMetadata: got.issuerMetadata, accessToken: got.tokenRes.accessTokenResponse.access_token,
                dpop: { signer: signer(got.dpopKey) },
                notification: { notificationId: got.notificationId, event: 'credential_accepted' },
            });
            assertEqual(res.response.status, 204, 'status');
        });
        if (has(daemon.lifecycleApi, '1.0 batch: the lifecycle API')) {
            await lifecycle('1.0 batch', servers.main, offer, got.creds);
        }
        const timeName = '1.0 batch: the status list token refuses ?time= with 501 (TSL §8.4)';
        await checkWhen(daemon.statusListTime, timeName, async () => {
            const uri = payloads.find(Boolean)?.status?.status_list?.uri;
            assert(uri, 'no verified credential names a status list');
            const r = await http('GET', `${uri}?time=1`);
            assertEqual(r.status, 501, 'status');
        });
        await check('1.0 batch: the same token serves a second request (VCI §14.3)', async () => {
            const k = await walletKey();
            const nonce = (await client.requestNonce({ issuerMetadata: got.issuerMetadata })).c_nonce;
            const { jwt } = await client.createCredentialRequestJwtProof({
                issuerMetadata: got.issuerMetadata, credentialConfigurationId: ID, signer: signer(k), nonce, issuedAt: new Date(),
            });
            const res = await client.retrieveCredentials({
                issuerMetadata: got.issuerMetadata, credentialConfigurationId: ID,
                accessToken: got.tokenRes.accessTokenResponse.access_token,
                dpop: { signer: signer(got.dpopKey) }, proofs: { jwt: [jwt] },
            });
            assertEqual(res.credentialResponse.credentials.length, 1, 'credentials');
        });
    }
}

// ---- a transaction code the issuer made ----

{
    const sub = makeSubject({ given_name: 'Tx' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: VCT, txCode: true });
    await check('tx_code: the issuer made a numeric code of the advertised length', () => {
        const tx = offer.credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code;
        assert(tx, 'no tx_code in the offer');
        assert(/^[0-9]+$/.test(offer.txCode ?? ''), `txCode ${offer.txCode}`);
        assertEqual(offer.txCode.length, tx.length ?? offer.txCode.length, 'length');
        assert(!JSON.stringify(offer.credentialOffer).includes(offer.txCode) || offer.txCode.length < 4,
            'the code travels inside the offer');
    });
    const got = await issue('tx_code', servers.main, offer, { txCode: offer.txCode, proofs: 2 });
    if (got) await checkIssued('tx_code', servers.main, got.creds, got.holders, sub, VCT);
}

// ---- a text tx_code of 8 with a description, two selectively disclosable
// claims, a one-day credential ----

{
    const sub = makeSubject({ given_name: 'Options' });
    const description = 'The code in your letter';
    const txCode = { length: 8, inputMode: 'text', description };
    const offer = await makeOffer(servers.main, {
        subject: sub, vct: VCT, txCode, selectivelyDisclosable: twoClaims, credentialExpiresIn: 86400,
    });
    await check('tx_code object: the offer carries input_mode text, length 8 and the description', () => {
        const tx = offer.credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code;
        assertEqual(tx, { input_mode: 'text', length: 8, description }, 'tx_code');
        assert(typeof offer.txCode === 'string' && offer.txCode.length === 8, `txCode ${offer.txCode}`);
    });
    const got = await issue('tx_code object', servers.main, offer, { txCode: offer.txCode });
    if (got) {
        const [payload] = await checkIssued('selectivelyDisclosable', servers.main, got.creds, got.holders, sub, VCT);
        await check(`selectivelyDisclosable: exactly ${twoClaims.join(' and ')} travel as disclosures`, () => {
            const names = got.creds[0].split('~').slice(1, -1).map((d) => decodeJson(d)[1]).sort();
            assertEqual(names, [...twoClaims].sort(), 'disclosed names');
            const plain = JSON.parse(Buffer.from(got.creds[0].split('.')[1], 'base64url'));
            assertEqual(plain.family_name, sub.family_name, 'family_name in the clear');
            for (const c of twoClaims) assert(!(c in plain), `${c} in the clear`);
        });
        await check('credentialExpiresIn: exp is about a day away, not the default', () => {
            assert(payload, 'no verified credential');
            assert(payload.exp > now() + 3600 && payload.exp <= now() + 2 * 86400,
                `exp is ${payload.exp - now()} s from now`);
        });
    }
}

// ---- by reference: the library fetches credential_offer_uri ----

if (has(daemon.offersByReference, 'byReference')) {
    const sub = makeSubject({ given_name: 'Ref' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: VCT, byReference: true });
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
    if (got) await checkIssued('byReference', servers.main, got.creds, got.holders, sub, VCT);
}

// ---- Draft 15: a single `proof` ----

{
    const sub = makeSubject({ given_name: 'Fifteen' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: VCT });
    const got = await issue('Draft 15 proof', servers.main, offer, { single: true });
    if (got) await checkIssued('Draft 15 proof', servers.main, got.creds, got.holders, sub, VCT);
}

// ---- a Bearer token (no DPoP), 1.0 request ----

{
    const sub = makeSubject({ given_name: 'Bearer' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: VCT });
    const got = await issue('Bearer', servers.main, offer, { dpop: false, proofs: 2 });
    if (got) await checkIssued('Bearer', servers.main, got.creds, got.holders, sub, VCT);
}

// ---- Draft 13, by hand: format + vct + proof, c_nonce from the token response
// (from the nonce endpoint where the issuer puts none there) ----

for (const format of ['dc+sd-jwt', 'vc+sd-jwt']) {
    const label = `Draft 13 (${format})`;
    const sub = makeSubject({ given_name: 'Thirteen' });
    const offer = await makeOffer(servers.main, { subject: sub, vct: VCT });
    let tok;
    if (!await check(`${label}: a form with the code alone buys a Bearer token, no-store`, async () => {
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
        assertEqual(r.headers.get('cache-control'), 'no-store', 'Cache-Control');
    })) continue;
    await check(`${label}: token response carries c_nonce and c_nonce_expires_in`, () => {
        assert(typeof tok.c_nonce === 'string' && tok.c_nonce.length > 0, 'no c_nonce');
        assert(tok.c_nonce_expires_in > 0, `c_nonce_expires_in ${tok.c_nonce_expires_in}`);
    });
    const k = await newKey();
    let body;
    if (!await check(`${label}: {format, vct, proof} is answered with a top-level credential`, async () => {
        const jwt = await keyProof(k, servers.main.url, tok.c_nonce);
        const r = await credentialRequest(servers.main, { format, vct: VCT, proof: { proof_type: 'jwt', jwt } },
            { token: tok.access_token });
        expectOk(r);
        body = r.json;
        assert(typeof body.credential === 'string', `no top-level credential: ${JSON.stringify(body).slice(0, 200)}`);
        assert(!('credentials' in body), 'credentials beside credential');
    })) continue;
    await checkIssued(label, servers.main, [body.credential], [k], sub, VCT);
}

// ---- the DPoP-nonce server: the library follows use_dpop_nonce on its own ----

if (has(daemon.dpopNonceServer, 'DPoP nonces')) {
    const sub = makeSubject({ given_name: 'Nonce' });
    const offer = await makeOffer(servers.nonce, { subject: sub, vct: VCT });
    const got = await issue('DPoP nonces', servers.nonce, offer, { proofs: 2 });
    if (got) await checkIssued('DPoP nonces', servers.nonce, got.creds, got.holders, sub, VCT);
}

// ---- another configuration, picked by its id ----

const meta = (await http('GET', `${servers.main.url}/.well-known/openid-credential-issuer`)).json ?? {};
// The daemon advertises both; were it to stop, its sections would be skipped, not failed.
await check(`metadata: a notification endpoint and other configurations, as the ${profile.name} profile has them`, () => {
    const want = profile.name === 'daemon';
    assertEqual(advertises.notifications(meta).holds, want, 'notification_endpoint advertised');
    assertEqual(advertises.otherConfiguration(meta).holds, want, 'another configuration advertised');
});
if (has(advertises.otherConfiguration(meta), 'another configuration')) {
    const [id, conf] = Object.entries(meta.credential_configurations_supported).find(([i]) => i !== ID);
    const mandatory = (conf.credential_metadata?.claims ?? []).filter((c) => c.mandatory && c.path.length === 1);
    const sub = Object.fromEntries(mandatory.map((c, i) => [c.path[0], `value ${i}`]));
    let offer;
    if (await check(`${id}: an offer by credentialConfigurationId`, async () => {
        offer = await makeOffer(servers.main, { subject: sub, credentialConfigurationId: id });
        assertEqual(offer.credentialOffer.credential_configuration_ids, [id], 'credential_configuration_ids');
    })) {
        const got = await issue(id, servers.main, offer, { id });
        if (got) await checkIssued(id, servers.main, got.creds, got.holders, sub, conf.vct);
    }
}

finish();

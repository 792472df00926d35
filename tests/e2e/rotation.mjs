// Key rotation, driven step by step by test_rotation.sh, which rotates the
// issuer's key in between; what was issued is kept in STATE (a JSON file).
//
//   issue STATE LABEL        two credentials (one request, two proofs) and
//                            their status list token, recorded under LABEL
//   check STATE LABEL=KID... each batch's credentials carry KID; every
//                            credential and every recorded status list token
//                            verifies with the key its kid names in
//                            /.well-known/jwt-vc-issuer, as does a fresh token
//   revoke STATE LABEL KID   revoke LABEL's first credential: a fresh status
//                            list token, signed by KID, says so
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as jose from 'jose';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import {
    assert, assertEqual, check, cNonce, credentialRequest, decodeJson, expectOk, finish, freshToken,
    http, issuerKey, keyProof, newKey, PID, said, sdJwtInstance, servers,
} from './lib.mjs';

const server = servers.main;
const admin = { headers: { Authorization: `Bearer ${server.apiKey}` } };
const [mode, stateFile, ...args] = process.argv.slice(2);
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {};
const kidOf = (jws) => decodeJson(jws.split('.')[0]).kid;
const statusOf = (cred) => decodeJson(cred.split('~')[0].split('.')[1]).status?.status_list;

// The status list token at URI, checked with the key its kid names in jwt-vc-issuer.
async function verifiedToken(token) {
    const header = decodeJson(token.split('.')[0]);
    assertEqual(header.typ, 'statuslist+jwt', 'typ');
    await jose.compactVerify(token, await jose.importJWK(await issuerKey(server, header.kid), 'ES256'));
    return getListFromStatusListJWT(token);
}

async function fetchToken(uri) {
    const r = await http('GET', uri);
    expectOk(r);
    return r.text;
}

async function issue(label) {
    await check(`${label}: two credentials issued, with their status list token`, async () => {
        const { offer, token, dpopKey } = await freshToken(server);
        const nonce = await cNonce(server);
        const holders = [await newKey(), await newKey()];
        const proofs = await Promise.all(holders.map((h) => keyProof(h, server.url, nonce)));
        const r = await credentialRequest(server, { credential_configuration_id: PID, proofs: { jwt: proofs } },
            { token, dpopKey });
        assert(r.status === 200, `credential request: ${said(r)}`);
        const creds = r.json.credentials.map((c) => c.credential);
        assertEqual(creds.length, 2, 'credentials');
        const statusToken = await fetchToken(statusOf(creds[0]).uri);
        state[label] = { offerId: offer.offerId, creds, statusToken };
        return `kid ${kidOf(creds[0])}`;
    });
}

async function checkAll(expect) {
    for (const [label, kid] of expect.map((a) => a.split('='))) {
        const batch = state[label];
        await check(`${label}: the credentials carry kid ${kid}`, () => {
            assert(batch, `no batch ${label}`);
            for (const c of batch.creds) assertEqual(kidOf(c), kid, 'kid');
        });
        if (!batch) continue;
        await check(`${label}: each credential verifies with the key of its kid from jwt-vc-issuer`, async () => {
            for (const c of batch.creds) await (await sdJwtInstance(await issuerKey(server, kidOf(c)))).verify(c);
        });
        await check(`${label}: the status list token fetched then verifies through jwt-vc-issuer (kid ${kidOf(batch.statusToken)})`,
            async () => { await verifiedToken(batch.statusToken); });
        await check(`${label}: a fresh status list token verifies through jwt-vc-issuer`, async () => {
            const list = await verifiedToken(await fetchToken(statusOf(batch.creds[0]).uri));
            assert(list.getStatus(statusOf(batch.creds[1]).idx) === 0, 'the second credential is not valid');
        });
        await check(`${label}: the lifecycle API names each credential's kid`, async () => {
            const listed = (await http('GET', `${server.url}/v1/credentials?offerId=${batch.offerId}`, admin)).json?.credentials ?? [];
            assertEqual(listed.length, batch.creds.length, 'credentials listed');
            for (const c of listed) assertEqual(c.kid, kid, `kid of ${c.credentialId}`);
        });
    }
}

async function revoke(label, kid) {
    await check(`${label}: revoked after the rotation, it shows in a fresh token signed by kid ${kid}`, async () => {
        const batch = state[label];
        const ids = (await http('GET', `${server.url}/v1/credentials?offerId=${batch.offerId}`, admin)).json?.credentials ?? [];
        const sl = statusOf(batch.creds[0]);
        const rec = ids.find((c) => c.statusList?.idx === sl.idx && c.statusList?.uri === sl.uri);
        assert(rec, `the lifecycle API does not list the credential (${ids.length} listed)`);
        expectOk(await http('POST', `${server.url}/v1/credentials/${rec.credentialId}/revoke`, admin));
        const token = await fetchToken(sl.uri);
        assertEqual(kidOf(token), kid, 'status list token kid');
        assertEqual((await verifiedToken(token)).getStatus(sl.idx), 1, 'entry');
        // The credential itself still verifies: its key is still published.
        await (await sdJwtInstance(await issuerKey(server, kidOf(batch.creds[0])))).verify(batch.creds[0]);
    });
}

if (mode === 'issue') await issue(args[0]);
else if (mode === 'check') await checkAll(args);
else if (mode === 'revoke') await revoke(args[0], args[1]);
else throw new Error(`unknown mode ${mode}`);
writeFileSync(stateFile, JSON.stringify(state));
finish();

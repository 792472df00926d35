// The refusals the guide's issuer (examples/guide/guide.c) must make from its
// own tables, by hand with fetch + jose. Its happy paths are wallet.mjs's, run
// before this with GR_WALLET_PROFILE=library; each refusal here has its
// counterpart for the daemon in refusals.mjs, which also covers what the guide
// leaves to `gramota serve`.
//
//   node guide.mjs      (GR_ISSUER = the guide's URL, GR_API_KEY = its admin key; test_guide.sh)
import {
    assert, assertEqual, batchSize, cNonce, check, credentialRequest, dpopProof, expectChallenge, expectError,
    finish, freshToken, http, keyProof, makeOffer, newKey, preAuth, profile, servers, tokenRequest,
} from './lib.mjs';

const guide = servers.main;
const { id: ID, vct: VCT, subject } = profile.credential;
const offer = () => makeOffer(guide, { subject: subject(), vct: VCT });

// ---- the token endpoint ----

await check('refusal: a redeemed code is invalid_grant', async () => {
    const { preAuthCode } = await offer();
    assertEqual((await tokenRequest(guide, preAuth(preAuthCode))).status, 200, 'first use');
    expectError(await tokenRequest(guide, preAuth(preAuthCode)), 400, 'invalid_grant');
});

await check('refusal: a wrong tx_code is invalid_grant, and the right one still works', async () => {
    const o = await makeOffer(guide, { subject: subject(), credentialConfigurationId: ID, txCode: true });
    assert(/^[0-9]{6}$/.test(o.txCode ?? ''), `txCode ${o.txCode}`);
    const wrong = String((Number(o.txCode) + 1) % 1000000).padStart(6, '0');
    expectError(await tokenRequest(guide, preAuth(o.preAuthCode, wrong)), 400, 'invalid_grant');
    assertEqual((await tokenRequest(guide, preAuth(o.preAuthCode, o.txCode))).status, 200, 'the right code');
});

await check('refusal: a DPoP proof replayed at the token endpoint is invalid_dpop_proof', async () => {
    const key = await newKey();
    const proof = await dpopProof(key, 'POST', `${guide.url}/oid4vci/token`);
    const a = await offer();
    const b = await offer();
    assertEqual((await tokenRequest(guide, preAuth(a.preAuthCode), { dpop: proof })).status, 200, 'first use');
    expectError(await tokenRequest(guide, preAuth(b.preAuthCode), { dpop: proof }), 400, 'invalid_dpop_proof');
    assertEqual((await tokenRequest(guide, preAuth(b.preAuthCode))).status, 200, 'b\'s code was not spent');
});

// ---- the access token ----

{
    const t = await freshToken(guide, { offer: await offer() });
    const body = async () => ({
        credential_configuration_id: ID, proofs: { jwt: [await keyProof(await newKey(), guide.url, await cNonce(guide))] },
    });
    await check('refusal: the DPoP-bound token sent as Bearer is 401 invalid_token', async () => {
        const r = await credentialRequest(guide, await body(), { token: t.token, scheme: 'Bearer' });
        expectChallenge(r, 'Bearer', 'invalid_token');
    });
    await check('refusal: the DPoP-bound token with a proof by another key is 401 invalid_dpop_proof', async () => {
        const r = await credentialRequest(guide, await body(), { token: t.token, dpopKey: await newKey() });
        expectChallenge(r, 'DPoP', 'invalid_dpop_proof');
    });
    await check('refusal: none of that spent the token', async () => {
        const r = await credentialRequest(guide, await body(), { token: t.token, dpopKey: t.dpopKey });
        assertEqual(r.status, 200, `status (${r.text.slice(0, 200)})`);
    });
}

// ---- the key proofs and the c_nonce ----

{
    const tok = (await tokenRequest(guide, preAuth((await offer()).preAuthCode))).json;
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
}

await check('refusal: no access token is 401 invalid_token, a bare challenge per scheme', async () => {
    const r = await credentialRequest(guide, { credential_configuration_id: ID });
    expectError(r, 401, 'invalid_token');
    // Two WWW-Authenticate fields arrive joined by ", " (RFC 9110 §5.3); no error code in them (RFC 6750 §3.1).
    assertEqual(r.headers.get('www-authenticate'), 'Bearer, DPoP algs="ES256"', 'WWW-Authenticate');
});
await check('refusal: a subject without a mandatory claim is invalid_request at the offer', async () => {
    const { family_name: _, ...partial } = subject();
    const r = await http('POST', `${guide.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${guide.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: partial, vct: VCT }),
    });
    expectError(r, 400, 'invalid_request');
    assert(/family_name/.test(r.json?.error_description ?? ''), `error_description: ${r.json?.error_description}`);
});

await check('refusal: an offer by reference is invalid_request (the guide sends offers by value)', async () => {
    const r = await http('POST', `${guide.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${guide.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: subject(), vct: VCT, byReference: true }),
    });
    expectError(r, 400, 'invalid_request');
});

// ---- the admin side ----

await check('refusal: an offer without the admin key is 401 unauthorized, with a Bearer challenge', async () => {
    const r = await http('POST', `${guide.url}/v1/credential-offers`, {
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ subject: subject(), vct: VCT }),
    });
    expectError(r, 401, 'unauthorized');
    assertEqual(r.headers.get('www-authenticate'), 'Bearer', 'WWW-Authenticate (RFC 9110 §15.5.2)');
});
await check('refusal: claims SD-JWT reserves are invalid_request at the offer', async () => {
    const r = await http('POST', `${guide.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${guide.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: { ...subject(), _sd: [] }, vct: VCT }),
    });
    expectError(r, 400, 'invalid_request');
});

finish();

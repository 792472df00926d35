// The issuer with its key in a PKCS#11 token (test_pkcs11.sh), by hand:
//
//   node pkcs11.mjs key    the key /.well-known/jwt-vc-issuer serves is the
//                          token's (GR_P11_JWK: what `gramota keygen --pkcs11` printed)
//   node pkcs11.mjs away   the token is gone: a credential request that passes every
//                          check answers 503 temporarily_unavailable and carries no
//                          credential; /readyz 503, /healthz 200. The offer's id goes
//                          to GR_P11_OFFER_FILE for the audit checks of the shell.
//   node pkcs11.mjs back   the token is back: /readyz turns 200 by itself and a new
//                          flow issues credentials that verify
import {
    PID, assert, assertEqual, cNonce, check, checkIssued, credentialRequest, expectError, finish,
    freshToken, http, keyProof, newKey, pidSubject, pidOffer, servers,
} from './lib.mjs';
import { writeFileSync } from 'node:fs';

const main = servers.main;
const mode = process.argv[2];

// One flow up to the credential request, one holder key: the answer and what was asked.
async function flow() {
    const subject = pidSubject();
    const offer = await pidOffer(main, { subject });
    const { token, dpopKey } = await freshToken(main, { offer });
    const holder = await newKey();
    const proof = await keyProof(holder, main.url, await cNonce(main));
    const r = await credentialRequest(main, { credential_configuration_id: PID, proofs: { jwt: [proof] } },
        { token, dpopKey });
    return { r, offer, holder, subject };
}

if (mode === 'key') {
    await check('jwt-vc-issuer serves the public key read from the token', async () => {
        const want = JSON.parse(process.env.GR_P11_JWK);
        const r = await http('GET', `${main.url}/.well-known/jwt-vc-issuer`);
        const keys = r.json?.jwks?.keys ?? [];
        assertEqual(keys.length, 1, 'keys');
        assertEqual([keys[0].crv, keys[0].x, keys[0].y], [want.crv, want.x, want.y], 'the key');
    });
} else if (mode === 'away') {
    await check('token away: a credential request answers 503 temporarily_unavailable, no credential', async () => {
        const { r, offer } = await flow();
        writeFileSync(process.env.GR_P11_OFFER_FILE, offer.offerId);
        expectError(r, 503, 'temporarily_unavailable');
        assert(!r.json.credentials && !r.json.credential, 'a credential came back');
        assert(!/PIN|pin-source|handle/i.test(r.json.error_description ?? ''),
            `error_description says too much: ${r.json.error_description}`);
    });
    await check('token away: /readyz 503 temporarily_unavailable', async () =>
        expectError(await http('GET', `${main.url}/readyz`), 503, 'temporarily_unavailable'));
    await check('token away: /healthz still 200', async () =>
        assertEqual((await http('GET', `${main.url}/healthz`)).status, 200, '/healthz'));
} else if (mode === 'back') {
    await check('token back: /readyz 200 within 10 s, no restart', async () => {
        let status;
        for (let i = 0; i < 100 && status !== 200; i++) {
            if (i) await new Promise((res) => setTimeout(res, 100));
            status = (await http('GET', `${main.url}/readyz`)).status;
        }
        assertEqual(status, 200, '/readyz');
    });
    const { r, holder, subject } = await flow();
    await check('token back: a new flow issues', () => assertEqual(r.status, 200, 'credential status'));
    if (r.status === 200)
        await checkIssued('token back', main, r.json.credentials.map((c) => c.credential), [holder], subject);
} else {
    console.error('usage: node pkcs11.mjs key|away|back');
    process.exit(2);
}
finish();

// Two gramota processes as one issuer (test_e2e.sh servers "pg" and "pg-twin":
// one PostgreSQL database, one --issuer-url, one signing key, two ports). Every
// request names the one issuer URL in its proofs (htu, aud) wherever it is sent.
import {
    check, finish, assert, assertEqual, env, servers, http, expectError, expectOk, said, form,
    newKey, dpopProof, keyProof, pidOffer, preAuth, decodeJson, PID, batchSize,
} from './lib.mjs';

const A = servers.main;
const B = { url: env('GR_ISSUER_TWIN'), apiKey: A.apiKey };
const ISSUER = A.url;
const TOKEN = `${ISSUER}/oid4vci/token`;
const CREDENTIAL = `${ISSUER}/oid4vci/credential`;

// POST the token request for CODE to PROCESS, with DPoP proof DPOP (htu: the issuer).
const token = (process, code, dpop) =>
    http('POST', `${process.url}/oid4vci/token`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: dpop },
        body: form(preAuth(code)),
    });

async function tokenAt(process, offer) {
    const dpopKey = await newKey();
    const r = await token(process, offer.preAuthCode, await dpopProof(dpopKey, 'POST', TOKEN));
    if (r.status !== 200) throw new Error(`token request at ${process.url}: ${said(r)}`);
    return { token: r.json.access_token, dpopKey };
}

// A credential request to PROCESS for N fresh holder keys, the c_nonce from NONCE_AT.
async function issueAt(process, t, n = 1, nonceAt = process) {
    const nr = await http('POST', `${nonceAt.url}/oid4vci/nonce`);
    if (nr.status !== 200) throw new Error(`nonce at ${nonceAt.url}: ${said(nr)}`);
    const jwt = [];
    for (let i = 0; i < n; i++) jwt.push(await keyProof(await newKey(), ISSUER, nr.json.c_nonce));
    return http('POST', `${process.url}/oid4vci/credential`, {
        headers: {
            'Content-Type': 'application/json',
            Authorization: `DPoP ${t.token}`,
            DPoP: await dpopProof(t.dpopKey, 'POST', CREDENTIAL, { accessToken: t.token }),
        },
        body: JSON.stringify({ credential_configuration_id: PID, proofs: { jwt } }),
    });
}

await check('an offer made on A is redeemed on B', async () => {
    await tokenAt(B, await pidOffer(A));
});

await check('a token and c_nonce from A work on B', async () => {
    const r = await issueAt(B, await tokenAt(A, await pidOffer(A)), 1, A);
    expectOk(r);
    assertEqual(r.json.credentials?.length, 1, 'credentials');
});

await check('a DPoP proof used on A is refused as a replay on B', async () => {
    const [a, b] = [await pidOffer(A), await pidOffer(A)];
    const dpop = await dpopProof(await newKey(), 'POST', TOKEN);
    expectOk(await token(A, a.preAuthCode, dpop));
    expectError(await token(B, b.preAuthCode, dpop), 400, 'invalid_dpop_proof');
});

await check('50 concurrent redemptions of one code over both, exactly one wins', async () => {
    const offer = await pidOffer(A);
    const proofs = await Promise.all(Array.from({ length: 50 }, async () => dpopProof(await newKey(), 'POST', TOKEN)));
    const answers = await Promise.all(proofs.map((p, i) => token(i % 2 ? B : A, offer.preAuthCode, p)));
    const won = answers.filter((r) => r.status === 200).length;
    const lost = answers.filter((r) => r.status === 400 && r.json?.error === 'invalid_grant').length;
    assertEqual([won, lost], [1, 49], '[won, refused with invalid_grant]');
});

await check('concurrent issuance on both never repeats a status index', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, async (_, i) => tokenAt(i % 2 ? B : A, await pidOffer(A))));
    const answers = await Promise.all(tokens.map((t, i) => issueAt(i % 2 ? A : B, t, batchSize)));
    const seen = new Set();
    for (const r of answers) {
        expectOk(r);
        assertEqual(r.json.credentials?.length, batchSize, 'credentials');
        for (const { credential } of r.json.credentials) {
            const { status_list: s } = decodeJson(credential.split('~')[0].split('.')[1]).status;
            const where = `${s.uri}#${s.idx}`;
            assert(!seen.has(where), `${where} given twice`);
            seen.add(where);
        }
    }
    return `${seen.size} credentials, each its own index`;
});

finish();

// Every refusal the specifications name, over HTTP against `gramota serve`:
// the HTTP status, the `error` code and, where they matter, WWW-Authenticate and
// DPoP-Nonce; and that a refusal issued nothing (no credential came back, or the
// offer or token still works afterwards). SPECS.md §2.7, §2.9-§2.12, §6; API.md §2-§3.
//
//   node refusals.mjs      (GR_ISSUER, GR_API_KEY, ... from test_e2e.sh)
import { request as httpRequest } from 'node:http';
import {
    PID, PID_VCT, PRE_AUTH, assert, assertEqual, batchSize, cNonce, challenge, check, credentialRequest,
    dpopProof, expectChallenge, expectError, expectOk, finish, form, freshToken, http, keyProof, makeOffer,
    maxTxAttempts, newKey, now, pidOffer, pidSubject, preAuth, random, said, servers, tokenRequest,
} from './lib.mjs';

const main = servers.main;
const TOKEN = `${main.url}/oid4vci/token`;
const CREDENTIAL = `${main.url}/oid4vci/credential`;

// A token request for CODE must now succeed: the refusals before it spent nothing.
async function stillRedeemable(code, txCode) {
    const r = await tokenRequest(main, preAuth(code, txCode));
    if (r.status !== 200) throw new Error(`afterwards the code no longer works: ${said(r)}`);
    return r.json;
}

// POST with header fields fetch cannot send: HEADERS maps a name to a value or
// to an array of values, each its own field line. Answers like http().
function rawPost(url, headers, body) {
    return new Promise((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST' }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (text += c));
            res.on('end', () => {
                let json;
                try {
                    json = JSON.parse(text);
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text, json });
            });
        });
        req.on('error', reject);
        for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
        req.end(body);
    });
}

// A valid 1.0 credential request body with one proof by a fresh key.
async function goodBody(server = main, o = {}) {
    const k = await newKey();
    return { credential_configuration_id: PID, proofs: { jwt: [await keyProof(k, server.url, await cNonce(server), o)] } };
}

function expectNoCredential(r) {
    assert(!r.json?.credentials && !r.json?.credential, 'a credential came back with the refusal');
}

// ---- the nonce endpoint (positive, but the refusals lean on it) ----

await check('nonce endpoint: c_nonce, fresh each time, Cache-Control: no-store', async () => {
    const a = await http('POST', `${main.url}/oid4vci/nonce`);
    const b = await http('POST', `${main.url}/oid4vci/nonce`);
    expectOk(a);
    expectOk(b);
    assert(typeof a.json.c_nonce === 'string' && a.json.c_nonce.length >= 16, `c_nonce ${a.json.c_nonce}`);
    assert(a.json.c_nonce !== b.json.c_nonce, 'the same c_nonce twice');
    assertEqual(a.headers.get('cache-control'), 'no-store', 'Cache-Control');
});

// ---- token endpoint: the pre-authorized code ----

await check('token: a redeemed code is refused the second time (invalid_grant)', async () => {
    const offer = await pidOffer(main);
    const first = await tokenRequest(main, preAuth(offer.preAuthCode));
    expectOk(first);
    assertEqual(first.headers.get('cache-control'), 'no-store', 'Cache-Control of the token response');
    expectError(await tokenRequest(main, preAuth(offer.preAuthCode)), 400, 'invalid_grant');
});

await check('token: 20 concurrent requests for one code, exactly one 200 and 19 invalid_grant', async () => {
    const offer = await pidOffer(main);
    const all = await Promise.all(Array.from({ length: 20 }, () => tokenRequest(main, preAuth(offer.preAuthCode))));
    const ok = all.filter((r) => r.status === 200);
    const grant = all.filter((r) => r.status === 400 && r.json?.error === 'invalid_grant');
    assert(ok.length === 1 && grant.length === 19,
        `${ok.length} × 200, ${grant.length} × invalid_grant, others: ${all.filter((r) => r.status !== 200 && r.json?.error !== 'invalid_grant').map(said).join('; ')}`);
    const tokens = new Set(ok.map((r) => r.json.access_token));
    assertEqual(tokens.size, 1, 'access tokens');
});

await check('token: a wrong tx_code is invalid_grant, and the right one still works', async () => {
    const offer = await pidOffer(main, { txCode: true });
    const wrong = offer.txCode === '000000' ? '111111' : '000000';
    expectError(await tokenRequest(main, preAuth(offer.preAuthCode, wrong)), 400, 'invalid_grant');
    await stillRedeemable(offer.preAuthCode, offer.txCode);
});

await check('token: tx_code missing where the offer has one is invalid_request, nothing spent', async () => {
    const offer = await pidOffer(main, { txCode: true });
    expectError(await tokenRequest(main, preAuth(offer.preAuthCode)), 400, 'invalid_request');
    await stillRedeemable(offer.preAuthCode, offer.txCode);
});

await check('token: tx_code where the offer has none is invalid_request, nothing spent', async () => {
    const offer = await pidOffer(main);
    expectError(await tokenRequest(main, preAuth(offer.preAuthCode, '123456')), 400, 'invalid_request');
    await stillRedeemable(offer.preAuthCode);
});

await check(`token: after ${maxTxAttempts} wrong tx_codes the right one fails too (invalid_grant)`, async () => {
    const offer = await pidOffer(main, { txCode: true });
    for (let i = 0; i < maxTxAttempts; i++) {
        const wrong = String((Number(offer.txCode) + 1 + i) % 10 ** offer.txCode.length).padStart(offer.txCode.length, '0');
        const r = await tokenRequest(main, preAuth(offer.preAuthCode, wrong));
        if (r.status !== 400 || r.json?.error !== 'invalid_grant') throw new Error(`wrong code ${i + 1}: ${said(r)}`);
    }
    expectError(await tokenRequest(main, preAuth(offer.preAuthCode, offer.txCode)), 400, 'invalid_grant');
});

await check(`token: ${maxTxAttempts - 1} wrong tx_codes leave the right one working`, async () => {
    const offer = await pidOffer(main, { txCode: true });
    for (let i = 0; i < maxTxAttempts - 1; i++) {
        const wrong = String((Number(offer.txCode) + 1 + i) % 10 ** offer.txCode.length).padStart(offer.txCode.length, '0');
        expectError(await tokenRequest(main, preAuth(offer.preAuthCode, wrong)), 400, 'invalid_grant');
    }
    await stillRedeemable(offer.preAuthCode, offer.txCode);
});

await check('token: an unknown pre-authorized code is invalid_grant', async () =>
    expectError(await tokenRequest(main, preAuth(random(32))), 400, 'invalid_grant'));

console.log('skip: an expired pre-authorized code (expiresIn is at least 60 s and the suite does not sleep)');

await check('token: grant_type password is unsupported_grant_type', async () =>
    expectError(await tokenRequest(main, { grant_type: 'password', username: 'a', password: 'b' }), 400, 'unsupported_grant_type'));

await check('token: grant_type authorization_code is unsupported_grant_type', async () =>
    expectError(await tokenRequest(main, { grant_type: 'authorization_code', code: random() }), 400, 'unsupported_grant_type'));

await check('token: no grant_type is invalid_request', async () => {
    const offer = await pidOffer(main);
    expectError(await tokenRequest(main, { 'pre-authorized_code': offer.preAuthCode }), 400, 'invalid_request');
    await stillRedeemable(offer.preAuthCode);
});

await check('token: no pre-authorized_code is invalid_request', async () =>
    expectError(await tokenRequest(main, { grant_type: PRE_AUTH }), 400, 'invalid_request'));

await check('token: a broken %-escape is invalid_request, nothing spent', async () => {
    const offer = await pidOffer(main);
    const body = `${form(preAuth(offer.preAuthCode))}&x=%zz`;
    expectError(await tokenRequest(main, body), 400, 'invalid_request');
    await stillRedeemable(offer.preAuthCode);
});

await check('token: a repeated parameter is invalid_request, nothing spent', async () => {
    const offer = await pidOffer(main);
    const body = `${form(preAuth(offer.preAuthCode))}&pre-authorized_code=${offer.preAuthCode}`;
    expectError(await tokenRequest(main, body), 400, 'invalid_request');
    await stillRedeemable(offer.preAuthCode);
});

await check('token: unknown parameters are ignored (VCI §6.1)', async () => {
    const offer = await pidOffer(main);
    expectOk(await tokenRequest(main, preAuth(offer.preAuthCode, undefined, { frobnicate: 'y', resource_hint: 'z' })));
});

// ---- token endpoint: DPoP proofs (400 invalid_dpop_proof) ----

{
    const k = await newKey();
    const other = await newKey();
    const cases = [
        ['typ jwt', { header: { typ: 'jwt' } }],
        ['alg none', { header: { alg: 'none' } }],
        ['htm GET', { payload: { htm: 'GET' } }],
        ['htu of another endpoint', { payload: { htu: CREDENTIAL } }],
        ['htu with another port', { payload: { htu: TOKEN.replace(/:(\d+)\//, (m, p) => `:${Number(p) + 1}/`) } }],
        ['iat an hour ago', { payload: { iat: now() - 3600 } }],
        ['iat an hour ahead', { payload: { iat: now() + 3600 } }],
        ['no jti', { payload: { jti: undefined } }],
        ['signed by another key than its jwk', { signer: other }],
        ['a private key in its jwk', { header: { jwk: k.privateJwk } }],
    ];
    const offer = await pidOffer(main);
    for (const [what, o] of cases) {
        await check(`token DPoP: ${what} is invalid_dpop_proof`, async () => {
            const dpop = await dpopProof(k, 'POST', TOKEN, o);
            expectError(await tokenRequest(main, preAuth(offer.preAuthCode), { dpop }), 400, 'invalid_dpop_proof');
        });
    }
    await check('token DPoP: a proof that is not a JWT is invalid_dpop_proof', async () =>
        expectError(await tokenRequest(main, preAuth(offer.preAuthCode), { dpop: 'not.a-jwt' }), 400, 'invalid_dpop_proof'));
    await check('token DPoP: two DPoP header fields are invalid_dpop_proof', async () => {
        const r = await rawPost(TOKEN, {
            'Content-Type': 'application/x-www-form-urlencoded',
            DPoP: [await dpopProof(k, 'POST', TOKEN), await dpopProof(k, 'POST', TOKEN)],
        }, form(preAuth(offer.preAuthCode)));
        expectError(r, 400, 'invalid_dpop_proof');
    });
    await check('token DPoP: none of the refused proofs spent the code', async () => {
        const r = await tokenRequest(main, preAuth(offer.preAuthCode), { dpopKey: k });
        expectOk(r);
        assertEqual(r.json.token_type, 'DPoP', 'token_type');
    });
    await check('token DPoP: a replayed proof (same jti) is invalid_dpop_proof', async () => {
        const a = await pidOffer(main);
        const b = await pidOffer(main);
        const dpop = await dpopProof(k, 'POST', TOKEN);
        expectOk(await tokenRequest(main, preAuth(a.preAuthCode), { dpop }));
        expectError(await tokenRequest(main, preAuth(b.preAuthCode), { dpop }), 400, 'invalid_dpop_proof');
        await stillRedeemable(b.preAuthCode);
    });
}

// ---- credential endpoint: the access token and its DPoP proof (401) ----

await check('credential: no access token is 401 offering Bearer and DPoP, with no error code', async () => {
    const r = await credentialRequest(main, await goodBody());
    assertEqual(r.status, 401, `status (${said(r)})`);
    // Two WWW-Authenticate fields arrive joined by ", " (RFC 9110 §5.3).
    const value = r.headers.get('www-authenticate') ?? '';
    assert(/^Bearer(,|$)/.test(value) && /DPoP algs="ES256"/.test(value), `WWW-Authenticate: ${value}`);
    assert(!/error=/.test(value), `an error code without credentials (RFC 6750 §3.1): ${value}`);
    expectNoCredential(r);
});

await check('credential: an unknown Bearer token is 401 invalid_token', async () => {
    const r = await credentialRequest(main, await goodBody(), { token: random(32) });
    expectChallenge(r, 'Bearer', 'invalid_token');
    expectNoCredential(r);
});

await check('credential: an unknown DPoP token with a good proof is 401 DPoP invalid_token', async () => {
    const r = await credentialRequest(main, await goodBody(), { token: random(32), dpopKey: await newKey() });
    expectChallenge(r, 'DPoP', 'invalid_token');
    expectNoCredential(r);
});

{
    const t = await freshToken(main);
    const other = await newKey();
    const proof = (o) => dpopProof(t.dpopKey, 'POST', CREDENTIAL, { accessToken: t.token, ...o });
    const cases = [
        ['wrong htm', () => proof({ payload: { htm: 'PUT' } }), ['invalid_dpop_proof']],
        ['wrong htu', () => proof({ payload: { htu: TOKEN } }), ['invalid_dpop_proof']],
        ['no ath', () => dpopProof(t.dpopKey, 'POST', CREDENTIAL), ['invalid_dpop_proof']],
        ['wrong ath', () => proof({ payload: { ath: 'x'.repeat(43) } }), ['invalid_dpop_proof']],
        ['iat an hour ago', () => proof({ payload: { iat: now() - 3600 } }), ['invalid_dpop_proof']],
        ['typ jwt', () => proof({ header: { typ: 'jwt' } }), ['invalid_dpop_proof']],
        ['a proof by another key', () => dpopProof(other, 'POST', CREDENTIAL, { accessToken: t.token }),
            ['invalid_dpop_proof', 'invalid_token']],
        ['no DPoP proof at all', () => null, ['invalid_dpop_proof', 'invalid_token']],
    ];
    for (const [what, make, errors] of cases) {
        await check(`credential DPoP: ${what} is 401 WWW-Authenticate: DPoP error=${errors.join('|')}`, async () => {
            const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'DPoP', dpop: await make() });
            const c = expectChallenge(r, 'DPoP');
            assert(errors.includes(c.error), `error="${c.error}" (${r.headers.get('www-authenticate')})`);
            expectNoCredential(r);
        });
    }
    await check('credential DPoP: two DPoP header fields are 401 DPoP invalid_dpop_proof', async () => {
        const r = await rawPost(CREDENTIAL, {
            'Content-Type': 'application/json', Authorization: `DPoP ${t.token}`,
            DPoP: [await proof(), await proof()],
        }, JSON.stringify(await goodBody()));
        expectChallenge(r, 'DPoP', 'invalid_dpop_proof');
        expectNoCredential(r);
    });
    await check('credential DPoP: the challenge names the algorithms (algs="ES256")', async () => {
        const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'DPoP', dpop: await proof({ payload: { htm: 'PUT' } }) });
        const c = expectChallenge(r, 'DPoP');
        assert((c.algs ?? '').split(' ').includes('ES256'), `algs="${c.algs}"`);
    });
    await check('credential DPoP: the DPoP-bound token used as Bearer is 401 invalid_token', async () => {
        const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'Bearer', dpop: null });
        assertEqual(r.status, 401, `status (${said(r)})`);
        const c = challenge(r.headers.get('www-authenticate'));
        assertEqual(c.error, 'invalid_token', `error (${r.headers.get('www-authenticate')})`);
        expectNoCredential(r);
    });
    await check('credential DPoP: ... and as Bearer with its DPoP proof beside it, still 401', async () => {
        const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'Bearer', dpop: await proof() });
        assert(r.status === 401 || r.status === 400, `got ${said(r)}, want 401 (or 400 invalid_request)`);
        expectNoCredential(r);
    });
    let replayed;
    await check('credential DPoP: after all that the token and key still work', async () => {
        replayed = await proof();
        const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'DPoP', dpop: replayed });
        expectOk(r);
        assertEqual(r.json.credentials?.length, 1, 'credentials');
    });
    await check('credential DPoP: a replayed proof (same jti) is 401 DPoP invalid_dpop_proof', async () => {
        assert(replayed, 'no proof to replay');
        const r = await credentialRequest(main, await goodBody(), { token: t.token, scheme: 'DPoP', dpop: replayed });
        expectChallenge(r, 'DPoP', 'invalid_dpop_proof');
        expectNoCredential(r);
    });
}

// ---- DPoP server nonces (the server started with --dpop-nonce) ----

{
    const srv = servers.nonce;
    const k = await newKey();
    let token, rsNonce;
    await check('DPoP nonce: the token endpoint asks with 400 use_dpop_nonce and one DPoP-Nonce', async () => {
        const offer = await pidOffer(srv);
        const r = await tokenRequest(srv, preAuth(offer.preAuthCode), { dpopKey: k });
        expectError(r, 400, 'use_dpop_nonce');
        const n = r.headers.get('dpop-nonce');
        assert(n && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(n) && !n.includes(','), `DPoP-Nonce ${n}`);
        const bad = await tokenRequest(srv, preAuth(offer.preAuthCode), { dpopKey: k, dpopNonce: 'made-up' });
        expectError(bad, 400, 'use_dpop_nonce');
        assert(bad.headers.get('dpop-nonce'), 'no DPoP-Nonce with the refusal of a made-up nonce');
        const good = await tokenRequest(srv, preAuth(offer.preAuthCode), { dpopKey: k, dpopNonce: n });
        expectOk(good);
        assertEqual(good.json.token_type, 'DPoP', 'token_type');
        token = good.json.access_token;
    });
    await check('DPoP nonce: the credential endpoint asks with 401 DPoP error="use_dpop_nonce" and DPoP-Nonce', async () => {
        assert(token, 'no token');
        const r = await credentialRequest(srv, await goodBody(srv), { token, dpopKey: k });
        expectChallenge(r, 'DPoP', 'use_dpop_nonce');
        rsNonce = r.headers.get('dpop-nonce');
        assert(rsNonce, 'no DPoP-Nonce header');
        expectNoCredential(r);
    });
    await check('DPoP nonce: a made-up nonce at the credential endpoint is asked again (use_dpop_nonce)', async () => {
        const r = await credentialRequest(srv, await goodBody(srv), { token, dpopKey: k, dpopNonce: 'made-up' });
        expectChallenge(r, 'DPoP', 'use_dpop_nonce');
        assert(r.headers.get('dpop-nonce'), 'no DPoP-Nonce header');
    });
    await check('DPoP nonce: with the nonce the credential comes', async () => {
        assert(rsNonce, 'no nonce');
        const r = await credentialRequest(srv, await goodBody(srv), { token, dpopKey: k, dpopNonce: rsNonce });
        expectOk(r);
        assertEqual(r.json.credentials?.length, 1, 'credentials');
    });
    await check('DPoP nonce: the plain server does not ask for one', async () => {
        const offer = await pidOffer(main);
        expectOk(await tokenRequest(main, preAuth(offer.preAuthCode), { dpopKey: k }));
    });
}

// ---- credential endpoint: the request and its proofs (400) ----

{
    const t = await freshToken(main);
    const auth = { token: t.token, dpopKey: t.dpopKey };
    const send = (body) => credentialRequest(main, body, auth);
    const one = async (o, nonce) => {
        const k = await newKey();
        return { credential_configuration_id: PID, proofs: { jwt: [await keyProof(k, main.url, nonce ?? await cNonce(main), o)] } };
    };
    const other = await newKey();
    const proofCases = [
        ['aud another issuer', { payload: { aud: 'https://issuer.example.org' } }, 'invalid_proof'],
        ['aud an array', { payload: { aud: [main.url, 'https://x.example'] } }, 'invalid_proof'],
        ['typ jwt', { header: { typ: 'jwt' } }, 'invalid_proof'],
        ['typ dpop+jwt', { header: { typ: 'dpop+jwt' } }, 'invalid_proof'],
        ['alg none', { header: { alg: 'none' } }, 'invalid_proof'],
        ['alg HS256', { header: { alg: 'HS256' } }, 'invalid_proof'],
        ['iat an hour ago', { payload: { iat: now() - 3600 } }, 'invalid_proof'],
        ['iat an hour ahead', { payload: { iat: now() + 3600 } }, 'invalid_proof'],
        ['no iat', { payload: { iat: undefined } }, 'invalid_proof'],
        ['no nonce', { payload: { nonce: undefined } }, 'invalid_proof'],
        ['signed by another key than its jwk', { signer: other }, 'invalid_proof'],
        ['a private key in its jwk', { header: { jwk: null } }, 'invalid_proof'],
        ['both kid and jwk', { header: { kid: 'did:example:123#key-1' } }, 'invalid_proof'],
        ['no key at all', { header: { jwk: undefined } }, 'invalid_proof'],
    ];
    for (const [what, o0, error] of proofCases) {
        await check(`credential proof: ${what} is ${error}`, async () => {
            let o = o0;
            if (o.header?.jwk === null) {
                const k = await newKey();
                o = { header: { jwk: k.privateJwk }, signer: k };
            }
            if (o.header?.alg === 'HS256') {
                // HMAC keyed with the public key's bytes: the old confusion attack.
                const k = await newKey();
                const enc = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
                const input = `${enc({ typ: 'openid4vci-proof+jwt', alg: 'HS256', jwk: k.publicJwk })}.${enc({ aud: main.url, iat: now(), nonce: await cNonce(main) })}`;
                const { createHmac } = await import('node:crypto');
                const sig = createHmac('sha256', JSON.stringify(k.publicJwk)).update(input).digest('base64url');
                const r = await send({ credential_configuration_id: PID, proofs: { jwt: [`${input}.${sig}`] } });
                expectError(r, 400, error);
                return expectNoCredential(r);
            }
            const r = await send(await one(o));
            expectError(r, 400, error);
            expectNoCredential(r);
        });
    }
    await check('credential proof: typ application/openid4vci-proof+jwt is the same media type, accepted', async () =>
        expectOk(await send(await one({ header: { typ: 'application/openid4vci-proof+jwt' } }))));
    await check('credential proof: a c_nonce never issued is invalid_nonce', async () => {
        const r = await send(await one({}, random(24)));
        expectError(r, 400, 'invalid_nonce');
        expectNoCredential(r);
    });
    await check('credential proof: a c_nonce spent by an earlier request is invalid_nonce', async () => {
        const nonce = await cNonce(main);
        expectOk(await send(await one({}, nonce)));
        const r = await send(await one({}, nonce));
        expectError(r, 400, 'invalid_nonce');
        expectNoCredential(r);
    });
    await check('credential proof: a c_nonce of the other server is invalid_nonce', async () => {
        const r = await send(await one({}, await cNonce(servers.nonce)));
        expectError(r, 400, 'invalid_nonce');
        expectNoCredential(r);
    });
    await check('credential proof: one bad proof in a batch refuses the whole batch (invalid_proof)', async () => {
        const nonce = await cNonce(main);
        const jwts = [];
        for (let i = 0; i < 3; i++) jwts.push(await keyProof(await newKey(), main.url, nonce, i === 1 ? { payload: { aud: 'https://x.example' } } : {}));
        const r = await send({ credential_configuration_id: PID, proofs: { jwt: jwts } });
        expectError(r, 400, 'invalid_proof');
        expectNoCredential(r);
    });
    await check('credential: no proofs at all is invalid_proof', async () => {
        const r = await send({ credential_configuration_id: PID });
        expectError(r, 400, 'invalid_proof');
        expectNoCredential(r);
    });
    await check('credential: both proof and proofs is invalid_proof (Draft 15 rule)', async () => {
        const body = await one({});
        body.proof = { proof_type: 'jwt', jwt: await keyProof(await newKey(), main.url, await cNonce(main)) };
        const r = await send(body);
        expectError(r, 400, 'invalid_proof');
        expectNoCredential(r);
    });
    await check(`credential: ${batchSize + 1} proofs (batch_size ${batchSize}) is invalid_credential_request`, async () => {
        const nonce = await cNonce(main);
        const jwts = [];
        for (let i = 0; i <= batchSize; i++) jwts.push(await keyProof(await newKey(), main.url, nonce));
        const r = await send({ credential_configuration_id: PID, proofs: { jwt: jwts } });
        expectError(r, 400, 'invalid_credential_request');
        expectNoCredential(r);
    });
    await check(`credential: batch_size in the metadata is ${batchSize}`, async () => {
        const r = await http('GET', `${main.url}/.well-known/openid-credential-issuer`);
        assertEqual(r.json?.batch_credential_issuance?.batch_size, batchSize, 'batch_size');
    });
    await check('credential: an unknown credential_configuration_id is unknown_credential_configuration', async () => {
        const body = await one({});
        body.credential_configuration_id = 'no.such.configuration';
        const r = await send(body);
        expectError(r, 400, 'unknown_credential_configuration');
        expectNoCredential(r);
    });
    await check('credential: a credential_identifier is unknown_credential_identifier', async () => {
        const body = await one({});
        delete body.credential_configuration_id;
        body.credential_identifier = 'pid-1';
        const r = await send(body);
        expectError(r, 400, 'unknown_credential_identifier');
        expectNoCredential(r);
    });
    await check('credential: both credential_identifier and credential_configuration_id is invalid_credential_request', async () => {
        const body = await one({});
        body.credential_identifier = 'pid-1';
        const r = await send(body);
        expectError(r, 400, 'invalid_credential_request');
        expectNoCredential(r);
    });
    await check('credential: neither identifier nor format is invalid_credential_request', async () => {
        const body = await one({});
        delete body.credential_configuration_id;
        const r = await send(body);
        expectError(r, 400, 'invalid_credential_request');
        expectNoCredential(r);
    });
    await check('credential: malformed JSON is invalid_credential_request', async () => {
        const r = await send('{"credential_configuration_id": ');
        expectError(r, 400, 'invalid_credential_request');
    });
    await check('credential: a JSON array is invalid_credential_request', async () =>
        expectError(await send('[]'), 400, 'invalid_credential_request'));
    await check('credential: a body over 64 KiB is 413 request_too_large', async () => {
        const body = await one({});
        body.padding = 'x'.repeat(70 * 1024);
        expectError(await send(body), 413, 'request_too_large');
    });
    await check('credential: a configuration the offer did not name is refused (400/403), nothing issued', async () => {
        const meta = await http('GET', `${main.url}/.well-known/openid-credential-issuer`);
        const id = Object.keys(meta.json.credential_configurations_supported).find((i) => i !== PID);
        assert(id, 'the metadata has a single configuration');
        const body = await one({});
        body.credential_configuration_id = id;
        const r = await send(body);
        assert(r.status === 400 || r.status === 403, `got ${said(r)}, want 400 or 403`);
        expectNoCredential(r);
    });
    await check('credential: unknown parameters are ignored (VCI §8.2)', async () => {
        const body = await one({});
        body.frobnicate = { a: 1 };
        expectOk(await send(body));
    });
    await check('credential: after all the refusals the token still works', async () => {
        const r = await send(await one({}));
        expectOk(r);
        assertEqual(r.json.credentials?.length, 1, 'credentials');
    });
}

// ---- admin API ----

const admin = (method, path, { key = main.apiKey, body, type = 'application/json' } = {}) =>
    http(method, `${main.url}${path}`, {
        headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'Content-Type': type } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
const offerBody = (extra = {}) => ({ subject: pidSubject(), vct: PID_VCT, ...extra });

await check('admin: no API key is 401 unauthorized', async () =>
    expectError(await admin('POST', '/v1/credential-offers', { key: null, body: offerBody() }), 401, 'unauthorized'));
await check('admin: a wrong API key is 401 unauthorized', async () =>
    expectError(await admin('POST', '/v1/credential-offers', { key: `${main.apiKey}x`, body: offerBody() }), 401, 'unauthorized'));
await check('admin: a Basic Authorization header is 401 unauthorized', async () => {
    const r = await http('POST', `${main.url}/v1/credential-offers`, {
        headers: { Authorization: `Basic ${Buffer.from(`x:${main.apiKey}`).toString('base64')}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(offerBody()),
    });
    expectError(r, 401, 'unauthorized');
});

{
    const offer = await makeOffer(main, offerBody());
    await check('admin: the owner reads its offer and its QR code', async () => {
        const r = await admin('GET', `/v1/credential-offers/${offer.offerId}`);
        expectOk(r);
        assertEqual(r.json.offerId, offer.offerId, 'offerId');
        assertEqual(r.json.state, 'pending', 'state');
        const q = await admin('GET', `/v1/credential-offers/${offer.offerId}/qr.svg`);
        expectOk(q);
        assert(/^image\/svg\+xml/.test(q.headers.get('content-type')), `Content-Type ${q.headers.get('content-type')}`);
        assert(q.text.includes('<svg'), 'not an SVG');
    });
    await check('admin: reading an offer without the key is 401 unauthorized', async () =>
        expectError(await admin('GET', `/v1/credential-offers/${offer.offerId}`, { key: null }), 401, 'unauthorized'));
    await check("admin: another organization's offer is 404, as if it did not exist", async () => {
        const a = await admin('GET', `/v1/credential-offers/${offer.offerId}`, { key: servers.other.apiKey });
        assertEqual(a.status, 404, `GET offer (${said(a)})`);
        const b = await admin('GET', `/v1/credential-offers/${offer.offerId}/qr.svg`, { key: servers.other.apiKey });
        assertEqual(b.status, 404, `GET qr.svg (${said(b)})`);
        const c = await admin('GET', `/v1/credential-offers/${random()}`, { key: servers.other.apiKey });
        assertEqual(c.status, 404, `an unknown id (${said(c)})`);
        assertEqual(a.json?.error, c.json?.error, 'the error of a foreign id vs an unknown one');
    });
    await check('admin: the other organization makes offers of its own', async () => {
        const r = await admin('POST', '/v1/credential-offers', { key: servers.other.apiKey, body: offerBody() });
        expectOk(r, 201);
        const back = await admin('GET', `/v1/credential-offers/${r.json.offerId}`);
        assertEqual(back.status, 404, "the default organization reading acme's offer");
    });
}

{
    const bad = [
        ['no subject', { vct: PID_VCT }],
        ['subject an array', offerBody({ subject: [pidSubject()] })],
        ['subject a string', offerBody({ subject: 'Erika' })],
        ['subject null', offerBody({ subject: null })],
        ['an unknown vct', offerBody({ vct: 'urn:example:nothing' })],
        ['an unknown credentialConfigurationId', { subject: pidSubject(), credentialConfigurationId: 'no.such' }],
        ['neither vct nor credentialConfigurationId', { subject: pidSubject() }],
        ...['iss', '_sd', '...', 'cnf', 'status', 'vct', '_sd_alg'].map((c) =>
            [`the reserved claim name ${c} in the subject`, offerBody({ subject: pidSubject({ [c]: 'x' }) })]),
        ['a missing mandatory claim (family_name)', offerBody({ subject: (({ family_name: _, ...s }) => s)(pidSubject()) })],
        ['a missing mandatory claim (issuing_country)', offerBody({ subject: (({ issuing_country: _, ...s }) => s)(pidSubject()) })],
        ['txCode length 0', offerBody({ txCode: { length: 0 } })],
        ['txCode inputMode emoji', offerBody({ txCode: { length: 6, inputMode: 'emoji' } })],
        ['txCode description over 300 characters', offerBody({ txCode: { length: 6, description: 'x'.repeat(301) } })],
        ['expiresIn -5', offerBody({ expiresIn: -5 })],
        ['expiresIn a string', offerBody({ expiresIn: '600' })],
        ['byReference a string', offerBody({ byReference: 'yes' })],
        ['selectivelyDisclosable not an array', offerBody({ selectivelyDisclosable: 'family_name' })],
    ];
    for (const [what, body] of bad) {
        await check(`admin offer: ${what} is 400 invalid_request`, async () =>
            expectError(await admin('POST', '/v1/credential-offers', { body }), 400, 'invalid_request'));
    }
    await check('admin offer: malformed JSON is 400 invalid_request', async () =>
        expectError(await admin('POST', '/v1/credential-offers', { body: '{"subject": {' }), 400, 'invalid_request'));
    await check('admin offer: a form body is 415', async () => {
        const r = await admin('POST', '/v1/credential-offers', { body: 'subject=x', type: 'application/x-www-form-urlencoded' });
        assertEqual(r.status, 415, `status (${said(r)})`);
        assert(r.json?.error, 'no JSON error body');
    });
    await check('admin offer: text/plain is 415', async () => {
        const r = await admin('POST', '/v1/credential-offers', { body: JSON.stringify(offerBody()), type: 'text/plain' });
        assertEqual(r.status, 415, `status (${said(r)})`);
    });
    await check('admin offer: application/json; charset=utf-8 is JSON', async () =>
        expectOk(await admin('POST', '/v1/credential-offers', { body: offerBody(), type: 'application/json; charset=utf-8' }), 201));
    await check('admin offer: a body over 64 KiB is 413 request_too_large', async () =>
        expectError(await admin('POST', '/v1/credential-offers', { body: offerBody({ subject: pidSubject({ note: 'x'.repeat(70 * 1024) }) }) }),
            413, 'request_too_large'));
    await check('admin offer: an unknown offer id is 404', async () =>
        assertEqual((await admin('GET', `/v1/credential-offers/${random()}`)).status, 404, 'status'));
    await check('offer by reference: an unknown id is 404', async () =>
        assertEqual((await http('GET', `${main.url}/oid4vci/credential-offer/${random(32)}`)).status, 404, 'status'));
}

// ---- the notification endpoint and the lifecycle API (OID4VCI §11, API.md §2) ----
{
    const NOTIFY = `${main.url}/oid4vci/notification`;
    const t = await freshToken(main);
    const notify = async (body, { token = t.token, key = t.dpopKey } = {}) => http('POST', NOTIFY, {
        headers: {
            'Content-Type': 'application/json', Authorization: `DPoP ${token}`,
            DPoP: await dpopProof(key, 'POST', NOTIFY, { accessToken: token }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await check('notification: an unknown notification_id is 400 invalid_notification_id', async () =>
        expectError(await notify({ notification_id: random(), event: 'credential_accepted' }), 400, 'invalid_notification_id'));
    await check('notification: an unknown event is 400 invalid_notification_request', async () =>
        expectError(await notify({ notification_id: random(), event: 'credential_lost' }), 400, 'invalid_notification_request'));
    await check('notification: a malformed body is 400 invalid_notification_request', async () =>
        expectError(await notify('{"notification_id":'), 400, 'invalid_notification_request'));
    await check('notification: a description outside the allowed characters is refused', async () =>
        expectError(await notify({ notification_id: random(), event: 'credential_failure', event_description: 'bad "quote"' }),
            400, 'invalid_notification_request'));
    await check('notification: no access token is 401', async () => {
        const r = await http('POST', NOTIFY, { headers: { 'Content-Type': 'application/json' }, body: '{}' });
        assertEqual(r.status, 401, `status (${said(r)})`);
    });
    await check('lifecycle: an unknown credential is 404', async () =>
        assertEqual((await admin('GET', `/v1/credentials/${random()}`)).status, 404, 'status'));
    await check('lifecycle: revoking an unknown credential is 404', async () =>
        assertEqual((await admin('POST', `/v1/credentials/${random()}/revoke`)).status, 404, 'status'));
    await check('lifecycle: an unknown action is 404', async () =>
        assertEqual((await admin('POST', `/v1/credentials/${random()}/destroy`)).status, 404, 'status'));
    await check('lifecycle: a bad status filter is 400 invalid_request', async () =>
        expectError(await admin('GET', '/v1/credentials?status=gone'), 400, 'invalid_request'));
    await check('lifecycle: a forged cursor is 400 invalid_request', async () =>
        expectError(await admin('GET', '/v1/credentials?cursor=bm9wZQ'), 400, 'invalid_request'));
    await check('lifecycle: a limit out of range is 400 invalid_request', async () =>
        expectError(await admin('GET', '/v1/credentials?limit=0'), 400, 'invalid_request'));
    await check('lifecycle: no API key is 401 unauthorized', async () =>
        expectError(await admin('GET', '/v1/credentials', { key: 'nope' }), 401, 'unauthorized'));
    await check('status list: an unknown list is 404', async () =>
        assertEqual((await http('GET', `${main.url}/status-lists/${random()}`)).status, 404, 'status'));
}

finish();

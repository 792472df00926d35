// The EU reference wallet, as WALLET.md §2-§4 reads it from its source, against
// `gramota serve` in the EU profile. Three wallet shapes, each making the EU
// wallet's exact requests, driven by @openid4vc/openid4vci and @openid4vc/oauth2
// where they make the same ones, by hand (jose + fetch) where they do not:
//
//   (a) Android on client library 0.10: wallet attestation, DPoP, N `jwk` proofs
//       (the default types, whose PID asks for no key attestation); refused by
//       the eudi server, whose PID does;
//   (b) the current client library: one `jwt` proof with `kid: "0"` and a
//       `key_attestation` of 10 keys, signed by the first: 10 credentials;
//   (c) iOS: signed issuer metadata, `proofs.attestation`, DPoP with server
//       nonces at both endpoints.
//
// Every credential is checked the way WALLET.md §4 says the wallets check it
// (typ, x5c chaining to the issuer CA, kid in jwt-vc-issuer, iss, cnf.jwk, exp),
// then by @sd-jwt/sd-jwt-vc with the x5c leaf key. Then the refusals: bad key
// attestations, bad wallet attestations, each with its status and error code
// and nothing issued or spent.
//
// The wallet providers are made by test_e2e.sh with `gramota keygen --chain`:
// GR_WALLET_PROVIDER_* (its CA is the eudi and abca servers' --wallet-trust-anchors)
// and GR_ROGUE_PROVIDER_* (trusted by nobody). GR_ISSUER_CHAIN is the servers'
// --cert-chain, leaf first, its CA last.
//
//   node eudi.mjs          (GR_EUDI_ISSUER, GR_ABCA_ISSUER, ... from test_e2e.sh)
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as jose from 'jose';
import { Openid4vciClient, createKeyAttestationJwt, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationClientAttestationJwt, createClientAttestationJwt } from '@openid4vc/oauth2';
import {
    PID, PID_VCT, assert, assertEqual, challenge, check, credentialRequest, decodeJson, env, expectError,
    expectOk, finish, http, issuerKey, keyProof, makeOffer, newKey, now, pidSubject, preAuth, publicJwk, random,
    said, sdJwtInstance, servers, signJws, subjectClaims, tokenRequest,
} from './lib.mjs';

// The servers under test speak plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true });

const eudi = { url: env('GR_EUDI_ISSUER'), apiKey: env('GR_EUDI_API_KEY') };
const abca = { url: env('GR_ABCA_ISSUER'), apiKey: env('GR_ABCA_API_KEY') };

const HIGH = ['iso_18045_high'];
const strip = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// ---- certificates: the wallet providers, the issuer's chain ----

function pemCerts(path) {
    const pems = readFileSync(path, 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    return pems.map((p) => new X509Certificate(p));
}
const der64 = (cert) => cert.raw.toString('base64');

// A wallet provider: its signing key and its x5c, the leaf alone (the CA is the anchor).
async function walletProvider(keyPath, chainPath) {
    const certs = pemCerts(chainPath);
    return {
        privateKey: await jose.importPKCS8(readFileSync(keyPath, 'utf8'), 'ES256'),
        x5c: [der64(certs[0])],
    };
}
const provider = await walletProvider(env('GR_WALLET_PROVIDER_KEY'), env('GR_WALLET_PROVIDER_CHAIN'));
const rogue = await walletProvider(env('GR_ROGUE_PROVIDER_KEY'), env('GR_ROGUE_PROVIDER_CHAIN'));

const issuerChain = pemCerts(env('GR_ISSUER_CHAIN'));
const issuerLeaf = issuerChain[0];
const issuerCa = issuerChain.at(-1);

// The x5c of something the issuer signed: the leaf of its --cert-chain alone (the
// self-signed CA left out), standard base64 DER, each certificate signed by the
// next and the last by the issuer CA, all valid now. Returns the leaf's public JWK.
function x5cLeafKey(x5c) {
    assert(Array.isArray(x5c) && x5c.length > 0, `x5c ${JSON.stringify(x5c)?.slice(0, 80)}`);
    for (const c of x5c) assert(typeof c === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(c), 'x5c entry is not base64');
    const chain = x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
    const t = Date.now();
    for (let i = 0; i < chain.length; i++) {
        const up = chain[i + 1] ?? issuerCa;
        assert(chain[i].checkIssued(up) && chain[i].verify(up.publicKey),
            `x5c[${i}] (${chain[i].subject}) is not signed by ${up.subject}`);
        assert(Date.parse(chain[i].validFrom) <= t && t <= Date.parse(chain[i].validTo), `x5c[${i}] is not valid now`);
        assert(chain[i].fingerprint256 !== issuerCa.fingerprint256, 'x5c carries the self-signed CA');
    }
    assertEqual(x5c, [der64(issuerLeaf)], 'x5c (the leaf of --cert-chain)');
    return publicJwk(chain[0].publicKey.export({ format: 'jwk' }));
}

// ---- what the wallets sign with ----

// Holder and wallet-instance keys by the x of their public JWK; providers by their leaf.
const held = new Map();
async function holderKey() {
    const k = await newKey();
    held.set(k.publicJwk.x, k);
    return k;
}
const holderKeys = (n) => Promise.all(Array.from({ length: n }, holderKey));
const providers = new Map([[provider.x5c[0], provider], [rogue.x5c[0], rogue]]);
const signer = (k) => ({ method: 'jwk', alg: 'ES256', publicJwk: k.publicJwk });

// The libraries' one signing callback. `custom` is the EU wallet's key-attested
// proof: the library's header has alg, typ and key_attestation; the wallet adds
// kid "0" (JwtProofSigners.kt) and signs with the attested key it names.
async function signJwt(s, { header, payload }) {
    let key, signerJwk;
    if (s.method === 'jwk') {
        key = held.get(s.publicJwk.x);
        signerJwk = s.publicJwk;
    } else if (s.method === 'x5c') {
        key = providers.get(s.x5c[0]);
    } else if (s.method === 'custom' && s.attestedKey) {
        key = s.attestedKey;
        signerJwk = key.publicJwk;
        header = { ...header, kid: '0' };
    }
    assert(key, `asked to sign with a ${s.method} signer the wallet does not hold`);
    const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
    return { jwt, signerJwk };
}
const hash = (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest();

// A fetch that keeps every exchange, to check what the library sent and got.
function recorder() {
    const log = [];
    return {
        log,
        fetch: async (url, init = {}) => {
            const res = await fetch(url, init);
            log.push({
                url: String(url), method: init.method ?? 'GET', headers: new Headers(init.headers),
                body: typeof init.body === 'string' ? init.body : init.body?.toString(),
                status: res.status, resHeaders: res.headers,
            });
            return res;
        },
        to: (path) => log.filter((e) => new URL(e.url).pathname.endsWith(path)),
    };
}

function walletClient(rec, clientAuthentication) {
    return new Openid4vciClient({
        callbacks: { fetch: rec.fetch, hash, generateRandom: (n) => randomBytes(n), clientAuthentication, signJwt },
    });
}

// ---- wallet attestation (OID4VCI App. E, ABCA -07) ----

// The wallet provider's attestation of a wallet instance key, made by the library.
function walletAttestation(by, clientId, instance, payload = {}) {
    return createClientAttestationJwt({
        signer: { method: 'x5c', alg: 'ES256', x5c: by.x5c },
        issuer: 'https://wallet-provider.example.org',
        clientId,
        confirmation: { jwk: instance.publicJwk },
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 3600e3),
        additionalPayload: { wallet_name: 'EUDI Wallet', wallet_version: '2026.06', ...payload },
        callbacks: { signJwt },
    });
}

// The EU wallet's PoP (ClientAttestation.kt): iss, aud, jti, iat, nbf and no exp;
// the library's has exp and no nbf, so this one is by hand.
function euPop(instance, clientId, aud, o = {}) {
    const t = now();
    return signJws({ alg: 'ES256', typ: 'oauth-client-attestation-pop+jwt', ...o.header },
        strip({ iss: clientId, aud, jti: random(), iat: t, nbf: t, ...o.payload }), o.signer ?? instance);
}

// The EU wallet's client authentication at the token endpoint (TokenEndpointClient.kt):
// the two headers, a fresh PoP each attempt, and a form of client_id, grant_type,
// pre-authorized_code (and tx_code): the library's `resource` is not sent.
function euClientAuth(attestation, instance, clientId) {
    return async ({ headers, body, authorizationServerMetadata }) => {
        delete body.resource;
        delete body.user_pin;
        body.client_id = clientId;
        headers.set('OAuth-Client-Attestation', attestation);
        headers.set('OAuth-Client-Attestation-PoP', await euPop(instance, clientId, authorizationServerMetadata.issuer));
    };
}

// ---- key attestations (OID4VCI App. D) ----

// What the EU wallet provider's key-attestation service signs (KeyAttestationJWT.kt).
function keyAttestation(by, keys, { nonce, header = {}, payload = {} } = {}) {
    const t = now();
    return signJws(strip({ alg: 'ES256', typ: 'key-attestation+jwt', x5c: by.x5c, ...header }), strip({
        iat: t, exp: t + 86400, attested_keys: keys.map((k) => k.publicJwk),
        key_storage: HIGH, user_authentication: HIGH,
        certification: 'https://wallet-provider.example.org/certification',
        key_storage_status: { status: 'valid', exp: t + 30 * 86400 },
        nonce, ...payload,
    }), by);
}

// The EU wallet's key-attested jwt proof, by hand: {alg, typ, kid "0", key_attestation}, no jwk.
function attestedProof(server, keyAttestationJwt, key, nonce, clientId, o = {}) {
    return keyProof(key, server.url, nonce, {
        header: { jwk: undefined, kid: '0', key_attestation: keyAttestationJwt, ...o.header },
        payload: { iss: clientId, ...o.payload },
        signer: o.signer,
    });
}

// ---- the eudi server by hand: DPoP server nonces, attested tokens ----

// The latest DPoP-Nonce each server gave; a use_dpop_nonce answer is retried once.
const dpopNonces = new Map();
function remember(server, r) {
    const n = r.headers.get('dpop-nonce');
    if (n) dpopNonces.set(server.url, n);
    return r;
}
const asksNonce = (r) => (r.status === 400 && r.json?.error === 'use_dpop_nonce') ||
    (r.status === 401 && /error="use_dpop_nonce"/.test(r.headers.get('www-authenticate') ?? ''));
async function withDpopNonce(server, send) {
    let r = remember(server, await send(dpopNonces.get(server.url)));
    if (asksNonce(r)) r = remember(server, await send(dpopNonces.get(server.url)));
    return r;
}

// A fresh c_nonce (and the DPoP-Nonce beside it).
async function cNonce(server) {
    const r = remember(server, await http('POST', `${server.url}/oid4vci/nonce`));
    if (r.status !== 200 || typeof r.json?.c_nonce !== 'string') throw new Error(`nonce request: ${said(r)}`);
    return r.json.c_nonce;
}

const CLIENT_ID = 'eudi-wallet-instance-1';

// A token request as the EU wallet makes it; `o` replaces the attestation, the PoP
// (a string, or a function of the instance key making one per attempt) or the headers.
async function attestedTokenRequest(server, offer, o = {}) {
    const clientId = o.clientId ?? CLIENT_ID;
    const instance = o.instance ?? await newKey();
    const attestation = o.attestation ?? await walletAttestation(o.by ?? provider, clientId, instance);
    const dpopKey = o.dpopKey ?? await newKey();
    const r = await withDpopNonce(server, async (dpopNonce) => {
        const pop = typeof o.pop === 'string' ? o.pop : await (o.pop ?? euPop)(instance, clientId, server.url);
        const headers = o.headers ?? { 'OAuth-Client-Attestation': attestation, 'OAuth-Client-Attestation-PoP': pop };
        return tokenRequest(server, { client_id: clientId, ...preAuth(offer.preAuthCode) }, { dpopKey, dpopNonce, headers });
    });
    return { r, offer, dpopKey, clientId, token: r.json?.access_token };
}

async function attestedToken(server, offer) {
    const t = await attestedTokenRequest(server, offer ?? await makeOffer(server, { subject: pidSubject(), vct: PID_VCT }));
    if (t.r.status !== 200) throw new Error(`token request: ${said(t.r)}`);
    return t;
}

// POST /oid4vci/credential with BODY under token T, following use_dpop_nonce once.
const credential = (server, t, body) => withDpopNonce(server, (dpopNonce) =>
    credentialRequest(server, body, { token: t.token, dpopKey: t.dpopKey, dpopNonce }));

const issuedFor = async (server, offer) => (await http('GET', `${server.url}/v1/credentials?offerId=${offer.offerId}`, {
    headers: { Authorization: `Bearer ${server.apiKey}` },
})).json?.credentials;

function expectNoCredential(r) {
    assert(!r.json?.credentials && !r.json?.credential, 'a credential came back with the refusal');
}

// ---- checking what was issued, as WALLET.md §4 says the wallets do ----

// CREDS[i] bound to HOLDERS[i], in order (the Android wallet zips them with its
// keys; iOS matches each cnf in the set: in order satisfies both).
async function checkCredentials(label, server, creds, holders, subject) {
    await check(`${label}: exactly one credential per key (${holders.length})`, () =>
        assertEqual(creds.length, holders.length, 'credentials'));
    let first;
    for (let i = 0; i < creds.length; i++) {
        const name = `${label}: credential ${i + 1}/${creds.length}`;
        let header, leafJwk, payload;
        const ok = await check(`${name}: typ dc+sd-jwt, x5c = the issuer leaf under the issuer CA, kid in jwt-vc-issuer with that key; @sd-jwt/sd-jwt-vc verifies it with the x5c key`, async () => {
            assert(typeof creds[i] === 'string' && creds[i].endsWith('~'), 'not a compact SD-JWT without KB-JWT');
            header = decodeJson(creds[i].split('.')[0]);
            assertEqual(header.typ, 'dc+sd-jwt', 'typ (sdjwt-kt takes exactly dc+sd-jwt)');
            assertEqual(header.alg, 'ES256', 'alg');
            leafJwk = x5cLeafKey(header.x5c);
            assert(typeof header.kid === 'string' && header.kid, 'no kid (iOS needs it without x5c)');
            assertEqual(publicJwk(await issuerKey(server, header.kid)), leafJwk, `the jwt-vc-issuer key of kid ${header.kid} vs the x5c leaf key`);
            payload = (await (await sdJwtInstance(leafJwk)).verify(creds[i])).payload;
        });
        if (!ok) continue;
        first ??= { cred: creds[i], leafJwk, payload };
        await check(`${name}: iss = credential_issuer, vct, iat, exp, cnf.jwk = device key ${i + 1}, the subject's claims`, () => {
            assertEqual(payload.iss, server.url, 'iss');
            assertEqual(payload.vct, PID_VCT, 'vct');
            assert(Number.isInteger(payload.iat) && Math.abs(payload.iat - now()) < 600, `iat ${payload.iat}`);
            assert(Number.isInteger(payload.exp) && payload.exp > now(), `exp ${payload.exp}`);
            assert(payload.nbf === undefined || payload.nbf <= now() + 60, `nbf ${payload.nbf} in the future`);
            assertEqual(payload.cnf?.jwk && publicJwk(payload.cnf.jwk), holders[i].publicJwk, 'cnf.jwk');
            for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
                assert(!(m in payload.cnf.jwk), `cnf.jwk has private member ${m}`);
            assertEqual(subjectClaims(payload), subject, 'claims');
        });
    }
    if (!first) return;
    // Android's RevocationWorkManager takes the status list token's key from its x5c.
    await check(`${label}: the status list token carries the x5c too, and @sd-jwt checks the credential against it`, async () => {
        const uri = first.payload.status?.status_list?.uri;
        assert(uri, `no status list: ${JSON.stringify(first.payload.status)}`);
        const r = await http('GET', uri);
        expectOk(r);
        const h = decodeJson(r.text.split('.')[0]);
        assertEqual(h.typ, 'statuslist+jwt', 'typ');
        const key = x5cLeafKey(h.x5c);
        await jose.compactVerify(r.text, await jose.importJWK(key, 'ES256'));
        await (await sdJwtInstance(first.leafJwk, { realStatus: true })).verify(first.cred);
    });
}

// The credentials of a library credential response; its errors made readable.
async function retrieve(client, opts) {
    let res;
    try {
        res = await client.retrieveCredentials(opts);
    } catch (e) {
        const r = e.response;
        throw new Error(`${e.message}: ${r?.response?.status ?? ''} ${e.responseText ?? JSON.stringify(e.errorResponse ?? '')}`.slice(0, 500));
    }
    const body = res.credentialResponse;
    assert(Array.isArray(body.credentials), `no credentials array: ${JSON.stringify(body).slice(0, 200)}`);
    return body.credentials.map((c) => c.credential);
}

// The token request the EU wallet sends (WALLET.md §2), as the recorder saw it.
function checkTokenRequest(e, clientId) {
    const f = new URLSearchParams(e.body);
    assertEqual([...f.keys()].sort(), ['client_id', 'grant_type', 'pre-authorized_code'], 'form parameters');
    assertEqual(f.get('client_id'), clientId, 'client_id');
    for (const h of ['DPoP', 'OAuth-Client-Attestation', 'OAuth-Client-Attestation-PoP'])
        assert(e.headers.get(h), `no ${h} header`);
    const pop = decodeJson(e.headers.get('OAuth-Client-Attestation-PoP').split('.')[1]);
    assertEqual(Object.keys(pop).sort(), ['aud', 'iat', 'iss', 'jti', 'nbf'], 'PoP claims');
}

// The AS metadata checks of the Android wallet-core (IssuerCreator.kt, Issuer.kt)
// and of iOS (requireDpop, attested client): else no issuance at all.
function checkWalletAsMetadata(as) {
    assert(as.token_endpoint_auth_methods_supported?.includes('attest_jwt_client_auth'),
        `token_endpoint_auth_methods_supported ${JSON.stringify(as.token_endpoint_auth_methods_supported)}`);
    assert(as.client_attestation_signing_alg_values_supported?.includes('ES256'), 'client_attestation_signing_alg_values_supported');
    assert(as.client_attestation_pop_signing_alg_values_supported?.includes('ES256'), 'client_attestation_pop_signing_alg_values_supported');
    assert(as.dpop_signing_alg_values_supported?.includes('ES256'), 'dpop_signing_alg_values_supported');
}

// ---- metadata ----

const required = { key_storage: HIGH, user_authentication: HIGH };

await check('eudi: AS metadata advertises attest_jwt_client_auth with both alg lists, and DPoP ES256', async () => {
    const r = await http('GET', `${eudi.url}/.well-known/oauth-authorization-server`);
    expectOk(r);
    assertEqual(r.json.issuer, eudi.url, 'issuer');
    checkWalletAsMetadata(r.json);
    assertEqual(r.json.token_endpoint_auth_methods_supported, ['attest_jwt_client_auth'], 'methods when required');
    assertEqual(r.json['pre-authorized_grant_anonymous_access_supported'], false, 'anonymous access when required');
});

await check('eudi: the PID takes jwt proofs with key_attestations_required and attestation proofs', async () => {
    const r = await http('GET', `${eudi.url}/.well-known/openid-credential-issuer`, { headers: { Accept: 'application/json' } });
    expectOk(r);
    assert(/^application\/json/.test(r.headers.get('content-type')), `Content-Type ${r.headers.get('content-type')}`);
    const pt = r.json.credential_configurations_supported?.[PID]?.proof_types_supported;
    assertEqual(pt?.jwt?.key_attestations_required, required, 'jwt key_attestations_required');
    assert(pt.jwt.proof_signing_alg_values_supported?.includes('ES256'), 'jwt algs');
    assertEqual(pt?.attestation?.key_attestations_required, required, 'attestation key_attestations_required');
    assert(pt.attestation.proof_signing_alg_values_supported?.includes('ES256'), 'attestation algs');
    assertEqual(r.json.batch_credential_issuance?.batch_size, 10, 'batch_size');
    assert(r.json.nonce_endpoint, 'no nonce_endpoint');
});

await check('abca: wallet attestation required, the default PID takes plain jwt proofs (no key attestation)', async () => {
    const as = (await http('GET', `${abca.url}/.well-known/oauth-authorization-server`)).json;
    checkWalletAsMetadata(as);
    const meta = (await http('GET', `${abca.url}/.well-known/openid-credential-issuer`)).json;
    const pt = meta.credential_configurations_supported?.[PID]?.proof_types_supported;
    assert(pt?.jwt && !pt.jwt.key_attestations_required, `jwt ${JSON.stringify(pt?.jwt)}`);
    assert(!pt.attestation, 'an attestation proof type (lib 0.10 would send proofs.attestation)');
});

await check('main: --client-attestation optional without trust anchors is off: none but "none" advertised', async () => {
    const as = (await http('GET', `${servers.main.url}/.well-known/oauth-authorization-server`)).json;
    assertEqual(as.token_endpoint_auth_methods_supported, ['none'], 'token_endpoint_auth_methods_supported');
    assert(!('client_attestation_signing_alg_values_supported' in as), 'client_attestation_signing_alg_values_supported');
    assert(!('client_attestation_pop_signing_alg_values_supported' in as), 'client_attestation_pop_signing_alg_values_supported');
});

// ---- (a) Android on lib 0.10: N jwk proofs, wallet attestation, DPoP ----

{
    const label = '(a) Android, lib 0.10';
    const rec = recorder();
    const instance = await newKey();
    const clientId = 'eudi-android-instance';
    const client = walletClient(rec, euClientAuth(await walletAttestation(provider, clientId, instance), instance, clientId));
    const subject = pidSubject({ given_name: 'Android' });
    const offer = await makeOffer(abca, { subject, vct: PID_VCT });
    const dpop = { signer: signer(await holderKey()) };
    let credentialOffer, issuerMetadata, tokenRes, nonce, creds, keys;
    const jwts = [];
    await check(`${label}: the library resolves the offer and both metadata; the wallet-core checks pass`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        checkWalletAsMetadata(issuerMetadata.authorizationServers[0]);
    }) &&
    await check(`${label}: wallet attestation + DPoP buy a DPoP token; the form is client_id, grant_type, pre-authorized_code`, async () => {
        tokenRes = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, dpop });
        assertEqual(tokenRes.accessTokenResponse.token_type, 'DPoP', 'token_type');
        assert(!('authorization_details' in tokenRes.accessTokenResponse), 'authorization_details');
        checkTokenRequest(rec.to('/oid4vci/token').at(-1), clientId);
    }) &&
    await check(`${label}: a c_nonce; min(10, batch_size) jwk proofs with iss = client_id`, async () => {
        nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
        const n = Math.min(10, issuerMetadata.credentialIssuer.batch_credential_issuance?.batch_size ?? 1);
        keys = await holderKeys(n);
        for (const k of keys) {
            jwts.push((await client.createCredentialRequestJwtProof({
                issuerMetadata, credentialConfigurationId: PID, signer: signer(k), nonce, issuedAt: new Date(), clientId,
            })).jwt);
        }
        const h = decodeJson(jwts[0].split('.')[0]);
        assertEqual(Object.keys(h).sort(), ['alg', 'jwk', 'typ'], 'proof header');
        return `${n} proofs`;
    }) &&
    await check(`${label}: the library gets the credentials`, async () => {
        creds = await retrieve(client, {
            issuerMetadata, credentialConfigurationId: PID, accessToken: tokenRes.accessTokenResponse.access_token,
            dpop: { ...dpop, nonce: tokenRes.dpop?.nonce }, proofs: { jwt: jwts },
        });
        assertEqual(JSON.parse(rec.to('/oid4vci/credential').at(-1).body).proofs.jwt.length, keys.length, 'proofs sent');
    }) &&
    await checkCredentials(label, abca, creds, keys, subject);
}

await check('(a) Android, lib 0.10, against the eudi server: its N jwk proofs are invalid_proof, nothing issued', async () => {
    const t = await attestedToken(eudi);
    const nonce = await cNonce(eudi);
    const jwts = [];
    for (let i = 0; i < 4; i++) jwts.push(await keyProof(await newKey(), eudi.url, nonce, { payload: { iss: t.clientId } }));
    const r = await credential(eudi, t, { credential_configuration_id: PID, proofs: { jwt: jwts } });
    expectError(r, 400, 'invalid_proof');
    expectNoCredential(r);
    assertEqual(await issuedFor(eudi, t.offer), [], 'credentials of the offer');
});

// ---- (b) the current library: one jwt proof, kid "0", a key attestation of 10 keys ----

{
    const label = '(b) current lib, key-attested jwt proof';
    const rec = recorder();
    const instance = await newKey();
    const clientId = 'eudi-wallet-instance-b';
    const client = walletClient(rec, euClientAuth(await walletAttestation(provider, clientId, instance), instance, clientId));
    const subject = pidSubject({ given_name: 'Current' });
    const offer = await makeOffer(eudi, { subject, vct: PID_VCT });
    const dpop = { signer: signer(await holderKey()) };
    let credentialOffer, issuerMetadata, tokenRes, nonce, dpopNonce, creds, keys, proof;
    await check(`${label}: the library resolves the offer and both metadata; jwt requires key attestations (lib ≥0.12)`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        checkWalletAsMetadata(issuerMetadata.authorizationServers[0]);
        assert(issuerMetadata.credentialIssuer.credential_configurations_supported[PID].proof_types_supported.jwt.key_attestations_required,
            'no key_attestations_required: lib ≥0.12 rejects the metadata');
    }) &&
    await check(`${label}: the token endpoint asks for a DPoP nonce (400 use_dpop_nonce + DPoP-Nonce); the retry, with a fresh PoP, gets a DPoP token`, async () => {
        tokenRes = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, dpop });
        assertEqual(tokenRes.accessTokenResponse.token_type, 'DPoP', 'token_type');
        const [first, second] = rec.to('/oid4vci/token');
        assertEqual(first.status, 400, 'first answer');
        assert(first.resHeaders.get('dpop-nonce'), 'no DPoP-Nonce with use_dpop_nonce');
        assertEqual(second.status, 200, 'the retry');
        assertEqual(decodeJson(second.headers.get('DPoP').split('.')[1]).nonce, first.resHeaders.get('dpop-nonce'), 'the retry\'s DPoP nonce');
        assert(first.headers.get('OAuth-Client-Attestation-PoP') !== second.headers.get('OAuth-Client-Attestation-PoP'), 'the same PoP twice');
        checkTokenRequest(second, clientId);
    }) &&
    await check(`${label}: the nonce endpoint gives a c_nonce and a DPoP-Nonce`, async () => {
        nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
        dpopNonce = rec.to('/oid4vci/nonce').at(-1).resHeaders.get('dpop-nonce');
        assert(dpopNonce, 'no DPoP-Nonce from the nonce endpoint');
    }) &&
    await check(`${label}: the library makes the proof {alg, typ, kid "0", key_attestation}, no jwk, signed by attested key 1 of 10`, async () => {
        keys = await holderKeys(10);
        const ka = await keyAttestation(provider, keys, { nonce });
        proof = (await client.createCredentialRequestJwtProof({
            issuerMetadata, credentialConfigurationId: PID, signer: { method: 'custom', alg: 'ES256', attestedKey: keys[0] },
            nonce, issuedAt: new Date(), clientId, keyAttestationJwt: ka,
        })).jwt;
        const h = decodeJson(proof.split('.')[0]);
        assertEqual(Object.keys(h).sort(), ['alg', 'key_attestation', 'kid', 'typ'], 'proof header');
        assertEqual(h.kid, '0', 'kid');
        assertEqual(Object.keys(decodeJson(proof.split('.')[1])).sort(), ['aud', 'iat', 'iss', 'nonce'], 'proof claims');
    }) &&
    await check(`${label}: with the nonce endpoint's DPoP-Nonce, the first credential request gets 10 credentials`, async () => {
        const before = rec.to('/oid4vci/credential').length;
        creds = await retrieve(client, {
            issuerMetadata, credentialConfigurationId: PID, accessToken: tokenRes.accessTokenResponse.access_token,
            dpop: { ...dpop, nonce: dpopNonce }, proofs: { jwt: [proof] },
        });
        assertEqual(rec.to('/oid4vci/credential').length - before, 1, 'credential requests');
    }) &&
    await checkCredentials(label, eudi, creds, keys, subject);
}

// ---- (c) iOS: signed metadata, proofs.attestation, DPoP with server nonces ----

{
    const label = '(c) iOS, attestation proof';
    const rec = recorder();
    const clientId = 'eudiw-abca';
    const instance = await newKey();
    held.set(instance.publicJwk.x, instance);
    const attestation = await walletAttestation(provider, clientId, instance);
    // The library's own PoP (iss, aud, iat, exp, jti), and client_id in the form.
    const libAuth = clientAuthenticationClientAttestationJwt({ clientAttestationJwt: attestation, callbacks: { signJwt, generateRandom: (n) => randomBytes(n) } });
    const client = walletClient(rec, async (o) => {
        o.body.client_id = clientId;
        await libAuth(o);
    });
    const subject = pidSubject({ given_name: 'Apple' });
    const offer = await makeOffer(eudi, { subject, vct: PID_VCT });
    const dpop = { signer: signer(await holderKey()) };
    let credentialOffer, issuerMetadata, tokenRes, nonce, creds, keys;
    await check(`${label}: signed metadata (Accept: application/jwt): typ, x5c leaf under the issuer CA signed it, iss, sub = credential_issuer, iat, the JSON metadata`, async () => {
        const r = await http('GET', `${eudi.url}/.well-known/openid-credential-issuer`, { headers: { Accept: 'application/jwt' } });
        expectOk(r);
        assert(/^application\/jwt/.test(r.headers.get('content-type')), `Content-Type ${r.headers.get('content-type')}`);
        const h = decodeJson(r.text.split('.')[0]);
        assertEqual(h.typ, 'openidvci-issuer-metadata+jwt', 'typ');
        assertEqual(h.alg, 'ES256', 'alg (iOS takes ES256 and RS256)');
        const { payload } = await jose.compactVerify(r.text, await jose.importJWK(x5cLeafKey(h.x5c), 'ES256'));
        const claims = JSON.parse(new TextDecoder().decode(payload));
        assertEqual(claims.sub, eudi.url, 'sub');
        assert(typeof claims.iss === 'string' && claims.iss, 'no iss (iOS requires it)');
        assert(Number.isInteger(claims.iat) && Math.abs(claims.iat - now()) < 600, `iat ${claims.iat}`);
        const json = (await http('GET', `${eudi.url}/.well-known/openid-credential-issuer`)).json;
        const { sub: _s, iss: _i, iat: _t, exp: _e, ...meta } = claims;
        assertEqual(meta, json, 'the signed metadata vs the JSON');
    }) &&
    await check(`${label}: the JSON metadata, cached publicly, says Vary: Accept: the same URL answers application/jwt`, async () => {
        const r = await http('GET', `${eudi.url}/.well-known/openid-credential-issuer`, { headers: { Accept: 'application/json' } });
        expectOk(r);
        const cc = r.headers.get('cache-control') ?? '';
        const vary = (r.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
        assert(/no-store|private/.test(cc) || vary.includes('accept') || vary.includes('*'),
            `Cache-Control: ${cc}, Vary: ${r.headers.get('vary')}: a shared cache may hand this JSON to a wallet asking for application/jwt (RFC 9110 §12.5.5)`);
    });
    await check(`${label}: the library resolves the offer and both metadata; requireDpop and the attested client find what they need`, async () => {
        credentialOffer = await client.resolveCredentialOffer(offer.offerUrl);
        issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
        checkWalletAsMetadata(issuerMetadata.authorizationServers[0]);
        assert(issuerMetadata.credentialIssuer.credential_configurations_supported[PID].proof_types_supported.attestation, 'no attestation proof type');
    }) &&
    await check(`${label}: the library's PoP (with exp) and DPoP, after a use_dpop_nonce round, buy a DPoP token`, async () => {
        tokenRes = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, dpop });
        assertEqual(tokenRes.accessTokenResponse.token_type, 'DPoP', 'token_type');
        assertEqual(rec.to('/oid4vci/token').map((e) => e.status), [400, 200], 'token answers');
        assert('exp' in decodeJson(rec.to('/oid4vci/token')[1].headers.get('OAuth-Client-Attestation-PoP').split('.')[1]), 'the library PoP has exp');
    }) &&
    await check(`${label}: a c_nonce; a key attestation of 10 keys carrying it`, async () => {
        nonce = (await client.requestNonce({ issuerMetadata })).c_nonce;
        keys = await holderKeys(10);
    }) &&
    await check(`${label}: without a DPoP nonce the credential endpoint answers 401 DPoP error="use_dpop_nonce" + DPoP-Nonce; the library's retry gets 10 credentials`, async () => {
        creds = await retrieve(client, {
            issuerMetadata, credentialConfigurationId: PID, accessToken: tokenRes.accessTokenResponse.access_token,
            dpop, proofs: { attestation: [await keyAttestation(provider, keys, { nonce })] },
        });
        const [first, second] = rec.to('/oid4vci/credential');
        assertEqual(first.status, 401, 'first answer');
        const c = challenge(first.resHeaders.get('www-authenticate'));
        assertEqual([c.scheme, c.error], ['DPoP', 'use_dpop_nonce'], 'WWW-Authenticate');
        assert(first.resHeaders.get('dpop-nonce'), 'no DPoP-Nonce with the 401');
        assertEqual(second?.status, 200, 'the retry');
        assertEqual(Object.keys(JSON.parse(second.body)).sort(), ['credential_configuration_id', 'proofs'], 'request members');
    }) &&
    await checkCredentials(label, eudi, creds, keys, subject);

    await check(`${label}: the same token, the library's own key attestation (Draft 15 typ keyattestation+jwt): one more credential`, async () => {
        assert(tokenRes, 'no token');
        const k = await holderKey();
        const n = (await client.requestNonce({ issuerMetadata })).c_nonce;
        const ka = await createKeyAttestationJwt({
            signer: { method: 'x5c', alg: 'ES256', x5c: provider.x5c }, use: 'proof_type.attestation', nonce: n,
            issuedAt: new Date(), expiresAt: new Date(Date.now() + 3600e3), attestedKeys: [k.publicJwk],
            keyStorage: HIGH, userAuthentication: HIGH, callbacks: { signJwt },
        });
        assertEqual(decodeJson(ka.split('.')[0]).typ, 'keyattestation+jwt', 'the library\'s typ');
        const more = await retrieve(client, {
            issuerMetadata, credentialConfigurationId: PID, accessToken: tokenRes.accessTokenResponse.access_token,
            dpop: { ...dpop, nonce: rec.log.at(-1).resHeaders.get('dpop-nonce') ?? undefined }, proofs: { attestation: [ka] },
        });
        assertEqual(more.length, 1, 'credentials');
        assertEqual(publicJwk(decodeJson(more[0].split('.')[1]).cnf.jwk), k.publicJwk, 'cnf.jwk');
    });
}

// ---- refusals: key attestations (credential endpoint, 400 invalid_proof) ----

{
    const t = await attestedToken(eudi);
    const attested = async (build) => {
        const nonce = await cNonce(eudi);
        return credential(eudi, t, { credential_configuration_id: PID, proofs: await build(nonce) });
    };
    const jwtProof = (o = {}) => async (nonce) => {
        const keys = o.keys ?? await holderKeys(2);
        const ka = await keyAttestation(o.by ?? provider, keys, { nonce: o.kaNonce ?? nonce, payload: o.ka ?? {} });
        return { jwt: [await attestedProof(eudi, ka, keys[0], nonce, t.clientId, { signer: o.signer?.(keys), payload: o.proof })] };
    };
    const attestationProof = (o = {}) => async (nonce) =>
        ({ attestation: [await keyAttestation(o.by ?? provider, await holderKeys(2), { nonce, payload: o.ka ?? {} })] });
    // Just expired: iat inside the proof window (300 s), exp past the 60 s skew.
    const expired = () => ({ iat: now() - 120, exp: now() - 90 });
    const cases = [
        ['a key attestation from an untrusted wallet provider', jwtProof({ by: rogue })],
        ['a key attestation under the trusted x5c but signed by another key', jwtProof({ by: { ...provider, privateKey: rogue.privateKey } })],
        ['an expired key attestation', jwtProof({ ka: expired() })],
        ['a key attestation without exp (App. D.1: required in a jwt proof)', jwtProof({ ka: { exp: undefined } })],
        ['a key attestation whose nonce is another c_nonce', jwtProof({ kaNonce: await cNonce(eudi) })],
        ['key_storage iso_18045_moderate', jwtProof({ ka: { key_storage: ['iso_18045_moderate'] } })],
        ['user_authentication iso_18045_moderate', jwtProof({ ka: { user_authentication: ['iso_18045_moderate'] } })],
        ['the proof signed by attested_keys[1], not [0]', jwtProof({ signer: (keys) => keys[1] })],
        ['the proof\'s iss another client than the attested one', jwtProof({ proof: { iss: 'another-client' } })],
        ['a plain jwk proof (no key attestation)', async (nonce) => ({ jwt: [await keyProof(await newKey(), eudi.url, nonce, { payload: { iss: t.clientId } })] })],
        ['an attestation proof from an untrusted wallet provider', attestationProof({ by: rogue })],
        ['an attestation proof with key_storage iso_18045_moderate', attestationProof({ ka: { key_storage: ['iso_18045_moderate'] } })],
        ['an expired attestation proof', attestationProof({ ka: expired() })],
    ];
    // Each refusal: its status and code, no credential in the answer, none recorded
    // for the offer; the error_description is shown as the check's note.
    const refused = async (send, status, error) => {
        const before = (await issuedFor(eudi, t.offer)).length;
        const r = await send();
        expectError(r, status, error);
        expectNoCredential(r);
        assertEqual((await issuedFor(eudi, t.offer)).length, before, 'credentials recorded for the offer');
        return r.json.error_description;
    };
    for (const [what, build] of cases) {
        await check(`eudi refuses ${what}: 400 invalid_proof, nothing issued`, () =>
            refused(() => attested(build), 400, 'invalid_proof'));
    }
    await check('eudi refuses an attestation proof with an unknown nonce: 400 invalid_nonce, nothing issued', async () =>
        refused(async () => credential(eudi, t, {
            credential_configuration_id: PID,
            proofs: { attestation: [await keyAttestation(provider, await holderKeys(1), { nonce: random(32) })] },
        }), 400, 'invalid_nonce'));
    await check('eudi: after the refusals the token still works', async () => {
        const before = (await issuedFor(eudi, t.offer)).length;
        const r = await attested(jwtProof());
        expectOk(r);
        assertEqual(r.json.credentials?.length, 2, 'credentials');
        assertEqual((await issuedFor(eudi, t.offer)).length, before + 2, 'credentials recorded for the offer');
    });
}

// ---- refusals: wallet attestation (token endpoint) ----

{
    const offer = await makeOffer(eudi, { subject: pidSubject(), vct: PID_VCT });
    const refuse = async (o, status = 400, error = 'invalid_client_attestation') => {
        const t = await attestedTokenRequest(eudi, offer, o);
        expectError(t.r, status, error);
        assert(!t.r.json?.access_token, 'an access token came back');
        return t.r.json.error_description;
    };
    await check('token: a wallet attestation from an untrusted provider is 400 invalid_client_attestation', () =>
        refuse({ by: rogue }));
    await check('token: a wallet attestation under the trusted x5c but signed by another key is 400 invalid_client_attestation', async () => {
        const instance = await newKey();
        const t = now();
        const attestation = await signJws({ alg: 'ES256', typ: 'oauth-client-attestation+jwt', x5c: provider.x5c },
            { iss: 'https://wallet-provider.example.org', sub: CLIENT_ID, iat: t, exp: t + 3600, cnf: { jwk: instance.publicJwk } }, rogue);
        return refuse({ instance, attestation });
    });
    await check('token: a PoP for another audience is 400 invalid_client_attestation', () =>
        refuse({ pop: (i, c) => euPop(i, c, 'https://issuer.example.org') }));
    await check('token: a PoP not signed by the attested key is 400 invalid_client_attestation', async () => {
        const other = await newKey();
        return refuse({ pop: (i, c, aud) => euPop(i, c, aud, { signer: other }) });
    });
    await check('token: a client_id other than the attestation\'s sub is 400 invalid_client_attestation', async () => {
        const instance = await newKey();
        return refuse({ instance, attestation: await walletAttestation(provider, 'someone-else', instance) });
    });
    await check('token: an expired wallet attestation is 400 invalid_client_attestation', async () => {
        const instance = await newKey();
        return refuse({ instance, attestation: await walletAttestation(provider, CLIENT_ID, instance, { iat: now() - 120, exp: now() - 90 }) });
    });
    await check('token: a PoP alone (no attestation) is 400 invalid_client_attestation', async () => {
        const instance = await newKey();
        return refuse({ instance, headers: { 'OAuth-Client-Attestation-PoP': await euPop(instance, CLIENT_ID, eudi.url) } });
    });
    await check('token: no wallet attestation where it is required is invalid_client', async () => {
        const t = await attestedTokenRequest(eudi, offer, { headers: {} });
        assert(t.r.json?.error === 'invalid_client' && (t.r.status === 400 || t.r.status === 401), `got ${said(t.r)}, want 400/401 invalid_client`);
        if (t.r.status === 401) assert(t.r.headers.get('www-authenticate'), 'a 401 without WWW-Authenticate (RFC 9110 §15.5.2)');
        return `${t.r.status}: ${t.r.json.error_description}`;
    });
    await check('token: none of the refused requests spent the code', async () => {
        const t = await attestedTokenRequest(eudi, offer);
        expectOk(t.r);
    });
    await check('token: the same PoP twice (replayed jti): 200, then 400 invalid_client_attestation; the second code unspent', async () => {
        const a = await makeOffer(eudi, { subject: pidSubject(), vct: PID_VCT });
        const b = await makeOffer(eudi, { subject: pidSubject(), vct: PID_VCT });
        const instance = await newKey();
        const attestation = await walletAttestation(provider, CLIENT_ID, instance);
        const pop = await euPop(instance, CLIENT_ID, eudi.url);
        await cNonce(eudi); // a current DPoP-Nonce, so that the first request is answered, not bounced
        expectOk((await attestedTokenRequest(eudi, a, { instance, attestation, pop })).r);
        expectError((await attestedTokenRequest(eudi, b, { instance, attestation, pop })).r, 400, 'invalid_client_attestation');
        expectOk((await attestedTokenRequest(eudi, b, { instance, attestation })).r);
    });
}

finish();

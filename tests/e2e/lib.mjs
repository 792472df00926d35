// What the end-to-end suites share: the reporter, the servers under test (from
// the environment test_e2e.sh sets), HTTP helpers, keys, DPoP and key proofs
// made by hand with jose, and the checks every issued SD-JWT VC must pass.
//
// Each check prints "ok - NAME" or "not ok - NAME: WHY"; test_e2e.sh numbers
// and counts them. A script exits 1 when any of its checks failed.
import { createHash, randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { deflateSync } from 'node:zlib';
import * as jose from 'jose';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest } from '@sd-jwt/crypto-nodejs';

// ---- the reporter ----

let failed = 0;

export async function check(name, fn) {
    try {
        const note = await fn();
        console.log(`ok - ${name}${note ? ` (${note})` : ''}`);
        return true;
    } catch (e) {
        failed++;
        const why = String(e?.message ?? e).replace(/\s+/g, ' ').slice(0, 600);
        console.log(`not ok - ${name}: ${why}`);
        return false;
    }
}

export function finish() {
    process.exitCode = failed ? 1 : 0;
}

export function assert(cond, msg) {
    if (!cond) throw new Error(msg);
}

export function assertEqual(got, want, what) {
    if (!isDeepStrictEqual(got, want))
        throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// ---- the servers under test ----

// A setting test_e2e.sh passes; a script run without it exits 2.
export function env(name) {
    const v = process.env[name];
    if (!v) {
        console.error(`${name} is not set (test_e2e.sh sets it)`);
        process.exit(2);
    }
    return v;
}

// `other` and `nonce` are read when first used: an issuer that has neither
// (the guide) is run without their settings.
export const servers = {
    // The plain server: no DPoP nonces, GR_BATCH_SIZE and GR_MAX_TX_ATTEMPTS as set.
    main: { url: env('GR_ISSUER'), apiKey: env('GR_API_KEY') },
    // The same data directory, another organization (`gramota org create`).
    get other() {
        return { url: env('GR_ISSUER'), apiKey: env('GR_API_KEY2') };
    },
    // A second server started with --dpop-nonce.
    get nonce() {
        return { url: env('GR_NONCE_ISSUER'), apiKey: env('GR_NONCE_API_KEY') };
    },
};
export const batchSize = Number(env('GR_BATCH_SIZE'));
export const maxTxAttempts = Number(env('GR_MAX_TX_ATTEMPTS'));

export const PID = 'eu.europa.ec.eudi.pid_vc_sd_jwt';
export const PID_VCT = 'urn:eudi:pid:1';
export const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

// A PID subject with every claim the configuration declares mandatory.
export function pidSubject(extra = {}) {
    return {
        family_name: 'Mustermann',
        given_name: 'Erika',
        birthdate: '1964-08-12',
        place_of_birth: { locality: 'Berlin', country: 'DE' },
        nationalities: ['DE'],
        address: { street_address: 'Heidestraße 17', locality: 'Köln', postal_code: '51147', country: 'DE' },
        date_of_expiry: '2031-01-01',
        issuing_authority: 'DE',
        issuing_country: 'DE',
        ...extra,
    };
}

// ---- the kind of issuer under test ----

// GR_WALLET_PROFILE says what wallet.mjs walks: "daemon" (`gramota serve`, the
// default) or "library" (an issuer built on libgramota's public API:
// examples/guide/guide.c). The profile names the credential the suites ask for
// and `daemon` below says which of the daemon's features they may rely on.
const PROFILES = {
    daemon: {
        id: PID, vct: PID_VCT, subject: pidSubject,
        // Two claims to make the only selectively disclosable ones; family_name stays in the clear.
        twoClaims: ['given_name', 'birthdate'],
    },
    library: {
        id: 'university_degree', vct: 'urn:example:guide:university_degree:1', subject: degreeSubject,
        twoClaims: ['given_name', 'graduation_date'],
    },
};

// The guide's university degree, with every claim its configuration declares.
export function degreeSubject(extra = {}) {
    return {
        given_name: 'Ada',
        family_name: 'Lovelace',
        degree: { type: 'BachelorDegree', name: 'Mathematics' },
        graduation_date: '1833-06-05',
        ...extra,
    };
}

const profileName = process.env.GR_WALLET_PROFILE || 'daemon';
if (!PROFILES[profileName]) {
    console.error(`GR_WALLET_PROFILE=${profileName}: want ${Object.keys(PROFILES).join(' or ')}`);
    process.exit(2);
}
// { name, credential: { id, vct, subject(extra), twoClaims } }
export const profile = { name: profileName, credential: PROFILES[profileName] };

// What only `gramota serve` has, each a named condition that skips the sections
// needing it on a library-built issuer, which keeps its state in a few tables in
// memory and serves the protocol alone (guide.c's PRODUCTION notes). What an
// issuer says in its metadata is derived from there instead (wallet.mjs).
const DAEMON_ONLY = {
    offerState: 'an admin route reading an offer back (GET /v1/credential-offers/{id})',
    lifecycleApi: 'the lifecycle API (/v1/credentials: list, revoke, suspend, reinstate)',
    statusListTime: 'a 501 for ?time= on a status list (it keeps no past lists)',
    offersByReference: 'offers by reference (credential_offer_uri)',
    dpopNonceServer: 'a second server demanding DPoP nonces (--dpop-nonce)',
};
export const daemon = Object.fromEntries(Object.entries(DAEMON_ONLY).map(([k, what]) => [k, {
    name: `daemon.${k}`, holds: profile.name === 'daemon', why: `only gramota serve has ${what}`,
}]));

// A condition derived from what the issuer says: NAME holds when HOLDS, else WHY.
export const derived = (name, holds, why) => ({ name, holds, why });

// Whether COND holds; when it does not, a line saying that SECTION is skipped and why.
export function has(cond, section) {
    if (!cond.holds) console.log(`skip: ${section} (${cond.name}: ${cond.why})`);
    return cond.holds;
}

// check(NAME, FN) when COND holds; else the line saying it is skipped, and undefined.
export const checkWhen = async (cond, name, fn) => (has(cond, name) ? check(name, fn) : undefined);

// ---- HTTP ----

// One request; the answer with its body read as text and, when it parses, JSON.
export async function http(method, url, { headers = {}, body } = {}) {
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}

// "STATUS error" of an answer, for messages.
export const said = (r) =>
    `${r.status} ${r.json?.error ?? ''} ${r.json?.error_description ?? r.text.slice(0, 200)}`.trim();

// The answer must be STATUS with a JSON body whose error is ERROR.
export function expectError(r, status, error) {
    if (r.status !== status || r.json?.error !== error)
        throw new Error(`got ${said(r)}, want ${status} ${error}`);
    assert(typeof r.json.error_description !== 'string' ||
        /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(r.json.error_description),
        `error_description has characters RFC 6749 forbids: ${JSON.stringify(r.json.error_description)}`);
}

export function expectOk(r, status = 200) {
    if (r.status !== status) throw new Error(`got ${said(r)}, want ${status}`);
}

// The parameters of a WWW-Authenticate challenge: { scheme, error, algs, ... }.
export function challenge(value) {
    assert(value, 'no WWW-Authenticate header');
    const m = /^\s*([A-Za-z]+)(?:\s+(.*))?$/.exec(value);
    assert(m, `unreadable WWW-Authenticate: ${value}`);
    const out = { scheme: m[1] };
    for (const p of (m[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g))
        out[p[1]] = p[2] ?? p[3];
    return out;
}

// A 401 with `WWW-Authenticate: SCHEME error="ERROR"` (and the body's error, when it has one).
export function expectChallenge(r, scheme, error) {
    const www = r.headers.get('www-authenticate');
    if (r.status !== 401) throw new Error(`got ${said(r)}, want 401 (WWW-Authenticate: ${www})`);
    const c = challenge(www);
    assert(c.scheme.toLowerCase() === scheme.toLowerCase(), `WWW-Authenticate scheme ${c.scheme}, want ${scheme}: ${www}`);
    if (error) assertEqual(c.error, error, `WWW-Authenticate error (${www})`);
    if (error && r.json?.error !== undefined) assertEqual(r.json.error, error, 'body error');
    return c;
}

export const form = (params) =>
    Object.entries(params).filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

// ---- keys, proofs ----

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64json = (v) => b64url(JSON.stringify(v));
export const decodeJson = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
export const sha256b64 = (ascii) => b64url(createHash('sha256').update(ascii, 'ascii').digest());
export const publicJwk = ({ kty, crv, x, y }) => ({ kty, crv, x, y });
export const now = () => Math.floor(Date.now() / 1000);
export const random = (n = 16) => b64url(randomBytes(n));

// A fresh ES256 key: { privateKey (CryptoKey), publicJwk, privateJwk }.
export async function newKey() {
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    return {
        privateKey,
        publicJwk: publicJwk(await jose.exportJWK(publicKey)),
        privateJwk: await jose.exportJWK(privateKey),
    };
}

// A JWS with exactly this header and payload, signed by KEY (or unsigned for alg none).
export async function signJws(header, payload, key) {
    const input = `${b64json(header)}.${b64json(payload)}`;
    if (header.alg === 'none') return `${input}.`;
    return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header).sign(key.privateKey);
}

// A DPoP proof (RFC 9449 §4.2) by KEY for METHOD URL; `o` overrides any part.
export async function dpopProof(key, method, url, o = {}) {
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, ...o.header };
    const payload = { jti: random(), htm: method, htu: url, iat: now() };
    if (o.accessToken) payload.ath = sha256b64(o.accessToken);
    if (o.nonce) payload.nonce = o.nonce;
    Object.assign(payload, o.payload);
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return signJws(header, payload, o.signer ?? key);
}

// A jwt key proof (OID4VCI 1.0 App. F.1) by KEY for ISSUER; `o` overrides any part.
export async function keyProof(key, issuer, nonce, o = {}) {
    const header = { typ: 'openid4vci-proof+jwt', alg: 'ES256', jwk: key.publicJwk, ...o.header };
    const payload = { aud: issuer, iat: now(), nonce, ...o.payload };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
    return signJws(header, payload, o.signer ?? key);
}

// ---- the issuer's endpoints, by hand ----

export async function makeOffer(server, body) {
    const r = await http('POST', `${server.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
    });
    if (r.status !== 201) throw new Error(`making an offer: ${said(r)}`);
    return r.json;
}

export const pidOffer = (server, extra = {}) =>
    makeOffer(server, { subject: pidSubject(), vct: PID_VCT, ...extra });

// POST /oid4vci/token with PARAMS (a form string or an object); DPoP by `dpopKey`.
export async function tokenRequest(server, params, { dpopKey, dpopNonce, dpop, headers = {} } = {}) {
    const url = `${server.url}/oid4vci/token`;
    const h = { 'Content-Type': 'application/x-www-form-urlencoded', ...headers };
    if (dpop) h.DPoP = dpop;
    else if (dpopKey) h.DPoP = await dpopProof(dpopKey, 'POST', url, { nonce: dpopNonce });
    return http('POST', url, { headers: h, body: typeof params === 'string' ? params : form(params) });
}

export const preAuth = (code, txCode, extra = {}) =>
    ({ grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: txCode, ...extra });

// An access token for a fresh offer: { offer, token, tokenType, dpopKey, body }.
export async function freshToken(server, { dpop = true, offer } = {}) {
    offer ??= await pidOffer(server);
    const dpopKey = dpop ? await newKey() : undefined;
    let r = await tokenRequest(server, preAuth(offer.preAuthCode), { dpopKey });
    if (dpop && r.status === 400 && r.json?.error === 'use_dpop_nonce')
        r = await tokenRequest(server, preAuth(offer.preAuthCode), { dpopKey, dpopNonce: r.headers.get('dpop-nonce') });
    if (r.status !== 200) throw new Error(`token request: ${said(r)}`);
    return { offer, token: r.json.access_token, tokenType: r.json.token_type, dpopKey, body: r.json };
}

export async function cNonce(server) {
    const r = await http('POST', `${server.url}/oid4vci/nonce`);
    if (r.status !== 200 || typeof r.json?.c_nonce !== 'string') throw new Error(`nonce request: ${said(r)}`);
    return r.json.c_nonce;
}

// POST /oid4vci/credential with BODY (an object, or a string sent as is).
// `auth` is { token, dpopKey?, dpopNonce?, scheme?, dpop? } or undefined for none.
export async function credentialRequest(server, body, auth, { headers = {} } = {}) {
    const url = `${server.url}/oid4vci/credential`;
    const h = { 'Content-Type': 'application/json', ...headers };
    if (auth) {
        const scheme = auth.scheme ?? (auth.dpopKey ? 'DPoP' : 'Bearer');
        h.Authorization = `${scheme} ${auth.token}`;
        if (auth.dpop !== undefined) {
            if (auth.dpop !== null) h.DPoP = auth.dpop;
        } else if (auth.dpopKey) {
            h.DPoP = await dpopProof(auth.dpopKey, 'POST', url, { accessToken: auth.token, nonce: auth.dpopNonce });
        }
    }
    return http('POST', url, { headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

// ---- checking what was issued ----

export const hasher = (data, alg) => digest(data, alg);

// What the issuer sets; the rest of a processed credential is the subject.
const ISSUER_SET = ['iss', 'iat', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status', 'sub', '_sd_alg'];
export function subjectClaims(payload) {
    const out = { ...payload };
    for (const k of ISSUER_SET) delete out[k];
    return out;
}

// The issuer's signing key named by `kid`, from /.well-known/jwt-vc-issuer.
export async function issuerKey(server, kid) {
    const r = await http('GET', `${server.url}/.well-known/jwt-vc-issuer`);
    expectOk(r);
    assertEqual(r.json?.issuer, server.url, 'jwt-vc-issuer issuer');
    const key = r.json?.jwks?.keys?.find((k) => k.kid === kid);
    assert(key, `kid ${kid} is not in /.well-known/jwt-vc-issuer (${JSON.stringify(r.json?.jwks?.keys?.map((k) => k.kid))})`);
    return key;
}

// A Status List Token, all valid, signed by a key of our own: it lets @sd-jwt
// check a credential without the issuer's status list (checked on its own).
const localStatus = await newKey();
async function localStatusList(uri) {
    // As large as the issuer's lists (2 bits, 2^17 entries by default), all VALID.
    const lst = deflateSync(Buffer.alloc((1 << 17) * 2 / 8), { level: 9 });
    return new jose.SignJWT({ sub: uri, iat: now(), status_list: { bits: 2, lst: b64url(lst) } })
        .setProtectedHeader({ alg: 'ES256', typ: 'statuslist+jwt' }).sign(localStatus.privateKey);
}

export async function sdJwtInstance(issuerJwk, { holder, realStatus = false } = {}) {
    return new SDJwtVcInstance({
        hasher,
        hashAlg: 'sha-256',
        verifier: await ES256.getVerifier(issuerJwk),
        kbVerifier: async (data, sig, payload) => {
            assert(payload?.cnf?.jwk, 'no cnf.jwk to check the KB-JWT with');
            return (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
        },
        ...(holder ? { kbSigner: await ES256.getSigner(holder.privateJwk), kbSignAlg: 'ES256' } : {}),
        ...(realStatus ? {} : {
            statusVerifier: await ES256.getVerifier(localStatus.publicJwk),
            statusListFetcher: localStatusList,
        }),
    });
}

// Every check of one batch: CREDS[i] is bound to HOLDERS[i], says SUBJECT, is
// signed by a key the issuer publishes, and presents with key binding.
// LABEL prefixes the check names. Returns the verified payloads.
export async function checkIssued(label, server, creds, holders, subject, vct = PID_VCT) {
    await check(`${label}: one credential per proof (${holders.length})`, () =>
        assertEqual(creds.length, holders.length, 'credentials'));
    const payloads = [];
    for (let i = 0; i < creds.length; i++) {
        const cred = creds[i];
        const holder = holders[i];
        const name = `${label}: credential ${i + 1}/${creds.length}`;
        let issuerJwk, payload;
        const ok = await check(`${name}: @sd-jwt/sd-jwt-vc verifies it with the key of its kid from jwt-vc-issuer`, async () => {
            assert(typeof cred === 'string', `credential is ${JSON.stringify(cred)?.slice(0, 80)}, not a string`);
            assert(cred.endsWith('~'), 'an SD-JWT VC without KB-JWT ends with ~');
            const header = decodeJson(cred.split('.')[0]);
            assertEqual(header.typ, 'dc+sd-jwt', 'typ');
            assertEqual(header.alg, 'ES256', 'alg');
            issuerJwk = await issuerKey(server, header.kid);
            const res = await (await sdJwtInstance(issuerJwk)).verify(cred);
            payload = res.payload;
        });
        if (!ok) continue;
        payloads[i] = payload;
        await check(`${name}: iss, vct, iat, exp, cnf.jwk = proof key ${i + 1}`, () => {
            assertEqual(payload.iss, server.url, 'iss');
            assertEqual(payload.vct, vct, 'vct');
            assert(Math.abs(payload.iat - now()) < 600, `iat ${payload.iat} is not now`);
            assert(payload.exp > now(), `exp ${payload.exp} is past`);
            assertEqual(payload.cnf?.jwk && publicJwk(payload.cnf.jwk), holder.publicJwk, 'cnf.jwk');
            for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
                assert(!(m in payload.cnf.jwk), `cnf.jwk has private member ${m}`);
        });
        await check(`${name}: the disclosed claims are the subject`, () =>
            assertEqual(subjectClaims(payload), subject, 'claims'));
        await check(`${name}: a key-binding presentation by holder key ${i + 1} verifies`, async () => {
            const nonce = random();
            const aud = 'https://verifier.example.org';
            const sdjwt = await sdJwtInstance(issuerJwk, { holder });
            // Present the first two of the subject's selectively disclosable claims.
            const sd = new Set(cred.split('~').slice(1, -1).map(decodeJson).filter((a) => a.length === 3).map((a) => a[1]));
            const keys = Object.keys(subject).filter((k) => sd.has(k));
            const shown = keys.slice(0, 2);
            const frame = Object.fromEntries(shown.map((k) => [k, true]));
            const pres = await sdjwt.present(cred, frame, { kb: { payload: { iat: now(), aud, nonce } } });
            const res = await sdjwt.verify(pres, { keyBindingNonce: nonce, requiredClaimKeys: shown });
            assert(res.kb, 'no KB-JWT in the result');
            assertEqual(res.kb.payload.aud, aud, 'aud');
            assertEqual(res.kb.header.typ, 'kb+jwt', 'KB-JWT typ');
            for (const k of keys.slice(2)) assert(!(k in res.payload), `${k} disclosed though not presented`);
            const stranger = await newKey();
            const forged = await (await sdJwtInstance(issuerJwk, { holder: stranger }))
                .present(cred, frame, { kb: { payload: { iat: now(), aud, nonce } } });
            const accepted = await sdjwt.verify(forged, { keyBindingNonce: nonce }).then(() => true, () => false);
            assert(!accepted, 'a presentation signed by another key verifies too');
        });
    }
    const verified = payloads.filter(Boolean);
    if (verified.length === 0) return payloads;
    await check(`${label}: every credential has a status list entry of its own`, () => {
        const idxs = new Set();
        for (const p of verified) {
            const sl = p.status?.status_list;
            assert(sl && typeof sl.uri === 'string' && Number.isInteger(sl.idx), `status ${JSON.stringify(p.status)}`);
            assert(!idxs.has(`${sl.uri}#${sl.idx}`), `status index ${sl.idx} repeats in the batch`);
            idxs.add(`${sl.uri}#${sl.idx}`);
        }
    });
    await check(`${label}: the issuer serves the status list, signed, saying valid`, async () => {
        const uri = verified[0].status?.status_list?.uri;
        assert(uri, 'the credential names no status list');
        const r = await http('GET', uri);
        expectOk(r);
        assert(/^application\/statuslist\+jwt/.test(r.headers.get('content-type')),
            `Content-Type ${r.headers.get('content-type')}`);
        const cred = creds[payloads.indexOf(verified[0])];
        const jwk = await issuerKey(server, decodeJson(cred.split('.')[0]).kid);
        await (await sdJwtInstance(jwk, { realStatus: true })).verify(cred);
    });
    return payloads;
}

// gramota issues, @sd-jwt/sd-jwt-vc verifies: every credential and presentation that
// `tool_interop issue DIR` wrote, against DIR/expected.json.
//
//   node verify_sdjwt.mjs DIR
//
// Besides @sd-jwt's verdict, each credential is also taken apart here by hand
// (RFC 9901 §7.1) so that what @sd-jwt tolerates (orphan disclosures, missing
// decoys, private members in cnf.jwk, a wrong typ) is caught as well.
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { StatusList, createHeaderAndPayload } from '@sd-jwt/jwt-status-list';
import * as jose from 'jose';
import {
    ES256, assert, assertEqual, assertJson, check, decodeJson, finish, hasher,
    now, publicJwk, readJson, readText, sha256b64,
} from './lib.mjs';

const dir = process.argv[2];
if (!dir) {
    console.error('usage: node verify_sdjwt.mjs DIR');
    process.exit(2);
}

const RESERVED = ['_sd', '...', '_sd_alg'];
const NEVER_DISCLOSED = ['iss', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status'];
const ISSUER_SET = ['iss', 'iat', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status', 'sub'];

const expected = readJson(dir, 'expected.json');
const issuerJwk = readJson(dir, 'issuer.jwk');
const holderJwk = (name) => readJson(dir, name);

// ---- the Status List Token that @sd-jwt fetches (from memory, never the network) ----

const statusKeys = await jose.generateKeyPair('ES256', { extractable: true });
const statusJwk = await jose.exportJWK(statusKeys.publicKey);

// A Status List Token for `uri` with every index valid except `revoked`.
async function statusListToken(uri, revoked) {
    const size = 8192;
    const list = new StatusList(new Array(size).fill(0), 1);
    if (revoked !== undefined) list.setStatus(revoked, 1);
    const { header, payload } = createHeaderAndPayload(
        list, { iss: expected.iss, sub: uri, iat: now() }, { alg: 'ES256', typ: 'statuslist+jwt' });
    return new jose.SignJWT(payload).setProtectedHeader(header).sign(statusKeys.privateKey);
}

async function instance({ revoked, fetched = [] } = {}) {
    return new SDJwtVcInstance({
        hasher,
        hashAlg: 'sha-256',
        verifier: await ES256.getVerifier(issuerJwk),
        kbVerifier: async (data, sig, payload) => {
            assert(payload?.cnf?.jwk, 'no cnf.jwk to check the KB-JWT with');
            return (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
        },
        statusVerifier: await ES256.getVerifier(statusJwk),
        statusListFetcher: async (uri) => {
            fetched.push(uri);
            return statusListToken(uri, revoked);
        },
    });
}

// ---- an independent reading of the SD-JWT (RFC 9901 §7.1) ----

const isDigestElement = (e) =>
    e !== null && typeof e === 'object' && !Array.isArray(e) && Object.keys(e).length === 1 &&
    '...' in e;

// Replace digests by disclosures; report the paths disclosed and the decoys seen.
function processSdJwt(payload, disclosures) {
    const byDigest = new Map();
    for (const d of disclosures) {
        const arr = decodeJson(d);
        assert(Array.isArray(arr) && (arr.length === 2 || arr.length === 3),
            `disclosure ${d} is not a 2- or 3-element array`);
        assert(typeof arr[0] === 'string' && arr[0].length >= 22,
            `disclosure salt ${JSON.stringify(arr[0])} is shorter than 128 bits`);
        const dg = sha256b64(d);
        assert(!byDigest.has(dg), `disclosure ${d} appears twice`);
        byDigest.set(dg, { d, arr, used: 0 });
    }
    const paths = [];
    const sdArrays = [];
    const take = (dg, path) => {
        assert(typeof dg === 'string' && /^[A-Za-z0-9_-]{43}$/.test(dg), `bad digest at ${path}`);
        const rec = byDigest.get(dg);
        if (rec) rec.used++;
        return rec;
    };
    const walk = (v, path) => {
        if (Array.isArray(v)) {
            const out = [];
            for (const e of v) {
                if (!isDigestElement(e)) {
                    out.push(walk(e, [...path, out.length]));
                    continue;
                }
                const rec = take(e['...'], path);
                if (!rec) continue; /* a decoy */
                assert(rec.arr.length === 2, `object disclosure ${rec.d} used as an array element`);
                paths.push([...path, out.length]);
                out.push(walk(rec.arr[1], [...path, out.length]));
            }
            return out;
        }
        if (v === null || typeof v !== 'object') return v;
        const out = {};
        for (const [k, e] of Object.entries(v)) {
            if (k !== '_sd' && k !== '_sd_alg') out[k] = walk(e, [...path, k]);
        }
        if (v._sd === undefined) return out;
        assert(Array.isArray(v._sd), `_sd at ${JSON.stringify(path)} is not an array`);
        let decoys = 0;
        for (const dg of v._sd) {
            const rec = take(dg, path);
            if (!rec) {
                decoys++;
                continue;
            }
            assert(rec.arr.length === 3, `array disclosure ${rec.d} used in an _sd`);
            const [, name, value] = rec.arr;
            assert(typeof name === 'string', `disclosure ${rec.d} has a non-string name`);
            assert(!RESERVED.includes(name), `disclosure of reserved name ${name}`);
            assert(path.length > 0 || !NEVER_DISCLOSED.includes(name),
                `disclosure of ${name}, which SD-JWT VC never discloses`);
            assert(!(name in out), `disclosed ${name} collides with a plain claim`);
            paths.push([...path, name]);
            out[name] = walk(value, [...path, name]);
        }
        sdArrays.push({ path, size: v._sd.length, decoys });
        return out;
    };
    const claims = walk(payload, []);
    for (const rec of byDigest.values())
        assert(rec.used === 1, `disclosure ${rec.d} is referenced ${rec.used} times`);
    return { claims, paths, sdArrays, salts: [...byDigest.values()].map((r) => r.arr[0]) };
}

// The paths that expected.disclosable names, `null` expanded to every index.
function expandPaths(claims, disclosable) {
    const out = [];
    const expand = (v, path, rest) => {
        if (rest.length === 0) {
            out.push(path);
            return;
        }
        const [head, ...tail] = rest;
        if (head === null) {
            if (Array.isArray(v)) v.forEach((e, i) => expand(e, [...path, i], tail));
        } else if (v !== null && typeof v === 'object' && head in v) {
            expand(v[head], [...path, head], tail);
        }
    };
    for (const p of disclosable) expand(claims, [], Array.isArray(p) ? p : [p]);
    return out;
}

const pathSet = (paths) => paths.map((p) => JSON.stringify(p)).sort();

// The subject's claims: the processed payload less what the issuer sets.
function subjectClaims(processed) {
    const out = { ...processed };
    for (const k of ISSUER_SET) delete out[k];
    return out;
}

// ---- the checks ----

const seenSalts = new Set();
const seenHolders = new Set();

async function checkCredential(entry) {
    const cred = readText(dir, entry.file);
    const holder = holderJwk(entry.holder);
    const name = entry.file;
    const [jws, ...rest] = cred.split('~');
    const kb = rest.pop();
    const disclosures = rest;
    const header = decodeJson(jws.split('.')[0]);
    const payload = decodeJson(jws.split('.')[1]);
    let mine;

    await check(`${name}: ends with ~ and has no KB-JWT`, () => assertEqual(kb, '', 'after last ~'));
    await check(`${name}: @sd-jwt/sd-jwt-vc verifies it (signature, status, claims)`, async () => {
        const fetched = [];
        const res = await (await instance({ fetched })).verify(cred);
        assertEqual(fetched, [entry.status.status_list.uri], 'status list URIs fetched');
        assertJson(subjectClaims(res.payload), expected.claims, 'claims');
        assertEqual(res.payload.vct, expected.vct, 'vct');
        assertEqual(res.payload.iss, expected.iss, 'iss');
    });
    await check(`${name}: @sd-jwt reads the status index (revoked there, rejected)`, async () => {
        const idx = entry.status.status_list.idx;
        const rejected = await (await instance({ revoked: idx })).verify(cred).then(
            () => false, (e) => /status/i.test(e.message));
        assert(rejected, `marking index ${idx} revoked did not make @sd-jwt reject it`);
        await (await instance({ revoked: idx + 1 })).verify(cred); /* a neighbour: still fine */
    });
    await check(`${name}: jose verifies the issuer JWT (ES256, typ dc+sd-jwt, kid)`, async () => {
        const key = await jose.importJWK(issuerJwk, 'ES256');
        const { protectedHeader } = await jose.compactVerify(jws, key, { algorithms: ['ES256'] });
        assertEqual(protectedHeader.typ, 'dc+sd-jwt', 'typ');
        assertEqual(protectedHeader.kid, await jose.calculateJwkThumbprint(issuerJwk), 'kid');
        assertEqual(header, protectedHeader, 'header');
    });
    await check(`${name}: registered claims (iss, vct, iat, exp, _sd_alg, status)`, () => {
        assertEqual(payload.iss, expected.iss, 'iss');
        assertEqual(payload.vct, expected.vct, 'vct');
        assertEqual(payload.iat, expected.iat, 'iat');
        assertEqual(payload.exp, expected.exp, 'exp');
        assert(!('nbf' in payload), 'nbf present though none was asked for');
        assertEqual(payload._sd_alg, 'sha-256', '_sd_alg');
        assertEqual(payload.status, entry.status, 'status');
    });
    await check(`${name}: cnf.jwk is this holder's public key, without private members`, () => {
        const jwk = payload.cnf?.jwk;
        assert(jwk, 'no cnf.jwk');
        for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
            assert(!(m in jwk), `cnf.jwk has private member ${m}`);
        assertEqual(publicJwk(jwk), publicJwk(holder), 'cnf.jwk');
        assert(!seenHolders.has(jwk.x), 'cnf.jwk repeats another credential\'s key');
        seenHolders.add(jwk.x);
    });
    await check(`${name}: every disclosure is referenced once, none is orphan`, () => {
        mine = processSdJwt(payload, disclosures);
        return `${disclosures.length} disclosures`;
    });
    if (!mine) return;
    await check(`${name}: exactly the disclosable paths are disclosures`, () => {
        const want = pathSet(expandPaths(expected.claims, expected.disclosable));
        assertEqual(pathSet(mine.paths), want, 'disclosed paths');
    });
    await check(`${name}: an independent RFC 9901 §7.1 reading gives the claims`, () =>
        assertJson(subjectClaims(mine.claims), expected.claims, 'claims'));
    await check(`${name}: every _sd array has decoys`, () => {
        for (const a of mine.sdArrays)
            assert(a.decoys >= 1, `_sd at ${JSON.stringify(a.path)} has no decoy`);
        return `${mine.sdArrays.length} _sd arrays`;
    });
    await check(`${name}: salts are fresh (none shared with another credential)`, () => {
        for (const s of mine.salts) {
            assert(!seenSalts.has(s), `salt ${s} reused`);
            seenSalts.add(s);
        }
    });
}

async function checkPresentation(entry) {
    const pres = readText(dir, entry.file);
    const holder = holderJwk(entry.holder);
    const name = entry.file;
    let res;

    await check(`${name}: @sd-jwt verifies it with key binding (nonce, sd_hash)`, async () => {
        res = await (await instance()).verify(pres, { keyBindingNonce: entry.nonce });
        assert(res.kb, 'no KB-JWT in the result');
    });
    if (!res) return;
    await check(`${name}: KB-JWT header, aud, nonce, iat`, async () => {
        assertEqual(res.kb.header.typ, 'kb+jwt', 'typ');
        assertEqual(res.kb.header.alg, 'ES256', 'alg');
        assertEqual(res.kb.payload.aud, entry.aud, 'aud');
        assertEqual(res.kb.payload.nonce, entry.nonce, 'nonce');
        assert(Math.abs(res.kb.payload.iat - now()) < 300, `iat ${res.kb.payload.iat} not now`);
        const kbJwt = pres.slice(pres.lastIndexOf('~') + 1);
        await jose.compactVerify(kbJwt, await jose.importJWK(publicJwk(holder), 'ES256'));
        const sdHash = sha256b64(pres.slice(0, pres.lastIndexOf('~') + 1));
        assertEqual(res.kb.payload.sd_hash, sdHash, 'sd_hash');
    });
    await check(`${name}: the disclosed claims`, () =>
        assertJson(subjectClaims(res.payload), entry.claims, 'claims'));
    await check(`${name}: another nonce is rejected (the check above means something)`, async () => {
        const ok = await (await instance()).verify(pres, { keyBindingNonce: 'other' })
            .then(() => true, () => false);
        assert(!ok, 'accepted with the wrong nonce');
    });
}

for (const entry of expected.credentials) await checkCredential(entry);
for (const entry of expected.presentations) await checkPresentation(entry);
finish();

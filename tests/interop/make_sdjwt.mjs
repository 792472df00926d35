// @sd-jwt/sd-jwt-vc issues, gramota verifies: an independent issuer's SD-JWT VCs
// and KB presentations, good and bad, for `tool_interop verify-sdjwt`.
//
//   node make_sdjwt.mjs DIR
//
// Writes DIR/<name>.txt, the issuer's public JWKs, DIR/<name>.expected.json (for
// the ones to accept: the processed payload a verifier must find) and
// DIR/manifest.tsv, one case a line:
//   NAME <TAB> JWKFILE <TAB> AUD|- <TAB> NONCE|- <TAB> accept|reject <TAB> CODE|-
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import {
    ES256, b64url, decodeJson, generateSalt, hasher, now, publicJwk, writeJson, writeText,
} from './lib.mjs';

const dir = process.argv[2];
if (!dir) {
    console.error('usage: node make_sdjwt.mjs DIR');
    process.exit(2);
}

const AUD = 'https://verifier.example.org';
const NONCE = 'nonce-from-node-4711';
const manifest = [];

function emit(name, text, { jwk = 'node_issuer.jwk', aud, nonce, expect = 'accept', code = '-', claims } = {}) {
    writeText(dir, `${name}.txt`, text);
    if (claims) writeJson(dir, `${name}.expected.json`, claims);
    manifest.push([name, jwk, aud ?? '-', nonce ?? '-', expect, code].join('\t'));
}

const issuer = await ES256.generateKeyPair();
const holder = await ES256.generateKeyPair();
const stranger = await ES256.generateKeyPair();
writeText(dir, 'node_issuer.jwk', JSON.stringify(issuer.publicKey));
writeText(dir, 'node_stranger.jwk', JSON.stringify(publicJwk(stranger.publicKey)));

const instance = async ({ hashAlg = 'sha-256', kbKey = holder.privateKey } = {}) =>
    new SDJwtVcInstance({
        signer: await ES256.getSigner(issuer.privateKey),
        signAlg: 'ES256',
        hasher,
        hashAlg,
        saltGenerator: generateSalt,
        kbSigner: await ES256.getSigner(kbKey),
        kbSignAlg: 'ES256',
    });

const iat = now();
const payload = {
    iss: 'https://node-issuer.example',
    iat,
    exp: iat + 3600,
    vct: 'urn:example:node-pid:1',
    cnf: { jwk: publicJwk(holder.publicKey) },
    status: { status_list: { idx: 12, uri: 'https://node-issuer.example/status/7' } },
    given_name: 'Ærøskøbing',
    family_name: 'Doe',
    email: 'jd@example.com',
    address: { street_address: '123 Main St', locality: 'Anytown', region: 'Anystate', country: 'US' },
    nationalities: ['US', 'DE', 'FR'],
    degrees: [{ type: 'Bachelor', field: 'CS' }, { type: 'Master', field: 'Math' }],
    age_equal_or_over: { 18: true, 65: false },
    is_over: null,
    notes: 'tab\t quote" backslash\\ newline\n unit\u001f line\u2028 😀 \u00e9',
    measures: { height_m: 1.68, weight: 0.1, big: 9007199254740991, neg: -42, exp: 1e21, zero: 0 },
};
const frame = {
    _sd: ['given_name', 'family_name', 'email', 'address', 'nationalities', 'degrees', 'is_over', 'notes'],
    measures: { _sd: ['height_m', 'big'] },
    _sd_decoy: 3,
    address: { _sd: ['street_address', 'locality', 'region'], _sd_decoy: 2 },
    nationalities: { _sd: [0, 2], _sd_decoy: 2 },
    degrees: { _sd: [1], 0: { _sd: ['field'] }, 1: { _sd: ['type'] } },
    age_equal_or_over: { _sd: ['18', '65'] },
};

const sdjwt = await instance();
const credential = await sdjwt.issue(payload, frame);
const kb = { payload: { iat: now(), aud: AUD, nonce: NONCE } };
const allFrame = {
    given_name: true, family_name: true, email: true, is_over: true, notes: true,
    measures: { height_m: true, big: true },
    address: { street_address: true, locality: true, region: true },
    nationalities: { 0: true, 2: true },
    degrees: { 0: { field: true }, 1: { type: true } },
    age_equal_or_over: { 18: true, 65: true },
};
const someFrame = { given_name: true, address: { locality: true }, nationalities: { 2: true }, age_equal_or_over: { 18: true } };
const presentation = await sdjwt.present(credential, allFrame, { kb });
const partial = await sdjwt.present(credential, someFrame, { kb });
const partialClaims = {
    iss: payload.iss, iat, exp: payload.exp, vct: payload.vct, cnf: payload.cnf, status: payload.status,
    given_name: payload.given_name,
    address: { locality: 'Anytown', country: 'US' },
    nationalities: ['DE', 'FR'],
    age_equal_or_over: { 18: true },
    measures: { weight: 0.1, neg: -42, exp: 1e21, zero: 0 },
};

// ---- to accept ----

emit('node_credential', credential, { claims: payload });
emit('node_presentation', presentation, { aud: AUD, nonce: NONCE, claims: payload });
emit('node_presentation_partial', partial, { aud: AUD, nonce: NONCE, claims: partialClaims });

// ---- to reject ----

emit('node_wrong_nonce', presentation, { aud: AUD, nonce: 'another-nonce', expect: 'reject', code: 'BAD_CLAIM' });
emit('node_wrong_aud', presentation, { aud: 'https://other.example', nonce: NONCE, expect: 'reject', code: 'BAD_CLAIM' });
emit('node_kb_missing', credential, { aud: AUD, nonce: NONCE, expect: 'reject' });
emit('node_other_issuer_key', credential, { jwk: 'node_stranger.jwk', expect: 'reject', code: 'BAD_SIGNATURE' });
const kbByStranger = await (await instance({ kbKey: stranger.privateKey })).present(credential, allFrame, { kb });
emit('node_kb_wrong_key', kbByStranger, { aud: AUD, nonce: NONCE, expect: 'reject', code: 'BAD_SIGNATURE' });

// The KB-JWT's sd_hash covers the disclosures: one dropped after signing must be caught.
const parts = presentation.split('~');
const dropped = [...parts.slice(0, 2), ...parts.slice(3)].join('~');
emit('node_kb_disclosure_dropped', dropped, { aud: AUD, nonce: NONCE, expect: 'reject' });

// A disclosure no digest refers to, and one presented twice.
const orphan = b64url(JSON.stringify([generateSalt(16), 'extra', 'smuggled']));
emit('node_orphan_disclosure', `${credential}${orphan}~`, { expect: 'reject', code: 'ORPHAN' });
const firstDisclosure = credential.split('~')[1];
emit('node_duplicate_disclosure', `${credential}${firstDisclosure}~`, { expect: 'reject', code: 'DUPLICATE' });

// The same credential re-signed with changes @sd-jwt would not make: typ, _sd_alg, exp.
function resign(header, mutate) {
    const [jws, ...rest] = credential.split('~');
    const body = decodeJson(jws.split('.')[1]);
    mutate(body);
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(body))}`;
    const key = createPrivateKey({ key: issuer.privateKey, format: 'jwk' });
    const sig = nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return [`${input}.${b64url(sig)}`, ...rest].join('~');
}
emit('node_resigned_ok', resign({ alg: 'ES256', typ: 'dc+sd-jwt' }, () => {}), { claims: payload });
emit('node_typ_vc_legacy', resign({ alg: 'ES256', typ: 'vc+sd-jwt' }, () => {}), { expect: 'reject', code: 'BAD_TYP' });
emit('node_typ_jwt', resign({ alg: 'ES256', typ: 'JWT' }, () => {}), { expect: 'reject', code: 'BAD_TYP' });
emit('node_expired', resign({ alg: 'ES256', typ: 'dc+sd-jwt' }, (b) => { b.exp = iat - 3600; b.iat = iat - 7200; }),
    { expect: 'reject', code: 'EXPIRED' });
emit('node_not_yet_valid', resign({ alg: 'ES256', typ: 'dc+sd-jwt' }, (b) => { b.nbf = iat + 3600; }),
    { expect: 'reject', code: 'EXPIRED' });
emit('node_no_vct', resign({ alg: 'ES256', typ: 'dc+sd-jwt' }, (b) => { delete b.vct; }),
    { expect: 'reject', code: 'BAD_CLAIM' });
emit('node_sd_alg_md5', resign({ alg: 'ES256', typ: 'dc+sd-jwt' }, (b) => { b._sd_alg = 'md5'; }),
    { expect: 'reject' });

// An issuer on another digest: gramota knows only sha-256.
const sha384 = await (await instance({ hashAlg: 'sha-384' })).issue(payload, frame);
emit('node_sd_alg_sha384', sha384, { expect: 'reject' });

writeText(dir, 'manifest.tsv', manifest.join('\n') + '\n');
console.log(`# make_sdjwt: ${manifest.length} cases in ${dir}`);

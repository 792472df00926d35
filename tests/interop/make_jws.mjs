// jose signs, gramota verifies: compact JWS that `tool_interop verify-jws` must
// accept and ones it must reject.
//
//   node make_jws.mjs DIR
//
// Writes DIR/<name>.jws, DIR/<name>.jwk (the public key to verify with),
// DIR/<name>.payload (for the ones to accept: the payload bytes) and
// DIR/manifest.tsv, one case a line: NAME <TAB> accept|reject <TAB> CODE, where
// CODE is the gramota code (gr_errc_name) a rejection must carry, or "-" when
// jws.h leaves the code open.
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import * as jose from 'jose';
import { b64url, writeText } from './lib.mjs';

const dir = process.argv[2];
if (!dir) {
    console.error('usage: node make_jws.mjs DIR');
    process.exit(2);
}

const enc = new TextEncoder();
const manifest = [];

async function es256Keys() {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    return { publicKey, privateKey, jwk: await jose.exportJWK(publicKey), priv: await jose.exportJWK(privateKey) };
}

function emit(name, jws, jwk, expect, code = '-', payload = undefined) {
    writeText(dir, `${name}.jws`, jws);
    writeText(dir, `${name}.jwk`, JSON.stringify(jwk));
    if (payload !== undefined) writeText(dir, `${name}.payload`, payload);
    manifest.push([name, expect, code].join('\t'));
}

async function joseSign(header, payload, key) {
    return new jose.CompactSign(enc.encode(payload)).setProtectedHeader(header).sign(key);
}

// A JWS put together by hand: any header bytes, any payload bytes, signed with node:crypto.
function handSign(headerText, payloadText, privJwk, { der = false } = {}) {
    const input = `${b64url(headerText)}.${b64url(payloadText)}`;
    const key = createPrivateKey({ key: privJwk, format: 'jwk' });
    const sig = nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: der ? 'der' : 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
}

const replacePart = (jws, i, part) => jws.split('.').map((p, j) => (j === i ? part : p)).join('.');

const a = await es256Keys();
const b = await es256Keys();
const payload = JSON.stringify({ iss: 'https://jose.example', sub: 'interop', n: 1 });

// ---- to accept ----

emit('plain', await joseSign({ alg: 'ES256' }, payload, a.privateKey), a.jwk, 'accept', '-', payload);
emit('typ_kid', await joseSign({ alg: 'ES256', typ: 'openid4vci-proof+jwt', kid: 'k-1' }, payload,
    a.privateKey), a.jwk, 'accept', '-', payload);
emit('header_jwk', await joseSign({ alg: 'ES256', typ: 'dpop+jwt', jwk: a.jwk }, payload, a.privateKey),
    a.jwk, 'accept', '-', payload);
const unicode = JSON.stringify({ name: 'Zoë Ñandú 😀 Ελληνικά', esc: 'tab\there "q" \\', deep: { a: [1, 2.5, { b: null }], t: true } });
emit('unicode_payload', await joseSign({ alg: 'ES256' }, unicode, a.privateKey), a.jwk, 'accept', '-', unicode);
const big = JSON.stringify({ blob: 'x'.repeat(6000) });
emit('large_payload', await joseSign({ alg: 'ES256' }, big, a.privateKey), a.jwk, 'accept', '-', big);
emit('jwk_extra_members', await joseSign({ alg: 'ES256' }, payload, a.privateKey),
    { ...a.jwk, kid: 'issuer-1', use: 'sig', alg: 'ES256', key_ops: ['verify'] }, 'accept', '-', payload);

// R or S with a leading zero byte: the R || S to DER conversion must keep the bytes right.
async function leadingZero(offset) {
    for (let i = 0; i < 20000; i++) {
        const p = JSON.stringify({ try: i });
        const jws = await joseSign({ alg: 'ES256' }, p, a.privateKey);
        if (Buffer.from(jws.split('.')[2], 'base64url')[offset] === 0) return [jws, p];
    }
    throw new Error('no signature with a leading zero byte in 20000 tries');
}
for (const [name, offset] of [['r_leading_zero', 0], ['s_leading_zero', 32]]) {
    const [jws, p] = await leadingZero(offset);
    emit(name, jws, a.jwk, 'accept', '-', p);
}

// ---- to reject ----

const good = await joseSign({ alg: 'ES256' }, payload, a.privateKey);
emit('tampered_payload', replacePart(good, 1, b64url(JSON.stringify({ iss: 'https://jose.example', sub: 'admin', n: 1 }))),
    a.jwk, 'reject', 'BAD_SIGNATURE');
const sig = Buffer.from(good.split('.')[2], 'base64url');
sig[10] ^= 0x01;
emit('tampered_signature', replacePart(good, 2, b64url(sig)), a.jwk, 'reject', 'BAD_SIGNATURE');
emit('tampered_header', replacePart(good, 0, b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }))),
    a.jwk, 'reject', 'BAD_SIGNATURE');
emit('other_key', await joseSign({ alg: 'ES256' }, payload, b.privateKey), a.jwk, 'reject', 'BAD_SIGNATURE');
emit('header_jwk_other_key', await joseSign({ alg: 'ES256', jwk: b.jwk }, payload, b.privateKey),
    a.jwk, 'reject', 'BAD_SIGNATURE');

// The classic confusion: HMAC keyed with the verifier's public key, in the forms it is published.
const spki = await jose.exportSPKI(a.publicKey);
emit('hs256_public_pem', await joseSign({ alg: 'HS256' }, payload, enc.encode(spki)), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('hs256_public_jwk', await joseSign({ alg: 'HS256' }, payload, enc.encode(JSON.stringify(a.jwk))),
    a.jwk, 'reject', 'UNSUPPORTED_ALG');

// alg none, by hand: jose will not make one.
const noneInput = `${b64url('{"alg":"none"}')}.${b64url(payload)}`;
emit('alg_none', `${noneInput}.`, a.jwk, 'reject', 'UNSUPPORTED_ALG'); /* the header is judged before the empty signature */
emit('alg_none_with_sig', replacePart(good, 0, b64url('{"alg":"none"}')), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('alg_None_case', handSign('{"alg":"None"}', payload, a.priv), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('alg_missing', handSign('{"typ":"JWT"}', payload, a.priv), a.jwk, 'reject', '-');

// Other algorithms jose makes readily.
const p384 = await jose.generateKeyPair('ES384', { extractable: true });
emit('es384', await joseSign({ alg: 'ES384' }, payload, p384.privateKey), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('p384_verification_key', good, await jose.exportJWK(p384.publicKey), 'reject', 'BAD_KEY');
emit('es384_header_on_es256_sig', handSign('{"alg":"ES384"}', payload, a.priv), a.jwk, 'reject', 'UNSUPPORTED_ALG');
const ed = await jose.generateKeyPair('EdDSA', { extractable: true });
emit('eddsa', await joseSign({ alg: 'EdDSA' }, payload, ed.privateKey), a.jwk, 'reject', 'UNSUPPORTED_ALG');

// Structure that RFC 7515 or jws.h rules out.
emit('crit_b64', handSign('{"alg":"ES256","b64":false,"crit":["b64"]}', payload, a.priv), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('crit_unknown', handSign('{"alg":"ES256","crit":["exp"],"exp":1}', payload, a.priv), a.jwk, 'reject', 'UNSUPPORTED_ALG');
emit('der_signature', handSign('{"alg":"ES256"}', payload, a.priv, { der: true }), a.jwk, 'reject', 'MALFORMED');
emit('duplicate_header_member', handSign('{"alg":"ES256","alg":"ES256"}', payload, a.priv), a.jwk, 'reject', 'MALFORMED');
emit('payload_not_object', await joseSign({ alg: 'ES256' }, 'hello', a.privateKey), a.jwk, 'reject', 'MALFORMED');
emit('payload_array', await joseSign({ alg: 'ES256' }, '[1,2]', a.privateKey), a.jwk, 'reject', 'MALFORMED');
emit('header_not_json', handSign('{"alg":"ES256"', payload, a.priv), a.jwk, 'reject', 'MALFORMED');
emit('header_jwk_private', handSign(JSON.stringify({ alg: 'ES256', jwk: a.priv }), payload, a.priv),
    a.jwk, 'reject', 'BAD_KEY');
emit('base64_padding', good.split('.').map((p) => p + '='.repeat((4 - (p.length % 4)) % 4)).join('.'),
    a.jwk, 'reject', 'MALFORMED');
emit('base64_std_alphabet', (() => {
    /* a payload whose encoding has - or _, rewritten to + and / */
    for (let i = 0; ; i++) {
        const p = JSON.stringify({ v: '~~~?>>>', i });
        const part = b64url(p);
        if (/[-_]/.test(part)) {
            const jws = handSign('{"alg":"ES256"}', p, a.priv);
            return jws.replace(/-/g, '+').replace(/_/g, '/');
        }
    }
})(), a.jwk, 'reject', 'MALFORMED');
emit('four_parts', `${good}.${good.split('.')[2]}`, a.jwk, 'reject', 'MALFORMED');
emit('two_parts', good.split('.').slice(0, 2).join('.'), a.jwk, 'reject', 'MALFORMED');
emit('json_serialization', JSON.stringify(await new jose.FlattenedSign(enc.encode(payload))
    .setProtectedHeader({ alg: 'ES256' }).sign(a.privateKey)), a.jwk, 'reject', 'MALFORMED');

writeText(dir, 'manifest.tsv', manifest.join('\n') + '\n');
console.log(`# make_jws: ${manifest.length} cases in ${dir}`);

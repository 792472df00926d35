// What the interop scripts share: a TAP-ish reporter, file and base64url
// helpers, and the crypto callbacks @sd-jwt wants.
//
// Each check prints "ok - NAME" or "not ok - NAME: WHY"; test_interop.sh numbers
// and counts them. A script exits 1 when any of its checks failed.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';

let failed = 0;

export async function check(name, fn) {
    try {
        const note = await fn();
        console.log(`ok - ${name}${note ? ` (${note})` : ''}`);
    } catch (e) {
        failed++;
        const why = String(e?.message ?? e).replace(/\s+/g, ' ');
        console.log(`not ok - ${name}: ${why}`);
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

// Name the first place where two JSON values differ (for readable failures).
export function jsonDiff(got, want, path = '$') {
    if (isDeepStrictEqual(got, want)) return null;
    const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObj(got) && isObj(want)) {
        for (const k of new Set([...Object.keys(got), ...Object.keys(want)])) {
            if (!(k in got)) return `${path}.${k} missing`;
            if (!(k in want)) return `${path}.${k} unexpected (${JSON.stringify(got[k])})`;
            const d = jsonDiff(got[k], want[k], `${path}.${k}`);
            if (d) return d;
        }
    }
    if (Array.isArray(got) && Array.isArray(want) && got.length === want.length) {
        for (let i = 0; i < got.length; i++) {
            const d = jsonDiff(got[i], want[i], `${path}[${i}]`);
            if (d) return d;
        }
    }
    return `${path}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
}

export function assertJson(got, want, what) {
    const d = jsonDiff(got, want);
    if (d) throw new Error(`${what}: ${d}`);
}

export const readText = (dir, name) => readFileSync(join(dir, name), 'utf8').trim();
export const readJson = (dir, name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
export const writeText = (dir, name, text) => writeFileSync(join(dir, name), text);
export const writeJson = (dir, name, v) => writeFileSync(join(dir, name), JSON.stringify(v, null, 2));

export const hasher = (data, alg) => digest(data, alg);
export { ES256, generateSalt };

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const sha256b64 = (ascii) => b64url(createHash('sha256').update(ascii, 'ascii').digest());
export const decodeJson = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
export const publicJwk = ({ kty, crv, x, y }) => ({ kty, crv, x, y });
export const now = () => Math.floor(Date.now() / 1000);

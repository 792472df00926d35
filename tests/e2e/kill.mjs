// Faults under load (test_faults.sh): complete pre-authorized flows, many at
// once, against processes that are killed or lose their PostgreSQL or Redis.
//
//   node kill.mjs run OUT       flows against GR_LOAD_TARGET until it stops
//                               answering (SIGKILLed by the shell) or each worker
//                               made GR_LOAD_FLOWS; every flow's outcome in OUT
//                               (JSON), a line "progress N" per completed flow
//   node kill.mjs check OUT     against GR_ISSUER (alive): every credential the
//                               flows of OUT received has its record, with the same
//                               status entry; every code granted a token is refused
//                               now; no status entry is given twice
//   node kill.mjs outage WHAT   flows against GR_ISSUER while WHAT (redis | pg) is
//                               stopped and started again by the shell commands
//                               GR_OUTAGE_STOP and GR_OUTAGE_START
//
// Every request names GR_ISSUER in its proofs (htu, aud), wherever it is sent.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import {
    check, finish, assert, assertEqual, env, http, said, form, newKey, dpopProof, keyProof,
    pidOffer, preAuth, decodeJson, PID,
} from './lib.mjs';

const ISSUER = env('GR_ISSUER');
const API_KEY = env('GR_API_KEY');
const TOKEN = `${ISSUER}/oid4vci/token`;
const CREDENTIAL = `${ISSUER}/oid4vci/credential`;
const WORKERS = Number(process.env.GR_LOAD_WORKERS ?? 8);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A token request for CODE at TARGET with a fresh DPoP key; { r, dpopKey }.
async function token(target, code, dpopKey) {
    dpopKey ??= await newKey();
    const r = await http('POST', `${target}/oid4vci/token`, {
        headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            DPoP: await dpopProof(dpopKey, 'POST', TOKEN),
        },
        body: form(preAuth(code)),
    });
    return { r, dpopKey };
}

// A credential request at TARGET for N fresh holder keys; c_nonce from TARGET too.
async function credential(target, tok, dpopKey, n) {
    const nr = await http('POST', `${target}/oid4vci/nonce`);
    if (nr.status !== 200) return nr;
    const jwt = [];
    for (let i = 0; i < n; i++) jwt.push(await keyProof(await newKey(), ISSUER, nr.json.c_nonce));
    return http('POST', `${target}/oid4vci/credential`, {
        headers: {
            'Content-Type': 'application/json',
            Authorization: `DPoP ${tok}`,
            DPoP: await dpopProof(dpopKey, 'POST', CREDENTIAL, { accessToken: tok }),
        },
        body: JSON.stringify({ credential_configuration_id: PID, proofs: { jwt } }),
    });
}

const statusOf = (cred) => decodeJson(cred.split('~')[0].split('.')[1]).status?.status_list;

/*
 * One complete flow against TARGET, its outcome in REC: offerId and code once
 * the offer is made, tokenSent/granted, credentials [{uri, idx}] received,
 * `cut` (the phase a network error ended it in) or `refused` ("phase status error").
 */
async function flow(target, rec, n) {
    let phase = 'offer';
    try {
        const offer = await pidOffer({ url: target, apiKey: API_KEY });
        Object.assign(rec, { offerId: offer.offerId, code: offer.preAuthCode });
        phase = 'token';
        rec.tokenSent = true;
        const { r, dpopKey } = await token(target, offer.preAuthCode);
        if (r.status !== 200) return (rec.refused = `token ${said(r)}`), false;
        rec.granted = true;
        rec.token = r.json.access_token;
        phase = 'credential';
        const c = await credential(target, r.json.access_token, dpopKey, n);
        if (c.status !== 200) return (rec.refused = `credential ${said(c)}`), false;
        rec.credentials = c.json.credentials.map(({ credential: cred }) => statusOf(cred));
        return true;
    } catch (e) {
        if (phase === 'offer' && /^making an offer/.test(e.message)) rec.refused = e.message;
        else rec.cut = `${phase}: ${e.cause?.code ?? e.message}`;
        return false;
    }
}

/*
 * WORKERS workers making flows against TARGET until stop() says so, each
 * after at most PER flows; a worker whose flow was cut by a network error
 * stops when `untilDead`. Batches of 2 to 4. Returns the records so far,
 * and fills them as it goes.
 */
function load(target, { per = Infinity, untilDead = false, stop = () => false, onDone = () => {} }) {
    const records = [];
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
        for (let i = 0; i < per && !stop(); i++) {
            const rec = { worker: w, n: 2 + ((w + i) % 3) };
            records.push(rec);
            if (await flow(target, rec, rec.n)) onDone(rec);
            else if (rec.cut && untilDead) break;
            else if (!rec.credentials) await sleep(20); // an outage: no busy loop
        }
    });
    return { records, done: Promise.all(workers) };
}

const admin = (path) => http('GET', `${ISSUER}${path}`, { headers: { Authorization: `Bearer ${API_KEY}` } });

// Every received credential of RECORDS has its record at the issuer, same status entry.
async function recordsKept(label, records) {
    const received = records.filter((r) => r.credentials?.length);
    await check(`${label}: each of the ${received.length} completed flows' credentials has its record, same status entry`, async () => {
        assert(received.length > 0, 'no flow completed');
        let total = 0;
        for (const rec of received) {
            const r = await admin(`/v1/credentials?offerId=${encodeURIComponent(rec.offerId)}&limit=200`);
            assert(r.status === 200, `GET /v1/credentials?offerId=${rec.offerId}: ${said(r)}`);
            const listed = r.json.credentials;
            assert(listed.length >= rec.credentials.length,
                `offer ${rec.offerId}: the client received ${rec.credentials.length}, ${listed.length} recorded`);
            const entries = new Set(listed.map((c) => `${c.statusList?.uri}#${c.statusList?.idx}`));
            for (const s of rec.credentials)
                assert(entries.has(`${s.uri}#${s.idx}`),
                    `offer ${rec.offerId}: no record with the received status entry ${s.uri}#${s.idx}`);
            total += rec.credentials.length;
        }
        return `${total} credentials`;
    });
}

// All the credentials the organization holds, every page.
async function allCredentials() {
    const all = [];
    let cursor = null;
    do {
        const r = await admin(`/v1/credentials?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert(r.status === 200, `GET /v1/credentials: ${said(r)}`);
        all.push(...r.json.credentials);
        cursor = r.json.nextCursor;
    } while (cursor);
    return all;
}

const [mode, arg] = process.argv.slice(2);

if (mode === 'run') {
    const target = env('GR_LOAD_TARGET');
    let completed = 0;
    const { records, done } = load(target, {
        per: Number(process.env.GR_LOAD_FLOWS ?? 50),
        untilDead: true,
        onDone: () => console.log(`progress ${++completed}`),
    });
    await done;
    writeFileSync(arg, JSON.stringify(records));
    const cut = records.filter((r) => r.cut).length;
    console.log(`${records.length} flows: ${completed} completed, ${cut} cut, ` +
        `${records.filter((r) => r.refused).length} refused`);
} else if (mode === 'check') {
    const records = JSON.parse(readFileSync(arg, 'utf8'));
    const cut = records.filter((r) => r.cut);
    await check('SIGKILL: some flows completed before the kill, some were cut by it', () => {
        const completed = records.filter((r) => r.credentials).length;
        assert(completed > 0 && cut.length > 0, `${completed} completed, ${cut.length} cut`);
        return `${completed} completed, ${cut.length} cut: ${[...new Set(cut.map((r) => r.cut.replace(/:.*/, '')))].join(', ')}`;
    });
    await check('SIGKILL: no flow was refused before the kill', () => {
        const refused = records.filter((r) => r.refused);
        assertEqual(refused.map((r) => r.refused), [], 'refusals');
    });
    await recordsKept('SIGKILL', records);
    await check('SIGKILL: every code granted a token is refused now (invalid_grant), on the surviving process', async () => {
        const granted = records.filter((r) => r.granted);
        assert(granted.length > 0, 'no token granted');
        for (const rec of granted) {
            const { r } = await token(ISSUER, rec.code);
            assert(r.status === 400 && r.json?.error === 'invalid_grant',
                `offer ${rec.offerId}: a second token request answered ${said(r)}`);
        }
        return `${granted.length} codes`;
    });
    await check('SIGKILL: a code whose token request the kill cut is granted at most once more', async () => {
        const open = cut.filter((r) => r.cut.startsWith('token'));
        let again = 0;
        for (const rec of open) {
            const first = await token(ISSUER, rec.code);
            const second = await token(ISSUER, rec.code);
            assert(first.r.status === 200 || (first.r.status === 400 && first.r.json?.error === 'invalid_grant'),
                `offer ${rec.offerId}: ${said(first.r)}`);
            assert(second.r.status === 400 && second.r.json?.error === 'invalid_grant',
                `offer ${rec.offerId}: then ${said(second.r)}`);
            if (first.r.status === 200) again++;
        }
        return `${open.length} cut at the token request, ${again} of them not redeemed before the kill`;
    });
    await check('SIGKILL: no status list entry is given to two credentials', async () => {
        const all = await allCredentials();
        const seen = new Set();
        for (const c of all) {
            const where = `${c.statusList?.uri}#${c.statusList?.idx}`;
            assert(!seen.has(where), `${where} twice`);
            seen.add(where);
        }
        return `${all.length} credentials`;
    });
} else if (mode === 'outage') {
    const what = arg;
    const run = (cmd) => execSync(cmd, { shell: '/bin/bash', stdio: ['ignore', 'ignore', 'inherit'] });
    const timed = async (fn) => {
        const t0 = Date.now();
        const r = await fn();
        return { r, ms: Date.now() - t0 };
    };
    let completed = 0;
    let stopping = false;
    const { records, done } = load(ISSUER, { stop: () => stopping, onDone: () => completed++ });
    // Made while all is up: an offer to redeem during the outage, and a token to use.
    const probe = await pidOffer({ url: ISSUER, apiKey: API_KEY });
    const before = await token(ISSUER, (await pidOffer({ url: ISSUER, apiKey: API_KEY })).preAuthCode);
    for (let i = 0; i < 600 && completed < 5; i++) await sleep(10);
    const upBefore = completed;
    run(env('GR_OUTAGE_STOP'));
    const downAt = completed;
    await check(`${what} away: a DPoP token request is refused 503 temporarily_unavailable within 2 s, not granted`, async () => {
        const { r, ms } = await timed(async () => (await token(ISSUER, probe.preAuthCode)).r);
        assert(r.status !== 200, 'granted a token (the replay check failed open)');
        assert(r.status === 503 && r.json?.error === 'temporarily_unavailable', `got ${said(r)} after ${ms} ms`);
        assert(ms < 2000, `after ${ms} ms`);
        return `${ms} ms, ${upBefore} flows completed before`;
    });
    await check(`${what} away: a credential request with a token granted before is refused 503 within 2 s`, async () => {
        assert(before.r.status === 200, `the token request before: ${said(before.r)}`);
        const { r, ms } = await timed(() => credential(ISSUER, before.r.json.access_token, before.dpopKey, 1));
        assert(r.status === 503 && r.json?.error === 'temporarily_unavailable', `got ${said(r)} after ${ms} ms`);
        assert(ms < 2000, `after ${ms} ms`);
        return `${ms} ms`;
    });
    await check(`${what} away: /readyz 503 temporarily_unavailable, /healthz 200`, async () => {
        const { r, ms } = await timed(() => http('GET', `${ISSUER}/readyz`));
        assert(r.status === 503 && r.json?.error === 'temporarily_unavailable', `/readyz: ${said(r)} after ${ms} ms`);
        assert(ms < 2000, `/readyz after ${ms} ms`);
        const h = await http('GET', `${ISSUER}/healthz`);
        assert(h.status === 200, `/healthz: ${said(h)}`);
        return `/readyz in ${ms} ms`;
    });
    await sleep(300); // the load meets the outage for a while
    run(env('GR_OUTAGE_START'));
    const upAt = Date.now();
    await check(`${what} back: /readyz is 200 again by itself`, async () => {
        let r;
        while ((r = await http('GET', `${ISSUER}/readyz`)).status !== 200 && Date.now() - upAt < 15000) await sleep(50);
        assert(r.status === 200, `still ${said(r)} after ${Date.now() - upAt} ms`);
        return `${Date.now() - upAt} ms after the start`;
    });
    // Pooled connections broken by the outage each fail once (503) when next
    // used, /readyz having used another: a few refusals right after it says
    // ready are expected, and counted; then flows must succeed, within 5 s.
    await check(`${what} back: three complete flows in a row succeed within 5 s, no restart of gramota`, async () => {
        const failures = [];
        const readyAt = Date.now();
        for (let row = 0; row < 3;) {
            const rec = {};
            if (await flow(ISSUER, rec, 2)) row++;
            else row = 0, failures.push(rec.refused ?? rec.cut);
            assert(row === 3 || Date.now() - readyAt < 5000,
                `${failures.length} flows failed after /readyz said ready, the last: ${failures.at(-1)}`);
        }
        return `${failures.length} refused first${failures.length ? `: ${[...new Set(failures)].join('; ')}` : ''}`;
    });
    await check(`${what} back: the code refused during the outage was not spent by it`, async () => {
        const { r } = await token(ISSUER, probe.preAuthCode);
        assert(r.status === 200, `got ${said(r)}`);
    });
    stopping = true;
    await done;
    await check(`${what}: flows completed during the test after the outage`, () => {
        assert(completed > downAt, `${completed} completed, ${downAt} when it stopped`);
        const errors = {};
        for (const r of records.filter((x) => x.refused || x.cut)) {
            const e = (r.refused ?? `cut ${r.cut}`).replace(/ [A-Z][^]*$/, '');
            errors[e] = (errors[e] ?? 0) + 1;
        }
        return `${records.length} flows, ${completed} completed; failed: ${JSON.stringify(errors)}`;
    });
    await recordsKept(`${what} outage`, records);
} else {
    console.error('usage: node kill.mjs run OUT | check OUT | outage redis|pg');
    process.exit(2);
}
finish();

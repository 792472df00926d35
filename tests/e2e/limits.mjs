// Rate limits (test_e2e.sh server "limits": --offer-rate 60 --offer-burst 3
// --guess-rate 60 --guess-burst 3, so a bucket holds 3 and gains one a second;
// organization "own" has its own limit of 300 a minute, 2 at once).
//
// Offers: each organization spends from its own bucket; past it, 429
// rate_limited with Retry-After; it refills. Token endpoint: only failed
// requests spend, per client address and per code; a spent bucket refuses even
// a right code, which stays unspent and works once the bucket refills.
import { request } from 'node:http';
import {
    check, finish, assert, assertEqual, env, servers, http, expectError, expectOk, pidOffer,
    pidSubject, preAuth, form, random, PID_VCT,
} from './lib.mjs';

const main = servers.main;
const own = { url: main.url, apiKey: env('GR_API_KEY2') };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// An offer request's answer (pidOffer throws on anything but 201).
async function tryOffer(server) {
    try {
        await pidOffer(server);
        return { status: 201 };
    } catch (e) {
        const m = /making an offer: (\d+) (\S*)/.exec(e.message);
        return { status: m ? Number(m[1]) : 0, error: m?.[2], message: e.message };
    }
}

// A token request sent from local address FROM (any 127.x.y.z reaches a loopback listener).
function tokenFrom(from, params) {
    const url = new URL(`${main.url}/oid4vci/token`);
    const body = form(params);
    return new Promise((resolve, reject) => {
        const req = request({
            host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json;
                try { json = JSON.parse(text); } catch { json = undefined; }
                resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json });
            });
        });
        req.on('error', reject);
        req.end(body);
    });
}

function expectLimited(r) {
    expectError(r, 429, 'rate_limited');
    const after = r.headers.get('retry-after');
    assert(/^[1-9][0-9]*$/.test(after ?? ''), `Retry-After: ${after}`);
    assert(Number(after) <= 1, `Retry-After ${after} s, but one comes back every second`);
}

await check('offers: three at once pass, the fourth is 429 rate_limited with Retry-After', async () => {
    for (let i = 0; i < 3; i++) assertEqual((await tryOffer(main)).status, 201, `offer ${i + 1}`);
    const r = await tryOffer(main);
    assertEqual([r.status, r.error], [429, 'rate_limited'], 'the fourth');
});

await check('offers: the refusal carries Retry-After in whole seconds and a JSON error', async () => {
    const r = await http('POST', `${main.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${main.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: pidSubject(), vct: PID_VCT }),
    });
    expectLimited(r);
});

// Spends nothing: the next check finds "own"'s bucket full.
await check('offers: a malformed request is refused as such', async () => {
    const r = await http('POST', `${main.url}/v1/credential-offers`, {
        headers: { Authorization: `Bearer ${own.apiKey}`, 'Content-Type': 'application/json' },
        body: '{"subject":',
    });
    expectError(r, 400, 'invalid_request');
});

await check('offers: another organization has its own bucket, at its own limit', async () => {
    for (let i = 0; i < 2; i++) assertEqual((await tryOffer(own)).status, 201, `offer ${i + 1}`);
    assertEqual((await tryOffer(own)).status, 429, 'its third');
    await sleep(250); // 300 a minute: one every 200 ms
    assertEqual((await tryOffer(own)).status, 201, 'after 250 ms');
});

await check('offers: the bucket refills at its rate, one a second', async () => {
    await sleep(1100);
    assertEqual((await tryOffer(main)).status, 201, 'after a second');
    assertEqual((await tryOffer(main)).status, 429, 'right after');
});

// Offers for the token checks, made by "own" (200 ms per offer).
const offers = [];
for (let i = 0; i < 3; i++) {
    await sleep(250);
    offers.push(await pidOffer(own, i === 2 ? { txCode: true } : {}));
}

await check('token: wrong codes from one address: three are invalid_grant, then 429', async () => {
    for (let i = 0; i < 3; i++)
        expectError(await tokenFrom('127.0.0.2', preAuth(random(32))), 400, 'invalid_grant');
    expectLimited(await tokenFrom('127.0.0.2', preAuth(random(32))));
});

await check('token: that address is refused even a right code, which stays unspent', async () => {
    expectLimited(await tokenFrom('127.0.0.2', preAuth(offers[0].preAuthCode)));
    // Another address is not limited: the code works there, so it was not spent.
    expectOk(await tokenFrom('127.0.0.3', preAuth(offers[0].preAuthCode)));
});

await check('token: the address bucket refills, and a right code spends nothing of it', async () => {
    await sleep(1100);
    expectOk(await tokenFrom('127.0.0.2', preAuth(offers[1].preAuthCode)));
    expectError(await tokenFrom('127.0.0.2', preAuth(random(32))), 400, 'invalid_grant');
    expectLimited(await tokenFrom('127.0.0.2', preAuth(random(32))));
});

await check('token: wrong transaction codes spend the code\'s own bucket, whatever the address', async () => {
    const o = offers[2];
    const wrong = o.txCode === '000000' ? '111111' : '000000';
    for (const from of ['127.0.0.4', '127.0.0.5', '127.0.0.6'])
        expectError(await tokenFrom(from, preAuth(o.preAuthCode, wrong)), 400, 'invalid_grant');
    expectLimited(await tokenFrom('127.0.0.7', preAuth(o.preAuthCode, o.txCode)));
    await sleep(1100);
    expectOk(await tokenFrom('127.0.0.7', preAuth(o.preAuthCode, o.txCode)));
});

finish();

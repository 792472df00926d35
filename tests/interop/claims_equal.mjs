// Compare the claims gramota printed with the ones expected.
//
//   node claims_equal.mjs EXPECTED.json GOT.json
//
// Exit 0 when they are the same JSON (member order aside), else 1 with the first
// difference on stdout.
import { readFileSync } from 'node:fs';
import { jsonDiff } from './lib.mjs';

const [want, got] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const d = jsonDiff(got, want);
if (d) {
    console.log(d);
    process.exitCode = 1;
}

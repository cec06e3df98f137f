// npm run bench, third part: the bytecode an app carries. Two apps built as
// a user ships them (`mcconfig -m -p lin -t build`, release: no debugging
// information), each into build/bytecode/out: an MQTT 3.1.1 app with TLS on
// the library (tests/bench/bytecode/library), and one on the SDK's own
// ECMA-419 client (tests/bench/bytecode/sdk-client). mcconfig compiles each
// module to its .xsb under <out>/tmp/lin/mc/release/<app>/modules/, by its
// specifier: the library's are modules/mqtt.xsb and modules/mqtt/*.xsb, the
// SDK client's modules/~.embedded/network/mqtt/client.xsb. Merged into
// bench-results.json under "bytecode"; prints the README's table.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../sim/sdk.js';

const RESULTS = 'bench-results.json';
const run = promisify(execFile);
const mcconfig = path.join(process.env.MODDABLE ?? '', 'build/bin/lin/release/mcconfig');
if (!process.env.MODDABLE || !existsSync(mcconfig)) {
  console.log(`bytecode measurement skipped: no mcconfig at ${mcconfig} (MODDABLE must point at a built SDK)`);
  process.exit(0);
}
const out = path.join(projectRoot, 'build', 'bytecode');
mkdirSync(out, { recursive: true });

/** Builds app `name` (tests/bench/bytecode/NAME) in release; its modules folder. */
async function build(name) {
  const env = { ...process.env, PATH: [path.join(projectRoot, 'node_modules/.bin'), path.dirname(mcconfig), process.env.PATH].join(path.delimiter) };
  try {
    await run(mcconfig, ['-m', '-p', 'lin', '-t', 'build', '-o', out], { cwd: path.join(projectRoot, 'tests/bench/bytecode', name), env, maxBuffer: 64 << 20 });
  }
  catch (error) {
    throw new Error(`mcconfig failed for ${name}:\n${`${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')}`);
  }
  return path.join(out, 'tmp/lin/mc/release', name, 'modules');
}

const size = file => statSync(file).size;
const library = await build('library');
const modules = { mqtt: size(path.join(library, 'mqtt.xsb')) };
for (const file of readdirSync(path.join(library, 'mqtt')).filter(file => file.endsWith('.xsb')).sort())
  modules[`mqtt/${file.slice(0, -4)}`] = size(path.join(library, 'mqtt', file));
const total = Object.values(modules).reduce((sum, bytes) => sum + bytes, 0);
const sdkClient = size(path.join(await build('sdk-client'), '~.embedded/network/mqtt/client.xsb'));
const results = { date: new Date().toISOString(), modules, total, sdkClient };

const merged = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
merged.bytecode = results;
writeFileSync(RESULTS, JSON.stringify(merged, null, 2) + '\n');

const kb = bytes => (bytes / 1000).toFixed(1);
console.log(`| bytecode, measured ${results.date.slice(0, 10)} (mcconfig release build, .xsb bytes) | bytes |`);
console.log('|---|---|');
for (const [name, bytes] of Object.entries(modules).sort((a, b) => b[1] - a[1]))
  console.log(`| ${name} | ${bytes.toLocaleString('en')} |`);
console.log(`| the library, an MQTT 3.1.1 app with TLS: all of modules/mqtt | ${total.toLocaleString('en')} (${kb(total)} KB) |`);
console.log(`| the SDK's ECMA-419 client (embedded:network/mqtt/client) | ${sdkClient.toLocaleString('en')} (${kb(sdkClient)} KB) |`);

// npm run bench, third part: the bytecode an app carries. Three apps built as
// a user ships them (`mcconfig -m -p lin -t build`, release: no debugging
// information), each into build/bytecode/out: an MQTT 3.1.1 app with TLS on
// the library (tests/bench/bytecode/library), the same app under MQTT 5
// (tests/bench/bytecode/library-mqtt5: the 3.1.1 modules and mqtt/v5/*),
// and one on the SDK's own ECMA-419 client (tests/bench/bytecode/sdk-client). mcconfig compiles each
// module to its .xsb under <out>/tmp/lin/mc/release/<app>/modules/, by its
// specifier: the library's are modules/mqtt.xsb and modules/mqtt/**/*.xsb, the
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

/** The library's modules in an app's modules folder, by specifier (mqtt, mqtt/..., mqtt/v5/...): .xsb bytes, and their total. */
function libraryModules(folder) {
  const modules = { mqtt: size(path.join(folder, 'mqtt.xsb')) };
  const walk = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory())
        walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith('.xsb'))
        modules[`${prefix}${entry.name.slice(0, -4)}`] = size(path.join(dir, entry.name));
    }
  };
  walk(path.join(folder, 'mqtt'), 'mqtt/');
  return { modules, total: Object.values(modules).reduce((sum, bytes) => sum + bytes, 0) };
}

const { modules, total } = libraryModules(await build('library'));
const mqtt5 = libraryModules(await build('library-mqtt5'));
const sdkClient = size(path.join(await build('sdk-client'), '~.embedded/network/mqtt/client.xsb'));
const results = { date: new Date().toISOString(), modules, total, mqtt5, sdkClient };

const merged = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
merged.bytecode = results;
writeFileSync(RESULTS, JSON.stringify(merged, null, 2) + '\n');

const kb = bytes => (bytes / 1000).toFixed(1);
console.log(`| bytecode, measured ${results.date.slice(0, 10)} (mcconfig release build, .xsb bytes) | bytes |`);
console.log('|---|---|');
for (const [name, bytes] of Object.entries(modules).sort((a, b) => b[1] - a[1]))
  console.log(`| ${name} | ${bytes.toLocaleString('en')} |`);
console.log(`| the library, an MQTT 3.1.1 app with TLS: all of modules/mqtt | ${total.toLocaleString('en')} (${kb(total)} KB) |`);
for (const [name, bytes] of Object.entries(mqtt5.modules).filter(([name]) => name.startsWith('mqtt/v5/')).sort((a, b) => b[1] - a[1]))
  console.log(`| ${name} (MQTT 5 app only) | ${bytes.toLocaleString('en')} |`);
console.log(`| the library, the same app under MQTT 5 (manifest_mqtt5.json): all of modules/mqtt | ${mqtt5.total.toLocaleString('en')} (${kb(mqtt5.total)} KB) |`);
console.log(`| the SDK's ECMA-419 client (embedded:network/mqtt/client) | ${sdkClient.toLocaleString('en')} (${kb(sdkClient)} KB) |`);

// The apps the mcsim stage builds, and how: `mcconfig -d -m -p lin -t build`
// into build/mcsim/out (never $MODDABLE's shared output), with the project's
// node_modules/.bin first on PATH (the SDK compiles .ts with the tsc it finds,
// and needs TypeScript >= 6).
//
// Each app is built through a small manifest generated in build/mcsim/apps/NAME
// that includes the app's own manifest and, when asked, overrides its
// "creation" block (a device's memory and stack): so the app keeps one name and
// one build folder whatever the block, and a change of block or of config
// only relinks (about 3 s) instead of rebuilding (25 s to 75 s).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, buildRoot, sdk } from './sdk.js';

const run = promisify(execFile);

/** Name -> the app's manifest, relative to the project. */
export const APPS = {
  // the scenarios of tests/scenarios, driven case by case over a control channel (TLS included)
  runner: 'tests/mcsim/runner/manifest.json',
  // the same, built with the library's manifest_tls_client.json (client certificates: no DHE-RSA)
  'runner-client-tls': 'tests/mcsim/runner-client-tls/manifest.json',
  // one scenario case, named by the build's config, results traced (no TLS): for device budgets
  'one-case': 'tests/mcsim/one-case/manifest.json',
  // the one-case app with MQTT 5 (manifest_mqtt5.json): the device's work under protocolVersion 5
  'one-case-mqtt5': 'tests/mcsim/one-case-mqtt5/manifest.json',
  // the one-case app with the session on flash (a file of embedded:storage/files): for the device's budget
  'stored-device': 'tests/mcsim/stored-device/manifest.json',
  // the README's example, as a user builds it
  hello: 'examples/hello/manifest.json',
  // footprint and rates: the library, the SDK's own ECMA-419 client, a raw socket
  measure: 'tests/mcsim/measure/manifest.json',
  'sdk-client': 'tests/mcsim/sdk-client/manifest.json',
  'raw-socket': 'tests/mcsim/raw-socket/manifest.json',
  // where the library's heap goes, part by part
  parts: 'tests/mcsim/parts/manifest.json',
};

/** The ESP8266's creation block, read from the SDK (build/devices/esp/manifest.json). */
export function esp8266Creation() {
  const { home } = sdk();
  return JSON.parse(readFileSync(path.join(home, 'build/devices/esp/manifest.json'), 'utf8')).creation;
}

let queue = Promise.resolve();

/**
 * Builds (or relinks) an app; resolves with the path of its mc.so.
 * config: values for the app's "config" (mc/config; they arrive as strings);
 * creation: a "creation" block that replaces the app's (and the platform's).
 */
export function build(name, { config = {}, creation } = {}) {
  const result = queue.then(() => buildNow(name, config, creation));
  queue = result.catch(() => {});
  return result;
}

async function buildNow(name, config, creation) {
  const tools = sdk();
  if (tools.missing)
    throw new Error(`cannot build ${name}: ${tools.missing}`);
  const manifest = APPS[name];
  if (!manifest)
    throw new Error(`no app ${name}`);
  const dir = path.join(buildRoot, 'apps', name);
  const out = path.join(buildRoot, 'out');
  mkdirSync(dir, { recursive: true });
  mkdirSync(out, { recursive: true });
  const wrapper = { include: [path.join(projectRoot, manifest)] };
  if (creation)
    wrapper.creation = creation;
  writeIfChanged(path.join(dir, 'manifest.json'), JSON.stringify(wrapper, null, '\t') + '\n');
  const args = ['-d', '-m', '-p', 'lin', '-t', 'build', '-o', out, ...Object.entries(config).map(([key, value]) => `${key}=${value}`)];
  const env = {
    ...process.env,
    PATH: [path.join(projectRoot, 'node_modules/.bin'), path.dirname(tools.mcconfig), process.env.PATH].join(path.delimiter),
  };
  try {
    await run(tools.mcconfig, args, { cwd: dir, env, maxBuffer: 64 << 20 });
  }
  catch (error) {
    const log = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`mcconfig failed for ${name} (${manifest}):\n${log}`);
  }
  const so = path.join(out, 'bin/lin/mc/debug', name, 'mc.so');
  if (!existsSync(so))
    throw new Error(`mcconfig built no ${so}`);
  return so;
}

function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, 'utf8') === text)
    return;
  writeFileSync(file, text);
}

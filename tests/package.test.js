// The library as an app gets it from npm: `npm pack` carries what an app
// needs (the manifests, modules/, types/, README, license) and nothing else;
// `npm publish --dry-run` has nothing to say against it (never published here);
// the tarball installs offline into a new app folder, whose manifest includes
// node_modules/moddable-mqtt/manifest.json, the way Moddable apps pick up
// modules from npm. The app type-checks against the installed types/ as its
// editor would. With the Moddable SDK (MODDABLE set: see
// ../shared/moddable/README.md) it is built with mcconfig into a temporary
// folder and run in mcsim against mosquitto on a free loopback port, once
// with manifest.json and once with manifest_tls.json over TLS: it connects,
// subscribes, publishes and receives its own message. Without MODDABLE those
// two tests are skipped, and fail under CI=true. Everything made here is
// removed at the end, even on failure.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { root } from './helpers/library.js';
import { startMosquitto } from './harness/brokers.js';
import { makeCertificates } from './harness/certs.js';
import { atExit } from './harness/cleanup.js';
import { removeX11Sockets } from './sim/simulator.js';

const exec = promisify(execFile);
const { name: packageName } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const MODDABLE = process.env.MODDABLE;
const MCSIM_RUN = process.env.MCSIM_RUN ?? path.join(root, '..', 'shared', 'moddable', 'mcsim-run.mjs');
const TOPIC = 'package/echo';
const MESSAGE = 'from the installed package';

// Why the mcsim tests cannot run here, if they cannot; under CI that is a failure, not a skip.
const missing = !MODDABLE ? 'MODDABLE is not set (eval "$(../shared/moddable/setup.sh)" to build and run the app in mcsim)'
  : !existsSync(MCSIM_RUN) ? `no ${MCSIM_RUN} (set MCSIM_RUN to the path of mcsim-run.mjs)`
    : undefined;
const mcsimOptions = { timeout: 900_000, skip: missing && process.env.CI !== 'true' ? missing : false };

// The app: what the README's "Using it in a Moddable app" shows, with a
// result line to check. Main modules must not use top-level await (mcsim aborts).
const APP_MAIN = `import { MQTTClient, type TLSOptions } from "mqtt";
import Resource from "Resource";
import config from "mc/config";

async function main(): Promise<void> {
	const received: string[] = [];
	// Over TLS, the CA made for the test run; the broker's certificate names localhost.
	const ssl: TLSOptions | undefined = config.tls === "true" ? { certificate: new Resource("ca.der"), serverName: "localhost" } : undefined;
	const client = new MQTTClient({
		clientId: "package-app", server: "127.0.0.1", port: Number(config.port), ssl,
		callback: (topic, msg) => received.push(\`\${String.fromArrayBuffer(topic)} \${String.fromArrayBuffer(msg)}\`)
	});
	await client.connect();
	const granted: number = await client.subscribe("${TOPIC}", 1);
	await client.publish("${TOPIC}", "${MESSAGE}", false, 1);
	while (!received.length)
		await client.waitMsg();
	await client.disconnect();
	trace(\`RESULT \${JSON.stringify({ granted, received })}\\n\`);
}

main().catch(error => trace(\`FAILED \${error}\\n\`));
`;

let scratch, tarball, packed, app;

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-package-'));
  atExit(() => rmSync(scratch, { recursive: true, force: true }));	// at the end, even on failure
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root });
  const [info] = JSON.parse(stdout);
  tarball = path.join(scratch, info.filename);
  packed = info.files.map(file => file.path).sort();
  // Its folder's name is the app's name for mcconfig.
  app = path.join(scratch, 'package-app');
});

// mcsim-run.mjs's Xvfb makes /tmp/.X11-unix when there is none: leave none behind.
atExit(removeX11Sockets);

test('npm pack carries the manifests, modules/, types/, the README and the license, and nothing else', () => {
  const wanted = /^(package\.json|manifest(_tls|_tls_client|_mqtt5|_store|_store_files)?\.json|README\.md|LICENSE[^/]*|modules\/mqtt\/(v5\/)?[\w-]+\.ts|types\/[\w-]+\.d\.ts)$/;
  assert.deepEqual(packed.filter(file => !wanted.test(file)), [], 'files an app does not need');
  for (const manifest of ['manifest.json', 'manifest_mqtt5.json']) {
    const { modules } = JSON.parse(readFileSync(path.join(root, manifest), 'utf8'));
    for (const source of Object.values(modules))
      assert.ok(packed.includes(`${path.posix.normalize(source)}.ts`), `${source}.ts, in ${manifest}, is in the package`);
  }
  for (const declaration of readdirSync(path.join(root, 'types')))
    assert.ok(packed.includes(`types/${declaration}`), `types/${declaration} is in the package`);
  for (const file of ['manifest.json', 'manifest_tls.json', 'manifest_tls_client.json', 'manifest_mqtt5.json', 'manifest_store.json', 'manifest_store_files.json', 'README.md', 'LICENSE'])
    assert.ok(packed.includes(file), `${file} is in the package`);
});

test('the package is publishable: MIT license file, not private, keywords a Moddable developer searches by; npm publish --dry-run warns of nothing', async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(manifest.private, undefined, 'not private');
  assert.equal(manifest.license, 'MIT');
  assert.match(readFileSync(path.join(root, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} /);
  for (const keyword of ['moddable', 'xs', 'mqtt', 'ecma-419', 'esp32', 'esp8266', 'iot'])
    assert.ok(manifest.keywords?.includes(keyword), `keyword ${keyword}`);
  // --dry-run: nothing leaves the machine. The one warning left is that no
  // one is logged in to the registry, which a dry run cannot be without credentials.
  const { stdout, stderr } = await exec('npm', ['publish', '--dry-run', '--json', '--offline'], { cwd: root });
  const warnings = stderr.split('\n').filter(line => /^npm (warn|WARN|error|ERR)/.test(line) && !/requires you to be logged in .*\(dry-run\)/.test(line));
  assert.deepEqual(warnings, []);
  const { [manifest.name]: published } = JSON.parse(stdout);
  assert.deepEqual(published.files.map(file => file.path).sort(), packed);
});

test('the tarball installs offline into an app folder (npm install of the tarball)', async () => {
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'package-app', private: true }));
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app });
  for (const file of ['manifest.json', 'manifest_tls.json', 'modules/mqtt/mqtt.ts', 'types/mqtt.d.ts'])
    assert.ok(existsSync(path.join(app, 'node_modules', packageName, file)), `node_modules/${packageName}/${file}`);
  writeFileSync(path.join(app, 'main.ts'), APP_MAIN);
});

test('the app type-checks against the installed types/, "mqtt" mapped in its tsconfig.json (an editor\'s view)', async () => {
  // An app installs @moddable/typings itself (or points at $MODDABLE/typings); offline, it takes this repository's.
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'es2025', lib: ['es2025'], module: 'preserve', moduleResolution: 'bundler',
      strict: true, skipLibCheck: true, noEmit: true, types: [],
      paths: {
        mqtt: [`./node_modules/${packageName}/types/mqtt.d.ts`],
        'mqtt/*': [`./node_modules/${packageName}/types/*`],
      },
    },
    include: ['main.ts', path.join(root, 'node_modules/@moddable/typings/**/*.d.ts')],
  }, null, 2));
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  const result = await exec(tsc, ['-p', app, '--pretty', 'false']).catch(error => error);
  assert.equal(result.code ?? 0, 0, `${result.stdout}${result.stderr}`);
});

for (const tls of [false, true]) {
  const manifest = tls ? 'manifest_tls.json' : 'manifest.json';
  test(`built with mcconfig including node_modules/${packageName}/${manifest}, the app runs in mcsim: connects${tls ? ' over TLS' : ''}, subscribes, publishes, receives`, mcsimOptions, async () => {
    if (missing)
      throw new Error(`CI=true and ${missing}`);
    const certificates = tls ? makeCertificates() : undefined;
    const broker = await startMosquitto(tls ? { tls: { ca: certificates.ca.file, cert: certificates.localhost.certFile, key: certificates.localhost.keyFile } } : {});
    try {
      writeFileSync(path.join(app, 'manifest.json'), JSON.stringify({
        include: ['$(MODDABLE)/examples/manifest_base.json', `./node_modules/${packageName}/${manifest}`],
        modules: { '*': './main' },
        ...(tls ? { resources: { '*': './ca' } } : {}),
      }, null, '\t'));
      if (tls)
        writeFileSync(path.join(app, 'ca.der'), certificates.ca.der);
      const output = path.join(scratch, 'mcconfig');	// shared by both builds: the second reuses the SDK's objects
      mkdirSync(output, { recursive: true });
      const env = { ...process.env, PATH: [path.join(root, 'node_modules', '.bin'), path.join(MODDABLE, 'build', 'bin', 'lin', 'release'), process.env.PATH].join(path.delimiter) };
      await exec('mcconfig', ['-d', '-m', '-p', 'lin', '-t', 'build', '-o', output, `port=${broker.port}`, `tls=${tls}`], { cwd: app, env, maxBuffer: 64 << 20 })
        .catch(error => assert.fail(`mcconfig failed:\n${error.stdout}\n${error.stderr}`));
      const so = path.join(output, 'bin', 'lin', 'mc', 'debug', path.basename(app), 'mc.so');
      const run = await exec(process.execPath, [MCSIM_RUN, '--timeout', '60', '--until', '^(RESULT|FAILED) ', so], { env, maxBuffer: 16 << 20 })
        .catch(error => error);
      const traced = `${run.stdout}${run.stderr}`;
      assert.equal(run.code ?? 0, 0, `mcsim-run ended with ${run.code}:\n${traced}`);
      const result = /^RESULT (.*)$/m.exec(traced);
      assert.ok(result, traced);
      assert.deepEqual(JSON.parse(result[1]), { granted: 1, received: [`${TOPIC} ${MESSAGE}`] });
    }
    finally {
      await broker.close();
    }
  });
}

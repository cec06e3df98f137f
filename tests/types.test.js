// The declarations apps get (types/), kept current, and what they promise to
// a TypeScript app: tests/types-app/main.ts type-checks against them as an
// editor sees them, and against the sources as mcconfig maps them, with
// @moddable/typings for the SDK's modules. Its `// @ts-expect-error TSxxxx`
// lines must each fail with that error: a directive alone would be satisfied
// by any error on its line, so the app is also checked with the directives
// removed, and exactly those lines must fail, each with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, buildDir } from './helpers/library.js';

const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const typesDir = path.join(root, 'types');
const app = path.join(root, 'tests', 'types-app');

/** Runs the project's tsc: its exit status and its diagnostics, one per line. */
function runTsc(...args) {
  const { status, stdout, stderr, error } = spawnSync(tsc, [...args, '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  if (error)
    throw error;
  return { status, output: stdout + stderr };
}

/** A folder under build/ for one test, removed afterwards whatever happens. */
function withScratch(prefix, use) {
  mkdirSync(buildDir, { recursive: true });
  const dir = mkdtempSync(path.join(buildDir, prefix));
  try {
    return use(dir);
  }
  finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const declarationsIn = dir => Object.fromEntries(readdirSync(dir).filter(name => name.endsWith('.d.ts')).sort()
  .map(name => [name, readFileSync(path.join(dir, name), 'utf8')]));

test('types/ holds exactly the declarations emitted from modules/mqtt (npm run types writes them)', () => {
  withScratch('types-', emitted => {
    const { status, output } = runTsc('-p', 'tsconfig.types.json', '--outDir', emitted);
    assert.equal(status, 0, output);
    const fresh = declarationsIn(emitted);
    assert.ok(fresh['mqtt.d.ts'] && fresh['client.d.ts'], 'tsc emitted the public entry and the client');
    const committed = declarationsIn(typesDir);
    assert.deepEqual(Object.keys(committed), Object.keys(fresh), 'types/ has one declaration file per module: run npm run types');
    for (const name of Object.keys(fresh))
      assert.equal(committed[name], fresh[name], `types/${name} is out of date: run npm run types`);
  });
});

test('a TypeScript app type-checks against types/ with @moddable/typings (what an editor sees)', () => {
  const { status, output } = runTsc('-p', path.join(app, 'tsconfig.json'));
  assert.equal(status, 0, output);
});

test('the same app type-checks against the sources, "mqtt" mapped as mcconfig maps it', () => {
  const { status, output } = runTsc('-p', path.join(app, 'tsconfig.sources.json'));
  assert.equal(status, 0, output);
});

test('each @ts-expect-error line of the app fails with its own error code, and no other line fails', () => {
  const source = readFileSync(path.join(app, 'main.ts'), 'utf8').split('\n');
  const expected = [];
  const stripped = source.map((line, index) => {
    const directive = /^(\s*)\/\/ @ts-expect-error (TS\d+)\b/.exec(line);
    if (!directive)
      return line;
    expected.push(`${index + 2} ${directive[2]}`);	// the line after it (1-based)
    return `${directive[1]}// (directive removed)`;
  });
  assert.ok(expected.length >= 8, 'the app carries its error cases');
  withScratch('types-app-', dir => {
    writeFileSync(path.join(dir, 'main.ts'), stripped.join('\n'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(app, 'tsconfig.json'),
      include: ['main.ts', path.join(root, 'node_modules/@moddable/typings/**/*.d.ts')],
    }));
    const { status, output } = runTsc('-p', path.join(dir, 'tsconfig.json'));
    assert.notEqual(status, 0, output);
    const errors = [...output.matchAll(/main\.ts\((\d+),\d+\): error (TS\d+):/g)].map(([, line, code]) => `${line} ${code}`);
    assert.deepEqual(errors, expected, output);
  });
});

// The README's main job and the TLS example, run as a user runs them
// (node examples/run.js, what npm start and npm run secure do after building),
// and the script's answers to a wrong call and to a broker it cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { root } from './helpers/library.js';
import { freePort } from './harness/brokers.js';

const run = promisify(execFile);

for (const example of ['hello', 'secure']) {
  test(`examples/${example}: the example's callback fires for each message the second client sends, and its publish arrives`, async () => {
    const { stdout } = await run(process.execPath, ['examples/run.js', example, '--messages', '2'], { cwd: root, timeout: 60_000 });
    assert.match(stdout, /peer {3}<- openmv\/out hello/);
    assert.match(stdout, /XS {5}trace: openmv\/in message 1 from the peer/);
    assert.match(stdout, /XS {5}trace: openmv\/in message 2 from the peer/);
    assert.match(stdout, /done: the callback fired 2 times/);
  });
}

/** Runs examples/run.js with `args`: its exit status and output, whatever the status. */
async function runScript(args) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['examples/run.js', ...args], { cwd: root, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  }
  catch (error) {
    if (typeof error.code !== 'number')
      throw error;
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

test('examples/run.js --help prints the usage on stdout and exits 0', async () => {
  const { code, stdout, stderr } = await runScript(['--help']);
  assert.equal(code, 0);
  assert.match(stdout, /^usage: node examples\/run\.js/);
  assert.match(stdout, /--broker HOST\[:PORT\]/);
  assert.match(stdout, /--messages N/);
  assert.equal(stderr, '');
});

test('examples/run.js with an unknown option names it, prints the usage and exits 2', async () => {
  const { code, stdout, stderr } = await runScript(['--brokr', '127.0.0.1']);
  assert.equal(code, 2);
  assert.match(stderr, /^examples\/run\.js: Unknown option '--brokr'/);
  assert.match(stderr, /usage: node examples\/run\.js/);
  assert.equal(stdout, '');
});

test('examples/run.js against a broker that refuses the connection prints one line naming it and exits 1', async () => {
  const port = await freePort();	// free: nothing listens there, so the connection is refused
  const { code, stdout, stderr } = await runScript(['hello', '--broker', `127.0.0.1:${port}`]);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.match(stderr, new RegExp(`^examples/run\\.js: cannot connect to the broker at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`));
});

// The README's main job and the TLS example, run as a user runs them
// (node examples/run.js, what npm start and npm run secure do after building).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { root } from './helpers/library.js';

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

// For the mcsim test files (tests/mcsim-*.test.js): whether the stage runs,
// and one runner machine per file, opened before its first test.
//
// Without MODDABLE a file registers no test at all: the stage's one line
// (tests/sim/stage.js, run by npm test before the tests) says it was skipped.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { enabled } from './sdk.js';
import { McsimHost } from './host.js';

export const mcsimEnabled = enabled();

/**
 * The file's runner host, as the shared cases (tests/cases) drive a host and
 * as `xsnap` (tests/helpers/xs.js) gives the xsnap host: `mcsim.run(file,
 * params, options)` runs a scenario in mcsim, as XSHost.run does on xsnap;
 * message(), kill() and traces reach the machine; `mcsim.host`, the McsimHost.
 * app: the runner app's variant (McsimHost.open).
 */
export function useMcsim({ app } = {}) {
  let host;
  before(async () => { host = await McsimHost.open({ app }); });
  after(() => host?.close());
  return {
    run: (file, params, options) => host.run(file, params, options),
    runCase: (file, name, params = {}, options) => host.run(file, { ...params, case: name }, options),
    message: value => host.message(value),
    kill: () => host.kill(),
    get traces() { return host.traces; },
    /**
     * Runs `body()` and asserts that the machine already running ran all its
     * cases: a refusal it provoked was a rejection the app caught, not an abort.
     */
    async onOneMachine(body) {
      const starts = host.starts;
      await body();
      assert.equal(host.starts, starts, 'the same machine ran every case: the refusal did not abort it');
    },
    get host() { return host; },
  };
}

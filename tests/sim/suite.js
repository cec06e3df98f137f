// For the mcsim test files (tests/mcsim-*.test.js): whether the stage runs,
// and one runner machine per file, opened before its first test.
//
// Without MODDABLE a file registers no test at all: the stage's one line
// (tests/sim/stage.js, run by npm test before the tests) says it was skipped.
import { before, after } from 'node:test';
import { enabled } from './sdk.js';
import { McsimHost } from './host.js';

export const mcsimEnabled = enabled();

/**
 * The file's runner host: `mcsim.run(file, params, options)` runs a case in
 * mcsim, as XSHost.run does on xsnap; `mcsim.host` for message(), kill(), traces.
 */
export function useMcsim() {
  let host;
  before(async () => { host = await McsimHost.open(); });
  after(() => host?.close());
  return {
    run: (file, params, options) => host.run(file, params, options),
    runCase: (file, name, params = {}, options) => host.run(file, { ...params, case: name }, options),
    get host() { return host; },
  };
}

// Test-side helpers: run a scenario on a fresh XS host, with brokers around it.
import { XSHost } from '../harness/host.js';

/** Runs `body(xs)` with a new XS host, closed whatever happens. */
export async function withXS(options, body) {
  const xs = await XSHost.start(options);
  try {
    return await body(xs);
  }
  finally {
    await xs.close();
  }
}

/** Runs one scenario on a new XS host and closes the host, whatever happens. */
export function runScenario(file, params = {}, { host: hostOptions = {}, ...runOptions } = {}) {
  return withXS(hostOptions, async xs => ({ result: await xs.run(file, params, runOptions), xs }));
}

/** Resolves when `predicate()` holds, polling; rejects after `timeout` ms with `what`. */
export async function until(predicate, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/** Runs one case of a case-table scenario (tests/scenarios/.../*.js). */
export async function runCase(file, name, params = {}, options = {}) {
  const { result } = await runScenario(file, { ...params, case: name }, options);
  return result;
}

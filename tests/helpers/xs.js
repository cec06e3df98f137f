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

let latest;	// the XS host of the run in progress, or of the last one: for xsnap.message(), kill(), traces

/** Runs one scenario on a new XS host and closes the host, whatever happens. */
export function runScenario(file, params = {}, { host: hostOptions = {}, ...runOptions } = {}) {
  return withXS(hostOptions, async xs => {
    latest = xs;
    return { result: await xs.run(file, params, runOptions), xs };
  });
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

/**
 * The xsnap host as the shared cases (tests/cases) drive a host, as
 * useMcsim() (tests/sim/suite.js) gives mcsim: run() and runCase() on a new
 * XS host each (`options.host`: its XSHost options); message() and kill()
 * reach the machine of the run in progress; traces, the lines it traced.
 */
export const xsnap = {
  run: async (file, params, options) => (await runScenario(file, params, options)).result,
  runCase,
  message: value => latest.message(value),
  /** The machine dies at once: its sockets are destroyed, no DISCONNECT. */
  kill: () => latest.close(),
  get traces() { return lines(latest.traces.join('')); },
};

/** `text` as lines, without their line ends: what mcsim's traces give. */
function lines(text) {
  const split = text.split('\n');
  if (split.at(-1) === '')
    split.pop();
  return split;
}

/**
 * A case run under MQTT `version`: its params (protocolVersion) and its run
 * options (on xsnap, the build with manifest_mqtt5.json; mcsim's runner
 * includes MQTT 5 and ignores `host`). Version 4: nothing added.
 */
export function underVersion(version) {
  return version === 5
    ? { params: { protocolVersion: 5 }, options: { host: { manifest: 'manifest_mqtt5.json' } } }
    : { params: {}, options: {} };
}

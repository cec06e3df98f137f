// Runs an app that says what it did through trace() alone (the one-case app,
// the measurement apps, examples/hello): one machine, its traced lines read
// until the app traces its result.
//   RESULT <json>   the result: the run succeeded
//   FAILED <text>   the case threw
//   REPORT <json>   a report, for onReport
//   STACK <bytes>   the stack's high-water mark (the one-case app's probe)
// An XS abort, a dead machine or no result within `timeout` rejects.
import { Simulator, describeEnd } from './simulator.js';
import { McsimError } from './host.js';

/**
 * Resolves with {result, stack, traces}. `until(line)`: an app that traces
 * no RESULT (examples/hello) ends the run when it returns true; `onLine` sees
 * each of the app's lines.
 */
export async function runTraced(so, { timeout = 60_000, onReport, onLine, until } = {}) {
  const traces = [];
  let stack, settle;
  const outcome = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  const simulator = await Simulator.start(so, {
    onLine(line) {
      traces.push(line);
      onLine?.(line);
      const [, kind, rest] = /^(RESULT|FAILED|REPORT|STACK) ?(.*)$/.exec(line) ?? [];
      if (kind === 'RESULT')
        settle.resolve({ result: JSON.parse(rest), stack, traces });
      else if (kind === 'FAILED')
        settle.reject(new McsimError(`the case failed in mcsim: ${rest}`, simulator.lines));
      else if (kind === 'REPORT')
        Promise.resolve(onReport?.(JSON.parse(rest))).catch(error => settle.reject(error));
      else if (kind === 'STACK')
        stack = Number(rest);
      else if (until?.(line))
        settle.resolve({ result: undefined, stack, traces });
    },
  });
  simulator.ended.then(reason => {
    if (reason.kind !== 'killed')
      settle.reject(new McsimError(describeEnd(reason), simulator.lines));
  });
  const timer = setTimeout(() => settle.reject(new McsimError(`no result within ${timeout} ms`, simulator.lines)), timeout);
  try {
    return await outcome;
  }
  finally {
    clearTimeout(timer);
    await simulator.stop();
  }
}

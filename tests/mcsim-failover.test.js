// Failover across brokers (the `servers` option, README "Failover") on the
// real Moddable runtime: the cases tests/failover.test.js runs on xsnap,
// checked once in tests/cases/failover.js, in the runner app in mcsim.
import { test, describe } from 'node:test';
import { mcsimEnabled, useMcsim } from './sim/suite.js';
import * as failover from './cases/failover.js';

if (mcsimEnabled) describe('in mcsim: failover across brokers', () => {
  const mcsim = useMcsim();

  test('connect(): the first server down, the second accepts', () => failover.firstDown(mcsim));

  test('connect(): no server accepts (refused, CONNACK 3, silent past the connect timeout): it rejects once each was tried, naming each one\'s failure in order', () =>
    mcsim.onOneMachine(() => failover.noneAccepts(mcsim)));

  test('connect(): a refusal of the client (CONNACK 5) from the first server rejects at once; the second is not tried', () =>
    mcsim.onOneMachine(() => failover.refusalEndsWalk(mcsim)));

  test('the server in use killed: on the other within 2 x maxDelay; the first back: kept off a healthy connection; at the next loss, back on the first', { timeout: 60_000 }, () =>
    failover.failover(mcsim));
});

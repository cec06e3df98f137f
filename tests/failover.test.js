// Failover across brokers (the `servers` option, README "Failover") on the
// xsnap host, against two aedes brokers on loopback and scripted brokers; the
// same cases run in mcsim (tests/mcsim-failover.test.js).
import { test } from 'node:test';
import { xsnap } from './helpers/xs.js';
import * as failover from './cases/failover.js';

test('connect(): the first server down, the second accepts', () => failover.firstDown(xsnap));

test('connect(): no server accepts (refused, CONNACK 3, silent past the connect timeout): it rejects once each was tried, naming each one\'s failure in order', () => failover.noneAccepts(xsnap));

test('each server\'s TLS options, its own or else the client\'s; ssl: null for none', () => failover.tlsPerServer(xsnap));

test('connect(): a refusal of the client (CONNACK 5) from the first server rejects at once; the second is not tried', () => failover.refusalEndsWalk(xsnap));

test('the server in use killed: on the other within 2 x maxDelay; the first back: kept off a healthy connection; at the next loss, back on the first', { timeout: 60_000 }, () => failover.failover(xsnap));

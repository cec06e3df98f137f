// `npm run mutations`: breaks the library on purpose, one way at a time, and
// shows that the tests which claim to catch each loss do. Each mutation is a
// small text replacement in modules/mqtt/*.ts (each `find` must occur exactly
// once). It is applied to a scratch COPY of the project in a temporary folder
// (the working tree is never touched; node_modules is linked, not copied),
// which is built (tsc) and then given only the tests named for it, each test
// file run under its own time limit. A mutation is CAUGHT when that run fails
// on its own (a failing test, within the test's own limits); SURVIVED when it
// passes; HUNG when the run outlived its limit and had to be killed (a failure
// must end the run promptly: that counts as a defect too). Exits non-zero
// unless every mutation was caught. The copy is removed whatever happens.
//
//   npm run mutations              all of them
//   npm run mutations -- NAME...   only those named
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * name, what it breaks, the replacements ([file, find, replace]), and the
 * tests that must catch it: [file, test name pattern or undefined, limit ms].
 */
export const MUTATIONS = [
  {
    name: 'no-resubscribe',
    what: 'no SUBSCRIBE again after a reconnection whose CONNACK said session present 0 (session.ts resume)',
    edits: [['modules/mqtt/session.ts', `				(this.#operations ??= new Map()).set(id, resubscription);
				link.sendOp(frame, resubscription);`, `				void frame, resubscription;`]],
    tests: [['tests/resilience.test.js', 'subscribes again by itself', 90_000], ['tests/crash.test.js', 'no persistence', 300_000]],
  },
  {
    name: 'drop-inflight-qos1',
    what: 'one QoS 1 message in flight dropped at a reconnection (its Promise resolves as if acknowledged)',
    edits: [['modules/mqtt/session.ts', `		for (let id of previous.keys()) {
			const operation = previous.get(id)!;`, `		let dropped = false;
		for (let id of previous.keys()) {
			const operation = previous.get(id)!;
			if (!dropped && operation.kind === PUBLICATION && operation.qos === 1) {
				dropped = true;
				this.#publications--;
				operation.resolve?.();
				continue;
			}`]],
    tests: [['tests/resilience.test.js', 'publishes in flight when the connection drops', 90_000], ['tests/session.test.js', 'outgoing QoS 1/2 messages in the session', 120_000]],
  },
  {
    name: 'reuse-dropped-id',
    what: 'one QoS 1 message in flight dropped at a reconnection and its packet id given to the next message',
    edits: [['modules/mqtt/session.ts', `		for (let id of previous.keys()) {
			const operation = previous.get(id)!;`, `		let dropped = false;
		for (let id of previous.keys()) {
			const operation = previous.get(id)!;
			if (!dropped && operation.kind === PUBLICATION && operation.qos === 1) {
				dropped = true;
				this.#publications--;
				this.lastId = id - 1;
				continue;
			}`]],
    tests: [['tests/resilience.test.js', 'publishes in flight when the connection drops', 90_000], ['tests/crash.test.js', 'no persistence', 300_000]],
  },
  {
    name: 'qos2-redelivered',
    what: 'a QoS 2 message delivered again when the broker resends it before PUBREL (delivery.ts)',
    edits: [['modules/mqtt/delivery.ts', 'if (qos === 2 && link.accepted(id)) {', 'if (false && qos === 2 && link.accepted(id)) {']],
    // mcsim-store: the device killed, the broker's resends of QoS 2 messages it had PUBRECed (the id restored from flash).
    tests: [['tests/resilience.test.js', 'resends before PUBREL reaches the callback once', 90_000], ['tests/session.test.js', 'awaiting PUBREL', 120_000],
      ['tests/mcsim-store.test.js', 'traffic both ways', 900_000]],
  },
  {
    name: 'qos2-recorded-after-app',
    what: 'a received QoS 2 id accepted (a store: written) after the app\'s callback, as before issue 18\'s fix: no key for the app, and a power loss between the two gives the app the resend as new (delivery.ts)',
    edits: [['modules/mqtt/delivery.ts', 'const delivery = exactly ? link.accept(id) : undefined;', 'const delivery = undefined;'],
      ['modules/mqtt/delivery.ts', `			if (delivery)
				link.delivered(id);`, `			link.accept(id);`]],
    tests: [['tests/store.test.js', 'three QoS 2 messages arrive', 180_000], ['tests/mcsim-store.test.js', 'traffic both ways', 900_000]],
  },
  {
    name: 'qos2-never-marked-delivered',
    what: 'a stored received QoS 2 record never marked delivered: after a reboot every one not yet released is given again, not only the one the power cut off (stored-session.ts)',
    edits: [['modules/mqtt/stored-session.ts', '			this.#log.mark(at, RELEASED);', '			void at;']],
    tests: [['tests/store.test.js', 'QoS 2 ids awaiting PUBREL are recognised', 60_000], ['tests/store.test.js', 'three QoS 2 messages arrive', 180_000]],
  },
  {
    name: 'qos2-again-unset',
    what: 'the resend of the received QoS 2 message a reboot left unsure given without `again` (stored-session.ts)',
    edits: [['modules/mqtt/stored-session.ts', 'delivery = { key: unsure, again: true };', 'delivery = { key: unsure, again: false };']],
    tests: [['tests/store.test.js', 'three QoS 2 messages arrive', 180_000]],
  },
  {
    name: 'no-pubrel-resend',
    what: 'PUBREL not sent again after a reconnection with the session present (session.ts resume)',
    edits: [['modules/mqtt/session.ts', `			(this.#operations ??= new Map()).set(id, operation);
			link.sendOp(frame, operation);
		}
	}`, `			(this.#operations ??= new Map()).set(id, operation);
			if (!(operation.kind === PUBLICATION && operation.stage === RELEASED))
				link.sendOp(frame, operation);
		}
	}`]],
    tests: [['tests/resilience.test.js', 'publishes in flight when the connection drops', 90_000], ['tests/session.test.js', 'outgoing QoS 1/2 messages in the session', 120_000]],
  },
  {
    name: 'ack-before-app',
    what: 'a queued QoS 1 message acknowledged (PUBACK) as it arrives, before the app has it (delivery.ts)',
    edits: [['modules/mqtt/delivery.ts', 'queue.push({ topic: packet.topic, payload: packet.payload, flags: packet.flags, id: packet.id, properties: (packet as Message).properties });',
      `if (qos === 1)
			this.#link.acknowledge(PUBACK, packet.id);
		queue.push({ topic: packet.topic, payload: packet.payload, flags: packet.flags, id: qos === 1 ? 0 : packet.id, properties: (packet as Message).properties });`]],
    tests: [['tests/session.test.js', 'unread messages across a reconnect', 120_000]],
  },
  {
    name: 'queued-resend-redelivered',
    what: 'the broker\'s resend of a QoS 1 message still in the queue not recognised: queued and delivered twice (delivery.ts again())',
    edits: [['modules/mqtt/delivery.ts', 'if (queue[i].id === id) {', 'if (queue[i].id === id && qos === 0) {']],
    tests: [['tests/session.test.js', 'still in the queue', 120_000]],
  },
  {
    name: 'topic-repeat-half-compared',
    what: 'a repeated topic of 8 to 16 bytes recognised by its last eight bytes alone (parser.ts fast path): one that differs only before them taken for the previous topic',
    edits: [['modules/mqtt/parser.ts', ' && last.getFloat64(0) === view.getFloat64(at + 2)', '']],
    tests: [['tests/codec.test.js', 'packet by packet and in one input', 60_000]],
  },
  {
    name: 'push-qos0-bypasses-waiter',
    what: 'in push mode a QoS 0 message goes straight to the callback even while a waitMsg is pending (delivery.ts received): the waitMsg never resolves',
    edits: [['modules/mqtt/delivery.ts', 'if (this.#push && qos === 0 && !this.#waiters?.length) {', 'if (this.#push && qos === 0) {']],
    tests: [['tests/client.test.js', 'a waitMsg pending when a QoS 0 message arrives', 60_000]],
  },
  {
    name: 'push-qos0-exception-as-fault',
    what: 'the callback\'s exception on a QoS 0 message in push mode not marked as the app\'s (delivery.ts received): the client closes the connection as for its own fault instead of letting it go on to the host',
    edits: [['modules/mqtt/delivery.ts', `				catch (error) {
					throw fromApp(error);
				}`, `				catch (error) {
					throw error;
				}`]],
    tests: [['tests/conformance.test.js', 'a callback that throws on a QoS 0 message', 60_000]],
  },
  {
    name: 'publish-id-unchecked',
    what: 'a QoS 1/2 PUBLISH written with any packet id (writer.ts): the quick test of an id 1..65535 lets everything through',
    edits: [['modules/mqtt/writer.ts', 'if ((id & 0xFFFF) !== id || id === 0)', 'if (false)']],
    tests: [['tests/codec.test.js', 'writer: bad arguments', 60_000]],
  },
  {
    name: 'malformed-disconnect',
    what: 'DISCONNECT written with reserved flag bits set (writer.ts): the scripted broker cannot parse it, after the scenario is done',
    edits: [['modules/mqtt/writer.ts', 'Uint8Array.of(DISCONNECT << 4, 0)', 'Uint8Array.of((DISCONNECT << 4) | 1, 0)']],
    tests: [['tests/conformance.test.js', 'MQTT-3.3.4-1', 60_000]],
  },
  {
    name: 'write-result-ignored',
    what: 'a write the socket refused (it returned nothing) taken as written: the bytes counted off the window (connection.ts), as before the fix',
    edits: [
      ['modules/mqtt/connection.ts', 'let left = socket.write(head);', 'let left = socket.write(head) ?? this.#writable - head.length;'],
      ['modules/mqtt/connection.ts', 'left = socket.write(body);', 'left = socket.write(body) ?? this.#writable - body.length;'],
      ['modules/mqtt/connection.ts', 'const left = this.#socket.write(ack);', 'const left = this.#socket.write(ack) ?? this.#writable - 4;'],
      ['modules/mqtt/connection.ts', 'part.subarray(start, start + count));', 'part.subarray(start, start + count)) ?? this.#writable - count;'],
    ],
    // The reset met by a write, keep-alive 0: mcsim's socket falls silent (no onError), as the xsnap host's with a 20 ms tick.
    tests: [['tests/resilience.test.js', 'resets the connection while the client writes', 60_000], ['tests/mcsim-session.test.js', 'resets the connection while the client writes', 120_000]],
  },
  {
    name: 'alias-across-reconnect',
    what: 'outgoing topic aliases kept from one connection to the next (v5/protocol.ts Writer5.reset): the DUP resend goes by an alias the new connection never set [MQTT-3.3.2-7]',
    edits: [['modules/mqtt/v5/protocol.ts', `		this.#aliases = undefined;	// no mapping of the last connection carries over [MQTT-3.3.2-7]`, ``]],
    tests: [['tests/mqtt5.test.js', 'outgoing topic aliases \\[', 60_000]],
  },
  {
    name: 'alias-on-queued-frame',
    what: 'a PUBLISH that waits (made while reconnecting) given a topic alias all the same (v5/protocol.ts Writer5.alias): it reaches a connection that never set it',
    edits: [['modules/mqtt/v5/protocol.ts', ` || !(link as unknown as LinkInternals).sendsNow()`, ``]],
    tests: [['tests/mqtt5.test.js', 'outgoing topic aliases \\[', 60_000]],
  },
  {
    name: 'alias-on-held-frame',
    what: 'a QoS 1 PUBLISH held back by the server\'s Receive Maximum given a topic alias (v5/protocol.ts Writer5.alias): a later PUBLISH by that alias goes out before it',
    edits: [['modules/mqtt/v5/protocol.ts', ' || this.#protocol.holdsNext', '']],
    tests: [['tests/mqtt5.test.js', 'outgoing topic aliases with', 60_000]],
  },
  {
    name: 'alias-on-dropped-frame',
    what: 'the PUBLISH made for the argument checks of a publish refused over outgoingLimit maps its topic to an alias (v5/protocol.ts Writer5.alias): the next PUBLISH of it goes by an alias never set',
    edits: [['modules/mqtt/v5/protocol.ts', ' || (!dup && link.outgoing >= link.settings.outgoingLimit)', '']],
    tests: [['tests/mqtt5.test.js', 'outgoing topic aliases with', 60_000]],
  },
  {
    name: 'alias-above-maximum',
    what: 'outgoing topic aliases up to the option\'s count, not within the server\'s Topic Alias Maximum (v5/protocol.ts Writer5.assign) [MQTT-3.3.2-9] [MQTT-3.2.2-18]',
    edits: [['modules/mqtt/v5/protocol.ts', 'aliases.size < this.#wanted && aliases.size < maximum', 'aliases.size < this.#wanted']],
    tests: [['tests/mqtt5.test.js', 'outgoing topic aliases', 60_000]],
  },
  {
    name: 'v5-session-ends',
    what: 'connect(false) under MQTT 5 sends no Session Expiry Interval: the broker ends the session with the connection (v5/protocol.ts connectFrame)',
    edits: [['modules/mqtt/v5/protocol.ts', '{ ...this.#properties, sessionExpiryInterval: NEVER_EXPIRES }', '{ ...this.#properties }']],
    tests: [['tests/mqtt5.test.js', 'keeps the session past the connection', 60_000], ['tests/store.test.js', 'MQTT 5, deep sleep with commands', 120_000]],
  },
  {
    name: 'auth-method-unchecked',
    what: 'the Authentication Method of the server\'s AUTH and CONNACK not compared with the CONNECT\'s (v5/protocol.ts Authentication.check) [MQTT-4.12.0-5]',
    edits: [['modules/mqtt/v5/protocol.ts', '		if (method !== this.method)\n', '		if (false && method !== this.method)\n']],
    tests: [['tests/mqtt5.test.js', 'another method or none', 60_000]],
  },
  {
    name: 'auth-answer-reauthenticates',
    what: 'the client answers the server\'s AUTH 0x18 with AUTH 0x19 (v5/protocol.ts Authentication.send) [MQTT-4.12.0-3]',
    edits: [['modules/mqtt/v5/protocol.ts', 'this.#writer.auth(CONTINUE, ', 'this.#writer.auth(REAUTHENTICATE, ']],
    tests: [['tests/mqtt5.test.js', 'a SCRAM-like exchange', 60_000]],
  },
  {
    name: 'auth-connack-data-unseen',
    what: 'the successful CONNACK brings the link up without handing its Authentication Data to the app (v5/protocol.ts Authentication.connected): a SCRAM client cannot check the server',
    edits: [['modules/mqtt/v5/protocol.ts', '		this.ask(link, 0, connack.properties.authenticationData, accept);', '		Promise.resolve().then(accept);']],
    tests: [['tests/mqtt5.test.js', 'a SCRAM-like exchange', 60_000], ['tests/mqtt5.test.js', 'onAuthenticate throwing', 60_000]],
  },
  {
    name: 'auth-app-error-swallowed',
    what: 'onAuthenticate\'s throw taken as no data (v5/protocol.ts Authentication.ask): the exchange goes on after the app refused',
    edits: [['modules/mqtt/v5/protocol.ts', '				return answer(method, data, code);', '				try { return answer(method, data, code); } catch { return undefined; }']],
    tests: [['tests/mqtt5.test.js', 'onAuthenticate throwing', 60_000]],
  },
  {
    name: 'reauth-refusal-lost',
    what: 'the server\'s DISCONNECT during a re-authentication does not reject reauthenticate() with it (v5/protocol.ts disconnect5) [MQTT-4.12.1-2]',
    edits: [['modules/mqtt/v5/protocol.ts', '	(link.v5 as Protocol5).auth?.settle(error);	// a re-authentication refused [MQTT-4.12.1-2]\n', '']],
    tests: [['tests/mqtt5.test.js', 're-authentication refused', 60_000]],
  },
  {
    name: 'v5-resubscribe-one-group',
    what: 'after a reconnect without a session, MQTT 5\'s subscriptions made again in one SUBSCRIBE whatever their Subscription Identifiers (v5/protocol.ts Link5.resubscriptions) (3.8.2.1.2)',
    edits: [['modules/mqtt/v5/protocol.ts', '		return [...groups.values()];', '		return [subscriptions];']],
    // 120 s: the scenario's own limit (60 s) fails it first. (tests/store.test.js's MQTT 5 restore has one identifier: it cannot tell.)
    tests: [['tests/mqtt5.test.js', 'made again with their identifiers', 120_000]],
  },
  {
    name: 'v5-refusal-unsettled',
    what: 'an acknowledgement\'s failure reason code ends the operation without rejecting its Promise (v5/protocol.ts acknowledgement5, through Session.take)',
    edits: [['modules/mqtt/v5/protocol.ts', 'receiver.session?.take(id)?.reject?.(', 'void receiver.session?.take(id), (']],
    tests: [['tests/mqtt5.test.js', 'every reason code a server may send', 120_000]],
  },
  {
    name: 'v5-reauthenticate-missing',
    what: 'MQTT 5\'s connect() gives the client no reauthenticate of its own (v5/protocol.ts connect): the facade\'s refusal answers under 5 too',
    edits: [['modules/mqtt/v5/protocol.ts', '	Object.defineProperty(client, "reauthenticate", ', '	if (false) Object.defineProperty(client, "reauthenticate", ']],
    tests: [['tests/mqtt5.test.js', 'reauthenticate\\(\\) misuse', 60_000], ['tests/mqtt5.test.js', 're-authentication refused', 60_000]],
  },
  {
    name: 'reauth-no-deadline',
    what: 'a re-authentication the server never ends waits as long as the connection: no ackTimeout deadline (v5/protocol.ts Authentication.begin)',
    edits: [['modules/mqtt/v5/protocol.ts', `		if (limit)
			this.#deadline = Timer.set(`, `		if (false)
			this.#deadline = Timer.set(`]],
    tests: [['tests/mqtt5.test.js', 'never ends', 60_000]],
  },
  {
    name: 'reason-0x80-success',
    what: 'reason code 0x80 (Unspecified error) taken as a success on acknowledgements (v5/reasons.ts isFailure)',
    edits: [['modules/mqtt/v5/reasons.ts', 'return code >= 0x80;', 'return code > 0x80;']],
    tests: [['tests/mqtt5.test.js', 'every reason code a server may send', 60_000]],
  },
  {
    name: 'op-written-at-start',
    what: "a tracked operation's packet the socket took only in part, written straight out without a send queue, told written at once (link.ts hand): ackTimeout counts the rest of its writing",
    edits: [['modules/mqtt/link.ts', 'if (connection.send(frame))\n\t\t\top?.written();\n\t\telse\n\t\t\tthis.queue.begun(undefined, op, false);', 'const whole = connection.send(frame);\n\t\top?.written();\n\t\tif (!whole)\n\t\t\tthis.queue.begun(undefined, undefined, false);']],
    tests: [['tests/interop.test.js', 'ackTimeout runs from when the socket took the whole packet', 120_000]],
  },
  {
    name: 'outbox-dropped-unsent',
    what: 'the send queue dropped after a drain while packets still wait in it (link.ts onDrain): they are never written',
    edits: [['modules/mqtt/link.ts', 'if (outbox.clear && this.#outbox === outbox)', 'if (this.#outbox === outbox)']],
    tests: [['tests/interop.test.js', '100 x 1 KB QoS 1 publishes at once through a 256-byte write window', 120_000]],
  },
];

/** Copies the project (what git tracks or would, without node_modules) to `dir`, linking node_modules. */
function copyProject(dir) {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    try {
      cpSync(path.join(root, file), path.join(dir, file));
    }
    catch (error) {
      if (error.code !== 'ENOENT')	// a file deleted in the working tree, not yet in git
        throw error;
    }
  }
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
}

function applyEdits(dir, edits) {
  for (const [file, find, replace] of edits) {
    const target = path.join(dir, file);
    const text = readFileSync(target, 'utf8');
    const count = text.split(find).length - 1;
    if (count !== 1)
      throw new Error(`${file}: the text to replace occurs ${count} times, not once: ${find.slice(0, 80)}`);
    writeFileSync(target, text.replace(find, () => replace));
  }
}

/** Runs `command` in its own process group; kills the group past `limit` ms. Resolves { code, hung, output }. */
function run(command, args, cwd, limit) {
  return new Promise(resolve => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '', hung = false;
    child.stdout.on('data', data => { output += data; });
    child.stderr.on('data', data => { output += data; });
    const timer = setTimeout(() => {
      hung = true;
      process.kill(-child.pid, 'SIGKILL');
    }, limit);
    child.on('exit', code => {
      clearTimeout(timer);
      resolve({ code, hung, output });
    });
  });
}

async function mutate(mutation) {
  const dir = mkdtempSync(path.join(tmpdir(), `mutation-${mutation.name}-`));
  try {
    copyProject(dir);
    applyEdits(dir, mutation.edits);
    const build = await run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], dir, 120_000);
    if (build.code !== 0)
      return [{ file: 'build', verdict: 'BUILD FAILED', detail: build.output.slice(0, 400) }];
    const results = [];
    for (const [file, pattern, limit] of mutation.tests) {
      const args = ['--test', '--test-concurrency=1', ...(pattern ? ['--test-name-pattern', pattern] : []), file];
      const started = Date.now();
      const { code, hung, output } = await run(process.execPath, args, dir, limit);
      const failed = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map(match => match[1]).filter(name => !/^ *$/.test(name));
      const count = label => Number(new RegExp(`^# ${label} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
      const ran = String(count('tests') - count('skipped'));	// the tests the name pattern chose
      results.push({
        file: `${file}${pattern ? ` (${pattern})` : ''}`,
        verdict: hung ? 'HUNG' : code !== 0 && ran !== '0' ? 'caught' : ran === '0' ? 'NO TEST RAN' : 'survived',
        detail: `${ran} tests, ${Math.round((Date.now() - started) / 1000)} s${failed.length ? `; failed: ${failed.slice(0, 3).join(' | ').slice(0, 300)}` : ''}`,
      });
    }
    return results;
  }
  finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.argv.slice(2);
const chosen = only.length ? MUTATIONS.filter(mutation => only.includes(mutation.name)) : MUTATIONS;
let ok = chosen.length > 0;
for (const mutation of chosen) {
  console.log(`\n${mutation.name}: ${mutation.what}`);
  const results = await mutate(mutation);
  for (const { file, verdict, detail } of results)
    console.log(`  ${verdict.padEnd(9)} ${file}: ${detail}`);
  const caught = results.some(result => result.verdict === 'caught') && !results.some(result => result.verdict === 'HUNG' || result.verdict === 'BUILD FAILED');
  console.log(`  => ${caught ? 'CAUGHT' : 'NOT CAUGHT'}`);
  ok &&= caught;
}
process.exitCode = ok ? 0 : 1;

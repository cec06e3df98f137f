// The session on flash (issue 18) on the xsnap host, whose storage is no
// kinder than a device's (tests/harness/storage.js): NOR flash where a write
// only clears bits, files whose last write the power cuts short, a power
// loss at a chosen byte after which the machine does nothing more. A
// "reboot" is a new XS machine over the same storage.
//
// Statement ids are MQTT 3.1.1's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import mqtt from 'mqtt';
import { withXS, until } from './helpers/xs.js';
import { XSHost } from './harness/host.js';
import { killedAtRandom, deepSleep, readInboxFile } from './cases/store.js';
import { NorFlash, FileStorage, Power } from './harness/storage.js';
import { withScripted, polite } from './harness/scripted-broker.js';
import { startMosquitto } from './harness/brokers.js';
import { REFUSES_QOS2, REFUSED_QOS2, lostAwaitingPubrec } from './cases/faults.js';

const STORE = 'tests/scenarios/client/store.js';
const MANIFEST = 'manifest_store_files.json';
/** The store and MQTT 5. */
const MANIFEST_MQTT5 = 'tests/manifest_store_mqtt5.json';

/** One boot: a new machine over `storage` runs one case; the power may go in it (then: {lost: true}). */
async function boot(storage, params, { onReport, kill, manifest = MANIFEST } = {}) {
  return withXS({ manifest, storage }, async xs => {
    const done = xs.run(STORE, params, { onReport: value => onReport?.(value, xs) });
    if (kill) {
      // A boot whose power went ends there: its case's rejection says so.
      done.catch(error => { if (!(storage.power?.lost && /power lost/.test(error.message))) throw error; });
      await kill(xs, done);
      return 'killed';
    }
    try {
      return await done;
    }
    catch (error) {
      if (storage.power?.lost && /power lost/.test(error.message))
        return { lost: true };
      throw error;
    }
  });
}

const payloadOf = (i, size) => { const head = `#${i}`; return head + '.'.repeat(Math.max(0, size - head.length)); };
const publishes = list => list.filter(record => record.kind === 1);
const flashStorage = (blockCount = 4) => ({ flash: new NorFlash({ blockSize: 4096, blockCount }), power: new Power() });

// ---- power lost at every byte of a record ----

for (const medium of ['flash', 'files']) {
  test(`${medium}: power lost at every byte of a stored record: a restore finds the records before it intact, the record whole or not at all, nothing corrupt, and storing goes on`, async () => {
    // A chain of boots over the same storage: each checks what the last cut
    // left, stores a filler message whole, then one more with the power cut
    // after `cut` of its bytes. 11 bytes of record header, then PUBLISH: 2 of
    // fixed header, 2 + 7 of topic, 2 of id, the payload.
    const size = 24, recordBytes = 11 + 2 + 2 + 7 + 2 + size;
    const storage = medium === 'flash'
      ? { flash: new NorFlash({ blockSize: 4096, blockCount: recordBytes + 8 }), power: new Power() }
      : { files: new FileStorage(), power: new Power() };
    const expected = [];
    const outcomes = new Set();
    for (let cut = 0; cut <= recordBytes + 1; cut++) {
      let list;
      const result = await boot(storage, { case: 'tornChain', medium, blocks: recordBytes + 8, from: 2 * cut, size }, {
        onReport(value, xs) {
          if (value.list)
            list = value.list;
          if (value.ready) {
            storage.power.cutAfter(cut);
            xs.message({}).catch(() => {});	// the power may go in that turn
          }
        },
      });
      storage.power.restore();
      assert.deepEqual(publishes(list).map(record => record.msg), expected, `before cut ${cut}: every record stored whole before, intact and in order, nothing else`);
      expected.push(payloadOf(2 * cut, size));
      const whole = !result.lost;
      assert.equal(whole, cut >= recordBytes, `cut after ${cut} bytes: publish() accepted only when the whole record was written`);
      if (whole)
        expected.push(payloadOf(2 * cut + 1, size));
      outcomes.add(whole ? 'whole' : 'lost');
    }
    const { before } = await boot(storage, { case: 'verify', medium, blocks: recordBytes + 8 });
    assert.deepEqual(publishes(before).map(record => record.msg), expected, 'after the last cut');
    assert.deepEqual([...outcomes].sort(), ['lost', 'whole']);
  });
}

// ---- the store full ----

test('the store full: publish() rejects with StoreFullError; every message accepted before is on flash, none lost', async () => {
  const storage = flashStorage(3);	// 3 blocks of 4 KB, one in reserve
  const result = await boot(storage, { case: 'publishOffline', count: 400, size: 100, list: true });
  assert.ok(result.refused, 'a message was refused');
  assert.equal(result.refused.name, 'StoreFullError');
  assert.match(result.refused.message, /store full/);
  assert.ok(result.accepted.length > 40, `${result.accepted.length} accepted: the store holds about 2 blocks`);
  const { before } = await boot(storage, { case: 'verify' });
  assert.deepEqual(publishes(before).map(record => record.msg), result.accepted.map(i => payloadOf(i, 100)), 'every accepted message, in order');
});

test('the store full with whenFull "dropOldest" (Paho\'s deleteOldestMessages): each new message is accepted, the oldest go, in order, each told to onComplete with a StoreFullError naming it; the rest are delivered in order', async () => {
  const storage = flashStorage(3);	// 3 blocks of 4 KB, one in reserve: about 80 messages of 100 B
  const count = 400;
  const result = await boot(storage, { case: 'publishOffline', count, size: 100, whenFull: 'dropOldest' });
  assert.equal(result.refused, undefined, 'none refused');
  assert.deepEqual(result.accepted, Array.from({ length: count }, (_, i) => i));
  const dropped = result.fates.length;
  assert.ok(dropped > 250 && dropped < count - 40, `${dropped} dropped: the store holds about 2 blocks`);
  result.fates.forEach((fate, i) => {
    assert.equal(fate.msg, payloadOf(i, 100), `the oldest go first: fate ${i}`);
    assert.match(fate.error, /^StoreFullError: store full: PUBLISH to "t\/store" at QoS 1 \(packet id \d+\) dropped, the oldest stored, for a newer message/);
  });
  const kept = Array.from({ length: count - dropped }, (_, i) => payloadOf(dropped + i, 100));
  await withScripted({}, async broker => {
    const later = await boot(storage, { case: 'laterBoot', port: broker.port, expect: kept.length });
    assert.deepEqual(later.done, kept, 'onComplete for each kept message, in order');
    assert.deepEqual(broker.received.filter(packet => packet.cmd === 'publish').map(packet => packet.payload.toString()), kept, 'the broker has the newest, in order, the last accepted among them');
  });
});

test('wrong store arguments throw at once, naming the argument', async () => {
  const result = await boot({ files: new FileStorage() }, { case: 'badArguments' });
  assert.match(result.store, /^TypeError: store must be a Store of mqtt\/stored-session, not /);
  assert.equal(result.medium, 'TypeError: store: the medium must have read, write and eraseBlock');
  assert.equal(result.onComplete, 'TypeError: store: onComplete must be a function');
  assert.equal(result.whenFull, 'TypeError: store: whenFull must be "reject" or "dropOldest", not "drop"');
  assert.match(result.blocks, /^RangeError: FileMedium: blockSize must be an integer >= 64 and blockCount >= 3, not 4096 and 2/);
});

test('a store of another client id is refused with an error naming both, and left as it was', async () => {
  const storage = flashStorage();
  await boot(storage, { case: 'publishOffline', clientId: 'first', count: 2 });
  const refusal = await boot(storage, { case: 'otherClient', clientId: 'second' });
  assert.match(refusal, /^Error: store: it holds the session of client id "first", not of "second"/);
  const { before } = await boot(storage, { case: 'verify' });
  assert.equal(before.find(record => record.kind === 4).clientId, 'first');
  assert.equal(publishes(before).length, 2);
});

// ---- restore after a reboot ----

/** The packets a scripted broker's session received, without CONNECT/DISCONNECT, as [cmd, id, dup, payload]. */
const sent = session => session.packets.filter(packet => packet.cmd !== 'connect' && packet.cmd !== 'disconnect' && packet.cmd !== 'pingreq')
  .map(packet => packet.cmd === 'publish' ? ['publish', packet.messageId, packet.dup, packet.qos, packet.payload.toString()] : [packet.cmd, packet.messageId]);

describe('restore after a reboot', () => {
  for (const present of [true, false]) {
    test(`session present ${present ? 1 : 0}: ${present
      ? 'the stored PUBLISHes go out again with DUP 1 and their ids, in order, PUBREL past PUBREC [MQTT-4.4.0-1]'
      : 'they go out as new messages (DUP 0), the message past PUBREC is complete, the stored subscriptions are made again'}; onComplete names each`, async () => {
      const storage = flashStorage();
      // Boot 1: the broker takes the subscription, acknowledges nothing but the QoS 2 message's PUBREC.
      await withScripted({
        connect(session) { session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 && present }); },
        publish(session, packet) {
          if (session.index === 0) {
            if (packet.qos === 2 && packet.payload.toString().startsWith('#3'))
              session.send({ cmd: 'pubrec', messageId: packet.messageId });
            return;
          }
          polite.publish(session, packet);
        },
        pubrel(session, packet) {
          if (session.index > 0)	// boot 1's PUBREL waits for its PUBCOMP
            polite.pubrel(session, packet);
        },
      }, async broker => {
        const params = { port: broker.port, count: 3, qos2: 2, size: 8, subscribe: 'in/#' };
        await boot(storage, { case: 'firstBoot', ...params }, {
          kill: async () => until(() => broker.sessions[0]?.packets.filter(packet => packet.cmd === 'pubrel').length === 1, 'PUBREL of boot 1'),
        });
        const first = sent(broker.sessions[0]);
        assert.deepEqual(first.map(packet => packet.slice(0, 2)), [['subscribe', 1], ['publish', 2], ['publish', 3], ['publish', 4], ['publish', 5], ['publish', 6], ['pubrel', 5]]);
        // Boot 2: the same store, connect(false).
        const later = await boot(storage, { case: 'laterBoot', port: broker.port, expect: 5 });
        assert.equal(later.present, present ? 1 : 0);
        const second = sent(broker.sessions[1]);
        if (present)
          assert.deepEqual(second.filter(packet => packet[0] !== 'pubrel' || packet[1] !== 6), [
            ['publish', 2, true, 1, '#0......'], ['publish', 3, true, 1, '#1......'], ['publish', 4, true, 1, '#2......'],
            ['pubrel', 5], ['publish', 6, true, 2, '#4......'],
          ], 'DUP 1, the same ids, in order; PUBREL for the message past PUBREC');
        else {
          assert.deepEqual(second.filter(packet => packet[0] === 'publish'), [
            ['publish', 2, false, 1, '#0......'], ['publish', 3, false, 1, '#1......'], ['publish', 4, false, 1, '#2......'],
            ['publish', 6, false, 2, '#4......'],
          ], 'new messages: DUP 0, the message past PUBREC not sent again');
          assert.ok(!second.some(packet => packet[0] === 'pubrel' && packet[1] === 5), 'no PUBREL for a message the new session does not know');
          assert.deepEqual(broker.sessions[1].packets.filter(packet => packet.cmd === 'subscribe').map(packet => packet.subscriptions), [[{ topic: 'in/#', qos: 2 }]], 'the stored subscription made again');
        }
        assert.deepEqual([...later.done].sort(), ['#0......', '#1......', '#2......', '#3......', '#4......'], 'onComplete names each stored message once');
        assert.deepEqual(publishes(later.list), [], 'nothing left on flash');
      });
    });
  }

  // [MQTT-3.8.3-1]..: the options byte (QoS, No Local, Retain As Published,
  // Retain Handling) and the Subscription Identifier (3.8.2.1.2) are the
  // subscription's: made again after a reboot, they must be the ones the app asked for.
  test('MQTT 5: a subscription made with options (No Local, Retain As Published, Retain Handling, a Subscription Identifier) is made again after a reboot with the same options and identifier, the broker having no session; one refused (0x87) is not', async () => {
    const storage = flashStorage();
    await withScripted({
      connect(session) { session.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false }); },
      // The second filter refused with 0x87, Not authorized (3.9.3): a failure, never made again.
      subscribe(session, packet) { session.send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(s => s.topic === 'no/#' ? 0x87 : s.qos) }); },
    }, async broker => {
      const options = { qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 70000 };
      // The boot ends at a message sent once all is published (the subscriptions' record written before).
      await boot(storage, { case: 'firstBoot', port: broker.port, count: 0, protocolVersion: 5, subscribe: ['in/#', 'no/#'], subscribeOptions: options }, {
        manifest: MANIFEST_MQTT5, onReport: (value, xs) => value.published && xs.message({}),
      });
      const later = await boot(storage, { case: 'laterBoot', port: broker.port, protocolVersion: 5 }, { manifest: MANIFEST_MQTT5 });
      assert.equal(later.present, 0);
      const made = packet => ({ subscriptions: packet.subscriptions, identifier: packet.properties?.subscriptionIdentifier });
      const first = broker.sessions[0].packets.filter(packet => packet.cmd === 'subscribe').map(made);
      const granted = { topic: 'in/#', qos: 1, nl: true, rap: true, rh: 2 };
      assert.deepEqual(first, [{ subscriptions: [granted, { ...granted, topic: 'no/#' }], identifier: 70000 }], 'the app\'s SUBSCRIBE');
      assert.deepEqual(broker.sessions[1].packets.filter(packet => packet.cmd === 'subscribe').map(made), [{ subscriptions: [granted], identifier: 70000 }],
        'the granted one made again with its options and identifier; the refused one (0x87) not');
    });
  });

  test('received QoS 2 ids awaiting PUBREL are recognised after a reboot: the resends are acknowledged, not delivered again [MQTT-4.3.3-2]; each message had a key of its own', async () => {
    const storage = flashStorage();
    const message = id => ({ cmd: 'publish', topic: `in/${id}`, payload: Buffer.from(`m${id}`), qos: 2, messageId: id, retain: false, dup: false });
    const given = [];
    await withScripted({
      connect(session) {
        session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 });
        if (session.index > 0)
          for (const id of [9, 10])
            session.send({ ...message(id), dup: true });
      },
      subscribe(session, packet) {
        polite.subscribe(session, packet);
        session.send(message(9));
        session.send(message(10));
      },
      pubrec(session, packet) {
        if (session.index > 0)
          session.send({ cmd: 'pubrel', messageId: packet.messageId });
      },
    }, async broker => {
      const onReport = value => value.received && given.push({ msg: value.msg, ...value.delivery });
      await boot(storage, { case: 'firstBoot', port: broker.port, count: 0, subscribe: 'in/#' }, {
        onReport,
        kill: () => until(() => broker.sessions[0]?.packets.filter(packet => packet.cmd === 'pubrec').length === 2, 'PUBREC of both in boot 1'),
      });
      await boot(storage, { case: 'laterBoot', port: broker.port, linger: 300 }, { onReport });
      const [first, second] = given;
      assert.ok(first.key < second.key, `keys grow with each new message (${first.key}, ${second.key})`);
      assert.deepEqual(given, [
        { msg: 'm9', key: first.key, again: false },
        { msg: 'm10', key: second.key, again: false },
      ], 'each given once: its record marked delivered when the callback returned');
      assert.deepEqual(sent(broker.sessions[1]).filter(packet => packet[0] === 'pubrec' || packet[0] === 'pubcomp'), [['pubrec', 9], ['pubrec', 10], ['pubcomp', 9], ['pubcomp', 10]]);
    });
  });

  test('power lost at every byte written while three QoS 2 messages arrive: after the reboot (where the broker sends a new message before its resends, as aedes does), an app that skips a message given `again` with the last key it had recorded before the boot has each exactly once [MQTT-4.3.3-2]; nothing is lost, and a message is given again only with `again` and its first key', async t => {
    const message = id => ({ cmd: 'publish', topic: `in/${id}`, payload: Buffer.from(`m${id}`), qos: 2, messageId: id, retain: false, dup: false });
    const ids = [1, 2, 3], all = [...ids, 4];
    // The first pass, uncut, measures the bytes written; then a pass per cut.
    let written, cut = -1;
    const outcomes = new Set();
    do {
      const storage = flashStorage();
      // The broker [MQTT-4.4.0-1]: after a reboot, PUBLISH (DUP 1) again what
      // the client did not PUBREC, PUBREL what it did; PUBREL of 1 at once.
      const received = new Set(), complete = new Set();
      const given = [];
      await withScripted({
        connect(session) {
          session.send({ cmd: 'connack', returnCode: 0, sessionPresent: session.index > 0 });
          if (session.index > 0)
            session.send(message(4));
          for (const id of session.index > 0 ? ids : [])
            if (!complete.has(id))
              session.send(received.has(id) ? { cmd: 'pubrel', messageId: id } : { ...message(id), dup: true });
        },
        pubrec(session, packet) {
          received.add(packet.messageId);
          if (session.index > 0 || packet.messageId === 1)
            session.send({ cmd: 'pubrel', messageId: packet.messageId });
        },
        pubcomp(session, packet) {
          complete.add(packet.messageId);
        },
      }, async broker => {
        const onReport = (boot, armed) => value => {
          if (value.received)
            given.push({ boot, msg: value.msg, ...value.delivery });
          if (armed && value.connected !== undefined) {
            storage.power.cutAfter(cut < 0 ? Infinity : cut);
            for (const id of ids)
              broker.sessions[0].send(message(id));
          }
        };
        await boot(storage, { case: 'firstBoot', port: broker.port, count: 0 }, {
          onReport: onReport(0, true),
          // The power's loss ends the case when the host has handled the turn
          // (its reports before the cut stand); storage.power.lost is set before.
          kill: (xs, done) => Promise.race([done.catch(() => {}), until(() => received.size === 3 && complete.has(1), 'all three PUBREC and PUBCOMP 1')]),
        });
        written ??= storage.power.written;
        const lost = storage.power.lost;
        storage.power.restore();
        await boot(storage, { case: 'laterBoot', port: broker.port, linger: 100 }, { onReport: onReport(1, false) });
        outcomes.add(lost ? 'lost' : 'whole');
        // The app of the README: records each message with its key; skips one
        // given `again` with the last key it had recorded when it started.
        let last, before;
        const kept = [];
        for (const giving of given) {
          if (giving.boot === 1 && before === undefined)
            before = last ?? null;
          if (giving.again && giving.key === before)
            continue;
          kept.push(giving.msg);
          last = giving.key;
        }
        assert.deepEqual(kept.sort(), all.map(id => `m${id}`), `cut after ${cut} bytes: each message once in the app (given: ${JSON.stringify(given)})`);
        const firstKey = new Map();
        for (const giving of given) {
          if (!firstKey.has(giving.msg))
            firstKey.set(giving.msg, giving.key);
          else
            assert.deepEqual([giving.again, giving.key], [true, firstKey.get(giving.msg)], `cut after ${cut} bytes: ${giving.msg} given again only with \`again\` and its first key`);
        }
        assert.deepEqual([...complete].sort(), all, `cut after ${cut} bytes: every exchange completed (PUBCOMP)`);
      });
    } while (++cut <= written);
    assert.deepEqual([...outcomes].sort(), ['lost', 'whole']);
    // Wear: each message's 17-byte record (header and key), its commit, its delivered mark; the first's dead mark at PUBREL.
    t.diagnostic(`flash bytes written for three received QoS 2 messages, the first released: ${written}`);
  });

  test('connect(true) empties the store [MQTT-3.1.2-6]: nothing stored goes out, and nothing is found after; the session ended clean, the store still keeps what is published next', async () => {
    const storage = flashStorage();
    await boot(storage, { case: 'publishOffline', count: 3 });
    await withScripted({}, async broker => {
      const later = await boot(storage, { case: 'laterBoot', port: broker.port, clean: true, after: 1 });
      assert.deepEqual(sent(broker.sessions[0]), []);
      assert.deepEqual(publishes(later.list).map(record => record.msg), [payloadOf(100, 16)], 'only the message published after disconnect(), on flash');
      assert.equal(later.list.find(record => record.kind === 4).clientId, 'stored', 'the store still belongs to the client');
    });
  });
});

// ---- a broker that refuses QoS 2 ----

test('a broker closing the connection on a stored QoS 2 PUBLISH (Azure IoT Hub), with reconnect: each loss names it, it is given up after three connections as in RAM, dead on flash, and onComplete tells the app with the error; a QoS 1 message goes through', async () => {
  const storage = flashStorage();
  await withScripted(REFUSES_QOS2, async broker => {
    const result = await boot(storage, { case: 'qos2Refused', port: broker.port });
    const ids = broker.received.filter(packet => packet.cmd === 'publish' && packet.qos === 2).map(packet => packet.messageId);
    assert.equal(ids.length, 3, 'sent on three connections, then given up');
    const lost = id => lostAwaitingPubrec(broker.port, id);
    assert.deepEqual(result.reasons, ids.map(lost));
    assert.deepEqual(result.fates, [
      { msg: 'two', error: `Error: PUBLISH to "refused/t" at QoS 2 (packet id ${ids[2]}) given up: 3 connections ended while it awaited PUBREC${REFUSED_QOS2}` },
      { msg: 'one' },
    ], 'the same error as a session in RAM rejects with (tests/cases/faults.js), then the QoS 1 message complete');
    assert.deepEqual(publishes(result.list), [], 'nothing left on flash: the given-up message is dead');
    assert.deepEqual(result.after, { timers: 0, sockets: 0 });
    assert.equal(broker.sessions.length, 4, 'the fourth connection stays');
  });
});

// ---- store-and-forward ----

test('store-and-forward against mosquitto: 300 QoS 1 messages published while disconnected (outgoingLimit 8) all arrive, in order, once connected; onComplete for each', async t => {
  const broker = await startMosquitto();
  const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
  try {
    const arrived = [];
    await peer.subscribeAsync('t/store', { qos: 1 });
    peer.on('message', (topic, payload) => arrived.push(payload.toString()));
    const storage = flashStorage(8);
    const result = await boot(storage, { case: 'storeAndForward', port: broker.port, count: 300, size: 64, outgoingLimit: 8 });
    assert.equal(result.accepted.length, 300, 'accepted past outgoingLimit: the store bounds it');
    assert.equal(result.done, 300);
    await until(() => arrived.length >= 300, '300 messages at the peer');
    assert.deepEqual(arrived, result.accepted.map(i => payloadOf(i, 64)), 'all, once, in order');
    const perMessage = (storage.flash.bytesWritten / 300).toFixed(1), erases = [...storage.flash.erases].reduce((a, b) => a + b, 0);
    assert.ok(erases <= 8 * 3, `erases bounded: ${erases}`);
    t.diagnostic(`flash per QoS 1 message of 64 B: ${perMessage} bytes written; ${erases} blocks erased for 300`);
  }
  finally {
    await peer.endAsync(true);
    await broker.close();
  }
});

for (const qos of [1, 2]) {
  test(`wear: 1,000 QoS ${qos} messages through a store of 4 blocks against mosquitto: the ring turns, every block erased about as often, no bit written back to 1, all arrive in order`, async t => {
    const broker = await startMosquitto();
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    try {
      const arrived = [];
      await peer.subscribeAsync('t/store', { qos });
      peer.on('message', (topic, payload) => arrived.push(payload.toString()));
      const storage = flashStorage(4);
      const result = await boot(storage, { case: 'online', port: broker.port, count: 1000, size: 64, qos, clientId: `wear${qos}` });
      assert.equal(result.done, 1000);
      await until(() => arrived.length >= 1000, '1,000 messages at the peer');
      assert.deepEqual(arrived, Array.from({ length: 1000 }, (_, i) => payloadOf(i, 64)));
      const erases = [...storage.flash.erases];
      assert.ok(Math.min(...erases) >= 4 && Math.max(...erases) - Math.min(...erases) <= 2, `erases spread over the blocks: ${erases}`);
      t.diagnostic(`QoS ${qos}, 64 B: ${(storage.flash.bytesWritten / 1000).toFixed(1)} bytes written and ${(erases.reduce((a, b) => a + b, 0) / 1000).toFixed(4)} blocks erased per message`);
    }
    finally {
      await peer.endAsync(true);
      await broker.close();
    }
  });
}

// ---- killed at random moments ----

/** Machines over one storage, one after the other, as the shared case drives a host: a kill closes the machine at once. */
function machines(storage, manifest = MANIFEST) {
  let current;
  return {
    async run(file, params, options) {
      current = await XSHost.start({ manifest, storage });
      return current.run(file, params, options);
    },
    async kill() {
      const xs = current;
      current = undefined;
      await xs?.close().catch(() => {});
      storage.files.closeAll();
    },
  };
}

for (const qos of [1, 2]) {
  test(`killed at random moments amid QoS ${qos} traffic, against mosquitto with persistence: every message accepted before a kill arrives${qos === 2 ? ', none twice' : ''}`, async t => {
    const broker = await startMosquitto({ persistence: { autosaveInterval: 1 } });
    const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    try {
      const row = await killedAtRandom(machines({ files: new FileStorage() }), { peer, port: broker.port, qos, kills: 5, file: 'work', clientId: `killed${qos}` });
      t.diagnostic(JSON.stringify(row));
    }
    finally {
      await peer.endAsync(true);
      await broker.close();
    }
  });
}

test('MQTT 5, deep sleep with commands: 20 wake-ups of start, connect(false) (its Session Expiry Interval 0xFFFFFFFF), one QoS 1 reading, a kill at a random moment; before each later wake-up the peer sends the device a QoS 1 command; mosquitto restarted every 10: every reading arrives, in order, and every command reaches the app [MQTT-3.1.2-5] [MQTT-3.1.2-25]', async t => {
  const broker = await startMosquitto({ persistence: { autosaveInterval: 1 } });
  const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'sleep-peer5', clean: false, reconnectPeriod: 100 });
  const files = new FileStorage();
  try {
    const row = await deepSleep(machines({ files }, MANIFEST_MQTT5), {
      peer, broker, cycles: 20, file: 'sleep5', clientId: 'sleeper5', protocolVersion: 5,
      inbox: 'inbox5', readInbox: () => readInboxFile(path.join(files.root, 'inbox5')),
    });
    t.diagnostic(JSON.stringify(row));
  }
  finally {
    await peer.endAsync(true);
    await broker.close();
    files.remove();
  }
});

test('deep sleep: 20 wake-ups of start, connect(false), one QoS 1 reading, a kill at a random moment after publish() accepted it, mosquitto restarted every 10: every reading arrives, in order', async t => {
  const broker = await startMosquitto({ persistence: { autosaveInterval: 1 } });
  const peer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'sleep-peer', clean: false, reconnectPeriod: 100 });
  try {
    const row = await deepSleep(machines({ files: new FileStorage() }), { peer, broker, cycles: 20, file: 'sleep', clientId: 'sleeper' });
    t.diagnostic(JSON.stringify(row));
  }
  finally {
    await peer.endAsync(true);
    await broker.close();
  }
});

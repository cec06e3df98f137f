// aedes in a process of its own, so that a test can kill it with SIGKILL (a
// crash: nothing saved, nothing said to the clients) and start it again on
// the same port. Started by startAedesProcess in brokers.js:
//
//   node aedes-child.js '{"port": 0, "store": "level", "dir": "/tmp/..."}'
//
// store "level": aedes-persistence-level over LevelDB (classic-level) in
// `dir`. Each write goes to LevelDB's log through the kernel before aedes
// goes on, so what aedes stored survives a SIGKILL of this process (not a
// power cut: the log is not fsynced). store "memory": aedes-persistence in
// this process, gone with it: a crash without persistence.
//
// Prints one line, `{"port": N}`, once it listens on 127.0.0.1.
import net from 'node:net';
import { Aedes } from 'aedes';
import memoryPersistence from 'aedes-persistence';
import levelPersistence from 'aedes-persistence-level';
import { ClassicLevel } from 'classic-level';

const { port, store, dir } = JSON.parse(process.argv[2]);
const persistence = store === 'level' ? levelPersistence(new ClassicLevel(dir)) : memoryPersistence();
const aedes = await Aedes.createBroker({ persistence });
const server = net.createServer(connection => {
  connection.setNoDelay(true);
  connection.on('error', () => {});
  aedes.handle(connection);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// The parent gone (a test that failed hard): go too, never linger.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

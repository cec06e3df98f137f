// Certificates the TLS tests make for themselves with the openssl command: a
// CA; server certificates for localhost and 127.0.0.1 (valid, expired, for
// another host); a client certificate (a device's, for brokers that require
// one); and a second CA nobody trusts, with a localhost certificate of its
// own. Made once per process, in a temporary directory that holds
// their private keys: removed when the process ends, even on a failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atExit } from './cleanup.js';

let made;

export function makeCertificates() {
  if (made)
    return made;
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-certs-'));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = name => path.join(dir, name);

  const authority = name => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
      '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    // `openssl ca` can date a certificate in the past; it wants a database.
    const home = file(`${name}-db`);
    mkdirSync(home);
    writeFileSync(path.join(home, 'index.txt'), '');
    writeFileSync(path.join(home, 'serial'), '1000\n');
    writeFileSync(file(`${name}.cnf`), [
      '[ ca ]', 'default_ca = local', '[ local ]',
      `dir = ${home}`, 'database = $dir/index.txt', 'serial = $dir/serial', 'new_certs_dir = $dir',
      `certificate = ${file(`${name}.pem`)}`, `private_key = ${file(`${name}.key`)}`,
      'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = copy',
      '[ any ]', 'commonName = supplied',
    ].join('\n') + '\n');
    return name;
  };

  const server = (ca, name, san, dates = {}) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', `/CN=${name}`,
      '-addext', `subjectAltName=${san}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    const validity = dates.start ? ['-startdate', dates.start, '-enddate', dates.end] : ['-days', '30'];
    run('ca', '-batch', '-notext', '-config', file(`${ca}.cnf`), '-in', file(`${name}.csr`), '-out', file(`${name}.pem`), ...validity);
    return { key: readFileSync(file(`${name}.key`)), cert: readFileSync(file(`${name}.pem`)), keyFile: file(`${name}.key`), certFile: file(`${name}.pem`) };
  };

  // A device's certificate: the DER bytes and the PKCS#8 DER key the SDK's
  // TLS takes (clientCertificates, clientKey), the PEM files a broker takes.
  const client = (ca, name) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', `/CN=${name}`,
      '-addext', 'extendedKeyUsage=clientAuth', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    run('ca', '-batch', '-notext', '-config', file(`${ca}.cnf`), '-in', file(`${name}.csr`), '-out', file(`${name}.pem`), '-days', '30');
    return {
      key: readFileSync(file(`${name}.key`)), cert: readFileSync(file(`${name}.pem`)),
      der: der(name), keyDer: run('pkcs8', '-topk8', '-nocrypt', '-in', file(`${name}.key`), '-outform', 'der'),
    };
  };

  const trusted = authority('trusted-ca');
  const untrusted = authority('untrusted-ca');
  const der = name => execFileSync('openssl', ['x509', '-in', file(`${name}.pem`), '-outform', 'der']);
  made = {
    dir,
    ca: { pem: readFileSync(file(`${trusted}.pem`)), der: der(trusted), file: file(`${trusted}.pem`) },
    untrustedCA: { pem: readFileSync(file(`${untrusted}.pem`)), der: der(untrusted), file: file(`${untrusted}.pem`) },
    localhost: server(trusted, 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    expired: server(trusted, 'expired', 'DNS:localhost,IP:127.0.0.1', { start: '20200101000000Z', end: '20210101000000Z' }),
    wrongHost: server(trusted, 'wrong-host', 'DNS:wrong.example.com'),
    untrusted: server(untrusted, 'untrusted', 'DNS:localhost,IP:127.0.0.1'),
    device: client(trusted, 'device'),
  };
  return made;
}

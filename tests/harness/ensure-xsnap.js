// Makes sure xsnap-worker is built. `npm install` builds it through the
// package's postinstall script; an npm that skips install scripts would leave
// it missing, so build it here the same way (make and a C compiler suffice).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { workerPath, xsnapPackageDir } from './xsnap-path.js';

if (!existsSync(workerPath())) {
  console.log('xsnap-worker is missing; building it from the XS sources in @agoric/xsnap');
  execFileSync(process.execPath, ['src/build.js'], { cwd: xsnapPackageDir(), stdio: 'inherit' });
}
if (!existsSync(workerPath()))
  throw new Error(`xsnap-worker still missing at ${workerPath()}`);

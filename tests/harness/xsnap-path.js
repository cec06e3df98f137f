// Where npm's install of @agoric/xsnap put the compiled xsnap-worker.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export function xsnapPackageDir() {
  return path.dirname(require.resolve('@agoric/xsnap/package.json'));
}

export function workerPath(flavor = 'release') {
  return path.join(xsnapPackageDir(), 'xsnap-native', 'xsnap', 'build', 'bin', 'lin', flavor, 'xsnap-worker');
}

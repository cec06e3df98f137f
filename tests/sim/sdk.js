// Where the Moddable SDK is, and whether it can run the mcsim stage: MODDABLE
// pointing at a built SDK (mcconfig, mcsim, the xsbug-log tool) and Xvfb for
// a screen nobody sees. ../shared/moddable/setup.sh builds one.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where every mcsim build of the project goes (`mcconfig -o`), never $MODDABLE's shared output. */
export const buildRoot = path.join(projectRoot, 'build', 'mcsim');

export const HOW_TO_ENABLE = 'eval "$(../shared/moddable/setup.sh)" && npm test';

/** The SDK's paths, or `{ missing }` saying what is not there. */
export function sdk() {
  const home = process.env.MODDABLE;
  if (!home)
    return { missing: 'MODDABLE is not set' };
  const paths = {
    home,
    mcconfig: path.join(home, 'build/bin/lin/release/mcconfig'),
    mcsim: path.join(home, 'build/bin/lin/release/mcsim'),
    xsbugLog: path.join(home, 'tools/xsbug-log/xsbug-log.js'),
  };
  for (const [name, file] of Object.entries(paths))
    if (!existsSync(file))
      return { missing: `${name} not found at ${file} (MODDABLE=${home}): run ../shared/moddable/setup.sh` };
  if (!existsSync(path.join(home, 'tools/xsbug-log/node_modules')))
    return { missing: `the SDK's xsbug-log has no node_modules (MODDABLE=${home}): run ../shared/moddable/setup.sh` };
  try {
    execFileSync('Xvfb', ['-help'], { stdio: 'ignore' });
  }
  catch (error) {
    if (error.code === 'ENOENT')
      return { missing: 'Xvfb is not installed (../shared/moddable/setup.sh installs it)' };
  }
  return paths;
}

/** True when the mcsim tests should run: the SDK is there. */
export const enabled = () => !sdk().missing;

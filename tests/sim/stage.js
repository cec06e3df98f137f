// The mcsim stage of npm test, before the tests run: builds the apps the mcsim
// tests (tests/mcsim-*.test.js) run, so that a test only relinks them for its
// broker's port. Without the SDK it says in one line that the stage is
// skipped and how to turn it on; with CI=true a skipped stage fails.
import { sdk, HOW_TO_ENABLE } from './sdk.js';
import { build, esp8266Creation } from './apps.js';
import { mkdirSync } from 'node:fs';
import { controlPort, FILES } from './host.js';

const tools = sdk();
if (tools.missing) {
  if (!process.env.MODDABLE && process.env.CI !== 'true') {
    console.log(`mcsim stage skipped: MODDABLE is not set (the real Moddable runtime; to run it: ${HOW_TO_ENABLE})`);
    process.exit(0);
  }
  console.error(`mcsim stage failed: ${tools.missing}${process.env.MODDABLE ? '' : ` (CI=true: the stage must run; ${HOW_TO_ENABLE})`}`);
  process.exit(1);
}

const start = Date.now();
mkdirSync(FILES, { recursive: true });	// the runner's files root (embedded:storage/files)
const creation = esp8266Creation();
const apps = [
  ['runner', { config: { control: controlPort(), files: FILES } }],
  ['runner-client-tls', { config: { control: controlPort(), files: FILES } }],
  ['one-case', { creation }],
  ['stored-device', { creation }],
  ['hello', { creation }],
  ['sdk-client', { creation }],
];
try {
  for (const [name, options] of apps) {
    const began = Date.now();
    await build(name, options);
    console.log(`mcsim stage: built ${name} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
}
catch (error) {
  console.error(`mcsim stage failed: ${error.message}`);
  process.exit(1);
}
console.log(`mcsim stage: ${apps.length} apps built in ${((Date.now() - start) / 1000).toFixed(1)} s (SDK at ${tools.home}); the tests/mcsim-*.test.js files run them`);

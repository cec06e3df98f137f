// node tests/bench/costs.js: what single constructs cost XS (xsnap), in
// compute steps, each over 100 iterations of a loop less the empty loop's
// steps (tests/scenarios/bench/costs.js). XS meters, identical on every run.
import { XSHost } from '../harness/host.js';

const COUNT = 100;
const xs = await XSHost.start({});
const names = await new Promise((resolve, reject) => {
  xs.run('tests/scenarios/bench/costs.js', {}, { timeout: 600_000, onReport: report => report.ready && resolve(report.names) }).catch(reject);
});
const steps = async name => {
  await xs.message({ name, count: COUNT });	// warm
  return (await xs.message({ name, count: COUNT })).compute;
};
const empty = await steps('empty');
console.log(`| construct, measured ${new Date().toISOString().slice(0, 10)} on XS (xsnap) | compute steps |\n|---|---|`);
console.log(`| an iteration of an empty for loop | ${(empty / COUNT).toFixed(0)} |`);
for (const name of names.filter(name => name !== 'empty'))
  console.log(`| ${name} | ${((await steps(name) - empty) / COUNT).toFixed(0)} |`);
await xs.close();

// Runs one scenario of tests/scenarios on the real Moddable SDK, the one the
// build's config names, with the config as its parameters:
//   mcconfig -d -m -p lin -t build scenario=client/api case=publishQoS port=1883
// Config values given on the command line are strings: numbers are made numbers.
import config from "mc/config";

const params = {};
for (const [key, value] of Object.entries(config))
	params[key] = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

import(`scenarios/${config.scenario}`)
	.then(module => module.default(params))
	.then(
		result => trace(`RESULT ${JSON.stringify(result === undefined ? null : result)}\n`),
		error => trace(`FAILED ${error}\n${error?.stack ?? ""}\n`));

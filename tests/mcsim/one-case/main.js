// The one-case app: runs the case of tests/scenarios that the build's config
// names, with the config as its parameters, and traces the result:
//   mcconfig -d -m -p lin -t build scenario=client/device port=1883
// Values given to mcconfig on the command line arrive as strings: numbers are made numbers.
// With stackProbe=1 it also traces the XS stack's high-water mark (STACK bytes).
import config from "mc/config";
import { probeStack } from "harness";

const params = {};
for (const [key, value] of Object.entries(config))
	params[key] = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

async function main() {
	const stopProbe = params.stackProbe ? probeStack() : undefined;
	try {
		const scenario = await import(`scenarios/${params.scenario}`);
		const result = await scenario.default(params);
		if (stopProbe)
			trace(`STACK ${stopProbe()}\n`);
		trace(`RESULT ${JSON.stringify(result === undefined ? null : result)}\n`);
	}
	catch (error) {
		trace(`FAILED ${error}\n${error?.stack ?? ""}\n`);
	}
}

main();

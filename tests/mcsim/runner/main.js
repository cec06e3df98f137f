// The runner app: runs, one after another, the cases of tests/scenarios that
// the test sends over the control channel (see harness.js), in one machine.
import { serve } from "harness";

serve(async (file, params) => {
	const scenario = await import(`scenarios/${file}`);
	return scenario.default(params);
});

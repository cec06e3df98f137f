// Node resolve hook: inside build/, "mqtt" and "mqtt/..." are the library's
// own modules (as on Moddable), not the npm package of the same name.
import { allLibraryModules, buildDir } from './library.js';
import { pathToFileURL, fileURLToPath } from 'node:url';

const modules = allLibraryModules();
const buildPrefix = pathToFileURL(buildDir).href + '/';

export async function resolve(specifier, context, next) {
  if (context.parentURL?.startsWith(buildPrefix) && modules[specifier])
    return { url: pathToFileURL(modules[specifier]).href, shortCircuit: true };
  return next(specifier, context);
}

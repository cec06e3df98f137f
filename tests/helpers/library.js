// Where the library's modules are: the specifiers of the root manifest.json,
// mapped to the JavaScript that `npm run build` compiles from them. The XS
// host and the Node resolve hook both read this one map.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const buildDir = path.join(root, 'build');

/** specifier -> absolute path of the compiled .js file, following the manifest's includes of ours */
export function libraryModules(manifest = 'manifest.json') {
  const { modules = {}, include = [] } = JSON.parse(readFileSync(path.join(root, manifest), 'utf8'));
  const map = {};
  for (const included of [].concat(include))
    if (!included.startsWith('$('))
      Object.assign(map, libraryModules(path.join(path.dirname(manifest), included)));
  for (const [specifier, source] of Object.entries(modules)) {
    const relative = path.normalize(source);
    if (!relative.startsWith('modules' + path.sep))
      continue; // an SDK module, not ours
    map[specifier] = path.join(buildDir, relative + '.js');
  }
  return map;
}

export function libraryURL(specifier) {
  const file = libraryModules()[specifier];
  if (!file)
    throw new Error(`no library module ${specifier}`);
  return pathToFileURL(file).href;
}

// Where the library's modules are: the specifiers of the root manifest.json,
// mapped to the JavaScript that `npm run build` compiles from them. The XS
// host and the Node resolve hook both read this one map. A manifest of the
// tests (a fixture) may also map specifiers to JavaScript files beside it.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const buildDir = path.join(root, 'build');

/** specifier -> absolute path of the compiled .js file, following the manifest's includes of ours */
export function libraryModules(manifest = 'manifest.json') {
  const { modules = {}, include = [] } = readManifest(manifest);
  const map = {};
  for (const included of ours(include))
    Object.assign(map, libraryModules(path.join(path.dirname(manifest), included)));
  for (const [specifier, source] of Object.entries(modules)) {
    if (typeof source !== 'string' || source.startsWith('$('))
      continue; // an SDK module, not ours
    const relative = path.join(path.dirname(manifest), source);
    if (relative.startsWith('modules' + path.sep))
      map[specifier] = path.join(buildDir, relative + '.js');
    else if (existsSync(path.join(root, relative + '.js')))
      map[specifier] = path.join(root, relative + '.js');
  }
  return map;
}

/** The specifiers the manifest (and the manifests of ours it includes) lists under "preload". */
export function libraryPreloads(manifest = 'manifest.json') {
  const { preload = [], include = [] } = readManifest(manifest);
  const specifiers = new Set([].concat(preload));
  for (const included of ours(include))
    for (const specifier of libraryPreloads(path.join(path.dirname(manifest), included)))
      specifiers.add(specifier);
  return specifiers;
}

/**
 * The "config" the manifest (and the manifests of ours it includes) gives
 * the app's mc/config, merged as mcconfig merges it: nested objects key by
 * key, the including manifest's last.
 */
export function libraryConfig(manifest = 'manifest.json') {
  const { config = {}, include = [] } = readManifest(manifest);
  const merged = {};
  for (const included of ours(include))
    mergeConfig(merged, libraryConfig(path.join(path.dirname(manifest), included)));
  return mergeConfig(merged, config);
}

function mergeConfig(target, source) {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && target[key] && typeof target[key] === 'object')
      mergeConfig(target[key], value);
    else
      target[key] = structuredClone(value);
  }
  return target;
}

// Read once per process: every XS host walks the same manifests (for its modules, then its preloads).
const manifests = new Map();

function readManifest(manifest) {
  let parsed = manifests.get(manifest);
  if (!parsed)
    manifests.set(manifest, parsed = JSON.parse(readFileSync(path.join(root, manifest), 'utf8')));
  return parsed;
}

const ours = include => [].concat(include).filter(included => !included.startsWith('$('));

/** Every module of ours: those of manifest.json and those only an MQTT 5 app loads (manifest_mqtt5.json includes manifest.json). */
export function allLibraryModules() {
  return libraryModules('manifest_mqtt5.json');
}

export function libraryURL(specifier) {
  const file = allLibraryModules()[specifier];
  if (!file)
    throw new Error(`no library module ${specifier}`);
  return pathToFileURL(file).href;
}

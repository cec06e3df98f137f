// Preload on the simulator host, Node side: rewrites the source of a module
// listed in the manifest's "preload" so that, on XS, the kernel can leave
// what the module built while loading as the SDK's linker leaves it (see
// `preload` in xs/kernel.js). Three edits, none adding a line, so stack
// traces keep their line numbers:
//  - `__xsPreload.begin();` before the body;
//  - every `new Map(...)`, `new Set(...)`, `new WeakMap(...)` and
//    `new WeakSet(...)` wrapped in `__xsPreload.made(...)`, so that one kept
//    only in a closure is found too (at run time `made` returns its argument);
//  - `__xsPreload.end([...])` after the body, with the values of every
//    top-level declaration (imports excluded: they are other modules' state).
import { statSync, readFileSync } from 'node:fs';
import { parse } from 'acorn';

const TRACKED = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);
const cache = new Map();	// file -> { mtimeMs, text }

/** The preload rewrite of a module's file, cached while the file is unchanged. */
export function preloadedSource(file) {
  const { mtimeMs } = statSync(file);
  const cached = cache.get(file);
  if (cached?.mtimeMs === mtimeMs)
    return cached.text;
  const text = rewrite(readFileSync(file, 'utf8'), file);
  cache.set(file, { mtimeMs, text });
  return text;
}

function rewrite(source, name = 'module') {
  let program;
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'module' });
  }
  catch (error) {
    throw new Error(`${name}: ${error.message}`);
  }
  const names = [];
  for (const statement of program.body) {
    if (statement.type === 'ExportDefaultDeclaration' && !statement.declaration.id)
      throw new Error(`${name}: an anonymous default export cannot be linked as preloaded on this host; name it`);
    const declaration = statement.type.startsWith('Export') ? statement.declaration : statement;
    if (!declaration)
      continue;
    if (declaration.type === 'VariableDeclaration')
      for (const declarator of declaration.declarations)
        bound(declarator.id, names);
    else if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id)
      names.push(declaration.id.name);
  }
  const declared = new Set(names);
  const edits = [{ at: 0, text: '__xsPreload.begin(); ' }];
  visit(program, node => {
    if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && TRACKED.has(node.callee.name) && !declared.has(node.callee.name)) {
      edits.push({ at: node.start, text: '__xsPreload.made(' });
      edits.push({ at: node.end, text: ')' });
    }
  });
  edits.push({ at: source.length, text: `\n;__xsPreload.end([${names.join(', ')}]);\n` });
  // From the end, so offsets stay right; at one offset, closing before opening.
  edits.sort((a, b) => b.at - a.at || (a.text === ')' ? 1 : -1));
  let text = source;
  for (const { at, text: insert } of edits)
    text = text.slice(0, at) + insert + text.slice(at);
  return text;
}

/** The names a binding pattern declares. */
function bound(pattern, names) {
  switch (pattern.type) {
  case 'Identifier': names.push(pattern.name); break;
  case 'ObjectPattern': for (const property of pattern.properties) bound(property.type === 'RestElement' ? property.argument : property.value, names); break;
  case 'ArrayPattern': for (const element of pattern.elements) if (element) bound(element, names); break;
  case 'RestElement': bound(pattern.argument, names); break;
  case 'AssignmentPattern': bound(pattern.left, names); break;
  }
}

function visit(node, callback) {
  callback(node);
  for (const key in node) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value)
        if (item && typeof item.type === 'string')
          visit(item, callback);
    }
    else if (value && typeof value.type === 'string')
      visit(value, callback);
  }
}

// Loads the compiled library into Node for the codec tests, which need no
// socket: the resolve hook maps the Moddable specifiers, and the Moddable
// globals the codec uses get their standard equivalents.
import { register } from 'node:module';
import { libraryURL } from './library.js';

register(new URL('./resolve-hook.js', import.meta.url));

if (!ArrayBuffer.fromString) {
  const encoder = new TextEncoder();
  ArrayBuffer.fromString = text => encoder.encode(text).buffer;
}

export function importLibrary(specifier) {
  return import(libraryURL(specifier));
}

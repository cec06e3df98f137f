// Loads the compiled library into Node for the codec tests, which need no
// socket: the resolve hook maps the Moddable specifiers, and the Moddable
// globals the codec uses get their standard equivalents.
import { register } from 'node:module';
import { libraryURL } from './library.js';

register(new URL('./resolve-hook.js', import.meta.url));

// XS's ArrayBuffer.fromString encodes each UTF-16 code unit of a lone
// surrogate as three bytes (ED A0..BF xx), where TextEncoder would write
// U+FFFD: the stand-in does as XS does, so that the codec meets here what it
// meets on a device.
if (!ArrayBuffer.fromString) {
  const encoder = new TextEncoder();
  ArrayBuffer.fromString = text => {
    if (text.isWellFormed())
      return encoder.encode(text).buffer;
    const bytes = [];
    for (const piece of text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]|[^\uD800-\uDFFF]+/g)) {
      const unit = piece.charCodeAt(0);
      if (piece.length === 1 && unit >= 0xD800 && unit <= 0xDFFF)
        bytes.push(0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F));
      else
        bytes.push(...encoder.encode(piece));
    }
    return Uint8Array.from(bytes).buffer;
  };
}

// XS's String.fromArrayBuffer: the MQTT 5 codec decodes UTF-8 properties
// (already checked well-formed) with it.
if (!String.fromArrayBuffer) {
  const decoder = new TextDecoder();
  String.fromArrayBuffer = buffer => decoder.decode(buffer);
}

export function importLibrary(specifier) {
  return import(libraryURL(specifier));
}

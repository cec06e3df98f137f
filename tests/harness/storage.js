// The storage a device keeps through a reboot, Node side, for the simulator
// host (XSHost option `storage`): it outlives the XS machines that use it, as
// flash outlives a reboot. No kinder than the device:
//  - NorFlash, what `embedded:storage/flash` opens on an ESP32 (a partition of
//    4,096-byte blocks): an erase sets a block to 0xFF, a write can only
//    clear bits (a write that would set a 0 bit back to 1 fails, naming the
//    offset, where the chip would leave the AND of both), erases are counted
//    per block;
//  - FileStorage, what `embedded:storage/files` gives in mcsim (POSIX files
//    in a folder: pwrite at a position, the kernel keeps what was written when
//    the process dies), in a temporary folder removed at exit;
//  - Power: the power goes at a chosen byte of the bytes written to storage
//    (flash or files, counted from when it was armed): the write that
//    crosses it lands only up to that byte, and the machine stops there,
//    sending nothing more.
import { mkdtempSync, rmSync, openSync, readSync, writeSync, fstatSync, ftruncateSync, closeSync, existsSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atExit } from './cleanup.js';

export class Power {
  written = 0;		// bytes written to storage since armed
  cutAt;		// the power goes after this many bytes, when set
  lost = false;

  /** The power goes after `bytes` more bytes written to storage. */
  cutAfter(bytes) {
    this.written = 0;
    this.cutAt = bytes;
    this.lost = false;
  }

  /** How many of `length` bytes about to be written land; sets `lost` when the cut falls within them. */
  take(length) {
    if (this.lost)
      return 0;
    if (this.cutAt === undefined || this.written + length <= this.cutAt) {
      this.written += length;
      return length;
    }
    const landed = this.cutAt - this.written;
    this.written = this.cutAt;
    this.lost = true;
    return landed;
  }

  /** Power back, not armed. */
  restore() {
    this.cutAt = undefined;
    this.lost = false;
    this.written = 0;
  }
}

export class NorFlash {
  constructor({ blockSize = 4096, blockCount = 16 } = {}) {
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.image = Buffer.alloc(blockSize * blockCount, 0xFF);
    this.erases = new Uint32Array(blockCount);
    this.bytesWritten = 0;
    this.writes = 0;
  }

  #range(offset, length) {
    if (!Number.isInteger(offset) || offset < 0 || length < 0 || offset + length > this.image.length)
      throw new Error(`flash: offset ${offset} length ${length} outside the partition of ${this.image.length} bytes`);
  }

  read(offset, length) {
    this.#range(offset, length);
    return this.image.subarray(offset, offset + length);
  }

  /** Programs `bytes`, the first `landed` of them when the power goes within. Throws on a 0 bit written back to 1. */
  write(offset, bytes, landed = bytes.length) {
    this.#range(offset, bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const old = this.image[offset + i];
      if ((bytes[i] & ~old) & 0xFF)
        throw new Error(`write failed: a bit set to 1 without an erase at offset ${offset + i} (0x${old.toString(16)} then 0x${bytes[i].toString(16)})`);
    }
    for (let i = 0; i < landed; i++)
      this.image[offset + i] &= bytes[i];
    this.bytesWritten += landed;
    this.writes++;
  }

  eraseBlock(block) {
    if (!Number.isInteger(block) || block < 0 || block >= this.blockCount)
      throw new Error(`flash: no block ${block}`);
    this.image.fill(0xFF, block * this.blockSize, (block + 1) * this.blockSize);
    this.erases[block]++;
  }
}

export class FileStorage {
  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'mqtt-files-'));
    atExit(() => this.remove());
    this.#files = new Map();
    this.bytesWritten = 0;
    this.writes = 0;
    this.flushes = 0;
  }
  #files;
  #next = 1;

  #path(name) {
    if (typeof name !== 'string' || !name || name.includes('..'))
      throw new Error(`files: invalid path ${name}`);
    return path.join(this.root, name);
  }

  /** mode as the SDK's: r, r+ (the file must exist), w, w+ (created, truncated). */
  open(name, mode) {
    const file = this.#path(name);
    if ((mode === 'r' || mode === 'r+') && !existsSync(file))
      throw new Error('No such file or directory');
    const flags = { r: 'r', 'r+': 'r+', w: 'w', 'w+': 'w+' }[mode];
    if (!flags)
      throw new Error('invalid mode');
    const id = this.#next++;
    this.#files.set(id, openSync(file, flags));
    return id;
  }

  #fd(id) {
    const fd = this.#files.get(id);
    if (fd === undefined)
      throw new Error('closed');
    return fd;
  }

  read(id, position, length) {
    const buffer = Buffer.alloc(length);
    const count = readSync(this.#fd(id), buffer, 0, length, position);
    return buffer.subarray(0, count);
  }

  write(id, position, bytes, landed = bytes.length) {
    writeSync(this.#fd(id), bytes, 0, landed, position);
    this.bytesWritten += landed;
    this.writes++;
  }

  size(id) { return fstatSync(this.#fd(id)).size; }
  setSize(id, size) { ftruncateSync(this.#fd(id), size); }
  flush() { this.flushes++; }
  close(id) {
    const fd = this.#files.get(id);
    if (fd !== undefined)
      closeSync(fd);
    this.#files.delete(id);
  }
  delete(name) {
    const file = this.#path(name);
    if (existsSync(file))
      unlinkSync(file);
  }

  /** The machine died: its open files are closed (the kernel does it for a killed process). */
  closeAll() {
    for (const id of [...this.#files.keys()])
      this.close(id);
  }

  remove() {
    this.closeAll();
    rmSync(this.root, { recursive: true, force: true });
  }
}

// The requests of the XS side (xs/flash.js, xs/files.js): [0x01][op][u32 a][u32 b][bytes].
export const STORAGE_OP = { FLASH_STATUS: 1, FLASH_READ: 2, FLASH_WRITE: 3, FLASH_ERASE: 4, FILE_OPEN: 5, FILE_READ: 6, FILE_WRITE: 7, FILE_SIZE: 8, FILE_FLUSH: 9, FILE_CLOSE: 10, FILE_SET_SIZE: 11, FILE_DELETE: 12 };
const MODES = ['r', 'r+', 'w', 'w+'];

/** Answers one request: '.' and bytes, '!' and a message, or 'P' when the power went. */
export function answerStorage(storage, request) {
  const op = request[1], a = request.readUInt32BE(2), b = request.readUInt32BE(6), bytes = request.subarray(10);
  const ok = (data = Buffer.alloc(0)) => Buffer.concat([Buffer.from('.'), data]);
  const u32 = value => { const out = Buffer.alloc(4); out.writeUInt32BE(value); return out; };
  if (!storage)
    return Buffer.from('!no storage: give the XS host the option `storage`');
  const { flash, files, power } = storage;
  try {
    if (power?.lost)
      return Buffer.from('P');
    switch (op) {
    case STORAGE_OP.FLASH_STATUS: return ok(Buffer.concat([u32(need(flash).blockSize), u32(flash.blockCount)]));
    case STORAGE_OP.FLASH_READ: return ok(need(flash).read(a, b));
    case STORAGE_OP.FLASH_WRITE: {
      const landed = power ? power.take(bytes.length) : bytes.length;
      need(flash).write(a, bytes, landed);
      return power?.lost ? Buffer.from('P') : ok();
    }
    case STORAGE_OP.FLASH_ERASE:
      if (power?.cutAt !== undefined && power.lost)
        return Buffer.from('P');
      need(flash).eraseBlock(a);
      return ok();
    case STORAGE_OP.FILE_OPEN: return ok(u32(needFiles(files).open(bytes.toString(), MODES[a])));
    case STORAGE_OP.FILE_READ: return ok(needFiles(files).read(a, b, bytes.readUInt32BE(0)));
    case STORAGE_OP.FILE_WRITE: {
      const landed = power ? power.take(bytes.length) : bytes.length;
      needFiles(files).write(a, b, bytes, landed);
      return power?.lost ? Buffer.from('P') : ok();
    }
    case STORAGE_OP.FILE_SIZE: return ok(u32(needFiles(files).size(a)));
    case STORAGE_OP.FILE_FLUSH: needFiles(files).flush(a); return ok();
    case STORAGE_OP.FILE_CLOSE: needFiles(files).close(a); return ok();
    case STORAGE_OP.FILE_SET_SIZE: needFiles(files).setSize(a, b); return ok();
    case STORAGE_OP.FILE_DELETE: needFiles(files).delete(bytes.toString()); return ok();
    default: return Buffer.from(`!unknown storage op ${op}`);
    }
  }
  catch (error) {
    return Buffer.from(`!${error.message}`);
  }
}

function need(flash) {
  if (!flash)
    throw new Error('no flash partition: give the storage a NorFlash');
  return flash;
}

function needFiles(files) {
  if (!files)
    throw new Error('no files: give the storage a FileStorage');
  return files;
}

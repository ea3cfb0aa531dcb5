import { DataError } from './errors.js';

/** Names of the IDX element types, so an unsupported file is reported by what it holds. */
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Options of {@link readIdx}. */
export interface ReadIdxOptions {
  /** Number of dimensions the caller expects (1 for label files, 3 for image files); checked when given. */
  ndim?: number;
}

/** A parsed IDX file: its dimensions and its elements in row-major order. */
export interface IdxData {
  /** Sizes from the header, e.g. [60000, 28, 28] for the MNIST training images. */
  dims: number[];
  /** The elements, a view into the input bytes (no copy). */
  data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes, the format the MNIST files are distributed in:
 * a 4-byte magic number (two zero bytes, the type byte 0x08, the number of dimensions), one
 * big-endian uint32 per dimension, then the elements in row-major order. Every check failure is
 * a {@link DataError} naming `source` (a file name or path, used only in messages).
 *
 * @example
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]); // a 1-d label file
 * readIdx(bytes, 'labels.idx'); // { dims: [3], data: Uint8Array [7, 2, 1] }
 */
export function readIdx(bytes: Uint8Array, source: string, options: ReadIdxOptions = {}): IdxData {
  const where = `readIdx: ${source}`;
  if (!(bytes instanceof Uint8Array)) throw new DataError(`${where}: expected the file's bytes as a Uint8Array`);
  if (bytes.length < 4) {
    throw new DataError(
      `${where} is too short to be an IDX file: ${bytes.length} bytes, need at least 4 for the magic number`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = `0x${view.getUint32(0).toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(`${where} is not an IDX file: the magic number ${magic} must start with two zero bytes`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const name = IDX_TYPES[type];
    const hex = `0x${type.toString(16).padStart(2, '0')}`;
    throw new DataError(
      name === undefined
        ? `${where} has an unknown IDX type byte ${hex} (magic ${magic}); only unsigned bytes (0x08) are supported`
        : `${where} holds ${name} elements (type byte ${hex}, magic ${magic}); only unsigned bytes (0x08) are supported`,
    );
  }
  const ndim = bytes[3];
  if (options.ndim !== undefined && ndim !== options.ndim) {
    const wanted = `0x${(0x800 + options.ndim).toString(16).padStart(8, '0')}`;
    throw new DataError(`${where} has ${ndim} dimensions (magic ${magic}), expected ${options.ndim} (magic ${wanted})`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `${where} is truncated in its header: ${ndim} dimensions need a ${headerBytes}-byte header, the file has ${bytes.length} bytes`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    const what = actual < expected ? 'is truncated' : 'has extra bytes';
    throw new DataError(
      `${where} ${what}: dims ${dims.join('×')} need ${expected} data bytes after the ${headerBytes}-byte header, found ${actual}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

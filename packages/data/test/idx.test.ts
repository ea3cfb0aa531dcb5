import { describe, expect, it } from 'vitest';
import { NNError } from '@nn/tensor';
import { DataError, readIdx } from '@nn/data';

/** Builds an IDX file: magic (0, 0, type, ndim), big-endian uint32 dims, then the data bytes. */
function idx(dims: number[], data: number[] | Uint8Array, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** Asserts that parsing throws a DataError whose message names the file and matches `pattern`. */
function expectDataError(bytes: Uint8Array, source: string, pattern: RegExp, ndim?: number): void {
  let error: unknown;
  try {
    readIdx(bytes, source, { ndim });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DataError);
  expect(error).toBeInstanceOf(NNError);
  const message = (error as Error).message;
  expect(message).toContain('readIdx');
  expect(message).toContain(source);
  expect(message).toMatch(pattern);
}

describe('readIdx: good files', () => {
  it('parses a 1-d label file (magic 0x00000801)', () => {
    const { dims, data } = readIdx(idx([5], [5, 0, 4, 1, 9]), 'labels');
    expect(dims).toEqual([5]);
    expect(Array.from(data)).toEqual([5, 0, 4, 1, 9]);
  });

  it('parses a 3-d image file (magic 0x00000803) with big-endian dims', () => {
    const pixels = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
    const { dims, data } = readIdx(idx([2, 3, 4], pixels), 'images', { ndim: 3 });
    expect(dims).toEqual([2, 3, 4]);
    expect(Array.from(data)).toEqual(pixels);
  });

  it('reads dims above 255 and 65535 (all four bytes matter)', () => {
    const { dims } = readIdx(idx([70000, 1, 1], new Uint8Array(70000)), 'big');
    expect(dims).toEqual([70000, 1, 1]);
  });

  it('returns a view into the input, honouring the byteOffset of a subarray', () => {
    const file = idx([3], [7, 8, 9]);
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 5);
    const { data } = readIdx(padded.subarray(5), 'offset');
    expect(Array.from(data)).toEqual([7, 8, 9]);
    expect(data.buffer).toBe(padded.buffer);
  });

  it('accepts a Node Buffer and empty dimensions', () => {
    expect(readIdx(Buffer.from(idx([0, 28, 28], [])), 'empty').dims).toEqual([0, 28, 28]);
  });
});

describe('readIdx: bad files name the file and the problem', () => {
  it('too short for a magic number', () => {
    expectDataError(new Uint8Array([0, 0, 8]), 'short.idx', /too short.*3 bytes/);
    expectDataError(new Uint8Array(0), 'empty.idx', /0 bytes/);
  });

  it('truncated header', () => {
    expectDataError(
      idx([10, 28, 28], []).subarray(0, 10),
      'train-images-idx3-ubyte',
      /truncated in its header.*16-byte header.*10 bytes/,
    );
  });

  it('truncated data, giving expected and actual sizes', () => {
    const full = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expectDataError(
      full.subarray(0, full.length - 3),
      't10k-images-idx3-ubyte',
      /truncated.*2×2×2 need 8 data bytes.*found 5/,
    );
  });

  it('extra bytes after the data', () => {
    expectDataError(idx([3], [1, 2, 3, 4]), 'labels.idx', /extra bytes.*need 3 data bytes.*found 4/);
  });

  it('magic number not starting with two zero bytes', () => {
    const bytes = idx([1], [1]);
    bytes[0] = 0x1f; // e.g. a gzip file passed without decompressing
    expectDataError(bytes, 'gz.idx', /not an IDX file.*0x1f000801.*two zero bytes/);
    const other = idx([1], [1]);
    other[1] = 1;
    expectDataError(other, 'one.idx', /two zero bytes/);
  });

  it.each([
    [0x09, 'signed byte'],
    [0x0b, 'int16'],
    [0x0c, 'int32'],
    [0x0d, 'float32'],
    [0x0e, 'float64'],
  ])('type byte 0x%s is named (%s)', (type, name) => {
    expectDataError(
      idx([1], [0, 0, 0, 0], type),
      'typed.idx',
      new RegExp(`holds ${name} elements.*only unsigned bytes`),
    );
  });

  it('unknown type byte', () => {
    expectDataError(idx([1], [0], 0x42), 'weird.idx', /unknown IDX type byte 0x42/);
  });

  it('wrong number of dimensions when one is expected (labels file given as images)', () => {
    expectDataError(
      idx([3], [1, 2, 3]),
      'train-labels-idx1-ubyte',
      /1 dimensions \(magic 0x00000801\), expected 3 \(magic 0x00000803\)/,
      3,
    );
  });
});

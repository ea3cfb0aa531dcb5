/**
 * Checkpoints (safetensors): the byte layout against hand-built bytes and the reference
 * implementation's own test vectors, bit-exact round trips, conversions of other dtypes, every
 * validation error with its full message, atomic saves under injected failures, model+optimizer
 * checkpoints, and the book's reference weights. Random and hostile inputs are in
 * checkpoint.fuzz.test.ts.
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { Generator, NNError, Tensor, arange, randn, tensor, zeros, type DType } from '@nn/tensor';
import { variable } from '@nn/autograd';
import {
  CheckpointError,
  MAX_HEADER_BYTES,
  MAX_HEADER_ENTRIES,
  decodeSafetensors,
  encodeSafetensors,
  load,
  loadCheckpoint,
  save,
  saveCheckpoint,
} from '../src/checkpoint/index.js';
import { halfToFloatBits } from '../src/checkpoint/dtypes.js';
import { StateDictError } from '../src/module.js';
import { Linear } from '../src/layers/linear.js';
import { ReLU, Sigmoid, Softmax } from '../src/layers/activation.js';
import { Sequential } from '../src/layers/sequential.js';
import { Adam, SGD } from '../src/optim/index.js';

// ---- fault injection for the file system ---------------------------------------------------------
// node:fs/promises passes through to the real module unless a test arms a fault. `opened` records
// the paths save() opened for writing, to check where its temporary file lives.
const faults = vi.hoisted(() => ({
  failWriteAfterBytes: -1,
  failSync: false,
  failRename: false,
  opened: [] as string[],
}));

// save() reaches node:fs/promises through process.getBuiltinModule (no import a bundler would
// see), so the faults wrap that module object itself, for this test file's worker only.
const builtinFs = (process as unknown as { getBuiltinModule(id: string): unknown }).getBuiltinModule(
  'node:fs/promises',
) as typeof import('node:fs/promises');
{
  const real = { open: builtinFs.open.bind(builtinFs), rename: builtinFs.rename.bind(builtinFs) };
  const ioError = (code: string, syscall: string): Error =>
    Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall });
  const open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    if (args[1] !== 'wx') return handle;
    faults.opened.push(String(args[0]));
    let written = 0;
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'write') {
          return async (buffer: Uint8Array, offset: number, length: number) => {
            if (faults.failWriteAfterBytes >= 0 && written + length > faults.failWriteAfterBytes) {
              // Write what fits, as a disk filling up would, then fail.
              const part = faults.failWriteAfterBytes - written;
              if (part > 0) await target.write(buffer, offset, part);
              written += Math.max(part, 0);
              throw ioError('ENOSPC', 'write');
            }
            const result = await target.write(buffer, offset, length);
            written += result.bytesWritten;
            return result;
          };
        }
        if (property === 'sync' && faults.failSync)
          return async () => {
            throw ioError('EIO', 'fsync');
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const rename = async (...args: Parameters<typeof real.rename>) => {
    if (faults.failRename) throw ioError('EXDEV', 'rename');
    return real.rename(...args);
  };
  Object.assign(builtinFs, { open, rename });
  afterAll(() => void Object.assign(builtinFs, real));
}

// ---- helpers -------------------------------------------------------------------------------------

/** Runs `f` expecting a CheckpointError with exactly `message`. */
function expectCheckpointError(f: () => unknown, message: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckpointError);
  expect(error).toBeInstanceOf(NNError);
  expect((error as Error).message).toBe(message);
}

/** A safetensors file from a header (object or raw text) and a data section, padded like the writer. */
function buildFile(
  header: object | string,
  data: Uint8Array | number = 0,
  options: { pad?: boolean } = {},
): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  let json = new TextEncoder().encode(text);
  if (options.pad !== false && json.length % 8 !== 0) {
    const padded = new Uint8Array(json.length + 8 - (json.length % 8)).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const section = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + section.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(section, 8 + json.length);
  return out;
}

/** The raw bytes of a tensor's elements in row-major order (copies a non-contiguous view). */
function elementBytes(t: Tensor): Uint8Array {
  const c = t.contiguous();
  const size = c.data.BYTES_PER_ELEMENT;
  return new Uint8Array(c.data.buffer, c.data.byteOffset + c.offset * size, c.size * size).slice();
}

function headerOf(
  bytes: Uint8Array,
): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

function float32FromBits(bits: number[]): Tensor {
  return new Tensor(new Float32Array(new Uint32Array(bits).buffer), [bits.length]);
}

function float64FromBits(bits: bigint[]): Tensor {
  return new Tensor(new Float64Array(new BigUint64Array(bits).buffer), [bits.length]);
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

// ---- layout ----------------------------------------------------------------------------------------

describe('layout', () => {
  // A float32 (2) tensor x = [1.5, -2], an int32 scalar n = 7 and metadata { note: 'hello' }, byte by byte.
  const json =
    '{"__metadata__":{"note":"hello"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
  const expected = new Uint8Array([
    144,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // header length 144 = 139 bytes of JSON + 5 spaces, as a little-endian u64
    ...ascii(json),
    0x20,
    0x20,
    0x20,
    0x20,
    0x20, // padding to a multiple of 8
    0x00,
    0x00,
    0xc0,
    0x3f, // 1.5f = 0x3FC00000, little-endian
    0x00,
    0x00,
    0x00,
    0xc0, // -2f = 0xC0000000
    0x07,
    0x00,
    0x00,
    0x00, // int32 7
  ]);

  it('encodes a hand-built file byte for byte (F32 sorts before I32, metadata first, space padding)', () => {
    expect(json.length).toBe(139);
    const bytes = encodeSafetensors(
      { n: tensor(new Int32Array([7]), { shape: [] }), x: tensor([1.5, -2]) },
      { note: 'hello' },
    );
    expect(bytes).toEqual(expected);
  });

  it('decodes the hand-built file', () => {
    const { tensors, metadata } = decodeSafetensors(expected);
    expect(Object.keys(tensors)).toEqual(['x', 'n']);
    expect(tensors.x.dtype).toBe('float32');
    expect(tensors.x.shape).toEqual([2]);
    expect(tensors.x.toArray()).toEqual([1.5, -2]);
    expect(tensors.n.dtype).toBe('int32');
    expect(tensors.n.shape).toEqual([]);
    expect(tensors.n.item()).toBe(7);
    expect(metadata).toEqual({ note: 'hello' });
  });

  // Byte arrays copied from the reference implementation's tests (huggingface/safetensors, tensor.rs).
  it("matches the reference implementation's test vectors", () => {
    expect(encodeSafetensors({})).toEqual(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
    expect(encodeSafetensors({}, { framework: 'pt' })).toEqual(
      new Uint8Array([
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102,
        114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
      ]),
    );
    const attn = arange(0, 6, 1, { dtype: 'float32' });
    const aligned = new Uint8Array([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70,
      51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97,
      95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0,
      0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(encodeSafetensors({ attn0: attn.reshape(1, 1, 2, 3) })).toEqual(aligned);
    expect(decodeSafetensors(aligned).tensors.attn0.toArray()).toEqual([
      [
        [
          [0, 1, 2],
          [3, 4, 5],
        ],
      ],
    ]);
    // An older vector with a 64-byte header that needs no padding; a PyTorch-era I32 example.
    const unpadded = new Uint8Array([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
      70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
      111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(encodeSafetensors({ 'attn.0': attn.reshape(1, 2, 3) })).toEqual(unpadded);
    const test = decodeSafetensors(
      buildFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16, { pad: false }),
    );
    expect(test.tensors.test.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('orders the data section by dtype (float64, float32, int32, bool) then by UTF-8 name, each tensor aligned', () => {
    const bytes = encodeSafetensors({
      flag: tensor([true, false, true]),
      b: tensor([1, 2, 3]),
      '\u{1F600}': tensor([1]), // U+1F600 sorts after U+FFFD in UTF-8 (and code points), before it in UTF-16 units
      '\uFFFD': tensor([2]),
      a: tensor([1], { dtype: 'float64' }),
      count: tensor([5], { dtype: 'int32' }),
    });
    const header = headerOf(bytes);
    const order = Object.entries(header)
      .sort((p, q) => p[1].data_offsets[0] - q[1].data_offsets[0] || p[1].data_offsets[1] - q[1].data_offsets[1])
      .map(([k]) => k);
    expect(order).toEqual(['a', 'b', '\uFFFD', '\u{1F600}', 'count', 'flag']);
    expect(Object.keys(header)).toEqual(order); // the header lists them in the same order
    const dataStart = bytes.length - 8 - 12 - 4 - 4 - 4 - 3;
    expect(dataStart % 8).toBe(0);
    for (const info of Object.values(header))
      expect(info.data_offsets[0] % { F64: 8, F32: 4, I32: 4, BOOL: 1 }[info.dtype]!).toBe(0);
  });

  it('omits __metadata__ when there is none and rejects a tensor named __metadata__', () => {
    expect(Object.keys(headerOf(encodeSafetensors({ w: zeros([1]) }, {})))).toEqual(['w']);
    expectCheckpointError(
      () => encodeSafetensors({ __metadata__: zeros([1]) }),
      "encodeSafetensors: '__metadata__' is reserved for metadata and cannot name a tensor",
    );
    expectCheckpointError(
      () => encodeSafetensors({ w: zeros([1]) }, { epoch: 3 as unknown as string }),
      "encodeSafetensors: metadata value for key 'epoch' must be a string, got 3",
    );
    expectCheckpointError(
      () => encodeSafetensors({ w: [1, 2] as unknown as Tensor }),
      "encodeSafetensors: value for 'w' must be a Tensor, got [1, 2]",
    );
    expectCheckpointError(
      () => encodeSafetensors({ ['w\uD800']: zeros([1]) }),
      "encodeSafetensors: tensor name 'w\\ud800' is not valid Unicode (it has a lone surrogate, which UTF-8 cannot encode)",
    );
  });
});

// ---- round trips -------------------------------------------------------------------------------

describe('round trip', () => {
  const roundTrip = (tensors: Record<string, Tensor>, metadata?: Record<string, string>) =>
    decodeSafetensors(encodeSafetensors(tensors, metadata));

  it('is bit-exact for float32: NaN payloads, signalling NaN, ±0, subnormals, ±Inf, extremes', () => {
    const bits = [
      0x7fc00000, 0x7fc00001, 0xffc12345, 0x7f800001, 0xff800123, 0x00000000, 0x80000000, 0x00000001, 0x807fffff,
      0x7f800000, 0xff800000, 0x7f7fffff, 0x3f800000,
    ];
    const out = roundTrip({ x: float32FromBits(bits) }).tensors.x;
    expect([...new Uint32Array(out.data.buffer)]).toEqual(bits);
  });

  it('is bit-exact for float64: NaN payloads, ±0, subnormals, ±Inf', () => {
    const bits = [
      0x7ff8000000000000n,
      0x7ff8000000000001n,
      0xfff0000000000abcn,
      0x0000000000000000n,
      0x8000000000000000n,
      0x0000000000000001n,
      0x800fffffffffffffn,
      0x7ff0000000000000n,
      0x7fefffffffffffffn,
    ];
    const out = roundTrip({ x: float64FromBits(bits) }).tensors.x;
    expect(out.dtype).toBe('float64');
    expect([...new BigUint64Array(out.data.buffer)]).toEqual(bits);
  });

  it('is exact for int32 extremes and bool', () => {
    const ints = new Int32Array([-2147483648, -1, 0, 1, 2147483647]);
    const { tensors } = roundTrip({
      i: tensor(ints),
      b: tensor([
        [true, false],
        [false, true],
      ]),
    });
    expect(tensors.i.dtype).toBe('int32');
    expect([...tensors.i.data]).toEqual([...ints]);
    expect(tensors.b.dtype).toBe('bool');
    expect(tensors.b.toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('writes non-contiguous views contiguously (transpose, stepped and reversed slices, broadcast, offset)', () => {
    const base = arange(0, 24, 1, { dtype: 'float64' }).reshape(2, 3, 4);
    const views: Record<string, Tensor> = {
      transposed: base.transpose([2, 0, 1]),
      stepped: base.slice(':', '::2', '1::2'),
      reversed: base.slice('::-1', ':', '::-1'),
      broadcast: tensor([1, 2, 3], { dtype: 'int32' }).broadcastTo([4, 3]),
      offset: base.slice(1, 2),
      boolView: tensor([
        [true, false, true],
        [false, false, true],
      ]).T,
    };
    const { tensors } = roundTrip(views);
    for (const [name, view] of Object.entries(views)) {
      expect(view.isContiguous && view.offset === 0, name).toBe(false);
      expect(tensors[name].shape, name).toEqual(view.shape);
      expect(tensors[name].dtype, name).toBe(view.dtype);
      expect(tensors[name].toArray(), name).toEqual(view.toArray());
    }
  });

  it('keeps 0-d and size-0 tensors, including several empty tensors at one offset', () => {
    const { tensors } = roundTrip({
      scalar: tensor(3.25, { dtype: 'float64' }),
      empty: zeros([0]),
      empty2: zeros([3, 0, 2], { dtype: 'int32' }),
      empty3: zeros([0], { dtype: 'bool' }),
      after: tensor([9]),
    });
    expect(tensors.scalar.shape).toEqual([]);
    expect(tensors.scalar.item()).toBe(3.25);
    expect(tensors.empty.shape).toEqual([0]);
    expect(tensors.empty2.shape).toEqual([3, 0, 2]);
    expect(tensors.empty2.dtype).toBe('int32');
    expect(tensors.empty3.dtype).toBe('bool');
    expect(tensors.after.toArray()).toEqual([9]);
  });

  it('keeps metadata and awkward names: Unicode, quotes, backslashes, control characters, "__proto__", ""', () => {
    const metadata = { epoch: '12', note: 'naïve "quoted" \\ back\nslash \u{1F600}', '': 'empty key', __proto__x: 'y' };
    const names = ['layer.0.W', 'größe', 'with "quotes"', 'back\\slash', 'tab\there', '__proto__', '', '\u0000'];
    const tensors: Record<string, Tensor> = {};
    names.forEach((name, i) => Object.defineProperty(tensors, name, { value: tensor([i]), enumerable: true }));
    const out = roundTrip(tensors, metadata);
    expect(out.metadata).toEqual(metadata);
    expect(Object.keys(out.tensors).sort()).toEqual([...names].sort());
    names.forEach((name, i) =>
      expect(Object.getOwnPropertyDescriptor(out.tensors, name)?.value.toArray()).toEqual([i]),
    );
    expect(Object.getPrototypeOf(out.tensors)).toBe(Object.prototype);
  });

  it('decoded tensors own their data (a copy, not a view of the input bytes)', () => {
    const bytes = encodeSafetensors({ x: tensor([1, 2]) });
    const { x } = decodeSafetensors(bytes).tensors;
    bytes.fill(0, 16);
    expect(x.toArray()).toEqual([1, 2]);
    expect(x.data.buffer).not.toBe(bytes.buffer);
  });

  it('reads input that is a view into a larger buffer at an odd offset', () => {
    const bytes = encodeSafetensors({ x: tensor([1, 2], { dtype: 'float64' }) });
    const big = new Uint8Array(bytes.length + 7);
    big.set(bytes, 3);
    expect(decodeSafetensors(big.subarray(3, 3 + bytes.length)).tensors.x.toArray()).toEqual([1, 2]);
  });

  it('property: random tensors of every dtype, shape and name round-trip bit-exactly', () => {
    const dtypes: DType[] = ['float32', 'float64', 'int32', 'bool'];
    const arbitraryTensor = fc
      .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
      .chain(({ dtype, shape }) => {
        const size = shape.reduce((a, b) => a * b, 1);
        return fc.uint8Array({ minLength: size * 8, maxLength: size * 8 }).map((raw) => {
          const itemsize = { float32: 4, float64: 8, int32: 4, bool: 1 }[dtype];
          const buffer = raw.slice(0, size * itemsize).buffer;
          const data =
            dtype === 'float32'
              ? new Float32Array(buffer)
              : dtype === 'float64'
                ? new Float64Array(buffer)
                : dtype === 'int32'
                  ? new Int32Array(buffer)
                  : new Uint8Array(buffer).map((b) => b & 1);
          return new Tensor(data, shape);
        });
      });
    const arbitraryName = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => s !== '__metadata__');
    fc.assert(
      fc.property(
        fc.dictionary(arbitraryName, arbitraryTensor, { maxKeys: 5 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
        (tensors, metadata) => {
          const out = decodeSafetensors(encodeSafetensors(tensors, metadata));
          expect(Object.keys(out.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            const u = Object.getOwnPropertyDescriptor(out.tensors, name)!.value as Tensor;
            expect(u.dtype).toBe(t.dtype);
            expect(u.shape).toEqual(t.shape);
            expect(elementBytes(u)).toEqual(elementBytes(t));
          }
          expect({ ...out.metadata }).toEqual({ ...metadata });
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- other dtypes ----------------------------------------------------------------------------------

describe('reading dtypes we do not write', () => {
  const fileWith = (dtype: string, shape: number[], data: Uint8Array) =>
    buildFile({ t: { dtype, shape, data_offsets: [0, data.length] } }, data);
  const le = (
    Array: { new (values: ArrayLike<number> | ArrayLike<bigint>): ArrayBufferView },
    values: ArrayLike<number> | ArrayLike<bigint>,
  ) => {
    const view = new Array(values);
    return new Uint8Array(view.buffer);
  };

  it('F16 becomes float32 exactly, for all 65536 half values (NaN payloads, -0, subnormals, Inf)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const t = decodeSafetensors(fileWith('F16', [65536], new Uint8Array(all.buffer))).tensors.t;
    expect(t.dtype).toBe('float32');
    const bits = new Uint32Array(t.data.buffer);
    const wrong: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      const value =
        exponent === 0
          ? sign * mantissa * 2 ** -24
          : exponent === 31
            ? mantissa
              ? NaN
              : sign * Infinity
            : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
      const ok = Number.isNaN(value)
        ? bits[h] === (((h & 0x8000) << 16) | 0x7f800000 | (mantissa << 13)) >>> 0 // NaN: the payload is kept
        : Object.is(t.data[h], value);
      if (!ok) wrong.push(`0x${h.toString(16)}`);
    }
    expect(wrong).toEqual([]);
    expect(halfToFloatBits(0x3c00)).toBe(0x3f800000); // 1
    expect(halfToFloatBits(0x0001)).toBe(0x33800000); // 2^-24, the smallest subnormal half
  });

  it('BF16 becomes float32 by widening the bits', () => {
    const t = decodeSafetensors(fileWith('BF16', [4], le(Uint16Array, [0x3f80, 0xc000, 0x8000, 0x7fc1]))).tensors.t;
    expect([...new Uint32Array(t.data.buffer)]).toEqual([0x3f800000, 0xc0000000, 0x80000000, 0x7fc10000]);
  });

  it('U8, I8, U16, I16 become int32 exactly', () => {
    const read = (dtype: string, data: Uint8Array, n: number) => {
      const t = decodeSafetensors(fileWith(dtype, [n], data)).tensors.t;
      expect(t.dtype).toBe('int32');
      return [...t.data];
    };
    expect(read('U8', new Uint8Array([0, 1, 255]), 3)).toEqual([0, 1, 255]);
    expect(read('I8', new Uint8Array([0, 0x7f, 0x80, 0xff]), 4)).toEqual([0, 127, -128, -1]);
    expect(read('U16', le(Uint16Array, [0, 65535]), 2)).toEqual([0, 65535]);
    expect(read('I16', le(Int16Array, [-32768, 32767]), 2)).toEqual([-32768, 32767]);
  });

  it('U32, I64, U64 become int32 when every value fits, else a CheckpointError names the value', () => {
    const i64 = decodeSafetensors(fileWith('I64', [3], le(BigInt64Array, [-2147483648n, 2147483647n, -1n]))).tensors.t;
    expect([...i64.data]).toEqual([-2147483648, 2147483647, -1]);
    expect([...decodeSafetensors(fileWith('U64', [2], le(BigUint64Array, [0n, 2147483647n]))).tensors.t.data]).toEqual([
      0, 2147483647,
    ]);
    expect([...decodeSafetensors(fileWith('U32', [1], le(Uint32Array, [2147483647]))).tensors.t.data]).toEqual([
      2147483647,
    ]);
    const source = { source: 'ids.safetensors' };
    expectCheckpointError(
      () => decodeSafetensors(fileWith('I64', [2], le(BigInt64Array, [1n, 2n ** 40n])), source),
      "ids.safetensors: tensor 't': I64 value 1099511627776 at flat index 1 does not fit in int32 (the dtype I64 is read as)",
    );
    expectCheckpointError(
      () => decodeSafetensors(fileWith('I64', [1], le(BigInt64Array, [-(2n ** 31n) - 1n])), source),
      "ids.safetensors: tensor 't': I64 value -2147483649 at flat index 0 does not fit in int32 (the dtype I64 is read as)",
    );
    expectCheckpointError(
      () => decodeSafetensors(fileWith('U64', [1], le(BigUint64Array, [2n ** 64n - 1n])), source),
      "ids.safetensors: tensor 't': U64 value 18446744073709551615 at flat index 0 does not fit in int32 (the dtype U64 is read as)",
    );
    expectCheckpointError(
      () => decodeSafetensors(fileWith('U32', [1], le(Uint32Array, [2147483648])), source),
      "ids.safetensors: tensor 't': U32 value 2147483648 at flat index 0 does not fit in int32 (the dtype U32 is read as)",
    );
  });

  it('BOOL bytes other than 0 read as true', () => {
    expect(decodeSafetensors(fileWith('BOOL', [3], new Uint8Array([0, 1, 7]))).tensors.t.toArray()).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('FP8 and complex dtypes are rejected, naming the tensor and dtype', () => {
    const known = 'BOOL, U8, I8, U16, I16, F16, BF16, I32, U32, F32, F64, I64, U64';
    expectCheckpointError(
      () => decodeSafetensors(fileWith('F8_E4M3', [2], new Uint8Array(2)), { source: 'q.safetensors' }),
      `q.safetensors: tensor 't': dtype F8_E4M3 is not supported (readable dtypes: ${known})`,
    );
    expectCheckpointError(
      () => decodeSafetensors(fileWith('C64', [1], new Uint8Array(8)), { source: 'q.safetensors' }),
      `q.safetensors: tensor 't': dtype C64 is not supported (readable dtypes: ${known})`,
    );
  });
});

// ---- validation ------------------------------------------------------------------------------------

describe('validation: every failure is a CheckpointError naming the file and the problem', () => {
  const src = { source: 'model.safetensors' };
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const decode = (bytes: Uint8Array) => () => decodeSafetensors(bytes, src);
  const withLength = (length: bigint, rest: Uint8Array = new Uint8Array(0)) => {
    const out = new Uint8Array(8 + rest.length);
    new DataView(out.buffer).setBigUint64(0, length, true);
    out.set(rest, 8);
    return out;
  };
  const known = 'BOOL, U8, I8, U16, I16, F16, BF16, I32, U32, F32, F64, I64, U64';

  it('the entry count: over MAX_HEADER_ENTRIES tensors is refused before or after the parse, braces in strings do not count', () => {
    const empty = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, entry('F32', [0], [0, 0])]));
    const started = performance.now();
    expectCheckpointError(
      decode(buildFile(empty(MAX_HEADER_ENTRIES + 5))),
      `model.safetensors: header holds ${MAX_HEADER_ENTRIES + 6} JSON objects, more than the limit of ${MAX_HEADER_ENTRIES} tensors per file`,
    );
    expect(performance.now() - started).toBeLessThan(2000); // refused before JSON.parse (1.7 M entries took 19 s)
    expectCheckpointError(
      decode(buildFile(empty(MAX_HEADER_ENTRIES + 1))),
      `model.safetensors: header lists ${MAX_HEADER_ENTRIES + 1} tensors, more than the limit of ${MAX_HEADER_ENTRIES} per file`,
    );
    const braces = '{"\\"{'.repeat(MAX_HEADER_ENTRIES); // `{"\"{` in the file: quotes and escapes in a string
    const decoded = decodeSafetensors(buildFile({ __metadata__: { note: braces }, ...empty(MAX_HEADER_ENTRIES) }), src);
    expect(Object.keys(decoded.tensors)).toHaveLength(MAX_HEADER_ENTRIES);
    expect(decoded.metadata.note).toBe(braces);
  });

  it('the header length field: too short a file, too small, over the cap, past the end', () => {
    expectCheckpointError(
      decode(new Uint8Array(5)),
      'model.safetensors: file is 5 bytes, shorter than the 8-byte header length',
    );
    expectCheckpointError(
      decode(withLength(0n, new Uint8Array(8))),
      'model.safetensors: header length 0 is too small: the shortest header, "{}", is 2 bytes',
    );
    expectCheckpointError(
      decode(withLength(1n, new Uint8Array(ascii('{}')))),
      'model.safetensors: header length 1 is too small: the shortest header, "{}", is 2 bytes',
    );
    expectCheckpointError(
      decode(withLength(2n ** 64n - 1n, new Uint8Array(ascii('{}')))),
      `model.safetensors: header length 18446744073709551615 exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
    expectCheckpointError(
      decode(withLength(100_000_001n, new Uint8Array(ascii('{}')))),
      'model.safetensors: header length 100000001 exceeds the 100000000-byte limit',
    );
    expectCheckpointError(
      decode(withLength(16n, new Uint8Array(ascii('{}      ')))),
      'model.safetensors: header length 16 runs past the end of the file (16 bytes leave at most 8 for the header)',
    );
  });

  it('the header text: UTF-8, starts with {, valid JSON', () => {
    const invalidUtf8 = withLength(8n, new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]));
    expectCheckpointError(decode(invalidUtf8), 'model.safetensors: header is not valid UTF-8');
    expectCheckpointError(
      decode(buildFile('\uFEFF{}')),
      'model.safetensors: header must start with \'{\', found "\uFEFF"',
    );
    expectCheckpointError(decode(buildFile(' {}')), 'model.safetensors: header must start with \'{\', found " "');
    expectCheckpointError(decode(buildFile('[1, 2]')), 'model.safetensors: header must start with \'{\', found "["');
    expect(() => decodeSafetensors(buildFile('{"a":'), src)).toThrow(
      /^model\.safetensors: header is not valid JSON \(/,
    );
    expect(() => decodeSafetensors(buildFile('{}\u0000'), src)).toThrow(CheckpointError);
  });

  it('__metadata__: an object of strings', () => {
    expectCheckpointError(
      decode(buildFile({ __metadata__: ['a'] })),
      'model.safetensors: __metadata__ must be an object of strings, got ["a"]',
    );
    expectCheckpointError(
      decode(buildFile({ __metadata__: { epoch: 3 } })),
      "model.safetensors: __metadata__ value for key 'epoch' must be a string, got 3",
    );
    expectCheckpointError(
      decode(buildFile({ __metadata__: { nested: { a: 1 } } })),
      "model.safetensors: __metadata__ value for key 'nested' must be a string, got {…}",
    );
    expectCheckpointError(
      decode(buildFile('{"__metadata__":{"k":"\\ud800"}}')),
      "model.safetensors: __metadata__ entry 'k' is not valid Unicode (it has a lone surrogate)",
    );
  });

  it('entries: an object with exactly dtype, shape and data_offsets, a known dtype', () => {
    expectCheckpointError(
      decode(buildFile({ W1: [1, 2] })),
      "model.safetensors: tensor 'W1': expected an object with dtype, shape and data_offsets, got [1, 2]",
    );
    expectCheckpointError(
      decode(buildFile({ W1: { dtype: 'F32', shape: [] } })),
      "model.safetensors: tensor 'W1': missing field 'data_offsets'",
    );
    expectCheckpointError(
      decode(buildFile({ W1: { ...entry('F32', [], [0, 4]), strides: [] } }, 4)),
      "model.safetensors: tensor 'W1': unexpected field 'strides' (expected dtype, shape, data_offsets)",
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('F33', [], [0, 4]) }, 4)),
      `model.safetensors: tensor 'W1': unknown dtype "F33" (readable dtypes: ${known})`,
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('toString', [], [0, 4]) }, 4)),
      `model.safetensors: tensor 'W1': unknown dtype "toString" (readable dtypes: ${known})`,
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry(7 as unknown as string, [], [0, 4]) }, 4)),
      `model.safetensors: tensor 'W1': unknown dtype 7 (readable dtypes: ${known})`,
    );
    expectCheckpointError(
      decode(buildFile('{"\\udc00":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', 4)),
      "model.safetensors: tensor name '\\udc00' is not valid Unicode (it has a lone surrogate)",
    );
  });

  it('shape: non-negative safe integers, with a product that cannot overflow', () => {
    const shapeMessage = (got: string) =>
      `model.safetensors: tensor 'W1': shape must be an array of non-negative integers, got ${got}`;
    expectCheckpointError(decode(buildFile({ W1: entry('F32', 4, [0, 16]) }, 16)), shapeMessage('4'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [-1, 4], [0, 16]) }, 16)), shapeMessage('[-1, 4]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1.5], [0, 16]) }, 16)), shapeMessage('[1.5]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', ['4'], [0, 16]) }, 16)), shapeMessage('["4"]'));
    expectCheckpointError(
      decode(buildFile('{"W1":{"dtype":"F32","shape":[1e400],"data_offsets":[0,16]}}', 16)),
      shapeMessage('[Infinity]'),
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('F32', [2 ** 53], [0, 16]) }, 16)),
      shapeMessage('[9007199254740992]'),
    );
    // 2^40 · 2^40 · 4 bytes is 2^82: in floating point it could round to anything; it must not pass.
    expectCheckpointError(
      decode(buildFile({ W1: entry('F32', [2 ** 40, 2 ** 40], [0, 8]) }, 8)),
      "model.safetensors: tensor 'W1': shape (1099511627776,1099511627776) of F32 holds more than 2^53 bytes",
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('F64', [2 ** 26, 2 ** 25], [0, 8]) }, 8)),
      "model.safetensors: tensor 'W1': shape (67108864,33554432) of F64 holds more than 2^53 bytes",
    );
    // A zero anywhere makes an empty tensor however big the other sizes are.
    expect(decodeSafetensors(buildFile({ W1: entry('F32', [2 ** 40, 2 ** 40, 0], [0, 0]) })).tensors.W1.shape).toEqual([
      2 ** 40,
      2 ** 40,
      0,
    ]);
  });

  it('data_offsets: two non-negative integers, ordered, inside the data section, matching the shape', () => {
    const offsetsMessage = (got: string) =>
      `model.safetensors: tensor 'W1': data_offsets must be two non-negative integers [begin, end], got ${got}`;
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1], [0]) }, 4)), offsetsMessage('[0]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1], [0, 4, 8]) }, 4)), offsetsMessage('[0, 4, 8]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1], [-4, 0]) }, 4)), offsetsMessage('[-4, 0]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1], [0, '4']) }, 4)), offsetsMessage('[0, "4"]'));
    expectCheckpointError(decode(buildFile({ W1: entry('F32', [1], { begin: 0 }) }, 4)), offsetsMessage('{…}'));
    expectCheckpointError(
      decode(buildFile({ W1: entry('F32', [1], [8, 4]) }, 8)),
      "model.safetensors: tensor 'W1': data_offsets [8, 4] end before they begin",
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('F32', [2], [0, 8]) }, 4)),
      "model.safetensors: tensor 'W1': data_offsets [0, 8] run past the end of the data section (4 bytes)",
    );
    expectCheckpointError(
      decode(buildFile({ W1: entry('F32', [784, 50], [0, 100]) }, 100)),
      "model.safetensors: tensor 'W1': data_offsets [0, 100] hold 100 bytes but float32 (784,50) needs 156800",
    );
    expectCheckpointError(
      decode(buildFile({ t: entry('F16', [3], [0, 4]) }, 4)),
      "model.safetensors: tensor 't': data_offsets [0, 4] hold 4 bytes but F16 (3) needs 6",
    );
  });

  it('a header claiming a 2^50-byte tensor is rejected before anything is allocated', () => {
    const huge = buildFile({ big: entry('F32', [2 ** 48], [0, 2 ** 50]) }, 16);
    expectCheckpointError(
      decode(huge),
      "model.safetensors: tensor 'big': data_offsets [0, 1125899906842624] run past the end of the data section (16 bytes)",
    );
    const lying = buildFile({ big: entry('F32', [2 ** 48], [0, 16]) }, 16);
    expectCheckpointError(
      decode(lying),
      "model.safetensors: tensor 'big': data_offsets [0, 16] hold 16 bytes but float32 (281474976710656) needs 1125899906842624",
    );
  });

  it('the tensors tile the data section: no overlap, no gap, no trailing bytes', () => {
    expectCheckpointError(
      decode(buildFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12)),
      "model.safetensors: tensors 'a' [0, 8] and 'b' [4, 12] overlap",
    );
    expectCheckpointError(
      decode(buildFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [0, 8]) }, 8)),
      "model.safetensors: tensors 'a' [0, 8] and 'b' [0, 8] overlap",
    );
    expectCheckpointError(
      decode(buildFile({ a: entry('F32', [2], [0, 8]), e: entry('F32', [0], [4, 4]) }, 8)),
      "model.safetensors: tensors 'a' [0, 8] and 'e' [4, 4] overlap",
    );
    expectCheckpointError(
      decode(buildFile({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, 12)),
      'model.safetensors: bytes [4, 8) of the data section belong to no tensor',
    );
    expectCheckpointError(
      decode(buildFile({ b: entry('F32', [1], [4, 8]) }, 8)),
      'model.safetensors: bytes [0, 4) of the data section belong to no tensor',
    );
    expectCheckpointError(
      decode(buildFile({ a: entry('F32', [1], [0, 4]) }, 6)),
      'model.safetensors: bytes [4, 6) at the end of the data section belong to no tensor',
    );
    expectCheckpointError(
      decode(buildFile({}, 1)),
      'model.safetensors: bytes [0, 1) at the end of the data section belong to no tensor',
    );
    // Any order in the header is fine as long as the offsets tile the section.
    const shuffled = buildFile(
      { b: entry('I32', [1], [4, 8]), e: entry('F32', [0], [8, 8]), a: entry('F32', [1], [0, 4]) },
      new Uint8Array([0, 0, 128, 63, 5, 0, 0, 0]),
    );
    const { tensors } = decodeSafetensors(shuffled);
    expect(Object.keys(tensors)).toEqual(['b', 'e', 'a']);
    expect([tensors.a.item(), tensors.b.item(), tensors.e.size]).toEqual([1, 5, 0]);
  });

  it('duplicate keys, which JSON.parse would silently merge, are rejected', () => {
    const w = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    expectCheckpointError(
      decode(buildFile(`{"W1":${w},"W1":${w}}`, 4)),
      "model.safetensors: header has the key 'W1' twice",
    );
    expectCheckpointError(
      decode(buildFile(`{"W1":${w},"W\\u0031":${w}}`, 4)),
      "model.safetensors: header has the key 'W1' twice",
    );
    expectCheckpointError(
      decode(buildFile('{"W1":{"dtype":"I32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4)),
      "model.safetensors: tensor 'W1' has the key 'dtype' twice",
    );
    expectCheckpointError(
      decode(buildFile('{"__metadata__":{"a":"x","a":"y"}}')),
      "model.safetensors: __metadata__ has the key 'a' twice",
    );
    // Escaped quotes and backslashes inside keys and values do not confuse the scan.
    const tricky = buildFile(`{"__metadata__":{"q\\"}":"{\\"W1\\":1}","b\\\\":"\\\\"},"W1":${w}}`, 4);
    expect(decodeSafetensors(tricky).metadata).toEqual({ 'q"}': '{"W1":1}', 'b\\': '\\' });
  });

  it('long or strange names are shortened and escaped in messages', () => {
    const name = `${'x'.repeat(100)}\n`;
    expectCheckpointError(
      decode(buildFile({ [name]: entry('F32', [1], [0, 8]) }, 8)),
      `model.safetensors: tensor '${'x'.repeat(60)}…': data_offsets [0, 8] hold 8 bytes but float32 (1) needs 4`,
    );
    expectCheckpointError(
      decode(buildFile({ 'a\nb': entry('F32', [1], [0, 8]) }, 8)),
      "model.safetensors: tensor 'a\\nb': data_offsets [0, 8] hold 8 bytes but float32 (1) needs 4",
    );
  });

  it('the default source is the function name; non-bytes input is an error', () => {
    expectCheckpointError(
      () => decodeSafetensors(new Uint8Array(3)),
      'decodeSafetensors: file is 3 bytes, shorter than the 8-byte header length',
    );
    expectCheckpointError(
      () => decodeSafetensors('abc' as unknown as Uint8Array),
      'decodeSafetensors: expected a Uint8Array of file bytes, got "abc"',
    );
  });
});

// ---- files -----------------------------------------------------------------------------------------

describe('save and load', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'nn-checkpoint-'));
    Object.assign(faults, { failWriteAfterBytes: -1, failSync: false, failRename: false, opened: [] });
  });
  afterEach(async () => {
    Object.assign(faults, { failWriteAfterBytes: -1, failSync: false, failRename: false });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('round-trips through a file, by path or by file: URL', async () => {
    const path = join(dir, 'w.safetensors');
    const W = randn([3, 4], { dtype: 'float64', generator: new Generator(1) });
    await save(path, { W, step: tensor(7, { dtype: 'int32' }) }, { epoch: '2' });
    const { tensors, metadata } = await load(path);
    expect(elementBytes(tensors.W)).toEqual(elementBytes(W));
    expect(tensors.step.item()).toBe(7);
    expect(metadata).toEqual({ epoch: '2' });
    const viaUrl = await load(new URL(`file://${path}`));
    expect(viaUrl.tensors.W.shape).toEqual([3, 4]);
    expect(await fs.readdir(dir)).toEqual(['w.safetensors']);
  });

  it('writes through a temporary file in the same directory, then renames it', async () => {
    const path = join(dir, 'w.safetensors');
    await save(path, { x: zeros([2]) });
    expect(faults.opened).toHaveLength(1);
    expect(faults.opened[0]).toMatch(
      new RegExp(
        `^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.w\\.safetensors\\.${process.pid}-[0-9a-f]{12}\\.tmp$`,
      ),
    );
    expect(existsSync(faults.opened[0])).toBe(false);
  });

  it("removes the target's stale temporary files (writer gone, or a day old), and nothing else", async () => {
    const path = join(dir, 'w.safetensors');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid names no process
    const write = (name: string) => fs.writeFile(join(dir, name), 'x');
    await write(`.w.safetensors.${deadPid}-0123456789ab.tmp`); // killed save: removed
    await write(`.w.safetensors.${process.pid}-0123456789ac.tmp`); // a save in progress (alive pid): kept
    await write(`.w.safetensors.${process.ppid}-0123456789ad.tmp`); // alive but two days old: removed
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await fs.utimes(join(dir, `.w.safetensors.${process.ppid}-0123456789ad.tmp`), twoDaysAgo, twoDaysAgo);
    await write('.w.safetensors.0123456789ae.tmp'); // pid-less (older versions), fresh: kept
    await write('.w.safetensors.0123456789af.tmp'); // pid-less, two hours old: removed
    await fs.utimes(
      join(dir, '.w.safetensors.0123456789af.tmp'),
      new Date(Date.now() - 7.2e6),
      new Date(Date.now() - 7.2e6),
    );
    await write(`.v.safetensors.${deadPid}-0123456789ab.tmp`); // another target's: kept
    await write(`.w.safetensors.${deadPid}-0123456789ab.tmp.keep`); // not the pattern: kept
    await write('notes.txt');
    await save(path, { x: zeros([2]) });
    expect((await fs.readdir(dir)).sort()).toEqual(
      [
        `.w.safetensors.${process.pid}-0123456789ac.tmp`,
        '.w.safetensors.0123456789ae.tmp',
        `.v.safetensors.${deadPid}-0123456789ab.tmp`,
        `.w.safetensors.${deadPid}-0123456789ab.tmp.keep`,
        'notes.txt',
        'w.safetensors',
      ].sort(),
    );
  });

  it('a load error names the file', async () => {
    const path = join(dir, 'bad.safetensors');
    await fs.writeFile(path, new Uint8Array([1, 2, 3]));
    await expect(load(path)).rejects.toThrow(
      new CheckpointError(`${path}: file is 3 bytes, shorter than the 8-byte header length`),
    );
    await expect(load(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  const previous = { W: tensor([1, 2, 3]) };
  const next = { W: randn([1000, 100], { generator: new Generator(2) }) }; // 400 kB: several writes could be needed

  async function expectPreviousIntact(path: string, failure: Promise<void>, code: string): Promise<void> {
    await expect(failure).rejects.toMatchObject({ code });
    expect(await fs.readdir(dir)).toEqual(['w.safetensors']); // no temporary file left behind
    const { tensors } = await load(path);
    expect(tensors.W.toArray()).toEqual([1, 2, 3]);
  }

  it('a write failing midway (disk full) leaves the previous file intact and no temporary file', async () => {
    const path = join(dir, 'w.safetensors');
    await save(path, previous);
    faults.failWriteAfterBytes = 100_000; // fail after ~a quarter of the new file is on disk
    await expectPreviousIntact(path, save(path, next), 'ENOSPC');
    faults.failWriteAfterBytes = 0; // fail on the very first write
    await expectPreviousIntact(path, save(path, next), 'ENOSPC');
  });

  it('a failing fsync or rename leaves the previous file intact and no temporary file', async () => {
    const path = join(dir, 'w.safetensors');
    await save(path, previous);
    faults.failSync = true;
    await expectPreviousIntact(path, save(path, next), 'EIO');
    faults.failSync = false;
    faults.failRename = true;
    await expectPreviousIntact(path, save(path, next), 'EXDEV');
    faults.failRename = false;
    await save(path, next);
    expect((await load(path)).tensors.W.shape).toEqual([1000, 100]);
  });

  it("invalid input is rejected before the disk is touched; a missing directory is Node's error", async () => {
    const path = join(dir, 'w.safetensors');
    await save(path, previous);
    await expect(save(path, next, { epoch: 1 as unknown as string })).rejects.toThrow(CheckpointError);
    expect(faults.opened).toHaveLength(1);
    await expectPreviousIntact(path, save(join(dir, 'no', 'such', 'dir.safetensors'), next), 'ENOENT');
  });
});

// ---- model + optimizer checkpoints -----------------------------------------------------------------

describe('saveCheckpoint / loadCheckpoint', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'nn-checkpoint-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const makeModel = (seed: number) => {
    const generator = new Generator(seed);
    return new Sequential(new Linear(3, 4, { generator }), new ReLU(), new Linear(4, 2, { generator }));
  };
  const x = randn([5, 3], { generator: new Generator(9) });
  const trainSteps = (model: Sequential, optimizer: Adam, steps: number) => {
    for (let i = 0; i < steps; i++) {
      model.zeroGrad();
      model.forward(variable(x)).square().sum().backward();
      optimizer.step();
    }
  };
  const parameterBytes = (model: Sequential) => model.parameters().map((p) => [...elementBytes(p.data)]);

  it('stores model.* and optimizer.* keys and resumes training exactly', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const model = makeModel(1);
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    trainSteps(model, optimizer, 3);
    await saveCheckpoint(path, { model, optimizer, metadata: { epoch: '3' } });
    const keys = Object.keys((await load(path)).tensors);
    expect(keys.filter((k) => k.startsWith('model.')).sort()).toEqual([
      'model.0.W',
      'model.0.b',
      'model.2.W',
      'model.2.b',
    ]);
    expect(keys).toContain('optimizer.step');
    expect(keys).toContain('optimizer.param.0.m');
    expect(keys.every((k) => k.startsWith('model.') || k.startsWith('optimizer.'))).toBe(true);
    trainSteps(model, optimizer, 2);

    const resumed = makeModel(2); // different initial weights
    const resumedOptimizer = new Adam(resumed.parameters(), { lr: 0.5 }); // the checkpoint restores lr too
    const result = await loadCheckpoint(path, { model: resumed, optimizer: resumedOptimizer });
    expect(result).toEqual({ metadata: { epoch: '3' }, missingKeys: [], unexpectedKeys: [] });
    trainSteps(resumed, resumedOptimizer, 2);
    expect(parameterBytes(resumed)).toEqual(parameterBytes(model));
  });

  it('loads only the model when no optimizer is given (optimizer keys are ignored)', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const model = makeModel(1);
    await saveCheckpoint(path, { model, optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
    const fresh = makeModel(2);
    expect(await loadCheckpoint(path, { model: fresh })).toEqual({ metadata: {}, missingKeys: [], unexpectedKeys: [] });
    expect(parameterBytes(fresh)).toEqual(parameterBytes(model));
  });

  it('strict: a model that does not fit is a CheckpointError naming the file, with the StateDictError as cause', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, { model: new Sequential(new Linear(3, 4)) });
    const model = makeModel(1);
    const before = parameterBytes(model);
    const error = await loadCheckpoint(path, { model }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(
      `${path}: cannot load the 'model.' keys into the model: loadStateDict (Sequential): missing keys: 2.W, 2.b`,
    );
    expect((error as Error).cause).toBeInstanceOf(StateDictError);
    expect(parameterBytes(model)).toEqual(before);
  });

  it('non-strict: missing and unexpected keys are listed with their prefixes', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const small = new Sequential(new Linear(3, 4, { generator: new Generator(5) }));
    await save(path, {
      ...Object.fromEntries(Object.entries(small.stateDict()).map(([k, t]) => [`model.${k}`, t])),
      'model.extra': zeros([1]),
      stray: zeros([1]),
    });
    const model = makeModel(1);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const result = await loadCheckpoint(path, { model, optimizer, strict: false });
    expect(result.missingKeys).toEqual([
      'model.2.W',
      'model.2.b',
      'optimizer.step',
      'optimizer.lr',
      'optimizer.weightDecay',
    ]);
    expect(result.unexpectedKeys).toEqual(['stray', 'model.extra']);
    expect(elementBytes(model.parameters()[0].data)).toEqual(elementBytes(small.parameters()[0].data));
  });

  it('strict: stray keys, or an optimizer with no saved state, are errors before anything changes', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const model = makeModel(1);
    await saveCheckpoint(path, { model });
    const other = makeModel(2);
    const before = parameterBytes(other);
    await expect(
      loadCheckpoint(path, { model: other, optimizer: new SGD(other.parameters(), { lr: 0.1 }) }),
    ).rejects.toThrow(new CheckpointError(`${path}: an optimizer was given but the file has no 'optimizer.' keys`));
    const plain = join(dir, 'plain.safetensors');
    await save(plain, model.stateDict());
    await expect(loadCheckpoint(plain, { model: other })).rejects.toThrow(
      new CheckpointError(
        `${plain}: keys under neither 'model.' nor 'optimizer.': '0.W', '0.b', '2.W', '2.b' (is this a plain weights file? read it with load() and call model.loadStateDict())`,
      ),
    );
    expect(parameterBytes(other)).toEqual(before);
  });

  it('all or nothing: if the optimizer state does not fit, the model is restored', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const model = makeModel(1);
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    trainSteps(model, optimizer, 1);
    await saveCheckpoint(path, { model, optimizer });
    const other = makeModel(2);
    const before = parameterBytes(other);
    const wrongOptimizer = new Adam(other.parameters().slice(0, 2), { lr: 0.01 }); // over fewer parameters
    const error = await loadCheckpoint(path, { model: other, optimizer: wrongOptimizer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot load the 'optimizer\\.' keys into the optimizer: Adam\\.loadStateDict: key 'param\\.2\\.`,
      ),
    );
    expect(parameterBytes(other)).toEqual(before);
  });
});

// ---- the book's reference weights ----------------------------------------------------------------

const referenceDir = fileURLToPath(new URL('../../../../shared/reference-weights/', import.meta.url));
const haveReference = existsSync(referenceDir);
if (!haveReference)
  console.warn(
    `checkpoint.test.ts: skipping the reference-weight tests: ${referenceDir} is absent (it is ../shared/reference-weights beside the repository)`,
  );

describe.skipIf(!haveReference)(`the book's reference weights (${referenceDir})`, () => {
  /** Float64 sum, for comparison with values computed independently by NumPy from the raw bytes. */
  const sum64 = (t: Tensor) => {
    let sum = 0;
    for (const v of t.data) sum += v;
    return sum;
  };
  const maxAbs = (t: Tensor) => {
    let max = 0;
    for (const v of t.data) max = Math.max(max, Math.abs(v));
    return max;
  };
  const describeFile = (tensors: Record<string, Tensor>) =>
    Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, `${t.dtype} (${t.shape.join(',')})`]));

  it('mlp-784-50-100-10: float32 W1 (784,50) … b3 (10), with the statistics NumPy computes', async () => {
    const { tensors, metadata } = await load(join(referenceDir, 'mlp-784-50-100-10.safetensors'));
    expect(describeFile(tensors)).toEqual({
      W1: 'float32 (784,50)',
      W2: 'float32 (50,100)',
      W3: 'float32 (100,10)',
      b1: 'float32 (50)',
      b2: 'float32 (100)',
      b3: 'float32 (10)',
    });
    expect(metadata.license).toBe('MIT (c) 2016 Koki Saitoh');
    // First and last elements exactly; sums to float64 rounding (NumPy sums pairwise, we in order).
    expect(tensors.W1.data[0]).toBe(-0.007412489037960768);
    expect(tensors.W1.data[784 * 50 - 1]).toBe(-0.040211476385593414);
    expect(sum64(tensors.W1)).toBeCloseTo(24.710748511527072, 9);
    expect(maxAbs(tensors.W1)).toBe(0.48118895292282104);
    expect(sum64(tensors.W2)).toBeCloseTo(-4.358106311849042, 9);
    expect(sum64(tensors.W3)).toBeCloseTo(-2.648974552284926, 9);
    expect(sum64(tensors.b1)).toBeCloseTo(0.41067875683074817, 12);
    expect(tensors.b3.data[0]).toBe(-0.060239847749471664);
  });

  it('loads into the §2.6.2 network as docs/nn.md shows, and its forward pass matches NumPy', async () => {
    const { tensors } = await load(join(referenceDir, 'mlp-784-50-100-10.safetensors'));
    const model = new Sequential(
      new Linear(784, 50),
      new Sigmoid(),
      new Linear(50, 100),
      new Sigmoid(),
      new Linear(100, 10),
      new Softmax(),
    );
    model.loadStateDict({
      '0.W': tensors.W1,
      '0.b': tensors.b1,
      '2.W': tensors.W2,
      '2.b': tensors.b2,
      '4.W': tensors.W3,
      '4.b': tensors.b3,
    });
    const x = new Tensor(
      Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 255) / 255),
      [2, 784],
    );
    const y = model.forward(variable(x)).data;
    // The same network in float64 NumPy on the same input (float32 here: agreement to ~1e-6).
    const expected = [
      [
        0.004600738663578174, 6.319482406621696e-5, 0.06187864154084818, 0.9101665066283026, 1.2096805073265649e-5,
        0.007022689864402674, 3.7467389375593638e-6, 0.0031981376840327356, 0.012017002045207252, 0.0010372452055511362,
      ],
      [
        0.010517330977730083, 0.0001634825851646459, 0.11949609131301071, 0.6333570707492052, 0.0003183049511250787,
        0.02819725559834896, 0.00012070095331503328, 0.0011836995632988577, 0.20262897738423039, 0.004017085924571217,
      ],
    ];
    expect(y.shape).toEqual([2, 10]);
    expect(y.allclose(tensor(expected), { atol: 1e-6, rtol: 1e-4 })).toBe(true);
  });

  it('simple-convnet: float64 W1 (30,1,5,5) … b3 (10)', async () => {
    const { tensors } = await load(join(referenceDir, 'simple-convnet.safetensors'));
    expect(describeFile(tensors)).toEqual({
      W1: 'float64 (30,1,5,5)',
      W2: 'float64 (4320,100)',
      W3: 'float64 (100,10)',
      b1: 'float64 (30)',
      b2: 'float64 (100)',
      b3: 'float64 (10)',
    });
    expect(tensors.W1.data[0]).toBe(0.01851250441566844);
    expect(tensors.W2.data[4320 * 100 - 1]).toBe(0.004763136638220357);
    expect(sum64(tensors.W1)).toBeCloseTo(-14.040921360515418, 9);
    expect(sum64(tensors.W2)).toBeCloseTo(-619.2412580379994, 7);
    expect(maxAbs(tensors.W2)).toBe(0.882587455811262);
    expect(sum64(tensors.b3)).toBeCloseTo(0.026451797781071363, 12);
  });

  it('deep-convnet: float64 convs W1…W6 (out,in,3,3), W7 (1024,50), W8 (50,10), b1…b8', async () => {
    const { tensors } = await load(join(referenceDir, 'deep-convnet.safetensors'));
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      W1: [16, 1, 3, 3],
      W2: [16, 16, 3, 3],
      W3: [32, 16, 3, 3],
      W4: [32, 32, 3, 3],
      W5: [64, 32, 3, 3],
      W6: [64, 64, 3, 3],
      W7: [1024, 50],
      W8: [50, 10],
      b1: [16],
      b2: [16],
      b3: [32],
      b4: [32],
      b5: [64],
      b6: [64],
      b7: [50],
      b8: [10],
    });
    expect(Object.values(tensors).every((t) => t.dtype === 'float64')).toBe(true);
    expect(sum64(tensors.W7)).toBeCloseTo(-87.50950422194695, 8);
    expect(tensors.b8.data[9]).toBe(0.5455808824057026);
    expect(Object.values(tensors).every((t) => (t.data as Float64Array).every(Number.isFinite))).toBe(true);
  });

  it('re-encoding a reference file gives back the same tensors', async () => {
    const path = join(referenceDir, 'mlp-784-50-100-10.safetensors');
    const original = await load(path);
    const again = decodeSafetensors(encodeSafetensors(original.tensors, original.metadata));
    for (const [k, t] of Object.entries(original.tensors))
      expect(Buffer.compare(elementBytes(again.tensors[k]), elementBytes(t)), k).toBe(0);
    // Same header entries as the converter wrote (it sorted names and put __metadata__ last).
    const bytes = await fs.readFile(path);
    const ours = headerOf(encodeSafetensors(original.tensors, original.metadata));
    expect(ours).toEqual(headerOf(bytes));
  });
});

/**
 * Fuzzing the ONNX reader with fast-check: a valid model with bytes flipped, truncated at every
 * position, bytes inserted, and random garbage. The contract for every input:
 *
 * - decodeModel either returns a model or throws an OnnxFormatError whose message starts with the
 *   source — never another error type (no RangeError from a DataView, no TypeError);
 * - it never allocates more typed-array memory than 4× the input (the widening of INT8/UINT8/BOOL
 *   data to Int32Array): every typed array constructed during the call is counted;
 * - when it succeeds, every tensor's values agree with its dims.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OnnxFormatError, decodeModel, encodeModel, type ModelProto } from '../src/index.js';
import { sampleModel } from './fixtures.js';

const SOURCE = 'fuzz.onnx';
const TRACKED = ['ArrayBuffer', 'Uint8Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array'] as const;
type Constructor = (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };

/** Runs `f` with the typed-array constructors wrapped to count the bytes they allocate. */
function counted<T>(f: () => T): { value?: T; error?: unknown; allocated: number } {
  const globals = globalThis as unknown as Record<string, Constructor>;
  const originals = TRACKED.map((name) => [name, globals[name]] as const);
  let allocated = 0;
  for (const [name, original] of originals) {
    globals[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        const first = args[0];
        if (typeof first === 'number') allocated += first * (target.BYTES_PER_ELEMENT ?? 1);
        else if (Array.isArray(first)) allocated += first.length * (target.BYTES_PER_ELEMENT ?? 1);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  try {
    return { value: f(), allocated };
  } catch (error) {
    return { error, allocated };
  } finally {
    for (const [name, original] of originals) globals[name] = original;
  }
}

const stats = { decoded: 0, rejected: 0 };

function check(bytes: Uint8Array): void {
  const { value, error, allocated } = counted(() => decodeModel(bytes, SOURCE));
  if (allocated > 4 * bytes.length + 64)
    throw new Error(`allocated ${allocated} bytes for a ${bytes.length}-byte input`);
  if (error !== undefined) {
    if (!(error instanceof OnnxFormatError))
      throw new Error(`decodeModel threw ${String(error)}, not an OnnxFormatError`);
    expect(error.message.startsWith(`${SOURCE}: `)).toBe(true);
    stats.rejected++;
    return;
  }
  consistent(value!);
  stats.decoded++;
}

function consistent(model: ModelProto): void {
  const tensors = [
    ...model.graph.initializers,
    ...model.graph.nodes.flatMap((n) => n.attributes.flatMap((a) => (a.t ? [a.t] : []))),
  ];
  for (const t of tensors) expect(t.values.length).toBe(t.dims.reduce((a, b) => a * b, 1));
}

const valid = encodeModel(sampleModel());

describe('decodeModel on hostile bytes', () => {
  it('decodes the valid sample', () => {
    check(valid);
    expect(stats.decoded).toBe(1);
  });

  it('every truncation is decoded consistently or rejected with an OnnxFormatError', () => {
    for (let n = 0; n < valid.length; n++) check(valid.subarray(0, n));
  });

  it('flipped bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const bytes = valid.slice();
          for (const [at, x] of flips) bytes[at] ^= x;
          check(bytes);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('inserted and deleted runs of bytes', () => {
    fc.assert(
      fc.property(fc.nat(valid.length), fc.nat(8), fc.uint8Array({ maxLength: 12 }), (at, drop, insert) => {
        const bytes = new Uint8Array([
          ...valid.subarray(0, at),
          ...insert,
          ...valid.subarray(Math.min(valid.length, at + drop)),
        ]);
        check(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('random garbage, and garbage after a valid prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(valid.length), (garbage, keep) => {
        check(garbage);
        check(new Uint8Array([...valid.subarray(0, keep), ...garbage]));
      }),
      { numRuns: 1000 },
    );
    // Both outcomes occurred: the fuzzing reached past the first byte.
    expect(stats.decoded).toBeGreaterThan(1);
    expect(stats.rejected).toBeGreaterThan(100);
  });
});

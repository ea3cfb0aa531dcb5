/**
 * The WebAssembly sum path against the JavaScript reduce kernel it replaces: the same float64
 * totals, bit for bit, for every reduced-axes pattern it takes (all, rows, columns, rows over a
 * period), over generated shapes, offsets, accumulators that do not start at zero, values with
 * NaN and ±∞, and rows and columns longer than a chunk; and the calls it leaves to JavaScript.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contiguousStrides } from '../../shape.js';
import { reduce as jsReduce, type ReduceOp } from '../reduce.js';
import type { StridedArray } from '../strided.js';
import { createWasmReduce } from './reduce.js';

const wasmReduce = createWasmReduce(jsReduce);
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 3.4e38, 1e-45];

/** Deterministic float32 values, a few special when asked. */
function values(length: number, seed: number, special: boolean): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] =
      special && state % 997 === 0
        ? SPECIAL[(state >>> 8) % SPECIAL.length]
        : (state / 2 ** 32 - 0.5) * 2 ** (((state >>> 4) % 24) - 12);
  }
  return out;
}

/** Folds x (shape, contiguous at `offset`) over `axes` into an accumulator with either kernel. */
function fold(
  kernel: typeof jsReduce,
  op: ReduceOp,
  shape: number[],
  axes: number[],
  x: Float32Array,
  offset: number,
  start: Float64Array,
): Float64Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = contiguousStrides(kept);
  const accumulator: StridedArray = {
    data: start.slice(),
    offset: 1,
    strides: shape.map((d, i) => (axes.includes(i) || d === 1 ? 0 : keptStrides[i])),
  };
  kernel(op, shape, accumulator, { data: x, offset, strides: contiguousStrides(shape) });
  return accumulator.data as Float64Array;
}

function expectSameBits(shape: number[], axes: number[], seed: number, special = true, op: ReduceOp = 'sum'): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = values(size + 3, seed, special);
  const slots = shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
  const start = Float64Array.from({ length: slots + 2 }, (_, i) => (i % 3) - 1 + i / 7);
  const want = fold(jsReduce, op, shape, axes, x, 3, start);
  const got = fold(wasmReduce, op, shape, axes, x, 3, start);
  expect(Array.from(got, (v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(
    Array.from(want, (v) => (Number.isNaN(v) ? 'NaN' : v)),
  );
}

describe('wasm float32 sums', () => {
  it('match the JavaScript kernel bit for bit over generated shapes and reduced axes', () => {
    const shapeArb = fc
      .array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 })
      .filter((s) => s.reduce((a, b) => a * b, 1) >= 4096 || s.length === 1);
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.nat(), (shape, axisBits, seed) => {
        const sized = shape.length === 1 ? [shape[0] * 200] : shape;
        const axes = sized.map((_, i) => i).filter((i) => (axisBits >> i) & 1);
        expectSameBits(sized, axes.length > 0 ? axes : [0], seed);
      }),
      { numRuns: 150 },
    );
  });

  it('match it on the layouts of a training step: a bias gradient, a convolution bias gradient, row totals, a full sum', () => {
    expectSameBits([100, 50], [0], 1);
    expectSameBits([100, 30, 24, 24], [0, 2, 3], 2);
    expectSameBits([100, 64], [1], 3);
    expectSameBits([70, 90], [0, 1], 4);
  });

  it('match it on rows and columns longer than a chunk (16,384 values)', () => {
    expectSameBits([50_001], [0], 5);
    expectSameBits([3, 40_003], [1], 6);
    expectSameBits([2, 40_003], [0], 7);
    expectSameBits([3, 2, 20_000], [0, 2], 8);
  });

  it('leave other ops, small inputs and other layouts to JavaScript (same results)', () => {
    expectSameBits([100, 50], [0], 9, true, 'max');
    expectSameBits([10, 10], [0], 10);
    expectSameBits([20, 30, 40], [1], 11);
  });
});

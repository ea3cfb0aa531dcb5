/**
 * The WebAssembly elementwise path against the JavaScript kernel it replaces: the same bits for
 * every op it takes, on float32 data full of special values (NaN, ±0, ±∞, subnormals, huge and
 * tiny magnitudes), over lengths that end mid-vector and span several chunks, with offsets and
 * broadcast single values on either side; and the calls it must leave to JavaScript.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { axpby as jsAxpby, map as jsMap, type MapOp } from '../elementwise.js';
import type { StridedArray } from '../strided.js';
import { createWasmAxpby, createWasmMap } from './elementwise.js';

const wasmMap = createWasmMap(jsMap);
const wasmAxpby = createWasmAxpby(jsAxpby);
const UNARY: MapOp[] = ['neg', 'abs', 'sqrt', 'relu', 'step'];
const BINARY: MapOp[] = ['add', 'sub', 'mul', 'div', 'reluBackward', 'maximum', 'minimum'];
const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 1.1754942e-38, 3.4e38, -3.4e38, 1, -1, 0.5];

/** Deterministic float32 values, one in four of them special. */
function values(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] =
      state % 4 === 0
        ? SPECIAL[(state >>> 8) % SPECIAL.length]
        : (state / 2 ** 32 - 0.5) * 2 ** (((state >>> 4) % 40) - 20);
  }
  return out;
}

/** Bit patterns, with every NaN the same (NaN payloads are not part of the contract). */
function bits(a: Float32Array): number[] {
  const words = new Uint32Array(a.buffer, a.byteOffset, a.length);
  return Array.from(words, (w, i) => (Number.isNaN(a[i]) ? 0x7fc00000 : w));
}

const rowMajor = (data: Float32Array, offset: number): StridedArray => ({ data, offset, strides: [1] });
const single = (data: Float32Array, offset: number): StridedArray => ({ data, offset, strides: [0] });

function both(op: MapOp, length: number, inputs: () => StridedArray[]): [number[], number[]] {
  const results: number[][] = [];
  for (const kernel of [jsMap, wasmMap]) {
    const out = new Float32Array(length + 3).fill(7);
    kernel(op, [length], { data: out, offset: 2, strides: [1] }, inputs());
    results.push(bits(out));
  }
  return [results[0], results[1]];
}

describe('wasm map (float32)', () => {
  it('gives the JavaScript kernel’s bits for every op, length and offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...UNARY, ...BINARY),
        fc.integer({ min: 4096, max: 40000 }),
        fc.nat(3),
        fc.nat(3),
        fc.nat(1000),
        (op, length, xOffset, yOffset, seed) => {
          const x = values(length + xOffset, seed);
          const y = values(length + yOffset, seed + 1);
          const inputs = () =>
            UNARY.includes(op) ? [rowMajor(x, xOffset)] : [rowMajor(x, xOffset), rowMajor(y, yOffset)];
          const [js, wasm] = both(op, length, inputs);
          expect(wasm).toEqual(js);
          expect(wasm.slice(0, 2)).toEqual(bits(new Float32Array([7, 7]))); // nothing written before the output
        },
      ),
      { numRuns: 60 },
    );
  });

  it('broadcasts a single value on either side', () => {
    for (const op of BINARY) {
      for (const scalar of [2.5, -0, NaN, Infinity]) {
        const x = values(20000, 3);
        const s = new Float32Array([scalar]);
        expect(both(op, 20000, () => [single(s, 0), rowMajor(x, 0)])[1]).toEqual(
          both(op, 20000, () => [single(s, 0), rowMajor(x, 0)])[0],
        );
        expect(both(op, 20000, () => [rowMajor(x, 0), single(s, 0)])[1]).toEqual(
          both(op, 20000, () => [rowMajor(x, 0), single(s, 0)])[0],
        );
      }
    }
  });

  it('repeats a row broadcast along the leading axes (a bias over a batch), across chunk edges', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BINARY),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 1, max: 60 }),
        fc.boolean(),
        fc.nat(100),
        (op, rows, middle, cols, biasFirst, seed) => {
          fc.pre(rows * middle * cols >= 4096);
          const shape = [rows, middle, cols];
          const x = values(rows * middle * cols, seed);
          const bias = values(middle * cols + 1, seed + 7);
          // The bias row: (middle, cols) repeated over rows, or (cols) repeated over rows and middle.
          for (const biasStrides of [
            [0, cols, 1],
            [0, 0, 1],
          ]) {
            const dense = { data: x, offset: 0, strides: [middle * cols, cols, 1] };
            const row = { data: bias, offset: 1, strides: biasStrides };
            const outs = [jsMap, wasmMap].map((kernel) => {
              const out = new Float32Array(x.length);
              kernel(
                op,
                shape,
                { data: out, offset: 0, strides: [middle * cols, cols, 1] },
                biasFirst ? [row, dense] : [dense, row],
              );
              return bits(out);
            });
            expect(outs[1]).toEqual(outs[0]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('works on row-major 2-d operands and leaves strided or mixed-width ones to JavaScript', () => {
    const x = values(200 * 50, 4);
    const y = values(200 * 50, 5);
    for (const strides of [
      [50, 1],
      [1, 200],
    ]) {
      const outs = [jsMap, wasmMap].map((kernel) => {
        const out = new Float32Array(200 * 50);
        kernel('mul', [200, 50], { data: out, offset: 0, strides: [50, 1] }, [
          { data: x, offset: 0, strides },
          { data: y, offset: 0, strides: [50, 1] },
        ]);
        return bits(out);
      });
      expect(outs[1]).toEqual(outs[0]);
    }
    const wide = Float64Array.from(y);
    const [a, b] = [new Float32Array(10000), new Float32Array(10000)];
    jsMap('add', [10000], { data: a, offset: 0, strides: [1] }, [
      { data: x, offset: 0, strides: [1] },
      { data: wide, offset: 0, strides: [1] },
    ]);
    wasmMap('add', [10000], { data: b, offset: 0, strides: [1] }, [
      { data: x, offset: 0, strides: [1] },
      { data: wide, offset: 0, strides: [1] },
    ]);
    expect(bits(b)).toEqual(bits(a));
  });

  it('computes sigmoid within 2 ulps of the float64 formula, special values exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 256, max: 40000 }),
        fc.nat(1000),
        fc.constantFrom(1, 12, 120),
        (length, seed, spread) => {
          const x = values(length, seed).map((v, i) => (i % 3 === 0 ? v : (v / 2 ** 20) * spread));
          const out = new Float32Array(length);
          wasmMap('sigmoid', [length], { data: out, offset: 0, strides: [1] }, [rowMajor(x, 0)]);
          const got = new Int32Array(out.buffer);
          const want = new Int32Array(Float32Array.from(x, (v) => 1 / (1 + Math.exp(-v))).buffer);
          for (let i = 0; i < length; i++) {
            if (Number.isNaN(x[i])) expect(out[i]).toBeNaN();
            else if (Math.abs(got[i] - want[i]) > 2)
              expect.fail(`sigmoid(${x[i]}) = ${out[i]}, want ${new Float32Array(want.buffer)[i]}`);
          }
        },
      ),
      { numRuns: 40 },
    );
    const special = new Float32Array([0, -0, Infinity, -Infinity, 88, -87, -103, -104, -1e30, 1e30, -17]);
    // Long enough for the wasm path: the values repeated.
    const long = new Float32Array(1200).map((_, i) => special[i % special.length]);
    const longOut = new Float32Array(1200);
    wasmMap('sigmoid', [1200], { data: longOut, offset: 0, strides: [1] }, [rowMajor(long, 0)]);
    expect(Array.from(longOut.subarray(0, special.length))).toEqual(
      Array.from(special, (v) => Math.fround(1 / (1 + Math.exp(-v)))),
    );
  });

  const coefficient = fc.double({ min: -2, max: 2, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v));
  it('updates y ← a·y + b·x within float32 rounding of the JavaScript kernel, across chunks', () => {
    fc.assert(
      // Coefficients of an optimizer's size (a float32 holds them): 0, or 1e-6 ≤ |a|, |b| ≤ 2.
      fc.property(
        fc.integer({ min: 4096, max: 40000 }),
        fc.nat(1000),
        coefficient,
        coefficient,
        (length, seed, a, b) => {
          // Parameters and gradients, not overflow: finite values below 1e30.
          const y = values(length, seed).map((v) => (Math.abs(v) < 1e30 ? v : 1));
          const x = values(length, seed + 1).map((v) => (Math.abs(v) < 1e30 ? v : -1));
          const [want, got] = [Float32Array.from(y), Float32Array.from(y)];
          jsAxpby(want, x, a, b);
          wasmAxpby(got, x, a, b);
          for (let i = 0; i < length; i++) {
            // Three float32 roundings instead of one: within a few ulps of the larger term.
            const scale = Math.max(Math.abs(a * y[i]), Math.abs(b * x[i]), 1e-37);
            if (
              !(Math.abs(got[i] - want[i]) <= 4 * 2 ** -24 * scale) &&
              !(Number.isNaN(got[i]) && Number.isNaN(want[i]))
            ) {
              expect.fail(`axpby at ${i}: ${a}·${y[i]} + ${b}·${x[i]} = ${got[i]}, want ${want[i]}`);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
    const small = new Float32Array([1, 2, 3]);
    wasmAxpby(small, new Float32Array([10, 20, 30]), 1, -0.1);
    expect(Array.from(small)).toEqual([0, 0, 0]);
    expect(() => wasmAxpby(new Float32Array(5000), new Float32Array(4999), 1, 1)).toThrow(
      /x has 4999 elements, y 5000/,
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemm, type FloatArray, type MatrixOperand } from './matmul';

// Tolerances are relative to Σ|a_ik·b_kj|, the scale of the rounding error of any summation
// order. Float64 output: the kernel and the reference only differ in summation order.
// Float32 output: one rounding of the double sum (≈6e-8 relative) dominates.
const FLOAT64_TOLERANCE = 1e-12;
const FLOAT32_TOLERANCE = 1e-5;
/** Written around C's region to catch writes outside it. */
const SENTINEL = 12345;

type Layout = 'rowMajor' | 'colMajor' | 'broadcastRows' | 'broadcastCols';
type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

interface OperandSpec {
  layout: Layout;
  offset: number;
  padding: number;
  float32: boolean;
}

/** Deterministic values in [-1, 1) from a seed, so a shrunk counterexample replays exactly. */
function fillRandom(data: FloatArray, seed: number): void {
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 2 ** 31 - 1;
  }
}

/** A rows×cols operand laid out as spec says, with `padding` unused slots per leading dimension. */
function makeOperand(rows: number, cols: number, spec: OperandSpec, seed: number): MatrixOperand {
  const { layout, offset, padding } = spec;
  const strides: Record<Layout, [number, number]> = {
    rowMajor: [cols + padding, 1],
    colMajor: [1, rows + padding],
    broadcastRows: [0, 1],
    broadcastCols: [1, 0],
  };
  const [rowStride, colStride] = strides[layout];
  const last = rows > 0 && cols > 0 ? (rows - 1) * rowStride + (cols - 1) * colStride : 0;
  const data = new (spec.float32 ? Float32Array : Float64Array)(offset + last + 1 + padding);
  fillRandom(data, seed);
  return { data, offset, rowStride, colStride };
}

function element(x: MatrixOperand, i: number, j: number): number {
  return x.data[x.offset + i * x.rowStride + j * x.colStride];
}

/** Naive float64 triple loop: the exact sum (up to double rounding) and its error scale. */
function reference(M: number, N: number, K: number, a: MatrixOperand, b: MatrixOperand) {
  const value = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let absSum = 0;
      for (let k = 0; k < K; k++) {
        const product = element(a, i, k) * element(b, k, j);
        sum += product;
        absSum += Math.abs(product);
      }
      value[i * N + j] = sum;
      scale[i * N + j] = absSum;
    }
  }
  return { value, scale };
}

/** Runs gemm into a NaN-filled C between sentinels and checks every element against the reference. */
function checkGemm(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  Output: FloatArrayConstructor,
  cOffset: number,
): void {
  const c = new Output(cOffset + M * N + 3).fill(SENTINEL);
  c.fill(NaN, cOffset, cOffset + M * N);
  gemm(M, N, K, a, b, c, cOffset);

  const { value, scale } = reference(M, N, K, a, b);
  const tolerance = Output === Float32Array ? FLOAT32_TOLERANCE : FLOAT64_TOLERANCE;
  for (let index = 0; index < M * N; index++) {
    const got = c[cOffset + index];
    const error = Math.abs(got - value[index]);
    if (!(error <= tolerance * scale[index] + Number.MIN_VALUE)) {
      const [i, j] = [Math.floor(index / N), index % N];
      expect.fail(`C[${i}][${j}] = ${got}, expected ${value[index]} (M=${M} N=${N} K=${K})`);
    }
  }
  for (let i = 0; i < c.length; i++) {
    if (i < cOffset || i >= cOffset + M * N) expect(c[i]).toBe(SENTINEL);
  }
}

const operandSpec = fc.record({
  layout: fc.constantFrom<Layout>('rowMajor', 'colMajor', 'broadcastRows', 'broadcastCols'),
  offset: fc.integer({ min: 0, max: 7 }),
  padding: fc.integer({ min: 0, max: 3 }),
  float32: fc.boolean(),
});
// Half the sizes small, so thin shapes (the direct path) and edge tiles come up often.
const size = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 70 }));

describe('gemm', () => {
  it('matches a naive float64 triple loop for strided, transposed and broadcast operands', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: size,
          N: size,
          K: size,
          a: operandSpec,
          b: operandSpec,
          float32Output: fc.boolean(),
          cOffset: fc.integer({ min: 0, max: 7 }),
          seed: fc.integer(),
        }),
        ({ M, N, K, a, b, float32Output, cOffset, seed }) => {
          const A = makeOperand(M, K, a, seed);
          const B = makeOperand(K, N, b, seed + 1);
          checkGemm(M, N, K, A, B, float32Output ? Float32Array : Float64Array, cOffset);
        },
      ),
      { numRuns: 400 },
    );
  });

  // Larger than MC and KC, so C tiles span several A blocks and several K slices; the last
  // case has K large enough that B's column panel is narrowed and split into several.
  const multiBlock: [number, number, number][] = [
    [300, 270, 290],
    [97, 385, 513],
    [7, 500, 5000],
  ];
  for (const [M, N, K] of multiBlock) {
    for (const layout of ['rowMajor', 'colMajor'] as const) {
      it(`matches the reference across blocks at ${M}×${N}×${K}, ${layout} operands`, () => {
        const spec = { layout, offset: 3, padding: 1, float32: false };
        const A = makeOperand(M, K, spec, 1);
        const B = makeOperand(K, N, { ...spec, float32: true }, 2);
        checkGemm(M, N, K, A, B, Float64Array, 5);
        checkGemm(M, N, K, A, B, Float32Array, 0);
      });
    }
  }

  it('computes the documented example', () => {
    const a = { data: new Float64Array([1, 2, 3, 4]), offset: 0, rowStride: 2, colStride: 1 };
    const c = new Float64Array(4);
    gemm(2, 2, 2, a, a, c, 0);
    expect(Array.from(c)).toEqual([7, 10, 15, 22]);
  });

  it('writes zeros when K is 0 and leaves C alone when M or N is 0', () => {
    const empty = { data: new Float64Array(0), offset: 0, rowStride: 0, colStride: 0 };
    const c = new Float32Array(8).fill(NaN);
    gemm(2, 3, 0, empty, empty, c, 1);
    expect(Array.from(c)).toEqual([NaN, 0, 0, 0, 0, 0, 0, NaN]);
    const untouched = new Float64Array(4).fill(SENTINEL);
    gemm(0, 4, 3, empty, empty, untouched, 0);
    gemm(4, 0, 3, empty, empty, untouched, 0);
    expect(Array.from(untouched)).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
  });

  // 1 + 1000 × 1e-8: each 1e-8 is below half an ulp of 1 in float32, so a float32 running
  // sum would stay at 1; the double sum rounds once to the float32 nearest 1.00001.
  for (const M of [1, 8]) {
    it(`rounds a Float32Array result once, from the double sum (M=${M})`, () => {
      const K = 1001;
      const row = new Float64Array(K).fill(1e-8);
      row[0] = 1;
      const a = { data: row, offset: 0, rowStride: 0, colStride: 1 };
      const ones = { data: new Float64Array([1]), offset: 0, rowStride: 0, colStride: 0 };
      const c = new Float32Array(M * 8);
      gemm(M, 8, K, a, ones, c, 0);
      let exact = 0;
      for (let k = 0; k < K; k++) exact += row[k];
      expect(Array.from(c)).toEqual(new Array(M * 8).fill(Math.fround(exact)));
    });
  }
});

/**
 * The GEMM kernel test suite, run against every implementation of the `gemm` kernel (the
 * JavaScript one in src/kernels/matmul.test.ts; WebAssembly on 1 and 2 threads in
 * src/kernels/wasm/gemm.test.ts): a naive float64 triple loop over generated shapes, strides,
 * transposes, broadcasts, offsets and dtypes, plus fixed shapes past every blocking edge.
 *
 * Tolerances are relative to Σ|a_ik·b_kj|, the scale of the rounding error of any summation
 * order. Float64 output: the kernel and the reference only differ in summation order, 1e-12.
 * Float32 output: each implementation states its own bound as a function of K (see GemmSuiteOptions).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatArray, MatrixOperand } from '../src/kernels/matmul.js';

const FLOAT64_TOLERANCE = 1e-12;
/** Written around C's region to catch writes outside it. */
export const SENTINEL = 12345;

/** The kernel under test: the KernelBackend `gemm` signature. */
export type Gemm = (
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
) => void;

export interface GemmSuiteOptions {
  /** Largest error of a float32 C relative to Σ|a·b| for depth K. */
  float32Tolerance(K: number): number;
  /** Runs before the suite's tests (e.g. set a thread count) ... */
  setUp?(): void;
  /** ... and this after them. */
  tearDown?(): void;
}

type Layout = 'rowMajor' | 'colMajor' | 'broadcastRows' | 'broadcastCols' | 'reversedRows' | 'reversedCols';
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
    // Reversed views (x[::-1] and x[:, ::-1]) have a negative stride.
    reversedRows: [-(cols + padding), 1],
    reversedCols: [1, -(rows + padding)],
  };
  const [rowStride, colStride] = strides[layout];
  // How far below and above element (0, 0) the operand reaches in its storage.
  const rowReach = rows > 0 && cols > 0 ? (rows - 1) * rowStride : 0;
  const colReach = rows > 0 && cols > 0 ? (cols - 1) * colStride : 0;
  const below = -Math.min(0, rowReach) - Math.min(0, colReach);
  const above = Math.max(0, rowReach) + Math.max(0, colReach);
  const data = new (spec.float32 ? Float32Array : Float64Array)(offset + below + above + 1 + padding);
  fillRandom(data, seed);
  return { data, offset: offset + below, rowStride, colStride };
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
  gemm: Gemm,
  float32Tolerance: (K: number) => number,
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
  const tolerance = Output === Float32Array ? float32Tolerance(K) : FLOAT64_TOLERANCE;
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
  layout: fc.constantFrom<Layout>(
    'rowMajor',
    'colMajor',
    'broadcastRows',
    'broadcastCols',
    'reversedRows',
    'reversedCols',
  ),
  offset: fc.integer({ min: 0, max: 7 }),
  padding: fc.integer({ min: 0, max: 3 }),
  float32: fc.boolean(),
});
// Half the sizes small, so thin shapes (the direct path) and edge tiles come up often.
const size = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 70 }));

/** Registers the gemm tests for one implementation under `describe(name)`. */
export function gemmSuite(name: string, gemm: Gemm, options: GemmSuiteOptions): void {
  const check = (
    M: number,
    N: number,
    K: number,
    a: MatrixOperand,
    b: MatrixOperand,
    Output: FloatArrayConstructor,
    cOffset: number,
  ) => checkGemm(gemm, options.float32Tolerance, M, N, K, a, b, Output, cOffset);

  describe(name, () => {
    if (options.setUp) beforeAll(options.setUp);
    if (options.tearDown) afterAll(options.tearDown);
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
            check(M, N, K, A, B, float32Output ? Float32Array : Float64Array, cOffset);
          },
        ),
        { numRuns: 400 },
      );
    });

    // Larger than every block size (JS: MC, KC; wasm: 96-row tiles, 256-deep K slices, 512-column
    // tiles), so C spans several tiles and K slices, and big enough for the wasm kernel to share
    // the work between threads; the last case has K large enough that the JS kernel narrows B's
    // column panel.
    const multiBlock: [number, number, number][] = [
      [300, 270, 290],
      [97, 385, 513],
      [7, 500, 5000],
      [200, 1100, 40],
    ];
    for (const [M, N, K] of multiBlock) {
      for (const layout of ['rowMajor', 'colMajor', 'reversedRows', 'reversedCols'] as const) {
        it(`matches the reference across blocks at ${M}×${N}×${K}, ${layout} operands`, () => {
          const spec = { layout, offset: 3, padding: 1, float32: false };
          const A = makeOperand(M, K, spec, 1);
          const B = makeOperand(K, N, { ...spec, float32: true }, 2);
          check(M, N, K, A, B, Float64Array, 5);
          check(M, N, K, A, B, Float32Array, 0);
          const A32 = makeOperand(M, K, { ...spec, float32: true }, 3);
          check(M, N, K, A32, B, Float32Array, 2);
        });
      }
    }

    // Products past the wasm kernel's size threshold whose sides are not multiples of its 4×8
    // micro-tile (or are 1), so most of each tile is padding.
    const ragged: [number, number, number][] = [
      [3, 1000, 40],
      [1000, 3, 40],
      [1, 1, 40000],
      [33, 17, 101],
    ];
    for (const [M, N, K] of ragged) {
      it(`handles ragged edges at ${M}×${N}×${K}`, () => {
        const A = makeOperand(M, K, { layout: 'colMajor', offset: 1, padding: 2, float32: true }, 4);
        const B = makeOperand(K, N, { layout: 'rowMajor', offset: 0, padding: 1, float32: true }, 5);
        check(M, N, K, A, B, Float32Array, 3);
      });
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
  });
}

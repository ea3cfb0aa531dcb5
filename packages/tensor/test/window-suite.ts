/**
 * Test support for the sliding-window kernels: fast-check geometries, deterministic fills, and
 * the unfold/fold suite, run against every implementation (the JavaScript kernels in
 * src/kernels/im2col.test.ts, WebAssembly in src/kernels/wasm/windows.test.ts).
 *
 * unfold only copies, and fold adds each entry into its position in one fixed order, so both are
 * compared exactly with nested-loop references that do the same arithmetic in the same width:
 * every implementation must give the same bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../src/kernels/im2col.js';
import type { FloatArray } from '../src/kernels/matmul.js';

const RUNS = 150;

/** Geometries whose output sizes come out whole: OH, OW are drawn and H, W derived from them. */
export function geometryArb(options: { pool?: boolean; twoByTwo?: boolean } = {}): fc.Arbitrary<WindowGeometry> {
  return (
    fc
      .record({
        N: fc.integer({ min: 1, max: 3 }),
        C: fc.integer({ min: 1, max: 3 }),
        FH: fc.integer({ min: 1, max: 4 }),
        FW: fc.integer({ min: 1, max: 4 }),
        strideH: fc.integer({ min: 1, max: 3 }),
        strideW: fc.integer({ min: 1, max: 3 }),
        padH: fc.integer({ min: 0, max: 2 }),
        padW: fc.integer({ min: 0, max: 2 }),
        OH: fc.integer({ min: 1, max: 4 }),
        OW: fc.integer({ min: 1, max: 9 }),
      })
      // twoByTwo: the unrolled path of maxPool2d (2×2 windows, no padding).
      .map((g) => (options.twoByTwo ? { ...g, FH: 2, FW: 2, padH: 0, padW: 0 } : g))
      .map((g) => ({
        ...g,
        H: (g.OH - 1) * g.strideH + g.FH - 2 * g.padH,
        W: (g.OW - 1) * g.strideW + g.FW - 2 * g.padW,
      }))
      .filter((g) => g.H >= 1 && g.W >= 1 && (!options.pool || (g.padH < g.FH && g.padW < g.FW)))
  );
}

/** Deterministic values from a seed; `levels` > 0 draws from few distinct values, to make ties. */
export function fill(data: FloatArray, seed: number, levels = 0): FloatArray {
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const u = state / 2 ** 32;
    data[i] = levels > 0 ? Math.floor(u * levels) - 1 : 2 * u - 1;
  }
  return data;
}

export const inputSize = (g: WindowGeometry) => g.N * g.C * g.H * g.W;
export const colSize = (g: WindowGeometry) => g.N * g.OH * g.OW * g.C * g.FH * g.FW;

/** x[n, c, ih, iw], or undefined in the padding. */
export function pixel(
  x: FloatArray,
  offset: number,
  g: WindowGeometry,
  n: number,
  c: number,
  ih: number,
  iw: number,
): number | undefined {
  if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return undefined;
  return x[offset + ((n * g.C + c) * g.H + ih) * g.W + iw];
}

/**
 * Calls visit(index, n, c, ih, iw) for every entry of the unfold layout, in its order: index is
 * the entry's position in the N (C·FH·FW, OH·OW) matrices.
 */
function forEachUnfoldEntry(
  g: WindowGeometry,
  visit: (index: number, n: number, c: number, ih: number, iw: number) => void,
): void {
  let index = 0;
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.C; c++)
      for (let fh = 0; fh < g.FH; fh++)
        for (let fw = 0; fw < g.FW; fw++)
          for (let oh = 0; oh < g.OH; oh++)
            for (let ow = 0; ow < g.OW; ow++)
              visit(index++, n, c, oh * g.strideH - g.padH + fh, ow * g.strideW - g.padW + fw);
}

/** Σ a·b and Σ |a·b|, the scale of its rounding error. */
export function dotProduct(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } {
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    scale += Math.abs(a[i] * b[i]);
  }
  return { value, scale };
}

export const widthArb = fc.constantFrom(Float64Array, Float32Array);

type WindowKernel = (
  source: FloatArray,
  sourceOffset: number,
  g: WindowGeometry,
  target: FloatArray,
  targetOffset: number,
) => void;

/**
 * The unfold/fold suite against one implementation.
 *
 * @example
 * windowSuite('unfold/fold (wasm)', { unfold: wasmUnfold, fold: wasmFold });
 */
export function windowSuite(name: string, kernels: { unfold: WindowKernel; fold: WindowKernel }): void {
  describe(name, () => {
    it('unfold matches the nested-loop definition exactly, with offsets, and writes nothing outside its range', () => {
      fc.assert(
        fc.property(geometryArb(), fc.nat(3), fc.nat(3), widthArb, (g, xOffset, colOffset, Width) => {
          const x = fill(new Width(xOffset + inputSize(g)), 1);
          const col = new Width(colOffset + colSize(g) + 2).fill(NaN);
          kernels.unfold(x, xOffset, g, col, colOffset);
          forEachUnfoldEntry(g, (index, n, c, ih, iw) => {
            expect(col[colOffset + index]).toBe(pixel(x, xOffset, g, n, c, ih, iw) ?? 0);
          });
          for (let i = 0; i < colOffset; i++) expect(col[i]).toBeNaN();
          expect(col[colOffset + colSize(g)]).toBeNaN();
        }),
        { numRuns: RUNS },
      );
    });

    it('fold adds every entry into its input position, in the same width and order as a nested-loop scatter (same bits)', () => {
      fc.assert(
        fc.property(geometryArb(), fc.nat(3), fc.nat(3), widthArb, (g, colOffset, xOffset, Width) => {
          const col = fill(new Width(colOffset + colSize(g)), 3);
          const x = fill(new Width(xOffset + inputSize(g)), 4);
          const expected = Width.from(x);
          forEachUnfoldEntry(g, (index, n, c, ih, iw) => {
            if (pixel(x, xOffset, g, n, c, ih, iw) !== undefined)
              expected[xOffset + ((n * g.C + c) * g.H + ih) * g.W + iw] += col[colOffset + index];
          });
          kernels.fold(col, colOffset, g, x, xOffset);
          expect(Array.from(x)).toEqual(Array.from(expected));
        }),
        { numRuns: RUNS },
      );
    });

    it('fold is the adjoint of unfold: ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩', () => {
      fc.assert(
        fc.property(geometryArb(), fc.nat(1000), (g, seed) => {
          const x = fill(new Float64Array(inputSize(g)), seed);
          const y = fill(new Float64Array(colSize(g)), seed + 1);
          const col = new Float64Array(colSize(g));
          kernels.unfold(x, 0, g, col, 0);
          const back = new Float64Array(inputSize(g));
          kernels.fold(y, 0, g, back, 0);
          const left = dotProduct(col, y);
          const right = dotProduct(x, back);
          expect(Math.abs(left.value - right.value)).toBeLessThanOrEqual(1e-12 * (1 + left.scale));
        }),
        { numRuns: RUNS },
      );
    });

    it('handles images with long rows (vector runs and their tails) and stride-2 runs', () => {
      for (const [W, stride, pad] of [
        [37, 1, 1],
        [64, 1, 2],
        [41, 2, 1],
      ]) {
        const OW = (W + 2 * pad - 3) / stride + 1;
        const g: WindowGeometry = {
          N: 2,
          C: 2,
          H: 5,
          W,
          FH: 3,
          FW: 3,
          strideH: 1,
          strideW: stride,
          padH: pad,
          padW: pad,
          OH: 3 + 2 * pad,
          OW,
        };
        const x = fill(new Float32Array(inputSize(g)), W);
        const col = new Float32Array(colSize(g));
        kernels.unfold(x, 0, g, col, 0);
        forEachUnfoldEntry(g, (index, n, c, ih, iw) => expect(col[index]).toBe(pixel(x, 0, g, n, c, ih, iw) ?? 0));
      }
    });
  });
}

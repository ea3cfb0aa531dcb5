/**
 * The window kernels against textbook nested loops over fast-check geometries (batch, channels,
 * filter/window sizes, strides, paddings — small sizes), with offsets into the arrays and both
 * float widths. im2col and the pooling forwards only copy, compare or add in the same order as the
 * reference, so they must match exactly; col2im and the adjoint identities add in a different
 * order: relative 1e-12 (float64).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type WindowGeometry,
  avgPool2d,
  avgPool2dBackward,
  col2im,
  fold,
  im2col,
  maxPool2d,
  maxPool2dBackward,
  unfold,
} from './im2col';
import type { FloatArray } from './matmul';
import {
  colSize,
  dotProduct,
  fill,
  geometryArb,
  inputSize,
  pixel,
  widthArb,
  windowSuite,
} from '../../test/window-suite';

const RUNS = 150;
const pooledSize = (g: WindowGeometry) => g.N * g.C * g.OH * g.OW;

/** Calls visit(row, column, n, c, ih, iw) for every entry of the im2col matrix, in its order. */
function forEachEntry(
  g: WindowGeometry,
  visit: (row: number, column: number, n: number, c: number, ih: number, iw: number) => void,
): void {
  for (let n = 0; n < g.N; n++)
    for (let oh = 0; oh < g.OH; oh++)
      for (let ow = 0; ow < g.OW; ow++)
        for (let c = 0; c < g.C; c++)
          for (let fh = 0; fh < g.FH; fh++)
            for (let fw = 0; fw < g.FW; fw++) {
              const row = (n * g.OH + oh) * g.OW + ow;
              const column = (c * g.FH + fh) * g.FW + fw;
              visit(row, column, n, c, oh * g.strideH - g.padH + fh, ow * g.strideW - g.padW + fw);
            }
}

/** The values of window (n, c, oh, ow) in row-major order, padding excluded. */
function windowValues(
  x: FloatArray,
  g: WindowGeometry,
  n: number,
  c: number,
  oh: number,
  ow: number,
): Array<{ value: number; index: number }> {
  const out: Array<{ value: number; index: number }> = [];
  for (let fh = 0; fh < g.FH; fh++)
    for (let fw = 0; fw < g.FW; fw++) {
      const ih = oh * g.strideH - g.padH + fh;
      const iw = ow * g.strideW - g.padW + fw;
      const value = pixel(x, 0, g, n, c, ih, iw);
      if (value !== undefined) out.push({ value, index: ((n * g.C + c) * g.H + ih) * g.W + iw });
    }
  return out;
}

windowSuite('unfold / fold (JavaScript kernels)', { unfold, fold });

describe('im2col', () => {
  it('matches the nested-loop definition, with offsets, in both float widths', () => {
    fc.assert(
      fc.property(geometryArb(), fc.nat(3), fc.nat(3), widthArb, (g, xOffset, colOffset, Width) => {
        const x = fill(new Width(xOffset + inputSize(g)), 1);
        const col = new Width(colOffset + colSize(g) + 2).fill(NaN);
        im2col(x, xOffset, g, col, colOffset);
        const K = g.C * g.FH * g.FW;
        forEachEntry(g, (row, column, n, c, ih, iw) => {
          expect(col[colOffset + row * K + column]).toBe(pixel(x, xOffset, g, n, c, ih, iw) ?? 0);
        });
        // Nothing written outside the output range.
        for (let i = 0; i < colOffset; i++) expect(col[i]).toBeNaN();
        expect(col[colOffset + colSize(g)]).toBeNaN();
      }),
      { numRuns: RUNS },
    );
  });

  it("gives the seeds' shapes: (1,3,7,7) with 5×5 filters → 9 rows of 75", () => {
    const g: WindowGeometry = {
      N: 1,
      C: 3,
      H: 7,
      W: 7,
      FH: 5,
      FW: 5,
      strideH: 1,
      strideW: 1,
      padH: 0,
      padW: 0,
      OH: 3,
      OW: 3,
    };
    const x = fill(new Float64Array(3 * 49), 2);
    const col = new Float64Array(9 * 75);
    im2col(x, 0, g, col, 0);
    // Row 4 is the centre window; its first entry is x[0, 0, 1, 1], its last x[2, 0+1+4, 1+4].
    expect(col[4 * 75]).toBe(x[8]);
    expect(col[4 * 75 + 74]).toBe(x[2 * 49 + 5 * 7 + 5]);
  });
});

describe('col2im', () => {
  it('adds every entry back to its input position (nested-loop scatter), into what x holds', () => {
    fc.assert(
      fc.property(geometryArb(), fc.nat(3), widthArb, (g, xOffset, Width) => {
        const col = fill(new Width(colSize(g)), 3);
        const x = fill(new Width(xOffset + inputSize(g)), 4);
        const expected = Float64Array.from(x);
        const K = g.C * g.FH * g.FW;
        forEachEntry(g, (row, column, n, c, ih, iw) => {
          if (pixel(x, xOffset, g, n, c, ih, iw) !== undefined)
            expected[xOffset + ((n * g.C + c) * g.H + ih) * g.W + iw] += col[row * K + column];
        });
        col2im(col, 0, g, x, xOffset);
        const tolerance = Width === Float32Array ? 1e-5 : 1e-12;
        for (let i = 0; i < x.length; i++)
          expect(Math.abs(x[i] - expected[i])).toBeLessThanOrEqual(
            tolerance * (1 + Math.abs(expected[i])) * g.FH * g.FW,
          );
      }),
      { numRuns: RUNS },
    );
  });

  it('is the adjoint of im2col: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩', () => {
    fc.assert(
      fc.property(geometryArb(), fc.nat(1000), (g, seed) => {
        const x = fill(new Float64Array(inputSize(g)), seed);
        const y = fill(new Float64Array(colSize(g)), seed + 1);
        const col = new Float64Array(colSize(g));
        im2col(x, 0, g, col, 0);
        const back = new Float64Array(inputSize(g));
        col2im(y, 0, g, back, 0);
        const left = dotProduct(col, y);
        const right = dotProduct(x, back);
        expect(Math.abs(left.value - right.value)).toBeLessThanOrEqual(1e-12 * (1 + left.scale));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('pooling kernels', () => {
  it('maxPool2d: the largest value of each window and the index of its first occurrence; padding never wins', () => {
    fc.assert(
      fc.property(
        fc.oneof(geometryArb({ pool: true }), geometryArb({ pool: true, twoByTwo: true })),
        fc.nat(3),
        fc.nat(1000),
        fc.boolean(),
        widthArb,
        (g, xOffset, seed, ties, Width) => {
          // With ties, values come from {−1, 0, 1}: equal maxima are frequent and negative windows
          // next to the zero padding check that padding is not a 0.
          const x = fill(new Width(xOffset + inputSize(g)), seed, ties ? 3 : 0);
          const out = new Width(pooledSize(g));
          const argmax = new Int32Array(pooledSize(g));
          maxPool2d(x, xOffset, g, out, argmax);
          let o = 0;
          for (let n = 0; n < g.N; n++)
            for (let c = 0; c < g.C; c++)
              for (let oh = 0; oh < g.OH; oh++)
                for (let ow = 0; ow < g.OW; ow++, o++) {
                  const window = windowValues(x.subarray(xOffset), g, n, c, oh, ow);
                  const best = window.reduce((a, b) => (b.value > a.value ? b : a));
                  expect([out[o], argmax[o]]).toEqual([best.value, best.index]);
                }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('maxPool2d propagates NaN (the first one) and handles ±∞, in the 2×2 and the general loop', () => {
    const pool = (values: number[], size: number) => {
      const g: WindowGeometry = {
        N: 1,
        C: 1,
        H: size,
        W: size,
        FH: size,
        FW: size,
        strideH: 1,
        strideW: 1,
        padH: 0,
        padW: 0,
        OH: 1,
        OW: 1,
      };
      const out = new Float64Array(1);
      const argmax = new Int32Array(1);
      maxPool2d(Float64Array.from(values), 0, g, out, argmax);
      return [out[0], argmax[0]];
    };
    expect(pool([1, NaN, 5, NaN], 2)).toEqual([NaN, 1]);
    expect(pool([Infinity, -Infinity, 1, Infinity], 2)).toEqual([Infinity, 0]);
    expect(pool([-Infinity, -Infinity, -Infinity, -Infinity], 2)).toEqual([-Infinity, 0]);
    expect(pool([1, 2, 3, 4, 9, NaN, 7, NaN, 0], 3)).toEqual([NaN, 5]);
    expect(pool([1, 2, 3, 4, Infinity, -Infinity, 7, 8, Infinity], 3)).toEqual([Infinity, 4]);
  });

  it('maxPool2dBackward adds each gradient at its argmax', () => {
    const gx = Float64Array.from([1, 1, 1]);
    maxPool2dBackward(Float64Array.from([9, 2, 3, 4]), 1, Int32Array.from([2, 0, 2]), 3, gx, 1);
    expect([...gx]).toEqual([4, 1, 7]);
  });

  it('avgPool2d: the window sum over FH·FW (padding counts as 0), and its adjoint', () => {
    fc.assert(
      fc.property(geometryArb({ pool: true }), fc.nat(3), fc.nat(1000), (g, xOffset, seed) => {
        const x = fill(new Float64Array(xOffset + inputSize(g)), seed);
        const out = new Float64Array(pooledSize(g));
        avgPool2d(x, xOffset, g, out);
        let o = 0;
        for (let n = 0; n < g.N; n++)
          for (let c = 0; c < g.C; c++)
            for (let oh = 0; oh < g.OH; oh++)
              for (let ow = 0; ow < g.OW; ow++, o++) {
                const sum = windowValues(x.subarray(xOffset), g, n, c, oh, ow).reduce((s, e) => s + e.value, 0);
                expect(Math.abs(out[o] - sum / (g.FH * g.FW))).toBeLessThanOrEqual(1e-14);
              }
        const y = fill(new Float64Array(pooledSize(g)), seed + 1);
        const back = new Float64Array(inputSize(g));
        avgPool2dBackward(y, 0, g, back);
        const left = dotProduct(out, y);
        const right = dotProduct(x.subarray(xOffset), back);
        expect(Math.abs(left.value - right.value)).toBeLessThanOrEqual(1e-12 * (1 + left.scale));
      }),
      { numRuns: RUNS },
    );
  });
});

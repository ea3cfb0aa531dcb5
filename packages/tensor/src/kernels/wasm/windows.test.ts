/**
 * The shared unfold/fold suite (test/window-suite.ts) against the WebAssembly window kernels
 * (float32 data runs in wasm, float64 falls back to JavaScript), plus bit-equality with the
 * JavaScript kernels on the DeepConvNet layer sizes they were written for, and 2×2 max pooling
 * against the JavaScript kernel (values, ties, NaN, ±0).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fill, geometryArb, windowSuite } from '../../../test/window-suite.js';
import { fold, maxPool2d, maxPool2dBackward, unfold, type WindowGeometry } from '../im2col.js';
import { wasmFold, wasmMaxPool2d, wasmMaxPool2dBackward, wasmUnfold } from './windows.js';

windowSuite('unfold / fold (wasm kernels)', { unfold: wasmUnfold, fold: wasmFold });

describe('wasm unfold / fold on real layer sizes', () => {
  it('give the same bits as the JavaScript kernels for DeepConvNet’s convolutions', () => {
    for (const [C, H, pad] of [
      [1, 28, 1],
      [16, 28, 1],
      [32, 14, 2],
      [64, 8, 1],
    ]) {
      const O = H + 2 * pad - 2;
      const g: WindowGeometry = {
        N: 3,
        C,
        H,
        W: H,
        FH: 3,
        FW: 3,
        strideH: 1,
        strideW: 1,
        padH: pad,
        padW: pad,
        OH: O,
        OW: O,
      };
      const x = fill(new Float32Array(3 * C * H * H), C);
      const [wasmColumns, jsColumns] = [new Float32Array(3 * C * 9 * O * O), new Float32Array(3 * C * 9 * O * O)];
      wasmUnfold(x, 0, g, wasmColumns, 0);
      unfold(x, 0, g, jsColumns, 0);
      expect(wasmColumns).toEqual(jsColumns);
      const [wasmImage, jsImage] = [Float32Array.from(x), Float32Array.from(x)];
      wasmFold(jsColumns, 0, g, wasmImage, 0);
      fold(jsColumns, 0, g, jsImage, 0);
      expect(wasmImage).toEqual(jsImage);
    }
  });
});

describe('wasm max pooling', () => {
  it('gives the JavaScript kernel’s maxima and first-maximum indices for 2×2 windows, with ties, NaN and ±0', () => {
    fc.assert(
      fc.property(
        geometryArb({ pool: true, twoByTwo: true }),
        fc.nat(3),
        fc.nat(1000),
        fc.boolean(),
        (g, xOffset, seed, ties) => {
          const x = fill(new Float32Array(xOffset + g.N * g.C * g.H * g.W), seed, ties ? 3 : 0) as Float32Array;
          if (seed % 3 === 0) x[xOffset + (seed % (x.length - xOffset))] = NaN;
          if (ties) x.forEach((v, i) => (x[i] = v === 0 && i % 2 ? -0 : v));
          const count = g.N * g.C * g.OH * g.OW;
          const [jsOut, wasmOut] = [new Float32Array(count), new Float32Array(count)];
          const [jsAt, wasmAt] = [new Int32Array(count), new Int32Array(count)];
          maxPool2d(x, xOffset, g, jsOut, jsAt);
          wasmMaxPool2d(x, xOffset, g, wasmOut, wasmAt);
          expect(Array.from(wasmAt)).toEqual(Array.from(jsAt));
          expect(Array.from(wasmOut, (v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
            Array.from(jsOut, (v) => (Object.is(v, -0) ? '-0' : v)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pools many planes in several pieces, as the JavaScript kernel (SimpleConvNet’s layer)', () => {
    const g: WindowGeometry = {
      N: 7,
      C: 30,
      H: 24,
      W: 24,
      FH: 2,
      FW: 2,
      strideH: 2,
      strideW: 2,
      padH: 0,
      padW: 0,
      OH: 12,
      OW: 12,
    };
    const x = fill(new Float32Array(7 * 30 * 576), 9) as Float32Array;
    const count = 7 * 30 * 144;
    const [jsOut, wasmOut, jsAt, wasmAt] = [
      new Float32Array(count),
      new Float32Array(count),
      new Int32Array(count),
      new Int32Array(count),
    ];
    maxPool2d(x, 0, g, jsOut, jsAt);
    wasmMaxPool2d(x, 0, g, wasmOut, wasmAt);
    expect(wasmOut).toEqual(jsOut);
    expect(wasmAt).toEqual(jsAt);
  });

  it('scatters the gradient to the argmax positions as the JavaScript kernel does (same bits)', () => {
    fc.assert(
      fc.property(geometryArb({ pool: true }), fc.nat(1000), fc.nat(3), (g, seed, gyOffset) => {
        const x = fill(new Float32Array(g.N * g.C * g.H * g.W), seed, 3) as Float32Array;
        const count = g.N * g.C * g.OH * g.OW;
        const [out, at] = [new Float32Array(count), new Int32Array(count)];
        maxPool2d(x, 0, g, out, at);
        const gy = fill(new Float32Array(gyOffset + count), seed + 1) as Float32Array;
        const [jsGx, wasmGx] = [new Float32Array(x.length), new Float32Array(x.length)];
        maxPool2dBackward(gy, gyOffset, at, count, jsGx, g.N * g.C);
        wasmMaxPool2dBackward(gy, gyOffset, at, count, wasmGx, g.N * g.C);
        expect(wasmGx).toEqual(jsGx);
      }),
      { numRuns: 200 },
    );
  });

  it('hands indices that leave their plane to the JavaScript scatter', () => {
    // 40 planes of 24×24 (several pieces), every gradient sent to the very first element.
    const planes = 40;
    const gy = Float32Array.from({ length: planes * 144 }, (_, i) => (i % 7) - 3);
    const at = new Int32Array(planes * 144);
    const [jsGx, wasmGx] = [new Float32Array(planes * 576), new Float32Array(planes * 576)];
    maxPool2dBackward(gy, 0, at, gy.length, jsGx, planes);
    wasmMaxPool2dBackward(gy, 0, at, gy.length, wasmGx, planes);
    expect(wasmGx).toEqual(jsGx);
  });
});

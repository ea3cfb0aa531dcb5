/**
 * The shared unfold/fold suite (test/window-suite.ts) against the WebAssembly window kernels
 * (float32 data runs in wasm, float64 falls back to JavaScript), plus bit-equality with the
 * JavaScript kernels on the DeepConvNet layer sizes they were written for.
 */
import { describe, expect, it } from 'vitest';
import { fill, windowSuite } from '../../../test/window-suite.js';
import { fold, unfold, type WindowGeometry } from '../im2col.js';
import { wasmFold, wasmUnfold } from './windows.js';

windowSuite('unfold / fold (wasm kernels)', { unfold: wasmUnfold, fold: wasmFold });

describe('wasm unfold / fold on real layer sizes', () => {
  it('give the same bits as the JavaScript kernels for DeepConvNet’s convolutions', () => {
    for (const [C, H, pad] of [[1, 28, 1], [16, 28, 1], [32, 14, 2], [64, 8, 1]]) {
      const O = H + 2 * pad - 2;
      const g: WindowGeometry = { N: 3, C, H, W: H, FH: 3, FW: 3, strideH: 1, strideW: 1, padH: pad, padW: pad, OH: O, OW: O };
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

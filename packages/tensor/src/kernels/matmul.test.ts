import { describe, expect, it } from 'vitest';
import { gemm } from './matmul';
import { gemmSuite } from '../../test/gemm-suite.js';

// One rounding of the double sum (≈6e-8 relative) dominates a float32 result.
gemmSuite('gemm (JavaScript)', gemm, { float32Tolerance: () => 1e-5 });

describe('gemm (JavaScript) rounding', () => {
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

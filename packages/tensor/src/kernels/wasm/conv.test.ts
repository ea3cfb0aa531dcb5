/**
 * The WebAssembly convolution kernels against the JavaScript ones (kernels/conv.ts, themselves
 * checked against nested loops and gradcheck through the tensor and autograd tests), on
 * fast-check geometries — strides, paddings, filter counts that leave partial micro-tiles, batches
 * of 1 — on one and two threads, and on a batch taken in two pieces. Both sum in float32 but in
 * different orders: the tolerance is relative to Σ|terms|.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fill, geometryArb } from '../../../test/window-suite.js';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, type ConvGeometry } from '../conv.js';
import { wasmConv2dBackwardFilter, wasmConv2dBackwardInput, wasmConv2dForward } from './conv.js';
import { getThreads, setThreads } from './pool.js';

/** |got − want| ≤ 1e-5·(scale + 1) elementwise, where scale is the same kernel run on |inputs|. */
function expectClose(got: Float32Array, want: Float32Array, scale: Float32Array): void {
  expect(got.length).toBe(want.length);
  let worst = { excess: 0, index: -1 };
  for (let i = 0; i < got.length; i++) {
    const excess = Math.abs(got[i] - want[i]) / (1e-5 * (scale[i] + 1));
    if (!(excess <= worst.excess)) worst = { excess, index: i };
  }
  expect(worst.excess, `element ${worst.index}: ${got[worst.index]} vs ${want[worst.index]}`).toBeLessThanOrEqual(1);
}

const abs = (a: Float32Array) => a.map(Math.abs);

/** All three kernels, wasm against JavaScript, for one geometry. */
function compare(g: ConvGeometry, seed: number): void {
  const K = g.C * g.FH * g.FW;
  const outputSize = g.N * g.FN * g.OH * g.OW;
  const inputSize = g.N * g.C * g.H * g.W;
  const x = fill(new Float32Array(inputSize + 1), seed) as Float32Array;
  const W = fill(new Float32Array(g.FN * K + 2), seed + 1) as Float32Array;
  const b = fill(new Float32Array(g.FN), seed + 2) as Float32Array;
  const dy = fill(new Float32Array(outputSize + 3), seed + 3) as Float32Array;
  const run = (kernel: 'wasm' | 'js', values: (a: Float32Array) => Float32Array) => {
    const [y, dx, dW] = [new Float32Array(outputSize), new Float32Array(inputSize), new Float32Array(g.FN * K)];
    (kernel === 'wasm' ? wasmConv2dForward : conv2dForward)(values(x), 1, g, values(W), 2, values(b), 0, y);
    (kernel === 'wasm' ? wasmConv2dBackwardInput : conv2dBackwardInput)(values(dy), 3, g, values(W), 2, dx);
    (kernel === 'wasm' ? wasmConv2dBackwardFilter : conv2dBackwardFilter)(values(dy), 3, g, values(x), 1, dW);
    return [y, dx, dW];
  };
  const wasm = run('wasm', (a) => a);
  const js = run('js', (a) => a);
  const scale = run('js', abs);
  wasm.forEach((result, i) => expectClose(result, js[i], scale[i]));
}

const convArb = fc.tuple(geometryArb(), fc.integer({ min: 1, max: 9 })).map(([g, FN]) => ({ ...g, FN }));

for (const threads of [1, 2]) {
  describe(`wasm convolution kernels (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    let previous = 1;
    beforeAll(() => {
      previous = getThreads();
      setThreads(threads);
    });
    afterAll(() => setThreads(previous));

    it('forward, input gradient and filter gradient match the JavaScript kernels on generated geometries', () => {
      fc.assert(
        fc.property(convArb, fc.nat(1000), (g, seed) => compare(g, seed)),
        { numRuns: 120 },
      );
    });

    it('match them on DeepConvNet-sized layers, large enough to share between threads', () => {
      compare(
        { N: 6, C: 16, H: 14, W: 14, FH: 3, FW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, OH: 14, OW: 14, FN: 32 },
        1,
      );
      compare(
        { N: 5, C: 32, H: 14, W: 14, FH: 3, FW: 3, strideH: 1, strideW: 1, padH: 2, padW: 2, OH: 16, OW: 16, FN: 30 },
        2,
      );
      compare(
        { N: 3, C: 1, H: 28, W: 28, FH: 5, FW: 5, strideH: 1, strideW: 1, padH: 0, padW: 0, OH: 24, OW: 24, FN: 30 },
        3,
      );
    });

    it('take a batch larger than one piece (32 MB of images and outputs) in pieces', () => {
      // 2 MB per image: 16 images per piece, so 17 make two pieces.
      compare(
        {
          N: 17,
          C: 16,
          H: 128,
          W: 128,
          FH: 1,
          FW: 1,
          strideH: 1,
          strideW: 1,
          padH: 0,
          padW: 0,
          OH: 128,
          OW: 128,
          FN: 16,
        },
        4,
      );
    });
  });
}

describe('wasm filter gradient', () => {
  it('is the same bits on 1, 2 and 3 threads and on every run (partial sums over fixed image groups)', () => {
    const previous = getThreads();
    const g: ConvGeometry = {
      N: 37,
      C: 8,
      H: 12,
      W: 12,
      FH: 3,
      FW: 3,
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 1,
      OH: 12,
      OW: 12,
      FN: 24,
    };
    const x = fill(new Float32Array(g.N * g.C * g.H * g.W), 5) as Float32Array;
    const dy = fill(new Float32Array(g.N * g.FN * g.OH * g.OW), 6) as Float32Array;
    const filterGradient = (threads: number) => {
      setThreads(threads);
      const dW = new Float32Array(g.FN * g.C * g.FH * g.FW);
      wasmConv2dBackwardFilter(dy, 0, g, x, 0, dW);
      return Array.from(dW);
    };
    try {
      const reference = filterGradient(1);
      for (const threads of [2, 3, 2, 1, 2]) expect(filterGradient(threads)).toEqual(reference);
    } finally {
      setThreads(previous);
    }
  });
});

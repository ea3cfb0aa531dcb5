/**
 * The tensor-level window operations (ops/conv.ts): the seeds' im2col shapes, col2im overlaps,
 * unfold/fold, conv2d and its two gradients (against the seeds' im2col formulation and the
 * bilinear identity), adjointness through strided (non-contiguous) inputs, the output-size
 * formula and every validation error with its message. The kernels themselves are checked against nested loops in
 * src/kernels/im2col.test.ts. Values are compared exactly where only copies happen, else to 1e-12.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import { arange, ones, tensor, zeros } from '../src/ops/creation.js';
import {
  avgPool2d,
  avgPool2dBackward,
  col2im,
  conv2d,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  convOutputSize,
  fold,
  im2col,
  maxPool2d,
  maxPool2dBackward,
  maxPool2dWithIndices,
  unfold,
  windowGeometry,
} from '../src/ops/conv.js';
import type { Tensor } from '../src/tensor.js';
import { randn } from '../src/ops/random.js';
import { Generator } from '../src/random/generator.js';

const sample = (shape: number[], seed: number) => randn(shape, { dtype: 'float64', generator: new Generator(seed) });
const inner = (a: { toTypedArray(): ArrayLike<number> }, b: { toTypedArray(): ArrayLike<number> }) => {
  const [x, y] = [a.toTypedArray(), b.toTypedArray()];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
};

describe('im2col / col2im', () => {
  it("gives the seeds' shapes: (1,3,7,7) → (9,75) and (10,3,7,7) → (90,75) for 5×5 filters", () => {
    expect(im2col(sample([1, 3, 7, 7], 1), 5, 5).shape).toEqual([9, 75]);
    expect(im2col(sample([10, 3, 7, 7], 2), 5, 5, { stride: 1, pad: 0 }).shape).toEqual([90, 75]);
    expect(im2col(sample([2, 3, 7, 7], 3), 3, 3, { stride: 2, pad: 1 }).shape).toEqual([2 * 4 * 4, 27]);
    expect(im2col(sample([1, 1, 6, 5], 3), 3, 2, { stride: [3, 1], pad: [0, 1] }).shape).toEqual([2 * 6, 6]);
  });

  it('unfolds windows into rows, padding with zeros', () => {
    const x = arange(9).astype('float64').reshape([1, 1, 3, 3]);
    expect(im2col(x, 2, 2).toArray()).toEqual([
      [0, 1, 3, 4],
      [1, 2, 4, 5],
      [3, 4, 6, 7],
      [4, 5, 7, 8],
    ]);
    expect((im2col(x, 3, 3, { pad: 1, stride: 2 }).toArray() as number[][])[0]).toEqual([0, 0, 0, 0, 0, 1, 0, 3, 4]);
  });

  it('col2im adds overlapping windows up', () => {
    expect(col2im(ones([4, 4]), [1, 1, 3, 3], 2, 2).toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
    expect(col2im(ones([4, 9], { dtype: 'float64' }), [1, 1, 3, 3], 3, 3, { pad: 1, stride: 2 }).toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('are adjoint, also for strided inputs and in float32', () => {
    const x = sample([3, 2, 6, 5], 4).transpose([1, 0, 2, 3]); // (2,3,6,5), not contiguous
    const options = { stride: [2, 1] as [number, number], pad: 1 };
    const col = im2col(x, 2, 3, options);
    const y = sample([...col.shape], 5).T.contiguous().T; // a column-major view of the same shape
    const back = col2im(y, x.shape, 2, 3, options);
    expect(Math.abs(inner(col, y) - inner(x.contiguous(), back))).toBeLessThan(1e-10);
    expect(im2col(x.astype('float32'), 2, 3, options).dtype).toBe('float32');
    expect(col2im(y.astype('float32'), x.shape, 2, 3, options).dtype).toBe('float32');
  });

  it('validate their inputs, naming the op and the sizes', () => {
    expect(() => im2col(zeros([2, 3, 7, 7]), 4, 4, { stride: 2 })).toThrow(ShapeError);
    expect(() => im2col(zeros([2, 3, 7, 7]), 4, 4, { stride: 2 })).toThrow(
      'im2col: input (2,3,7,7) with filter 4×4, stride 2, pad 0: the output height (H + 2·pad − FH)/stride + 1 = (7 + 2·0 − 4)/2 + 1 = 2.5 is not a whole number; ' +
        'choose stride and pad so that the stride divides H + 2·pad − FH = 3 (e.g. an input height of 6 or 8)',
    );
    expect(() => im2col(zeros([1, 1, 8, 7]), 4, 4, { stride: 2 })).toThrow(
      /im2col: input \(1,1,8,7\) .* the output width .*\(7 \+ 2·0 − 4\)\/2 \+ 1 = 2\.5/,
    );
    expect(() => im2col(zeros([1, 1, 4, 4]), 3, 3, { stride: [1, 2], pad: [0, 1] })).toThrow(
      'im2col: input (1,1,4,4) with filter 3×3, stride (1,2), pad (0,1): the output width',
    );
    expect(() => im2col(zeros([1, 1, 2, 2]), 3, 3)).toThrow(
      'im2col: input (1,1,2,2) with filter 3×3, stride 1, pad 0: the filter height 3 is larger than the padded input height 2 + 2·0 = 2',
    );
    expect(() => im2col(zeros([3, 7, 7]), 3, 3)).toThrow(
      'im2col: expected an input of shape (N, C, H, W), got (3,7,7)',
    );
    expect(() => im2col(zeros([1, 1, 4, 4], { dtype: 'int32' }), 3, 3)).toThrow(DTypeError);
    expect(() => im2col(zeros([1, 1, 4, 4]), 0, 3)).toThrow(ValueError);
    expect(() => im2col(zeros([1, 1, 4, 4]), 2, 2, { stride: 1.5 })).toThrow(
      'im2col: stride must be a positive integer or a [height, width] pair of them, got 1.5',
    );
    expect(() => im2col(zeros([1, 1, 4, 4]), 2, 2, { pad: -1 })).toThrow('im2col: pad must be a non-negative integer');
    expect(() => col2im(zeros([4, 5]), [1, 1, 3, 3], 2, 2)).toThrow(
      'col2im: col of shape (4,5) does not match input (1,1,3,3) with filter 2×2, stride 1, pad 0: expected (N·OH·OW, C·FH·FW) = (4,4)',
    );
  });
});

describe('the output-size formula', () => {
  it('OH = (H + 2P − FH)/S + 1, whole or an error', () => {
    expect(convOutputSize(28, 5)).toBe(24);
    expect(convOutputSize(24, 2, 2)).toBe(12);
    expect(convOutputSize(4, 3, 1, 1)).toBe(4);
    expect(() => convOutputSize(7, 4, 2)).toThrow(
      'convOutputSize: input size 7, filter 4, stride 2, pad 0: the output size (H + 2·pad − FH)/stride + 1 = (7 + 2·0 − 4)/2 + 1 = 2.5 is not a whole number',
    );
    expect(windowGeometry('conv2d', [100, 1, 28, 28], 5)).toMatchObject({
      N: 100,
      C: 1,
      OH: 24,
      OW: 24,
      strideH: 1,
      padW: 0,
    });
  });
});

describe('pooling', () => {
  const x = tensor(
    [
      [
        [
          [1, 5, 2, 0],
          [3, 3, 7, 7],
          [0, -1, -4, -2],
          [-3, -1, -1, -5],
        ],
      ],
    ],
    { dtype: 'float64' },
  );

  it('max: values, first-maximum indices, and the scatter back', () => {
    const { output, indices } = maxPool2dWithIndices(x, { size: 2 });
    expect(output.toArray()).toEqual([
      [
        [
          [5, 7],
          [0, -1],
        ],
      ],
    ]);
    expect(indices.toArray()).toEqual([
      [
        [
          [1, 6],
          [8, 14],
        ],
      ],
    ]); // the tie 7/7 (flat 6 and 7): the first one
    expect(maxPool2d(x, { size: 2 }).equal(output)).toBe(true);
    const gx = maxPool2dBackward(
      tensor(
        [
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ],
        { dtype: 'float64' },
      ),
      indices,
      x.shape,
    );
    expect(gx.toArray()).toEqual([
      [
        [
          [0, 1, 0, 0],
          [0, 0, 2, 0],
          [3, 0, 0, 0],
          [0, 0, 4, 0],
        ],
      ],
    ]);
    // Overlapping windows (stride 1) send several gradients to one maximum.
    const overlap = maxPool2dWithIndices(x, { size: 2, stride: 1 });
    expect(
      maxPool2dBackward(ones([1, 1, 3, 3], { dtype: 'float64' }), overlap.indices, x.shape)
        .sum()
        .item(),
    ).toBe(9);
  });

  it('max: padding never wins (a negative window next to the border keeps its own maximum)', () => {
    expect(maxPool2d(x.neg().sub(10), { size: 3, stride: 1, pad: 1 }).toArray()).toEqual([
      [
        [
          [-11, -11, -10, -10],
          [-9, -6, -6, -6],
          [-7, -6, -5, -5],
          [-7, -6, -5, -5],
        ],
      ],
    ]);
  });

  it('average: padding counts as zero, and the backward spreads dy/(FH·FW)', () => {
    expect(avgPool2d(x, { size: 2 }).toArray()).toEqual([
      [
        [
          [3, 4],
          [-1.25, -3],
        ],
      ],
    ]);
    expect(avgPool2d(ones([1, 1, 2, 2]), { size: 2, pad: 1 }).toArray()).toEqual([
      [
        [
          [0.25, 0.25],
          [0.25, 0.25],
        ],
      ],
    ]);
    expect(avgPool2dBackward(ones([1, 1, 1, 1]), [1, 1, 2, 2], { size: 2 }).toArray()).toEqual([
      [
        [
          [0.25, 0.25],
          [0.25, 0.25],
        ],
      ],
    ]);
  });

  it('validate window, padding, indices and gradient shapes', () => {
    expect(() => maxPool2d(zeros([1, 1, 5, 5]), { size: 2 })).toThrow(
      'maxPool2d: input (1,1,5,5) with window 2×2, stride 2, pad 0: the output height',
    );
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), { size: 2, pad: 2 })).toThrow(
      'maxPool2d: pad 2 must be smaller than the window 2×2',
    );
    expect(() => avgPool2d(zeros([1, 1, 4, 4]), {} as { size: number })).toThrow(
      'avgPool2d: options.size (the pooling window) is required',
    );
    const { indices } = maxPool2dWithIndices(x, { size: 2 });
    expect(() => maxPool2dBackward(zeros([1, 1, 2, 3]), indices, x.shape)).toThrow(
      'maxPool2dBackward: gy (1,1,2,3) and indices (1,1,2,2) must have the same shape',
    );
    expect(() => maxPool2dBackward(zeros([1, 1, 2, 2]), indices, [1, 1, 2, 2])).toThrow(
      'maxPool2dBackward: index 6 is outside an input of shape (1,1,2,2)',
    );
    expect(() => avgPool2dBackward(zeros([1, 1, 3, 3]), [1, 1, 4, 4], { size: 2 })).toThrow(
      'avgPool2dBackward: gy (1,1,3,3) does not match the pooled shape (1,1,2,2) of input (1,1,4,4)',
    );
  });
});

describe('unfold / fold', () => {
  it('unfold holds im2col’s numbers, transposed per image (also for strided inputs)', () => {
    const x = sample([3, 2, 7, 6], 6).transpose([1, 0, 2, 3]); // (2,3,7,6), not contiguous
    const options = { stride: [2, 1] as [number, number], pad: 1 };
    const cols = unfold(x, 3, 2, options);
    expect(cols.shape).toEqual([2, 3 * 3 * 2, 4 * 7]);
    const rows = im2col(x, 3, 2, options)
      .reshape([2, 4 * 7, 18])
      .transpose([0, 2, 1]);
    expect(cols.toArray()).toEqual(rows.toArray());
  });

  it('fold adds overlapping windows up and is the adjoint of unfold', () => {
    expect(fold(ones([1, 4, 4]), [1, 1, 3, 3], 2, 2).toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
    const x = sample([2, 3, 6, 5], 7);
    const cols = unfold(x, 2, 3, { pad: 1 });
    const y = sample([...cols.shape], 8);
    expect(Math.abs(inner(cols, y) - inner(x, fold(y, x.shape, 2, 3, { pad: 1 })))).toBeLessThan(1e-10);
  });

  it('validate their inputs, naming the op and the sizes', () => {
    expect(() => unfold(zeros([1, 1, 7, 7]), 4, 4, { stride: 2 })).toThrow(
      /^unfold: input \(1,1,7,7\) with filter 4×4, stride 2, pad 0: the output height/,
    );
    expect(() => fold(zeros([1, 4, 5]), [1, 1, 3, 3], 2, 2)).toThrow(
      'fold: cols of shape (1,4,5) does not match input (1,1,3,3) with filter 2×2, stride 1, pad 0: expected (N, C·FH·FW, OH·OW) = (1,4,4)',
    );
    expect(() => unfold(zeros([1, 1, 4, 4], { dtype: 'int32' }), 2, 2)).toThrow(DTypeError);
  });
});

describe('conv2d and its two gradients', () => {
  /** y[n,f,oh,ow] = b[f] + Σ W[f,c,fh,fw]·x[n,c,oh·S−P+fh,ow·S−P+fw], through the seeds' im2col. */
  function seedsConv(x: Tensor, W: Tensor, b: Tensor | undefined, options: { stride?: number; pad?: number }): Tensor {
    const [FN, C, FH, FW] = W.shape;
    const [N, , H, Wd] = x.shape;
    const OH = convOutputSize(H, FH, options.stride, options.pad);
    const OW = convOutputSize(Wd, FW, options.stride, options.pad);
    const y = im2col(x, FH, FW, options).matmul(W.reshape([FN, C * FH * FW]).T);
    return (b === undefined ? y : y.add(b)).reshape([N, OH, OW, FN]).transpose([0, 3, 1, 2]);
  }

  it('conv2d equals the seeds’ im2col formulation (float64), with and without bias, for strided and padded filters', () => {
    for (const [shape, filters, options] of [
      [[2, 3, 7, 7], [4, 3, 3, 3], { pad: 1 }],
      [[3, 2, 9, 8], [5, 2, 3, 2], { stride: 2, pad: 1 }],
      [[1, 1, 5, 5], [2, 1, 5, 5], {}],
    ] as const) {
      const x = sample([...shape], 9);
      const W = sample([...filters], 10);
      const b = sample([filters[0]], 11);
      expect(conv2d(x, W, b, options).allclose(seedsConv(x, W, b, options), { atol: 1e-12, rtol: 1e-12 })).toBe(true);
      expect(
        conv2d(x, W, undefined, options).allclose(seedsConv(x, W, undefined, options), { atol: 1e-12, rtol: 1e-12 }),
      ).toBe(true);
    }
  });

  it('the gradients satisfy ⟨conv2d(x, W), dy⟩ = ⟨x, dx⟩ = ⟨W, dW⟩ (the convolution is bilinear)', () => {
    for (const options of [{ pad: 1 }, { stride: 2, pad: 1 }, { stride: 1, pad: 2 }]) {
      const x = sample([3, 2, 7, 7], 12).transpose([0, 1, 3, 2]); // a strided view
      const W = sample([4, 2, 3, 3], 13);
      const y = conv2d(x, W, undefined, options);
      const dy = sample([...y.shape], 14);
      const dx = conv2dBackwardInput(dy, W, x.shape, options);
      const dW = conv2dBackwardFilter(dy, x, W.shape, options);
      expect(dx.shape).toEqual(x.shape);
      expect(dW.shape).toEqual(W.shape);
      const value = inner(y, dy);
      expect(Math.abs(inner(x.contiguous(), dx) - value)).toBeLessThan(1e-10 * (1 + Math.abs(value)));
      expect(Math.abs(inner(W, dW) - value)).toBeLessThan(1e-10 * (1 + Math.abs(value)));
    }
  });

  it('in float32 at DeepConvNet’s sizes (the wasm kernels) agree with float64 to float32 rounding', () => {
    const x = sample([4, 16, 14, 14], 15);
    const W = sample([32, 16, 3, 3], 16);
    const b = sample([32], 17);
    const y = conv2d(x, W, b, { pad: 1 });
    const y32 = conv2d(x.astype('float32'), W.astype('float32'), b.astype('float32'), { pad: 1 });
    expect(y32.dtype).toBe('float32');
    expect(y32.allclose(y, { atol: 1e-4, rtol: 1e-4 })).toBe(true);
    const dy = sample([...y.shape], 18);
    expect(
      conv2dBackwardInput(dy.astype('float32'), W.astype('float32'), x.shape, { pad: 1 }).allclose(
        conv2dBackwardInput(dy, W, x.shape, { pad: 1 }),
        { atol: 1e-4, rtol: 1e-4 },
      ),
    ).toBe(true);
    expect(
      conv2dBackwardFilter(dy.astype('float32'), x.astype('float32'), W.shape, { pad: 1 }).allclose(
        conv2dBackwardFilter(dy, x, W.shape, { pad: 1 }),
        { atol: 1e-3, rtol: 1e-4 },
      ),
    ).toBe(true);
  });

  it('mixes float32 and float64 as float64, and keeps edge sizes (a batch of 0)', () => {
    expect(conv2d(zeros([1, 1, 4, 4]), zeros([2, 1, 3, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(conv2d(zeros([0, 1, 4, 4]), zeros([2, 1, 3, 3])).shape).toEqual([0, 2, 2, 2]);
    expect(conv2dBackwardFilter(zeros([0, 2, 2, 2]), zeros([0, 1, 4, 4]), [2, 1, 3, 3]).toArray()).toEqual(
      zeros([2, 1, 3, 3]).toArray(),
    );
  });

  it('validate shapes and dtypes, naming the op and both shapes', () => {
    expect(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 2, 3, 3]))).toThrow(
      'conv2d: input (1,3,5,5) has 3 channels but the filters W (2,2,3,3) expect 2',
    );
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([2, 3, 3]))).toThrow(
      'conv2d: filters W must have shape (FN, C, FH, FW), got (2,3,3)',
    );
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), zeros([3]))).toThrow(
      'conv2d: bias b must have shape (2) for 2 filters, got (3)',
    );
    expect(() => conv2d(zeros([1, 1, 5, 5], { dtype: 'int32' }), zeros([2, 1, 3, 3]))).toThrow(DTypeError);
    expect(() => conv2d(zeros([1, 1, 6, 6]), zeros([2, 1, 3, 3]), undefined, { stride: 2 })).toThrow(
      /^conv2d: input \(1,1,6,6\) with filter 3×3, stride 2, pad 0: the output height/,
    );
    expect(() => conv2dBackwardInput(zeros([1, 2, 4, 4]), zeros([2, 1, 3, 3]), [1, 1, 5, 5])).toThrow(
      "conv2dBackwardInput: dy (1,2,4,4) does not match the convolution's output shape (1,2,3,3)",
    );
    expect(() => conv2dBackwardFilter(zeros([1, 3, 3, 3]), zeros([1, 1, 5, 5]), [2, 1, 3, 3])).toThrow(
      "conv2dBackwardFilter: dy (1,3,3,3) does not match the convolution's output shape (1,2,3,3)",
    );
  });
});

/**
 * Convolution and pooling nodes: forward against direct nested loops, gradients with gradcheck
 * (and gradgradcheck through createGraph) in float64, all over fast-check-generated
 * configurations — batch sizes, channel counts, filter/window sizes, strides and paddings, with
 * the image size derived so the output size is whole.
 *
 * Tolerances: forward 1e-12 relative to Σ|x·w| (the product sums in another order than the loop);
 * gradients gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, ShapeError, ValueError, tensor, zeros } from '@nn/tensor';
import { type Variable, gradients, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import { graphToJSON } from '@nn/autograd/inspect';
import { assertGradcheck, assertGradgradcheck, tensorArb } from '@nn/autograd/testing';

const SCALE = Number(process.env.NN_PROPERTY_SCALE ?? 1);
const RUNS = Math.round(30 * SCALE);
const SECOND_ORDER_RUNS = Math.round(8 * SCALE);

interface Config {
  N: number;
  C: number;
  FN: number;
  FH: number;
  FW: number;
  stride: [number, number];
  pad: [number, number];
  H: number;
  W: number;
}

/** Small convolution configurations with whole output sizes (OH, OW drawn, H, W derived). */
function configArb(options: { pool?: boolean } = {}): Arbitrary<Config> {
  return fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      FN: fc.integer({ min: 1, max: 3 }),
      FH: fc.integer({ min: 1, max: 3 }),
      FW: fc.integer({ min: 1, max: 3 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      OH: fc.integer({ min: 1, max: 3 }),
      OW: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ OH, OW, ...c }) => ({
      ...c,
      H: (OH - 1) * c.stride[0] + c.FH - 2 * c.pad[0],
      W: (OW - 1) * c.stride[1] + c.FW - 2 * c.pad[1],
    }))
    .filter((c) => c.H >= 1 && c.W >= 1 && (!options.pool || (c.pad[0] < c.FH && c.pad[1] < c.FW)));
}

interface ConvCase {
  config: Config;
  x: Tensor;
  W: Tensor;
  b: Tensor | null;
}

function convCaseArb(): Arbitrary<ConvCase> {
  return fc.tuple(configArb(), fc.boolean()).chain(([config, withBias]) =>
    fc.record({
      config: fc.constant(config),
      x: tensorArb([config.N, config.C, config.H, config.W]),
      W: tensorArb([config.FN, config.C, config.FH, config.FW]),
      b: withBias ? tensorArb([config.FN]) : fc.constant(null),
    }),
  );
}

const at = (t: Tensor, index: number[]): number => {
  let offset = t.offset;
  index.forEach((i, d) => (offset += i * t.strides[d]));
  return t.data[offset];
};

/** The convolution written out: y[n,f,oh,ow] = b[f] + Σ_c,fh,fw W[f,c,fh,fw]·x[n,c,oh·S−P+fh,ow·S−P+fw]. */
function directConv(
  c: Config,
  x: Tensor,
  W: Tensor,
  b: Tensor | null,
): { values: Float64Array; scale: Float64Array; shape: number[] } {
  const OH = (c.H + 2 * c.pad[0] - c.FH) / c.stride[0] + 1;
  const OW = (c.W + 2 * c.pad[1] - c.FW) / c.stride[1] + 1;
  const values = new Float64Array(c.N * c.FN * OH * OW);
  const scale = new Float64Array(values.length);
  let o = 0;
  for (let n = 0; n < c.N; n++)
    for (let f = 0; f < c.FN; f++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++, o++) {
          let sum = b === null ? 0 : at(b, [f]);
          let abs = Math.abs(sum);
          for (let ch = 0; ch < c.C; ch++)
            for (let fh = 0; fh < c.FH; fh++)
              for (let fw = 0; fw < c.FW; fw++) {
                const ih = oh * c.stride[0] - c.pad[0] + fh;
                const iw = ow * c.stride[1] - c.pad[1] + fw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const term = at(W, [f, ch, fh, fw]) * at(x, [n, ch, ih, iw]);
                sum += term;
                abs += Math.abs(term);
              }
          values[o] = sum;
          scale[o] = abs;
        }
  return { values, scale, shape: [c.N, c.FN, OH, OW] };
}

/** Pooling written out: max (first maximum, padding excluded) or mean (padding counted as 0). */
function directPool(
  kind: 'max' | 'avg',
  c: Config,
  x: Tensor,
): { values: number[]; argmax: number[]; shape: number[] } {
  const OH = (c.H + 2 * c.pad[0] - c.FH) / c.stride[0] + 1;
  const OW = (c.W + 2 * c.pad[1] - c.FW) / c.stride[1] + 1;
  const values: number[] = [];
  const argmax: number[] = [];
  for (let n = 0; n < c.N; n++)
    for (let ch = 0; ch < c.C; ch++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let best = -Infinity;
          let bestAt = -1;
          let sum = 0;
          for (let fh = 0; fh < c.FH; fh++)
            for (let fw = 0; fw < c.FW; fw++) {
              const ih = oh * c.stride[0] - c.pad[0] + fh;
              const iw = ow * c.stride[1] - c.pad[1] + fw;
              if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
              const v = at(x, [n, ch, ih, iw]);
              sum += v;
              if (bestAt < 0 || v > best) {
                best = v;
                bestAt = ((n * c.C + ch) * c.H + ih) * c.W + iw;
              }
            }
          values.push(kind === 'max' ? best : sum / (c.FH * c.FW));
          argmax.push(bestAt);
        }
  return { values, argmax, shape: [c.N, c.C, OH, OW] };
}

/** The names of the nodes in y's graph, read from its JSON form. */
function nodeNames(y: Variable): string[] {
  return graphToJSON(y).nodes.map((node) => node.type);
}

const options = (c: Config) => ({ stride: c.stride, pad: c.pad });
const poolOptions = (c: Config) => ({ size: [c.FH, c.FW] as [number, number], stride: c.stride, pad: c.pad });

describe('conv2d', () => {
  it('matches the direct nested-loop convolution (with and without bias)', () => {
    fc.assert(
      fc.property(convCaseArb(), ({ config, x, W, b }) => {
        const y = F.conv2d(x, W, b, options(config));
        const want = directConv(config, x, W, b);
        expect(y.shape).toEqual(want.shape);
        const got = y.data.toTypedArray();
        want.values.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(1e-12 * (1 + want.scale[i])));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('float32 inputs give a float32 output close to the float64 one', () => {
    const x = tensor(
      Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => Math.sin(i)),
      { shape: [2, 3, 6, 6], dtype: 'float64' },
    );
    const W = tensor(
      Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)),
      { shape: [4, 3, 3, 3], dtype: 'float64' },
    );
    const y64 = F.conv2d(x, W, null, { pad: 1 }).data;
    const y32 = F.conv2d(x.astype('float32'), W.astype('float32'), null, { pad: 1 }).data;
    expect(y32.dtype).toBe('float32');
    expect(y32.allclose(y64, { atol: 1e-5, rtol: 1e-5 })).toBe(true);
  });

  it('is one Conv2d node in the graph', () => {
    const x = variable(zeros([1, 1, 4, 4]));
    const W = variable(zeros([2, 1, 3, 3]));
    const b = variable(zeros([2]));
    expect(nodeNames(F.conv2d(x, W, b))).toEqual(['Conv2d']);
  });

  it('gradcheck: x, W and b (float64)', () => {
    fc.assert(
      fc.property(convCaseArb(), ({ config, x, W, b }) => {
        const inputs = b === null ? [x, W] : [x, W, b];
        assertGradcheck((...vs) => F.conv2d(vs[0], vs[1], vs[2] ?? null, options(config)), inputs);
      }),
      { numRuns: RUNS },
    );
  });

  it('gradgradcheck: second derivatives through Conv2dGradInput and Conv2dGradFilter', () => {
    fc.assert(
      fc.property(convCaseArb(), ({ config, x, W, b }) => {
        const inputs = b === null ? [x, W] : [x, W, b];
        assertGradgradcheck((...vs) => F.conv2d(vs[0], vs[1], vs[2] ?? null, options(config)), inputs);
      }),
      { numRuns: SECOND_ORDER_RUNS },
    );
  });

  it('gradcheck and gradgradcheck of the gradient nodes themselves (in dy and W, in dy and x)', () => {
    const caseWithGy = convCaseArb().chain((c) => {
      const OH = (c.config.H + 2 * c.config.pad[0] - c.config.FH) / c.config.stride[0] + 1;
      const OW = (c.config.W + 2 * c.config.pad[1] - c.config.FW) / c.config.stride[1] + 1;
      return fc.record({ c: fc.constant(c), gy: tensorArb([c.config.N, c.config.FN, OH, OW]) });
    });
    fc.assert(
      fc.property(caseWithGy, ({ c: { config, x, W }, gy }) => {
        const gradInput = (g: Variable, w: Variable) => F.conv2dGradInput(g, w, x.shape, options(config));
        const gradFilter = (g: Variable, v: Variable) => F.conv2dGradFilter(g, v, W.shape, options(config));
        assertGradcheck(gradInput, [gy, W]);
        assertGradcheck(gradFilter, [gy, x]);
        assertGradgradcheck(gradInput, [gy, W]);
        assertGradgradcheck(gradFilter, [gy, x]);
      }),
      { numRuns: SECOND_ORDER_RUNS },
    );
  });

  it('the backward is the gradient nodes (fused kernels) and equals the im2col formula dW = Σ dy·colᵀ, dx = col2im(Wᵀ·dy)', () => {
    fc.assert(
      fc.property(convCaseArb(), ({ config, x, W }) => {
        const [xv, Wv] = [variable(x), variable(W)];
        const y = F.conv2d(xv, Wv, null, options(config));
        const w = tensor(
          Array.from({ length: y.size }, (_, i) => Math.cos(i)),
          { shape: [...y.shape], dtype: 'float64' },
        );
        const [gx, gW] = gradients(y.mul(w).sum(), [xv, Wv], { createGraph: true });
        expect(gx!.creator?.name).toBe('Conv2dGradInput');
        expect(gW!.creator?.name).toBe('Conv2dGradFilter');
        // The same gradients composed of Im2col, Col2im and MatMul (what the seeds write).
        const [FN, C, FH, FW] = W.shape;
        const [N, , OH, OW] = y.shape;
        const dy = F.reshape(w, [N, FN, OH * OW]);
        const col = F.reshape(F.im2col(x, FH, FW, options(config)), [N, OH * OW, C * FH * FW]);
        const composedW = F.reshape(F.sum(F.matmul(dy, col), 0), W.shape);
        const dcol = F.matmul(F.transpose(dy, [0, 2, 1]), F.reshape(W, [FN, C * FH * FW]));
        const composedX = F.col2im(F.reshape(dcol, [N * OH * OW, C * FH * FW]), x.shape, FH, FW, options(config));
        expect(gW!.data.allclose(composedW.data, { atol: 1e-12, rtol: 1e-12 })).toBe(true);
        expect(gx!.data.allclose(composedX.data, { atol: 1e-12, rtol: 1e-12 })).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('only the inputs that require grad get one; a second backward through a freed graph fails', () => {
    const x = variable(
      tensor(
        Array.from({ length: 16 }, (_, i) => i),
        { shape: [1, 1, 4, 4], dtype: 'float64' },
      ),
      { requiresGrad: false },
    );
    const W = variable(zeros([1, 1, 3, 3], { dtype: 'float64' }));
    const y = F.conv2d(x, W).sum();
    y.backward();
    expect(x.grad).toBeNull();
    // dW[fh, fw] = Σ over the 2×2 outputs of x[oh + fh, ow + fw], x[i, j] = 4i + j.
    expect(W.grad!.data.toArray()).toEqual([
      [
        [
          [10, 14, 18],
          [26, 30, 34],
          [42, 46, 50],
        ],
      ],
    ]);
    expect(() => y.backward()).toThrow(/freed/);
  });

  it('raises a ShapeError naming the op, the input shape, filter, stride and pad when the output size is not whole', () => {
    const x = zeros([2, 3, 7, 7]);
    const W = zeros([4, 3, 4, 4]);
    expect(() => F.conv2d(x, W, null, { stride: 2 })).toThrow(ShapeError);
    expect(() => F.conv2d(x, W, null, { stride: 2 })).toThrow(
      'conv2d: input (2,3,7,7) with filter 4×4, stride 2, pad 0: the output height (H + 2·pad − FH)/stride + 1 = (7 + 2·0 − 4)/2 + 1 = 2.5 is not a whole number',
    );
    expect(() => F.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 5, 5]))).toThrow(
      /conv2d: .*the filter height 5 is larger than the padded input height 3/,
    );
    expect(() => F.conv2d(zeros([1, 2, 5, 5]), zeros([1, 3, 3, 3]))).toThrow(
      'conv2d: input (1,2,5,5) has 2 channels but the filters W (1,3,3,3) expect 3',
    );
    expect(() => F.conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), zeros([3]))).toThrow(
      'conv2d: bias b must have shape (2) for 2 filters, got (3)',
    );
    expect(() => F.conv2d(zeros([3, 5, 5]), zeros([2, 3, 3, 3]))).toThrow(
      'conv2d: expected an input of shape (N, C, H, W), got (3,5,5)',
    );
    expect(() => F.conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), null, { stride: 0 })).toThrow(ValueError);
  });
});

describe('maxPool2d and avgPool2d', () => {
  const poolCaseArb = (distinct: boolean) =>
    configArb({ pool: true }).chain((config) =>
      fc.record({
        config: fc.constant(config),
        x: tensorArb(
          [config.N, config.C, config.H, config.W],
          distinct ? { min: -3, max: 3, distinct: 0.01 } : { min: -1, max: 1, decimals: 0 },
        ),
      }),
    );

  it('forward matches the direct loops; max pooling takes the first maximum on ties', () => {
    fc.assert(
      fc.property(poolCaseArb(false), ({ config, x }) => {
        const max = directPool('max', config, x);
        const y = F.maxPool2d(variable(x), poolOptions(config));
        expect(y.shape).toEqual(max.shape);
        expect(Array.from(y.data.toTypedArray())).toEqual(max.values);
        // The gradient of Σ y lands on the first maximum of each window (counted per window).
        y.sum().backward();
        const expected = new Array<number>(x.size).fill(0);
        for (const i of max.argmax) expected[i] += 1;
        const xs = F.variable(x);
        F.maxPool2d(xs, poolOptions(config)).sum().backward();
        expect(Array.from(xs.grad!.data.toTypedArray())).toEqual(expected);
        const avg = directPool('avg', config, x);
        const z = Array.from(F.avgPool2d(x, poolOptions(config)).data.toTypedArray());
        avg.values.forEach((v, i) => expect(z[i]).toBeCloseTo(v, 12));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('gradcheck and gradgradcheck (distinct values, so every maximum is unique)', () => {
    fc.assert(
      fc.property(poolCaseArb(true), ({ config, x }) => {
        assertGradcheck((v) => F.maxPool2d(v, poolOptions(config)), [x]);
        assertGradcheck((v) => F.avgPool2d(v, poolOptions(config)), [x]);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(poolCaseArb(true), ({ config, x }) => {
        // Pooling is piecewise linear: these check the gradient nodes' own backward (scatter ⇄ gather, AvgPool2d ⇄ AvgPool2dGrad).
        assertGradgradcheck((v) => F.maxPool2d(v, poolOptions(config)).square(), [x]);
        assertGradgradcheck((v) => F.avgPool2d(v, poolOptions(config)).square(), [x]);
      }),
      { numRuns: SECOND_ORDER_RUNS },
    );
  });

  it('stride defaults to the window size; errors name the op and the sizes', () => {
    expect(F.maxPool2d(zeros([2, 3, 24, 24]), { size: 2 }).shape).toEqual([2, 3, 12, 12]);
    expect(F.avgPool2d(zeros([1, 1, 6, 4]), { size: [3, 2] }).shape).toEqual([1, 1, 2, 2]);
    expect(() => F.maxPool2d(zeros([1, 1, 5, 5]), { size: 2 })).toThrow(
      'maxPool2d: input (1,1,5,5) with window 2×2, stride 2, pad 0: the output height (H + 2·pad − FH)/stride + 1 = (5 + 2·0 − 2)/2 + 1 = 2.5 is not a whole number',
    );
    expect(() => F.avgPool2d(zeros([1, 1, 4, 4]), { size: 2, pad: 2 })).toThrow(
      'avgPool2d: pad 2 must be smaller than the window 2×2',
    );
  });
});

describe('Im2col and Col2im nodes', () => {
  it('gradcheck and gradgradcheck of each (each is the other’s backward)', () => {
    fc.assert(
      fc.property(
        configArb().chain((config) =>
          fc.record({ config: fc.constant(config), x: tensorArb([config.N, config.C, config.H, config.W]) }),
        ),
        ({ config, x }) => {
          const o = options(config);
          assertGradcheck((v) => F.im2col(v, config.FH, config.FW, o).square(), [x]);
          const col = F.im2col(x, config.FH, config.FW, o).data;
          assertGradcheck((v) => F.col2im(v, x.shape, config.FH, config.FW, o).square(), [col]);
          assertGradgradcheck(
            (v) => F.col2im(F.im2col(v, config.FH, config.FW, o).square(), x.shape, config.FH, config.FW, o),
            [x],
          );
        },
      ),
      { numRuns: SECOND_ORDER_RUNS * 2 },
    );
  });
});

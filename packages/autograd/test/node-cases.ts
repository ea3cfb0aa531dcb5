import fc, { type Arbitrary } from 'fast-check';
import { type Tensor, broadcastShapes, maxPool2dWithIndices, tensor } from '@nn/tensor';
import * as F from '@nn/autograd';
import type { Outputs, Variable } from '@nn/autograd';
import {
  AvgPool2dGrad,
  Col2im,
  Conv2dGradFilter,
  GatherGrad,
  GELUGrad,
  GetItemGrad,
  Im2col,
  MaxPool2dGrad,
  ReLUGrad,
  SigmoidGrad,
  SoftmaxCrossEntropyGrad,
} from '@nn/autograd/nodes';
import { broadcastShapesArb, shapeArb, tensorArb } from '@nn/autograd/testing';
import { graphToJSON } from '@nn/autograd/inspect';
import * as nodes from '@nn/autograd/nodes';

/**
 * One fast-check case per node class of @nn/autograd/nodes: a function of float64 inputs whose
 * graph holds that node, and inputs drawn for it. Shared by the node-by-node property tests of
 * forward mode (jvp.property.test.ts) and of batching (vmap.property.test.ts). Inputs keep away
 * from kinks (see the arbitraries' `avoid`, `distinct`); shapes stay ≤ 3–4 per axis.
 */

/** A function of float64 inputs, and the inputs. */
export interface Case {
  f: (...xs: Variable[]) => Outputs;
  inputs: Tensor[];
}

type Options = Parameters<typeof tensorArb>[1];

/** A case from tensor arbitraries and a function of that many Variables. */
function of(f: (...xs: Variable[]) => Outputs, ...inputs: Arbitrary<Tensor>[]): Arbitrary<Case> {
  return fc.tuple(...inputs).map((xs) => ({ f, inputs: xs }));
}

const SMALL = { maxRank: 3, maxSize: 3 } as const;
const single = (options: Options = {}, minRank = 0, minSize = 1) =>
  shapeArb({ minRank, maxRank: 3, minSize, maxSize: 3 }).chain((s) => tensorArb(s, options));
const pair = (a: Options = {}, b: Options = {}) =>
  broadcastShapesArb(SMALL).chain(([sa, sb]) => fc.tuple(tensorArb(sa, a), tensorArb(sb, b)));
const binary = (f: (a: Variable, b: Variable) => Variable, a: Options = {}, b: Options = {}) =>
  pair(a, b).map(([x, y]): Case => ({ f: f as Case['f'], inputs: [x, y] }));
const unary = (f: (v: Variable) => Outputs, options: Options = {}, minRank = 0) =>
  single(options, minRank).map((x): Case => ({ f: f as Case['f'], inputs: [x] }));
/** `t` rounded to the grid 0.1·k + offset. */
const onGrid = (t: Tensor, offset: number) =>
  tensor(
    Array.from(t.data, (v) => Math.round(v * 10) / 10 + offset),
    { shape: [...t.shape], dtype: 'float64' },
  );
/** A binary case whose operands differ by at least 0.05 everywhere (x0 on 0.1·k + 0.05, x1 on 0.1·k). */
const untied = (f: (a: Variable, b: Variable) => Variable) =>
  pair().map(([x, y]): Case => ({ f: f as Case['f'], inputs: [onGrid(x, 0.05), onGrid(y, 0)] }));
const labels = (shape: readonly number[], classes: number) =>
  tensorArb(shape, { dtype: 'int32', min: 0, max: classes - 1 });
const axisOf = (x: Tensor) => fc.integer({ min: -x.ndim, max: x.ndim - 1 });

/** Small image configurations (N, C, H, W, filter, stride, pad) whose output size is whole. */
const convConfigArb = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 2 }),
    FN: fc.integer({ min: 1, max: 2 }),
    FH: fc.integer({ min: 1, max: 3 }),
    FW: fc.integer({ min: 1, max: 2 }),
    stride: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 1 }),
    OH: fc.integer({ min: 1, max: 3 }),
    OW: fc.integer({ min: 1, max: 2 }),
  })
  .map((c) => ({
    ...c,
    H: (c.OH - 1) * c.stride + c.FH - 2 * c.pad,
    W: (c.OW - 1) * c.stride + c.FW - 2 * c.pad,
  }))
  .filter((c) => c.H >= 1 && c.W >= 1 && c.pad < c.FH && c.pad < c.FW);
type ConvConfig = typeof convConfigArb extends Arbitrary<infer C> ? C : never;
const convOptions = (c: ConvConfig) => ({ stride: c.stride, pad: c.pad });
const poolOptions = (c: ConvConfig) => ({ size: [c.FH, c.FW] as [number, number], stride: c.stride, pad: c.pad });
const image = (c: ConvConfig, options: Options = {}) => tensorArb([c.N, c.C, c.H, c.W], options);
const outputImage = (c: ConvConfig, channels: number) => tensorArb([c.N, channels, c.OH, c.OW]);

/** One case per node class. */
export const CASES: Record<string, Arbitrary<Case>> = {
  // elementwise
  Add: binary((a, b) => a.add(b)),
  Sub: binary((a, b) => a.sub(b)),
  Mul: binary((a, b) => a.mul(b)),
  Div: binary((a, b) => a.div(b), {}, { avoid: [0], margin: 0.3 }),
  Pow: binary((a, b) => a.pow(b), { min: 0.3, max: 2 }),
  // operands on interleaved grids never come within 0.05 of a tie (the kink)
  Maximum: untied((a, b) => a.maximum(b)),
  Minimum: untied((a, b) => a.minimum(b)),
  Neg: unary((v) => v.neg()),
  Exp: unary((v) => v.exp()),
  Log: unary((v) => v.log(), { min: 0.2, max: 3 }),
  // above −0.625: vmap's property test scales examples by up to 1.6, and log1p needs x > −1
  Log1p: unary((v) => v.log1p(), { min: -0.6, max: 3 }),
  Expm1: unary((v) => v.expm1()),
  Erf: unary((v) => v.erf(), { min: -3, max: 3 }),
  Sqrt: unary((v) => v.sqrt(), { min: 0.2, max: 3 }),
  Sin: unary((v) => v.sin(), { min: -4, max: 4 }),
  Cos: unary((v) => v.cos(), { min: -4, max: 4 }),
  Square: unary((v) => v.square()),
  Abs: unary((v) => v.abs(), { avoid: [0] }),
  Clip: unary((v) => v.clip(-0.5, 0.7), { avoid: [-0.5, 0.7] }),
  Where: broadcastShapesArb({ ...SMALL, count: 3 }).chain(([sc, sa, sb]) =>
    fc.tuple(tensorArb(sc, { dtype: 'bool' }), tensorArb(sa), tensorArb(sb)).map(([c, a, b]) => ({
      f: (x: Variable, y: Variable) => F.where(c, x.square(), y),
      inputs: [a, b],
    })),
  ),
  // activations
  Sigmoid: unary((v) => v.sigmoid(), { min: -4, max: 4 }),
  SigmoidGrad: single().chain((g) =>
    of((dy, y) => new SigmoidGrad().apply(dy, y), fc.constant(g), tensorArb(g.shape, { min: 0.05, max: 0.95 })),
  ),
  Tanh: unary((v) => v.tanh()),
  ReLU: unary((v) => v.relu(), { avoid: [0] }),
  ReLUGrad: single().chain((g) =>
    tensorArb(g.shape).map((mask) => ({ f: (dy: Variable) => new ReLUGrad(mask).apply(dy), inputs: [g] })),
  ),
  LeakyReLU: unary((v) => v.leakyRelu(0.1), { avoid: [0] }),
  GELU: fc
    .constantFrom('none' as const, 'tanh' as const)
    .chain((approximate) => unary((v) => v.gelu(approximate), { min: -4, max: 4 })),
  GELUGrad: fc
    .tuple(single(), fc.constantFrom('none' as const, 'tanh' as const))
    .chain(([g, approximate]) =>
      of((dy, x) => new GELUGrad(approximate).apply(dy, x), fc.constant(g), tensorArb(g.shape, { min: -3, max: 3 })),
    ),
  SiLU: unary((v) => v.silu(), { min: -4, max: 4 }),
  Softmax: single({}, 1).chain((x) => axisOf(x).map((axis) => ({ f: (v: Variable) => v.softmax(axis), inputs: [x] }))),
  LogSoftmax: single({}, 1).chain((x) =>
    axisOf(x).map((axis) => ({ f: (v: Variable) => v.logSoftmax(axis), inputs: [x] })),
  ),
  // reductions
  Sum: single({}, 1).chain((x) =>
    fc
      .record({ axis: fc.option(axisOf(x), { nil: undefined }), keepdims: fc.boolean() })
      .map(({ axis, keepdims }) => ({ f: (v: Variable) => v.square().sum(axis, { keepdims }), inputs: [x] })),
  ),
  LogSumExp: single({}, 1).chain((x) =>
    fc
      .record({ axis: fc.option(axisOf(x), { nil: undefined }), keepdims: fc.boolean() })
      .map(({ axis, keepdims }) => ({ f: (v: Variable) => v.logsumexp(axis, { keepdims }), inputs: [x] })),
  ),
  SumTo: broadcastShapesArb(SMALL)
    .filter(([a, b]) => broadcastShapes('test', a, b).join() !== b.join())
    .chain(([a, b]) =>
      tensorArb(broadcastShapes('test', a, b)).map((x) => ({
        f: (v: Variable) => F.sumTo(v.square(), b),
        inputs: [x],
      })),
    ),
  Max: single({ distinct: 0.05 }, 1).chain((x) =>
    fc
      .record({ axis: fc.option(axisOf(x), { nil: undefined }), keepdims: fc.boolean() })
      .map(({ axis, keepdims }) => ({ f: (v: Variable) => v.max(axis, { keepdims }), inputs: [x] })),
  ),
  Min: single({ distinct: 0.05 }, 1).chain((x) =>
    fc
      .record({ axis: fc.option(axisOf(x), { nil: undefined }), keepdims: fc.boolean() })
      .map(({ axis, keepdims }) => ({ f: (v: Variable) => v.min(axis, { keepdims }), inputs: [x] })),
  ),
  // movement
  Reshape: unary((v) => v.reshape([-1]).square()),
  Transpose: single({}, 2).map((x) => ({ f: (v: Variable) => v.transpose().mul(v.transpose()), inputs: [x] })),
  BroadcastTo: broadcastShapesArb(SMALL)
    .filter(([a, b]) => broadcastShapes('test', a, b).join() !== a.join())
    .chain(([a, b]) =>
      tensorArb(a).map((x) => ({
        f: (v: Variable) => v.broadcastTo(broadcastShapes('test', a, b)).sin(),
        inputs: [x],
      })),
    ),
  Repeat: unary((v) => v.repeat(2, v.ndim > 0 ? 0 : undefined).square()),
  Concat: single({}, 1).chain((x) =>
    of((a, b) => F.concat([a, b.square(), a], -1), fc.constant(x), tensorArb(x.shape)),
  ),
  Split: single({}, 1).map((x) => ({
    // Several outputs, returned as a nested array: each piece's tangent is checked.
    f: (v: Variable) => {
      const pieces = v.split([1], 0);
      return [pieces[0].square(), [pieces[1].sin()]];
    },
    inputs: [x],
  })),
  // indexing
  GetItem: single({}, 1).map((x) => ({ f: (v: Variable) => v.getItem('::-1').square(), inputs: [x] })),
  GetItemGrad: single({}, 1).map((x) => ({
    f: (v: Variable) =>
      new GetItemGrad([{ start: 1, stop: null, step: 1 }], [x.shape[0] + 1, ...x.shape.slice(1)]).apply(v),
    inputs: [x],
  })),
  Gather: single({}, 1).chain((x) =>
    labels([4], x.shape[0]).map((idx) => ({ f: (v: Variable) => v.take(idx, 0).square(), inputs: [x] })),
  ),
  GatherGrad: single({}, 1).chain((x) =>
    labels([x.shape[0]], 3).map((idx) => ({
      f: (v: Variable) => new GatherGrad(idx, 0, 'take', [3, ...x.shape.slice(1)]).apply(v.square()),
      inputs: [x],
    })),
  ),
  // linear algebra
  MatMul: fc
    .record({
      batch: broadcastShapesArb({ maxRank: 1, maxSize: 2 }),
      m: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }),
      n: fc.integer({ min: 1, max: 3 }),
      kind: fc.constantFrom('matrix', 'vector-left', 'vector-right', 'batched'),
    })
    .chain(({ batch: [ba, bb], m, k, n, kind }) => {
      const shapes: [number[], number[]] =
        kind === 'matrix'
          ? [
              [m, k],
              [k, n],
            ]
          : kind === 'vector-left'
            ? [[k], [...bb, k, n]]
            : kind === 'vector-right'
              ? [[...ba, m, k], [k]]
              : [
                  [...ba, m, k],
                  [...bb, k, n],
                ];
      return of((a, b) => a.matmul(b).tanh(), tensorArb(shapes[0]), tensorArb(shapes[1]));
    }),
  // convolution and pooling
  Conv2d: convConfigArb.chain((c) =>
    fc
      .boolean()
      .chain((withBias) =>
        withBias
          ? of(
              (x, W, b) => F.conv2d(x, W, b, convOptions(c)).tanh(),
              image(c),
              tensorArb([c.FN, c.C, c.FH, c.FW]),
              tensorArb([c.FN]),
            )
          : of((x, W) => F.conv2d(x, W, null, convOptions(c)).tanh(), image(c), tensorArb([c.FN, c.C, c.FH, c.FW])),
      ),
  ),
  Conv2dGradInput: convConfigArb.chain((c) =>
    of(
      (gy, W) => F.conv2dGradInput(gy, W, [c.N, c.C, c.H, c.W], convOptions(c)).square(),
      outputImage(c, c.FN),
      tensorArb([c.FN, c.C, c.FH, c.FW]),
    ),
  ),
  Conv2dGradFilter: convConfigArb.chain((c) =>
    of(
      (gy, x) => new Conv2dGradFilter([c.FN, c.C, c.FH, c.FW], convOptions(c)).apply(gy, x).square(),
      outputImage(c, c.FN),
      image(c),
    ),
  ),
  Im2col: convConfigArb.chain((c) => of((x) => new Im2col(c.FH, c.FW, convOptions(c)).apply(x).square(), image(c))),
  Col2im: convConfigArb.chain((c) =>
    of(
      (col) => new Col2im([c.N, c.C, c.H, c.W], c.FH, c.FW, convOptions(c)).apply(col.square()),
      tensorArb([c.N * c.OH * c.OW, c.C * c.FH * c.FW]),
    ),
  ),
  MaxPool2d: convConfigArb.chain((c) =>
    of((x) => F.maxPool2d(x, poolOptions(c)).square(), image(c, { min: -3, max: 3, distinct: 0.01 })),
  ),
  MaxPool2dGrad: convConfigArb.chain((c) =>
    fc.tuple(image(c, { min: -3, max: 3, distinct: 0.01 }), outputImage(c, c.C)).map(([x, gy]) => {
      const { indices } = maxPool2dWithIndices(x, poolOptions(c));
      return { f: (g: Variable) => new MaxPool2dGrad(indices, x.shape).apply(g.square()), inputs: [gy] };
    }),
  ),
  AvgPool2d: convConfigArb.chain((c) => of((x) => F.avgPool2d(x, poolOptions(c)).square(), image(c))),
  AvgPool2dGrad: convConfigArb.chain((c) =>
    of((gy) => new AvgPool2dGrad([c.N, c.C, c.H, c.W], poolOptions(c)).apply(gy.square()), outputImage(c, c.C)),
  ),
  // loss
  SoftmaxCrossEntropy: fc
    .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }), probabilities: fc.boolean() })
    .chain(({ n, classes, probabilities }) =>
      fc
        .tuple(
          tensorArb([n, classes], { min: -3, max: 3 }),
          probabilities ? tensorArb([n, classes]).map((t) => t.softmax(-1)) : labels([n], classes),
        )
        .map(([x, t]) => ({ f: (v: Variable) => v.softmaxCrossEntropy(t), inputs: [x] })),
    ),
  SoftmaxCrossEntropyGrad: fc
    .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
    .chain(({ n, classes }) =>
      fc.tuple(tensorArb([n, classes], { min: -3, max: 3 }), tensorArb([]), labels([n], classes)).map(([x, gy, t]) => ({
        f: (v: Variable, g: Variable) => new SoftmaxCrossEntropyGrad(t, v.data.softmax(-1)).apply(v, g),
        inputs: [x, gy],
      })),
    ),
};

/** The node classes of @nn/autograd/nodes (not the abstract BroadcastingFunction base). */
export const NODE_CLASSES = Object.entries(nodes).filter(
  ([name, value]) =>
    typeof value === 'function' && value.prototype instanceof F.Function && name !== 'BroadcastingFunction',
) as [string, { prototype: F.Function }][];

/** The Variables of an output tree, in order. */
export function leaves(o: unknown): Variable[] {
  if (Array.isArray(o)) return o.flatMap(leaves);
  return [o as Variable];
}

/** The node types in the graph of a case's f at its inputs (a case must exercise its node). */
export function nodeTypes(c: Case): Set<string> {
  const types = new Set<string>();
  for (const y of leaves(c.f(...c.inputs.map((x) => F.variable(x)))))
    for (const n of graphToJSON(y).nodes) types.add(n.type);
  return types;
}

/** Σ w·y over f's outputs with fixed weights (cos of the flat position): a scalar of all of them. */
export function weighted(f: Case['f']): (...xs: Variable[]) => Variable {
  return (...xs) =>
    leaves(f(...xs))
      .map((y, k) => {
        const w = tensor(
          Array.from({ length: y.size }, (_, i) => Math.cos(i + k)),
          { shape: [...y.shape], dtype: 'float64' },
        );
        return y.mul(w).sum();
      })
      .reduce((a, b) => a.add(b));
}

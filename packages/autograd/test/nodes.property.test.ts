import fc, { type Arbitrary } from 'fast-check';
import { describe, it } from 'vitest';
import { type Index, type Tensor, broadcastShapes, tensor } from '@nn/tensor';
import { type Variable, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import { graphToJSON } from '@nn/autograd/inspect';
import { SigmoidGrad, SoftmaxCrossEntropyGrad } from '@nn/autograd/nodes';
import {
  type GradcheckFunction,
  type GradcheckOptions,
  assertGradcheck,
  assertGradgradcheck,
  broadcastShapesArb,
  expressionGraphArb,
  shapeArb,
  tensorArb,
  tensorOfShapeArb,
} from '@nn/autograd/testing';

/**
 * Every node of @nn/autograd gradchecked in float64 over fast-check-generated shapes, with
 * broadcasting, size-1 axes and (where the operation allows it) empty axes; gradgradcheck for the
 * elementwise nodes; random expression graphs against numerical gradients. Inputs keep away from
 * kinks and domain edges (see the arbitraries' `avoid`, `distinct` and `min`).
 *
 * Tolerances are gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3). Shapes stay ≤ 3–4 per
 * axis and numRuns 20–100, so the file runs in well under a minute on 2 cores.
 */

// NN_PROPERTY_SCALE=20 multiplies every numRuns, for a deeper search before a release.
const SCALE = Number(process.env.NN_PROPERTY_SCALE ?? 1);
const RUNS = Math.round(40 * SCALE);
const SECOND_ORDER_RUNS = Math.round(20 * SCALE);

/** The names of the nodes in y's graph, so each property checks that its node is really there. */
function nodeNames(y: Variable): Set<string> {
  return new Set(graphToJSON(y).nodes.map((node) => node.type));
}

/** Gradchecks f at inputs (throwing the report table on failure) after checking that `node` is in f's graph. */
function check(
  node: string,
  f: GradcheckFunction,
  inputs: readonly Tensor[],
  options: GradcheckOptions & { secondOrder?: boolean } = {},
): void {
  const y = f(...inputs.map((x) => variable(x.astype('float64'))));
  if (!nodeNames(y).has(node))
    throw new Error(
      `${node} is not in the graph of the function under test (nodes: ${[...nodeNames(y)].join(', ') || 'none'})`,
    );
  if (options.secondOrder) assertGradgradcheck(f, inputs, options);
  else assertGradcheck(f, inputs, options);
}

/** Runs a property `runs` times; the counterexample (shapes and values) prints as code. */
function property<T>(arb: Arbitrary<T>, predicate: (value: T) => void, runs = RUNS): void {
  fc.assert(fc.property(arb, predicate), { numRuns: runs });
}

// ---- arbitraries for the nodes' arguments -------------------------------------------------------------------

const SMALL = { maxRank: 3, maxSize: 3 } as const;

/** Two broadcast-compatible float64 tensors. */
function broadcastPair(
  a: Parameters<typeof tensorArb>[1] = {},
  b: Parameters<typeof tensorArb>[1] = {},
  minSize = 1,
): Arbitrary<[Tensor, Tensor]> {
  return broadcastShapesArb({ ...SMALL, minSize }).chain(([sa, sb]) => fc.tuple(tensorArb(sa, a), tensorArb(sb, b)));
}

/** One float64 tensor of a random shape (rank 0–3, axes ≤ 4), empty axes allowed unless minSize 1. */
function single(options: Parameters<typeof tensorArb>[1] = {}, minSize = 0, minRank = 0): Arbitrary<Tensor> {
  return tensorOfShapeArb(shapeArb({ minRank, maxRank: 3, minSize, maxSize: 4 }), options);
}

/** An axis argument for a reduction over `ndim` axes: all (undefined), one (maybe negative), or several. */
function axisSpecArb(ndim: number): Arbitrary<number | number[] | undefined> {
  if (ndim === 0) return fc.constant(undefined);
  const axes = [...Array(ndim).keys()];
  return fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: -ndim, max: ndim - 1 }),
    fc.subarray(axes, { minLength: 1 }),
  );
}

/** A tensor with a reduction spec over it. */
function reductionArb(
  options: Parameters<typeof tensorArb>[1],
  minSize: number,
): Arbitrary<{ x: Tensor; axis: number | number[] | undefined; keepdims: boolean }> {
  return shapeArb({ maxRank: 3, minSize, maxSize: 4 }).chain((shape) =>
    fc.record({ x: tensorArb(shape, options), axis: axisSpecArb(shape.length), keepdims: fc.boolean() }),
  );
}

/** A random NumPy basic index for `shape`: integers, slices with ±steps, whole axes, an ellipsis. */
function indexArb(shape: readonly number[]): Arbitrary<Index[]> {
  const perAxis = shape.map((size) => {
    const bound = fc.option(fc.integer({ min: -size - 1, max: size + 1 }), { nil: null });
    const options: Arbitrary<Index>[] = [
      fc.constant(':'),
      fc.record({ start: bound, stop: bound, step: fc.constantFrom(1, 2, -1, -2) }),
    ];
    if (size > 0) options.push(fc.integer({ min: -size, max: size - 1 }));
    return fc.oneof(...options);
  });
  return fc.tuple(...perAxis).chain((indices) =>
    // Sometimes replace a leading run of whole axes by '...'.
    fc
      .integer({ min: 0, max: indices.length })
      .map((k) => (k > 0 && indices.slice(0, k).every((i) => i === ':') ? ['...', ...indices.slice(k)] : indices)),
  );
}

/** int32 indices in [0, bound) of a given shape. */
function indicesArb(shape: readonly number[], bound: number): Arbitrary<Tensor> {
  return tensorArb(shape, { dtype: 'int32', min: 0, max: bound - 1 });
}

const permutationArb = (n: number): Arbitrary<number[]> =>
  fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

// ---- elementwise ----------------------------------------------------------------------------------------

describe('elementwise nodes pass gradcheck (float64, broadcasting, size-1 and empty axes)', () => {
  it('Add', () => property(broadcastPair({}, {}, 0), ([a, b]) => check('Add', (x, y) => x.add(y), [a, b])));
  it('Sub', () => property(broadcastPair({}, {}, 0), ([a, b]) => check('Sub', (x, y) => x.sub(y), [a, b])));
  it('Mul', () => property(broadcastPair({}, {}, 0), ([a, b]) => check('Mul', (x, y) => x.mul(y), [a, b])));
  it('Div (divisor away from 0)', () =>
    property(broadcastPair({}, { avoid: [0], margin: 0.3 }, 0), ([a, b]) => check('Div', (x, y) => x.div(y), [a, b])));
  it('Pow (positive base, both operands differentiated)', () =>
    property(broadcastPair({ min: 0.3, max: 2 }, { min: -2, max: 2 }, 0), ([a, b]) =>
      check('Pow', (x, y) => x.pow(y), [a, b]),
    ));
  it('Pow with a constant exponent (integer exponents on any base, others on positive bases)', () =>
    property(
      fc
        .constantFrom(2, 3, -1, 0.5, 1.5)
        .chain((p) => fc.tuple(single(p === 2 || p === 3 ? {} : { min: 0.3, max: 3 }), fc.constant(p))),
      ([x, p]) => check('Pow', (v) => v.pow(p), [x]),
    ));
  it('Neg', () => property(single(), (x) => check('Neg', (v) => v.neg(), [x])));
  it('Exp', () => property(single(), (x) => check('Exp', (v) => v.exp(), [x])));
  it('Log (positive inputs)', () => property(single({ min: 0.2, max: 3 }), (x) => check('Log', (v) => v.log(), [x])));
  it('Sqrt (positive inputs)', () =>
    property(single({ min: 0.2, max: 3 }), (x) => check('Sqrt', (v) => v.sqrt(), [x])));
  it('Sin', () => property(single({ min: -4, max: 4 }), (x) => check('Sin', (v) => v.sin(), [x])));
  it('Cos', () => property(single({ min: -4, max: 4 }), (x) => check('Cos', (v) => v.cos(), [x])));
  it('Square', () => property(single(), (x) => check('Square', (v) => v.square(), [x])));
  it('Abs (away from 0)', () => property(single({ avoid: [0] }), (x) => check('Abs', (v) => v.abs(), [x])));
  it('Clip (away from the bounds)', () =>
    property(single({ avoid: [-0.5, 0.7] }), (x) => check('Clip', (v) => v.clip(-0.5, 0.7), [x])));
  it('Where (constant condition, three-way broadcasting)', () =>
    property(
      broadcastShapesArb({ ...SMALL, count: 3, minSize: 0 }).chain(([sc, sa, sb]) =>
        fc.tuple(tensorArb(sc, { dtype: 'bool' }), tensorArb(sa), tensorArb(sb)),
      ),
      ([c, a, b]) => check('Where', (x, y) => F.where(c, x, y), [a, b]),
    ));
  it('Tanh', () => property(single(), (x) => check('Tanh', (v) => v.tanh(), [x])));
  it('Sigmoid', () => property(single({ min: -4, max: 4 }), (x) => check('Sigmoid', (v) => v.sigmoid(), [x])));
  it('ReLU (away from 0)', () => property(single({ avoid: [0] }), (x) => check('ReLU', (v) => v.relu(), [x])));
  it("SigmoidGrad (Sigmoid's backward, in both of its inputs)", () =>
    property(
      single().chain((g) => fc.tuple(fc.constant(g), tensorArb(g.shape, { min: 0.05, max: 0.95 }))),
      ([g, y]) => check('SigmoidGrad', (dy, out) => new SigmoidGrad().apply(dy, out), [g, y], { secondOrder: true }),
    ));
  it('LeakyReLU (away from 0)', () =>
    property(single({ avoid: [0] }), (x) => check('LeakyReLU', (v) => v.leakyRelu(0.1), [x])));
});

describe('elementwise nodes pass gradgradcheck (second derivatives through createGraph)', () => {
  const second = { secondOrder: true };
  const runs = SECOND_ORDER_RUNS;
  it('Add', () =>
    property(broadcastPair(), ([a, b]) => check('Add', (x, y) => x.add(y).square(), [a, b], second), runs));
  it('Sub', () =>
    property(broadcastPair(), ([a, b]) => check('Sub', (x, y) => x.sub(y).square(), [a, b], second), runs));
  it('Mul', () => property(broadcastPair(), ([a, b]) => check('Mul', (x, y) => x.mul(y), [a, b], second), runs));
  it('Div', () =>
    property(
      broadcastPair({}, { avoid: [0], margin: 0.3 }),
      ([a, b]) => check('Div', (x, y) => x.div(y), [a, b], second),
      runs,
    ));
  it('Pow', () =>
    property(broadcastPair({ min: 0.3, max: 2 }), ([a, b]) => check('Pow', (x, y) => x.pow(y), [a, b], second), runs));
  it('Neg', () => property(single(), (x) => check('Neg', (v) => v.neg().square(), [x], second), runs));
  it('Exp', () => property(single(), (x) => check('Exp', (v) => v.exp(), [x], second), runs));
  it('Log', () => property(single({ min: 0.2, max: 3 }), (x) => check('Log', (v) => v.log(), [x], second), runs));
  it('Sqrt', () => property(single({ min: 0.2, max: 3 }), (x) => check('Sqrt', (v) => v.sqrt(), [x], second), runs));
  it('Sin', () => property(single(), (x) => check('Sin', (v) => v.sin(), [x], second), runs));
  it('Cos', () => property(single(), (x) => check('Cos', (v) => v.cos(), [x], second), runs));
  it('Square', () => property(single(), (x) => check('Square', (v) => v.square(), [x], second), runs));
  it('Abs', () => property(single({ avoid: [0] }), (x) => check('Abs', (v) => v.abs().mul(v), [x], second), runs));
  it('Clip', () =>
    property(
      single({ avoid: [-0.5, 0.7] }),
      (x) => check('Clip', (v) => v.clip(-0.5, 0.7).square(), [x], second),
      runs,
    ));
  it('Where', () =>
    property(
      broadcastShapesArb({ ...SMALL, count: 3 }).chain(([sc, sa, sb]) =>
        fc.tuple(tensorArb(sc, { dtype: 'bool' }), tensorArb(sa), tensorArb(sb)),
      ),
      ([c, a, b]) => check('Where', (x, y) => F.where(c, x.square(), y.mul(x.sum())), [a, b], second),
      runs,
    ));
  it('Tanh', () => property(single(), (x) => check('Tanh', (v) => v.tanh(), [x], second), runs));
  it('Sigmoid', () => property(single(), (x) => check('Sigmoid', (v) => v.sigmoid(), [x], second), runs));
  it('ReLU', () => property(single({ avoid: [0] }), (x) => check('ReLU', (v) => v.relu().square(), [x], second), runs));
  it('LeakyReLU', () =>
    property(single({ avoid: [0] }), (x) => check('LeakyReLU', (v) => v.leakyRelu(0.1).square(), [x], second), runs));
  it('Softmax', () =>
    property(
      single({}, 1, 1).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 }))),
      ([x, axis]) => check('Softmax', (v) => v.softmax(axis), [x], second),
      runs,
    ));
  it('LogSoftmax', () =>
    property(
      single({}, 1, 1).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 }))),
      ([x, axis]) => check('LogSoftmax', (v) => v.logSoftmax(axis), [x], second),
      runs,
    ));
});

// ---- reductions ------------------------------------------------------------------------------------------

describe('reduction nodes pass gradcheck', () => {
  it('Sum (any axes, keepdims or not, empty axes)', () =>
    property(reductionArb({}, 0), ({ x, axis, keepdims }) => check('Sum', (v) => v.sum(axis, { keepdims }), [x])));
  it('mean (Sum then Div)', () =>
    property(reductionArb({}, 1), ({ x, axis, keepdims }) => check('Sum', (v) => v.mean(axis, { keepdims }), [x])));
  it('Max (distinct values: no ties)', () =>
    property(reductionArb({ distinct: 0.05 }, 1), ({ x, axis, keepdims }) =>
      check('Max', (v) => v.max(axis, { keepdims }), [x]),
    ));
  it('Min (distinct values: no ties)', () =>
    property(reductionArb({ distinct: 0.05 }, 1), ({ x, axis, keepdims }) =>
      check('Min', (v) => v.min(axis, { keepdims }), [x]),
    ));
  it('SumTo (undoes a broadcast)', () =>
    property(
      broadcastShapesArb(SMALL)
        .filter(([a, b]) => !sameShape(broadcastShapes('test', a, b), b))
        .chain(([a, b]) => fc.tuple(tensorArb(broadcastShapes('test', a, b)), fc.constant(b))),
      ([x, target]) => check('SumTo', (v) => F.sumTo(v, target), [x]),
    ));
  it('Sum and Max pass gradgradcheck', () =>
    property(
      reductionArb({ distinct: 0.05 }, 1),
      ({ x, axis, keepdims }) => {
        check('Sum', (v) => v.square().sum(axis, { keepdims }), [x], { secondOrder: true });
        check('Max', (v) => v.max(axis, { keepdims }).square(), [x], { secondOrder: true });
      },
      SECOND_ORDER_RUNS,
    ));
});

// ---- movement ----------------------------------------------------------------------------------------------

describe('movement nodes pass gradcheck', () => {
  it('Reshape (flatten, reverse, insert size-1 axes, squeeze)', () =>
    property(
      single({}, 0)
        .chain(
          (x) =>
            fc.tuple(
              fc.constant(x),
              fc.constantFrom<(s: readonly number[]) => number[]>(
                (s) => [s.reduce((a, b) => a * b, 1)],
                (s) => [...s].reverse(),
                (s) => [1, ...s, 1],
                (s) => s.filter((d) => d !== 1),
                (s) => (s.length > 0 ? [-1, s[s.length - 1]] : [1, 1]),
              ),
            ),
          // A -1 next to a 0 is ambiguous (NumPy refuses it too); an unchanged shape records no node.
        )
        .filter(
          ([x, to]) => !(x.size === 0 && to(x.shape).includes(-1)) && !sameShape(x.shape, resolve(to(x.shape), x.size)),
        ),
      ([x, to]) => check('Reshape', (v) => v.reshape(to(x.shape)), [x]),
    ));
  it('squeeze / unsqueeze / flatten (Reshape)', () =>
    property(tensorOfShapeArb(shapeArb({ minRank: 1, maxRank: 3, maxSize: 3 }).map((s) => [...s, 1])), (x) => {
      check('Reshape', (v) => v.squeeze(x.ndim - 1), [x]);
      check('Reshape', (v) => v.unsqueeze(0), [x]);
      check('Reshape', (v) => v.unsqueeze(1).flatten(), [x]);
    }));
  it('Transpose (random permutation, or reversed axes)', () =>
    property(
      single({}, 0, 2).chain((x) => fc.tuple(fc.constant(x), fc.option(permutationArb(x.ndim), { nil: undefined }))),
      ([x, axes]) => check('Transpose', (v) => v.transpose(axes), [x]),
    ));
  it('BroadcastTo (size-1 axes and new leading axes)', () =>
    property(
      broadcastShapesArb({ ...SMALL, minSize: 0 })
        .filter(([a, b]) => !sameShape(broadcastShapes('test', a, b), a))
        .chain(([a, b]) => fc.tuple(tensorArb(a), fc.constant(broadcastShapes('test', a, b)))),
      ([x, shape]) => check('BroadcastTo', (v) => v.broadcastTo(shape), [x]),
    ));
  it('BroadcastTo passes gradgradcheck', () =>
    property(
      broadcastShapesArb(SMALL)
        .filter(([a, b]) => !sameShape(broadcastShapes('test', a, b), a))
        .chain(([a, b]) => fc.tuple(tensorArb(a), fc.constant(broadcastShapes('test', a, b)))),
      ([x, shape]) => check('BroadcastTo', (v) => v.broadcastTo(shape).square(), [x], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
  it('Repeat (0–3 repeats, along an axis or flattened)', () =>
    property(
      single({}, 0).chain((x) =>
        fc.tuple(
          fc.constant(x),
          fc.integer({ min: 0, max: 3 }),
          x.ndim === 0
            ? fc.constant(undefined)
            : fc.option(fc.integer({ min: -x.ndim, max: x.ndim - 1 }), { nil: undefined }),
        ),
      ),
      ([x, repeats, axis]) => check('Repeat', (v) => v.repeat(repeats, axis), [x]),
    ));
  it('Concat (1–3 inputs, empty pieces allowed)', () =>
    property(
      fc
        .record({
          shape: shapeArb({ minRank: 1, maxRank: 3, maxSize: 3 }),
          count: fc.integer({ min: 1, max: 3 }),
          k: fc.nat(),
        })
        .chain(({ shape, count, k }) => {
          const axis = k % shape.length;
          const pieces = Array.from({ length: count }, () =>
            fc.integer({ min: 0, max: 3 }).chain((n) => tensorArb(shape.map((d, i) => (i === axis ? n : d)))),
          );
          return fc.tuple(fc.tuple(...pieces), fc.constantFrom(axis, axis - shape.length));
        }),
      ([xs, axis]) => check('Concat', (...vs) => F.concat(vs, axis), xs),
    ));
  it('Split (equal sections or split points; unused pieces get zero gradient)', () =>
    property(
      fc
        .record({
          shape: shapeArb({ minRank: 1, maxRank: 3, maxSize: 4 }),
          k: fc.nat(),
          points: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
          useAll: fc.boolean(),
        })
        .chain(({ shape, k, points, useAll }) => {
          const axis = k % shape.length;
          const size = shape[axis];
          const divisors = [...Array(size + 1).keys()].filter((n) => n > 0 && size % n === 0);
          const sections: number | number[] =
            k % 2 === 0 && divisors.length > 0
              ? divisors[k % divisors.length]
              : points.map((p) => Math.min(p, size)).sort((a, b) => a - b);
          return fc.tuple(tensorArb(shape), fc.constant(sections), fc.constant(axis), fc.constant(useAll));
        }),
      ([x, sections, axis, useAll]) =>
        check(
          'Split',
          (v) => {
            const pieces = v.split(sections, axis);
            const used = useAll ? pieces : pieces.slice(0, 1);
            // Weight the pieces differently, so a gradient routed to the wrong piece shows.
            return used
              .map((p, i) =>
                p
                  .square()
                  .sum()
                  .mul(i + 1),
              )
              .reduce((a, b) => a.add(b));
          },
          [x],
        ),
    ));
});

describe('movement nodes pass gradgradcheck', () => {
  it('Reshape, Transpose, Repeat, Concat and Split', () =>
    property(
      single({}, 1, 2),
      (x) => {
        const second = { secondOrder: true };
        check('Reshape', (v) => v.reshape([-1]).square(), [x], second);
        check('Transpose', (v) => v.transpose().square(), [x], second);
        check('Repeat', (v) => v.repeat(2, 0).square(), [x], second);
        check('Concat', (v) => F.concat([v, v.square()], -1).square(), [x], second);
        check('Split', (v) => v.split([1], 0)[1].square(), [x], second);
      },
      SECOND_ORDER_RUNS,
    ));
});

// ---- indexing ---------------------------------------------------------------------------------------------

describe('indexing nodes pass gradcheck', () => {
  it('GetItem (integers, slices with negative steps, ellipsis)', () =>
    property(
      single({}, 0, 1).chain((x) => fc.tuple(fc.constant(x), indexArb(x.shape))),
      ([x, index]) => check('GetItem', (v) => v.getItem(...index), [x]),
    ));
  it('GetItem passes gradgradcheck', () =>
    property(
      single({}, 1, 1).chain((x) => fc.tuple(fc.constant(x), indexArb(x.shape))),
      ([x, index]) => check('GetItem', (v) => v.getItem(...index).square(), [x], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
  it('Gather as take (repeated indices accumulate; flattened or along an axis)', () =>
    property(
      single({}, 1, 0).chain((x) =>
        fc
          .record({
            x: fc.constant(x),
            axis:
              x.ndim === 0
                ? fc.constant(undefined)
                : fc.option(fc.integer({ min: -x.ndim, max: x.ndim - 1 }), { nil: undefined }),
            indexShape: shapeArb({ maxRank: 2, minSize: 0, maxSize: 4 }),
          })
          .chain(({ x: t, axis, indexShape }) => {
            const bound = axis === undefined ? t.size : t.shape[axis < 0 ? axis + t.ndim : axis];
            return fc.tuple(fc.constant(t), fc.constant(axis), indicesArb(indexShape, bound));
          }),
      ),
      ([x, axis, indices]) => check('Gather', (v) => v.take(indices, axis), [x]),
    ));
  it('Gather as gather (PyTorch semantics)', () =>
    property(
      single({}, 1, 1).chain((x) =>
        fc.nat().chain((k) => {
          const axis = k % x.ndim;
          const indexShape = fc.tuple(...x.shape.map((d, i) => fc.integer({ min: 1, max: i === axis ? 4 : d })));
          return fc.tuple(
            fc.constant(x),
            fc.constant(axis),
            indexShape.chain((s) => indicesArb(s, x.shape[axis])),
          );
        }),
      ),
      ([x, axis, indices]) => check('Gather', (v) => v.gather(indices, axis), [x]),
    ));
  it('Gather passes gradgradcheck', () =>
    property(
      single({}, 1, 1).chain((x) => fc.tuple(fc.constant(x), indicesArb([3], x.shape[0]))),
      ([x, indices]) => check('Gather', (v) => v.take(indices, 0).square(), [x], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
});

// ---- linear algebra, activations, loss ---------------------------------------------------------------------------

/** Operand shapes for matmul: 1-d or 2-d operands, or batches with broadcast batch axes. */
const matmulShapesArb: Arbitrary<[number[], number[]]> = fc
  .record({
    batch: broadcastShapesArb({ maxRank: 2, maxSize: 2 }),
    // 0 is legal for each: an empty product, or a sum over an empty inner axis (zeros).
    m: fc.integer({ min: 0, max: 3 }),
    k: fc.integer({ min: 0, max: 3 }),
    n: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom('matrix', 'vector-left', 'vector-right', 'vectors', 'batched'),
  })
  .map(({ batch: [ba, bb], m, k, n, kind }): [number[], number[]] => {
    switch (kind) {
      case 'matrix':
        return [
          [m, k],
          [k, n],
        ];
      case 'vector-left':
        return [[k], [...bb, k, n]];
      case 'vector-right':
        return [[...ba, m, k], [k]];
      case 'vectors':
        return [[k], [k]];
      default:
        return [
          [...ba, m, k],
          [...bb, k, n],
        ];
    }
  });

describe('linear algebra, activation and loss nodes pass gradcheck', () => {
  it('MatMul (2-d, 1-d operands, broadcast batch axes)', () =>
    property(
      matmulShapesArb.chain(([a, b]) => fc.tuple(tensorArb(a), tensorArb(b))),
      ([a, b]) => check('MatMul', (x, y) => x.matmul(y), [a, b]),
    ));
  it('MatMul passes gradgradcheck', () =>
    property(
      matmulShapesArb.chain(([a, b]) => fc.tuple(tensorArb(a), tensorArb(b))),
      ([a, b]) => check('MatMul', (x, y) => x.matmul(y).square(), [a, b], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
  it('linear (MatMul + Add with a broadcast bias)', () =>
    property(
      fc
        .record({
          n: fc.integer({ min: 1, max: 3 }),
          d: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 3 }),
        })
        .chain(({ n, d, h }) => fc.tuple(tensorArb([n, d]), tensorArb([d, h]), tensorArb([h]))),
      ([x, W, b]) => check('MatMul', (xv, Wv, bv) => F.linear(xv, Wv, bv).sigmoid(), [x, W, b]),
    ));
  it('Softmax (any axis; other axes may be empty)', () =>
    property(
      single({ min: -3, max: 3 }, 0, 1)
        .chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 })))
        .filter(([x, axis]) => x.shape.at(axis)! > 0),
      ([x, axis]) => check('Softmax', (v) => v.softmax(axis), [x]),
    ));
  it('LogSoftmax (any axis; other axes may be empty)', () =>
    property(
      single({ min: -3, max: 3 }, 0, 1)
        .chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 })))
        .filter(([x, axis]) => x.shape.at(axis)! > 0),
      ([x, axis]) => check('LogSoftmax', (v) => v.logSoftmax(axis), [x]),
    ));
  it('SoftmaxCrossEntropy (int32 labels, any leading shape)', () =>
    property(
      fc
        .record({ lead: shapeArb({ maxRank: 2, maxSize: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
        .chain(({ lead, classes }) =>
          fc.tuple(tensorArb([...lead, classes], { min: -3, max: 3 }), indicesArb(lead, classes)),
        ),
      ([x, labels]) => check('SoftmaxCrossEntropy', (v) => v.softmaxCrossEntropy(labels), [x]),
    ));
  it('SoftmaxCrossEntropy (probability targets)', () =>
    property(
      fc
        .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
        .chain(({ n, classes }) =>
          fc.tuple(
            tensorArb([n, classes], { min: -3, max: 3 }),
            tensorArb([n, classes], { min: -2, max: 2 }).map((t) => t.softmax(-1)),
          ),
        ),
      ([x, target]) => check('SoftmaxCrossEntropy', (v) => F.softmaxCrossEntropy(v, target), [x]),
    ));
  it('SoftmaxCrossEntropy passes gradgradcheck', () =>
    property(
      fc
        .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
        .chain(({ n, classes }) => fc.tuple(tensorArb([n, classes], { min: -3, max: 3 }), indicesArb([n], classes))),
      ([x, labels]) => check('SoftmaxCrossEntropy', (v) => v.softmaxCrossEntropy(labels), [x], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
  it('SoftmaxCrossEntropy passes gradgradcheck with probability targets', () =>
    property(
      fc
        .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
        .chain(({ n, classes }) =>
          fc.tuple(
            tensorArb([n, classes], { min: -3, max: 3 }),
            tensorArb([n, classes], { min: -2, max: 2 }).map((t) => t.softmax(-1)),
          ),
        ),
      ([x, target]) =>
        check('SoftmaxCrossEntropy', (v) => F.softmaxCrossEntropy(v, target), [x], { secondOrder: true }),
      SECOND_ORDER_RUNS,
    ));
  it('SoftmaxCrossEntropyGrad (in x and dy; first and second order)', () =>
    property(
      fc
        .record({ n: fc.integer({ min: 1, max: 3 }), classes: fc.integer({ min: 1, max: 4 }) })
        .chain(({ n, classes }) =>
          fc.tuple(
            tensorArb([n, classes], { min: -3, max: 3 }),
            tensorArb([], { min: -2, max: 2 }),
            indicesArb([n], classes),
          ),
        ),
      ([x, gy, labels]) => {
        // The gradient node applied as the backward applies it: to x and dy, with p = softmax(x).
        const weights = tensor(
          Array.from({ length: x.size }, (_, i) => Math.cos(i)),
          { shape: [...x.shape], dtype: 'float64' },
        );
        const grad = (v: Variable, g: Variable) =>
          new SoftmaxCrossEntropyGrad(labels, v.data.softmax(-1)).apply(v, g).mul(weights).sum();
        check('SoftmaxCrossEntropyGrad', grad, [x, gy], { secondOrder: false });
        check('SoftmaxCrossEntropyGrad', grad, [x, gy], { secondOrder: true });
      },
      SECOND_ORDER_RUNS,
    ));
});

// ---- strided views and shared inputs -----------------------------------------------------------------------------

/** Unary nodes with an input range where each is differentiable. */
const UNARY: [string, (v: Variable) => Variable, Parameters<typeof tensorArb>[1]][] = [
  ['Neg', (v) => v.neg(), {}],
  ['Exp', (v) => v.exp(), {}],
  ['Log', (v) => v.log(), { min: 0.2, max: 3 }],
  ['Sqrt', (v) => v.sqrt(), { min: 0.2, max: 3 }],
  ['Sin', (v) => v.sin(), {}],
  ['Cos', (v) => v.cos(), {}],
  ['Square', (v) => v.square(), {}],
  ['Abs', (v) => v.abs(), { avoid: [0] }],
  ['Clip', (v) => v.clip(-0.5, 0.7), { avoid: [-0.5, 0.7] }],
  ['Tanh', (v) => v.tanh(), {}],
  ['Sigmoid', (v) => v.sigmoid(), {}],
  ['ReLU', (v) => v.relu(), { avoid: [0] }],
  ['LeakyReLU', (v) => v.leakyRelu(0.1), { avoid: [0] }],
  ['Softmax', (v) => v.softmax(0), {}],
  ['LogSoftmax', (v) => v.logSoftmax(0), {}],
  ['Sum', (v) => v.sum(0), {}],
  ['Max', (v) => v.max(1), { distinct: 0.05 }],
];

describe('nodes on strided views and on shared inputs', () => {
  it('every unary node on a transposed, reversed and broadcast (stride 0) view', () =>
    property(
      fc
        .constantFrom(...UNARY)
        .chain(([name, op, options]) =>
          fc.tuple(
            fc.constant(name),
            fc.constant(op),
            tensorOfShapeArb(shapeArb({ minRank: 2, maxRank: 2, maxSize: 3 }), options),
          ),
        ),
      ([name, op, x]) => {
        check(name, (v) => op(v.T.getItem('::-1')), [x]);
        check(name, (v) => op(v.broadcastTo([2, ...v.shape]).getItem(1)), [x]);
      },
      RUNS * 2,
    ));
  it('binary nodes with the same Variable on both sides (gradients accumulate)', () =>
    property(
      tensorOfShapeArb(
        shapeArb({ minRank: 2, maxRank: 2, maxSize: 3 }).map(([n]) => [n, n]),
        { avoid: [0], margin: 0.3 },
      ),
      (x) => {
        check('Add', (v) => v.add(v), [x]);
        check('Sub', (v) => v.sub(v.T), [x]);
        check('Mul', (v) => v.mul(v), [x]);
        check('Div', (v) => v.div(v.T), [x]);
        check('Pow', (v) => v.abs().pow(v), [x]);
        check('MatMul', (v) => v.matmul(v), [x]);
        check('Where', (v) => F.where(x.gt(0), v.square(), v), [x]);
        check('Concat', (v) => F.concat([v, v, v.T], 1), [x]);
      },
    ));
});

// ---- random expression graphs -----------------------------------------------------------------------------------

describe('random expression graphs', () => {
  it('match numerical gradients (gradcheck)', () =>
    property(
      expressionGraphArb(),
      (g) => {
        assertGradcheck(g.f, g.inputs);
      },
      Math.round(100 * SCALE),
    ));
  it('match numerical second derivatives (gradgradcheck)', () =>
    property(
      expressionGraphArb({ maxSteps: 4 }),
      (g) => {
        assertGradgradcheck(g.f, g.inputs);
      },
      Math.round(30 * SCALE),
    ));
});

// ---- helpers ----------------------------------------------------------------------------------------------------------

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The shape a reshape target stands for (one -1 resolved against `size`). */
function resolve(shape: readonly number[], size: number): number[] {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return shape.map((d) => (d === -1 ? (known === 0 ? 0 : size / known) : d));
}

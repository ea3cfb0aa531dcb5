import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, ValueError, tensor } from '@nn/tensor';
import { type Variable, grad, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import { graphToJSON } from '@nn/autograd/inspect';
import { GELUGrad } from '@nn/autograd/nodes';
import {
  type GradcheckFunction,
  assertGradcheck,
  assertGradgradcheck,
  broadcastShapesArb,
  shapeArb,
  tensorArb,
} from '@nn/autograd/testing';

/**
 * The nodes transformers and sequence models reach for — GELU (exact and tanh) and its one-pass
 * backward GELUGrad, SiLU, Erf, Log1p,
 * Expm1, LogSumExp, Maximum, Minimum — gradchecked and gradgradchecked in float64 over
 * fast-check-generated shapes (rank 0–3, axes ≤ 4, size-1 and, where allowed, empty axes), and
 * their forward values against the definitions written out with plain loops.
 *
 * Tolerances: gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3); forward values to 1e-12
 * (float64). The forward-mode rules are checked in jvp.property.test.ts with every other node.
 */

const SCALE = Number(process.env.NN_PROPERTY_SCALE ?? 1);
const RUNS = Math.round(40 * SCALE);
const SECOND_ORDER_RUNS = Math.round(20 * SCALE);

type Options = Parameters<typeof tensorArb>[1];

const single = (options: Options = {}, minSize = 0, minRank = 0): Arbitrary<Tensor> =>
  shapeArb({ minRank, maxRank: 3, minSize, maxSize: 4 }).chain((shape) => tensorArb(shape, options));

/** `t` rounded to the grid 0.1·k + offset. */
const onGrid = (t: Tensor, offset: number): Tensor =>
  tensor(
    Array.from(t.data, (v) => Math.round(v * 10) / 10 + offset),
    { shape: [...t.shape], dtype: 'float64' },
  );

/** Two broadcast-compatible operands at least 0.05 apart everywhere: never within eps of a tie. */
const untiedPair = (minSize: number): Arbitrary<[Tensor, Tensor]> =>
  broadcastShapesArb({ maxRank: 3, maxSize: 3, minSize })
    .chain(([sa, sb]) => fc.tuple(tensorArb(sa), tensorArb(sb)))
    .map(([a, b]) => [onGrid(a, 0.05), onGrid(b, 0)]);

/** Gradchecks f at inputs after checking that `node` is in f's graph (so the property tests that node). */
function check(node: string, f: GradcheckFunction, inputs: readonly Tensor[], secondOrder = false): void {
  const y = f(...inputs.map((x) => variable(x.astype('float64'))));
  const types = new Set(graphToJSON(y).nodes.map((n) => n.type));
  if (!types.has(node)) throw new Error(`${node} is not in the graph (nodes: ${[...types].join(', ')})`);
  if (secondOrder) assertGradgradcheck(f, inputs);
  else assertGradcheck(f, inputs);
}

function property<T>(arb: Arbitrary<T>, predicate: (value: T) => void, runs = RUNS): void {
  fc.assert(fc.property(arb, predicate), { numRuns: runs });
}

const approximations = fc.constantFrom('none' as const, 'tanh' as const);

describe('gradcheck (float64, generated shapes)', () => {
  it('GELU, exact and tanh', () =>
    property(fc.tuple(single({ min: -4, max: 4 }), approximations), ([x, a]) => check('GELU', (v) => v.gelu(a), [x])));
  it('SiLU', () => property(single({ min: -5, max: 5 }), (x) => check('SiLU', (v) => v.silu(), [x])));
  it('Erf', () => property(single({ min: -3, max: 3 }), (x) => check('Erf', (v) => v.erf(), [x])));
  it('Log1p (x > −1)', () => property(single({ min: -0.8, max: 3 }), (x) => check('Log1p', (v) => v.log1p(), [x])));
  it('Expm1', () => property(single(), (x) => check('Expm1', (v) => v.expm1(), [x])));
  it('LogSumExp (any axes, keepdims or not)', () =>
    property(
      single({ min: -3, max: 3 }, 1).chain((x) =>
        fc.record({
          x: fc.constant(x),
          axis:
            x.ndim === 0
              ? fc.constant(undefined)
              : fc.option(fc.integer({ min: -x.ndim, max: x.ndim - 1 }), { nil: undefined }),
          keepdims: fc.boolean(),
        }),
      ),
      ({ x, axis, keepdims }) => check('LogSumExp', (v) => v.logsumexp(axis, { keepdims }), [x]),
    ));
  it('Maximum (broadcasting, empty axes, no ties)', () =>
    property(untiedPair(0), ([a, b]) => check('Maximum', (x, y) => x.maximum(y), [a, b])));
  it('Minimum (broadcasting, empty axes, no ties)', () =>
    property(untiedPair(0), ([a, b]) => check('Minimum', (x, y) => F.minimum(x, y), [a, b])));
});

describe('gradgradcheck (second derivatives through createGraph)', () => {
  const runs = SECOND_ORDER_RUNS;
  it('GELU, exact and tanh', () =>
    property(
      fc.tuple(single({ min: -4, max: 4 }, 1), approximations),
      ([x, a]) => check('GELU', (v) => v.gelu(a), [x], true),
      runs,
    ));
  it("GELUGrad (GELU's backward, in both of its inputs), exact and tanh", () =>
    property(
      fc
        .tuple(single({ min: -3, max: 3 }, 1), approximations)
        .chain(([x, a]) => fc.tuple(tensorArb(x.shape), fc.constant(x), fc.constant(a))),
      ([g, x, a]) => check('GELUGrad', (dy, v) => new GELUGrad(a).apply(dy, v), [g, x], true),
      runs,
    ));
  it('SiLU', () => property(single({ min: -5, max: 5 }, 1), (x) => check('SiLU', (v) => v.silu(), [x], true), runs));
  it('Erf', () => property(single({ min: -3, max: 3 }, 1), (x) => check('Erf', (v) => v.erf(), [x], true), runs));
  it('Log1p', () =>
    property(single({ min: -0.6, max: 3 }, 1), (x) => check('Log1p', (v) => v.log1p(), [x], true), runs));
  it('Expm1', () => property(single({}, 1), (x) => check('Expm1', (v) => v.expm1(), [x], true), runs));
  it('LogSumExp', () =>
    property(
      single({ min: -3, max: 3 }, 1, 1).chain((x) =>
        fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 })),
      ),
      ([x, axis]) => check('LogSumExp', (v) => v.logsumexp(axis), [x], true),
      runs,
    ));
  it('Maximum and Minimum', () =>
    property(
      untiedPair(1),
      ([a, b]) => {
        check('Maximum', (x, y) => x.maximum(y).square(), [a, b], true);
        check('Minimum', (x, y) => x.minimum(y).mul(x), [a, b], true);
      },
      runs,
    ));
});

// ---- forward values against the definitions --------------------------------------------------

/** erf by Simpson's rule on its integral (2000 panels): an independent reference, good to ~1e-13. */
function erfBySimpson(x: number): number {
  const n = 2000;
  const h = Math.abs(x) / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return Math.sign(x) * ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

const values = (v: Variable): number[] => Array.from(v.data.contiguous().data);
const f64 = (xs: number[]) => variable(tensor(xs, { dtype: 'float64' }));
const POINTS = [-6, -3.2, -1.5, -1, -0.3, 0, 1e-9, 0.25, 0.7, 1, 2.2, 4.5, 9];

function expectClose(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

describe('forward values (float64) against the definitions', () => {
  it("GELU: x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)) (PyTorch's approximate='none')", () => {
    const want = POINTS.map((x) => 0.5 * x * (1 + erfBySimpson(x / Math.SQRT2)));
    expectClose(values(F.gelu(f64(POINTS))), want);
    // Φ(1) = 0.8413447460685429 (the normal CDF at 1), so gelu(1) is that.
    expect(Math.abs(values(F.gelu(f64([1])))[0] - 0.8413447460685429)).toBeLessThan(1e-15);
  });

  it("GELU 'tanh': ½x(1 + tanh(√(2/π)(x + 0.044715x³)))", () => {
    const want = POINTS.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    expectClose(values(f64(POINTS).gelu('tanh')), want);
  });

  it('SiLU: x/(1 + e^−x)', () => {
    expectClose(
      values(F.silu(f64(POINTS))),
      POINTS.map((x) => x / (1 + Math.exp(-x))),
    );
  });

  it('Erf, Log1p, Expm1', () => {
    expectClose(values(F.erf(f64(POINTS))), POINTS.map(erfBySimpson));
    const small = [-0.5, -1e-10, 0, 1e-10, 3];
    expectClose(values(F.log1p(f64(small))), small.map(Math.log1p), 0);
    expectClose(values(F.expm1(f64(small))), small.map(Math.expm1), 0);
  });

  it('LogSumExp over each axis of a (2,3,2) array, and stable for ±1000', () => {
    const x = Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3);
    const at = (i: number, j: number, k: number) => x[i * 6 + j * 2 + k];
    const v = variable(tensor(x, { shape: [2, 3, 2], dtype: 'float64' }));
    const lse = (terms: number[]) => Math.log(terms.reduce((s, t) => s + Math.exp(t), 0));
    const over1: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) over1.push(lse([0, 1, 2].map((j) => at(i, j, k))));
    expectClose(values(v.logsumexp(1)), over1);
    expect(v.logsumexp(1, { keepdims: true }).shape).toEqual([2, 1, 2]);
    expectClose(values(F.logsumexp(v)), [lse(x)]);
    expectClose(values(F.logsumexp(f64([1000, 1000]))), [1000 + Math.log(2)]);
    expectClose(values(F.logsumexp(f64([-1000, -1000]))), [-1000 + Math.log(2)]);
  });

  it('Maximum and Minimum broadcast; at a tie each side gets dy/2 (PyTorch)', () => {
    const a = variable(tensor([[1, 5, 3]], { dtype: 'float64' }));
    const b = variable(tensor([[2], [3]], { dtype: 'float64' }));
    const y = F.maximum(a, b);
    expect(y.toArray()).toEqual([
      [2, 5, 3],
      [3, 5, 3],
    ]);
    y.sum().backward();
    expect(a.grad!.toArray()).toEqual([[0, 2, 1.5]]);
    expect(b.grad!.toArray()).toEqual([[1], [1.5]]);
    const [ga, gb] = grad((p: Variable, q: Variable) => F.minimum(p, q).sum(), [0, 1])(a.detach(), b.detach());
    expect(ga.toArray()).toEqual([[2, 0, 0.5]]);
    expect(gb.toArray()).toEqual([[2], [1.5]]); // row 2: a = 1 wins, 5 loses, 3 ties
  });
});

describe('bad input', () => {
  it("gelu's approximate must be 'none' or 'tanh'", () => {
    expect(() => F.gelu(f64([1]), 'erf' as 'none')).toThrow(ValueError);
    expect(() => F.gelu(f64([1]), 'erf' as 'none')).toThrow(/gelu: approximate must be 'none' or 'tanh', got "erf"/);
  });
  it('logsumexp names an axis out of range', () => {
    expect(() => F.logsumexp(f64([1, 2]), 3)).toThrow(/logsumexp/);
  });
  it('maximum names the shapes that do not broadcast', () => {
    expect(() => F.maximum(f64([1, 2]), f64([1, 2, 3]))).toThrow(/maximum.*\(2\).*\(3\)|maximum.*2.*3/);
  });
});

/**
 * Reductions over every axis subset (given as undefined, null, one axis, or a shuffled list with
 * negative axes), with and without keepdims, on ranks 0–4 and strided layouts, against a loop
 * that groups the input values of each output element.
 *
 * Tolerances (the kernels accumulate in float64 in memory order, the reference in row-major
 * order, so sums may differ in the last double bits and then round differently to float32):
 *   sum, prod, mean      float32: 1e-6 rel + 1e-6 abs   float64: 1e-12 rel + 1e-12 abs
 *   var, std, logsumexp  float32: 1e-5 rel + 1e-5 abs   float64: 1e-10 rel + 1e-10 abs
 *     (var works in float32 arithmetic for float32 inputs: mean, x − mean and its square round)
 *   int32/bool outputs and arg reductions: exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { IndexError, ShapeError } from '../src/errors.js';
import { tensor, zeros } from '../src/ops/creation.js';
import * as R from '../src/ops/reduce.js';
import {
  type Operand,
  type Ref,
  type Tolerance,
  DTYPES,
  castTo,
  check,
  expectTensor,
  operandArb,
  read,
  refReduce,
  shapeArb,
} from './reference.js';

const floatOf = (d: DType): DType => (d === 'float64' ? 'float64' : 'float32');
const tolerance =
  (loose: boolean) =>
  (d: DType): Tolerance =>
    d === 'float32'
      ? loose
        ? { rtol: 1e-5, atol: 1e-5 }
        : { rtol: 1e-6, atol: 1e-6 }
      : d === 'float64'
        ? loose
          ? { rtol: 1e-10, atol: 1e-10 }
          : { rtol: 1e-12, atol: 1e-12 }
        : { rtol: 0, atol: 0 };

const total = (g: number[]) => g.reduce((a, b) => a + b, 0);
const average = (g: number[]) => total(g) / g.length;
function varianceOf(g: number[], ddof: number): number {
  const m = average(g);
  return total(g.map((v) => (v - m) ** 2)) / Math.max(g.length - ddof, 0);
}

interface ReductionCase {
  name: string;
  fn: (x: Tensor, axis: R.AxisSpec, options: { keepdims?: boolean; ddof?: number }) => Tensor;
  dtype: (d: DType) => DType;
  ref: (group: number[], ddof: number) => number;
  tol: (d: DType) => Tolerance;
  /** No identity: an empty reduced axis must throw. */
  needsElements?: boolean;
}

const REDUCTIONS: ReductionCase[] = [
  { name: 'sum', fn: R.sum, dtype: (d) => (d === 'bool' ? 'int32' : d), ref: total, tol: tolerance(false) },
  {
    name: 'prod',
    fn: R.prod,
    dtype: (d) => (d === 'bool' ? 'int32' : d),
    ref: (g) => g.reduce((a, b) => a * b, 1),
    tol: tolerance(false),
  },
  { name: 'max', fn: R.max, dtype: (d) => d, ref: (g) => Math.max(...g), tol: tolerance(false), needsElements: true },
  { name: 'min', fn: R.min, dtype: (d) => d, ref: (g) => Math.min(...g), tol: tolerance(false), needsElements: true },
  { name: 'any', fn: R.any, dtype: () => 'bool', ref: (g) => +g.some((v) => v !== 0), tol: tolerance(false) },
  { name: 'all', fn: R.all, dtype: () => 'bool', ref: (g) => +g.every((v) => v !== 0), tol: tolerance(false) },
  { name: 'mean', fn: R.mean, dtype: floatOf, ref: average, tol: tolerance(false) },
  { name: 'var', fn: R.variance, dtype: floatOf, ref: varianceOf, tol: tolerance(true) },
  { name: 'std', fn: R.std, dtype: floatOf, ref: (g, ddof) => Math.sqrt(varianceOf(g, ddof)), tol: tolerance(true) },
  {
    name: 'logsumexp',
    fn: R.logsumexp,
    dtype: floatOf,
    tol: tolerance(true),
    needsElements: true,
    ref: (g) => {
      const m = Math.max(...g);
      return m + Math.log(total(g.map((v) => Math.exp(v - m))));
    },
  },
];

interface AxisChoice {
  /** What is passed to the op. */
  spec: R.AxisSpec;
  /** The reduced axes, sorted and non-negative. */
  axes: number[];
}

function axisArb(rank: number): fc.Arbitrary<AxisChoice> {
  const all = [...Array(rank).keys()];
  const listed = fc
    .tuple(fc.shuffledSubarray(all), fc.array(fc.boolean(), { minLength: rank, maxLength: rank }), fc.boolean())
    .map(([axes, negative, single]): AxisChoice => {
      const spec = axes.map((a) => (negative[a] ? a - rank : a));
      return { spec: single && spec.length === 1 ? spec[0] : spec, axes: [...axes].sort((a, b) => a - b) };
    });
  return fc.oneof(
    fc.constant<AxisChoice>({ spec: undefined, axes: all }),
    fc.constant<AxisChoice>({ spec: null, axes: all }),
    listed,
    listed,
  );
}

// Values in [-2, 2] keep products of up to 81 elements finite and int32 products exact in doubles.
const reductionArb = fc
  .record({ shape: shapeArb(0, 4, 3), dtype: fc.constantFrom(...DTYPES) })
  .chain(({ shape, dtype }) =>
    fc.record({
      x: operandArb(shape, dtype, { special: false, bound: 2, intBound: 2 }),
      axis: axisArb(shape.length),
      keepdims: fc.boolean(),
      ddof: fc.constantFrom(0, 1),
    }),
  );

describe('reductions over every axis subset', () => {
  for (const op of REDUCTIONS) {
    it(`${op.name} matches a reference loop (ranks 0–4, keepdims, strided inputs)`, () => {
      check(
        reductionArb,
        ({ x, axis, keepdims, ddof }) => {
          const empty = axis.axes.some((a) => x.ref.shape[a] === 0);
          const call = () => op.fn(x.tensor, axis.spec, { keepdims, ddof });
          if (op.needsElements && empty) {
            if (op.name === 'logsumexp') return; // SciPy gives −inf here; not specified for us
            expect(call).toThrow(ShapeError);
            return;
          }
          const dtype = op.dtype(x.tensor.dtype);
          const want = refReduce(x.ref, axis.axes, keepdims, (g) => castTo(dtype, op.ref(g, ddof)));
          expectTensor(
            call(),
            want,
            dtype,
            op.tol(dtype),
            `${op.name}(${x.tensor.dtype}, axis ${JSON.stringify(axis.spec)})`,
          );
        },
        120,
      );
    });
  }

  it('argmax / argmin over one axis or the flattened tensor: first index wins ties, NaN wins all', () => {
    const arb = fc.record({ shape: shapeArb(0, 4, 3), dtype: fc.constantFrom(...DTYPES) }).chain(({ shape, dtype }) =>
      fc.record({
        x: operandArb(shape, dtype, { bound: 2, intBound: 2 }),
        axis:
          shape.length === 0
            ? fc.constant(undefined)
            : fc.option(fc.integer({ min: -shape.length, max: shape.length - 1 }), { nil: undefined }),
        keepdims: fc.boolean(),
      }),
    );
    const firstBest = (better: (v: number, best: number) => boolean) => (g: number[]) => {
      const nanAt = g.findIndex(Number.isNaN);
      if (nanAt >= 0) return nanAt;
      let at = 0;
      g.forEach((v, i) => {
        if (better(v, g[at])) at = i;
      });
      return at;
    };
    check(
      arb,
      ({ x, axis, keepdims }) => {
        const rank = x.ref.shape.length;
        const flat: Ref = { shape: [x.ref.values.length], values: x.ref.values };
        const [source, axes] = axis === undefined ? [flat, [0]] : [x.ref, [axis < 0 ? axis + rank : axis]];
        for (const [name, fn, better] of [
          ['argmax', R.argmax, (v: number, b: number) => v > b],
          ['argmin', R.argmin, (v: number, b: number) => v < b],
        ] as const) {
          if (source.shape[axes[0]] === 0) {
            expect(() => fn(x.tensor, axis, { keepdims })).toThrow(ShapeError);
            continue;
          }
          let want = refReduce(source, axes, keepdims, firstBest(better));
          if (axis === undefined) want = { shape: keepdims ? x.ref.shape.map(() => 1) : [], values: want.values };
          expectTensor(fn(x.tensor, axis, { keepdims }), want, 'int32', undefined, `${name}(axis ${axis})`);
        }
      },
      150,
    );
  });
});

describe('reduction specifics', () => {
  it('max, min, argmax and argmin of an empty axis throw', () => {
    const x = zeros([0, 3]);
    expect(() => R.max(x)).toThrow(
      new ShapeError('max: cannot reduce over a zero-size axis of shape (0,3) (no identity for max)'),
    );
    expect(() => R.min(x, 0)).toThrow(ShapeError);
    expect(R.max(x, 1).shape).toEqual([0]); // the empty axis is not reduced
    expect(() => R.argmax(x, 0)).toThrow('argmax: cannot take argmax of an empty axis 0 of shape (0,3)');
    expect(() => R.argmin(x)).toThrow(ShapeError);
  });

  it('sum, prod, any and all of nothing are their identities; mean of nothing is NaN', () => {
    const x = zeros([2, 0]);
    expect(read(R.sum(x, 1))).toEqual([0, 0]);
    expect(read(R.prod(x, 1))).toEqual([1, 1]);
    expect(R.any(x, 1).toArray()).toEqual([false, false]);
    expect(R.all(x, 1).toArray()).toEqual([true, true]);
    expect(read(R.mean(x, 1))).toEqual([NaN, NaN]);
  });

  it('mean of int32 and bool returns float32; of float64 stays float64', () => {
    const m = R.mean(tensor([1, 2], { dtype: 'int32' }));
    expect([m.dtype, m.item()]).toEqual(['float32', 1.5]);
    expect(R.mean(tensor([true, false, false, false])).dtype).toBe('float32');
    expect(R.mean(tensor([true, false, false, false])).item()).toBe(0.25);
    expect(R.mean(tensor([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('var and std: ddof 0 by default, ddof 1 gives the sample variance', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(R.variance(x).item()).toBeCloseTo(1.25, 14);
    expect(R.variance(x, undefined, { ddof: 1 }).item()).toBeCloseTo(5 / 3, 14);
    expect(R.std(x, 0, { ddof: 1 }).item()).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(x.var().item()).toBeCloseTo(1.25, 14);
    const rows = tensor(
      [
        [1, 3],
        [2, 2],
      ],
      { dtype: 'int32' },
    );
    const v = R.variance(rows, 1, { keepdims: true, ddof: 1 });
    expect([v.dtype, v.shape, read(v)]).toEqual(['float32', [2, 1], [2, 0]]);
  });

  it('var is computed in two passes: large offsets do not cancel', () => {
    const x = tensor([1e8 + 1, 1e8 + 2, 1e8 + 3], { dtype: 'float64' });
    expect(R.variance(x).item()).toBeCloseTo(2 / 3, 8);
  });

  it('max and min propagate NaN; sum of ±Infinity is NaN', () => {
    expect(R.max(tensor([1, NaN, 3])).item()).toBeNaN();
    expect(R.min(tensor([NaN, 1])).item()).toBeNaN();
    expect(
      R.max(
        tensor([
          [1, NaN],
          [3, 4],
        ]),
        1,
      ).toArray(),
    ).toEqual([NaN, 4]);
    expect(R.sum(tensor([Infinity, -Infinity])).item()).toBeNaN();
  });

  it('any and all treat NaN as true (NumPy: np.any([nan]) and np.all([nan]) are True)', () => {
    expect(R.any(tensor([NaN, 0])).item()).toBe(1);
    expect(R.all(tensor([NaN, 1])).item()).toBe(1);
  });

  it('float32 sums are accumulated in float64 and rounded once', () => {
    // 2^24 + 1 + 1 + ... : a float32 accumulator would stay at 2^24.
    const values = [2 ** 24, ...Array(8).fill(1)];
    expect(R.sum(tensor(values)).item()).toBe(2 ** 24 + 8);
  });

  it('sum of bool counts the true elements as int32', () => {
    const s = R.sum(
      tensor([
        [true, false],
        [true, true],
      ]),
      0,
    );
    expect([s.dtype, read(s)]).toEqual(['int32', [2, 1]]);
  });

  it('reducing an axis out of range, or the same axis twice, throws an IndexError', () => {
    const x = zeros([2, 3]);
    expect(() => R.sum(x, 2)).toThrow(
      new IndexError('sum: axis 2 is out of range for a 2-d tensor (valid axes are -2..1)'),
    );
    expect(() => R.mean(x, [-3])).toThrow('mean: axis -3 is out of range for a 2-d tensor (valid axes are -2..1)');
    expect(() => R.sum(zeros([]), 0)).toThrow(
      'sum: axis 0 is out of range for a 0-d tensor (a 0-d tensor has no axes)',
    );
    expect(() => R.sum(x, [0, -2])).toThrow(new IndexError('sum: repeated axis in [0, -2]'));
    expect(() => R.argmax(x, 2)).toThrow(IndexError);
  });

  it('logsumexp does not overflow at 1000 and handles an all −Infinity row', () => {
    const x = tensor(
      [
        [1000, 1000],
        [-Infinity, -Infinity],
        [0, -1000],
      ],
      { dtype: 'float32' },
    );
    const out = R.logsumexp(x, 1);
    expect(out.shape).toEqual([3]);
    const [a, b, c] = read(out);
    expect(a).toBeCloseTo(1000 + Math.log(2), 3);
    expect(b).toBe(-Infinity);
    expect(c).toBeCloseTo(0, 6);
    expect(R.logsumexp(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('float32');
  });
});

describe('softmax and logSoftmax', () => {
  const rowsArb = fc
    .record({
      shape: shapeArb(1, 4, 4).filter((s) => s.every((d) => d > 0)),
      dtype: fc.constantFrom<DType>('float32', 'float64'),
    })
    .chain(({ shape, dtype }) =>
      fc.record({
        x: operandArb(shape, dtype, { special: false, bound: 50 }),
        axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
      }),
    );

  it('softmax rows are positive, sum to 1, and match exp(x − max)/Σ along any axis', () => {
    check(
      rowsArb,
      ({ x, axis }: { x: Operand; axis: number }) => {
        const rank = x.ref.shape.length;
        const a = axis < 0 ? axis + rank : axis;
        const s = R.softmax(x.tensor, axis);
        const tol = x.tensor.dtype === 'float32' ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 1e-12, atol: 1e-15 };
        expectTensor(
          R.sum(s, a),
          refReduce(x.ref, [a], false, () => 1),
          x.tensor.dtype,
          tol,
          'row sums',
        );
        // Each element against its own row, computed from scratch.
        const shape = x.ref.shape;
        const want = read(x.tensor).map((_, i) => {
          const idx = shape.map(() => 0);
          let rest = i;
          for (let d = rank - 1; d >= 0; d--) [idx[d], rest] = [rest % shape[d], Math.floor(rest / shape[d])];
          const row = Array.from({ length: shape[a] }, (_, k) => {
            const j = [...idx];
            j[a] = k;
            return x.ref.values[j.reduce((p, v, d) => p * shape[d] + v, 0)];
          });
          const m = Math.max(...row);
          return Math.exp(x.ref.values[i] - m) / total(row.map((v) => Math.exp(v - m)));
        });
        expectTensor(s, { shape: [...shape], values: want }, x.tensor.dtype, tol, 'softmax');
        const logs = R.logSoftmax(x.tensor, axis);
        const logTol = x.tensor.dtype === 'float32' ? { rtol: 1e-5, atol: 1e-4 } : { rtol: 1e-11, atol: 1e-11 };
        expectTensor(logs, { shape: [...shape], values: want.map(Math.log) }, x.tensor.dtype, logTol, 'logSoftmax');
      },
      100,
    );
  });

  it('softmax and logSoftmax do not overflow at ±1000', () => {
    const x = tensor([
      [1000, 1000],
      [1000, 0],
      [-1000, -1000],
    ]);
    expect(read(R.softmax(x))).toEqual([0.5, 0.5, 1, 0, 0.5, 0.5]);
    const logs = read(R.logSoftmax(x));
    expect(logs.every(Number.isFinite)).toBe(true);
    expect(logs[2]).toBe(0);
    expect(logs[3]).toBe(-1000);
    expect(logs[0]).toBeCloseTo(-Math.log(2), 3);
    expect(R.softmax(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('float32');
  });

  it('logSoftmax keeps float32 accuracy for large inputs (a few ulps of the exact answer)', () => {
    // Exact: log_softmax([1000, 1000]) = −log 2. Computing (x − max) − log Σ exp(x − max) gives
    // −0.6931472 in float32 (PyTorch does this); x − logsumexp(x) rounds 1000.6931 to float32
    // first (ulp 6e-5) and returns −0.6931763.
    const logs = read(R.logSoftmax(tensor([1000, 1000])));
    expect(Math.abs(logs[0] + Math.log(2))).toBeLessThan(1e-6);
  });

  it('the one-pass last-axis path agrees with the general one, ±∞ and NaN rows included', () => {
    const special = [NaN, Infinity, -Infinity, 1000, -1000, 0, 1.5, -2];
    check(
      fc.record({
        rows: fc.integer({ min: 1, max: 5 }),
        cols: fc.integer({ min: 1, max: 5 }),
        dtype: fc.constantFrom<DType>('float32', 'float64'),
        seed: fc.nat(),
      }),
      ({ rows, cols, dtype, seed }) => {
        const values = Array.from(
          { length: rows * cols },
          (_, i) => special[(seed + i * 7 + Math.floor(i / 3)) % special.length],
        );
        const x = tensor(values, { dtype }).reshape(rows, cols);
        // x.T is not contiguous, so softmax along its axis 0 takes the general path.
        for (const f of [R.softmax, R.logSoftmax]) {
          const fast = read(f(x, -1));
          const general = read(f(x.T, 0).T.contiguous());
          fast.forEach((v, i) =>
            Number.isNaN(general[i]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(general[i], 4),
          );
        }
      },
      100,
    );
  });

  it('softmaxWithLog gives logSoftmax and its exp, on both paths, ±∞ and NaN rows included', () => {
    const special = [NaN, Infinity, -Infinity, 1000, -1000, 0, 1.5, -2];
    check(
      fc.record({
        rows: fc.integer({ min: 1, max: 5 }),
        cols: fc.integer({ min: 1, max: 5 }),
        dtype: fc.constantFrom<DType>('float32', 'float64'),
        seed: fc.nat(),
      }),
      ({ rows, cols, dtype, seed }) => {
        const values = Array.from(
          { length: rows * cols },
          (_, i) => special[(seed + i * 5 + Math.floor(i / 2)) % special.length],
        );
        const x = tensor(values, { dtype }).reshape(rows, cols);
        for (const [input, axis] of [
          [x, -1],
          [x.T, 0],
        ] as const) {
          const { probabilities, logProbabilities } = R.softmaxWithLog(input, axis);
          const logs = R.logSoftmax(input, axis);
          expect(read(logProbabilities)).toEqual(read(logs));
          const want = read(logs).map(Math.exp);
          read(probabilities).forEach((p, i) =>
            Number.isNaN(want[i]) ? expect(p).toBeNaN() : expect(p).toBeCloseTo(want[i], dtype === 'float64' ? 12 : 6),
          );
          expect(probabilities.dtype).toBe(dtype);
        }
      },
      100,
    );
    expect(R.softmaxWithLog(tensor([1, 2], { dtype: 'int32' })).probabilities.dtype).toBe('float32');
    expect(() => R.softmaxWithLog(tensor([1, 2]), 1)).toThrow(/softmaxWithLog/);
  });

  it('softmax defaults to the last axis', () => {
    const x = tensor([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    expect(read(R.sum(x.softmax(), 1))).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)]);
    expect(x.softmax(0).shape).toEqual([2, 3]);
  });
});

/**
 * Unary ops against Math.*, dtype promotion rules, astype, logical ops, clip, allclose/equal.
 *
 * Tolerance: exact (after rounding the double result once to the output dtype) for every op whose
 * kernel evaluates the same IEEE formula; sigmoid, whose kernel uses exp(x)/(1+exp(x)) for x < 0
 * while the reference uses 1/(1+exp(−x)), allows 1e-6 relative in float32 and 1e-14 in float64.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { tensor, zeros } from '../src/ops/creation.js';
import * as ops from '../src/ops/elementwise.js';
import {
  DTYPES,
  type Tolerance,
  castTo,
  check,
  expectTensor,
  operandArb,
  read,
  refBinary,
  refMap,
  shapeArb,
  wrapInt32,
} from './reference.js';

const floatOf = (d: DType): DType => (d === 'float64' ? 'float64' : 'float32');
const numericOf = (d: DType): DType => (d === 'bool' ? 'int32' : d);

interface UnaryCase {
  name: string;
  fn: (x: Tensor) => Tensor;
  dtype: (d: DType) => DType;
  ref: (x: number) => number;
  /** Exact int32 result (wrapping like C) where the double formula is not enough. */
  int?: (x: bigint) => bigint;
  tol?: (d: DType) => Tolerance;
}

const UNARY: UnaryCase[] = [
  { name: 'neg', fn: ops.neg, dtype: numericOf, ref: (x) => -x, int: (x) => -x },
  { name: 'abs', fn: ops.abs, dtype: numericOf, ref: Math.abs, int: (x) => (x < 0n ? -x : x) },
  { name: 'sign', fn: ops.sign, dtype: numericOf, ref: Math.sign },
  { name: 'square', fn: ops.square, dtype: numericOf, ref: (x) => x * x, int: (x) => x * x },
  { name: 'exp', fn: ops.exp, dtype: floatOf, ref: Math.exp },
  { name: 'log', fn: ops.log, dtype: floatOf, ref: Math.log },
  { name: 'log1p', fn: ops.log1p, dtype: floatOf, ref: Math.log1p },
  { name: 'expm1', fn: ops.expm1, dtype: floatOf, ref: Math.expm1 },
  // erf against Simpson's rule on its integral (an independent formula, good to ~1e-12 here).
  {
    name: 'erf',
    fn: ops.erf,
    dtype: floatOf,
    ref: erfBySimpson,
    tol: (d) => (d === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-6, atol: 1e-7 }),
  },
  { name: 'sqrt', fn: ops.sqrt, dtype: floatOf, ref: Math.sqrt },
  { name: 'reciprocal', fn: ops.reciprocal, dtype: floatOf, ref: (x) => 1 / x },
  { name: 'sin', fn: ops.sin, dtype: floatOf, ref: Math.sin },
  { name: 'cos', fn: ops.cos, dtype: floatOf, ref: Math.cos },
  { name: 'tanh', fn: ops.tanh, dtype: floatOf, ref: Math.tanh },
  {
    name: 'sigmoid',
    fn: ops.sigmoid,
    dtype: floatOf,
    ref: (x) => 1 / (1 + Math.exp(-x)),
    tol: (d) => (d === 'float64' ? { rtol: 1e-14, atol: 1e-300 } : { rtol: 1e-6, atol: 1e-44 }),
  },
  {
    name: 'gelu',
    fn: (x) => ops.gelu(x),
    dtype: floatOf,
    // Past |x| = 8, Φ is 0 or 1 to double precision (the Simpson reference is not that exact);
    // gelu(−∞) = −∞·0 = NaN, the formula as written (PyTorch's too).
    ref: (x) => (x > 8 ? x : x < -8 ? (x === -Infinity ? NaN : 0) : 0.5 * x * (1 + erfBySimpson(x / Math.SQRT2))),
    tol: (d) => (d === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-6, atol: 1e-7 }),
  },
  {
    name: "gelu 'tanh'",
    fn: (x) => ops.gelu(x, 'tanh'),
    dtype: floatOf,
    ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    tol: (d) => (d === 'float64' ? { rtol: 1e-14, atol: 1e-300 } : { rtol: 1e-6, atol: 1e-44 }),
  },
  { name: 'relu', fn: ops.relu, dtype: numericOf, ref: (x) => (Number.isNaN(x) ? NaN : Math.max(x, 0)) },
  { name: 'step', fn: ops.step, dtype: numericOf, ref: (x) => (x > 0 ? 1 : 0) },
];

/** erf(x) = 2/√π ∫₀ˣ e^(−t²) dt by Simpson's rule (2000 panels over at most [0, 6]; erf(±∞) = ±1). */
function erfBySimpson(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const b = Math.min(Math.abs(x), 6);
  const n = 2000;
  const h = b / n;
  let s = 1 + Math.exp(-b * b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  const value = ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
  return x < 0 ? -value : value;
}

const unaryInputArb = fc
  .record({ shape: shapeArb(0, 4, 3), dtype: fc.constantFrom(...DTYPES) })
  .chain(({ shape, dtype }) => operandArb(shape, dtype, { intBound: 1000 }));

describe('unary ops', () => {
  for (const op of UNARY) {
    it(`${op.name} matches Math.* on every dtype and layout`, () => {
      check(
        unaryInputArb,
        ({ tensor: x, ref }) => {
          const dtype = op.dtype(x.dtype);
          const want = refMap(ref, (v) =>
            dtype === 'int32' && op.int ? wrapInt32(op.int(BigInt(v))) : castTo(dtype, op.ref(v)),
          );
          expectTensor(op.fn(x), want, dtype, op.tol?.(dtype), op.name);
        },
        100,
      );
    });
  }

  it('geluBackward is dy·(Φ(x) + x·φ(x)), and the derivative of the tanh form, in float64', () => {
    const xs = [-5, -2.5, -1, -0.2, 0, 0.3, 1, 2, 4.5];
    const dy = xs.map((_, i) => 1 + i / 4);
    const x = tensor(xs, { dtype: 'float64' });
    const g = tensor(dy, { dtype: 'float64' });
    const exact = xs.map(
      (v, i) =>
        dy[i] * (0.5 * (1 + erfBySimpson(v / Math.SQRT2)) + (v * Math.exp((-v * v) / 2)) / Math.sqrt(2 * Math.PI)),
    );
    const k = Math.sqrt(2 / Math.PI);
    const approx = xs.map((v, i) => {
      const t = Math.tanh(k * (v + 0.044715 * v ** 3));
      return dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v));
    });
    Array.from(ops.geluBackward(g, x).data).forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(1e-12));
    Array.from(ops.geluBackward(g, x, 'tanh').data).forEach((v, i) =>
      expect(Math.abs(v - approx[i])).toBeLessThan(1e-14),
    );
  });

  it('erf matches known values to a few ulps, is odd, and saturates to ±1 (NaN stays NaN)', () => {
    // Values of the C library's erf (Python's math.erf), the reference for double precision.
    const known: [number, number][] = [
      [0, 0],
      [1e-8, 1.1283791670955126e-8],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [2.999, 0.9999777698314002],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [4, 0.9999999845827421],
      [5, 0.9999999999984626],
      [6.5, 1],
    ];
    const x = tensor([...known.map(([v]) => v), ...known.map(([v]) => -v)], { dtype: 'float64' });
    const got = Array.from(ops.erf(x).data);
    known.forEach(([v, want], i) => {
      expect(Math.abs(got[i] - want), `erf(${v})`).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(want));
      expect(got[i + known.length], `erf(${-v})`).toBe(-got[i]);
    });
    expect(Array.from(ops.erf(tensor([Infinity, -Infinity, NaN], { dtype: 'float64' })).data)).toEqual([1, -1, NaN]);
  });

  it('log1p and expm1 keep tiny arguments exact where log(1 + x) and exp(x) − 1 lose them', () => {
    const x = tensor([1e-12, -1e-12], { dtype: 'float64' });
    expect(Array.from(ops.log1p(x).data)).toEqual([Math.log1p(1e-12), Math.log1p(-1e-12)]);
    // e^x − 1 = x + x²/2 + … ; exp(1e-12) − 1 would be off in the 4th digit.
    expect(Math.abs(ops.expm1(x).data[0] - (1e-12 + 5e-25))).toBeLessThan(1e-27);
    expect(Math.abs(ops.sub(ops.exp(x), 1).data[0] - 1e-12)).toBeGreaterThan(1e-17);
    expect(Math.abs(ops.log(ops.add(x, 1)).data[0] - 1e-12)).toBeGreaterThan(1e-17);
  });

  it('int32 neg, abs and square wrap around like C', () => {
    const x = tensor([2147483647, -2147483648, 46341, -46341, 65536], { dtype: 'int32' });
    const values = read(x);
    expect(read(ops.neg(x))).toEqual(values.map((v) => wrapInt32(-BigInt(v))));
    expect(read(ops.abs(x))).toEqual(values.map((v) => wrapInt32(BigInt(Math.abs(v)))));
    // 2147483647² = 2^62 − 2^32 + 1 ≡ 1 (mod 2^32); a double product loses these low bits.
    expect(read(ops.square(x))).toEqual(values.map((v) => wrapInt32(BigInt(v) * BigInt(v))));
  });

  it('sigmoid is stable at ±1000 and ±Infinity (no NaN), and NaN stays NaN', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const s = ops.sigmoid(tensor([-1000, 1000, -Infinity, Infinity, 0, NaN], { dtype }));
      expect(Array.from(s.data)).toEqual([0, 1, 0, 1, 0.5, NaN]);
    }
  });

  it('relu and maximum propagate NaN on either side', () => {
    const x = tensor([NaN, -1, 2]);
    expect(Array.from(ops.relu(x).data)).toEqual([NaN, 0, 2]);
    expect(Array.from(ops.maximum(x, 0).data)).toEqual([NaN, 0, 2]);
    expect(Array.from(ops.maximum(0, x).data)).toEqual([NaN, 0, 2]);
    expect(Array.from(ops.minimum(x, 0).data)).toEqual([NaN, -1, 0]);
    expect(Array.from(ops.minimum(tensor([1, 1, 1]), x).data)).toEqual([NaN, -1, 1]);
  });

  it('relu maps -0 and -Infinity to +0 and keeps Infinity; its gradient is 0 wherever x ≤ 0, even for an infinite dy', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([-0, -Infinity, Infinity, NaN, -3, 0.5], { dtype });
      const y = Array.from(ops.relu(x).data);
      expect(y).toEqual([0, 0, Infinity, NaN, 0, 0.5]);
      expect(Object.is(y[0], 0)).toBe(true);
      expect(Array.from(ops.step(x).data)).toEqual([0, 0, 1, 0, 0, 1]);
      const dy = tensor([Infinity, -Infinity, 2, 2, NaN, 7], { dtype });
      expect(Array.from(ops.reluBackward(dy, x).data)).toEqual([0, 0, 2, 0, 0, 7]);
    }
  });

  it('clip limits to [min, max], keeps NaN, and keeps int32 with integer bounds', () => {
    check(
      fc.tuple(
        fc
          .record({ shape: shapeArb(0, 3, 3), dtype: fc.constantFrom(...DTYPES) })
          .chain(({ shape, dtype }) => operandArb(shape, dtype)),
        fc.integer({ min: -6, max: 6 }),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
      ),
      ([{ tensor: x, ref }, low, width, fractional]) => {
        const [lo, hi] = fractional ? [low + 0.5, low + 0.5 + width] : [low, low + width];
        const dtype = x.dtype === 'float32' || x.dtype === 'float64' ? x.dtype : fractional ? 'float32' : 'int32';
        const clipped = refMap(ref, (v) => (Number.isNaN(v) ? NaN : Math.min(Math.max(v, lo), hi)));
        expectTensor(
          ops.clip(x, lo, hi),
          refMap(clipped, (v) => castTo(dtype, v)),
          dtype,
          undefined,
          'clip',
        );
      },
      100,
    );
    expect(() => ops.clip(tensor([1]), 2, 1)).toThrow('clip: need min <= max, got min=2, max=1');
  });
});

describe('dtype promotion', () => {
  const i32 = (values: number[]) => tensor(values, { dtype: 'int32' });
  const f32 = (values: number[]) => tensor(values, { dtype: 'float32' });
  const f64 = (values: number[]) => tensor(values, { dtype: 'float64' });
  const bool = (values: boolean[]) => tensor(values);

  it('tensor ⊕ tensor promotes bool < int32 < float32 < float64', () => {
    const samples: Record<DType, Tensor> = {
      bool: bool([true]),
      int32: i32([1]),
      float32: f32([1]),
      float64: f64([1]),
    };
    const order: DType[] = ['bool', 'int32', 'float32', 'float64'];
    for (const a of order) {
      for (const b of order) {
        const common = order[Math.max(order.indexOf(a), order.indexOf(b))];
        expect(ops.add(samples[a], samples[b]).dtype, `${a}+${b}`).toBe(common === 'bool' ? 'int32' : common);
        expect(ops.maximum(samples[a], samples[b]).dtype, `maximum(${a},${b})`).toBe(common);
        expect(ops.div(samples[a], samples[b]).dtype, `${a}/${b}`).toBe(common === 'float64' ? 'float64' : 'float32');
        expect(ops.lt(samples[a], samples[b]).dtype, `${a}<${b}`).toBe('bool');
      }
    }
  });

  it('int32 + float32 → float32; int32 * int32 stays int32 and wraps like C', () => {
    const sum = ops.add(i32([1, 2]), f32([0.5, 0.25]));
    expect(sum.dtype).toBe('float32');
    expect(read(sum)).toEqual([1.5, 2.25]);
    const product = ops.mul(i32([65536, 46341, 2147483647, -2147483648]), i32([65536, 46341, 2147483647, -1]));
    expect(product.dtype).toBe('int32');
    // 2^32 ≡ 0; 46341² = 2147488281 ≡ −2147479015; (2^31−1)² ≡ 1; −2^31 · −1 ≡ −2^31.
    expect(read(product)).toEqual([0, -2147479015, 1, -2147483648]);
    expect(read(ops.add(i32([2147483647]), i32([1])))).toEqual([-2147483648]);
    expect(read(ops.sub(i32([-2147483648]), 1))).toEqual([2147483647]);
  });

  it('division of integers is true division in float32', () => {
    const q = ops.div(i32([1, 7, -7, 1]), i32([2, 2, 2, 0]));
    expect(q.dtype).toBe('float32');
    expect(read(q)).toEqual([0.5, 3.5, -3.5, Infinity]);
    expect(ops.div(bool([true]), bool([true])).dtype).toBe('float32');
    expect(ops.div(i32([1]), 2).dtype).toBe('float32');
  });

  it('plain numbers are weak: they keep the tensor dtype unless a fraction meets an integer tensor', () => {
    expect(ops.mul(i32([3]), 2).dtype).toBe('int32');
    expect(read(ops.mul(i32([3]), 2))).toEqual([6]);
    expect(ops.mul(2, i32([3])).dtype).toBe('int32');
    const half = ops.mul(i32([3]), 0.5);
    expect(half.dtype).toBe('float32');
    expect(read(half)).toEqual([1.5]);
    expect(ops.add(f32([1]), 1e-300).dtype).toBe('float32'); // the number is cast to float32 (→ 0)
    expect(read(ops.add(f32([1]), 1e-300))).toEqual([1]);
    expect(ops.add(f64([1]), 1.5).dtype).toBe('float64');
    expect(ops.add(i32([1]), Infinity).dtype).toBe('float32');
    expect(ops.add(bool([true]), 1).dtype).toBe('int32');
    expect(read(ops.add(bool([true]), 1))).toEqual([2]);
    expect(ops.maximum(bool([false]), 1).dtype).toBe('bool');
    expect(ops.maximum(bool([false]), 2).dtype).toBe('int32');
    expect(ops.mul(bool([true]), 0.5).dtype).toBe('float32');
    // A 0-d tensor is not weak.
    expect(ops.mul(i32([3]), tensor(2, { dtype: 'float64' })).dtype).toBe('float64');
    // Two numbers give a float32 0-d tensor.
    const both = ops.add(1, 2);
    expect([both.dtype, both.shape, both.item()]).toEqual(['float32', [], 3]);
  });

  it('comparisons against a number compare in the promoted dtype', () => {
    expect(read(ops.lt(i32([1, 2, 3]), 2.5))).toEqual([1, 1, 0]);
    expect(read(ops.eq(f32([0.1]), 0.1))).toEqual([1]); // 0.1 rounded to float32 on both sides
    expect(read(ops.ne(f32([NaN]), NaN))).toEqual([1]);
    expect(read(ops.eq(f32([NaN]), NaN))).toEqual([0]);
  });

  it('unary math on int32 and bool gives float32; on float64 stays float64', () => {
    expect(ops.exp(i32([0])).dtype).toBe('float32');
    expect(ops.sqrt(bool([true])).dtype).toBe('float32');
    expect(ops.tanh(f64([0])).dtype).toBe('float64');
    expect(ops.neg(bool([true])).dtype).toBe('int32');
    expect(read(ops.neg(bool([true])))).toEqual([-1]);
    expect(ops.abs(i32([-3])).dtype).toBe('int32');
  });
});

describe('astype', () => {
  it('float → int32 truncates toward zero, NaN → 0', () => {
    const x = tensor([1.7, -1.7, 2.5, -0.5, 0, 123456.9, NaN]);
    const i = x.astype('int32');
    expect(i.dtype).toBe('int32');
    expect(read(i)).toEqual([1, -1, 2, 0, 0, 123456, 0]);
  });

  it('anything → bool tests !== 0 (NaN and −0 included, as NumPy)', () => {
    const b = tensor([0, -0, 0.5, -2, NaN, Infinity], { dtype: 'float64' }).astype('bool');
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([false, false, true, true, true, true]);
    expect(tensor([0, 7, -1], { dtype: 'int32' }).astype('bool').toArray()).toEqual([false, true, true]);
  });

  it('matches a cast of every element for every pair of dtypes and layouts', () => {
    const arb = fc
      .record({ shape: shapeArb(0, 3, 3), from: fc.constantFrom(...DTYPES), to: fc.constantFrom(...DTYPES) })
      .chain(({ shape, from, to }) =>
        fc.tuple(operandArb(shape, from, { special: to !== 'int32', intExtremes: true }), fc.constant(to)),
      );
    check(
      arb,
      ([{ tensor: x, ref }, to]) => {
        const y = x.astype(to);
        expectTensor(
          y,
          refMap(ref, (v) => castTo(to, v)),
          to,
          undefined,
          `${x.dtype}→${to}`,
        );
        expect(y.data).not.toBe(x.data);
        expect(y.isContiguous).toBe(true);
      },
      100,
    );
  });

  it('bool → float and int → float are exact', () => {
    expect(read(tensor([true, false]).astype('float32'))).toEqual([1, 0]);
    expect(read(tensor([2147483647], { dtype: 'int32' }).astype('float64'))).toEqual([2147483647]);
  });
});

describe('logical ops', () => {
  const arb = fc
    .record({ shape: fc.constant([5]), da: fc.constantFrom(...DTYPES), db: fc.constantFrom(...DTYPES) })
    .chain(({ shape, da, db }) =>
      fc.tuple(operandArb(shape, da, { special: false }), operandArb(shape, db, { special: false })),
    );

  it('logicalAnd / logicalOr / logicalNot read any dtype as bool', () => {
    check(
      arb,
      ([a, b]) => {
        const t = (v: number) => v !== 0;
        expectTensor(
          ops.logicalAnd(a.tensor, b.tensor),
          refBinary(a.ref, b.ref, (x, y) => +(t(x) && t(y))),
          'bool',
        );
        expectTensor(
          ops.logicalOr(a.tensor, b.tensor),
          refBinary(a.ref, b.ref, (x, y) => +(t(x) || t(y))),
          'bool',
        );
        expectTensor(
          ops.logicalNot(a.tensor),
          refMap(a.ref, (x) => +!t(x)),
          'bool',
        );
      },
      50,
    );
  });

  it('NaN counts as true, as in NumPy (logical_and(nan, 1) is True)', () => {
    const x = tensor([NaN, 0]);
    expect(ops.logicalNot(x).toArray()).toEqual([false, true]);
    expect(ops.logicalAnd(x, 1).toArray()).toEqual([true, false]);
    expect(ops.logicalOr(x, 0).toArray()).toEqual([true, false]);
  });
});

describe('allclose and equal', () => {
  it('allclose follows NumPy: |a − b| ≤ atol + rtol·|b| with broadcasting', () => {
    expect(ops.allclose(tensor([1, 2]), tensor([1, 2 + 1e-6]))).toBe(true);
    expect(ops.allclose(tensor([1, 2]), tensor([1, 2.001]))).toBe(false);
    expect(
      ops.allclose(
        tensor([
          [1, 1],
          [1, 1],
        ]),
        1,
      ),
    ).toBe(true);
    expect(ops.allclose(tensor([1e-9]), 0)).toBe(true); // atol 1e-8
    expect(ops.allclose(tensor([1e-7]), 0)).toBe(false);
    expect(ops.allclose(tensor([100]), tensor([100.5]), { rtol: 0.01 })).toBe(true);
    expect(ops.allclose(tensor([1]), tensor([1.5]), { atol: 0.5, rtol: 0 })).toBe(true);
    expect(() => ops.allclose(zeros([2]), zeros([3]))).toThrow('allclose: cannot broadcast (2) with (3)');
  });

  it('allclose treats NaN as unequal unless equalNan, and infinities as equal only to themselves', () => {
    expect(ops.allclose(tensor([NaN]), tensor([NaN]))).toBe(false);
    expect(ops.allclose(tensor([NaN]), tensor([NaN]), { equalNan: true })).toBe(true);
    expect(ops.allclose(tensor([NaN]), tensor([1]), { equalNan: true })).toBe(false);
    expect(ops.allclose(tensor([Infinity]), tensor([Infinity]))).toBe(true);
    expect(ops.allclose(tensor([Infinity]), tensor([1]))).toBe(false);
    // NumPy: np.allclose(1, np.inf) and np.allclose(np.inf, -np.inf) are both False.
    expect(ops.allclose(tensor([1]), tensor([Infinity]))).toBe(false);
    expect(ops.allclose(tensor([Infinity]), tensor([-Infinity]))).toBe(false);
  });

  it('equal needs the same shape and values, reading through strides', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      ops.arrayEqual(
        x,
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toBe(true);
    expect(ops.arrayEqual(x, tensor([1, 2, 3, 4]))).toBe(false);
    expect(
      ops.arrayEqual(
        x.T,
        tensor([
          [1, 3],
          [2, 4],
        ]),
      ),
    ).toBe(true);
    expect(
      ops.arrayEqual(
        x,
        tensor([
          [1, 2],
          [3, 5],
        ]),
      ),
    ).toBe(false);
    expect(ops.arrayEqual(tensor([NaN]), tensor([NaN]))).toBe(false);
    expect(x.equal(x.clone())).toBe(true);
    expect(x.allclose(x.add(1e-7))).toBe(true);
  });
});

/**
 * matmul / dot / outer against the textbook triple loop (reference.ts refMatmul), with NumPy's
 * 1-d rules, broadcast batch dimensions, strided operands (permuted, reversed, gapped, offset),
 * every dtype pair, and sizes that reach the blocked GEMM path (M > 96, K > 256, N > NC panels).
 *
 * Tolerances: products are summed in float64 in a different order from the reference, then
 * rounded once — float32 results 1e-6 relative + 1e-6·(Σ|a·b|) absolute, float64 1e-12 the same
 * way; int32 results (small integer inputs) exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { ShapeError } from '../src/errors.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';
import { dot, matmul, outer } from '../src/ops/matmul.js';
import {
  type Operand,
  type Ref,
  DTYPES,
  broadcastTupleArb,
  castTo,
  check,
  dimArb,
  makeTensor,
  near,
  operandArb,
  read,
  refBinary,
  refMatmul,
  layoutArb,
} from './reference.js';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const resultType = (a: DType, b: DType): DType => {
  const d = RANK[a] >= RANK[b] ? a : b;
  return d === 'bool' ? 'int32' : d;
};

/** Asserts a matmul result against the reference, with a tolerance scaled by Σ|a·b|. */
function expectProduct(got: Tensor, a: Ref, b: Ref, dtype: DType): void {
  const want = refMatmul(a, b);
  const scale = refMatmul({ ...a, values: a.values.map(Math.abs) }, { ...b, values: b.values.map(Math.abs) });
  expect([...got.shape]).toEqual(want.shape);
  expect(got.dtype).toBe(dtype);
  const rtol = dtype === 'float32' ? 1e-6 : dtype === 'float64' ? 1e-12 : 0;
  const values = read(got);
  values.forEach((v, i) => {
    const w = castTo(dtype, want.values[i]);
    if (!near(v, w, rtol, rtol * scale.values[i]))
      expect.fail(`element ${i}: got ${v}, want ${w} (shape ${want.shape})`);
  });
}

const sizeArb = fc.integer({ min: 0, max: 4 });

/** Shapes for matmul: batch dims that broadcast, and optionally a 1-d operand on either side. */
const matmulShapesArb = fc
  .record({
    batch: broadcastTupleArb(2, 2, 3),
    m: sizeArb,
    k: sizeArb,
    n: sizeArb,
    vecA: fc.boolean(),
    vecB: fc.boolean(),
  })
  .map(({ batch: [ba, bb], m, k, n, vecA, vecB }) => {
    // A 1-d operand has no batch dims.
    const a = vecA ? [k] : [...ba, m, k];
    const b = vecB ? [k] : [...bb, k, n];
    return { a, b };
  });

const matmulArb = fc
  .record({ shapes: matmulShapesArb, da: fc.constantFrom(...DTYPES), db: fc.constantFrom(...DTYPES) })
  .chain(({ shapes, da, db }) => {
    const options = { special: false, bound: 4, intBound: 9 };
    return fc.tuple(operandArb(shapes.a, da, options), operandArb(shapes.b, db, options));
  });

describe('matmul', () => {
  it('matches the triple loop for 1-d/2-d/batched shapes, every dtype pair and strided operands', () => {
    check(
      matmulArb,
      ([a, b]: [Operand, Operand]) => {
        expectProduct(matmul(a.tensor, b.tensor), a.ref, b.ref, resultType(a.tensor.dtype, b.tensor.dtype));
      },
      200,
    );
  });

  it('1-d · 1-d is the inner product (0-d); 1-d operands are dropped from the shape', () => {
    const v = tensor([1, 2, 3], { dtype: 'float64' });
    const m = arange(6, undefined, undefined, { dtype: 'float64' }).reshape(3, 2);
    expect(matmul(v, v).shape).toEqual([]);
    expect(matmul(v, v).item()).toBe(14);
    expect(matmul(v, m).toArray()).toEqual([16, 22]);
    expect(matmul(m.T, v).toArray()).toEqual([16, 22]);
    expect(matmul(zeros([4, 2, 3]), v).shape).toEqual([4, 2]);
    expect(matmul(v, zeros([4, 3, 5])).shape).toEqual([4, 5]);
    expect(matmul(zeros([0]), zeros([0])).item()).toBe(0);
  });

  it('broadcasts batch dimensions', () => {
    expect(matmul(zeros([2, 1, 3, 4]), zeros([5, 4, 6])).shape).toEqual([2, 5, 3, 6]);
    expect(matmul(zeros([3, 4]), zeros([7, 4, 2])).shape).toEqual([7, 3, 2]);
    expect(matmul(zeros([0, 3, 4]), zeros([4, 2])).shape).toEqual([0, 3, 2]);
    expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(
      new ShapeError('matmul: batch dimensions (2) and (3) do not broadcast: (2,3,4) @ (3,4,5)'),
    );
  });

  it('K = 0 gives zeros', () => {
    expect(read(matmul(zeros([2, 0]), zeros([0, 3])))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('dtypes: float32 stays float32, mixed floats give float64, int32 and bool give int32', () => {
    const f32 = zeros([2, 2]);
    const f64 = zeros([2, 2], { dtype: 'float64' });
    const i32 = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    expect(matmul(f32, f32).dtype).toBe('float32');
    expect(matmul(f32, f64).dtype).toBe('float64');
    expect(matmul(i32, f32).dtype).toBe('float32');
    const ii = matmul(i32, i32);
    expect([ii.dtype, ii.toArray()]).toEqual([
      'int32',
      [
        [7, 10],
        [15, 22],
      ],
    ]);
    expect(matmul(tensor([[true, true]]), tensor([[true], [true]])).dtype).toBe('int32');
  });

  it('float32 products are summed in double precision and rounded once', () => {
    // 1 + 2^-24·k: a float32 running sum would lose every small term.
    const n = 300;
    const a = tensor(new Float32Array(n).fill(1), { shape: [1, n] });
    const b = tensor(
      Float32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 2 ** -24)),
      { shape: [n, 1] },
    );
    expect(matmul(a, b).item()).toBe(Math.fround(1 + 299 * 2 ** -24));
  });

  describe('large sizes (blocked kernel) with strided operands', () => {
    const cases: [string, number, number, number, DType][] = [
      ['crosses MC=96 and KC=256 panels', 100, 260, 7, 'float64'],
      ['crosses the NC=512 column panel', 5, 40, 515, 'float32'],
      ['large K shrinks the column panel', 2, 4000, 270, 'float64'],
      ['sizes not multiples of the 3×3 micro-tile', 31, 29, 17, 'float32'],
    ];
    for (const [label, m, k, n, dtype] of cases) {
      it(`${label}: (${m},${k}) @ (${k},${n}) ${dtype}`, () => {
        check(
          fc.tuple(layoutArb(2), layoutArb(2), fc.integer()),
          ([la, lb, s]) => {
            const values = (count: number, salt: number) =>
              Array.from({ length: count }, (_, i) => (((i * 7919 + salt * 104729 + s) % 17) - 8) / 4);
            const ra: Ref = { shape: [m, k], values: values(m * k, 1).map((v) => castTo(dtype, v)) };
            const rb: Ref = { shape: [k, n], values: values(k * n, 2).map((v) => castTo(dtype, v)) };
            expectProduct(
              matmul(makeTensor(dtype, ra.shape, ra.values, la), makeTensor(dtype, rb.shape, rb.values, lb)),
              ra,
              rb,
              dtype,
            );
          },
          k * n > 100_000 ? 1 : 3,
        );
      });
    }

    it('a batch of rows times one matrix broadcast over the batch (stride 0, transposed too): merged rows', () => {
      const x = arange(4 * 2 * 30, undefined, undefined, { dtype: 'float64' })
        .reshape(4, 2, 30)
        .mul(0.01);
      const w = arange(30 * 7, undefined, undefined, { dtype: 'float64' }).reshape(30, 7);
      for (const shared of [
        w.reshape(1, 30, 7).broadcastTo([4, 30, 7]),
        w.T.reshape(1, 7, 30).broadcastTo([4, 7, 30]).swapaxes(-1, -2),
        w.reshape(1, 1, 30, 7),
      ]) {
        expectProduct(
          matmul(x, shared),
          { shape: [...x.shape], values: read(x) },
          { shape: [...shared.shape], values: read(shared) },
          'float64',
        );
      }
      // x broadcast against a batch of w: not merged (x's rows do not cover the batch).
      const one = x.slice('0:1');
      const ws = w.reshape(1, 30, 7).broadcastTo([4, 30, 7]);
      expectProduct(
        matmul(one, ws),
        { shape: [...one.shape], values: read(one) },
        { shape: [...ws.shape], values: read(ws) },
        'float64',
      );
    });

    it('a batch of contiguous matrices times one matrix (the merged-rows path), with offsets', () => {
      const x = arange(2 * 3 * 40 * 50, undefined, undefined, { dtype: 'float64' })
        .reshape(2, 3, 40, 50)
        .slice(1); // offset ≠ 0
      const w = arange(50 * 30, undefined, undefined, { dtype: 'float64' })
        .reshape(50, 30)
        .mul(0.001);
      expect(x.isContiguous).toBe(true);
      expectProduct(
        matmul(x, w),
        { shape: [...x.shape], values: read(x) },
        { shape: [...w.shape], values: read(w) },
        'float64',
      );
      const xT = x.swapaxes(-1, -2).swapaxes(-1, -2).slice('...', '::-1', ':');
      expectProduct(
        matmul(xT, w),
        { shape: [...xT.shape], values: read(xT) },
        { shape: [...w.shape], values: read(w) },
        'float64',
      );
    });
  });

  it('error messages name both shapes', () => {
    expect(() => matmul(zeros([10, 2]), zeros([3, 4]))).toThrow(
      new ShapeError('matmul: (10,2) @ (3,4): inner dimensions 2 and 3 differ'),
    );
    expect(() => matmul(zeros([3]), zeros([4]))).toThrow('matmul: (3) @ (4): inner dimensions 3 and 4 differ');
    expect(() => matmul(zeros([]), zeros([3]))).toThrow(
      'matmul: () @ (3): operands must have at least 1 dimension (use mul for scalars)',
    );
  });
});

describe('dot and outer', () => {
  it('dot: scalars multiply, vectors give the inner product, matrices multiply', () => {
    const v = tensor([1, 2, 3]);
    expect(dot(v, v).item()).toBe(14);
    expect(read(dot(tensor(2), v))).toEqual([2, 4, 6]);
    expect(
      dot(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([[5], [6]]),
      ).toArray(),
    ).toEqual([[17], [39]]);
    expect(dot(zeros([2, 3, 4]), zeros([4])).shape).toEqual([2, 3]);
    expect(() => dot(zeros([2, 3, 4]), zeros([4, 5]))).toThrow(ShapeError);
    expect(v.dot(v).item()).toBe(14);
  });

  it('outer(a, b)[i, j] = a[i]·b[j] on the flattened inputs', () => {
    check(
      fc
        .record({
          sa: fc.array(dimArb(3), { maxLength: 2 }),
          sb: fc.array(dimArb(3), { maxLength: 2 }),
          dtype: fc.constantFrom<DType>('float32', 'float64', 'int32'),
        })
        .chain(({ sa, sb, dtype }) =>
          fc.tuple(operandArb(sa, dtype, { special: false }), operandArb(sb, dtype, { special: false })),
        ),
      ([a, b]) => {
        const col: Ref = { shape: [a.ref.values.length, 1], values: a.ref.values };
        const row: Ref = { shape: [1, b.ref.values.length], values: b.ref.values };
        const want = refBinary(col, row, (x, y) => castTo(a.tensor.dtype, x * y));
        const got = outer(a.tensor, b.tensor);
        expect([...got.shape]).toEqual(want.shape);
        expect(read(got)).toEqual(want.values);
      },
      100,
    );
  });
});

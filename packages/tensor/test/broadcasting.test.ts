/**
 * Binary ops, comparisons and `where` against a naive broadcasting loop, on random
 * broadcast-compatible shapes (ranks 0–4, sizes 0–3), random dtypes, strided operands
 * (permuted axes, negative strides, gaps, offsets) and plain-number operands.
 *
 * Tolerance: none. Every op computes in double precision and rounds once to the result dtype,
 * so the reference (the same IEEE operation on the same inputs, rounded once with Math.fround or
 * wrapped to int32 via BigInt) must agree exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { ShapeError } from '../src/errors.js';
import * as ops from '../src/ops/elementwise.js';
import { zeros } from '../src/ops/creation.js';
import {
  type Operand,
  type Ref,
  DTYPES,
  broadcastTupleArb,
  castTo,
  check,
  expectTensor,
  operandArb,
  refBinary,
  wrapInt32,
} from './reference.js';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);

/** The dtype a plain number takes next to a tensor of `dtype` (numbers are weak). */
function scalarType(dtype: DType, v: number): DType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  if (!Number.isInteger(v)) return 'float32';
  return dtype === 'bool' && v !== 0 && v !== 1 ? 'int32' : dtype;
}

type Kind = 'numeric' | 'float' | 'promote' | 'bool';

function resultType(kind: Kind, common: DType): DType {
  if (kind === 'bool') return 'bool';
  if (kind === 'float') return common === 'float64' ? 'float64' : 'float32';
  if (kind === 'numeric' && common === 'bool') return 'int32';
  return common;
}

interface BinaryCase {
  name: string;
  fn: (a: Tensor | number, b: Tensor | number) => Tensor;
  kind: Kind;
  /** Exact result for int32 outputs; undefined to use the float formula (then wrapped). */
  int?: (x: bigint, y: bigint) => bigint;
  float: (x: number, y: number) => number;
}

const nan = (x: number, y: number) => Number.isNaN(x) || Number.isNaN(y);
const bit = (b: boolean) => (b ? 1 : 0);

const BINARY: BinaryCase[] = [
  { name: 'add', fn: ops.add, kind: 'numeric', int: (x, y) => x + y, float: (x, y) => x + y },
  { name: 'sub', fn: ops.sub, kind: 'numeric', int: (x, y) => x - y, float: (x, y) => x - y },
  { name: 'mul', fn: ops.mul, kind: 'numeric', int: (x, y) => x * y, float: (x, y) => x * y },
  { name: 'div', fn: ops.div, kind: 'float', float: (x, y) => x / y },
  { name: 'pow', fn: ops.pow, kind: 'numeric', float: (x, y) => x ** y },
  { name: 'maximum', fn: ops.maximum, kind: 'promote', float: (x, y) => (nan(x, y) ? NaN : Math.max(x, y)) },
  { name: 'minimum', fn: ops.minimum, kind: 'promote', float: (x, y) => (nan(x, y) ? NaN : Math.min(x, y)) },
  { name: 'eq', fn: ops.eq, kind: 'bool', float: (x, y) => bit(x === y) },
  { name: 'ne', fn: ops.ne, kind: 'bool', float: (x, y) => bit(!(x === y)) },
  { name: 'lt', fn: ops.lt, kind: 'bool', float: (x, y) => bit(x < y) },
  { name: 'le', fn: ops.le, kind: 'bool', float: (x, y) => bit(x <= y) },
  { name: 'gt', fn: ops.gt, kind: 'bool', float: (x, y) => bit(x > y) },
  { name: 'ge', fn: ops.ge, kind: 'bool', float: (x, y) => bit(x >= y) },
  { name: 'reluBackward', fn: ops.reluBackward, kind: 'numeric', float: (x, y) => (y > 0 ? x : 0) },
  { name: 'sigmoidBackward', fn: ops.sigmoidBackward, kind: 'float', float: (x, y) => x * y * (1 - y) },
];

/** An operand as the test sees it: a tensor with its reference, or a plain number. */
type Side = { operand: Operand } | { scalar: number };

const dtypeArb = fc.constantFrom(...DTYPES);

/** A plain number to pair with a tensor of `dtype`: its own kind of value, or a fraction. */
function scalarArb(dtype: DType): fc.Arbitrary<number> {
  const own =
    dtype === 'bool'
      ? fc.constantFrom(0, 1, 2, -3)
      : dtype === 'int32'
        ? fc.integer({ min: -20, max: 20 })
        : fc.double({ min: -10, max: 10, noNaN: true });
  return fc.oneof(own, fc.constantFrom(0.5, -2.25, NaN, Infinity));
}

const binaryCaseArb = fc
  .record({
    shapes: broadcastTupleArb(2),
    da: dtypeArb,
    db: dtypeArb,
    scalar: fc.constantFrom('none', 'none', 'none', 'left', 'right'),
  })
  .chain(({ shapes: [sa, sb], da, db, scalar }) => {
    // Int32 extremes only when both sides are int32, so mixed int/float results are exact in float32.
    const extremes = da === 'int32' && db === 'int32';
    const options = { intExtremes: extremes };
    const left: fc.Arbitrary<Side> =
      scalar === 'left'
        ? scalarArb(db).map((scalar) => ({ scalar }))
        : operandArb(sa, da, options).map((operand) => ({ operand }));
    const right: fc.Arbitrary<Side> =
      scalar === 'right'
        ? scalarArb(da).map((scalar) => ({ scalar }))
        : operandArb(sb, db, options).map((operand) => ({ operand }));
    return fc.tuple(left, right);
  });

function value(side: Side): Tensor | number {
  return 'scalar' in side ? side.scalar : side.operand.tensor;
}

/** The common dtype of two operands and each one's reference, numbers cast to that dtype. */
function prepare(a: Side, b: Side): { common: DType; ra: Ref; rb: Ref } {
  let common: DType;
  if ('operand' in a && 'operand' in b) common = promote(a.operand.tensor.dtype, b.operand.tensor.dtype);
  else if ('operand' in a) common = scalarType(a.operand.tensor.dtype, (b as { scalar: number }).scalar);
  else common = scalarType((b as { operand: Operand }).operand.tensor.dtype, a.scalar);
  const ref = (side: Side): Ref =>
    'operand' in side ? side.operand.ref : { shape: [], values: [castTo(common, side.scalar)] };
  return { common, ra: ref(a), rb: ref(b) };
}

function expected(op: BinaryCase, dtype: DType, ra: Ref, rb: Ref): Ref {
  return refBinary(ra, rb, (x, y) => {
    if (dtype === 'int32' && op.int) return wrapInt32(op.int(BigInt(x), BigInt(y)));
    return castTo(dtype, op.float(x, y));
  });
}

describe('binary ops with broadcasting', () => {
  for (const op of BINARY) {
    it(`${op.name} matches a naive broadcasting loop (dtypes, strides, numbers)`, () => {
      check(
        binaryCaseArb,
        ([a, b]) => {
          const { common, ra, rb } = prepare(a, b);
          const dtype = resultType(op.kind, common);
          // Integer powers past 2^53 are not exact in doubles; they are tested separately below.
          if (op.name === 'pow' && dtype === 'int32') return;
          const out = op.fn(value(a), value(b));
          expectTensor(out, expected(op, dtype, ra, rb), dtype, undefined, op.name);
          expect(out.isContiguous).toBe(true);
        },
        120,
      );
    });
  }

  it('pow of int32 tensors is exact while the result fits', () => {
    check(
      fc.tuple(
        fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 6 }),
      ),
      ([xs, e]) => {
        const x = new Tensor(Int32Array.from(xs), [xs.length]);
        const out = ops.pow(x, e);
        expect(out.dtype).toBe('int32');
        expect(Array.from(out.data)).toEqual(xs.map((v) => Number(BigInt(v) ** BigInt(e))));
      },
      50,
    );
  });

  it('int32 pow wraps like repeated int32 multiplication (C, NumPy) past 2^53', () => {
    // 3^40 and 7^20 exceed 2^53, so Math.pow rounds before the int32 wrap and the low bits are lost.
    const x = new Tensor(Int32Array.from([3, 7, -3]), [3]);
    const e = new Tensor(Int32Array.from([40, 20, 39]), [3]);
    expect(Array.from(ops.pow(x, e).data)).toEqual([
      wrapInt32(3n ** 40n),
      wrapInt32(7n ** 20n),
      wrapInt32((-3n) ** 39n),
    ]);
  });

  it('operands made with .T, negative-step slices and broadcastTo views', () => {
    const base = new Tensor(
      Float64Array.from({ length: 12 }, (_, i) => i * 1.5),
      [3, 4],
    );
    const t = base.T; // (4,3), strides (1,4)
    const r = base.slice('::-1', '::-2'); // (3,2), strides (-4,-2)
    const b = base.slice(0, '0:3').broadcastTo([4, 3]); // stride 0 rows
    const read2 = (x: Tensor) => x.toArray() as number[][];
    const sum = (x: Tensor, y: Tensor) => read2(x).map((row, i) => row.map((v, j) => v + read2(y)[i][j]));
    expect(ops.add(t, b).toArray()).toEqual(sum(t, b));
    expect(ops.add(t, t).toArray()).toEqual(sum(t, t));
    expect(ops.mul(r, r.slice('::-1')).toArray()).toEqual(
      read2(r).map((row, i) => row.map((v, j) => v * read2(r)[2 - i][j])),
    );
    expect(ops.sub(r.T, t.slice('1:3', ':')).toArray()).toEqual(
      read2(r.T).map((row, i) => row.map((v, j) => v - read2(t)[i + 1][j])),
    );
  });

  it('the output shape is the broadcast shape, whichever side is larger', () => {
    expect(ops.add(zeros([3, 1]), zeros([4])).shape).toEqual([3, 4]);
    expect(ops.add(zeros([4]), zeros([2, 3, 1])).shape).toEqual([2, 3, 4]);
    expect(ops.mul(zeros([0, 1]), zeros([5])).shape).toEqual([0, 5]);
    expect(ops.mul(zeros([1]), zeros([0])).shape).toEqual([0]);
    expect(ops.sub(zeros([]), zeros([2, 1, 3])).shape).toEqual([2, 1, 3]);
    expect(ops.lt(2, zeros([2, 2])).shape).toEqual([2, 2]);
  });

  it('incompatible shapes throw a ShapeError naming the op and both shapes', () => {
    expect(() => ops.add(zeros([2, 3]), zeros([4, 3]))).toThrow(
      new ShapeError('add: cannot broadcast (2,3) with (4,3)'),
    );
    expect(() => ops.lt(zeros([3]), zeros([2]))).toThrow('lt: cannot broadcast (3) with (2)');
    expect(() => ops.mul(zeros([0]), zeros([2]))).toThrow('mul: cannot broadcast (0) with (2)');
    expect(() => ops.where(zeros([2], { dtype: 'bool' }), zeros([3]), 0)).toThrow(
      'where: cannot broadcast (2) with (3) with ()',
    );
  });
});

describe('where', () => {
  const whereArb = broadcastTupleArb(3).chain(([sc, sa, sb]) =>
    fc.tuple(
      operandArb(sc, 'bool'),
      dtypeArb.chain((d) => operandArb(sa, d)),
      dtypeArb.chain((d) => operandArb(sb, d)),
    ),
  );

  it('picks from a where the condition holds and from b elsewhere, all three broadcast', () => {
    check(whereArb, ([c, a, b]) => {
      const dtype = promote(a.tensor.dtype, b.tensor.dtype);
      const out = ops.where(c.tensor, a.tensor, b.tensor);
      const full = refWhere(c.ref, a.ref, b.ref);
      expectTensor(
        out,
        { shape: full.shape, values: full.values.map((v) => castTo(dtype, v)) },
        dtype,
        undefined,
        'where',
      );
    });
  });

  it('accepts numbers for any argument, numbers being weak', () => {
    const x = new Tensor(Int32Array.from([-2, 3]), [2]);
    const relu = ops.where(ops.gt(x, 0), x, 0);
    expect(relu.dtype).toBe('int32');
    expect(Array.from(relu.data)).toEqual([0, 3]);
    const half = ops.where(ops.gt(x, 0), x, 0.5);
    expect(half.dtype).toBe('float32');
    expect(Array.from(half.data)).toEqual([0.5, 3]);
    expect(Array.from(ops.where(1, x, 7).data)).toEqual([-2, 3]);
    expect(Array.from(ops.where(0, x, 7).data)).toEqual([7, 7]);
  });

  it('treats a NaN condition as true, as NumPy does (NaN is non-zero)', () => {
    const cond = new Tensor(Float32Array.from([NaN, 0, 1]), [3]);
    expect(Array.from(ops.where(cond, 1, 2).data)).toEqual([1, 2, 1]);
  });
});

/** where(c, a, b) by broadcasting each operand to the common shape first. */
function refWhere(c: Ref, a: Ref, b: Ref): Ref {
  const first = (x: number) => x;
  const second = (_: number, y: number) => y;
  const shape = refBinary(refBinary(c, a, first), b, first).shape;
  const grid: Ref = { shape, values: new Array(shape.reduce((p, d) => p * d, 1)).fill(0) };
  const [cc, aa, bb] = [c, a, b].map((r) => refBinary(grid, r, second).values);
  return { shape, values: cc.map((cv, i) => (cv !== 0 ? aa[i] : bb[i])) };
}

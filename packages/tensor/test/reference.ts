/**
 * Test helpers: naive reference loops and fast-check arbitraries for the tensor suite.
 *
 * Everything here is written from the definitions (row-major order, NumPy broadcasting, Python
 * slice semantics) with plain loops over multi-indices, and reads tensors straight from
 * `data`/`shape`/`strides`/`offset`. It shares no code with the kernels, `coalesce`, `toArray`
 * or the movement ops, so a test comparing an op against it can actually fail.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';

/** A reference n-d array: a shape and its elements in row-major order, as plain doubles. */
export interface Ref {
  shape: number[];
  values: number[];
}

// ---- shapes and indices ---------------------------------------------------------------------------

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Multi-index of the i-th element in row-major order. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return index;
}

/** Row-major position of a multi-index. */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + index[d];
  return i;
}

/** Calls `f` with every multi-index of `shape` in row-major order (the array is reused). */
export function forEachIndex(shape: readonly number[], f: (index: readonly number[], i: number) => void): void {
  const n = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(index, i);
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
}

/** Storage position of `index` in a view with `strides` and `offset`. */
function position(index: readonly number[], strides: readonly number[], offset: number): number {
  let p = offset;
  for (let d = 0; d < index.length; d++) p += index[d] * strides[d];
  return p;
}

/** Every multi-index of `shape`, in row-major order. */
export function indices(shape: readonly number[]): number[][] {
  return Array.from({ length: sizeOf(shape) }, (_, i) => unravel(i, shape));
}

/** NumPy broadcasting of two shapes, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const x = a[a.length - n + k] ?? 1;
    const y = b[b.length - n + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element of `ref` at `index` of a (possibly larger) broadcast shape. */
export function atBroadcast(ref: Ref, index: readonly number[]): number {
  const lead = index.length - ref.shape.length;
  const own = ref.shape.map((dim, d) => (dim === 1 ? 0 : index[lead + d]));
  return ref.values[ravel(own, ref.shape)];
}

// ---- reading tensors --------------------------------------------------------------------------

/** The logical elements of `t` in row-major order, walked through its strides and offset. */
export function read(t: Tensor): number[] {
  const out: number[] = [];
  forEachIndex(t.shape, (index) => out.push(t.data[position(index, t.strides, t.offset)]));
  return out;
}

export function toRef(t: Tensor): Ref {
  return { shape: [...t.shape], values: read(t) };
}

// ---- dtype semantics ----------------------------------------------------------------------------

/** C's int32 wrap-around of an exact integer (via BigInt, so products past 2^53 stay exact). */
export function wrapInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** The value a double becomes when stored as `dtype` (float → int32 truncates toward zero). */
export function castTo(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float64':
      return v;
    case 'float32':
      return Math.fround(v);
    case 'bool':
      return v !== 0 ? 1 : 0; // NaN is truthy, as in NumPy
    case 'int32':
      return Number.isFinite(v) ? wrapInt32(BigInt(Math.trunc(v))) : 0;
  }
}

export function storage(dtype: DType, n: number): Float32Array | Float64Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

// ---- comparisons ------------------------------------------------------------------------------------

/** Equal as numbers, with NaN equal to NaN (and 0 equal to −0). */
export function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** |got − want| ≤ atol + rtol·|want|, with NaNs and equal infinities matching. */
export function near(got: number, want: number, rtol: number, atol: number): boolean {
  if (same(got, want)) return true;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return false;
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

export interface Tolerance {
  rtol: number;
  atol: number;
}
export const EXACT: Tolerance = { rtol: 0, atol: 0 };

/** Asserts shape, dtype (when given) and every element of `t` against a reference. */
export function expectTensor(t: Tensor, want: Ref, dtype?: DType, tol: Tolerance = EXACT, label = ''): void {
  expect([...t.shape], `${label} shape`).toEqual(want.shape);
  if (dtype) expect(t.dtype, `${label} dtype`).toBe(dtype);
  const got = read(t);
  for (let i = 0; i < got.length; i++) {
    if (!near(got[i], want.values[i], tol.rtol, tol.atol)) {
      expect.fail(
        `${label} element ${i} at [${unravel(i, want.shape).join(', ')}] of shape (${want.shape.join(',')}): got ${got[i]}, want ${want.values[i]}`,
      );
    }
  }
}

// ---- building tensors with arbitrary layouts ----------------------------------------------------------

/**
 * How a tensor's elements sit in memory: `order` lists the axes from outermost to innermost in
 * storage, `flips` reverses an axis (negative stride), `gaps` spaces an axis out (stride × 2, as a
 * `::2` slice would), and `lead` leaves unused elements before the first one (a non-zero offset).
 */
export interface Layout {
  order: number[];
  flips: boolean[];
  gaps: number[];
  lead: number;
}

export function contiguousLayout(rank: number): Layout {
  return { order: [...Array(rank).keys()], flips: Array(rank).fill(false), gaps: Array(rank).fill(1), lead: 0 };
}

export function layoutArb(rank: number): fc.Arbitrary<Layout> {
  const axes = [...Array(rank).keys()];
  const permuted = fc.shuffledSubarray(axes, { minLength: rank, maxLength: rank });
  const flips = fc.array(fc.boolean(), { minLength: rank, maxLength: rank });
  const gaps = fc.array(fc.constantFrom(1, 1, 2), { minLength: rank, maxLength: rank });
  const lead = fc.constantFrom(0, 0, 3);
  const strided = fc.record({ order: permuted, flips, gaps, lead });
  // Half the operands are plain contiguous tensors, so both the fast and the strided paths run.
  return fc.oneof(fc.constant(contiguousLayout(rank)), strided);
}

/** Values unused by the view are filled with this, so reading outside the view shows up. */
const SENTINEL = 99;

/**
 * A tensor of `dtype` and `shape` holding `values` (row-major, cast to the dtype) with `layout`,
 * built directly with the Tensor constructor from computed strides and offset.
 */
export function makeTensor(
  dtype: DType,
  shape: readonly number[],
  values: readonly number[],
  layout: Layout = contiguousLayout(shape.length),
): Tensor {
  const rank = shape.length;
  if (values.length !== sizeOf(shape))
    throw new Error(`makeTensor: ${values.length} values for shape (${shape.join(',')})`);
  const magnitude = new Array<number>(rank);
  let span = 1;
  for (let k = rank - 1; k >= 0; k--) {
    const axis = layout.order[k];
    magnitude[axis] = span * layout.gaps[axis];
    span = magnitude[axis] * Math.max(shape[axis], 1);
  }
  let offset = layout.lead;
  let reach = 0;
  for (let d = 0; d < rank; d++) {
    const extent = Math.max(shape[d] - 1, 0) * magnitude[d];
    reach += extent;
    if (layout.flips[d]) offset += extent;
  }
  const strides = magnitude.map((m, d) => (layout.flips[d] ? -m : m));
  const data = storage(dtype, layout.lead + reach + 2);
  data.fill(dtype === 'bool' ? 1 : SENTINEL);
  forEachIndex(shape, (index, i) => (data[position(index, strides, offset)] = castTo(dtype, values[i])));
  return new Tensor(data, shape, strides, offset);
}

// ---- arbitraries -------------------------------------------------------------------------------------

/** Dimension sizes: mostly 1–3, sometimes 0. */
export const dimArb = (maxDim = 3): fc.Arbitrary<number> =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: maxDim }) }, { weight: 1, arbitrary: fc.constant(0) });

export function shapeArb(minRank = 0, maxRank = 4, maxDim = 3): fc.Arbitrary<number[]> {
  return fc.array(dimArb(maxDim), { minLength: minRank, maxLength: maxRank });
}

/**
 * `count` shapes that broadcast together: each is a common output shape with some leading axes
 * dropped and some sizes replaced by 1.
 */
export function broadcastTupleArb(count: number, maxRank = 4, maxDim = 3): fc.Arbitrary<number[][]> {
  return shapeArb(0, maxRank, maxDim).chain((out) => {
    const derived = fc
      .record({
        drop: fc.integer({ min: 0, max: out.length }),
        ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      })
      .map(({ drop, ones }) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.array(derived, { minLength: count, maxLength: count });
  });
}

export function broadcastPairArb(maxRank = 4, maxDim = 3): fc.Arbitrary<[number[], number[]]> {
  return broadcastTupleArb(2, maxRank, maxDim).map(([a, b]) => [a, b] as [number[], number[]]);
}

export interface ValueOptions {
  /** Include NaN and ±Infinity (default true). */
  special?: boolean;
  /** Magnitude bound of ordinary float values (default 10). */
  bound?: number;
  /** Int range (default −20..20) and whether to add int32 extremes (default false). */
  intBound?: number;
  intExtremes?: boolean;
}

/** One value suitable for `dtype`: floats mix small integers (ties), fractions and specials. */
export function valueArb(dtype: DType, options: ValueOptions = {}): fc.Arbitrary<number> {
  const { special = true, bound = 10, intBound = 20, intExtremes = false } = options;
  if (dtype === 'bool') return fc.constantFrom(0, 1);
  if (dtype === 'int32') {
    const small = fc.integer({ min: -intBound, max: intBound });
    if (!intExtremes) return small;
    return fc.oneof(
      { weight: 4, arbitrary: small },
      { weight: 1, arbitrary: fc.constantFrom(2147483647, -2147483648, 2147483646, 65536, 46341, -46341, 1 << 30) },
    );
  }
  const arbs: { weight: number; arbitrary: fc.Arbitrary<number> }[] = [
    { weight: 4, arbitrary: fc.integer({ min: -Math.min(8, bound), max: Math.min(8, bound) }) },
    { weight: 6, arbitrary: fc.double({ min: -bound, max: bound, noNaN: true }) },
  ];
  if (special) arbs.push({ weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e30, -1e-30) });
  return fc.oneof(...arbs).map((v) => castTo(dtype, v));
}

export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64'];

/** A tensor of `shape`/`dtype` with an arbitrary layout, plus its reference. */
export interface Operand {
  tensor: Tensor;
  ref: Ref;
}

export function operandArb(shape: readonly number[], dtype: DType, options: ValueOptions = {}): fc.Arbitrary<Operand> {
  const n = sizeOf(shape);
  return fc
    .tuple(fc.array(valueArb(dtype, options), { minLength: n, maxLength: n }), layoutArb(shape.length))
    .map(([values, layout]) => {
      const cast = values.map((v) => castTo(dtype, v));
      return { tensor: makeTensor(dtype, shape, cast, layout), ref: { shape: [...shape], values: cast } };
    });
}

// ---- reference operations -----------------------------------------------------------------------------

/** out[i] = f(a[i], b[i]) with NumPy broadcasting. */
export function refBinary(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Error('refBinary: shapes do not broadcast');
  return { shape, values: indices(shape).map((index) => f(atBroadcast(a, index), atBroadcast(b, index))) };
}

export function refMap(a: Ref, f: (x: number) => number): Ref {
  return { shape: [...a.shape], values: a.values.map(f) };
}

/**
 * Reduction over `axes` (distinct, non-negative): each output element is `f` of the list of input
 * values that fold into it, in row-major order.
 */
export function refReduce(x: Ref, axes: readonly number[], keepdims: boolean, f: (group: number[]) => number): Ref {
  const keptShape = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  indices(x.shape).forEach((index, i) => {
    const target = index.map((j, k) => (axes.includes(k) ? 0 : j));
    groups[ravel(target, keptShape)].push(x.values[i]);
  });
  const shape = keepdims ? keptShape : x.shape.filter((_, k) => !axes.includes(k));
  return { shape, values: groups.map(f) };
}

/** The axes of `out` taken from `x`'s axes `axes`: out[j] = x[i] with i[axes[k]] = j[k]. */
export function refTranspose(x: Ref, axes: readonly number[]): Ref {
  const shape = axes.map((a) => x.shape[a]);
  return {
    shape,
    values: indices(shape).map((j) => {
      const i = new Array<number>(x.shape.length);
      axes.forEach((a, k) => (i[a] = j[k]));
      return x.values[ravel(i, x.shape)];
    }),
  };
}

/** Positions selected along an axis of `size` by a Python slice (CPython's PySlice_AdjustIndices). */
export function slicePositions(size: number, start: number | null, stop: number | null, step: number | null): number[] {
  const s = step ?? 1;
  const lower = s < 0 ? -1 : 0;
  const upper = s < 0 ? size - 1 : size;
  const adjust = (v: number | null, fallback: number): number => {
    if (v === null) return fallback;
    if (v < 0) v += size;
    return v < lower ? lower : v > upper ? upper : v;
  };
  const first = adjust(start, s < 0 ? upper : lower);
  const end = adjust(stop, s < 0 ? lower : upper);
  const out: number[] = [];
  for (let p = first; s > 0 ? p < end : p > end; p += s) out.push(p);
  return out;
}

/** One resolved entry of a basic index: a position that drops the axis, or kept positions. */
export type RefIndex = { pick: number } | { keep: number[] };

/** NumPy basic indexing on a reference: `entries` has one item per axis. */
export function refSlice(x: Ref, entries: readonly RefIndex[]): Ref {
  const kept = entries.flatMap((e) => ('keep' in e ? [e.keep] : []));
  const shape = kept.map((k) => k.length);
  return {
    shape,
    values: indices(shape).map((j) => {
      let k = 0;
      const i = entries.map((e) => ('pick' in e ? e.pick : e.keep[j[k++]]));
      return x.values[ravel(i, x.shape)];
    }),
  };
}

/** Matrix product by the textbook triple loop, with NumPy's 1-d and batch rules. */
export function refMatmul(a: Ref, b: Ref): Ref {
  const A = a.shape.length === 1 ? { shape: [1, ...a.shape], values: a.values } : a;
  const B = b.shape.length === 1 ? { shape: [...b.shape, 1], values: b.values } : b;
  const [M, K] = A.shape.slice(-2);
  const N = B.shape[B.shape.length - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  if (!batch || B.shape[B.shape.length - 2] !== K) throw new Error('refMatmul: bad shapes');
  const batchA: Ref = { shape: A.shape.slice(0, -2), values: [...Array(sizeOf(A.shape.slice(0, -2))).keys()] };
  const batchB: Ref = { shape: B.shape.slice(0, -2), values: [...Array(sizeOf(B.shape.slice(0, -2))).keys()] };
  const values: number[] = [];
  for (const index of indices(batch)) {
    const ia = atBroadcast(batchA, index) * M * K;
    const ib = atBroadcast(batchB, index) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A.values[ia + i * K + k] * B.values[ib + k * N + j];
        values.push(s);
      }
    }
  }
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return { shape, values };
}

/** Runs a fast-check property with the suite's defaults (seeded by fast-check, reported on failure). */
export function check<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns = 150): void {
  fc.assert(fc.property(arb, predicate), { numRuns });
}

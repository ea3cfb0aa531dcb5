/**
 * Shared helpers of the join and indexing tests: tensors with known values in any layout
 * (contiguous, transposed, strided with gaps, reversed), read back without the code under test.
 */
import fc from 'fast-check';
import { type DType, allocate } from '../src/dtype.js';
import { contiguousStrides, shapeSize } from '../src/shape.js';
import { Tensor } from '../src/tensor.js';

export type Layout = 'contiguous' | 'transposed' | 'strided' | 'reversed';
export const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'strided', 'reversed'];
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Deterministic values from a seed (mulberry32), so one fc.integer drives any number of tensors. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randomInt = (random: () => number, low: number, high: number): number =>
  low + Math.floor(random() * (high - low + 1));

export function unravel(k: number, shape: readonly number[]): number[] {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return at;
}

export function ravel(at: readonly number[], shape: readonly number[]): number {
  return at.reduce((k, i, d) => k * shape[d] + i, 0);
}

export function randomValues(random: () => number, size: number, dtype: DType): number[] {
  return Array.from({ length: size }, () => (dtype === 'bool' ? randomInt(random, 0, 1) : randomInt(random, -50, 50)));
}

/** A tensor holding `values` (row-major over `shape`) through the given layout's strides. */
export function make(
  values: readonly number[],
  shape: readonly number[],
  dtype: DType = 'float32',
  layout: Layout = 'contiguous',
): Tensor {
  const cs = contiguousStrides(shape);
  let strides = cs;
  let offset = 0;
  let storage = shapeSize(shape);
  if (layout === 'transposed') {
    strides = contiguousStrides([...shape].reverse()).reverse();
  } else if (layout === 'strided') {
    const big = shape.map((d) => 2 * d + 1);
    const bs = contiguousStrides(big);
    strides = bs.map((s) => 2 * s);
    offset = bs.reduce((a, b) => a + b, 0);
    storage = shapeSize(big);
  } else if (layout === 'reversed' && storage > 0) {
    strides = cs.map((s) => -s);
    offset = shape.reduce((sum, d, i) => sum + (d - 1) * cs[i], 0);
  }
  const data = allocate(dtype, storage);
  data.fill(dtype === 'bool' ? 1 : 77); // sentinel in the gaps
  values.forEach((v, k) => {
    data[offset + unravel(k, shape).reduce((p, i, d) => p + i * strides[d], 0)] = v;
  });
  return new Tensor(data, shape, strides, offset);
}

/** Row-major values of any view, read directly through its strides. */
export function read(t: Tensor): number[] {
  return Array.from(
    { length: t.size },
    (_, k) => t.data[t.offset + unravel(k, t.shape).reduce((p, i, d) => p + i * t.strides[d], 0)],
  );
}

/** Random int32 indices in [-n, n) of `shape`; a zero-size axis forces an empty index set. */
export function randomIndices(random: () => number, shape: number[], n: number): number[] {
  return Array.from({ length: shapeSize(shape) }, () => randomInt(random, -n, n - 1));
}

export const dim = fc.integer({ min: 0, max: 3 });
export const shapeOf = (minRank: number, maxRank = 4) => fc.array(dim, { minLength: minRank, maxLength: maxRank });
export const layoutArb = fc.constantFrom(...LAYOUTS);
export const dtypeArb = fc.constantFrom(...DTYPES);

import { IndexError, ShapeError, ValueError, describeValue, formatShape } from './errors.js';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar's empty shape). */
export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Validates a user-supplied shape: every dimension a finite, non-negative integer. */
export function checkShape(op: string, shape: unknown): number[] {
  if (typeof shape === 'number') shape = [shape];
  if (!Array.isArray(shape))
    throw new ValueError(`${op}: shape must be an array of sizes, got ${describeValue(shape)}`);
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) {
      throw new ValueError(
        `${op}: invalid size ${String(dim)} in shape [${shape.join(', ')}]; sizes must be non-negative integers`,
      );
    }
  }
  return [...shape] as number[];
}

/** Row-major (C order) strides of a shape, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** True when the strides walk the elements in row-major order with no gaps (size-1 dims may have any stride). */
export function isContiguous(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/**
 * NumPy broadcasting: align shapes at their last dimension; each pair of sizes must be equal or
 * one of them 1. Throws `op: cannot broadcast (2,3) with (4,3)`.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = ndim - shape.length + i;
      const dim = shape[i];
      if (dim === out[d] || dim === 1) continue;
      if (out[d] !== 1) throw new ShapeError(`${op}: cannot broadcast ${shapes.map(formatShape).join(' with ')}`);
      out[d] = dim;
    }
  }
  return out;
}

/** Strides that read `shape`/`strides` as if broadcast to `target` (stride 0 on repeated dims). */
export function broadcastStrides(shape: Shape, strides: Shape, target: Shape): number[] {
  const lead = target.length - shape.length;
  return target.map((dim, d) => (d < lead || shape[d - lead] !== dim ? 0 : strides[d - lead]));
}

/** Resolves a possibly negative axis against `ndim`; throws `op: axis 3 is out of range for a 2-d tensor`. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis)) {
    throw new IndexError(`${op}: axis must be an integer, got ${describeValue(axis)} (${typeof axis})`);
  }
  if (axis < -ndim || axis >= ndim) {
    const range = ndim === 0 ? 'a 0-d tensor has no axes' : `valid axes are ${-ndim}..${ndim - 1}`;
    throw new IndexError(`${op}: axis ${axis} is out of range for a ${ndim}-d tensor (${range})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Resolves an axis spec (one axis, a list, or undefined for all) to sorted, distinct axes. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, d) => d);
  if (typeof axis !== 'number' && !Array.isArray(axis)) {
    throw new IndexError(
      `${op}: axis must be an integer or a list of integers, got ${describeValue(axis)} (${typeof axis})`,
    );
  }
  const list: readonly number[] = typeof axis === 'number' ? [axis] : axis;
  const axes = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(axes).size !== axes.length) throw new IndexError(`${op}: repeated axis in [${list.join(', ')}]`);
  return axes.sort((a, b) => a - b);
}

/**
 * Merges neighbouring dimensions that every operand walks as one (stride[d] = stride[d+1]·shape[d+1]),
 * so kernels run long inner loops: a contiguous 1000×1000 add becomes one loop of 10⁶.
 */
export function coalesce(shape: Shape, stridesList: readonly Shape[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && stridesList.every((strides, k) => outStrides[k][last] === strides[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      stridesList.forEach((strides, k) => (outStrides[k][last] = strides[d]));
    } else {
      outShape.push(shape[d]);
      stridesList.forEach((strides, k) => outStrides[k].push(strides[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

import { IndexError, ShapeError, ValueError, describeValue, formatShape } from '../errors.js';
import { broadcastStrides, checkShape, contiguousStrides, normalizeAxes, normalizeAxis, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * Views: new shape/strides/offset over the same storage. Nothing here copies, except `reshape`
 * of a layout that no strides can express (it then copies, as NumPy and PyTorch do).
 */

function view(x: Tensor, shape: readonly number[], strides: readonly number[], offset = x.offset): Tensor {
  return new Tensor(x.data, shape, strides, offset);
}

/** Resolves one -1 in a target shape and checks the element count. */
export function resolveShape(op: string, from: readonly number[], shape: readonly number[]): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`${op}: only one size may be -1, got ${formatShape(shape)}`);
  const known = checkShape(
    op,
    shape.map((d) => (d === -1 ? 1 : d)),
  );
  const size = shapeSize(from);
  const rest = shapeSize(known);
  if (unknown === 1) {
    if (rest === 0 || size % rest !== 0) {
      throw new ShapeError(`${op}: cannot reshape ${formatShape(from)} (${size} elements) into ${formatShape(shape)}`);
    }
    return shape.map((d) => (d === -1 ? size / rest : d));
  }
  if (rest !== size) {
    throw new ShapeError(
      `${op}: cannot reshape ${formatShape(from)} (${size} elements) into ${formatShape(shape)} (${rest} elements)`,
    );
  }
  return known;
}

/** Same elements in a new shape; a view of contiguous data, else a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = resolveShape('reshape', x.shape, shape);
  const source = x.contiguous();
  return view(source, target, contiguousStrides(target), source.offset);
}

/** Permutes the axes (default: reverses them). */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  const order = axes ?? x.shape.map((_, d) => x.ndim - 1 - d);
  if (order.length !== x.ndim) {
    throw new ShapeError(
      `transpose: axes [${order.join(', ')}] do not match a ${x.ndim}-d tensor of shape ${formatShape(x.shape)}`,
    );
  }
  const resolved = order.map((a) => normalizeAxis('transpose', a, x.ndim));
  if (new Set(resolved).size !== resolved.length)
    throw new IndexError(`transpose: repeated axis in [${order.join(', ')}]`);
  return view(
    x,
    resolved.map((a) => x.shape[a]),
    resolved.map((a) => x.strides[a]),
  );
}

export function swapaxes(x: Tensor, axis1: number, axis2: number): Tensor {
  const order = x.shape.map((_, d) => d);
  const [a, b] = [normalizeAxis('swapaxes', axis1, x.ndim), normalizeAxis('swapaxes', axis2, x.ndim)];
  [order[a], order[b]] = [order[b], order[a]];
  return transpose(x, order);
}

/** A read-only-in-spirit view repeating size-1 (or missing leading) dims with stride 0. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = checkShape('broadcastTo', shape);
  const lead = target.length - x.ndim;
  const fits = lead >= 0 && x.shape.every((dim, d) => dim === target[lead + d] || dim === 1);
  if (!fits) throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(target)}`);
  return view(x, target, broadcastStrides(x.shape, x.strides, target));
}

/** Removes size-1 axes: all of them, or those named (naming an axis of another size is an error). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const drop =
    axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, x.ndim);
  for (const d of drop) {
    if (x.shape[d] !== 1)
      throw new ShapeError(`squeeze: axis ${d} of shape ${formatShape(x.shape)} has size ${x.shape[d]}, not 1`);
  }
  const keep = x.shape.map((_, d) => d).filter((d) => !drop.includes(d));
  return view(
    x,
    keep.map((d) => x.shape[d]),
    keep.map((d) => x.strides[d]),
  );
}

/** Inserts a size-1 axis at `axis` (-1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  if (!Number.isInteger(axis))
    throw new IndexError(`unsqueeze: axis must be an integer, got ${describeValue(axis)} (${typeof axis})`);
  if (axis < -(x.ndim + 1) || axis > x.ndim) {
    throw new IndexError(
      `unsqueeze: axis ${axis} is out of range for a ${x.ndim}-d tensor (valid positions are ${-(x.ndim + 1)}..${x.ndim})`,
    );
  }
  const at = axis < 0 ? axis + x.ndim + 1 : axis;
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(at, 0, 1);
  strides.splice(at, 0, at < x.ndim ? x.strides[at] * x.shape[at] : 1);
  return view(x, shape, strides);
}

/** Collapses axes startAxis..endAxis into one. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const start = normalizeAxis('flatten', startAxis, x.ndim);
  const end = normalizeAxis('flatten', endAxis, x.ndim);
  if (start > end) throw new IndexError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  const merged = shapeSize(x.shape.slice(start, end + 1));
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}

// ---- basic indexing -----------------------------------------------------------------------------

/** A slice with Python semantics: any part may be omitted, negatives count from the end. */
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/**
 * One entry of `slice(...)`: an integer picks one position and drops the axis; a Slice object or a
 * `'start:stop:step'` string keeps the axis; `':'` or `null` keeps it whole; `'...'` stands for as
 * many whole axes as needed.
 */
export type Index = number | string | Slice | null;

/** Parses `'1:3'`, `'::-1'`, `':'`, `'-2:'` into a Slice. */
export function parseSlice(text: string): Slice {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw new ValueError(`slice: cannot parse '${text}'; expected 'start:stop' or 'start:stop:step'`);
  const [start, stop, step] = parts.map((p) => {
    const trimmed = p.trim();
    if (trimmed === '') return null;
    const n = Number(trimmed);
    if (!Number.isInteger(n)) throw new ValueError(`slice: '${p}' in '${text}' is not an integer`);
    return n;
  });
  return { start, stop, step: step ?? null };
}

/** Start, step and length of a slice over an axis of `size` (Python's slice.indices). */
export function sliceBounds(spec: Slice, size: number): { start: number; step: number; length: number } {
  const step = spec.step ?? 1;
  if (step === 0) throw new ValueError('slice: step must not be 0');
  const clamp = (v: number, low: number, high: number) => Math.min(Math.max(v, low), high);
  const resolve = (v: number | null | undefined, fallback: number, low: number, high: number) =>
    v === null || v === undefined ? fallback : clamp(v < 0 ? v + size : v, low, high);
  const start = step > 0 ? resolve(spec.start, 0, 0, size) : resolve(spec.start, size - 1, -1, size - 1);
  const stop = step > 0 ? resolve(spec.stop, size, 0, size) : resolve(spec.stop, -1, -1, size - 1);
  const length = Math.max(0, Math.ceil((stop - start) / step));
  return { start, step, length };
}

function expandEllipsis(indices: readonly Index[], ndim: number): Index[] {
  const ellipses = indices.filter((i) => i === '...').length;
  if (ellipses > 1) throw new IndexError("slice: an index can only have a single ellipsis ('...')");
  const used = indices.length - ellipses;
  if (used > ndim) throw new IndexError(`slice: too many indices (${used}) for a ${ndim}-d tensor`);
  const fill = Array<Index>(ndim - used).fill(null);
  const at = indices.indexOf('...');
  return at < 0 ? [...indices, ...fill] : [...indices.slice(0, at), ...fill, ...indices.slice(at + 1)];
}

const SLICE_KEYS = new Set(['start', 'stop', 'step']);
const VALID_INDICES = "integers, 'start:stop:step' strings, {start, stop, step} objects, ':', null and '...'";

/**
 * Rejects what basic indexing cannot mean, before it is read as something else: an array or a
 * boolean (NumPy's advanced indexing, which `take` and `where` do here), undefined (a missing
 * argument more often than a deliberate ':'), a fractional or NaN position, a slice object with
 * a misspelt key or a non-integer bound.
 */
function checkIndex(index: unknown, d: number): void {
  const at = `index ${describeValue(index)} for axis ${d}`;
  if (typeof index === 'number') {
    if (!Number.isInteger(index)) throw new IndexError(`slice: ${at} is not an integer`);
    return;
  }
  if (index === null || typeof index === 'string') return;
  if (index === undefined) throw new IndexError(`slice: ${at}: use null or ':' to keep a whole axis`);
  if (Array.isArray(index) || typeof index !== 'object') {
    const hint = Array.isArray(index) ? '; use take() to pick a list of positions' : '';
    throw new IndexError(
      `slice: ${at} is ${Array.isArray(index) ? 'an array' : `a ${typeof index}`}; valid indices are ${VALID_INDICES}${hint}`,
    );
  }
  for (const [key, bound] of Object.entries(index)) {
    if (!SLICE_KEYS.has(key))
      throw new IndexError(`slice: ${at} has an unknown key '${key}'; a slice object has only start, stop and step`);
    if (bound !== null && bound !== undefined && !Number.isInteger(bound))
      throw new IndexError(`slice: ${at} has ${key} ${describeValue(bound)}, which is not an integer`);
  }
}

/** NumPy basic indexing as a view. See `Index`. */
export function slice(x: Tensor, indices: readonly Index[]): Tensor {
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  expandEllipsis(indices, x.ndim).forEach((index, d) => {
    const size = x.shape[d];
    checkIndex(index, d);
    if (typeof index === 'number') {
      if (index < -size || index >= size) {
        throw new IndexError(`slice: index ${index} is out of bounds for axis ${d} with size ${size}`);
      }
      offset += (index < 0 ? index + size : index) * x.strides[d];
      return;
    }
    const spec = index === null || index === ':' ? {} : typeof index === 'string' ? parseSlice(index) : index;
    if (spec.step === 0)
      throw new ValueError(`slice: step must not be 0 (index ${describeValue(index)} for axis ${d})`);
    const { start, step, length } = sliceBounds(spec, size);
    if (length > 0) offset += start * x.strides[d];
    shape.push(length);
    strides.push(x.strides[d] * step);
  });
  return view(x, shape, strides, offset);
}

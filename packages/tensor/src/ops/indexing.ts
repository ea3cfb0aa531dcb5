import { type DType, type Storage, checkDType, promoteTypes } from '../dtype.js';
import { DTypeError, IndexError, ShapeError, ValueError, formatShape } from '../errors.js';
import { kernels } from '../kernels/index.js';
import { contiguousStrides, normalizeAxis, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';
import { empty } from './elementwise.js';
import { reshape } from './movement.js';

/**
 * Integer-array indexing: take / gather and their adjoints indexAdd / scatterAdd, plus
 * takeAlongRows, oneHot, repeat and tile.
 *
 * Index rules, shared by every function here: index tensors must be int32 (a float or bool tensor
 * is a DTypeError, never silently truncated); plain arrays must hold integers; a negative index
 * counts from the end (NumPy's rule, also for gather/scatterAdd, where PyTorch would refuse it);
 * anything outside [-size, size) is an IndexError naming the op, the index, the axis and its size.
 *
 * Adjoint pairs, for autograd:
 *   take(x, i, axis)     backward: indexAdd(zeros(x.shape), i, gy, axis)
 *   gather(x, i, axis)   backward: scatterAdd(zeros(x.shape), i, gy, axis)
 *   takeAlongRows(x, t)  backward: scatterAdd(zeros(x.shape), t.reshape([-1, 1]), gy.reshape([-1, 1]), 1)
 */

// ---- helpers --------------------------------------------------------------------------------------

/** Index values readable at `data[offset + k]` for k in 0..size-1, row-major over `shape`. */
interface IndexValues {
  data: ArrayLike<number>;
  offset: number;
  shape: readonly number[];
}

/** Validates the dtype of an index operand and exposes its values in row-major order without copying when it can. */
function indexValues(op: string, indices: Tensor | readonly number[]): IndexValues {
  if (indices instanceof Tensor) {
    if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
    const c = indices.contiguous();
    return { data: c.data, offset: c.offset, shape: c.shape };
  }
  if (!Array.isArray(indices))
    throw new DTypeError(`${op}: indices must be an int32 tensor or an array of integers, got ${typeof indices}`);
  indices.forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      const hint = Array.isArray(v) ? '; pass an int32 tensor for indices of higher rank' : '';
      throw new DTypeError(
        `${op}: indices must be integers, got ${JSON.stringify(v) ?? String(v)} at position ${k}${hint}`,
      );
    }
  });
  return { data: indices, offset: 0, shape: [indices.length] };
}

function indexTensor(op: string, indices: Tensor): Tensor {
  if (!(indices instanceof Tensor))
    throw new DTypeError(`${op}: indices must be an int32 tensor, got ${typeof indices}`);
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  return indices;
}

/** `[1, 2]`-style position of the k-th element of `shape` in row-major order, for messages. */
function position(k: number, shape: readonly number[]): string {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = shape[d] === 0 ? 0 : k % shape[d];
    k = shape[d] === 0 ? 0 : Math.floor(k / shape[d]);
  }
  return `[${at.join(', ')}]`;
}

function outOfBounds(op: string, value: number, axis: number | 'flat', size: number, where = ''): IndexError {
  const target = axis === 'flat' ? `the flattened tensor of size ${size}` : `axis ${axis} with size ${size}`;
  return new IndexError(`${op}: index ${value}${where} is out of bounds for ${target}`);
}

/** Bounds-checks every index against an axis of `size` and resolves negatives, once, up front. */
function resolveIndices(op: string, values: IndexValues, axis: number | 'flat', size: number): Int32Array {
  const count = shapeSize(values.shape);
  const resolved = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const v = values.data[values.offset + k];
    if (v < -size || v >= size) throw outOfBounds(op, v, axis, size);
    resolved[k] = v < 0 ? v + size : v;
  }
  return resolved;
}

/** Copies `length` elements between same-dtype storages: `set` for long runs, a loop for short ones. */
function copyRun(dst: Storage, dstOffset: number, src: Storage, srcOffset: number, length: number): void {
  // Below ~24 elements the subarray object that `set` needs costs more than the loop it replaces
  // (measured in Node 20; see SET_MIN_RUN in join.ts).
  if (length >= 24) dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  else for (let j = 0; j < length; j++) dst[dstOffset + j] = src[srcOffset + j];
}

/** Result dtype of an accumulation: promoted, with bool counted as int32 (as `add` does). */
function accumulateType(a: DType, b: DType): DType {
  const dtype = promoteTypes(a, b);
  return dtype === 'bool' ? 'int32' : dtype;
}

// ---- take / indexAdd ------------------------------------------------------------------------------

/**
 * Elements of `x` at `indices` along `axis` (NumPy's take). The output shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`; without an axis, `x` is read flattened and
 * the output has `indices`' shape. Negative indices count from the end.
 *
 * @example
 * const W = tensor([[0, 1], [10, 11], [20, 21]]);      // an embedding table
 * take(W, tensor([[2, 0]], { dtype: 'int32' }), 0).toArray(); // [[[20, 21], [0, 1]]]
 * take(W, [-1]).toArray();                            // [21]
 */
export function take(x: Tensor, indices: Tensor | readonly number[], axis?: number): Tensor {
  const values = indexValues('take', indices);
  const flat = axis === undefined || axis === null;
  const source = flat ? reshape(x, [-1]) : x;
  const at = flat ? 0 : normalizeAxis('take', axis, x.ndim);
  const size = source.shape[at];
  const positions = resolveIndices('take', values, flat ? 'flat' : at, size);
  const shape = flat ? [...values.shape] : [...x.shape.slice(0, at), ...values.shape, ...x.shape.slice(at + 1)];
  const out = empty(x.dtype, shape, 'take');
  if (out.size === 0) return out;
  const count = positions.length;
  const outer = shapeSize(source.shape.slice(0, at));
  const inner = shapeSize(source.shape.slice(at + 1));
  if (!source.isContiguous && out.size < source.size) {
    // A strided x larger than the result: copy each picked slab in place rather than
    // compacting all of x first.
    const slabShape = [...source.shape.slice(0, at), ...source.shape.slice(at + 1)];
    const slabStrides = [...source.strides.slice(0, at), ...source.strides.slice(at + 1)];
    const outStrides = contiguousStrides(shape);
    const keep = [...outStrides.slice(0, at), ...outStrides.slice(at + values.shape.length)];
    for (let k = 0; k < count; k++) {
      const input = {
        data: source.data,
        offset: source.offset + positions[k] * source.strides[at],
        strides: slabStrides,
      };
      kernels().map('copy', slabShape, { data: out.data, offset: k * inner, strides: keep }, [input]);
    }
    return out;
  }
  const src = source.contiguous();
  const base = src.offset;
  let o = 0;
  for (let r = 0; r < outer; r++) {
    const rowBase = base + r * size * inner;
    for (let k = 0; k < count; k++, o += inner) copyRun(out.data, o, src.data, rowBase + positions[k] * inner, inner);
  }
  return out;
}

/**
 * The adjoint of `take`: a new tensor equal to `target` with the slabs of `source` added at
 * `indices` along `axis` (PyTorch's index_add, generalised to index tensors of any shape the way
 * take is). `source` must have the shape `take(target, indices, axis)` would return; repeated
 * indices accumulate. Without an axis, `target` is addressed flattened and keeps its shape.
 * This is take's backward: `indexAdd(zeros(x.shape), indices, gy, axis)`.
 *
 * @example
 * indexAdd(zeros([3, 2]), [0, 0, 2], ones([3, 2]), 0).toArray(); // [[2, 2], [0, 0], [1, 1]]
 */
export function indexAdd(target: Tensor, indices: Tensor | readonly number[], source: Tensor, axis?: number): Tensor {
  const values = indexValues('indexAdd', indices);
  const flat = axis === undefined || axis === null;
  const at = flat ? 0 : normalizeAxis('indexAdd', axis, target.ndim);
  const targetShape = flat ? [target.size] : target.shape;
  const expected = flat
    ? [...values.shape]
    : [...target.shape.slice(0, at), ...values.shape, ...target.shape.slice(at + 1)];
  if (!(source instanceof Tensor)) throw new DTypeError(`indexAdd: source must be a Tensor, got ${typeof source}`);
  if (source.ndim !== expected.length || source.shape.some((dim, d) => dim !== expected[d])) {
    throw new ShapeError(
      `indexAdd: source has shape ${formatShape(source.shape)} but take(target, indices, axis) has shape ${formatShape(expected)} (target ${formatShape(target.shape)}, indices ${formatShape(values.shape)})`,
    );
  }
  const size = targetShape[at];
  const positions = resolveIndices('indexAdd', values, flat ? 'flat' : at, size);
  const out = target.astype(accumulateType(target.dtype, source.dtype));
  const src = source.contiguous();
  const outer = shapeSize(targetShape.slice(0, at));
  const inner = shapeSize(targetShape.slice(at + 1));
  const count = positions.length;
  const o = out.data;
  const s = src.data;
  let p = src.offset;
  for (let r = 0; r < outer; r++) {
    const rowBase = r * size * inner;
    for (let k = 0; k < count; k++) {
      const q = rowBase + positions[k] * inner;
      for (let j = 0; j < inner; j++) o[q + j] += s[p++];
    }
  }
  return out;
}

// ---- gather / scatterAdd --------------------------------------------------------------------------

/** Checks PyTorch's gather/scatter rule: same ndim, and index dims no larger than `other`'s (except along `axis` when `skipAxis`). */
function checkIndexShape(
  op: string,
  indices: Tensor,
  other: Tensor,
  name: string,
  axis: number,
  skipAxis: boolean,
): void {
  const fits =
    indices.ndim === other.ndim && indices.shape.every((dim, d) => (skipAxis && d === axis) || dim <= other.shape[d]);
  if (!fits) {
    const rule = skipAxis
      ? `with indices.shape[d] <= ${name}.shape[d] for every d != ${axis}`
      : `with indices.shape[d] <= ${name}.shape[d] for every d`;
    throw new ShapeError(
      `${op}: indices of shape ${formatShape(indices.shape)} do not fit ${name} of shape ${formatShape(other.shape)}; need the same number of dimensions, ${rule}`,
    );
  }
}

interface Walked {
  offset: number;
  strides: readonly number[];
}

/**
 * Walks the elements of `shape` in row-major order, tracking the storage offset of three strided
 * operands; `visit(k, a, b, c)` gets the flat position and the three offsets. The odometer moves
 * offsets by strides, so no per-element index arithmetic is needed.
 */
function walk(
  shape: readonly number[],
  a: Walked,
  b: Walked,
  c: Walked,
  visit: (k: number, a: number, b: number, c: number) => void,
): void {
  const nd = shape.length;
  const size = shapeSize(shape);
  if (size === 0) return;
  const inner = nd === 0 ? 1 : shape[nd - 1];
  const [sa, sb, sc] = nd === 0 ? [0, 0, 0] : [a.strides[nd - 1], b.strides[nd - 1], c.strides[nd - 1]];
  const counter = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let [pa, pb, pc] = [a.offset, b.offset, c.offset];
  for (let k = 0; k < size; k += inner) {
    for (let j = 0; j < inner; j++) visit(k + j, pa + j * sa, pb + j * sb, pc + j * sc);
    for (let d = nd - 2; d >= 0; d--) {
      pa += a.strides[d];
      pb += b.strides[d];
      pc += c.strides[d];
      if (++counter[d] < shape[d]) break;
      counter[d] = 0;
      pa -= a.strides[d] * shape[d];
      pb -= b.strides[d] * shape[d];
      pc -= c.strides[d] * shape[d];
    }
  }
}

/** Strides that walk `t` with stride 0 along `axis`: the index value supplies that coordinate. */
function acrossAxis(t: Tensor, axis: number): Walked {
  return { offset: t.offset, strides: t.strides.map((s, d) => (d === axis ? 0 : s)) };
}

/**
 * Picks along `axis` with an index per output element (PyTorch's gather, NumPy's
 * take_along_axis): for axis 1 of a 3-d x, `out[i][j][k] = x[i][indices[i][j][k]][k]`. The output
 * has `indices`' shape. Shape rule (PyTorch's, not take_along_axis's broadcasting): `indices` has
 * x's ndim and `indices.shape[d] <= x.shape[d]` for every `d != axis`.
 *
 * @example
 * const scores = tensor([[0.1, 0.9], [0.8, 0.2]]);
 * gather(scores, tensor([[1], [0]], { dtype: 'int32' }), 1).toArray(); // [[0.9], [0.8]]
 */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const idx = indexTensor('gather', indices);
  const at = normalizeAxis('gather', axis, x.ndim);
  checkIndexShape('gather', idx, x, 'x', at, true);
  const out = empty(x.dtype, idx.shape, 'gather');
  const size = x.shape[at];
  const step = x.strides[at];
  const xd = x.data;
  const od = out.data;
  const id = idx.data;
  walk(idx.shape, idx, acrossAxis(x, at), out, (k, i, base, o) => {
    let v = id[i];
    if (v < -size || v >= size) throw outOfBounds('gather', v, at, size, ` at position ${position(k, idx.shape)}`);
    if (v < 0) v += size;
    od[o] = xd[base + v * step];
  });
  return out;
}

/**
 * The adjoint of `gather`: a new tensor equal to `target` with `source[i][j][k]` added at
 * `[i][indices[i][j][k]][k]` (for axis 1), repeated indices accumulating (PyTorch's scatter_add,
 * out of place). Shape rule (PyTorch's): all three have the same ndim, `indices.shape[d] <=
 * source.shape[d]` for every d and `<= target.shape[d]` for `d != axis`; only the leading
 * `indices.shape` block of `source` is read. gather's backward is
 * `scatterAdd(zeros(x.shape), indices, gy, axis)`.
 *
 * @example
 * const t = tensor([[1, 0], [0, 0]], { dtype: 'int32' });
 * scatterAdd(zeros([2, 3]), t, ones([2, 2]), 1).toArray(); // [[1, 1, 0], [2, 0, 0]]
 */
export function scatterAdd(target: Tensor, indices: Tensor, source: Tensor, axis: number): Tensor {
  const idx = indexTensor('scatterAdd', indices);
  if (!(target instanceof Tensor) || !(source instanceof Tensor))
    throw new DTypeError('scatterAdd: target and source must be Tensors');
  const at = normalizeAxis('scatterAdd', axis, target.ndim);
  checkIndexShape('scatterAdd', idx, target, 'target', at, true);
  checkIndexShape('scatterAdd', idx, source, 'source', at, false);
  const out = target.astype(accumulateType(target.dtype, source.dtype));
  const size = target.shape[at];
  const step = out.strides[at];
  const od = out.data;
  const sd = source.data;
  const id = idx.data;
  walk(idx.shape, idx, source, acrossAxis(out, at), (k, i, s, base) => {
    let v = id[i];
    if (v < -size || v >= size) throw outOfBounds('scatterAdd', v, at, size, ` at position ${position(k, idx.shape)}`);
    if (v < 0) v += size;
    od[base + v * step] += sd[s];
  });
  return out;
}

/**
 * The seeds' `y[np.arange(N), t]`: for x of shape (N, C) and int32 `indices` of shape (N), the
 * (N) values `x[i][indices[i]]` (e.g. each sample's score for its label in cross-entropy).
 * Negative indices count from the end, as in NumPy.
 *
 * @example
 * const y = tensor([[0.1, 0.9], [0.8, 0.2]]);
 * takeAlongRows(y, tensor([1, 0], { dtype: 'int32' })).toArray(); // [0.9, 0.8]
 */
export function takeAlongRows(x: Tensor, indices: Tensor): Tensor {
  const idx = indexTensor('takeAlongRows', indices);
  if (x.ndim !== 2) throw new ShapeError(`takeAlongRows: x must be 2-d (N, C), got shape ${formatShape(x.shape)}`);
  const [rows, columns] = x.shape;
  if (idx.ndim !== 1 || idx.shape[0] !== rows) {
    throw new ShapeError(
      `takeAlongRows: indices must have shape (${rows}) to match x of shape ${formatShape(x.shape)}, got ${formatShape(idx.shape)}`,
    );
  }
  const out = empty(x.dtype, [rows]);
  const [rowStride, columnStride] = x.strides;
  const step = idx.strides[0];
  for (let i = 0; i < rows; i++) {
    let v = idx.data[idx.offset + i * step];
    if (v < -columns || v >= columns) throw outOfBounds('takeAlongRows', v, 1, columns, ` at row ${i}`);
    if (v < 0) v += columns;
    out.data[i] = x.data[x.offset + i * rowStride + v * columnStride];
  }
  return out;
}

export interface OneHotOptions {
  /** Element type of the result (default float32). */
  dtype?: DType;
}

/**
 * One-hot encoding: int32 labels of any shape become `shape + [numClasses]`, with a 1 at each
 * label (PyTorch's one_hot; default dtype float32 so it mixes with scores directly). A label
 * outside [0, numClasses) is an IndexError naming it and its position.
 *
 * @example
 * oneHot([2, 0], 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(indices: Tensor | readonly number[], numClasses: number, options: OneHotOptions = {}): Tensor {
  const values = indexValues('oneHot', indices);
  if (!Number.isInteger(numClasses) || numClasses < 0)
    throw new ValueError(`oneHot: numClasses must be a non-negative integer, got ${numClasses}`);
  const dtype = options.dtype === undefined ? 'float32' : checkDType('oneHot', options.dtype);
  const out = empty(dtype, [...values.shape, numClasses], 'oneHot');
  const count = shapeSize(values.shape);
  for (let k = 0; k < count; k++) {
    const label = values.data[values.offset + k];
    if (label < 0 || label >= numClasses) {
      throw new IndexError(
        `oneHot: label ${label} at position ${position(k, values.shape)} is out of range for ${numClasses} classes (valid labels are 0..${numClasses - 1})`,
      );
    }
    out.data[k * numClasses + label] = 1;
  }
  return out;
}

// ---- repeat / tile --------------------------------------------------------------------------------

function checkCount(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ValueError(`${op}: ${what} must be non-negative integers, got ${String(v)}`);
  return v;
}

/**
 * Repeats each element `repeats` times along `axis` (NumPy's repeat); without an axis, `x` is
 * flattened first. `repeats` is one count for every element or one count per position along the
 * axis.
 *
 * @example
 * repeat(tensor([[1, 2], [3, 4]]), 2).toArray();        // [1, 1, 2, 2, 3, 3, 4, 4]
 * repeat(tensor([[1, 2], [3, 4]]), [1, 2], 0).toArray(); // [[1, 2], [3, 4], [3, 4]]
 */
export function repeat(x: Tensor, repeats: number | readonly number[], axis?: number): Tensor {
  const flat = axis === undefined || axis === null;
  const source = flat ? reshape(x, [-1]) : x;
  const at = flat ? 0 : normalizeAxis('repeat', axis, x.ndim);
  const n = source.shape[at];
  let counts: number[];
  if (typeof repeats === 'number') counts = [checkCount('repeat', 'repeats', repeats)];
  else if (Array.isArray(repeats)) counts = repeats.map((r) => checkCount('repeat', 'repeats', r));
  else throw new ValueError(`repeat: repeats must be a number or an array of counts, got ${typeof repeats}`);
  if (counts.length !== 1 && counts.length !== n) {
    throw new ShapeError(
      `repeat: got ${counts.length} repeats for axis ${at} of size ${n} (shape ${formatShape(source.shape)}); give one count, or one per position`,
    );
  }
  const pre = source.shape.slice(0, at);
  const post = source.shape.slice(at + 1);
  if (counts.length === 1) {
    // One count: read x as shape [...pre, n, r, ...post] with stride 0 along r; a single strided
    // copy fills the output, whatever x's layout.
    const r = counts[0];
    const out = empty(x.dtype, [...pre, n * r, ...post], 'repeat');
    const shape = [...pre, n, r, ...post];
    const strides = [...source.strides.slice(0, at + 1), 0, ...source.strides.slice(at + 1)];
    const input = { data: source.data, offset: source.offset, strides };
    kernels().map('copy', shape, { data: out.data, offset: 0, strides: contiguousStrides(shape) }, [input]);
    return out;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const out = empty(x.dtype, [...pre, total, ...post], 'repeat');
  if (out.size === 0) return out;
  const src = source.contiguous();
  const outer = shapeSize(pre);
  const inner = shapeSize(post);
  let o = 0;
  for (let r = 0; r < outer; r++) {
    for (let i = 0; i < n; i++) {
      const from = src.offset + (r * n + i) * inner;
      for (let c = 0; c < counts[i]; c++, o += inner) copyRun(out.data, o, src.data, from, inner);
    }
  }
  return out;
}

/**
 * Tiles the whole of `x` `reps` times per axis (NumPy's tile). When `reps` is longer than
 * `x.ndim`, x gains leading size-1 axes; when shorter, reps gains leading 1s.
 *
 * @example
 * tile(tensor([1, 2]), 2).toArray();       // [1, 2, 1, 2]
 * tile(tensor([1, 2]), [2, 1]).toArray();  // [[1, 2], [1, 2]]
 */
export function tile(x: Tensor, reps: number | readonly number[]): Tensor {
  let list: number[];
  if (typeof reps === 'number') list = [checkCount('tile', 'reps', reps)];
  else if (Array.isArray(reps)) list = reps.map((r) => checkCount('tile', 'reps', r));
  else throw new ValueError(`tile: reps must be a number or an array of counts, got ${typeof reps}`);
  const nd = Math.max(x.ndim, list.length);
  const shape = [...new Array<number>(nd - x.ndim).fill(1), ...x.shape];
  const strides = [...new Array<number>(nd - x.ndim).fill(0), ...x.strides];
  const counts = [...new Array<number>(nd - list.length).fill(1), ...list];
  const out = empty(
    x.dtype,
    shape.map((dim, d) => dim * counts[d]),
    'tile',
  );
  // Output axis d, read as [counts[d], shape[d]] row-major, is exactly x repeated whole: one
  // strided copy with stride 0 on every count axis.
  const iterShape = shape.flatMap((dim, d) => [counts[d], dim]);
  const iterStrides = strides.flatMap((s) => [0, s]);
  const input = { data: x.data, offset: x.offset, strides: iterStrides };
  kernels().map('copy', iterShape, { data: out.data, offset: 0, strides: contiguousStrides(iterShape) }, [input]);
  return out;
}

import { type DType, type Storage, checkDType, dtypeOfStorage } from './dtype.js';
import { ShapeError, ValueError, formatShape } from './errors.js';
import { contiguousStrides, isContiguous, shapeSize, type Shape } from './shape.js';
import * as elementwise from './ops/elementwise.js';
import * as reduction from './ops/reduce.js';
import * as movement from './ops/movement.js';
import * as linalg from './ops/matmul.js';
import * as indexing from './ops/indexing.js';
import * as join from './ops/join.js';
import { formatTensor, toNested, type Nested } from './format.js';
import { markStorageModified } from './storage-pool.js';
import type { Index } from './ops/movement.js';
import type { AxisSpec, ReduceOptions } from './ops/reduce.js';

/** A tensor or a plain number, accepted wherever an operand is. */
export type TensorLike = Tensor | number;

/**
 * An n-dimensional array: a typed-array `data` read through `shape`, `strides` (in elements)
 * and `offset`. Views (reshape, transpose, slices, broadcastTo, squeeze) share `data`; operations
 * that compute return new tensors. Tensors are ordinary garbage-collected objects.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * x.T.matmul(x).sum(0).toArray(); // [24, 32]
 */
export class Tensor {
  /** The storage (shared by views). A write through it must be followed by `markModified()`. */
  readonly data: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly size: number;

  /**
   * Wraps storage without copying. Prefer `tensor(...)`; this constructor trusts its arguments
   * except for a bounds check that keeps every view inside `data`.
   */
  constructor(data: Storage, shape: Shape, strides: Shape = contiguousStrides(shape), offset = 0) {
    this.data = data;
    this.dtype = dtypeOfStorage(data);
    // Copied so a caller's later edits cannot reshape us; typed readonly rather than frozen,
    // because freezing costs more than the rest of a small op.
    this.shape = shape.slice();
    this.strides = strides.slice();
    this.offset = offset;
    this.size = shapeSize(shape);
    checkViewBounds(this);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True when the elements are laid out row-major with no gaps from `offset`. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  // ---- conversion ----------------------------------------------------------------------------

  /** A copy converted to `dtype` (to int32 truncates toward zero; to bool tests `!== 0`). */
  astype(dtype: DType): Tensor {
    return elementwise.astype(this, checkDType('astype', dtype));
  }
  /** This tensor if already contiguous, else a row-major copy. */
  contiguous(): Tensor {
    return this.isContiguous ? this : elementwise.copy(this);
  }
  /** A contiguous copy that shares nothing with this tensor. */
  clone(): Tensor {
    return elementwise.copy(this);
  }
  /**
   * Declares that this tensor's storage was written in place (through `data`, the raw typed array).
   * Call it after such a write: a graph that saved this value, or any view of the same storage,
   * then refuses to run backward through the stale value (an AutogradError) instead of giving a
   * wrong gradient. The library's own in-place writes (optimizer steps) call it for you.
   *
   * @example
   * const t = zeros([3]);
   * t.data[0] = 5;
   * t.markModified();
   */
  markModified(): this {
    markStorageModified(this.data);
    return this;
  }
  /** Nested arrays of numbers (booleans for bool tensors); a number for a 0-d tensor. */
  toArray(): Nested {
    return toNested(this);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError(`item: only a tensor with one element has an item, got shape ${formatShape(this.shape)}`);
    return this.data[this.offset];
  }
  /** The elements in row-major order as a fresh typed array of this dtype. */
  toTypedArray(): Storage {
    const c = this.contiguous();
    return c.data.slice(c.offset, c.offset + c.size) as Storage;
  }
  /**
   * A plain summary for JSON.stringify and test reporters (which otherwise walk getters like `T`
   * that return a new tensor each time, forever).
   */
  toJSON(): { dtype: DType; shape: number[]; values: Nested | string } {
    return {
      dtype: this.dtype,
      shape: [...this.shape],
      values: this.size <= 1000 ? this.toArray() : `${this.size} elements`,
    };
  }
  /** NumPy-style text, e.g. `array([[1, 2], [3, 4]], dtype=float32)`. */
  toString(): string {
    return formatTensor(this);
  }

  // ---- elementwise -----------------------------------------------------------------------------

  neg(): Tensor {
    return elementwise.neg(this);
  }
  abs(): Tensor {
    return elementwise.abs(this);
  }
  sign(): Tensor {
    return elementwise.sign(this);
  }
  exp(): Tensor {
    return elementwise.exp(this);
  }
  log(): Tensor {
    return elementwise.log(this);
  }
  log1p(): Tensor {
    return elementwise.log1p(this);
  }
  expm1(): Tensor {
    return elementwise.expm1(this);
  }
  erf(): Tensor {
    return elementwise.erf(this);
  }
  sqrt(): Tensor {
    return elementwise.sqrt(this);
  }
  square(): Tensor {
    return elementwise.square(this);
  }
  reciprocal(): Tensor {
    return elementwise.reciprocal(this);
  }
  sin(): Tensor {
    return elementwise.sin(this);
  }
  cos(): Tensor {
    return elementwise.cos(this);
  }
  tanh(): Tensor {
    return elementwise.tanh(this);
  }
  sigmoid(): Tensor {
    return elementwise.sigmoid(this);
  }
  relu(): Tensor {
    return elementwise.relu(this);
  }
  step(): Tensor {
    return elementwise.step(this);
  }
  clip(min: number, max: number): Tensor {
    return elementwise.clip(this, min, max);
  }

  add(other: TensorLike): Tensor {
    return elementwise.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return elementwise.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return elementwise.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return elementwise.div(this, other);
  }
  pow(other: TensorLike): Tensor {
    return elementwise.pow(this, other);
  }
  maximum(other: TensorLike): Tensor {
    return elementwise.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return elementwise.minimum(this, other);
  }
  eq(other: TensorLike): Tensor {
    return elementwise.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return elementwise.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return elementwise.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return elementwise.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return elementwise.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return elementwise.ge(this, other);
  }

  /** True when shapes broadcast and every pair satisfies |a − b| ≤ atol + rtol·|b| (NaNs equal only with equalNan). */
  allclose(other: TensorLike, options?: elementwise.AllcloseOptions): boolean {
    return elementwise.allclose(this, other, options);
  }
  /** True when shapes are equal and every element is equal. */
  equal(other: Tensor): boolean {
    return elementwise.arrayEqual(this, other);
  }

  // ---- reductions ------------------------------------------------------------------------------

  sum(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.sum(this, axis, options);
  }
  mean(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.mean(this, axis, options);
  }
  prod(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.prod(this, axis, options);
  }
  max(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.max(this, axis, options);
  }
  min(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.min(this, axis, options);
  }
  any(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.any(this, axis, options);
  }
  all(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.all(this, axis, options);
  }
  var(axis?: AxisSpec, options?: reduction.VarianceOptions): Tensor {
    return reduction.variance(this, axis, options);
  }
  std(axis?: AxisSpec, options?: reduction.VarianceOptions): Tensor {
    return reduction.std(this, axis, options);
  }
  logsumexp(axis?: AxisSpec, options?: ReduceOptions): Tensor {
    return reduction.logsumexp(this, axis, options);
  }
  argmax(axis?: number, options?: ReduceOptions): Tensor {
    return reduction.argmax(this, axis, options);
  }
  argmin(axis?: number, options?: ReduceOptions): Tensor {
    return reduction.argmin(this, axis, options);
  }
  softmax(axis = -1): Tensor {
    return reduction.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return reduction.logSoftmax(this, axis);
  }

  // ---- views -----------------------------------------------------------------------------------

  /** Same data, new shape; one size may be -1. A view when the layout allows, else a copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return movement.reshape(this, flatArgs(shape));
  }
  /** Reverses the axes, or permutes them by `axes` (NumPy's transpose). A view. */
  transpose(axes?: readonly number[]): Tensor {
    return movement.transpose(this, axes);
  }
  /** Permutes the axes: `x.permute(0, 2, 1)`. A view. */
  permute(...axes: number[] | [readonly number[]]): Tensor {
    return movement.transpose(this, flatArgs(axes));
  }
  /** Swaps two axes. A view. */
  swapaxes(axis1: number, axis2: number): Tensor {
    return movement.swapaxes(this, axis1, axis2);
  }
  /** The transpose (axes reversed), as NumPy's `.T`. */
  get T(): Tensor {
    return movement.transpose(this);
  }
  /** A view with stride 0 along broadcast dimensions. */
  broadcastTo(shape: readonly number[]): Tensor {
    return movement.broadcastTo(this, shape);
  }
  /** Removes size-1 axes (all of them, or the ones named). */
  squeeze(axis?: number | readonly number[]): Tensor {
    return movement.squeeze(this, axis);
  }
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze(axis: number): Tensor {
    return movement.unsqueeze(this, axis);
  }
  /** Collapses axes startAxis..endAxis (default: all) into one. */
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return movement.flatten(this, startAxis, endAxis);
  }
  /**
   * NumPy-style basic indexing, as a view: numbers pick (and drop) an axis, `'start:stop:step'`
   * strings or `{start, stop, step}` slice it, `':'`/`null` keep it whole, `'...'` fills the rest.
   * @example x.slice(0, '1:'), x.slice('...', '::-1')
   */
  slice(...indices: Index[]): Tensor {
    return movement.slice(this, indices);
  }

  // ---- linear algebra ---------------------------------------------------------------------------

  /** NumPy matmul: 1-d·1-d, 2-d, and batched with broadcast batch dimensions. */
  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  }
  dot(other: Tensor): Tensor {
    return linalg.dot(this, other);
  }

  // ---- indexing and joining -----------------------------------------------------------------------

  /** Elements at int32 `indices` along `axis` (NumPy's take; the output has indices' shape in place of axis). */
  take(indices: Tensor | readonly number[], axis?: number): Tensor {
    return indexing.take(this, indices, axis);
  }
  /** Elements at `indices` along `axis`, with indices shaped like the output (PyTorch's gather). */
  gather(indices: Tensor, axis: number): Tensor {
    return indexing.gather(this, indices, axis);
  }
  /** Repeats each element `repeats` times along `axis` (NumPy's repeat; flattened when no axis). */
  repeat(repeats: number | readonly number[], axis?: number): Tensor {
    return indexing.repeat(this, repeats, axis);
  }
  /** Tiles the whole tensor `reps` times per axis (NumPy's tile). */
  tile(reps: number | readonly number[]): Tensor {
    return indexing.tile(this, reps);
  }
  /** Splits into pieces along `axis`: a count of equal sections or a list of split indices. */
  split(sections: number | readonly number[], axis = 0): Tensor[] {
    return join.split(this, sections, axis);
  }
  /** Pads with a constant: `padWidth` is one [before, after] pair per axis (or one pair for all). */
  pad(padWidth: join.PadWidth, value = 0): Tensor {
    return join.pad(this, padWidth, value);
  }
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : (args as number[]);
}

/** A view whose strides would step outside its storage is a bug in the caller; stop it here. */
function checkViewBounds(t: Tensor): void {
  if (t.size === 0) return;
  let low = t.offset;
  let high = t.offset;
  t.shape.forEach((dim, d) => {
    const reach = (dim - 1) * t.strides[d];
    if (reach < 0) low += reach;
    else high += reach;
  });
  if (low < 0 || high >= t.data.length || !Number.isInteger(low) || !Number.isInteger(high)) {
    throw new ValueError(
      `Tensor: view of shape ${formatShape(t.shape)} with strides ${formatShape(t.strides)} and offset ${t.offset} reaches outside its storage of ${t.data.length} elements`,
    );
  }
}

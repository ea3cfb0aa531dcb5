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
import type {
  Broadcast,
  BroadcastCheck,
  Dims,
  Flatten,
  KeepDims,
  MatMul,
  MatMulCheck,
  Permute,
  Reduce,
  Reshaped,
  Sliced,
  ShapeType,
  Squeeze,
  SwapAxes,
  Unsqueeze,
} from './shape-types.js';

/** A tensor or a plain number, accepted wherever an operand is. */
export type TensorLike = Tensor | number;

/**
 * The other operand of a broadcasting binary op on a `Tensor<S>`: a number, or a tensor whose
 * shape broadcasts with `S` (two known dimensions that differ, neither 1, do not compile).
 */
export type Operand<Op extends string, S extends ShapeType, T extends ShapeType> =
  (Tensor<T> & BroadcastCheck<Op, S, T>) | number;

/**
 * An n-dimensional array: a typed-array `data` read through `shape`, `strides` (in elements)
 * and `offset`. Views (reshape, transpose, slices, broadcastTo, squeeze) share `data`; operations
 * that compute return new tensors. Tensors are ordinary garbage-collected objects.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * x.T.matmul(x).sum(0).toArray(); // [24, 32]
 */
export class Tensor<S extends ShapeType = ShapeType> {
  /** The storage (shared by views). A write through it must be followed by `markModified()`. */
  readonly data: Storage;
  readonly dtype: DType;
  /** The dimensions; typed as a tuple (`readonly [2, 3]`) where the shape is known when compiling. */
  readonly shape: Readonly<S> & ShapeType;
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
    this.shape = shape.slice() as unknown as Readonly<S> & ShapeType;
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

  // Async readers: the same values as toArray/item/toTypedArray, as promises. Code that awaits
  // them works unchanged on a backend whose storage lives on a device and can only be read back
  // asynchronously (the planned WebGPU backend, issue 18); on host storage they resolve at once.

  /**
   * `toArray()` as a promise.
   *
   * @example
   * await tensor([[1, 2], [3, 4]]).toArrayAsync(); // [[1, 2], [3, 4]]
   */
  toArrayAsync(): Promise<Nested> {
    return Promise.resolve().then(() => this.toArray());
  }
  /**
   * `toTypedArray()` as a promise: the elements in row-major order, a fresh typed array.
   *
   * @example
   * await tensor([1, 2, 3]).dataAsync(); // Float32Array [1, 2, 3]
   */
  dataAsync(): Promise<Storage> {
    return Promise.resolve().then(() => this.toTypedArray());
  }
  /**
   * `item()` as a promise (rejects with the same ShapeError for more than one element).
   *
   * @example
   * await tensor([2, 3]).sum().itemAsync(); // 5
   */
  itemAsync(): Promise<number> {
    return Promise.resolve().then(() => this.item());
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

  neg(): Tensor<S> {
    return elementwise.neg(this) as Tensor<S>;
  }
  abs(): Tensor<S> {
    return elementwise.abs(this) as Tensor<S>;
  }
  sign(): Tensor<S> {
    return elementwise.sign(this) as Tensor<S>;
  }
  exp(): Tensor<S> {
    return elementwise.exp(this) as Tensor<S>;
  }
  log(): Tensor<S> {
    return elementwise.log(this) as Tensor<S>;
  }
  log1p(): Tensor<S> {
    return elementwise.log1p(this) as Tensor<S>;
  }
  expm1(): Tensor<S> {
    return elementwise.expm1(this) as Tensor<S>;
  }
  erf(): Tensor<S> {
    return elementwise.erf(this) as Tensor<S>;
  }
  sqrt(): Tensor<S> {
    return elementwise.sqrt(this) as Tensor<S>;
  }
  square(): Tensor<S> {
    return elementwise.square(this) as Tensor<S>;
  }
  reciprocal(): Tensor<S> {
    return elementwise.reciprocal(this) as Tensor<S>;
  }
  sin(): Tensor<S> {
    return elementwise.sin(this) as Tensor<S>;
  }
  cos(): Tensor<S> {
    return elementwise.cos(this) as Tensor<S>;
  }
  tanh(): Tensor<S> {
    return elementwise.tanh(this) as Tensor<S>;
  }
  sigmoid(): Tensor<S> {
    return elementwise.sigmoid(this) as Tensor<S>;
  }
  relu(): Tensor<S> {
    return elementwise.relu(this) as Tensor<S>;
  }
  step(): Tensor<S> {
    return elementwise.step(this) as Tensor<S>;
  }
  clip(min: number, max: number): Tensor<S> {
    return elementwise.clip(this, min, max) as Tensor<S>;
  }

  add<T extends ShapeType = []>(other: Operand<'add', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.add(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  sub<T extends ShapeType = []>(other: Operand<'sub', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.sub(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  mul<T extends ShapeType = []>(other: Operand<'mul', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.mul(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  div<T extends ShapeType = []>(other: Operand<'div', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.div(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  pow<T extends ShapeType = []>(other: Operand<'pow', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.pow(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  maximum<T extends ShapeType = []>(other: Operand<'maximum', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.maximum(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  minimum<T extends ShapeType = []>(other: Operand<'minimum', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.minimum(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  eq<T extends ShapeType = []>(other: Operand<'eq', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.eq(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  ne<T extends ShapeType = []>(other: Operand<'ne', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.ne(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  lt<T extends ShapeType = []>(other: Operand<'lt', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.lt(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  le<T extends ShapeType = []>(other: Operand<'le', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.le(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  gt<T extends ShapeType = []>(other: Operand<'gt', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.gt(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
  }
  ge<T extends ShapeType = []>(other: Operand<'ge', S, T>): Tensor<Broadcast<S, T>> {
    return elementwise.ge(this, other as TensorLike) as Tensor<Broadcast<S, T>>;
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

  sum<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.sum(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  mean<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.mean(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  prod<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.prod(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  max<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.max(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  min<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.min(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  any<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.any(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  all<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.all(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  var<const A extends AxisSpec = undefined, O extends reduction.VarianceOptions = reduction.VarianceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.variance(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  std<const A extends AxisSpec = undefined, O extends reduction.VarianceOptions = reduction.VarianceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.std(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  logsumexp<const A extends AxisSpec = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.logsumexp(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  argmax<A extends number | undefined = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.argmax(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  argmin<A extends number | undefined = undefined, O extends ReduceOptions = ReduceOptions>(
    axis?: A,
    options?: O,
  ): Tensor<Reduce<S, A, KeepDims<O>>> {
    return reduction.argmin(this, axis, options) as Tensor<Reduce<S, A, KeepDims<O>>>;
  }
  softmax(axis = -1): Tensor<S> {
    return reduction.softmax(this, axis) as Tensor<S>;
  }
  logSoftmax(axis = -1): Tensor<S> {
    return reduction.logSoftmax(this, axis) as Tensor<S>;
  }

  // ---- views -----------------------------------------------------------------------------------

  /** Same data, new shape; one size may be -1. A view when the layout allows, else a copy. */
  reshape<const T extends readonly number[]>(shape: T): Tensor<Reshaped<T>>;
  reshape<const T extends number[]>(...shape: T): Tensor<Reshaped<T>>;
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return movement.reshape(this, flatArgs(shape));
  }
  /** Reverses the axes, or permutes them by `axes` (NumPy's transpose). A view. */
  transpose<const A extends readonly number[] | undefined = undefined>(axes?: A): Tensor<Permute<S, A>> {
    return movement.transpose(this, axes) as Tensor<Permute<S, A>>;
  }
  /** Permutes the axes: `x.permute(0, 2, 1)`. A view. */
  permute<const A extends readonly number[]>(axes: A): Tensor<Permute<S, A>>;
  permute<const A extends number[]>(...axes: A): Tensor<Permute<S, A>>;
  permute(...axes: number[] | [readonly number[]]): Tensor {
    return movement.transpose(this, flatArgs(axes));
  }
  /** Swaps two axes. A view. */
  swapaxes<I extends number, J extends number>(axis1: I, axis2: J): Tensor<SwapAxes<S, I, J>> {
    return movement.swapaxes(this, axis1, axis2) as Tensor<SwapAxes<S, I, J>>;
  }
  /** The transpose (axes reversed), as NumPy's `.T`. */
  get T(): Tensor<Permute<S>> {
    return movement.transpose(this) as Tensor<Permute<S>>;
  }
  /** A view with stride 0 along broadcast dimensions. */
  broadcastTo<const T extends readonly number[]>(shape: T): Tensor<Dims<T>> {
    return movement.broadcastTo(this, shape) as Tensor<Dims<T>>;
  }
  /** Removes size-1 axes (all of them, or the ones named). */
  squeeze<const A extends number | readonly number[] | undefined = undefined>(axis?: A): Tensor<Squeeze<S, A>> {
    return movement.squeeze(this, axis) as Tensor<Squeeze<S, A>>;
  }
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze<A extends number>(axis: A): Tensor<Unsqueeze<S, A>> {
    return movement.unsqueeze(this, axis) as Tensor<Unsqueeze<S, A>>;
  }
  /** Collapses axes startAxis..endAxis (default: all) into one. */
  flatten<Start extends number = 0>(startAxis?: Start): Tensor<Flatten<S, Start>>;
  flatten(startAxis: number, endAxis: number): Tensor;
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return movement.flatten(this, startAxis, endAxis);
  }
  /**
   * NumPy-style basic indexing, as a view: numbers pick (and drop) an axis, `'start:stop:step'`
   * strings or `{start, stop, step}` slice it, `':'`/`null` keep it whole, `'...'` fills the rest.
   * @example x.slice(0, '1:'), x.slice('...', '::-1')
   */
  slice<const I extends Index[]>(...indices: I): Tensor<Sliced<S, I>> {
    return movement.slice(this, indices) as Tensor<Sliced<S, I>>;
  }

  // ---- linear algebra ---------------------------------------------------------------------------

  /** NumPy matmul: 1-d·1-d, 2-d, and batched with broadcast batch dimensions. */
  matmul<T extends ShapeType>(other: Tensor<T> & MatMulCheck<'matmul', S, T>): Tensor<MatMul<S, T>> {
    return linalg.matmul(this, other) as Tensor<MatMul<S, T>>;
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

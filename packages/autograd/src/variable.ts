import {
  type AxisSpec,
  type DType,
  type Index,
  type Nested,
  type NestedInput,
  Tensor,
  ValueError,
  tensor,
  type Broadcast,
  type BatchCheck,
  type BroadcastCheck,
  type Dims,
  type Flatten,
  type KeepDims,
  type MatMul,
  type MatMulCheck,
  type Permute,
  type Reduce,
  type Reshaped,
  type Sliced,
  type ShapeType,
  type Squeeze,
  type Unsqueeze,
} from '@nn/tensor';
import { tickWriteClock } from '@nn/tensor/internal';
import { type Function, type Operand, bindVariable } from './function.js';
import { type Dual, bindDualVariable } from './dual.js';
import { type BackwardOptions, backward } from './engine.js';
import * as elementwise from './ops/elementwise.js';
import * as activation from './ops/activation.js';
import * as reduce from './ops/reduce.js';
import * as movement from './ops/movement.js';
import * as indexing from './ops/indexing.js';
import * as linalg from './ops/matmul.js';
import * as loss from './ops/loss.js';

export interface VariableOptions {
  /** A label for graphs and error messages. */
  name?: string | null;
  /** Whether gradients flow to this value (default true for `variable(...)`). */
  requiresGrad?: boolean;
}

export interface VariableCreationOptions extends VariableOptions {
  /** Element type when creating from numbers or arrays (default float32). */
  dtype?: DType;
}

/** A function that sees a gradient as it arrives and may return a replacement. */
export type GradHook = (grad: Variable) => Variable | void;

/** Returned by `registerHook`; `remove()` unregisters the hook. */
export interface HookHandle {
  remove(): void;
}

/**
 * A Tensor (`data`) that takes part in differentiation: it knows the node that produced it
 * (`creator`, null for leaves and constants) and receives its gradient in `grad` (a Variable, so
 * gradients can be differentiated again). Every differentiable operation is a method here and a
 * function exported from the package.
 *
 * @example
 * const x = variable([[1, 2], [3, 4]]);
 * const W = variable(randn([2, 3]), { name: 'W' });
 * const y = x.matmul(W).add(1).tanh().sum();
 * y.backward();
 * W.grad?.data.shape; // [2, 3]
 */
export class Variable<S extends ShapeType = ShapeType> {
  /** @internal The value (see `data`). */
  declare private value: Tensor<S>;
  /** @internal The storage write clock when `data` was last replaced (0: never). */
  replacedAt = 0;
  /** The gradient accumulated by backward; null until one arrives, or after `zeroGrad()`. */
  grad: Variable<S> | null = null;
  name: string | null;
  /** Whether gradients flow to this value. Outputs of recorded nodes always require grad. */
  requiresGrad: boolean;
  /** The node that produced this value, or null for a leaf (a user's input or parameter) or a constant. */
  creator: Function | null = null;
  /** Which output of `creator` this is. */
  outputIndex = 0;
  /** 0 for leaves, else creator.generation + 1: backward visits larger generations first. */
  generation = 0;
  /** @internal Set by `retainGrad()`. */
  retainsGrad = false;
  /** @internal Hooks registered with `registerHook`. */
  hooks: GradHook[] | null = null;
  /** @internal The gradient summed so far in the running backward pass (engine scratch). */
  pendingGrad: Variable | null = null;
  /** @internal The backward pass `pendingGrad` belongs to. */
  pendingPass = 0;
  /** @internal Tangents of running `jvp`s, one per level (see dual.ts); null outside forward mode. */
  duals: Dual | null = null;

  constructor(data: Tensor<S>, options?: VariableOptions) {
    if (!(data instanceof Tensor))
      throw new ValueError(
        `Variable: data must be a Tensor, got ${typeof data}; use variable(...) for numbers and arrays`,
      );
    this.value = data;
    this.name = options?.name ?? null;
    this.requiresGrad = options?.requiresGrad ?? true;
  }

  /**
   * The value. Replacing it, or writing into its storage (then call `data.markModified()`), after
   * a graph used it makes backward through that graph throw instead of giving a wrong gradient.
   */
  get data(): Tensor<S> {
    return this.value;
  }
  set data(t: Tensor) {
    this.value = t as Tensor<S>;
    this.replacedAt = tickWriteClock();
  }

  get shape(): Readonly<S> & ShapeType {
    return this.data.shape;
  }
  get dtype(): DType {
    return this.data.dtype;
  }
  get ndim(): number {
    return this.data.ndim;
  }
  get size(): number {
    return this.data.size;
  }
  /** True when no node produced this value. */
  get isLeaf(): boolean {
    return this.creator === null;
  }

  /**
   * Computes the gradient of this value with respect to every leaf that requires grad and adds it
   * to the leaf's `grad`.
   *
   * The contract (PyTorch's):
   * - A one-element output is seeded with 1; any other needs `{ grad }` of its shape.
   * - Leaf gradients **accumulate** across calls until you clear them with `zeroGrad()` (or
   *   `x.grad = null`); call it before each training step.
   * - Gradients of intermediate values are not kept unless `retainGrad()` was called on them.
   * - The graph's saved state is freed after the pass; a second backward through it throws an
   *   error naming the node, unless the first one passed `{ retainGraph: true }`.
   * - `{ createGraph: true }` records the backward pass itself, so `x.grad.backward()` gives
   *   second derivatives; it also retains the graph unless `retainGraph: false` is given.
   * - Values the graph saved must not be changed in place before this runs (an optimizer step,
   *   a write into `data` followed by `markModified()`, a new `data`): backward then throws.
   *
   * @example
   * const x = variable(3);
   * const y = x.mul(x);
   * y.backward({ createGraph: true }); // x.grad = 6
   * const gx = x.grad!; x.zeroGrad();
   * gx.backward();                     // x.grad = 2
   */
  backward(options?: BackwardOptions): void {
    backward(this, options);
  }

  /** Keeps this intermediate value's gradient in `grad` after backward (leaves always keep it). @example h.retainGrad() */
  retainGrad(): this {
    if (this.creator !== null) this.retainsGrad = true;
    return this;
  }

  /** Forgets the accumulated gradient (same as `x.grad = null`). @example for (const p of params) p.zeroGrad(); */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Calls `hook(grad)` when this value's gradient is complete in a backward pass (for a leaf,
   * before it is added to `grad`); a returned Variable replaces the gradient.
   *
   * @example
   * const h = x.registerHook((g) => g.mul(0.5)); // halve x's gradient
   * h.remove();
   */
  registerHook(hook: GradHook): HookHandle {
    (this.hooks ??= []).push(hook);
    return {
      remove: () => {
        const at = this.hooks?.indexOf(hook) ?? -1;
        if (at >= 0) this.hooks!.splice(at, 1);
      },
    };
  }

  /** The same data, cut from the graph (no creator, no gradient). @example const target = y.detach(); */
  detach(): Variable {
    return new Variable(this.data, { name: this.name, requiresGrad: false });
  }

  /** The single value of a one-element Variable. @example loss.item() */
  item(): number {
    return this.data.item();
  }
  /** Nested arrays of the data. @example x.toArray() // [[1, 2], [3, 4]] */
  toArray(): Nested {
    return this.data.toArray();
  }
  /**
   * `item()` as a promise, for loops that read a loss without forcing a sync read (a device
   * backend reads back asynchronously). @example const l = await loss.itemAsync();
   */
  itemAsync(): Promise<number> {
    return this.data.itemAsync();
  }
  /** `toArray()` as a promise. @example await x.toArrayAsync() // [[1, 2], [3, 4]] */
  toArrayAsync(): Promise<Nested> {
    return this.data.toArrayAsync();
  }
  toString(): string {
    const body = this.data.toString().replace(/^array/, 'variable');
    return this.creator ? `${body.slice(0, -1)}, creator=${this.creator.name})` : body;
  }

  // ---- elementwise (ops/elementwise.ts) ----------------------------------------------------------
  add<T extends ShapeType = []>(other: VariableOperand<'add', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.add(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  sub<T extends ShapeType = []>(other: VariableOperand<'sub', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.sub(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  mul<T extends ShapeType = []>(other: VariableOperand<'mul', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.mul(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  div<T extends ShapeType = []>(other: VariableOperand<'div', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.div(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  pow<T extends ShapeType = []>(exponent: VariableOperand<'pow', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.pow(this, exponent as Operand) as Variable<Broadcast<S, T>>;
  }
  neg(): Variable<S> {
    return elementwise.neg(this) as Variable<S>;
  }
  exp(): Variable<S> {
    return elementwise.exp(this) as Variable<S>;
  }
  log(): Variable<S> {
    return elementwise.log(this) as Variable<S>;
  }
  log1p(): Variable<S> {
    return elementwise.log1p(this) as Variable<S>;
  }
  expm1(): Variable<S> {
    return elementwise.expm1(this) as Variable<S>;
  }
  erf(): Variable<S> {
    return elementwise.erf(this) as Variable<S>;
  }
  maximum<T extends ShapeType = []>(other: VariableOperand<'maximum', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.maximum(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  minimum<T extends ShapeType = []>(other: VariableOperand<'minimum', S, T>): Variable<Broadcast<S, T>> {
    return elementwise.minimum(this, other as Operand) as Variable<Broadcast<S, T>>;
  }
  sqrt(): Variable<S> {
    return elementwise.sqrt(this) as Variable<S>;
  }
  sin(): Variable<S> {
    return elementwise.sin(this) as Variable<S>;
  }
  cos(): Variable<S> {
    return elementwise.cos(this) as Variable<S>;
  }
  square(): Variable<S> {
    return elementwise.square(this) as Variable<S>;
  }
  abs(): Variable<S> {
    return elementwise.abs(this) as Variable<S>;
  }
  clip(min: number, max: number): Variable<S> {
    return elementwise.clip(this, min, max) as Variable<S>;
  }

  // ---- activations (ops/activation.ts) -------------------------------------------------------------
  tanh(): Variable<S> {
    return activation.tanh(this) as Variable<S>;
  }
  sigmoid(): Variable<S> {
    return activation.sigmoid(this) as Variable<S>;
  }
  relu(): Variable<S> {
    return activation.relu(this) as Variable<S>;
  }
  leakyRelu(slope = 0.01): Variable<S> {
    return activation.leakyRelu(this, slope) as Variable<S>;
  }
  gelu(approximate: activation.GELUApproximation = 'none'): Variable<S> {
    return activation.gelu(this, approximate) as Variable<S>;
  }
  silu(): Variable<S> {
    return activation.silu(this) as Variable<S>;
  }
  softmax(axis = -1): Variable<S> {
    return activation.softmax(this, axis) as Variable<S>;
  }
  logSoftmax(axis = -1): Variable<S> {
    return activation.logSoftmax(this, axis) as Variable<S>;
  }

  // ---- reductions (ops/reduce.ts) ------------------------------------------------------------------
  sum<const A extends AxisSpec = undefined, O extends reduce.ReduceOptions = reduce.ReduceOptions>(
    axis?: A,
    options?: O,
  ): Variable<Reduce<S, A, KeepDims<O>>> {
    return reduce.sum(this, axis, options) as Variable<Reduce<S, A, KeepDims<O>>>;
  }
  mean<const A extends AxisSpec = undefined, O extends reduce.ReduceOptions = reduce.ReduceOptions>(
    axis?: A,
    options?: O,
  ): Variable<Reduce<S, A, KeepDims<O>>> {
    return reduce.mean(this, axis, options) as Variable<Reduce<S, A, KeepDims<O>>>;
  }
  max<const A extends AxisSpec = undefined, O extends reduce.ReduceOptions = reduce.ReduceOptions>(
    axis?: A,
    options?: O,
  ): Variable<Reduce<S, A, KeepDims<O>>> {
    return reduce.max(this, axis, options) as Variable<Reduce<S, A, KeepDims<O>>>;
  }
  logsumexp<const A extends AxisSpec = undefined, O extends reduce.ReduceOptions = reduce.ReduceOptions>(
    axis?: A,
    options?: O,
  ): Variable<Reduce<S, A, KeepDims<O>>> {
    return reduce.logsumexp(this, axis, options) as Variable<Reduce<S, A, KeepDims<O>>>;
  }
  min<const A extends AxisSpec = undefined, O extends reduce.ReduceOptions = reduce.ReduceOptions>(
    axis?: A,
    options?: O,
  ): Variable<Reduce<S, A, KeepDims<O>>> {
    return reduce.min(this, axis, options) as Variable<Reduce<S, A, KeepDims<O>>>;
  }
  sumTo<const T extends readonly number[]>(shape: T): Variable<Dims<T>> {
    return reduce.sumTo(this, shape) as Variable<Dims<T>>;
  }

  // ---- movement (ops/movement.ts) ------------------------------------------------------------------
  reshape<const T extends readonly number[]>(shape: T): Variable<Reshaped<T>>;
  reshape<const T extends number[]>(...shape: T): Variable<Reshaped<T>>;
  reshape(...shape: number[] | [readonly number[]]): Variable {
    return movement.reshape(this, flatArgs(shape));
  }
  transpose<const A extends readonly number[] | undefined = undefined>(axes?: A): Variable<Permute<S, A>> {
    return movement.transpose(this, axes) as Variable<Permute<S, A>>;
  }
  /** A plain summary for JSON.stringify and test reporters (which would otherwise walk `T` forever). */
  toJSON(): { name: string | null | undefined; requiresGrad: boolean; data: ReturnType<Tensor['toJSON']> } {
    return { name: this.name, requiresGrad: this.requiresGrad, data: this.data.toJSON() };
  }
  /** The transpose (axes reversed), as NumPy's `.T`. */
  get T(): Variable<Permute<S>> {
    return movement.transpose(this) as Variable<Permute<S>>;
  }
  broadcastTo<const T extends readonly number[]>(shape: T): Variable<Dims<T>> {
    return movement.broadcastTo(this, shape) as Variable<Dims<T>>;
  }
  repeat(repeats: number, axis?: number): Variable {
    return movement.repeat(this, repeats, axis);
  }
  squeeze<const A extends number | readonly number[] | undefined = undefined>(axis?: A): Variable<Squeeze<S, A>> {
    return movement.squeeze(this, axis) as Variable<Squeeze<S, A>>;
  }
  unsqueeze<A extends number>(axis: A): Variable<Unsqueeze<S, A>> {
    return movement.unsqueeze(this, axis) as Variable<Unsqueeze<S, A>>;
  }
  flatten<Start extends number = 0>(startAxis?: Start): Variable<Flatten<S, Start>>;
  flatten(startAxis: number, endAxis: number): Variable;
  flatten(startAxis = 0, endAxis = -1): Variable {
    return movement.flatten(this, startAxis, endAxis);
  }
  split(sections: number | readonly number[], axis = 0): Variable[] {
    return movement.split(this, sections, axis);
  }

  // ---- indexing (ops/indexing.ts) ------------------------------------------------------------------
  /** NumPy basic indexing (see Tensor.slice); the gradient is scattered back into zeros. */
  slice<const I extends Index[]>(...indices: I): Variable<Sliced<S, I>> {
    return indexing.getItem(this, ...indices) as Variable<Sliced<S, I>>;
  }
  getItem<const I extends Index[]>(...indices: I): Variable<Sliced<S, I>> {
    return indexing.getItem(this, ...indices) as Variable<Sliced<S, I>>;
  }
  take(indices: Tensor | readonly number[], axis?: number): Variable {
    return indexing.take(this, indices, axis);
  }
  gather(indices: Tensor, axis: number): Variable {
    return indexing.gather(this, indices, axis);
  }

  // ---- linear algebra and losses ---------------------------------------------------------------------
  matmul<T extends ShapeType>(other: (Variable<T> | Tensor<T>) & MatMulCheck<'matmul', S, T>): Variable<MatMul<S, T>> {
    return linalg.matmul(this, other) as Variable<MatMul<S, T>>;
  }
  /**
   * Softmax cross-entropy against int32 labels `[B]` or target rows `[B, C]`: a scalar, or one
   * value per row with `{ reduction: 'none' }`.
   */
  softmaxCrossEntropy<T extends ShapeType, O extends loss.ClassificationLossOptions = loss.ClassificationLossOptions>(
    target: (Tensor<T> | Variable<T>) & BatchCheck<'softmaxCrossEntropy', S, T>,
    options?: O,
  ): Variable<O extends { reduction: 'none' } ? Reduce<S, -1> : []> {
    return loss.softmaxCrossEntropy(this, target, options) as Variable<
      O extends { reduction: 'none' } ? Reduce<S, -1> : []
    >;
  }
}

function flatArgs(args: number[] | [readonly number[]]): readonly number[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
}

/**
 * Creates a leaf Variable from a number, nested arrays, a Tensor (shared, not copied) or a Variable
 * (its data, shared). `requiresGrad` defaults to true.
 *
 * @example
 * const x = variable(2.0);
 * const W = variable(randn([2, 3]), { name: 'W' });
 * const b = variable([0, 0, 0], { requiresGrad: false, dtype: 'float64' });
 */
/**
 * The other operand of a broadcasting binary op on a `Variable<S>`: a number, or a Variable or
 * Tensor whose shape broadcasts with `S` (two known dimensions that differ, neither 1, do not compile).
 */
export type VariableOperand<Op extends string, S extends ShapeType, T extends ShapeType> =
  ((Variable<T> | Tensor<T>) & BroadcastCheck<Op, S, T>) | number;

export function variable<S extends ShapeType>(
  value: Tensor<S> | Variable<S>,
  options?: VariableCreationOptions,
): Variable<S>;
export function variable(value: NestedInput, options?: VariableCreationOptions): Variable;
/** A tensor or variable whose shape type is a union (e.g. from a list of parameters): any shape. */
export function variable(value: NestedInput | Tensor | Variable, options?: VariableCreationOptions): Variable;
export function variable(value: NestedInput | Tensor | Variable, options: VariableCreationOptions = {}): Variable {
  let data: Tensor;
  if (value instanceof Variable) data = value.data;
  else if (value instanceof Tensor) data = value;
  else data = tensor(value, options.dtype ? { dtype: options.dtype } : {});
  if (options.dtype && data.dtype !== options.dtype) data = data.astype(options.dtype);
  return new Variable(data, { name: options.name ?? null, requiresGrad: options.requiresGrad ?? true });
}

const scalarStorage = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/**
 * @internal A constant (requiresGrad false) from an operand: a Tensor is wrapped, a number becomes
 * a 0-d tensor of the other operand's dtype when it fits (PyTorch's "weak" scalars).
 */
export function constantLike(op: string | { readonly name: string }, value: Operand, like: DType | null): Variable {
  if (value instanceof Variable) return value;
  if (value instanceof Tensor) return new Variable(value, { requiresGrad: false });
  if (typeof value !== 'number')
    throw new ValueError(
      `${typeof op === 'string' ? op : op.name}: expected a Variable, a Tensor or a number, got ${typeof value}`,
    );
  const dtype: DType =
    like === 'float32' || like === 'float64' ? like : like !== null && Number.isInteger(value) ? 'int32' : 'float32';
  const data = new scalarStorage[dtype](1);
  data[0] = value;
  return new Variable(new Tensor(data, []), { requiresGrad: false });
}

bindVariable(Variable, constantLike);
bindDualVariable(Variable);

/** @internal An operand as a Variable (numbers and Tensors become constants). */
export function asVariable(op: string, value: Operand, like: DType | null = null): Variable {
  return value instanceof Variable ? value : constantLike(op, value, like);
}

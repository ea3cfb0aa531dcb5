import {
  ShapeError,
  type Tensor,
  ValueError,
  concat as tensorConcat,
  formatShape,
  normalizeAxes,
  normalizeAxis,
  sameShape,
  zeros,
} from '@nn/tensor';
import {
  type BatchedInput,
  asBatch,
  batchAxis,
  exampleNdim,
  exampleShape,
  padExampleAxes,
  resolveShape,
} from '../batching.js';
import { Function, type Operand, nameNodes } from '../function.js';
import { asVariable, type Variable } from '../variable.js';
import { sum, sumTo } from './reduce.js';

/**
 * Shape movement: the values are unchanged, only rearranged, so each backward rearranges the
 * gradient the opposite way, and each forward-mode rule (`jvp`) rearranges the tangent the same
 * way as the forward. Reshape/Transpose are views in @nn/tensor and cost no copy. Batched (vmap),
 * each moves the same example axes of the whole batch and leaves the batch axis first.
 */

export class Reshape extends Function {
  constructor(readonly shape: readonly number[]) {
    super();
  }
  override get rule(): string {
    return 'Reshape: dx = reshape(dy, x.shape)';
  }
  forward(x: Tensor): Tensor {
    return x.reshape(this.shape);
  }
  backward(gy: Variable): Variable {
    return reshape(gy, this.inputs[0].shape);
  }
  /** ẏ = reshape(ẋ, shape) */
  override jvp(t: Variable): Variable {
    return reshape(t, this.shape);
  }
  /** each example reshaped: the batch axis stays in front */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    const elements = exampleShape(x).reduce((n, d) => n * d, 1);
    return reshape(x.value, [size, ...resolveShape('reshape', this.shape, elements)]);
  }
}

/** Permutes the axes (reverses them when no `axes`); backward applies the inverse permutation. */
export class Transpose extends Function {
  constructor(readonly axes?: readonly number[]) {
    super();
  }
  override get rule(): string {
    return 'Transpose: dx = transpose(dy, inverse(axes))';
  }
  forward(x: Tensor): Tensor {
    return x.transpose(this.axes);
  }
  backward(gy: Variable): Variable {
    if (this.axes === undefined) return transpose(gy);
    const ndim = this.axes.length;
    const inverse = new Array<number>(ndim);
    this.axes.forEach((a, d) => (inverse[normalizeAxis('transpose', a, ndim)] = d));
    return transpose(gy, inverse);
  }
  /** ẏ = transpose(ẋ, axes) */
  override jvp(t: Variable): Variable {
    return transpose(t, this.axes);
  }
  /** the same permutation of the example axes, the batch axis kept first */
  override batch([x]: readonly BatchedInput[]): Variable {
    const ndim = exampleNdim(x);
    const axes = this.axes ?? Array.from({ length: ndim }, (_, d) => ndim - 1 - d);
    if (axes.length !== ndim)
      throw new ShapeError(`transpose: axes [${axes.join(', ')}] do not match shape ${formatShape(exampleShape(x))}`);
    return transpose(x.value, [0, ...axes.map((a) => batchAxis('transpose', a, ndim))]);
  }
}

/**
 * Broadcasting made explicit (tinygrad's Expand, the seeds' Repeat): a stride-0 view. Its backward
 * is SumTo, the Sum over the broadcast axes.
 */
export class BroadcastTo extends Function {
  constructor(readonly shape: readonly number[]) {
    super();
  }
  override get rule(): string {
    return 'BroadcastTo: dx = sumTo(dy, x.shape)';
  }
  forward(x: Tensor): Tensor {
    return x.broadcastTo(this.shape);
  }
  backward(gy: Variable): Variable {
    return sumTo(gy, this.inputs[0].shape);
  }
  /** ẏ = broadcastTo(ẋ, shape) */
  override jvp(t: Variable): Variable {
    return broadcastTo(t, this.shape);
  }
  /** each example broadcast to `shape`: new example axes go behind the batch axis */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    return broadcastTo(padExampleAxes(x, this.shape.length), [size, ...this.shape]);
  }
}

/**
 * The seeds' Repeat node (np.repeat): each element repeated `repeats` times along `axis` (the
 * flattened input when no axis). A Repeat is N Branch nodes, so its backward is the Sum of the N
 * gradient copies of each element.
 *
 *   x (1,D) ──[Repeat N, axis 0]──► y (N,D)        dy (N,D) ──[Sum axis 0]──► dx (1,D)
 */
export class Repeat extends Function {
  constructor(
    readonly repeats: number,
    readonly axis?: number,
  ) {
    super();
  }
  override get rule(): string {
    return 'Repeat: dx = Σ over the repeats of dy (Sum)';
  }
  forward(x: Tensor): Tensor {
    return x.repeat(this.repeats, this.axis);
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    const shape = this.axis === undefined ? [x.size] : x.shape;
    const at = this.axis === undefined ? 0 : normalizeAxis('repeat', this.axis, x.ndim);
    // Read dy as [..., n, repeats, ...] and sum the repeats axis away.
    const grouped = [...shape.slice(0, at), shape[at], this.repeats, ...shape.slice(at + 1)];
    return sum(gy.reshape(grouped), at + 1).reshape(x.shape);
  }
  /** ẏ = repeat(ẋ, repeats, axis) */
  override jvp(t: Variable): Variable {
    return repeat(t, this.repeats, this.axis);
  }
  /** repeats along the example axis (or each example flattened), one place past the batch axis */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    if (this.axis !== undefined) return repeat(x.value, this.repeats, batchAxis('repeat', this.axis, exampleNdim(x)));
    const elements = exampleShape(x).reduce((n, d) => n * d, 1);
    return repeat(reshape(x.value, [size, elements]), this.repeats, 1);
  }
}

/** Joins inputs along `axis`; backward splits dy at the same boundaries. */
export class Concat extends Function {
  constructor(readonly axis: number) {
    super();
  }
  override get rule(): string {
    return 'Concat: dx_i = split(dy, axis)[i]';
  }
  forward(...xs: Tensor[]): Tensor {
    return tensorConcat(xs, this.axis);
  }
  backward(gy: Variable): Variable[] {
    const at = normalizeAxis('concat', this.axis, gy.ndim);
    const bounds: number[] = [];
    let start = 0;
    for (let i = 0; i < this.inputs.length - 1; i++) bounds.push((start += this.inputs[i].shape[at]));
    return split(gy, bounds, at);
  }
  /** ẏ = concat(ẋ_0, ẋ_1, ..., axis), zeros for an input without a tangent */
  override jvp(...tangents: (Variable | null)[]): Variable {
    return concat(
      tangents.map((t, i) => t ?? zeros(this.inputs[i].shape, { dtype: this.inputs[i].dtype })),
      this.axis,
    );
  }
  /** joins the whole batches along the example axis; a shared input is repeated for each example */
  override batch(inputs: readonly BatchedInput[], size: number): Variable {
    const at = batchAxis('concat', this.axis, exampleNdim(inputs[0]));
    return concat(
      inputs.map((input) => asBatch(input, size)),
      at,
    );
  }
}

/** Splits into pieces along `axis` (several outputs); backward concatenates the pieces' gradients. */
export class Split extends Function {
  constructor(
    readonly sections: number | readonly number[],
    readonly axis: number,
  ) {
    super();
  }
  override get rule(): string {
    return 'Split: dx = concat(dy_0, dy_1, ..., axis)';
  }
  forward(x: Tensor): Tensor[] {
    return x.split(this.sections, this.axis);
  }
  backward(...gys: Variable[]): Variable {
    return concat(gys, this.axis);
  }
  /** ẏ_k = split(ẋ, sections, axis)[k] */
  override jvp(t: Variable): Variable[] {
    return split(t, this.sections, this.axis);
  }
  /** splits the whole batch along the example axis: every piece keeps the batch axis first */
  override batch([x]: readonly BatchedInput[]): Variable[] {
    return split(x.value, this.sections, batchAxis('split', this.axis, exampleNdim(x)));
  }
}

// ---- functions ------------------------------------------------------------------------------------

/** Same values in a new shape (one size may be -1); returns `x` itself when the shape matches. @example F.reshape(x, [2, -1]) */
export function reshape(x: Operand, shape: readonly number[]): Variable {
  const v = asVariable('reshape', x);
  if (sameShape(v.shape, shape)) return v;
  return new Reshape([...shape]).apply(v);
}

/** Permutes axes (default: reverses them). @example F.transpose(x, [0, 2, 1]) */
export function transpose(x: Operand, axes?: readonly number[]): Variable {
  const v = asVariable('transpose', x);
  if (v.ndim < 2 && axes === undefined) return v;
  return new Transpose(axes === undefined ? undefined : [...axes]).apply(v);
}

/** Broadcasts to `shape` (NumPy rules); returns `x` itself when the shape matches. @example F.broadcastTo(b, [N, 3]) */
export function broadcastTo(x: Operand, shape: readonly number[]): Variable {
  const v = asVariable('broadcastTo', x);
  if (sameShape(v.shape, shape)) return v;
  return new BroadcastTo([...shape]).apply(v);
}

/** np.repeat with one count: each element `repeats` times along `axis` (flattened when no axis). @example F.repeat(x, 7, 0) */
export function repeat(x: Operand, repeats: number, axis?: number): Variable {
  if (!Number.isInteger(repeats) || repeats < 0)
    throw new ValueError(`repeat: repeats must be a non-negative integer, got ${repeats}`);
  return new Repeat(repeats, axis).apply(x);
}

/** Joins along an existing axis. @example F.concat([a, b], 1) */
export function concat(xs: readonly Operand[], axis = 0): Variable {
  if (xs.length === 0) throw new ValueError('concat: need at least one input, got an empty list');
  return new Concat(axis).apply(...xs);
}

/** Splits along `axis` into a number of equal sections or at split indices. @example const [a, b] = F.split(x, 2, 1) */
export function split(x: Operand, sections: number | readonly number[], axis = 0): Variable[] {
  return new Split(typeof sections === 'number' ? sections : [...sections], axis).applyAll(x);
}

/** Removes size-1 axes (all, or those named): a Reshape. @example F.squeeze(x, 1) */
export function squeeze(x: Operand, axis?: number | readonly number[]): Variable {
  const v = asVariable('squeeze', x);
  const drop =
    axis === undefined ? v.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, v.ndim);
  for (const d of drop) {
    if (v.shape[d] !== 1)
      throw new ShapeError(`squeeze: axis ${d} of shape ${formatShape(v.shape)} has size ${v.shape[d]}, not 1`);
  }
  return reshape(
    v,
    v.shape.filter((_, d) => !drop.includes(d)),
  );
}

/** Inserts a size-1 axis at `axis`: a Reshape. @example F.unsqueeze(b, 0) */
export function unsqueeze(x: Operand, axis: number): Variable {
  const v = asVariable('unsqueeze', x);
  const at = normalizeAxis('unsqueeze', axis, v.ndim + 1);
  return reshape(v, [...v.shape.slice(0, at), 1, ...v.shape.slice(at)]);
}

/** Collapses axes startAxis..endAxis into one: a Reshape. @example F.flatten(images, 1) */
export function flatten(x: Operand, startAxis = 0, endAxis = -1): Variable {
  const v = asVariable('flatten', x);
  if (v.ndim === 0) return reshape(v, [1]);
  const start = normalizeAxis('flatten', startAxis, v.ndim);
  const end = normalizeAxis('flatten', endAxis, v.ndim);
  if (start > end) throw new ShapeError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  const merged = v.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(v, [...v.shape.slice(0, start), merged, ...v.shape.slice(end + 1)]);
}

nameNodes({ Reshape, Transpose, BroadcastTo, Repeat, Concat, Split });

import { type AxisSpec, type DType, ShapeError, type Tensor, formatShape, normalizeAxes, sameShape } from '@nn/tensor';
import { type BatchedInput, batchAxes, exampleNdim, exampleShape } from '../batching.js';
import { Function, type Operand, nameNodes } from '../function.js';
import { asVariable, type Variable } from '../variable.js';
import { broadcastTo } from './movement.js';

/**
 * Reductions. Sum and Repeat/BroadcastTo are each other's backward (the seeds' Sum and Repeat
 * nodes): a Sum hands its gradient back to every element it added up. Sums are linear, so their
 * forward-mode rule (`jvp`) is the same sum of the tangent. Batched (vmap), each reduces the same
 * example axes of the whole batch, shifted one place past the batch axis.
 */

export interface ReduceOptions {
  /** Keep reduced axes as size 1 (default false). */
  keepdims?: boolean;
}

/** The shape `x` reduces to over `axes` with keepdims: the shape the output gradient is read in. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((dim, d) => (axes.includes(d) ? 1 : dim));
}

/**
 * The seeds' Sum node: y = Σ x over `axis`. Backward copies dy to every summed position
 * (BroadcastTo, i.e. Repeat).
 *
 *   x (N,D) ──[Sum axis 0]──► y (1,D)        dy (1,D) ──[Repeat N]──► dx (N,D)
 */
export class Sum extends Function {
  readonly keepdims: boolean;
  private axes: number[] = [];
  constructor(
    readonly axis: AxisSpec,
    options: ReduceOptions = {},
  ) {
    super();
    this.keepdims = options.keepdims ?? false;
  }
  override get rule(): string {
    return 'Sum: dx = broadcastTo(dy, x.shape) (Repeat)';
  }
  forward(x: Tensor): Tensor {
    this.axes = normalizeAxes('sum', this.axis, x.ndim);
    return x.sum(this.axes, { keepdims: this.keepdims });
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    // Without keepdims the reduced axes are gone; put them back as size 1 so dy broadcasts.
    const g = this.keepdims || gy.ndim === 0 ? gy : gy.reshape(keptShape(x.shape, this.axes));
    return broadcastTo(g, x.shape);
  }
  /** ẏ = Σ ẋ over the same axes */
  override jvp(t: Variable): Variable {
    return sum(t, this.axes, { keepdims: this.keepdims });
  }
  /** Σ over the same example axes, one place further (past the batch axis) */
  override batch([x]: readonly BatchedInput[]): Variable {
    return sum(x.value, batchAxes('sum', this.axis, exampleNdim(x)), { keepdims: this.keepdims });
  }
}

/**
 * Sums `x` down to `shape` (the inverse of broadcasting: leading axes and axes where `shape` has 1).
 * This is how every broadcasting node's gradient returns to its input's shape.
 */
export class SumTo extends Function {
  constructor(readonly shape: readonly number[]) {
    super();
  }
  override get rule(): string {
    return `SumTo: dx = broadcastTo(dy, x.shape)`;
  }
  forward(x: Tensor): Tensor {
    const target = this.shape;
    const lead = x.ndim - target.length;
    const fits = lead >= 0 && target.every((dim, d) => dim === x.shape[lead + d] || dim === 1);
    if (!fits) throw new ShapeError(`sumTo: cannot sum ${formatShape(x.shape)} down to ${formatShape(target)}`);
    const axes: number[] = [];
    for (let d = 0; d < x.ndim; d++) if (d < lead || (target[d - lead] === 1 && x.shape[d] !== 1)) axes.push(d);
    const summed = axes.length > 0 ? x.sum(axes, { keepdims: true }) : x;
    return lead > 0 ? summed.reshape(target) : summed;
  }
  backward(gy: Variable): Variable {
    return broadcastTo(gy, this.inputs[0].shape);
  }
  /** ẏ = sumTo(ẋ, shape) */
  override jvp(t: Variable): Variable {
    return sumTo(t, this.shape);
  }
  /** each example summed down to `shape`: its leading axes, not the batch axis, are the ones dropped */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    const from = exampleShape(x);
    const lead = from.length - this.shape.length;
    if (lead < 0) throw new ShapeError(`sumTo: cannot sum ${formatShape(from)} down to ${formatShape(this.shape)}`);
    const kept = [size, ...new Array<number>(lead).fill(1), ...this.shape];
    return sumTo(x.value, kept).reshape([size, ...this.shape]);
  }
}

/** Max and Min: the gradient goes to the positions holding the extreme value. */
abstract class Extreme extends Function {
  abstract readonly kind: 'max' | 'min';
  readonly keepdims: boolean;
  private axes: number[] = [];
  constructor(
    readonly axis: AxisSpec,
    options: ReduceOptions = {},
  ) {
    super();
    this.keepdims = options.keepdims ?? false;
  }
  override get rule(): string {
    return `${this.name}: dx = dy/k at the k positions equal to the ${this.kind}, else 0`;
  }
  forward(x: Tensor): Tensor {
    this.axes = normalizeAxes(this.kind, this.axis, x.ndim);
    return this.kind === 'max'
      ? x.max(this.axes, { keepdims: this.keepdims })
      : x.min(this.axes, { keepdims: this.keepdims });
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    const g = this.keepdims || gy.ndim === 0 ? gy : gy.reshape(keptShape(x.shape, this.axes));
    return broadcastTo(g, x.shape).mul(this.share(gy.dtype));
  }
  /** ẏ = Σ ẋ·share over the axes: the mean of ẋ over the tied extremes (the backward's adjoint) */
  override jvp(t: Variable): Variable {
    return sum(t.mul(this.share(t.dtype)), this.axes, { keepdims: this.keepdims });
  }
  /** the same extreme over the example axes, one place further (past the batch axis) */
  override batch([x]: readonly BatchedInput[]): Variable {
    const axes = batchAxes(this.kind, this.axis, exampleNdim(x));
    return (this.kind === 'max' ? max : min)(x.value, axes, { keepdims: this.keepdims });
  }
  /** 1/k at each of the k positions holding the extreme of their group, 0 elsewhere (x's shape). */
  private share(dtype: DType): Tensor {
    const x = this.inputs[0].data;
    const hit = x.eq(this.outputs[0].data.reshape(keptShape(x.shape, this.axes))).astype(dtype);
    return hit.div(hit.sum(this.axes, { keepdims: true }));
  }
}

/**
 * Max over axes. The gradient goes to the positions that hold the maximum; ties **split it
 * evenly** (each of k tied positions gets dy/k), so the input gradient still sums to dy and is
 * the same whichever tied element a kernel happens to pick. (PyTorch's `amax` does the same.)
 */
export class Max extends Extreme {
  readonly kind = 'max';
}

/** Min over axes; ties split the gradient evenly (see Max). */
export class Min extends Extreme {
  readonly kind = 'min';
}

/**
 * log Σ exp(x) over axes, max-shifted so large inputs do not overflow. Its gradient is the softmax
 * over the same axes, dx = dy·exp(x − y), written with the output Variable so that second
 * derivatives see y as a function of x.
 */
export class LogSumExp extends Function {
  readonly keepdims: boolean;
  private axes: number[] = [];
  constructor(
    readonly axis: AxisSpec,
    options: ReduceOptions = {},
  ) {
    super();
    this.keepdims = options.keepdims ?? false;
  }
  override get rule(): string {
    return 'LogSumExp: dx = dy·exp(x − y) (the softmax over the axes)';
  }
  forward(x: Tensor): Tensor {
    this.axes = normalizeAxes('logsumexp', this.axis, x.ndim);
    return x.logsumexp(this.axes, { keepdims: this.keepdims });
  }
  backward(gy: Variable): Variable {
    return this.kept(gy).mul(this.softmax());
  }
  /** ẏ = Σ ẋ·exp(x − y) over the axes */
  override jvp(t: Variable): Variable {
    return sum(t.mul(this.softmax()), this.axes, { keepdims: this.keepdims });
  }
  /** over the same example axes, one place further (past the batch axis) */
  override batch([x]: readonly BatchedInput[]): Variable {
    return logsumexp(x.value, batchAxes('logsumexp', this.axis, exampleNdim(x)), { keepdims: this.keepdims });
  }
  /** exp(x − y) in x's shape, as a graph. */
  private softmax(): Variable {
    return this.inputs[0].sub(this.kept(this.outputs[0])).exp();
  }
  /** A value of the output's shape with the reduced axes put back as size 1, so it broadcasts against x. */
  private kept(v: Variable): Variable {
    return this.keepdims || v.ndim === 0 ? v : v.reshape(keptShape(this.inputs[0].shape, this.axes));
  }
}

/** Sum over axes (all by default). @example x.sum(0, { keepdims: true }) */
export function sum(x: Operand, axis?: AxisSpec, options: ReduceOptions = {}): Variable {
  return new Sum(axis, options).apply(x);
}

/**
 * Sums down to `shape` (undoing a broadcast); returns `x` itself when the shape already matches.
 * @example F.sumTo(dy, [1, 3])
 */
export function sumTo(x: Operand, shape: readonly number[]): Variable {
  const v = asVariable('sumTo', x);
  if (sameShape(v.shape, shape)) return v;
  return new SumTo([...shape]).apply(v);
}

/** Arithmetic mean over axes: a composite, Sum divided by the count. @example F.mean(losses) */
export function mean(x: Operand, axis?: AxisSpec, options: ReduceOptions = {}): Variable {
  const v = asVariable('mean', x);
  const count = normalizeAxes('mean', axis, v.ndim).reduce((n, d) => n * v.shape[d], 1);
  return sum(v, axis, options).div(count);
}

/** Maximum over axes; ties share the gradient evenly. @example F.max(x, 1) */
export function max(x: Operand, axis?: AxisSpec, options: ReduceOptions = {}): Variable {
  return new Max(axis, options).apply(x);
}

/** Minimum over axes; ties share the gradient evenly. @example F.min(x) */
export function min(x: Operand, axis?: AxisSpec, options: ReduceOptions = {}): Variable {
  return new Min(axis, options).apply(x);
}

/**
 * log Σ exp(x) over axes (all by default), stable for large inputs (torch.logsumexp).
 * @example F.logsumexp(scores, -1) // the log-partition of each row
 */
export function logsumexp(x: Operand, axis?: AxisSpec, options: ReduceOptions = {}): Variable {
  return new LogSumExp(axis, options).apply(x);
}

nameNodes({ Sum, SumTo, Max, Min, LogSumExp });

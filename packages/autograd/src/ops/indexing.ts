import { type Index, type Tensor, indexAdd, kernels, scatterAdd, zeros } from '@nn/tensor';
import { type BatchedInput, batchAxis, exampleShape } from '../batching.js';
import { Function, type Operand, nameNodes } from '../function.js';
import type { Variable } from '../variable.js';

/**
 * Indexing. Reading some elements is linear, so each backward writes the gradient back where the
 * elements came from (into zeros), and that write's own backward is the read again: GetItem and
 * GetItemGrad, Gather and GatherGrad are adjoint pairs, which keeps higher-order gradients exact.
 * All four are linear, so each forward-mode rule (`jvp`) is the node itself applied to the tangent.
 * Batched (vmap), each indexes the example axes of the whole batch: a leading ':' keeps the batch
 * axis, and the indices (one example's, constants) are shared by every example.
 */

/** NumPy basic indexing (numbers, slices, '...'), a view of x. Backward scatters dy into zeros. */
export class GetItem extends Function {
  constructor(readonly indices: readonly Index[]) {
    super();
  }
  override get rule(): string {
    return 'GetItem: dx = zeros(x.shape) with dx[indices] = dy';
  }
  forward(x: Tensor): Tensor {
    return x.slice(...this.indices);
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    return new GetItemGrad(this.indices, x.shape).apply(gy);
  }
  /** ẏ = ẋ[indices] */
  override jvp(t: Variable): Variable {
    return getItem(t, ...this.indices);
  }
  /** x[:, indices...]: the whole batch, indexed past its batch axis */
  override batch([x]: readonly BatchedInput[]): Variable {
    return getItem(x.value, ':', ...this.indices);
  }
}

/** GetItem's backward as a node: writes dy into zeros of the input's shape; its backward is GetItem. */
export class GetItemGrad extends Function {
  constructor(
    readonly indices: readonly Index[],
    readonly shape: readonly number[],
  ) {
    super();
  }
  override get rule(): string {
    return 'GetItemGrad: dgy = ddx[indices]';
  }
  forward(gy: Tensor): Tensor {
    const out = zeros(this.shape, { dtype: gy.dtype });
    const target = out.slice(...this.indices);
    // Basic indexing never repeats a position, so a strided copy (not an add) is exact.
    kernels().map('copy', target.shape, { data: target.data, offset: target.offset, strides: target.strides }, [
      { data: gy.data, offset: gy.offset, strides: gy.strides },
    ]);
    return out;
  }
  backward(ggx: Variable): Variable {
    return getItem(ggx, ...this.indices);
  }
  /** linear: the same scatter of ḋy */
  override jvp(t: Variable): Variable {
    return new GetItemGrad(this.indices, this.shape).apply(t);
  }
  /** the same scatter into zeros of the whole batch's shape, past the batch axis */
  override batch([gy]: readonly BatchedInput[], size: number): Variable {
    return new GetItemGrad([':', ...this.indices], [size, ...this.shape]).apply(gy.value);
  }
}

type GatherKind = 'take' | 'gather';

/**
 * Label indexing with int32 indices along an axis: `take` (NumPy's take: the indices' shape
 * replaces the axis) or `gather` (PyTorch's gather: one index per output element). Backward adds
 * dy back at the indices (indexAdd / scatterAdd), so repeated indices accumulate.
 */
export class Gather extends Function {
  constructor(
    readonly indices: Tensor | readonly number[],
    readonly axis: number | undefined,
    readonly kind: GatherKind,
  ) {
    super();
  }
  override get rule(): string {
    return this.kind === 'take'
      ? 'Gather (take): dx = indexAdd(zeros(x.shape), indices, dy, axis)'
      : 'Gather: dx = scatterAdd(zeros(x.shape), indices, dy, axis)';
  }
  forward(x: Tensor): Tensor {
    return this.kind === 'take' ? x.take(this.indices, this.axis) : x.gather(this.indices as Tensor, this.axis!);
  }
  backward(gy: Variable): Variable {
    return new GatherGrad(this.indices, this.axis, this.kind, this.inputs[0].shape).apply(gy);
  }
  /** ẏ = ẋ at the same indices */
  override jvp(t: Variable): Variable {
    return new Gather(this.indices, this.axis, this.kind).apply(t);
  }
  /** the same indices along the example axis, one place past the batch axis */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    const [indices, axis, flat] = batchIndexing(this.indices, this.axis, this.kind, exampleShape(x), size);
    return new Gather(indices, axis, this.kind).apply(flat ? x.value.reshape([size, -1]) : x.value);
  }
}

/** Gather's backward as a node: scatter-adds dy into zeros of the input's shape; its backward is Gather. */
export class GatherGrad extends Function {
  constructor(
    readonly indices: Tensor | readonly number[],
    readonly axis: number | undefined,
    readonly kind: GatherKind,
    readonly shape: readonly number[],
  ) {
    super();
  }
  override get rule(): string {
    return 'GatherGrad: dgy = gather(ddx, indices, axis)';
  }
  forward(gy: Tensor): Tensor {
    const target = zeros(this.shape, { dtype: gy.dtype });
    return this.kind === 'take'
      ? indexAdd(target, this.indices, gy, this.axis)
      : scatterAdd(target, this.indices as Tensor, gy, this.axis!);
  }
  backward(ggx: Variable): Variable {
    return new Gather(this.indices, this.axis, this.kind).apply(ggx);
  }
  /** linear: the same scatter-add of ḋy */
  override jvp(t: Variable): Variable {
    return new GatherGrad(this.indices, this.axis, this.kind, this.shape).apply(t);
  }
  /** the same scatter-add into zeros of the whole batch's shape, past the batch axis */
  override batch([gy]: readonly BatchedInput[], size: number): Variable {
    const [indices, axis, flat] = batchIndexing(this.indices, this.axis, this.kind, this.shape, size);
    const elements = this.shape.reduce((n, d) => n * d, 1);
    const out = new GatherGrad(indices, axis, this.kind, flat ? [size, elements] : [size, ...this.shape]).apply(
      gy.value,
    );
    return flat ? out.reshape([size, ...this.shape]) : out;
  }
}

/**
 * A Gather's indices and axis for the whole batch: the axis one place further, a flattened `take`
 * over each example flattened (`flat`), and `gather`'s indices (one per output element, so one
 * set per example) repeated for each example.
 */
function batchIndexing(
  indices: Tensor | readonly number[],
  axis: number | undefined,
  kind: GatherKind,
  shape: readonly number[],
  size: number,
): [Tensor | readonly number[], number, boolean] {
  if (kind === 'take')
    return axis === undefined ? [indices, 1, true] : [indices, batchAxis('take', axis, shape.length), false];
  const t = indices as Tensor;
  const repeated = t
    .reshape([1, ...t.shape])
    .broadcastTo([size, ...t.shape])
    .contiguous();
  return [repeated, batchAxis('gather', axis!, shape.length), false];
}

/**
 * NumPy basic indexing: numbers pick (and drop) an axis, `'start:stop:step'` strings or
 * `{ start, stop, step }` slice it, `':'`/`null` keep it, `'...'` fills the rest.
 * @example F.getItem(x, 0, '1:') // x[0, 1:]
 */
export function getItem(x: Operand, ...indices: Index[]): Variable {
  return new GetItem(indices).apply(x);
}

/**
 * Elements at int32 `indices` along `axis` (NumPy's take; flattened when no axis), e.g. rows of
 * an embedding table. Repeated indices accumulate their gradients.
 * @example F.take(W, tensor([2, 0, 2], { dtype: 'int32' }), 0) // rows 2, 0, 2 of W
 */
export function take(x: Operand, indices: Tensor | readonly number[], axis?: number): Variable {
  return new Gather(indices, axis, 'take').apply(x);
}

/**
 * One element per index along `axis` (PyTorch's gather): `indices` has x's ndim.
 * @example F.gather(scores, labels.reshape([-1, 1]), 1) // each row's score for its label
 */
export function gather(x: Operand, indices: Tensor, axis: number): Variable {
  return new Gather(indices, axis, 'gather').apply(x);
}

nameNodes({ GetItem, GetItemGrad, Gather, GatherGrad });

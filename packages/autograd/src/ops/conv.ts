import {
  type ConvOptions,
  type PoolOptions,
  type Tensor,
  avgPool2dBackward,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  maxPool2dBackward,
  maxPool2dWithIndices,
  avgPool2d as tensorAvgPool2d,
  col2im as tensorCol2im,
  conv2d as tensorConv2d,
  im2col as tensorIm2col,
} from '@nn/tensor';
import { type BatchedInput, asBatch } from '../batching.js';
import { sumTangents } from '../dual.js';
import { Function, type Gradients, type Operand, nameNodes } from '../function.js';
import type { Variable } from '../variable.js';
import { take } from './indexing.js';
import { matmul } from './matmul.js';
import { reshape, transpose } from './movement.js';
import { sum } from './reduce.js';

type Tangent = Variable | null;

/**
 * Convolution and pooling over images in (N, C, H, W) layout (the seeds' 001 §7, 002 §33–39).
 *
 * Each linear window operation comes with its adjoint as a node, and each is the other's backward:
 * Im2col ⇄ Col2im, AvgPool2d ⇄ AvgPool2dGrad, and MaxPool2d's gradient MaxPool2dGrad (a scatter
 * to the argmax) ⇄ a gather at the argmax. So every backward here is written in differentiable
 * nodes and `createGraph` gives exact higher-order gradients.
 *
 * Batched (vmap), each example is itself a stack of N images, so a batch of them is B·N images:
 * the rules fold the batch into N, run the same op once, and unfold it. Per-example filters (as
 * vmap(grad) makes them) become one batched matrix product of the im2col patches.
 *
 * Conv2d is one fused node (STYLE.md allows it "when speed demands it"): its forward is
 * @nn/tensor's conv2d, and its backward is two gradient nodes of their own, Conv2dGradInput and
 * Conv2dGradFilter, whose forwards are the fused kernels conv2dBackwardInput and
 * conv2dBackwardFilter (one image at a time through a reused column buffer). The three are
 * bilinear maps tied by adjoints, so each one's backward is again made of the three, and
 * `createGraph` gives exact higher-order gradients with no second code path. See docs/cnn.md.
 *
 * Forward mode comes from the same linearity: each node is linear (Im2col, pooling's gradients)
 * or bilinear (Conv2d and its two gradient nodes) in its inputs, so its `jvp` is the node itself
 * applied to the tangent, one term per input that has one; MaxPool2d's is a gather at the argmax.
 */

/**
 * The seeds' Convolution layer as one node: x (N, C, H, W), filters W (FN, C, FH, FW) and an
 * optional bias b (FN) give (N, FN, OH, OW), OH = (H + 2·pad − FH)/stride + 1.
 *
 *   forward:  y_n = W_mat · unfold(x_n) + b        (FN, OH·OW) per image, W_mat = W as (FN, C·FH·FW)
 *   backward: dx = Conv2dGradInput(dy, W)          fold(W_matᵀ · dy_n), the seeds' dcol = dout·Wᵀ
 *             dW = Conv2dGradFilter(dy, x)         Σ_n dy_n · unfold(x_n)ᵀ, reshaped to W's shape
 *             db = Σ dy over N, OH, OW
 *
 * @example
 * const y = new Conv2d({ stride: 1, pad: 0 }).apply(x, W, b); // what F.conv2d(x, W, b) records
 */
export class Conv2d extends Function {
  constructor(readonly options: ConvOptions = {}) {
    super();
  }
  override get rule(): string {
    return 'Conv2d: dx = Conv2dGradInput(dy, W), dW = Conv2dGradFilter(dy, x), db = Σ dy over N, OH, OW';
  }

  forward(x: Tensor, W: Tensor, b?: Tensor): Tensor {
    return tensorConv2d(x, W, b, this.options);
  }

  backward(gy: Variable): Gradients {
    const [x, W, b] = this.inputs;
    const [needX, needW, needB] = this.needsInputGrad;
    return [
      needX ? conv2dGradInput(gy, W, x.shape, this.options) : null,
      needW ? conv2dGradFilter(gy, x, W.shape, this.options) : null,
      b !== undefined && needB ? sum(gy, [0, 2, 3]) : null,
    ];
  }
  /** ẏ = conv2d(ẋ, W) + conv2d(x, Ẇ) + ḃ (bilinear in x and W, linear in b) */
  override jvp(tX: Tangent, tW: Tangent, tB?: Tangent): Tangent {
    const [x, W] = this.inputs;
    const products = sumTangents(tX && conv2d(tX, W, null, this.options), tW && conv2d(x, tW, null, this.options));
    if (tB === undefined || tB === null) return products;
    const bias = tB.reshape([1, tB.shape[0], 1, 1]);
    return products === null ? bias.broadcastTo(this.outputs[0].shape) : products.add(bias);
  }
  /** B·N images at once; per-example filters as a batched product of the patches (see batchConv2d) */
  override batch(inputs: readonly BatchedInput[], size: number): Variable {
    return batchConv2d(inputs, size, this.options);
  }
}

/** A batch of image stacks (B, N, C, H, W) as one stack of B·N images (a view when contiguous). */
function foldBatch(x: Variable): Variable {
  const [size, n, ...image] = x.shape;
  return reshape(x, [size * n, ...image]);
}

/** The inverse of foldBatch: B·N images back into B stacks of N. */
function unfoldBatch(y: Variable, size: number): Variable {
  return reshape(y, [size, y.shape[0] / size, ...y.shape.slice(1)]);
}

function pair(v: number | readonly number[] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * Conv2d's batching rule. Shared filters: the batch folded into N, one convolution. Per-example
 * filters W_b (FN, C, FH, FW): y_b = W_b·patches(x_b), one batched matmul of the im2col patches
 * (B, N·OH·OW, C·FH·FW) by the filters as (B, C·FH·FW, FN), then back to (B, N, FN, OH, OW).
 */
function batchConv2d(inputs: readonly BatchedInput[], size: number, options: ConvOptions): Variable {
  const [x, W, b] = inputs;
  const images = asBatch(x, size);
  const [n, channels, height, width] = images.shape.slice(1);
  let y: Variable;
  if (!W.batched) {
    y = unfoldBatch(conv2d(foldBatch(images), W.value, b !== undefined && !b.batched ? b.value : null, options), size);
  } else {
    const [filters, , fh, fw] = W.value.shape.slice(1);
    const [sh, sw] = pair(options.stride as number | readonly number[] | undefined, 1);
    const [ph, pw] = pair(options.pad as number | readonly number[] | undefined, 0);
    const oh = Math.floor((height + 2 * ph - fh) / sh) + 1;
    const ow = Math.floor((width + 2 * pw - fw) / sw) + 1;
    const patches = reshape(im2col(foldBatch(images), fh, fw, options), [size, n * oh * ow, channels * fh * fw]);
    const kernels = transpose(reshape(W.value, [size, filters, channels * fh * fw]), [0, 2, 1]);
    const rows = reshape(matmul(patches, kernels), [size, n, oh, ow, filters]);
    y = transpose(rows, [0, 1, 4, 2, 3]);
  }
  if (b === undefined || (!W.batched && !b.batched)) return y;
  const bias = b.batched ? reshape(b.value, [size, 1, -1, 1, 1]) : reshape(b.value, [1, 1, -1, 1, 1]);
  return y.add(bias);
}

/**
 * Conv2d's input gradient as a node: dx = convᵀ(dy, W), the adjoint of x ↦ conv2d(x, W) (fused
 * kernel conv2dBackwardInput). It is linear in dy and in W, so for a gradient ddx of its output:
 *   d dy = conv2d(ddx, W)                 (the adjoint of the adjoint is the convolution)
 *   d W  = Conv2dGradFilter(dy, ddx)      (⟨ddx, convᵀ(dy, W)⟩ = ⟨conv2d(ddx, W), dy⟩, read as a function of W)
 * @example new Conv2dGradInput(x.shape, { stride: 1 }).apply(gy, W) // x's gradient of conv2d(x, W)
 */
export class Conv2dGradInput extends Function {
  constructor(
    readonly inputShape: readonly number[],
    readonly options: ConvOptions = {},
  ) {
    super();
  }
  override get rule(): string {
    return 'Conv2dGradInput: ddy = conv2d(ddx, W), dW = Conv2dGradFilter(dy, ddx)';
  }
  forward(gy: Tensor, W: Tensor): Tensor {
    return conv2dBackwardInput(gy, W, this.inputShape, this.options);
  }
  backward(ggx: Variable): Gradients {
    const [gy, W] = this.inputs;
    const [needGy, needW] = this.needsInputGrad;
    return [
      needGy ? conv2d(ggx, W, null, this.options) : null,
      needW ? conv2dGradFilter(gy, ggx, W.shape, this.options) : null,
    ];
  }
  /** bilinear in dy and W: ȯut = Conv2dGradInput(ḋy, W) + Conv2dGradInput(dy, Ẇ) */
  override jvp(tGy: Tangent, tW: Tangent): Tangent {
    const [gy, W] = this.inputs;
    return sumTangents(
      tGy && conv2dGradInput(tGy, W, this.inputShape, this.options),
      tW && conv2dGradInput(gy, tW, this.inputShape, this.options),
    );
  }
}

/**
 * Conv2d's filter gradient as a node: dW = Σₙ dyₙ·unfold(xₙ)ᵀ (fused kernel conv2dBackwardFilter).
 * It is linear in dy and in x; ⟨ddW, dW⟩ = ⟨conv2d(x, ddW), dy⟩, so for a gradient ddW of its output:
 *   d dy = conv2d(x, ddW)
 *   d x  = Conv2dGradInput(dy, ddW)
 * @example new Conv2dGradFilter(W.shape, { stride: 1 }).apply(gy, x) // W's gradient of conv2d(x, W)
 */
export class Conv2dGradFilter extends Function {
  constructor(
    readonly filterShape: readonly number[],
    readonly options: ConvOptions = {},
  ) {
    super();
  }
  override get rule(): string {
    return 'Conv2dGradFilter: ddy = conv2d(x, ddW), dx = Conv2dGradInput(dy, ddW)';
  }
  forward(gy: Tensor, x: Tensor): Tensor {
    return conv2dBackwardFilter(gy, x, this.filterShape, this.options);
  }
  backward(ggW: Variable): Gradients {
    const [gy, x] = this.inputs;
    const [needGy, needX] = this.needsInputGrad;
    return [
      needGy ? conv2d(x, ggW, null, this.options) : null,
      needX ? conv2dGradInput(gy, ggW, x.shape, this.options) : null,
    ];
  }
  /** bilinear in dy and x: ȯut = Conv2dGradFilter(ḋy, x) + Conv2dGradFilter(dy, ẋ) */
  override jvp(tGy: Tangent, tX: Tangent): Tangent {
    const [gy, x] = this.inputs;
    return sumTangents(
      tGy && conv2dGradFilter(tGy, x, this.filterShape, this.options),
      tX && conv2dGradFilter(gy, tX, this.filterShape, this.options),
    );
  }
}

/**
 * The seeds' im2col as a node; its backward is Col2im (the adjoint), whose backward is Im2col again.
 * @example new Im2col(5, 5, { stride: 1 }).apply(x) // same as F.im2col(x, 5, 5)
 */
export class Im2col extends Function {
  constructor(
    readonly filterHeight: number,
    readonly filterWidth: number,
    readonly options: ConvOptions = {},
  ) {
    super();
  }
  override get rule(): string {
    return 'Im2col: dx = col2im(dy)';
  }
  forward(x: Tensor): Tensor {
    return tensorIm2col(x, this.filterHeight, this.filterWidth, this.options);
  }
  backward(gy: Variable): Variable {
    return col2im(gy, this.inputs[0].shape, this.filterHeight, this.filterWidth, this.options);
  }
  /** ẏ = im2col(ẋ) */
  override jvp(t: Variable): Variable {
    return im2col(t, this.filterHeight, this.filterWidth, this.options);
  }
  /** the patches of B·N images, each example's rows together */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    const col = im2col(foldBatch(x.value), this.filterHeight, this.filterWidth, this.options);
    return reshape(col, [size, -1, col.shape[1]]);
  }
}

/**
 * The seeds' col2im as a node (adds columns back into an image of `inputShape`); its backward is Im2col.
 * @example new Col2im([10, 3, 7, 7], 5, 5).apply(dcol) // same as F.col2im(dcol, [10, 3, 7, 7], 5, 5)
 */
export class Col2im extends Function {
  constructor(
    readonly inputShape: readonly number[],
    readonly filterHeight: number,
    readonly filterWidth: number,
    readonly options: ConvOptions = {},
  ) {
    super();
  }
  override get rule(): string {
    return 'Col2im: dcol = im2col(dx)';
  }
  forward(col: Tensor): Tensor {
    return tensorCol2im(col, this.inputShape, this.filterHeight, this.filterWidth, this.options);
  }
  backward(gx: Variable): Variable {
    return im2col(gx, this.filterHeight, this.filterWidth, this.options);
  }
  /** ẏ = col2im(ċol) */
  override jvp(t: Variable): Variable {
    return col2im(t, this.inputShape, this.filterHeight, this.filterWidth, this.options);
  }
}

/**
 * The seeds' (max) Pooling layer: the largest value of each window, channel by channel. The
 * gradient goes to the position of the maximum — the **first** one on ties, as NumPy's argmax in
 * the seeds (unlike the Max reduction, which splits ties). Padding never wins.
 * @example new MaxPool2d({ size: 2 }).apply(h) // same as F.maxPool2d(h, { size: 2 })
 */
export class MaxPool2d extends Function {
  constructor(readonly options: PoolOptions) {
    super();
  }
  override get rule(): string {
    return "MaxPool2d: dx = dy added at each window's argmax (first on ties), else 0";
  }
  forward(x: Tensor): Tensor {
    const { output, indices } = maxPool2dWithIndices(x, this.options);
    if (this.needsInputGrad[0] || this.needsInputTangent[0]) this.saveForBackward(indices);
    return output;
  }
  backward(gy: Variable): Variable {
    return new MaxPool2dGrad(this.saved[0], this.inputs[0].shape).apply(gy);
  }
  /** ẏ = ẋ at each window's argmax (the positions the forward picked) */
  override jvp(t: Variable): Variable {
    return take(t, this.saved[0]);
  }
  /** B·N images pooled at once */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    return unfoldBatch(maxPool2d(foldBatch(x.value), this.options), size);
  }
}

/**
 * MaxPool2d's backward as a node: scatters dy to the argmax positions; its backward gathers there.
 * @example new MaxPool2dGrad(indices, x.shape).apply(gy) // indices from maxPool2dWithIndices
 */
export class MaxPool2dGrad extends Function {
  constructor(
    readonly indices: Tensor,
    readonly inputShape: readonly number[],
  ) {
    super();
  }
  override get rule(): string {
    return 'MaxPool2dGrad: dgy = ddx at the argmax positions';
  }
  forward(gy: Tensor): Tensor {
    return maxPool2dBackward(gy, this.indices, this.inputShape);
  }
  backward(ggx: Variable): Variable {
    return take(ggx, this.indices);
  }
  /** linear: the same scatter of ḋy */
  override jvp(t: Variable): Variable {
    return new MaxPool2dGrad(this.indices, this.inputShape).apply(t);
  }
}

/**
 * Average pooling: the mean of each window (padding counts as 0); backward spreads dy/(FH·FW) over the window.
 * @example new AvgPool2d({ size: 2 }).apply(h) // same as F.avgPool2d(h, { size: 2 })
 */
export class AvgPool2d extends Function {
  constructor(readonly options: PoolOptions) {
    super();
  }
  override get rule(): string {
    return 'AvgPool2d: dx = dy/(FH·FW) spread over each window';
  }
  forward(x: Tensor): Tensor {
    return tensorAvgPool2d(x, this.options);
  }
  backward(gy: Variable): Variable {
    return new AvgPool2dGrad(this.inputs[0].shape, this.options).apply(gy);
  }
  /** ẏ = avgPool2d(ẋ) */
  override jvp(t: Variable): Variable {
    return new AvgPool2d(this.options).apply(t);
  }
  /** B·N images pooled at once */
  override batch([x]: readonly BatchedInput[], size: number): Variable {
    return unfoldBatch(avgPool2d(foldBatch(x.value), this.options), size);
  }
}

/**
 * AvgPool2d's backward (its adjoint) as a node; its backward is AvgPool2d.
 * @example new AvgPool2dGrad(x.shape, { size: 2 }).apply(gy)
 */
export class AvgPool2dGrad extends Function {
  constructor(
    readonly inputShape: readonly number[],
    readonly options: PoolOptions,
  ) {
    super();
  }
  override get rule(): string {
    return 'AvgPool2dGrad: dgy = avgPool2d(ddx)';
  }
  forward(gy: Tensor): Tensor {
    return avgPool2dBackward(gy, this.inputShape, this.options);
  }
  backward(ggx: Variable): Variable {
    return new AvgPool2d(this.options).apply(ggx);
  }
  /** linear: the same spread of ḋy */
  override jvp(t: Variable): Variable {
    return new AvgPool2dGrad(this.inputShape, this.options).apply(t);
  }
}

// ---- functions ------------------------------------------------------------------------------------

/**
 * 2-d convolution (cross-correlation, as in the seeds and every framework): x (N, C, H, W),
 * filters W (FN, C, FH, FW), optional bias b (FN) → (N, FN, OH, OW) with
 * OH = (H + 2·pad − FH)/stride + 1; a size that does not divide evenly is a ShapeError.
 *
 * @example
 * const y = F.conv2d(x, W, b, { stride: 1, pad: 0 }); // (100,1,28,28) * (30,1,5,5) → (100,30,24,24)
 */
export function conv2d(x: Operand, W: Operand, b?: Operand | null, options: ConvOptions = {}): Variable {
  const node = new Conv2d({ ...options });
  return b === undefined || b === null ? node.apply(x, W) : node.apply(x, W, b);
}

/**
 * The input gradient of conv2d(x, W) for an output gradient gy, as a differentiable node.
 *
 * @example
 * F.conv2dGradInput(gy, W, x.shape, { pad: 1 }).shape; // x.shape
 */
export function conv2dGradInput(
  gy: Operand,
  W: Operand,
  inputShape: readonly number[],
  options: ConvOptions = {},
): Variable {
  return new Conv2dGradInput([...inputShape], { ...options }).apply(gy, W);
}

/**
 * The filter gradient of conv2d(x, W) for an output gradient gy, as a differentiable node.
 *
 * @example
 * F.conv2dGradFilter(gy, x, W.shape).shape; // W.shape
 */
export function conv2dGradFilter(
  gy: Operand,
  x: Operand,
  filterShape: readonly number[],
  options: ConvOptions = {},
): Variable {
  return new Conv2dGradFilter([...filterShape], { ...options }).apply(gy, x);
}

/**
 * Max pooling over `size` windows (stride defaults to the size). Gradients go to the first
 * maximum of each window.
 *
 * @example
 * F.maxPool2d(h, { size: 2 }); // (N, 30, 24, 24) → (N, 30, 12, 12)
 */
export function maxPool2d(x: Operand, options: PoolOptions): Variable {
  return new MaxPool2d({ ...options }).apply(x);
}

/**
 * Average pooling over `size` windows (stride defaults to the size; padding counts as zeros).
 *
 * @example
 * F.avgPool2d(h, { size: 2, stride: 2 });
 */
export function avgPool2d(x: Operand, options: PoolOptions): Variable {
  return new AvgPool2d({ ...options }).apply(x);
}

/**
 * The seeds' im2col, differentiable: x (N, C, H, W) → (N·OH·OW, C·FH·FW), one row per filter window.
 *
 * @example
 * F.im2col(x, 5, 5).shape; // [90, 75] for x of shape (10, 3, 7, 7)
 */
export function im2col(x: Operand, filterHeight: number, filterWidth: number, options: ConvOptions = {}): Variable {
  return new Im2col(filterHeight, filterWidth, { ...options }).apply(x);
}

/**
 * The seeds' col2im, differentiable: adds the rows of `col` back into an image of `inputShape`
 * (overlaps add up).
 *
 * @example
 * F.col2im(dcol, [10, 3, 7, 7], 5, 5).shape; // [10, 3, 7, 7]
 */
export function col2im(
  col: Operand,
  inputShape: readonly number[],
  filterHeight: number,
  filterWidth: number,
  options: ConvOptions = {},
): Variable {
  return new Col2im([...inputShape], filterHeight, filterWidth, { ...options }).apply(col);
}

nameNodes({
  Conv2d,
  Conv2dGradInput,
  Conv2dGradFilter,
  Im2col,
  Col2im,
  MaxPool2d,
  MaxPool2dGrad,
  AvgPool2d,
  AvgPool2dGrad,
});

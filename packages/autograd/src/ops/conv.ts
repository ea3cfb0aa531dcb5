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
import { Function, type Gradients, type Operand, nameNodes } from '../function.js';
import { isGradEnabled } from '../mode.js';
import { Variable } from '../variable.js';
import { take } from './indexing.js';
import { matmul } from './matmul.js';
import { reshape, transpose } from './movement.js';
import { sum } from './reduce.js';

/**
 * Convolution and pooling over images in (N, C, H, W) layout (the seeds' 001 §7, 002 §33–39).
 *
 * Each linear window operation comes with its adjoint as a node, and each is the other's backward:
 * Im2col ⇄ Col2im, AvgPool2d ⇄ AvgPool2dGrad, and MaxPool2d's gradient MaxPool2dGrad (a scatter
 * to the argmax) ⇄ a gather at the argmax. So every backward here is written in differentiable
 * nodes and `createGraph` gives exact higher-order gradients.
 *
 * Conv2d is one fused node (STYLE.md allows it "when speed demands it"): its forward and its
 * usual backward are @nn/tensor's conv2d, conv2dBackwardInput and conv2dBackwardFilter, which
 * work one image at a time through a reused column buffer. When a graph of the backward is
 * recorded (`createGraph`), the backward is instead composed of the nodes above (MatMul, Col2im,
 * Im2col, Sum, Reshape, Transpose), so higher-order gradients are exact. See docs/cnn.md.
 */

/**
 * The seeds' Convolution layer as one node: x (N, C, H, W), filters W (FN, C, FH, FW) and an
 * optional bias b (FN) give (N, FN, OH, OW), OH = (H + 2·pad − FH)/stride + 1.
 *
 *   forward:  y_n = W_mat · unfold(x_n) + b        (FN, OH·OW) per image, W_mat = W as (FN, C·FH·FW)
 *   backward: dW = Σ_n dy_n · unfold(x_n)ᵀ          reshaped to W's shape
 *             dx_n = fold(W_matᵀ · dy_n)           the seeds' dcol = dout·Wᵀ, folded back by col2im
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
    return 'Conv2d: dW = Σₙ dyₙ·colₙᵀ, dx = fold(Wᵀ·dyₙ), db = Σ dy over N, OH, OW';
  }

  forward(x: Tensor, W: Tensor, b?: Tensor): Tensor {
    return tensorConv2d(x, W, b, this.options);
  }

  backward(gy: Variable): Gradients {
    const [x, W, b] = this.inputs;
    const [needX, needW, needB] = this.needsInputGrad;
    const gb = b !== undefined && needB ? sum(gy, [0, 2, 3]) : null;
    if (isGradEnabled()) return [...composedConvBackward(gy, x, W, needX, needW, this.options), gb];
    const constant = (t: Tensor): Variable => new Variable(t, { requiresGrad: false });
    return [
      needX ? constant(conv2dBackwardInput(gy.data, W.data, x.shape, this.options)) : null,
      needW ? constant(conv2dBackwardFilter(gy.data, x.data, W.shape, this.options)) : null,
      gb,
    ];
  }
}

/**
 * Conv2d's input and filter gradients written in differentiable nodes (for createGraph), in the
 * seeds' im2col layout: col = im2col(x) (N·OH·OW, C·FH·FW).
 */
function composedConvBackward(
  gy: Variable,
  x: Variable,
  W: Variable,
  needX: boolean,
  needW: boolean,
  options: ConvOptions,
): [Variable | null, Variable | null] {
  const [FN, C, FH, FW] = W.shape;
  const [N, , OH, OW] = gy.shape;
  const P = OH * OW;
  const K = C * FH * FW;
  const dy = reshape(gy, [N, FN, P]);
  let gx: Variable | null = null;
  let gW: Variable | null = null;
  if (needX) {
    // dcol_n = dy_nᵀ · W_mat: (N, OH·OW, FN) · (FN, C·FH·FW), then folded back onto x.
    const dcol = matmul(transpose(dy, [0, 2, 1]), reshape(W, [FN, K]));
    gx = col2im(reshape(dcol, [N * P, K]), x.shape, FH, FW, options);
  }
  if (needW) {
    const col = reshape(im2col(x, FH, FW, options), [N, P, K]);
    gW = reshape(sum(matmul(dy, col), 0), W.shape);
  }
  return [gx, gW];
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
    if (this.needsInputGrad[0]) this.saveForBackward(indices);
    return output;
  }
  backward(gy: Variable): Variable {
    return new MaxPool2dGrad(this.saved[0], this.inputs[0].shape).apply(gy);
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

nameNodes({ Conv2d, Im2col, Col2im, MaxPool2d, MaxPool2dGrad, AvgPool2d, AvgPool2dGrad });

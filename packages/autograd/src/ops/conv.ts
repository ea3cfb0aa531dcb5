import {
  type ConvOptions, type PoolOptions, ShapeError, type Tensor, type WindowGeometry, avgPool2dBackward, formatShape, maxPool2dBackward, maxPool2dWithIndices,
  avgPool2d as tensorAvgPool2d, col2im as tensorCol2im, im2col as tensorIm2col, windowGeometry,
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
 * Conv2d is one fused node (STYLE.md allows it "when speed demands it"): its forward is im2col,
 * one product per image that writes the output straight in (N, FN, OH, OW) order, and the bias
 * added in place — no transposed copy, no separate Add pass. Its backward is composed of the
 * nodes above (MatMul, Col2im, Im2col, Sum, Reshape, Transpose); the one fast path is that the
 * columns saved by forward stand in for im2col(x) unless a graph of the backward is recorded.
 * See docs/cnn.md.
 */

/**
 * The seeds' Convolution layer as one node: x (N, C, H, W), filters W (FN, C, FH, FW) and an
 * optional bias b (FN) give (N, FN, OH, OW), OH = (H + 2·pad − FH)/stride + 1.
 *
 *   forward:  col = im2col(x)                      (N·OH·OW, C·FH·FW)
 *             y_n = W_mat · col_nᵀ + b             (FN, OH·OW) per image, W_mat = W as (FN, C·FH·FW)
 *   backward: dW = Σ_n dy_n · col_n                 reshaped to (FN, C·FH·FW) → W's shape
 *             dx = col2im(dy_nᵀ · W_mat)           the seeds' dcol = dout·Wᵀ, folded back
 *             db = Σ dy over N, OH, OW
 *
 * @example
 * const y = new Conv2d({ stride: 1, pad: 0 }).apply(x, W, b); // what F.conv2d(x, W, b) records
 */
export class Conv2d extends Function {
  private geometry: WindowGeometry | null = null;
  constructor(readonly options: ConvOptions = {}) { super(); }
  override get rule(): string { return 'Conv2d: dW = Σₙ dyₙ·colₙ, dx = col2im(dyₙᵀ·W), db = Σ dy over N, OH, OW'; }

  forward(x: Tensor, W: Tensor, b?: Tensor): Tensor {
    if (W.ndim !== 4) throw new ShapeError(`conv2d: filters W must have shape (FN, C, FH, FW), got ${formatShape(W.shape)}`);
    const [FN, channels, FH, FW] = W.shape;
    const g = windowGeometry('conv2d', x.shape, [FH, FW], this.options);
    if (channels !== g.C) {
      throw new ShapeError(`conv2d: input ${formatShape(x.shape)} has ${g.C} channels but the filters W ${formatShape(W.shape)} expect ${channels}`);
    }
    if (b !== undefined && (b.ndim !== 1 || b.shape[0] !== FN)) {
      throw new ShapeError(`conv2d: bias b must have shape (${FN}) for ${FN} filters, got ${formatShape(b.shape)}`);
    }
    this.geometry = g;
    const { N, OH, OW } = g;
    const P = OH * OW;
    const col = tensorIm2col(x, FH, FW, this.options);
    // (FN, C·FH·FW) · (N, C·FH·FW, OH·OW) → (N, FN, OH·OW): each image's product lands in NCHW order.
    // col_nᵀ is a strided view (rows of col are its columns), read by gemm without a copy.
    const y = W.reshape([FN, channels * FH * FW]).matmul(col.reshape([N, P, channels * FH * FW]).transpose([0, 2, 1]));
    if (b !== undefined) addBiasInPlace(y, b, N, FN, P);
    if (this.needsInputGrad[1]) this.saveForBackward(col);
    return y.reshape([N, FN, OH, OW]);
  }

  backward(gy: Variable): Gradients {
    const [x, W, b] = this.inputs;
    const [needX, needW, needB] = this.needsInputGrad;
    const { N, C, FH, FW, OH, OW } = this.geometry!;
    const FN = W.shape[0];
    const P = OH * OW;
    const K = C * FH * FW;
    const dy = reshape(gy, [N, FN, P]);
    let gx: Variable | null = null;
    let gW: Variable | null = null;
    if (needX) {
      // dcol_n = dy_nᵀ · W_mat: (N, OH·OW, FN) · (FN, C·FH·FW), then folded back onto x.
      const dcol = matmul(transpose(dy, [0, 2, 1]), reshape(W, [FN, K]));
      gx = col2im(reshape(dcol, [N * P, K]), x.shape, FH, FW, this.options);
    }
    if (needW) {
      // Recording a graph of the backward needs col as a function of x; otherwise the saved copy is exact.
      const col = isGradEnabled() ? im2col(x, FH, FW, this.options) : new Variable(this.saved[0], { requiresGrad: false });
      gW = reshape(filterGradient(dy, col, N, FN, P, K), W.shape);
    }
    const gb = b !== undefined && needB ? sum(gy, [0, 2, 3]) : null;
    return [gx, gW, gb];
  }
}

/**
 * dW_mat = Σ_n dy_n · col_n, (FN, K), from dy (N, FN, P) and col (N·P, K), in one of two equal
 * formulations, chosen by the memory each moves:
 *   - usually N products (FN, P)·(P, K) give an (N, FN, K) stack, summed over N;
 *   - when the stack would be more than 4× the size of dy (K > 4·P: deep layers with small images
 *     and many filter taps, e.g. DeepConvNet's last convs, P = 64, K = 288 or 576), dy is copied
 *     to (FN, N, P) order and one product (FN, N·P)·(N·P, K) does it: measured 30% faster on
 *     the last conv (64, 64, 3×3 on 8×8), while at K ≈ P the N small products were faster.
 * Both are graph ops, so createGraph still differentiates through them.
 */
function filterGradient(dy: Variable, col: Variable, N: number, FN: number, P: number, K: number): Variable {
  if (K <= 4 * P) return sum(matmul(dy, reshape(col, [N, P, K])), 0);
  return matmul(reshape(transpose(dy, [1, 0, 2]), [FN, N * P]), reshape(col, [N * P, K]));
}

/** y (N, FN, P), contiguous and freshly made, += b[f] on every row f. */
function addBiasInPlace(y: Tensor, b: Tensor, N: number, FN: number, P: number): void {
  const out = y.data;
  const bias = b.contiguous();
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < FN; f++) {
      const v = bias.data[bias.offset + f];
      const start = y.offset + (n * FN + f) * P;
      for (let p = start; p < start + P; p++) out[p] += v;
    }
  }
}

/**
 * The seeds' im2col as a node; its backward is Col2im (the adjoint), whose backward is Im2col again.
 * @example new Im2col(5, 5, { stride: 1 }).apply(x) // same as F.im2col(x, 5, 5)
 */
export class Im2col extends Function {
  constructor(readonly filterHeight: number, readonly filterWidth: number, readonly options: ConvOptions = {}) { super(); }
  override get rule(): string { return 'Im2col: dx = col2im(dy)'; }
  forward(x: Tensor): Tensor { return tensorIm2col(x, this.filterHeight, this.filterWidth, this.options); }
  backward(gy: Variable): Variable { return col2im(gy, this.inputs[0].shape, this.filterHeight, this.filterWidth, this.options); }
}

/**
 * The seeds' col2im as a node (adds columns back into an image of `inputShape`); its backward is Im2col.
 * @example new Col2im([10, 3, 7, 7], 5, 5).apply(dcol) // same as F.col2im(dcol, [10, 3, 7, 7], 5, 5)
 */
export class Col2im extends Function {
  constructor(readonly inputShape: readonly number[], readonly filterHeight: number, readonly filterWidth: number, readonly options: ConvOptions = {}) { super(); }
  override get rule(): string { return 'Col2im: dcol = im2col(dx)'; }
  forward(col: Tensor): Tensor { return tensorCol2im(col, this.inputShape, this.filterHeight, this.filterWidth, this.options); }
  backward(gx: Variable): Variable { return im2col(gx, this.filterHeight, this.filterWidth, this.options); }
}

/**
 * The seeds' (max) Pooling layer: the largest value of each window, channel by channel. The
 * gradient goes to the position of the maximum — the **first** one on ties, as NumPy's argmax in
 * the seeds (unlike the Max reduction, which splits ties). Padding never wins.
 * @example new MaxPool2d({ size: 2 }).apply(h) // same as F.maxPool2d(h, { size: 2 })
 */
export class MaxPool2d extends Function {
  constructor(readonly options: PoolOptions) { super(); }
  override get rule(): string { return 'MaxPool2d: dx = dy added at each window\'s argmax (first on ties), else 0'; }
  forward(x: Tensor): Tensor {
    const { output, indices } = maxPool2dWithIndices(x, this.options);
    if (this.needsInputGrad[0]) this.saveForBackward(indices);
    return output;
  }
  backward(gy: Variable): Variable { return new MaxPool2dGrad(this.saved[0], this.inputs[0].shape).apply(gy); }
}

/**
 * MaxPool2d's backward as a node: scatters dy to the argmax positions; its backward gathers there.
 * @example new MaxPool2dGrad(indices, x.shape).apply(gy) // indices from maxPool2dWithIndices
 */
export class MaxPool2dGrad extends Function {
  constructor(readonly indices: Tensor, readonly inputShape: readonly number[]) { super(); }
  override get rule(): string { return 'MaxPool2dGrad: dgy = ddx at the argmax positions'; }
  forward(gy: Tensor): Tensor { return maxPool2dBackward(gy, this.indices, this.inputShape); }
  backward(ggx: Variable): Variable { return take(ggx, this.indices); }
}

/**
 * Average pooling: the mean of each window (padding counts as 0); backward spreads dy/(FH·FW) over the window.
 * @example new AvgPool2d({ size: 2 }).apply(h) // same as F.avgPool2d(h, { size: 2 })
 */
export class AvgPool2d extends Function {
  constructor(readonly options: PoolOptions) { super(); }
  override get rule(): string { return 'AvgPool2d: dx = dy/(FH·FW) spread over each window'; }
  forward(x: Tensor): Tensor { return tensorAvgPool2d(x, this.options); }
  backward(gy: Variable): Variable { return new AvgPool2dGrad(this.inputs[0].shape, this.options).apply(gy); }
}

/**
 * AvgPool2d's backward (its adjoint) as a node; its backward is AvgPool2d.
 * @example new AvgPool2dGrad(x.shape, { size: 2 }).apply(gy)
 */
export class AvgPool2dGrad extends Function {
  constructor(readonly inputShape: readonly number[], readonly options: PoolOptions) { super(); }
  override get rule(): string { return 'AvgPool2dGrad: dgy = avgPool2d(ddx)'; }
  forward(gy: Tensor): Tensor { return avgPool2dBackward(gy, this.inputShape, this.options); }
  backward(ggx: Variable): Variable { return new AvgPool2d(this.options).apply(ggx); }
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
export function col2im(col: Operand, inputShape: readonly number[], filterHeight: number, filterWidth: number, options: ConvOptions = {}): Variable {
  return new Col2im([...inputShape], filterHeight, filterWidth, { ...options }).apply(col);
}

nameNodes({ Conv2d, Im2col, Col2im, MaxPool2d, MaxPool2dGrad, AvgPool2d, AvgPool2dGrad });

/**
 * Convolution kernels over a batch of (N, C, H, W) images, one image at a time through reused
 * buffers: the forward product and its two gradients, each an unfold (or fold) and a GEMM per
 * image (see docs/cnn.md). These are the JavaScript versions; the wasm backend runs the same
 * steps inside WebAssembly on several threads (src/kernels/wasm/conv.ts, assembly/conv.ts).
 *
 * Filters are the (FN, K) matrix W_mat, K = C·FH·FW taps, contiguous from their offset; outputs
 * and output gradients are (N, FN, OH·OW), contiguous.
 */
import { fold, unfold, type WindowGeometry } from './im2col.js';
import { gemm, type FloatArray, type MatrixOperand } from './matmul.js';

/** A convolution's window geometry plus its filter count FN. */
export interface ConvGeometry extends WindowGeometry {
  FN: number;
}

/**
 * One image's columns (K·P) and a product's (FN·K) at a time, reused from image to image and
 * call to call: allocating a whole batch's columns (45 MB for DeepConvNet's second layer) and
 * first touching them every step cost more than filling them. Single-threaded JavaScript: no
 * two calls overlap.
 */
const scratchBuffers = new Map<string, FloatArray>();

function scratch(like: FloatArray, purpose: 'columns' | 'product', length: number): FloatArray {
  const key = `${like.constructor.name}:${purpose}`;
  let buffer = scratchBuffers.get(key);
  if (buffer === undefined || buffer.length < length) {
    buffer = like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
    scratchBuffers.set(key, buffer);
  }
  return buffer;
}

/** A row-major rows×cols matrix at `offset` of `data`, or its transpose. */
function matrix(data: FloatArray, offset: number, cols: number, transposed = false): MatrixOperand {
  return transposed ? { data, offset, rowStride: 1, colStride: cols } : { data, offset, rowStride: cols, colStride: 1 };
}

/** K (taps), P (positions), one image's geometry and its input size. */
function sizes(g: ConvGeometry): { K: number; P: number; image: WindowGeometry; imageSize: number } {
  return { K: g.C * g.FH * g.FW, P: g.OH * g.OW, image: { ...g, N: 1 }, imageSize: g.C * g.H * g.W };
}

/**
 * y_n = W_mat · unfold(x_n) (+ b) for every image: y (N, FN, OH·OW) contiguous from 0, every
 * element written. `bias` may be null.
 *
 * @example
 * conv2dForward(x, 0, { ...g, FN: 30 }, weights, 0, bias, 0, y);
 */
export function conv2dForward(
  x: FloatArray,
  xOffset: number,
  g: ConvGeometry,
  weights: FloatArray,
  weightsOffset: number,
  bias: FloatArray | null,
  biasOffset: number,
  y: FloatArray,
): void {
  const { K, P, image, imageSize } = sizes(g);
  const columns = scratch(y, 'columns', K * P);
  const filters = matrix(weights, weightsOffset, K);
  for (let n = 0; n < g.N; n++) {
    unfold(x, xOffset + n * imageSize, image, columns, 0);
    const start = n * g.FN * P;
    gemm(g.FN, P, K, filters, matrix(columns, 0, P), y, start);
    // Added while the image's output is still in cache, rather than in a pass of its own.
    if (bias !== null) {
      for (let f = 0; f < g.FN; f++) {
        const value = bias[biasOffset + f];
        for (let p = start + f * P; p < start + (f + 1) * P; p++) y[p] += value;
      }
    }
  }
}

/**
 * dx_n = fold(W_matᵀ · dy_n) for every image, added into dx (N, C, H, W) contiguous from 0:
 * pass zeros.
 *
 * @example
 * conv2dBackwardInput(dy, 0, { ...g, FN: 30 }, weights, 0, dx);
 */
export function conv2dBackwardInput(
  dy: FloatArray,
  dyOffset: number,
  g: ConvGeometry,
  weights: FloatArray,
  weightsOffset: number,
  dx: FloatArray,
): void {
  const { K, P, image, imageSize } = sizes(g);
  const columns = scratch(dx, 'columns', K * P);
  const filtersT = matrix(weights, weightsOffset, K, true);
  for (let n = 0; n < g.N; n++) {
    gemm(K, P, g.FN, filtersT, matrix(dy, dyOffset + n * g.FN * P, P), columns, 0);
    fold(columns, 0, image, dx, n * imageSize);
  }
}

/**
 * dW = Σ_n dy_n · unfold(x_n)ᵀ, added into dW (FN, K) contiguous from 0: pass zeros.
 *
 * @example
 * conv2dBackwardFilter(dy, 0, { ...g, FN: 30 }, x, 0, dW);
 */
export function conv2dBackwardFilter(
  dy: FloatArray,
  dyOffset: number,
  g: ConvGeometry,
  x: FloatArray,
  xOffset: number,
  dW: FloatArray,
): void {
  const { K, P, image, imageSize } = sizes(g);
  const columns = scratch(dW, 'columns', K * P);
  const product = scratch(dW, 'product', g.FN * K);
  for (let n = 0; n < g.N; n++) {
    unfold(x, xOffset + n * imageSize, image, columns, 0);
    gemm(g.FN, K, P, matrix(dy, dyOffset + n * g.FN * P, P), matrix(columns, 0, P, true), product, 0);
    for (let i = 0; i < g.FN * K; i++) dW[i] += product[i];
  }
}

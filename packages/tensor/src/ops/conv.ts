import {
  type FloatDType,
  type FloatStorage,
  allocate,
  allocateForOutput,
  checkTensorBytes,
  isFloat,
  promoteTypes,
} from '../dtype.js';
import { DTypeError, ShapeError, ValueError, formatShape } from '../errors.js';
import { type ConvGeometry, type WindowGeometry, kernels } from '../kernels/index.js';
import { Tensor } from '../tensor.js';

export type { WindowGeometry } from '../kernels/index.js';

/**
 * Sliding windows over images in (N, C, H, W) layout: im2col / col2im (the seeds' 001 §7.4,
 * 002 §39) and pooling, as validating wrappers around the kernels of kernels/im2col.ts. Every size
 * is checked here, once, so the kernels can trust their geometry; errors name the operation, the
 * input shape, the filter, the stride and the padding.
 */

/** A height and width: one number for both, or `[height, width]`. @example const k: Size2d = [3, 5]; */
export type Size2d = number | readonly [number, number];

/** Stride (default 1) and zero padding on each side (default 0) of a convolution. @example im2col(x, 5, 5, { stride: 1, pad: 2 }) */
export interface ConvOptions {
  stride?: Size2d;
  pad?: Size2d;
}

/**
 * A pooling window: its `size`, its `stride` (default: the size, so windows tile the image) and
 * padding (default 0; it must be smaller than the window).
 * @example maxPool2d(x, { size: 2 }) // 2×2 windows, stride 2
 */
export interface PoolOptions {
  size: Size2d;
  stride?: Size2d;
  pad?: Size2d;
}

/**
 * A validated [height, width] pair from one number or a pair, each an integer ≥ `min` (1 for
 * sizes and strides, 0 for padding): the one check of every conv and pool size, shared by the
 * tensor ops and @nn/nn's layers. `what` names the argument in the error.
 * @example sizePair('Conv2d', 'kernelSize', 5, 1) // [5, 5]; sizePair('pad', 'pad', [1, 2], 0) // [1, 2]
 */
export function sizePair(op: string, what: string, value: Size2d, min: number): [number, number] {
  const isPair = Array.isArray(value) && value.length === 2;
  const [h, w] = typeof value === 'number' ? [value, value] : isPair ? value : [NaN, NaN];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < min || w < min) {
    throw new ValueError(
      `${op}: ${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or a [height, width] pair of them, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return [h, w];
}

/**
 * A pair as errors and layer descriptions print it: one number when both agree.
 * @example sizeText([5, 5]) // "5"; sizeText([3, 5]) // "(3,5)"
 */
export function sizeText([h, w]: readonly [number, number]): string {
  return h === w ? String(h) : `(${h},${w})`;
}

/**
 * The seeds' output-size formula, OH = (H + 2·P − FH)/S + 1, for one axis. The division must
 * come out whole (as the seeds ask); otherwise, or when the filter is larger than the padded
 * input, a ShapeError explains which sizes would fit.
 *
 * @example
 * convOutputSize(28, 5);       // 24: SimpleConvNet's conv layer
 * convOutputSize(24, 2, 2);    // 12: its 2×2 pooling
 * convOutputSize(7, 4, 2);     // throws: (7 + 0 − 4)/2 + 1 = 2.5
 */
export function convOutputSize(inputSize: number, filterSize: number, stride = 1, pad = 0): number {
  return outputSize(
    'convOutputSize',
    'size',
    inputSize,
    filterSize,
    stride,
    pad,
    () => `input size ${inputSize}, filter ${filterSize}, stride ${stride}, pad ${pad}`,
  );
}

function outputSize(
  op: string,
  axis: 'height' | 'width' | 'size',
  input: number,
  filter: number,
  stride: number,
  pad: number,
  context: () => string,
): number {
  const letter = axis === 'width' ? 'W' : 'H';
  const span = input + 2 * pad - filter;
  if (span < 0) {
    throw new ShapeError(
      `${op}: ${context()}: the filter ${axis} ${filter} is larger than the padded input ${axis} ${input} + 2·${pad} = ${input + 2 * pad}`,
    );
  }
  if (span % stride !== 0) {
    const exact = span / stride + 1;
    const lower = Math.floor(span / stride) * stride;
    throw new ShapeError(
      `${op}: ${context()}: the output ${axis} (${letter} + 2·pad − F${letter})/stride + 1 = (${input} + 2·${pad} − ${filter})/${stride} + 1 = ${Number(exact.toFixed(4))} is not a whole number; ` +
        `choose stride and pad so that the stride divides ${letter} + 2·pad − F${letter} = ${span} (e.g. an input ${axis} of ${input - (span - lower)} or ${input + (lower + stride - span)})`,
    );
  }
  return span / stride + 1;
}

/**
 * Checks a sliding-window operation over `inputShape` = (N, C, H, W) and returns its geometry
 * (output OH×OW by the seeds' formula). `op` names the caller in errors; `what` is 'filter' for a
 * convolution, 'window' for pooling.
 *
 * @example
 * windowGeometry('conv2d', [100, 1, 28, 28], [5, 5], { stride: 1, pad: 0 }).OH; // 24
 */
export function windowGeometry(
  op: string,
  inputShape: readonly number[],
  filterSize: Size2d,
  options: ConvOptions = {},
  what: 'filter' | 'window' = 'filter',
): WindowGeometry {
  if (inputShape.length !== 4) {
    throw new ShapeError(`${op}: expected an input of shape (N, C, H, W), got ${formatShape(inputShape)}`);
  }
  const [FH, FW] = sizePair(op, `the ${what} size`, filterSize, 1);
  const [strideH, strideW] = sizePair(op, 'stride', options.stride ?? 1, 1);
  const [padH, padW] = sizePair(op, 'pad', options.pad ?? 0, 0);
  const [N, C, H, W] = inputShape;
  const context = () =>
    `input ${formatShape(inputShape)} with ${what} ${FH}×${FW}, stride ${sizeText([strideH, strideW])}, pad ${sizeText([padH, padW])}`;
  const OH = outputSize(op, 'height', H, FH, strideH, padH, context);
  const OW = outputSize(op, 'width', W, FW, strideW, padW, context);
  return { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW };
}

function floatInput(op: string, x: Tensor, name = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: ${name} must be a Tensor, got ${typeof x}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${x.dtype}`);
  return x.contiguous();
}

/**
 * The seeds' im2col: unfolds every FH×FW filter window of x (N, C, H, W) into a row of a
 * (N·OH·OW, C·FH·FW) matrix — row n·OH·OW + oh·OW + ow is window (oh, ow) of image n, channel by
 * channel — so a convolution becomes one matrix product with the filters reshaped to
 * (FN, C·FH·FW) and transposed. Padding positions are zeros.
 *
 * @example
 * im2col(rand([1, 3, 7, 7]), 5, 5).shape;             // [9, 75]
 * im2col(rand([10, 3, 7, 7]), 5, 5, { stride: 1, pad: 0 }).shape; // [90, 75]
 */
export function im2col(x: Tensor, filterHeight: number, filterWidth: number, options: ConvOptions = {}): Tensor {
  const input = floatInput('im2col', x);
  const g = windowGeometry('im2col', input.shape, [filterHeight, filterWidth], options);
  const rows = g.N * g.OH * g.OW;
  const cols = g.C * g.FH * g.FW;
  checkTensorBytes('im2col', [rows, cols], input.dtype);
  const out = new Tensor(allocate(input.dtype, rows * cols), [rows, cols]);
  kernels().im2col(input.data as FloatStorage, input.offset, g, out.data as FloatStorage, 0);
  return out;
}

/**
 * The seeds' col2im, the adjoint of im2col: adds every entry of `col` (N·OH·OW, C·FH·FW) back to
 * the position of x (N, C, H, W) = `inputShape` it was copied from. Where windows overlap the
 * entries add up; entries that came from padding are dropped. ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
 *
 * @example
 * col2im(ones([4, 4]), [1, 1, 3, 3], 2, 2).toArray(); // [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 */
export function col2im(
  col: Tensor,
  inputShape: readonly number[],
  filterHeight: number,
  filterWidth: number,
  options: ConvOptions = {},
): Tensor {
  const input = floatInput('col2im', col, 'col');
  const g = windowGeometry('col2im', inputShape, [filterHeight, filterWidth], options);
  const rows = g.N * g.OH * g.OW;
  const cols = g.C * g.FH * g.FW;
  if (input.ndim !== 2 || input.shape[0] !== rows || input.shape[1] !== cols) {
    throw new ShapeError(
      `col2im: col of shape ${formatShape(col.shape)} does not match input ${formatShape(inputShape)} with filter ${g.FH}×${g.FW}, stride ${sizeText([g.strideH, g.strideW])}, pad ${sizeText([g.padH, g.padW])}: expected (N·OH·OW, C·FH·FW) = ${formatShape([rows, cols])}`,
    );
  }
  const out = new Tensor(allocate(input.dtype, g.N * g.C * g.H * g.W), [g.N, g.C, g.H, g.W]);
  kernels().col2im(input.data as FloatStorage, input.offset, g, out.data as FloatStorage, 0);
  return out;
}

/**
 * PyTorch's `unfold`: every FH×FW filter window of x (N, C, H, W) as a column of a
 * (C·FH·FW, OH·OW) matrix per image, giving (N, C·FH·FW, OH·OW). It holds the same numbers as
 * im2col, transposed per image; filters (FN, C·FH·FW) times an image's matrix give that image's
 * (FN, OH·OW) output in NCHW order.
 *
 * @example
 * unfold(rand([10, 3, 7, 7]), 5, 5).shape; // [10, 75, 9]
 */
export function unfold(x: Tensor, filterHeight: number, filterWidth: number, options: ConvOptions = {}): Tensor {
  const input = floatInput('unfold', x);
  const g = windowGeometry('unfold', input.shape, [filterHeight, filterWidth], options);
  const taps = g.C * g.FH * g.FW;
  const out = new Tensor(allocate(input.dtype, g.N * taps * g.OH * g.OW), [g.N, taps, g.OH * g.OW]);
  kernels().unfold(input.data as FloatStorage, input.offset, g, out.data as FloatStorage, 0);
  return out;
}

/**
 * PyTorch's `fold`, the adjoint of unfold: adds every entry of `cols` (N, C·FH·FW, OH·OW) back to
 * the position of x (N, C, H, W) = `inputShape` it was copied from; overlaps add up, entries from
 * padding are dropped.
 *
 * @example
 * fold(ones([1, 4, 4]), [1, 1, 3, 3], 2, 2).toArray(); // [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 */
export function fold(
  cols: Tensor,
  inputShape: readonly number[],
  filterHeight: number,
  filterWidth: number,
  options: ConvOptions = {},
): Tensor {
  const input = floatInput('fold', cols, 'cols');
  const g = windowGeometry('fold', inputShape, [filterHeight, filterWidth], options);
  const expected = [g.N, g.C * g.FH * g.FW, g.OH * g.OW];
  if (input.ndim !== 3 || input.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `fold: cols of shape ${formatShape(cols.shape)} does not match input ${formatShape(inputShape)} with filter ${g.FH}×${g.FW}, stride ${sizeText([g.strideH, g.strideW])}, pad ${sizeText([g.padH, g.padW])}: expected (N, C·FH·FW, OH·OW) = ${formatShape(expected)}`,
    );
  }
  const out = new Tensor(allocate(input.dtype, g.N * g.C * g.H * g.W), [g.N, g.C, g.H, g.W]);
  kernels().fold(input.data as FloatStorage, input.offset, g, out.data as FloatStorage, 0);
  return out;
}

// ---- convolution ------------------------------------------------------------------------------
//
// The three convolution products are kernels (kernels/conv.ts, and on the wasm backend
// kernels/wasm/conv.ts): they work one image at a time, through a reused column buffer rather than
// a whole batch's columns. Here: the checks, the dtypes and the output tensors.

/** The checked geometry (with FN) of a convolution of `inputShape` by filters of `filterShape`. */
function convGeometry(
  op: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  options: ConvOptions,
): ConvGeometry {
  if (filterShape.length !== 4)
    throw new ShapeError(`${op}: filters W must have shape (FN, C, FH, FW), got ${formatShape(filterShape)}`);
  const [FN, channels, FH, FW] = filterShape;
  const g = windowGeometry(op, inputShape, [FH, FW], options);
  if (channels !== g.C) {
    throw new ShapeError(
      `${op}: input ${formatShape(inputShape)} has ${g.C} channels but the filters W ${formatShape(filterShape)} expect ${channels}`,
    );
  }
  return { ...g, FN };
}

/** Both operands as float tensors of their common dtype (float32 with float64 gives float64). */
function commonFloat(op: string, a: Tensor, aName: string, b: Tensor, bName: string): [Tensor, Tensor, FloatDType] {
  const first = floatInput(op, a, aName);
  const second = floatInput(op, b, bName);
  const dtype = promoteTypes(first.dtype, second.dtype) as FloatDType;
  return [
    first.dtype === dtype ? first : first.astype(dtype),
    second.dtype === dtype ? second : second.astype(dtype),
    dtype,
  ];
}

/**
 * 2-d convolution (cross-correlation, as in the seeds and every framework): x (N, C, H, W),
 * filters W (FN, C, FH, FW) and an optional bias b (FN) give (N, FN, OH, OW) with
 * OH = (H + 2·pad − FH)/stride + 1 (a size that does not divide evenly is a ShapeError).
 * Per image: y_n = W_mat · unfold(x_n) + b, W_mat = W as (FN, C·FH·FW).
 *
 * @example
 * conv2d(x, W, b).shape; // x (100, 1, 28, 28), W (30, 1, 5, 5), b (30) → [100, 30, 24, 24]
 */
export function conv2d(x: Tensor, W: Tensor, b?: Tensor, options: ConvOptions = {}): Tensor {
  const [input, filters, dtype] = commonFloat('conv2d', x, 'input', W, 'filters W');
  const g = convGeometry('conv2d', input.shape, filters.shape, options);
  const bias = b === undefined ? null : floatInput('conv2d', b, 'bias b');
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== g.FN)) {
    throw new ShapeError(`conv2d: bias b must have shape (${g.FN}) for ${g.FN} filters, got ${formatShape(b!.shape)}`);
  }
  const biasData = bias === null ? null : bias.dtype === dtype ? bias : bias.astype(dtype);
  checkTensorBytes('conv2d', [g.N, g.FN, g.OH, g.OW], dtype);
  const out = new Tensor(allocateForOutput(dtype, g.N * g.FN * g.OH * g.OW), [g.N, g.FN, g.OH, g.OW]);
  kernels().conv2dForward(
    input.data as FloatStorage,
    input.offset,
    g,
    filters.data as FloatStorage,
    filters.offset,
    biasData === null ? null : (biasData.data as FloatStorage),
    biasData?.offset ?? 0,
    out.data as FloatStorage,
  );
  return out;
}

/**
 * The gradient of conv2d with respect to its input: per image, dx_n = fold(W_matᵀ · dy_n), the
 * seeds' dcol = dout·Wᵀ folded back by col2im. dy (N, FN, OH, OW), W (FN, C, FH, FW), `inputShape`
 * (N, C, H, W) and `options` as given to conv2d.
 *
 * @example
 * conv2dBackwardInput(dy, W, x.shape, { pad: 1 }).shape; // x.shape
 */
export function conv2dBackwardInput(
  dy: Tensor,
  W: Tensor,
  inputShape: readonly number[],
  options: ConvOptions = {},
): Tensor {
  const [grad, filters, dtype] = commonFloat('conv2dBackwardInput', dy, 'dy', W, 'filters W');
  const g = convGeometry('conv2dBackwardInput', inputShape, filters.shape, options);
  checkOutputGradient('conv2dBackwardInput', grad, [g.N, g.FN, g.OH, g.OW]);
  const out = new Tensor(allocate(dtype, g.N * g.C * g.H * g.W), [g.N, g.C, g.H, g.W]);
  kernels().conv2dBackwardInput(
    grad.data as FloatStorage,
    grad.offset,
    g,
    filters.data as FloatStorage,
    filters.offset,
    out.data as FloatStorage,
  );
  return out;
}

/**
 * The gradient of conv2d with respect to its filters: dW = Σ_n dy_n · unfold(x_n)ᵀ, reshaped to
 * `filterShape` (FN, C, FH, FW). dy (N, FN, OH, OW), x (N, C, H, W), `options` as given to conv2d.
 *
 * @example
 * conv2dBackwardFilter(dy, x, W.shape, { pad: 1 }).shape; // W.shape
 */
export function conv2dBackwardFilter(
  dy: Tensor,
  x: Tensor,
  filterShape: readonly number[],
  options: ConvOptions = {},
): Tensor {
  const [grad, input, dtype] = commonFloat('conv2dBackwardFilter', dy, 'dy', x, 'input');
  const g = convGeometry('conv2dBackwardFilter', input.shape, filterShape, options);
  checkOutputGradient('conv2dBackwardFilter', grad, [g.N, g.FN, g.OH, g.OW]);
  const out = new Tensor(allocate(dtype, g.FN * g.C * g.FH * g.FW), [...filterShape]);
  kernels().conv2dBackwardFilter(
    grad.data as FloatStorage,
    grad.offset,
    g,
    input.data as FloatStorage,
    input.offset,
    out.data as FloatStorage,
  );
  return out;
}

function checkOutputGradient(op: string, dy: Tensor, expected: readonly number[]): void {
  if (dy.ndim !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `${op}: dy ${formatShape(dy.shape)} does not match the convolution's output shape ${formatShape(expected)}`,
    );
  }
}

/** Pooling geometry: stride defaults to the window size; padding must leave a real input in every window. */
function poolGeometry(op: string, shape: readonly number[], options: PoolOptions): WindowGeometry {
  if (options === undefined || options.size === undefined)
    throw new ValueError(`${op}: options.size (the pooling window) is required, e.g. { size: 2 }`);
  const g = windowGeometry(
    op,
    shape,
    options.size,
    { stride: options.stride ?? options.size, pad: options.pad ?? 0 },
    'window',
  );
  if (g.padH >= g.FH || g.padW >= g.FW) {
    throw new ValueError(
      `${op}: pad ${sizeText([g.padH, g.padW])} must be smaller than the window ${g.FH}×${g.FW}, or a window could hold only padding`,
    );
  }
  return g;
}

/**
 * Index tensors made by maxPool2dWithIndices, with the size of the input they index: these need
 * no range check in maxPool2dBackward (a pass over every index, ~1 ms per training step).
 */
const trustedIndices = new WeakMap<Tensor, number>();

/**
 * Max pooling over each window of each channel, with the flat index into x of each maximum (the
 * first one on ties, in row-major window order). Padding never wins.
 *
 * @example
 * const { output, indices } = maxPool2dWithIndices(x, { size: 2 }); // x (N, C, 24, 24) → (N, C, 12, 12)
 */
export function maxPool2dWithIndices(x: Tensor, options: PoolOptions): { output: Tensor; indices: Tensor } {
  const input = floatInput('maxPool2d', x);
  const g = poolGeometry('maxPool2d', input.shape, options);
  const shape = [g.N, g.C, g.OH, g.OW];
  const count = g.N * g.C * g.OH * g.OW;
  const output = new Tensor(allocateForOutput(input.dtype, count), shape);
  const indices = new Tensor(new Int32Array(count), shape);
  kernels().maxPool2d(
    input.data as FloatStorage,
    input.offset,
    g,
    output.data as FloatStorage,
    indices.data as Int32Array,
  );
  trustedIndices.set(indices, input.size);
  return { output, indices };
}

/**
 * Max pooling (the seeds' Pooling layer): the largest value of each window, channel by channel.
 * Stride defaults to the window size. Output (N, C, OH, OW).
 *
 * @example
 * maxPool2d(tensor([[[[1, 5], [2, 0]]]]), { size: 2 }).toArray(); // [[[[5]]]]
 */
export function maxPool2d(x: Tensor, options: PoolOptions): Tensor {
  return maxPool2dWithIndices(x, options).output;
}

/**
 * The gradient of max pooling: gy (N, C, OH, OW) added into zeros of `inputShape` at the flat
 * `indices` that `maxPool2dWithIndices` returned.
 *
 * @example
 * const { output, indices } = maxPool2dWithIndices(x, { size: 2 });
 * const gx = maxPool2dBackward(onesLike(output), indices, x.shape);
 */
export function maxPool2dBackward(gy: Tensor, indices: Tensor, inputShape: readonly number[]): Tensor {
  const grad = floatInput('maxPool2dBackward', gy, 'gy');
  if (!(indices instanceof Tensor) || indices.dtype !== 'int32')
    throw new DTypeError('maxPool2dBackward: indices must be the int32 tensor from maxPool2dWithIndices');
  if (indices.ndim !== grad.ndim || indices.shape.some((d, i) => d !== grad.shape[i])) {
    throw new ShapeError(
      `maxPool2dBackward: gy ${formatShape(gy.shape)} and indices ${formatShape(indices.shape)} must have the same shape`,
    );
  }
  if (inputShape.length !== 4)
    throw new ShapeError(`maxPool2dBackward: expected an input shape (N, C, H, W), got ${formatShape(inputShape)}`);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const at = indices.contiguous();
  const positions =
    at.offset === 0 && at.data.length === at.size
      ? (at.data as Int32Array)
      : (at.data as Int32Array).subarray(at.offset, at.offset + at.size);
  if (trustedIndices.get(indices) !== size) {
    for (let i = 0; i < positions.length; i++) {
      if (!(positions[i] >= 0 && positions[i] < size)) {
        throw new ShapeError(
          `maxPool2dBackward: index ${positions[i]} is outside an input of shape ${formatShape(inputShape)}`,
        );
      }
    }
  }
  const out = new Tensor(allocate(grad.dtype, size), inputShape);
  kernels().maxPool2dBackward(
    grad.data as FloatStorage,
    grad.offset,
    positions,
    grad.size,
    out.data as FloatStorage,
    inputShape[0] * inputShape[1],
  );
  return out;
}

/**
 * Average pooling: the mean of each window, channel by channel; padding counts as zeros (the
 * divisor is always FH·FW). Stride defaults to the window size. Output (N, C, OH, OW).
 *
 * @example
 * avgPool2d(tensor([[[[1, 5], [2, 0]]]]), { size: 2 }).toArray(); // [[[[2]]]]
 */
export function avgPool2d(x: Tensor, options: PoolOptions): Tensor {
  const input = floatInput('avgPool2d', x);
  const g = poolGeometry('avgPool2d', input.shape, options);
  const out = new Tensor(allocate(input.dtype, g.N * g.C * g.OH * g.OW), [g.N, g.C, g.OH, g.OW]);
  kernels().avgPool2d(input.data as FloatStorage, input.offset, g, out.data as FloatStorage);
  return out;
}

/**
 * The adjoint of average pooling (its gradient): each gy (N, C, OH, OW) value divided by FH·FW
 * and added to every position of its window in zeros of `inputShape`.
 *
 * @example
 * avgPool2dBackward(ones([1, 1, 1, 1]), [1, 1, 2, 2], { size: 2 }).toArray(); // [[[[0.25, 0.25], [0.25, 0.25]]]]
 */
export function avgPool2dBackward(gy: Tensor, inputShape: readonly number[], options: PoolOptions): Tensor {
  const grad = floatInput('avgPool2dBackward', gy, 'gy');
  const g = poolGeometry('avgPool2dBackward', inputShape, options);
  const expected = [g.N, g.C, g.OH, g.OW];
  if (grad.ndim !== 4 || grad.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `avgPool2dBackward: gy ${formatShape(gy.shape)} does not match the pooled shape ${formatShape(expected)} of input ${formatShape(inputShape)}`,
    );
  }
  const out = new Tensor(allocate(grad.dtype, g.N * g.C * g.H * g.W), [g.N, g.C, g.H, g.W]);
  kernels().avgPool2dBackward(grad.data as FloatStorage, grad.offset, g, out.data as FloatStorage);
  return out;
}

/**
 * Sliding-window kernels for images in (N, C, H, W) layout: im2col, its adjoint col2im, and the
 * pooling loops. Like every kernel they take typed arrays plus sizes and know nothing of Tensor,
 * so a WebAssembly implementation can replace them one by one (see KernelBackend).
 *
 * All of them walk the windows described by a `WindowGeometry`: window (oh, ow) covers input rows
 * oh·strideH − padH … + FH − 1 and columns ow·strideW − padW … + FW − 1; positions outside the
 * image are the padding.
 */
import type { FloatArray } from './matmul.js';

/**
 * Sizes of a sliding-window operation over a batch of images (the seeds' letters): input
 * (N, C, H, W), filter or pooling window FH×FW, strides, zero padding on each side, output OH×OW.
 * The caller has checked OH = (H + 2·padH − FH)/strideH + 1 (and OW likewise) is a whole number.
 *
 * @example
 * // The seeds' SimpleConvNet first layer on a batch of 100 MNIST images:
 * const g: WindowGeometry = { N: 100, C: 1, H: 28, W: 28, FH: 5, FW: 5, strideH: 1, strideW: 1, padH: 0, padW: 0, OH: 24, OW: 24 };
 */
export interface WindowGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  FH: number;
  FW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  OH: number;
  OW: number;
}

/**
 * Unfolds every filter window into a row (the seeds' im2col): `col` (row-major, from colOffset)
 * becomes the (N·OH·OW, C·FH·FW) matrix whose row n·OH·OW + oh·OW + ow holds window (oh, ow) of
 * image n, channel by channel, each channel's FH×FW patch row by row. Padding positions are 0.
 * `x` is contiguous from xOffset. Every element of the output range is written.
 *
 * The loops run over windows in output order, so `col` is written sequentially; each filter row is
 * FW consecutive inputs, copied as one run (split only where it crosses the padding).
 *
 * @example
 * const x = Float64Array.from({ length: 9 }, (_, i) => i);              // one 3×3 image
 * const g = { N: 1, C: 1, H: 3, W: 3, FH: 2, FW: 2, strideH: 1, strideW: 1, padH: 0, padW: 0, OH: 2, OW: 2 };
 * const col = new Float64Array(16);
 * im2col(x, 0, g, col, 0); // rows [0,1,3,4], [1,2,4,5], [3,4,6,7], [4,5,7,8]
 */
export function im2col(x: FloatArray, xOffset: number, g: WindowGeometry, col: FloatArray, colOffset: number): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  let o = colOffset;
  for (let n = 0; n < N; n++) {
    const image = xOffset + n * C * plane;
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * strideH - padH;
      for (let ow = 0; ow < OW; ow++) {
        const left = ow * strideW - padW;
        // Filter columns [fwStart, fwEnd) fall inside the image; the rest are padding.
        const fwStart = left < 0 ? -left : 0;
        const fwEnd = left + FW > W ? W - left : FW;
        for (let c = 0; c < C; c++) {
          const channel = image + c * plane;
          for (let fh = 0; fh < FH; fh++) {
            const ih = top + fh;
            if (ih < 0 || ih >= H || fwEnd <= fwStart) {
              for (let fw = 0; fw < FW; fw++) col[o++] = 0;
              continue;
            }
            const src = channel + ih * W + left;
            let fw = 0;
            for (; fw < fwStart; fw++) col[o++] = 0;
            for (; fw < fwEnd; fw++) col[o++] = x[src + fw];
            for (; fw < FW; fw++) col[o++] = 0;
          }
        }
      }
    }
  }
}

/**
 * The adjoint of im2col (the seeds' col2im): adds every entry of the (N·OH·OW, C·FH·FW) matrix
 * `col` back to the input position it was copied from, so positions shared by overlapping windows
 * receive the sum; entries that came from padding are dropped. Adds into `x` (contiguous from
 * xOffset): zero it first for col2im proper. ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
 *
 * @example
 * const ones = new Float64Array(16).fill(1);
 * const x = new Float64Array(9);
 * col2im(ones, 0, g, x, 0); // x = [1,2,1, 2,4,2, 1,2,1]: how many 2×2 windows cover each pixel
 */
export function col2im(col: FloatArray, colOffset: number, g: WindowGeometry, x: FloatArray, xOffset: number): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  let o = colOffset;
  for (let n = 0; n < N; n++) {
    const image = xOffset + n * C * plane;
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * strideH - padH;
      for (let ow = 0; ow < OW; ow++) {
        const left = ow * strideW - padW;
        const fwStart = left < 0 ? -left : 0;
        const fwEnd = left + FW > W ? W - left : FW;
        for (let c = 0; c < C; c++) {
          const channel = image + c * plane;
          for (let fh = 0; fh < FH; fh++, o += FW) {
            const ih = top + fh;
            if (ih < 0 || ih >= H) continue;
            const dst = channel + ih * W + left;
            for (let fw = fwStart; fw < fwEnd; fw++) x[dst + fw] += col[o + fw];
          }
        }
      }
    }
  }
}

/**
 * The outputs o in [start, end) whose input position o·stride − pad + f lies inside [0, size):
 * for filter tap f, the windows that see a real input rather than padding.
 */
function insideRange(f: number, pad: number, stride: number, size: number, outputs: number): [number, number] {
  const start = Math.max(0, Math.ceil((pad - f) / stride));
  const end = Math.min(outputs, Math.floor((size - 1 + pad - f) / stride) + 1);
  return [start, Math.max(start, end)];
}

/**
 * im2col in the other orientation (PyTorch's `unfold`): `col` (from colOffset) becomes N
 * row-major (C·FH·FW, OH·OW) matrices, one per image; row (c, fh, fw) holds tap (fh, fw) of
 * channel c for every window, in output order. Padding positions are 0; every element of the
 * output range is written.
 *
 * Why a second layout: here each row is OW-long runs of one input row (contiguous for stride 1)
 * instead of FW-long snippets, so it is about twice as fast as im2col, and an image's matrix is
 * the right operand of filters (FN, C·FH·FW) · col → (FN, OH·OW), already in NCHW order.
 *
 * @example
 * const x = Float64Array.from({ length: 9 }, (_, i) => i);              // one 3×3 image
 * const g = { N: 1, C: 1, H: 3, W: 3, FH: 2, FW: 2, strideH: 1, strideW: 1, padH: 0, padW: 0, OH: 2, OW: 2 };
 * const col = new Float64Array(16);
 * unfold(x, 0, g, col, 0); // rows [0,1,3,4], [1,2,4,5], [3,4,6,7], [4,5,7,8] (taps (0,0), (0,1), (1,0), (1,1))
 */
export function unfold(x: FloatArray, xOffset: number, g: WindowGeometry, col: FloatArray, colOffset: number): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  let o = colOffset;
  for (let image = 0; image < N * C; image++) {
    const channel = xOffset + image * plane;
    for (let fh = 0; fh < FH; fh++) {
      for (let fw = 0; fw < FW; fw++) {
        const [owStart, owEnd] = insideRange(fw, padW, strideW, W, OW);
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * strideH - padH + fh;
          if (ih < 0 || ih >= H) {
            col.fill(0, o, o + OW);
            o += OW;
            continue;
          }
          const src = channel + ih * W - padW + fw;
          let ow = 0;
          for (; ow < owStart; ow++) col[o++] = 0;
          if (strideW === 1) for (; ow < owEnd; ow++) col[o++] = x[src + ow];
          else for (; ow < owEnd; ow++) col[o++] = x[src + ow * strideW];
          for (; ow < OW; ow++) col[o++] = 0;
        }
      }
    }
  }
}

/**
 * The adjoint of unfold (PyTorch's `fold`): adds every entry of the N (C·FH·FW, OH·OW) matrices
 * in `col` back to the input position it was copied from; entries that came from padding are
 * dropped. Adds into `x` (contiguous from xOffset): zero it first for fold proper.
 *
 * @example
 * const x = new Float64Array(9);
 * fold(new Float64Array(16).fill(1), 0, g, x, 0); // x = [1,2,1, 2,4,2, 1,2,1]
 */
export function fold(col: FloatArray, colOffset: number, g: WindowGeometry, x: FloatArray, xOffset: number): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  let o = colOffset;
  for (let image = 0; image < N * C; image++) {
    const channel = xOffset + image * plane;
    for (let fh = 0; fh < FH; fh++) {
      for (let fw = 0; fw < FW; fw++) {
        const [owStart, owEnd] = insideRange(fw, padW, strideW, W, OW);
        for (let oh = 0; oh < OH; oh++, o += OW) {
          const ih = oh * strideH - padH + fh;
          if (ih < 0 || ih >= H) continue;
          const dst = channel + ih * W - padW + fw;
          if (strideW === 1) for (let ow = owStart; ow < owEnd; ow++) x[dst + ow] += col[o + ow];
          else for (let ow = owStart; ow < owEnd; ow++) x[dst + ow * strideW] += col[o + ow];
        }
      }
    }
  }
}

/**
 * Max pooling, channel by channel: out[n, c, oh, ow] (contiguous from 0) = the largest input of
 * window (oh, ow), and argmax[...] = its flat index into x (relative to xOffset), the **first**
 * one in row-major window order on ties (as NumPy's argmax in the seeds' Pooling layer). Padding
 * never wins (it acts as −∞); every window must hold an input (padding < window size). NaN wins
 * and propagates.
 *
 * Why the comparisons are written `t = +(v > best); at += t·(i − at)`: on real data which
 * element of a window is largest is a coin toss, and a branch on it is mispredicted about half
 * the time; V8 compiles this form without a branch (measured 4× faster on 2×2 windows of random
 * data). NaN takes a separate, predictable branch. 2×2 windows without padding, the usual CNN
 * pooling, have an unrolled loop of their own.
 *
 * @example
 * const x = Float64Array.from([1, 5, 2, 0]);            // one 2×2 image
 * const out = new Float64Array(1); const at = new Int32Array(1);
 * maxPool2d(x, 0, { N: 1, C: 1, H: 2, W: 2, FH: 2, FW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, OH: 1, OW: 1 }, out, at);
 * // out = [5], at = [1]
 */
export function maxPool2d(
  x: FloatArray,
  xOffset: number,
  g: WindowGeometry,
  out: FloatArray,
  argmax: Int32Array,
): void {
  if (g.FH === 2 && g.FW === 2 && g.padH === 0 && g.padW === 0) {
    maxPool2x2(x, xOffset, g, out, argmax);
    return;
  }
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const base = p * plane;
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * strideH - padH;
      const fhStart = top < 0 ? -top : 0;
      const fhEnd = top + FH > H ? H - top : FH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const left = ow * strideW - padW;
        const fwStart = left < 0 ? -left : 0;
        const fwEnd = left + FW > W ? W - left : FW;
        let at = base + (top + fhStart) * W + left + fwStart;
        let best = x[xOffset + at];
        scan: for (let fh = fhStart; fh < fhEnd; fh++) {
          const row = base + (top + fh) * W + left;
          for (let fw = fwStart; fw < fwEnd; fw++) {
            const i = row + fw;
            const v = x[xOffset + i];
            if (v !== v) {
              at = i;
              best = v;
              break scan;
            }
            const t = +(v > best);
            at += t * (i - at);
            best = x[xOffset + at];
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/** maxPool2d for 2×2 windows without padding (any stride), unrolled; see maxPool2d. */
function maxPool2x2(x: FloatArray, xOffset: number, g: WindowGeometry, out: FloatArray, argmax: Int32Array): void {
  const { N, C, H, W, strideH, strideW, OH, OW } = g;
  const plane = H * W;
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      const top = p * plane + oh * strideH * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const i0 = top + ow * strideW;
        const i1 = i0 + 1;
        const i2 = i0 + W;
        const i3 = i2 + 1;
        const a0 = x[xOffset + i0];
        const a1 = x[xOffset + i1];
        const a2 = x[xOffset + i2];
        const a3 = x[xOffset + i3];
        // A NaN (or an ∞ − ∞) makes the sum NaN: rare, so this branch is predicted right.
        const sum = a0 + a1 + a2 + a3;
        if (sum !== sum) {
          const firstNaN = a0 !== a0 ? i0 : a1 !== a1 ? i1 : a2 !== a2 ? i2 : a3 !== a3 ? i3 : -1;
          if (firstNaN >= 0) {
            out[o] = NaN;
            argmax[o] = firstNaN;
            continue;
          }
        }
        let at = i0;
        let best = a0;
        let t = +(a1 > best);
        at += t * (i1 - at);
        best = x[xOffset + at];
        t = +(a2 > best);
        at += t * (i2 - at);
        best = x[xOffset + at];
        t = +(a3 > best);
        at += t * (i3 - at);
        out[o] = x[xOffset + at];
        argmax[o] = at;
      }
    }
  }
}

/**
 * The gradient of max pooling: adds gy[i] (contiguous from gyOffset, `count` values) to
 * gx[argmax[i]]. Adds into gx: zero it first. `_planes` is the number of (n, c) channel planes
 * that gx holds contiguously from 0 and gy's values are spread evenly over (unused here; the wasm
 * kernel works a few planes at a time).
 *
 * @example
 * const gx = new Float64Array(4);
 * maxPool2dBackward(Float64Array.from([3]), 0, Int32Array.from([1]), 1, gx, 1); // gx = [0, 3, 0, 0]
 */
export function maxPool2dBackward(
  gy: FloatArray,
  gyOffset: number,
  argmax: Int32Array,
  count: number,
  gx: FloatArray,
  _planes: number,
): void {
  for (let i = 0; i < count; i++) gx[argmax[i]] += gy[gyOffset + i];
}

/**
 * Average pooling, channel by channel: out[n, c, oh, ow] (contiguous from 0) = the sum of window
 * (oh, ow) divided by FH·FW. Padding counts as zeros in the average (the seeds' im2col-based
 * pooling; PyTorch's count_include_pad).
 *
 * @example
 * const out = new Float64Array(1);
 * avgPool2d(Float64Array.from([1, 5, 2, 0]), 0, { N: 1, C: 1, H: 2, W: 2, FH: 2, FW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, OH: 1, OW: 1 }, out);
 * // out = [2]
 */
export function avgPool2d(x: FloatArray, xOffset: number, g: WindowGeometry, out: FloatArray): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  const scale = 1 / (FH * FW);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const base = xOffset + p * plane;
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * strideH - padH;
      const fhStart = top < 0 ? -top : 0;
      const fhEnd = top + FH > H ? H - top : FH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const left = ow * strideW - padW;
        const fwStart = left < 0 ? -left : 0;
        const fwEnd = left + FW > W ? W - left : FW;
        let sum = 0;
        for (let fh = fhStart; fh < fhEnd; fh++) {
          const row = base + (top + fh) * W + left;
          for (let fw = fwStart; fw < fwEnd; fw++) sum += x[row + fw];
        }
        out[o] = sum * scale;
      }
    }
  }
}

/**
 * The adjoint of average pooling (its gradient): adds gy[n, c, oh, ow]/(FH·FW) (contiguous from
 * gyOffset) to every input position of window (oh, ow); padding positions are dropped. Adds into
 * gx: zero it first.
 *
 * @example
 * const gx = new Float64Array(4);
 * avgPool2dBackward(Float64Array.from([4]), 0, g, gx); // gx = [1, 1, 1, 1] for one 2×2 window
 */
export function avgPool2dBackward(gy: FloatArray, gyOffset: number, g: WindowGeometry, gx: FloatArray): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  const scale = 1 / (FH * FW);
  let o = gyOffset;
  for (let p = 0; p < N * C; p++) {
    const base = p * plane;
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * strideH - padH;
      const fhStart = top < 0 ? -top : 0;
      const fhEnd = top + FH > H ? H - top : FH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const left = ow * strideW - padW;
        const fwStart = left < 0 ? -left : 0;
        const fwEnd = left + FW > W ? W - left : FW;
        const share = gy[o] * scale;
        for (let fh = fhStart; fh < fhEnd; fh++) {
          const row = base + (top + fh) * W + left;
          for (let fw = fwStart; fw < fwEnd; fw++) gx[row + fw] += share;
        }
      }
    }
  }
}

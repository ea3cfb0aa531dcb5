/**
 * unfold, fold, 2×2 max pooling and the max-pool gradient on the WebAssembly kernels of assembly/windows.ts, a piece at
 * a time: an image (or its columns, or a few channel planes) is copied into the module's memory,
 * transformed there, and the result copied out, so the memory holds little and tensors stay
 * ordinary typed arrays. Float64 data, and pieces too large for the memory, take the JavaScript
 * kernels.
 */
import {
  fold as jsFold,
  maxPool2d as jsMaxPool2d,
  maxPool2dBackward as jsMaxPool2dBackward,
  unfold as jsUnfold,
  type WindowGeometry,
} from '../im2col.js';
import type { FloatArray } from '../matmul.js';
import { DATA_ADDRESS, reserve, wasmKernels, type WasmKernels, type WindowSizes } from './module.js';

/** One image's sizes as the wasm kernels take them, and the element counts of its image and columns. */
function imageLayout(g: WindowGeometry): { args: WindowSizes; imageSize: number; columnSize: number } {
  const { C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  return {
    args: [C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW],
    imageSize: C * H * W,
    columnSize: C * FH * FW * OH * OW,
  };
}

/** The kernels with room for `values` 4-byte values from DATA_ADDRESS, or null to fall back. */
function kernelsWithRoom(values: number): WasmKernels | null {
  const kernels = wasmKernels();
  return reserve(kernels, DATA_ADDRESS + values * 4) ? kernels : null;
}

/**
 * Same contract as the JavaScript `unfold` (kernels/im2col.ts): the N images of x become N
 * (C·FH·FW, OH·OW) column matrices in col.
 *
 * @example
 * wasmUnfold(x, 0, g, col, 0); // equals unfold(x, 0, g, col, 0) for Float32Array x and col
 */
export function wasmUnfold(
  x: FloatArray,
  xOffset: number,
  g: WindowGeometry,
  col: FloatArray,
  colOffset: number,
): void {
  const { args, imageSize, columnSize } = imageLayout(g);
  const kernels =
    x instanceof Float32Array && col instanceof Float32Array ? kernelsWithRoom(imageSize + columnSize) : null;
  if (kernels === null) {
    jsUnfold(x, xOffset, g, col, colOffset);
    return;
  }
  const columnsAddress = DATA_ADDRESS + imageSize * 4;
  const image = new Float32Array(kernels.memory.buffer, DATA_ADDRESS, imageSize);
  const columns = new Float32Array(kernels.memory.buffer, columnsAddress, columnSize);
  for (let n = 0; n < g.N; n++) {
    image.set(x.subarray(xOffset + n * imageSize, xOffset + (n + 1) * imageSize));
    kernels.exports.unfold(DATA_ADDRESS, ...args, columnsAddress);
    col.set(columns, colOffset + n * columnSize);
  }
}

/**
 * Same contract as the JavaScript `fold`: adds the N column matrices in col into the N images of x.
 *
 * @example
 * wasmFold(col, 0, g, x, 0); // equals fold(col, 0, g, x, 0) for Float32Array col and x
 */
export function wasmFold(col: FloatArray, colOffset: number, g: WindowGeometry, x: FloatArray, xOffset: number): void {
  const { args, imageSize, columnSize } = imageLayout(g);
  const kernels =
    x instanceof Float32Array && col instanceof Float32Array ? kernelsWithRoom(imageSize + columnSize) : null;
  if (kernels === null) {
    jsFold(col, colOffset, g, x, xOffset);
    return;
  }
  const columnsAddress = DATA_ADDRESS + imageSize * 4;
  const image = new Float32Array(kernels.memory.buffer, DATA_ADDRESS, imageSize);
  const columns = new Float32Array(kernels.memory.buffer, columnsAddress, columnSize);
  for (let n = 0; n < g.N; n++) {
    const at = xOffset + n * imageSize;
    image.set(x.subarray(at, at + imageSize));
    columns.set(col.subarray(colOffset + n * columnSize, colOffset + (n + 1) * columnSize));
    kernels.exports.fold(columnsAddress, ...args, DATA_ADDRESS);
    x.set(image, at);
  }
}

/** Channel planes per max-pool call: about 64 KiB of input, so input and outputs stay in cache. */
const POOL_CHUNK_ELEMENTS = 16384;

/**
 * Same contract as the JavaScript `maxPool2d`; 2×2 windows without padding on float32 data (the
 * usual CNN pooling) run in WebAssembly, everything else in JavaScript.
 *
 * @example
 * wasmMaxPool2d(x, 0, g, out, argmax); // equals maxPool2d(x, 0, g, out, argmax)
 */
export function wasmMaxPool2d(
  x: FloatArray,
  xOffset: number,
  g: WindowGeometry,
  out: FloatArray,
  argmax: Int32Array,
): void {
  const { N, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  const plane = H * W;
  const pooled = OH * OW;
  const planesPerCall = Math.max(1, Math.floor(POOL_CHUNK_ELEMENTS / plane));
  const twoByTwo = FH === 2 && FW === 2 && padH === 0 && padW === 0;
  const kernels =
    twoByTwo && x instanceof Float32Array && out instanceof Float32Array
      ? kernelsWithRoom(planesPerCall * (plane + 2 * pooled))
      : null;
  if (kernels === null) {
    jsMaxPool2d(x, xOffset, g, out, argmax);
    return;
  }
  const outAddress = DATA_ADDRESS + planesPerCall * plane * 4;
  const argmaxAddress = outAddress + planesPerCall * pooled * 4;
  const planes = new Float32Array(kernels.memory.buffer, DATA_ADDRESS, planesPerCall * plane);
  const maxima = new Float32Array(kernels.memory.buffer, outAddress, planesPerCall * pooled);
  const positions = new Int32Array(kernels.memory.buffer, argmaxAddress, planesPerCall * pooled);
  for (let p = 0; p < N * C; p += planesPerCall) {
    const count = Math.min(planesPerCall, N * C - p);
    planes.set(x.subarray(xOffset + p * plane, xOffset + (p + count) * plane));
    kernels.exports.maxPool2x2(
      DATA_ADDRESS,
      count,
      H,
      W,
      strideH,
      strideW,
      OH,
      OW,
      p * plane,
      outAddress,
      argmaxAddress,
    );
    out.set(maxima.subarray(0, count * pooled), p * pooled);
    argmax.set(positions.subarray(0, count * pooled), p * pooled);
  }
}

/**
 * Same contract as the JavaScript `maxPool2dBackward` (gx holds zeros), on float32 data: a few
 * planes at a time, each piece zeroed, scattered into and copied out in WebAssembly. Indices
 * that leave their plane (not made by max pooling) send the whole gradient to the JavaScript
 * kernel.
 *
 * @example
 * wasmMaxPool2dBackward(gy, 0, argmax, count, gx, N * C); // equals maxPool2dBackward(...)
 */
export function wasmMaxPool2dBackward(
  gy: FloatArray,
  gyOffset: number,
  argmax: Int32Array,
  count: number,
  gx: FloatArray,
  planes: number,
): void {
  const planeSize = planes > 0 ? gx.length / planes : 0;
  const pooled = planes > 0 ? count / planes : 0;
  const planesPerCall = Math.max(1, Math.floor(POOL_CHUNK_ELEMENTS / Math.max(1, planeSize)));
  const evenlySpread = Number.isInteger(planeSize) && Number.isInteger(pooled) && planes > 0;
  const kernels =
    evenlySpread && gy instanceof Float32Array && gx instanceof Float32Array
      ? kernelsWithRoom(planesPerCall * (planeSize + 2 * pooled))
      : null;
  if (kernels === null) {
    jsMaxPool2dBackward(gy, gyOffset, argmax, count, gx, planes);
    return;
  }
  const gyAddress = DATA_ADDRESS + planesPerCall * planeSize * 4;
  const argmaxAddress = gyAddress + planesPerCall * pooled * 4;
  const gradient = new Float32Array(kernels.memory.buffer, DATA_ADDRESS, planesPerCall * planeSize);
  const values = new Float32Array(kernels.memory.buffer, gyAddress, planesPerCall * pooled);
  const positions = new Int32Array(kernels.memory.buffer, argmaxAddress, planesPerCall * pooled);
  for (let p = 0; p < planes; p += planesPerCall) {
    const count = Math.min(planesPerCall, planes - p);
    values.set(gy.subarray(gyOffset + p * pooled, gyOffset + (p + count) * pooled));
    positions.set(argmax.subarray(p * pooled, (p + count) * pooled));
    if (
      kernels.exports.maxPoolScatter(
        gyAddress,
        argmaxAddress,
        count * pooled,
        p * planeSize,
        planeSize,
        count,
        DATA_ADDRESS,
      ) !== 0
    ) {
      gx.fill(0);
      jsMaxPool2dBackward(gy, gyOffset, argmax, planes * pooled, gx, planes);
      return;
    }
    gx.set(gradient.subarray(0, count * planeSize), p * planeSize);
  }
}

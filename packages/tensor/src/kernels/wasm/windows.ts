/**
 * unfold and fold on the WebAssembly kernels of assembly/windows.ts, one image at a time: the
 * image (or its columns) is copied into the module's memory, transformed there, and the result
 * copied out, so the memory holds one image's columns at most and tensors stay ordinary typed
 * arrays. Float64 data, and images too large for the memory, take the JavaScript kernels.
 */
import { fold as jsFold, unfold as jsUnfold, type WindowGeometry } from '../im2col.js';
import type { FloatArray } from '../matmul.js';
import { DATA_ADDRESS, reserve, wasmKernels, type WasmKernels, type WindowSizes } from './module.js';

/** One image's sizes as the wasm kernels take them, and the element counts of its image and columns. */
function imageLayout(g: WindowGeometry): { args: WindowSizes; imageSize: number; columnSize: number } {
  const { C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW } = g;
  return { args: [C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW], imageSize: C * H * W, columnSize: C * FH * FW * OH * OW };
}

/** The kernels with room for one image and its columns (image first), or null to fall back. */
function kernelsFor(imageSize: number, columnSize: number): WasmKernels | null {
  const kernels = wasmKernels();
  return reserve(kernels, DATA_ADDRESS + (imageSize + columnSize) * 4) ? kernels : null;
}

/**
 * Same contract as the JavaScript `unfold` (kernels/im2col.ts): the N images of x become N
 * (C·FH·FW, OH·OW) column matrices in col.
 *
 * @example
 * wasmUnfold(x, 0, g, col, 0); // equals unfold(x, 0, g, col, 0) for Float32Array x and col
 */
export function wasmUnfold(x: FloatArray, xOffset: number, g: WindowGeometry, col: FloatArray, colOffset: number): void {
  const { args, imageSize, columnSize } = imageLayout(g);
  const kernels = x instanceof Float32Array && col instanceof Float32Array ? kernelsFor(imageSize, columnSize) : null;
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
  const kernels = x instanceof Float32Array && col instanceof Float32Array ? kernelsFor(imageSize, columnSize) : null;
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

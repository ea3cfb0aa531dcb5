/**
 * The `map` kernel with a WebAssembly SIMD path for the elementwise ops training runs most
 * (assembly/elementwise.ts) on float32 data (sigmoid within 2 ulps of the JavaScript kernel, every
 * other op bit for bit): the output contiguous, each input laid out like it, a single broadcast
 * value, or a row repeated along the leading axes (a bias over a batch). Operands go through the module's memory in chunks that
 * stay in cache (copied in, computed in place, copied out). Every other call, and small ones
 * where the copies and the call would cost more than they save, takes the JavaScript kernel.
 */
import type { axpby as jsAxpby, map as jsMap, MapOp } from '../elementwise.js';
import type { StridedArray } from '../strided.js';
import { DATA_ADDRESS, reserve, wasmKernels } from './module.js';

/** Op codes shared with assembly/elementwise.ts. */
const UNARY_CODES: Partial<Record<MapOp, number>> = { neg: 0, abs: 1, sqrt: 2, relu: 3, step: 4, sigmoid: 5 };
const BINARY_CODES: Partial<Record<MapOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  reluBackward: 4,
  maximum: 5,
  minimum: 6,
};

/** Elements per chunk: 64 KiB per operand, so the two inputs and the output stay in L2. */
export const CHUNK = 16384;
/** Below this many elements the JavaScript loop is as fast as the copies (measured crossover). */
export const WASM_MIN_ELEMENTS = 4096;
/** Sigmoid's JavaScript loop costs 10 ns per element (Math.exp), so wasm pays off much sooner. */
const SIGMOID_MIN_ELEMENTS = 256;

/**
 * How often an operand repeats when `shape` is walked in row-major order: the length of its
 * trailing row-major axes when every axis before them is broadcast (stride 0), so element i of
 * the walk is data[offset + i mod period]. A contiguous operand has period `size`, one broadcast
 * value period 1, a bias row broadcast over a batch its row length; any other layout 0.
 */
function repeatPeriod(shape: readonly number[], strides: readonly number[]): number {
  let period = 1;
  let d = shape.length - 1;
  for (; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (strides[d] !== period) break;
    period *= shape[d];
  }
  for (; d >= 0; d--) if (shape[d] !== 1 && strides[d] !== 0) return 0;
  return period;
}

/**
 * Writes `length` elements of a `period`-periodic operand, starting at element `start` of the
 * walk, into `view`: one period copied, then doubled in place (a 50-value bias row fills a
 * 16,384-value chunk in ten copies, not 328).
 */
function fillPeriodic(view: Float32Array, length: number, x: StridedArray, period: number, start: number): void {
  const data = x.data as Float32Array;
  if (period === 1) {
    view.fill(data[x.offset], 0, length);
    return;
  }
  const phase = start % period;
  let filled = Math.min(length, period - phase);
  view.set(data.subarray(x.offset + phase, x.offset + phase + filled));
  const wrapped = Math.min(length - filled, phase);
  view.set(data.subarray(x.offset, x.offset + wrapped), filled);
  filled += wrapped;
  while (filled < length) {
    const count = Math.min(filled, length - filled);
    view.copyWithin(filled, 0, count);
    filled += count;
  }
}

/**
 * The wasm-accelerated map over `base` (the JavaScript kernel), same contract.
 *
 * @example
 * const map = createWasmMap(jsMap);
 * map('add', [100000], out, [x, y]); // float32, contiguous: computed in WebAssembly
 */
export function createWasmMap(base: typeof jsMap): typeof jsMap {
  return (op, shape, out, inputs) => {
    const code = inputs.length === 1 ? UNARY_CODES[op] : inputs.length === 2 ? BINARY_CODES[op] : undefined;
    const size = shape.reduce((a, b) => a * b, 1);
    const minimum = op === 'sigmoid' ? SIGMOID_MIN_ELEMENTS : WASM_MIN_ELEMENTS;
    const periods = inputs.map((x) => repeatPeriod(shape, x.strides));
    if (
      code === undefined ||
      size < minimum ||
      !suitable(size, shape, out, inputs, periods) ||
      !reserve(wasmKernels(), DATA_ADDRESS + inputs.length * CHUNK * 4)
    ) {
      base(op, shape, out, inputs);
      return;
    }
    runChunks(code, size, out, inputs, periods);
  };
}

/** Float32 throughout, the output contiguous, every input periodic (see repeatPeriod). */
function suitable(
  size: number,
  shape: readonly number[],
  out: StridedArray,
  inputs: readonly StridedArray[],
  periods: readonly number[],
): boolean {
  if (!(out.data instanceof Float32Array) || repeatPeriod(shape, out.strides) !== size) return false;
  return inputs.every((x, k) => x.data instanceof Float32Array && periods[k] > 0);
}

function runChunks(
  code: number,
  size: number,
  out: StridedArray,
  inputs: readonly StridedArray[],
  periods: readonly number[],
): void {
  const kernels = wasmKernels();
  const bytes = CHUNK * 4;
  const addresses = inputs.map((_, k) => DATA_ADDRESS + k * bytes);
  const views = addresses.map((address) => new Float32Array(kernels.memory.buffer, address, CHUNK));
  // A single value in the second operand is written once; the first operand's chunk is
  // overwritten by each result, and longer periods change phase from chunk to chunk.
  const fixed = periods.map((period, k) => period === 1 && k > 0);
  inputs.forEach((x, k) => {
    if (fixed[k]) fillPeriodic(views[k], Math.min(CHUNK, size), x, 1, 0);
  });
  const target = out.data as Float32Array;
  for (let start = 0; start < size; start += CHUNK) {
    const length = Math.min(CHUNK, size - start);
    inputs.forEach((x, k) => {
      // A contiguous input (period = size) is one plain copy of its chunk.
      if (!fixed[k]) fillPeriodic(views[k], length, x, periods[k], start);
    });
    // The result overwrites the first input's chunk.
    if (inputs.length === 1) kernels.exports.unaryF32(code, addresses[0], addresses[0], length);
    else kernels.exports.binaryF32(code, addresses[0], addresses[0], addresses[1], length);
    target.set(views[0].subarray(0, length), out.offset + start);
  }
}

/**
 * The wasm-accelerated axpby over `base` (the JavaScript kernel), same contract: float32 arrays
 * from WASM_MIN_ELEMENTS up go through the module in chunks (y and x in, y out), in float32
 * arithmetic (a·y and b·x each rounded, then their sum), so an element may differ from the
 * JavaScript kernel's once-rounded result in its last bit or two. A JavaScript loop over a
 * Float32Array costs 2 ns per element here (no SIMD, a conversion per load and store); this is
 * bound by the copies, about 3× faster on SimpleConvNet's 434k parameters.
 *
 * @example
 * const axpby = createWasmAxpby(jsAxpby);
 * axpby(w, g, 1, -0.01); // w ← w − 0.01·g
 */
export function createWasmAxpby(base: typeof jsAxpby): typeof jsAxpby {
  return (y, x, a, b) => {
    const size = y.length;
    if (
      !(y instanceof Float32Array) ||
      !(x instanceof Float32Array) ||
      x.length !== size ||
      size < WASM_MIN_ELEMENTS ||
      !reserve(wasmKernels(), DATA_ADDRESS + 2 * CHUNK * 4)
    ) {
      base(y, x, a, b);
      return;
    }
    const kernels = wasmKernels();
    const xAddress = DATA_ADDRESS + CHUNK * 4;
    const yView = new Float32Array(kernels.memory.buffer, DATA_ADDRESS, CHUNK);
    const xView = new Float32Array(kernels.memory.buffer, xAddress, CHUNK);
    for (let start = 0; start < size; start += CHUNK) {
      const length = Math.min(CHUNK, size - start);
      yView.set(y.subarray(start, start + length));
      xView.set(x.subarray(start, start + length));
      kernels.exports.axpbyF32(DATA_ADDRESS, xAddress, a, b, length);
      y.set(yView.subarray(0, length), start);
    }
  };
}

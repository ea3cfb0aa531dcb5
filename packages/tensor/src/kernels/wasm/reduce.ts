/**
 * The `reduce` kernel with a WebAssembly SIMD path for float32 sums (assembly/reduce.ts) over a
 * contiguous input, in the layouts a training step sums: everything into one value, each row
 * (softmax totals), each column (a bias gradient: dy summed over the batch), and rows repeating
 * over a period (a convolution's bias gradient: dy summed over images and positions). The sums
 * are the same bits as the JavaScript kernel's (same float64 totals, same order). Every other
 * reduction, and inputs under WASM_MIN_ELEMENTS, take the JavaScript kernel.
 */
import { coalesce, contiguousStrides } from '../../shape.js';
import type { reduce as jsReduce } from '../reduce.js';
import type { StridedArray } from '../strided.js';
import { CHUNK, WASM_MIN_ELEMENTS } from './elementwise.js';
import { DATA_ADDRESS, reserve, wasmKernels, type WasmKernels } from './module.js';

/**
 * How a contiguous input folds into the accumulator, after merging axes: rows of `length` values,
 * row r into acc[r mod period]; or columns, value (r, c) into acc[c].
 */
type SumPlan =
  { kind: 'rows'; rows: number; length: number; period: number } | { kind: 'columns'; rows: number; cols: number };

function planSum(shape: readonly number[], accumulator: StridedArray, input: StridedArray): SumPlan | null {
  if (!(input.data instanceof Float32Array) || !(accumulator.data instanceof Float64Array)) return null;
  const merged = coalesce(shape, [accumulator.strides, input.strides]);
  const [acc, strides] = merged.strides;
  const dims = merged.shape;
  if (dims.reduce((a, b) => a * b, 1) < WASM_MIN_ELEMENTS) return null;
  if (strides.some((stride, d) => stride !== contiguousStrides(dims)[d])) return null;
  const pattern = acc.map((stride) => (stride === 0 ? 'r' : stride === 1 ? 'k' : '?')).join('');
  if (pattern === 'r') return { kind: 'rows', rows: 1, length: dims[0], period: 1 };
  if (pattern === 'kr') return { kind: 'rows', rows: dims[0], length: dims[1], period: dims[0] };
  if (pattern === 'rkr') return { kind: 'rows', rows: dims[0] * dims[1], length: dims[2], period: dims[1] };
  if (pattern === 'rk') return { kind: 'columns', rows: dims[0], cols: dims[1] };
  return null;
}

/**
 * The wasm-accelerated reduce over `base` (the JavaScript kernel), same contract.
 *
 * @example
 * const reduce = createWasmReduce(jsReduce);
 * reduce('sum', [100, 50], { data: acc, offset: 0, strides: [0, 1] }, { data: x, offset: 0, strides: [50, 1] }); // column sums
 */
export function createWasmReduce(base: typeof jsReduce): typeof jsReduce {
  return (op, shape, accumulator, input) => {
    const plan = op === 'sum' ? planSum(shape, accumulator, input) : null;
    const slots = plan === null ? 0 : plan.kind === 'rows' ? plan.period : plan.cols;
    // The accumulator's slots (float64), the four running totals of a long row, then a chunk.
    const chunkAddress = DATA_ADDRESS + 8 * (slots + 4);
    if (plan === null || !reserve(wasmKernels(), chunkAddress + 4 * CHUNK)) {
      base(op, shape, accumulator, input);
      return;
    }
    const kernels = wasmKernels();
    const acc = new Float64Array(kernels.memory.buffer, DATA_ADDRESS, slots);
    acc.set(accumulator.data.subarray(accumulator.offset, accumulator.offset + slots));
    const x = input.data.subarray(input.offset) as Float32Array;
    if (plan.kind === 'columns') sumColumns(kernels, x, plan.rows, plan.cols, chunkAddress);
    else if (plan.length <= CHUNK) sumShortRows(kernels, x, plan.rows, plan.length, plan.period, chunkAddress);
    else sumLongRows(kernels, x, plan.rows, plan.length, plan.period, chunkAddress);
    (accumulator.data as Float64Array).set(acc, accumulator.offset);
  };
}

/** Copies `count` values of x from `start` into the chunk. */
function stage(kernels: WasmKernels, x: Float32Array, start: number, count: number, chunkAddress: number): void {
  new Float32Array(kernels.memory.buffer, chunkAddress, count).set(x.subarray(start, start + count));
}

/** Rows of at most a chunk: as many whole rows per chunk as fit. */
function sumShortRows(
  kernels: WasmKernels,
  x: Float32Array,
  rows: number,
  length: number,
  period: number,
  chunkAddress: number,
): void {
  const perChunk = Math.floor(CHUNK / length);
  for (let row = 0; row < rows; row += perChunk) {
    const count = Math.min(perChunk, rows - row);
    stage(kernels, x, row * length, count * length, chunkAddress);
    kernels.exports.sumRowsF32(chunkAddress, count, length, row, period, DATA_ADDRESS, chunkAddress - 32);
  }
}

/** Rows longer than a chunk: each in chunks (whole multiples of four), its totals kept between them. */
function sumLongRows(
  kernels: WasmKernels,
  x: Float32Array,
  rows: number,
  length: number,
  period: number,
  chunkAddress: number,
): void {
  const lanesAddress = chunkAddress - 32;
  const lanes = new Float64Array(kernels.memory.buffer, lanesAddress, 4);
  const acc = new Float64Array(kernels.memory.buffer, DATA_ADDRESS, period);
  for (let row = 0; row < rows; row++) {
    lanes.set([acc[row % period], 0, 0, 0]);
    for (let done = 0; done < length; done += CHUNK) {
      const count = Math.min(CHUNK, length - done);
      stage(kernels, x, row * length + done, count, chunkAddress);
      kernels.exports.foldIntoLanes(chunkAddress, count, lanesAddress);
    }
    acc[row % period] = kernels.exports.mergeLanes(lanesAddress);
  }
}

/** Column sums: whole rows per chunk, or pieces of a row longer than a chunk. */
function sumColumns(kernels: WasmKernels, x: Float32Array, rows: number, cols: number, chunkAddress: number): void {
  if (cols <= CHUNK) {
    const perChunk = Math.floor(CHUNK / cols);
    for (let row = 0; row < rows; row += perChunk) {
      const count = Math.min(perChunk, rows - row);
      stage(kernels, x, row * cols, count * cols, chunkAddress);
      kernels.exports.sumColumnsF32(chunkAddress, count, cols, DATA_ADDRESS);
    }
    return;
  }
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col += CHUNK) {
      const count = Math.min(CHUNK, cols - col);
      stage(kernels, x, row * cols + col, count, chunkAddress);
      kernels.exports.sumColumnsF32(chunkAddress, 1, count, DATA_ADDRESS + 8 * col);
    }
  }
}

/**
 * The convolution kernels of kernels/conv.ts on WebAssembly (assembly/conv.ts), split across the
 * worker pool by image. Per call: the filters are packed once, a piece of the batch is copied into
 * the module's memory, every thread claims a scratch slot and then images, and the results are
 * copied out. Float64 data stays on the JavaScript kernels, and so does a batch whose single
 * image would not fit in the memory.
 *
 * Memory, from DATA_ADDRESS: packed filters | images (or dx) | outputs (or dy) | bias | one
 * scratch slot per thread | the filter gradient's partial sums. A batch is taken in pieces of at most PIECE_BYTES of images and
 * outputs, so the memory stays bounded whatever the batch size.
 */
import {
  conv2dBackwardFilter as jsBackwardFilter,
  conv2dBackwardInput as jsBackwardInput,
  conv2dForward as jsForward,
  type ConvGeometry,
} from '../conv.js';
import { evenStep, roundUp, type FloatArray } from '../matmul.js';
import { DATA_ADDRESS, DESCRIPTOR_ADDRESS, reserve, wasmKernels, type WasmKernels } from './module.js';
import { alertWorkers, getThreads, runTask, type Task } from './pool.js';
import { paddedColumns } from './gemm.js';

/** The micro-tile of the module's float32 GEMM, which its packed operands are padded to. */
const tileRows = (): number => wasmKernels().exports.tileRows();
const tileCols = (): number => wasmKernels().exports.tileCols();
/** Deepest K slice of the per-image products (as the GEMM's). */
const DEPTH_BLOCK = 256;
/** Most bytes of images plus outputs copied in at once. */
const PIECE_BYTES = 32 << 20;
/** Below this many multiply-adds per call a second thread saves less than waking it costs. */
const THREADS_MIN_WORK = 128 * 128 * 128;

/** Where one call's operands live in the module's memory. */
interface Layout {
  packed: number;
  images: number;
  outputs: number;
  bias: number;
  scratch: number;
  scratchBytes: number;
  /** The filter gradient's partial sums, one per group of images (0 for the other tasks). */
  partials: number;
  end: number;
}

const align = (bytes: number) => roundUp(bytes, 64);

/**
 * Floats of scratch one thread needs for `task`. Packed slivers are padded to whole micro-tiles;
 * the C blocks, padded to one vector only (paddedColumns), fit in the same reservation.
 */
function scratchFloats(task: Task, g: ConvGeometry): number {
  const K = g.C * g.FH * g.FW;
  const P = g.OH * g.OW;
  const paddedP = roundUp(P, tileCols());
  if (task === 'convForward') return K * P + K * paddedP + roundUp(g.FN, tileRows()) * paddedP;
  if (task === 'convBackwardInput') return g.FN * paddedP + roundUp(K, tileRows()) * paddedP;
  return K * P + P * roundUp(g.FN, tileRows()) + P * roundUp(K, tileCols());
}

/** Floats of one partial sum of the filter gradient: the padded (FN × K) block. */
function partialFloats(g: ConvGeometry): number {
  return roundUp(g.FN, tileRows()) * paddedColumns(g.C * g.FH * g.FW, 4);
}

/** Groups of images the filter gradient sums separately (see assembly/conv.ts). */
function imageGroups(images: number): number {
  return Math.ceil(images / wasmKernels().exports.filterGroupImages());
}

function layout(task: Task, g: ConvGeometry, images: number, threads: number): Layout {
  const K = g.C * g.FH * g.FW;
  const packed = DATA_ADDRESS;
  const packedBytes = align(
    4 * roundUp(task === 'convForward' ? g.FN : K, tileRows()) * (task === 'convForward' ? K : g.FN),
  );
  const imagesAddress = packed + packedBytes;
  const outputs = imagesAddress + align(4 * images * g.C * g.H * g.W);
  const bias = outputs + align(4 * images * g.FN * g.OH * g.OW);
  const scratch = bias + align(4 * g.FN);
  const scratchBytes = align(4 * scratchFloats(task, g));
  const partials = scratch + threads * scratchBytes;
  const partialsBytes = task === 'convBackwardFilter' ? 4 * imageGroups(images) * partialFloats(g) : 0;
  return {
    packed,
    images: imagesAddress,
    outputs,
    bias,
    scratch,
    scratchBytes,
    partials,
    end: partials + partialsBytes,
  };
}

/** Images per piece: as many as fit in PIECE_BYTES (at least one). */
function pieceImages(g: ConvGeometry): number {
  const bytesPerImage = 4 * (g.C * g.H * g.W + g.FN * g.OH * g.OW);
  return Math.max(1, Math.min(g.N, Math.floor(PIECE_BYTES / bytesPerImage)));
}

/** The kernels with room for `task` on a piece of `images`, or null to fall back to JavaScript. */
function prepare(task: Task, g: ConvGeometry, images: number): { kernels: WasmKernels; at: Layout } | null {
  const kernels = wasmKernels();
  const at = layout(task, g, images, Math.max(1, getThreads()));
  return reserve(kernels, at.end) ? { kernels, at } : null;
}

/**
 * Packs the filters W_mat (FN × K) as the GEMM's A operand: as they are for the forward product
 * (W_mat · columns), transposed for the input gradient (W_matᵀ · dy). Staged in the images area.
 */
function packFilters(
  kernels: WasmKernels,
  at: Layout,
  weights: Float32Array,
  offset: number,
  g: ConvGeometry,
  transposed: boolean,
): void {
  const K = g.C * g.FH * g.FW;
  new Float32Array(kernels.memory.buffer, at.images, g.FN * K).set(weights.subarray(offset, offset + g.FN * K));
  // A is packed from its transpose: for W_mat that is (K × FN), element (t, f) at f·K + t.
  if (transposed) kernels.exports.packSlivers(at.images, K, 1, g.FN, K, tileRows(), at.packed);
  else kernels.exports.packSlivers(at.images, 1, K, K, g.FN, tileRows(), at.packed);
}

function writeDescriptor(
  kernels: WasmKernels,
  g: ConvGeometry,
  images: number,
  depth: number,
  at: Layout,
  hasBias: boolean,
): void {
  const slots = new Int32Array(kernels.memory.buffer, DESCRIPTOR_ADDRESS, kernels.exports.convDescriptorBytes() / 4);
  slots.set([
    0,
    0,
    images,
    g.C,
    g.H,
    g.W,
    g.FH,
    g.FW,
    g.strideH,
    g.strideW,
    g.padH,
    g.padW,
    g.OH,
    g.OW,
    g.FN,
    evenStep(depth, DEPTH_BLOCK, 1),
    at.images,
    at.outputs,
    at.packed,
    hasBias ? at.bias : 0,
    at.scratch,
    at.scratchBytes,
    at.partials,
  ]);
}

/** Which batch array goes to (or comes from) the images or the outputs area of the layout. */
interface Transfer {
  data: FloatArray;
  offset: number;
  area: 'images' | 'outputs';
}

/**
 * Runs `task` over the batch a piece at a time: copies each `inputs` array's piece into its area,
 * runs the task (on the pool when the piece is worth sharing), copies `output`'s area back into
 * it, and calls `afterPiece` with the piece's image count (for results that are not a copy).
 */
function runInPieces(
  task: Task,
  ready: { kernels: WasmKernels; at: Layout },
  g: ConvGeometry,
  depth: number,
  hasBias: boolean,
  inputs: Transfer[],
  output: Transfer | null,
  afterPiece: (images: number) => void = () => {},
): void {
  const { kernels, at } = ready;
  const piece = pieceImages(g);
  const perImage = { images: g.C * g.H * g.W, outputs: g.FN * g.OH * g.OW };
  const view = (area: Transfer['area'], images: number) =>
    new Float32Array(kernels.memory.buffer, at[area], images * perImage[area]);
  for (let first = 0; first < g.N; first += piece) {
    const images = Math.min(piece, g.N - first);
    const work = images * g.FN * g.C * g.FH * g.FW * g.OH * g.OW;
    const parallel = images > 1 && work >= THREADS_MIN_WORK;
    if (parallel) alertWorkers();
    for (const { data, offset, area } of inputs) {
      view(area, images).set(
        data.subarray(offset + first * perImage[area], offset + (first + images) * perImage[area]),
      );
    }
    runTask(task, parallel, () => writeDescriptor(kernels, g, images, depth, at, hasBias));
    if (output !== null) output.data.set(view(output.area, images), output.offset + first * perImage[output.area]);
    afterPiece(images);
  }
}

/** Same contract as kernels/conv.ts conv2dForward. @example wasmConv2dForward(x, 0, g, weights, 0, bias, 0, y) */
export function wasmConv2dForward(
  x: FloatArray,
  xOffset: number,
  g: ConvGeometry,
  weights: FloatArray,
  weightsOffset: number,
  bias: FloatArray | null,
  biasOffset: number,
  y: FloatArray,
): void {
  const float32 =
    x instanceof Float32Array &&
    weights instanceof Float32Array &&
    y instanceof Float32Array &&
    (bias === null || bias instanceof Float32Array);
  const ready = float32 ? prepare('convForward', g, pieceImages(g)) : null;
  if (ready === null) {
    jsForward(x, xOffset, g, weights, weightsOffset, bias, biasOffset, y);
    return;
  }
  packFilters(ready.kernels, ready.at, weights as Float32Array, weightsOffset, g, false);
  if (bias !== null)
    new Float32Array(ready.kernels.memory.buffer, ready.at.bias, g.FN).set(
      bias.subarray(biasOffset, biasOffset + g.FN),
    );
  runInPieces(
    'convForward',
    ready,
    g,
    g.C * g.FH * g.FW,
    bias !== null,
    [{ data: x, offset: xOffset, area: 'images' }],
    { data: y, offset: 0, area: 'outputs' },
  );
}

/** Same contract as kernels/conv.ts conv2dBackwardInput (dx holds zeros). @example wasmConv2dBackwardInput(dy, 0, g, weights, 0, dx) */
export function wasmConv2dBackwardInput(
  dy: FloatArray,
  dyOffset: number,
  g: ConvGeometry,
  weights: FloatArray,
  weightsOffset: number,
  dx: FloatArray,
): void {
  const float32 = dy instanceof Float32Array && weights instanceof Float32Array && dx instanceof Float32Array;
  const ready = float32 ? prepare('convBackwardInput', g, pieceImages(g)) : null;
  if (ready === null) {
    jsBackwardInput(dy, dyOffset, g, weights, weightsOffset, dx);
    return;
  }
  packFilters(ready.kernels, ready.at, weights as Float32Array, weightsOffset, g, true);
  runInPieces('convBackwardInput', ready, g, g.FN, false, [{ data: dy, offset: dyOffset, area: 'outputs' }], {
    data: dx,
    offset: 0,
    area: 'images',
  });
}

/** Same contract as kernels/conv.ts conv2dBackwardFilter (dW holds zeros). @example wasmConv2dBackwardFilter(dy, 0, g, x, 0, dW) */
export function wasmConv2dBackwardFilter(
  dy: FloatArray,
  dyOffset: number,
  g: ConvGeometry,
  x: FloatArray,
  xOffset: number,
  dW: FloatArray,
): void {
  const float32 = dy instanceof Float32Array && x instanceof Float32Array && dW instanceof Float32Array;
  const ready = float32 ? prepare('convBackwardFilter', g, pieceImages(g)) : null;
  if (ready === null) {
    jsBackwardFilter(dy, dyOffset, g, x, xOffset, dW);
    return;
  }
  const { kernels, at } = ready;
  const K = g.C * g.FH * g.FW;
  const paddedK = paddedColumns(K, 4);
  // The piece's groups left their partial sums one after another: added in group order, the
  // same order on any number of threads.
  const addPartialSums = (images: number) => {
    const partials = new Float32Array(kernels.memory.buffer, at.partials, imageGroups(images) * partialFloats(g));
    for (let base = 0; base < partials.length; base += partialFloats(g)) {
      for (let f = 0; f < g.FN; f++) {
        for (let t = 0; t < K; t++) dW[f * K + t] += partials[base + f * paddedK + t];
      }
    }
  };
  const inputs: Transfer[] = [
    { data: x, offset: xOffset, area: 'images' },
    { data: dy, offset: dyOffset, area: 'outputs' },
  ];
  runInPieces('convBackwardFilter', ready, g, g.OH * g.OW, false, inputs, null, addPartialSums);
}

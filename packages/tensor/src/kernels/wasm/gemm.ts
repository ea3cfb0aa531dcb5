/**
 * GEMM on the WebAssembly SIMD kernel: copy A and B (any strides, float32 or float64) into the
 * module's memory, pack them there, let `gemmTiles` (assembly/gemm.ts) compute a padded C on
 * one or more threads, and copy C out. Packing in wasm rather than in JS matters: for the MLP's
 * 100×784·784×50, packing in JS took 270 µs beside a 280 µs multiply; copy + wasm packing, 100.
 *
 * Float32 outputs are summed in float32 (f32x4), as every fast float32 GEMM does; float64 outputs
 * (gradcheck, float64 models) in float64 (f64x2), with operands converted to float64 as they are
 * staged. Small products stay on the JavaScript kernel. See docs/performance.md for the measured
 * crossovers.
 */
import { evenStep, gemm as jsGemm, roundUp, type MatrixOperand } from '../matmul.js';
import { DATA_ADDRESS, DESCRIPTOR_ADDRESS, reserve, wasmKernels, type WasmKernels } from './module.js';
import { alertWorkers, getThreads, runTask, type Task } from './pool.js';

/**
 * Below this many multiply-adds the JavaScript kernel is faster: packing, copying C and the
 * call overhead outweigh the faster inner loop. Measured: JS wins at 12³, wasm at 16³ (1.2×),
 * 32³ (2×) and on thin shapes such as 100×784·784×2 (1.8×).
 */
const WASM_MIN_PRODUCT = 16 * 16 * 16;
/**
 * Below this many multiply-adds a second thread saves less than waking it costs (tens of µs):
 * 128³ is about 0.1 ms of work on one thread.
 */
const THREADS_MIN_PRODUCT = 128 * 128 * 128;
/** Deepest K slice: a 256×8 float32 sliver of B (8 KiB) stays in L1. */
const DEPTH_BLOCK = 256;
/** Most rows of C per tile: their 96×256 float32 slice of A (96 KiB) stays in L2. */
const BLOCK_ROWS = 96;
/** Most columns of C per tile. */
const BLOCK_COLS = 512;
/**
 * From this many multiply-adds a shared product is cut into tiles of at most 48 rows × 256
 * columns (512³: 22 tiles instead of 6), so that a thread slowed by other load on its core (the
 * second vCPU here often runs at two thirds of the first's speed) holds up the others for at most
 * one small tile at the end. Smaller products keep the larger tiles: their tiles are already few
 * and short, and cutting them cost more in C loads and stores than it saved.
 */
const FINE_TILES_MIN_PRODUCT = 256 * 256 * 256;
const FINE_BLOCK_ROWS = 48;
const FINE_BLOCK_COLS = 256;
/** Bytes of one SIMD vector. */
const VECTOR_BYTES = 16;

/**
 * C's columns as the kernels pad them: to one vector, not a whole two-vector micro-tile, since a
 * last sliver with one vector of real columns is computed one vector wide (N = 50: 52 columns,
 * not 56). Packed B slivers stay two vectors wide.
 */
export function paddedColumns(columns: number, elementBytes: number): number {
  return roundUp(columns, VECTOR_BYTES / elementBytes);
}

/**
 * Descriptor slots, in the order assembly/gemm.ts reads them (NEXT_TILE, TILE_COUNT,
 * COL_BLOCKS, BLOCK_ROWS, BLOCK_COLS, PADDED_M, PADDED_N, DEPTH, DEPTH_BLOCK, A_PTR, B_PTR, C_PTR,
 * A_ROW_BYTES, A_DEPTH_BYTES, B_COLUMN_BYTES, B_DEPTH_BYTES).
 */
interface Descriptor {
  tileCount: number;
  colBlocks: number;
  blockRows: number;
  blockCols: number;
  paddedM: number;
  paddedN: number;
  depth: number;
  depthBlock: number;
  aAddress: number;
  bAddress: number;
  cAddress: number;
  aRowBytes: number;
  aDepthBytes: number;
  bColumnBytes: number;
  bDepthBytes: number;
}

function writeDescriptor(kernels: WasmKernels, d: Descriptor): void {
  const slots = new Int32Array(kernels.memory.buffer, DESCRIPTOR_ADDRESS, kernels.exports.descriptorBytes() / 4);
  slots.set([
    0,
    d.tileCount,
    d.colBlocks,
    d.blockRows,
    d.blockCols,
    d.paddedM,
    d.paddedN,
    d.depth,
    d.depthBlock,
    d.aAddress,
    d.bAddress,
    d.cAddress,
    d.aRowBytes,
    d.aDepthBytes,
    d.bColumnBytes,
    d.bDepthBytes,
  ]);
}

/**
 * The storage span a rows×cols operand reads: its lowest index and its length. Strides may be
 * negative (reversed views) or zero (broadcasts).
 */
function span(x: MatrixOperand, rows: number, cols: number): { low: number; length: number } {
  const rowReach = (rows - 1) * x.rowStride;
  const colReach = (cols - 1) * x.colStride;
  const low = x.offset + Math.min(0, rowReach) + Math.min(0, colReach);
  const high = x.offset + Math.max(0, rowReach) + Math.max(0, colReach);
  return { low, length: high - low + 1 };
}

/** The element type a product runs in: float32 (f32x4) or float64 (f64x2). */
interface Precision {
  bytes: 4 | 8;
  /** A typed-array view of the module's memory in this precision. */
  view(buffer: ArrayBufferLike, byteOffset: number, length?: number): Float32Array | Float64Array;
  tileCols(kernels: WasmKernels): number;
  packSlivers(kernels: WasmKernels): WasmKernels['exports']['packSlivers'];
  task: Task;
}

const FLOAT32: Precision = {
  bytes: 4,
  view: (buffer, at, length) => new Float32Array(buffer, at, length),
  tileCols: (k) => k.exports.tileCols(),
  packSlivers: (k) => k.exports.packSlivers,
  task: 'gemm',
};
const FLOAT64: Precision = {
  bytes: 8,
  view: (buffer, at, length) => new Float64Array(buffer, at, length),
  tileCols: (k) => k.exports.tileCols64(),
  packSlivers: (k) => k.exports.packSlivers64,
  task: 'gemm64',
};

/**
 * Copies the storage span of a rows×cols operand to `stage` in the product's precision with one
 * `set` (a memcpy when the types match); returns the address of its element (0, 0) there.
 */
function stageOperand(
  kernels: WasmKernels,
  precision: Precision,
  x: MatrixOperand,
  rows: number,
  cols: number,
  stage: number,
): number {
  const { low, length } = span(x, rows, cols);
  precision.view(kernels.memory.buffer, stage, length).set(x.data.subarray(low, low + length));
  return stage + (x.offset - low) * precision.bytes;
}

/**
 * Packs a depth×width operand into slivers of `sliverWidth` columns at `address` (see
 * assembly/gemm.ts packSlivers), from its copy at `stage`. A is packed as its transpose, whose
 * columns are A's rows.
 */
function pack(
  kernels: WasmKernels,
  precision: Precision,
  x: MatrixOperand,
  depth: number,
  width: number,
  sliverWidth: number,
  address: number,
  stage: number,
): void {
  const first = stageOperand(kernels, precision, x, depth, width, stage);
  precision.packSlivers(kernels)(first, x.rowStride, x.colStride, depth, width, sliverWidth, address);
}

/**
 * Whether a depth×width operand (B, or A seen as its transpose) can be read from its copy instead
 * of packed: when the values of one k are adjacent in memory (a row-major B such as the weight in
 * x·W; xᵀ of a row-major x as A in a weight gradient xᵀ·dy), it is already laid out as the
 * kernel reads it (see computeBlockOf), and the padding read past its last row or column only
 * reaches C's padding; and when the cache allows it (assembly/gemm.ts readsInPlace, which the
 * convolutions ask too).
 */
function readsInPlace(kernels: WasmKernels, x: MatrixOperand, copyBytes: number, elementBytes: number): boolean {
  return (
    x.colStride === 1 &&
    x.rowStride > 0 &&
    kernels.exports.readsInPlace((x.rowStride * elementBytes) | 0, Math.min(copyBytes, 2 ** 31 - 1)) !== 0
  );
}

/**
 * Puts a depth×width operand (B, or A seen as its transpose) where the kernel reads it: its copy
 * at `stage` when it reads in place, else packed into slivers at `packed`. Returns its address and
 * the byte steps from one of its columns (one of A's rows) to the next and from one k to the next
 * (see computeBlockOf).
 */
function place(
  kernels: WasmKernels,
  precision: Precision,
  x: MatrixOperand,
  depth: number,
  width: number,
  sliverWidth: number,
  inPlace: boolean,
  packed: number,
  stage: number,
): { address: number; widthBytes: number; depthBytes: number } {
  const bytes = precision.bytes;
  if (inPlace)
    return {
      address: stageOperand(kernels, precision, x, depth, width, stage),
      widthBytes: bytes,
      depthBytes: x.rowStride * bytes,
    };
  pack(kernels, precision, x, depth, width, sliverWidth, packed, stage);
  return { address: packed, widthBytes: depth * bytes, depthBytes: sliverWidth * bytes };
}

/** How C is cut into tiles that threads claim, and K into slices (see assembly/gemm.ts gemmTiles). */
function planTiles(
  paddedM: number,
  paddedN: number,
  K: number,
  tileRows: number,
  tileCols: number,
  parallel: boolean,
  work: number,
) {
  const fine = parallel && work >= FINE_TILES_MIN_PRODUCT;
  const blockCols = evenStep(paddedN, fine ? FINE_BLOCK_COLS : BLOCK_COLS, tileCols);
  const colBlocks = Math.ceil(paddedN / blockCols);
  // Whole rounds of tiles for the threads: 784 rows in 9 blocks would leave one of two threads
  // five blocks to the other's four; 10 blocks of 80 split evenly.
  const rounds = parallel && colBlocks === 1 ? getThreads() : 1;
  const rowBlocks = roundUp(Math.ceil(paddedM / (fine ? FINE_BLOCK_ROWS : BLOCK_ROWS)), rounds);
  const blockRows = roundUp(Math.ceil(paddedM / rowBlocks), tileRows);
  const tileCount = Math.ceil(paddedM / blockRows) * colBlocks;
  // Equal K slices (784 = 4 × 196, not 3 × 256 + 16): a thin last slice would pay a full
  // load and store of C for little work.
  const depthBlock = evenStep(K, DEPTH_BLOCK, 1);
  return { tileCount, colBlocks, blockRows, blockCols, depthBlock };
}

/** A (M×K) seen as its K×M transpose, for pack. */
function transposed(a: MatrixOperand): MatrixOperand {
  return { data: a.data, offset: a.offset, rowStride: a.colStride, colStride: a.rowStride };
}

/**
 * C = a·bᵀ for a column a (M×1) and a row b (1×N) of float32: nothing to accumulate, so no
 * packing or tiling (which cost ~8× this), just one product per element in SIMD. vmap's
 * per-example weight gradients are these. False when the module's memory cannot grow.
 */
function wasmOuter(
  M: number,
  N: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: Float32Array,
  cOffset: number,
): boolean {
  const kernels = wasmKernels();
  // Room for the 3 lanes the kernel may read past b's end and write past C's.
  const bAddress = DATA_ADDRESS + roundUp(M, 4) * 4;
  const cAddress = bAddress + roundUp(N + 3, 4) * 4;
  if (!reserve(kernels, cAddress + (M * N + 3) * 4)) return false;
  const buffer = kernels.memory.buffer;
  gatherFloat32(new Float32Array(buffer, DATA_ADDRESS, M), a.data, a.offset, a.rowStride);
  gatherFloat32(new Float32Array(buffer, bAddress, N), b.data, b.offset, b.colStride);
  kernels.exports.outerF32(DATA_ADDRESS, bAddress, cAddress, M, N);
  c.set(new Float32Array(buffer, cAddress, M * N), cOffset);
  return true;
}

/** view[i] = data[offset + i·stride]: one copy when the values are contiguous. */
function gatherFloat32(view: Float32Array, data: MatrixOperand['data'], offset: number, stride: number): void {
  if (stride === 1 && data instanceof Float32Array) view.set(data.subarray(offset, offset + view.length));
  else for (let i = 0; i < view.length; i++) view[i] = data[offset + i * stride];
}

/**
 * Same contract as the JavaScript `gemm` (C = A·B, strided operands, contiguous C at cOffset),
 * computed in WebAssembly SIMD when the product is large enough.
 *
 * @example
 * const a = { data: new Float32Array(64 * 64).fill(1), offset: 0, rowStride: 64, colStride: 1 };
 * const c = new Float32Array(64 * 64);
 * wasmGemm(64, 64, 64, a, a, c, 0); // every c[i] === 64
 */
export const wasmGemm: typeof jsGemm = (M, N, K, a, b, c, cOffset) => {
  const work = M * N * K;
  const spanA = work > 0 ? span(a, M, K).length : 0;
  const spanB = work > 0 ? span(b, K, N).length : 0;
  // Views with wide gaps (a strided slice of a large tensor) would copy far more than they
  // hold; they are rare in training, and the JavaScript kernel reads them in place.
  const sparse = spanA > 2 * M * K + 64 || spanB > 2 * K * N + 64;
  if (K === 1 && c instanceof Float32Array && work >= WASM_MIN_PRODUCT && wasmOuter(M, N, a, b, c, cOffset)) return;
  if (work < WASM_MIN_PRODUCT || sparse || K === 1) {
    jsGemm(M, N, K, a, b, c, cOffset);
    return;
  }
  const precision = c instanceof Float32Array ? FLOAT32 : FLOAT64;
  const kernels = wasmKernels();
  const tileRows = kernels.exports.tileRows();
  const tileCols = precision.tileCols(kernels);
  const paddedM = roundUp(M, tileRows);
  const bytes = precision.bytes;
  const paddedN = paddedColumns(N, bytes);
  const aInPlace = readsInPlace(kernels, transposed(a), spanA * bytes, bytes);
  const bInPlace = readsInPlace(kernels, b, spanB * bytes, bytes);
  const packedA = DATA_ADDRESS;
  const packedB = packedA + (aInPlace ? 0 : paddedM * K * bytes);
  const cAddress = packedB + (bInPlace ? 0 : roundUp(N, tileCols) * K * bytes);
  // Operands read in place keep their copies side by side (with room for the padding read past
  // their ends); packed ones are copied to `stage` one after the other and packed from there.
  const stageA = cAddress + paddedM * paddedN * bytes;
  const stageB = aInPlace ? stageA + roundUp((spanA + tileCols) * bytes, 64) : stageA;
  if (!reserve(kernels, Math.max(stageA + spanA * bytes, stageB + (spanB + tileCols) * bytes))) {
    jsGemm(M, N, K, a, b, c, cOffset);
    return;
  }
  const parallel = work >= THREADS_MIN_PRODUCT;
  if (parallel) alertWorkers();
  const placedA = place(kernels, precision, transposed(a), K, M, tileRows, aInPlace, packedA, stageA);
  const placedB = place(kernels, precision, b, K, N, tileCols, bInPlace, packedB, stageB);
  const tiles = planTiles(paddedM, paddedN, K, tileRows, tileCols, parallel, work);
  const descriptor: Descriptor = {
    ...tiles,
    paddedM,
    paddedN,
    depth: K,
    cAddress,
    aAddress: placedA.address,
    aRowBytes: placedA.widthBytes,
    aDepthBytes: placedA.depthBytes,
    bAddress: placedB.address,
    bColumnBytes: placedB.widthBytes,
    bDepthBytes: placedB.depthBytes,
  };
  runTask(precision.task, parallel && tiles.tileCount > 1, () => writeDescriptor(kernels, descriptor));

  if (paddedN !== N) kernels.exports.compactRows(cAddress, M, N, paddedN, bytes);
  c.set(precision.view(kernels.memory.buffer, cAddress, M * N), cOffset);
};

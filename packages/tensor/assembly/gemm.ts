/**
 * GEMM micro-kernels in WebAssembly SIMD (compiled by AssemblyScript, see build.mjs), written once
 * for element type T and built for float32 (f32x4) and float64 (f64x2).
 *
 * The JavaScript side (src/kernels/wasm/gemm.ts) packs A and B into this module's memory and
 * describes the product in a small descriptor; `gemmTiles` then computes tiles of C until none
 * are left. Every thread (the main one and each pool worker) calls `gemmTiles` on the same
 * shared memory and claims tiles with an atomic counter, so one code path serves 1 or n threads.
 *
 * Packed layouts (all float32, zero-padded so that every micro-tile is full):
 * - A: slivers of TILE_ROWS rows; sliver s starts at aPtr + s·K·TILE_ROWS, and element (r, k)
 *   of it sits at k·TILE_ROWS + r, so the kernel reads TILE_ROWS values of column k in a row.
 * - B: slivers of TILE_COLS columns; sliver t starts at bPtr + t·K·TILE_COLS, element (k, q) at
 *   k·TILE_COLS + q, so one row of the sliver is two f32x4 vectors.
 * - C: row-major, rows padded to TILE_ROWS and columns to one vector, leading dimension
 *   `paddedN`; a last sliver of C one vector wide is computed by narrowMicroKernel.
 * A run of kc consecutive k of a sliver is contiguous, so blocking over K needs no repacking.
 * `packSlivers` builds both packed layouts from a strided float32 copy of the operand.
 */

/** Rows of C per micro-tile. Four rows × two vectors = 8 accumulators, plus two B vectors, one
 * broadcast A value and a product temporary: 12 of the 16 SIMD registers V8 has on x64 (a 6×8
 * tile needs all 16 and spills, measured slower). */
export const TILE_ROWS: i32 = 4;
/** Columns of float32 C per micro-tile: two f32x4 vectors. */
export const TILE_COLS: i32 = 8;

/** Float32 columns of one vector: C's columns are padded to a multiple of this (see narrowMicroKernel). */
export const VECTOR_FLOATS: i32 = 4;

/** Largest operand read in place rather than packed (see readsInPlace): it stays in L2. */
const IN_PLACE_MAX_BYTES: i32 = 512 * 1024;

/**
 * Whether an operand whose k-th values start `depthBytes` apart (B's rows, or A's columns when its
 * rows are adjacent), `bytes` in all, is read where it is instead of packed: when it stays in L2
 * and the step is not a multiple of 1 KiB, which would put successive k in a few cache sets that
 * evict each other (measured: an in-place 1024×1024 Aᵀ ran at half the packed speed, 784×100 at
 * 1.3× it). The GEMM (src/kernels/wasm/gemm.ts) and the convolutions ask the same question here.
 */
export function readsInPlace(depthBytes: i32, bytes: i32): bool {
  return (depthBytes & 1023) != 0 && bytes <= IN_PLACE_MAX_BYTES;
}

/** Columns of C per micro-tile for element type T: two vectors (8 float32, 4 float64). */
@inline
function tileColsOf<T>(): i32 {
  return 32 / sizeof<T>();
}

// Descriptor fields (i32 slots) written by the JavaScript side before every product.
const NEXT_TILE = 0; // atomic counter of claimed tiles
const TILE_COUNT = 1;
const COL_BLOCKS = 2; // tiles per row of the tile grid
const BLOCK_ROWS = 3; // rows of C per tile (a multiple of TILE_ROWS)
const BLOCK_COLS = 4; // columns of C per tile (a multiple of TILE_COLS)
const PADDED_M = 5;
const PADDED_N = 6;
const DEPTH = 7; // K
const DEPTH_BLOCK = 8; // kc: the K slice whose A block stays in L2 and B sliver in L1
const A_PTR = 9;
const B_PTR = 10;
const C_PTR = 11;
const A_ROW_BYTES = 12; // bytes from row i of A to row i + 1 (see computeBlockOf)
const A_DEPTH_BYTES = 13; // bytes from A's value at k to the same row's at k + 1
const B_COLUMN_BYTES = 14; // bytes from column j of B to column j + 1
const B_DEPTH_BYTES = 15; // bytes from B's value at k to the same column's at k + 1

export function tileRows(): i32 {
  return TILE_ROWS;
}

export function tileCols(): i32 {
  return TILE_COLS;
}

export function tileCols64(): i32 {
  return tileColsOf<f64>();
}

/** Bytes the descriptor needs. */
export function descriptorBytes(): i32 {
  return 16 * 4;
}

@inline
function field(desc: usize, slot: i32): i32 {
  return load<i32>(desc + (<usize>slot << 2));
}

/** acc + a·b, fused into one rounding where the engine offers relaxed SIMD (this build's flag). */
@inline
function multiplyAdd<T>(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, acc);
  return v128.add<T>(acc, v128.mul<T>(a, b));
}

/**
 * C[4 × 2 vectors tile] (+)= A sliver[kc] · B sliver[kc]. `first` starts the sums at zero instead
 * of loading C, which saves zeroing C before the first K slice.
 */
@inline
function microKernel<T>(kc: i32, a: usize, aStep: usize, b: usize, bStep: usize, c: usize, ldcBytes: usize, first: bool): void {
  const c1 = c + ldcBytes;
  const c2 = c1 + ldcBytes;
  const c3 = c2 + ldcBytes;
  let s00 = v128.splat<T>(0), s01 = v128.splat<T>(0);
  let s10 = v128.splat<T>(0), s11 = v128.splat<T>(0);
  let s20 = v128.splat<T>(0), s21 = v128.splat<T>(0);
  let s30 = v128.splat<T>(0), s31 = v128.splat<T>(0);
  if (!first) {
    s00 = v128.load(c); s01 = v128.load(c, 16);
    s10 = v128.load(c1); s11 = v128.load(c1, 16);
    s20 = v128.load(c2); s21 = v128.load(c2, 16);
    s30 = v128.load(c3); s31 = v128.load(c3, 16);
  }
  // One step of k per pass: unrolling by two makes V8 hoist the loads of both steps and spill
  // accumulators to the stack (seen with --print-wasm-code), which costs far more than the
  // loop's bookkeeping saved.
  const aEnd = a + <usize>kc * aStep;
  while (a < aEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load_splat<T>(a);
    s00 = multiplyAdd<T>(s00, x, b0); s01 = multiplyAdd<T>(s01, x, b1);
    x = v128.load_splat<T>(a, sizeof<T>());
    s10 = multiplyAdd<T>(s10, x, b0); s11 = multiplyAdd<T>(s11, x, b1);
    x = v128.load_splat<T>(a, 2 * sizeof<T>());
    s20 = multiplyAdd<T>(s20, x, b0); s21 = multiplyAdd<T>(s21, x, b1);
    x = v128.load_splat<T>(a, 3 * sizeof<T>());
    s30 = multiplyAdd<T>(s30, x, b0); s31 = multiplyAdd<T>(s31, x, b1);
    a += aStep;
    b += bStep;
  }
  v128.store(c, s00); v128.store(c, s01, 16);
  v128.store(c1, s10); v128.store(c1, s11, 16);
  v128.store(c2, s20); v128.store(c2, s21, 16);
  v128.store(c3, s30); v128.store(c3, s31, 16);
}

/**
 * microKernel for the last sliver of C when only one vector of its columns is real (N mod 8 is
 * 1 to 4 for float32): C is padded to a whole vector instead of two, which for N = 50 computes 52
 * columns instead of 56. It reads the first vector of each packed B row (the sliver stays two
 * vectors wide) and keeps four accumulators.
 */
@inline
function narrowMicroKernel<T>(kc: i32, a: usize, aStep: usize, b: usize, bStep: usize, c: usize, ldcBytes: usize, first: bool): void {
  const c1 = c + ldcBytes;
  const c2 = c1 + ldcBytes;
  const c3 = c2 + ldcBytes;
  let s0 = v128.splat<T>(0), s1 = v128.splat<T>(0), s2 = v128.splat<T>(0), s3 = v128.splat<T>(0);
  if (!first) {
    s0 = v128.load(c); s1 = v128.load(c1); s2 = v128.load(c2); s3 = v128.load(c3);
  }
  const aEnd = a + <usize>kc * aStep;
  while (a < aEnd) {
    const b0 = v128.load(b);
    s0 = multiplyAdd<T>(s0, v128.load_splat<T>(a), b0);
    s1 = multiplyAdd<T>(s1, v128.load_splat<T>(a, sizeof<T>()), b0);
    s2 = multiplyAdd<T>(s2, v128.load_splat<T>(a, 2 * sizeof<T>()), b0);
    s3 = multiplyAdd<T>(s3, v128.load_splat<T>(a, 3 * sizeof<T>()), b0);
    a += aStep;
    b += bStep;
  }
  v128.store(c, s0); v128.store(c1, s1); v128.store(c2, s2); v128.store(c3, s3);
}

/**
 * Rows [row0, row0+rows) × columns [col0, col0+cols) of C = A·B for A and packed B of depth K at
 * aPtr and bPtr, C padded with leading dimension paddedN at cPtr, summed over K in slices of kcMax.
 * Within a slice the B sliver (kc × 32 bytes, ≤ 8 KiB) stays in L1 while every A sliver of the
 * block's rows streams past it from L2. `accumulate` adds to what C holds instead of overwriting it.
 *
 * The micro-kernels read four rows of A at one k as four consecutive values, then step `aDepth`
 * bytes to the next k; row i's values start at aPtr + i·aRow. Packed A (see packSlivers) has
 * aRow = K·size and aDepth = TILE_ROWS·size; A whose rows are adjacent in memory (a transposed
 * row-major matrix, such as xᵀ in a weight gradient xᵀ·dy) is read where it is, with aRow = size
 * and aDepth = its column stride. Likewise B: two vectors of columns at one k, then `bDepth`
 * bytes to the next k, column j from bPtr + j·bCol; packed, bCol = K·size and bDepth = 32; a
 * row-major B (a weight in x·W) read where it is has bCol = size and bDepth = its row stride.
 */
@inline
function computeBlockOf<T>(
  K: i32, kcMax: i32, aPtr: usize, aRow: usize, aDepth: usize, bPtr: usize, bCol: usize, bDepth: usize, cPtr: usize, paddedN: i32,
  row0: i32, rows: i32, col0: i32, cols: i32, accumulate: bool,
): void {
  const size = <usize>sizeof<T>();
  const tileCols = tileColsOf<T>();
  const ldcBytes = <usize>paddedN * size;
  for (let pc = 0; pc < K; pc += kcMax) {
    const kc = min(kcMax, K - pc);
    const first = pc == 0 && !accumulate;
    for (let j = col0; j < col0 + cols; j += tileCols) {
      const b = bPtr + <usize>j * bCol + <usize>pc * bDepth;
      const narrow = col0 + cols - j < tileCols;
      for (let i = row0; i < row0 + rows; i += TILE_ROWS) {
        const a = aPtr + <usize>i * aRow + <usize>pc * aDepth;
        const c = cPtr + (<usize>i * paddedN + j) * size;
        if (narrow) narrowMicroKernel<T>(kc, a, aDepth, b, bDepth, c, ldcBytes, first);
        else microKernel<T>(kc, a, aDepth, b, bDepth, c, ldcBytes, first);
      }
    }
  }
}

/** computeBlockOf for float32 with packed A (the convolution kernels use it). */
export function computeBlock(
  K: i32, kcMax: i32, aPtr: usize, bPtr: usize, cPtr: usize, paddedN: i32,
  row0: i32, rows: i32, col0: i32, cols: i32, accumulate: bool,
): void {
  computeBlockOf<f32>(K, kcMax, aPtr, <usize>K << 2, TILE_ROWS << 2, bPtr, <usize>K << 2, TILE_COLS << 2, cPtr, paddedN, row0, rows, col0, cols, accumulate);
}

/**
 * computeBlockOf for float32 with packed A and B read where it is: a row-major K × N matrix whose
 * rows start `bRowBytes` apart (the convolutions' columns and dy_n, which then need no packing).
 */
export function computeBlockRowMajorB(
  K: i32, kcMax: i32, aPtr: usize, bPtr: usize, bRowBytes: usize, cPtr: usize, paddedN: i32,
  row0: i32, rows: i32, col0: i32, cols: i32,
): void {
  computeBlockOf<f32>(K, kcMax, aPtr, <usize>K << 2, TILE_ROWS << 2, bPtr, 4, bRowBytes, cPtr, paddedN, row0, rows, col0, cols, false);
}

function computeBlock32(
  K: i32, kcMax: i32, aPtr: usize, aRow: usize, aDepth: usize, bPtr: usize, bCol: usize, bDepth: usize, cPtr: usize, paddedN: i32,
  row0: i32, rows: i32, col0: i32, cols: i32,
): void {
  computeBlockOf<f32>(K, kcMax, aPtr, aRow, aDepth, bPtr, bCol, bDepth, cPtr, paddedN, row0, rows, col0, cols, false);
}

function computeBlock64(
  K: i32, kcMax: i32, aPtr: usize, aRow: usize, aDepth: usize, bPtr: usize, bCol: usize, bDepth: usize, cPtr: usize, paddedN: i32,
  row0: i32, rows: i32, col0: i32, cols: i32,
): void {
  computeBlockOf<f64>(K, kcMax, aPtr, aRow, aDepth, bPtr, bCol, bDepth, cPtr, paddedN, row0, rows, col0, cols, false);
}

/** One tile of the product described at `desc`. */
@inline
function computeTile<T>(desc: usize, row0: i32, rows: i32, col0: i32, cols: i32): void {
  const K = field(desc, DEPTH);
  const kc = field(desc, DEPTH_BLOCK);
  const a = <usize>field(desc, A_PTR);
  const aRow = <usize>field(desc, A_ROW_BYTES);
  const aDepth = <usize>field(desc, A_DEPTH_BYTES);
  const b = <usize>field(desc, B_PTR);
  const bCol = <usize>field(desc, B_COLUMN_BYTES);
  const bDepth = <usize>field(desc, B_DEPTH_BYTES);
  const c = <usize>field(desc, C_PTR);
  const paddedN = field(desc, PADDED_N);
  if (sizeof<T>() == 8) computeBlock64(K, kc, a, aRow, aDepth, b, bCol, bDepth, c, paddedN, row0, rows, col0, cols);
  else computeBlock32(K, kc, a, aRow, aDepth, b, bCol, bDepth, c, paddedN, row0, rows, col0, cols);
}

/**
 * Computes tiles of the product described at `desc` until every tile is claimed. Safe to call
 * from several threads at once on shared memory: each tile is claimed by exactly one of them.
 * K must be at least 1 (the caller handles K = 0).
 */
@inline
function gemmTilesOf<T>(desc: usize): void {
  const tileCount = field(desc, TILE_COUNT);
  const colBlocks = field(desc, COL_BLOCKS);
  const blockRows = field(desc, BLOCK_ROWS);
  const blockCols = field(desc, BLOCK_COLS);
  const paddedM = field(desc, PADDED_M);
  const paddedN = field(desc, PADDED_N);
  while (true) {
    const tile = atomic.add<i32>(desc + (<usize>NEXT_TILE << 2), 1);
    if (tile >= tileCount) return;
    const row0 = (tile / colBlocks) * blockRows;
    const col0 = (tile % colBlocks) * blockCols;
    computeTile<T>(desc, row0, min(blockRows, paddedM - row0), col0, min(blockCols, paddedN - col0));
  }
}

/** gemmTilesOf for float32 operands and C. */
export function gemmTiles(desc: usize): void {
  gemmTilesOf<f32>(desc);
}

/** gemmTilesOf for float64 operands and C. */
export function gemmTiles64(desc: usize): void {
  gemmTilesOf<f64>(desc);
}

/**
 * Packs a depth×width operand of element type T at `src` (element (k, w) at
 * src + sizeof(T)·(k·rowStride + w·colStride)) into slivers of `sliverWidth` columns at `dst`,
 * k-major: (k, w) goes to sliver ⌊w / sliverWidth⌋, slot k·sliverWidth + w mod sliverWidth; the
 * last sliver's missing columns are zeros. B is packed as it is (sliverWidth = two vectors) and A
 * as its transpose (sliverWidth = TILE_ROWS). The loop order follows the smaller stride so reads
 * are sequential. Strides may be negative (reversed views): byte offsets wrap modulo 2³², as
 * addresses do.
 */
@inline
function packSliversOf<T>(src: usize, rowStride: i32, colStride: i32, depth: i32, width: i32, sliverWidth: i32, dst: usize): void {
  const size = <usize>sizeof<T>();
  const sliverBytes = <usize>(depth * sliverWidth) * size;
  const full = width / sliverWidth;
  if (full * sliverWidth < width) memory.fill(dst + <usize>full * sliverBytes, 0, sliverBytes);
  const rowBytes = <usize>rowStride * size;
  const colBytes = <usize>colStride * size;
  const stepBytes = <usize>sliverWidth * size;
  if (abs(colStride) <= abs(rowStride)) {
    let d = dst;
    for (let w0 = 0; w0 < width; w0 += sliverWidth) {
      const cols = min(sliverWidth, width - w0);
      let s = src + <usize>w0 * colBytes;
      if (cols == sliverWidth && colStride == 1) {
        // A full row of a sliver is one or two contiguous vectors (16 or 32 bytes).
        for (let k = 0; k < depth; k++, s += rowBytes, d += stepBytes) {
          v128.store(d, v128.load(s));
          if (stepBytes > 16) v128.store(d, v128.load(s, 16), 16);
        }
        continue;
      }
      for (let k = 0; k < depth; k++, s += rowBytes, d += stepBytes) {
        for (let q = 0; q < cols; q++) store<T>(d + <usize>q * size, load<T>(s + <usize>q * colBytes));
      }
    }
  } else if (sizeof<T>() == 4 && (sliverWidth & 3) == 0 && rowStride == 1) {
    packTransposingF32(src, colStride, depth, width, sliverWidth, dst);
  } else {
    for (let w = 0; w < width; w++) {
      let d = dst + <usize>(w / sliverWidth) * sliverBytes + <usize>(w % sliverWidth) * size;
      let s = src + <usize>w * colBytes;
      for (let k = 0; k < depth; k++, s += rowBytes, d += stepBytes) store<T>(d, load<T>(s));
    }
  }
}

/**
 * Closes up the padding of a rows × paddedCols matrix at `address` in place, leaving the
 * rows × cols matrix contiguous there, so the caller copies C out with one call instead of one
 * per row. Rows move down in order, so no row is overwritten before it has moved.
 */
export function compactRows(address: usize, rows: i32, cols: i32, paddedCols: i32, elementBytes: i32): void {
  const rowBytes = <usize>(cols * elementBytes);
  const paddedBytes = <usize>(paddedCols * elementBytes);
  for (let i: usize = 1; i < <usize>rows; i++) memory.copy(address + i * rowBytes, address + i * paddedBytes, rowBytes);
}

/** packSliversOf for float32. */
export function packSlivers(src: usize, rowStride: i32, colStride: i32, depth: i32, width: i32, sliverWidth: i32, dst: usize): void {
  packSliversOf<f32>(src, rowStride, colStride, depth, width, sliverWidth, dst);
}

/** packSliversOf for float64. */
export function packSlivers64(src: usize, rowStride: i32, colStride: i32, depth: i32, width: i32, sliverWidth: i32, dst: usize): void {
  packSliversOf<f64>(src, rowStride, colStride, depth, width, sliverWidth, dst);
}

/**
 * packSliversOf's case for float32 operands whose K index is contiguous (rowStride 1): A stored
 * row-major, or B stored transposed (a weight used as Wᵀ, columns read as columnsᵀ). Each group
 * of four sliver columns is read as four vectors along K and written transposed, 4×4 at a time,
 * instead of one scattered store per element. The last sliver, if partial, goes element by element.
 */
@inline
function packTransposingF32(src: usize, colStride: i32, depth: i32, width: i32, sliverWidth: i32, dst: usize): void {
  const colBytes = <usize>colStride << 2;
  const stepBytes = <usize>sliverWidth << 2;
  const fullDepth = depth & ~3;
  let d = dst;
  for (let w0 = 0; w0 < width; w0 += sliverWidth) {
    const cols = min(sliverWidth, width - w0);
    const s = src + <usize>w0 * colBytes;
    if (cols < sliverWidth) {
      for (let w = 0; w < cols; w++) {
        for (let k = 0; k < depth; k++) store<f32>(d + <usize>k * stepBytes + (<usize>w << 2), load<f32>(s + <usize>w * colBytes + (<usize>k << 2)));
      }
      break;
    }
    for (let quarter = 0; quarter < sliverWidth; quarter += 4) {
      const rows = s + <usize>quarter * colBytes;
      const out = d + (<usize>quarter << 2);
      for (let k = 0; k < fullDepth; k += 4) transpose4x4(rows + (<usize>k << 2), colBytes, out + <usize>k * stepBytes, stepBytes);
      for (let k = fullDepth; k < depth; k++) {
        for (let w = 0; w < 4; w++) store<f32>(out + <usize>k * stepBytes + (<usize>w << 2), load<f32>(rows + <usize>w * colBytes + (<usize>k << 2)));
      }
    }
    d += <usize>depth * stepBytes;
  }
}

/** Four vectors, `fromStride` bytes apart, written as the four columns of their 4×4 block, `toStride` bytes apart. */
@inline
function transpose4x4(from: usize, fromStride: usize, to: usize, toStride: usize): void {
  const r0 = v128.load(from);
  const r1 = v128.load(from + fromStride);
  const r2 = v128.load(from + 2 * fromStride);
  const r3 = v128.load(from + 3 * fromStride);
  const low01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const high01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const low23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const high23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(to, v128.shuffle<i64>(low01, low23, 0, 2));
  v128.store(to + toStride, v128.shuffle<i64>(low01, low23, 1, 3));
  v128.store(to + 2 * toStride, v128.shuffle<i64>(high01, high23, 0, 2));
  v128.store(to + 3 * toStride, v128.shuffle<i64>(high01, high23, 1, 3));
}

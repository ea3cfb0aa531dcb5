/**
 * Dense matrix multiply (GEMM) for Float32Array / Float64Array in plain JavaScript.
 *
 * The blocked path follows the Goto/BLIS layout: A and B are copied ("packed") into
 * contiguous Float64Array panels so the micro-kernel streams both operands with unit
 * stride whatever the caller's strides are, and every C tile is summed in double
 * precision before it is written out once.
 */

/** Storage the kernels accept; sums are always taken in float64 whatever the storage. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Strided 2-D operand: element (i, j) is `data[offset + i*rowStride + j*colStride]`.
 * Strides may be any ints (0 for broadcast, negative for reversed views), so transposed
 * operands need no copy.
 *
 * @example
 * // The transpose of a row-major 3×2 matrix `x`, viewed as 2×3:
 * const xT: MatrixOperand = { data: x, offset: 0, rowStride: 1, colStride: 2 };
 */
export interface MatrixOperand {
  data: FloatArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * Micro-tile: MR×NR accumulators live in locals, which V8 keeps in registers (see
 * microKernel for why 3×3). packSliver unrolls its copies for exactly three.
 */
const MR = 3;
const NR = 3;
/** Both slivers are 3 wide, so one packing routine (unrolled for 3) serves A and B. */
const LANES = 3;
/**
 * Block sizes, tuned on a Zen 3 core (32 KiB L1d, 512 KiB L2): a KC×NR sliver of B (6 KiB)
 * stays in L1 while every sliver of A's block meets it, and the MC×KC block of A (192 KiB)
 * stays in L2 across the whole column panel of B.
 */
const KC = 256;
const MC = 96;
const NC = 384;
/** Doubles allowed for one packed column panel of B (all K rows); narrows the panel when K is huge. */
const PACKED_B_BUDGET = 1 << 20;
/**
 * Below this many multiply-adds the direct loops win: packing and tile bookkeeping add
 * ~0.1 µs per call, yet the blocked path already wins at 8×8×8 (measured).
 */
const SMALL_PRODUCT = 512;

// Module-level scratch, grown on demand, so steady-state calls allocate nothing.
let packedA: Float64Array = new Float64Array(0);
let packedB: Float64Array = new Float64Array(0);
let accumulator: Float64Array = new Float64Array(0);

function atLeast(buffer: Float64Array, size: number): Float64Array {
  return buffer.length >= size ? buffer : new Float64Array(Math.max(size, 2 * buffer.length));
}

/** n rounded up to a multiple of `multiple` (also used by the wasm kernel's tiling). */
export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * C (M×N, row-major contiguous, leading dimension N, starting at cOffset) = A (M×K) · B (K×N).
 * Overwrites C. K may be 0 (C becomes zeros); M or N may be 0. Sums are taken in double
 * precision and rounded once when C is a Float32Array.
 *
 * @example
 * const a = { data: new Float64Array([1, 2, 3, 4]), offset: 0, rowStride: 2, colStride: 1 };
 * const c = new Float64Array(4);
 * gemm(2, 2, 2, a, a, c, 0); // c = [7, 10, 15, 22]
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    c.fill(0, cOffset, cOffset + M * N);
  } else if (K === 1) {
    gemmOuter(M, N, a, b, c, cOffset);
  } else if (M * N * K < SMALL_PRODUCT || M < MR || N < NR) {
    // With fewer than MR rows or NR columns each element of the other operand is used at
    // most twice, so packing it would cost as much as the multiply.
    gemmDirect(M, N, K, a, b, c, cOffset);
  } else {
    gemmBlocked(M, N, K, a, b, c, cOffset);
  }
}

/**
 * Small or thin products (autograd makes many): no packing, whose cost would not be repaid.
 * Row updates walk B along its rows, which for row-major B (e.g. a vector times a matrix)
 * is contiguous; their per-row overhead only pays off for wider rows.
 */
function gemmDirect(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
): void {
  if (N >= 16 && b.colStride <= b.rowStride) gemmRowUpdate(M, N, K, a, b, c, cOffset);
  else gemmDot(M, N, K, a, b, c, cOffset);
}

/**
 * K = 1: the outer product of a column of A and a row of B, one multiply per output and no sum
 * (per-example weight gradients xᵀ·dy of vmap(grad) are a batch of these).
 */
function gemmOuter(M: number, N: number, a: MatrixOperand, b: MatrixOperand, c: FloatArray, cOffset: number): void {
  const { data: ad, rowStride: ars } = a;
  const { data: bd, colStride: bcs } = b;
  for (let i = 0; i < M; i++) {
    const ai = ad[a.offset + i * ars];
    const cRow = cOffset + i * N;
    for (let j = 0, bi = b.offset; j < N; j++, bi += bcs) c[cRow + j] = ai * bd[bi];
  }
}

/** One dot product per output: suits column-major B, whose columns are contiguous. */
function gemmDot(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
): void {
  const { data: ad, rowStride: ars, colStride: acs } = a;
  const { data: bd, rowStride: brs, colStride: bcs } = b;
  for (let i = 0; i < M; i++) {
    const aRow = a.offset + i * ars;
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let ai = aRow;
      let bi = b.offset + j * bcs;
      for (let k = 0; k < K; k++, ai += acs, bi += brs) sum += ad[ai] * bd[bi];
      c[cOffset + i * N + j] = sum;
    }
  }
}

/**
 * Row i of C as a sum of rows of B scaled by A[i][k]: suits row-major B. The row is summed
 * in a double scratch so a Float32Array C is still rounded only once.
 */
function gemmRowUpdate(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
): void {
  const { data: ad, rowStride: ars, colStride: acs } = a;
  const { data: bd, rowStride: brs, colStride: bcs } = b;
  accumulator = atLeast(accumulator, N);
  const row = accumulator;
  for (let i = 0; i < M; i++) {
    row.fill(0, 0, N);
    for (let k = 0; k < K; k++) {
      const aik = ad[a.offset + i * ars + k * acs];
      let bi = b.offset + k * brs;
      for (let j = 0; j < N; j++, bi += bcs) row[j] += aik * bd[bi];
    }
    const cRow = cOffset + i * N;
    for (let j = 0; j < N; j++) c[cRow + j] = row[j];
  }
}

/**
 * Loop order jc → ic → pc keeps one MC×nc tile of C in a double accumulator across the
 * whole K sum, so float32 outputs are rounded once; the price is packing all K rows of
 * B's column panel up front, which the budget bounds.
 */
function gemmBlocked(
  M: number,
  N: number,
  K: number,
  a: MatrixOperand,
  b: MatrixOperand,
  c: FloatArray,
  cOffset: number,
): void {
  const ncCap = Math.max(NR, Math.min(NC, roundUp(Math.floor(PACKED_B_BUDGET / K), NR)));
  const ncStep = evenStep(N, ncCap, NR);
  const mcStep = evenStep(M, MC, MR);
  const kcStep = evenStep(K, KC, 1);
  packedA = atLeast(packedA, mcStep * kcStep);
  packedB = atLeast(packedB, K * ncStep);
  accumulator = atLeast(accumulator, mcStep * ncStep);
  for (let jc = 0; jc < N; jc += ncStep) {
    const nc = Math.min(ncStep, N - jc);
    const ncPadded = roundUp(nc, NR);
    packB(b, K, kcStep, jc, nc, packedB);
    for (let ic = 0; ic < M; ic += mcStep) {
      const mc = Math.min(mcStep, M - ic);
      accumulator.fill(0, 0, roundUp(mc, MR) * ncPadded);
      for (let pc = 0; pc < K; pc += kcStep) {
        const kc = Math.min(kcStep, K - pc);
        packA(a, ic, mc, pc, kc, packedA);
        multiplyBlock(mc, ncPadded, kc, packedA, packedB, pc * ncPadded, accumulator);
      }
      storeTile(accumulator, ncPadded, mc, nc, c, cOffset + ic * N + jc, N);
    }
  }
}

/**
 * Block length for splitting n into equal blocks of at most max (rounded up to a multiple):
 * 784 = 4 × 196 rather than 3 × 256 + 16, as a thin last block wastes a pass over the others.
 */
export function evenStep(n: number, max: number, multiple: number): number {
  return roundUp(Math.ceil(n / Math.ceil(n / max)), multiple);
}

/** Packs rows [ic, ic+mc) × cols [pc, pc+kc) of A as MR-row slivers, k-major, zero-padded. */
function packA(a: MatrixOperand, ic: number, mc: number, pc: number, kc: number, out: Float64Array): void {
  const { data, rowStride, colStride } = a;
  let o = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const src = a.offset + (ic + i0) * rowStride + pc * colStride;
    o = packSliver(data, src, colStride, rowStride, Math.min(MR, mc - i0), kc, out, o);
  }
}

/**
 * Packs all K rows of B's columns [jc, jc+nc): for each kcStep slice, NR-column slivers,
 * k-major, zero-padded, the slice for depth pc starting at pc * ncPadded.
 */
function packB(b: MatrixOperand, K: number, kcStep: number, jc: number, nc: number, out: Float64Array): void {
  const { data, rowStride, colStride } = b;
  let o = 0;
  for (let pc = 0; pc < K; pc += kcStep) {
    const kc = Math.min(kcStep, K - pc);
    for (let j0 = 0; j0 < nc; j0 += NR) {
      const src = b.offset + pc * rowStride + (jc + j0) * colStride;
      o = packSliver(data, src, rowStride, colStride, Math.min(NR, nc - j0), kc, out, o);
    }
  }
}

/**
 * Writes one sliver into `out` at `o`, k-major: kc steps of `stepStride`, each the LANES values
 * `laneStride` apart (only the first `lanes` are real; the rest are zero padding). An A sliver
 * walks rows as lanes and columns as steps, a B sliver the other way round. Returns the next `o`.
 */
function packSliver(
  data: FloatArray,
  src: number,
  stepStride: number,
  laneStride: number,
  lanes: number,
  kc: number,
  out: Float64Array,
  o: number,
): number {
  if (lanes === LANES) {
    for (let k = 0; k < kc; k++, src += stepStride, o += LANES) {
      out[o] = data[src];
      out[o + 1] = data[src + laneStride];
      out[o + 2] = data[src + 2 * laneStride];
    }
  } else {
    for (let k = 0; k < kc; k++, src += stepStride) {
      for (let q = 0; q < LANES; q++) out[o++] = q < lanes ? data[src + q * laneStride] : 0;
    }
  }
  return o;
}

/** Runs the micro-kernel over every MR×NR tile of the packed block; padding makes all tiles full. */
function multiplyBlock(
  mc: number,
  ncPadded: number,
  kc: number,
  pa: Float64Array,
  pb: Float64Array,
  pbOffset: number,
  acc: Float64Array,
): void {
  for (let j0 = 0; j0 < ncPadded; j0 += NR) {
    const bi = pbOffset + j0 * kc;
    for (let i0 = 0; i0 < mc; i0 += MR) {
      microKernel(kc, pa, i0 * kc, pb, bi, acc, i0 * ncPadded + j0, ncPadded);
    }
  }
}

/**
 * acc[3×3 tile] += A sliver · B sliver. Nine accumulators plus three a and three b values
 * are exactly the 15 double registers V8 allocates on x64; larger tiles spill to the stack
 * every iteration and run slower despite loading less per multiply. The `| 0` keeps index
 * arithmetic in int32 so V8 drops its overflow checks.
 */
// prettier-ignore
function microKernel(
  kc: number,
  pa: Float64Array,
  ai: number,
  pb: Float64Array,
  bi: number,
  acc: Float64Array,
  ci: number,
  ldc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0;
  const aEnd = ai + kc * MR;
  for (; ai < aEnd; ai = (ai + MR) | 0, bi = (bi + NR) | 0) {
    const a0 = pa[ai], a1 = pa[(ai + 1) | 0], a2 = pa[(ai + 2) | 0];
    const b0 = pb[bi], b1 = pb[(bi + 1) | 0], b2 = pb[(bi + 2) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
  }
  acc[ci] += c00; acc[ci + 1] += c01; acc[ci + 2] += c02;
  ci += ldc;
  acc[ci] += c10; acc[ci + 1] += c11; acc[ci + 2] += c12;
  ci += ldc;
  acc[ci] += c20; acc[ci + 1] += c21; acc[ci + 2] += c22;
}

/** Copies the valid mc×nc part of the accumulator to C; a Float32Array rounds here, once. */
function storeTile(
  acc: Float64Array,
  ldAcc: number,
  mc: number,
  nc: number,
  c: FloatArray,
  cStart: number,
  ldc: number,
): void {
  for (let i = 0; i < mc; i++) {
    const src = i * ldAcc;
    const dst = cStart + i * ldc;
    for (let j = 0; j < nc; j++) c[dst + j] = acc[src + j];
  }
}

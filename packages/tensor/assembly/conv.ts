/**
 * Float32 convolution over a batch of images, one image per step, on one or more threads: the
 * forward product and the two gradients, each an unfold (or fold) and a packed GEMM per image,
 * entirely inside the module. The JavaScript side (src/kernels/wasm/conv.ts) copies the batch in,
 * packs the filters once, writes the descriptor and starts the task on the pool; each thread
 * claims a scratch slot (its columns, packed operand and C block) and then images, through atomic
 * counters, so a thread slowed by other load simply takes fewer images.
 *
 * Layouts: images (N, C, H, W), outputs and output gradients (N, FN, OH, OW), filters as the
 * (FN, K) matrix W_mat with K = C·FH·FW taps, P = OH·OW positions; see assembly/gemm.ts for the
 * packed layouts.
 */
import { TILE_COLS, TILE_ROWS, VECTOR_FLOATS, computeBlock, computeBlockRowMajorB, packSlivers, readsInPlace } from './gemm';
import { foldRows, unfold } from './windows';

// Descriptor slots (i32), written by src/kernels/wasm/conv.ts in this order.
const NEXT_IMAGE = 0; // atomic counter of claimed images
const NEXT_SLOT = 1; // atomic counter of claimed scratch slots
const IMAGES = 2;
const CHANNELS = 3;
const HEIGHT = 4;
const WIDTH = 5;
const FILTER_H = 6;
const FILTER_W = 7;
const STRIDE_H = 8;
const STRIDE_W = 9;
const PAD_H = 10;
const PAD_W = 11;
const OUT_H = 12;
const OUT_W = 13;
const FILTERS = 14; // FN
const DEPTH_BLOCK = 15;
const X_PTR = 16; // images, or dx for the input gradient
const Y_PTR = 17; // outputs, or dy for the gradients
const PACKED_PTR = 18; // the packed filters (forward, input gradient)
const BIAS_PTR = 19; // 0: no bias
const SCRATCH_PTR = 20; // slot 0's scratch; slot s's is at SCRATCH_PTR + s·SCRATCH_BYTES
const SCRATCH_BYTES = 21;
const PARTIALS_PTR = 22; // the filter gradient's partial sums, one per group of images

/**
 * Images per partial sum of the filter gradient. Fixed, not per thread, so that dW is the same
 * sum in the same order whichever thread takes which group, on any number of threads.
 */
const FILTER_GROUP_IMAGES = 8;

export function convDescriptorBytes(): i32 {
  return 23 * 4;
}

export function filterGroupImages(): i32 {
  return FILTER_GROUP_IMAGES;
}

@inline
function field(desc: usize, slot: i32): i32 {
  return load<i32>(desc + (<usize>slot << 2));
}

@inline
function roundUp(n: i32, step: i32): i32 {
  return (n + step - 1) / step * step;
}

// No objects here: the module runs with the stub runtime, whose allocator neither frees nor is
// safe across threads. Each task reads the sizes it needs straight from the descriptor.

/** C·FH·FW: the filter taps, rows of an image's columns. */
@inline
function taps(desc: usize): i32 {
  return field(desc, CHANNELS) * field(desc, FILTER_H) * field(desc, FILTER_W);
}

/** OH·OW: the output positions, columns of an image's columns. */
@inline
function positions(desc: usize): i32 {
  return field(desc, OUT_H) * field(desc, OUT_W);
}

@inline
function imageBytes(desc: usize): usize {
  return <usize>(field(desc, CHANNELS) * field(desc, HEIGHT) * field(desc, WIDTH)) << 2;
}

/** This thread's scratch: claims the next slot. */
@inline
function claimScratch(desc: usize): usize {
  const slot = atomic.add<i32>(desc + (<usize>NEXT_SLOT << 2), 1);
  return <usize>field(desc, SCRATCH_PTR) + <usize>slot * <usize>field(desc, SCRATCH_BYTES);
}

@inline
function nextImage(desc: usize): i32 {
  return atomic.add<i32>(desc + (<usize>NEXT_IMAGE << 2), 1);
}

/** unfold of image n of X_PTR into `columns` (K·P). */
@inline
function unfoldImage(desc: usize, n: i32, columns: usize): void {
  unfold(
    <usize>field(desc, X_PTR) + <usize>n * imageBytes(desc),
    field(desc, CHANNELS), field(desc, HEIGHT), field(desc, WIDTH), field(desc, FILTER_H), field(desc, FILTER_W),
    field(desc, STRIDE_H), field(desc, STRIDE_W), field(desc, PAD_H), field(desc, PAD_W), field(desc, OUT_H), field(desc, OUT_W),
    columns,
  );
}

/** Image n of X_PTR = fold of `columns`, whose K rows start `rowStride` floats apart. */
@inline
function foldImage(desc: usize, n: i32, columns: usize, rowStride: i32): void {
  const image = <usize>field(desc, X_PTR) + <usize>n * imageBytes(desc);
  memory.fill(image, 0, imageBytes(desc));
  foldRows(
    columns, rowStride,
    field(desc, CHANNELS), field(desc, HEIGHT), field(desc, WIDTH), field(desc, FILTER_H), field(desc, FILTER_W),
    field(desc, STRIDE_H), field(desc, STRIDE_W), field(desc, PAD_H), field(desc, PAD_W), field(desc, OUT_H), field(desc, OUT_W),
    image,
  );
}

/** dy_n or y_n: image n's (FN, P) block of Y_PTR. */
@inline
function outputOf(desc: usize, n: i32): usize {
  return <usize>field(desc, Y_PTR) + (<usize>n * <usize>(field(desc, FILTERS) * positions(desc)) << 2);
}

/**
 * block (rows × ldc) = packed A · B for a row-major depth × width B at `b` (an image's columns, or
 * dy_n): B is read where it is when gemm.ts readsInPlace allows, else packed into `packed` first.
 * What the last sliver reads past B's end reaches only the block's padding columns.
 */
@inline
function multiplyRowMajor(depth: i32, kc: i32, a: usize, b: usize, width: i32, packed: usize, block: usize, ldc: i32, rows: i32): void {
  const rowBytes = width << 2;
  if (readsInPlace(rowBytes, depth * rowBytes)) {
    computeBlockRowMajorB(depth, kc, a, b, <usize>rowBytes, block, ldc, 0, rows, 0, ldc);
    return;
  }
  packSlivers(b, width, 1, depth, width, TILE_COLS, packed);
  computeBlock(depth, kc, a, packed, block, ldc, 0, rows, 0, ldc, false);
}

/**
 * y_n = W_mat · unfold(x_n) + b for the images this thread claims. Scratch: columns (K·P), packed
 * columns (K·paddedP, when they are packed: see multiplyRowMajor), C block (paddedFN·paddedP).
 */
export function convForward(desc: usize): void {
  const K = taps(desc);
  const P = positions(desc);
  const FN = field(desc, FILTERS);
  const paddedFN = roundUp(FN, TILE_ROWS);
  const paddedP = roundUp(P, VECTOR_FLOATS);
  const columns = claimScratch(desc);
  const packed = columns + (<usize>(K * P) << 2);
  const block = packed + (<usize>(K * roundUp(P, TILE_COLS)) << 2);
  const bias = <usize>field(desc, BIAS_PTR);
  for (let n = nextImage(desc); n < field(desc, IMAGES); n = nextImage(desc)) {
    unfoldImage(desc, n, columns);
    multiplyRowMajor(K, field(desc, DEPTH_BLOCK), <usize>field(desc, PACKED_PTR), columns, P, packed, block, paddedP, paddedFN);
    copyRowsAddingBias(block, paddedP, outputOf(desc, n), P, FN, bias);
  }
}

/**
 * The `rows` × `width` block at `from` (rows `fromStride` floats apart) into `to` (rows `width`
 * apart), adding bias[row] (none when `bias` is 0): four floats per step, then the row's tail.
 */
@inline
function copyRowsAddingBias(from: usize, fromStride: i32, to: usize, width: i32, rows: i32, bias: usize): void {
  const vectorWidth = width & ~3;
  for (let row = 0; row < rows; row++) {
    const add = bias == 0 ? <f32>0 : load<f32>(bias + (<usize>row << 2));
    const addVector = f32x4.splat(add);
    const source = from + (<usize>(row * fromStride) << 2);
    const target = to + (<usize>(row * width) << 2);
    let p = 0;
    for (; p < vectorWidth; p += 4) {
      const at = <usize>p << 2;
      v128.store(target + at, f32x4.add(v128.load(source + at), addVector));
    }
    for (; p < width; p++) store<f32>(target + (<usize>p << 2), load<f32>(source + (<usize>p << 2)) + add);
  }
}

/**
 * dx_n = fold(W_matᵀ · dy_n) for the images this thread claims, written over X_PTR. Scratch:
 * packed dy_n (FN·paddedP, when it is packed), C block (paddedK·paddedP).
 */
export function convBackwardInput(desc: usize): void {
  const K = taps(desc);
  const P = positions(desc);
  const FN = field(desc, FILTERS);
  const paddedK = roundUp(K, TILE_ROWS);
  const paddedP = roundUp(P, VECTOR_FLOATS);
  const packed = claimScratch(desc);
  const block = packed + (<usize>(FN * roundUp(P, TILE_COLS)) << 2);
  for (let n = nextImage(desc); n < field(desc, IMAGES); n = nextImage(desc)) {
    multiplyRowMajor(FN, field(desc, DEPTH_BLOCK), <usize>field(desc, PACKED_PTR), outputOf(desc, n), P, packed, block, paddedP, paddedK);
    foldImage(desc, n, block, paddedP);
  }
}

/**
 * dW = Σ_n dy_n · unfold(x_n)ᵀ as partial sums over groups of FILTER_GROUP_IMAGES images: the
 * threads claim groups (NEXT_IMAGE counts groups here) and write group g's sum (paddedFN·paddedK)
 * at PARTIALS_PTR + g·that size; the JavaScript side adds them up in group order. Scratch:
 * columns (K·P), packed dy_n (P·paddedFN), packed columns (P·paddedK).
 */
export function convBackwardFilter(desc: usize): void {
  const K = taps(desc);
  const P = positions(desc);
  const FN = field(desc, FILTERS);
  const N = field(desc, IMAGES);
  const paddedFN = roundUp(FN, TILE_ROWS);
  const paddedK = roundUp(K, VECTOR_FLOATS);
  const partialBytes = <usize>(paddedFN * paddedK) << 2;
  const columns = claimScratch(desc);
  const packedDy = columns + (<usize>(K * P) << 2);
  const packedColumns = packedDy + (<usize>(P * paddedFN) << 2);
  for (let group = nextImage(desc); group * FILTER_GROUP_IMAGES < N; group = nextImage(desc)) {
    const partial = <usize>field(desc, PARTIALS_PTR) + <usize>group * partialBytes;
    memory.fill(partial, 0, partialBytes);
    const end = min(N, (group + 1) * FILTER_GROUP_IMAGES);
    for (let n = group * FILTER_GROUP_IMAGES; n < end; n++) {
      unfoldImage(desc, n, columns);
      // A = dy_n (FN × P), packed as its transpose; B = columnsᵀ (P × K).
      packSlivers(outputOf(desc, n), 1, P, P, FN, TILE_ROWS, packedDy);
      packSlivers(columns, 1, P, P, K, TILE_COLS, packedColumns);
      computeBlock(P, field(desc, DEPTH_BLOCK), packedDy, packedColumns, partial, paddedK, 0, paddedFN, 0, paddedK, true);
    }
  }
}

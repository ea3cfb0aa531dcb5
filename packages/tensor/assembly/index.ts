/**
 * The module's exports: the GEMM, the sliding-window, the elementwise, the sum and the
 * convolution kernels, and `runTask`, through which pool workers run whichever multi-threaded task the main
 * thread started.
 */
import { gemmTiles, gemmTiles64 } from './gemm';
import { convBackwardFilter, convBackwardInput, convForward } from './conv';

export { compactRows, descriptorBytes, gemmTiles, gemmTiles64, packSlivers, packSlivers64, readsInPlace, tileCols, tileCols64, tileRows } from './gemm';
export { fold, maxPool2x2, maxPoolScatter, unfold } from './windows';
export { axpbyF32, binaryF32, outerF32, unaryF32 } from './elementwise';
export { foldIntoLanes, mergeLanes, sumColumnsF32, sumRowsF32 } from './reduce';
export { convBackwardFilter, convBackwardInput, convDescriptorBytes, convForward, filterGroupImages } from './conv';

// Task codes: the JavaScript side's TASKS table (src/kernels/wasm/pool.ts) keeps the same numbers.
const GEMM = 0;
const CONV_FORWARD = 1;
const CONV_BACKWARD_INPUT = 2;
const CONV_BACKWARD_FILTER = 3;
const GEMM64 = 4;

/** Runs task `task` on the descriptor at `desc`, on the calling thread's share of the work. */
export function runTask(task: i32, desc: usize): void {
  if (task == GEMM) gemmTiles(desc);
  else if (task == CONV_FORWARD) convForward(desc);
  else if (task == CONV_BACKWARD_INPUT) convBackwardInput(desc);
  else if (task == CONV_BACKWARD_FILTER) convBackwardFilter(desc);
  else if (task == GEMM64) gemmTiles64(desc);
}

import { axpby, map } from './elementwise.js';
import { gemm } from './matmul.js';
import { reduce } from './reduce.js';
import { avgPool2d, avgPool2dBackward, col2im, fold, im2col, maxPool2d, maxPool2dBackward, unfold } from './im2col.js';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from './conv.js';
import { ValueError, describeValue } from '../errors.js';
import { environmentVariable } from './wasm/platform.js';
import { createWasmBackend } from './wasm/index.js';

export {
  setThreads,
  getThreads,
  threadPoolStatus,
  setWorkerSpin,
  wasmFeatures,
  setWasmBuild,
  type WasmBuild,
} from './wasm/index.js';

export type { StridedArray } from './strided.js';
export type { MapOp, UnaryOp, BinaryOp, TernaryOp } from './elementwise.js';
export type { ReduceOp } from './reduce.js';
export type { WindowGeometry } from './im2col.js';
export type { ConvGeometry } from './conv.js';
export type { MatrixOperand, FloatArray } from './matmul.js';
export { REDUCE_INITIAL } from './reduce.js';
export { mapArity } from './elementwise.js';

/**
 * The narrow interface between tensor operations and the loops that do the work. Every kernel
 * takes typed arrays plus offset/strides and knows nothing of Tensor, so another implementation
 * (WebAssembly SIMD, worker threads) can replace any of them without callers noticing.
 */
export interface KernelBackend {
  readonly name: string;
  /** Elementwise op over strided, broadcast operands into a strided output. */
  map: typeof map;
  /** y ← a·y + b·x in place over two typed arrays (optimizer updates). */
  axpby: typeof axpby;
  /** Fold of a strided input into an accumulator with stride 0 on the reduced axes. */
  reduce: typeof reduce;
  /** C = A·B for strided 2-D operands into a contiguous C. */
  gemm: typeof gemm;
  /** Unfolds (N, C, H, W) filter windows into the rows of a (N·OH·OW, C·FH·FW) matrix. */
  im2col: typeof im2col;
  /** The adjoint of im2col: adds each column entry back to its input position. */
  col2im: typeof col2im;
  /** Unfolds each image's filter windows into the columns of a (C·FH·FW, OH·OW) matrix. */
  unfold: typeof unfold;
  /** The adjoint of unfold. */
  fold: typeof fold;
  /** A convolution of a batch: y_n = W_mat · unfold(x_n) + b. */
  conv2dForward: typeof conv2dForward;
  /** Its input gradient: dx_n = fold(W_matᵀ · dy_n). */
  conv2dBackwardInput: typeof conv2dBackwardInput;
  /** Its filter gradient: dW = Σ_n dy_n · unfold(x_n)ᵀ. */
  conv2dBackwardFilter: typeof conv2dBackwardFilter;
  /** Max over each window, with the flat index of the (first) maximum. */
  maxPool2d: typeof maxPool2d;
  /** Adds each output gradient at its argmax. */
  maxPool2dBackward: typeof maxPool2dBackward;
  /** Mean over each window (padding counts as zeros). */
  avgPool2d: typeof avgPool2d;
  /** The adjoint of avgPool2d. */
  avgPool2dBackward: typeof avgPool2dBackward;
}

/** The plain-JavaScript kernels: always available, and the reference the faster ones are tested against. */
export const jsBackend: KernelBackend = {
  name: 'js',
  map,
  axpby,
  reduce,
  gemm,
  im2col,
  col2im,
  unfold,
  fold,
  conv2dForward,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
};

const backends = new Map<string, KernelBackend>([['js', jsBackend]]);
const wasmBackend = createWasmBackend(jsBackend);
if (wasmBackend) backends.set(wasmBackend.name, wasmBackend);

/**
 * The backend at start-up: the one `NN_BACKEND` names, else the fastest available ('wasm' where
 * WebAssembly SIMD runs, else 'js'). An unknown name is an error, not a silent fallback.
 */
function initialBackend(): KernelBackend {
  const requested = environmentVariable('NN_BACKEND');
  if (requested) {
    const backend = backends.get(requested);
    if (!backend)
      throw new ValueError(
        `NN_BACKEND=${requested}: unknown or unavailable backend; available: ${[...backends.keys()].join(', ')}`,
      );
    return backend;
  }
  return wasmBackend ?? jsBackend;
}

let active: KernelBackend = initialBackend();

/** The kernels in use. */
export function kernels(): KernelBackend {
  return active;
}

/** Makes a backend selectable by name with `setBackend`. */
export function registerBackend(backend: KernelBackend): void {
  backends.set(backend.name, backend);
}

/**
 * Chooses the kernels by name: 'js' (always there) or 'wasm' (WebAssembly SIMD and worker
 * threads, where the engine supports them). The default is the fastest available; the
 * `NN_BACKEND` environment variable sets it at start-up.
 *
 * @example
 * setBackend('js'); // plain JavaScript kernels, summing float32 products in double precision
 */
export function setBackend(name: string): void {
  const backend = backends.get(name);
  if (!backend) {
    throw new ValueError(
      `setBackend: unknown backend ${describeValue(name)}; available: ${[...backends.keys()].join(', ')}`,
    );
  }
  active = backend;
}

/** The name of the backend in use. */
export function getBackend(): string {
  return active.name;
}

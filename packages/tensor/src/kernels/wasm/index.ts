/**
 * The 'wasm' kernel backend: GEMM and convolution in WebAssembly SIMD, split across worker
 * threads when large; unfold/fold, 2×2 max pooling and its gradient, the common float32
 * elementwise ops and float32 sums in WebAssembly; every other kernel is the JavaScript one it is given.
 */
import type { KernelBackend } from '../index.js';
import { wasmGemm } from './gemm.js';
import { wasmSimdSupported } from './module.js';
export { wasmFeatures, setWasmBuild, type WasmBuild } from './module.js';
import { wasmConv2dBackwardFilter, wasmConv2dBackwardInput, wasmConv2dForward } from './conv.js';
import { createWasmAxpby, createWasmMap } from './elementwise.js';
import { createWasmReduce } from './reduce.js';
import { wasmFold, wasmMaxPool2d, wasmMaxPool2dBackward, wasmUnfold } from './windows.js';

export { setThreads, getThreads, threadPoolStatus, setWorkerSpin } from './pool.js';

/**
 * The wasm backend built on `base` (whose other kernels it keeps), or null where the
 * engine cannot run WebAssembly SIMD with shared memory. Nothing is compiled until the first
 * product that needs it.
 */
export function createWasmBackend(base: KernelBackend): KernelBackend | null {
  if (!wasmSimdSupported()) return null;
  return {
    ...base,
    name: 'wasm',
    gemm: wasmGemm,
    unfold: wasmUnfold,
    fold: wasmFold,
    conv2dForward: wasmConv2dForward,
    conv2dBackwardInput: wasmConv2dBackwardInput,
    conv2dBackwardFilter: wasmConv2dBackwardFilter,
    maxPool2d: wasmMaxPool2d,
    maxPool2dBackward: wasmMaxPool2dBackward,
    map: createWasmMap(base.map),
    axpby: createWasmAxpby(base.axpby),
    reduce: createWasmReduce(base.reduce),
  };
}

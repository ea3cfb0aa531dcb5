/**
 * Loads the WebAssembly kernels (assembly/index.ts, embedded by assembly/build.mjs) and owns their
 * memory. The memory is scratch only: operands are copied into it for one call and results
 * copied out, so tensors stay ordinary garbage-collected typed arrays and growing the memory
 * can never invalidate one. It grows to the largest call seen and is reused afterwards.
 */
import { MAXIMUM_PAGES, relaxedSimdWasm, simdWasm } from './kernels.wasm.generated.js';
import { enableRelaxedSimdIfRequested, webAssembly, type WasmMemory, type WasmModule } from './platform.js';

const PAGE_BYTES = 65536;

/** assembly/gemm.ts packSlivers (float32) and packSlivers64 (float64). */
type PackSlivers = (
  source: number,
  rowStride: number,
  colStride: number,
  depth: number,
  width: number,
  sliverWidth: number,
  destination: number,
) => void;

/** The functions assembly/index.ts exports (see assembly/gemm.ts, conv.ts, windows.ts, elementwise.ts and reduce.ts). */
export interface KernelExports {
  gemmTiles(descriptor: number): void;
  packSlivers: PackSlivers;
  packSlivers64: PackSlivers;
  tileRows(): number;
  tileCols(): number;
  tileCols64(): number;
  descriptorBytes(): number;
  compactRows(address: number, rows: number, cols: number, paddedCols: number, elementBytes: number): void;
  readsInPlace(depthBytes: number, bytes: number): number;
  unfold(x: number, ...sizesThenColumns: [...WindowSizes, number]): void;
  fold(col: number, ...sizesThenImage: [...WindowSizes, number]): void;
  maxPool2x2(
    x: number,
    planes: number,
    H: number,
    W: number,
    strideH: number,
    strideW: number,
    OH: number,
    OW: number,
    firstIndex: number,
    out: number,
    argmax: number,
  ): void;
  maxPoolScatter(
    gy: number,
    argmax: number,
    count: number,
    firstIndex: number,
    planeSize: number,
    planes: number,
    gx: number,
  ): number;
  unaryF32(op: number, out: number, x: number, n: number): void;
  runTask(task: number, descriptor: number): void;
  convDescriptorBytes(): number;
  filterGroupImages(): number;
  binaryF32(op: number, out: number, x: number, y: number, n: number): void;
  axpbyF32(y: number, x: number, a: number, b: number, n: number): void;
  foldIntoLanes(x: number, n: number, lanes: number): void;
  mergeLanes(lanes: number): number;
  sumRowsF32(
    x: number,
    rows: number,
    length: number,
    firstRow: number,
    period: number,
    acc: number,
    lanes: number,
  ): void;
  sumColumnsF32(x: number, rows: number, cols: number, acc: number): void;
}

/** C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW of one image, as the window kernels take them. */
export type WindowSizes = [number, number, number, number, number, number, number, number, number, number, number];

/**
 * Fixed layout of the low addresses: the pool's control words, then the product descriptor,
 * then packed operands. The first page is left to the AssemblyScript runtime.
 */
export const CONTROL_ADDRESS = PAGE_BYTES;
export const CONTROL_WORDS = 9;
export const DESCRIPTOR_ADDRESS = CONTROL_ADDRESS + 64;
export const DATA_ADDRESS = CONTROL_ADDRESS + 1024;

export interface WasmKernels {
  module: WasmModule;
  memory: WasmMemory;
  exports: KernelExports;
  /** True when the fused multiply-add (relaxed SIMD) build loaded. */
  relaxed: boolean;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether this engine runs the SIMD build with shared memory (checked without instantiating). */
export function wasmSimdSupported(): boolean {
  const api = webAssembly();
  if (!api || typeof SharedArrayBuffer === 'undefined') return false;
  try {
    return api.validate(decodeBase64(simdWasm));
  } catch {
    return false;
  }
}

let loaded: WasmKernels | null = null;

/** Compiles and instantiates the fastest build this engine validates (once). */
export function wasmKernels(): WasmKernels {
  if (loaded) return loaded;
  const api = webAssembly();
  if (!api) throw new Error('wasm kernels: this JavaScript engine has no WebAssembly');
  enableRelaxedSimdIfRequested();
  const relaxedBytes = decodeBase64(relaxedSimdWasm);
  const relaxed = api.validate(relaxedBytes);
  const module = new api.Module(relaxed ? relaxedBytes : decodeBase64(simdWasm));
  const memory = new api.Memory({ initial: DATA_ADDRESS / PAGE_BYTES + 1, maximum: MAXIMUM_PAGES, shared: true });
  const instance = new api.Instance(module, { env: { memory } });
  loaded = { module, memory, exports: instance.exports as unknown as KernelExports, relaxed };
  return loaded;
}

/**
 * Makes the memory at least `bytes` long; false when that would pass the maximum the module
 * declares (the caller then uses the JavaScript kernel).
 */
export function reserve(kernels: WasmKernels, bytes: number): boolean {
  const have = kernels.memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / PAGE_BYTES);
  if (have / PAGE_BYTES + pages > MAXIMUM_PAGES) return false;
  kernels.memory.grow(pages);
  return true;
}

/**
 * Which WebAssembly build the wasm backend runs: null where it cannot run, else whether the fused
 * multiply-add (relaxed SIMD) build loaded. Compiles the module if it has not been yet.
 *
 * @example
 * wasmFeatures(); // { relaxedSimd: false } on Node 20 without the flag (see NN_RELAXED_SIMD)
 */
export function wasmFeatures(): { relaxedSimd: boolean } | null {
  return wasmSimdSupported() ? { relaxedSimd: wasmKernels().relaxed } : null;
}

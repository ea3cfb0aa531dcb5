/**
 * Loads the WebAssembly kernels (assembly/index.ts, embedded by assembly/build.mjs) and owns their
 * memory. The memory is scratch only: operands are copied into it for one call and results
 * copied out, so tensors stay ordinary garbage-collected typed arrays and growing the memory
 * can never invalidate one. It grows to the largest call seen and is reused afterwards.
 */
import { MAXIMUM_PAGES, relaxedSimdWasm, simdWasm } from './kernels.wasm.generated.js';
import { PlatformError, ValueError, describeValue } from '../../errors.js';
import {
  enableRelaxedSimd,
  enableRelaxedSimdIfRequested,
  environmentVariable,
  webAssembly,
  type WasmMemory,
  type WasmModule,
} from './platform.js';

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
  outerF32(a: number, b: number, c: number, m: number, n: number): void;
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
  /** True when the memory is shared (SharedArrayBuffer), so worker threads can use it. */
  shared: boolean;
}

/** The two WebAssembly builds: plain SIMD128, and relaxed SIMD (fused multiply-add, 1.5–1.8× on products). */
export type WasmBuild = 'simd' | 'relaxed-simd';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Whether this engine runs the SIMD build (checked without instantiating). Shared memory is not
 * required: without SharedArrayBuffer (a browser page that is not cross-origin isolated) the
 * kernels run on one thread over an unshared memory.
 */
export function wasmSimdSupported(): boolean {
  const api = webAssembly();
  if (!api) return false;
  try {
    return api.validate(decodeBase64(simdWasm));
  } catch {
    return false;
  }
}

let loaded: WasmKernels | null = null;
let requested: WasmBuild | 'auto' = buildFromEnvironment();

function buildFromEnvironment(): WasmBuild | 'auto' {
  const value = environmentVariable('NN_WASM_BUILD');
  return value === 'simd' || value === 'relaxed-simd' ? value : 'auto';
}

/**
 * Picks the WebAssembly build the wasm backend runs: 'relaxed-simd' (fused multiply-add, where
 * the engine has it: Chromium does, Node 20 only behind a V8 flag that this sets), 'simd' (the
 * plain SIMD128 build every engine with SIMD runs), or 'auto' (the default: relaxed where it
 * validates). The two round differently (by ~1e-7 relative), so picking the same build in
 * Node and in a browser gives bit-identical results. Also `NN_WASM_BUILD=simd|relaxed-simd`.
 * Must be called before the first wasm kernel runs (a ValueError after, naming the build
 * loaded); 'relaxed-simd' where the engine cannot run it is a PlatformError.
 *
 * @example
 * setWasmBuild('simd'); // the same numbers in Node 20 and in Chromium
 */
export function setWasmBuild(build: WasmBuild | 'auto'): void {
  if (build !== 'auto' && !BUILDS.includes(build)) {
    throw new ValueError(`setWasmBuild: expected 'simd', 'relaxed-simd' or 'auto', got ${describeValue(build)}`);
  }
  if (loaded) {
    const current: WasmBuild = loaded.relaxed ? 'relaxed-simd' : 'simd';
    if (build === current || (build === 'auto' && requested === 'auto')) return;
    throw new ValueError(
      `setWasmBuild: the ${current} build is already loaded (by the first wasm operation); call setWasmBuild('${build}') before any, or set NN_WASM_BUILD`,
    );
  }
  if (build === 'relaxed-simd' && !relaxedSimdSupported()) {
    throw new PlatformError(
      "setWasmBuild: this JavaScript engine does not validate the relaxed-SIMD build; use 'simd' or 'auto'",
    );
  }
  requested = build;
}

function relaxedSimdSupported(): boolean {
  const api = webAssembly();
  if (!api) return false;
  enableRelaxedSimd();
  try {
    return api.validate(decodeBase64(relaxedSimdWasm));
  } catch {
    return false;
  }
}

/** Compiles and instantiates the build asked for (once): by default the fastest this engine validates. */
export function wasmKernels(): WasmKernels {
  if (loaded) return loaded;
  const api = webAssembly();
  if (!api) throw new Error('wasm kernels: this JavaScript engine has no WebAssembly');
  enableRelaxedSimdIfRequested();
  const relaxedBytes = decodeBase64(relaxedSimdWasm);
  const relaxed = requested === 'relaxed-simd' || (requested === 'auto' && api.validate(relaxedBytes));
  if (relaxed && !api.validate(relaxedBytes))
    throw new PlatformError("wasm kernels: NN_WASM_BUILD asks for 'relaxed-simd', which this engine does not validate");
  const shared = typeof SharedArrayBuffer !== 'undefined';
  const bytes = relaxed ? relaxedBytes : decodeBase64(simdWasm);
  const module = new api.Module(shared ? bytes : unsharedMemoryImport(bytes));
  const memory = new api.Memory({ initial: DATA_ADDRESS / PAGE_BYTES + 1, maximum: MAXIMUM_PAGES, shared });
  const instance = new api.Instance(module, { env: { memory } });
  loaded = { module, memory, exports: instance.exports as unknown as KernelExports, relaxed, shared };
  return loaded;
}

/**
 * The module with its memory import declared unshared: a copy with one byte changed, the
 * import's limits flag 0x03 (shared, with a maximum) to 0x01. Atomic instructions stay valid on
 * unshared memory; only worker threads need it shared, and without SharedArrayBuffer there are none.
 */
export function unsharedMemoryImport(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  let at = 8; // magic and version
  const leb = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = out[at++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
  };
  const skipName = (): void => {
    const length = leb(); // read first: `at += leb()` would add to the offset before the length
    at += length;
  };
  while (at < out.length) {
    const id = out[at++];
    const size = leb();
    const end = at + size;
    if (id === 2 /* import section */) {
      for (let count = leb(); count > 0; count--) {
        skipName(); // module
        skipName(); // field
        const kind = out[at++];
        if (kind === 0)
          leb(); // function: type index
        else if (kind === 1) {
          at++; // table: element type, then limits
          const flags = out[at++];
          leb();
          if (flags & 1) leb();
        } else if (kind === 2) {
          if (out[at] === 0x03) out[at] = 0x01;
          return out;
        } else at += 2; // global: value type, mutability
      }
    }
    at = end;
  }
  throw new Error('wasm kernels: the module imports no memory');
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
 * Which WebAssembly build the wasm backend runs, or null where it cannot run: the build
 * (`relaxedSimd` true for 'relaxed-simd'), and whether its memory is shared (false in a browser
 * page without cross-origin isolation: one thread). Compiles the module if it has not been yet.
 *
 * @example
 * wasmFeatures(); // { build: 'simd', relaxedSimd: false, sharedMemory: true } on Node 20 (see setWasmBuild)
 */
export function wasmFeatures(): { build: WasmBuild; relaxedSimd: boolean; sharedMemory: boolean } | null {
  if (!wasmSimdSupported()) return null;
  const { relaxed, shared } = wasmKernels();
  return { build: relaxed ? 'relaxed-simd' : 'simd', relaxedSimd: relaxed, sharedMemory: shared };
}

/**
 * Everything the WebAssembly kernels need from the platform, in one place: the WebAssembly API
 * (typed locally, as the project's `lib` has no DOM types), environment variables, the core
 * count, starting a worker thread and whether this thread may block. Node uses worker_threads;
 * a browser uses Web Workers made from a Blob URL of the same program, which needs a
 * cross-origin-isolated page (COOP/COEP headers) for SharedArrayBuffer, as every threaded
 * WebAssembly does.
 */
import { nodeBuiltin } from '../../runtime.js';

/** The parts of the WebAssembly JS API the kernels use. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

/** A compiled module: opaque here, passed to workers as it is. */
export type WasmModule = object;

export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  /** Adds pages (64 KiB each); returns the previous size in pages. */
  grow(pages: number): number;
}

/** The WebAssembly API, or null where the engine has none. */
export function webAssembly(): WasmApi | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return api ?? null;
}

/** An environment variable, or undefined outside Node. */
export function environmentVariable(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

/** A browser's globals, as far as the kernels use them. */
interface BrowserGlobals {
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string) => { postMessage(data: unknown): void; terminate(): void };
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
}

const browser = globalThis as BrowserGlobals;

/** How many threads the machine runs at once (1 where that is unknown). */
export function threadCountHint(): number {
  const os = nodeBuiltin<{ availableParallelism?(): number; cpus(): unknown[] }>('node:os');
  if (os) return os.availableParallelism?.() ?? Math.max(1, os.cpus().length);
  return Math.max(1, browser.navigator?.hardwareConcurrency ?? 1);
}

/** A started worker, as far as the pool cares. */
export interface PoolWorker {
  terminate(): void;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}

/**
 * Starts a worker running `program`, the source of a function expression that takes the start
 * data (`(data) => { … }`), or returns null where threads are unavailable. In Node the data
 * arrives as workerData and the worker is unref'd, so an idle pool never keeps the process alive;
 * in a browser it arrives as the worker's first message.
 */
export function spawnWorker(program: string, data: unknown): PoolWorker | null {
  const threads = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
  if (threads) {
    const worker = new threads.Worker(`(${program})(require('node:worker_threads').workerData);`, {
      eval: true,
      workerData: data,
    });
    worker.unref();
    // A worker that fails reports it through the shared control words (see pool.ts); an
    // unhandled 'error' event would otherwise crash the process.
    worker.on('error', () => {});
    return { terminate: () => void worker.terminate() };
  }
  const { Worker, Blob, URL } = browser;
  if (!Worker || !Blob || !URL || browser.crossOriginIsolated === false) return null;
  const source = `self.onmessage = (event) => { self.onmessage = null; (${program})(event.data); };`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  worker.postMessage(data);
  return { terminate: () => worker.terminate() };
}

/**
 * Why this environment cannot start worker threads for the kernels, or null where it can: a
 * browser page without cross-origin isolation has no SharedArrayBuffer, so its workers could not
 * share the kernels' memory.
 */
export function threadsUnavailableReason(): string | null {
  if (nodeBuiltin('node:worker_threads')) return null;
  if (!browser.Worker || !browser.Blob || !browser.URL) return 'this environment has no Web Workers';
  if (browser.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined') {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so the wasm kernels run on one thread';
  }
  return null;
}

/**
 * Whether this thread may block in Atomics.wait: Node's main thread may, a browser's main thread
 * may not (it spins instead, which the short waits of one task allow).
 */
export function canBlock(): boolean {
  return (
    nodeBuiltin('node:worker_threads') !== null ||
    typeof (globalThis as { document?: unknown }).document === 'undefined'
  );
}

/**
 * Turns on V8's relaxed-SIMD support (fused multiply-add, 1.5–1.8× on products here) when the
 * environment asks for it with NN_RELAXED_SIMD=1. Node 20 keeps the feature behind an
 * experimental flag that NODE_OPTIONS does not accept; this sets it at run time, before the
 * module is compiled. Off unless asked: it changes a process-wide engine setting.
 */
export function enableRelaxedSimdIfRequested(): void {
  if (environmentVariable('NN_RELAXED_SIMD') === '1' || environmentVariable('NN_WASM_BUILD') === 'relaxed-simd')
    enableRelaxedSimd();
}

/** Sets V8's relaxed-SIMD flag where there is V8's `node:v8` (a no-op elsewhere: browsers have the feature or not). */
export function enableRelaxedSimd(): void {
  nodeBuiltin<{ setFlagsFromString(flags: string): void }>('node:v8')?.setFlagsFromString(
    '--experimental-wasm-relaxed-simd',
  );
}

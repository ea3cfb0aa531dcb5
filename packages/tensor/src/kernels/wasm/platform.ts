/**
 * Everything the WebAssembly kernels need from the platform, in one place: the WebAssembly API
 * (typed locally, as the project's `lib` has no DOM types), environment variables, the core
 * count and starting a worker thread. Node's versions are here; a browser port replaces
 * `spawnWorker` with a Web Worker built from a Blob URL of the same source (the worker's code
 * only uses `WebAssembly` and `Atomics`), and `threadCountHint` with
 * `navigator.hardwareConcurrency`.
 */

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

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

function nodeBuiltin<T>(id: string): T | null {
  const process = (globalThis as { process?: NodeProcess }).process;
  return (process?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

/** How many threads the machine runs at once (1 where that is unknown). */
export function threadCountHint(): number {
  const os = nodeBuiltin<{ availableParallelism?(): number; cpus(): unknown[] }>('node:os');
  if (!os) return 1;
  return os.availableParallelism?.() ?? Math.max(1, os.cpus().length);
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
 * Starts a worker running `source` (a script that reads its start data from
 * `require('node:worker_threads').workerData`), or returns null where threads are unavailable.
 * The worker is unref'd: an idle pool never keeps the process alive.
 */
export function spawnWorker(source: string, data: unknown): PoolWorker | null {
  const threads = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
  if (!threads) return null;
  const worker = new threads.Worker(source, { eval: true, workerData: data });
  worker.unref();
  // A worker that fails reports it through the shared control words (see pool.ts); an
  // unhandled 'error' event would otherwise crash the process.
  worker.on('error', () => {});
  return {
    terminate: () => {
      void worker.terminate();
    },
  };
}

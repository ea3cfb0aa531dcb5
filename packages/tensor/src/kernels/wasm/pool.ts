/**
 * The worker pool behind multi-threaded products and convolutions. Every worker instantiates the
 * same module on the same shared memory and sleeps on a control word; a task is started by
 * writing its code and bumping that word, after which the main thread and every worker call
 * `runTask`, whose task hands out its work (tiles of C, images) through an atomic counter, so a
 * thread slowed by other load simply takes less of it.
 * The public API stays synchronous: the main thread works too, then blocks with `Atomics.wait`
 * (spins, on a browser's main thread, where blocking is not allowed) until the last worker has
 * checked in.
 *
 * Control words (Int32, at CONTROL_ADDRESS in the shared memory):
 *   GENERATION  bumped by the main thread once per product; workers wait for it to change
 *   PENDING     workers that have not yet finished the current product
 *   BROKEN      set by a worker that could not start; the pool is then given up
 *   EPOCH       bumped when a pool is stopped: its workers, which may outlive terminate() for a
 *               moment, leave at their next wake-up instead of joining the next pool's products
 *   TASK        which task the descriptor describes (see TASKS)
 *   READY       workers of the current pool that have instantiated the module
 *   FAILED      set by a worker whose task threw (it still checks in); the task is then run
 *               again on the calling thread and the pool is given up
 *   STARTED     workers that have woken for the current task (named in the timeout error, to
 *               tell a worker that never woke from one stuck in its task)
 *   SPIN        how long (µs) a worker keeps polling GENERATION after a task or an alert before
 *               it sleeps
 *
 * Why workers spin: a sleeping thread took about 100 µs to wake on these virtual machines, half
 * of a 100×784·784×50 product, so a second thread gained nothing on the MLP's products. A task
 * first alerts the workers (a notify that leaves GENERATION alone) before it copies and packs
 * its operands, and a worker keeps polling for a while after each task, so the next product of a
 * training step finds it awake; between steps it goes back to sleep.
 */
import { CONTROL_ADDRESS, CONTROL_WORDS, DESCRIPTOR_ADDRESS, wasmKernels, type WasmKernels } from './module.js';
import { ValueError } from '../../errors.js';
import {
  canBlock,
  environmentVariable,
  spawnWorker,
  threadCountHint,
  threadsUnavailableReason,
  type PoolWorker,
} from './platform.js';

const GENERATION = 0;
const PENDING = 1;
const BROKEN = 2;
const EPOCH = 3;
const TASK = 4;
const READY = 5;
const FAILED = 6;
const STARTED = 7;
const SPIN = 8;

/** Default SPIN (µs): longer than the gaps between the products of a training step. */
const DEFAULT_SPIN_MICROSECONDS = 300;
/** How long the calling thread polls for the workers to finish before it blocks (ms). */
const CALLER_SPIN_MS = 2;

/** Task codes, as assembly/index.ts numbers them. */
export const TASKS = { gemm: 0, convForward: 1, convBackwardInput: 2, convBackwardFilter: 3, gemm64: 4 } as const;
export type Task = keyof typeof TASKS;

/** Longest wait for the workers of one product, boot included, before giving up (ms). */
const WORKER_TIMEOUT = 60_000;

/**
 * The worker's whole program: a function of its start data (platform.ts delivers it, as
 * workerData in Node or as the first message in a browser). It checks in on READY once its
 * module is instantiated; a worker that cannot start flags BROKEN instead and still checks in
 * for every task (without taking work), so the main thread never waits on it in vain.
 */
const WORKER_PROGRAM = `(data) => {
  const { module, memory, controlAddress, descriptorAddress, generation, epoch } = data;
  const words = new Int32Array(memory.buffer, controlAddress, ${CONTROL_WORDS});
  let runTask = null;
  try {
    runTask = new WebAssembly.Instance(module, { env: { memory } }).exports.runTask;
    // A worker of a pool already stopped must not count towards its successor's readiness.
    if (Atomics.load(words, ${EPOCH}) === epoch) Atomics.add(words, ${READY}, 1);
  } catch {
    Atomics.store(words, ${BROKEN}, 1);
  }
  let seen = generation;
  for (;;) {
    // Poll for a while (see SPIN), then sleep; a notify that leaves GENERATION alone is an alert.
    const until = performance.now() + Atomics.load(words, ${SPIN}) / 1000;
    while (Atomics.load(words, ${GENERATION}) === seen && performance.now() < until);
    if (Atomics.load(words, ${GENERATION}) === seen) {
      Atomics.wait(words, ${GENERATION}, seen);
      if (Atomics.load(words, ${GENERATION}) === seen) continue;
    }
    seen = Atomics.load(words, ${GENERATION});
    if (Atomics.load(words, ${EPOCH}) !== epoch) break;
    Atomics.add(words, ${STARTED}, 1);
    if (runTask) {
      try {
        runTask(Atomics.load(words, ${TASK}), descriptorAddress);
      } catch (error) {
        Atomics.store(words, ${FAILED}, 1);
        console.error('@nn wasm kernels: a worker thread failed in a task; it runs again on the calling thread, and later tasks stay there:', error);
      }
    }
    if (Atomics.sub(words, ${PENDING}, 1) === 1) Atomics.notify(words, ${PENDING});
  }
}`;

/** @internal Exported for its tests. */
export class WorkerPool {
  private readonly words: Int32Array;

  constructor(
    private readonly kernels: WasmKernels,
    private readonly workers: PoolWorker[],
  ) {
    this.words = new Int32Array(kernels.memory.buffer, CONTROL_ADDRESS, CONTROL_WORDS);
  }

  /** Starts `count` workers, or returns null if the platform has no threads. */
  static start(kernels: WasmKernels, count: number): WorkerPool | null {
    const words = new Int32Array(kernels.memory.buffer, CONTROL_ADDRESS, CONTROL_WORDS);
    Atomics.store(words, SPIN, spinMicroseconds);
    Atomics.store(words, BROKEN, 0);
    Atomics.store(words, READY, 0);
    const data = {
      module: kernels.module,
      memory: kernels.memory,
      controlAddress: CONTROL_ADDRESS,
      descriptorAddress: DESCRIPTOR_ADDRESS,
      generation: Atomics.load(words, GENERATION),
      epoch: Atomics.load(words, EPOCH),
    };
    const workers: PoolWorker[] = [];
    for (let i = 0; i < count; i++) {
      const worker = spawnWorker(WORKER_PROGRAM, data);
      if (!worker) break;
      workers.push(worker);
    }
    if (workers.length < count) {
      for (const worker of workers) worker.terminate();
      return null;
    }
    return new WorkerPool(kernels, workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Whether every worker has started. A browser starts workers only once the main thread returns
   * to its event loop, so a task never waits for workers that have not checked in: until they
   * have, tasks run on the calling thread alone.
   */
  get ready(): boolean {
    return this.readyCount === this.workers.length;
  }

  get readyCount(): number {
    return Atomics.load(this.words, READY);
  }

  /**
   * Runs `task` on DESCRIPTOR_ADDRESS on this thread and every worker; returns when all are done:
   * true, or false if a worker's part threw (its work may be incomplete).
   */
  run(task: Task): boolean {
    const words = this.words;
    Atomics.store(words, FAILED, 0);
    Atomics.store(words, STARTED, 0);
    Atomics.store(words, TASK, TASKS[task]);
    Atomics.store(words, PENDING, this.workers.length);
    Atomics.add(words, GENERATION, 1);
    Atomics.notify(words, GENERATION);
    this.kernels.exports.runTask(TASKS[task], DESCRIPTOR_ADDRESS);
    const deadline = Date.now() + WORKER_TIMEOUT;
    const spinUntil = performance.now() + CALLER_SPIN_MS;
    const block = canBlock();
    for (let pending = Atomics.load(words, PENDING); pending !== 0; pending = Atomics.load(words, PENDING)) {
      if (Date.now() > deadline) {
        // A worker still running may yet write into the task's memory: no result can be trusted.
        const started = `${Atomics.load(words, STARTED)} of ${this.workers.length} workers had started it, ${pending} had not finished`;
        throw new Error(
          `wasm kernels: a worker thread did not finish a ${task} task within ${WORKER_TIMEOUT / 1000} s (${started}); try setThreads(1) (NN_THREADS=1)`,
        );
      }
      // The workers are finishing their last pieces of this task: spinning where blocking is not allowed costs little.
      if (block && performance.now() > spinUntil) Atomics.wait(words, PENDING, pending, WORKER_TIMEOUT);
    }
    return Atomics.load(words, FAILED) === 0;
  }

  /** Wakes sleeping workers ahead of a task, so that they are polling by the time it starts. */
  alert(): void {
    Atomics.notify(this.words, GENERATION);
  }

  /** True when a worker could not start (it took no work, so results are still complete). */
  get broken(): boolean {
    return Atomics.load(this.words, BROKEN) !== 0;
  }

  stop(): void {
    Atomics.add(this.words, EPOCH, 1);
    Atomics.notify(this.words, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}

/**
 * The most threads setThreads takes. Each worker holds its own WebAssembly instance and stack
 * (1,000 threads took 31 s and 5.7 GB to start), and past the core count more threads only
 * slow a product down; 64 is more cores than the machines this runs on have.
 */
export const MAX_THREADS = 64;

function threadsFromEnvironment(): number {
  const value = environmentVariable('NN_THREADS');
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed >= 1
    ? Math.min(parsed, MAX_THREADS)
    : Math.min(threadCountHint(), MAX_THREADS);
}

let threads = threadsFromEnvironment();
let pool: WorkerPool | null = null;
/** Set when workers could not be started here, so each product does not try again. */
let unavailable = false;

/**
 * Sets how many threads (the calling one included) large float32 products on the wasm
 * backend use: an integer from 1 to 64 (MAX_THREADS; anything else is a ValueError). Defaults to
 * `NN_THREADS` or the number of cores. Workers start lazily, on the first product big enough to
 * share, and never keep the process alive.
 *
 * @example
 * setThreads(1); // single-threaded: no workers are started
 */
export function setThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_THREADS) {
    throw new ValueError(
      `setThreads: expected an integer from 1 to ${MAX_THREADS}, got ${String(count)} (this machine has ${threadCountHint()} cores)`,
    );
  }
  threads = count;
  if (pool && pool.size !== count - 1) {
    pool.stop();
    pool = null;
  }
}

/**
 * The worker pool's state: the thread count set, the workers started (threads − 1 once a task
 * big enough to share has run) and how many of them are ready. In a browser workers become ready
 * only after the main thread has returned to its event loop; tasks run on the calling thread
 * until then. `unavailable` says why more than one thread was asked for but only one runs (a
 * page without cross-origin isolation, no workers, a worker that failed); absent otherwise.
 *
 * @example
 * threadPoolStatus(); // { threads: 2, workers: 1, ready: 1 } after a large product
 */
export function threadPoolStatus(): { threads: number; workers: number; ready: number; unavailable?: string } {
  const status = pool ? { threads, workers: pool.size, ready: pool.readyCount } : { threads, workers: 0, ready: 0 };
  if (threads <= 1 || pool) return status;
  const reason =
    threadsUnavailableReason() ??
    (unavailable
      ? 'a worker thread failed to start or to finish its part of a task, so tasks run on one thread'
      : null);
  return reason ? { ...status, unavailable: reason } : status;
}

/** The thread count large products use (see setThreads). */
export function getThreads(): number {
  return threads;
}

let spinMicroseconds = DEFAULT_SPIN_MICROSECONDS;

/**
 * @internal How long (µs) workers poll for the next task before they sleep (default 300; 0
 * makes them sleep at once). For measuring what spinning buys.
 */
export function setWorkerSpin(microseconds: number): void {
  // NaN would reach the workers' Atomics as 0 and a string as NaN: say so instead.
  if (typeof microseconds !== 'number' || !(microseconds >= 0) || microseconds === Infinity) {
    throw new ValueError(`setWorkerSpin: expected a finite number of microseconds >= 0, got ${String(microseconds)}`);
  }
  spinMicroseconds = Math.max(0, Math.round(microseconds));
  if (pool)
    Atomics.store(new Int32Array(wasmKernels().memory.buffer, CONTROL_ADDRESS, CONTROL_WORDS), SPIN, spinMicroseconds);
}

/**
 * Tells running workers that a task worth sharing is coming (call it before the task's own
 * copying and packing), so that the wake-up overlaps that work.
 */
export function alertWorkers(): void {
  if (pool?.ready) pool.alert();
}

/**
 * Runs `task` on every thread (see setThreads) when `parallel`, else on this one, after
 * `describe` has written its descriptor at DESCRIPTOR_ADDRESS. Falls back to this thread alone
 * where workers cannot start; if a worker's part of the task throws, the pool is given up and the
 * task runs again here from a fresh descriptor (every task writes all of its results, so the
 * rerun replaces whatever the failed part left).
 */
export function runTask(task: Task, parallel: boolean, describe: () => void): void {
  const kernels = wasmKernels();
  describe();
  if (!parallel || threads <= 1 || unavailable) return runHere(kernels, task);
  pool ??= WorkerPool.start(kernels, threads - 1);
  if (!pool) {
    unavailable = true;
    return runHere(kernels, task);
  }
  if (!pool.ready && !pool.broken) return runHere(kernels, task);
  const completed = pool.run(task);
  if (completed && !pool.broken) return;
  pool.stop();
  pool = null;
  unavailable = true;
  if (!completed) {
    describe();
    runHere(kernels, task);
  }
}

/**
 * The task on the calling thread alone. (A module function rather than a closure in runTask:
 * the sources run under tsx, whose keep-names transform renames every closure as it is created,
 * a cost on each of the small products a training step makes.)
 */
function runHere(kernels: WasmKernels, task: Task): void {
  kernels.exports.runTask(TASKS[task], DESCRIPTOR_ADDRESS);
}

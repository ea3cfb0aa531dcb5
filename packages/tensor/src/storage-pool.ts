/**
 * Recycled storage for large tensors.
 *
 * A fresh multi-megabyte typed array is expensive on Linux: the allocator maps new pages and the
 * first write to each 4 KiB page faults (≈ 3.5 ms for a 7 MB activation of SimpleConvNet, against
 * 0.2 ms to zero a buffer already mapped). Tensors stay garbage-collected, so storage can only be
 * reused where it is known to be dead. One place knows that for certain: a backward pass. Every
 * gradient it allocates and does not hand out (as a leaf's or retained `grad`, or a result of
 * `gradients`) is scratch the moment the pass ends. The engine records what a pass allocates and
 * gives the unreferenced buffers back here; `allocate` takes from this pool before asking the
 * system for memory, so the next step's activations and gradients reuse the same pages.
 *
 * Records nest: allocations go to the innermost one only, so a pass run inside a node's backward
 * never hands an outer pass buffers it did not allocate. The pool keeps at most
 * `capacityBytes`; when full it forgets the sizes recycled longest ago.
 */
import { ValueError } from './errors.js';

/** Buffers below this size are cheap to allocate fresh (no page mapping): not pooled. */
const MIN_POOLED_BYTES = 256 * 1024;
const DEFAULT_CAPACITY_BYTES = 256 * 1024 * 1024;

type StorageConstructor =
  Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** Free buffers by byte length; Map order = least recently recycled size first. */
const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
let capacityBytes = DEFAULT_CAPACITY_BYTES;
let enabled = typeof process === 'undefined' || process.env?.NN_RECYCLE !== '0';
/** Open records, innermost last; null marks a scope whose allocations must not be recycled. */
const records: (Set<ArrayBuffer> | null)[] = [];

/**
 * Storage for `size` elements: a pooled buffer of the same byte length if there is one (dtype.ts's
 * allocate). Zero-filled unless `zeroed` is false, which leaves a pooled buffer's old values for a
 * caller about to overwrite every element (a kernel's output; zeroing SimpleConvNet's three 7 MB
 * outputs cost about 1 ms a step).
 */
export function allocateStorage<C extends StorageConstructor>(
  constructor: C,
  size: number,
  zeroed = true,
): InstanceType<C> {
  const bytes = size * constructor.BYTES_PER_ELEMENT;
  if (bytes < MIN_POOLED_BYTES) return new constructor(size) as InstanceType<C>;
  const reused = takeBuffer(bytes);
  const storage = (
    reused === undefined
      ? new constructor(size)
      : zeroed
        ? new constructor(reused, 0, size).fill(0)
        : new constructor(reused, 0, size)
  ) as InstanceType<C>;
  const record = records.length > 0 ? records[records.length - 1] : null;
  record?.add(storage.buffer as ArrayBuffer);
  return storage;
}

function takeBuffer(bytes: number): ArrayBuffer | undefined {
  const list = free.get(bytes);
  if (list === undefined) return undefined;
  const buffer = list.pop()!;
  if (list.length === 0) free.delete(bytes);
  pooledBytes -= bytes;
  return buffer;
}

/**
 * Runs `body` and returns its value with the large buffers allocated while it ran (null when
 * `recyclable` is false or recycling is off: such a scope also hides its allocations from the
 * records around it). The caller decides which of them are dead and hands those to recycleStorage.
 *
 * @example
 * const { value, allocated } = recordStorage(true, () => zeros([1000, 1000]));
 * allocated; // Set { value.data.buffer }
 */
export function recordStorage<T>(recyclable: boolean, body: () => T): { value: T; allocated: Set<ArrayBuffer> | null } {
  const record = recyclable && enabled ? new Set<ArrayBuffer>() : null;
  records.push(record);
  try {
    return { value: body(), allocated: record };
  } finally {
    records.pop();
  }
}

/**
 * Gives `buffers` back to the pool. The caller guarantees that nothing reads or writes them
 * again: no tensor that will be used still views them.
 *
 * @example
 * const { allocated } = recordStorage(true, () => scratchWork());
 * recycleStorage(allocated!); // the next zeros() of the same byte length reuses them
 */
export function recycleStorage(buffers: Iterable<ArrayBuffer>): void {
  if (!enabled) return;
  for (const buffer of buffers) {
    const bytes = buffer.byteLength;
    if (bytes < MIN_POOLED_BYTES || bytes > capacityBytes) continue;
    while (pooledBytes + bytes > capacityBytes) evictOldestSize();
    const list = free.get(bytes) ?? [];
    free.delete(bytes); // re-insert: this size becomes the most recently recycled
    list.push(buffer);
    free.set(bytes, list);
    pooledBytes += bytes;
  }
}

function evictOldestSize(): void {
  const [bytes, list] = free.entries().next().value as [number, ArrayBuffer[]];
  list.shift();
  pooledBytes -= bytes;
  if (list.length === 0) free.delete(bytes);
}

/**
 * Turns recycling of backward-pass storage on or off (default on; `NN_RECYCLE=0` starts it off).
 * Turning it off empties the pool. Recycling changes no result, only where the memory comes from.
 *
 * @example
 * setStorageRecycling(false); // every tensor gets fresh memory, as before
 */
export function setStorageRecycling(on: boolean): void {
  enabled = on;
  if (!on) clearStoragePool();
}

/**
 * Sets the most memory the pool may hold (bytes; default 256 MiB), evicting what no longer fits.
 *
 * @example
 * setStoragePoolCapacity(64 * 2 ** 20); // at most 64 MiB of recycled buffers
 */
export function setStoragePoolCapacity(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new ValueError(`setStoragePoolCapacity: bytes must be a finite number ≥ 0, got ${bytes}`);
  capacityBytes = bytes;
  while (pooledBytes > capacityBytes) evictOldestSize();
}

/**
 * Drops every pooled buffer (the garbage collector frees them).
 *
 * @example
 * clearStoragePool(); // storagePoolStatus().bytes === 0
 */
export function clearStoragePool(): void {
  free.clear();
  pooledBytes = 0;
}

/**
 * What the pool holds now.
 *
 * @example
 * storagePoolStatus(); // { enabled: true, buffers: 3, bytes: 15552000, capacityBytes: 268435456 }
 */
export function storagePoolStatus(): { enabled: boolean; buffers: number; bytes: number; capacityBytes: number } {
  let buffers = 0;
  for (const list of free.values()) buffers += list.length;
  return { enabled, buffers, bytes: pooledBytes, capacityBytes };
}

// ---- storage versions (autograd's in-place checks) -------------------------------------------------
// PyTorch's version counters, as a clock: every in-place write the library makes, and every
// `Tensor.markModified()`, stamps the storage's ArrayBuffer (shared by all its views) with the next
// tick. A graph node notes the clock when it is recorded; backward compares. Fresh tensors are
// never stamped, so the common path (nothing written in place) costs one comparison per node.

let writeClock = 0;
const lastWrite = new WeakMap<ArrayBufferLike, number>();

/** Stamps `storage` (and every view of its buffer) as written now; returns the new clock. */
export function markStorageModified(storage: { readonly buffer: ArrayBufferLike }): number {
  lastWrite.set(storage.buffer, ++writeClock);
  return writeClock;
}

/** The clock now: it moves only when some storage is written in place. */
export function storageWriteClock(): number {
  return writeClock;
}

/** The clock at the last in-place write to `storage` (0 if never written in place). */
export function storageModifiedAt(storage: { readonly buffer: ArrayBufferLike }): number {
  return lastWrite.get(storage.buffer) ?? 0;
}

/** Advances the clock without stamping storage (a Variable whose `data` was replaced). */
export function tickWriteClock(): number {
  return ++writeClock;
}

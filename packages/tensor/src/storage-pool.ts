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
 * Recording nests: allocations go to the innermost record only, so a pass run inside a node's
 * backward never hands an outer pass buffers it did not allocate. The pool keeps at most
 * `capacityBytes`; when full it forgets the sizes recycled longest ago.
 */

/** Buffers below this size are cheap to allocate fresh (no page mapping): not pooled. */
const MIN_POOLED_BYTES = 256 * 1024;
const DEFAULT_CAPACITY_BYTES = 256 * 1024 * 1024;

type StorageConstructor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** Free buffers by byte length; Map order = least recently recycled size first. */
const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
let capacityBytes = DEFAULT_CAPACITY_BYTES;
let enabled = typeof process === 'undefined' || process.env?.NN_RECYCLE !== '0';
/** Open records, innermost last; null marks a scope whose allocations must not be recycled. */
const records: (Set<ArrayBuffer> | null)[] = [];

/** Zero-filled storage for `size` elements: a pooled buffer of the same byte length if there is one. */
export function allocateStorage<C extends StorageConstructor>(constructor: C, size: number): InstanceType<C> {
  const bytes = size * constructor.BYTES_PER_ELEMENT;
  if (bytes < MIN_POOLED_BYTES) return new constructor(size) as InstanceType<C>;
  const reused = takeBuffer(bytes);
  const storage = (reused === undefined ? new constructor(size) : new constructor(reused, 0, size).fill(0)) as InstanceType<C>;
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
 * Opens a record of the large storage allocated from now until `endStorageRecord`. With
 * `recyclable` false the scope records nothing (and hides its allocations from outer records).
 */
export function beginStorageRecord(recyclable: boolean): void {
  records.push(recyclable && enabled ? new Set() : null);
}

/** Closes the innermost record; returns the buffers allocated in it (null if it recorded nothing). */
export function endStorageRecord(): Set<ArrayBuffer> | null {
  return records.pop() ?? null;
}

/**
 * Gives `buffers` back to the pool. The caller guarantees that nothing reads or writes them
 * again: no tensor that will be used still views them.
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

/** Sets the most memory the pool may hold (bytes; default 256 MiB), evicting what no longer fits. */
export function setStoragePoolCapacity(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`setStoragePoolCapacity: bytes must be a finite number ≥ 0, got ${bytes}`);
  capacityBytes = bytes;
  while (pooledBytes > capacityBytes) evictOldestSize();
}

/** Drops every pooled buffer (the garbage collector frees them). */
export function clearStoragePool(): void {
  free.clear();
  pooledBytes = 0;
}

/** What the pool holds now. */
export function storagePoolStatus(): { enabled: boolean; buffers: number; bytes: number; capacityBytes: number } {
  let buffers = 0;
  for (const list of free.values()) buffers += list.length;
  return { enabled, buffers, bytes: pooledBytes, capacityBytes };
}

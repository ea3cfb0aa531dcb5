import { DTypeError, ValueError, formatShape } from './errors.js';
import { allocateStorage } from './storage-pool.js';

/** The element types a Tensor can hold. `bool` is stored as 0/1 bytes. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

export type FloatDType = 'float32' | 'float64';

/** The typed array behind each dtype. */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

export type Storage = StorageOf[DType];
export type FloatStorage = Float32Array | Float64Array;

const constructors = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** Throws a DTypeError unless `dtype` is one of ours; `op` names the caller in the message. */
export function checkDType(op: string, dtype: unknown): DType {
  if (typeof dtype === 'string' && dtype in constructors) return dtype as DType;
  throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`);
}

// ---- the size ceiling ------------------------------------------------------------------------

/**
 * 4 GiB: past this a typo (`zeros([1e6, 1e6])`) or a runaway broadcast would stall the process for
 * a minute and take the machine's memory (`zeros([2 ** 31])` took 89 s and 8.6 GB) before the
 * engine's own RangeError, which names neither the op nor the shape.
 */
const DEFAULT_MAX_TENSOR_BYTES = 4 * 1024 ** 3;
let maxTensorBytes = DEFAULT_MAX_TENSOR_BYTES;

/**
 * Sets the largest storage one tensor may ask for, in bytes (default 4 GiB); creating a larger one
 * is a ValueError naming the op, the shape and the bytes asked, thrown before any memory is taken.
 * `Infinity` lifts the ceiling (the JavaScript engine's own limit then applies).
 *
 * @example
 * setMaxTensorBytes(16 * 1024 ** 3); // allow tensors up to 16 GiB
 * setMaxTensorBytes(1024 ** 2);      // zeros([1024, 1024]) (4 MiB of float32) now throws
 */
export function setMaxTensorBytes(bytes: number): void {
  if (typeof bytes !== 'number' || !(bytes >= 0) || (!Number.isInteger(bytes) && bytes !== Infinity)) {
    throw new ValueError(`setMaxTensorBytes: expected a non-negative integer or Infinity, got ${String(bytes)}`);
  }
  maxTensorBytes = bytes;
}

/** The ceiling `setMaxTensorBytes` set (default 4 GiB = 4294967296 bytes). @example getMaxTensorBytes() // 4294967296 */
export function getMaxTensorBytes(): number {
  return maxTensorBytes;
}

/** Bytes in a human unit, for messages: 4 GiB, 3.6 TiB, 512 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/**
 * Throws a ValueError, before anything is allocated, when a `dtype` tensor of `shape` would pass
 * the ceiling of setMaxTensorBytes: `zeros: a float32 tensor of shape (1000000,1000000) needs
 * 4000000000000 bytes (3.64 TiB), over the limit of 4 GiB (setMaxTensorBytes)`.
 */
export function checkTensorBytes(op: string, shape: readonly number[], dtype: DType): void {
  let size = 1;
  for (const dim of shape) size *= dim;
  const bytes = size * constructors[dtype].BYTES_PER_ELEMENT;
  if (bytes > maxTensorBytes) throw tooLarge(op, formatShape(shape), dtype, bytes);
}

function tooLarge(op: string, what: string, dtype: DType, bytes: number): ValueError {
  return new ValueError(
    `${op}: a ${dtype} tensor of shape ${what} needs ${bytes} bytes (${formatBytes(bytes)}), over the limit of ${formatBytes(maxTensorBytes)}; raise it with setMaxTensorBytes(bytes) if this size is meant`,
  );
}

/**
 * Every storage goes through here: ops with a shape at hand call checkTensorBytes first (their
 * message names the op and the shape); this is the backstop for any path that does not.
 */
function checkSize(dtype: DType, size: number): void {
  if (size * constructors[dtype].BYTES_PER_ELEMENT > maxTensorBytes)
    throw tooLarge('allocate', `(${size})`, dtype, size * constructors[dtype].BYTES_PER_ELEMENT);
}

/** Allocates zero-filled storage for `size` elements of `dtype` (large ones from the recycled pool when it can). */
export function allocate<D extends DType>(dtype: D, size: number): StorageOf[D] {
  checkSize(dtype, size);
  return allocateStorage(constructors[dtype], size) as StorageOf[D];
}

/**
 * Storage for `size` elements of `dtype` that the caller overwrites in full before anyone reads
 * it: a recycled buffer keeps its old values instead of being zeroed (fresh memory is zero anyway).
 */
export function allocateForOutput<D extends DType>(dtype: D, size: number): StorageOf[D] {
  checkSize(dtype, size);
  return allocateStorage(constructors[dtype], size, false) as StorageOf[D];
}

/** The dtype whose storage is this typed array. */
export function dtypeOfStorage(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  throw new DTypeError(
    `tensor: unsupported typed array ${data.constructor.name}; use Float32Array, Float64Array, Int32Array or Uint8Array (bool)`,
  );
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The smallest dtype that holds both (bool < int32 < float32 < float64), as NumPy and PyTorch promote. */
export function promoteTypes(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The dtype a plain number takes when it meets a tensor of `dtype`. Numbers are "weak" (PyTorch's
 * rule): `x.mul(2)` keeps x's dtype, but a fractional number turns an integer tensor into float32.
 */
export function dtypeWithScalar(dtype: DType, value: number): DType {
  if (isFloat(dtype)) return dtype;
  if (Number.isInteger(value)) return dtype === 'bool' && value !== 0 && value !== 1 ? 'int32' : dtype;
  return 'float32';
}

/** The float dtype a math function (exp, sqrt, mean, ...) returns for an input of `dtype`. */
export function floatResultType(dtype: DType): FloatDType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

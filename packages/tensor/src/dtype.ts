import { DTypeError } from './errors.js';
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

/** Allocates zero-filled storage for `size` elements of `dtype` (large ones from the recycled pool when it can). */
export function allocate<D extends DType>(dtype: D, size: number): StorageOf[D] {
  return allocateStorage(constructors[dtype], size) as StorageOf[D];
}

/**
 * Storage for `size` elements of `dtype` that the caller overwrites in full before anyone reads
 * it: a recycled buffer keeps its old values instead of being zeroed (fresh memory is zero anyway).
 */
export function allocateForOutput<D extends DType>(dtype: D, size: number): StorageOf[D] {
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

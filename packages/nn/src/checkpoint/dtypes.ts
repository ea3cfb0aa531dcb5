/**
 * The safetensors dtypes this reader understands and how each becomes one of our four dtypes.
 * F32, F64, I32 and BOOL map one to one (and are all the writer produces); the rest are converted
 * by rules that never lose information silently:
 *
 * - F16 and BF16 become float32, exactly (every half and bfloat16 value, NaN payloads included,
 *   is a float32 value).
 * - U8, I8, U16 and I16 become int32, exactly.
 * - U32, I64 and U64 become int32 when every value fits in int32; a value that does not is a
 *   CheckpointError naming the tensor, the element and the value.
 * - BOOL bytes other than 0 read as true (1), the rule `tensor()` applies to a Uint8Array.
 *
 * FP8, FP6, FP4 and complex dtypes are rejected with a CheckpointError naming the tensor and dtype.
 */
import type { DType, Storage } from '@nn/tensor';
import { CheckpointError } from './errors.js';

/** A dtype name as it appears in a safetensors header. */
export type FileDType =
  'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

interface FileDTypeInfo {
  /** Bytes per element in the file. */
  readonly itemsize: number;
  /** Our dtype it is read as. */
  readonly dtype: DType;
}

// A Map, not an object literal, so that a header dtype like "toString" or "__proto__" is simply unknown.
export const FILE_DTYPES: ReadonlyMap<string, FileDTypeInfo> = new Map<FileDType, FileDTypeInfo>([
  ['BOOL', { itemsize: 1, dtype: 'bool' }],
  ['U8', { itemsize: 1, dtype: 'int32' }],
  ['I8', { itemsize: 1, dtype: 'int32' }],
  ['U16', { itemsize: 2, dtype: 'int32' }],
  ['I16', { itemsize: 2, dtype: 'int32' }],
  ['F16', { itemsize: 2, dtype: 'float32' }],
  ['BF16', { itemsize: 2, dtype: 'float32' }],
  ['I32', { itemsize: 4, dtype: 'int32' }],
  ['U32', { itemsize: 4, dtype: 'int32' }],
  ['F32', { itemsize: 4, dtype: 'float32' }],
  ['F64', { itemsize: 8, dtype: 'float64' }],
  ['I64', { itemsize: 8, dtype: 'int32' }],
  ['U64', { itemsize: 8, dtype: 'int32' }],
]);

/** Dtypes of the safetensors specification that this reader deliberately does not convert. */
export const UNSUPPORTED_FILE_DTYPES: ReadonlySet<string> = new Set([
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
  'C64',
]);

/** The safetensors name we write for each of our dtypes. */
export const WRITE_DTYPES: Readonly<Record<DType, 'F32' | 'F64' | 'I32' | 'BOOL'>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

/**
 * Order of tensors in the data section: the reference implementation sorts by its dtype enum,
 * descending (so wider types come first and every tensor starts aligned to its item size), then
 * by name.
 */
export const WRITE_ORDER: Readonly<Record<DType, number>> = { float64: 3, float32: 2, int32: 1, bool: 0 };

/** True on little-endian hosts (all current ones); checked once. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `source` (little-endian elements of `itemsize` bytes) into `target`, which views the
 * host-order storage of a typed array. Copying bytes, not numbers, keeps NaN payloads intact.
 */
export function copyLittleEndian(source: Uint8Array, target: Uint8Array, itemsize: number): void {
  if (LITTLE_ENDIAN_HOST || itemsize === 1) {
    target.set(source);
    return;
  }
  for (let i = 0; i < source.length; i += itemsize) {
    for (let k = 0; k < itemsize; k++) target[i + k] = source[i + itemsize - 1 - k];
  }
}

/**
 * Reads `count` elements of `fileDType` starting at byte `begin` of `bytes` into fresh storage.
 * The caller has already checked that the bytes exist (`begin + count·itemsize ≤ bytes.length`),
 * so the allocation here is bounded by the input: at most 4× for widening conversions (U8 → int32).
 */
export function readStorage(
  bytes: Uint8Array,
  begin: number,
  count: number,
  fileDType: FileDType,
  describe: () => string,
): Storage {
  const info = FILE_DTYPES.get(fileDType)!;
  const source = bytes.subarray(begin, begin + count * info.itemsize);
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  switch (fileDType) {
    case 'F32':
    case 'F64':
    case 'I32': {
      const out =
        fileDType === 'F32'
          ? new Float32Array(count)
          : fileDType === 'F64'
            ? new Float64Array(count)
            : new Int32Array(count);
      copyLittleEndian(source, new Uint8Array(out.buffer), info.itemsize);
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = source[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(count);
      // Build the float32 bit patterns directly so NaN payloads and -0 survive exactly.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) {
        const h = view.getUint16(2 * i, true);
        bits[i] = fileDType === 'BF16' ? h << 16 : halfToFloatBits(h);
      }
      return out;
    }
    default:
      return readIntegers(view, count, fileDType, describe);
  }
}

function readIntegers(view: DataView, count: number, fileDType: FileDType, describe: () => string): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let value: number;
    let fits = true;
    switch (fileDType) {
      case 'U8':
        value = view.getUint8(i);
        break;
      case 'I8':
        value = view.getInt8(i);
        break;
      case 'U16':
        value = view.getUint16(2 * i, true);
        break;
      case 'I16':
        value = view.getInt16(2 * i, true);
        break;
      case 'U32':
        value = view.getUint32(4 * i, true);
        fits = value <= 0x7fffffff;
        break;
      case 'I64': {
        // Read as two 32-bit halves: cheaper than BigInt, and exact for the range test.
        const low = view.getUint32(8 * i, true);
        const high = view.getInt32(8 * i + 4, true);
        fits = (high === 0 && low <= 0x7fffffff) || (high === -1 && low >= 0x80000000);
        value = fits ? low | 0 : Number(view.getBigInt64(8 * i, true));
        break;
      }
      case 'U64': {
        const low = view.getUint32(8 * i, true);
        const high = view.getUint32(8 * i + 4, true);
        fits = high === 0 && low <= 0x7fffffff;
        value = fits ? low : Number(view.getBigUint64(8 * i, true));
        break;
      }
      default:
        throw new Error(`unreachable: ${fileDType}`);
    }
    if (!fits) {
      const exact =
        fileDType === 'I64'
          ? view.getBigInt64(8 * i, true)
          : fileDType === 'U64'
            ? view.getBigUint64(8 * i, true)
            : value;
      throw new CheckpointError(
        `${describe()}: ${fileDType} value ${exact} at flat index ${i} does not fit in int32 (the dtype ${fileDType} is read as)`,
      );
    }
    out[i] = value;
  }
  return out;
}

/** IEEE 754 binary16 bits → binary32 bits, exactly (subnormals normalised, NaN payloads kept). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent === 0) {
    if (mantissa === 0) return sign >>> 0;
    // Subnormal half: shift the mantissa up until its leading 1 is the implicit bit.
    let e = -14;
    while ((mantissa & 0x400) === 0) {
      mantissa <<= 1;
      e--;
    }
    return (sign | ((e + 127) << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
}

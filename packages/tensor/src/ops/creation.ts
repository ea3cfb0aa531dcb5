import { type DType, allocate, checkDType, checkTensorBytes, dtypeOfStorage } from '../dtype.js';
import { DTypeError, ShapeError, ValueError, describeValue, formatShape } from '../errors.js';
import { checkShape, shapeSize } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import type { ShapeOf } from '../shape-types.js';

/** Nested arrays of numbers or booleans, as `tensor()` accepts them. */
export type NestedInput = number | boolean | readonly NestedInput[];

export interface CreationOptions {
  /** Element type; default float32 for numbers, bool for booleans, the array's own type for typed arrays. */
  dtype?: DType;
}

export interface TensorOptions extends CreationOptions {
  /** Shape to give a flat typed array or list (its size must match). */
  shape?: readonly number[];
}

type TypedInput = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Creates a tensor from a number, nested arrays, a typed array (copied) or another tensor (copied).
 * Ragged nesting is a ShapeError that names where the rows differ. Into int32, numbers truncate
 * toward zero as `astype` does (NumPy's `np.array([1.5], dtype=np.int32)` gives 1 too), but a
 * value int32 cannot hold (NaN, ±Infinity, beyond ±2^31) is a ValueError, as in NumPy, instead of
 * wrapping to another number.
 *
 * @example
 * tensor([[1, 2], [3, 4]]);                       // float32 (2,2)
 * tensor([1, 2, 3], { dtype: 'int32' });
 * tensor(new Float64Array(6), { shape: [2, 3] });
 */
export function tensor(values: NestedInput | TypedInput | Tensor, options: TensorOptions = {}): Tensor {
  if (values instanceof Tensor) return fromTyped(values.toTypedArray(), options.shape ?? values.shape, options.dtype);
  if (ArrayBuffer.isView(values)) {
    const data = values as TypedInput;
    return fromTyped(data, options.shape ?? [data.length], options.dtype);
  }
  const shape = nestedShape(values);
  const dtype = options.dtype ? checkDType('tensor', options.dtype) : inferDType(values);
  checkTensorBytes('tensor', shape, dtype);
  const data = allocate(dtype, shapeSize(shape));
  fillNested(values, data, dtype, shape);
  return reshapeTo(new Tensor(data, shape), options.shape);
}

function fromTyped(source: TypedInput, shape: readonly number[], dtype: DType | undefined): Tensor {
  const target = checkShape('tensor', shape);
  if (shapeSize(target) !== source.length) {
    throw new ShapeError(
      `tensor: ${source.length} values cannot take shape ${formatShape(target)} (${shapeSize(target)} elements)`,
    );
  }
  const own = dtypeOfStorage(source);
  if (dtype === 'int32' && (own === 'float32' || own === 'float64')) checkInt32('tensor', source);
  const copy = new Tensor(source.slice() as TypedInput, target);
  // A Uint8Array may hold any byte; a bool tensor must hold only 0 and 1.
  if (own === 'bool') copy.data.forEach((v, i, data) => (data[i] = v !== 0 ? 1 : 0));
  return dtype && dtype !== own ? copy.astype(checkDType('tensor', dtype)) : copy;
}

function reshapeTo(t: Tensor, shape: readonly number[] | undefined): Tensor {
  if (!shape) return t;
  const target = checkShape('tensor', shape);
  if (shapeSize(target) !== t.size) {
    throw new ShapeError(
      `tensor: ${t.size} values cannot take shape ${formatShape(target)} (${shapeSize(target)} elements)`,
    );
  }
  return new Tensor(t.data, target);
}

/** Shape of nested arrays, checking that every row at a depth has the same length. */
function nestedShape(values: NestedInput): number[] {
  const shape: number[] = [];
  let level: NestedInput = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  checkRagged(values, shape, 0, []);
  return shape;
}

function checkRagged(values: NestedInput, shape: number[], depth: number, path: number[]): void {
  const where = path.length ? ` at index [${path.join('][')}]` : '';
  if (depth === shape.length) {
    if (Array.isArray(values))
      throw new ShapeError(
        `tensor: ragged nested array${where}: expected a number, got an array of length ${values.length}`,
      );
    if (typeof values !== 'number' && typeof values !== 'boolean') {
      throw new DTypeError(
        `tensor: element${where} is ${values === undefined || values === null ? String(values) : `${typeof values} ${JSON.stringify(values)}`}; expected a number or boolean`,
      );
    }
    return;
  }
  if (!Array.isArray(values))
    throw new ShapeError(
      `tensor: ragged nested array${where}: expected an array of length ${shape[depth]}, got a ${typeof values}`,
    );
  if (values.length !== shape[depth]) {
    throw new ShapeError(`tensor: ragged nested array${where}: expected length ${shape[depth]}, got ${values.length}`);
  }
  values.forEach((v, i) => checkRagged(v, shape, depth + 1, [...path, i]));
}

function inferDType(values: NestedInput): DType {
  let level: NestedInput = values;
  while (Array.isArray(level) && level.length > 0) level = level[0];
  return typeof level === 'boolean' ? 'bool' : 'float32';
}

function fillNested(values: NestedInput, data: ReturnType<typeof allocate>, dtype: DType, shape: number[]): void {
  let i = 0;
  const toBool = dtype === 'bool';
  const toInt = dtype === 'int32';
  const visit = (v: NestedInput): void => {
    if (Array.isArray(v)) for (const item of v) visit(item);
    else {
      const value = Number(v);
      if (toInt && !fitsInt32(value))
        throw int32Range('tensor', value, shape.length ? ` at index ${flatPosition(i, shape)}` : '');
      data[i++] = toBool ? (value !== 0 ? 1 : 0) : value;
    }
  };
  visit(values);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** True when int32 storage keeps `value` (after truncation toward zero) instead of wrapping it. */
function fitsInt32(value: number): boolean {
  return Number.isFinite(value) && Math.trunc(value) >= INT32_MIN && Math.trunc(value) <= INT32_MAX;
}

/** Throws int32Range for the first of `values` that int32 cannot hold. */
function checkInt32(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!fitsInt32(values[i])) throw int32Range(op, values[i], values.length > 1 ? ` at index [${i}]` : '');
  }
}

function int32Range(op: string, value: number, where = ''): ValueError {
  return new ValueError(
    `${op}: value ${value}${where} does not fit in int32 (${INT32_MIN}..${INT32_MAX}); use dtype float64 for it`,
  );
}

/** `[1][0]`-style position of the i-th element in row-major order, for messages. */
function flatPosition(i: number, shape: readonly number[]): string {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return at.length ? `[${at.join('][')}]` : '[]';
}

function filled(
  op: string,
  shape: readonly number[] | number,
  value: number | boolean,
  options: CreationOptions,
): Tensor {
  const dims = checkShape(op, shape);
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new DTypeError(
      `${op}: fill value must be a number or a boolean, got ${typeof value} ${describeValue(value)}`,
    );
  const dtype = options.dtype ? checkDType(op, options.dtype) : typeof value === 'boolean' ? 'bool' : 'float32';
  if (dtype === 'int32' && !fitsInt32(Number(value))) throw int32Range(op, Number(value));
  checkTensorBytes(op, dims, dtype);
  const data = allocate(dtype, shapeSize(dims));
  data.fill(dtype === 'bool' ? (Number(value) !== 0 ? 1 : 0) : Number(value));
  return new Tensor(data, dims);
}

/** A tensor of `shape` filled with `value`. @example full([2, 2], 7) */
export function full<const S extends readonly number[] | number>(
  shape: S,
  value: number | boolean,
  options: CreationOptions = {},
): Tensor<ShapeOf<S>> {
  return filled('full', shape, value, options) as Tensor<ShapeOf<S>>;
}

/** A tensor of zeros. @example zeros([2, 3]) */
export function zeros<const S extends readonly number[] | number>(
  shape: S,
  options: CreationOptions = {},
): Tensor<ShapeOf<S>> {
  return filled('zeros', shape, 0, options) as Tensor<ShapeOf<S>>;
}

/** A tensor of ones. @example ones([3], { dtype: 'int32' }) */
export function ones<const S extends readonly number[] | number>(
  shape: S,
  options: CreationOptions = {},
): Tensor<ShapeOf<S>> {
  return filled('ones', shape, 1, options) as Tensor<ShapeOf<S>>;
}

/** `full` with the shape (and, unless given, the dtype) of `like`. */
export function fullLike(like: Tensor, value: number, options: CreationOptions = {}): Tensor {
  return filled('fullLike', like.shape, value, { dtype: options.dtype ?? like.dtype });
}

export function zerosLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return filled('zerosLike', like.shape, 0, { dtype: options.dtype ?? like.dtype });
}

export function onesLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return filled('onesLike', like.shape, 1, { dtype: options.dtype ?? like.dtype });
}

/**
 * Evenly spaced values in [start, stop) with `step` (NumPy's arange). `arange(5)` is 0..4.
 * Integer arguments give int32 unless a dtype is named; any fraction gives float32.
 */
export function arange(start: number, stop?: number, step = 1, options: CreationOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  for (const [name, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (!Number.isFinite(v)) throw new ValueError(`arange: ${name} must be finite, got ${v}`);
  }
  if (step === 0) throw new ValueError('arange: step must not be 0');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const integral = [start, stop, step].every(Number.isInteger);
  const dtype = options.dtype ? checkDType('arange', options.dtype) : integral ? 'int32' : 'float32';
  checkTensorBytes('arange', [count], dtype);
  // The ends are the extremes of an arithmetic sequence: checking them checks every value.
  const last = start + (count - 1) * step;
  if (dtype === 'int32' && count > 0 && !fitsInt32(last)) throw int32Range('arange', last, ' (its last value)');
  if (dtype === 'int32' && count > 0 && !fitsInt32(start)) throw int32Range('arange', start, ' (its start)');
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  return new Tensor(data, [count]);
}

/** `num` evenly spaced values from start to stop inclusive (NumPy's linspace). */
export function linspace(start: number, stop: number, num = 50, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0)
    throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const dtype = options.dtype ? checkDType('linspace', options.dtype) : 'float32';
  checkTensorBytes('linspace', [num], dtype);
  const data = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num]);
}

/** The n×m identity (ones on the diagonal shifted by `k`). */
export function eye(n: number, m = n, k = 0, options: CreationOptions = {}): Tensor {
  for (const [name, v] of [
    ['n', n],
    ['m', m],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || (name !== 'k' && v < 0))
      throw new ValueError(`eye: ${name} must be a ${name === 'k' ? '' : 'non-negative '}integer, got ${v}`);
  }
  const t = filled('eye', [n, m], 0, options);
  for (let i = 0; i < n; i++) if (i + k >= 0 && i + k < m) t.data[i * m + i + k] = 1;
  return t;
}

/**
 * Turns an operand into a tensor: tensors pass through, numbers become 0-d tensors of `dtype`.
 * Used by every op that accepts a plain number.
 */
export function asTensor(op: string, value: TensorLike, dtype: DType): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new DTypeError(`${op}: expected a Tensor or a number, got ${typeof value}`);
  if (dtype === 'int32' && !fitsInt32(value)) throw int32Range(op, value);
  const data = allocate(dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}

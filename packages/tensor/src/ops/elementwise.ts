import {
  type DType,
  allocate,
  allocateForOutput,
  checkTensorBytes,
  dtypeWithScalar,
  floatResultType,
  isFloat,
  promoteTypes,
} from '../dtype.js';
import { DTypeError, ValueError } from '../errors.js';
import { type BinaryOp, type StridedArray, type UnaryOp, kernels } from '../kernels/index.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, sameShape, shapeSize, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asTensor } from './creation.js';

/**
 * A fresh contiguous tensor of zeros to write results into. `op` names the caller when the shape
 * passes the size ceiling (see setMaxTensorBytes).
 */
export function empty(dtype: DType, shape: Shape, op = 'empty'): Tensor {
  checkTensorBytes(op, shape, dtype);
  return new Tensor(allocate(dtype, shapeSize(shape)), shape);
}

/** A contiguous tensor whose every element the caller writes next (its storage is not zeroed first). */
export function outputTensor(dtype: DType, shape: Shape, op = 'empty'): Tensor {
  checkTensorBytes(op, shape, dtype);
  return new Tensor(allocateForOutput(dtype, shapeSize(shape)), shape);
}

/** The kernel's view of `t` read as if broadcast to `shape`. */
export function stridedView(t: Tensor, shape: Shape = t.shape): StridedArray {
  const strides = shape === t.shape ? t.strides : broadcastStrides(t.shape, t.strides, shape);
  return { data: t.data, offset: t.offset, strides };
}

const UNIT_STRIDE = [1];

/** A contiguous tensor read as one flat run of `size` elements. */
function flatView(t: Tensor): StridedArray {
  return { data: t.data, offset: t.offset, strides: UNIT_STRIDE };
}

// ---- unary ------------------------------------------------------------------------------------

/** How a unary op chooses its output dtype from its input's. */
type UnaryResult = 'float' | 'same' | 'numeric';

function unary(name: UnaryOp, x: Tensor, result: UnaryResult): Tensor {
  const dtype =
    result === 'float' ? floatResultType(x.dtype) : result === 'numeric' && x.dtype === 'bool' ? 'int32' : x.dtype;
  const op = name === 'square' && dtype === 'int32' ? 'squareInt' : name;
  const out = outputTensor(dtype, x.shape);
  if (x.isContiguous) kernels().map(op, [x.size], flatView(out), [flatView(x)]);
  else kernels().map(op, x.shape, stridedView(out), [stridedView(x)]);
  return out;
}

/** Copies into a fresh contiguous tensor of the same dtype. */
export function copy(x: Tensor): Tensor {
  if (!x.isContiguous) return unary('copy', x, 'same');
  // A typed-array block copy is an order of magnitude faster than any element loop.
  const out = outputTensor(x.dtype, x.shape);
  out.data.set(x.data.subarray(x.offset, x.offset + x.size));
  return out;
}

/** Converts to `dtype`: float → int32 truncates toward zero (NaN → 0), anything → bool is `!== 0`. */
export function astype(x: Tensor, dtype: DType): Tensor {
  const out = outputTensor(dtype, x.shape);
  kernels().map(dtype === 'bool' ? 'toBool' : 'copy', x.shape, stridedView(out), [stridedView(x)]);
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x, 'numeric');
export const abs = (x: Tensor): Tensor => unary('abs', x, 'numeric');
export const sign = (x: Tensor): Tensor => unary('sign', x, 'numeric');
export const square = (x: Tensor): Tensor => unary('square', x, 'numeric');
export const exp = (x: Tensor): Tensor => unary('exp', x, 'float');
export const log = (x: Tensor): Tensor => unary('log', x, 'float');
/** log(1 + x), exact for tiny x where `log(1 + x)` rounds 1 + x first. @example log1p(tensor([1e-10])) // [1e-10] */
export const log1p = (x: Tensor): Tensor => unary('log1p', x, 'float');
/** eˣ − 1, exact for tiny x where `exp(x) − 1` cancels. @example expm1(tensor([1e-10])) // [1e-10] */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x, 'float');
/** The error function 2/√π ∫₀ˣ e^(−t²) dt (double precision within a few ulps). @example erf(tensor([1])) // [0.8427...] */
export const erf = (x: Tensor): Tensor => unary('erf', x, 'float');
/**
 * GELU, x·Φ(x), in one pass: exact through erf (`'none'`, the default) or by the tanh
 * approximation (`'tanh'`). @example gelu(tensor([1])) // [0.8413...]
 */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', x, 'float');
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, 'float');
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x, 'float');
export const sin = (x: Tensor): Tensor => unary('sin', x, 'float');
export const cos = (x: Tensor): Tensor => unary('cos', x, 'float');
export const tanh = (x: Tensor): Tensor => unary('tanh', x, 'float');
/** 1 / (1 + e^−x), computed without overflow for large |x|. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, 'float');
export const relu = (x: Tensor): Tensor => unary('relu', x, 'numeric');
/** The step function of the seeds' perceptron: 1 where x > 0, else 0. */
export const step = (x: Tensor): Tensor => unary('step', x, 'numeric');
/** Logical not of a tensor read as bool. */
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x, 'same').astype('bool');

// ---- binary -------------------------------------------------------------------------------------

/** The dtypes two operands compute in, with plain numbers taking the tensor's dtype ("weak" scalars). */
function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return dtypeWithScalar(a.dtype, b as number);
  if (b instanceof Tensor) return dtypeWithScalar(b.dtype, a as number);
  return 'float32';
}

type BinaryResult = 'promote' | 'float' | 'numeric' | 'bool';

function binary(name: string, op: BinaryOp, a: TensorLike, b: TensorLike, result: BinaryResult): Tensor {
  const common = resultType(a, b);
  const ta = asTensor(name, a, common);
  const tb = asTensor(name, b, common);
  const flat = ta.isContiguous && tb.isContiguous && sameShape(ta.shape, tb.shape);
  const shape = flat ? ta.shape : broadcastShapes(name, ta.shape, tb.shape);
  const dtype =
    result === 'bool'
      ? 'bool'
      : result === 'float'
        ? floatResultType(common)
        : result === 'numeric' && common === 'bool'
          ? 'int32'
          : common;
  const kernel = dtype === 'int32' && op === 'mul' ? 'mulInt' : dtype === 'int32' && op === 'pow' ? 'powInt' : op;
  if (kernel === 'powInt') checkIntegerExponents(name, tb);
  const out = outputTensor(dtype, shape, name);
  if (flat) kernels().map(kernel, [out.size], flatView(out), [flatView(ta), flatView(tb)]);
  else kernels().map(kernel, shape, stridedView(out), [stridedView(ta, shape), stridedView(tb, shape)]);
  return out;
}

/**
 * An integer to a negative integer power is a fraction that int32 cannot hold (the kernel would
 * give 0): NumPy raises, and so do we, before computing anything.
 */
function checkIntegerExponents(op: string, exponents: Tensor): void {
  const flat = exponents.contiguous();
  for (let i = 0; i < flat.size; i++) {
    const e = flat.data[flat.offset + i];
    if (e < 0) {
      throw new ValueError(
        `${op}: integers to negative integer powers are not allowed (exponent ${e}); convert the base to float first, e.g. x.astype('float32').pow(${e})`,
      );
    }
  }
}

/** a + b with NumPy broadcasting. @example add(tensor([[1], [2]]), tensor([10, 20])) // (2,2) */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', 'add', a, b, 'numeric');
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', 'sub', a, b, 'numeric');
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', 'mul', a, b, 'numeric');
/** True division: integer operands give float32, as in PyTorch. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', 'div', a, b, 'float');
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', 'pow', a, b, 'numeric');
/** Elementwise larger value; a NaN on either side gives NaN. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', 'maximum', a, b, 'promote');
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', 'minimum', a, b, 'promote');
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('eq', 'eq', a, b, 'bool');
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary('ne', 'ne', a, b, 'bool');
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', 'lt', a, b, 'bool');
export const le = (a: TensorLike, b: TensorLike): Tensor => binary('le', 'le', a, b, 'bool');
/**
 * The gradient of relu in one pass: gy where x > 0, else 0 (what ReLU's backward computes).
 * @example reluBackward(tensor([5, 5, 5]), tensor([-1, 0, 2])) // [0, 0, 5]
 */
export const reluBackward = (gy: TensorLike, x: TensorLike): Tensor =>
  binary('reluBackward', 'reluBackward', gy, x, 'numeric');
/**
 * The gradient of sigmoid from its output y in one pass: gy·y·(1 − y) (what Sigmoid's backward
 * computes).
 * @example sigmoidBackward(tensor([1, 1]), tensor([0.5, 0.25])) // [0.25, 0.1875]
 */
export const sigmoidBackward = (gy: TensorLike, y: TensorLike): Tensor =>
  binary('sigmoidBackward', 'sigmoidBackward', gy, y, 'float');
/**
 * The gradient of gelu from its input x in one pass: gy·(Φ(x) + x·φ(x)) (or the tanh form's
 * derivative), what GELU's backward computes.
 * @example geluBackward(tensor([1]), tensor([0])) // [0.5]
 */
export const geluBackward = (gy: TensorLike, x: TensorLike, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  binary('geluBackward', approximate === 'tanh' ? 'geluTanhBackward' : 'geluBackward', gy, x, 'float');
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('gt', 'gt', a, b, 'bool');
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary('ge', 'ge', a, b, 'bool');
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binary('logicalAnd', 'logicalAnd', a, b, 'bool');
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binary('logicalOr', 'logicalOr', a, b, 'bool');

// ---- ternary ------------------------------------------------------------------------------------

/**
 * Picks `a` where `condition` is true and `b` elsewhere, all three broadcast together.
 * @example where(x.gt(0), x, 0) // relu
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const cond = asTensor('where', condition, 'bool');
  const dtype = resultType(a, b);
  const ta = asTensor('where', a, dtype);
  const tb = asTensor('where', b, dtype);
  const shape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
  const out = empty(dtype, shape, 'where');
  kernels().map(
    'where',
    shape,
    stridedView(out),
    [cond, ta, tb].map((t) => stridedView(t, shape)),
  );
  return out;
}

/** Limits every element to [min, max] (NaN stays NaN). */
export function clip(x: Tensor, min: number, max: number): Tensor {
  if (Number.isNaN(min) || Number.isNaN(max) || min > max)
    throw new ValueError(`clip: need min <= max, got min=${min}, max=${max}`);
  const dtype =
    isFloat(x.dtype) || (Number.isInteger(min) && Number.isInteger(max))
      ? x.dtype === 'bool'
        ? 'int32'
        : x.dtype
      : 'float32';
  const out = empty(dtype, x.shape);
  const bounds = [asTensor('clip', min, dtype), asTensor('clip', max, dtype)].map((t) => stridedView(t, x.shape));
  kernels().map('clip', x.shape, stridedView(out), [stridedView(x), ...bounds]);
  return out;
}

// ---- comparison of whole tensors ------------------------------------------------------------------

export interface AllcloseOptions {
  /** Relative tolerance (default 1e-5, NumPy's). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8, NumPy's). */
  atol?: number;
  /** Count NaN == NaN as close (default false). */
  equalNan?: boolean;
}

/** Flat, row-major values of `t` broadcast to `shape`. */
function valuesAt(t: Tensor, shape: Shape): ArrayLike<number> {
  const out = empty(t.dtype === 'bool' ? 'int32' : t.dtype, shape);
  kernels().map('copy', shape, { data: out.data, offset: 0, strides: contiguousStrides(shape) }, [
    stridedView(t, shape),
  ]);
  return out.data;
}

/** NumPy's allclose: |a − b| ≤ atol + rtol·|b| everywhere, after broadcasting. */
export function allclose(a: TensorLike, b: TensorLike, options: AllcloseOptions = {}): boolean {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  const ta = asTensor('allclose', a, 'float64');
  const tb = asTensor('allclose', b, 'float64');
  const shape = broadcastShapes('allclose', ta.shape, tb.shape);
  const x = valuesAt(ta, shape);
  const y = valuesAt(tb, shape);
  for (let i = 0; i < x.length; i++) {
    const [u, v] = [x[i], y[i]];
    if (Number.isNaN(u) || Number.isNaN(v)) {
      if (equalNan && Number.isNaN(u) && Number.isNaN(v)) continue;
      return false;
    }
    if (u === v) continue; // equal infinities
    if (!Number.isFinite(u) || !Number.isFinite(v)) return false;
    if (!(Math.abs(u - v) <= atol + rtol * Math.abs(v))) return false;
  }
  return true;
}

/** True when both tensors have the same shape and the same values (NaN is never equal). */
export function arrayEqual(a: Tensor, b: Tensor): boolean {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new DTypeError('equal: both operands must be tensors');
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = valuesAt(a, a.shape);
  const y = valuesAt(b, b.shape);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

import { type DType, type FloatStorage, checkTensorBytes, promoteTypes } from '../dtype.js';
import { DTypeError, ShapeError, formatShape } from '../errors.js';
import { kernels, type MatrixOperand } from '../kernels/index.js';
import { broadcastShapes, broadcastStrides, contiguousStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { mul, outputTensor } from './elementwise.js';

/** Integer and bool operands are multiplied in float64 and converted back. */
function computeType(op: string, a: Tensor, b: Tensor): { compute: 'float32' | 'float64'; result: DType } {
  for (const t of [a, b])
    if (!(t instanceof Tensor)) throw new DTypeError(`${op}: operands must be tensors, got ${typeof t}`);
  const result = promoteTypes(a.dtype, b.dtype);
  const resultType = result === 'bool' ? 'int32' : result;
  return { compute: resultType === 'float32' ? 'float32' : 'float64', result: resultType };
}

function operand(t: Tensor, offset: number): MatrixOperand {
  const d = t.ndim;
  return { data: t.data as FloatStorage, offset, rowStride: t.strides[d - 2], colStride: t.strides[d - 1] };
}

/**
 * Matrix product with NumPy's rules: 1-d·1-d is the inner product, a 1-d operand is a row (left)
 * or column (right) that is dropped from the result, and leading dimensions are batch dimensions
 * that broadcast. Transposed and sliced operands are read through their strides, never copied.
 *
 * @example matmul(zeros([10, 2]), zeros([2, 4])).shape // [10, 4]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const { compute, result } = computeType('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: ${formatShape(a.shape)} @ ${formatShape(b.shape)}: operands must have at least 1 dimension (use mul for scalars)`,
    );
  }
  const left = a.ndim === 1 ? a.unsqueeze(0) : a;
  const right = b.ndim === 1 ? b.unsqueeze(1) : b;
  const [M, K] = left.shape.slice(-2);
  const [K2, N] = right.shape.slice(-2);
  if (K !== K2) {
    throw new ShapeError(
      `matmul: ${formatShape(a.shape)} @ ${formatShape(b.shape)}: inner dimensions ${K} and ${K2} differ`,
    );
  }
  const batch = broadcastBatch(a, b, left, right);
  checkTensorBytes('matmul', [...batch, M, N], compute);
  const x = left.dtype === compute ? left : left.astype(compute);
  const w = right.dtype === compute ? right : right.astype(compute);
  const out = multiplyBatches(x, w, batch, M, N, K, compute);
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  const reshaped = out.reshape(shape);
  return result === compute ? reshaped : reshaped.astype(result);
}

/** The broadcast batch dimensions, or a ShapeError that shows both operands in full. */
function broadcastBatch(a: Tensor, b: Tensor, left: Tensor, right: Tensor): number[] {
  const [batchA, batchB] = [left.shape.slice(0, -2), right.shape.slice(0, -2)];
  try {
    return broadcastShapes('matmul', batchA, batchB);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `matmul: batch dimensions ${formatShape(batchA)} and ${formatShape(batchB)} do not broadcast: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`,
    );
  }
}

function multiplyBatches(
  x: Tensor,
  w: Tensor,
  batch: number[],
  M: number,
  N: number,
  K: number,
  dtype: 'float32' | 'float64',
): Tensor {
  // One big gemm when a batch of contiguous rows meets a single matrix: (B·M, K)·(K, N). A
  // matrix broadcast over the batch (stride 0, as vmap's per-example copies of a shared weight
  // are) is a single matrix too: B small gemms would cost ~50× more (each packs its operands).
  if (x.ndim > 2 && x.isContiguous && sameBatch(x, batch) && isOneMatrix(w)) {
    const rows = batch.reduce((p, d) => p * d, 1) * M;
    const flat = new Tensor(x.data, [rows, K], [K, 1], x.offset);
    const single = w.ndim === 2 ? w : new Tensor(w.data, [K, N], w.strides.slice(-2), w.offset);
    return multiplyBatches(flat, single, [], rows, N, K, dtype);
  }
  // Every batch's gemm overwrites its whole block of C.
  const out = outputTensor(dtype, [...batch, M, N]);
  const batchCount = batch.reduce((p, d) => p * d, 1);
  const xStrides = broadcastStrides(x.shape.slice(0, -2), x.strides.slice(0, -2), batch);
  const wStrides = broadcastStrides(w.shape.slice(0, -2), w.strides.slice(0, -2), batch);
  const batchIndex = contiguousStrides(batch);
  const { gemm } = kernels();
  for (let i = 0; i < batchCount; i++) {
    let xOffset = x.offset;
    let wOffset = w.offset;
    batch.forEach((_, d) => {
      const at = Math.floor(i / batchIndex[d]) % batch[d];
      xOffset += at * xStrides[d];
      wOffset += at * wStrides[d];
    });
    gemm(M, N, K, operand(x, xOffset), operand(w, wOffset), out.data as FloatStorage, i * M * N);
  }
  return out;
}

/** True when x's batch dimensions are exactly `batch` (x is not broadcast against w's). */
function sameBatch(x: Tensor, batch: readonly number[]): boolean {
  return batch.length === x.ndim - 2 && batch.every((d, i) => x.shape[i] === d);
}

/** True when w is one matrix for every batch: 2-d, or its batch dimensions all of stride 0 or size 1. */
function isOneMatrix(w: Tensor): boolean {
  for (let d = 0; d < w.ndim - 2; d++) if (w.strides[d] !== 0 && w.shape[d] !== 1) return false;
  return true;
}

/**
 * NumPy's dot for the cases people use: scalars multiply, 1-d·1-d is the inner product, and
 * 2-d / matrix-vector products are matmul. For stacks of matrices use matmul.
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) return mul(a, b);
  if (a.ndim > 2 && b.ndim > 1) {
    throw new ShapeError(
      `dot: ${formatShape(a.shape)} · ${formatShape(b.shape)}: for stacks of matrices use matmul, which broadcasts batch dimensions`,
    );
  }
  return matmul(a, b);
}

/** Outer product of two vectors (inputs are flattened): out[i, j] = a[i]·b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  return mul(a.reshape([-1, 1]), b.reshape([1, -1]));
}

import { ShapeError, type Tensor, formatShape } from '@nn/tensor';
import { type BatchedInput, exampleNdim, exampleShape, padExampleAxes } from '../batching.js';
import { sumTangents } from '../dual.js';
import { Function, type Operand, nameNodes } from '../function.js';
import type { Variable } from '../variable.js';
import { sumTo } from './reduce.js';
import { reshape, transpose } from './movement.js';

/**
 * The seeds' MatMul node, y = x·W, with NumPy's matmul semantics (1-d operands, broadcast batch
 * dimensions). Backward, from the shape check of the seeds (§1.3.5):
 *
 *   x (N,D) ──┐                      dx = dy·Wᵀ   (N,H)·(H,D) → (N,D)
 *             [MatMul]──► y (N,H)
 *   W (D,H) ──┘                      dW = xᵀ·dy   (D,N)·(N,H) → (D,H)
 *
 * A 1-d operand is a row (left) or column (right) vector, dropped from the result; its gradient
 * is computed as that matrix and reshaped back. Batch dimensions that were broadcast are summed
 * back with SumTo. Forward mode needs none of that: the product is bilinear, so
 * ẏ = ẋ·W + x·Ẇ, two products of the forward's own shapes.
 *
 * Batched (vmap): a batch of x by a shared matrix W is one product with the batch folded into the
 * rows, (B·N,D)·(D,H); otherwise both operands become (stacks of) matrices, the batch axis leads
 * as a matmul batch dimension, and the lifted vector axes are dropped again.
 */
export class MatMul extends Function {
  override get rule(): string {
    return 'MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY';
  }
  forward(x: Tensor, W: Tensor): Tensor {
    return x.matmul(W);
  }
  backward(gy: Variable): [Variable | null, Variable | null] {
    const [x, W] = this.inputs;
    const [needX, needW] = this.needsInputGrad;
    if (x.ndim === 2 && W.ndim === 2) {
      return [needX ? gy.matmul(W.T) : null, needW ? x.T.matmul(gy) : null];
    }
    // General case: lift 1-d operands to matrices, then undo the lift and any batch broadcast.
    const X = x.ndim === 1 ? reshape(x, [1, x.shape[0]]) : x;
    const V = W.ndim === 1 ? reshape(W, [W.shape[0], 1]) : W;
    const M = X.shape[X.ndim - 2];
    const N = V.shape[V.ndim - 1];
    const batch = gy.shape.slice(0, gy.ndim - (x.ndim === 1 ? 0 : 1) - (W.ndim === 1 ? 0 : 1));
    const G = reshape(gy, [...batch, M, N]);
    const gx = needX ? reshape(sumTo(G.matmul(swapLastAxes(V)), X.shape), x.shape) : null;
    const gW = needW ? reshape(sumTo(swapLastAxes(X).matmul(G), V.shape), W.shape) : null;
    return [gx, gW];
  }
  /** ẏ = ẋ·W + x·Ẇ */
  override jvp(tX: Variable | null, tW: Variable | null): Variable | null {
    const [x, W] = this.inputs;
    return sumTangents(tX && tX.matmul(W), tW && x.matmul(tW));
  }
  /** one product for the whole batch: folded into the rows, or the batch as a matmul batch axis */
  override batch(inputs: readonly BatchedInput[]): Variable {
    return batchMatmul(inputs);
  }
}

/** MatMul's batching rule (see the class comment). */
function batchMatmul([x, W]: readonly BatchedInput[]): Variable {
  const xNdim = exampleNdim(x);
  const wNdim = exampleNdim(W);
  if (xNdim === 0 || wNdim === 0) {
    throw new ShapeError(
      `matmul: operands must have at least 1 axis, got example shapes ${formatShape(exampleShape(x))} and ${formatShape(exampleShape(W))}`,
    );
  }
  if (x.batched && !W.batched && W.value.ndim <= 2 && xNdim >= 1) {
    // Rows of every example at once: the matrix product the forward would do, B times taller.
    const rows = x.value.shape.slice(0, -1);
    const k = x.value.shape[x.value.ndim - 1];
    const y = matmul(reshape(x.value, [-1, k]), W.value);
    return reshape(y, W.value.ndim === 2 ? [...rows, W.value.shape[1]] : rows);
  }
  // Lift vectors to matrices (a row on the left, a column on the right), as NumPy does.
  const X = xNdim === 1 ? lift(x, -2) : x;
  const V = wNdim === 1 ? lift(W, -1) : W;
  const ndim = Math.max(exampleNdim(X), exampleNdim(V));
  const y = matmul(padExampleAxes(X, ndim), padExampleAxes(V, ndim));
  const [M, N] = y.shape.slice(-2);
  const kept = [...y.shape.slice(0, -2), ...(xNdim === 1 ? [] : [M]), ...(wNdim === 1 ? [] : [N])];
  // The batched operand has the most axes, so the batch axis leads the product.
  return reshape(y, kept);
}

/** A vector input as a matrix: a size-1 axis inserted at `at` (-2: a row, -1: a column). */
function lift(input: BatchedInput, at: -2 | -1): BatchedInput {
  const shape = input.value.shape;
  const n = shape[shape.length - 1];
  const lifted = at === -2 ? [...shape.slice(0, -1), 1, n] : [...shape, 1];
  return { value: reshape(input.value, lifted), batched: input.batched };
}

function swapLastAxes(v: Variable): Variable {
  const axes = v.shape.map((_, d) => d);
  axes[v.ndim - 2] = v.ndim - 1;
  axes[v.ndim - 1] = v.ndim - 2;
  return transpose(v, axes);
}

/**
 * Matrix product with NumPy's rules (1-d operands, broadcast batch dimensions).
 * @example F.matmul(x, W) // (N,D)·(D,H) → (N,H)
 */
export function matmul(a: Operand, b: Operand): Variable {
  return new MatMul().apply(a, b);
}

/**
 * The seeds' Affine layer as a composite of graph nodes: x·W + b (b broadcast over the rows).
 * @example const h = F.linear(x, W1, b1).sigmoid();
 */
export function linear(x: Operand, W: Operand, b?: Operand | null): Variable {
  const y = matmul(x, W);
  return b === undefined || b === null ? y : y.add(b);
}

nameNodes({ MatMul });

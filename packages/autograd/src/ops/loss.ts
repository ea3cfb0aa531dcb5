import { DTypeError, IndexError, ShapeError, Tensor, formatShape, oneHot, softmaxWithLog } from '@nn/tensor';
import { Function, type Operand, nameNodes } from '../function.js';
import { isGradEnabled } from '../mode.js';
import { Variable } from '../variable.js';
import { softmax } from './activation.js';

/**
 * The seeds' Softmax-with-Loss layer, fused: softmax over the last axis, then cross-entropy with
 * the targets, averaged over the batch. Fused for numerical stability (log-softmax never takes
 * log of an underflowed 0) and speed (backward is one subtraction).
 *
 *   x (N,C) ──[Softmax]──► p ──[CrossEntropy with t]──► L          dx = (p − t)·dL/N
 *
 * Targets are int32 labels of shape x.shape[:-1], or one-hot / probability rows of x's shape.
 */
export class SoftmaxCrossEntropy extends Function {
  constructor(readonly target: Tensor) {
    super();
  }
  override get rule(): string {
    return 'SoftmaxCrossEntropy: dx = (softmax(x) − t)·dy/N';
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 0) throw new ShapeError('softmaxCrossEntropy: scores must have a class axis, got a 0-d tensor');
    const t = this.target;
    const classes = x.shape[x.ndim - 1];
    const rows = x.size / classes;
    // The probabilities backward needs come from the same pass over the exponentials.
    const { probabilities, logProbabilities: logp } = this.needsInputGrad[0]
      ? softmaxWithLog(x)
      : { probabilities: null, logProbabilities: x.logSoftmax(-1) };
    let total = 0;
    if (t.dtype === 'int32') {
      checkLabels(t, x.shape);
      const lp = logp.contiguous();
      const labels = t.contiguous();
      for (let r = 0; r < rows; r++) {
        const label = labels.data[labels.offset + r];
        if (label < 0 || label >= classes) {
          throw new IndexError(
            `softmaxCrossEntropy: label ${label} of row ${r} is out of range for ${classes} classes`,
          );
        }
        total -= lp.data[lp.offset + r * classes + label];
      }
    } else {
      if (t.ndim !== x.ndim || t.shape.some((d, i) => d !== x.shape[i])) {
        throw new ShapeError(
          `softmaxCrossEntropy: probability targets must have the scores' shape ${formatShape(x.shape)}, got ${formatShape(t.shape)} (pass int32 labels of shape ${formatShape(x.shape.slice(0, -1))} instead)`,
        );
      }
      total = -t.mul(logp).sum().item();
    }
    // Backward needs the probabilities; they are freed with the graph.
    if (probabilities) this.saveForBackward(probabilities);
    const out = new Tensor(x.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1), []);
    out.data[0] = total / rows;
    return out;
  }

  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    const classes = x.shape[x.ndim - 1];
    const rows = x.size / classes;
    const target = this.target;
    if (!isGradEnabled() && target.dtype === 'int32')
      return new Variable(this.labelGradient(gy.data.item() / rows), { requiresGrad: false });
    const t =
      target.dtype === 'int32'
        ? oneHot(target, classes, { dtype: x.dtype })
        : target.dtype === x.dtype
          ? target
          : target.astype(x.dtype);
    // With createGraph the probabilities must be a function of x (so the Hessian is right):
    // recompute them as a graph; otherwise the saved ones are exact and cheaper.
    const p = isGradEnabled() ? softmax(x, -1) : new Variable(this.saved[0], { requiresGrad: false });
    return p.sub(t).mul(gy.div(rows));
  }

  /**
   * (p − onehot)·scale straight from the saved probabilities and the labels: one product and a
   * pass over the labels instead of a one-hot matrix and three ops (the plain backward).
   */
  private labelGradient(scale: number): Tensor {
    const gradient = this.saved[0].mul(scale);
    const classes = gradient.shape[gradient.ndim - 1];
    const labels = this.target.contiguous();
    for (let r = 0; r < labels.size; r++)
      gradient.data[r * classes + (labels.data[labels.offset + r] as number)] -= scale;
    return gradient;
  }
}

function checkLabels(t: Tensor, shape: readonly number[]): void {
  const expected = shape.slice(0, -1);
  if (t.ndim !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `softmaxCrossEntropy: labels must have shape ${formatShape(expected)} for scores of shape ${formatShape(shape)}, got ${formatShape(t.shape)}`,
    );
  }
}

/**
 * Softmax followed by cross-entropy, averaged over the batch (the seeds' SoftmaxWithLoss).
 * `target` is int32 labels (shape x.shape[:-1]) or one-hot/probability rows (x's shape); it is
 * a constant.
 *
 * @example
 * const loss = F.softmaxCrossEntropy(scores, tensor([2, 0], { dtype: 'int32' }));
 * loss.backward(); // scores.grad = (softmax(scores) − onehot)/2
 */
export function softmaxCrossEntropy(x: Operand, target: Tensor | Variable): Variable {
  const t = target instanceof Variable ? target.data : target;
  if (!(t instanceof Tensor))
    throw new DTypeError(`softmaxCrossEntropy: target must be a Tensor or Variable, got ${typeof t}`);
  if (t.dtype === 'bool')
    throw new DTypeError('softmaxCrossEntropy: targets must be int32 labels or float probabilities, got bool');
  return new SoftmaxCrossEntropy(t).apply(x);
}

nameNodes({ SoftmaxCrossEntropy });

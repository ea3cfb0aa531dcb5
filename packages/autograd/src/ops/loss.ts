import {
  DTypeError,
  IndexError,
  ShapeError,
  Tensor,
  ValueError,
  formatShape,
  logicalNot,
  oneHot,
  softmaxWithLog,
  where as tensorWhere,
} from '@nn/tensor';
import { type BatchedInput, asBatch, isBatched, unwrapAll } from '../batching.js';
import { sumTangents } from '../dual.js';
import { Function, type Gradients, type Operand, nameNodes } from '../function.js';
import { Variable, asVariable } from '../variable.js';
import { logSoftmax, softmax } from './activation.js';
import { gather } from './indexing.js';
import { sum } from './reduce.js';

/**
 * The seeds' Softmax-with-Loss layer, fused: softmax over the last axis, then cross-entropy with
 * the targets, averaged over the batch. Fused for numerical stability (log-softmax never takes
 * log of an underflowed 0) and speed (its gradient is one subtraction, SoftmaxCrossEntropyGrad).
 *
 *   x (N,C) ──[Softmax]──► p ──[CrossEntropy with t]──► L          dx = (p − t)·dL/N
 *
 * Targets are int32 labels of shape x.shape[:-1], or one-hot / probability rows of x's shape.
 * Usually a constant of the node; under vmap they may be a second operand, batched like x (one
 * example's labels each), which only the batching rule reads.
 *
 * Batched (vmap), each example's loss is its own mean over its rows, so the rule is composed:
 * −Σ log-softmax picked at the labels (or times the targets), per example, over its row count.
 */
export class SoftmaxCrossEntropy extends Function {
  constructor(public target: Tensor) {
    super();
  }
  override get rule(): string {
    return 'SoftmaxCrossEntropy: dx = (softmax(x) − t)·dy/N';
  }

  forward(x: Tensor, target?: Tensor): Tensor {
    const classes = checkScores('softmaxCrossEntropy', 'scores', x.shape);
    if (target !== undefined) this.target = target;
    const t = this.target;
    const rows = x.size / classes;
    // The probabilities backward needs come from the same pass over the exponentials.
    const { probabilities, logProbabilities: logp } = this.needsInputGrad[0]
      ? softmaxWithLog(x)
      : { probabilities: null, logProbabilities: x.logSoftmax(-1) };
    let total = 0;
    if (t.dtype === 'int32') {
      checkLabels('softmaxCrossEntropy', t, x.shape, 'scores');
      const lp = logp.contiguous();
      const labels = t.contiguous();
      for (let r = 0; r < rows; r++) total -= lp.data[lp.offset + r * classes + labels.data[labels.offset + r]];
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

  backward(gy: Variable): Gradients {
    const gx = new SoftmaxCrossEntropyGrad(this.target, this.saved[0]).apply(this.inputs[0], gy);
    return this.inputs.length === 1 ? gx : [gx, null];
  }
  /** ẏ = Σ (softmax(x) − t)·ẋ / N, the gradient's inner product with ẋ */
  override jvp(t: Variable): Variable {
    const x = this.inputs[0];
    return sum(softmax(x, -1).sub(targetRows(this.target, x.data)).mul(t)).div(rowsOf(x));
  }
  /** loss_b = −Σ_rows log-softmax(x_b) at t_b / rows, for every example b at once */
  override batch(inputs: readonly BatchedInput[], size: number): Variable {
    const x = asBatch(inputs[0], size);
    checkScores('softmaxCrossEntropy', 'scores', x.shape.slice(1));
    const logp = logSoftmax(x, -1);
    const rows = x.size / size / x.shape[x.ndim - 1];
    const exampleAxes = x.shape.map((_, d) => d).slice(1);
    const target = inputs[1] ?? { value: new Variable(this.target, { requiresGrad: false }), batched: false };
    if (target.value.dtype !== 'int32') {
      const t = target.value.dtype === x.dtype ? target.value : target.value.data.astype(x.dtype);
      return sum(logp.mul(t), exampleAxes).neg().div(rows);
    }
    const labels = asBatch(target, size).data;
    checkLabels('softmaxCrossEntropy', labels, x.shape, 'scores');
    const picked = gather(logp, labels.reshape([...labels.shape, 1]).contiguous(), -1);
    return sum(picked, exampleAxes).neg().div(rows);
  }
}

/**
 * SoftmaxCrossEntropy's gradient as a node: dx = (p − t)·dy/N from the probabilities p = softmax(x)
 * the forward saved (for int32 labels one product and a pass over the labels, no one-hot matrix:
 * the fast path a training step runs). Its inputs are x and dy, so its own backward, composed of
 * nodes, gives second derivatives: for a gradient ddx of its output, with v = ddx·dy/N,
 *   d dy = Σ ddx·(softmax(x) − t)/N
 *   d x  = p·(v − Σ_c v·p)          (the softmax Jacobian applied to v)
 * @example new SoftmaxCrossEntropyGrad(labels, softmax(x)).apply(x, gy) // what the backward returns
 */
export class SoftmaxCrossEntropyGrad extends Function {
  constructor(
    readonly target: Tensor,
    readonly probabilities: Tensor,
  ) {
    super();
  }
  override get rule(): string {
    return 'SoftmaxCrossEntropyGrad: ddy = Σ ddx·(p − t)/N, dx = p·(v − Σ v·p), v = ddx·dy/N';
  }

  forward(_x: Tensor, gy: Tensor): Tensor {
    const p = this.probabilities;
    const scale = gy.item() / rowsOf(p);
    if (this.target.dtype !== 'int32') return p.sub(this.targetLike(p)).mul(scale);
    const gradient = p.mul(scale);
    const classes = gradient.shape[gradient.ndim - 1];
    const labels = this.target.contiguous();
    for (let r = 0; r < labels.size; r++)
      gradient.data[r * classes + (labels.data[labels.offset + r] as number)] -= scale;
    return gradient;
  }

  backward(ggx: Variable): Gradients {
    const [x, gy] = this.inputs;
    const [needX, needGy] = this.needsInputGrad;
    const rows = rowsOf(x);
    // Recomputed as a graph so that higher derivatives see p as a function of x.
    const p = softmax(x, -1);
    const ggy = needGy ? sum(ggx.mul(p.sub(this.targetLike(x.data)))).div(rows) : null;
    let gx: Variable | null = null;
    if (needX) {
      const v = ggx.mul(gy.div(rows));
      gx = p.mul(v.sub(sum(v.mul(p), -1, { keepdims: true })));
    }
    return [gx, ggy];
  }

  /**
   * out = (p − t)·dy/N with p = softmax(x), so ȯut = ṗ·dy/N + (p − t)·ḋy/N, where
   * ṗ = p·(ẋ − Σ_c p·ẋ) (Softmax's rule), recomputed as a graph so the tangent composes.
   */
  override jvp(tX: Variable | null, tGy: Variable | null): Variable | null {
    const [x, gy] = this.inputs;
    const rows = rowsOf(x);
    const p = softmax(x, -1);
    const fromX = tX && p.mul(tX.sub(sum(p.mul(tX), -1, { keepdims: true }))).mul(gy.div(rows));
    const fromGy = tGy && p.sub(this.targetLike(x.data)).mul(tGy.div(rows));
    return sumTangents(fromX, fromGy);
  }

  /** The targets as rows of `like`'s shape and dtype (see targetRows). */
  private targetLike(like: Tensor): Tensor {
    return targetRows(this.target, like);
  }
}

/** The targets as rows of `like`'s shape and dtype (int32 labels become one-hot rows). */
function targetRows(t: Tensor, like: Tensor): Tensor {
  if (t.dtype === 'int32') return oneHot(t, like.shape[like.ndim - 1], { dtype: like.dtype });
  return t.dtype === like.dtype ? t : t.astype(like.dtype);
}

/** The number of rows of scores or probabilities: every axis but the class axis. */
function rowsOf(x: { readonly shape: readonly number[]; readonly size: number }): number {
  return x.size / x.shape[x.shape.length - 1];
}

/**
 * @internal Checks the scores (or probabilities) of a classification loss: a class axis of at
 * least one class and at least one row (a mean over no rows or no classes would be NaN).
 * Returns the number of classes.
 * @example checkScores('crossEntropy', 'probabilities', [2, 10]) // 10
 */
export function checkScores(op: string, what: string, shape: readonly number[]): number {
  if (shape.length === 0) throw new ShapeError(`${op}: ${what} must have a class axis, got a 0-d tensor`);
  const classes = shape[shape.length - 1];
  if (classes === 0)
    throw new ShapeError(
      `${op}: ${what} of shape ${formatShape(shape)} have 0 classes; the last axis needs at least 1`,
    );
  if (shape.some((d) => d === 0))
    throw new ShapeError(
      `${op}: ${what} of shape ${formatShape(shape)} hold no rows; the mean over an empty batch is undefined`,
    );
  return classes;
}

/**
 * @internal Checks int32 class labels against scores (or probabilities) of shape `shape`: one
 * label per row, shape `shape[:-1]`, each in [0, classes). Shared by softmaxCrossEntropy and
 * @nn/nn's crossEntropy.
 * @example checkLabels('crossEntropy', tensor([2, 0], { dtype: 'int32' }), [2, 10], 'probabilities')
 */
export function checkLabels(op: string, labels: Tensor, shape: readonly number[], what = 'scores'): void {
  const expected = shape.slice(0, -1);
  if (labels.ndim !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `${op}: labels must have shape ${formatShape(expected)} for ${what} of shape ${formatShape(shape)}, got ${formatShape(labels.shape)}`,
    );
  }
  const classes = shape[shape.length - 1];
  const values = labels.contiguous();
  for (let r = 0; r < values.size; r++) {
    const label = values.data[values.offset + r];
    if (label < 0 || label >= classes)
      throw new IndexError(`${op}: label ${label} of row ${r} is out of range for ${classes} classes`);
  }
}

/** How a loss reduces its per-element (or per-row) values: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of the classification losses (PyTorch's cross_entropy and nll_loss arguments). */
export interface ClassificationLossOptions {
  /** A manual rescaling weight per class, shape (C) (default: all 1). */
  weight?: Tensor | null;
  /**
   * A label value that contributes nothing, to the loss or to the mean's denominator (default
   * −100, PyTorch's). Only for int32 labels.
   */
  ignoreIndex?: number;
  /**
   * ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C, PyTorch's label smoothing (default 0).
   */
  labelSmoothing?: number;
  /** 'mean' (default), 'sum', or 'none' (one value per row, shape x.shape[:-1]). */
  reduction?: Reduction;
}

const DEFAULT_IGNORE_INDEX = -100;

/**
 * @internal Checks a `reduction` argument. Shared with @nn/nn's losses.
 * @example checkReduction('l1Loss', 'sum') // 'sum'
 */
export function checkReduction(op: string, reduction: Reduction | undefined): Reduction {
  const r = reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none')
    throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  return r;
}

/**
 * @internal The classification loss of log-probabilities `logp` (…, C) against int32 labels or
 * probability rows, by PyTorch's definitions (shared by softmaxCrossEntropy, @nn/nn's nllLoss and
 * crossEntropy). With labels y, class weights w (default 1) and ε = labelSmoothing:
 *
 *   loss_n = (1 − ε)·(−w[y_n]·logp[n, y_n]) + (ε/C)·(−Σ_c w_c·logp[n, c]),   0 where y_n = ignoreIndex
 *   'mean' = Σ_n loss_n / Σ_n w[y_n] over the rows not ignored (NaN if every row is ignored)
 *
 * With probability rows t: loss_n = −Σ_c w_c·t'[n, c]·logp[n, c], t' = (1 − ε)·t + ε/C, and 'mean'
 * divides by the number of rows (the weights do not enter the denominator, as in PyTorch).
 * Composed of graph nodes (Gather, Mul, Sum, ...), so gradients of any order follow.
 */
export function logProbabilityLoss(
  op: string,
  logp: Variable,
  target: Tensor,
  options: ClassificationLossOptions = {},
): Variable {
  const classes = checkScores(op, 'log-probabilities', logp.shape);
  const reduction = checkReduction(op, options.reduction);
  const epsilon = options.labelSmoothing ?? 0;
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${options.labelSmoothing}`);
  const weight = classWeights(op, options.weight ?? null, classes, logp.dtype);
  if (target.dtype === 'int32') return labelLoss(op, logp, target, weight, epsilon, reduction, options.ignoreIndex);
  if (options.ignoreIndex !== undefined)
    throw new ValueError(`${op}: ignoreIndex applies to int32 labels only, not to probability targets`);
  if (target.ndim !== logp.ndim || target.shape.some((d, i) => d !== logp.shape[i]))
    throw new ShapeError(
      `${op}: probability targets must have the scores' shape ${formatShape(logp.shape)}, got ${formatShape(target.shape)} (pass int32 labels of shape ${formatShape(logp.shape.slice(0, -1))} instead)`,
    );
  let t = target.dtype === logp.dtype ? target : target.astype(logp.dtype);
  if (epsilon > 0) t = t.mul(1 - epsilon).add(epsilon / classes);
  if (weight) t = t.mul(weight);
  const perRow = sum(logp.mul(t), -1).neg();
  return reduce(perRow, reduction, () => perRow.size);
}

function labelLoss(
  op: string,
  logp: Variable,
  labels: Tensor,
  weight: Tensor | null,
  epsilon: number,
  reduction: Reduction,
  ignoreIndex = DEFAULT_IGNORE_INDEX,
): Variable {
  const classes = logp.shape[logp.ndim - 1];
  checkLabelsWithIgnore(op, labels, logp.shape, ignoreIndex);
  const ignored = labels.eq(ignoreIndex);
  // Ignored rows pick class 0 (any valid index) and are then weighted by 0.
  const safe = tensorWhere(ignored, 0, labels).astype('int32');
  const kept = logicalNot(ignored).astype(logp.dtype);
  const rowWeight = weight
    ? weight
        .take(safe.reshape([-1]), 0)
        .reshape(labels.shape)
        .mul(kept)
    : kept;
  const picked = gather(logp, safe.reshape([...labels.shape, 1]), -1).reshape(labels.shape);
  let perRow = picked.mul(rowWeight).neg();
  if (epsilon > 0) {
    const smooth = sum(weight ? logp.mul(weight) : logp, -1)
      .mul(kept)
      .neg();
    perRow = perRow.mul(1 - epsilon).add(smooth.mul(epsilon / classes));
  }
  return reduce(perRow, reduction, () => rowWeight.sum().item());
}

/** 'none' as is, 'sum', or 'mean' dividing by `denominator()` (rows, or the targets' total weight). */
function reduce(perRow: Variable, reduction: Reduction, denominator: () => number): Variable {
  if (reduction === 'none') return perRow;
  const total = sum(perRow);
  return reduction === 'sum' ? total : total.div(denominator());
}

/** The class weights as a (C) tensor of the scores' dtype, or null. */
function classWeights(op: string, weight: Tensor | null, classes: number, dtype: Tensor['dtype']): Tensor | null {
  if (weight === null) return null;
  if (!(weight instanceof Tensor))
    throw new ValueError(`${op}: weight must be a Tensor of one weight per class, got ${typeof weight}`);
  if (weight.ndim !== 1 || weight.shape[0] !== classes)
    throw new ShapeError(`${op}: weight must have shape (${classes}), one per class, got ${formatShape(weight.shape)}`);
  return weight.dtype === dtype ? weight : weight.astype(dtype);
}

/**
 * checkLabels, but a label equal to `ignoreIndex` is allowed wherever it is. Returns whether some
 * label is ignored (then the fused node, which knows no ignoring, cannot be used).
 */
function checkLabelsWithIgnore(op: string, labels: Tensor, shape: readonly number[], ignoreIndex: number): boolean {
  const expected = shape.slice(0, -1);
  if (labels.ndim !== expected.length || labels.shape.some((d, i) => d !== expected[i]))
    throw new ShapeError(
      `${op}: labels must have shape ${formatShape(expected)} for scores of shape ${formatShape(shape)}, got ${formatShape(labels.shape)}`,
    );
  const classes = shape[shape.length - 1];
  const values = labels.contiguous();
  let ignored = false;
  for (let r = 0; r < values.size; r++) {
    const label = values.data[values.offset + r];
    if (label === ignoreIndex) ignored = true;
    else if (label < 0 || label >= classes)
      throw new IndexError(
        `${op}: label ${label} of row ${r} is out of range for ${classes} classes (and is not ignoreIndex ${ignoreIndex})`,
      );
  }
  return ignored;
}

/**
 * Softmax followed by cross-entropy, averaged over the batch (the seeds' SoftmaxWithLoss), and
 * PyTorch's `cross_entropy` with its options. `target` is int32 labels (shape x.shape[:-1]) or
 * one-hot/probability rows (x's shape); it is a constant. The class axis is the **last** one (PyTorch's
 * is axis 1 for inputs of more than two axes).
 *
 * Without options (mean over the rows, no weights, no smoothing, no ignored label) this is the fused
 * SoftmaxCrossEntropy node, stable and fast. With `weight`, `ignoreIndex` (default −100: rows with
 * that label count for nothing), `labelSmoothing` or `reduction` it is LogSoftmax followed by the
 * loss of `logProbabilityLoss` (PyTorch's definitions, e.g. a weighted mean divides by the total
 * weight of the targets not ignored), composed of nodes.
 *
 * @example
 * const loss = F.softmaxCrossEntropy(scores, tensor([2, 0], { dtype: 'int32' }));
 * loss.backward(); // scores.grad = (softmax(scores) − onehot)/2
 * F.softmaxCrossEntropy(scores, labels, { labelSmoothing: 0.1, ignoreIndex: 0 });
 */
export function softmaxCrossEntropy(
  x: Operand,
  target: Tensor | Variable,
  options: ClassificationLossOptions = {},
): Variable {
  // Per-example targets inside vmap ride as a second operand, for the batching rule.
  // (The node's own target is then a stand-in, the whole batch of them, which the rule does not read.)
  if (isBatched(target)) {
    if (Object.values(options).some((value) => value !== undefined))
      throw new ValueError(
        'softmaxCrossEntropy: weight, ignoreIndex, labelSmoothing and reduction are not supported with per-example targets inside vmap; map the plain loss',
      );
    return new SoftmaxCrossEntropy(checkTargetDType(unwrapAll(target).real.data)).apply(x, target);
  }
  const t = target instanceof Variable ? target.data : target;
  if (!(t instanceof Tensor))
    throw new DTypeError(`softmaxCrossEntropy: target must be a Tensor or Variable, got ${typeof t}`);
  checkTargetDType(t);
  const scores = asVariable('softmaxCrossEntropy', x);
  checkScores('softmaxCrossEntropy', 'scores', scores.shape);
  const ignoreIndex = options.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  const someIgnored = t.dtype === 'int32' && checkLabelsWithIgnore('softmaxCrossEntropy', t, scores.shape, ignoreIndex);
  const plain =
    (options.weight ?? null) === null &&
    !options.labelSmoothing &&
    checkReduction('softmaxCrossEntropy', options.reduction) === 'mean' &&
    !someIgnored &&
    (t.dtype === 'int32' || options.ignoreIndex === undefined);
  if (plain) return new SoftmaxCrossEntropy(t).apply(scores);
  return logProbabilityLoss('softmaxCrossEntropy', logSoftmax(scores, -1), t, options);
}

function checkTargetDType(t: Tensor): Tensor {
  if (t.dtype === 'bool')
    throw new DTypeError('softmaxCrossEntropy: targets must be int32 labels or float probabilities, got bool');
  return t;
}

nameNodes({ SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad });

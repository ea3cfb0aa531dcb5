import { DTypeError, ShapeError, Tensor, ValueError, formatShape, where as tensorWhere } from '@nn/tensor';
import {
  type ClassificationLossOptions,
  Function,
  type Reduction,
  Variable,
  abs,
  asVariable,
  checkLabels,
  checkReduction,
  checkScores,
  gather,
  log,
  logProbabilityLoss,
  mean,
  sigmoid,
  square,
  sub,
  sum,
  where,
} from '@nn/autograd';

/**
 * Loss functions. Each takes the network's output (a Variable, or a Tensor for evaluation) and
 * the targets, and returns a 0-d Variable to call `backward()` on. Targets are constants.
 *
 * They are functions rather than Modules: a Module's `forward` takes one input, a loss two.
 * The fused softmax-with-cross-entropy node lives in @nn/autograd and is re-exported here as
 * `softmaxCrossEntropy`.
 */

/** A loss operand: a Variable (gradients flow into it) or a Tensor (a constant). @example const t: LossInput = tensor([0, 1]); */
export type LossInput = Variable | Tensor;

/** A loss operand as a Variable; anything but a Variable or a Tensor (numbers included) is a ValueError. */
function operand(op: string, what: string, value: LossInput): Variable {
  if (!(value instanceof Variable) && !(value instanceof Tensor)) {
    throw new ValueError(
      `${op}: ${what} must be a Variable or a Tensor, got ${value === null ? 'null' : typeof value}`,
    );
  }
  return asVariable(op, value);
}

/** Elementwise losses compare like with like: broadcasting (N,1) against (N,) would be a silent bug. */
function checkSameShape(op: string, y: LossInput, t: LossInput): void {
  if (y.shape.length !== t.shape.length || y.shape.some((d, i) => d !== t.shape[i])) {
    throw new ShapeError(
      `${op}: output and target must have the same shape, got ${formatShape(y.shape)} and ${formatShape(t.shape)}`,
    );
  }
}

/** Rows of a batch: the leading axis of a 2-d+ output, 1 for a single 1-d sample. */
function batchSize(y: LossInput): number {
  return y.shape.length <= 1 ? 1 : y.shape[0];
}

/**
 * The seeds' `mean_squared_error`: E = ½·Σ (y − t)², summed over **every** element (no division
 * by the batch size). For t = one-hot(2) and y = [0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0]
 * it is 0.0975. For a batch-size-independent scale use `quadraticCost` (÷ batch) or `mseLoss`
 * (÷ every element).
 *
 * @example
 * sumSquaredError(variable([0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0]), tensor([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])).item(); // 0.0975
 */
export function sumSquaredError(y: LossInput, t: LossInput): Variable {
  const [output, target] = [operand('sumSquaredError', 'y', y), operand('sumSquaredError', 't', t)];
  checkSameShape('sumSquaredError', output, target);
  return sum(square(sub(output, target))).mul(0.5);
}

/** Options of the elementwise regression losses. @example l1Loss(y, t, { reduction: 'sum' }) */
export interface ReductionOptions {
  /** 'mean' over every element (default), 'sum', or 'none' (the elementwise losses, y's shape). */
  reduction?: Reduction;
}

/** Reduces elementwise losses as `reduction` says (validated by the caller). */
function reduceElements(losses: Variable, reduction: Reduction): Variable {
  return reduction === 'none' ? losses : reduction === 'sum' ? sum(losses) : mean(losses);
}

/** The output and target of an elementwise loss, checked: Variables of one shape, the target a constant. */
function elementwisePair(op: string, y: LossInput, t: LossInput): [Variable, Tensor] {
  const [output, target] = [operand(op, 'y', y), operand(op, 't', t)];
  checkSameShape(op, output, target);
  return [output, target.data];
}

/**
 * Mean squared error as PyTorch's `mse_loss`: mean((y − t)²) over every element (or their sum,
 * or each, with `reduction`).
 * @example mseLoss(prediction, target).backward();
 */
export function mseLoss(y: LossInput, t: LossInput, options: ReductionOptions = {}): Variable {
  const reduction = checkReduction('mseLoss', options.reduction);
  const [output, target] = elementwisePair('mseLoss', y, t);
  return reduceElements(square(sub(output, target)), reduction);
}

/**
 * Mean absolute error as PyTorch's `l1_loss`: mean(|y − t|) over every element. The gradient at
 * y = t is 0 (Abs's, as PyTorch's sign(0) = 0).
 * @example l1Loss(prediction, target, { reduction: 'sum' })
 */
export function l1Loss(y: LossInput, t: LossInput, options: ReductionOptions = {}): Variable {
  const reduction = checkReduction('l1Loss', options.reduction);
  const [output, target] = elementwisePair('l1Loss', y, t);
  return reduceElements(abs(sub(output, target)), reduction);
}

/** Options of `huberLoss`. @example huberLoss(y, t, { delta: 0.5 }) */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1, PyTorch's); must be > 0. */
  delta?: number;
}

/**
 * Huber loss as PyTorch's `huber_loss`: per element, with d = y − t,
 *   ½d²                 where |d| < delta
 *   delta·(|d| − ½delta) elsewhere
 * quadratic near 0 and linear (robust to outliers) beyond delta; its gradient is continuous.
 * @example huberLoss(prediction, target, { delta: 1 })
 */
export function huberLoss(y: LossInput, t: LossInput, options: HuberLossOptions = {}): Variable {
  const reduction = checkReduction('huberLoss', options.reduction);
  const delta = options.delta ?? 1;
  if (!(delta > 0 && Number.isFinite(delta)))
    throw new ValueError(`huberLoss: delta must be a positive finite number, got ${options.delta}`);
  const [output, target] = elementwisePair('huberLoss', y, t);
  const d = sub(output, target);
  const size = abs(d);
  const quadratic = square(d).mul(0.5);
  const linear = size.sub(0.5 * delta).mul(delta);
  return reduceElements(where(size.data.lt(delta), quadratic, linear), reduction);
}

/** Options of `klDiv`. @example klDiv(logQ, p, { reduction: 'batchmean' }) */
export interface KLDivOptions {
  /**
   * 'mean' over every element (default, PyTorch's — which warns that it is not the KL divergence),
   * 'batchmean' (the sum divided by the batch size, the true KL divergence per sample), 'sum', or
   * 'none' (elementwise).
   */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence as PyTorch's `kl_div(input, target)`: `input` holds
 * log-probabilities log q (e.g. a logSoftmax output), `target` probabilities p (or log p with
 * `logTarget`), and per element
 *   p·(log p − log q)          (0 where p = 0, the limit of p·log p)
 *   exp(log p)·(log p − log q) with logTarget
 * The target is a constant; the gradient with respect to log q is −p (divided as the reduction says).
 *
 * @example
 * klDiv(F.logSoftmax(scores), teacherProbabilities, { reduction: 'batchmean' }).backward();
 */
export function klDiv(input: LossInput, target: LossInput, options: KLDivOptions = {}): Variable {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'batchmean') checkReduction('klDiv', reduction);
  const [logQ, t] = elementwisePair('klDiv', input, target);
  const p = (t.dtype === logQ.dtype ? t : t.astype(logQ.dtype)) as Tensor;
  let pLogP: Tensor;
  let weight: Tensor;
  if (options.logTarget) {
    weight = p.exp();
    pLogP = weight.mul(p);
  } else {
    weight = p;
    // xlogy(p, p): 0 where p = 0 (log 0 = −∞ would give 0·∞ = NaN).
    const positive = p.gt(0);
    pLogP = tensorWhere(positive, p.mul(tensorWhere(positive, p, 1).log()), 0);
  }
  const pointwise = logQ.mul(weight).neg().add(pLogP);
  if (reduction === 'batchmean') return sum(pointwise).div(batchSize(logQ));
  return reduceElements(pointwise, reduction);
}

/**
 * Nielsen's quadratic cost C = (1/2n)·Σₓ ‖y(x) − a‖², where `a` is the network's output, `y` the
 * desired output, and n the number of samples (the leading axis; 1 for a single 1-d sample).
 * It is `sumSquaredError(a, y) / n`.
 * @example quadraticCost(network.forward(x), oneHotTargets)
 */
export function quadraticCost(a: LossInput, y: LossInput): Variable {
  const [output, target] = [operand('quadraticCost', 'a', a), operand('quadraticCost', 'y', y)];
  checkSameShape('quadraticCost', output, target);
  return sumSquaredError(output, target).div(batchSize(output));
}

/** Options of `crossEntropy`. @example crossEntropy(probs, labels, { delta: 1e-12, ignoreIndex: 0 }) */
export interface CrossEntropyOptions extends ClassificationLossOptions {
  /** Added inside the log so a probability of 0 gives a large finite loss (default 1e-7, the seeds' delta). */
  delta?: number;
}

/** Options of `nllLoss` (PyTorch's nll_loss arguments). @example nllLoss(logp, labels, { ignoreIndex: 0 }) */
export interface NLLLossOptions {
  /** A manual rescaling weight per class, shape (C) (default: all 1). */
  weight?: Tensor | null;
  /** A label value that contributes nothing (default −100, PyTorch's). */
  ignoreIndex?: number;
  /** 'mean' (default: Σ loss / Σ weights of the targets not ignored), 'sum', or 'none' (one per row). */
  reduction?: Reduction;
}

/**
 * Negative log-likelihood as PyTorch's `nll_loss`: `logp` holds log-probabilities (…, C) (class
 * axis **last**, e.g. a logSoftmax output), `labels` int32 class indices of shape logp.shape[:-1].
 * Per row −weight[y]·logp[n, y] (0 where y = ignoreIndex); 'mean' divides the sum by the total
 * weight of the rows not ignored. `nllLoss(logSoftmax(x), y)` is `softmaxCrossEntropy(x, y)`.
 *
 * @example
 * nllLoss(F.logSoftmax(scores), labels, { weight: tensor([1, 2, 1]) }).backward();
 */
export function nllLoss(logp: LossInput, labels: LossInput, options: NLLLossOptions = {}): Variable {
  const input = operand('nllLoss', 'logp', logp);
  const target = operand('nllLoss', 'labels', labels).data;
  checkScores('nllLoss', 'log-probabilities', input.shape);
  if (target.dtype !== 'int32')
    throw new DTypeError(
      `nllLoss: labels must be int32 class indices of shape ${formatShape(input.shape.slice(0, -1))}, got ${target.dtype} of shape ${formatShape(target.shape)}`,
    );
  return logProbabilityLoss('nllLoss', input, target, options);
}

/**
 * The seeds' `cross_entropy_error` on probabilities (a softmax output): −Σ t·log(y + delta) / N,
 * averaged over the N rows (a 1-d y is one row). `t` is int32 labels of shape y.shape[:-1] or
 * one-hot rows of y's shape. For t = one-hot(2) and y = [0.1, 0.05, 0.6, ...] it is 0.5108; with
 * 0.1 at the correct label, 2.3026. To train from raw scores prefer `softmaxCrossEntropy`
 * (fused, stable, no delta).
 *
 * With any of `weight`, `ignoreIndex`, `labelSmoothing` or `reduction` it is PyTorch's
 * cross-entropy on log(y + delta) (see `nllLoss` and `softmaxCrossEntropy` for the definitions).
 *
 * @example
 * const probs = F.softmax(scores);
 * crossEntropy(probs, tensor([2, 7], { dtype: 'int32' })).backward();
 * crossEntropy(probs, labels, { weight: tensor([1, 3]), reduction: 'sum' });
 */
export function crossEntropy(y: LossInput, t: LossInput, options: CrossEntropyOptions = {}): Variable {
  const { delta: givenDelta, ...classification } = options;
  const delta = givenDelta ?? 1e-7;
  const p = operand('crossEntropy', 'y', y);
  const targetVariable = operand('crossEntropy', 't', t);
  const target = targetVariable.data;
  const classes = checkScores('crossEntropy', 'probabilities', p.shape);
  const rows = p.size / classes;
  if (Object.values(classification).some((v) => v !== undefined) && target.dtype !== 'bool')
    return logProbabilityLoss('crossEntropy', log(p.add(delta)), target, classification);
  if (target.dtype === 'int32') {
    checkLabels('crossEntropy', target, p.shape, 'probabilities');
    const expected = p.shape.slice(0, -1);
    const picked = gather(p, target.reshape([...expected, 1]), p.ndim - 1); // y[n, t_n]
    return sum(log(picked.add(delta)))
      .neg()
      .div(rows);
  }
  if (target.dtype === 'bool')
    throw new DTypeError('crossEntropy: targets must be int32 labels or float one-hot rows, got bool');
  if (target.ndim === p.ndim - 1 && target.shape.every((d, i) => d === p.shape[i]))
    throw new DTypeError(
      `crossEntropy: labels of shape ${formatShape(target.shape)} must be int32, got ${target.dtype} (tensor(labels, { dtype: 'int32' }))`,
    );
  checkSameShape('crossEntropy', p, target);
  return sum(targetVariable.mul(log(p.add(delta))))
    .neg()
    .div(rows);
}

/** The float targets of a binary loss, as the output's dtype. */
function binaryTargets(op: string, x: Variable, t: LossInput): Tensor {
  const target = operand(op, 't', t).data;
  checkSameShape(op, x, target);
  if (target.dtype === 'int32' || target.dtype === 'bool') return target.astype(x.dtype);
  return target.dtype === x.dtype ? target : target.astype(x.dtype);
}

/**
 * Binary cross-entropy on probabilities p, averaged over every element, as a fused node: the
 * forward clamps each log at −100 (PyTorch's rule, so p = 0 or 1 gives a finite loss) and the
 * backward is written directly as (p − t)/max(p·(1 − p), 1e-12) — composing log nodes would
 * give 0·∞ = NaN where a log is clamped.
 * @example new BinaryCrossEntropy(targets).apply(probabilities) // what binaryCrossEntropy(p, t) does
 */
export class BinaryCrossEntropy extends Function {
  constructor(readonly target: Tensor) {
    super();
  }
  override get rule(): string {
    return 'BinaryCrossEntropy: dp = dy·(p − t)/(max(p(1 − p), 1e-12)·n)';
  }
  forward(p: Tensor): Tensor {
    checkProbabilities('binaryCrossEntropy', p);
    const t = this.target;
    const logP = p.log().maximum(-100);
    const log1mP = p.neg().add(1).log().maximum(-100);
    return t.mul(logP).add(t.neg().add(1).mul(log1mP)).mean().neg();
  }
  backward(gy: Variable): Variable {
    const p = this.inputs[0];
    const denominator = p.mul(p.neg().add(1)).clip(1e-12, Infinity);
    return p.sub(this.target).div(denominator).mul(gy.div(p.size));
  }
}

/**
 * Throws a ValueError unless every value of `p` lies in [0, 1] (NaN included), as PyTorch checks:
 * a log of a value outside would be NaN and train on silently. One pass over the data, a small
 * fraction of the forward's own passes (see the test's timing note).
 */
function checkProbabilities(op: string, p: Tensor): void {
  const c = p.contiguous();
  const end = c.offset + c.size;
  let low = Infinity;
  let high = -Infinity;
  let bad = false;
  for (let i = c.offset; i < end; i++) {
    const v = c.data[i];
    if (!(v >= 0 && v <= 1)) bad = true;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (!bad) return;
  const nan = c.toTypedArray().some((v) => Number.isNaN(v)) ? ' (and NaN)' : '';
  throw new ValueError(
    `${op}: probabilities p must lie in [0, 1], got values in [${low}, ${high}]${nan}; pass raw scores to binaryCrossEntropyWithLogits, or apply sigmoid first`,
  );
}

/**
 * Binary cross-entropy of probabilities `p` (e.g. a sigmoid output) against targets `t` in
 * [0, 1] of the same shape: −mean(t·log p + (1 − t)·log(1 − p)), logs clamped at −100. From raw
 * scores prefer `binaryCrossEntropyWithLogits` (stable).
 * @example binaryCrossEntropy(F.sigmoid(scores), labels).backward();
 */
export function binaryCrossEntropy(p: LossInput, t: LossInput): Variable {
  const x = operand('binaryCrossEntropy', 'p', p);
  return new BinaryCrossEntropy(binaryTargets('binaryCrossEntropy', x, t)).apply(x);
}

/**
 * Sigmoid followed by binary cross-entropy, fused for numerical stability: per element
 * max(x, 0) − x·t + log(1 + e^−|x|) (never exponentiates a large positive number), averaged over
 * every element. Backward (σ(x) − t)/n, written with graph nodes so it can be differentiated
 * again — and correct at x = 0, where a composition of relu and abs would see their kinks.
 * @example new BinaryCrossEntropyWithLogits(targets).apply(logits) // what binaryCrossEntropyWithLogits does
 */
export class BinaryCrossEntropyWithLogits extends Function {
  constructor(readonly target: Tensor) {
    super();
  }
  override get rule(): string {
    return 'BinaryCrossEntropyWithLogits: dx = dy·(σ(x) − t)/n';
  }
  forward(x: Tensor): Tensor {
    const softplusTail = x.abs().neg().exp().add(1).log();
    return x.relu().sub(x.mul(this.target)).add(softplusTail).mean();
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0];
    return sigmoid(x).sub(this.target).mul(gy.div(x.size));
  }
}

/**
 * Binary cross-entropy from raw scores (logits) against targets in [0, 1] of the same shape,
 * averaged over every element; stable for any logit.
 * @example binaryCrossEntropyWithLogits(net.forward(x), labels).backward();
 */
export function binaryCrossEntropyWithLogits(logits: LossInput, t: LossInput): Variable {
  const x = operand('binaryCrossEntropyWithLogits', 'logits', logits);
  return new BinaryCrossEntropyWithLogits(binaryTargets('binaryCrossEntropyWithLogits', x, t)).apply(x);
}

/**
 * The seeds' SoftmaxWithLoss as one fused, stable node (from @nn/autograd): softmax over the last
 * axis, then cross-entropy with int32 labels or one-hot rows, averaged over the batch.
 * @example softmaxCrossEntropy(net.forward(x), labels).backward();
 */
export { softmaxCrossEntropy } from '@nn/autograd';

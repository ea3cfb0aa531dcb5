import { type FloatDType, ShapeError, type Tensor, ValueError, formatShape, full } from '@nn/tensor';
import { type Variable, noGrad } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of `BatchNorm1d` and `BatchNorm2d`. @example new BatchNorm1d(100, { momentum: 0.1, eps: 1e-5 }) */
export interface BatchNormOptions {
  /**
   * Weight of the new batch statistic in the running averages (default 0.1, PyTorch's
   * convention): running = (1 − momentum)·running + momentum·batch. The book's
   * `BatchNormalization(momentum=0.9)` weighs the *old* value, so it is our momentum 0.1 (= 1 − 0.9).
   */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5, PyTorch's; the book's code uses 10e-7 = 1e-6). */
  eps?: number;
  /** Element type of gamma, beta and the running statistics (default float32). */
  dtype?: FloatDType;
}

/**
 * Batch normalization (the seeds' 001 §5.3, 002 §30) over the feature/channel axis 1: every other axis (batch,
 * and length or height·width) is averaged over.
 *
 * - Training: x̂ = (x − μ)/√(σ² + eps) with the batch mean μ and the **biased** batch variance σ²
 *   (divided by n, as the book's code does), then y = gamma·x̂ + beta. The running statistics are updated
 *   as running = (1 − momentum)·running + momentum·batch, with the **unbiased** variance (divided
 *   by n − 1) for `runningVar` — PyTorch's rule. (The book's code averages the biased variance; with
 *   n = 100 samples per feature the two differ by 1%.)
 * - Eval: x̂ = (x − runningMean)/√(runningVar + eps); nothing is updated.
 *
 * Composed from graph nodes (mean, sub, square, sqrt, div, mul, add), so its backward is the one
 * autograd derives — the book's BatchNorm backward in graph form; correct and simple beats fused.
 *
 * Parameters `gamma` (ones) and `beta` (zeros); buffers `runningMean` (zeros) and `runningVar`
 * (ones), of shape (features). The base of `BatchNorm1d` and `BatchNorm2d`.
 *
 * @example
 * const bn = new BatchNorm1d(3);
 * bn.forward(x);          // training: batch statistics; updates bn.runningMean / bn.runningVar
 * bn.eval().forward(x);   // eval: running statistics
 */
export abstract class BatchNorm extends Module {
  gamma: Parameter;
  beta: Parameter;
  /** The running average of the batch means (a buffer: in the state dict, not trained). */
  declare runningMean: Tensor;
  /** The running average of the unbiased batch variances (a buffer). */
  declare runningVar: Tensor;
  readonly momentum: number;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0)
      throw new ValueError(`${new.target.name}: features must be a positive integer, got ${numFeatures}`);
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum <= 1))
      throw new ValueError(`${new.target.name}: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.eps >= 0)) throw new ValueError(`${new.target.name}: eps must be >= 0, got ${this.eps}`);
    const dtype = options.dtype ?? 'float32';
    this.gamma = new Parameter(full([numFeatures], 1, { dtype }), { name: 'gamma' });
    this.beta = new Parameter(full([numFeatures], 0, { dtype }), { name: 'beta' });
    this.registerBuffer('runningMean', full([numFeatures], 0, { dtype }));
    this.registerBuffer('runningVar', full([numFeatures], 1, { dtype }));
  }

  /** The input ranks this layer accepts, for the error message. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly layout: string;

  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    const C = this.numFeatures;
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== C) {
      throw new ShapeError(
        `${this.constructor.name}(${C}): expected input of shape ${this.layout} with C = ${C}, got ${formatShape(x.shape)}`,
      );
    }
    const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
    const keptShape = x.shape.map((n, d) => (d === 1 ? n : 1)); // (1, C) or (1, C, 1, 1): broadcasts against x
    const gamma = this.gamma.reshape(keptShape);
    const beta = this.beta.reshape(keptShape);
    let normalized: Variable;
    if (this.training) {
      const n = axes.reduce((count, d) => count * x.shape[d], 1);
      if (n < 2)
        throw new ValueError(
          `${this.constructor.name}: training needs more than one value per feature to estimate a variance, got input ${formatShape(x.shape)}`,
        );
      const mean = x.mean(axes, { keepdims: true });
      const centered = x.sub(mean);
      const variance = centered.square().mean(axes, { keepdims: true }); // biased: divided by n
      normalized = centered.div(variance.add(this.eps).sqrt());
      noGrad(() => {
        const m = this.momentum;
        const dtype = this.runningMean.dtype;
        const batchMean = mean.data.reshape([C]).astype(dtype);
        const batchVar = variance.data
          .reshape([C])
          .mul(n / (n - 1))
          .astype(dtype); // unbiased
        this.runningMean = this.runningMean.mul(1 - m).add(batchMean.mul(m));
        this.runningVar = this.runningVar.mul(1 - m).add(batchVar.mul(m));
      });
    } else {
      const mean = this.runningMean.reshape(keptShape);
      const std = this.runningVar.add(this.eps).sqrt().reshape(keptShape);
      normalized = x.sub(mean).div(std);
    }
    return normalized.mul(gamma).add(beta);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, momentum=${this.momentum}, eps=${this.eps}`;
  }
}

/**
 * Batch normalization of features: input (N, C), or (N, C, L) normalized over N and L.
 * @example
 * const net = new Sequential(new Linear(784, 100), new BatchNorm1d(100), new ReLU());
 */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
  protected readonly layout = '(N, C) or (N, C, L)';
}

/**
 * Batch normalization of image channels: input (N, C, H, W), normalized per channel over N, H, W.
 * @example
 * new BatchNorm2d(16).forward(featureMaps); // featureMaps: (N, 16, H, W)
 */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
  protected readonly layout = '(N, C, H, W)';
}

import { kernels } from '@nn/tensor';
import { type FloatArray, Optimizer, type OptimizerParams, type OptimizerOptions, checkRange } from './optimizer.js';

/**
 * Stochastic gradient descent, the seeds' first optimizer: W ← W − η·∂L/∂W
 * (with weight decay λ the gradient is ∂L/∂W + λ·W).
 *
 * @example
 * const optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * optimizer.zeroGrad(); loss.backward(); optimizer.step();
 */
export class SGD extends Optimizer {
  protected readonly slots: readonly string[] = [];

  constructor(params: OptimizerParams<OptimizerOptions>, options: OptimizerOptions) {
    super(params, options);
  }

  protected hyperparameters(): Record<string, number> {
    return { lr: this.lr, weightDecay: this.weightDecay };
  }

  protected setHyperparameters(h: Record<string, number>): void {
    ({ lr: this.lr, weightDecay: this.weightDecay } = h);
  }

  protected update(w: FloatArray, g: FloatArray): void {
    // w − η·(g + λ·w) = (1 − η·λ)·w − η·g: one axpby, in WebAssembly SIMD on the wasm backend.
    kernels().axpby(w, g, 1 - this.lr * this.weightDecay, -this.lr);
  }
}

/** Options of Momentum and Nesterov. @example new Momentum(params, { lr: 0.01, momentum: 0.9 }) */
export interface MomentumOptions extends OptimizerOptions {
  /** The momentum coefficient α in [0, 1) (default 0.9). */
  momentum?: number;
}

/**
 * Momentum, as the seeds write it: a velocity v (zero at first) that the gradient accelerates,
 *
 *   v ← α·v − η·∂L/∂W,   W ← W + v
 *
 * The first step equals SGD's; the second moves by −η·(α·g₁ + g₂). State: `param.<i>.v`.
 *
 * @example
 * const optimizer = new Momentum(model.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class Momentum extends Optimizer {
  /** The momentum coefficient α. */
  momentum: number;
  protected readonly slots: readonly string[] = ['v'];

  constructor(params: OptimizerParams<MomentumOptions>, options: MomentumOptions) {
    super(params, options);
    this.momentum = checkRange(new.target.name, 'momentum', options.momentum ?? 0.9, 0, 1, { openHigh: true });
  }

  protected hyperparameters(): Record<string, number> {
    return { lr: this.lr, weightDecay: this.weightDecay, momentum: this.momentum };
  }

  protected setHyperparameters(h: Record<string, number>): void {
    ({ lr: this.lr, weightDecay: this.weightDecay, momentum: this.momentum } = h);
  }

  protected update(w: FloatArray, g: FloatArray, [v]: FloatArray[]): void {
    const { lr, weightDecay, momentum } = this;
    for (let i = 0; i < w.length; i++) {
      const vi = momentum * v[i] - lr * (g[i] + weightDecay * w[i]);
      v[i] = vi;
      w[i] += vi;
    }
  }
}

/**
 * Nesterov's accelerated gradient: Momentum that looks ahead along the velocity before taking
 * the gradient. In the usual reformulation on the current weights (Bengio et al. 2013; CS231n),
 *
 *   v ← α·v − η·∂L/∂W,   W ← W + α·v − η·∂L/∂W
 *
 * so the first step moves by −(1 + α)·η·g. With a constant η this is what PyTorch's
 * `SGD(nesterov=True)` computes. State: `param.<i>.v`.
 *
 * @example
 * const optimizer = new Nesterov(model.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class Nesterov extends Momentum {
  protected override update(w: FloatArray, g: FloatArray, [v]: FloatArray[]): void {
    const { lr, weightDecay, momentum } = this;
    for (let i = 0; i < w.length; i++) {
      const step = lr * (g[i] + weightDecay * w[i]);
      const vi = momentum * v[i] - step;
      v[i] = vi;
      w[i] += momentum * vi - step;
    }
  }
}

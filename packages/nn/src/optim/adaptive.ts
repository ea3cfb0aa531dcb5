import { type FloatArray, Optimizer, type OptimizerParams, type OptimizerOptions, checkRange } from './optimizer.js';

/** Options of AdaGrad. @example new AdaGrad(params, { lr: 1.5, eps: 1e-7 }) */
export interface AdaGradOptions extends OptimizerOptions {
  /** Added to √h so an element with no gradient yet never divides by 0 (default 1e-7, the seeds'). */
  eps?: number;
}

/**
 * AdaGrad, as the seeds write it: each element's step shrinks with the sum of its squared
 * gradients so far,
 *
 *   h ← h + g⊙g,   W ← W − η·g / (√h + ε)
 *
 * so the first step is η·g/(|g| + ε) ≈ η·sign(g). State: `param.<i>.h`.
 *
 * @example
 * const optimizer = new AdaGrad(model.parameters(), { lr: 1.5 });
 */
export class AdaGrad extends Optimizer {
  eps: number;
  protected readonly slots: readonly string[] = ['h'];

  constructor(params: OptimizerParams<AdaGradOptions>, options: AdaGradOptions) {
    super(params, options);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-7, 0, Infinity);
  }

  protected hyperparameters(): Record<string, number> {
    return { lr: this.lr, weightDecay: this.weightDecay, eps: this.eps };
  }

  protected setHyperparameters(h: Record<string, number>): void {
    ({ lr: this.lr, weightDecay: this.weightDecay, eps: this.eps } = h);
  }

  protected update(w: FloatArray, g: FloatArray, [h]: FloatArray[]): void {
    const { lr, weightDecay, eps } = this;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] + weightDecay * w[i];
      const hi = h[i] + gi * gi;
      h[i] = hi;
      w[i] -= (lr * gi) / (Math.sqrt(hi) + eps);
    }
  }
}

/** Options of RMSProp. @example new RMSProp(params, { lr: 0.01, decay: 0.99 }) */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay rate ρ of the running mean of squared gradients, in [0, 1) (default 0.99). */
  decay?: number;
  /** Added to the root mean square (default 1e-7, as AdaGrad). */
  eps?: number;
}

/**
 * RMSProp: AdaGrad with a forgetting running mean instead of an ever-growing sum, so the step
 * size does not decay to zero:
 *
 *   h ← ρ·h + (1 − ρ)·g⊙g,   W ← W − η·g / (√h + ε)
 *
 * State: `param.<i>.h`.
 *
 * @example
 * const optimizer = new RMSProp(model.parameters(), { lr: 0.01, decay: 0.99 });
 */
export class RMSProp extends Optimizer {
  decay: number;
  eps: number;
  protected readonly slots: readonly string[] = ['h'];

  constructor(params: OptimizerParams<RMSPropOptions>, options: RMSPropOptions) {
    super(params, options);
    this.decay = checkRange(new.target.name, 'decay', options.decay ?? 0.99, 0, 1, { openHigh: true });
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-7, 0, Infinity);
  }

  protected hyperparameters(): Record<string, number> {
    return { lr: this.lr, weightDecay: this.weightDecay, decay: this.decay, eps: this.eps };
  }

  protected setHyperparameters(h: Record<string, number>): void {
    ({ lr: this.lr, weightDecay: this.weightDecay, decay: this.decay, eps: this.eps } = h);
  }

  protected update(w: FloatArray, g: FloatArray, [h]: FloatArray[]): void {
    const { lr, weightDecay, decay, eps } = this;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] + weightDecay * w[i];
      const hi = decay * h[i] + (1 - decay) * gi * gi;
      h[i] = hi;
      w[i] -= (lr * gi) / (Math.sqrt(hi) + eps);
    }
  }
}

/** Options of Adam and AdamW. @example new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }) */
export interface AdamOptions extends OptimizerOptions {
  /** Decay β1 of the first moment (the momentum part), in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay β2 of the second moment (the AdaGrad part), in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
}

/**
 * Adam (Kingma & Ba 2015), the seeds' fusion of Momentum and AdaGrad, with bias correction:
 *
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g⊙g
 *   m̂ = m / (1 − β1ᵗ),       v̂ = v / (1 − β2ᵗ),      W ← W − η·m̂ / (√v̂ + ε)
 *
 * t counts this parameter's updates, so the first step is η·g/(|g| + ε) ≈ η·sign(g).
 * Weight decay is L2 (added to g); for decoupled decay use AdamW.
 * State: `param.<i>.m`, `param.<i>.v`, `param.<i>.step`.
 *
 * @example
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  protected readonly slots: readonly string[] = ['m', 'v'];

  constructor(params: OptimizerParams<AdamOptions>, options: AdamOptions) {
    super(params, options);
    const kind = new.target.name;
    this.beta1 = checkRange(kind, 'beta1', options.beta1 ?? 0.9, 0, 1, { openHigh: true });
    this.beta2 = checkRange(kind, 'beta2', options.beta2 ?? 0.999, 0, 1, { openHigh: true });
    this.eps = checkRange(kind, 'eps', options.eps ?? 1e-8, 0, Infinity);
  }

  protected hyperparameters(): Record<string, number> {
    return { lr: this.lr, weightDecay: this.weightDecay, beta1: this.beta1, beta2: this.beta2, eps: this.eps };
  }

  protected setHyperparameters(h: Record<string, number>): void {
    ({ lr: this.lr, weightDecay: this.weightDecay, beta1: this.beta1, beta2: this.beta2, eps: this.eps } = h);
  }

  protected update(w: FloatArray, g: FloatArray, buffers: FloatArray[], t: number): void {
    adamUpdate(w, g, buffers, t, this, this.weightDecay, 0);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay. Instead of adding λ·W to
 * the gradient (which Adam's normalisation then rescales), each step first shrinks the weights,
 * W ← W − η·λ·W, and then takes Adam's step on the plain gradient. `weightDecay` defaults to 0.01.
 *
 * @example
 * const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends Adam {
  constructor(params: OptimizerParams<AdamOptions>, options: AdamOptions) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 0.01 });
  }

  protected override update(w: FloatArray, g: FloatArray, buffers: FloatArray[], t: number): void {
    adamUpdate(w, g, buffers, t, this, 0, this.weightDecay);
  }
}

/** Adam's fused loop; `l2` is added to the gradient (Adam), `decoupled` shrinks W directly (AdamW). */
function adamUpdate(
  w: FloatArray,
  g: FloatArray,
  [m, v]: FloatArray[],
  t: number,
  { lr, beta1, beta2, eps }: { lr: number; beta1: number; beta2: number; eps: number },
  l2: number,
  decoupled: number,
): void {
  // m̂/(√v̂ + ε) = m/(1 − β1ᵗ) / (√v/√(1 − β2ᵗ) + ε): the corrections are hoisted out of the loop.
  const stepSize = lr / (1 - beta1 ** t);
  const rootCorrection2 = Math.sqrt(1 - beta2 ** t);
  const shrink = 1 - lr * decoupled;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] + l2 * w[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * shrink - (stepSize * mi) / (Math.sqrt(vi) / rootCorrection2 + eps);
  }
}

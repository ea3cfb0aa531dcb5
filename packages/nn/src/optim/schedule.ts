/**
 * Learning-rate schedules (the seeds' "learning rate decay"), stepped once per epoch.
 *
 * Two forms of each schedule:
 * - a pure function of the epoch (`stepDecay`, `exponentialDecay`, `cosineAnnealing`), for a
 *   hand-written loop: `optimizer.lr = cosineAnnealing(0.1, epoch, { tMax: 50 })`;
 * - a scheduler object (`StepLR`, `ExponentialLR`, `CosineAnnealingLR`) that remembers the
 *   optimizer's starting lr and the epoch, and sets `optimizer.lr` on each `step()`.
 */
import { ShapeError, Tensor, ValueError } from '@nn/tensor';

/** What a scheduler drives: anything with a mutable learning rate (every Optimizer). @example new StepLR({ lr: 0.1 }, { stepSize: 10 }) */
export interface HasLearningRate {
  lr: number;
}

/** Options of `stepDecay` and `StepLR`. @example new StepLR(optimizer, { stepSize: 10, gamma: 0.5 }) */
export interface StepDecayOptions {
  /** Epochs between decays (a positive integer). */
  stepSize: number;
  /** Factor applied every `stepSize` epochs (default 0.1). */
  gamma?: number;
}

/** Options of `cosineAnnealing` and `CosineAnnealingLR`. @example new CosineAnnealingLR(optimizer, { tMax: 50, minLr: 1e-4 }) */
export interface CosineAnnealingOptions {
  /** Epochs from the base lr down to `minLr` (a positive integer). */
  tMax: number;
  /** The lr at and after epoch tMax (default 0). */
  minLr?: number;
}

/**
 * The lr after `epoch` epochs of step decay: baseLr·γ^⌊epoch/stepSize⌋.
 * @example stepDecay(0.1, 25, { stepSize: 10, gamma: 0.5 }) // 0.025
 */
export function stepDecay(baseLr: number, epoch: number, { stepSize, gamma = 0.1 }: StepDecayOptions): number {
  checkEpoch('stepDecay', epoch);
  if (!Number.isInteger(stepSize) || stepSize < 1)
    throw new ValueError(`stepDecay: stepSize must be a positive integer, got ${stepSize}`);
  checkFactor('stepDecay', gamma);
  return baseLr * gamma ** Math.floor(epoch / stepSize);
}

/**
 * The lr after `epoch` epochs of exponential decay: baseLr·γ^epoch.
 * @example exponentialDecay(0.1, 2, 0.5) // 0.025
 */
export function exponentialDecay(baseLr: number, epoch: number, gamma: number): number {
  checkEpoch('exponentialDecay', epoch);
  checkFactor('exponentialDecay', gamma);
  return baseLr * gamma ** epoch;
}

/**
 * The lr after `epoch` epochs of cosine annealing (Loshchilov & Hutter 2017, without restarts):
 * minLr + (baseLr − minLr)·(1 + cos(π·epoch/tMax))/2, then minLr from epoch tMax on.
 * @example cosineAnnealing(0.1, 5, { tMax: 10 }) // 0.05
 */
export function cosineAnnealing(baseLr: number, epoch: number, { tMax, minLr = 0 }: CosineAnnealingOptions): number {
  checkEpoch('cosineAnnealing', epoch);
  if (!Number.isInteger(tMax) || tMax < 1)
    throw new ValueError(`cosineAnnealing: tMax must be a positive integer, got ${tMax}`);
  if (epoch >= tMax) return minLr;
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}

/**
 * The base of the scheduler objects: remembers the optimizer's lr at construction (`baseLr`)
 * and the number of epochs stepped, and sets `optimizer.lr = lrAt(epoch)` on each `step()`.
 * Call `step()` once at the end of every epoch (the Trainer does it when given `scheduler`).
 *
 * @example
 * class HalveLR extends LRScheduler { lrAt(epoch: number) { return this.baseLr / 2 ** epoch; } }
 */
export abstract class LRScheduler {
  /** The optimizer's lr when the scheduler was created (epoch 0). */
  baseLr: number;
  /** Epochs stepped so far. */
  epoch = 0;

  constructor(readonly optimizer: HasLearningRate) {
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for `epoch` (a pure function of it). */
  abstract lrAt(epoch: number): number;

  /** The learning rate for the current epoch. @example scheduler.lr // 0.1 */
  get lr(): number {
    return this.lrAt(this.epoch);
  }

  /**
   * Ends an epoch: advances the epoch count, sets the optimizer's lr and returns it.
   * @example for (let e = 0; e < 30; e++) { trainOneEpoch(); scheduler.step(); }
   */
  step(): number {
    this.epoch++;
    this.optimizer.lr = this.lr;
    return this.optimizer.lr;
  }

  /** `{ epoch, baseLr }` as 0-d float64 tensors, to save beside the optimizer's state. @example scheduler.stateDict() */
  stateDict(): Record<string, Tensor> {
    return { epoch: new Tensor(Float64Array.of(this.epoch), []), baseLr: new Tensor(Float64Array.of(this.baseLr), []) };
  }

  /** Restores `epoch` and `baseLr` and sets the optimizer's lr to match. @example scheduler.loadStateDict(saved) */
  loadStateDict(dict: Record<string, Tensor>): void {
    const kind = this.constructor.name;
    const keys = Object.keys(dict).sort().join(', ');
    if (keys !== 'baseLr, epoch')
      throw new ValueError(`${kind}.loadStateDict: expected the keys baseLr, epoch, got ${keys || 'none'}`);
    for (const key of ['epoch', 'baseLr']) {
      if (!(dict[key] instanceof Tensor) || dict[key].size !== 1 || dict[key].ndim !== 0)
        throw new ShapeError(`${kind}.loadStateDict: '${key}' must be a 0-d tensor`);
    }
    const epoch = dict.epoch.item();
    checkEpoch(`${kind}.loadStateDict`, epoch);
    this.epoch = epoch;
    this.baseLr = dict.baseLr.item();
    this.optimizer.lr = this.lr;
  }
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs.
 *
 * @example
 * const scheduler = new StepLR(optimizer, { stepSize: 10, gamma: 0.5 });
 * // after each epoch: scheduler.step();  lr: 0.1 for epochs 0–9, 0.05 for 10–19, ...
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasLearningRate, { stepSize, gamma = 0.1 }: StepDecayOptions) {
    super(optimizer);
    stepDecay(this.baseLr, 0, { stepSize, gamma }); // validates the options
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  lrAt(epoch: number): number {
    return stepDecay(this.baseLr, epoch, this);
  }
}

/**
 * Multiplies the lr by `gamma` every epoch.
 *
 * @example
 * const scheduler = new ExponentialLR(optimizer, { gamma: 0.95 });
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: HasLearningRate, { gamma }: { gamma: number }) {
    super(optimizer);
    exponentialDecay(this.baseLr, 0, gamma);
    this.gamma = gamma;
  }

  lrAt(epoch: number): number {
    return exponentialDecay(this.baseLr, epoch, this.gamma);
  }
}

/**
 * Anneals the lr from its starting value to `minLr` along half a cosine over `tMax` epochs,
 * then holds `minLr`.
 *
 * @example
 * const scheduler = new CosineAnnealingLR(optimizer, { tMax: 50 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly minLr: number;

  constructor(optimizer: HasLearningRate, { tMax, minLr = 0 }: CosineAnnealingOptions) {
    super(optimizer);
    cosineAnnealing(this.baseLr, 0, { tMax, minLr });
    this.tMax = tMax;
    this.minLr = minLr;
  }

  lrAt(epoch: number): number {
    return cosineAnnealing(this.baseLr, epoch, this);
  }
}

/** Options of `LinearWarmup` (PyTorch's LinearLR). @example new LinearWarmup(optimizer, { startFactor: 0.1, totalIters: 5 }) */
export interface LinearWarmupOptions {
  /** The lr factor at epoch 0 (default 1/3, in (0, 1]). */
  startFactor?: number;
  /** The lr factor from epoch `totalIters` on (default 1, in (0, 1]). */
  endFactor?: number;
  /** Epochs over which the factor moves linearly from start to end (default 5, a positive integer). */
  totalIters?: number;
}

/**
 * Linear warmup (PyTorch's LinearLR): lr = baseLr·(start + (end − start)·min(epoch, totalIters)/totalIters).
 * Sets the optimizer's lr to the epoch-0 value on construction.
 *
 * @example
 * const scheduler = new LinearWarmup(optimizer, { startFactor: 0.25, totalIters: 4 });
 * // lr: 0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, ...  (baseLr 0.1)
 */
export class LinearWarmup extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(
    optimizer: HasLearningRate,
    { startFactor = 1 / 3, endFactor = 1, totalIters = 5 }: LinearWarmupOptions = {},
  ) {
    super(optimizer);
    for (const [name, f] of [
      ['startFactor', startFactor],
      ['endFactor', endFactor],
    ] as const) {
      if (typeof f !== 'number' || !(f > 0 && f <= 1))
        throw new ValueError(`LinearWarmup: ${name} must be in (0, 1], got ${f}`);
    }
    if (!Number.isInteger(totalIters) || totalIters < 1)
      throw new ValueError(`LinearWarmup: totalIters must be a positive integer, got ${totalIters}`);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    optimizer.lr = this.lr;
  }

  lrAt(epoch: number): number {
    checkEpoch('LinearWarmup', epoch);
    const t = Math.min(epoch, this.totalIters) / this.totalIters;
    return this.baseLr * (this.startFactor + (this.endFactor - this.startFactor) * t);
  }
}

/** Options of `OneCycleLR` (PyTorch's names and defaults, cosine annealing, two phases). @example new OneCycleLR(optimizer, { maxLr: 0.1, totalSteps: 100 }) */
export interface OneCycleOptions {
  /** The peak lr, reached at step pctStart·totalSteps − 1. */
  maxLr: number;
  /** Steps in the cycle (a positive integer); stepping past it is an error. */
  totalSteps: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3, in (0, 1)). */
  pctStart?: number;
  /** The initial lr is maxLr/divFactor (default 25). */
  divFactor?: number;
  /** The final lr is initialLr/finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * The 1cycle policy (Smith & Topin 2018) as PyTorch's OneCycleLR with anneal_strategy 'cos':
 * cosine from maxLr/divFactor up to maxLr over the first pctStart of the steps, then cosine down to
 * maxLr/(divFactor·finalDivFactor) at step totalSteps − 1. Usually stepped once per batch.
 * The optimizer's own lr is replaced by the initial lr on construction.
 *
 * @example
 * const scheduler = new OneCycleLR(optimizer, { maxLr: 0.1, totalSteps: epochs * batches });
 * // after each batch: scheduler.step();
 */
export class OneCycleLR extends LRScheduler {
  readonly maxLr: number;
  readonly totalSteps: number;
  readonly initialLr: number;
  readonly minLr: number;
  /** The step at which the lr peaks (pctStart·totalSteps − 1, as PyTorch). */
  readonly peakStep: number;

  constructor(
    optimizer: HasLearningRate,
    { maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 }: OneCycleOptions,
  ) {
    super(optimizer);
    if (typeof maxLr !== 'number' || !Number.isFinite(maxLr) || maxLr <= 0)
      throw new ValueError(`OneCycleLR: maxLr must be a positive number, got ${maxLr}`);
    if (!Number.isInteger(totalSteps) || totalSteps < 1)
      throw new ValueError(`OneCycleLR: totalSteps must be a positive integer, got ${totalSteps}`);
    if (typeof pctStart !== 'number' || !(pctStart > 0 && pctStart < 1))
      throw new ValueError(`OneCycleLR: pctStart must be in (0, 1), got ${pctStart}`);
    for (const [name, f] of [
      ['divFactor', divFactor],
      ['finalDivFactor', finalDivFactor],
    ] as const) {
      if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0)
        throw new ValueError(`OneCycleLR: ${name} must be a positive number, got ${f}`);
    }
    this.maxLr = maxLr;
    this.totalSteps = totalSteps;
    this.initialLr = maxLr / divFactor;
    this.minLr = this.initialLr / finalDivFactor;
    this.peakStep = pctStart * totalSteps - 1;
    this.baseLr = this.initialLr;
    optimizer.lr = this.initialLr;
  }

  lrAt(step: number): number {
    checkEpoch('OneCycleLR', step);
    if (step > this.totalSteps)
      throw new ValueError(`OneCycleLR: stepped ${step} times, past totalSteps ${this.totalSteps}`);
    // Two phases as PyTorch: [0, peakStep] rises, [peakStep, totalSteps − 1] falls.
    const end = this.totalSteps - 1;
    if (step <= this.peakStep)
      return cosineBetween(this.initialLr, this.maxLr, this.peakStep > 0 ? step / this.peakStep : 1);
    return cosineBetween(this.maxLr, this.minLr, (step - this.peakStep) / (end - this.peakStep));
  }
}

/** Options of `ReduceLROnPlateau` (PyTorch's names and defaults). @example new ReduceLROnPlateau(optimizer, { patience: 2 }) */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Factor applied on a plateau (default 0.1, in (0, 1)). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** The least improvement that counts (default 1e-4). */
  threshold?: number;
  /** 'rel': relative to the best (default); 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a reduction during which bad epochs are not counted (default 0). */
  cooldown?: number;
  /** The lr never goes below this (default 0). */
  minLr?: number;
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric has stopped improving for `patience` epochs (PyTorch's
 * ReduceLROnPlateau): call `step(metric)` once per epoch with the validation loss (or accuracy in
 * mode 'max'). Not a function of the epoch, so it is not an `LRScheduler`.
 *
 * @example
 * const plateau = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 3 });
 * for (let epoch = 0; epoch < 50; epoch++) { trainOneEpoch(); plateau.step(validationLoss()); }
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  /** The best metric seen so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement (reset by a reduction and during cooldown). */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Epochs stepped so far. */
  epoch = 0;

  constructor(
    readonly optimizer: HasLearningRate,
    {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    }: ReduceLROnPlateauOptions = {},
  ) {
    const op = 'ReduceLROnPlateau';
    if (mode !== 'min' && mode !== 'max')
      throw new ValueError(`${op}: mode must be 'min' or 'max', got ${String(mode)}`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw new ValueError(`${op}: thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
    if (typeof factor !== 'number' || !(factor > 0 && factor < 1))
      throw new ValueError(`${op}: factor must be in (0, 1), got ${factor}`);
    for (const [name, n] of [
      ['patience', patience],
      ['cooldown', cooldown],
    ] as const) {
      if (!Number.isInteger(n) || n < 0)
        throw new ValueError(`${op}: ${name} must be a non-negative integer, got ${n}`);
    }
    for (const [name, x] of [
      ['threshold', threshold],
      ['minLr', minLr],
      ['eps', eps],
    ] as const) {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
        throw new ValueError(`${op}: ${name} must be a non-negative number, got ${x}`);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
  }

  /** The optimizer's current lr. @example plateau.lr // 0.1 */
  get lr(): number {
    return this.optimizer.lr;
  }

  /**
   * Ends an epoch with its metric; reduces the lr after more than `patience` bad epochs.
   * Returns the lr for the next epoch.
   * @example plateau.step(0.42)
   */
  step(metric: number): number {
    if (typeof metric !== 'number' || Number.isNaN(metric))
      throw new ValueError(`ReduceLROnPlateau.step: metric must be a number, got ${metric}`);
    this.epoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count, as in PyTorch
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    return this.optimizer.lr;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  }
}

/** From `start` (pct 0) to `end` (pct 1) along half a cosine: PyTorch's _annealing_cos. */
function cosineBetween(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function checkEpoch(op: string, epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new ValueError(`${op}: epoch must be a non-negative integer, got ${epoch}`);
}

function checkFactor(op: string, gamma: number): void {
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma <= 0)
    throw new ValueError(`${op}: gamma must be a positive number, got ${gamma}`);
}

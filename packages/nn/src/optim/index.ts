/**
 * Optimizers, gradient clipping and learning-rate schedules.
 *
 * @example
 * import { Adam, clipGradNorm, CosineAnnealingLR } from '@nn/nn';
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 * const scheduler = new CosineAnnealingLR(optimizer, { tMax: 20 });
 */
export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerParams,
  type ParamGroupOptions,
  type ParamGroup,
  type FloatArray,
} from './optimizer.js';
export { SGD, Momentum, Nesterov, type MomentumOptions } from './sgd.js';
export {
  AdaGrad,
  RMSProp,
  Adam,
  AdamW,
  type AdaGradOptions,
  type RMSPropOptions,
  type AdamOptions,
} from './adaptive.js';
export { clipGradNorm } from './clip.js';
export {
  LRScheduler,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  OneCycleLR,
  ReduceLROnPlateau,
  stepDecay,
  exponentialDecay,
  cosineAnnealing,
  type HasLearningRate,
  type StepDecayOptions,
  type CosineAnnealingOptions,
  type LinearWarmupOptions,
  type OneCycleOptions,
  type ReduceLROnPlateauOptions,
} from './schedule.js';

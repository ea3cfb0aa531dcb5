/**
 * Training: `fit` (the loop, with progress output and history), `evaluate`, the seeds' `Trainer`
 * class, callbacks with `earlyStopping`, metrics, and `miniBatches` (the one mini-batch loop, which
 * @nn/data's DataLoader is built on).
 *
 * @example
 * import { fit, evaluate, earlyStopping } from '@nn/nn';
 * const history = fit(model, optimizer, { x, t }, { epochs: 20, batchSize: 32, evalData: test });
 */
export {
  fit,
  evaluate,
  Trainer,
  type Batch,
  type Data,
  type LossFunction,
  type FitOptions,
  type EvaluateOptions,
  type EvaluationResult,
} from './fit.js';
export { miniBatches, miniBatchCount, type DatasetTensors, type MiniBatchOptions } from './batches.js';
export {
  earlyStopping,
  averageEvery,
  type History,
  type Callback,
  type BatchEndInfo,
  type EpochEndInfo,
  type TrainInfo,
  type EarlyStopping,
  type EarlyStoppingOptions,
} from './callbacks.js';
export { accuracy, type Metric, type MetricSpec } from './metrics.js';
export {
  ProgressReporter,
  formatDuration,
  type ProgressOptions,
  type ProgressStream,
  type ProgressState,
} from './progress.js';

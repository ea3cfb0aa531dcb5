/**
 * Training: `fit` (the loop, with progress output and history), `evaluate`, the seeds' `Trainer`
 * class, callbacks with `earlyStopping`, metrics.
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
  type DatasetTensors,
  type Data,
  type LossFunction,
  type FitOptions,
  type EvaluateOptions,
  type EvaluationResult,
} from './fit.js';
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

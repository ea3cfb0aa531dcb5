import { type Tensor, ValueError } from '@nn/tensor';
import type { Module } from '../module.js';
import type { Optimizer } from '../optim/optimizer.js';

/**
 * What `fit` records, ready for plots (the seeds' loss curve, accuracy per epoch).
 *
 * @example
 * const history = fit(model, optimizer, data, { epochs: 20, batchSize: 30, evalData: test });
 * history.loss;              // loss of every iteration
 * averageEvery(history.loss, 10); // the seeds' curve: mean loss per 10 iterations
 * history.train.accuracy;    // per epoch
 * history.eval.accuracy;     // per evaluation, after the epochs in history.evalEpochs
 */
export interface History {
  /** Loss of every iteration (mini-batch), in order. */
  loss: number[];
  /** Per epoch: `loss` (mean over the epoch's samples) and each metric. */
  train: Record<string, number[]>;
  /** Per evaluation on `evalData`: `loss` and each metric. */
  eval: Record<string, number[]>;
  /** The epoch (1-based) after which each evaluation ran. */
  evalEpochs: number[];
  /** The learning rate used in each epoch. */
  lr: number[];
  /** Epochs completed. */
  epochs: number;
  /** Iterations (optimizer steps) completed. */
  iterations: number;
  /** True when a callback stopped training before `epochs`. */
  stoppedEarly: boolean;
  /** Wall-clock seconds spent in `fit`. */
  seconds: number;
}

/** Passed to `onBatchEnd`. @example { onBatchEnd: ({ iteration, loss }) => losses.push(loss) } */
export interface BatchEndInfo {
  /** Current epoch, 1-based. */
  epoch: number;
  /** Batch within the epoch, 1-based. */
  batch: number;
  /** Iterations since the start of `fit`, this one included. */
  iteration: number;
  /** This batch's loss. */
  loss: number;
  /** Rows in this batch. */
  size: number;
  /** Asks `fit` to stop after this batch. */
  stop(): void;
}

/** Passed to `onEpochEnd`. @example { onEpochEnd: ({ epoch, logs }) => console.log(epoch, logs['eval.accuracy']) } */
export interface EpochEndInfo {
  /** The epoch just finished, 1-based. */
  epoch: number;
  /** Epochs asked for. */
  epochs: number;
  /**
   * This epoch's values: `train.loss`, `train.<metric>`, and `eval.loss`, `eval.<metric>` when
   * an evaluation ran after it.
   */
  logs: Record<string, number>;
  /** True when `fit` was given `evalData` (even if it did not run this epoch). */
  hasEvalData: boolean;
  history: History;
  model: Module;
  optimizer: Optimizer;
  /** Asks `fit` to stop before the next epoch. */
  stop(): void;
}

/** Passed to `onTrainBegin` and `onTrainEnd`. @example { onTrainEnd: ({ history }) => console.log(history.epochs) } */
export interface TrainInfo {
  model: Module;
  optimizer: Optimizer;
  history: History;
}

/**
 * Hooks into `fit`. Every method is optional.
 *
 * @example
 * const printEvery10: Callback = {
 *   onEpochEnd: ({ epoch, logs }) => { if (epoch % 10 === 0) console.log(epoch, logs['train.loss']); },
 * };
 */
export interface Callback {
  onTrainBegin?(info: TrainInfo): void;
  onBatchEnd?(info: BatchEndInfo): void;
  onEpochEnd?(info: EpochEndInfo): void;
  onTrainEnd?(info: TrainInfo): void;
}

/** Options of `earlyStopping`. @example earlyStopping({ monitor: 'eval.accuracy', patience: 3, minDelta: 1e-3 }) */
export interface EarlyStoppingOptions {
  /** The log key to watch (default `'eval.loss'`; e.g. `'train.loss'`, `'eval.accuracy'`). */
  monitor?: string;
  /** Epochs without improvement (among those where `monitor` was measured) before stopping (default 5). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Whether lower or higher is better; default 'max' for keys containing 'acc', else 'min'. */
  mode?: 'min' | 'max';
  /** On stopping, put back the model's state (parameters and buffers) from the best epoch (default false). */
  restoreBest?: boolean;
}

/** The callback `earlyStopping` returns, with what it saw. @example const stopper = earlyStopping(); fit(..., { callbacks: [stopper] }); stopper.bestEpoch; */
export interface EarlyStopping extends Callback {
  /** The best monitored value so far (Infinity/−Infinity before the first). */
  readonly best: number;
  /** The epoch of `best`, or 0. */
  readonly bestEpoch: number;
  /** The epoch after which it stopped training, or 0 if it did not. */
  readonly stoppedEpoch: number;
}

/**
 * A callback that stops training when `monitor` has not improved by more than `minDelta` for
 * `patience` consecutive measurements. Epochs where the value was not measured (`evalEvery` > 1)
 * do not count. A key that is never measured is an error, not a silent no-op.
 *
 * @example
 * const stopper = earlyStopping({ monitor: 'eval.loss', patience: 3, restoreBest: true });
 * fit(model, optimizer, train, { epochs: 100, batchSize: 32, evalData: validation, callbacks: [stopper] });
 * stopper.bestEpoch;
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const { monitor = 'eval.loss', patience = 5, minDelta = 0, restoreBest = false } = options;
  const mode = options.mode ?? (monitor.includes('acc') ? 'max' : 'min');
  if (!Number.isInteger(patience) || patience < 0)
    throw new ValueError(`earlyStopping: patience must be a non-negative integer, got ${patience}`);
  if (!(minDelta >= 0)) throw new ValueError(`earlyStopping: minDelta must be >= 0, got ${minDelta}`);
  if (mode !== 'min' && mode !== 'max')
    throw new ValueError(`earlyStopping: mode must be 'min' or 'max', got ${String(mode)}`);
  const sign = mode === 'min' ? 1 : -1;
  let best = sign * Infinity;
  let bestEpoch = 0;
  let stoppedEpoch = 0;
  let waited = 0;
  let bestState: Record<string, Tensor> | null = null;

  return {
    get best() {
      return best;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    onTrainBegin() {
      best = sign * Infinity;
      bestEpoch = stoppedEpoch = waited = 0;
      bestState = null;
    },
    onEpochEnd({ epoch, logs, hasEvalData, model, stop }) {
      const value = logs[monitor];
      if (value === undefined) {
        const evalRan = Object.keys(logs).some((k) => k.startsWith('eval.'));
        if (monitor.startsWith('eval.') && hasEvalData && !evalRan) return; // not measured this epoch
        throw new ValueError(
          `earlyStopping: monitor '${monitor}' is not in the logs of epoch ${epoch} (available: ${Object.keys(logs).join(', ')})` +
            (monitor.startsWith('eval.') && !hasEvalData ? '; pass evalData to fit, or monitor a train.* key' : ''),
        );
      }
      // value − best < −minDelta for 'min'; value − best > minDelta for 'max'.
      if (sign * (value - best) < -minDelta) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (restoreBest) bestState = model.stateDict();
        return;
      }
      waited++;
      if (waited >= patience) {
        stoppedEpoch = epoch;
        if (restoreBest && bestState !== null) model.loadStateDict(bestState);
        stop();
      }
    },
  };
}

/**
 * Means of consecutive groups of `every` values (the last group may be shorter): the seeds'
 * loss plot, "average loss per 10 iterations".
 *
 * @example averageEvery([1, 2, 3, 4, 5], 2) // [1.5, 3.5, 5]
 */
export function averageEvery(values: readonly number[], every: number): number[] {
  if (!Number.isInteger(every) || every < 1)
    throw new ValueError(`averageEvery: every must be a positive integer, got ${every}`);
  const out: number[] = [];
  for (let start = 0; start < values.length; start += every) {
    const group = values.slice(start, start + every);
    out.push(group.reduce((a, b) => a + b, 0) / group.length);
  }
  return out;
}

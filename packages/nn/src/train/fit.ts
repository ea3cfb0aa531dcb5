import { type Generator, Tensor, ValueError, formatShape } from '@nn/tensor';
import { Variable, noGrad, softmaxCrossEntropy } from '@nn/autograd';
import type { Module } from '../module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { clipGradNorm } from '../optim/clip.js';
import { type DatasetTensors, miniBatchCount, miniBatches } from './batches.js';
import { type Callback, type History, averageEvery } from './callbacks.js';
import { type Metric, type MetricSpec, resolveMetrics } from './metrics.js';
import { type ProgressOptions, ProgressReporter, type ProgressState } from './progress.js';

/** One mini-batch: inputs (rows along the first axis) and their targets. @example const batch: Batch = { x: images, t: labels }; */
export interface Batch {
  x: Tensor | Variable;
  t: Tensor | Variable;
}

export type { DatasetTensors };

/**
 * Training or evaluation data: DatasetTensors (batched here, shuffled each epoch), or any
 * re-iterable collection of batches (an array, a DataLoader) iterated once per epoch.
 * @example const data: Data = [{ x: x0, t: t0 }, { x: x1, t: t1 }];
 */
export type Data = DatasetTensors | Iterable<Batch>;

/** A loss: the model's outputs and the targets to a one-element Variable (a mean over the batch). @example fit(model, optimizer, data, { epochs: 10, loss: mseLoss, metrics: [] }) */
export type LossFunction = (outputs: Variable, targets: Tensor) => Variable;

/** Options of `fit`. @example fit(model, optimizer, train, { epochs: 20, batchSize: 100, evalData: test, clipNorm: 5 }) */
export interface FitOptions {
  /** Passes over the data. */
  epochs: number;
  /** Rows per mini-batch for DatasetTensors (default 32; the last batch may be smaller). Also used for evalData. */
  batchSize?: number;
  /** Default: softmax cross-entropy (int32 labels or one-hot targets). */
  loss?: LossFunction;
  /** Data to evaluate on (no gradients, eval mode) after every `evalEvery` epochs and after the last. */
  evalData?: Data;
  /** Epochs between evaluations (default 1). */
  evalEvery?: number;
  /** Clip gradients to this global norm before each step (see clipGradNorm). */
  clipNorm?: number;
  callbacks?: Callback[];
  /** Stepped once after every epoch (e.g. a StepLR or CosineAnnealingLR). */
  scheduler?: { step(): unknown };
  /** Shuffle DatasetTensors each epoch (default true). */
  shuffle?: boolean;
  /** Generator for the shuffles (default: the global one, so `seed(n)` makes runs repeatable). */
  generator?: Generator;
  /** Metrics computed on each batch's outputs and averaged per epoch (default ['accuracy']; [] for regression). */
  metrics?: MetricSpec[];
  /** Progress output: true (default: a bar on a terminal, plain lines otherwise), false, or options. */
  log?: boolean | ProgressOptions;
  /**
   * Stop with a ValueError naming the epoch and batch when a batch's loss is NaN or infinite
   * (default true: NaN data or a diverging rate would otherwise turn every weight into NaN without a
   * word). false trains on, and the NaN losses stay in `history.loss`.
   */
  stopOnNaN?: boolean;
}

/** Options of `evaluate`. @example evaluate(model, test, { batchSize: 1000 }) */
export interface EvaluateOptions {
  /** Rows per batch for DatasetTensors (default 256; it does not change the result). */
  batchSize?: number;
  loss?: LossFunction;
  metrics?: MetricSpec[];
}

/** What `evaluate` returns: the mean loss and each metric (default: `accuracy`) over all rows. @example const { loss, accuracy } = evaluate(model, test); */
export interface EvaluationResult {
  loss: number;
  [metric: string]: number;
}

/**
 * Trains `model` with `optimizer` on `data` for `options.epochs` epochs and returns the history.
 *
 * Each iteration: zero the gradients, forward, loss, backward, optionally clip, step. A
 * DatasetTensors is cut into mini-batches by a fresh seeded permutation each epoch (the seeds'
 * `np.random.permutation`); any other iterable of `{ x, t }` batches is used as it comes. After
 * each epoch: the epoch's mean loss and metrics are recorded, `evalData` is evaluated (under
 * noGrad, in eval mode), the scheduler steps, callbacks run, and a progress line is written.
 * The model is in train mode while training and gets its previous mode back at the end.
 *
 * @example
 * const model = new Sequential(new Linear(2, 10), new Sigmoid(), new Linear(10, 3));
 * const history = fit(model, new SGD(model.parameters(), { lr: 1 }), { x, t }, { epochs: 300, batchSize: 30 });
 * history.train.accuracy.at(-1); // ≈ 0.98
 */
export function fit(model: Module, optimizer: Optimizer, data: Data, options: FitOptions): History {
  const {
    epochs,
    batchSize = 32,
    loss = softmaxCrossEntropy,
    evalData,
    evalEvery = 1,
    clipNorm,
    callbacks = [],
    scheduler,
    shuffle = true,
    generator,
    metrics: metricSpecs = ['accuracy'],
    log = true,
    stopOnNaN = true,
  } = options ?? ({} as FitOptions);
  checkOptimizerOwnsModel(model, optimizer);
  checkCount('epochs', epochs);
  checkCount('batchSize', batchSize);
  checkCount('evalEvery', evalEvery);
  if (clipNorm !== undefined && !(clipNorm > 0))
    throw new ValueError(`fit: clipNorm must be a positive number, got ${clipNorm}`);
  const metrics = resolveMetrics(metricSpecs);
  const source = batchSource('fit', data, batchSize, shuffle, generator);
  const reporter = log === false ? null : new ProgressReporter(log === true ? {} : log);
  const history: History = {
    loss: [],
    train: namesOf(metrics),
    eval: namesOf(metrics),
    evalEpochs: [],
    lr: [],
    epochs: 0,
    iterations: 0,
    stoppedEarly: false,
    seconds: 0,
  };
  let stopRequested = false;
  const stop = (): void => {
    stopRequested = true;
  };
  const start = seconds();
  let batchesPerEpoch = source.length;

  model.withMode('train', () => {
    for (const c of callbacks) c.onTrainBegin?.({ model, optimizer, history });
    for (let epoch = 1; epoch <= epochs && !stopRequested; epoch++) {
      const epochStart = seconds();
      const totals = new RunningMeans(metrics);
      let batch = 0;
      for (const raw of source.batches()) {
        batch++;
        const { x, t, size } = unpack('fit', raw, batch);
        model.zeroGrad();
        optimizer.zeroGrad();
        const outputs = model.forward(x);
        const value = backpropagate(loss(outputs, t));
        if (stopOnNaN && !Number.isFinite(value)) {
          throw new ValueError(
            `fit: the loss is ${value} at epoch ${epoch}, batch ${batch} (iteration ${history.iterations + 1}): ` +
              'check the data for NaN or infinite values and the learning rate for divergence (stopOnNaN: false trains on)',
          );
        }
        if (clipNorm !== undefined) clipGradNorm(optimizer.params, clipNorm);
        optimizer.step();
        history.loss.push(value);
        history.iterations++;
        totals.add(value, outputs.data, t, size);
        for (const c of callbacks)
          c.onBatchEnd?.({ epoch, batch, iteration: history.iterations, loss: value, size, stop });
        if (reporter) {
          const eta = estimate(start, history.iterations, batchesPerEpoch, epochs);
          reporter.batch({ epoch, epochs, batch, batches: batchesPerEpoch, values: totals.means(), eta });
        }
        if (stopRequested) break;
      }
      if (batch === 0) {
        throw new ValueError(
          `fit: the training data yielded no batches in epoch ${epoch}` +
            (epoch > 1 ? ' (a generator can be iterated only once: pass an array or a DataLoader)' : ''),
        );
      }
      batchesPerEpoch ??= batch;

      const logs: Record<string, number> = {};
      for (const [name, value] of Object.entries(totals.means())) {
        history.train[name].push(value);
        logs[`train.${name}`] = value;
      }
      if (evalData !== undefined && (epoch % evalEvery === 0 || epoch === epochs || stopRequested)) {
        const result = evaluateWith(model, evalData, batchSize, loss, metrics, 'fit (evalData)');
        for (const [name, value] of Object.entries(result)) {
          history.eval[name].push(value);
          logs[`eval.${name}`] = value;
        }
        history.evalEpochs.push(epoch);
      }
      history.lr.push(optimizer.lr);
      history.epochs = epoch;
      scheduler?.step();
      for (const c of callbacks)
        c.onEpochEnd?.({ epoch, epochs, logs, hasEvalData: evalData !== undefined, history, model, optimizer, stop });
      if (reporter) {
        const shown: Record<string, number> = {};
        for (const [key, value] of Object.entries(logs)) shown[key.replace(/^train\./, '')] = value;
        const state: ProgressState = { epoch, epochs, batch, batches: batchesPerEpoch, values: shown, eta: null };
        reporter.epochEnd(state, seconds() - epochStart);
      }
    }
    history.stoppedEarly = stopRequested && history.epochs < epochs;
    history.seconds = seconds() - start;
    if (stopRequested) reporter?.message(`stopped after epoch ${history.epochs} of ${epochs}`);
    for (const c of callbacks) c.onTrainEnd?.({ model, optimizer, history });
  });
  history.seconds = seconds() - start;
  return history;
}

/**
 * An optimizer built over another model's parameters would step them and leave this model as it
 * was: training would run to the end and learn nothing. Some overlap (fine-tuning a part) is fine.
 */
function checkOptimizerOwnsModel(model: Module, optimizer: Optimizer): void {
  const stepped = new Set<Variable>(optimizer.params);
  const own = [...model.parameters()];
  if (own.length > 0 && !own.some((p) => stepped.has(p))) {
    throw new ValueError(
      `fit: the ${optimizer.constructor.name} optimizer holds none of the model's ${own.length} parameters, so training would never change the model; build it over model.parameters()`,
    );
  }
}

/**
 * Runs `model` over `data` without recording a graph, in eval mode (Dropout off, BatchNorm on
 * running statistics; each module's mode is restored afterwards), and returns the mean loss and
 * metrics over all rows.
 *
 * @example
 * const { loss, accuracy } = evaluate(model, { x: xTest, t: tTest });
 */
export function evaluate(model: Module, data: Data, options: EvaluateOptions = {}): EvaluationResult {
  const { batchSize = 256, loss = softmaxCrossEntropy, metrics = ['accuracy'] } = options;
  checkCount('batchSize', batchSize, 'evaluate');
  return evaluateWith(model, data, batchSize, loss, resolveMetrics(metrics), 'evaluate');
}

/**
 * The seeds' Trainer: holds a model and its optimizer, trains with `fit`, and keeps the last
 * history for plotting (`lossCurve` gives the seeds' averaged loss curve).
 *
 * @example
 * const trainer = new Trainer(model, new SGD(model.parameters(), { lr: 1 }));
 * trainer.fit({ x, t }, { epochs: 300, batchSize: 30 });
 * trainer.lossCurve(10); // mean loss per 10 iterations, for a plot
 */
export class Trainer {
  /** The history of the last `fit`, or null before it. */
  history: History | null = null;

  constructor(
    readonly model: Module,
    readonly optimizer: Optimizer,
  ) {}

  /** Trains (see the function `fit`) and stores the history. @example trainer.fit(train, { epochs: 10, evalData: test }) */
  fit(data: Data, options: FitOptions): History {
    this.history = fit(this.model, this.optimizer, data, options);
    return this.history;
  }

  /** Evaluates (see the function `evaluate`). @example trainer.evaluate(test).accuracy */
  evaluate(data: Data, options?: EvaluateOptions): EvaluationResult {
    return evaluate(this.model, data, options);
  }

  /** The last fit's per-iteration losses averaged over groups of `every` (default 20). @example trainer.lossCurve(10) */
  lossCurve(every = 20): number[] {
    return averageEvery(this.history?.loss ?? [], every);
  }
}

// ---- internals ------------------------------------------------------------------------------------

function evaluateWith(
  model: Module,
  data: Data,
  batchSize: number,
  loss: LossFunction,
  metrics: Metric[],
  op: string,
): EvaluationResult {
  const source = batchSource(op, data, batchSize, false, undefined);
  const totals = new RunningMeans(metrics);
  model.withMode('eval', () =>
    noGrad(() => {
      let batch = 0;
      for (const raw of source.batches()) {
        const { x, t, size } = unpack(op, raw, ++batch);
        const outputs = model.forward(x);
        totals.add(lossItem(loss(outputs, t)), outputs.data, t, size);
      }
      if (batch === 0) throw new ValueError(`${op}: the data yielded no batches`);
    }),
  );
  return totals.means() as EvaluationResult;
}

/** Sample-weighted running means of the loss and each metric over an epoch. */
class RunningMeans {
  private rows = 0;
  private readonly sums: number[];

  constructor(private readonly metrics: Metric[]) {
    this.sums = new Array<number>(metrics.length + 1).fill(0);
  }

  add(loss: number, outputs: Tensor, targets: Tensor, size: number): void {
    this.rows += size;
    this.sums[0] += loss * size;
    this.metrics.forEach((m, i) => (this.sums[i + 1] += m.compute(outputs, targets) * size));
  }

  means(): Record<string, number> {
    const out: Record<string, number> = { loss: this.sums[0] / this.rows };
    this.metrics.forEach((m, i) => (out[m.name] = this.sums[i + 1] / this.rows));
    return out;
  }
}

interface BatchSource {
  batches(): Iterable<Batch>;
  /** Batches per pass, when known in advance. */
  length: number | null;
}

function batchSource(
  op: string,
  data: Data,
  batchSize: number,
  shuffle: boolean,
  generator: Generator | undefined,
): BatchSource {
  if (data === null || typeof data !== 'object')
    throw new ValueError(
      `${op}: data must be { x, t } tensors or an iterable of { x, t } batches, got ${String(data)}`,
    );
  if (isDatasetTensors(data)) {
    const { x, t } = data;
    const n = x.ndim === 0 ? -1 : x.shape[0];
    if (t.ndim === 0 || t.shape[0] !== n) {
      throw new ValueError(
        `${op}: x and t must have the same number of rows along axis 0, got x ${formatShape(x.shape)} and t ${formatShape(t.shape)}`,
      );
    }
    const batching = { batchSize, shuffle, generator };
    return { length: miniBatchCount(n, batching), batches: () => miniBatches(x, t, batching) };
  }
  if (typeof (data as Iterable<Batch>)[Symbol.iterator] !== 'function') {
    throw new ValueError(`${op}: data must be { x, t } tensors or an iterable of { x, t } batches`);
  }
  const length = (data as { length?: unknown }).length;
  return { length: typeof length === 'number' ? length : null, batches: () => data as Iterable<Batch> };
}

function isDatasetTensors(data: Data): data is DatasetTensors {
  const d = data as Partial<DatasetTensors>;
  return (
    d.x instanceof Tensor &&
    d.t instanceof Tensor &&
    typeof (data as Partial<Iterable<Batch>>)[Symbol.iterator] !== 'function'
  );
}

function unpack(op: string, batch: Batch, index: number): { x: Variable; t: Tensor; size: number } {
  const x =
    batch?.x instanceof Variable
      ? batch.x
      : batch?.x instanceof Tensor
        ? new Variable(batch.x, { requiresGrad: false })
        : null;
  const t = batch?.t instanceof Variable ? batch.t.data : batch?.t instanceof Tensor ? batch.t : null;
  if (x === null || t === null)
    throw new ValueError(`${op}: batch ${index} is not { x, t } with Tensor or Variable values`);
  if (x.ndim === 0) throw new ValueError(`${op}: batch ${index} has a 0-d x; rows go along axis 0`);
  return { x, t, size: x.shape[0] };
}

/** Backpropagates a loss and returns its value. */
function backpropagate(loss: Variable): number {
  const value = lossItem(loss);
  loss.backward();
  return value;
}

function lossItem(loss: Variable): number {
  if (!(loss instanceof Variable) || loss.size !== 1) {
    throw new ValueError(
      `fit: the loss function must return a one-element Variable, got ${loss instanceof Variable ? `shape ${formatShape(loss.shape)}` : typeof loss}`,
    );
  }
  return loss.item();
}

function estimate(start: number, done: number, batchesPerEpoch: number | null, epochs: number): number | null {
  if (batchesPerEpoch === null) return null;
  return ((seconds() - start) / done) * Math.max(0, batchesPerEpoch * epochs - done);
}

function namesOf(metrics: Metric[]): Record<string, number[]> {
  const out: Record<string, number[]> = { loss: [] };
  for (const m of metrics) out[m.name] = [];
  return out;
}

function checkCount(name: string, value: number, op = 'fit'): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ValueError(`${op}: ${name} must be a positive integer, got ${String(value)}`);
}

function seconds(): number {
  return performance.now() / 1000;
}

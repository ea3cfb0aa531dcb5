/**
 * The seeds' Trainer loop (001 §4.7.4 and §7.5, the book's common/trainer.py) as `fit` from
 * @nn/nn: a DataLoader drawing every mini-batch at random with replacement (np.random.choice),
 * max(1, floor(N / batchSize)) iterations per epoch, and a callback that measures the book's
 * per-epoch train and test accuracy and shows progress. two-layer-net and the CNN examples
 * (through lib/classifier.ts) train with it, and draw their loss and accuracy charts with
 * `saveBookCharts`.
 */
import { join } from 'node:path';
import type { Generator, Tensor } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { type Callback, type Module, type Optimizer, ProgressReporter, fit } from '@nn/nn';
import { DataLoader } from '@nn/data';
import { type TopLevelSpec, lineChart, saveChart } from './plot.js';

/** The figures of one epoch (epoch 0: before training). */
export interface BookEpoch {
  epoch: number;
  /** Iterations done by the end of the epoch. */
  iteration: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Mean mini-batch loss over the epoch's iterations (NaN for epoch 0). */
  loss: number;
  /** Seconds of the epoch's training iterations alone (0 for epoch 0). */
  trainSeconds: number;
  /** Seconds of the epoch's evaluation (`measure`). */
  evaluationSeconds: number;
}

export interface BookTrainingOptions {
  batchSize: number;
  /** Draws the mini-batches' rows (and whatever the model draws, e.g. Dropout, in the same order as the book's loop). */
  generator: Generator;
  /** How long: whole epochs, or a number of iterations (the last epoch then may stop short). */
  length: { epochs: number } | { iterations: number };
  /** The book's per-epoch figures, measured before training and after every epoch. */
  measure(): { trainAccuracy: number; testAccuracy: number };
  /** Called after each trained epoch's progress line with its record (e.g. to print more of it). */
  onEpoch?(record: BookEpoch, iterationsPerEpoch: number): void;
}

export interface BookTraining {
  epochs: BookEpoch[];
  /** Loss of every iteration's mini-batch. */
  losses: number[];
  iterationsPerEpoch: number;
  iterations: number;
  /** Seconds of the training iterations, evaluations excluded. */
  trainSeconds: number;
}

/**
 * Trains `net` the book's way (see the file's comment) and returns every epoch's figures and
 * every iteration's loss. Prints the "before training" line and a progress line per epoch.
 *
 * @example
 * const { epochs, losses } = trainLikeTheBook(net, optimizer, train, { batchSize: 100, generator, length: { iterations: 10_000 }, measure });
 */
export function trainLikeTheBook(
  net: Module & { forward(x: Variable): Variable },
  optimizer: Optimizer,
  train: { x: Tensor; t: Tensor },
  options: BookTrainingOptions,
): BookTraining {
  const { batchSize, generator, length, onEpoch } = options;
  const loader = new DataLoader(train, { batchSize, replacement: true, generator });
  const iterationsPerEpoch = loader.length; // 600 for 60,000 images in batches of 100
  const iterations = 'iterations' in length ? length.iterations : length.epochs * iterationsPerEpoch;
  const epochCount = Math.ceil(iterations / iterationsPerEpoch);

  const measure = (epoch: number, iteration: number, loss: number, trainSeconds: number): BookEpoch => {
    const started = performance.now();
    const figures = options.measure();
    const evaluationSeconds = (performance.now() - started) / 1000;
    return { epoch, iteration, ...figures, loss, trainSeconds, evaluationSeconds };
  };
  // The book evaluates before the first update too: its first line is chance level, ~0.1.
  const epochs = [measure(0, 0, NaN, 0)];
  console.log(
    `before training: train acc ${epochs[0].trainAccuracy.toFixed(4)}  test acc ${epochs[0].testAccuracy.toFixed(4)}`,
  );

  const losses: number[] = [];
  const progress = new ProgressReporter(); // a bar on a terminal, a line per epoch in logs
  let trainSeconds = 0;
  let epochStarted = performance.now();
  let epochLoss = 0;
  const batchesIn = (epoch: number): number =>
    Math.min(iterationsPerEpoch, iterations - (epoch - 1) * iterationsPerEpoch);
  const bookLoop: Callback = {
    onBatchEnd({ epoch, batch, iteration, loss, stop }) {
      losses.push(loss);
      epochLoss += loss;
      const elapsed = trainSeconds + (performance.now() - epochStarted) / 1000;
      const eta = (elapsed / iteration) * (iterations - iteration);
      progress.batch({
        epoch,
        epochs: epochCount,
        batch,
        batches: batchesIn(epoch),
        values: { loss: epochLoss / batch },
        eta,
      });
      if (iteration === iterations) stop();
    },
    onEpochEnd({ epoch, history }) {
      const seconds = (performance.now() - epochStarted) / 1000;
      trainSeconds += seconds;
      const batches = batchesIn(epoch);
      const record = measure(epoch, history.iterations, epochLoss / batches, seconds);
      epochs.push(record);
      const values = { loss: record.loss, 'train acc': record.trainAccuracy, 'test acc': record.testAccuracy };
      progress.epochEnd(
        { epoch, epochs: epochCount, batch: batches, batches, values, eta: null },
        seconds + record.evaluationSeconds,
      );
      onEpoch?.(record, iterationsPerEpoch);
      epochStarted = performance.now();
      epochLoss = 0;
    },
  };
  // metrics: [] — the book measures accuracy once per epoch (above), not on every mini-batch.
  if (iterations > 0)
    fit(net, optimizer, loader, { epochs: epochCount, metrics: [], log: false, callbacks: [bookLoop] });
  return { epochs, losses, iterationsPerEpoch, iterations, trainSeconds };
}

/**
 * Writes the run's two charts into `out`: `lossChart` as loss.svg/.png and the book's train and
 * test accuracy per epoch (titled `accuracyTitle`) as accuracy.svg/.png. Returns the four files.
 */
export async function saveBookCharts(
  out: string,
  lossChart: TopLevelSpec,
  epochs: readonly Pick<BookEpoch, 'epoch' | 'trainAccuracy' | 'testAccuracy'>[],
  accuracyTitle: string,
): Promise<string[]> {
  const accuracyChart = lineChart(
    [
      { name: 'train acc', x: epochs.map((e) => e.epoch), y: epochs.map((e) => e.trainAccuracy) },
      { name: 'test acc', x: epochs.map((e) => e.epoch), y: epochs.map((e) => e.testAccuracy) },
    ],
    { title: accuracyTitle, xLabel: 'epochs', yLabel: 'accuracy', yDomain: [0, 1], points: true },
  );
  const files: string[] = [];
  for (const [spec, stem] of [
    [lossChart, 'loss'],
    [accuracyChart, 'accuracy'],
  ] as const) {
    const written = await saveChart(spec, join(out, stem));
    files.push(written.svg, written.png);
  }
  return files;
}

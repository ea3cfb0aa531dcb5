/**
 * What the image-classifier examples share (simple-convnet, deep-convnet, lenet): the seeds'
 * Trainer loop (001 §7.5, the book's common/trainer.py) with per-epoch accuracy and seconds,
 * accuracy in chunks without a graph, the loss and accuracy charts, and image grids of filters
 * and of misclassified digits.
 */
import { type Generator, type Tensor, argmax } from '@nn/tensor';
import { type Variable, noGrad, variable } from '@nn/autograd';
import type { Module, Optimizer } from '@nn/nn';
import { type BookEpoch, saveBookCharts, trainLikeTheBook } from './book-trainer.js';
import { imageGrid, lineChart, saveChart } from './plot.js';

/** A model that maps a batch of images to class scores. */
export interface Classifier extends Module {
  forward(x: Variable): Variable;
}

/** Images x (N, C, H, W) and integer labels t (N). */
export interface LabelledImages {
  x: Tensor;
  t: Tensor;
}

/** The figures of one epoch (epoch 0: before training). */
export type EpochRecord = BookEpoch;

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  generator: Generator;
  /**
   * How many images of each set the per-epoch accuracy uses (the book's
   * `evaluate_sample_num_per_epoch`, 1,000 in train_convnet.py); the final figures use all.
   */
  evaluationLimit?: number;
  /** Batch size of the evaluation passes (default 500). */
  evaluationBatch?: number;
}

export interface TrainResult {
  epochs: EpochRecord[];
  losses: number[];
  /** Training seconds (evaluations excluded) divided by the number of epochs. */
  secondsPerEpoch: number;
  /** Milliseconds per training iteration (forward, backward, update), averaged over the run. */
  msPerIteration: number;
}

/**
 * The book's Trainer: `epochs` × (train size / batch size) iterations, each on a mini-batch drawn
 * at random with replacement (np.random.choice), loss → backward → optimizer step; after each
 * epoch the train and test accuracy on the first `evaluationLimit` images (see lib/book-trainer.ts).
 *
 * @example
 * const { epochs } = trainClassifier(net, new Adam(net.parameters(), { lr: 0.001 }), train, test, { epochs: 20, batchSize: 100, generator });
 */
export function trainClassifier(
  net: Classifier,
  optimizer: Optimizer,
  train: LabelledImages,
  test: LabelledImages,
  options: TrainOptions,
): TrainResult {
  const { epochs: epochCount, batchSize, generator } = options;
  const limit = options.evaluationLimit ?? Infinity;
  const evaluationBatch = options.evaluationBatch ?? 500;
  const { epochs, losses, iterations, trainSeconds } = trainLikeTheBook(net, optimizer, train, {
    batchSize,
    generator,
    length: { epochs: epochCount },
    measure: () => ({
      trainAccuracy: accuracy(net, firstImages(train, limit), evaluationBatch).accuracy,
      testAccuracy: accuracy(net, firstImages(test, limit), evaluationBatch).accuracy,
    }),
    onEpoch(record, iterationsPerEpoch) {
      const seconds = record.trainSeconds;
      console.log(
        `epoch ${record.epoch}: train acc ${record.trainAccuracy.toFixed(4)}  test acc ${record.testAccuracy.toFixed(4)}  loss ${record.loss.toFixed(4)}  ${seconds.toFixed(1)} s/epoch training (${((seconds * 1000) / iterationsPerEpoch).toFixed(1)} ms/iteration) + ${record.evaluationSeconds.toFixed(1)} s evaluation`,
      );
    },
  });
  return {
    epochs,
    losses,
    secondsPerEpoch: epochCount > 0 ? trainSeconds / epochCount : 0,
    msPerIteration: iterations > 0 ? (trainSeconds * 1000) / iterations : 0,
  };
}

/** What a CNN example returns: its training figures (empty for `--reference`) and its final accuracy. */
export interface ClassifierRunResult extends TrainResult {
  /** 'train', or 'reference' for an evaluation of trained weights (`--reference <file>`). */
  mode: 'train' | 'reference';
  /** After training, on the training images the example scores (NaN for a reference run). */
  finalTrainAccuracy: number;
  /** On all the test images given (after training, or of the reference weights). */
  finalTestAccuracy: number;
  testCorrect: number;
  testTotal: number;
  /** Seconds of the final (or reference) evaluation of the test images. */
  testSeconds: number;
  /** The checkpoint written after training; null for a reference run. */
  checkpoint: string | null;
  files: string[];
}

/** The figures of a reference run: only the test accuracy. */
export function referenceResult(
  test: ReturnType<typeof accuracy>,
  testSeconds: number,
  files: string[],
): ClassifierRunResult {
  return {
    mode: 'reference',
    epochs: [],
    losses: [],
    secondsPerEpoch: 0,
    msPerIteration: 0,
    finalTrainAccuracy: NaN,
    finalTestAccuracy: test.accuracy,
    testCorrect: test.correct,
    testTotal: test.total,
    testSeconds,
    checkpoint: null,
    files,
  };
}

/** The first `limit` images and labels (all of them when there are fewer). */
export function firstImages(data: LabelledImages, limit: number): LabelledImages {
  if (limit >= data.x.shape[0]) return data;
  return { x: data.x.slice(`0:${limit}`), t: data.t.slice(`0:${limit}`) };
}

/**
 * Accuracy in eval mode (Dropout off) without recording a graph, `batchSize` images at a time;
 * also the predicted labels, for pictures of the mistakes.
 *
 * @example
 * const { correct, accuracy } = accuracy(net, test, 500);
 */
export function accuracy(
  net: Classifier,
  data: LabelledImages,
  batchSize = 500,
): { correct: number; total: number; accuracy: number; predicted: Int32Array } {
  const total = data.x.shape[0];
  const predicted = new Int32Array(total);
  net.withMode('eval', () =>
    noGrad(() => {
      for (let begin = 0; begin < total; begin += batchSize) {
        const end = Math.min(total, begin + batchSize);
        const scores = net.forward(variable(data.x.slice(`${begin}:${end}`))).data;
        predicted.set(argmax(scores, 1).toTypedArray() as Int32Array, begin);
      }
    }),
  );
  const labels = data.t.toTypedArray();
  let correct = 0;
  for (let i = 0; i < total; i++) if (predicted[i] === labels[i]) correct++;
  return { correct, total, accuracy: total > 0 ? correct / total : NaN, predicted };
}

/** Writes the mini-batch loss and the per-epoch accuracy charts (`loss`, `accuracy` .svg/.png); returns the files. */
export async function saveTrainingCharts(out: string, result: TrainResult, title: string): Promise<string[]> {
  const { epochs, losses } = result;
  const lossChart = lineChart([{ name: 'loss', x: losses.map((_, i) => i + 1), y: losses }], {
    title: `${title}: mini-batch loss`,
    xLabel: 'iteration',
    yLabel: 'loss',
  });
  return saveBookCharts(out, lossChart, epochs, `${title}: accuracy per epoch`);
}

/**
 * Saves the first input channel of each filter of W (FN, C, FH, FW) as an image grid, each filter
 * scaled to its own range (the book's filter_show: white high, black low). Returns the two files.
 */
export async function saveFilterGrid(W: Tensor, file: string, title: string): Promise<string[]> {
  const [FN, C, FH, FW] = W.shape;
  const all = W.contiguous().toTypedArray();
  const data = new Float32Array(FN * FH * FW);
  for (let f = 0; f < FN; f++) data.set(all.subarray(f * C * FH * FW, f * C * FH * FW + FH * FW), f * FH * FW);
  const spec = imageGrid(
    { data, count: FN, height: FH, width: FW },
    { columns: 10, title, scale: Math.max(2, Math.round(40 / FH)) },
  );
  const written = await saveChart(spec, file);
  return [written.svg, written.png];
}

/**
 * Saves up to `count` misclassified test images as a grid labelled "predicted ✗ (true)". Returns
 * the two files, or none when there is no mistake.
 */
export async function saveMistakesGrid(
  data: LabelledImages,
  predicted: Int32Array,
  file: string,
  title: string,
  count = 40,
): Promise<string[]> {
  const labels = data.t.toTypedArray();
  const mistakes = Array.from(predicted.keys())
    .filter((i) => predicted[i] !== labels[i])
    .slice(0, count);
  if (mistakes.length === 0) return [];
  const [, , H, W] = data.x.shape;
  const pixels = data.x.contiguous().toTypedArray();
  const images = new Float32Array(mistakes.length * H * W);
  mistakes.forEach((i, k) => images.set(pixels.subarray(i * H * W, (i + 1) * H * W), k * H * W));
  const spec = imageGrid(
    { data: images, count: mistakes.length, height: H, width: W },
    { columns: 10, labels: mistakes.map((i) => `${predicted[i]} ✗ (${labels[i]})`), title, normalize: 'none' },
  );
  const written = await saveChart(spec, file);
  return [written.svg, written.png];
}

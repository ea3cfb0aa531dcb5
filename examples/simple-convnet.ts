/**
 * Example — simple-convnet: the seeds' SimpleConvNet on MNIST (001 §7.5, 002 items 33–40; the
 * book's ch07/train_convnet.py).
 *
 *   conv 30@5×5 (stride 1, pad 0) → ReLU → max-pool 2×2 → Affine 4320→100 → ReLU → Affine 100→10
 *
 * trained as the book does: Adam (lr 0.001), mini-batches of 100 drawn at random, 20 epochs of
 * 600 iterations, the train and test accuracy on 1,000 images after each epoch and on all of them
 * at the end (the book: about 0.989 on the test set). It prints the seconds per epoch, draws the
 * first layer's 30 filters before and after training (random noise becomes edge and blob
 * detectors, the book's Figure 7-24), the loss and accuracy curves, and saves a checkpoint.
 *
 * The book's weights init is 0.01·randn (`weight_init_std=0.01`); that is the default here too
 * (`--init he` for He's).
 *
 * `--reference <file>` evaluates the book's trained parameters instead
 * (../shared/reference-weights/simple-convnet.safetensors, float64): 0.9886 on the 10,000 test images.
 *
 * Run: pnpm example simple-convnet [--epochs 20] [--batch-size 100] [--lr 0.001] [--init 0.01|he]
 *      [--train-limit N] [--test-limit N] [--evaluation-limit 1000] [--seed 0] [--smoke] [--out dir]
 *      pnpm example simple-convnet --reference ../shared/reference-weights/simple-convnet.safetensors
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FloatDType, Generator, type Tensor } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import {
  Adam,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  init,
  load,
  loadCheckpoint,
  saveCheckpoint,
} from '@nn/nn';
import { loadMnist } from '@nn/data';
import {
  type ClassifierRunResult,
  accuracy,
  referenceResult,
  saveFilterGrid,
  saveMistakesGrid,
  saveTrainingCharts,
  trainClassifier,
} from './lib/classifier.js';
import { type ExampleOptions, numberOption, outputDir, runIfMain } from './lib/cli.js';

/** The book's trained SimpleConvNet parameters, beside the repository. */
export const REFERENCE_WEIGHTS = fileURLToPath(
  new URL('../../shared/reference-weights/simple-convnet.safetensors', import.meta.url),
);

export interface SimpleConvNetOptions {
  /** Initial weights: Gaussian with this std (the book's weight_init_std, default 0.01) or 'he'. */
  weightInitStd?: number | 'he';
  dtype?: FloatDType;
  generator?: Generator;
}

/** The seeds' SimpleConvNet, its layers named as the book's OrderedDict (Conv1, Relu1, Pool1, Affine1, Relu2, Affine2). */
export class SimpleConvNet extends Module {
  readonly conv1: Conv2d;
  readonly relu1 = new ReLU();
  readonly pool1 = new MaxPool2d(2);
  readonly flatten = new Flatten();
  readonly affine1: Linear;
  readonly relu2 = new ReLU();
  readonly affine2: Linear;

  constructor(options: SimpleConvNetOptions = {}) {
    super();
    const { weightInitStd = 0.01, dtype, generator } = options;
    const weights = weightInitStd === 'he' ? init.he() : init.normal(weightInitStd);
    this.conv1 = new Conv2d(1, 30, 5, { init: weights, dtype, generator });
    this.affine1 = new Linear(30 * 12 * 12, 100, { init: weights, dtype, generator });
    this.affine2 = new Linear(100, 10, { init: weights, dtype, generator });
  }

  forward(x: Variable): Variable {
    const h = this.flatten.forward(this.pool1.forward(this.relu1.forward(this.conv1.forward(x))));
    return this.affine2.forward(this.relu2.forward(this.affine1.forward(h)));
  }

  /** Loads the book's parameter dict (W1, b1, W2, b2, W3, b3; Affine weights are (in, out), as ours). */
  loadBookWeights(tensors: Record<string, Tensor>): void {
    this.loadStateDict({
      'conv1.W': tensors.W1,
      'conv1.b': tensors.b1,
      'affine1.W': tensors.W2,
      'affine1.b': tensors.b2,
      'affine2.W': tensors.W3,
      'affine2.b': tensors.b3,
    });
  }
}

export type SimpleConvNetResult = ClassifierRunResult;

const NAME = 'simple-convnet';

export async function main(options: ExampleOptions = {}): Promise<SimpleConvNetResult> {
  const smoke = options.smoke === true;
  const out = outputDir(NAME, options);
  if (typeof options.reference === 'string') return evaluateReference(options.reference, options, out);

  const epochCount = numberOption(options, 'epochs', smoke ? 2 : 20);
  const batchSize = numberOption(options, 'batchSize', 100);
  const lr = numberOption(options, 'lr', 0.001);
  const seed = numberOption(options, 'seed', 0);
  const weightInitStd = options.init === 'he' ? 'he' : numberOption(options, 'init', 0.01);
  const trainLimit = numberOption(options, 'trainLimit', smoke ? 1000 : 60_000);
  const testLimit = numberOption(options, 'testLimit', smoke ? 500 : 10_000);
  const evaluationLimit = numberOption(options, 'evaluationLimit', 1000);
  const generator = new Generator(seed);

  const { train, test } = loadMnist({ flatten: false, trainLimit, testLimit });
  const net = new SimpleConvNet({ weightInitStd, generator });
  const optimizer = new Adam(net.parameters(), { lr });
  console.log(
    `SimpleConvNet: conv 30@5×5 → ReLU → max-pool 2×2 → Affine 4320→100 → ReLU → Affine 100→10 (${net.parameters().reduce((n, p) => n + p.size, 0)} parameters)`,
  );
  console.log(
    `MNIST: train ${train.x.shape.join('×')}, test ${test.x.shape.join('×')}; Adam lr ${lr}, batch ${batchSize}, ${epochCount} epochs, init ${weightInitStd}`,
  );

  const files = await saveFilterGrid(net.conv1.W.data, join(out, 'filters-before'), 'conv1 filters before training');
  const result = trainClassifier(net, optimizer, train, test, {
    epochs: epochCount,
    batchSize,
    generator,
    evaluationLimit,
  });
  const finalTrain = accuracy(net, train);
  const testStarted = performance.now();
  const finalTest = accuracy(net, test);
  const testSeconds = (performance.now() - testStarted) / 1000;
  console.log(
    `\n=============== Final Test Accuracy ===============\ntest acc ${finalTest.accuracy.toFixed(4)} (${finalTest.correct}/${finalTest.total})  train acc ${finalTrain.accuracy.toFixed(4)}  (book: ≈0.989)`,
  );
  console.log(
    `${result.secondsPerEpoch.toFixed(1)} s per epoch of training, ${result.msPerIteration.toFixed(1)} ms per iteration (batch ${batchSize}) on this machine`,
  );

  files.push(
    ...(await saveFilterGrid(net.conv1.W.data, join(out, 'filters-after'), `conv1 filters after ${epochCount} epochs`)),
  );
  files.push(...(await saveTrainingCharts(out, result, 'SimpleConvNet')));
  const checkpoint = join(out, `${NAME}.safetensors`);
  await saveCheckpoint(checkpoint, {
    model: net,
    metadata: { network: 'SimpleConvNet', epochs: String(epochCount), testAccuracy: finalTest.accuracy.toFixed(4) },
  });
  files.push(checkpoint);
  console.log(`wrote ${files.join(', ')}`);
  return {
    mode: 'train',
    ...result,
    finalTrainAccuracy: finalTrain.accuracy,
    finalTestAccuracy: finalTest.accuracy,
    testCorrect: finalTest.correct,
    testTotal: finalTest.total,
    testSeconds,
    checkpoint,
    files,
  };
}

/** The book's trained weights (or a checkpoint of this example, by its metadata) on the test images. */
async function evaluateReference(path: string, options: ExampleOptions, out: string): Promise<SimpleConvNetResult> {
  const testLimit = numberOption(options, 'testLimit', 10_000);
  const { test } = loadMnist({ flatten: false, trainLimit: 0, testLimit });
  const started = performance.now();
  const { tensors, metadata } = await load(path);
  let net: SimpleConvNet;
  if (metadata.network === 'SimpleConvNet') {
    net = new SimpleConvNet();
    await loadCheckpoint(path, { model: net });
  } else {
    // The book computes in float64 (NumPy promotes the float32 pixels): so do we, for its exact figure.
    net = new SimpleConvNet({ dtype: 'float64' });
    net.loadBookWeights(tensors);
  }
  const x = net.conv1.W.dtype === 'float64' ? test.x.astype('float64') : test.x;
  const result = accuracy(net, { x, t: test.t });
  const testSeconds = (performance.now() - started) / 1000;
  console.log(
    `SimpleConvNet weights from ${path}: test acc ${result.accuracy.toFixed(4)} (${result.correct}/${result.total}) in ${testSeconds.toFixed(1)} s  (book: ≈0.989)`,
  );
  const files = await saveFilterGrid(
    net.conv1.W.data,
    join(out, 'filters-reference'),
    "conv1 filters of the book's trained SimpleConvNet",
  );
  files.push(
    ...(await saveMistakesGrid(
      { x, t: test.t },
      result.predicted,
      join(out, 'mistakes-reference'),
      'Misclassified test digits: predicted ✗ (true)',
    )),
  );
  return referenceResult(result, testSeconds, files);
}

runIfMain(import.meta.url, main);

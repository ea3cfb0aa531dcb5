/**
 * Example 6 — two-layer-net: the seeds' TwoLayerNet trained by backpropagation on MNIST
 * (001 §4.7: the class §4.7.2, the gradient check §4.7.3, the training loop §4.7.4; the learning
 * algorithm and epochs of §3.5).
 *
 * 784-50-10: Affine → ReLU → Affine → Softmax-with-Loss, biases 0, as the seeds' backprop
 * TwoLayerNet (its layers are `Affine1`, `Relu1`, `Affine2`, `SoftmaxWithLoss`; `--activation
 * sigmoid` gives the §3.5 variant). The initial weights are He's (§5.2.3, the seeds' advice for
 * ReLU) rather than the chapter's 0.01·randn, which ends a hair under 97% test accuracy
 * (`--weight-init-std 0.01` runs it). Then, like the book:
 *   1. the gradient check: numerical gradient (central differences) vs backprop on 3 training
 *      images, mean |difference| per parameter, in float64;
 *   2. training: 10,000 iterations of SGD (lr 0.1) on random mini-batches of 100, the train and
 *      test accuracy once per epoch (600 iterations = 60,000 images);
 *   3. the loss curve and the accuracy curves, and the trained network saved as a safetensors
 *      checkpoint (read back by example 5, mnist-inference, with `--checkpoint`).
 *
 * `pnpm train` (the README's main job) runs it without the gradient check, which adds about
 * 30 s: `--gradient-check false`.
 *
 * Run: pnpm example two-layer-net [--iterations 10000] [--batch-size 100] [--lr 0.1] [--hidden 50]
 *      [--activation relu|sigmoid] [--weight-init-std he|xavier|0.01] [--seed 0] [--train-limit N] [--test-limit N]
 *      [--gradient-check false] [--smoke] [--out dir]
 */
import { join } from 'node:path';
import { type FloatDType, Generator, type Tensor, argmax } from '@nn/tensor';
import { type Variable, linear, noGrad, variable } from '@nn/autograd';
import { numericalGrad } from '@nn/autograd/testing';
import {
  Linear,
  Module,
  ReLU,
  SGD,
  Sigmoid,
  init,
  load,
  loadCheckpoint,
  miniBatchCount,
  saveCheckpoint,
  softmaxCrossEntropy,
} from '@nn/nn';
import { loadMnist } from '@nn/data';
import { saveBookCharts, trainLikeTheBook } from './lib/book-trainer.js';
import { lineChart } from './lib/plot.js';
import { type ExampleOptions, numberOption, outputDir, runIfMain } from './lib/cli.js';

// ---- The network -------------------------------------------------------------------------------

export type Activation = 'relu' | 'sigmoid';

/**
 * The seeds' `weight_init_std` (§5.2): a standard deviation such as 0.01, or 'he' (std √(2/n),
 * for ReLU) or 'xavier' (std √(1/n), for sigmoid), n being the number of inputs of the layer.
 */
export type WeightInit = number | 'he' | 'xavier';

/** How to build a TwoLayerNet; the defaults are the seeds' `TwoLayerNet(784, 50, 10, weight_init_std=0.01)`. */
export interface TwoLayerNetOptions {
  inputSize?: number;
  hiddenSize?: number;
  outputSize?: number;
  /** Initial weights: Gaussian with this std (the seeds' `weight_init_std`, default 0.01), or 'he' / 'xavier'. */
  weightInitStd?: WeightInit;
  /** The hidden layer's activation: 'relu' (the backprop chapter, default) or 'sigmoid' (§3.5). */
  activation?: Activation;
  /** float32 to train (default); float64 for the gradient check. */
  dtype?: FloatDType;
  generator?: Generator;
}

/**
 * The seeds' TwoLayerNet as a Module: `affine1` (W1, b1) → activation → `affine2` (W2, b2), with
 * the book's methods `predict`, `loss` and `accuracy`. `gradient` is not a method here:
 * `loss(x, t).backward()` fills every parameter's `grad`, which is what the book's `gradient`
 * does layer by layer by hand.
 */
export class TwoLayerNet extends Module {
  readonly affine1: Linear;
  readonly activation: ReLU | Sigmoid;
  readonly affine2: Linear;
  readonly config: Required<Omit<TwoLayerNetOptions, 'generator' | 'dtype'>>;

  constructor(options: TwoLayerNetOptions = {}) {
    super();
    const {
      inputSize = 784,
      hiddenSize = 50,
      outputSize = 10,
      weightInitStd = 0.01,
      activation = 'relu',
      dtype,
      generator,
    } = options;
    this.config = { inputSize, hiddenSize, outputSize, weightInitStd, activation };
    // The book's weight_init_std * np.random.randn(...), or He's / Xavier's std for the layer's fan-in.
    const weights =
      weightInitStd === 'he' ? init.he() : weightInitStd === 'xavier' ? init.xavier() : init.normal(weightInitStd);
    this.affine1 = new Linear(inputSize, hiddenSize, { init: weights, dtype, generator });
    this.activation = activation === 'relu' ? new ReLU() : new Sigmoid();
    this.affine2 = new Linear(hiddenSize, outputSize, { init: weights, dtype, generator });
  }

  /** The scores (before softmax) for a batch of images x (N, 784). */
  predict(x: Variable): Variable {
    return this.affine2.forward(this.activation.forward(this.affine1.forward(x)));
  }

  forward(x: Variable): Variable {
    return this.predict(x);
  }

  /** The Softmax-with-Loss layer on top: mean cross-entropy of the batch against labels t. */
  loss(x: Tensor, t: Tensor): Variable {
    return softmaxCrossEntropy(this.predict(variable(x, { requiresGrad: false })), t);
  }

  /**
   * Fraction of the images whose highest score is at their label, without recording a graph,
   * a chunk of `batchSize` images at a time (so 60,000 images never make one huge activation).
   */
  accuracy(x: Tensor, t: Tensor, batchSize = 10_000): number {
    const n = x.shape[0];
    let correct = 0;
    noGrad(() => {
      for (let begin = 0; begin < n; begin += batchSize) {
        const end = Math.min(n, begin + batchSize);
        const predicted = argmax(this.predict(variable(x.slice(`${begin}:${end}`))).data, 1).toTypedArray();
        const labels = t.slice(`${begin}:${end}`).toTypedArray();
        for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
      }
    });
    return correct / n;
  }

  override extraRepr(): string {
    const { inputSize, hiddenSize, outputSize, activation } = this.config;
    return `${inputSize}-${hiddenSize}-${outputSize}, ${activation}`;
  }
}

/** Saves a TwoLayerNet with its sizes and activation in the file's metadata, so it can be rebuilt. */
export async function saveTwoLayerNet(
  path: string,
  net: TwoLayerNet,
  metadata: Record<string, string> = {},
): Promise<void> {
  const sizes = Object.fromEntries(Object.entries(net.config).map(([key, value]) => [key, String(value)]));
  await saveCheckpoint(path, { model: net, metadata: { network: 'TwoLayerNet', ...sizes, ...metadata } });
}

/** Rebuilds a TwoLayerNet saved by `saveTwoLayerNet`: reads the metadata, builds the net, loads the weights. */
export async function loadTwoLayerNet(path: string): Promise<{ net: TwoLayerNet; metadata: Record<string, string> }> {
  const { metadata } = await load(path);
  if (metadata.network !== 'TwoLayerNet') {
    throw new Error(
      `${path}: not a TwoLayerNet checkpoint (metadata.network is ${metadata.network ?? 'missing'}); train one with: pnpm example two-layer-net`,
    );
  }
  const activation = metadata.activation === 'sigmoid' ? 'sigmoid' : 'relu';
  const net = new TwoLayerNet({
    inputSize: Number(metadata.inputSize),
    hiddenSize: Number(metadata.hiddenSize),
    outputSize: Number(metadata.outputSize),
    activation,
  });
  await loadCheckpoint(path, { model: net });
  return { net, metadata };
}

// ---- The example -------------------------------------------------------------------------------

export interface EpochRecord {
  /** 0 is before training (the book's first printed line); then after every epoch. */
  epoch: number;
  iteration: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Mean mini-batch loss over the epoch's iterations (NaN for epoch 0). */
  loss: number;
  /** Seconds of the epoch: its training iterations and its evaluation. */
  seconds: number;
  /** Seconds of the evaluation alone (accuracy on all training and test images). */
  evaluationSeconds: number;
}

export interface GradientCheck {
  W1: number;
  b1: number;
  W2: number;
  b2: number;
}

export interface TwoLayerNetResult {
  /** Mean |backprop − numerical| per parameter (the seeds' gradient check table); null with --gradient-check false. */
  gradientCheck: GradientCheck | null;
  gradientCheckSeconds: number;
  epochs: EpochRecord[];
  /** Loss of every iteration's mini-batch. */
  losses: number[];
  finalTrainAccuracy: number;
  finalTestAccuracy: number;
  /** Seconds of the training loop, evaluations included (not data loading, not the gradient check). */
  trainSeconds: number;
  /** Seconds of the whole run. */
  seconds: number;
  checkpoint: string;
  files: string[];
}

const NAME = 'two-layer-net';
const PARAMETER_NAMES = ['W1', 'b1', 'W2', 'b2'] as const;

export async function main(options: ExampleOptions = {}): Promise<TwoLayerNetResult> {
  const started = performance.now();
  const smoke = options.smoke === true;
  const iterations = numberOption(options, 'iterations', smoke ? 200 : 10_000);
  const batchSize = numberOption(options, 'batchSize', 100);
  const learningRate = numberOption(options, 'lr', 0.1);
  const hiddenSize = numberOption(options, 'hidden', smoke ? 10 : 50);
  const seed = numberOption(options, 'seed', 0);
  const activation = activationOption(options.activation);
  // He's initial weights for ReLU, Xavier's for sigmoid (§5.2.3): with the backprop chapter's
  // 0.01 the run ends just short of 97% test accuracy (0.969–0.971 over seeds 0–2).
  const weightInitStd = weightInitOption(options.weightInitStd, activation === 'relu' ? 'he' : 'xavier');
  // --train-limit / --test-limit keep only the first images (smoke: 2,000 and 1,000).
  const trainLimit = options.trainLimit !== undefined || smoke ? numberOption(options, 'trainLimit', 2000) : undefined;
  const testLimit = options.testLimit !== undefined || smoke ? numberOption(options, 'testLimit', 1000) : undefined;
  const out = outputDir(NAME, options);
  const generator = new Generator(seed);

  // Pixels scaled to 0..1, each image a row of 784; labels as integers (the fused softmax-with-loss
  // takes labels or one-hot rows alike, and labels make the accuracy a plain comparison).
  const { train, test } = loadMnist({ normalize: true, flatten: true, trainLimit, testLimit });
  const trainSize = train.x.shape[0];
  console.log(
    `MNIST: train x ${shapeOf(train.x)} t ${shapeOf(train.t)}, test x ${shapeOf(test.x)} t ${shapeOf(test.t)}`,
  );

  // 1. Gradient check (§4.7.3): a fresh network in float64, 3 training images.
  let gradientCheck: GradientCheck | null = null;
  const checkStarted = performance.now();
  if (options.gradientCheck !== false) {
    console.log(
      `\nGradient check (§4.7.3): numerical vs backprop on 3 training images, 784-${hiddenSize}-10 ${activation}, float64`,
    );
    // The book checks a fresh TwoLayerNet(784, 50, 10): its default weight_init_std, 0.01.
    gradientCheck = checkGradients(train.x.slice('0:3'), train.t.slice('0:3'), {
      hiddenSize,
      weightInitStd: 0.01,
      activation,
      generator: new Generator(seed),
    });
    const book: GradientCheck = { W1: 2.2e-13, b1: 9.7e-13, W2: 8.4e-13, b2: 1.2e-10 };
    console.log('  parameter  mean |backprop − numerical|  book (784-50-10)');
    for (const key of PARAMETER_NAMES)
      console.log(
        `  ${key.padEnd(9)}  ${gradientCheck[key].toExponential(2).padStart(25)}  ${book[key].toExponential(1).padStart(16)}`,
      );
  }
  const gradientCheckSeconds = (performance.now() - checkStarted) / 1000;
  if (gradientCheck) console.log(`  (${gradientCheckSeconds.toFixed(1)} s: two forward passes per parameter element)`);

  // 2. Training (§4.7.4): the book's loop, one random mini-batch per iteration.
  const net = new TwoLayerNet({ hiddenSize, weightInitStd, activation, generator });
  const optimizer = new SGD(net.parameters(), { lr: learningRate });
  const iterationsPerEpoch = miniBatchCount(trainSize, { batchSize, replacement: true }); // 600 for 60,000 images
  const initName =
    typeof weightInitStd === 'number' ? `${weightInitStd}·randn` : weightInitStd === 'he' ? 'He' : 'Xavier';
  console.log(
    `\nTraining (§4.7.4): ${net.affine1.inFeatures}-${hiddenSize}-10 ${activation}, ${initName} initial weights, ${iterations} iterations of SGD (lr ${learningRate}) on mini-batches of ${batchSize}, ${iterationsPerEpoch} iterations per epoch`,
  );

  const trainStarted = performance.now();
  // The book's loop as fit: one random mini-batch of 100 images per iteration (np.random.choice,
  // with replacement), the train and test accuracy on every image after each epoch.
  const training = trainLikeTheBook(net, optimizer, train, {
    batchSize,
    generator,
    length: { iterations },
    measure: () => ({ trainAccuracy: net.accuracy(train.x, train.t), testAccuracy: net.accuracy(test.x, test.t) }),
  });
  const losses = training.losses;
  const epochs: EpochRecord[] = training.epochs.map(({ trainSeconds, ...e }) => ({
    ...e,
    seconds: trainSeconds + e.evaluationSeconds,
  }));
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const last = epochs[epochs.length - 1];
  console.log(
    `\nafter ${iterations} iterations (${trainSeconds.toFixed(1)} s): train acc ${last.trainAccuracy.toFixed(4)}  test acc ${last.testAccuracy.toFixed(4)}  (book: ~0.97 after 10,000 iterations, train and test close — no overfitting)`,
  );

  // 3. Pictures and the checkpoint.
  const checkpoint = join(out, `${NAME}.safetensors`);
  await saveTwoLayerNet(checkpoint, net, {
    iterations: String(iterations),
    testAccuracy: last.testAccuracy.toFixed(4),
  });
  const files = [checkpoint];
  const lossChart = lineChart(lossSeries(losses), {
    title: `Mini-batch loss (SGD, lr ${learningRate}, batch ${batchSize})`,
    xLabel: 'iteration',
    yLabel: 'loss',
  });
  files.push(...(await saveBookCharts(out, lossChart, epochs, 'Accuracy per epoch (train and test)')));
  console.log(`\nwrote ${files.join(', ')}`);

  const seconds = (performance.now() - started) / 1000;
  const evaluationSeconds = epochs.reduce((total, e) => total + e.evaluationSeconds, 0);
  const checkPart = gradientCheck ? `gradient check ${gradientCheckSeconds.toFixed(1)} s, ` : '';
  console.log(
    `total ${seconds.toFixed(1)} s: ${checkPart}training ${(trainSeconds - evaluationSeconds).toFixed(1)} s, per-epoch evaluation ${evaluationSeconds.toFixed(1)} s`,
  );
  return {
    gradientCheck,
    gradientCheckSeconds,
    epochs,
    losses,
    finalTrainAccuracy: last.trainAccuracy,
    finalTestAccuracy: last.testAccuracy,
    trainSeconds,
    seconds,
    checkpoint,
    files,
  };
}

/**
 * The seeds' gradient check: the gradient of the loss with respect to W1, b1, W2, b2 by numerical
 * differentiation and by backprop, and the mean absolute difference of each. In float64, like
 * NumPy's default: in float32 the central difference's rounding error alone would swamp it.
 */
function checkGradients(x: Tensor, t: Tensor, options: TwoLayerNetOptions): GradientCheck {
  const net = new TwoLayerNet({ ...options, dtype: 'float64' });
  const x64 = x.astype('float64');
  const { affine1, affine2 } = net;
  const parameters = [affine1.W, affine1.b!, affine2.W, affine2.b!];

  // Backprop: one forward, one backward, and every parameter has its grad.
  net.loss(x64, t).backward();
  const backprop = parameters.map((p) => p.grad!.data);

  // Numerical: `numericalGrad` nudges each element of copies of the parameters by ±h and
  // re-evaluates the loss, so it needs the loss as a function of the parameters: the same
  // network written with the same layers' operations (h = 1e-4, the book's). Only the loss's
  // value is needed, so no graph is recorded (a third faster: 2 × 39,760 evaluations).
  const xInput = variable(x64, { requiresGrad: false });
  const lossOf = (W1: Variable, b1: Variable, W2: Variable, b2: Variable): Variable =>
    noGrad(() => softmaxCrossEntropy(linear(net.activation.forward(linear(xInput, W1, b1)), W2, b2), t));
  const numerical = numericalGrad(lossOf, parameters, 1e-4);

  const meanAbsDifference = (a: Tensor, b: Tensor): number => {
    const [u, v] = [a.toTypedArray(), b.toTypedArray()];
    let total = 0;
    for (let i = 0; i < u.length; i++) total += Math.abs(u[i] - v[i]);
    return total / u.length;
  };
  const [W1, b1, W2, b2] = parameters.map((_, i) => meanAbsDifference(backprop[i], numerical[i]!));
  return { W1, b1, W2, b2 };
}

/**
 * The loss every 10th iteration (the raw curve is noisy; 1,000 points are plenty) and its centred
 * moving average over 100 iterations (drawn at the middle of its window, so it does not lag).
 */
function lossSeries(losses: readonly number[]): { name: string; x: number[]; y: number[] }[] {
  const every = Math.max(1, Math.floor(losses.length / 1000));
  const window = Math.max(1, Math.min(100, Math.floor(losses.length / 10)));
  const raw = { name: 'mini-batch', x: [] as number[], y: [] as number[] };
  const smooth = { name: `average of ${window}`, x: [] as number[], y: [] as number[] };
  let sum = 0;
  losses.forEach((loss, i) => {
    sum += loss - (i >= window ? losses[i - window] : 0);
    if (i % every === 0) {
      raw.x.push(i);
      raw.y.push(loss);
    }
    if (i >= window - 1 && (i - window + 1) % every === 0) {
      smooth.x.push(i - (window - 1) / 2);
      smooth.y.push(sum / window);
    }
  });
  return [raw, smooth];
}

function weightInitOption(value: ExampleOptions[string], fallback: WeightInit): WeightInit {
  if (value === undefined) return fallback;
  if (value === 'he' || value === 'xavier' || (typeof value === 'number' && value >= 0)) return value;
  throw new Error(`--weight-init-std must be a standard deviation (e.g. 0.01), he or xavier, got ${String(value)}`);
}

function activationOption(value: ExampleOptions[string]): Activation {
  if (value === undefined || value === 'relu') return 'relu';
  if (value === 'sigmoid') return 'sigmoid';
  throw new Error(`--activation must be relu or sigmoid, got ${String(value)}`);
}

function shapeOf(t: Tensor): string {
  return `(${t.shape.join(',')})`;
}

runIfMain(import.meta.url, main);

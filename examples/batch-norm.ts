/**
 * Batch Normalization makes training less sensitive to the initial weights (seed 001 §5.3,
 * 002 §30; the book's ch06 batch_norm_test.py, figures 6-18 and 6-19).
 *
 * The book trains two 6-layer networks side by side — 784-100-100-100-100-100-10, ReLU, plain
 * SGD (lr 0.01, mini-batches of 100), on only the first 1000 MNIST training images — one with a
 * BatchNorm layer between each hidden Affine and its ReLU, one without. It does so for 16 weight
 * scales W ~ N(0, scale²), scale = logspace(0, −4, 16) = 1 … 0.0001, and plots training
 * accuracy after every "epoch" (10 iterations). The book's figure 6-19: with Batch Norm the
 * network learns at almost every scale and faster; without it, it learns only in a narrow band
 * of scales (too small: the signal vanishes; too large: it explodes) and not at all at the
 * smallest scales.
 *
 * Run: node --import tsx examples/run.ts batch-norm [--scales 16] [--epochs 20]
 *        [--train-limit 1000] [--seed 0] [--smoke] [--out dir]
 */
import { Generator, choice, zeros } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { BatchNorm1d, Linear, ReLU, SGD, Sequential, init, softmaxCrossEntropy, type Module } from '@nn/nn';
import { loadMnist } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart } from './lib/plot.js';
import { accuracyOf, panels } from './optimizer-compare.js';

/** One weight scale's pair of runs. */
export interface ScaleRun {
  scale: number;
  /** Training accuracy (on all training images, eval mode) after each epoch, without and with Batch Norm. */
  accuracy: number[];
  bnAccuracy: number[];
  finalAccuracy: number;
  finalBnAccuracy: number;
  seconds: number;
}

/** The figures main returns. */
export interface BatchNormResult {
  trainSize: number;
  epochs: number;
  runs: ScaleRun[];
  /** How many scales end with Batch Norm at least as accurate as without. */
  bnAtLeastAsGood: number;
  files: string[];
}

/**
 * The book's MultiLayerNetExtend(784, [100]*5, 10, weight_init_std=scale, use_batchnorm): each
 * hidden layer is Affine → (BatchNorm) → ReLU, then a last Affine. Every weight matrix,
 * the last one too, is drawn from N(0, scale²); biases start at 0.
 */
function multiLayerNetExtend(scale: number, useBatchNorm: boolean, generator: Generator): Sequential {
  const layers: Module[] = [];
  let inputs = 784;
  for (let i = 0; i < 5; i++) {
    layers.push(new Linear(inputs, 100, { init: init.normal(scale), generator }));
    if (useBatchNorm) {
      // The book's BatchNormalization(momentum=0.9) keeps 0.9 of the old running average: our
      // momentum 0.1. Its ε is 10e-7 = 1e-6.
      const bn = new BatchNorm1d(100, { momentum: 0.1, eps: 1e-6 });
      // The book starts the running variance at 0, we (as PyTorch) at 1. At scale 1e-4 the true
      // variance is ~1e-6, and a running average that starts at 1 needs ~150 iterations to forget
      // it: until then the accuracy (measured in eval mode, with the running statistics) would
      // stay at chance although the network has learned. So we start from 0, as the book does.
      bn.runningVar = zeros([100]);
      layers.push(bn);
    }
    layers.push(new ReLU());
    inputs = 100;
  }
  layers.push(new Linear(inputs, 10, { init: init.normal(scale), generator }));
  return new Sequential(...layers);
}

/** numpy's logspace(start, stop, num): num points from 10^start to 10^stop, evenly spaced in the exponent. */
function logspace(start: number, stop: number, num: number): number[] {
  return Array.from({ length: num }, (_, i) => 10 ** (num === 1 ? start : start + ((stop - start) * i) / (num - 1)));
}

export async function main(options: ExampleOptions = {}): Promise<BatchNormResult> {
  const dir = outputDir('batch-norm', options);
  const smoke = options.smoke === true;
  // Smoke: 3 scales (1, 0.01, 0.0001), 500 images (5 iterations per epoch), 4 epochs.
  const scaleCount = numberOption(options, 'scales', smoke ? 3 : 16);
  const epochs = numberOption(options, 'epochs', smoke ? 4 : 20);
  const trainLimit = numberOption(options, 'trainLimit', smoke ? 500 : 1000);
  const seed = numberOption(options, 'seed', 0);
  const batchSize = 100;

  // "x_train = x_train[:1000]": a small training set keeps the 32 runs fast.
  const { train } = loadMnist({ trainLimit, testLimit: 0 });
  const trainSize = train.x.shape[0];
  const iterationsPerEpoch = Math.max(trainSize / batchSize, 1);
  console.log(
    `MNIST: the first ${trainSize} training images; 784-100×5-10 ReLU nets with / without BatchNorm, SGD lr 0.01, batch ${batchSize},` +
      ` ${epochs} epochs of ${iterationsPerEpoch} iterations; weight scales logspace(0, −4, ${scaleCount})`,
  );

  const runs: ScaleRun[] = [];
  for (const [index, scale] of logspace(0, -4, scaleCount).entries()) {
    const start = performance.now();
    // The same initial weights for both networks (the BatchNorm layers draw nothing).
    const network = multiLayerNetExtend(scale, false, new Generator(seed + 1));
    const bnNetwork = multiLayerNetExtend(scale, true, new Generator(seed + 1));
    const pairs = [network, bnNetwork].map((model) => ({
      model,
      optimizer: new SGD(model.parameters(), { lr: 0.01 }),
    }));
    const run: ScaleRun = { scale, accuracy: [], bnAccuracy: [], finalAccuracy: NaN, finalBnAccuracy: NaN, seconds: 0 };
    const generator = new Generator(seed);
    // The book's loop: one random mini-batch per iteration for both networks; accuracy on the whole
    // training set at iterations 0, 10, 20, ... (its "epochs"), until `epochs` values are recorded.
    for (let i = 0; run.accuracy.length < epochs; i++) {
      const batch = choice(trainSize, batchSize, { generator }); // with replacement, as np.random.choice
      const x = variable(train.x.take(batch, 0), { requiresGrad: false });
      const t = train.t.take(batch, 0);
      for (const { model, optimizer } of pairs) {
        optimizer.zeroGrad();
        softmaxCrossEntropy(model.forward(x), t).backward();
        optimizer.step();
      }
      if (i % iterationsPerEpoch === 0) {
        run.accuracy.push(accuracyOf(network, train.x, train.t));
        run.bnAccuracy.push(accuracyOf(bnNetwork, train.x, train.t));
      }
    }
    run.finalAccuracy = run.accuracy.at(-1)!;
    run.finalBnAccuracy = run.bnAccuracy.at(-1)!;
    run.seconds = (performance.now() - start) / 1000;
    runs.push(run);
    console.log(
      `  ${String(index + 1).padStart(2)}/${scaleCount}  W scale ${scale.toExponential(2)}:  without BN ${run.finalAccuracy.toFixed(3)},` +
        ` with BN ${run.finalBnAccuracy.toFixed(3)}   (${run.seconds.toFixed(1)} s)`,
    );
  }

  const bnAtLeastAsGood = runs.filter((r) => r.finalBnAccuracy >= r.finalAccuracy).length;
  console.log(`\nfinal training accuracy after ${epochs} epochs`);
  console.log('  weight scale   without BN   with BN');
  for (const r of runs)
    console.log(
      `  ${r.scale.toExponential(2).padStart(12)}   ${r.finalAccuracy.toFixed(4).padStart(10)}   ${r.finalBnAccuracy.toFixed(4).padStart(7)}`,
    );
  console.log(`Batch Norm at least as accurate at ${bnAtLeastAsGood} of ${runs.length} scales`);
  console.log(
    'book (figure 6-19): with Batch Norm learning is faster at almost every scale; without it, nothing is learned at the small scales',
  );

  // The book's 4×4 grid of small charts, one per scale.
  const charts = runs.map((r) =>
    lineChart(
      [
        { name: 'Batch Normalization', y: r.bnAccuracy },
        { name: 'without Batch Norm', y: r.accuracy },
      ],
      {
        title: `W: ${r.scale.toPrecision(3)}`,
        xLabel: 'epochs',
        yLabel: 'accuracy',
        yDomain: [0, 1],
        width: 170,
        height: 110,
      },
    ),
  );
  const { png } = await saveChart(panels(charts, Math.min(4, charts.length)), `${dir}/accuracy`);
  console.log(`\npictures: ${png}`);
  return { trainSize, epochs, runs, bnAtLeastAsGood, files: [png] };
}

runIfMain(import.meta.url, main);

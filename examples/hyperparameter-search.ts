/**
 * Random search for hyperparameters on validation data (seed 001 §5.5, 002 §32; the book's
 * ch06 hyperparameter_optimization.py).
 *
 * Hyperparameters (learning rate, weight decay, ...) must not be tuned on the test data — they
 * would overfit it — so 20% of the training data is held out as validation data (001 §5.5.1).
 * The book then searches at random (§5.5.2): sample the learning rate and the weight decay on a
 * log scale, lr = 10^uniform(−6, −2) and λ = 10^uniform(−8, −4), train the 6-hidden-layer net for
 * a few epochs, note the validation accuracy, and repeat (100 times). The best trials show where
 * to narrow the ranges next: in the book, lr ≈ 0.001–0.01 and λ ≈ 1e-8–1e-6.
 *
 * Data: the first 500 MNIST training images, shuffled and split into 400 training and 100
 * validation images. Network: 784-100×6-10, ReLU, He init, SGD, batches of 100, 50 epochs.
 *
 * Run: node --import tsx examples/run.ts hyperparameter-search [--trials 100] [--epochs 50]
 *        [--seed 0] [--smoke] [--out dir]
 */
import { Generator } from '@nn/tensor';
import { SGD, evaluate, fit } from '@nn/nn';
import { loadMnist, trainValSplit, type Split } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { saveChart, type TopLevelSpec } from './lib/plot.js';
// The same network and weight-decay loss as example 10 (the book's MultiLayerNet, ½·λ·ΣW² on the weights only).
import { lossWithWeightDecay, multiLayerNet } from './overfitting.js';

/** One trial of the search. */
export interface Trial {
  /** 1-based, in the order the trials ran. */
  trial: number;
  lr: number;
  weightDecay: number;
  /** Validation and training accuracy after each epoch. */
  valAccuracy: number[];
  trainAccuracy: number[];
  /** The last epoch's validation accuracy: what the trials are ranked by. */
  finalValAccuracy: number;
  seconds: number;
}

/** The figures main returns. */
export interface HyperparameterSearchResult {
  trainSize: number;
  valSize: number;
  epochs: number;
  /** Every trial, in the order run. */
  trials: Trial[];
  /** The trials sorted by final validation accuracy, best first. */
  ranking: Trial[];
  seconds: number;
  files: string[];
}

/** The book's `__train(lr, weight_decay, epocs=50)`: a fresh network, trained, accuracies per epoch. */
function trainOnce(lr: number, weightDecay: number, epochs: number, train: Split, val: Split, generator: Generator) {
  const model = multiLayerNet(0, generator); // the book's MultiLayerNet(784, [100]×6, 10), He init, no Dropout
  const valAccuracy: number[] = [];
  const trainAccuracy: number[] = [];
  fit(model, new SGD(model.parameters(), { lr }), train, {
    epochs,
    batchSize: 100,
    loss: lossWithWeightDecay(model, weightDecay),
    generator,
    log: false,
    // The book's Trainer measures both accuracies on the whole sets after every epoch.
    callbacks: [
      {
        onEpochEnd: () => {
          trainAccuracy.push(evaluate(model, train, { batchSize: 500 }).accuracy);
          valAccuracy.push(evaluate(model, val, { batchSize: 500 }).accuracy);
        },
      },
    ],
  });
  return { valAccuracy, trainAccuracy };
}

/** lr and λ as the book prints them, to a few significant digits. */
function describe(t: Trial): string {
  return `lr:${t.lr.toPrecision(4)}, weight decay:${t.weightDecay.toPrecision(4)}`;
}

/** The book's figure: the best trials' validation (solid) and training (dashed) accuracy, five per row. */
function curvesChart(best: Trial[]): TopLevelSpec {
  const values = best.flatMap((t, rank) =>
    ['validation', 'train'].flatMap((data) =>
      (data === 'validation' ? t.valAccuracy : t.trainAccuracy).map((accuracy, i) => ({
        panel: `Best-${rank + 1} (val ${t.finalValAccuracy.toFixed(2)})`,
        rank,
        data,
        epoch: i + 1,
        accuracy,
      })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Hyperparameter search: the ${best.length} best trials`,
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', background: 'white' },
    data: { values },
    columns: 5,
    facet: { field: 'panel', type: 'nominal', title: null, sort: { field: 'rank' }, header: { labelFontSize: 10 } },
    spec: {
      width: 120,
      height: 80,
      mark: { type: 'line', clip: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: null, axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'accuracy', type: 'quantitative', title: null, scale: { domain: [0, 1] } },
        color: { field: 'data', type: 'nominal', title: null, sort: ['validation', 'train'] },
        strokeDash: { field: 'data', type: 'nominal', title: null, sort: ['validation', 'train'] },
      },
    },
  } as TopLevelSpec;
}

/** Where the good trials lie: lr against λ on log axes, coloured by validation accuracy. */
function scatterChart(trials: Trial[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Random search: validation accuracy',
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', background: 'white' },
    width: 420,
    height: 320,
    data: { values: trials.map((t) => ({ lr: t.lr, weightDecay: t.weightDecay, accuracy: t.finalValAccuracy })) },
    mark: { type: 'circle', size: 70, opacity: 0.9, stroke: '#333', strokeWidth: 0.5 },
    encoding: {
      x: {
        field: 'lr',
        type: 'quantitative',
        title: 'learning rate',
        scale: { type: 'log', domain: [1e-6, 1e-2] },
        axis: { format: '.0e', values: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2] },
      },
      y: {
        field: 'weightDecay',
        type: 'quantitative',
        title: 'weight decay λ',
        scale: { type: 'log', domain: [1e-8, 1e-4] },
        axis: { format: '.0e', values: [1e-8, 1e-7, 1e-6, 1e-5, 1e-4] },
      },
      color: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'val acc',
        scale: { scheme: 'viridis', domain: [0, 1] },
      },
    },
  } as TopLevelSpec;
}

export async function main(options: ExampleOptions = {}): Promise<HyperparameterSearchResult> {
  const dir = outputDir('hyperparameter-search', options);
  const smoke = options.smoke === true;
  const trialCount = numberOption(options, 'trials', smoke ? 3 : 100);
  const epochs = numberOption(options, 'epochs', smoke ? 2 : 50);
  const seed = numberOption(options, 'seed', 0);

  // "x_train = x_train[:500]", then shuffle_dataset and hold out the first 20% for validation.
  const { train: all } = loadMnist({ trainLimit: 500, testLimit: 0 });
  const { train, val } = trainValSplit(all, 0.2, { seed });
  console.log(
    `MNIST: ${train.x.shape[0]} training and ${val.x.shape[0]} validation images; ${trialCount} trials of ${epochs} epochs`,
  );

  // One generator draws the hyperparameters, so a seed reproduces the whole search; each trial
  // gets its own child generator for its initial weights and batch order.
  const sampler = new Generator(seed);
  const trials: Trial[] = [];
  const start = performance.now();
  for (let i = 1; i <= trialCount; i++) {
    // Sampled on a log scale (the same order as the book: weight decay first, then lr).
    const weightDecay = 10 ** sampler.uniform(-8, -4);
    const lr = 10 ** sampler.uniform(-6, -2);
    const trialStart = performance.now();
    const curves = trainOnce(lr, weightDecay, epochs, train, val, sampler.spawn());
    const trial: Trial = {
      trial: i,
      lr,
      weightDecay,
      ...curves,
      finalValAccuracy: curves.valAccuracy.at(-1)!,
      seconds: (performance.now() - trialStart) / 1000,
    };
    trials.push(trial);
    console.log(
      `trial ${String(i).padStart(3)}  val acc:${trial.finalValAccuracy.toFixed(2)} | ${describe(trial)}  (${trial.seconds.toFixed(1)} s)`,
    );
  }
  const seconds = (performance.now() - start) / 1000;

  // Stable sort: equal accuracies keep the order in which the trials ran.
  const ranking = [...trials].sort((a, b) => b.finalValAccuracy - a.finalValAccuracy);
  console.log('\n=========== Hyper-Parameter Optimization Result ===========');
  console.log('rank  val acc  train acc  learning rate  weight decay  trial');
  ranking.slice(0, 5).forEach((t, rank) => {
    console.log(
      `Best-${rank + 1}  ${t.finalValAccuracy.toFixed(2).padStart(6)}  ${t.trainAccuracy.at(-1)!.toFixed(2).padStart(9)}  ` +
        `${t.lr.toExponential(2).padStart(13)}  ${t.weightDecay.toExponential(2).padStart(12)}  ${String(t.trial).padStart(5)}`,
    );
  });
  console.log('book: the best trials have lr ≈ 0.001–0.01 and weight decay ≈ 1e-8–1e-6 (val acc ≈ 0.7–0.8)');
  console.log(`${trialCount} trials in ${seconds.toFixed(1)} s`);

  const files = [
    (await saveChart(curvesChart(ranking.slice(0, 20)), `${dir}/best-trials`)).png,
    (await saveChart(scatterChart(trials), `${dir}/lr-vs-weight-decay`)).png,
  ];
  console.log(`pictures: ${files.join(', ')}`);
  return { trainSize: train.x.shape[0], valSize: val.x.shape[0], epochs, trials, ranking, seconds, files };
}

runIfMain(import.meta.url, main);

/**
 * Overfitting, weight decay and Dropout (seed 001 §5.4, 002 §31; the book's ch06
 * overfit_weight_decay.py and overfit_dropout.py).
 *
 * Overfitting needs two things (001 §5.4.1): a model with many parameters and little training
 * data. So the book trains a 7-layer network (784-100-100-100-100-100-100-10, ReLU, He init) on
 * only the first 300 MNIST training images, with plain SGD (lr 0.01, batches of 100), and
 * measures train and test accuracy after every epoch:
 *
 *   (a) no regularisation, 201 epochs: the training images are learned perfectly (accuracy 1.0)
 *       while test accuracy stalls far below — the overfitting gap;
 *   (b) weight decay λ = 0.1, 201 epochs: ½·λ·ΣW² is added to the loss, which punishes large
 *       weights; the gap shrinks and training accuracy no longer reaches 1.0;
 *   (c) Dropout with ratio 0.2 after every hidden ReLU, 301 epochs: the gap shrinks too.
 *
 * Run: node --import tsx examples/run.ts overfitting [--epochs 201] [--dropout-epochs 301]
 *        [--eval-every 1] [--test-limit 10000] [--seed 0] [--smoke] [--out dir]
 * (`--epochs N` alone sets all three runs to N epochs.)
 */
import { Generator } from '@nn/tensor';
import { type Variable } from '@nn/autograd';
import {
  Dropout,
  Linear,
  ReLU,
  SGD,
  Sequential,
  evaluate,
  fit,
  init,
  softmaxCrossEntropy,
  type LossFunction,
  type Module,
} from '@nn/nn';
import { loadMnist, type Split } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart } from './lib/plot.js';

/** One of the three experiments. */
interface Setting {
  key: 'plain' | 'weightDecay' | 'dropout';
  title: string;
  epochs: number;
  /** λ of the penalty ½·λ·ΣW² (0: none). */
  weightDecay: number;
  /** Dropout ratio after each hidden ReLU (0: no Dropout layers). */
  dropout: number;
  /** What the book's figure shows, printed alongside. */
  book: string;
}

/** What one run measured. */
export interface RunResult {
  title: string;
  epochs: number;
  /** The epochs after which accuracy was measured (every `evalEvery`, and the last). */
  evalEpochs: number[];
  trainAccuracy: number[];
  testAccuracy: number[];
  finalTrainAccuracy: number;
  finalTestAccuracy: number;
  /** finalTrainAccuracy − finalTestAccuracy: the overfitting gap. */
  gap: number;
  seconds: number;
}

/** The figures main returns. */
export interface OverfittingResult {
  trainSize: number;
  testSize: number;
  plain: RunResult;
  weightDecay: RunResult;
  dropout: RunResult;
  files: string[];
}

/**
 * The book's MultiLayerNet (weight decay) and MultiLayerNetExtend (Dropout): Affine-ReLU six
 * times, then Affine; Softmax-with-Loss is the loss function. He init (std √(2/fan-in)) because
 * the activations are ReLU, biases zero — the book's `weight_init_std='relu'`.
 */
export function multiLayerNet(dropout: number, generator: Generator): Sequential {
  const layers: Module[] = [];
  let inputs = 784;
  for (let i = 0; i < 6; i++) {
    layers.push(new Linear(inputs, 100, { init: init.he(generator) }), new ReLU());
    // The book's Dropout multiplies by (1 − ratio) at test time instead of scaling survivors by
    // 1/(1 − ratio) in training (our default, "inverted" dropout). With six layers the two
    // variants feed the next layers activations of a different size during training, so we use
    // the book's variant to train the same network the book trains.
    if (dropout > 0) layers.push(new Dropout(dropout, { scaleAtTest: true, generator }));
    inputs = 100;
  }
  layers.push(new Linear(inputs, 10, { init: init.he(generator) }));
  return new Sequential(...layers);
}

/**
 * Softmax-with-Loss plus the book's weight-decay term ½·λ·ΣW² over the weight matrices (not the
 * biases, as the book's MultiLayerNet does). Its gradient adds λ·W to each ∂L/∂W. (The
 * optimizers' `weightDecay` option adds λ·p to every parameter's gradient, biases included, so it
 * is not quite the book's experiment.)
 */
export function lossWithWeightDecay(model: Module, lambda: number): LossFunction {
  const weights = model.modules().flatMap((m) => (m instanceof Linear ? [m.W] : []));
  return (y: Variable, t) => {
    let loss = softmaxCrossEntropy(y, t);
    for (const W of weights)
      loss = loss.add(
        W.square()
          .sum()
          .mul(0.5 * lambda),
      );
    return loss;
  };
}

/** Trains one setting, measuring train and test accuracy (eval mode: Dropout off) as it goes. */
function run(setting: Setting, train: Split, test: Split, evalEvery: number, seed: number): RunResult {
  const generator = new Generator(seed); // the same seed for each setting: same initial weights and batch order
  const model = multiLayerNet(setting.dropout, generator);
  const optimizer = new SGD(model.parameters(), { lr: 0.01 });
  const result: RunResult = {
    title: setting.title,
    epochs: setting.epochs,
    evalEpochs: [],
    trainAccuracy: [],
    testAccuracy: [],
    finalTrainAccuracy: NaN,
    finalTestAccuracy: NaN,
    gap: NaN,
    seconds: 0,
  };
  console.log(`\n${setting.title}: ${setting.epochs} epochs`);
  const start = performance.now();
  fit(model, optimizer, train, {
    epochs: setting.epochs,
    batchSize: 100, // 300 images: 3 iterations per epoch
    loss: setting.weightDecay > 0 ? lossWithWeightDecay(model, setting.weightDecay) : softmaxCrossEntropy,
    generator,
    log: false,
    callbacks: [
      {
        // The book evaluates the whole train and test sets after every epoch (network.accuracy);
        // `evaluate` runs in eval mode, so Dropout passes everything through, scaled by 1 − ratio.
        onEpochEnd: ({ epoch, epochs }) => {
          if (epoch % evalEvery !== 0 && epoch !== epochs) return;
          const trainAccuracy = evaluate(model, train, { batchSize: 1000 }).accuracy;
          const testAccuracy = evaluate(model, test, { batchSize: 1000 }).accuracy;
          result.evalEpochs.push(epoch);
          result.trainAccuracy.push(trainAccuracy);
          result.testAccuracy.push(testAccuracy);
          if (epoch === 1 || epoch % 20 === 0 || epoch === epochs) {
            console.log(`  epoch:${epoch}, train acc:${trainAccuracy.toFixed(4)}, test acc:${testAccuracy.toFixed(4)}`);
          }
        },
      },
    ],
  });
  result.seconds = (performance.now() - start) / 1000;
  result.finalTrainAccuracy = result.trainAccuracy.at(-1)!;
  result.finalTestAccuracy = result.testAccuracy.at(-1)!;
  result.gap = result.finalTrainAccuracy - result.finalTestAccuracy;
  return result;
}

export async function main(options: ExampleOptions = {}): Promise<OverfittingResult> {
  const dir = outputDir('overfitting', options);
  const smoke = options.smoke === true;
  const epochs = numberOption(options, 'epochs', smoke ? 4 : 201);
  // The book's overfit_dropout.py runs 301 epochs; an explicit --epochs sets it too.
  const dropoutEpochs = numberOption(options, 'dropoutEpochs', options.epochs !== undefined || smoke ? epochs : 301);
  const evalEvery = numberOption(options, 'evalEvery', 1);
  const testLimit = numberOption(options, 'testLimit', smoke ? 500 : 10000);
  const seed = numberOption(options, 'seed', 0);

  // "x_train = x_train[:300]": the first 300 training images make overfitting easy.
  const { train, test } = loadMnist({ trainLimit: 300, testLimit });
  console.log(
    `MNIST: ${train.x.shape[0]} training images, ${test.x.shape[0]} test images; 784-100×6-10 ReLU net, SGD lr 0.01, batch 100`,
  );

  const settings: Setting[] = [
    {
      key: 'plain',
      title: 'no regularisation',
      epochs,
      weightDecay: 0,
      dropout: 0,
      book: 'fig. 6-20: train 1.00, test ≈ 0.7',
    },
    {
      key: 'weightDecay',
      title: 'weight decay λ = 0.1',
      epochs,
      weightDecay: 0.1,
      dropout: 0,
      book: 'fig. 6-21: smaller gap, train < 1.00',
    },
    {
      key: 'dropout',
      title: 'Dropout ratio 0.2',
      epochs: dropoutEpochs,
      weightDecay: 0,
      dropout: 0.2,
      book: 'fig. 6-23: smaller gap, train < 1.00',
    },
  ];
  const results = {} as Record<Setting['key'], RunResult>;
  const files: string[] = [];
  for (const setting of settings) {
    const result = run(setting, train, test, evalEvery, seed);
    results[setting.key] = result;
    const spec = lineChart(
      [
        { name: 'train', x: result.evalEpochs, y: result.trainAccuracy },
        { name: 'test', x: result.evalEpochs, y: result.testAccuracy },
      ],
      { title: `Overfitting: ${setting.title}`, xLabel: 'epochs', yLabel: 'accuracy', yDomain: [0, 1] },
    );
    const { png } = await saveChart(spec, `${dir}/${setting.key === 'weightDecay' ? 'weight-decay' : setting.key}`);
    files.push(png);
  }

  console.log('\nsetting                epochs  train acc  test acc    gap   seconds   book');
  for (const setting of settings) {
    const r = results[setting.key];
    console.log(
      `${setting.title.padEnd(22)} ${String(r.epochs).padStart(6)}  ${r.finalTrainAccuracy.toFixed(4).padStart(9)}  ${r.finalTestAccuracy.toFixed(4).padStart(8)}  ` +
        `${r.gap.toFixed(4).padStart(6)}  ${r.seconds.toFixed(1).padStart(7)}   ${setting.book}`,
    );
  }
  console.log(`\npictures: ${files.join(', ')}`);
  return { trainSize: train.x.shape[0], testSize: test.x.shape[0], ...results, files };
}

runIfMain(import.meta.url, main);

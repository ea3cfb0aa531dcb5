/**
 * Solving the spiral with a two-layer network (seed 000 §1.4; "Deep Learning from Scratch 2"
 * ch01 train_custom_loop.py and train.py).
 *
 * The spiral dataset (§1.4.1) has three arms of 100 points each; no straight line separates
 * them, so the network needs its hidden layer. TwoLayerNet (§1.4.2) is 2-10-3:
 * Affine → Sigmoid → Affine → Softmax-with-Loss, weights from 0.01·N(0, 1), biases zero.
 * It is trained with SGD (lr 1.0) in batches of 30 for 300 epochs, twice:
 *
 *   (a) by a hand-written loop exactly like the book's train_custom_loop.py (§1.4.3): shuffle
 *       the data each epoch, walk through it in batches, forward, backward, update, and print the
 *       mean loss of every 10 iterations;
 *   (b) by @nn/nn's Trainer (§1.4.4: the book's Trainer class does the same loop for you).
 *
 * Then the book's two pictures: the loss curve (mean loss per 10 iterations, fig. 1-32) and the
 * decision boundary of the trained network (fig. 1-33).
 *
 * Run: node --import tsx examples/run.ts spiral [--epochs 300] [--seed 0] [--smoke] [--out dir]
 */
import { Generator, Tensor, linspace, stack } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import { Linear, SGD, Sequential, Sigmoid, Trainer, evaluate, init, softmaxCrossEntropy } from '@nn/nn';
import { spiral } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { decisionRegions, lineChart, saveChart } from './lib/plot.js';

/** The figures of one training run. */
export interface SpiralRun {
  /** Mean loss of each 10 iterations (the book's loss_list). */
  lossCurve: number[];
  /** The last entry of lossCurve (the book's last printed loss). */
  finalLoss: number;
  /** Accuracy on the 300 training points. */
  accuracy: number;
  seconds: number;
}

/** The figures main returns. */
export interface SpiralResult {
  points: number;
  epochs: number;
  customLoop: SpiralRun;
  trainer: SpiralRun;
  files: string[];
}

/** A run's figures together with its trained network (for the decision-boundary plot). */
type TrainedRun = SpiralRun & { model: Sequential };

const hiddenSize = 10;
const batchSize = 30;
const learningRate = 1.0;

/** The book's TwoLayerNet(input_size=2, hidden_size=10, output_size=3): W = 0.01·randn, b = 0. */
function twoLayerNet(generator: Generator): Sequential {
  return new Sequential(
    new Linear(2, hiddenSize, { init: init.normal(0.01, generator) }),
    new Sigmoid(),
    new Linear(hiddenSize, 3, { init: init.normal(0.01, generator) }),
    // Softmax-with-Loss is the loss function below (softmaxCrossEntropy), not a layer.
  );
}

/** (a) The book's train_custom_loop.py, line for line. */
function customLoop(
  x: Tensor,
  t: Tensor,
  maxEpoch: number,
  generator: Generator,
  print: (line: string) => void,
): TrainedRun {
  const model = twoLayerNet(generator);
  const optimizer = new SGD(model.parameters(), { lr: learningRate });

  const dataSize = x.shape[0];
  const maxIters = Math.floor(dataSize / batchSize);
  let totalLoss = 0;
  let lossCount = 0;
  const lossList: number[] = [];
  const start = performance.now();

  for (let epoch = 0; epoch < maxEpoch; epoch++) {
    // Shuffle the data: idx = np.random.permutation(data_size); x = x[idx]; t = t[idx]
    const idx = new Tensor(generator.permutation(dataSize), [dataSize]);
    x = x.take(idx, 0);
    t = t.take(idx, 0);

    for (let iters = 0; iters < maxIters; iters++) {
      const batchX = x.slice(`${iters * batchSize}:${(iters + 1) * batchSize}`);
      const batchT = t.slice(`${iters * batchSize}:${(iters + 1) * batchSize}`);

      // Compute the gradients and update the parameters. (The book's layers overwrite their
      // gradients in backward; ours accumulate, so they are cleared first.)
      const loss = softmaxCrossEntropy(model.forward(variable(batchX, { requiresGrad: false })), batchT);
      model.zeroGrad();
      loss.backward();
      optimizer.step();

      totalLoss += loss.item();
      lossCount += 1;

      // Report the learning progress every 10 iterations.
      if ((iters + 1) % 10 === 0) {
        const avgLoss = totalLoss / lossCount;
        print(`| epoch ${epoch + 1} |  iter ${iters + 1} / ${maxIters} | loss ${avgLoss.toFixed(2)}`);
        lossList.push(avgLoss);
        totalLoss = 0;
        lossCount = 0;
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    lossCurve: lossList,
    finalLoss: lossList.at(-1)!,
    accuracy: evaluate(model, { x, t }).accuracy,
    seconds,
    model,
  };
}

/** (b) The same training with the Trainer: it shuffles, batches and steps for us. */
function withTrainer(x: Tensor, t: Tensor, maxEpoch: number, generator: Generator): TrainedRun {
  const model = twoLayerNet(generator);
  const trainer = new Trainer(model, new SGD(model.parameters(), { lr: learningRate }));
  const history = trainer.fit(
    { x, t },
    { epochs: maxEpoch, batchSize, generator, log: { everyEpochs: Math.max(1, Math.floor(maxEpoch / 6)) } },
  );
  const lossCurve = trainer.lossCurve(10);
  return {
    lossCurve,
    finalLoss: lossCurve.at(-1)!,
    accuracy: trainer.evaluate({ x, t }).accuracy,
    seconds: history.seconds,
    model,
  };
}

/**
 * The book's plot of the decision boundary: predict the class at every point of a grid covering
 * the data (with a margin of 0.1), in one batch.
 */
function boundaryChart(model: Sequential, x: Tensor, labels: Tensor, title: string) {
  const columns = x.transpose().toArray() as number[][];
  const axis = (values: number[]) => linspace(Math.min(...values) - 0.1, Math.max(...values) + 0.1, 200);
  const xs = axis(columns[0]);
  const ys = axis(columns[1]);
  // Row-major over ys × xs: the grid point (xs[i], ys[j]) is row j·200 + i.
  const gridX = xs.reshape([1, 200]).broadcastTo([200, 200]);
  const gridY = ys.reshape([200, 1]).broadcastTo([200, 200]);
  const grid = stack([gridX.flatten(), gridY.flatten()], 1).astype('float32');
  const classes = noGrad(() => model.forward(variable(grid, { requiresGrad: false })).data.argmax(-1));
  return decisionRegions(
    { xs: xs.toArray() as number[], ys: ys.toArray() as number[], classes: classes.toArray() as number[] },
    { x: columns[0], y: columns[1], label: labels.toArray() as number[] },
    { title, xLabel: 'x1 (first feature)', yLabel: 'x2 (second feature)' },
  );
}

export async function main(options: ExampleOptions = {}): Promise<SpiralResult> {
  const dir = outputDir('spiral', options);
  const smoke = options.smoke === true;
  const maxEpoch = numberOption(options, 'epochs', smoke ? 100 : 300);
  const seed = numberOption(options, 'seed', 0);

  // The book's spiral.load_data(): x (300, 2), t one-hot (300, 3).
  const { x, t } = spiral({ oneHot: true });
  const labels = t.argmax(-1);
  console.log(
    `spiral: ${x.shape[0]} points in 3 classes; TwoLayerNet 2-${hiddenSize}-3, SGD lr ${learningRate}, batch ${batchSize}, ${maxEpoch} epochs`,
  );

  console.log('\n(a) the hand-written loop (train_custom_loop.py)');
  // In the smoke run print only every 10th epoch; the full run prints every line, as the book does.
  const every = smoke ? 10 : 1;
  let lines = 0;
  const loop = customLoop(x, t, maxEpoch, new Generator(seed), (line) => {
    if (lines++ % every === 0 || lines === maxEpoch) console.log(line);
  });

  console.log('\n(b) the Trainer (fit)');
  const trained = withTrainer(x, t, maxEpoch, new Generator(seed));

  console.log('\n             final loss  accuracy  seconds');
  for (const [name, run] of [
    ['custom loop', loop],
    ['Trainer', trained],
  ] as const) {
    console.log(
      `${name.padEnd(12)} ${run.finalLoss.toFixed(4).padStart(10)}  ${run.accuracy.toFixed(4).padStart(8)}  ${run.seconds.toFixed(2).padStart(7)}`,
    );
  }
  console.log(
    'book: the loss falls from about 1.1 to about 0.1 (fig. 1-32), and the regions follow the arms (fig. 1-33)',
  );

  const tens = (curve: number[]) => curve.map((_, i) => (i + 1) * 10);
  const lossSpec = lineChart(
    [
      { name: 'custom loop', x: tens(loop.lossCurve), y: loop.lossCurve },
      { name: 'Trainer', x: tens(trained.lossCurve), y: trained.lossCurve },
    ],
    { title: 'Spiral: mean loss per 10 iterations', xLabel: 'iterations', yLabel: 'loss' },
  );
  const files = [
    (await saveChart(lossSpec, `${dir}/loss`)).png,
    (
      await saveChart(
        boundaryChart(loop.model, x, labels, 'Spiral: decision boundary (custom loop)'),
        `${dir}/decision-boundary`,
      )
    ).png,
    (
      await saveChart(
        boundaryChart(trained.model, x, labels, 'Spiral: decision boundary (Trainer)'),
        `${dir}/decision-boundary-trainer`,
      )
    ).png,
  ];
  console.log(`pictures: ${files.join(', ')}`);

  const figures = ({ lossCurve, finalLoss, accuracy, seconds }: SpiralRun): SpiralRun => ({
    lossCurve,
    finalLoss,
    accuracy,
    seconds,
  });
  return { points: x.shape[0], epochs: maxEpoch, customLoop: figures(loop), trainer: figures(trained), files };
}

runIfMain(import.meta.url, main);

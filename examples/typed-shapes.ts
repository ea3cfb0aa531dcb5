/**
 * The seeds' MNIST MLP (784-50-10) and SimpleConvNet (conv 30×5×5 → ReLU → pool 2 → 100 → 10)
 * written in the typed style (docs/typed-shapes.md): every Variable carries its shape as a type,
 * the batch size is a named dimension, and the compiler checks each layer against the one before
 * it. `pnpm typecheck` compiles this file; a wrong width anywhere below (try `new Linear(4320, 100)`
 * → `new Linear(4000, 100)`, or labels of another batch) is an error in the editor, before any
 * run. Trains both briefly on MNIST, prints loss and test accuracy, and draws the loss curves.
 *
 * Run: node --import tsx examples/run.ts typed-shapes [--iterations 300] [--smoke] [--out dir]
 */
import { type Dim, type Tensor, dim, permutation, seed } from '@nn/tensor';
import { type Variable, noGrad, variable } from '@nn/autograd';
import { Adam, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@nn/nn';
import { loadMnist } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart } from './lib/plot.js';

type Batch = Dim<'batch'>;

const mlp = () => new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10));

const simpleConvNet = () =>
  new Sequential(
    new Conv2d(1, 30, 5), //           [B, 1, 28, 28] → [B, 30, 24, 24]
    new ReLU(),
    new MaxPool2d(2), //               → [B, 30, 12, 12]
    new Flatten(), //                  → [B, 4320] (the product is checked at run time)
    new Linear(4320, 100),
    new ReLU(),
    new Linear(100, 10), //            → [B, 10]
  );

/** One SGD step's loss: the types say what goes in and what comes out. */
function mlpLoss(model: ReturnType<typeof mlp>, x: Variable<[Batch, 784]>, t: Tensor<[Batch]>): Variable<[]> {
  const scores: Variable<[Batch, 10]> = model.forward(x);
  return scores.softmaxCrossEntropy(t);
}

function cnnLoss(
  model: ReturnType<typeof simpleConvNet>,
  x: Variable<[Batch, 1, 28, 28]>,
  t: Tensor<[Batch]>,
): Variable<[]> {
  const scores: Variable<[Batch, 10]> = model.forward(x);
  return scores.softmaxCrossEntropy(t);
}

function accuracy(scores: Tensor, labels: Tensor): number {
  const guesses = scores.argmax(1).toTypedArray();
  const truth = labels.toTypedArray();
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (guesses[i] === truth[i]) right++;
  return right / truth.length;
}

export async function main(options: ExampleOptions): Promise<{
  mlp: { losses: number[]; testAccuracy: number };
  cnn: { losses: number[]; testAccuracy: number };
  files: string[];
}> {
  const iterations = numberOption(options, 'iterations', options.smoke ? 20 : 300);
  const B = dim('batch', options.smoke ? 20 : 100);
  seed(0);
  const { train, test } = loadMnist({
    trainLimit: options.smoke ? 1000 : 10_000,
    testLimit: options.smoke ? 200 : 1000,
  });
  console.log(
    `MNIST: ${train.x.shape[0]} training images, ${test.x.shape[0]} test images; batch ${B}, ${iterations} iterations, Adam`,
  );

  const nets = { mlp: mlp(), cnn: simpleConvNet() };
  const optimizers = {
    mlp: new Adam(nets.mlp.parameters(), { lr: 0.001 }),
    cnn: new Adam(nets.cnn.parameters(), { lr: 0.001 }),
  };
  const losses = { mlp: [] as number[], cnn: [] as number[] };
  for (let it = 0; it < iterations; it++) {
    const rows = permutation(train.x.shape[0]).slice(`:${B}`);
    const t = train.t.take(rows).reshape(B);
    const flat = variable(train.x.take(rows, 0).reshape(B, 784));
    const images = variable(train.x.take(rows, 0).reshape(B, 1, 28, 28));
    for (const [name, loss] of [
      ['mlp', () => mlpLoss(nets.mlp, flat, t)],
      ['cnn', () => cnnLoss(nets.cnn, images, t)],
    ] as const) {
      const model = nets[name];
      model.zeroGrad();
      const value = loss();
      value.backward();
      optimizers[name].step();
      losses[name].push(value.item());
    }
    if ((it + 1) % Math.max(1, Math.floor(iterations / 5)) === 0)
      console.log(
        `iteration ${it + 1}: loss MLP ${losses.mlp.at(-1)!.toFixed(3)}, SimpleConvNet ${losses.cnn.at(-1)!.toFixed(3)}`,
      );
  }

  const testAccuracy = noGrad(() => ({
    mlp: accuracy(nets.mlp.forward(variable(test.x.reshape(-1, 784))).data, test.t),
    cnn: accuracy(nets.cnn.forward(variable(test.x.reshape(-1, 1, 28, 28))).data, test.t),
  }));
  console.log(
    `test accuracy: MLP ${(testAccuracy.mlp * 100).toFixed(1)}%, SimpleConvNet ${(testAccuracy.cnn * 100).toFixed(1)}%`,
  );

  const dir = outputDir('typed-shapes', options);
  const chart = await saveChart(
    lineChart(
      [
        { name: 'MLP 784-50-10', y: losses.mlp },
        { name: 'SimpleConvNet', y: losses.cnn },
      ],
      { title: 'Typed models on MNIST: training loss', xLabel: 'iteration', yLabel: 'loss' },
    ),
    `${dir}/typed-shapes-loss`,
  );
  console.log(`pictures: ${chart.svg}`);
  return {
    mlp: { losses: losses.mlp, testAccuracy: testAccuracy.mlp },
    cnn: { losses: losses.cnn, testAccuracy: testAccuracy.cnn },
    files: [chart.svg, chart.png],
  };
}

runIfMain(import.meta.url, main);

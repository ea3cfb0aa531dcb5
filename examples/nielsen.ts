/**
 * Nielsen's first network (seed 004 §1.4–1.6; "Neural Networks and Deep Learning" ch. 1,
 * network.py): 784-30-10 sigmoid neurons, quadratic cost, mini-batch stochastic gradient
 * descent.
 *
 * Every neuron — the 10 outputs too — computes σ(w·x + b). The cost is the quadratic cost
 * C = (1/2n)·Σₓ ‖y(x) − a‖² with y(x) the one-hot vector of the digit. Training is SGD with
 * η = 3.0 on mini-batches of 10: Nielsen's update w ← w − (η/m)·Σ ∇C_x is SGD on
 * `quadraticCost`, whose (1/2m) already averages over the batch. Weights and biases start as
 * N(0, 1) samples, as in network.py.
 *
 * Data as Nielsen splits MNIST: the first 50,000 training images to train on (the other 10,000
 * are his validation set, which chapter 1 does not use), and the 10,000 test images, evaluated
 * after each epoch: "Epoch 0: 9xxx / 10000" (numbered from 0 as network.py prints them). Nielsen
 * reports about 95% (95.42% at best) after 30 epochs.
 *
 * Run: node --import tsx examples/run.ts nielsen [--epochs 30] [--hidden 30] [--eta 3] [--seed 0]
 *        [--smoke] [--out dir]
 */
import { Generator } from '@nn/tensor';
import { Linear, SGD, Sequential, Sigmoid, evaluate, fit, init, quadraticCost } from '@nn/nn';
import { loadMnist } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart } from './lib/plot.js';

/** The figures main returns. */
export interface NielsenResult {
  trainSize: number;
  testSize: number;
  hidden: number;
  /** Correctly classified test images after each epoch (Nielsen's "9xxx / 10000"). */
  correct: number[];
  /** correct / testSize after the last epoch. */
  finalAccuracy: number;
  /** The best epoch's accuracy. */
  bestAccuracy: number;
  /** Wall-clock seconds of each epoch (training and the test evaluation). */
  secondsPerEpoch: number[];
  files: string[];
}

/**
 * Nielsen's Network([784, hidden, 10]). His weights have shape (out, in) and a layer computes
 * σ(w·a + b) on one column vector a; ours have shape (in, out) and compute σ(x·W + b) on a batch
 * of row vectors x. That is the same function with W = wᵀ, and since every entry is an
 * independent N(0, 1) sample, the transposed layout starts from the same distribution.
 */
function network(hidden: number, generator: Generator): Sequential {
  const standardNormal = init.normal(1, generator); // np.random.randn
  return new Sequential(
    new Linear(784, hidden, { init: standardNormal, biasInit: standardNormal }),
    new Sigmoid(),
    new Linear(hidden, 10, { init: standardNormal, biasInit: standardNormal }),
    new Sigmoid(), // sigmoid at the output too: the outputs are compared with one-hot vectors
  );
}

export async function main(options: ExampleOptions = {}): Promise<NielsenResult> {
  const dir = outputDir('nielsen', options);
  const smoke = options.smoke === true;
  const epochs = numberOption(options, 'epochs', smoke ? 3 : 30);
  const hidden = numberOption(options, 'hidden', 30);
  const eta = numberOption(options, 'eta', 3.0);
  const seed = numberOption(options, 'seed', 0);

  // One-hot targets: Nielsen's vectorized_result(j), a 10-vector with 1.0 at position j.
  const { train, test } = loadMnist({ oneHot: true, trainLimit: smoke ? 1000 : 50000, testLimit: smoke ? 500 : 10000 });
  const n = test.x.shape[0];
  console.log(
    `MNIST: ${train.x.shape[0]} training images, ${n} test images; Network([784, ${hidden}, 10]), quadratic cost, SGD η = ${eta}, mini-batch 10, ${epochs} epochs`,
  );

  const generator = new Generator(seed);
  const model = network(hidden, generator);
  const correct: number[] = [];
  const secondsPerEpoch: number[] = [];
  let epochStart = performance.now();
  fit(model, new SGD(model.parameters(), { lr: eta }), train, {
    epochs,
    batchSize: 10,
    loss: quadraticCost,
    metrics: [], // network.py measures only the test set, after each epoch
    generator, // random.shuffle(training_data) each epoch
    log: false,
    callbacks: [
      {
        onEpochEnd: ({ epoch }) => {
          // evaluate(): the output neuron with the highest activation is the network's answer.
          const right = Math.round(evaluate(model, test, { batchSize: 1000, loss: quadraticCost }).accuracy * n);
          correct.push(right);
          const seconds = (performance.now() - epochStart) / 1000;
          secondsPerEpoch.push(seconds);
          console.log(`Epoch ${epoch - 1}: ${right} / ${n}   (${seconds.toFixed(1)} s)`);
          epochStart = performance.now();
        },
      },
    ],
  });

  const finalAccuracy = correct.at(-1)! / n;
  const bestAccuracy = Math.max(...correct) / n;
  const total = secondsPerEpoch.reduce((a, b) => a + b, 0);
  console.log(
    `\nfinal test accuracy ${(100 * finalAccuracy).toFixed(2)}%, best ${(100 * bestAccuracy).toFixed(2)}%  (Nielsen: about 95%, 95.42% at best)`,
  );
  console.log(
    `${total.toFixed(1)} s in all, ${(total / epochs).toFixed(1)} s per epoch of ${Math.ceil(train.x.shape[0] / 10)} mini-batches`,
  );

  const spec = lineChart([{ name: 'test accuracy', x: correct.map((_, i) => i), y: correct.map((c) => c / n) }], {
    title: `Nielsen's 784-${hidden}-10 network: test accuracy`,
    xLabel: 'epoch',
    yLabel: 'accuracy',
    points: true,
  });
  const files = [(await saveChart(spec, `${dir}/test-accuracy`)).png];
  console.log(`pictures: ${files.join(', ')}`);
  return {
    trainSize: train.x.shape[0],
    testSize: n,
    hidden,
    correct,
    finalAccuracy,
    bestAccuracy,
    secondsPerEpoch,
    files,
  };
}

runIfMain(import.meta.url, main);

/**
 * Initial weights and the distribution of activations (seed 001 §5.2, 002 §29; the book's ch06
 * weight_init_activation_histogram.py and weight_init_compare.py, figures 6-10 to 6-15).
 *
 * Part 1 — 1000 random inputs (100 features, standard normal) pass through 5 layers of 100
 * units, weights drawn with different standard deviations (no biases, as in the book), and we
 * look at the histogram of each layer's activations:
 *
 *   sigmoid, std 1       activations pile up at 0 and 1, where the sigmoid's slope is ~0: the
 *                        gradients vanish (figure 6-10);
 *   sigmoid, std 0.01    all near 0.5: every unit says the same thing, the layers could as well be
 *                        one unit ("limited expressiveness", figure 6-11);
 *   sigmoid, Xavier      std 1/√n (n = 100 inputs per unit): a broad spread in every layer (6-12);
 *   tanh, Xavier         the same, symmetric about 0 (the book's note on 6-13);
 *   ReLU, std 0.01       activations shrink towards 0 layer after layer (6-14, top);
 *   ReLU, Xavier         they still shrink, more slowly (6-14, middle);
 *   ReLU, He             std √(2/n): the same spread in every layer (6-14, bottom).
 *
 * Part 2 — the same choice on MNIST (weight_init_compare.py, figure 6-15): the 5-layer ReLU
 * network 784-100-100-100-100-10 trained with SGD (lr 0.01, batches of 128, 2000 iterations)
 * from std 0.01, Xavier and He initial weights. The book: std 0.01 does not learn at all, He
 * learns fastest, Xavier a little behind.
 *
 * Run: node --import tsx examples/run.ts weight-init [--iterations 2000] [--train-limit 60000]
 *        [--seed 0] [--smoke] [--out dir]
 */
import { Generator, randn, type Tensor } from '@nn/tensor';
import { SGD, init } from '@nn/nn';
import { loadMnist } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { histograms, lineChart, saveChart, type TopLevelSpec } from './lib/plot.js';
import { accuracyOf, multiLayerNet, smoothCurve, trainSideBySide } from './optimizer-compare.js';

type Activation = 'sigmoid' | 'tanh' | 'relu';

/** One experiment of part 1: an activation function and how the weights are drawn. */
interface HistogramSetting {
  key: string;
  title: string;
  activation: Activation;
  weights: init.Initializer;
  /** The book's figure, printed alongside. */
  book: string;
}

/** Summary of one layer's activations. */
export interface LayerSummary {
  mean: number;
  std: number;
  /** Fraction within 0.05 of the ends of the range: near 0 or 1 (sigmoid), −1 or 1 (tanh), or ≥ 0.95 (ReLU). */
  nearEnds: number;
  /** Fraction exactly 0 (ReLU's dead side; ~0 for sigmoid and tanh). */
  zeros: number;
}

/** One MNIST run of part 2. */
export interface InitRun {
  loss: number[];
  smoothed: number[];
  /** Mean loss over the last 100 iterations. */
  finalLoss: number;
  testAccuracy: number;
  seconds: number;
}

/** The figures main returns. */
export interface WeightInitResult {
  /** Per setting (key), per layer (1..5). */
  activations: Record<string, LayerSummary[]>;
  mnist: { iterations: number; trainSize: number; runs: Record<'std=0.01' | 'Xavier' | 'He', InitRun> };
  files: string[];
}

// ---- Part 1: activation histograms. --------------------------------------------------------------

const NODES = 100; // units per layer (and input features)
const LAYERS = 5;

/** The activations of each of the 5 layers for one setting (the book's `activations` dict). */
function forwardLayers(input: Tensor, setting: HistogramSetting, generator: Generator): Tensor[] {
  const activations: Tensor[] = [];
  let x = input;
  for (let i = 0; i < LAYERS; i++) {
    const W = setting.weights([NODES, NODES], { fanIn: NODES, fanOut: NODES, generator });
    const a = x.matmul(W);
    x = setting.activation === 'sigmoid' ? a.sigmoid() : setting.activation === 'tanh' ? a.tanh() : a.relu();
    activations.push(x);
  }
  return activations;
}

function summarize(values: Float32Array | Float64Array, activation: Activation): LayerSummary {
  const n = values.length;
  let sum = 0;
  let squares = 0;
  let nearEnds = 0;
  let zeros = 0;
  const low = activation === 'tanh' ? -0.95 : 0.05;
  for (const v of values) {
    sum += v;
    squares += v * v;
    if (v === 0) zeros++;
    if ((activation !== 'relu' && v <= low) || v >= 0.95) nearEnds++;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, squares / n - mean * mean)), nearEnds: nearEnds / n, zeros: zeros / n };
}

/** The histogram panels of one setting, with a title above them. */
function histogramFigure(setting: HistogramSetting, layers: Tensor[]): TopLevelSpec {
  const domain: [number, number] = setting.activation === 'tanh' ? [-1, 1] : [0, 1];
  const panels = layers.map((a, i) => {
    let values = a.toTypedArray() as Float32Array;
    // About half of a ReLU's outputs are exactly 0; the book's figure crops that bar (ylim 7000)
    // to show the rest, so we leave the zeros out (the printed table counts them).
    if (setting.activation === 'relu') values = values.filter((v) => v !== 0);
    return { title: `${i + 1}-layer`, values };
  });
  return { ...histograms(panels, { bins: 30, domain }), title: setting.title } as TopLevelSpec;
}

// ---- Part 2: MNIST. ------------------------------------------------------------------------------

const MNIST_INITS = [
  { key: 'std=0.01', weights: init.normal(0.01) },
  { key: 'Xavier', weights: init.xavier() },
  { key: 'He', weights: init.he() },
] as const;

export async function main(options: ExampleOptions = {}): Promise<WeightInitResult> {
  const dir = outputDir('weight-init', options);
  const smoke = options.smoke === true;
  const iterations = numberOption(options, 'iterations', smoke ? 30 : 2000);
  const trainLimit = numberOption(options, 'trainLimit', smoke ? 1000 : 60000);
  const testLimit = numberOption(options, 'testLimit', smoke ? 500 : 10000);
  const seed = numberOption(options, 'seed', 0);
  const files: string[] = [];

  // ---- Part 1.
  const settings: HistogramSetting[] = [
    {
      key: 'sigmoid-std1',
      title: 'sigmoid, std 1',
      activation: 'sigmoid',
      weights: init.normal(1),
      book: 'fig. 6-10: piled up at 0 and 1',
    },
    {
      key: 'sigmoid-std0.01',
      title: 'sigmoid, std 0.01',
      activation: 'sigmoid',
      weights: init.normal(0.01),
      book: 'fig. 6-11: all near 0.5',
    },
    {
      key: 'sigmoid-xavier',
      title: 'sigmoid, Xavier (std 1/√n)',
      activation: 'sigmoid',
      weights: init.xavier(),
      book: 'fig. 6-12: broad in every layer',
    },
    {
      key: 'tanh-xavier',
      title: 'tanh, Xavier (std 1/√n)',
      activation: 'tanh',
      weights: init.xavier(),
      book: 'fig. 6-13 note: broad, symmetric about 0',
    },
    {
      key: 'relu-std0.01',
      title: 'ReLU, std 0.01',
      activation: 'relu',
      weights: init.normal(0.01),
      book: 'fig. 6-14 top: shrinking towards 0',
    },
    {
      key: 'relu-xavier',
      title: 'ReLU, Xavier (std 1/√n)',
      activation: 'relu',
      weights: init.xavier(),
      book: 'fig. 6-14 middle: shrinking slowly',
    },
    {
      key: 'relu-he',
      title: 'ReLU, He (std √(2/n))',
      activation: 'relu',
      weights: init.he(),
      book: 'fig. 6-14 bottom: the same in every layer',
    },
  ];
  // The book's `x = np.random.randn(1000, 100)`: the same inputs for every setting.
  const input = randn([1000, NODES], { generator: new Generator(seed) });
  const activations: Record<string, LayerSummary[]> = {};
  console.log('1000 random inputs through 5 layers of 100 units (no bias); activations per layer:');
  for (const setting of settings) {
    // The same seed for every setting: the same random draws, only scaled differently.
    const layers = forwardLayers(input, setting, new Generator(seed + 1));
    const summaries = layers.map((a) => summarize(a.toTypedArray() as Float32Array, setting.activation));
    activations[setting.key] = summaries;
    const row = (label: string, pick: (s: LayerSummary) => number) =>
      `  ${label.padEnd(24)}${summaries.map((s) => pick(s).toFixed(4).padStart(9)).join('')}`;
    console.log(`\n${setting.title} — book ${setting.book}`);
    console.log(`  ${''.padEnd(24)}${summaries.map((_, i) => `layer ${i + 1}`.padStart(9)).join('')}`);
    console.log(row('mean', (s) => s.mean));
    console.log(row('std', (s) => s.std));
    if (setting.activation === 'relu') console.log(row('fraction = 0', (s) => s.zeros));
    else
      console.log(
        row(setting.activation === 'sigmoid' ? 'fraction < .05 or > .95' : 'fraction |a| > .95', (s) => s.nearEnds),
      );
    files.push((await saveChart(histogramFigure(setting, layers), `${dir}/${setting.key}`)).png);
  }
  console.log("(ReLU histograms leave out the exact zeros, as the book's figure crops that bar.)");

  // ---- Part 2.
  const { train, test } = loadMnist({ trainLimit, testLimit });
  console.log(
    `\nMNIST: ${train.x.shape[0]} training images, 784-100-100-100-100-10 ReLU net, SGD lr 0.01, batch 128, ${iterations} iterations;` +
      ' training loss per mini-batch:',
  );
  const runsInput = MNIST_INITS.map(({ key, weights }) => {
    const model = multiLayerNet(weights, new Generator(seed + 1)); // the same draws, scaled by each rule
    return { key, model, optimizer: new SGD(model.parameters(), { lr: 0.01 }) };
  });
  const trained = trainSideBySide(runsInput, train, { iterations, batchSize: 128, generator: new Generator(seed) });
  const runs = {} as WeightInitResult['mnist']['runs'];
  for (const { key, model } of runsInput) {
    const { loss, seconds } = trained[key];
    const tail = loss.slice(-100);
    runs[key] = {
      loss,
      smoothed: smoothCurve(loss),
      finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
      testAccuracy: accuracyOf(model, test.x, test.t),
      seconds,
    };
  }
  console.log('\ninitial weights   final loss (mean of last 100)   test accuracy   seconds');
  for (const { key } of MNIST_INITS) {
    const r = runs[key];
    console.log(
      `${key.padEnd(16)}  ${r.finalLoss.toFixed(4).padStart(28)}   ${r.testAccuracy.toFixed(4).padStart(13)}   ${r.seconds.toFixed(1).padStart(7)}`,
    );
  }
  console.log(
    'book (figure 6-15): std=0.01 does not learn (loss stays at 2.30); He learns fastest, Xavier close behind',
  );
  const lossSpec = lineChart(
    MNIST_INITS.map(({ key }) => ({ name: key, y: runs[key].smoothed })),
    {
      title: 'MNIST: training loss by initial weights (smoothed)',
      xLabel: 'iterations',
      yLabel: 'loss',
      yDomain: [0, 2.5],
    },
  );
  files.push((await saveChart(lossSpec, `${dir}/mnist-loss`)).png);

  console.log(`\npictures: ${files.join(', ')}`);
  return { activations, mnist: { iterations, trainSize: train.x.shape[0], runs }, files };
}

runIfMain(import.meta.url, main);

/**
 * SGD, Momentum, AdaGrad and Adam compared (seed 001 §5.1, 002 §28; the book's ch06
 * optimizer_compare_naive.py and optimizer_compare_mnist.py, figures 6-8 and 6-9).
 *
 * Part 1 — a function whose valley is long and flat in x and steep in y:
 *
 *   f(x, y) = x²/20 + y²,  minimum 0 at (0, 0),  start (−7, 2),  30 updates each.
 *
 * The gradient (x/10, 2y) points mostly across the valley, not along it to the minimum, so SGD
 * zig-zags in y and crawls in x. Momentum rolls along the valley like a ball; AdaGrad's
 * per-element step sizes shrink the large y-steps quickly; Adam does both. x and y are
 * Parameters and f is computed with autograd, so the optimizers here are exactly the ones
 * that train networks.
 *
 * Part 2 — the same four on MNIST: a 5-layer ReLU network 784-100-100-100-100-10 (He init),
 * mini-batches of 128 drawn at random, 2000 iterations, each optimizer with the book's
 * default learning rate (SGD, Momentum, AdaGrad 0.01; Adam 0.001). The book's figure 6-9:
 * SGD learns slowest; Momentum, AdaGrad and Adam are much faster, AdaGrad a little ahead.
 *
 * Run: node --import tsx examples/run.ts optimizer-compare [--iterations 2000] [--steps 30]
 *        [--train-limit 60000] [--seed 0] [--smoke] [--out dir]
 */
import { Generator, choice, tensor, type Tensor } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import {
  AdaGrad,
  Adam,
  Linear,
  Momentum,
  Parameter,
  ReLU,
  SGD,
  Sequential,
  init,
  softmaxCrossEntropy,
  type Module,
  type Optimizer,
} from '@nn/nn';
import { loadMnist } from '@nn/data';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, pathPlot, saveChart, type TopLevelSpec } from './lib/plot.js';

/** The four optimizers, in the book's order. */
export const OPTIMIZERS = ['SGD', 'Momentum', 'AdaGrad', 'Adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** One optimizer's walk on f: the points visited (start first), and where it ended. */
export interface Path {
  x: number[];
  y: number[];
  final: { x: number; y: number; f: number };
}

/** One optimizer's MNIST run. */
export interface MnistRun {
  /** Training loss of every iteration (on that iteration's mini-batch). */
  loss: number[];
  /** The same, smoothed as the book plots it (smooth_curve). */
  smoothed: number[];
  /** Mean loss over the last 100 iterations (or all, if fewer): the "final loss". */
  finalLoss: number;
  /** Accuracy on the test images after training. */
  testAccuracy: number;
  seconds: number;
}

/** The figures main returns. */
export interface OptimizerCompareResult {
  paths: Record<OptimizerName, Path>;
  mnist: { iterations: number; trainSize: number; runs: Record<OptimizerName, MnistRun> };
  files: string[];
}

// ---- Part 1: f(x, y) = x²/20 + y². ----------------------------------------------------------------

/** f on plain numbers, for the contour lines. */
const f = (x: number, y: number): number => (x * x) / 20 + y * y;

/**
 * Where the book's own code (optimizer_compare_naive.py with common/optimizer.py, run in NumPy)
 * ends after 30 updates. The book shows only the picture; these let us check we walk the same
 * paths. (The book's Adam adds its ε = 1e-7 to √v, ours adds ε = 1e-8 to the bias-corrected √v̂:
 * Adam's x differs by 1e-5; the other three agree to 1e-12.)
 */
export const NUMPY_FINAL: Record<OptimizerName, { x: number; y: number }> = {
  SGD: { x: -0.3503929957523197, y: 0.0847823165504322 },
  Momentum: { x: 0.896413858493733, y: 0.08808560171506971 },
  AdaGrad: { x: -0.12016232231416045, y: 2.486389893984459e-17 },
  Adam: { x: 0.13600685239498186, y: 0.31824537553721943 },
};

/** The book's optimizer_compare_naive.py learning rates: tuned so each path is readable in 30 steps. */
function naiveOptimizer(name: OptimizerName, params: Parameter[]): Optimizer {
  switch (name) {
    case 'SGD':
      return new SGD(params, { lr: 0.95 });
    case 'Momentum':
      return new Momentum(params, { lr: 0.1 }); // momentum 0.9
    case 'AdaGrad':
      return new AdaGrad(params, { lr: 1.5 });
    case 'Adam':
      return new Adam(params, { lr: 0.3 }); // β1 0.9, β2 0.999
  }
}

/** Runs `steps` updates of one optimizer from (−7, 2), recording every point it visits. */
function descend(name: OptimizerName, steps: number): Path {
  // float64, as NumPy computes: 0-d Parameters, one per coordinate (the book's params['x'], params['y']).
  const x = new Parameter(tensor(-7, { dtype: 'float64' }), { name: 'x' });
  const y = new Parameter(tensor(2, { dtype: 'float64' }), { name: 'y' });
  const optimizer = naiveOptimizer(name, [x, y]);
  const path: Path = { x: [x.data.item()], y: [y.data.item()], final: { x: NaN, y: NaN, f: NaN } };
  for (let i = 0; i < steps; i++) {
    optimizer.zeroGrad();
    x.square().div(20).add(y.square()).backward(); // autograd gives ∂f/∂x = x/10, ∂f/∂y = 2y
    optimizer.step();
    path.x.push(x.data.item());
    path.y.push(y.data.item());
  }
  const [fx, fy] = [path.x.at(-1)!, path.y.at(-1)!];
  path.final = { x: fx, y: fy, f: f(fx, fy) };
  return path;
}

// ---- Part 2: MNIST. -------------------------------------------------------------------------------

/**
 * The book's MultiLayerNet(784, [100, 100, 100, 100], 10): Affine-ReLU four times, then Affine;
 * the loss is Softmax-with-Loss. `weightInit` is the book's `weight_init_std` (He is its
 * 'relu'); biases start at zero. The layers draw their weights from `generator` in order.
 */
export function multiLayerNet(
  weightInit: init.Initializer,
  generator: Generator,
  hidden = [100, 100, 100, 100],
): Sequential {
  const layers: Module[] = [];
  let inputs = 784;
  for (const units of hidden) {
    layers.push(new Linear(inputs, units, { init: weightInit, generator }), new ReLU());
    inputs = units;
  }
  layers.push(new Linear(inputs, 10, { init: weightInit, generator }));
  return new Sequential(...layers);
}

/** The book's MNIST learning rates: each optimizer's default in its common/optimizer.py. */
function mnistOptimizer(name: OptimizerName, params: Parameter[]): Optimizer {
  switch (name) {
    case 'SGD':
      return new SGD(params, { lr: 0.01 });
    case 'Momentum':
      return new Momentum(params, { lr: 0.01 });
    case 'AdaGrad':
      return new AdaGrad(params, { lr: 0.01 });
    case 'Adam':
      return new Adam(params, { lr: 0.001 });
  }
}

/**
 * The book's smooth_curve (common/util.py): each point becomes a weighted mean of itself and
 * its 5 neighbours on either side, weighted by a Kaiser window (length 11, β = 2); at the ends
 * the curve is mirrored. It shows the trend of a noisy per-batch loss.
 * @example smoothCurve(history.loss)
 */
export function smoothCurve(values: readonly number[]): number[] {
  const length = 11;
  const half = (length - 1) / 2;
  const n = values.length;
  if (n < length) return [...values]; // too short to mirror 10 points: leave it as it is
  // Kaiser window w[k] = I0(β·√(1 − (2k/(M−1) − 1)²)) / I0(β); I0 by its power series.
  const besselI0 = (x: number): number => {
    let sum = 1;
    let term = 1;
    for (let k = 1; k < 30; k++) sum += term *= (x / 2 / k) ** 2;
    return sum;
  };
  const weights = Array.from({ length }, (_, k) => besselI0(2 * Math.sqrt(1 - ((2 * k) / (length - 1) - 1) ** 2)));
  const total = weights.reduce((a, b) => a + b, 0);
  // numpy's np.r_[x[M-1:0:-1], x, x[-1:-M:-1]]: mirrored without the first point, with the last.
  const at = (j: number) => (j < 0 ? values[-j] : j >= n ? values[2 * n - 1 - j] : values[j]);
  return Array.from({ length: n }, (_, i) => weights.reduce((s, w, k) => s + w * at(i + k - half), 0) / total);
}

/** Mean of the last `count` values (all, if fewer). */
function tailMean(values: readonly number[], count: number): number {
  const tail = values.slice(-count);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** Accuracy of `model` on (x, t), in batches, without recording a graph. */
export function accuracyOf(model: Module, x: Tensor, t: Tensor, batchSize = 1000): number {
  let correct = 0;
  const n = x.shape[0];
  const labels = t.toTypedArray();
  model.withMode('eval', () =>
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const end = Math.min(n, start + batchSize);
        const predicted = model
          .forward(variable(x.slice({ start, stop: end }), { requiresGrad: false }))
          .data.argmax(1)
          .toTypedArray();
        for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[start + i]) correct++;
      }
    }),
  );
  return correct / n;
}

/**
 * Trains one network per setting on the same random mini-batches (the book's loop: one
 * `np.random.choice(train_size, batch_size)` per iteration, shared by all networks), recording
 * every iteration's loss. Every network starts from the same weights (the same seed), so the
 * curves differ only by the setting. `report(i, losses)` is called every 100 iterations.
 */
export function trainSideBySide<K extends string>(
  settings: readonly { key: K; model: Module; optimizer: Optimizer }[],
  train: { x: Tensor; t: Tensor },
  { iterations, batchSize, generator }: { iterations: number; batchSize: number; generator: Generator },
): Record<K, { loss: number[]; seconds: number }> {
  const results = Object.fromEntries(settings.map((s) => [s.key, { loss: [] as number[], seconds: 0 }])) as Record<
    K,
    { loss: number[]; seconds: number }
  >;
  const trainSize = train.x.shape[0];
  for (let i = 0; i < iterations; i++) {
    const batch = choice(trainSize, batchSize, { generator }); // with replacement, as np.random.choice
    const x = variable(train.x.take(batch, 0), { requiresGrad: false });
    const t = train.t.take(batch, 0);
    for (const { key, model, optimizer } of settings) {
      const start = performance.now();
      optimizer.zeroGrad();
      // The loss of the forward pass that gives the gradient (the book evaluates the batch once
      // more after the update; that costs a third more time and shifts the curve by one step).
      const loss = softmaxCrossEntropy(model.forward(x), t);
      loss.backward();
      optimizer.step();
      results[key].loss.push(loss.data.item());
      results[key].seconds += (performance.now() - start) / 1000;
    }
    if (i % 100 === 0 || i === iterations - 1) {
      console.log(
        `  iteration ${String(i).padStart(5)}: ${settings.map((s) => `${s.key} ${results[s.key].loss[i].toFixed(4)}`).join('   ')}`,
      );
    }
  }
  return results;
}

/** Separate charts side by side (each keeps its own scales), `columns` per row: a Vega-Lite concat. */
export function panels(specs: readonly TopLevelSpec[], columns: number): TopLevelSpec {
  // Each chart was built as a top-level spec; inside a concat only its body is allowed.
  const bodies = specs.map((spec) => {
    const { $schema: _schema, config: _config, ...body } = spec as unknown as Record<string, unknown>;
    return body;
  });
  const { $schema, config } = specs[0] as unknown as Record<string, unknown>;
  return { $schema, config, columns, concat: bodies } as unknown as TopLevelSpec;
}

export async function main(options: ExampleOptions = {}): Promise<OptimizerCompareResult> {
  const dir = outputDir('optimizer-compare', options);
  const smoke = options.smoke === true;
  const steps = numberOption(options, 'steps', 30);
  const iterations = numberOption(options, 'iterations', smoke ? 30 : 2000);
  const trainLimit = numberOption(options, 'trainLimit', smoke ? 1000 : 60000);
  const testLimit = numberOption(options, 'testLimit', smoke ? 500 : 10000);
  const seed = numberOption(options, 'seed', 0);
  const files: string[] = [];

  // ---- Part 1.
  console.log(`f(x, y) = x²/20 + y² from (−7, 2), ${steps} updates (book: figure 6-8; minimum at (0, 0))`);
  console.log(
    `optimizer   lr      final x     final y     f(final)${steps === 30 ? "    NumPy (book's code) x, y" : ''}`,
  );
  const paths = {} as Record<OptimizerName, Path>;
  const lrs: Record<OptimizerName, number> = { SGD: 0.95, Momentum: 0.1, AdaGrad: 1.5, Adam: 0.3 };
  for (const name of OPTIMIZERS) {
    const path = descend(name, steps);
    paths[name] = path;
    console.log(
      `${name.padEnd(10)} ${String(lrs[name]).padEnd(5)} ${path.final.x.toFixed(6).padStart(10)}  ${path.final.y.toFixed(6).padStart(10)}  ${path.final.f.toExponential(3).padStart(11)}` +
        (steps === 30 ? `    ${NUMPY_FINAL[name].x.toFixed(6)}, ${NUMPY_FINAL[name].y.toFixed(6)}` : ''),
    );
  }
  // One panel per optimizer, over the contour of f, as the book's 2×2 figure.
  const contour = { f, xDomain: [-10, 10] as [number, number], yDomain: [-5, 5] as [number, number], levels: 12 };
  const pathSpecs = OPTIMIZERS.map((name) =>
    pathPlot([{ name, x: paths[name].x, y: paths[name].y }], { title: name, contour }),
  );
  files.push((await saveChart(panels(pathSpecs, 2), `${dir}/paths`)).png);

  // ---- Part 2.
  const { train, test } = loadMnist({ trainLimit, testLimit });
  console.log(
    `\nMNIST: ${train.x.shape[0]} training images, 784-100-100-100-100-10 ReLU net (He init), batch 128, ${iterations} iterations` +
      "\nlr: SGD 0.01, Momentum 0.01, AdaGrad 0.01, Adam 0.001 (each the book's default); training loss per mini-batch:",
  );
  const generator = new Generator(seed);
  const settings = OPTIMIZERS.map((key) => {
    const model = multiLayerNet(init.he(), new Generator(seed + 1)); // a fresh generator each: the same initial weights for all four
    return { key, model, optimizer: mnistOptimizer(key, model.parameters()) };
  });
  const trained = trainSideBySide(settings, train, { iterations, batchSize: 128, generator });
  const runs = {} as Record<OptimizerName, MnistRun>;
  for (const { key, model } of settings) {
    const { loss, seconds } = trained[key];
    runs[key] = {
      loss,
      smoothed: smoothCurve(loss),
      finalLoss: tailMean(loss, 100),
      testAccuracy: accuracyOf(model, test.x, test.t),
      seconds,
    };
  }
  console.log('\noptimizer   final loss (mean of last 100)   test accuracy   seconds');
  for (const name of OPTIMIZERS) {
    const r = runs[name];
    console.log(
      `${name.padEnd(10)}  ${r.finalLoss.toFixed(4).padStart(28)}   ${r.testAccuracy.toFixed(4).padStart(13)}   ${r.seconds.toFixed(1).padStart(7)}`,
    );
  }
  console.log(
    'book (figure 6-9): SGD is slowest; Momentum, AdaGrad and Adam learn much faster, AdaGrad a little ahead',
  );
  const lossSpec = lineChart(
    OPTIMIZERS.map((name) => ({ name, y: runs[name].smoothed })),
    { title: 'MNIST: training loss (smoothed)', xLabel: 'iterations', yLabel: 'loss', yDomain: [0, 1] },
  );
  files.push((await saveChart(lossSpec, `${dir}/mnist-loss`)).png);

  console.log(`\npictures: ${files.join(', ')}`);
  return { paths, mnist: { iterations, trainSize: train.x.shape[0], runs }, files };
}

runIfMain(import.meta.url, main);

/**
 * Example — lenet: LeNet (LeCun et al. 1998), the first CNN of the seeds (001 §6.6.1 / book §7.7.1,
 * 002 item 41), next to its modern version for comparison.
 *
 *   input 28×28, zero-padded to 32×32 (pad 2, as LeNet-5 saw its 32×32 digits)
 *   conv 6@5×5 → sigmoid → subsampling 2×2 → conv 16@5×5 → sigmoid → subsampling 2×2 →
 *   Affine 400→120 → sigmoid → Affine 120→84 → sigmoid → Affine 84→10
 *
 * The seeds name LeNet's two differences from "today's CNN": the sigmoid activation instead of
 * ReLU, and subsampling (here: 2×2 average pooling) instead of max pooling. `--compare` (on by
 * default) trains the same network with ReLU and max pooling too, from the same seed, with the
 * same optimizer, and plots both test curves: the modern one learns faster. Xavier initial
 * weights for sigmoid, He for ReLU (001 §6.2); Adam lr 0.001, batch 100, as SimpleConvNet.
 *
 * Run: pnpm example lenet [--epochs 5] [--activation sigmoid|relu] [--pool avg|max] [--compare false]
 *      [--batch-size 100] [--lr 0.001] [--train-limit N] [--test-limit N] [--seed 0] [--smoke] [--out dir]
 */
import { join } from 'node:path';
import { type FloatDType, Generator } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import {
  Adam,
  AvgPool2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  init,
  saveCheckpoint,
} from '@nn/nn';
import { loadMnist } from '@nn/data';
import { type EpochRecord, accuracy, saveFilterGrid, saveTrainingCharts, trainClassifier } from './lib/classifier.js';
import { type ExampleOptions, numberOption, outputDir, runIfMain } from './lib/cli.js';
import { lineChart, saveChart } from './lib/plot.js';

export interface LeNetOptions {
  /** 'sigmoid' (LeNet's, default) or 'relu'. */
  activation?: 'sigmoid' | 'relu';
  /** 'avg' (subsampling, LeNet's, default) or 'max'. */
  pool?: 'avg' | 'max';
  dtype?: FloatDType;
  generator?: Generator;
}

/** LeNet-5 on 28×28 inputs (padded to 32×32 by the first convolution). */
export class LeNet extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;

  constructor(options: LeNetOptions = {}) {
    super();
    const { activation = 'sigmoid', pool = 'avg', dtype, generator } = options;
    const weights = activation === 'sigmoid' ? init.xavier() : init.he();
    const act = (): Module => (activation === 'sigmoid' ? new Sigmoid() : new ReLU());
    const subsample = (): Module => (pool === 'avg' ? new AvgPool2d(2) : new MaxPool2d(2));
    this.features = new Sequential(
      new Conv2d(1, 6, 5, { pad: 2, init: weights, dtype, generator }),
      act(),
      subsample(), // 6×28×28 → 6×14×14
      new Conv2d(6, 16, 5, { init: weights, dtype, generator }),
      act(),
      subsample(), //        16×10×10 → 16×5×5
      new Flatten(),
    );
    this.classifier = new Sequential(
      new Linear(16 * 5 * 5, 120, { init: weights, dtype, generator }),
      act(),
      new Linear(120, 84, { init: weights, dtype, generator }),
      act(),
      new Linear(84, 10, { init: weights, dtype, generator }),
    );
  }

  forward(x: Variable): Variable {
    return this.classifier.forward(this.features.forward(x));
  }

  /** The first convolution (6 filters of 5×5). */
  get conv1(): Conv2d {
    return this.features[0] as Conv2d;
  }
}

export interface LeNetRun {
  variant: string;
  epochs: EpochRecord[];
  losses: number[];
  secondsPerEpoch: number;
  msPerIteration: number;
  finalTestAccuracy: number;
  testCorrect: number;
  testTotal: number;
}

export interface LeNetResult {
  /** The first run is LeNet as configured; with --compare the second is ReLU + max pooling. */
  runs: LeNetRun[];
  checkpoint: string;
  files: string[];
}

const NAME = 'lenet';

export async function main(options: ExampleOptions = {}): Promise<LeNetResult> {
  const smoke = options.smoke === true;
  const out = outputDir(NAME, options);
  const epochCount = numberOption(options, 'epochs', smoke ? 2 : 5);
  const batchSize = numberOption(options, 'batchSize', 100);
  const lr = numberOption(options, 'lr', 0.001);
  const seed = numberOption(options, 'seed', 0);
  const trainLimit = numberOption(options, 'trainLimit', smoke ? 600 : 60_000);
  const testLimit = numberOption(options, 'testLimit', smoke ? 300 : 10_000);
  const evaluationLimit = numberOption(options, 'evaluationLimit', smoke ? 300 : 1000);
  const activation = choiceOption(options, 'activation', ['sigmoid', 'relu'] as const);
  const pool = choiceOption(options, 'pool', ['avg', 'max'] as const);
  const variants: LeNetOptions[] = [{ activation, pool }];
  if (options.compare !== false) variants.push({ activation: 'relu', pool: 'max' });

  const { train, test } = loadMnist({ flatten: false, trainLimit, testLimit });
  console.log(
    `MNIST: train ${train.x.shape.join('×')}, test ${test.x.shape.join('×')}; Adam lr ${lr}, batch ${batchSize}, ${epochCount} epochs`,
  );
  const runs: LeNetRun[] = [];
  const files: string[] = [];
  let first: LeNet | null = null;
  for (const variant of variants) {
    const name = `${variant.activation} + ${variant.pool} pool`;
    console.log(
      `\nLeNet, ${name}: conv 6@5×5 (pad 2) → ${variant.activation} → ${variant.pool}-pool → conv 16@5×5 → ${variant.activation} → ${variant.pool}-pool → 400→120→84→10`,
    );
    const generator = new Generator(seed);
    const net = new LeNet({ ...variant, generator });
    const result = trainClassifier(net, new Adam(net.parameters(), { lr }), train, test, {
      epochs: epochCount,
      batchSize,
      generator,
      evaluationLimit,
    });
    const final = accuracy(net, test);
    console.log(
      `LeNet ${name}: test acc ${final.accuracy.toFixed(4)} (${final.correct}/${final.total}), ${result.secondsPerEpoch.toFixed(1)} s per epoch, ${result.msPerIteration.toFixed(1)} ms per iteration`,
    );
    runs.push({
      variant: name,
      ...result,
      finalTestAccuracy: final.accuracy,
      testCorrect: final.correct,
      testTotal: final.total,
    });
    first ??= net;
  }

  console.log('\n  variant                 test acc   s/epoch  (after ' + `${epochCount} epochs)`);
  for (const run of runs)
    console.log(
      `  ${run.variant.padEnd(22)}  ${run.finalTestAccuracy.toFixed(4)}   ${run.secondsPerEpoch.toFixed(1).padStart(7)}`,
    );

  files.push(...(await saveTrainingCharts(out, runs[0], `LeNet (${runs[0].variant})`)));
  files.push(
    ...(await saveFilterGrid(
      first!.conv1.W.data,
      join(out, 'filters'),
      `LeNet (${runs[0].variant}): conv1 filters after training`,
    )),
  );
  if (runs.length > 1) {
    const chart = lineChart(
      runs.map((run) => ({
        name: run.variant,
        x: run.epochs.map((e) => e.epoch),
        y: run.epochs.map((e) => e.testAccuracy),
      })),
      {
        title: 'LeNet: sigmoid + subsampling vs ReLU + max pooling (test accuracy)',
        xLabel: 'epochs',
        yLabel: 'test accuracy',
        yDomain: [0, 1],
        points: true,
      },
    );
    const written = await saveChart(chart, join(out, 'compare'));
    files.push(written.svg, written.png);
  }
  const checkpoint = join(out, `${NAME}.safetensors`);
  await saveCheckpoint(checkpoint, {
    model: first!,
    metadata: {
      network: 'LeNet',
      activation,
      pool,
      epochs: String(epochCount),
      testAccuracy: runs[0].finalTestAccuracy.toFixed(4),
    },
  });
  files.push(checkpoint);
  console.log(`wrote ${files.join(', ')}`);
  return { runs, checkpoint, files };
}

function choiceOption<T extends string>(options: ExampleOptions, name: string, allowed: readonly [T, ...T[]]): T {
  const value = options[name];
  if (value === undefined) return allowed[0];
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`--${name} must be ${allowed.join(' or ')}, got ${String(value)}`);
}

runIfMain(import.meta.url, main);

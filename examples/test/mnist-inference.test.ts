import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_WEIGHTS, main } from '../mnist-inference.js';
import { main as trainTwoLayerNet } from '../two-layer-net.js';

const out = mkdtempSync(join(tmpdir(), 'mnist-inference-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// The book's weights live beside the repository (../shared), present here and in CI.
const haveReferenceWeights = existsSync(REFERENCE_WEIGHTS);
if (!haveReferenceWeights)
  console.warn(`mnist-inference: skipping the book's sample network, ${REFERENCE_WEIGHTS} is absent`);

describe('mnist-inference', () => {
  it.skipIf(!haveReferenceWeights)("reproduces the book's accuracy 0.9352 with its sample network", async () => {
    const result = await main({ smoke: true, out: join(out, 'book') });
    expect(result.network).toBe('book');
    expect(result.total).toBe(10_000);
    expect(result.correct).toBe(9352);
    expect(result.accuracy).toBe(0.9352);
    // One image at a time (the first 1,000 in smoke mode) predicts exactly what the batches do.
    expect(result.oneByOne.images).toBe(1000);
    expect(result.batch).toMatchObject({ size: 100, batches: 100 });
    expect(result.shapes).toEqual({
      x: [10000, 784],
      'x[0]': [784],
      W1: [784, 50],
      W2: [50, 100],
      W3: [100, 10],
      y: [10000, 10],
    });
    expect(result.first.labels).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5, 9, 7, 3, 4]);
    for (const file of result.files) expect(existsSync(file), file).toBe(true);
    expect(result.files).toHaveLength(4); // first-20 and mistakes, .svg and .png
  });

  it('runs a checkpoint of example 6 (trained in smoke mode)', async () => {
    const trained = await trainTwoLayerNet({ smoke: true, gradientCheck: false, out: join(out, 'trained') });
    const result = await main({ smoke: true, checkpoint: trained.checkpoint, out: join(out, 'checkpoint') });
    expect(result.network).toBe('checkpoint');
    expect(result.shapes).toMatchObject({ x: [10000, 784], W1: [784, 10], W2: [10, 10], y: [10000, 10] });
    expect(result.accuracy).toBeGreaterThan(0.5);
    // Smoke training measured its test accuracy on the first 1,000 test images: the same images
    // the one-at-a-time pass covers here, so the figures must agree exactly.
    expect(result.oneByOne.accuracy).toBe(trained.finalTestAccuracy);
    for (const file of result.files) expect(existsSync(file), file).toBe(true);
  });
});

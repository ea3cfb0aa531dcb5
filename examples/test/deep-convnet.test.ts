import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '@nn/data';
import { loadCheckpoint } from '@nn/nn';
import { accuracy } from '../lib/classifier.js';
import { DeepConvNet, REFERENCE_WEIGHTS, main } from '../deep-convnet.js';

const out = mkdtempSync(join(tmpdir(), 'deep-convnet-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const haveReferenceWeights = existsSync(REFERENCE_WEIGHTS);
if (!haveReferenceWeights) console.warn(`deep-convnet: skipping the book's weights, ${REFERENCE_WEIGHTS} is absent`);

describe('deep-convnet', () => {
  it('trains in smoke mode (100 images, 2 iterations) and writes its pictures and checkpoint', async () => {
    const result = await main({ smoke: true, out: join(out, 'smoke') });
    expect(result.mode).toBe('train');
    expect(result.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(result.losses).toHaveLength(2);
    // Two steps cannot teach much. The loss starts above ln 10: the He-initialised scores are far from
    // uniform, and the inverted Dropout on them doubles the kept ones during training (measured 6.4).
    for (const loss of result.losses) {
      expect(loss).toBeGreaterThan(1.5);
      expect(loss).toBeLessThan(12);
    }
    for (const e of result.epochs)
      for (const a of [e.trainAccuracy, e.testAccuracy]) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
      }
    expect(result.testTotal).toBe(100);
    expect(result.secondsPerEpoch).toBeGreaterThan(0);
    const names = result.files.map((f) => f.slice(out.length + 'smoke/'.length + 1)).sort();
    expect(names).toEqual([
      'accuracy.png',
      'accuracy.svg',
      'deep-convnet.safetensors',
      'loss.png',
      'loss.svg',
      'mistakes.png',
      'mistakes.svg',
    ]);
    for (const file of result.files) expect(existsSync(file), file).toBe(true);

    // The checkpoint rebuilds the network: the same predictions on the same test images.
    const net = new DeepConvNet();
    const { metadata } = await loadCheckpoint(result.checkpoint!, { model: net });
    expect(metadata).toMatchObject({ network: 'DeepConvNet', epochs: '1', trainImages: '100' });
    const { test } = loadMnist({ flatten: false, trainLimit: 0, testLimit: 100 });
    expect(accuracy(net, test).correct).toBe(result.testCorrect);
  });

  it.skipIf(!haveReferenceWeights)(
    "gives the book's accuracy with its trained weights (first 500 test images)",
    async () => {
      // All 10,000 take minutes on the JS kernels (9,935 correct, the book's 0.9935, measured with
      // --reference and no --test-limit); float64 as NumPy, so the counts are exact on every machine.
      const result = await main({ reference: REFERENCE_WEIGHTS, testLimit: 500, out: join(out, 'reference') });
      expect(result.mode).toBe('reference');
      expect(result.testTotal).toBe(500);
      expect(result.testCorrect).toBe(497);
      for (const file of result.files) expect(existsSync(file), file).toBe(true);
    },
  );
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../overfitting.js';

describe('overfitting example', () => {
  it('trains the three settings on 300 images and reports accuracies and gaps', async () => {
    const out = mkdtempSync(join(tmpdir(), 'overfitting-'));
    const result = await main({ smoke: true, out, evalEvery: 2 });

    expect(result.trainSize).toBe(300); // the book's x_train[:300]
    expect(result.testSize).toBe(500);
    for (const run of [result.plain, result.weightDecay, result.dropout]) {
      expect(run.epochs).toBe(4);
      expect(run.evalEpochs).toEqual([2, 4]); // every evalEvery epochs and the last
      expect(run.trainAccuracy).toHaveLength(2);
      expect(run.testAccuracy).toHaveLength(2);
      for (const a of [...run.trainAccuracy, ...run.testAccuracy]) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
      }
      // 300 training images: accuracy is a multiple of 1/300
      expect(Math.abs(run.finalTrainAccuracy * 300 - Math.round(run.finalTrainAccuracy * 300))).toBeLessThan(1e-6);
      expect(run.gap).toBeCloseTo(run.finalTrainAccuracy - run.finalTestAccuracy, 12);
    }
    expect(result.plain.title).toBe('no regularisation');
    for (const file of ['plain', 'weight-decay', 'dropout']) expect(existsSync(join(out, `${file}.png`))).toBe(true);
  });
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../losses.js';

describe('losses example', () => {
  it("reproduces the book's MSE and cross-entropy figures", async () => {
    const out = mkdtempSync(join(tmpdir(), 'losses-'));
    const result = await main({ smoke: true, out });

    // the book: MSE 0.0975 and 0.5975, CE 0.5108 and 2.3026 (4 decimals)
    expect(result.mse[0]).toBeCloseTo(0.0975, 4);
    expect(result.mse[1]).toBeCloseTo(0.5975, 4);
    expect(result.crossEntropy[0]).toBeCloseTo(0.5108, 4);
    expect(result.crossEntropy[1]).toBeCloseTo(2.3026, 4);
    // and to the digits the book prints (float64 throughout)
    expect(result.mse[0]).toBeCloseTo(0.09750000000000003, 15);
    expect(result.mse[1]).toBeCloseTo(0.5975, 15);
    expect(result.crossEntropy[0]).toBeCloseTo(0.510825457099338, 14);
    expect(result.crossEntropy[1]).toBeCloseTo(2.302584092994546, 14);

    // label form = one-hot form; the batch is the mean of the rows (CE) and the sum (MSE)
    expect(result.crossEntropyFromLabel[0]).toBeCloseTo(result.crossEntropy[0], 14);
    expect(result.crossEntropyFromLabel[1]).toBeCloseTo(result.crossEntropy[1], 14);
    expect(result.batchCrossEntropy.oneHot).toBeCloseTo(1.4067, 4);
    expect(result.batchCrossEntropy.labels).toBeCloseTo(result.batchCrossEntropy.oneHot, 14);
    expect(result.batchMse).toBeCloseTo(0.695, 14);

    expect(existsSync(join(out, 'losses-log.png'))).toBe(true);
    expect(existsSync(join(out, 'losses-log.svg'))).toBe(true);
  });
});

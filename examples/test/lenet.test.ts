import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../lenet.js';

const out = mkdtempSync(join(tmpdir(), 'lenet-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('lenet', () => {
  it('trains LeNet and its ReLU + max-pool version (smoke: 600 images, 2 epochs of 6 steps) and writes the comparison', async () => {
    const result = await main({ smoke: true, out });
    expect(result.runs.map((r) => r.variant)).toEqual(['sigmoid + avg pool', 'relu + max pool']);
    const [lenet, modern] = result.runs;
    for (const run of result.runs) {
      expect(run.losses).toHaveLength(12);
      expect(run.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
      expect(run.testTotal).toBe(300);
      expect(run.secondsPerEpoch).toBeGreaterThan(0);
    }
    // The seeds' point: in 12 steps the sigmoid LeNet has barely left ln 10 ≈ 2.30 while ReLU and
    // max pooling are well on their way.
    expect(lenet.losses[11]).toBeLessThan(lenet.losses[0]);
    expect(lenet.losses[11]).toBeGreaterThan(2);
    expect(modern.finalTestAccuracy).toBeGreaterThan(0.3);
    expect(modern.finalTestAccuracy).toBeGreaterThan(lenet.finalTestAccuracy);
    expect(modern.losses[11]).toBeLessThan(lenet.losses[11]);
    const names = result.files.map((f) => f.slice(out.length + 1)).sort();
    expect(names).toEqual([
      'accuracy.png',
      'accuracy.svg',
      'compare.png',
      'compare.svg',
      'filters.png',
      'filters.svg',
      'lenet.safetensors',
      'loss.png',
      'loss.svg',
    ]);
    for (const file of result.files) expect(existsSync(file), file).toBe(true);
  });
});

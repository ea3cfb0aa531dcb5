import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../batch-norm.js';

const out = mkdtempSync(join(tmpdir(), 'batch-norm-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('batch-norm example', () => {
  it('learns with Batch Norm where the plain network does not', async () => {
    // Smoke: scales 1, 0.01, 0.0001; 500 images; 4 epochs of 5 iterations.
    const { runs, epochs, trainSize, bnAtLeastAsGood, files } = await main({ smoke: true, out });
    expect(trainSize).toBe(500);
    expect(runs.map((r) => r.scale)).toEqual([1, 0.01, 0.0001].map((s) => expect.closeTo(s, 12)));
    for (const r of runs) {
      expect(r.accuracy).toHaveLength(epochs);
      expect(r.bnAccuracy).toHaveLength(epochs);
    }
    // Batch Norm is at least as accurate at every scale, and far ahead at the small ones, where
    // the plain network is stuck at chance (one class predicted for everything).
    expect(bnAtLeastAsGood).toBe(3);
    for (const r of runs.slice(1)) {
      expect(r.finalAccuracy).toBeLessThan(0.2);
      expect(r.finalBnAccuracy).toBeGreaterThan(r.finalAccuracy + 0.1);
    }
    expect(files).toHaveLength(1);
    expect(existsSync(files[0])).toBe(true);
  });
});

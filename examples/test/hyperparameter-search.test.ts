import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '@nn/tensor';
import { main } from '../hyperparameter-search.js';

describe('hyperparameter-search example', () => {
  it('samples lr and weight decay on a log scale from a seeded generator and ranks the trials', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hyperparameter-search-'));
    const result = await main({ smoke: true, out, seed: 7 });

    // 500 images, 20% held out for validation
    expect(result.trainSize).toBe(400);
    expect(result.valSize).toBe(100);
    expect(result.trials).toHaveLength(3);

    // The first trial's hyperparameters are the seeded generator's first two draws (λ first, as the book).
    const g = new Generator(7);
    const weightDecay = 10 ** g.uniform(-8, -4);
    const lr = 10 ** g.uniform(-6, -2);
    expect(result.trials[0].weightDecay).toBe(weightDecay);
    expect(result.trials[0].lr).toBe(lr);

    for (const t of result.trials) {
      expect(t.lr).toBeGreaterThanOrEqual(1e-6);
      expect(t.lr).toBeLessThan(1e-2);
      expect(t.weightDecay).toBeGreaterThanOrEqual(1e-8);
      expect(t.weightDecay).toBeLessThan(1e-4);
      expect(t.valAccuracy).toHaveLength(result.epochs);
      expect(t.trainAccuracy).toHaveLength(result.epochs);
      expect(t.finalValAccuracy).toBe(t.valAccuracy.at(-1));
      expect(t.finalValAccuracy).toBeGreaterThanOrEqual(0);
      expect(t.finalValAccuracy).toBeLessThanOrEqual(1);
    }
    // ranking: the same trials, best validation accuracy first
    expect(result.ranking.map((t) => t.trial).sort()).toEqual([1, 2, 3]);
    for (let i = 1; i < result.ranking.length; i++) {
      expect(result.ranking[i - 1].finalValAccuracy).toBeGreaterThanOrEqual(result.ranking[i].finalValAccuracy);
    }
    for (const file of ['best-trials', 'lr-vs-weight-decay']) expect(existsSync(join(out, `${file}.png`))).toBe(true);
  });
});

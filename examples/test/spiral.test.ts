import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../spiral.js';

describe('spiral example', () => {
  it('trains TwoLayerNet on the spiral by a hand-written loop and by the Trainer', async () => {
    const out = mkdtempSync(join(tmpdir(), 'spiral-'));
    const result = await main({ smoke: true, out });

    expect(result.points).toBe(300);
    expect(result.epochs).toBe(100);
    for (const run of [result.customLoop, result.trainer]) {
      // 10 iterations per epoch, one mean loss per 10 iterations
      expect(run.lossCurve).toHaveLength(100);
      // the loss starts at about ln 3 ≈ 1.1 and falls (to about 0.6 after 100 of the book's 300 epochs)
      expect(run.lossCurve[0]).toBeGreaterThan(1.0);
      expect(run.lossCurve[0]).toBeLessThan(1.25);
      expect(run.finalLoss).toBeLessThan(0.8);
      expect(run.accuracy).toBeGreaterThan(0.5); // chance is 1/3
    }
    for (const file of ['loss', 'decision-boundary', 'decision-boundary-trainer'])
      expect(existsSync(join(out, `${file}.png`))).toBe(true);
  });
});

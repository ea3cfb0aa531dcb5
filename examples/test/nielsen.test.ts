import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../nielsen.js';

describe('nielsen example', () => {
  it("trains Nielsen's sigmoid network with the quadratic cost and counts correct test digits per epoch", async () => {
    const out = mkdtempSync(join(tmpdir(), 'nielsen-'));
    const result = await main({ smoke: true, out });

    expect(result.trainSize).toBe(1000);
    expect(result.testSize).toBe(500);
    expect(result.hidden).toBe(30);
    expect(result.correct).toHaveLength(3);
    expect(result.secondsPerEpoch).toHaveLength(3);
    for (const c of result.correct) expect(Number.isInteger(c)).toBe(true);
    expect(result.finalAccuracy).toBe(result.correct[2] / 500);
    expect(result.bestAccuracy).toBe(Math.max(...result.correct) / 500);
    // far above chance (0.1) after 3 epochs on 1000 images
    expect(result.finalAccuracy).toBeGreaterThan(0.35);
    expect(existsSync(join(out, 'test-accuracy.png'))).toBe(true);
  });
});

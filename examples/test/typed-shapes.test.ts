import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../typed-shapes.js';

describe('typed-shapes example', () => {
  it('trains the typed MLP and SimpleConvNet: both losses fall and both beat chance on test digits', async () => {
    const out = mkdtempSync(join(tmpdir(), 'typed-shapes-'));
    const result = await main({ smoke: true, out });
    for (const net of [result.mlp, result.cnn]) {
      expect(net.losses).toHaveLength(20);
      expect(net.losses.at(-1)!).toBeLessThan(net.losses[0]);
      expect(net.testAccuracy).toBeGreaterThan(0.3);
    }
    for (const file of result.files) expect(existsSync(file)).toBe(true);
  }, 60_000);
});

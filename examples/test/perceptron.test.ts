import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../perceptron.js';

describe('perceptron example', () => {
  it('prints the truth tables of AND, NAND, OR and the two-layer XOR, and draws their regions', async () => {
    const out = mkdtempSync(join(tmpdir(), 'perceptron-'));
    const result = await main({ smoke: true, out });
    // inputs (0,0), (1,0), (0,1), (1,1), the book's order
    expect(result.inputs).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(result.AND).toEqual([0, 0, 0, 1]);
    expect(result.NAND).toEqual([1, 1, 1, 0]);
    expect(result.OR).toEqual([0, 1, 1, 1]);
    expect(result.XOR).toEqual([0, 1, 1, 0]);
    expect(result.xorHidden).toEqual([
      [1, 0],
      [1, 1],
      [1, 1],
      [0, 1],
    ]);
    for (const gate of ['and', 'nand', 'or', 'xor']) {
      expect(existsSync(join(out, `perceptron-${gate}.png`))).toBe(true);
      expect(existsSync(join(out, `perceptron-${gate}.svg`))).toBe(true);
    }
  });
});

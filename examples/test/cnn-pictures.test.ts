import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cnn-pictures.js';

const out = mkdtempSync(join(tmpdir(), 'cnn-pictures-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cnn-pictures', () => {
  it('draws im2col, col2im and the max-pool gradient from the library’s own results', async () => {
    const result = await main({ out });
    expect(result.columns).toEqual([
      [1, 2, 3, 5, 6, 7, 9, 10, 11],
      [2, 3, 4, 6, 7, 8, 10, 11, 12],
      [5, 6, 7, 9, 10, 11, 13, 14, 15],
      [6, 7, 8, 10, 11, 12, 14, 15, 16],
    ]);
    expect(result.coverage).toEqual([
      [1, 2, 2, 1],
      [2, 4, 4, 2],
      [2, 4, 4, 2],
      [1, 2, 2, 1],
    ]);
    expect(result.poolGradient).toEqual([
      [0, 0, 0, 0],
      [1, 0, 0, 2],
      [3, 0, 4, 0],
      [0, 0, 0, 0],
    ]);
    expect(result.files).toHaveLength(6);
    for (const file of result.files) expect(existsSync(file), file).toBe(true);
  });
});

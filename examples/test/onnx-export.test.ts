import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../onnx-export.js';

const out = mkdtempSync(join(tmpdir(), 'onnx-export-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('onnx-export', () => {
  it('trains, exports, and onnxruntime serves the same predictions', async () => {
    const result = await main({ smoke: true, out });
    expect(result.testImages).toBe(1000);
    expect(result.onnxruntime).toBe(result.ours);
    expect(result.samePredictions).toBe(1000);
    expect(result.maxDifference).toBeLessThan(1e-4);
    expect(result.ours).toBeGreaterThan(0.8);
    expect(statSync(result.file).size).toBeGreaterThan(4 * 784 * 100);
  });
});

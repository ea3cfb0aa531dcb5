import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../graph-attention.js';

describe('graph-attention example', () => {
  it('draws one causal head: MatMul, Transpose, Mul (scale), Add (mask), Softmax, MatMul', async () => {
    const out = mkdtempSync(join(tmpdir(), 'graph-attention-'));
    const { file, nodes } = await main({ out });
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('Softmax');
    for (const type of ['MatMul', 'Transpose', 'Mul', 'Add', 'Softmax']) expect(nodes).toContain(type);
    expect(nodes.filter((t) => t === 'MatMul')).toHaveLength(2);
  });
});

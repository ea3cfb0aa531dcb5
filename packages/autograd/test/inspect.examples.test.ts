import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as apple } from '../../../examples/graph-apple.js';
import { main as repeatSum } from '../../../examples/graph-repeat-sum.js';
import { main as twoLayer } from '../../../examples/graph-two-layer.js';

// Smoke test of the graph examples: each main() runs against a temporary output folder and
// writes its pictures. Gradients are compared after rounding to 10 significant digits.

const root = mkdtempSync(join(tmpdir(), 'nn-graph-examples-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expectWritten(files: readonly string[]): void {
  for (const file of files) {
    expect(statSync(file).size, file).toBeGreaterThan(100);
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.svg')) expect(text).toMatch(/^<\?xml[^]*<svg[^]*<\/svg>\s*$/);
    if (file.endsWith('.html')) expect(text).toMatch(/^<!DOCTYPE html>[^]*<svg[^]*<\/html>\s*$/);
    if (file.endsWith('.json')) expect(() => JSON.parse(text)).not.toThrow();
  }
}

describe('graph examples', () => {
  it("graph-apple: 715 and the seeds' five gradients, SVG, DOT, HTML and the trace", async () => {
    const lines: string[] = [];
    const result = await apple({ out: join(root, 'apple'), log: (text) => lines.push(text) });
    expect(result.price).toBe(715);
    expect(result.gradients).toEqual({ apple: 2.2, apple_num: 110, orange: 3.3, orange_num: 165, tax: 650 });
    expect(result.files.map((f) => f.slice(root.length + 1))).toEqual([
      join('apple', 'apple.dot'),
      join('apple', 'apple.svg'),
      join('apple', 'apple.html'),
    ]);
    expectWritten(result.files);
    const output = lines.join('\n');
    expect(output).toContain('price = 715');
    expect(output).toContain('dprice/dtax = 650');
    expect(output).toContain('step 1/4  Mul → price ()  generation 2');
    const svg = readFileSync(result.files[1], 'utf8');
    expect(svg).toContain('>grad 650</text>');
    expect(svg).toContain('>grad 1.1</text>'); // intermediate gradients come from the trace
  });

  it('graph-repeat-sum: Repeat, Sum and MatMul with the graphs of their backward passes', async () => {
    const result = await repeatSum({ out: join(root, 'repeat-sum'), log: () => {} });
    expect(result.matchesSeeds).toEqual({ repeat: true, sum: true, matmul: true });
    expect(result.backwardNodes.repeat).toContain('Sum');
    expect(result.backwardNodes.sum).toEqual(['BroadcastTo']);
    expect([...result.backwardNodes.matmul].sort()).toEqual(['MatMul', 'MatMul', 'Transpose', 'Transpose']);
    expect(result.files.map((f) => f.split(/[\\/]/).at(-1))).toEqual([
      'repeat.svg',
      'repeat-backward.svg',
      'sum.svg',
      'sum-backward.svg',
      'matmul.svg',
      'matmul-backward.svg',
    ]);
    expectWritten(result.files);
    expect(readFileSync(result.files[4], 'utf8')).toContain('>(7,3) float32</text>');
  });

  it('graph-two-layer: Affine → Sigmoid → Affine → Softmax-with-Loss', async () => {
    const result = await twoLayer({ out: join(root, 'two-layer'), log: () => {} });
    expect(result.nodes).toEqual(['MatMul', 'Add', 'Sigmoid', 'MatMul', 'Add', 'SoftmaxCrossEntropy']);
    expect(result.parameters).toBe(2 * 5 + 5 + 5 * 3 + 3);
    expect(Number.isFinite(result.loss) && result.loss > 0).toBe(true);
    expect(result.files).toHaveLength(4);
    expectWritten(result.files);
  });
});

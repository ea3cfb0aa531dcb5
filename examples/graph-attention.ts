/**
 * The graph of one attention head, softmax(q·kᵀ/√E + causal mask)·v, drawn by our inspector with
 * shapes: the picture in docs/sequences.md.
 *
 * Run: pnpm example graph-attention [--out dir]    (default docs/images/, file attention-head.svg)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, randn } from '@nn/tensor';
import { toDot, variable } from '@nn/autograd';
import { graphToJSON, renderSvg } from '@nn/autograd/inspect';
import { scaledDotProductAttention } from '@nn/nn';
import { runIfMain } from './lib/cli.js';

/**
 * Draws the graph; `out` is a folder (default docs/images/), the file is attention-head.svg.
 * @example await main({ out: '/tmp' })
 */
export async function main(options: { out?: string } = {}): Promise<{ file: string; nodes: string[] }> {
  const dir = options.out ?? fileURLToPath(new URL('../docs/images/', import.meta.url));
  const file = join(dir, 'attention-head.svg');
  const generator = new Generator(0);
  const [L, E] = [4, 8];
  const q = variable(randn([L, E], { generator }), { name: 'q' });
  const k = variable(randn([L, E], { generator }), { name: 'k' });
  const v = variable(randn([L, E], { generator }), { name: 'v' });
  const { output } = scaledDotProductAttention(q, k, v, { isCausal: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    file,
    await renderSvg(toDot(output, { shapes: true, title: 'one causal attention head (L=4, E=8)' })),
  );
  console.log(`wrote ${file}`);
  return { file, nodes: graphToJSON(output).nodes.map((n) => n.type) };
}

runIfMain(import.meta.url, (options) => main({ out: options.out }));

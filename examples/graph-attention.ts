/**
 * The graph of one attention head, softmax(q·kᵀ/√E + causal mask)·v, drawn by our inspector with
 * shapes: the picture in docs/sequences.md.
 *
 * Run: node --import tsx examples/graph-attention.ts [out.svg]    (default docs/images/attention-head.svg)
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Generator, randn } from '@nn/tensor';
import { toDot, variable } from '@nn/autograd';
import { renderSvg } from '@nn/autograd/inspect';
import { scaledDotProductAttention } from '@nn/nn';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/images/attention-head.svg', import.meta.url));
const generator = new Generator(0);
const [L, E] = [4, 8];
const q = variable(randn([L, E], { generator }), { name: 'q' });
const k = variable(randn([L, E], { generator }), { name: 'k' });
const v = variable(randn([L, E], { generator }), { name: 'v' });
const { output } = scaledDotProductAttention(q, k, v, { isCausal: true });
await writeFile(out, await renderSvg(toDot(output, { shapes: true, title: 'one causal attention head (L=4, E=8)' })));
console.log(`wrote ${out}`);

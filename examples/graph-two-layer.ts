/**
 * A two-layer net's graph (seed 000's TwoLayerNet: Affine → Sigmoid → Affine → Softmax-with-Loss),
 * built from autograd functions on a small random batch: the text tree with parameter counts,
 * the drawing with shapes, the backward trace, the JSON form and the interactive explorer.
 *
 * Run: node --import tsx examples/graph-two-layer.ts [--out dir]    (default examples/out/graph-two-layer/)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, randn, tensor, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import { toDot, variable } from '@nn/autograd';
import { formatGraph, formatTrace, graphToJSON, renderSvg, traceBackward, writeGraphHtml } from '@nn/autograd/inspect';
import { runIfMain } from './lib/cli.js';

export interface ExampleOptions {
  /** Folder for the pictures (default examples/out/graph-two-layer/). */
  out?: string;
  /** Where text goes (default console.log). */
  log?: (text: string) => void;
}

export interface TwoLayerResult {
  loss: number;
  /** Node types in forward order. */
  nodes: string[];
  /** Elements in the parameters W1, b1, W2, b2. */
  parameters: number;
  files: string[];
}

// A batch of N points with D features, H hidden units, C classes.
const N = 4;
const D = 2;
const H = 5;
const C = 3;

export async function main(options: ExampleOptions = {}): Promise<TwoLayerResult> {
  const out = options.out ?? fileURLToPath(new URL('./out/graph-two-layer/', import.meta.url));
  const log = options.log ?? console.log;
  const generator = new Generator(0);

  const x = variable(randn([N, D], { generator }), { name: 'x', requiresGrad: false }); // data, not a parameter
  const t = tensor([0, 2, 1, 2], { dtype: 'int32' }); // class labels
  const W1 = variable(randn([D, H], { generator }).mul(0.5), { name: 'W1' });
  const b1 = variable(zeros([H]), { name: 'b1' });
  const W2 = variable(randn([H, C], { generator }).mul(0.5), { name: 'W2' });
  const b2 = variable(zeros([C]), { name: 'b2' });

  const a1 = F.linear(x, W1, b1); // Affine: x·W1 + b1 (MatMul, then a broadcasting Add)
  a1.name = 'a1';
  const h = F.sigmoid(a1);
  h.name = 'h';
  const scores = F.linear(h, W2, b2);
  scores.name = 'scores';
  const loss = F.softmaxCrossEntropy(scores, t); // the fused Softmax-with-Loss node
  loss.name = 'loss';

  log(formatGraph(loss));
  const steps = traceBackward(loss); // before backward, which frees the graph
  loss.backward();
  log(`\nloss = ${loss.item().toFixed(4)}`);
  log(`\n${formatTrace(steps, { maxElements: 6 })}`);

  await mkdir(out, { recursive: true });
  const json = graphToJSON(loss, { values: true, grads: true, trace: steps });
  const files = {
    svg: join(out, 'two-layer.svg'),
    rules: join(out, 'two-layer-rules.svg'),
    json: join(out, 'two-layer.json'),
    html: join(out, 'two-layer.html'),
  };
  await writeFile(
    files.svg,
    await renderSvg(
      toDot(loss, { shapes: true, title: 'Two-layer net: Affine → Sigmoid → Affine → Softmax-with-Loss' }),
    ),
  );
  await writeFile(files.rules, await renderSvg(toDot(loss, { shapes: true, rules: true, rankdir: 'TB' })));
  await writeFile(files.json, JSON.stringify(json, null, 1));
  await writeGraphHtml(loss, files.html, { trace: steps, title: 'Two-layer net' });
  log(`\nwrote ${Object.values(files).join(', ')}`);

  return {
    loss: loss.item(),
    nodes: json.nodes.map((node) => node.type),
    parameters: [W1, b1, W2, b2].reduce((n, p) => n + p.size, 0),
    files: Object.values(files),
  };
}

runIfMain(import.meta.url, (options) => main({ out: options.out }));

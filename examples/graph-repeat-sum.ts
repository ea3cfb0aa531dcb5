/**
 * The seeds' Repeat, Sum and MatMul nodes (seed 000, §1.3.4–1.3.5) with D = 8, N = 7: each forward
 * graph with its shapes, and the graph that backward records for it (`createGraph`), which shows
 * that Repeat's backward is a Sum, Sum's backward is a Repeat (BroadcastTo), and MatMul's backward
 * is dx = dy·Wᵀ, dW = xᵀ·dy.
 *
 * Run: node --import tsx examples/graph-repeat-sum.ts [--out dir]    (default examples/out/graph-repeat-sum/)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, randn } from '@nn/tensor';
import { type Variable, toDot, variable } from '@nn/autograd';
import { formatGraph, formatTrace, graphToJSON, renderSvg, traceBackward } from '@nn/autograd/inspect';
import { runIfMain } from './lib/cli.js';

export interface ExampleOptions {
  /** Folder for the pictures (default examples/out/graph-repeat-sum/). */
  out?: string;
  /** Where text goes (default console.log). */
  log?: (text: string) => void;
}

export interface RepeatSumResult {
  /** Node types of each backward graph, in forward order. */
  backwardNodes: { repeat: string[]; sum: string[]; matmul: string[] };
  /** Whether each backward result equals the seeds' NumPy formula. */
  matchesSeeds: { repeat: boolean; sum: boolean; matmul: boolean };
  files: string[];
}

const D = 8;
const N = 7;
const H = 3;

/** The node types of a graph in forward order, read from its JSON form. */
function nodeTypes(v: Variable | readonly Variable[]): string[] {
  return graphToJSON(v).nodes.map((node) => node.type);
}

function close(a: Variable, b: Variable): boolean {
  return a.data.sub(b.data).abs().max().item() < 1e-5;
}

export async function main(options: ExampleOptions = {}): Promise<RepeatSumResult> {
  const out = options.out ?? fileURLToPath(new URL('./out/graph-repeat-sum/', import.meta.url));
  const log = options.log ?? console.log;
  const generator = new Generator(0);
  const sample = (shape: number[]) => randn(shape, { generator });
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  const draw = async (file: string, v: Variable | readonly Variable[], title: string) => {
    const path = join(out, file);
    await writeFile(path, await renderSvg(toDot(v, { shapes: true, title })));
    files.push(path);
  };

  // Repeat: x (1,D) → y (N,D). Its backward sums the N copies of the gradient.
  const x = variable(sample([1, D]), { name: 'x' });
  const y = x.repeat(N, 0);
  y.name = 'y';
  // An assumed upstream gradient, as in the seeds. It requires grad so that, with createGraph,
  // backward records its own graph: the graph behind x.grad.
  const dy = variable(sample([N, D]), { name: 'dy' });
  y.backward({ grad: dy, createGraph: true });
  const dx = x.grad!;
  dx.name = 'dx';
  log('== Repeat (np.repeat(x, N, axis=0)) ==');
  log(formatGraph(y));
  log('\nits backward (the graph behind x.grad):');
  log(formatGraph(dx));
  const repeatOk = close(dx, dy.sum(0, { keepdims: true }));
  log(`dx == np.sum(dy, axis=0, keepdims=True): ${repeatOk}`);
  await draw('repeat.svg', y, `Repeat: x (1,${D}) → y (${N},${D})`);
  await draw('repeat-backward.svg', dx, 'Repeat backward: a Sum of the N gradient copies');

  // Sum: x (N,D) → y (1,D). Its backward copies dy to every row: a Repeat (BroadcastTo).
  const xs = variable(sample([N, D]), { name: 'x' });
  const ys = xs.sum(0, { keepdims: true });
  ys.name = 'y';
  const dys = variable(sample([1, D]), { name: 'dy' });
  ys.backward({ grad: dys, createGraph: true });
  const dxs = xs.grad!;
  dxs.name = 'dx';
  log('\n== Sum (np.sum(x, axis=0, keepdims=True)) ==');
  log(formatGraph(ys));
  log('\nits backward:');
  log(formatGraph(dxs));
  const sumOk = close(dxs, dys.repeat(N, 0));
  log(`dx == np.repeat(dy, N, axis=0): ${sumOk}`);
  await draw('sum.svg', ys, `Sum: x (${N},${D}) → y (1,${D})`);
  await draw('sum-backward.svg', dxs, 'Sum backward: a Repeat (BroadcastTo) of dy');

  // MatMul: x (N,D) · W (D,H) → y (N,H); the shapes tell the backward rule.
  const xm = variable(sample([N, D]), { name: 'x' });
  const W = variable(sample([D, H]), { name: 'W' });
  const ym = xm.matmul(W);
  ym.name = 'y';
  const dym = variable(sample([N, H]), { name: 'dy' });
  const steps = traceBackward(ym, { grad: dym }); // before backward, which frees the graph
  ym.backward({ grad: dym, createGraph: true });
  const dxm = xm.grad!;
  dxm.name = 'dx';
  const dW = W.grad!;
  dW.name = 'dW';
  log('\n== MatMul (y = x·W) ==');
  log(formatGraph(ym));
  log(`\n${formatTrace(steps, { maxElements: 4 })}`);
  log('\nits backward (the graph behind x.grad and W.grad):');
  log(formatGraph([dxm, dW]));
  const matmulOk = close(dxm, dym.matmul(W.T)) && close(dW, xm.T.matmul(dym));
  log(`dx == dy·Wᵀ and dW == xᵀ·dy: ${matmulOk}`);
  await draw('matmul.svg', ym, `MatMul: x (${N},${D}) · W (${D},${H}) → y (${N},${H})`);
  await draw('matmul-backward.svg', [dxm, dW], 'MatMul backward: dx = dy·Wᵀ, dW = xᵀ·dy');

  log(`\nwrote ${files.join(', ')}`);
  return {
    backwardNodes: { repeat: nodeTypes(dx), sum: nodeTypes(dxs), matmul: nodeTypes([dxm, dW]) },
    matchesSeeds: { repeat: repeatOk, sum: sumOk, matmul: matmulOk },
    files,
  };
}

runIfMain(import.meta.url, (options) => main({ out: options.out }));

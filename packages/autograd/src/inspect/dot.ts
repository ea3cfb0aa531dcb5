import type { Tensor } from '@nn/tensor';
import type { Function } from '../function.js';
import { AutogradError } from '../errors.js';
import type { Variable } from '../variable.js';
import { type CollectedGraph, collectGraph, kindOf, labelOf, previewLine, shapeText } from './graph.js';
import { type BackwardStep, traceGradients } from './trace.js';

/** Graphviz layout direction: left to right (the seeds' figures), top to bottom, or reversed. @example toDot(y, { rankdir: 'TB' }) */
export type RankDir = 'LR' | 'TB' | 'RL' | 'BT';

/** Options of `toDot`. @example toDot(loss, { values: true, grads: true, maxElements: 6, rankdir: 'TB' }) */
export interface ToDotOptions {
  /** Show a preview of each Variable's value (default false). */
  values?: boolean;
  /**
   * Show a preview of each Variable's gradient (default false): its `grad` when it has one, else
   * the gradient from `trace` when given. Intermediate values keep no `grad` unless `retainGrad()`
   * was called, so pass a trace to label every edge of the graph as the seeds' figures do.
   */
  grads?: boolean;
  /** Show shape and dtype under each Variable's name (default true). */
  shapes?: boolean;
  /** Elements shown in a preview before `…` (default 4). */
  maxElements?: number;
  /** Significant digits in previews (default 4). */
  precision?: number;
  /** Layout direction (default 'LR', left to right like the seeds' computation graphs). */
  rankdir?: RankDir;
  /** Write each node's gradient rule under its type (default false; the rule is always the tooltip). */
  rules?: boolean;
  /** A trace of the same output (`traceBackward(output)`), used for gradients that `grad` does not hold. */
  trace?: readonly BackwardStep[];
  /** A title drawn above the graph. */
  title?: string;
}

const COLORS = {
  parameter: '#fff1b8',
  constant: '#f2f2f2',
  computed: '#ffffff',
  node: '#d6e6ff',
  edge: '#4a4a4a',
} as const;

/** Quotes a string for DOT: backslashes and quotes escaped, newlines as DOT's centred `\n`. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

/** @internal The gradient to show for `v`: its own `grad`, else the traced one. */
export function gradientFor(v: Variable, traced: Map<Variable, Tensor> | null): Tensor | null {
  if (v.grad !== null) return v.grad.data;
  return traced?.get(v) ?? null;
}

/** @internal The lines of a Variable's label. */
export function variableLabel(
  graph: CollectedGraph,
  v: Variable,
  options: ToDotOptions,
  traced: Map<Variable, Tensor> | null,
): string {
  const maxElements = options.maxElements ?? 4;
  const precision = options.precision ?? 4;
  const lines = [labelOf(graph, v)];
  if (options.shapes ?? true) lines.push(`${shapeText(v.shape)} ${v.dtype}`);
  if (options.values) lines.push(`value ${previewLine(v.data, maxElements, precision)}`);
  if (options.grads) {
    const g = gradientFor(v, traced);
    if (g !== null) lines.push(`grad ${previewLine(g, maxElements, precision)}`);
  }
  return lines.join('\n');
}

function variableStatement(
  graph: CollectedGraph,
  v: Variable,
  options: ToDotOptions,
  traced: Map<Variable, Tensor> | null,
  isOutput: boolean,
): string {
  const id = graph.variableIds.get(v)!;
  const kind = kindOf(v);
  const attrs = [
    `id=${dotString(id)}`,
    'shape=ellipse',
    `label=${dotString(variableLabel(graph, v, options, traced))}`,
    `style=${kind === 'constant' ? '"filled,dashed"' : 'filled'}`,
    `fillcolor=${dotString(COLORS[kind])}`,
    `tooltip=${dotString(`${labelOf(graph, v)}: ${kind}${isOutput ? ' (output)' : ''}, shape ${shapeText(v.shape)}, ${v.dtype}`)}`,
  ];
  if (kind === 'constant') attrs.push('fontcolor="#666666"', 'color="#888888"');
  if (isOutput) attrs.push('penwidth=2');
  return `  ${id} [${attrs.join(', ')}];`;
}

function nodeStatement(graph: CollectedGraph, node: Function, options: ToDotOptions): string {
  const id = graph.nodeIds.get(node)!;
  const rule = node.rule;
  const label = options.rules ? `${node.name}\n${rule.replace(/^[^:]*:\s*/, '')}` : node.name;
  const attrs = [
    `id=${dotString(id)}`,
    'shape=box',
    `label=${dotString(label)}`,
    'style="filled,rounded"',
    `fillcolor=${dotString(COLORS.node)}`,
    `tooltip=${dotString(rule)}`,
  ];
  return `  ${id} [${attrs.join(', ')}];`;
}

const RANK_DIRS: readonly RankDir[] = ['LR', 'TB', 'RL', 'BT'];

/** Options come from users' code (often plain JS): a bad rankdir would otherwise be written into invalid DOT. */
function checkDotOptions(options: ToDotOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new AutogradError(`toDot: options must be an object such as { shapes: true }, got ${String(options)}`);
  }
  if (options.rankdir !== undefined && !RANK_DIRS.includes(options.rankdir)) {
    throw new AutogradError(
      `toDot: rankdir must be one of ${RANK_DIRS.map((d) => `'${d}'`).join(', ')}, got ${JSON.stringify(options.rankdir)}`,
    );
  }
}

/**
 * The graph behind `output` (or several outputs) in Graphviz DOT: Variables as ellipses (name,
 * shape, dtype, optional value and gradient previews; parameters filled yellow, constants
 * dashed, outputs bold), nodes as boxes named by type, edges in the forward direction
 * (input → node → output). Ids are `v0, v1, …` for Variables and `n0, n1, …` for nodes, in forward
 * order; they become the ids of the SVG elements. Any recorded graph can be drawn, including the
 * one `backward({ createGraph: true })` records behind `x.grad`. The walk is iterative.
 *
 * @example
 * const y = x.matmul(W).sigmoid().sum();
 * const dot = toDot(y, { values: true, shapes: true });
 * const svg = await renderSvg(dot);
 *
 * y.backward({ createGraph: true });
 * toDot(x.grad!);              // the graph of the backward pass
 */
export function toDot(output: Variable | readonly Variable[], options: ToDotOptions = {}): string {
  checkDotOptions(options);
  const graph = collectGraph(output, 'toDot');
  const traced = options.trace ? traceGradients(options.trace) : null;
  const outputs = new Set(graph.outputs);
  const lines: string[] = ['digraph graph_of_computation {'];
  const graphAttrs = [
    `rankdir=${options.rankdir ?? 'LR'}`,
    'fontname="Helvetica"',
    'bgcolor="white"',
    'nodesep=0.3',
    'ranksep=0.4',
  ];
  if (options.title !== undefined) graphAttrs.push(`label=${dotString(options.title)}`, 'labelloc=t', 'fontsize=16');
  lines.push(`  graph [${graphAttrs.join(', ')}];`);
  lines.push('  node [fontname="Helvetica", fontsize=11, margin="0.12,0.04"];');
  lines.push(`  edge [color="${COLORS.edge}", arrowsize=0.7];`);
  // Every Variable first (in forward order), then every node with its edges.
  for (const v of graph.variables) lines.push(variableStatement(graph, v, options, traced, outputs.has(v)));
  for (const node of graph.nodes) {
    lines.push(nodeStatement(graph, node, options));
    const nodeId = graph.nodeIds.get(node)!;
    for (const x of node.inputs) lines.push(`  ${graph.variableIds.get(x)!} -> ${nodeId};`);
    for (const y of node.outputs) lines.push(`  ${nodeId} -> ${graph.variableIds.get(y)!};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

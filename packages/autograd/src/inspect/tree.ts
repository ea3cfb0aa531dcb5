import type { Function } from '../function.js';
import type { Variable } from '../variable.js';
import { collectGraph, kindOf, labelOf, nodeTypeCounts, previewLine, shapeText } from './graph.js';

/** Options of `formatGraph` and `printGraph`. @example printGraph(loss, { maxDepth: 10 }) */
export interface FormatGraphOptions {
  /** Levels of the tree drawn below the output (default 40); deeper inputs are summarised. */
  maxDepth?: number;
  /** Show constants' values up to this many elements (default 4). */
  maxElements?: number;
}

interface Row {
  v: Variable;
  /** What goes before the connector: the vertical bars of the ancestors. */
  prefix: string;
  last: boolean;
  depth: number;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** Parameters among the node's direct inputs, each counted once. */
function directParameters(node: Function): number {
  const seen = new Set<Variable>();
  let elements = 0;
  for (const x of node.inputs) {
    if (x.creator === null && x.requiresGrad && !seen.has(x)) {
      seen.add(x);
      elements += x.size;
    }
  }
  return elements;
}

/**
 * The graph behind `output` as a text tree for the terminal: the output at the top, each value's
 * producing node after `←`, its inputs indented below, shapes and dtypes on every line, and
 * parameter counts (a parameter is a leaf Variable with `requiresGrad`): on each parameter, on
 * each node that takes parameters directly, and in total. A value reached twice is expanded once
 * ("see above"). Iterative, and depth-limited by `maxDepth`, so deep graphs print.
 *
 * @example
 * console.log(formatGraph(loss));
 * // loss  ()  float32  ← SoftmaxCrossEntropy
 * // └─ v9  (4,3)  float32  ← Add  [params 3]
 * //    ├─ v7  (4,3)  float32  ← MatMul  [params 30]
 * // ...
 * // 6 nodes (MatMul 2, Add 2, Sigmoid 1, SoftmaxCrossEntropy 1) · 12 variables · 4 parameters, 63 elements
 */
export function formatGraph(output: Variable | readonly Variable[], options: FormatGraphOptions = {}): string {
  const graph = collectGraph(output, 'formatGraph');
  const maxDepth = options.maxDepth ?? 40;
  const maxElements = options.maxElements ?? 4;
  const lines: string[] = [];
  const expandedValues = new Set<Variable>();
  const expandedNodes = new Set<Function>();

  const stack: Row[] = [];
  for (let r = graph.outputs.length - 1; r >= 0; r--)
    stack.push({ v: graph.outputs[r], prefix: '', last: true, depth: 0 });
  while (stack.length > 0) {
    const { v, prefix, last, depth } = stack.pop()!;
    const connector = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const head = `${prefix}${connector}${labelOf(graph, v)}  ${shapeText(v.shape)}  ${v.dtype}`;
    const node = v.creator;
    if (node === null) {
      const kind = kindOf(v);
      lines.push(
        kind === 'parameter'
          ? `${head}  parameter [params ${count(v.size)}]`
          : `${head}  constant = ${previewLine(v.data, maxElements, 4)}`,
      );
      continue;
    }
    const which = node.outputs.length > 1 ? ` (output ${v.outputIndex} of ${node.outputs.length})` : '';
    if (expandedValues.has(v)) {
      lines.push(`${head}  ← ${node.name}${which}  (see above)`);
      continue;
    }
    expandedValues.add(v);
    const params = directParameters(node);
    const paramText = params > 0 ? `  [params ${count(params)}]` : '';
    if (expandedNodes.has(node)) {
      lines.push(`${head}  ← ${node.name}${which}  (inputs shown above)`);
      continue;
    }
    expandedNodes.add(node);
    if (depth >= maxDepth) {
      lines.push(`${head}  ← ${node.name}${which}${paramText}  … (inputs below depth ${maxDepth} not shown)`);
      continue;
    }
    lines.push(`${head}  ← ${node.name}${which}${paramText}`);
    const childPrefix = depth === 0 ? '' : prefix + (last ? '   ' : '│  ');
    const inputs = node.inputs;
    for (let i = inputs.length - 1; i >= 0; i--)
      stack.push({ v: inputs[i], prefix: childPrefix, last: i === inputs.length - 1, depth: depth + 1 });
  }

  let parameters = 0;
  let elements = 0;
  for (const v of graph.variables) {
    if (kindOf(v) === 'parameter') {
      parameters++;
      elements += v.size;
    }
  }
  const types = graph.nodes.length > 0 ? ` (${nodeTypeCounts(graph.nodes)})` : '';
  lines.push(
    '',
    `${count(graph.nodes.length)} node${graph.nodes.length === 1 ? '' : 's'}${types} · ${count(graph.variables.length)} variables · ` +
      `${count(parameters)} parameter${parameters === 1 ? '' : 's'}, ${count(elements)} element${elements === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}

/**
 * Prints `formatGraph(output)` with `console.log` and returns the text.
 *
 * @example
 * printGraph(price);
 * // price  ()  float32  ← Mul
 * // ├─ all_price  ()  float32  ← Add
 * // │  ├─ apple_price  ()  float32  ← Mul  [params 2]
 * // ...
 */
export function printGraph(output: Variable | readonly Variable[], options: FormatGraphOptions = {}): string {
  const text = formatGraph(output, options);
  console.log(text);
  return text;
}

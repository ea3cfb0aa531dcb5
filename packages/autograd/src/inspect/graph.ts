import { type Tensor, formatShape } from '@nn/tensor';
import type { Function } from '../function.js';
import { AutogradError } from '../errors.js';
import { Variable } from '../variable.js';

/**
 * The recorded graph behind one or more outputs, collected once for every inspection tool
 * (DOT, JSON, the text tree, the trace, the HTML explorer) so they all number things the same way.
 *
 * The walk is an explicit-stack post-order DFS from the outputs through `creator → inputs`: a node
 * is listed after every node that produced its inputs, and a Variable right after its creator (or,
 * for a leaf, when it is first reached). That is a forward topological order in which leaves appear
 * in the order they are used. No recursion: a 100,000-node chain needs a 100,000-entry array, not
 * 100,000 stack frames.
 */

/** A short description of a value that is not a Variable, for error messages. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The fix for the usual mistake: a Tensor has no graph; a Variable made from it does. */
const hint = (value: unknown): string =>
  value !== null && typeof value === 'object' && value.constructor?.name === 'Tensor'
    ? ' (a Tensor records no graph: draw the Variable an operation returned)'
    : '';

/** What a Variable is in the graph: a leaf that requires grad, a leaf constant, or a node's output. @example graphToJSON(y).variables[0].kind // 'parameter' */
export type VariableKind = 'parameter' | 'constant' | 'computed';

/** @internal The graph in forward order, with stable ids (`v0`, `v1`, … and `n0`, `n1`, …). */
export interface CollectedGraph {
  variables: Variable[];
  nodes: Function[];
  outputs: Variable[];
  variableIds: Map<Variable, string>;
  nodeIds: Map<Function, string>;
}

/** @internal Collects the graph behind `outputs` (see the module comment for the order); `op` names the tool in errors. */
export function collectGraph(outputs: Variable | readonly Variable[], op = 'graph inspection'): CollectedGraph {
  if (!(outputs instanceof Variable) && !Array.isArray(outputs)) {
    throw new AutogradError(
      `${op}: output must be a Variable or an array of Variables, got ${describe(outputs)}${hint(outputs)}`,
    );
  }
  const roots: Variable[] = outputs instanceof Variable ? [outputs] : [...outputs];
  for (let i = 0; i < roots.length; i++) {
    if (!(roots[i] instanceof Variable))
      throw new AutogradError(`${op}: output ${i} is not a Variable, got ${describe(roots[i])}${hint(roots[i])}`);
  }
  const variables: Variable[] = [];
  const nodes: Function[] = [];
  const variableIds = new Map<Variable, string>();
  const nodeIds = new Map<Function, string>();
  const pushed = new Set<Function>();

  const emitVariable = (v: Variable): void => {
    if (variableIds.has(v)) return;
    variableIds.set(v, `v${variables.length}`);
    variables.push(v);
  };
  const emitNode = (node: Function): void => {
    nodeIds.set(node, `n${nodes.length}`);
    nodes.push(node);
    for (const y of node.outputs) emitVariable(y);
  };

  // Frames of the explicit stack: a node and the index of the next input to look at.
  const stackNodes: Function[] = [];
  const stackNext: number[] = [];
  const enter = (v: Variable): void => {
    if (variableIds.has(v)) return;
    const creator = v.creator;
    if (creator === null) emitVariable(v);
    else if (!pushed.has(creator)) {
      pushed.add(creator);
      stackNodes.push(creator);
      stackNext.push(0);
    }
  };

  for (const root of roots) {
    enter(root);
    while (stackNodes.length > 0) {
      const top = stackNodes.length - 1;
      const node = stackNodes[top];
      const i = stackNext[top];
      if (i < node.inputs.length) {
        stackNext[top] = i + 1;
        enter(node.inputs[i]);
      } else {
        stackNodes.pop();
        stackNext.pop();
        emitNode(node);
      }
    }
  }
  return { variables, nodes, outputs: roots, variableIds, nodeIds };
}

/** @internal The kind of a Variable (see VariableKind). */
export function kindOf(v: Variable): VariableKind {
  if (v.creator !== null) return 'computed';
  return v.requiresGrad ? 'parameter' : 'constant';
}

/** @internal A Variable's display name: its `name`, else its id (`v3`). */
export function labelOf(graph: CollectedGraph, v: Variable): string {
  return v.name ?? graph.variableIds.get(v) ?? '?';
}

/** @internal The shape as the rest of @nn prints it: `(2,3)`, `()` for a scalar. */
export function shapeText(shape: readonly number[]): string {
  return formatShape(shape);
}

/** @internal A number with at most `precision` significant digits, without trailing zeros. */
export function formatNumber(v: number, precision: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const rounded = Number(v.toPrecision(precision));
  const abs = Math.abs(rounded);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return rounded.toExponential().replace(/\.?0+e/, 'e');
  return String(rounded);
}

/** @internal The first `maxElements` elements in row-major order, as numbers. */
export function headValues(t: Tensor, maxElements: number): { values: number[]; truncated: boolean } {
  const n = Math.min(t.size, Math.max(0, maxElements));
  const values = new Array<number>(n);
  const { shape, strides } = t;
  const ndim = shape.length;
  const index = new Array<number>(ndim).fill(0);
  let at = t.offset;
  for (let k = 0; k < n; k++) {
    values[k] = Number(t.data[at]);
    // Advance a row-major multi-index over the (possibly strided) view.
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return { values, truncated: n < t.size };
}

/** @internal A one-line preview: `715`, `[1, 2, 3]` or `[0.12, -0.5, …] (56 values)`. */
export function previewLine(t: Tensor, maxElements: number, precision: number): string {
  if (t.ndim === 0) return formatNumber(Number(t.data[t.offset]), precision);
  const { values, truncated } = headValues(t, maxElements);
  const body = values.map((v) => formatNumber(v, precision)).join(', ');
  return truncated ? `[${body}${values.length > 0 ? ', ' : ''}…] (${t.size} values)` : `[${body}]`;
}

/**
 * @internal A multi-line preview with rows on their own lines (for the HTML explorer and the
 * trace text); past `maxElements` elements it falls back to the one-line head.
 */
export function previewBlock(t: Tensor, maxElements: number, precision: number): string {
  if (t.ndim <= 1 || t.size > maxElements) return previewLine(t, maxElements, precision);
  const { values } = headValues(t, t.size);
  const cells = values.map((v) => formatNumber(v, precision));
  const width = Math.max(...cells.map((c) => c.length));
  const rowLength = t.shape[t.ndim - 1];
  const rows: string[] = [];
  for (let r = 0; r * rowLength < cells.length; r++) {
    rows.push(
      cells
        .slice(r * rowLength, (r + 1) * rowLength)
        .map((c) => c.padStart(width))
        .join(' '),
    );
  }
  // Blank lines separate the matrices of a 3-d or higher tensor.
  const matrixRows = t.shape[t.ndim - 2];
  const out: string[] = [];
  rows.forEach((row, r) => {
    if (r > 0 && r % matrixRows === 0) out.push('');
    out.push(row);
  });
  return out.join('\n');
}

/** @internal Counts of each node type, most frequent first: `Mul 3, Add 1`. */
export function nodeTypeCounts(nodes: readonly Function[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.name, (counts.get(node.name) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`)
    .join(', ');
}

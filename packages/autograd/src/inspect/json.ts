import type { DType } from '@nn/tensor';
import type { Variable } from '../variable.js';
import { type VariableKind, collectGraph, headValues, kindOf } from './graph.js';
import { gradientFor } from './dot.js';
import { type BackwardStep, traceGradients } from './trace.js';

/** A Variable as plain data. @example graphToJSON(price).variables[0] // { id: 'v0', name: 'apple', kind: 'parameter', shape: [], ... } */
export interface VariableJSON {
  /** `v0`, `v1`, … in forward order (the same ids as `toDot` and the SVG). */
  id: string;
  /** The Variable's `name`, or null. */
  name: string | null;
  kind: VariableKind;
  shape: number[];
  dtype: DType;
  size: number;
  requiresGrad: boolean;
  /** True for the outputs the graph was collected from. */
  isOutput: boolean;
  /** 0 for leaves, else creator.generation + 1. */
  generation: number;
  /** The id of the node that produced it, or null for leaves and constants. */
  creator: string | null;
  /** Row-major values (first `maxElements`), when asked for. NaN and ±Infinity become null in JSON text. */
  value?: number[];
  /** Row-major gradient (first `maxElements`), when asked for and known; null when there is none. */
  grad?: number[] | null;
}

/** A Function node as plain data. @example graphToJSON(price).nodes[3] // { id: 'n3', type: 'Mul', inputs: ['v6', 'v7'], outputs: ['v8'], ... } */
export interface NodeJSON {
  /** `n0`, `n1`, … in forward order. */
  id: string;
  /** The node's type, e.g. `MatMul`. */
  type: string;
  /** The gradient rule, e.g. `"MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY"`. */
  rule: string;
  generation: number;
  /** Input Variable ids, in argument order (a Variable used twice appears twice). */
  inputs: string[];
  /** Output Variable ids. */
  outputs: string[];
}

/** An edge in the forward direction: Variable → node (an input) or node → Variable (an output). @example { from: 'v7', to: 'n3', index: 1 } */
export interface EdgeJSON {
  from: string;
  to: string;
  /** The position among the node's inputs or outputs. */
  index: number;
}

/** The whole graph as plain data: safe for `JSON.stringify`, other tools, other languages. @example JSON.stringify(graphToJSON(loss)) */
export interface GraphJSON {
  /** Variables in forward (topological) order. */
  variables: VariableJSON[];
  /** Nodes in forward (topological) order. */
  nodes: NodeJSON[];
  edges: EdgeJSON[];
  /** Ids of the Variables the graph was collected from. */
  outputs: string[];
}

/** Options of `graphToJSON`. @example graphToJSON(loss, { values: true, grads: true, maxElements: 100 }) */
export interface GraphToJSONOptions {
  /** Include each Variable's values (default false). */
  values?: boolean;
  /** Include each Variable's gradient, from `grad` or else `trace` (default false). */
  grads?: boolean;
  /** At most this many elements per value or gradient (default: all). */
  maxElements?: number;
  /** A trace of the same output, for gradients that `grad` does not hold. */
  trace?: readonly BackwardStep[];
}

/**
 * The graph behind `output` as plain data: Variables (id, name, kind, shape, dtype, optionally
 * values and gradients), nodes (type, rule, generation, input and output ids) and forward edges.
 * The ids match `toDot`'s. Named `graphToJSON` rather than `toJSON` because a `toJSON` export would
 * be called by `JSON.stringify` on the module namespace (`import * as F`), and `Tensor` already has
 * a `toJSON` method with another meaning.
 *
 * @example
 * const graph = graphToJSON(loss, { values: true, grads: true });
 * graph.nodes.map((n) => n.type);   // ['MatMul', 'Add', 'Sigmoid', ...]
 * writeFileSync('graph.json', JSON.stringify(graph));
 */
export function graphToJSON(output: Variable | readonly Variable[], options: GraphToJSONOptions = {}): GraphJSON {
  const graph = collectGraph(output, 'graphToJSON');
  const maxElements = options.maxElements ?? Infinity;
  const traced = options.trace ? traceGradients(options.trace) : null;
  const outputs = new Set(graph.outputs);
  const variables = graph.variables.map((v): VariableJSON => {
    const json: VariableJSON = {
      id: graph.variableIds.get(v)!,
      name: v.name,
      kind: kindOf(v),
      shape: [...v.shape],
      dtype: v.dtype,
      size: v.size,
      requiresGrad: v.requiresGrad,
      isOutput: outputs.has(v),
      generation: v.generation,
      creator: v.creator === null ? null : (graph.nodeIds.get(v.creator) ?? null),
    };
    if (options.values) json.value = headValues(v.data, maxElements).values;
    if (options.grads) {
      const g = gradientFor(v, traced);
      json.grad = g === null ? null : headValues(g, maxElements).values;
    }
    return json;
  });
  const nodes: NodeJSON[] = [];
  const edges: EdgeJSON[] = [];
  for (const node of graph.nodes) {
    const id = graph.nodeIds.get(node)!;
    const inputs = node.inputs.map((x) => graph.variableIds.get(x)!);
    const outs = node.outputs.map((y) => graph.variableIds.get(y)!);
    nodes.push({ id, type: node.name, rule: node.rule, generation: node.generation, inputs, outputs: outs });
    inputs.forEach((from, index) => edges.push({ from, to: id, index }));
    outs.forEach((to, index) => edges.push({ from: id, to, index }));
  }
  return { variables, nodes, edges, outputs: graph.outputs.map((v) => graph.variableIds.get(v)!) };
}

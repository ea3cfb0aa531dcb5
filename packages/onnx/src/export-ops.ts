import { type Tensor, full, normalizeAxes, normalizeAxis, sizePair } from '@nn/tensor';
import type { Function } from '@nn/autograd';
import * as N from '@nn/autograd/nodes';
import type { AttributeProto } from './proto.js';
import { AttributeType } from './proto.js';

/**
 * How each of our graph nodes becomes ONNX nodes (opset 13 and later). One entry per node class,
 * matched on the exact class: a subclass of a built-in node may compute something else, so it
 * must bring its own mapping (registerOnnxMapping) rather than silently inherit one.
 */

/** Builders of AttributeProtos, for mappings. @example onnxAttribute.ints('perm', [0, 2, 1]) */
export const onnxAttribute = {
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): AttributeProto => ({ name, type: AttributeType.STRING, s }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({
    name,
    type: AttributeType.INTS,
    ints: [...ints],
  }),
  floats: (name: string, floats: readonly number[]): AttributeProto => ({
    name,
    type: AttributeType.FLOATS,
    floats: [...floats],
  }),
};
const A = onnxAttribute;

/** What a mapping can do while it turns one of our nodes into ONNX nodes. */
export interface OnnxExportContext {
  /** The opset being written (13 or later). */
  readonly opset: number;
  /** Adds an ONNX node and returns its `outputs` fresh output names (default 1). */
  add(opType: string, inputs: readonly string[], attributes?: readonly AttributeProto[], outputs?: number): string[];
  /** Adds an initializer holding `t` (a constant of the graph) and returns its name. */
  constant(t: Tensor, hint?: string): string;
  /** Adds an INT64 initializer (shapes, axes, sizes) and returns its name. */
  int64s(values: readonly number[], hint?: string): string;
  /** Whether axis 0 of the named value is the dynamic (batch) axis. */
  isBatched(name: string): boolean;
}

/**
 * Maps one recorded node to ONNX: given its input value names, adds nodes through `ctx` and
 * returns one output name per output of the node.
 * @example const mapping: OnnxMapping = (ctx, node, [x]) => ctx.add('Softplus', [x])[0];
 */
export type OnnxMapping = (
  ctx: OnnxExportContext,
  node: Function,
  inputs: readonly string[],
) => string | readonly string[];

/**
 * Whether each output's axis 0 is the batch axis, given the inputs'. The default: an output is
 * batched when an input of the same rank is (elementwise ops, matmul, conv, pooling, activations).
 */
export type BatchRule = (node: Function, inputsBatched: readonly boolean[]) => boolean[];

export interface MappingEntry {
  map: OnnxMapping;
  batch?: BatchRule;
}

type NodeClass = abstract new (...args: never[]) => Function;

const mappings = new Map<NodeClass, MappingEntry>();

/**
 * Gives a node class (a custom `Function` subclass) its ONNX mapping, used by `exportOnnx` for
 * every node of exactly that class. Optionally says which outputs keep the batch axis.
 *
 * @example
 * class Softplus extends Function { ... }
 * registerOnnxMapping(Softplus, (ctx, node, [x]) => ctx.add('Softplus', [x])[0]);
 */
export function registerOnnxMapping(cls: NodeClass, map: OnnxMapping, batch?: BatchRule): void {
  mappings.set(cls, { map, batch });
}

/** @internal The mapping of exactly this node's class, if any. */
export function mappingOf(node: Function): MappingEntry | undefined {
  return mappings.get(node.constructor as NodeClass);
}

/** The default batch rule (see BatchRule). */
export function sameRankBatch(node: Function, inputsBatched: readonly boolean[]): boolean[] {
  return node.outputs.map((y) => y.ndim > 0 && node.inputs.some((x, i) => inputsBatched[i] && x.ndim === y.ndim));
}

// ---- elementwise ----------------------------------------------------------------------------------

const direct =
  (opType: string): OnnxMapping =>
  (ctx, _node, inputs) =>
    ctx.add(opType, inputs)[0];

for (const [cls, op] of [
  [N.Add, 'Add'],
  [N.Sub, 'Sub'],
  [N.Mul, 'Mul'],
  [N.Div, 'Div'],
  [N.Pow, 'Pow'],
  [N.Neg, 'Neg'],
  [N.Exp, 'Exp'],
  [N.Log, 'Log'],
  [N.Sqrt, 'Sqrt'],
  [N.Sin, 'Sin'],
  [N.Cos, 'Cos'],
  [N.Abs, 'Abs'],
  [N.Sigmoid, 'Sigmoid'],
  [N.Tanh, 'Tanh'],
  [N.ReLU, 'Relu'],
  [N.MatMul, 'MatMul'],
] as const) {
  registerOnnxMapping(cls, direct(op));
}

registerOnnxMapping(N.Square, (ctx, _node, [x]) => ctx.add('Mul', [x, x])[0]);

registerOnnxMapping(N.Clip, (ctx, node, [x]) => {
  const { min, max } = node as N.Clip;
  const dtype = node.inputs[0].dtype;
  // Clip's bounds are 0-d inputs of the value's own type.
  const bound = (v: number) => ctx.constant(full([], v, { dtype }), 'clip');
  return ctx.add('Clip', [x, bound(min), bound(max)])[0];
});

registerOnnxMapping(N.Where, (ctx, node, [a, b]) => {
  const condition = ctx.constant((node as N.Where).condition.astype('bool'), 'condition');
  return ctx.add('Where', [condition, a, b])[0];
});

// ---- activations ----------------------------------------------------------------------------------

registerOnnxMapping(
  N.LeakyReLU,
  (ctx, node, [x]) => ctx.add('LeakyRelu', [x], [A.float('alpha', (node as N.LeakyReLU).slope)])[0],
);
registerOnnxMapping(N.Softmax, (ctx, node, [x]) => ctx.add('Softmax', [x], [A.int('axis', axisOf(node))])[0]);
registerOnnxMapping(N.LogSoftmax, (ctx, node, [x]) => ctx.add('LogSoftmax', [x], [A.int('axis', axisOf(node))])[0]);

function axisOf(node: Function): number {
  const { axis } = node as N.Softmax;
  return normalizeAxis(node.name, axis, node.inputs[0].ndim);
}

// ---- reductions -----------------------------------------------------------------------------------

function reducedAxes(node: Function): number[] {
  const { axis } = node as N.Sum;
  return normalizeAxes(node.name, axis, node.inputs[0].ndim);
}

const reduceBatch: BatchRule = (node, [batched]) => [batched && !reducedAxes(node).includes(0)];

function reduce(opType: string, axesAsInputSince: number): OnnxMapping {
  return (ctx, node, [x]) => {
    const axes = reducedAxes(node);
    const keepdims = A.int('keepdims', (node as N.Sum).keepdims ? 1 : 0);
    if (axes.length === 0) return ctx.add('Identity', [x])[0];
    if (ctx.opset >= axesAsInputSince) return ctx.add(opType, [x, ctx.int64s(axes, 'axes')], [keepdims])[0];
    return ctx.add(opType, [x], [A.ints('axes', axes), keepdims])[0];
  };
}

registerOnnxMapping(N.Sum, reduce('ReduceSum', 13), reduceBatch);
registerOnnxMapping(N.Max, reduce('ReduceMax', 18), reduceBatch);
registerOnnxMapping(N.Min, reduce('ReduceMin', 18), reduceBatch);
registerOnnxMapping(N.SumTo, (ctx, node, [x]) => {
  // Only in gradient graphs; the sum over broadcast axes, then the exact target shape.
  const target = (node as N.SumTo).shape;
  const input = node.inputs[0].shape;
  const lead = input.length - target.length;
  const axes = input.flatMap((d, i) => (i < lead || (target[i - lead] === 1 && d !== 1) ? [i] : []));
  const summed = axes.length === 0 ? x : ctx.add('ReduceSum', [x, ctx.int64s(axes, 'axes')], [A.int('keepdims', 1)])[0];
  return ctx.add('Reshape', [summed, ctx.int64s(target, 'shape')])[0];
});

// ---- movement -------------------------------------------------------------------------------------

/**
 * Reshape's target for ONNX with a dynamic batch axis: a recorded shape holds the traced batch
 * size, so where the input's axis 0 is the batch axis we write 0 ("copy the input's dimension")
 * when the target keeps it, or -1 ("whatever is left") when it scales it and no other entry is -1.
 * Either keeps the output batched; otherwise the shape stays as recorded (a static axis).
 */
export function reshapeTarget(node: Function, inputBatched: boolean): { shape: number[]; batched: boolean } {
  const input = node.inputs[0].shape;
  const shape = [...(node as N.Reshape).shape];
  if (!inputBatched || shape.length === 0) return { shape, batched: false };
  if (shape[0] === input[0]) return { shape: [0, ...shape.slice(1)], batched: true };
  if (shape[0] !== -1 && !shape.includes(-1)) return { shape: [-1, ...shape.slice(1)], batched: true };
  return { shape, batched: shape[0] === -1 && shape.indexOf(-1, 1) === -1 };
}

registerOnnxMapping(
  N.Reshape,
  (ctx, node, [x]) => ctx.add('Reshape', [x, ctx.int64s(reshapeTarget(node, ctx.isBatched(x)).shape, 'shape')])[0],
  (node, [batched]) => [reshapeTarget(node, batched).batched],
);

function permutation(node: Function): number[] {
  const { axes } = node as N.Transpose;
  const ndim = node.inputs[0].ndim;
  return axes === undefined ? [...Array(ndim).keys()].reverse() : axes.map((a) => normalizeAxis('transpose', a, ndim));
}

registerOnnxMapping(
  N.Transpose,
  (ctx, node, [x]) => ctx.add('Transpose', [x], [A.ints('perm', permutation(node))])[0],
  (node, [batched]) => [batched && permutation(node)[0] === 0],
);

// Expand broadcasts both ways, so a 1 wherever the input already has the target's size keeps
// that axis (the batch axis included) as the input has it.
registerOnnxMapping(N.BroadcastTo, (ctx, node, [x]) => {
  const target = (node as N.BroadcastTo).shape;
  const input = node.inputs[0].shape;
  const lead = target.length - input.length;
  const shape = target.map((d, i) => (i >= lead && input[i - lead] === d ? 1 : d));
  return ctx.add('Expand', [x, ctx.int64s(shape, 'shape')])[0];
});

// np.repeat along an axis: insert an axis after it, expand that to `repeats`, merge the two.
registerOnnxMapping(
  N.Repeat,
  (ctx, node, [x]) => {
    const { repeats, axis } = node as N.Repeat;
    const input = node.inputs[0];
    const source = axis === undefined ? ctx.add('Reshape', [x, ctx.int64s([-1], 'shape')])[0] : x;
    const shape = axis === undefined ? [input.size] : input.shape;
    const at = axis === undefined ? 0 : normalizeAxis('repeat', axis, input.ndim);
    const lifted = ctx.add('Unsqueeze', [source, ctx.int64s([at + 1], 'axes')])[0];
    const ones = new Array<number>(shape.length + 1).fill(1);
    ones[at + 1] = repeats;
    const expanded = ctx.add('Expand', [lifted, ctx.int64s(ones, 'shape')])[0];
    const target = [...new Array<number>(at).fill(0), -1, ...shape.slice(at + 1)];
    return ctx.add('Reshape', [expanded, ctx.int64s(target, 'shape')])[0];
  },
  (node, [batched]) => [
    batched &&
      (node as N.Repeat).axis !== undefined &&
      normalizeAxis('repeat', (node as N.Repeat).axis!, node.inputs[0].ndim) !== 0,
  ],
);

const notAlongBatch: BatchRule = (node, batched) => {
  const at = normalizeAxis(node.name, (node as N.Concat).axis, node.inputs[0].ndim);
  return node.outputs.map(() => at !== 0 && batched.some(Boolean));
};

registerOnnxMapping(
  N.Concat,
  (ctx, node, inputs) => {
    const at = normalizeAxis('concat', (node as N.Concat).axis, node.inputs[0].ndim);
    return ctx.add('Concat', inputs, [A.int('axis', at)])[0];
  },
  notAlongBatch,
);

registerOnnxMapping(
  N.Split,
  (ctx, node, [x]) => {
    const at = normalizeAxis('split', (node as N.Split).axis, node.inputs[0].ndim);
    const sizes = node.outputs.map((y) => y.shape[at]);
    return ctx.add('Split', [x, ctx.int64s(sizes, 'split')], [A.int('axis', at)], sizes.length);
  },
  notAlongBatch,
);

// ---- convolution and pooling ----------------------------------------------------------------------

/** ONNX pads: [top, left, bottom, right] for our symmetric [padH, padW]. */
function pads(pad: [number, number]): number[] {
  return [pad[0], pad[1], pad[0], pad[1]];
}

registerOnnxMapping(N.Conv2d, (ctx, node, inputs) => {
  const { options } = node as N.Conv2d;
  const W = node.inputs[1].shape;
  return ctx.add('Conv', inputs, [
    A.ints('kernel_shape', [W[2], W[3]]),
    A.ints('strides', sizePair('Conv2d', 'stride', options.stride ?? 1, 1)),
    A.ints('pads', pads(sizePair('Conv2d', 'pad', options.pad ?? 0, 0))),
    A.ints('dilations', [1, 1]),
    A.int('group', 1),
  ])[0];
});

function poolAttributes(node: N.MaxPool2d | N.AvgPool2d): AttributeProto[] {
  const size = sizePair(node.name, 'size', node.options.size, 1);
  return [
    A.ints('kernel_shape', size),
    A.ints('strides', sizePair(node.name, 'stride', node.options.stride ?? size, 1)),
    A.ints('pads', pads(sizePair(node.name, 'pad', node.options.pad ?? 0, 0))),
  ];
}

registerOnnxMapping(N.MaxPool2d, (ctx, node, [x]) => ctx.add('MaxPool', [x], poolAttributes(node as N.MaxPool2d))[0]);
// Our average divides by the full window, padding included: ONNX's count_include_pad = 1.
registerOnnxMapping(
  N.AvgPool2d,
  (ctx, node, [x]) =>
    ctx.add('AveragePool', [x], [...poolAttributes(node as N.AvgPool2d), A.int('count_include_pad', 1)])[0],
);

import { ShapeError, type Tensor, broadcastShapes, formatShape, normalizeAxis } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { OnnxImportError } from './errors.js';
import * as F from '@nn/autograd';
import type { AttributeProto, NodeProto } from './proto.js';

/**
 * The ONNX operators importOnnx builds, each as our differentiable functions (so an imported
 * model trains). Every operator lists the attributes it understands and the values it accepts;
 * anything else is reported as unsupported before the model is built, never run differently.
 */

/** Attribute values by name, with the accessors an operator needs. */
export class Attributes {
  private readonly byName: Map<string, AttributeProto>;
  constructor(node: NodeProto) {
    this.byName = new Map(node.attributes.map((a) => [a.name, a]));
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  int(name: string, fallback: number): number {
    return this.byName.get(name)?.i ?? fallback;
  }
  float(name: string, fallback: number): number {
    return this.byName.get(name)?.f ?? fallback;
  }
  string(name: string, fallback: string): string {
    return this.byName.get(name)?.s ?? fallback;
  }
  ints(name: string, fallback: number[]): number[] {
    return this.byName.get(name)?.ints ?? fallback;
  }
  get(name: string): AttributeProto | undefined {
    return this.byName.get(name);
  }
}

/** What a built operator gets when the model runs: its inputs (null for an omitted optional one). */
export type Run = (inputs: (Variable | null)[]) => Variable[];

/** What an operator's builder sees: the node, its attributes, the opset, and constant inputs. */
export interface BuildContext {
  node: NodeProto;
  attributes: Attributes;
  opset: number;
  /** The constant value of input `i` (an initializer or a Constant's output), or null if computed. */
  constantInput(i: number): Tensor | null;
}

export interface Operator {
  /** The attributes this operator understands; any other is unsupported. */
  attributes: readonly string[];
  /** Problems with this node's attribute values or inputs ("dilations [2, 2]"), empty if supported. */
  check?(ctx: BuildContext): string[];
  build(ctx: BuildContext): Run;
}

const one =
  (f: (inputs: (Variable | null)[]) => Variable): Run =>
  (inputs) => [f(inputs)];
const arg = (v: Variable | null, op: string, i: number): Variable => {
  if (v === null) throw new ShapeError(`${op}: input ${i} is required`);
  return v;
};

function elementwise(f: (a: Variable, b: Variable) => Variable, name: string): Operator {
  return { attributes: [], build: () => one(([a, b]) => f(arg(a, name, 0), arg(b, name, 1))) };
}

function unary(f: (x: Variable) => Variable, name: string): Operator {
  return { attributes: [], build: () => one(([x]) => f(arg(x, name, 0))) };
}

/** Softmax/LogSoftmax: per-axis from opset 13; before, the input is read as 2-d at `axis` (ONNX's old rule). */
function softmaxLike(f: (x: Variable, axis: number) => Variable, name: string): Operator {
  return {
    attributes: ['axis'],
    build: ({ attributes, opset }) => {
      const axis = attributes.int('axis', opset >= 13 ? -1 : 1);
      if (opset >= 13) return one(([x]) => f(arg(x, name, 0), axis));
      return one(([input]) => {
        const x = arg(input, name, 0);
        const at = normalizeAxis(name, axis, x.ndim);
        const rows = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
        return f(x.reshape([rows, -1]), 1).reshape(x.shape);
      });
    },
  };
}

function isOnes(values: number[]): boolean {
  return values.every((v) => v === 1);
}

/** [padH, padW] from ONNX pads [top, left, bottom, right]; null when begin and end differ. */
function symmetricPads(pads: number[]): [number, number] | null {
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) return null;
  return [pads[0], pads[1]];
}

/** The checks shared by Conv and the pools: 2-d windows, symmetric explicit padding. */
function windowProblems(a: Attributes, kernelRequired: boolean): string[] {
  const problems: string[] = [];
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') problems.push(`auto_pad ${autoPad} (give explicit pads)`);
  const kernel = a.ints('kernel_shape', []);
  if ((kernelRequired || a.has('kernel_shape')) && kernel.length !== 2)
    problems.push(`kernel_shape [${kernel.join(', ')}] (2-d windows only)`);
  if (!isOnes(a.ints('dilations', [1, 1]))) problems.push(`dilations [${a.ints('dilations', []).join(', ')}]`);
  const pads = a.ints('pads', [0, 0, 0, 0]);
  if (symmetricPads(pads) === null) problems.push(`pads [${pads.join(', ')}] (begin and end must be equal)`);
  if (a.int('ceil_mode', 0) !== 0) problems.push('ceil_mode 1');
  return problems;
}

function windowOptions(a: Attributes, kernel: [number, number]) {
  const pad =
    a.string('auto_pad', 'NOTSET') === 'VALID'
      ? ([0, 0] as [number, number])
      : symmetricPads(a.ints('pads', [0, 0, 0, 0]))!;
  const strides = a.ints('strides', [1, 1]);
  return { size: kernel, stride: [strides[0], strides[1]] as [number, number], pad };
}

function kernelOf(a: Attributes): [number, number] {
  const k = a.ints('kernel_shape', []);
  return [k[0], k[1]];
}

function constantProblem(ctx: BuildContext, i: number, what: string): string[] {
  return ctx.node.inputs.length > i && ctx.node.inputs[i] !== '' && ctx.constantInput(i) === null
    ? [`${what} (input ${i}) is computed in the graph; only a constant ${what} is supported`]
    : [];
}

/** Reshape's target with ONNX's 0 (copy the input's dimension) resolved. */
function resolveShape(x: Variable, shape: number[]): number[] {
  return shape.map((d, i) => {
    if (d !== 0) return d;
    if (i >= x.ndim)
      throw new ShapeError(`Reshape: 0 at position ${i} copies a dimension that input ${formatShape(x.shape)} lacks`);
    return x.shape[i];
  });
}

/** Integers of a constant input, or of an attribute (the form before the opset that moved it to an input). */
function integerArgument(ctx: BuildContext, input: number, attribute: string, since: number): number[] | null {
  if (ctx.opset >= since) {
    const t = ctx.constantInput(input);
    return t === null ? null : Array.from(t.toTypedArray(), Number);
  }
  return ctx.attributes.has(attribute) ? ctx.attributes.ints(attribute, []) : null;
}

/** ReduceSum/ReduceMax/ReduceMin: axes from an input (ReduceSum from 13, the others from 18) or an attribute. */
function reduction(
  f: (x: Variable, axes: number[] | undefined, keepdims: boolean) => Variable,
  name: string,
  axesInputSince: number,
): Operator {
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    check: (ctx) => [
      ...(ctx.attributes.int('noop_with_empty_axes', 0) !== 0 ? ['noop_with_empty_axes 1'] : []),
      ...(ctx.opset >= axesInputSince ? constantProblem(ctx, 1, 'axes') : []),
    ],
    build: (ctx) => {
      const axes = integerArgument(ctx, 1, 'axes', axesInputSince);
      const keepdims = ctx.attributes.int('keepdims', 1) !== 0;
      // No axes (or an empty list) reduces every axis.
      return one(([x]) => f(arg(x, name, 0), axes === null || axes.length === 0 ? undefined : axes, keepdims));
    },
  };
}

export const OPERATORS: Record<string, Operator> = {
  Add: elementwise((a, b) => a.add(b), 'Add'),
  Sub: elementwise((a, b) => a.sub(b), 'Sub'),
  Mul: elementwise((a, b) => a.mul(b), 'Mul'),
  Div: elementwise((a, b) => a.div(b), 'Div'),
  MatMul: elementwise((a, b) => a.matmul(b), 'MatMul'),
  Pow: elementwise((a, b) => a.pow(b), 'Pow'),
  Neg: unary(F.neg, 'Neg'),
  Exp: unary(F.exp, 'Exp'),
  Log: unary(F.log, 'Log'),
  Sqrt: unary(F.sqrt, 'Sqrt'),
  Sin: unary(F.sin, 'Sin'),
  Cos: unary(F.cos, 'Cos'),
  Abs: unary(F.abs, 'Abs'),
  Clip: {
    attributes: ['min', 'max'],
    check: (ctx) => (ctx.opset >= 11 ? [...constantProblem(ctx, 1, 'min'), ...constantProblem(ctx, 2, 'max')] : []),
    build: (ctx) => {
      const bound = (i: number, attribute: string, fallback: number) =>
        ctx.opset >= 11 ? (ctx.constantInput(i)?.item() ?? fallback) : ctx.attributes.float(attribute, fallback);
      const [min, max] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
      return one(([x]) => F.clip(arg(x, 'Clip', 0), min, max));
    },
  },
  Where: {
    attributes: [],
    // The condition is not differentiated (it is a mask), so a computed one is fine.
    build: () => one(([c, a, b]) => F.where(arg(c, 'Where', 0), arg(a, 'Where', 1), arg(b, 'Where', 2))),
  },
  ReduceSum: reduction((x, axes, keepdims) => F.sum(x, axes, { keepdims }), 'ReduceSum', 13),
  ReduceMax: reduction((x, axes, keepdims) => F.max(x, axes, { keepdims }), 'ReduceMax', 18),
  ReduceMin: reduction((x, axes, keepdims) => F.min(x, axes, { keepdims }), 'ReduceMin', 18),
  Expand: {
    attributes: [],
    check: (ctx) => constantProblem(ctx, 1, 'shape'),
    build: (ctx) => {
      const shape = Array.from(ctx.constantInput(1)!.toTypedArray(), Number);
      // Expand broadcasts both ways: the result has the broadcast of both shapes.
      return one(([x]) => {
        const v = arg(x, 'Expand', 0);
        return F.broadcastTo(v, broadcastShapes('Expand', v.shape, shape));
      });
    },
  },
  Unsqueeze: {
    attributes: ['axes'],
    check: (ctx) => (ctx.opset >= 13 ? constantProblem(ctx, 1, 'axes') : []),
    build: (ctx) => {
      const axes = integerArgument(ctx, 1, 'axes', 13) ?? [];
      return one(([x]) => {
        const v = arg(x, 'Unsqueeze', 0);
        const rank = v.ndim + axes.length;
        const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
        const source = [...v.shape];
        return v.reshape(Array.from({ length: rank }, (_, d) => (at.has(d) ? 1 : source.shift()!)));
      });
    },
  },
  Split: {
    attributes: ['axis', 'split', 'num_outputs'],
    check: (ctx) => (ctx.opset >= 13 ? constantProblem(ctx, 1, 'split') : []),
    build: (ctx) => {
      const axis = ctx.attributes.int('axis', 0);
      const sizes = integerArgument(ctx, 1, 'split', 13);
      const count = ctx.node.outputs.length;
      return (inputs) =>
        F.split(
          arg(inputs[0], 'Split', 0),
          sizes !== null && sizes.length > 0
            ? sizes.slice(0, -1).map((_, i) => sizes.slice(0, i + 1).reduce((p, q) => p + q, 0))
            : count,
          axis,
        );
    },
  },
  Relu: unary(F.relu, 'Relu'),
  Sigmoid: unary(F.sigmoid, 'Sigmoid'),
  Tanh: unary(F.tanh, 'Tanh'),
  Identity: unary((x) => x, 'Identity'),
  LeakyRelu: {
    attributes: ['alpha'],
    build: ({ attributes }) => {
      const alpha = attributes.float('alpha', 0.01);
      return one(([x]) => F.leakyRelu(arg(x, 'LeakyRelu', 0), alpha));
    },
  },
  Softmax: softmaxLike(F.softmax, 'Softmax'),
  LogSoftmax: softmaxLike(F.logSoftmax, 'LogSoftmax'),

  Gemm: {
    attributes: ['alpha', 'beta', 'transA', 'transB'],
    build: ({ attributes: a }) => {
      const alpha = a.float('alpha', 1);
      const beta = a.float('beta', 1);
      const [transA, transB] = [a.int('transA', 0) !== 0, a.int('transB', 0) !== 0];
      return one(([A, B, C]) => {
        const left = transA ? arg(A, 'Gemm', 0).T : arg(A, 'Gemm', 0);
        const right = transB ? arg(B, 'Gemm', 1).T : arg(B, 'Gemm', 1);
        const product = alpha === 1 ? left.matmul(right) : left.matmul(right).mul(alpha);
        if (C === null || C === undefined) return product;
        return product.add(beta === 1 ? C : C.mul(beta));
      });
    },
  },

  Conv: {
    attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    check: ({ attributes: a }) => [
      ...windowProblems(a, false),
      ...(a.int('group', 1) !== 1 ? [`group ${a.int('group', 1)}`] : []),
    ],
    build: ({ attributes: a }) => {
      const strides = a.ints('strides', [1, 1]);
      const pad = a.string('auto_pad', 'NOTSET') === 'VALID' ? [0, 0] : symmetricPads(a.ints('pads', [0, 0, 0, 0]))!;
      const options = {
        stride: [strides[0], strides[1]] as [number, number],
        pad: [pad[0], pad[1]] as [number, number],
      };
      return one(([x, W, b]) => F.conv2d(arg(x, 'Conv', 0), arg(W, 'Conv', 1), b ?? null, options));
    },
  },
  MaxPool: {
    attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    check: ({ attributes: a, node }) => [
      ...windowProblems(a, true),
      ...(node.outputs.length > 1 && node.outputs[1] !== '' ? ['the Indices output'] : []),
    ],
    build: ({ attributes: a }) => {
      const options = windowOptions(a, kernelOf(a));
      return one(([x]) => F.maxPool2d(arg(x, 'MaxPool', 0), options));
    },
  },
  AveragePool: {
    attributes: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    check: ({ attributes: a }) => {
      const padded = a.ints('pads', [0, 0, 0, 0]).some((p) => p !== 0);
      // Our average always divides by the whole window: ONNX's count_include_pad = 1.
      const exclude = padded && a.int('count_include_pad', 0) === 0 ? ['count_include_pad 0 with padding'] : [];
      return [...windowProblems(a, true), ...exclude];
    },
    build: ({ attributes: a }) => {
      const options = windowOptions(a, kernelOf(a));
      return one(([x]) => F.avgPool2d(arg(x, 'AveragePool', 0), options));
    },
  },
  GlobalAveragePool: {
    attributes: [],
    build: () => one(([x]) => F.mean(arg(x, 'GlobalAveragePool', 0), [2, 3], { keepdims: true })),
  },
  BatchNormalization: {
    attributes: ['epsilon', 'momentum', 'training_mode', 'spatial'],
    check: ({ attributes: a, node }) => [
      ...(a.int('training_mode', 0) !== 0 ? ['training_mode 1'] : []),
      ...(a.int('spatial', 1) !== 1 ? ['spatial 0'] : []),
      ...(node.outputs.slice(1).some((o) => o !== '') ? ['the running mean/var outputs (training mode)'] : []),
    ],
    build: ({ attributes: a }) => {
      const eps = a.float('epsilon', 1e-5);
      return one(([input, scale, bias, mean, variance]) => {
        const x = arg(input, 'BatchNormalization', 0);
        const kept = x.shape.map((n, d) => (d === 1 ? n : 1));
        const at = (v: Variable | null, i: number) => arg(v, 'BatchNormalization', i).reshape(kept);
        const std = at(variance, 4).add(eps).sqrt();
        return x.sub(at(mean, 3)).div(std).mul(at(scale, 1)).add(at(bias, 2));
      });
    },
  },

  Flatten: {
    attributes: ['axis'],
    build: ({ attributes: a }) => {
      const axis = a.int('axis', 1);
      return one(([input]) => {
        const x = arg(input, 'Flatten', 0);
        const at = axis < 0 ? axis + x.ndim : axis;
        const rows = x.shape.slice(0, at).reduce((p, d) => p * d, 1);
        return x.reshape([rows, x.shape.slice(at).reduce((p, d) => p * d, 1)]);
      });
    },
  },
  Reshape: {
    attributes: ['allowzero'],
    check: (ctx) => [
      ...(ctx.attributes.int('allowzero', 0) !== 0 ? ['allowzero 1'] : []),
      ...constantProblem(ctx, 1, 'shape'),
    ],
    build: (ctx) => {
      const shape = Array.from(ctx.constantInput(1)!.toTypedArray(), Number);
      return one(([x]) => {
        const v = arg(x, 'Reshape', 0);
        return v.reshape(resolveShape(v, shape));
      });
    },
  },
  Transpose: {
    attributes: ['perm'],
    build: ({ attributes: a }) => {
      const perm = a.has('perm') ? a.ints('perm', []) : undefined;
      return one(([x]) => F.transpose(arg(x, 'Transpose', 0), perm));
    },
  },
  Concat: {
    attributes: ['axis'],
    build: ({ attributes: a }) => {
      const axis = a.int('axis', 0);
      return one((inputs) =>
        F.concat(
          inputs.map((x, i) => arg(x, 'Concat', i)),
          axis,
        ),
      );
    },
  },
  Dropout: {
    attributes: ['ratio', 'seed', 'is_test'],
    check: ({ node }) => [
      ...(node.outputs.length > 1 && node.outputs[1] !== '' ? ['the mask output'] : []),
      ...(node.inputs.length > 2 && node.inputs[2] !== '' ? ['the training_mode input (inference only)'] : []),
    ],
    // Inference: the identity (ONNX Dropout outside training mode).
    build: () => one(([x]) => arg(x, 'Dropout', 0)),
  },
  Constant: {
    attributes: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    // Built by the importer itself (its value is known before the model runs).
    build: () => {
      throw new OnnxImportError('Constant: folded into a constant by importOnnx, never run');
    },
  },
};

/** The names of the supported operators, for messages and docs. */
export const SUPPORTED_OPERATORS = Object.keys(OPERATORS).sort();

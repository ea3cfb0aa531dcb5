import { Tensor, formatShape, tensor, type NestedInput } from '@nn/tensor';
import { type Function, Variable, detectAnomaly, enableGrad, variable } from '@nn/autograd';
import { Module } from '@nn/nn';
import { OnnxExportError } from './errors.js';
import { type OnnxExportContext, mappingOf, sameRankBatch } from './export-ops.js';
import {
  type AttributeProto,
  AttributeType,
  type Dimension,
  encodeModel,
  type NodeProto,
  type TensorProto,
} from './proto.js';
import { int64Proto, onnxType, toTensorProto } from './tensors.js';

/** What exportOnnx runs: a Module (its `forward`) or a function of Variables. */
export type Exportable = Module | ((...inputs: Variable[]) => Variable | readonly Variable[]);

/** An example input: a Tensor, a Variable (its data is used) or nested numbers. */
export type ExampleInput = Tensor | Variable | NestedInput;

/** Options of exportOnnx. @example exportOnnx(model, [x], { inputNames: ['images'], outputNames: ['scores'] }) */
export interface ExportOptions {
  /** Names of the graph inputs (default `input`, or `input_0`, `input_1`, ... for several). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default `output`, or `output_0`, ...). */
  outputNames?: readonly string[];
  /**
   * Symbolic axes by input or output name, PyTorch's form: `{ images: { 0: 'batch' } }`, or a
   * list of axes (`{ images: [0] }`, named `images_dim0`). Default: axis 0 of every input, and of
   * every output that follows it through the graph, is `batch`. `false`: every axis static.
   * Reshapes follow a dynamic axis 0 only; other dynamic axes must not pass through a Reshape.
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>> | readonly number[]>> | false;
  /** The ONNX opset (default 17; 13 to 21 are supported). */
  opset?: number;
  /** The model's doc_string. */
  docString?: string;
  /** Run a Module in training mode (default false: eval, so Dropout is the identity and BatchNorm uses its running statistics). */
  training?: boolean;
}

export const DEFAULT_OPSET = 17;
const MIN_OPSET = 13;
const MAX_OPSET = 21;
/** IR version 8 is the one of opset 17 (ONNX 1.12); newer opsets need their IR version. */
function irVersionFor(opset: number): number {
  return opset <= 17 ? 8 : opset <= 19 ? 9 : 10;
}

/**
 * Runs `model` once on `exampleInputs`, walks the recorded graph and writes it as an ONNX
 * ModelProto: each of our nodes becomes ONNX nodes (see docs/onnx.md for the table), parameters
 * become initializers named by their module paths (`0.W`), constants become initializers too.
 * A node without an ONNX mapping is an OnnxExportError listing every such node and where it was
 * created, never a silently different model.
 *
 * @example
 * const model = new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10));
 * const bytes = exportOnnx(model, [randn([1, 784])]);       // batch axis symbolic
 * const f = exportOnnx((x) => x.matmul(W).add(b).tanh(), [randn([4, 3])]);
 */
export function exportOnnx(
  model: Exportable,
  exampleInputs: readonly ExampleInput[],
  options: ExportOptions = {},
): Uint8Array {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new OnnxExportError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
  const trace = () => run(model, exampleInputs, options.training ?? false);
  const traced = trace();
  const inputNames = names('input', options.inputNames, traced.inputs.length);
  const outputNames = names('output', options.outputNames, traced.outputs.length);
  const nodes = topologicalNodes(traced.outputs);
  checkMapped(nodes, trace);
  const builder = new GraphBuilder(opset, parameterNames(model));
  return encodeModel({
    irVersion: irVersionFor(opset),
    producerName: '@nn/onnx',
    producerVersion: '0.1.0',
    domain: '',
    modelVersion: 0,
    docString: options.docString ?? '',
    opsetImports: [{ domain: '', version: opset }],
    graph: builder.build(traced, nodes, inputNames, outputNames, options.dynamicAxes),
  });
}

interface Traced {
  inputs: Variable[];
  outputs: Variable[];
}

/** One run with recording on: fresh leaf Variables for the inputs, so every node is recorded. */
function run(model: Exportable, exampleInputs: readonly ExampleInput[], training: boolean): Traced {
  if (!Array.isArray(exampleInputs) || exampleInputs.length === 0)
    throw new OnnxExportError('exportOnnx: exampleInputs must be a non-empty array of Tensors (one per model input)');
  const inputs = exampleInputs.map((x, i) => {
    const data = x instanceof Variable ? x.data : x instanceof Tensor ? x : tensor(x as NestedInput);
    if (data.dtype !== 'float32' && data.dtype !== 'float64')
      throw new OnnxExportError(
        `exportOnnx: example input ${i} has dtype ${data.dtype}; inputs must be float32 or float64`,
      );
    return variable(data, { requiresGrad: true });
  });
  const call = (): unknown =>
    model instanceof Module
      ? model.withMode(training ? 'train' : 'eval', () => (model.forward as (...xs: Variable[]) => Variable)(...inputs))
      : typeof model === 'function'
        ? model(...inputs)
        : badModel(model);
  const result = enableGrad(call);
  const outputs = result instanceof Variable ? [result] : Array.isArray(result) ? (result as unknown[]) : [result];
  outputs.forEach((y, k) => {
    if (!(y instanceof Variable))
      throw new OnnxExportError(`exportOnnx: output ${k} of the model is ${describe(y)}, not a Variable`);
  });
  return { inputs, outputs: outputs as Variable[] };
}

function badModel(model: unknown): never {
  throw new OnnxExportError(`exportOnnx: expected a Module or a function of Variables, got ${describe(model)}`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

function names(prefix: string, given: readonly string[] | undefined, count: number): string[] {
  if (given === undefined) return count === 1 ? [prefix] : Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  if (given.length !== count || new Set(given).size !== count || given.some((n) => typeof n !== 'string' || n === ''))
    throw new OnnxExportError(
      `exportOnnx: ${prefix}Names must be ${count} distinct non-empty names (one per ${prefix}), got [${given.map((n) => JSON.stringify(n)).join(', ')}]`,
    );
  return [...given];
}

/** The nodes behind `outputs` in forward order: an explicit-stack post-order walk (no recursion). */
function topologicalNodes(outputs: readonly Variable[]): Function[] {
  const order: Function[] = [];
  const seen = new Set<Function>();
  const stack: Array<[Function, number]> = [];
  const enter = (v: Variable) => {
    const node = v.creator;
    if (node !== null && !seen.has(node)) {
      seen.add(node);
      stack.push([node, 0]);
    }
  };
  for (const y of outputs) {
    enter(y);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top[1] < top[0].inputs.length) enter(top[0].inputs[top[1]++]);
      else order.push(stack.pop()![0]);
    }
  }
  return order;
}

/**
 * Throws one OnnxExportError naming every node without a mapping. Where each was created comes
 * from a second run under detectAnomaly (which records creation stacks), made only on this path.
 */
function checkMapped(nodes: readonly Function[], trace: () => Traced): void {
  const missing = nodes.flatMap((node, i) => (mappingOf(node) === undefined ? [i] : []));
  if (missing.length === 0) return;
  let stacks: (string | null)[] = [];
  try {
    const again = topologicalNodes(detectAnomaly(trace).outputs);
    if (again.length === nodes.length) stacks = missing.map((i) => again[i].creationStack);
  } catch {
    // The second run is only for the message; its failure must not hide the real error.
  }
  const lines = missing.map((i, k) => {
    const node = nodes[i];
    const shapes = node.inputs.map((x) => formatShape(x.shape)).join(', ');
    const where = stacks[k] ? `\n    created at:\n${indent(firstFrames(stacks[k]!))}` : '';
    return `  - ${node.name} (node ${i} of ${nodes.length}, inputs ${shapes} → ${node.outputs.map((y) => formatShape(y.shape)).join(', ')})${where}`;
  });
  const kinds = [...new Set(missing.map((i) => nodes[i].name))];
  throw new OnnxExportError(
    `exportOnnx: ${missing.length} node${missing.length === 1 ? ' has' : 's have'} no ONNX mapping (${kinds.join(', ')}):\n${lines.join('\n')}\nGive a custom node class a mapping with registerOnnxMapping(NodeClass, (ctx, node, inputs) => ...), see docs/onnx.md`,
    kinds,
  );
}

function firstFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => line.trim().startsWith('at '))
    .slice(0, 3)
    .join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line.trim()}`)
    .join('\n');
}

/** Parameter → its dotted path in the module (`0.W`), for initializer names. */
function parameterNames(model: Exportable): Map<Variable, string> {
  return new Map(model instanceof Module ? model.namedParameters().map(([name, p]) => [p as Variable, name]) : []);
}

/** Builds the GraphProto: names values, runs each node's mapping, collects initializers. */
class GraphBuilder implements OnnxExportContext {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly taken = new Set<string>();
  private readonly valueNames = new Map<Variable, string>();
  private readonly batched = new Set<string>();
  private current = '';
  private counter = 0;

  constructor(
    readonly opset: number,
    private readonly parameters: Map<Variable, string>,
  ) {}

  build(
    traced: Traced,
    nodes: readonly Function[],
    inputNames: string[],
    outputNames: string[],
    dynamicAxes: ExportOptions['dynamicAxes'],
  ): import('./proto.js').GraphProto {
    const axes = symbolicAxes(dynamicAxes, inputNames, outputNames);
    for (const name of [...inputNames, ...outputNames]) this.taken.add(name);
    traced.inputs.forEach((x, i) => {
      this.valueNames.set(x, inputNames[i]);
      if (axes.input(inputNames[i]).has(0) && x.ndim > 0) this.batched.add(inputNames[i]);
    });
    for (const node of nodes) this.emit(node);
    const outputs = this.bindOutputs(traced.outputs, outputNames);
    return {
      name: 'main',
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: traced.inputs.map((x, i) => valueInfo(inputNames[i], x, axes.input(inputNames[i]))),
      outputs: traced.outputs.map((y, k) =>
        valueInfo(outputNames[k], y, axes.output(outputNames[k], this.batched.has(outputs[k]))),
      ),
      valueInfo: [],
    };
  }

  private emit(node: Function): void {
    const inputs = node.inputs.map((x) => this.nameOf(x));
    const entry = mappingOf(node)!;
    this.current = `${node.name}_${this.counter++}`;
    const result = entry.map(this, node, inputs);
    const outputs = typeof result === 'string' ? [result] : [...result];
    if (outputs.length !== node.outputs.length)
      throw new OnnxExportError(
        `exportOnnx: the mapping of ${node.name} returned ${outputs.length} outputs for a node with ${node.outputs.length}`,
      );
    const batched = (entry.batch ?? sameRankBatch)(
      node,
      inputs.map((name) => this.batched.has(name)),
    );
    node.outputs.forEach((y, k) => {
      this.valueNames.set(y, outputs[k]);
      if (batched[k]) this.batched.add(outputs[k]);
    });
  }

  /**
   * A value's name. A leaf met for the first time becomes an initializer when it is a parameter
   * (a module's, or any leaf that requires grad) and a Constant node otherwise, so an importer
   * can tell weights (trainable) from constants (BatchNorm's running statistics, a mask, 0.5).
   */
  private nameOf(v: Variable): string {
    const known = this.valueNames.get(v);
    if (known !== undefined) return known;
    const parameter = this.parameters.get(v);
    let name: string;
    if (parameter !== undefined || v.requiresGrad) {
      name = this.fresh(parameter ?? v.name ?? 'param');
      this.initializers.push(toTensorProto(name, v.data));
    } else {
      name = this.constantNode(toTensorProto('', v.data), v.name ?? 'const');
    }
    this.valueNames.set(v, name);
    return name;
  }

  /** A Constant node holding `value`; returns its output's name. */
  private constantNode(value: TensorProto, hint: string): string {
    const name = this.fresh(hint);
    this.nodes.push(this.node('Constant', [], [name], [{ name: 'value', type: AttributeType.TENSOR, t: value }]));
    return name;
  }

  /** Renames the outputs' values to the output names (Identity where a value cannot be renamed). */
  private bindOutputs(outputs: readonly Variable[], outputNames: string[]): string[] {
    const renamed = new Set<string>();
    const initializerNames = new Set(this.initializers.map((t) => t.name));
    const inputNames = new Set<string>();
    for (const [v, name] of this.valueNames)
      if (v.creator === null && !initializerNames.has(name)) inputNames.add(name);
    outputs.forEach((y, k) => {
      const from = this.nameOf(y);
      const wasBatched = this.batched.has(from);
      if (initializerNames.has(from) || inputNames.has(from) || renamed.has(from)) {
        this.nodes.push(this.node('Identity', [from], [outputNames[k]], []));
      } else {
        for (const n of this.nodes) {
          n.inputs = n.inputs.map((name) => (name === from ? outputNames[k] : name));
          n.outputs = n.outputs.map((name) => (name === from ? outputNames[k] : name));
        }
        for (const [v, name] of this.valueNames) if (name === from) this.valueNames.set(v, outputNames[k]);
        renamed.add(outputNames[k]);
      }
      if (wasBatched) this.batched.add(outputNames[k]);
    });
    return outputNames;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  private node(opType: string, inputs: string[], outputs: string[], attributes: AttributeProto[]): NodeProto {
    return { name: this.fresh(`${opType}_${this.nodes.length}`), opType, domain: '', inputs, outputs, attributes };
  }

  // ---- OnnxExportContext ----

  add(opType: string, inputs: readonly string[], attributes: readonly AttributeProto[] = [], outputs = 1): string[] {
    const names = Array.from({ length: outputs }, (_, k) =>
      this.fresh(outputs === 1 ? this.current : `${this.current}_${k}`),
    );
    this.nodes.push(this.node(opType, [...inputs], names, [...attributes]));
    return names;
  }

  constant(t: Tensor, hint = 'const'): string {
    return this.constantNode(toTensorProto('', t), `${this.current}_${hint}`);
  }

  int64s(values: readonly number[], hint = 'const'): string {
    return this.constantNode(int64Proto('', values), `${this.current}_${hint}`);
  }

  isBatched(name: string): boolean {
    return this.batched.has(name);
  }
}

interface SymbolicAxes {
  input(name: string): Map<number, string>;
  output(name: string, batched: boolean): Map<number, string>;
}

function symbolicAxes(
  dynamicAxes: ExportOptions['dynamicAxes'],
  inputNames: string[],
  outputNames: string[],
): SymbolicAxes {
  if (dynamicAxes === false) return { input: () => new Map(), output: () => new Map() };
  if (dynamicAxes === undefined) {
    const batch = new Map([[0, 'batch']]);
    return { input: () => batch, output: (_, batched) => (batched ? batch : new Map()) };
  }
  for (const key of Object.keys(dynamicAxes)) {
    if (!inputNames.includes(key) && !outputNames.includes(key))
      throw new OnnxExportError(
        `exportOnnx: dynamicAxes names '${key}', which is neither an input (${inputNames.join(', ')}) nor an output (${outputNames.join(', ')})`,
      );
  }
  const of = (name: string): Map<number, string> => {
    const spec = dynamicAxes[name];
    if (spec === undefined) return new Map();
    if (Array.isArray(spec)) return new Map((spec as number[]).map((axis) => [axis, `${name}_dim${axis}`]));
    return new Map(Object.entries(spec).map(([axis, param]) => [Number(axis), param]));
  };
  return { input: of, output: (name) => of(name) };
}

function valueInfo(name: string, v: Variable, symbolic: Map<number, string>): import('./proto.js').ValueInfoProto {
  for (const axis of symbolic.keys()) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= v.ndim)
      throw new OnnxExportError(
        `exportOnnx: dynamicAxes gives axis ${axis} of '${name}', which has shape ${formatShape(v.shape)}`,
      );
  }
  const shape: Dimension[] = v.shape.map((d, axis) =>
    symbolic.has(axis) ? { param: symbolic.get(axis)! } : { value: d },
  );
  return { name, type: { elemType: onnxType(v.dtype), shape } };
}

import { Tensor, ValueError } from '@nn/tensor';
import { type Operand, Variable, asVariable } from '@nn/autograd';
import { Module, Parameter } from '@nn/nn';
import { OnnxImportError } from './errors.js';
import { Attributes, type BuildContext, OPERATORS, type Run } from './import-ops.js';
import { type AttributeProto, DataType, decodeModel, type GraphProto, type NodeProto } from './proto.js';
import { fromTensorProto } from './tensors.js';

/** Options of importOnnx. @example importOnnx(bytes, { source: 'mlp.onnx' }) */
export interface ImportOptions {
  /** Names the bytes in error messages (default `'onnx'`). */
  source?: string;
}

/** A value of the graph: computed (Variable), constant (Tensor) or a buffer read when the graph runs. */
type Value = Variable | Tensor | (() => Tensor);

/** One built node: where its inputs come from and how it runs. */
interface Step {
  node: NodeProto;
  run: Run;
}

/**
 * An ONNX graph as an @nn Module. Its float initializers are trainable Parameters named as in
 * the file (`0.W`, `fc1.weight`; a name that would shadow a Module member gets a trailing `_`);
 * BatchNormalization's running mean and variance are buffers (dots become `_`); Constant nodes and
 * integer initializers stay constants. `forward(x)` runs a one-input model and returns its first
 * output; `run(...)` takes every input and returns every output.
 *
 * @example
 * const net = importOnnx(await readOnnx('mlp.onnx'));
 * const scores = net.forward(variable(images));
 * new SGD(net.parameters(), { lr: 0.1 }); // it trains
 */
export class OnnxModule extends Module {
  readonly #steps: Step[];
  readonly #values: Map<string, Value>;
  readonly #inputs: string[];
  readonly #outputs: string[];

  /** @internal Built by importOnnx. */
  constructor(steps: Step[], values: Map<string, Value>, inputs: string[], outputs: string[]) {
    super();
    this.#steps = steps;
    this.#values = values;
    this.#inputs = inputs;
    this.#outputs = outputs;
  }

  /** The graph's input names, in order. */
  get inputNames(): readonly string[] {
    return this.#inputs;
  }

  /** The graph's output names, in order. */
  get outputNames(): readonly string[] {
    return this.#outputs;
  }

  /** Runs a model with one input; returns its first output. @example net.forward(variable(x)) */
  forward(x: Variable): Variable {
    if (this.#inputs.length !== 1)
      throw new ValueError(
        `OnnxModule.forward: the model has ${this.#inputs.length} inputs (${this.#inputs.join(', ')}); use run(...inputs)`,
      );
    return this.run(x)[0];
  }

  /** Runs the graph on one operand per input, in order; returns every output. @example const [y] = net.run(a, b) */
  run(...inputs: Operand[]): Variable[] {
    if (inputs.length !== this.#inputs.length)
      throw new ValueError(
        `OnnxModule.run: expected ${this.#inputs.length} inputs (${this.#inputs.join(', ')}), got ${inputs.length}`,
      );
    const env = new Map<string, Value>(this.#values);
    this.#inputs.forEach((name, i) => env.set(name, asVariable(`input '${name}'`, inputs[i])));
    for (const { node, run } of this.#steps) {
      const args = node.inputs.map((name) => (name === '' ? null : toVariable(env.get(name)!, node)));
      const results = run(args);
      node.outputs.forEach((name, k) => {
        if (name !== '' && k < results.length) env.set(name, results[k]);
      });
    }
    return this.#outputs.map((name) => toVariable(env.get(name)!, null));
  }
}

function toVariable(value: Value, node: NodeProto | null): Variable {
  const v = typeof value === 'function' ? value() : value;
  return v instanceof Variable ? v : asVariable(node?.opType ?? 'output', v);
}

/**
 * Builds an @nn Module from ONNX bytes (the ops of the table in docs/onnx.md, default domain,
 * opset 7 and later). Every node is checked before anything is built: unsupported operators and
 * attribute values are one OnnxImportError listing every offending node. The module is callable
 * (`forward`, `run`) and trainable (its float initializers are Parameters).
 *
 * @example
 * const net = importOnnx(exportOnnx(model, [x]));
 * net.forward(variable(x)); // the same outputs as model.forward
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): OnnxModule {
  const source = options.source ?? 'onnx';
  const model = decodeModel(bytes, source);
  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 7)
    throw new OnnxImportError(
      `importOnnx (${source}): default-domain opset ${opset} is older than 7, which is not supported`,
    );
  const graph = model.graph;
  const constants = constantValues(graph, source);
  const contexts = graph.nodes.map((node) => buildContext(node, opset, constants));
  checkSupported(contexts, source);
  checkWired(graph, constants, source);
  const values = new Map<string, Value>(constants);
  const module = new OnnxModule(
    contexts
      .filter((c) => c.node.opType !== 'Constant')
      .map((c) => ({ node: c.node, run: OPERATORS[c.node.opType].build(c) })),
    values,
    graph.inputs.map((v) => v.name).filter((name) => !constants.has(name)),
    graph.outputs.map((v) => v.name),
  );
  attachState(module, graph, values);
  return module;
}

/** The initializers and Constant nodes' values, by name. */
function constantValues(graph: GraphProto, source: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of graph.initializers) out.set(t.name, fromTensorProto(t));
  for (const node of graph.nodes) {
    if (node.opType !== 'Constant' || node.outputs.length !== 1) continue;
    const value = constantOf(node.attributes);
    if (value === null)
      throw new OnnxImportError(
        `importOnnx (${source}): Constant '${node.name}' has no value, value_float(s) or value_int(s)`,
      );
    out.set(node.outputs[0], value);
  }
  return out;
}

function constantOf(attributes: AttributeProto[]): Tensor | null {
  for (const a of attributes) {
    if (a.name === 'value' && a.t) return fromTensorProto(a.t);
    if (a.name === 'value_float' && a.f !== undefined) return new Tensor(new Float32Array([a.f]), []);
    if (a.name === 'value_floats' && a.floats) return new Tensor(Float32Array.from(a.floats), [a.floats.length]);
    if (a.name === 'value_int' && a.i !== undefined) return new Tensor(new Int32Array([a.i]), []);
    if (a.name === 'value_ints' && a.ints) return new Tensor(Int32Array.from(a.ints), [a.ints.length]);
  }
  return null;
}

function buildContext(node: NodeProto, opset: number, constants: Map<string, Tensor>): BuildContext {
  return {
    node,
    attributes: new Attributes(node),
    opset,
    constantInput: (i) => constants.get(node.inputs[i] ?? '') ?? null,
  };
}

function label(node: NodeProto, index: number): string {
  return `${node.opType} '${node.name === '' ? `#${index}` : node.name}'`;
}

/** One error for every unsupported operator, domain and attribute value in the graph. */
function checkSupported(contexts: BuildContext[], source: string): void {
  const problems: string[] = [];
  contexts.forEach((ctx, i) => {
    const { node } = ctx;
    const op = node.domain === '' || node.domain === 'ai.onnx' ? OPERATORS[node.opType] : undefined;
    if (op === undefined) {
      problems.push(
        `${label(node, i)}: ${node.domain === '' || node.domain === 'ai.onnx' ? 'operator' : `domain '${node.domain}'`} not supported`,
      );
      return;
    }
    const unknown = ctx.attributes.names().filter((name) => !op.attributes.includes(name));
    for (const name of unknown) problems.push(`${label(node, i)}: attribute '${name}' not supported`);
    for (const p of op.check?.(ctx) ?? []) problems.push(`${label(node, i)}: ${p} not supported`);
  });
  if (problems.length === 0) return;
  throw new OnnxImportError(
    `importOnnx (${source}): ${problems.length} unsupported node${problems.length === 1 ? '' : 's'} or attribute${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSupported operators: ${Object.keys(OPERATORS).sort().join(', ')} (see docs/onnx.md)`,
    problems,
  );
}

/** Every node input is a graph input, a constant or an earlier node's output (ONNX requires topological order). */
function checkWired(graph: GraphProto, constants: Map<string, Tensor>, source: string): void {
  const known = new Set<string>([...graph.inputs.map((v) => v.name), ...constants.keys()]);
  graph.nodes.forEach((node, i) => {
    for (const name of node.inputs) {
      if (name !== '' && !known.has(name))
        throw new OnnxImportError(
          `importOnnx (${source}): ${label(node, i)} reads '${name}', which is no graph input, initializer or output of an earlier node`,
        );
    }
    for (const name of node.outputs) if (name !== '') known.add(name);
  });
  for (const out of graph.outputs) {
    if (!known.has(out.name))
      throw new OnnxImportError(`importOnnx (${source}): graph output '${out.name}' is produced by no node`);
  }
}

/**
 * Turns float initializers into the module's Parameters (own fields named as in the file, so
 * `namedParameters()` gives the file's names) and BatchNormalization's statistics into buffers.
 */
function attachState(module: OnnxModule, graph: GraphProto, values: Map<string, Value>): void {
  const statistics = new Set(
    graph.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => [n.inputs[3], n.inputs[4]]),
  );
  const fields = module as unknown as Record<string, unknown>;
  for (const t of graph.initializers) {
    const value = values.get(t.name);
    if (!(value instanceof Tensor) || (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE)) continue;
    if (statistics.has(t.name)) {
      let name = t.name.replace(/\./g, '_');
      while (name in module) name += '_';
      module.registerBuffer(name, value);
      // Read through the module when the graph runs, so loadStateDict reaches the running values.
      values.set(t.name, () => (module as unknown as Record<string, Tensor>)[name]);
      continue;
    }
    let name = t.name;
    while (name in module) name += '_';
    const p = new Parameter(value, { name: t.name });
    fields[name] = p;
    values.set(t.name, p);
  }
}

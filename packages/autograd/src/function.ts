import { type DType, Tensor, formatShape } from '@nn/tensor';
import { storageModifiedAt, storageWriteClock } from '@nn/tensor/internal';
import { type BatchedInput, applyBatched, isBatchingActive } from './batching.js';
import { type Tangents, hasActiveTangent, isForwardModeActive, propagateTangents } from './dual.js';
import { AnomalyError, AutogradError } from './errors.js';
import { isAnomalyEnabled, isGradEnabled } from './mode.js';
import type { Variable, constantLike } from './variable.js';

/** What an operation accepts as an operand: a Variable, a Tensor or a plain number (both constants). */
export type Operand = Variable | Tensor | number;

/** What `backward` may return: one gradient per input, in order; `null` where an input gets none. */
export type Gradients = Variable | null | undefined | readonly (Variable | null | undefined)[];

const NONE: readonly never[] = Object.freeze([]);

// variable.ts hands its class here as it loads, rather than this module importing it: Variable's
// methods import every op module, each of which extends Function, so a static import would let
// whichever module loads first decide whether `extends Function` meets an undefined class.
let VariableClass: typeof Variable;
let constant: typeof constantLike;

/** @internal Called once by variable.ts: the Variable class and its constant maker. */
export function bindVariable(cls: typeof Variable, makeConstant: typeof constantLike): void {
  VariableClass = cls;
  constant = makeConstant;
}

const nodeNames = new WeakMap<object, string>();

/**
 * @internal Names the built-in node classes in a way bundlers cannot rename (object keys survive,
 * class identifiers may become `Add2`), without esbuild's keepNames: its `__name` on every class
 * made `new Add()` measurably slower (about 3× on a tiny graph).
 */
export function nameNodes(classes: Record<string, abstract new (...args: never[]) => Function>): void {
  for (const name of Object.keys(classes)) nodeNames.set(classes[name], name);
}

/**
 * @internal True for the library's own node classes (those named by `nameNodes`). The engine
 * recycles the buffers a backward allocated only for these: their backward is known to return its
 * gradients and keep none. A user's subclass (even of a built-in class) is never recycled.
 */
export function isBuiltInNode(node: Function): boolean {
  return nodeNames.has(node.constructor);
}

/**
 * A node of the graph: `forward` computes on Tensors, `backward` maps the gradients of the
 * outputs (Variables) to the gradients of the inputs (Variables), written with the same
 * differentiable operations, so `createGraph` records the backward pass and gives higher-order
 * gradients for free (as in DeZero). A node is recorded only when grad mode is on and some input
 * requires grad; otherwise `apply` just runs `forward`.
 *
 * Subclass it to define a new operation (see docs/autograd.md for a worked Swish):
 *
 * @example
 * class Cube extends Function {
 *   override get rule() { return 'Cube: dx = 3x²·dy'; }
 *   forward(x: Tensor): Tensor { return x.mul(x).mul(x); }
 *   backward(gy: Variable): Variable { const x = this.inputs[0]; return gy.mul(x.square().mul(3)); }
 * }
 * const y = new Cube().apply(variable(2)); // 8; y.backward() gives x.grad = 12
 */
export abstract class Function {
  /** The input Variables, once recorded (numbers and Tensors become constant Variables). */
  declare inputs: readonly Variable[];
  /** The output Variables, once recorded. */
  declare outputs: readonly Variable[];
  /** The largest generation among the inputs: backward visits larger generations first. */
  declare generation: number;
  /** Which inputs require grad (PyTorch's ctx.needs_input_grad); set before `forward` runs. */
  declare needsInputGrad: readonly boolean[];
  /** Which inputs carry a tangent of a running `jvp`; set before `forward` runs (empty outside jvp). */
  declare needsInputTangent: readonly boolean[];
  /** The stack where the node was created, captured only in anomaly mode. */
  declare creationStack: string | null;
  /** True once a backward without `retainGraph` has run through this node and freed its saved state. */
  declare freed: boolean;
  /** @internal The last backward pass that queued this node (the engine's visited mark). */
  declare visitedPass: number;
  /** @internal The storage write clock when the node was recorded (for the in-place checks). */
  declare recordedAt: number;
  declare private savedTensors: readonly Tensor[] | null;

  constructor() {
    // Assignments rather than class-field initializers: V8 defines class fields with [[Define]]
    // semantics, and with dozens of subclasses sharing this base that measured ~2.5 µs per node
    // (megamorphic define) against ~30 ns for plain assignments.
    this.inputs = NONE;
    this.outputs = NONE;
    this.generation = 0;
    this.needsInputGrad = NONE;
    this.needsInputTangent = NONE;
    this.creationStack = null;
    this.freed = false;
    this.visitedPass = 0;
    this.recordedAt = 0;
    this.savedTensors = null;
  }

  /** The node's name as shown in graphs and errors: its class name. */
  get name(): string {
    return nodeNames.get(this.constructor) ?? this.constructor.name;
  }

  /** The gradient rule in words, for graph inspection, e.g. "MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY". */
  get rule(): string {
    return `${this.name}: (no rule given)`;
  }

  /**
   * True for nodes whose forward broadcasts its inputs against each other (Add, Mul, Where, ...):
   * the engine sums each input's gradient back to that input's shape with `sumTo`, the one place
   * broadcasting is undone. Other nodes must return gradients of exactly their inputs' shapes.
   */
  get broadcasts(): boolean {
    return false;
  }

  /** Computes the outputs from the inputs' data. Return an array for several outputs. */
  abstract forward(...inputs: Tensor[]): Tensor | Tensor[];

  /**
   * Maps the outputs' gradients (one Variable per output; zeros for outputs that received none)
   * to one gradient per input. Consult `needsInputGrad` to skip work; entries for inputs that do
   * not need a gradient are ignored. A subclass may keep the gradients it receives or computes:
   * the engine recycles scratch storage only for the library's own nodes (see docs/performance.md,
   * "Recycled storage").
   */
  abstract backward(...outputGradients: Variable[]): Gradients;

  /**
   * The forward-mode rule: maps one tangent per input (`null` for an input without one, a zero
   * tangent) to one tangent per output (the directional derivative ẏ = J·ẋ), written with
   * differentiable operations on Variables like `backward`, so it composes (jvp of jvp, grad of
   * jvp, jvp of grad). `this.inputs` and `this.outputs` are set when it runs. A broadcasting node
   * may return a tangent of a smaller shape; it is broadcast to the output's. Used by `jvp`,
   * `jacobian(..., { mode: 'fwd' })`, `hessian` and `hvp`; a node without one cannot be used there.
   *
   * @example
   * // for y = x³:
   * jvp(dx: Variable) { return dx.mul(this.inputs[0].square().mul(3)); }
   */
  jvp(..._inputTangents: (Variable | null)[]): Tangents {
    throw new AutogradError(
      `jvp: ${this.name} has no forward-mode rule, so jvp, jacobian({ mode: 'fwd' }), hessian and hvp cannot pass through it. Give ${this.name} a method jvp(...inputTangents) that returns its output's tangent from the inputs' tangents (null for an input without one), written with differentiable operations, e.g. for y = x³: jvp(dx) { return dx.mul(this.inputs[0].square().mul(3)); } (see docs/transforms.md), or use jacobian({ mode: 'rev' })`,
    );
  }

  /**
   * The batching rule, for `vmap`: maps the inputs, each the whole batch with the batch axis first
   * (`batched`) or one value shared by every example (not batched), to the outputs for the whole
   * batch, batch axis first, written with differentiable operations on Variables like `backward`
   * (so grad inside and outside vmap differentiates through it). The rule sees no per-example
   * value: it computes every example's output at once (e.g. Sum over axis a sums the batch over
   * a + 1). Runs instead of `forward` whenever an input is batched; a node without one cannot be
   * used inside vmap. See batching.ts for the helpers the built-in rules use.
   *
   * @example
   * // for y = x³ (elementwise, so the same op on the whole batch):
   * batch([x]: BatchedInput[]) { return new Cube().apply(x.value); }
   */
  batch(_inputs: readonly BatchedInput[], _size: number): Variable | readonly Variable[] {
    throw new AutogradError(
      `vmap: ${this.name} has no batching rule, so vmap cannot pass through it (it never falls back to a loop over the examples). Give ${this.name} a method batch(inputs, size) that computes the outputs for the whole batch (batch axis first) from the inputs (each { value, batched }: the whole batch with the batch axis first, or a value shared by every example), with differentiable operations (see docs/transforms.md), or call f outside vmap`,
    );
  }

  /**
   * Runs the node on its operands and returns its single output, recording the node when grad
   * mode is on and some operand requires grad.
   */
  apply(...operands: Operand[]): Variable {
    if (isBatchingActive()) {
      const batched = applyBatched(this, operands);
      if (batched !== null) return this.single(batched);
    }
    const record = this.prepare(operands);
    const inputs = operands as Variable[];
    const result = this.call(inputs);
    if (!(result instanceof Tensor)) {
      throw new AutogradError(
        `${this.name}: forward returned ${result.length} outputs; use applyAll for nodes with several outputs`,
      );
    }
    const y = this.output(result, 0, record);
    if (record) this.link(inputs, [y]);
    if (this.needsInputTangent !== NONE) this.forwardTangents(inputs, [y], record);
    return y;
  }

  /** Like `apply`, for nodes whose forward returns several Tensors: one Variable per output. */
  applyAll(...operands: Operand[]): Variable[] {
    if (isBatchingActive()) {
      const batched = applyBatched(this, operands);
      if (batched !== null) return batched;
    }
    const record = this.prepare(operands);
    const inputs = operands as Variable[];
    const result = this.call(inputs);
    const ys = result instanceof Tensor ? [result] : result;
    const outputs = ys.map((t, k) => this.output(t, k, record));
    if (record) this.link(inputs, outputs);
    if (this.needsInputTangent !== NONE) this.forwardTangents(inputs, outputs, record);
    return outputs;
  }

  private single(outputs: Variable[]): Variable {
    if (outputs.length !== 1) {
      throw new AutogradError(
        `${this.name}: its batching rule returned ${outputs.length} outputs; use applyAll for nodes with several outputs`,
      );
    }
    return outputs[0];
  }

  /** Keeps Tensors (beyond inputs and outputs) for backward; they are dropped when the graph is freed. */
  protected saveForBackward(...tensors: Tensor[]): void {
    this.savedTensors = tensors;
  }

  /** The Tensors given to `saveForBackward`; throws once the graph has been freed. */
  protected get saved(): readonly Tensor[] {
    if (this.freed || this.savedTensors === null) {
      throw new AutogradError(
        `${this.name}.backward: saved tensors are not available (${this.freed ? 'the graph was freed by a previous backward; pass { retainGraph: true } to keep it' : 'forward saved none'})`,
      );
    }
    return this.savedTensors;
  }

  /**
   * @internal Throws if a value this node's backward may read (an input, an output, a saved
   * tensor) was written in place, or a Variable's `data` replaced, after the node was recorded.
   * PyTorch's version-counter check: without it backward would silently use the new values.
   */
  checkUnmodified(): void {
    const at = this.recordedAt;
    if (storageWriteClock() === at) return; // nothing anywhere was written since
    const stale = (v: Variable) => v.replacedAt > at || storageModifiedAt(v.data.data) > at;
    let what: string | null = null;
    this.inputs.forEach((v, i) => (what ??= stale(v) ? `input ${i}${label(v)}` : null));
    this.outputs.forEach((v, k) => (what ??= stale(v) ? `output ${k}${label(v)}` : null));
    this.savedTensors?.forEach((t, k) => (what ??= storageModifiedAt(t.data) > at ? `saved tensor ${k}` : null));
    if (what === null) return;
    throw new AutogradError(
      `backward: ${this.name} (generation ${this.generation}) saved its ${what}, which was modified in place after ${this.name} was recorded, so its gradient would be wrong. Clone the value before modifying it (t.clone()), or call backward() before optimizer.step() or any other in-place write. ${createdAt(this)}`,
    );
  }

  /** @internal Drops the saved state after backward (unless retainGraph). */
  release(): void {
    this.freed = true;
    this.savedTensors = null;
  }

  /**
   * Converts the operands, in place, into Variables (this is our own rest array) and decides
   * whether to record: grad mode on and some input requiring grad.
   */
  private prepare(operands: Operand[]): boolean {
    const n = operands.length;
    let like: DType | null = null;
    for (let i = 0; i < n && like === null; i++) {
      const o = operands[i];
      if (o instanceof VariableClass) like = o.dtype;
      else if (o instanceof Tensor) like = o.dtype;
    }
    let anyRequiresGrad = false;
    for (let i = 0; i < n; i++) {
      const o = operands[i];
      const v = o instanceof VariableClass ? o : constant(this, o, like);
      operands[i] = v;
      if (v.requiresGrad) anyRequiresGrad = true;
    }
    const record = anyRequiresGrad && isGradEnabled();
    if (record) {
      const needs = new Array<boolean>(n);
      for (let i = 0; i < n; i++) needs[i] = (operands[i] as Variable).requiresGrad;
      this.needsInputGrad = needs;
    }
    if (isForwardModeActive()) {
      const tangents = new Array<boolean>(n);
      let any = false;
      for (let i = 0; i < n; i++) any = (tangents[i] = hasActiveTangent(operands[i] as Variable)) || any;
      if (any) this.needsInputTangent = tangents;
    }
    if (isAnomalyEnabled()) this.creationStack = creationStack();
    return record;
  }

  /** Inside `jvp`: runs the jvp rule (see dual.ts) with the edges visible to it, recorded or not. */
  private forwardTangents(inputs: Variable[], outputs: Variable[], recorded: boolean): void {
    if (!recorded) {
      this.inputs = inputs;
      this.outputs = outputs;
    }
    propagateTangents(this, inputs, outputs);
  }

  /** forward on the inputs' data; small arities without an array spread. */
  private call(inputs: Variable[]): Tensor | Tensor[] {
    switch (inputs.length) {
      case 1:
        return this.forward(inputs[0].data);
      case 2:
        return this.forward(inputs[0].data, inputs[1].data);
      default:
        return this.forward(...inputs.map((v) => v.data));
    }
  }

  private output(t: Tensor, k: number, record: boolean): Variable {
    if (this.creationStack !== null) checkFinite(this, t, `forward output ${k}`);
    return new VariableClass(t, { requiresGrad: record });
  }

  /** Records the node: its edges, its generation, and itself as the outputs' creator. */
  private link(inputs: Variable[], outputs: Variable[]): void {
    let generation = 0;
    for (let i = 0; i < inputs.length; i++) if (inputs[i].generation > generation) generation = inputs[i].generation;
    this.generation = generation;
    this.recordedAt = storageWriteClock();
    this.inputs = inputs;
    this.outputs = outputs;
    for (let k = 0; k < outputs.length; k++) {
      const y = outputs[k];
      y.creator = this;
      y.outputIndex = k;
      y.generation = generation + 1;
    }
  }
}

function label(v: Variable): string {
  return v.name === null ? '' : ` '${v.name}'`;
}

/** The caller's stack without the frames of the autograd machinery. */
function creationStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40; // room for the user's frames beyond ours
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const lines = stack.split('\n').slice(1);
  const user = lines.filter((line) => !/[\\/]autograd[\\/](src|dist)[\\/]/.test(line));
  return (user.length > 0 ? user : lines).join('\n');
}

/** Throws an AnomalyError if a float tensor holds NaN or ±Infinity. `what` says which value it is. */
export function checkFinite(node: Function, t: Tensor, what: string): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return;
  const c = t.contiguous();
  const end = c.offset + c.size;
  for (let i = c.offset; i < end; i++) {
    const v = c.data[i];
    if (v - v !== 0) {
      const kind = Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
      throw new AnomalyError(
        `${node.name} produced ${kind} in its ${what} (shape ${formatShape(t.shape)}). ${createdAt(node)}`,
      );
    }
  }
}

/** "The node was created at: <stack>", or how to get that stack. */
export function createdAt(node: Function): string {
  return node.creationStack !== null
    ? `The node was created at:\n${node.creationStack}`
    : 'Run the forward pass inside detectAnomaly to see where the node was created.';
}

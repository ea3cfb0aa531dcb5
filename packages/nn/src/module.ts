import { type FloatDType, NNError, Tensor, ValueError, formatShape, sameShape, zeros } from '@nn/tensor';
import { Variable, noGrad } from '@nn/autograd';
import { Parameter } from './parameter.js';

/** What `loadStateDict` reports: keys the model has that the dict lacks, and the reverse. @example const { missingKeys } = model.loadStateDict(dict, { strict: false }); */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Options of `loadStateDict`. @example model.loadStateDict(dict, { strict: false }) */
export interface LoadStateDictOptions {
  /**
   * true (default): missing keys, unexpected keys and dtype mismatches are errors. false: they are
   * only reported (dtypes are converted); a shape mismatch of a key present in both is an error
   * either way.
   */
  strict?: boolean;
}

/** Train or eval, for `withMode`. @example model.withMode('eval', () => model.forward(x)) */
export type ModuleMode = 'train' | 'eval';

/**
 * A state dict that does not fit the model: missing or unexpected keys, or a shape or dtype
 * mismatch. The message names every offending key (with both shapes or dtypes).
 *
 * @example
 * try { model.loadStateDict(dict); } catch (e) { if (e instanceof StateDictError) console.log(e.missingKeys); }
 */
export class StateDictError extends NNError {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
  ) {
    super(message);
  }
}

/** One value a state dict reads and writes: a parameter's data or a buffer. */
interface StateSlot {
  get(): Tensor;
  set(t: Tensor): void;
}

/**
 * The base of every layer and model. A subclass declares its Parameters and submodules as plain
 * fields and implements `forward(x)`; the Module finds them by walking its own enumerable fields
 * in declaration order, descending into arrays and Maps (keys become path segments). So
 *
 * ```ts
 * class MLP extends Module {
 *   layers = [new Linear(784, 50), new Linear(50, 10)];
 *   forward(x: Variable): Variable { return this.layers[1].forward(this.layers[0].forward(x).relu()); }
 * }
 * ```
 *
 * has parameters named `layers.0.W`, `layers.0.b`, `layers.1.W`, `layers.1.b`.
 *
 * Calling convention: a model is run with `model.forward(x)` — there is no separate `call`.
 * A Parameter or Module held only in an ES private field (`#field`) is not discovered.
 * Non-trainable state (BatchNorm's running mean/var) is registered with `registerBuffer`.
 *
 * @example
 * const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
 * model.namedParameters().map(([k]) => k); // ['0.W', '0.b', '2.W', '2.b']
 * const y = model.forward(variable(randn([4, 2])));
 */
export abstract class Module {
  /** True in training mode (the default): Dropout drops, BatchNorm uses batch statistics. */
  training = true;
  readonly #buffers = new Map<string, Tensor>();

  /** Computes the module's output. Run a model with `model.forward(x)`. */
  abstract forward(x: Variable): Variable;

  // ---- discovery -----------------------------------------------------------------------------------

  /** This module's own Parameters and direct submodules, with their field paths, in field order. */
  #ownMembers(): Array<[string, Parameter | Module]> {
    const out: Array<[string, Parameter | Module]> = [];
    const seen = new Set<unknown>();
    const visit = (path: string, value: unknown): void => {
      if (value instanceof Parameter || value instanceof Module) {
        out.push([path, value]);
      } else if (Array.isArray(value)) {
        if (seen.has(value)) return;
        seen.add(value);
        value.forEach((item, i) => visit(`${path}.${i}`, item));
      } else if (value instanceof Map) {
        if (seen.has(value)) return;
        seen.add(value);
        for (const [key, item] of value) visit(`${path}.${String(key)}`, item);
      }
    };
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(this)) visit(key, fields[key]);
    return out;
  }

  /**
   * The direct submodules with their names (`'0'`, `'encoder'`, `'layers.1'`), in field order.
   * @example for (const [name, child] of model.namedChildren()) console.log(name, child.constructor.name);
   */
  namedChildren(): Array<[string, Module]> {
    return this.#ownMembers().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** The direct submodules. @example model.children().length */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module (named `''`) and every submodule below it, depth first in field order, with dotted
   * names. A module reachable twice (shared) is listed once, under its first name.
   * @example model.namedModules().map(([name]) => name); // ['', '0', '1', '2']
   */
  namedModules(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const visit = (prefix: string, module: Module): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([prefix, module]);
      for (const [name, child] of module.namedChildren()) visit(join(prefix, name), child);
    };
    visit('', this);
    return out;
  }

  /** This module and all submodules. @example model.modules().filter((m) => m instanceof Linear) */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Every Parameter with its dotted path (`layers.0.W`), depth first in field order, each listed
   * once (a tied weight or shared module appears under its first path).
   * @example Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.shape]))
   */
  namedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    this.#walk((path, p) => out.push([path, p]));
    return out;
  }

  /**
   * Depth-first over the tree in field order: `onParameter` for each Parameter (once, under its
   * first path), `onModuleDone` after each module's members (once per module).
   */
  #walk(
    onParameter: (path: string, p: Parameter) => void,
    onModuleDone?: (prefix: string, module: Module) => void,
  ): void {
    const seenModules = new Set<Module>();
    const seenParameters = new Set<Parameter>();
    const visit = (prefix: string, module: Module): void => {
      if (seenModules.has(module)) return;
      seenModules.add(module);
      for (const [name, member] of module.#ownMembers()) {
        const path = join(prefix, name);
        if (member instanceof Module) visit(path, member);
        else if (!seenParameters.has(member)) {
          seenParameters.add(member);
          onParameter(path, member);
        }
      }
      onModuleDone?.(prefix, module);
    };
    visit('', this);
  }

  /** Every Parameter, in the order of `namedParameters()`. Hand these to an optimizer. @example new SGD(model.parameters(), { lr: 0.1 }) */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * The number of parameter elements (all, or only those with `requiresGrad`).
   * @example new Linear(784, 50).parameterCount(); // 39250
   */
  parameterCount(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.size, 0);
  }

  // ---- buffers -------------------------------------------------------------------------------------

  /**
   * Registers non-trainable state that belongs in the state dict (BatchNorm's running mean and
   * variance) and makes it readable and assignable as `this[name]`. Declare the field with
   * `declare` so TypeScript knows it: `declare runningMean: Tensor;`.
   *
   * @example
   * class Counter extends Module {
   *   declare count: Tensor;
   *   constructor() { super(); this.registerBuffer('count', zeros([1])); }
   *   forward(x: Variable): Variable { this.count = this.count.add(1); return x; }
   * }
   */
  registerBuffer(name: string, value: Tensor): void {
    if (!(value instanceof Tensor))
      throw new ValueError(`registerBuffer: buffer "${name}" must be a Tensor, got ${typeof value}`);
    if (name === '' || name.includes('.'))
      throw new ValueError(`registerBuffer: buffer name must be non-empty and contain no ".", got "${name}"`);
    const own = Object.getOwnPropertyDescriptor(this, name);
    const taken = own === undefined ? name in this : own.value !== undefined; // a declared-but-unset field is fine
    if (!this.#buffers.has(name) && taken) {
      throw new ValueError(`registerBuffer: "${name}" is already a field of ${this.constructor.name}`);
    }
    this.#buffers.set(name, value);
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false, // the field walk looks for Parameters and Modules only
      get: () => this.#buffers.get(name),
      set: (t: Tensor) => {
        if (!(t instanceof Tensor))
          throw new ValueError(`${this.constructor.name}.${name}: a buffer must be a Tensor, got ${typeof t}`);
        this.#buffers.set(name, t);
      },
    });
  }

  /**
   * Every buffer with its dotted path (`bn.runningMean`), module by module in field order.
   * @example model.namedBuffers().map(([k]) => k); // ['1.runningMean', '1.runningVar']
   */
  namedBuffers(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, t] of module.#buffers) out.push([join(prefix, name), t]);
    }
    return out;
  }

  /** Every buffer. @example model.buffers().length */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  // ---- modes and gradients -------------------------------------------------------------------------

  /**
   * Sets training mode (`mode` true, the default) or eval mode on this module and every submodule.
   * Returns this module.
   * @example model.train(); // Dropout drops, BatchNorm uses batch statistics
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Eval mode: `train(false)`. Dropout is the identity, BatchNorm uses its running statistics. @example model.eval(); */
  eval(): this {
    return this.train(false);
  }

  /**
   * Runs `fn` with this module and its submodules in `mode`, then restores every module's own
   * previous flag (even if `fn` throws) — the scoped form of `train()`/`eval()`.
   * @example const accuracy = model.withMode('eval', () => evaluate(model, testSet));
   */
  withMode<T>(mode: ModuleMode, fn: () => T): T {
    const modules = this.modules();
    const previous = modules.map((m) => m.training);
    for (const m of modules) m.training = mode === 'train';
    try {
      return fn();
    } finally {
      modules.forEach((m, i) => (m.training = previous[i]));
    }
  }

  /** Clears the gradient of every parameter (`p.grad = null`); call it before each backward. @example model.zeroGrad(); loss.backward(); */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Converts every parameter and floating buffer to `dtype` (float64 for gradient checks), keeping
   * the Parameter objects. Gradients are cleared. Returns this module.
   * @example const model = new Linear(3, 2).astype('float64');
   */
  astype(dtype: FloatDType): this {
    for (const p of this.parameters()) {
      if (p.data.dtype !== dtype) {
        p.data = p.data.astype(dtype);
        p.grad = null;
      }
    }
    for (const m of this.modules()) {
      for (const [name, t] of m.#buffers) {
        if ((t.dtype === 'float32' || t.dtype === 'float64') && t.dtype !== dtype)
          m.#buffers.set(name, t.astype(dtype));
      }
    }
    return this;
  }

  /**
   * Calls `fn` on this module and every submodule (e.g. to re-initialise weights).
   * @example model.apply((m) => { if (m instanceof Linear) m.W.data = init.he()(m.W.shape); });
   */
  apply(fn: (module: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  // ---- state dicts ---------------------------------------------------------------------------------

  /** Parameters in field order, each module's buffers after its members, with dotted keys. */
  #stateSlots(): Array<[string, StateSlot]> {
    const out: Array<[string, StateSlot]> = [];
    this.#walk(
      (path, p) => out.push([path, { get: () => p.data, set: (t) => (p.data = t) }]),
      (prefix, module) => {
        for (const name of module.#buffers.keys()) {
          out.push([
            join(prefix, name),
            { get: () => module.#buffers.get(name)!, set: (t) => module.#buffers.set(name, t) },
          ]);
        }
      },
    );
    return out;
  }

  /**
   * A snapshot of every parameter and buffer under its dotted key (`0.W`, `bn.runningMean`):
   * copies, so further training does not change it. Save it with the checkpoint functions; restore
   * it with `loadStateDict`.
   * @example const best = model.stateDict(); ...; model.loadStateDict(best);
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, slot] of this.#stateSlots()) out[key] = slot.get().clone();
    return out;
  }

  /**
   * Copies the values of `dict` into this model's parameters and buffers, in place: the Parameter
   * objects (and, when contiguous, their storage) stay the same, so an optimizer built on
   * `model.parameters()` keeps working. Nothing is changed if an error is thrown.
   *
   * strict (default): a missing key, an unexpected key, or a shape or dtype mismatch throws a
   * StateDictError naming each key (and both shapes or dtypes). Non-strict: missing and unexpected
   * keys are only reported, dtypes are converted; a shape mismatch still throws.
   *
   * @example
   * const { missingKeys, unexpectedKeys } = model.loadStateDict(dict, { strict: false });
   */
  loadStateDict(dict: Readonly<Record<string, Tensor>>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof Tensor) {
      const got =
        dict === null ? 'null' : Array.isArray(dict) ? 'an array' : dict instanceof Tensor ? 'a Tensor' : typeof dict;
      throw new StateDictError(
        `loadStateDict (${this.constructor.name}): expected a state dict (an object of name → Tensor, from stateDict() or loadCheckpoint), got ${got}`,
        [],
        [],
      );
    }
    const strict = options.strict ?? true;
    const slots = this.#stateSlots();
    const known = new Set(slots.map(([key]) => key));
    const missingKeys = slots.map(([key]) => key).filter((key) => !Object.prototype.hasOwnProperty.call(dict, key));
    const unexpectedKeys = Object.keys(dict).filter((key) => !known.has(key));
    const problems: string[] = [];
    for (const [key, slot] of slots) {
      if (!Object.prototype.hasOwnProperty.call(dict, key)) continue;
      const value = dict[key];
      const current = slot.get();
      if (!(value instanceof Tensor)) {
        problems.push(`"${key}" is not a Tensor (got ${value === null ? 'null' : typeof value})`);
      } else if (!sameShape(value.shape, current.shape)) {
        problems.push(
          `shape mismatch for "${key}": the model has ${formatShape(current.shape)}, the state dict has ${formatShape(value.shape)}`,
        );
      } else if (strict && value.dtype !== current.dtype) {
        problems.push(
          `dtype mismatch for "${key}" of shape ${formatShape(current.shape)}: the model has ${current.dtype}, the state dict has ${value.dtype}`,
        );
      }
    }
    if (strict) {
      if (missingKeys.length > 0) problems.unshift(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length > 0)
        problems.splice(missingKeys.length > 0 ? 1 : 0, 0, `unexpected keys: ${unexpectedKeys.join(', ')}`);
    }
    if (problems.length > 0) {
      throw new StateDictError(
        `loadStateDict (${this.constructor.name}): ${problems.join('; ')}`,
        missingKeys,
        unexpectedKeys,
      );
    }
    noGrad(() => {
      for (const [key, slot] of slots) {
        if (Object.prototype.hasOwnProperty.call(dict, key)) slot.set(copyInto(slot.get(), dict[key]));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ------------------------------------------------------------------------------------

  /**
   * The constructor arguments shown by `toString()`, e.g. `inFeatures=784, outFeatures=50`.
   * Override it in a layer with settings worth printing.
   * @example override extraRepr(): string { return `p=${this.p}`; }
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree, one submodule per line (PyTorch's format).
   * @example
   * String(new Sequential(new Linear(2, 3), new ReLU()));
   * // Sequential(
   * //   (0): Linear(inFeatures=2, outFeatures=3, bias=true)
   * //   (1): ReLU()
   * // )
   */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    const children = this.namedChildren();
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, child]) => `  (${name}): ${String(child).split('\n').join('\n  ')}`);
    return `${head}${this.extraRepr() === '' ? '' : ','}\n${lines.join('\n')}\n)`;
  }

  /**
   * A table of the module tree: each module's dotted name, type, output shape (when an input or
   * input shape is given: a forward pass runs in eval mode without recording), its own
   * parameters' shapes and count, then the totals.
   *
   * @example
   * console.log(new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10)).summary([1, 784]));
   * // Layer  Type        Output shape  Parameters           Count
   * // -----  ----------  ------------  -------------------  ------
   * // (root)  Sequential  (1,10)                                  0
   * // 0      Linear      (1,50)        W (784,50), b (50)   39,250
   * // ...
   * // Total parameters: 39,760 (trainable 39,760, frozen 0) · buffers: 0 elements
   */
  summary(input?: readonly number[] | Tensor | Variable): string {
    const modules = this.namedModules();
    const outputs =
      input === undefined
        ? null
        : this.#outputShapes(
            input,
            modules.map(([, m]) => m),
          );
    const header = ['Layer', 'Type', ...(outputs ? ['Output shape'] : []), 'Parameters', 'Count'];
    const depths = new Map<Module, number>([[this, 0]]);
    for (const [, m] of modules)
      for (const child of m.children()) if (!depths.has(child)) depths.set(child, depths.get(m)! + 1);
    const rows: string[][] = modules.map(([name, module]) => {
      const depth = depths.get(module)! - 1;
      const own = module.#ownMembers().filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
      const shapes = own.map(([k, p]) => `${k} ${formatShape(p.shape)}${p.requiresGrad ? '' : ' (frozen)'}`).join(', ');
      const count = own.reduce((n, [, p]) => n + p.size, 0);
      const output = outputs ? [outputs.get(module) ?? '-'] : [];
      return [
        name === '' ? '(root)' : '  '.repeat(depth) + name,
        module.constructor.name,
        ...output,
        shapes,
        formatCount(count),
      ];
    });
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const last = header.length - 1;
    const line = (cells: string[]): string =>
      cells
        .map((cell, c) => (c === last ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd();
    const rule = widths.map((w) => '-'.repeat(w)).join('  ');
    const total = this.parameterCount();
    const trainable = this.parameterCount({ trainableOnly: true });
    const bufferElements = this.buffers().reduce((n, t) => n + t.size, 0);
    return [
      line(header),
      rule,
      ...rows.map(line),
      rule,
      `Total parameters: ${formatCount(total)} (trainable ${formatCount(trainable)}, frozen ${formatCount(total - trainable)}) · buffers: ${formatCount(bufferElements)} elements`,
    ].join('\n');
  }

  /** Runs one forward pass in eval mode, without recording, and notes each module's output shape. */
  #outputShapes(input: readonly number[] | Tensor | Variable, modules: Module[]): Map<Module, string> {
    const dtype = this.parameters()[0]?.dtype ?? 'float32';
    const x =
      input instanceof Variable
        ? input
        : input instanceof Tensor
          ? new Variable(input, { requiresGrad: false })
          : new Variable(zeros([...input], { dtype }), { requiresGrad: false });
    const shapes = new Map<Module, string>();
    const restore: Array<() => void> = [];
    try {
      for (const m of modules) {
        const own = Object.getOwnPropertyDescriptor(m, 'forward');
        const original = m.forward;
        Object.defineProperty(m, 'forward', {
          configurable: true,
          writable: true,
          enumerable: false,
          value: (v: Variable): Variable => {
            const y = original.call(m, v);
            shapes.set(m, formatShape(y.shape));
            return y;
          },
        });
        restore.push(() =>
          own ? Object.defineProperty(m, 'forward', own) : delete (m as { forward?: unknown }).forward,
        );
      }
      this.withMode('eval', () => noGrad(() => this.forward(x)));
    } finally {
      for (const undo of restore) undo();
    }
    return shapes;
  }
}

/**
 * The one guard every layer's `forward` starts with: an input that is neither a Variable nor a
 * Tensor (undefined from a misspelt field, a plain array, null) gets a named error that names the
 * layer, instead of a raw TypeError from deep inside the op.
 * @example forward(x: Variable) { checkForwardInput(this, x); return relu(x); }
 */
export function checkForwardInput(layer: Module, x: unknown): void {
  if (x instanceof Variable || x instanceof Tensor) return;
  const got =
    x === null
      ? 'null'
      : Array.isArray(x)
        ? 'an array'
        : typeof x === 'object'
          ? `a ${x.constructor?.name ?? 'object'}`
          : `${typeof x} ${String(x)}`;
  throw new ValueError(
    `${layer.constructor.name}.forward: expected a Variable (or a Tensor) as input, got ${got}; wrap data with variable(...)`,
  );
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Writes `value` into `current`'s storage when `current` is a plain contiguous tensor (so the
 * tensor object stays the same), else returns a fresh copy to put in its place. Never aliases
 * `value`: later changes to the dict do not reach the model.
 */
function copyInto(current: Tensor, value: Tensor): Tensor {
  const converted = value.dtype === current.dtype ? value : value.astype(current.dtype);
  if (current.isContiguous) {
    const source = converted.contiguous();
    current.data.set(source.data.subarray(source.offset, source.offset + source.size), current.offset);
    return current;
  }
  return converted.clone();
}

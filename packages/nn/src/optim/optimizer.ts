import { DTypeError, ShapeError, Tensor, ValueError, formatShape, isFloat } from '@nn/tensor';
import { Variable } from '@nn/autograd';

/** The storage of a float tensor: what the fused update loops read and write. @example const w: FloatArray = new Float32Array(4); */
export type FloatArray = Float32Array | Float64Array;

/** Options every optimizer takes. @example new SGD(model.parameters(), { lr: 0.1, weightDecay: 1e-4 }) */
export interface OptimizerOptions {
  /** Learning rate η. */
  lr: number;
  /**
   * L2 weight decay λ: λ·W is added to each gradient before the update (the seeds' penalty
   * ½λ‖W‖² folded into the loss). Default 0. AdamW decouples it instead (see AdamW).
   */
  weightDecay?: number;
}

/**
 * A parameter group: some parameters with hyperparameters of their own (PyTorch's param groups).
 * Keys left out take the optimizer's options.
 *
 * @example
 * new SGD([{ params: body.parameters() }, { params: head.parameters(), lr: 0.01 }], { lr: 0.1 });
 */
export type ParamGroupOptions<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  params: Iterable<Variable>;
};

/** What an optimizer takes: parameters, or parameter groups each with its own options. @example const p: OptimizerParams = model.parameters(); */
export type OptimizerParams<O extends OptimizerOptions = OptimizerOptions> =
  Iterable<Variable> | Iterable<ParamGroupOptions<O>>;

/**
 * One group as the optimizer keeps it: its parameters and the hyperparameters it overrides.
 * Its lr is kept relative to the optimizer's (`lrScale` = the group's lr / the optimizer's lr at
 * construction), so a scheduler that sets `optimizer.lr` moves every group by the same factor.
 */
export interface ParamGroup {
  readonly params: readonly Variable[];
  /** The hyperparameters this group sets, lr excluded (it is `lrScale`·`optimizer.lr`). */
  readonly overrides: Readonly<Record<string, number>>;
  /** The group's lr divided by the optimizer's lr (1 for a group without its own lr). */
  readonly lrScale: number;
}

/** The running state of one parameter: its own update count and its buffers (one per slot). */
interface ParameterState {
  step: number;
  buffers: FloatArray[];
}

/**
 * The base of every optimizer: holds the parameters, the hyperparameters and the per-parameter
 * state, and saves them as a flat `Record<string, Tensor>` that fits a safetensors file.
 *
 * A subclass names its per-parameter buffers (`slots`, e.g. `['m', 'v']`), its hyperparameters,
 * and writes `update()`: one fused loop over the typed arrays of a parameter, its gradient and
 * its buffers. Updates happen in place in `param.data`'s storage, outside the graph, so a step
 * allocates nothing per element. Parameters whose `grad` is null are skipped (their state is
 * left untouched).
 *
 * @example
 * class SignSGD extends Optimizer {
 *   protected readonly slots = [];
 *   protected hyperparameters() { return { lr: this.lr, weightDecay: this.weightDecay }; }
 *   protected setHyperparameters(h: Record<string, number>) { this.lr = h.lr; this.weightDecay = h.weightDecay; }
 *   protected update(w: FloatArray, g: FloatArray) { for (let i = 0; i < w.length; i++) w[i] -= this.lr * Math.sign(g[i]); }
 * }
 */
export abstract class Optimizer {
  /** The parameters, in the order given (duplicates removed); state keys use these indices. */
  readonly params: readonly Variable[];
  #lr = 0;
  #weightDecay = 0;
  /** Number of `step()` calls so far. */
  stepCount = 0;
  /** Names of the per-parameter buffers, saved as `param.<i>.<slot>`. */
  protected abstract readonly slots: readonly string[];
  private readonly state: (ParameterState | undefined)[];
  /** The parameter groups (one, with no overrides, when plain parameters were given). */
  readonly paramGroups: readonly ParamGroup[];

  constructor(params: OptimizerParams, options: OptimizerOptions) {
    const kind = new.target.name;
    const groups = groupsOf(kind, params);
    const all = groups.flatMap((g) => g.params);
    if (new Set(all).size !== all.length) {
      throw new ValueError(`${kind}: some parameters appear in more than one parameter group`);
    }
    this.params = all;
    this.state = new Array<ParameterState | undefined>(all.length);
    const { lr, weightDecay = 0 } = options ?? ({} as Partial<OptimizerOptions>);
    this.lr = lr as number;
    this.weightDecay = weightDecay;
    const hyperparametersOf = (optimizer: Optimizer) => optimizer.hyperparameters();
    this.paramGroups = groups.map((g, i) =>
      resolveGroup(new.target as OptimizerClass, i, g, options, this.lr, hyperparametersOf),
    );
  }

  /**
   * Learning rate η; schedules change it between epochs. Checked on every set, so a schedule that
   * writes NaN or a negative rate fails at once instead of turning every weight into NaN.
   * @example optimizer.lr = 0.01;
   */
  get lr(): number {
    return this.#lr;
  }
  set lr(value: number) {
    this.#lr = checkRange(this.constructor.name, 'lr', value, 0, Infinity);
  }

  /** L2 weight decay λ (see OptimizerOptions), checked on every set like `lr`. @example optimizer.weightDecay = 1e-4; */
  get weightDecay(): number {
    return this.#weightDecay;
  }
  set weightDecay(value: number) {
    this.#weightDecay = checkRange(this.constructor.name, 'weightDecay', value, 0, Infinity);
  }

  /** The hyperparameters by name (saved in the state dict as 0-d float64 tensors). */
  protected abstract hyperparameters(): Record<string, number>;
  /** Sets every hyperparameter from a record with the keys `hyperparameters()` returns. */
  protected abstract setHyperparameters(values: Record<string, number>): void;
  /**
   * Updates one parameter in place. `w` is its storage, `g` its gradient (same length, same
   * dtype), `buffers` its state in `slots` order (zero-initialised), `t` its update count (1 on
   * its first update).
   */
  protected abstract update(w: FloatArray, g: FloatArray, buffers: FloatArray[], t: number): void;

  /**
   * Applies one update to every parameter that has a gradient. Call after `backward()`.
   *
   * @example
   * optimizer.zeroGrad();
   * loss(model.forward(x), t).backward();
   * optimizer.step();
   */
  step(): void {
    this.stepCount++;
    const defaults = this.hyperparameters();
    let index = 0;
    try {
      for (const [groupIndex, group] of this.paramGroups.entries()) {
        if (group.lrScale !== 1 || Object.keys(group.overrides).length > 0) {
          this.setHyperparameters(this.groupHyperparameters(groupIndex));
        }
        for (const p of group.params) this.updateParameter(p, index++);
      }
    } finally {
      this.setHyperparameters(defaults);
    }
  }

  /**
   * The hyperparameters group `index` steps with now: the optimizer's, with the group's overrides
   * and its lr scaled with the optimizer's.
   *
   * @example
   * const opt = new SGD([{ params: a }, { params: b, lr: 0.01 }], { lr: 0.1 });
   * opt.groupHyperparameters(1); // { lr: 0.01, weightDecay: 0 }
   */
  groupHyperparameters(index: number): Record<string, number> {
    const group = this.paramGroups[index];
    if (!Number.isInteger(index) || group === undefined) {
      throw new ValueError(
        `${this.constructor.name}.groupHyperparameters: no parameter group ${index} (there are ${this.paramGroups.length})`,
      );
    }
    const defaults = this.hyperparameters();
    return { ...defaults, ...group.overrides, lr: defaults.lr * group.lrScale };
  }

  private updateParameter(p: Variable, index: number): void {
    if (p.grad === null) return;
    const kind = this.constructor.name;
    const w = parameterStorage(kind, p, index);
    const g = gradientValues(kind, p, index);
    let state = this.state[index];
    if (state === undefined) {
      const Storage = w instanceof Float64Array ? Float64Array : Float32Array;
      state = { step: 0, buffers: this.slots.map(() => new Storage(w.length)) };
      this.state[index] = state;
    }
    state.step++;
    this.update(w, g, state.buffers, state.step);
    p.data.markModified(); // a graph that saved the old value now refuses backward through it
  }

  /**
   * Clears every parameter's gradient (sets `grad` to null), as `Module.zeroGrad()` does.
   * @example optimizer.zeroGrad();
   */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /**
   * The optimizer's state as flat keys to tensors, ready for a safetensors file:
   * `step` (the step count), each hyperparameter by name (`lr`, `weightDecay`, `beta1`, ...), all
   * as 0-d float64 tensors, and for every parameter updated at least once `param.<i>.step` and
   * `param.<i>.<slot>` (a copy of the buffer, in the parameter's shape and dtype). `<i>` is the
   * parameter's index in `params`, so load it into an optimizer built over the same parameters
   * in the same order.
   *
   * @example
   * const saved = optimizer.stateDict(); // { step, lr, weightDecay, beta1, beta2, eps, 'param.0.step', 'param.0.m', 'param.0.v', ... }
   */
  stateDict(): Record<string, Tensor> {
    const dict: Record<string, Tensor> = { step: scalar(this.stepCount) };
    for (const [name, value] of Object.entries(this.hyperparameters())) dict[name] = scalar(value);
    this.state.forEach((state, i) => {
      if (state === undefined) return;
      dict[`param.${i}.step`] = scalar(state.step);
      this.slots.forEach((slot, k) => {
        dict[`param.${i}.${slot}`] = new Tensor(state.buffers[k].slice(), this.params[i].shape);
      });
    });
    return dict;
  }

  /**
   * Restores a state saved by `stateDict()` (step count, hyperparameters and buffers); training
   * then continues exactly as if it had never stopped. Every key is checked before anything
   * changes: unknown or missing keys, parameter indices out of range, buffer shapes that differ
   * from the parameter's, and non-float tensors throw an error naming them. Buffers are copied
   * (converted to the parameter's dtype).
   *
   * @example
   * const fresh = new Adam(model.parameters(), { lr: 1e-3 });
   * fresh.loadStateDict(saved);
   */
  loadStateDict(dict: Record<string, Tensor>): void {
    const kind = this.constructor.name;
    const scalars = ['step', ...Object.keys(this.hyperparameters())];
    const slotKeys = ['step', ...this.slots];
    const unknown: string[] = [];
    const perParameter = new Map<number, Set<string>>();
    for (const key of Object.keys(dict)) {
      if (scalars.includes(key)) continue;
      const match = /^param\.(\d+)\.(.+)$/.exec(key);
      if (match && slotKeys.includes(match[2])) {
        const index = Number(match[1]);
        if (index >= this.params.length) {
          throw new ValueError(
            `${kind}.loadStateDict: key '${key}' refers to parameter ${index}, but this optimizer has ${this.params.length} parameters`,
          );
        }
        if (!perParameter.has(index)) perParameter.set(index, new Set());
        perParameter.get(index)!.add(match[2]);
      } else {
        unknown.push(key);
      }
    }
    const missing = scalars.filter((key) => !(key in dict));
    for (const [index, present] of perParameter) {
      for (const slot of slotKeys) if (!present.has(slot)) missing.push(`param.${index}.${slot}`);
    }
    if (unknown.length > 0 || missing.length > 0) {
      const parts = [];
      if (unknown.length > 0) parts.push(`unexpected keys ${unknown.map((k) => `'${k}'`).join(', ')}`);
      if (missing.length > 0) parts.push(`missing keys ${missing.map((k) => `'${k}'`).join(', ')}`);
      throw new ValueError(
        `${kind}.loadStateDict: ${parts.join('; ')} (expected ${scalars.join(', ')} and param.<i>.{${slotKeys.join(',')}}; was the dict saved by another optimizer type?)`,
      );
    }
    for (const [key, t] of Object.entries(dict)) {
      if (!(t instanceof Tensor))
        throw new ValueError(`${kind}.loadStateDict: '${key}' is ${describe(t)}, not a Tensor`);
      if (!isFloat(t.dtype) && t.dtype !== 'int32')
        throw new DTypeError(
          `${kind}.loadStateDict: '${key}' has dtype ${t.dtype}; expected float32, float64 or int32`,
        );
      const index = /^param\.(\d+)\.(.+)$/.exec(key);
      const expected = index && index[2] !== 'step' ? this.params[Number(index[1])].shape : [];
      if (t.ndim !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
        throw new ShapeError(
          `${kind}.loadStateDict: '${key}' has shape ${formatShape(t.shape)}, expected ${formatShape(expected)}${index && index[2] !== 'step' ? ` (the shape of parameter ${index[1]})` : ''}`,
        );
      }
    }
    const counts = ['step', ...[...perParameter.keys()].map((i) => `param.${i}.step`)];
    for (const key of counts) {
      const n = dict[key].item();
      if (!Number.isSafeInteger(n) || n < 0)
        throw new ValueError(`${kind}.loadStateDict: '${key}' must be a non-negative integer, got ${n}`);
    }
    const values: Record<string, number> = {};
    for (const key of scalars.slice(1)) values[key] = dict[key].item();

    // Everything checked: now change state.
    this.setHyperparameters(values);
    this.stepCount = dict.step.item();
    this.state.fill(undefined);
    for (const index of perParameter.keys()) {
      const Storage = this.params[index].dtype === 'float64' ? Float64Array : Float32Array;
      this.state[index] = {
        step: dict[`param.${index}.step`].item(),
        buffers: this.slots.map((slot) => Storage.from(dict[`param.${index}.${slot}`].toTypedArray())),
      };
    }
  }
}

type OptimizerClass = new (params: Iterable<Variable>, options: OptimizerOptions) => Optimizer;

/** The groups `params` describes: one for a plain parameter list (duplicates removed), else one per group. */
function groupsOf(kind: string, params: OptimizerParams): { params: Variable[]; options: Record<string, unknown> }[] {
  if (
    params === null ||
    typeof params !== 'object' ||
    typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new ValueError(
      `${kind}: params must be an iterable of Parameters (e.g. model.parameters()) or of parameter groups, got ${describe(params)}`,
    );
  }
  const items = [...(params as Iterable<unknown>)];
  if (items.length === 0) {
    throw new ValueError(`${kind}: got an empty parameter list (a generator that was already consumed?)`);
  }
  if (items[0] instanceof Variable) return [{ params: checkedParameters(kind, items, 'params'), options: {} }];
  return items.map((item, g) => {
    if (item === null || typeof item !== 'object' || !('params' in item)) {
      throw new ValueError(
        `${kind}: params[${g}] is ${describe(item)}; give either Parameters or groups { params, ...options }, not a mix`,
      );
    }
    const { params: groupParams, ...options } = item as { params: unknown } & Record<string, unknown>;
    if (groupParams === null || typeof groupParams !== 'object' || !(Symbol.iterator in groupParams)) {
      throw new ValueError(
        `${kind}: parameter group ${g}: params must be an iterable of Parameters, got ${describe(groupParams)}`,
      );
    }
    const list = checkedParameters(kind, [...(groupParams as Iterable<unknown>)], `parameter group ${g}: params`);
    if (list.length === 0) throw new ValueError(`${kind}: parameter group ${g} has no parameters`);
    return { params: list, options };
  });
}

function checkedParameters(kind: string, items: unknown[], where: string): Variable[] {
  items.forEach((p, i) => {
    if (!(p instanceof Variable))
      throw new ValueError(`${kind}: ${where}[${i}] is ${describe(p)}, not a Parameter or Variable`);
  });
  return [...new Set(items as Variable[])];
}

/**
 * A group's overrides, checked as the constructor checks options: a second optimizer of the same
 * class is built over the group's parameters with the merged options, so every range check and
 * default (AdamW's weight decay) applies, and unknown keys are caught against its hyperparameters.
 */
function resolveGroup(
  Class: OptimizerClass,
  index: number,
  group: { params: Variable[]; options: Record<string, unknown> },
  options: OptimizerOptions,
  lr: number,
  hyperparametersOf: (optimizer: Optimizer) => Record<string, number>,
): ParamGroup {
  const keys = Object.keys(group.options);
  if (keys.length === 0) return { params: group.params, overrides: {}, lrScale: 1 };
  let resolved: Record<string, number>;
  try {
    resolved = hyperparametersOf(new Class(group.params, { ...options, ...group.options }));
  } catch (error) {
    if (error instanceof ValueError) throw new ValueError(`${Class.name}: parameter group ${index}: ${error.message}`);
    throw error;
  }
  const unknown = keys.filter((k) => !(k in resolved));
  if (unknown.length > 0) {
    throw new ValueError(
      `${Class.name}: parameter group ${index}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: params, ${Object.keys(resolved).join(', ')})`,
    );
  }
  const overrides: Record<string, number> = {};
  for (const key of keys) if (key !== 'lr') overrides[key] = resolved[key];
  if (!('lr' in group.options)) return { params: group.params, overrides, lrScale: 1 };
  if (lr === 0 && resolved.lr !== 0) {
    throw new ValueError(
      `${Class.name}: parameter group ${index} sets lr ${resolved.lr} but the optimizer's lr is 0; group lrs are kept relative to it (give the optimizer a non-zero lr)`,
    );
  }
  return { params: group.params, overrides, lrScale: lr === 0 ? 1 : resolved.lr / lr };
}

/** A 0-d float64 tensor. */
function scalar(value: number): Tensor {
  return new Tensor(Float64Array.of(value), []);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}

function label(p: Variable, index: number): string {
  return p.name ? `${index} ('${p.name}')` : `${index}`;
}

/** Checks low <= value <= high (and finite unless high is Infinity) and returns it. */
export function checkRange(
  kind: string,
  name: string,
  value: unknown,
  low: number,
  high: number,
  { openHigh = false } = {},
): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    !Number.isFinite(value) ||
    value < low ||
    value > high ||
    (openHigh && value === high)
  ) {
    const range = `[${low}, ${high === Infinity ? '∞' : high}${openHigh ? ')' : ']'}`;
    throw new ValueError(`${kind}: ${name} must be a number in ${range}, got ${describe(value)}`);
  }
  return value;
}

/**
 * The parameter's storage, ready to be written in place. A strided or broadcast view is first
 * replaced by its own contiguous copy (once: later steps then write in place).
 */
function parameterStorage(kind: string, p: Variable, index: number): FloatArray {
  let data = p.data;
  if (!isFloat(data.dtype)) {
    throw new DTypeError(
      `${kind}.step: parameter ${label(p, index)} has dtype ${data.dtype}; optimizers update float parameters only`,
    );
  }
  if (!data.isContiguous) {
    data = data.clone();
    p.data = data;
  }
  return (data.data as FloatArray).subarray(data.offset, data.offset + data.size);
}

/** The gradient as a contiguous typed array of the parameter's dtype (copied only if needed). */
function gradientValues(kind: string, p: Variable, index: number): FloatArray {
  let g = p.grad!.data;
  if (g.ndim !== p.data.ndim || g.shape.some((d, i) => d !== p.data.shape[i])) {
    throw new ShapeError(
      `${kind}.step: the gradient of parameter ${label(p, index)} has shape ${formatShape(g.shape)}, but the parameter has shape ${formatShape(p.data.shape)}`,
    );
  }
  g = g.dtype === p.data.dtype ? g.contiguous() : g.astype(p.data.dtype);
  return (g.data as FloatArray).subarray(g.offset, g.offset + g.size);
}

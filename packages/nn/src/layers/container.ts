import { IndexError, ValueError } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { Module } from '../module.js';

/**
 * Containers that hold submodules without running them (PyTorch's nn.ModuleList and
 * nn.ModuleDict): the model that owns one decides how its modules are called. Holding them in a
 * container (rather than a plain array or Map) gives PyTorch's parameter names — `0.weight` for a
 * ModuleList, `<key>.weight` for a ModuleDict — and PyTorch's methods.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** A container's forward: PyTorch raises too, because a list of modules has no single way to be run. */
function notRunnable(container: Module): never {
  throw new ValueError(
    `${container.constructor.name}.forward: a ${container.constructor.name} only holds modules; call them from the forward of the model that owns it (or use Sequential to run them in order)`,
  );
}

/**
 * A list of modules, registered as fields `0`, `1`, ... so that their parameters are named
 * `0.weight`, `1.bias` (as in PyTorch) and `train()`, `stateDict()` and optimizers see them.
 * Index it like an array (`layers[0]`, `layers.at(-1)`), iterate it with `for...of`.
 *
 * @example
 * class MLP extends Module {
 *   layers = new ModuleList([new Linear(4, 8), new Linear(8, 2)]);
 *   forward(x: Variable): Variable {
 *     for (const layer of this.layers) x = layer.forward(x).relu();
 *     return x;
 *   }
 * }
 */
export class ModuleList extends Module implements Iterable<Module> {
  [index: number]: Module;
  #length = 0;

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** The number of modules. */
  get length(): number {
    return this.#length;
  }

  /** Adds a module at the end; returns this list. @example blocks.append(new LayerNorm(64)); */
  append(module: Module): this {
    this[this.#length] = checkModule('ModuleList', module, this.#length);
    this.#length++;
    return this;
  }

  /** Appends every module of `modules`; returns this list. @example blocks.extend([a, b]); */
  extend(modules: Iterable<Module>): this {
    if (modules === null || typeof (modules as Partial<Iterable<Module>>)[Symbol.iterator] !== 'function')
      throw new ValueError(`ModuleList: expected an iterable of Modules, got ${describe(modules)}`);
    for (const m of modules) this.append(m);
    return this;
  }

  /**
   * Inserts `module` before position `index` (negative counts from the end), shifting the rest up.
   * @example layers.insert(0, new Dropout(0.1));
   */
  insert(index: number, module: Module): this {
    if (!Number.isInteger(index)) throw new IndexError(`ModuleList.insert: index must be an integer, got ${index}`);
    const n = this.#length;
    // Out-of-range positions clamp to the ends, as Python's list.insert does.
    const i = index < 0 ? Math.max(index + n, 0) : Math.min(index, n);
    checkModule('ModuleList', module, i);
    for (let k = n; k > i; k--) this[k] = this[k - 1];
    this[i] = module;
    this.#length++;
    return this;
  }

  /** The module at `index`; negative counts from the end. @example layers.at(-1) */
  at(index: number): Module {
    return this[this.position('at', index)];
  }

  /** Replaces the module at `index` (negative counts from the end). @example layers.set(0, new Linear(4, 8)); */
  set(index: number, module: Module): this {
    const i = this.position('set', index);
    this[i] = checkModule('ModuleList', module, i);
    return this;
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }

  forward(_x: Variable): Variable {
    return notRunnable(this);
  }

  private position(op: string, index: number): number {
    const i = index < 0 ? index + this.#length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.#length)
      throw new IndexError(`ModuleList.${op}: index ${index} is out of range for ${this.#length} modules`);
    return i;
  }
}

function checkModule(container: string, module: unknown, where: number | string): Module {
  if (!(module instanceof Module))
    throw new ValueError(
      `${container}: every element must be a Module, got ${describe(module)} at ${typeof where === 'number' ? `index ${where}` : `key "${where}"`}`,
    );
  return module;
}

/**
 * Modules by name, registered as fields so that their parameters are named `<key>.weight` (as in
 * PyTorch's nn.ModuleDict). Keys are kept in insertion order (but JavaScript lists integer-like
 * keys such as '3' first, in numeric order, wherever an object's fields are walked — parameter
 * order included); a key may not contain '.', be empty, or shadow a field or method of the
 * container (`forward`, `keys`, `training`, ...).
 *
 * @example
 * const heads = new ModuleDict({ policy: new Linear(64, 4), value: new Linear(64, 1) });
 * heads.get('value').forward(h);
 * heads.namedParameters().map(([k]) => k); // ['policy.W', 'policy.b', 'value.W', 'value.b']
 */
export class ModuleDict extends Module implements Iterable<string> {
  readonly #keys: string[] = [];

  constructor(modules: Record<string, Module> | Iterable<readonly [string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** The number of modules. */
  get size(): number {
    return this.#keys.length;
  }

  /** The module under `key`; an IndexError names the keys there are. @example heads.get('policy') */
  get(key: string): Module {
    if (!this.has(key))
      throw new IndexError(`ModuleDict.get: no module under "${key}" (keys: ${this.#keys.join(', ') || 'none'})`);
    return (this as unknown as Record<string, Module>)[key];
  }

  /** Puts `module` under `key` (replacing any module there); returns this dict. @example heads.set('aux', new Linear(64, 10)); */
  set(key: string, module: Module): this {
    this.checkKey(key);
    checkModule('ModuleDict', module, key);
    if (!this.has(key)) this.#keys.push(key);
    (this as unknown as Record<string, Module>)[key] = module;
    return this;
  }

  /** Whether a module is stored under `key`. */
  has(key: string): boolean {
    return this.#keys.includes(key);
  }

  /** Removes and returns the module under `key` (PyTorch's pop). @example const old = heads.delete('aux'); */
  delete(key: string): Module {
    const module = this.get(key);
    this.#keys.splice(this.#keys.indexOf(key), 1);
    delete (this as unknown as Record<string, Module>)[key];
    return module;
  }

  /** Adds every entry of an object or of [key, module] pairs; returns this dict. */
  update(modules: Record<string, Module> | Iterable<readonly [string, Module]>): this {
    if (modules === null || typeof modules !== 'object')
      throw new ValueError(`ModuleDict: expected an object or [key, module] pairs, got ${describe(modules)}`);
    const entries =
      Symbol.iterator in modules
        ? (modules as Iterable<readonly [string, Module]>)
        : Object.entries(modules as Record<string, Module>);
    for (const [key, module] of entries) this.set(key, module);
    return this;
  }

  keys(): string[] {
    return [...this.#keys];
  }
  values(): Module[] {
    return this.#keys.map((k) => this.get(k));
  }
  entries(): Array<[string, Module]> {
    return this.#keys.map((k) => [k, this.get(k)]);
  }

  /** Iterates the keys, as PyTorch's ModuleDict does. */
  *[Symbol.iterator](): Iterator<string> {
    yield* this.#keys;
  }

  forward(_x: Variable): Variable {
    return notRunnable(this);
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key === '' || key.includes('.'))
      throw new ValueError(`ModuleDict: a key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    if (!this.has(key) && key in this)
      throw new ValueError(`ModuleDict: key "${key}" would shadow ModuleDict's own field or method "${key}"`);
  }
}

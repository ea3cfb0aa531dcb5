import { IndexError, type ShapeType, ValueError } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import type { ChainCheck, ChainShape } from '../shapes.js';

/**
 * Modules applied one after another: `forward(x)` feeds each module's output to the next. The
 * modules are its fields `0`, `1`, ... — so `seq[0]` reads one, the parameter names are `0.W`,
 * `2.b` (as in PyTorch), and a `for...of` loop visits them in order.
 *
 * @example
 * const net = new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10));
 * net.length;                 // 3
 * net[0] instanceof Linear;   // true
 * for (const layer of net) console.log(String(layer));
 * const scores = net.forward(x);
 */
export class Sequential<M extends readonly Module[] = Module[]> extends Module implements Iterable<Module> {
  [index: number]: Module;
  #length = 0;

  constructor(...modules: M & ChainCheck<M>) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds a module at the end; returns this Sequential.
   * @example net.append(new Softmax());
   */
  append(module: Module): this {
    if (!(module instanceof Module))
      throw new ValueError(
        `Sequential: every element must be a Module, got ${describe(module)} at index ${this.#length}`,
      );
    this[this.#length++] = module;
    return this;
  }

  /**
   * The module at `index`; negative counts from the end.
   * @example net.at(-1) // the last layer
   */
  at(index: number): Module {
    const i = index < 0 ? index + this.#length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.#length)
      throw new IndexError(`Sequential.at: index ${index} is out of range for ${this.#length} modules`);
    return this[i];
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }

  forward<S extends ShapeType>(x: Variable<S>): Variable<ChainShape<M, S>> {
    checkForwardInput(this, x);
    let y: Variable = x;
    for (let i = 0; i < this.#length; i++) y = this[i].forward(y);
    return y as Variable<ChainShape<M, S>>;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

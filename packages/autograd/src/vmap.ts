import { type DType, IndexError, ShapeError, Tensor, ValueError, formatShape, normalizeAxis } from '@nn/tensor';
import {
  type Batched,
  type Level,
  bindBatchedVariable,
  isBatched,
  withBatchLevels,
  withNewBatchLevel,
  activeBatchLevels,
} from './batching.js';
import { AutogradError } from './errors.js';
import type { Operand } from './function.js';
import { type Outputs, describe, mapOutputs } from './transforms.js';
import { Variable, asVariable, constantLike } from './variable.js';

/**
 * `vmap`: a function of one example made into a function of a batch, computed for the whole batch
 * at once by each node's batching rule (see batching.ts), never by a loop over the examples.
 */

/** Options of `vmap`. */
export interface VmapOptions {
  /**
   * Which axis of each argument is the batch axis: one number for every argument, or one entry
   * per argument, `null` for an argument shared by all examples (not batched). Default 0.
   */
  inAxes?: number | null | readonly (number | null)[];
  /** Where the batch axis goes in every output (default 0). */
  outAxes?: number;
}

// One shared stand-in for the data a batched value never exposes.
const NO_DATA = new Tensor(new Float32Array(1), []);

/**
 * A batched value (see batching.ts): it looks like one example (`shape`, `dtype`, `ndim`, `size`
 * are per example) and holds the whole batch in `inner`, batch axis first. Its elements are not
 * readable inside vmap: they belong to no example in particular.
 */
class BatchedVariable extends Variable implements Batched {
  constructor(
    readonly inner: Variable,
    readonly level: Level,
  ) {
    super(NO_DATA, { requiresGrad: inner.requiresGrad });
  }
  override get data(): Tensor {
    if (!activeBatchLevels().includes(this.level)) {
      throw new AutogradError(
        `vmap: a batched value (shape ${formatShape(this.shape)} per example) was used after its vmap had already returned (it escaped, e.g. through a variable outside f); return it from f instead, so vmap stacks it`,
      );
    }
    throw new AutogradError(
      `vmap: the elements of a batched value (shape ${formatShape(this.shape)} per example, a batch of ${this.level.size}) cannot be read inside vmap (data, item(), toArray()); compute with differentiable operations, and read the result vmap returns`,
    );
  }
  override set data(_t: Tensor) {
    throw new AutogradError('vmap: the data of a batched value cannot be replaced inside vmap');
  }
  override get shape(): readonly number[] {
    return this.inner.shape.slice(1);
  }
  override get dtype(): DType {
    return this.inner.dtype;
  }
  override get ndim(): number {
    return this.inner.ndim - 1;
  }
  override get size(): number {
    return this.shape.reduce((n, d) => n * d, 1);
  }
  override backward(): void {
    throw new AutogradError(
      `vmap: backward() of a batched value (shape ${formatShape(this.shape)} per example) inside vmap has no leaf to fill per example; use grad or vjp inside vmap (vmap(grad(f)) gives per-example gradients), or call backward on what vmap returns`,
    );
  }
  override detach(): Variable {
    return new BatchedVariable(this.inner.detach(), this.level);
  }
  override toString(): string {
    return `batched(shape ${formatShape(this.shape)} per example, batch of ${this.level.size})`;
  }
  override toJSON(): ReturnType<Variable['toJSON']> {
    return { name: this.name, requiresGrad: this.requiresGrad, data: { batchedShape: this.inner.shape } as never };
  }
}

bindBatchedVariable(BatchedVariable, constantLike);

/** The batch axis of each argument, checked: an integer per argument, or null. */
function axesFor(inAxes: VmapOptions['inAxes'], count: number): (number | null)[] {
  const axes = inAxes === undefined ? 0 : inAxes;
  if (axes === null || typeof axes === 'number') return new Array<number | null>(count).fill(axes);
  if (!Array.isArray(axes))
    throw new ValueError(`vmap: inAxes must be a number, null or an array, got ${describe(axes)}`);
  if (axes.length !== count) {
    throw new ValueError(
      `vmap: inAxes has ${axes.length} entries but f got ${count} arguments; give one entry per argument (null for one not batched)`,
    );
  }
  return axes.map((a) => a as number | null);
}

function checkAxis(what: string, axis: unknown): void {
  if (axis !== null && !(typeof axis === 'number' && Number.isInteger(axis))) {
    throw new ValueError(
      `vmap: ${what} must be an integer${what === 'outAxes' ? '' : ' or null'}, got ${describe(axis)}`,
    );
  }
}

/** Moves axis `from` of `v` to the front (a Transpose view; nothing when it is already first). */
function toFront(v: Variable, from: number): Variable {
  if (from === 0) return v;
  const axes = v.shape.map((_, d) => d).filter((d) => d !== from);
  return v.transpose([from, ...axes]);
}

/** Moves the first axis of `v` to `to` (the inverse of toFront). */
function fromFront(v: Variable, to: number): Variable {
  if (to === 0) return v;
  const axes = v.shape.map((_, d) => d).slice(1);
  axes.splice(to, 0, 0);
  return v.transpose(axes);
}

/**
 * Vectorizing map: turns `f`, written for one example, into a function of a batch. Each
 * argument's batch axis is given by `inAxes` (default 0; `null` for an argument every example
 * shares); every output gets its batch axis at `outAxes` (default 0). All batched arguments must
 * have the same batch size.
 *
 * f runs once, on *batched values* that look like one example (their `shape` is per example), and
 * each node computes the whole batch with its batching rule: a matmul of a batch of vectors by a
 * shared matrix is one matrix product, not a loop. Because the rules use differentiable
 * operations, transforms compose: `vmap(grad(loss))` gives per-example gradients in one pass,
 * `grad` of a vmapped function differentiates through it, and vmap nests (`vmap(vmap(f))`).
 * Inside vmap the elements of a batched value cannot be read (`item()`, `data`), a node without a
 * batching rule throws, and `jvp`/`hessian`/`hvp` inside vmap are not supported (jvp outside is).
 *
 * @example
 * const loss = (W: Variable, x: Variable, label: Variable) => x.matmul(W).softmaxCrossEntropy(label);
 * const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
 * perExample(W, xs, labels).shape; // [B, 784, 10]: one gradient of W per example
 * vmap((x: Variable) => x.sum())(tensor([[1, 2], [3, 4]])).toArray(); // [3, 7]
 */
export function vmap<T extends Outputs>(
  f: (...args: Variable[]) => T,
  options: VmapOptions = {},
): (...args: Operand[]) => T {
  if (typeof f !== 'function') throw new ValueError(`vmap: f must be a function, got ${describe(f)}`);
  const outAxes = options.outAxes ?? 0;
  checkAxis('outAxes', outAxes);
  if (Array.isArray(options.inAxes)) options.inAxes.forEach((a: unknown, i) => checkAxis(`inAxes[${i}]`, a));
  else checkAxis('inAxes', options.inAxes ?? 0);
  return (...operands: Operand[]) => {
    const axes = axesFor(options.inAxes, operands.length);
    const args = operands.map((o) => asVariable('vmap', o));
    const size = batchSize(args, axes);
    const outer = activeBatchLevels();
    // Moved with only the outer levels open: an argument may be a batched value of an outer vmap.
    const fronts = args.map((v, i) => (axes[i] === null ? v : toFront(v, normalizeAxis('vmap', axes[i]!, v.ndim))));
    return withNewBatchLevel(size, (level) => {
      const inputs = fronts.map((v, i) => (axes[i] === null ? v : new BatchedVariable(v, level)));
      const outputs = f(...inputs);
      return withBatchLevels(outer, () => mapOutputs('vmap', outputs, (y) => stacked(y, level, outAxes))) as T;
    });
  };
}

/** The common batch size of the batched arguments, or a named error. */
function batchSize(args: readonly Variable[], axes: readonly (number | null)[]): number {
  let size: number | null = null;
  let first = -1;
  args.forEach((v, i) => {
    const axis = axes[i];
    if (axis === null) return;
    if (axis < -v.ndim || axis >= v.ndim) {
      throw new IndexError(
        `vmap: inAxes[${i}] = ${axis} is out of range for argument ${i} of shape ${formatShape(v.shape)} (${v.ndim === 0 ? 'a 0-d value has no axis to map over; pass null for it' : `valid axes are ${-v.ndim}..${v.ndim - 1}`})`,
      );
    }
    const n = v.shape[axis < 0 ? axis + v.ndim : axis];
    if (size === null) {
      size = n;
      first = i;
    } else if (n !== size) {
      throw new ShapeError(
        `vmap: the batched arguments have different batch sizes: argument ${first} has ${size} along axis ${axes[first]} (shape ${formatShape(args[first].shape)}), argument ${i} has ${n} along axis ${axis} (shape ${formatShape(v.shape)})`,
      );
    }
  });
  if (size === null) {
    throw new ValueError(
      `vmap: no argument is batched (inAxes are all null, or f got no arguments); give at least one argument a batch axis`,
    );
  }
  return size;
}

/** An output of f as the whole batch with the batch axis at `outAxes`; an unbatched one is repeated. */
function stacked(y: Variable, level: Level, outAxes: number): Variable {
  const whole =
    isBatched(y) && y.level === level ? y.inner : y.reshape([1, ...y.shape]).broadcastTo([level.size, ...y.shape]);
  return fromFront(whole, normalizeAxis('vmap (outAxes)', outAxes, whole.ndim));
}

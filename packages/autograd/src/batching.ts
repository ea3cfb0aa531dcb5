import { type AxisSpec, type DType, ShapeError, Tensor, formatShape, normalizeAxes, normalizeAxis } from '@nn/tensor';
import { activeForwardLevels, hasActiveTangent } from './dual.js';
import { AutogradError } from './errors.js';
import type { Function, Operand } from './function.js';
import type { Variable, constantLike } from './variable.js';

/**
 * Batching for `vmap`. While `vmap(f)` runs, f sees *batched values*: each looks like one example
 * (its `shape` is the per-example shape) and holds the whole batch inside, as an ordinary Variable
 * with the batch axis first (`inner`), tagged with the vmap *level* it belongs to:
 *
 *   xs (B,D) ──vmap──► x: BatchedVariable { shape (D), inner xs (B,D), level 1 }
 *   x.matmul(W) ──► MatMul's batching rule on (xs, W): xs·W, one product for the whole batch
 *               ──► BatchedVariable { shape (H), inner (B,H), level 1 }
 *
 * When a node meets a batched input, it does not run its forward on one example: its batching
 * rule (`batch`, beside its forward, backward and jvp) maps the batched inputs to the batched
 * output with ordinary differentiable operations on the whole batch. The graph those operations
 * record is an ordinary graph, so `grad` inside vmap differentiates it (per-example gradients in
 * one pass) and `grad` outside vmap differentiates through it.
 *
 * Each vmap opens a level; a batching rule runs with only the outer levels open, so in
 * vmap(vmap(f)) the inner level's values hold values of the outer level (one batch axis each).
 * A batched value's elements cannot be read inside vmap (`data`, `item()`, `toArray()` throw):
 * they would be the elements of no example in particular.
 */

/** One vmap level: its id (inner levels have larger ids) and its batch size. */
export interface Level {
  readonly id: number;
  readonly size: number;
  /** The jvp levels open when this vmap began: a jvp opened inside it cannot pass a batched node. */
  readonly forwardLevels: readonly number[];
}

/** What `vmap` hands to f and what batched nodes return: see `BatchedVariable` in vmap.ts. */
export interface Batched extends Variable {
  /** The value with this level's batch axis first (a value of the outer levels). */
  readonly inner: Variable;
  readonly level: Level;
}

/**
 * One input of a batching rule: `value` holds the whole batch with the batch axis first when
 * `batched`; otherwise it is the input itself, the same for every example.
 */
export interface BatchedInput {
  readonly value: Variable;
  readonly batched: boolean;
}

type BatchedClass = new (inner: Variable, level: Level) => Batched;
let BatchedVariableClass: BatchedClass | null = null;
let constant: typeof constantLike;

/** @internal Called once by vmap.ts: the batched value class and the constant maker. */
export function bindBatchedVariable(cls: BatchedClass, makeConstant: typeof constantLike): void {
  BatchedVariableClass = cls;
  constant = makeConstant;
}

const NONE: readonly Level[] = Object.freeze([]);

/** The open vmap levels, outermost first; empty outside vmap (then nodes do no batching work). */
let active: readonly Level[] = NONE;
let levelCounter = 0;

/** @internal True while some vmap is running. */
export function isBatchingActive(): boolean {
  return active.length > 0;
}

/** @internal The open levels, outermost first. */
export function activeBatchLevels(): readonly Level[] {
  return active;
}

/** @internal Opens a level of batch size `size` while `fn` runs (in a finally). */
export function withNewBatchLevel<T>(size: number, fn: (level: Level) => T): T {
  const level: Level = { id: ++levelCounter, size, forwardLevels: activeForwardLevels() };
  const previous = active;
  active = [...previous, level];
  try {
    return fn(level);
  } finally {
    active = previous;
  }
}

/** @internal Runs `fn` with exactly `levels` open: what a rule, or an unwrapping, runs under. */
export function withBatchLevels<T>(levels: readonly Level[], fn: () => T): T {
  const previous = active;
  active = levels;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** @internal Whether `v` is a batched value (of any level, open or closed). */
export function isBatched(v: unknown): v is Batched {
  return BatchedVariableClass !== null && v instanceof BatchedVariableClass;
}

/** @internal Wraps `inner` (batch axis first) as a batched value of `level`. */
export function wrapBatched(inner: Variable, level: Level): Batched {
  return new BatchedVariableClass!(inner, level);
}

/** @internal The ordinary Variable under a batched value, and the levels it is batched at (outermost first). */
export function unwrapAll(v: Variable): { real: Variable; levels: Level[] } {
  const levels: Level[] = [];
  let at = v;
  while (isBatched(at)) {
    levels.unshift(at.level);
    at = at.inner;
  }
  return { real: at, levels };
}

/** @internal Wraps an ordinary Variable again at `levels` (outermost first): the inverse of unwrapAll. */
export function wrapAll(real: Variable, levels: readonly Level[]): Variable {
  return levels.reduce<Variable>((v, level) => wrapBatched(v, level), real);
}

/**
 * @internal `v` batched at every open level: where it is not, each example gets the same value
 * (a broadcast, no copy). `grad` inside vmap differentiates such values, so that an input shared
 * by the examples still gets one gradient per example.
 */
export function batchEverywhere(v: Variable, levels: readonly Level[] = active): Variable {
  if (levels.length === 0) return v;
  const level = levels[levels.length - 1];
  const outer = levels.slice(0, -1);
  const inner = withBatchLevels(outer, () => {
    const whole = isBatched(v) && v.level === level ? v.inner : spread(v, level.size);
    return batchEverywhere(whole, outer);
  });
  return wrapBatched(inner, level);
}

/** The same value for each of `size` examples, on a new first axis (a stride-0 view). */
function spread(v: Variable, size: number): Variable {
  return v.reshape([1, ...v.shape]).broadcastTo([size, ...v.shape]);
}

/**
 * @internal Runs `node` on operands of which some are batched at an open level: the node's
 * batching rule, at the innermost such level, with only the levels outside it open. Returns
 * null when no operand is batched (the node then runs as usual).
 */
export function applyBatched(node: Function, operands: readonly Operand[]): Variable[] | null {
  let level: Level | null = null;
  for (const o of operands) {
    if (!isBatched(o)) continue;
    if (!active.includes(o.level)) throw escaped(node, o);
    if (level === null || o.level.id > level.id) level = o.level;
  }
  if (level === null) return null;
  checkNoInnerTangents(node, operands, level);
  const like = dtypeOf(operands);
  const inputs: BatchedInput[] = operands.map((o) =>
    isBatched(o) && o.level === level
      ? { value: o.inner, batched: true }
      : { value: isVariable(o) ? o : constant(node, o, like), batched: false },
  );
  const below = active.slice(0, active.indexOf(level));
  const returned = withBatchLevels(below, () => node.batch(inputs, level.size));
  const outputs = Array.isArray(returned) ? returned : [returned as Variable];
  return outputs.map((y, k) => wrapBatched(checkBatchedOutput(node, y, k, level.size), level));
}

function isVariable(o: Operand): o is Variable {
  return typeof o === 'object' && !(o instanceof Tensor);
}

function dtypeOf(operands: readonly Operand[]): DType | null {
  for (const o of operands) if (typeof o === 'object') return o.dtype;
  return null;
}

function checkBatchedOutput(node: Function, y: unknown, k: number, size: number): Variable {
  const v = y as Variable;
  if (typeof y !== 'object' || y === null || y instanceof Tensor || v.ndim === undefined || v.ndim < 1) {
    throw new AutogradError(
      `vmap: ${node.name}'s batching rule must return Variables with the batch axis first (output ${k})`,
    );
  }
  if (v.shape[0] !== size) {
    throw new AutogradError(
      `vmap: ${node.name}'s batching rule returned output ${k} of shape ${formatShape(v.shape)}, whose first axis is not the batch of ${size}`,
    );
  }
  return v;
}

/**
 * A jvp opened inside this vmap would give tangents to batched values, which batching rules do
 * not carry: refuse rather than return a zero tangent. (jvp outside vmap works: its tangents ride
 * on the ordinary values the rules compute with.)
 */
function checkNoInnerTangents(node: Function, operands: readonly Operand[], level: Level): void {
  const inner = activeForwardLevels().filter((l) => !level.forwardLevels.includes(l));
  if (inner.length === 0) return;
  if (operands.some((o) => isVariable(o) && hasActiveTangent(o, inner))) {
    throw new AutogradError(
      `vmap: ${node.name} got a batched input and a tangent of a jvp running inside vmap; jvp, hvp and hessian inside vmap are not supported. Put the jvp outside (jvp(vmap(f))), or use jacobian with mode 'rev' inside vmap`,
    );
  }
}

function escaped(node: Function, v: Batched): AutogradError {
  return new AutogradError(
    `vmap: ${node.name} got a batched value of shape ${formatShape(v.shape)} whose vmap has already returned (it escaped, e.g. through a variable outside f); return it from f instead, so vmap stacks it`,
  );
}

// ---- helpers for batching rules -------------------------------------------------------------------

/** @internal The per-example ndim of a rule's input. */
export function exampleNdim(input: BatchedInput): number {
  return input.batched ? input.value.ndim - 1 : input.value.ndim;
}

/** @internal The per-example shape of a rule's input. */
export function exampleShape(input: BatchedInput): readonly number[] {
  return input.batched ? input.value.shape.slice(1) : input.value.shape;
}

/**
 * @internal The inputs of a broadcasting node, ready to broadcast as the whole batch: a batched
 * input of fewer per-example axes than the others gets size-1 axes after its batch axis (so
 * NumPy's alignment from the right pairs example axes with example axes); an unbatched input
 * broadcasts over the batch axis as it is.
 */
export function alignForBroadcast(inputs: readonly BatchedInput[]): Variable[] {
  const ndim = Math.max(...inputs.map(exampleNdim));
  return inputs.map((input) => padExampleAxes(input, ndim));
}

/** @internal A batched input with size-1 axes after the batch axis up to `ndim` example axes. */
export function padExampleAxes(input: BatchedInput, ndim: number): Variable {
  const have = exampleNdim(input);
  if (!input.batched || have >= ndim) return input.value;
  const [size, ...rest] = input.value.shape;
  return input.value.reshape([size, ...new Array<number>(ndim - have).fill(1), ...rest]);
}

/** @internal The input as the whole batch: an unbatched one repeated for each example (a broadcast view). */
export function asBatch(input: BatchedInput, size: number): Variable {
  return input.batched ? input.value : spread(input.value, size);
}

/** @internal A per-example axis as an axis of the whole batch (normalized, then shifted past the batch axis). */
export function batchAxis(op: string, axis: number, exampleNdim: number): number {
  return normalizeAxis(op, axis, exampleNdim) + 1;
}

/** @internal Per-example axes (undefined: all) as axes of the whole batch. */
export function batchAxes(op: string, axis: AxisSpec | undefined, exampleNdim: number): number[] {
  return normalizeAxes(op, axis, exampleNdim).map((a) => a + 1);
}

/** @internal A per-example shape with a -1 resolved against `size` elements per example. */
export function resolveShape(op: string, shape: readonly number[], size: number): number[] {
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const free = shape.filter((d) => d === -1).length;
  if (free === 0) return [...shape];
  if (free > 1 || known === 0 || size % known !== 0)
    throw new ShapeError(`${op}: cannot reshape ${size} elements per example to ${formatShape(shape)}`);
  return shape.map((d) => (d === -1 ? size / known : d));
}

// ---- gradients inside vmap --------------------------------------------------------------------------

/** The options of the engine's `gradients` this module passes on (a structural copy, no import cycle). */
interface GradientsCall {
  createGraph?: boolean;
  retainGraph?: boolean;
  gradOutputs?: readonly (Operand | null | undefined)[];
}
type GradientsFunction = (
  outputs: readonly Variable[],
  inputs: readonly Variable[],
  options: GradientsCall,
) => (Variable | null)[];

/**
 * @internal `gradients` inside vmap, called by the engine with itself as `gradients`: one gradient
 * per example. The batched outputs and inputs are unwrapped to the ordinary graph the batching
 * rules recorded, each output seeded with its seed for every example, and the gradients wrapped
 * again. Since every example's output depends only on that example's inputs, the gradient of the
 * sum over the examples, read at example b, is example b's gradient. Returns null when nothing is
 * batched. The inputs must be batched at every open level (grad and vjp see to it: batchEverywhere).
 */
export function perExampleGradients(
  outputs: readonly Variable[],
  inputs: readonly Variable[],
  options: GradientsCall,
  gradients: GradientsFunction,
): (Variable | null)[] | null {
  if (!outputs.some(isBatched) && !inputs.some(isBatched)) return null;
  const levels = active;
  const wrt = inputs.map((x, i) => {
    const { real, levels: at } = unwrapAll(x);
    if (at.length !== levels.length) {
      throw new AutogradError(
        `gradients: input ${i} (shape ${formatShape(x.shape)}) is not batched by every running vmap, so its gradient would be summed over the examples; use grad or vjp inside vmap, which give one gradient per example`,
      );
    }
    return { real, at };
  });
  const roots: Variable[] = [];
  const seeds: Variable[] = [];
  outputs.forEach((y, i) => {
    const { real, levels: at } = unwrapAll(y);
    // Not batched by every vmap: it depends on no input (they all are), so it adds nothing.
    if (at.length !== levels.length || !real.requiresGrad) return;
    roots.push(real);
    seeds.push(unwrapAll(batchEverywhere(seedOf(y, options.gradOutputs?.[i], i))).real);
  });
  if (roots.length === 0) return inputs.map(() => null);
  const gs = withBatchLevels(NONE, () =>
    gradients(
      roots,
      wrt.map((w) => w.real),
      { createGraph: options.createGraph, retainGraph: options.retainGraph, gradOutputs: seeds },
    ),
  );
  return gs.map((g, i) => (g === null ? null : wrapAll(g, wrt[i].at)));
}

/** Output i's per-example seed: the one given (per-example shape), or 1 for a one-element output. */
function seedOf(y: Variable, given: Operand | null | undefined, i: number): Variable {
  if (given === null || given === undefined) {
    if (y.size !== 1) {
      throw new AutogradError(
        `gradients: output ${i} has shape ${formatShape(y.shape)} per example; give its gradOutputs seed (one example's shape) for anything but a one-element output`,
      );
    }
    return constant('gradients', 1, y.dtype).reshape([...y.shape]);
  }
  const seed = isVariable(given) ? given : constant('gradients', given, y.dtype);
  const shape = seed.shape;
  if (shape.length !== y.ndim || shape.some((d, k) => d !== y.shape[k])) {
    throw new ShapeError(
      `gradients: the seed of output ${i} has shape ${formatShape(shape)} but the output has shape ${formatShape(y.shape)} per example`,
    );
  }
  return seed;
}

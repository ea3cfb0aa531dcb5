import { formatShape, zeros } from '@nn/tensor';
import { batchEverywhere, isBatchingActive, unwrapAll, wrapAll } from './batching.js';
import { AutogradError } from './errors.js';
import { gradients } from './engine.js';
import type { Operand } from './function.js';
import { enableGrad } from './mode.js';
import { Variable, asVariable } from './variable.js';

/**
 * Functional transforms in the style of JAX: `grad(f)` is a function computing gradients of f.
 * They never touch any Variable's `grad`. Nesting works (`grad(grad(f))`): a transform called
 * while another is running records its backward pass (createGraph), so the outer one can
 * differentiate through it. At top level the backward pass is recorded only when an argument is
 * a Variable that requires grad (so that `grad(f)(x).backward()` also works).
 */

/** A function of Variables returning a Variable. */
export type DifferentiableFunction = (...args: Variable[]) => Variable;

let depth = 0; // functional transforms currently evaluating

/** @internal The arguments of a transform as Variables, and those it differentiates. */
export interface Prepared {
  args: Variable[];
  wrt: Variable[];
  createGraph: boolean;
}

/**
 * @internal The operands as Variables; those at `chosen` become leaves that require grad (a fresh
 * one for a value that does not). `createGraph`: whether the backward must be recorded.
 */
export function prepare(op: string, operands: readonly Operand[], chosen: readonly number[]): Prepared {
  let createGraph = depth > 0;
  const args = operands.map((a, i) => {
    if (!chosen.includes(i)) return asVariable(op, a);
    if (isBatchingActive()) {
      const { leaf, connected } = perExampleLeaf(asVariable(op, a));
      createGraph ||= connected;
      return leaf;
    }
    if (a instanceof Variable && a.requiresGrad) {
      createGraph = true;
      return a;
    }
    // A fresh leaf for the same value: it keeps the value's tangents inside jvp (forward-over-reverse).
    const v = asVariable(op, a);
    const leaf = new Variable(v.data, { requiresGrad: true });
    leaf.duals = v.duals;
    return leaf;
  });
  for (const i of chosen) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length)
      throw new AutogradError(`${op}: argnum ${i} is out of range for ${args.length} arguments`);
  }
  return { args, wrt: chosen.map((i) => args[i]), createGraph };
}

/**
 * Inside vmap, what a transform differentiates must be batched by every vmap, even an argument
 * the examples share (each example gets its own copy, a broadcast), or its gradient would be the
 * sum over the examples. `connected`: the value is part of an outer graph (so record backward).
 */
function perExampleLeaf(v: Variable): { leaf: Variable; connected: boolean } {
  const everywhere = batchEverywhere(v);
  const { real, levels } = unwrapAll(everywhere);
  if (real.requiresGrad) return { leaf: everywhere, connected: true };
  const leaf = new Variable(real.data, { requiresGrad: true });
  leaf.duals = real.duals;
  return { leaf: wrapAll(leaf, levels), connected: false };
}

/** @internal Runs f with recording on, counted as a transform evaluating (so nested ones record). */
export function evaluate<T>(f: (...args: Variable[]) => T, args: readonly Variable[]): T {
  depth++;
  try {
    return enableGrad(() => f(...args));
  } finally {
    depth--;
  }
}

/** @internal The gradients of y for `wrt`, zeros where y does not depend on one. */
export function gradientsOrZeros(
  y: Variable,
  wrt: readonly Variable[],
  createGraph: boolean,
  retainGraph: boolean,
  seed?: Operand,
): Variable[] {
  // An output that does not depend on any argument has zero gradients.
  if (!y.requiresGrad) return wrt.map((x) => zerosFor(x));
  const gs = gradients([y], wrt, { createGraph, retainGraph, gradOutputs: [seed] });
  return gs.map((g, i) => g ?? zerosFor(wrt[i]));
}

/** @internal A constant of zeros shaped like x. */
export function zerosFor(x: Variable): Variable {
  return new Variable(zeros(x.shape, { dtype: x.dtype }), { requiresGrad: false });
}

/** @internal f's one-element value and its gradients for the arguments at `argnums`; `op` names errors. */
export function valueAndGradients(
  op: string,
  f: DifferentiableFunction,
  argnums: number | readonly number[],
  operands: readonly Operand[],
): [Variable, Variable[]] {
  const chosen = typeof argnums === 'number' ? [argnums] : argnums;
  const { args, wrt, createGraph } = prepare(op, operands, chosen);
  const y = evaluate(f, args);
  if (!(y instanceof Variable) || y.size !== 1) {
    throw new AutogradError(
      `${op}: f must return a one-element Variable, got ${y instanceof Variable ? `shape ${formatShape(y.shape)}` : typeof y} (use vjp for non-scalar outputs)`,
    );
  }
  return [y, gradientsOrZeros(y, wrt, createGraph, createGraph)];
}

/**
 * Returns a function computing the gradient of the scalar-valued `f` with respect to argument
 * `argnums` (default 0), or to each of several arguments when `argnums` is an array.
 * Arguments may be Variables, Tensors or numbers.
 *
 * @example
 * const f = (x: Variable) => x.pow(4).sub(x.square().mul(2));
 * grad(f)(2).item();        // f'(2)  = 24
 * grad(grad(f))(2).item();  // f''(2) = 44
 * const [dx, dy] = grad((x, y) => x.mul(y), [0, 1])(3, 4); // 4, 3
 */
export function grad(f: DifferentiableFunction, argnums?: number): (...args: Operand[]) => Variable;
export function grad(f: DifferentiableFunction, argnums: readonly number[]): (...args: Operand[]) => Variable[];
export function grad(
  f: DifferentiableFunction,
  argnums: number | readonly number[] = 0,
): (...args: Operand[]) => Variable | Variable[] {
  return (...args: Operand[]) => {
    const [, gs] = valueAndGradients('grad', f, argnums, args);
    return typeof argnums === 'number' ? gs[0] : gs;
  };
}

/**
 * Like `grad`, but returns `[value, gradient]` from one evaluation of `f`.
 *
 * @example
 * const [loss, dW] = valueAndGrad((W: Variable) => x.matmul(W).square().sum())(W0);
 */
export function valueAndGrad(f: DifferentiableFunction, argnums?: number): (...args: Operand[]) => [Variable, Variable];
export function valueAndGrad(
  f: DifferentiableFunction,
  argnums: readonly number[],
): (...args: Operand[]) => [Variable, Variable[]];
export function valueAndGrad(
  f: DifferentiableFunction,
  argnums: number | readonly number[] = 0,
): (...args: Operand[]) => [Variable, Variable | Variable[]] {
  return (...args: Operand[]) => {
    const [y, gs] = valueAndGradients('valueAndGrad', f, argnums, args);
    return [y, typeof argnums === 'number' ? gs[0] : gs];
  };
}

/**
 * Evaluates `f` at `primals` and returns `[output, vjpFn]`; `vjpFn(cotangent)` gives the
 * vector-Jacobian product (the gradient of `Σ cotangent·output`) for every primal. `f` may
 * return any shape; `vjpFn` may be called many times.
 *
 * @example
 * const [y, vjpFn] = vjp((x: Variable) => x.square(), tensor([1, 2, 3]));
 * vjpFn(ones([3]))[0].toArray(); // [2, 4, 6]
 */
export function vjp(f: DifferentiableFunction, ...primals: Operand[]): [Variable, (cotangent: Operand) => Variable[]] {
  const { args, wrt, createGraph } = prepare(
    'vjp',
    primals,
    primals.map((_, i) => i),
  );
  const y = evaluate(f, args);
  if (!(y instanceof Variable)) throw new AutogradError(`vjp: f must return a Variable, got ${typeof y}`);
  return [y, (cotangent: Operand) => gradientsOrZeros(y, wrt, createGraph || depth > 0, true, cotangent)];
}

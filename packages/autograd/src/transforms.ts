import { DTypeError, ShapeError, Tensor, ValueError, eye, formatShape, sameShape, zeros } from '@nn/tensor';
import { dropTangent, setTangent, tangentAt, withNewLevel } from './dual.js';
import { AutogradError } from './errors.js';
import type { Operand } from './function.js';
import { evaluate, gradientsOrZeros, prepare, valueAndGradients } from './functional.js';
import { concat } from './ops/movement.js';
import { Variable, asVariable } from './variable.js';
import { vmap } from './vmap.js';

/**
 * Function transforms beyond `grad`/`vjp`: forward mode (`jvp`), whole Jacobians (`jacobian`, by
 * reverse or forward mode), Hessians (`hessian`, forward-over-reverse) and Hessian-vector
 * products (`hvp`). See docs/transforms.md.
 *
 * Forward mode runs f once with dual values (see dual.ts): each node computes its output's
 * tangent with its `jvp` rule right after its forward, so J·v costs one pass whatever the number
 * of outputs, as a gradient costs one backward pass whatever the number of inputs.
 */

/** What a transformed function may return: a Variable, or arrays / plain objects of them, nested. */
export type Outputs = Variable | readonly Outputs[] | { readonly [key: string]: Outputs };

/** The Jacobian tree of `jacobian` (and `hessian`): f's output tree, with Jacobians at its leaves. */
export type Jacobians = Variable | readonly Jacobians[] | { readonly [key: string]: Jacobians };

/** Options of `jacobian`. */
export interface JacobianOptions {
  /**
   * `'rev'` (default): one vector-Jacobian product per output element (batched into one backward
   * pass where every node has a batching rule), best when the outputs are fewer than the inputs. `'fwd'`: one Jacobian-vector product (a forward
   * pass with tangents) per input element, best when the inputs are fewer.
   */
  mode?: 'rev' | 'fwd';
}

// ---- output trees --------------------------------------------------------------------------------

/** @internal Maps every Variable of an output tree, keeping its arrays and objects; anything else is an error. */
export function mapOutputs<R>(op: string, value: unknown, fn: (y: Variable) => R, path = 'output'): unknown {
  if (value instanceof Variable) return fn(value);
  if (Array.isArray(value)) return value.map((v, i) => mapOutputs(op, v, fn, `${path}[${i}]`));
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = mapOutputs(op, v, fn, `${path}.${key}`);
    return out;
  }
  throw new AutogradError(
    `${op}: f must return a Variable, or arrays / plain objects of Variables; ${path} is ${describe(value)}`,
  );
}

/** The Variables of an output tree, in the order mapOutputs visits them. */
function leavesOf(op: string, value: unknown): Variable[] {
  const leaves: Variable[] = [];
  mapOutputs(op, value, (y) => leaves.push(y));
  return leaves;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** @internal A value in words, for errors. */
export function describe(value: unknown): string {
  if (value instanceof Tensor) return 'a Tensor (wrap it: variable(t), or compute it from the arguments)';
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return `a ${typeof value} (${String(value)})`;
}

// ---- jvp -----------------------------------------------------------------------------------------

const isFloat = (v: Variable) => v.dtype === 'float32' || v.dtype === 'float64';

/** How a transform names its primals and tangents in errors: jvp's words, or hvp's. */
interface Words {
  op: string;
  primal: string;
  tangent: string;
}
const JVP_WORDS: Words = { op: 'jvp', primal: 'primal', tangent: 'tangent' };

/** The tangent given for primal `i`, checked against it: same shape, same float dtype. */
function tangentFor(words: Words, primal: Variable, tangent: Operand, i: number): Variable {
  const { op, primal: p, tangent: t } = words;
  if (!isFloat(primal)) {
    throw new DTypeError(
      `${op}: ${p} ${i} has dtype ${primal.dtype}; only float32 and float64 values take a ${t}${op === 'jvp' ? ' (pass null for it)' : ''}`,
    );
  }
  if (!(tangent instanceof Variable || tangent instanceof Tensor || typeof tangent === 'number')) {
    throw new ValueError(`${op}: ${t} ${i} must be a Variable, a Tensor or a number, got ${describe(tangent)}`);
  }
  const v = asVariable(op, tangent, primal.dtype);
  if (v.dtype !== primal.dtype) {
    throw new DTypeError(
      `${op}: ${t} ${i} has dtype ${v.dtype} but ${p} ${i} has dtype ${primal.dtype}; a ${t} must have its ${p}'s dtype`,
    );
  }
  if (!sameShape(v.shape, primal.shape)) {
    throw new ShapeError(
      `${op}: ${t} ${i} has shape ${formatShape(v.shape)} but ${p} ${i} has shape ${formatShape(primal.shape)}; a ${t} must have its ${p}'s shape`,
    );
  }
  return v;
}

/** The primals as Variables, each its own object (a Variable passed twice gets a copy, if it can). */
function primalVariables(op: string, primals: readonly Operand[]): Variable[] {
  const args: Variable[] = [];
  primals.forEach((p, i) => {
    const v = asVariable(op, p);
    const earlier = args.indexOf(v);
    if (earlier < 0) return args.push(v);
    if (v.requiresGrad) {
      throw new AutogradError(
        `${op}: primals ${earlier} and ${i} are the same Variable, so their tangents cannot be told apart; pass it once, or pass a copy (e.g. x.mul(1)) as the second`,
      );
    }
    const copy = new Variable(v.data, { requiresGrad: false });
    copy.duals = v.duals;
    args.push(copy);
  });
  return args;
}

function checkArrays(op: string, primals: unknown, tangents: unknown): void {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new AutogradError(
      `${op}: primals and tangents must be arrays, one entry per argument of f, e.g. ${op}(f, [x], [v]); got ${describe(Array.isArray(primals) ? tangents : primals)}`,
    );
  }
  if (primals.length !== tangents.length) {
    throw new AutogradError(
      `${op}: got ${primals.length} primals but ${tangents.length} tangents; give one tangent per primal (null for none)`,
    );
  }
}

/**
 * Forward-mode differentiation: evaluates `f(...primals)` and, in the same single pass, the
 * Jacobian-vector product J·tangents (the directional derivative of f along `tangents`). Returns
 * `[outputs, outputTangents]`, the tangents arranged like f's outputs (a Variable, or arrays /
 * objects of them). Each tangent must have its primal's shape and dtype; `null` is a zero tangent.
 *
 * Every built-in node has a forward-mode rule (its `jvp`, beside its forward and backward); a
 * custom `Function` needs one too, or jvp through it throws naming it. The rules are
 * differentiable, so transforms nest: `jvp` of `grad` (forward-over-reverse) is how `hessian`
 * and `hvp` work, and `grad` of a jvp's tangent works too.
 *
 * @example
 * const [y, dy] = jvp((x: Variable) => x.sin(), [0.5], [1]); // sin(0.5), cos(0.5)
 * const [, [da, db]] = jvp((a: Variable, b: Variable) => [a.mul(b), a.add(b)], [3, 4], [1, 0]); // 4, 1
 */
export function jvp<T extends Outputs>(
  f: (...primals: Variable[]) => T,
  primals: readonly Operand[],
  tangents: readonly (Operand | null | undefined)[],
): [T, T] {
  checkArrays('jvp', primals, tangents);
  const args = primalVariables('jvp', primals);
  const given = args.map((v, i) => {
    const t = tangents[i];
    return t === null || t === undefined ? null : tangentFor(JVP_WORDS, v, t, i);
  });
  return withNewLevel((level) => {
    args.forEach((v, i) => given[i] !== null && setTangent(v, level, given[i]!));
    try {
      const outputs = f(...args);
      const outputTangents = mapOutputs('jvp', outputs, (y) => {
        const t = tangentAt(y, level);
        // An output that does not depend on the primals (or is not float) has a zero tangent.
        return t ?? new Variable(zeros(y.shape, { dtype: y.dtype }), { requiresGrad: false });
      }) as T;
      // The level is over: what is handed back keeps no tangent of it.
      mapOutputs('jvp', outputs, (y) => dropTangent(y, level));
      return [outputs, outputTangents];
    } finally {
      for (const v of args) dropTangent(v, level);
    }
  });
}

// ---- jacobian ------------------------------------------------------------------------------------

/** Stacks equal-shaped Variables along a new axis `axis` (0 or their ndim), as graph ops. */
function stack(pieces: readonly Variable[], axis: 'first' | 'last'): Variable {
  const shape = pieces[0].shape;
  const lifted = pieces.map((p) => p.reshape(axis === 'first' ? [1, ...shape] : [...shape, 1]));
  return lifted.length === 1 ? lifted[0] : concat(lifted, axis === 'first' ? 0 : shape.length);
}

/** A one-hot Tensor: 1 at flat position k of `shape`, 0 elsewhere. */
function basis(shape: readonly number[], dtype: Variable['dtype'], k: number): Tensor {
  const e = zeros(shape, { dtype });
  e.data[k] = 1;
  return e;
}

function zerosJacobian(y: Variable, x: Variable): Variable {
  return new Variable(zeros([...y.shape, ...x.shape], { dtype: y.dtype }), { requiresGrad: false });
}

/** Reverse mode: f runs once; row k of ∂y/∂x_i is the gradient of y's element k, one backward pass each. */
function jacobianRev(f: (...args: Variable[]) => Outputs, xs: readonly Operand[], several: boolean): Jacobians {
  const { args, wrt, createGraph } = prepare(
    'jacobian',
    xs,
    xs.map((_, i) => i),
  );
  const outputs = evaluate(f, args);
  return mapOutputs('jacobian', outputs, (y) => {
    const Js = (() => {
      if (y.size === 0 || !y.requiresGrad || !isFloat(y)) return wrt.map((x) => zerosJacobian(y, x));
      const rows = batchedRows(y, wrt, createGraph) ?? rowByRow(y, wrt, createGraph);
      return wrt.map((x, i) => rows[i].reshape([...y.shape, ...x.shape]));
    })();
    return several ? Js : Js[0];
  }) as Jacobians;
}

/** One backward pass per element of y, its one-hot seed: rows[i] stacks ∂y_k/∂x_i over k. */
function rowByRow(y: Variable, wrt: readonly Variable[], createGraph: boolean): Variable[] {
  const rows = wrt.map((): Variable[] => []);
  for (let k = 0; k < y.size; k++) {
    // The graph is kept for the next row; it is garbage once the Jacobian is built.
    const gs = gradientsOrZeros(y, wrt, createGraph, true, basis(y.shape, y.dtype, k));
    gs.forEach((g, i) => rows[i].push(g));
  }
  return rows.map((r) => stack(r, 'first'));
}

/** How many elements (seeds × the larger of y and the inputs) one batched backward may hold. */
const BATCHED_ROWS_BUDGET = 1 << 22;

/**
 * All rows at once: vmap over the one-hot seeds (the identity's rows, in chunks that fit the
 * budget), so one backward pass runs every row by the backward nodes' batching rules, as JAX's
 * jacrev does. Returns null when some node on the way has no batching rule (the gradient nodes
 * of conv and of the fused loss), or cannot run batched: then rowByRow gives the same rows.
 */
function batchedRows(y: Variable, wrt: readonly Variable[], createGraph: boolean): Variable[] | null {
  const n = y.size;
  const width = Math.max(n, ...wrt.map((x) => x.size));
  const chunk = Math.max(1, Math.min(n, Math.floor(BATCHED_ROWS_BUDGET / width)));
  const pieces = wrt.map((): Variable[] => []);
  const rowsOf = vmap((seed: Variable) => gradientsOrZeros(y, wrt, createGraph, true, seed));
  try {
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const seeds = eye(count, n, start, { dtype: y.dtype }).reshape([count, ...y.shape]);
      rowsOf(seeds).forEach((g, i) => pieces[i].push(g));
    }
  } catch {
    return null;
  }
  return pieces.map((p) => (p.length === 1 ? p[0] : concat(p, 0)));
}

/**
 * The Jacobian of `f` at `x`: for an output y and an input x, a Variable of shape
 * `[...y.shape, ...x.shape]` with J[i..., j...] = ∂y[i...]/∂x[j...]. With several inputs (`x` an
 * array) each output gives an array of Jacobians, one per input; with several outputs (f returns
 * arrays / objects of Variables) the result has the same arrangement.
 *
 * `mode: 'rev'` (default, jacrev) runs f once and one vector-Jacobian product per output element,
 * all in one backward pass batched by vmap (one pass per element where a node on the way has no
 * batching rule); `'fwd'` (jacfwd) runs one jvp (a forward pass with tangents) per input element. Both give the same
 * numbers; pick the one with fewer passes. The result is differentiable (nest it, or take
 * `jacobian` of `jacobian`).
 *
 * @example
 * const J = jacobian((x: Variable) => x.square(), tensor([1, 2, 3]));             // diag(2, 4, 6)
 * const [Ja, Jb] = jacobian((a, b) => a.mul(b), [tensor([1, 2]), tensor([3, 4])], { mode: 'fwd' });
 */
export function jacobian(f: (...args: Variable[]) => Variable, x: Operand, options?: JacobianOptions): Variable;
export function jacobian(
  f: (...args: Variable[]) => Variable,
  x: readonly Operand[],
  options?: JacobianOptions,
): Variable[];
export function jacobian(
  f: (...args: Variable[]) => Outputs,
  x: Operand | readonly Operand[],
  options?: JacobianOptions,
): Jacobians;
export function jacobian(
  f: (...args: Variable[]) => Outputs,
  x: Operand | readonly Operand[],
  options: JacobianOptions = {},
): Jacobians {
  const mode = options.mode ?? 'rev';
  if (mode !== 'rev' && mode !== 'fwd')
    throw new ValueError(`jacobian: mode must be 'rev' or 'fwd', got ${JSON.stringify(mode)}`);
  const several = Array.isArray(x);
  const xs: readonly Operand[] = several ? x : [x as Operand];
  return mode === 'rev' ? jacobianRev(f, xs, several) : jacobianFwd('jacobian', f, xs, several);
}

/** Forward mode: column j of ∂y/∂x_i is the tangent of y along the basis vector e_j of x_i. */
function jacobianFwd(
  op: string,
  f: (...args: Variable[]) => Outputs,
  xs: readonly Operand[],
  several: boolean,
): Jacobians {
  const primals = xs.map((p) => asVariable(op, p));
  primals.forEach((p, i) => {
    if (!isFloat(p))
      throw new DTypeError(`${op}: input ${i} has dtype ${p.dtype}; a Jacobian needs float32 or float64 inputs`);
  });
  let structure: Outputs | null = null;
  // columns[i][leaf]: the tangents of that output leaf along each basis vector of input i.
  const columns = primals.map((): Variable[][] => []);
  primals.forEach((p, i) => {
    for (let k = 0; k < p.size; k++) {
      const tangents = primals.map((_, j) => (j === i ? basis(p.shape, p.dtype, k) : null));
      const [outputs, outputTangents] = jvp(f, primals, tangents);
      structure ??= outputs;
      leavesOf(op, outputTangents).forEach((t, leaf) => (columns[i][leaf] ??= []).push(t));
    }
  });
  // Every input empty: f still gives the arrangement (and shapes) of the outputs.
  structure ??= evaluate(f, primals);
  let leaf = 0;
  return mapOutputs(op, structure, (y) => {
    const at = leaf++;
    const Js = primals.map((p, i) =>
      p.size === 0 ? zerosJacobian(y, p) : stack(columns[i][at], 'last').reshape([...y.shape, ...p.shape]),
    );
    return several ? Js : Js[0];
  }) as Jacobians;
}

// ---- hessian and hvp -----------------------------------------------------------------------------

/**
 * The Hessian of the scalar-valued `f` at `x`, by forward-over-reverse: `jacobian` in forward
 * mode of the gradient, one jvp of grad per input element (each a forward and a backward pass
 * carrying tangents). For one input of shape S the result has shape `[...S, ...S]`; for several
 * inputs it is the block matrix `H[i][j]` of shape `[...S_i, ...S_j]`.
 *
 * @example
 * const rosenbrock = (x: Variable) => {
 *   const [x0, x1] = [x.getItem(0), x.getItem(1)];
 *   return x1.sub(x0.square()).square().mul(100).add(x0.sub(1).square());
 * };
 * hessian(rosenbrock, tensor([0, 2], { dtype: 'float64' })).toArray(); // [[-798, 0], [0, 200]]
 */
export function hessian(f: (...args: Variable[]) => Variable, x: Operand): Variable;
export function hessian(f: (...args: Variable[]) => Variable, x: readonly Operand[]): Variable[][];
export function hessian(
  f: (...args: Variable[]) => Variable,
  x: Operand | readonly Operand[],
): Variable | Variable[][] {
  const several = Array.isArray(x);
  const xs: readonly Operand[] = several ? x : [x as Operand];
  const argnums = xs.map((_, i) => i);
  const gradientOf = (...args: Variable[]) => valueAndGradients('hessian', f, argnums, args)[1];
  const H = jacobianFwd('hessian', gradientOf, xs, true) as Variable[][];
  return several ? H : H[0][0];
}

/**
 * The Hessian-vector product H·v of the scalar-valued `f` at `x`, without forming H: one jvp of
 * the gradient along v (forward-over-reverse), about the cost of two gradients. With several
 * inputs, `x` and `v` are arrays and the result is one product per input, (H·v)_i = Σ_j H_ij·v_j.
 *
 * @example
 * hvp((x: Variable) => x.pow(3).sum(), tensor([1, 2]), tensor([1, 1])).toArray(); // 6x·v = [6, 12]
 */
export function hvp(f: (...args: Variable[]) => Variable, x: Operand, v: Operand): Variable;
export function hvp(f: (...args: Variable[]) => Variable, x: readonly Operand[], v: readonly Operand[]): Variable[];
export function hvp(
  f: (...args: Variable[]) => Variable,
  x: Operand | readonly Operand[],
  v: Operand | readonly Operand[],
): Variable | Variable[] {
  const several = Array.isArray(x);
  if (several !== Array.isArray(v))
    throw new AutogradError(
      `hvp: x and v must both be arrays (several inputs) or both single values; got ${several ? 'an array x and a single v' : 'a single x and an array v'}`,
    );
  const xs: readonly Operand[] = several ? x : [x as Operand];
  const vs: readonly Operand[] = several ? (v as readonly Operand[]) : [v as Operand];
  if (xs.length !== vs.length)
    throw new AutogradError(`hvp: got ${xs.length} inputs but ${vs.length} vectors; give one vector per input`);
  const argnums = xs.map((_, i) => i);
  const gradientOf = (...args: Variable[]) => valueAndGradients('hvp', f, argnums, args)[1];
  // Checked here first, so that a wrong v is named as hvp's, not as a tangent of jvp.
  const primals = xs.map((p) => asVariable('hvp', p));
  const words = { op: 'hvp', primal: 'input', tangent: 'vector v' };
  const tangents = primals.map((p, i) => tangentFor(words, p, vs[i], i));
  const [, products] = jvp(gradientOf, primals, tangents);
  return several ? products : products[0];
}

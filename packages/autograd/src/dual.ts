import { formatShape, sameShape } from '@nn/tensor';
import { AutogradError } from './errors.js';
import type { Function } from './function.js';
import type { Variable } from './variable.js';

/**
 * Forward mode: dual values. While `jvp` runs, a Variable may carry a tangent ẋ beside its value
 * x, and every node that sees a tangent on an input computes its output's tangent with its `jvp`
 * rule right after its forward — one pass, value and directional derivative side by side:
 *
 *   (x, ẋ) ──[Sin]──► (sin x, cos x·ẋ) ──[Mul by w]──► (w·sin x, w·cos x·ẋ)
 *
 * Each `jvp` call opens a *level* (a fresh id), so a jvp inside a jvp keeps its tangents apart
 * from the outer one's (no perturbation confusion). A tangent is a Variable of its own: a level's
 * rules run with only the outer levels active, so the tangent carries the outer tangents (jvp of
 * jvp gives second derivatives) and, when grad mode records, a graph (grad of jvp works too).
 * Tangents propagate whether or not grad mode records, including through a backward pass run
 * inside `jvp` (forward-over-reverse: `hessian`, `hvp`).
 */

/** One tangent of a Variable, for one level; a Variable's duals form an immutable list. */
export interface Dual {
  readonly level: number;
  readonly tangent: Variable;
  readonly next: Dual | null;
}

/** What a `jvp` rule returns: one tangent per output, in order; `null` for a zero tangent. */
export type Tangents = Variable | null | undefined | readonly (Variable | null | undefined)[];

const NONE: readonly number[] = Object.freeze([]);

// variable.ts hands its class here as it loads (as it does to function.ts), for the checks below.
let VariableClass: typeof Variable;

/** @internal Called once by variable.ts. */
export function bindDualVariable(cls: typeof Variable): void {
  VariableClass = cls;
}

/** The open levels, outermost first. Empty outside `jvp`: then nodes do no forward-mode work. */
let active: readonly number[] = NONE;
let levelCounter = 0;

/** @internal True while some `jvp` is running (a level is open). */
export function isForwardModeActive(): boolean {
  return active.length > 0;
}

/** @internal Opens a new innermost level, runs `fn`, and closes it (in a finally). */
export function withNewLevel<T>(fn: (level: number) => T): T {
  const previous = active;
  const level = ++levelCounter;
  active = [...previous, level];
  try {
    return fn(level);
  } finally {
    active = previous;
  }
}

/** @internal The tangent of `v` at `level`, or null (a zero tangent). */
export function tangentAt(v: Variable, level: number): Variable | null {
  for (let d = v.duals; d !== null; d = d.next) if (d.level === level) return d.tangent;
  return null;
}

/** @internal Gives `v` the tangent `tangent` at `level` (replacing one it had there). */
export function setTangent(v: Variable, level: number, tangent: Variable): void {
  v.duals = { level, tangent, next: withoutLevel(v.duals, level) };
}

/** @internal Removes `v`'s tangent at `level`, if any. */
export function dropTangent(v: Variable, level: number): void {
  v.duals = withoutLevel(v.duals, level);
}

function withoutLevel(list: Dual | null, level: number): Dual | null {
  if (list === null) return null;
  if (list.level === level) return list.next;
  const rest = withoutLevel(list.next, level);
  return rest === list.next ? list : { level: list.level, tangent: list.tangent, next: rest };
}

/** @internal Whether `v` has a tangent at an open level (or at one of `levels`): what `needsInputTangent` records. */
export function hasActiveTangent(v: Variable, levels: readonly number[] = active): boolean {
  for (let d = v.duals; d !== null; d = d.next) if (levels.includes(d.level)) return true;
  return false;
}

/** @internal The open jvp levels, outermost first (vmap notes them, to tell a jvp inside it). */
export function activeForwardLevels(): readonly number[] {
  return active;
}

/**
 * @internal Runs `node`'s jvp rule once per open level at which some input has a tangent, from
 * the outermost level in, and attaches the results to the outputs. Each level's rule runs with
 * only the levels outside it open, so its tangents carry the outer tangents and the rule never
 * recurses into itself. A broadcasting node's tangent is broadcast to its output's shape here,
 * once for every such node (the mirror of the engine's sumTo in backward).
 */
export function propagateTangents(node: Function, inputs: readonly Variable[], outputs: readonly Variable[]): void {
  const levels = active;
  for (let l = 0; l < levels.length; l++) {
    const level = levels[l];
    let any = false;
    const tangents = inputs.map((v) => {
      const t = tangentAt(v, level);
      if (t !== null) any = true;
      return t;
    });
    if (!any) continue;
    active = levels.slice(0, l);
    let returned: Tangents;
    try {
      returned = node.jvp(...tangents);
      const single = !Array.isArray(returned);
      for (let k = 0; k < outputs.length; k++) {
        const raw = single ? (k === 0 ? returned : null) : (returned as readonly (Variable | null | undefined)[])[k];
        if (raw === null || raw === undefined) continue;
        setTangent(outputs[k], level, fitTangent(node, raw, outputs[k], k));
      }
    } finally {
      active = levels;
    }
  }
}

/** Checks a tangent a rule returned against its output; broadcasts it for broadcasting nodes. */
function fitTangent(node: Function, t: unknown, y: Variable, k: number): Variable {
  if (!(t instanceof VariableClass)) {
    throw new AutogradError(
      `${node.name}.jvp must return Variables (built with differentiable operations), got ${typeof t === 'object' ? 'a ' + ((t as object).constructor?.name ?? 'object') : typeof t} for output ${k}`,
    );
  }
  const tangent = t;
  if (sameShape(tangent.shape, y.shape)) return tangent;
  if (!node.broadcasts) {
    throw new AutogradError(
      `${node.name}.jvp returned a tangent of shape ${formatShape(tangent.shape)} for output ${k} of shape ${formatShape(y.shape)}`,
    );
  }
  return tangent.broadcastTo(y.shape);
}

/**
 * @internal The sum of two tangents where `null` is a zero tangent: for rules with one term per
 * input (Mul: ẏ = ẋ0·x1 + x0·ẋ1), so an input without a tangent costs nothing.
 */
export function sumTangents(a: Variable | null, b: Variable | null): Variable | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.add(b);
}

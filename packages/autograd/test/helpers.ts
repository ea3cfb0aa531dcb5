/**
 * A tiny private central-difference checker for these tests (the public gradcheck kit lives in
 * src/testing/). Everything is float64.
 *
 * Tolerances: forward values are compared exactly or to 1e-12; gradients to atol 1e-6, rtol 1e-5
 * (central differences with eps 1e-6 have error ~eps² · f''' plus rounding ~1e-16/eps ≈ 1e-10).
 */
import { expect } from 'vitest';
import { Generator, Tensor, randn } from '@nn/tensor';
import { type Variable, gradients, variable } from '@nn/autograd';

export const generator = (seed = 0): Generator => new Generator(seed);

/** A float64 tensor of normal samples from a fixed seed. */
export function sample(shape: number[], seed = 0, shift = 0): Tensor {
  const t = randn(shape, { dtype: 'float64', generator: new Generator(seed) });
  return shift === 0 ? t : t.add(shift);
}

/** Flat copy of a tensor's values in row-major order. */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as Float64Array);
}

/**
 * Checks the gradients of `f` at `inputs` against central differences of L = Σ f(x)·w, with a
 * fixed random weight w so every output element matters with a different weight.
 */
export function checkGradients(
  f: (...xs: Variable[]) => Variable,
  inputs: Tensor[],
  options: { eps?: number; atol?: number; rtol?: number; allowMissing?: boolean } = {},
): void {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5, allowMissing = false } = options;
  const leaves = inputs.map((t) => variable(t));
  const y = f(...leaves);
  const w = sample([...y.shape], 99);
  y.mul(w).sum().backward();
  // Evaluated with recording on, so f may itself take gradients (for second-order checks).
  const objective = (xs: Tensor[]): number =>
    f(...xs.map((t) => variable(t)))
      .data.mul(w)
      .sum()
      .item();
  inputs.forEach((x, i) => {
    const base = values(x);
    const numeric = base.map((_, k) => {
      const plus = base.slice();
      const minus = base.slice();
      plus[k] += eps;
      minus[k] -= eps;
      const at = (v: number[]) => inputs.map((t, j) => (j === i ? new Tensor(Float64Array.from(v), x.shape) : t));
      return (objective(at(plus)) - objective(at(minus))) / (2 * eps);
    });
    const g = leaves[i].grad;
    // No path from the output to this input (possible for a derivative) means a zero gradient.
    if (!allowMissing) expect(g, `input ${i} received no gradient`).not.toBeNull();
    if (g !== null) expect(g.shape).toEqual(x.shape);
    const analytic = g === null ? numeric.map(() => 0) : values(g.data);
    analytic.forEach((a, k) => {
      const n = numeric[k];
      if (!(Math.abs(a - n) <= atol + rtol * Math.abs(n))) {
        throw new Error(`gradient of input ${i} at flat index ${k}: analytic ${a}, numeric ${n}`);
      }
    });
  });
}

/** The first derivative of Σ f(x)·w with respect to input `i`, as a differentiable function (createGraph). */
export function derivative(f: (...xs: Variable[]) => Variable, i: number, seed = 7): (...xs: Variable[]) => Variable {
  return (...xs: Variable[]) => {
    const y = f(...xs);
    const [g] = gradients(y.mul(sample([...y.shape], seed)).sum(), [xs[i]], { createGraph: true });
    return g!;
  };
}

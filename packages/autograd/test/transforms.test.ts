import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, type Tensor, ValueError, tensor, zeros } from '@nn/tensor';
import {
  AutogradError,
  Function,
  type Variable,
  grad,
  hessian,
  hvp,
  jacobian,
  jvp,
  noGrad,
  variable,
} from '@nn/autograd';
import { assertJvpcheck, expressionGraphArb, tensorArb } from '@nn/autograd/testing';

/**
 * jvp, jacobian (rev and fwd), hessian and hvp: the seeds' sequel values (Rosenbrock's Hessian,
 * Newton's method, tanh's higher derivatives), the contract (shapes, several inputs, nested
 * outputs, named errors, composition with grad), and properties over random expression graphs:
 * jacfwd = jacrev, the Hessian is symmetric and equals the central difference of the gradient,
 * hvp = H·v. Float64 throughout; Jacobians from the two modes agree to 1e-12, finite differences
 * to 1e-5 + 1e-3·|value| (eps 1e-6, gradcheck's).
 */

const f64 = { dtype: 'float64' } as const;
const RUNS = Math.round(25 * Number(process.env.NN_PROPERTY_SCALE ?? 1));

/** The seeds' Rosenbrock function, 100·(x1 − x0²)² + (x0 − 1)², of a point x of shape (2). */
const rosenbrock = (x: Variable) => {
  const [x0, x1] = [x.getItem(0), x.getItem(1)];
  return x1.sub(x0.square()).square().mul(100).add(x0.sub(1).square());
};

const flat = (v: Variable): number[] => Array.from(v.data.toTypedArray() as Float64Array);
const close = (a: number[], b: number[], atol = 1e-5, rtol = 1e-3) =>
  a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= atol + rtol * Math.abs(b[i]));

describe("the seeds' sequel values", () => {
  it("Rosenbrock's Hessian at (0, 2) is [[-798, 0], [0, 200]], by hessian and by hvp", () => {
    const x = tensor([0, 2], f64);
    expect(hessian(rosenbrock, x).toArray()).toEqual([
      [-798, 0],
      [0, 200],
    ]);
    expect(hvp(rosenbrock, x, tensor([1, 0], f64)).toArray()).toEqual([-798, 0]);
    expect(hvp(rosenbrock, x, tensor([0, 1], f64)).toArray()).toEqual([0, 200]);
  });

  it("Newton's method with hessian reaches the minimum (1, 1) of Rosenbrock's function from (0, 2)", () => {
    let x = tensor([0, 2], f64);
    for (let i = 0; i < 10; i++) {
      const g = grad(rosenbrock)(x).data.toArray() as number[];
      const [[a, b], [c, d]] = hessian(rosenbrock, x).data.toArray() as number[][];
      const det = a * d - b * c;
      // x ← x − H⁻¹·g (2×2 inverse written out)
      const step = [(d * g[0] - b * g[1]) / det, (-c * g[0] + a * g[1]) / det];
      x = x.sub(tensor(step, f64));
    }
    const [x0, x1] = x.toArray() as number[];
    expect(x0).toBeCloseTo(1, 10);
    expect(x1).toBeCloseTo(1, 10);
  });

  it("tanh's derivatives at 1 by nested jvp (forward over forward): 0.41997434…, −0.63970001…, 0.62162668…", () => {
    const d1 = (v: Variable) => jvp((u: Variable) => u.tanh(), [v], [1])[1];
    const d2 = (v: Variable) => jvp(d1, [v], [1])[1];
    const d3 = (v: Variable) => jvp(d2, [v], [1])[1];
    const one = variable(1, { ...f64, requiresGrad: false });
    expect(d1(one).item()).toBeCloseTo(0.41997434161402614, 14);
    expect(d2(one).item()).toBeCloseTo(-0.6397000084492246, 14);
    expect(d3(one).item()).toBeCloseTo(0.6216266807712962, 14);
    // and mixed: grad of a jvp tangent (reverse over forward), jvp of grad (forward over reverse)
    expect(grad(d2)(tensor(1, f64)).item()).toBeCloseTo(0.6216266807712962, 14);
    expect(jvp(grad(d1), [tensor(1, f64)], [1])[1].item()).toBeCloseTo(0.6216266807712962, 14);
  });

  it("backward({ createGraph: true }) keeps the graph (PyTorch's default): tanh's derivatives of order 1–6 and double backprop, without retainGraph", () => {
    // DeZero's step 35: differentiate gx again and again; each backward runs through the graph of the previous one.
    const x = variable(1, f64);
    let y = x.tanh();
    const orders: number[] = [];
    for (let order = 1; order <= 6; order++) {
      x.zeroGrad();
      y.backward({ createGraph: true });
      y = x.grad!;
      orders.push(y.item());
    }
    expect(orders[0]).toBeCloseTo(0.41997434161402614, 14);
    expect(orders[1]).toBeCloseTo(-0.6397000084492246, 14);
    expect(orders[2]).toBeCloseTo(0.6216266807712962, 14);
    expect(orders.length).toBe(6);
    // DeZero's step 36: z = gx³ + y with y = x², gx = dy/dx = 2x; dz/dx = 24x² + 2x = 100 at x = 2.
    const x2 = variable(2, f64);
    const y2 = x2.square();
    y2.backward({ createGraph: true });
    const gx = x2.grad!;
    x2.zeroGrad();
    const z = gx.pow(3).add(y2);
    z.backward();
    expect(x2.grad!.item()).toBe(100);
  });
});

describe('jvp', () => {
  it('returns outputs and tangents arranged as f returns them (nested arrays and objects, several inputs)', () => {
    const [out, tangents] = jvp(
      (a: Variable, b: Variable) => ({ product: a.mul(b), both: [a.add(b), b.square()] }),
      [3, 4],
      [1, 0],
    );
    expect(out.product.item()).toBe(12);
    expect([tangents.product.item(), tangents.both[0].item(), tangents.both[1].item()]).toEqual([4, 1, 0]);
  });

  it('gives zero tangents to outputs that do not depend on the primals, and null means a zero tangent', () => {
    const c = variable([1, 2], { requiresGrad: false });
    const [, [t0, t1]] = jvp(
      (a: Variable, _b: Variable) => [a.mul(2), c.exp()],
      [tensor([1, 1]), tensor([5])],
      [tensor([1, 2]), null],
    );
    expect(t0.toArray()).toEqual([2, 4]);
    expect(t1.toArray()).toEqual([0, 0]);
  });

  it('works inside noGrad, leaves no tangent behind, and keeps float32 in float32', () => {
    const x = variable([1, 2, 3]);
    const [y, dy] = noGrad(() => jvp((v: Variable) => v.square(), [x], [tensor([1, 1, 1])]));
    expect(dy.toArray()).toEqual([2, 4, 6]);
    expect(dy.dtype).toBe('float32');
    expect(x.duals).toBeNull();
    expect(y.duals).toBeNull();
    expect(x.grad).toBeNull();
  });

  it('the same Variable passed twice as a constant gets its own tangents', () => {
    const x = variable(3, { requiresGrad: false });
    const [, t] = jvp((a: Variable, b: Variable) => a.mul(b.square()), [x, x], [1, 0]);
    expect(t.item()).toBe(9); // ∂/∂a of a·b² = b²
  });

  it('names bad tangents: shape (ShapeError with both shapes), dtype, count, integer primals', () => {
    const f = (v: Variable) => v.sin();
    expect(() => jvp(f, [tensor([1, 2, 3])], [tensor([[1, 2, 3]])])).toThrow(ShapeError);
    expect(() => jvp(f, [tensor([1, 2, 3])], [tensor([[1, 2, 3]])])).toThrow(
      'jvp: tangent 0 has shape (1,3) but primal 0 has shape (3)',
    );
    expect(() => jvp(f, [tensor([1, 2], f64)], [tensor([1, 2])])).toThrow(DTypeError);
    expect(() => jvp(f, [tensor([1, 2], f64)], [tensor([1, 2])])).toThrow(
      /tangent 0 has dtype float32 but primal 0 has dtype float64/,
    );
    expect(() => jvp(f, [1, 2], [1])).toThrow(/2 primals but 1 tangents/);
    expect(() => jvp(f, [tensor([1], { dtype: 'int32' })], [tensor([1], { dtype: 'int32' })])).toThrow(DTypeError);
    expect(() => jvp(() => 3 as unknown as Variable, [1], [1])).toThrow(/f must return a Variable.*output is a number/);
  });

  it('a custom Function without a jvp rule is a named AutogradError; with one, it joins forward mode', () => {
    class Cube extends Function {
      forward(x: Tensor): Tensor {
        return x.mul(x).mul(x);
      }
      backward(gy: Variable): Variable {
        return gy.mul(this.inputs[0].square().mul(3));
      }
    }
    class CubeWithRule extends Cube {
      override jvp(dx: Variable): Variable {
        return dx.mul(this.inputs[0].square().mul(3));
      }
    }
    expect(() => jvp((x: Variable) => new Cube().apply(x), [2], [1])).toThrow(AutogradError);
    expect(() => jvp((x: Variable) => new Cube().apply(x), [2], [1])).toThrow(
      /jvp: Cube has no forward-mode rule.*jvp\(/,
    );
    expect(jvp((x: Variable) => new CubeWithRule().apply(x), [2], [1])[1].item()).toBe(12);
    expect(hessian((x: Variable) => new CubeWithRule().apply(x).sum(), tensor([2], f64)).toArray()).toEqual([[12]]);
  });
});

describe('jacobian, hessian and hvp', () => {
  it('jacobian has shape [...y.shape, ...x.shape] in both modes, per input and per output', () => {
    const x = tensor([1, 2, 3], f64);
    const W = tensor(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      f64,
    );
    const f = (a: Variable, b: Variable) => ({ y: a.matmul(b), s: a.sum() });
    for (const mode of ['rev', 'fwd'] as const) {
      const J = jacobian(f, [x, W], { mode }) as { y: Variable[]; s: Variable[] };
      expect(J.y[0].shape).toEqual([2, 3]);
      expect(J.y[1].shape).toEqual([2, 3, 2]);
      expect(J.s[0].toArray()).toEqual([1, 1, 1]);
      expect(J.y[0].toArray()).toEqual([
        [1, 0, 1],
        [0, 1, 1],
      ]);
    }
    expect(jacobian((v: Variable) => v.square(), tensor([1, 2], f64)).toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]);
    expect(() => jacobian((v: Variable) => v, 1, { mode: 'both' as 'rev' })).toThrow(ValueError);
  });

  it('hessian of several inputs is the block matrix H[i][j]; hvp of several inputs sums the blocks', () => {
    const f = (a: Variable, b: Variable) => a.square().mul(b).sum().add(b.pow(3).sum());
    const a = tensor([1, 2], f64);
    const b = tensor(3, f64);
    const H = hessian(f, [a, b]);
    expect(H[0][0].toArray()).toEqual([
      [6, 0],
      [0, 6],
    ]); // 2b·I
    expect(H[0][1].toArray()).toEqual([2, 4]); // 2a
    expect(H[1][0].toArray()).toEqual([2, 4]);
    expect(H[1][1].item()).toBe(18); // 6b
    const [ha, hb] = hvp(f, [a, b], [tensor([1, 1], f64), tensor(1, f64)]);
    expect(ha.toArray()).toEqual([8, 10]); // 6·1 + 2a
    expect(hb.item()).toBe(24); // 2 + 4 + 18
    expect(() => hvp(f, [a, b], [tensor([1, 1], f64)])).toThrow(/2 inputs but 1 vectors/);
    expect(() => hvp(rosenbrock, tensor([0, 2], f64), tensor([1, 0, 0], f64))).toThrow(ShapeError);
    expect(() => hvp(rosenbrock, tensor([0, 2], f64), tensor([1, 0, 0], f64))).toThrow(
      'hvp: vector v 0 has shape (3) but input 0 has shape (2)',
    );
    expect(() => hessian((v: Variable) => v.square(), tensor([1, 2], f64))).toThrow(
      /hessian: f must return a one-element Variable/,
    );
  });

  it('jacobian of an input that requires grad is differentiable (grad of a Jacobian entry)', () => {
    const x = variable([0.5, -1], f64);
    const J = jacobian((v: Variable) => v.tanh().mul(v), x, { mode: 'fwd' });
    J.sum().backward();
    const Jr = jacobian((v: Variable) => grad((u: Variable) => u.tanh().mul(u).sum())(v), tensor([0.5, -1], f64));
    expect(close(flat(x.grad!), flat(Jr.sum(0)), 1e-12, 0)).toBe(true);
  });
});

/** Central difference of grad(f) at x: column j is (∇f(x + h·e_j) − ∇f(x − h·e_j))/2h. */
function numericalHessian(f: (v: Variable) => Variable, x: Tensor, h = 1e-6): number[][] {
  const n = x.size;
  const H: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < n; j++) {
    const e = zeros(x.shape, f64);
    e.data[j] = h;
    const plus = flat(grad(f)(x.add(e)));
    const minus = flat(grad(f)(x.sub(e)));
    for (let i = 0; i < n; i++) H[i][j] = (plus[i] - minus[i]) / (2 * h);
  }
  return H;
}

describe('properties over random expression graphs (float64)', () => {
  const graphs = expressionGraphArb({ maxInputs: 2, maxSteps: 5 });

  it('jacfwd = jacrev, for every input', () =>
    fc.assert(
      fc.property(graphs, (g) => {
        const rev = jacobian(g.f, g.inputs, { mode: 'rev' }) as Variable[];
        const fwd = jacobian(g.f, g.inputs, { mode: 'fwd' }) as Variable[];
        rev.forEach((J, i) => {
          expect(fwd[i].shape).toEqual(J.shape);
          expect(close(flat(fwd[i]), flat(J), 1e-12, 1e-10)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    ));

  it('the Hessian is symmetric and equals the central difference of the gradient; hvp = H·v', () =>
    fc.assert(
      fc.property(
        graphs.chain((g) => fc.tuple(fc.constant(g), tensorArb(g.inputs[0].shape, { min: -1, max: 1 }))),
        ([g, v]) => {
          // A scalar function of the first input, the others held at their values.
          const f = (x: Variable) =>
            g.f(x, ...g.inputs.slice(1).map((t) => variable(t, { requiresGrad: false }))).sum();
          const x = g.inputs[0];
          const n = x.size;
          const H = hessian(f, x).reshape([n, n]);
          const rows = H.data.toArray() as number[][];
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(rows[i][j]).toBeCloseTo(rows[j][i], 9);
          const numerical = numericalHessian(f, x);
          expect(close(rows.flat(), numerical.flat())).toBe(true);
          const Hv = flat(hvp(f, x, v));
          const product = flat(H.matmul(variable(v.reshape([n]), { requiresGrad: false })));
          expect(close(Hv, product, 1e-10, 1e-10)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    ));
});

describe('docs/transforms.md examples', () => {
  it('the dual numbers of sin(x)·x at 0.5, and the Swish node with its jvp rule', () => {
    const [y, dy] = jvp((x: Variable) => x.sin().mul(x), [tensor(0.5, f64)], [1]);
    expect(y.item()).toBeCloseTo(0.5 * Math.sin(0.5), 14);
    expect(dy.item()).toBeCloseTo(Math.sin(0.5) + 0.5 * Math.cos(0.5), 14); // 0.918
    class Swish extends Function {
      forward(x: Tensor): Tensor {
        return x.mul(x.sigmoid());
      }
      backward(gy: Variable): Variable {
        const x = this.inputs[0];
        const s = x.sigmoid();
        return gy.mul(s.add(this.outputs[0].mul(s.neg().add(1))));
      }
      override jvp(dx: Variable): Variable {
        const x = this.inputs[0];
        const s = x.sigmoid();
        return dx.mul(s.add(this.outputs[0].mul(s.neg().add(1))));
      }
    }
    const x = tensor([-1.5, 0.25, 2], f64);
    assertJvpcheck((v) => new Swish().apply(v), [x], [tensor([1, -0.5, 0.3], f64)]);
    // and its Hessian by forward-over-reverse matches reverse-over-reverse
    const swishSum = (v: Variable) => new Swish().apply(v).sum();
    const viaGrad = jacobian((v: Variable) => grad(swishSum)(v), x);
    expect(close(flat(hessian(swishSum, x)), flat(viaGrad), 1e-12, 1e-10)).toBe(true);
  });
});

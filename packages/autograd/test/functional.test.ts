import { describe, expect, it } from 'vitest';
import { ones, tensor } from '@nn/tensor';
import { type Variable, grad, noGrad, valueAndGrad, variable, vjp } from '@nn/autograd';

describe('grad', () => {
  it('differentiates with respect to the chosen arguments', () => {
    const f = (x: Variable, y: Variable) => x.mul(y).add(x.square());
    expect(grad(f)(3, 4).item()).toBe(10); // y + 2x
    expect(grad(f, 1)(3, 4).item()).toBe(3);
    const [dx, dy] = grad(f, [0, 1])(3, 4);
    expect([dx.item(), dy.item()]).toEqual([10, 3]);
  });

  it('accepts Tensors and Variables without touching their grad', () => {
    const W = variable(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const x = tensor([[1, 1]]);
    const g = grad((w: Variable) => variable(x).matmul(w).sum())(W);
    expect(g.toArray()).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(W.grad).toBeNull();
  });

  it('nests for higher derivatives: d³/dx³ sin = −cos', () => {
    const d3 = grad(grad(grad((x: Variable) => x.sin())));
    expect(d3(variable(0.5, { dtype: 'float64' })).item()).toBeCloseTo(-Math.cos(0.5), 12);
  });

  it('gives zeros for an argument the output does not depend on, and works inside noGrad', () => {
    const g = grad((x: Variable, _y: Variable) => x.mul(2), [0, 1])(1, 5);
    expect(g.map((v) => v.item())).toEqual([2, 0]);
    expect(noGrad(() => grad((x: Variable) => x.square())(3)).item()).toBe(6);
  });

  it('rejects non-scalar outputs', () => {
    expect(() => grad((x: Variable) => x.mul(2))(tensor([1, 2]))).toThrow(/one-element Variable/);
  });

  it('grad(f)(x).backward() gives a second derivative when x is a Variable', () => {
    const x = variable(2, { dtype: 'float64' });
    const g = grad((v: Variable) => v.pow(3))(x);
    expect(g.item()).toBe(12);
    g.backward();
    expect(x.grad!.item()).toBe(12); // 6x
  });
});

describe('valueAndGrad and vjp', () => {
  it('valueAndGrad returns the value and the gradient from one evaluation', () => {
    let calls = 0;
    const [value, g] = valueAndGrad((x: Variable) => {
      calls++;
      return x.square().sum();
    })(tensor([1, 2, 3]));
    expect(value.item()).toBe(14);
    expect(g.toArray()).toEqual([2, 4, 6]);
    expect(calls).toBe(1);
  });

  it('vjp gives vector-Jacobian products for any output shape, repeatedly', () => {
    const [y, vjpFn] = vjp((a: Variable, b: Variable) => a.mul(b), tensor([1, 2, 3]), tensor([4, 5, 6]));
    expect(y.toArray()).toEqual([4, 10, 18]);
    const [ga, gb] = vjpFn(ones([3]));
    expect(ga.toArray()).toEqual([4, 5, 6]);
    expect(gb.toArray()).toEqual([1, 2, 3]);
    expect(vjpFn(tensor([1, 0, 2]))[0].toArray()).toEqual([4, 0, 12]);
  });
});

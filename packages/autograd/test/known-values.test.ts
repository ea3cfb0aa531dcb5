import { describe, expect, it } from 'vitest';
import { tensor } from '@nn/tensor';
import { type Variable, grad, noGrad, variable } from '@nn/autograd';

// Forward values are exact in float64; gradients are compared to 1e-9 (float64) or 1e-4 (float32).

describe("the seeds' apple and orange example (Add and Mul nodes)", () => {
  it('gives price 715 and the book gradients', () => {
    const apple = variable(100, { name: 'apple' });
    const appleNum = variable(2, { name: 'apple_num' });
    const orange = variable(150, { name: 'orange' });
    const orangeNum = variable(3, { name: 'orange_num' });
    const tax = variable(1.1, { name: 'tax' });
    const price = apple.mul(appleNum).add(orange.mul(orangeNum)).mul(tax);
    price.backward();
    expect(price.item()).toBeCloseTo(715, 3);
    expect(apple.grad!.item()).toBeCloseTo(2.2, 5);
    expect(appleNum.grad!.item()).toBeCloseTo(110, 4);
    expect(orange.grad!.item()).toBeCloseTo(3.3, 5);
    expect(orangeNum.grad!.item()).toBeCloseTo(165, 4);
    expect(tax.grad!.item()).toBeCloseTo(650, 4);
    expect(price.creator!.name).toBe('Mul');
    expect(price.creator!.inputs[0].creator!.name).toBe('Add');
  });

  it('apples only: 2.2, 110, 200 in float64', () => {
    const [apple, num, tax] = [100, 2, 1.1].map((v) => variable(v, { dtype: 'float64' }));
    const price = apple.mul(num).mul(tax);
    price.backward();
    expect(price.item()).toBeCloseTo(220, 9);
    expect([apple.grad!.item(), num.grad!.item(), tax.grad!.item()].map((v) => +v.toFixed(9))).toEqual([2.2, 110, 200]);
  });
});

describe('higher-order derivatives', () => {
  const f = (x: Variable) => x.pow(4).sub(x.square().mul(2)); // x⁴ − 2x²

  it("f''(2) = 44 for f = x⁴ − 2x² (backward with createGraph)", () => {
    const x = variable(2, { dtype: 'float64' });
    f(x).backward({ createGraph: true });
    const gx = x.grad!;
    expect(gx.item()).toBe(24);
    x.zeroGrad();
    gx.backward();
    expect(x.grad!.item()).toBe(44);
  });

  it("grad(grad(f))(2) = 44 and a third derivative f'''(2) = 48", () => {
    expect(grad(f)(2).item()).toBe(24);
    expect(grad(grad(f))(2).item()).toBe(44);
    expect(grad(grad(grad(f)))(2).item()).toBe(48);
  });

  it("Newton's method from x = 2 converges to 1", () => {
    let x = variable(2, { dtype: 'float64' });
    for (let i = 0; i < 10; i++) {
      const y = f(x);
      y.backward({ createGraph: true });
      const gx = x.grad!;
      x.zeroGrad();
      gx.backward();
      const gx2 = x.grad!;
      x = noGrad(() => variable(x.data.sub(gx.data.div(gx2.data))));
    }
    expect(x.item()).toBeCloseTo(1, 12);
  });

  it('the Rosenbrock gradient at (0, 2) is (−2, 400)', () => {
    const x0 = variable(0, { dtype: 'float64' });
    const x1 = variable(2, { dtype: 'float64' });
    const y = x1.sub(x0.square()).square().mul(100).add(x0.neg().add(1).square());
    y.backward();
    expect([x0.grad!.item(), x1.grad!.item()]).toEqual([-2, 400]);
  });
});

describe("the seeds' Repeat/Sum/MatMul nodes", () => {
  it('Repeat backward is Sum over the repeats, Sum backward is Repeat', () => {
    const x = variable(tensor([[1, 2, 3]], { dtype: 'float64' }));
    const y = x.repeat(4, 0); // (4,3)
    expect(y.creator!.name).toBe('Repeat');
    y.backward({
      grad: tensor(
        [
          [1, 1, 1],
          [2, 2, 2],
          [3, 3, 3],
          [4, 4, 4],
        ],
        { dtype: 'float64' },
      ),
    });
    expect(x.grad!.toArray()).toEqual([[10, 10, 10]]);

    const z = variable(
      tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    const s = z.sum(0, { keepdims: true });
    expect(s.creator!.name).toBe('Sum');
    s.backward({ grad: tensor([[7, 8]]) });
    expect(z.grad!.toArray()).toEqual([
      [7, 8],
      [7, 8],
      [7, 8],
    ]);
  });

  it('MatMul backward: dx = dy·Wᵀ, dW = xᵀ·dy', () => {
    const x = variable(tensor([[1, 2]]));
    const W = variable(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const y = x.matmul(W);
    y.backward({ grad: tensor([[1, 0, 1]]) });
    expect(x.grad!.toArray()).toEqual([[4, 10]]);
    expect(W.grad!.toArray()).toEqual([
      [1, 0, 1],
      [2, 0, 2],
    ]);
  });

  it('Max splits the gradient evenly among ties', () => {
    const x = variable(
      tensor([
        [1, 3, 3],
        [2, 0, 1],
      ]),
    );
    x.max(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 0.5, 0.5],
      [1, 0, 0],
    ]);
    const m = variable(tensor([2, 2, 2, 2]));
    m.min().backward();
    expect(m.grad!.toArray()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('SoftmaxCrossEntropy: loss and (softmax − t)/N', () => {
    const x = variable(
      tensor(
        [
          [0, 0],
          [0, Math.log(3)],
        ],
        { dtype: 'float64' },
      ),
    );
    const loss = x.softmaxCrossEntropy(tensor([0, 1], { dtype: 'int32' }));
    expect(loss.item()).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 12);
    loss.backward();
    const g = x.grad!.toArray() as number[][];
    expect(g[0][0]).toBeCloseTo(-0.25, 12);
    expect(g[1][1]).toBeCloseTo(-0.125, 12);
    // Stable for huge scores: no overflow to NaN.
    const big = variable(tensor([[1000, 0]]));
    expect(big.softmaxCrossEntropy(tensor([1], { dtype: 'int32' })).item()).toBeCloseTo(1000, 3);
    // One-hot targets give the same loss as labels.
    const onehot = variable(x.data).softmaxCrossEntropy(
      tensor(
        [
          [1, 0],
          [0, 1],
        ],
        { dtype: 'float64' },
      ),
    );
    expect(onehot.item()).toBeCloseTo(loss.item(), 12);
  });
});

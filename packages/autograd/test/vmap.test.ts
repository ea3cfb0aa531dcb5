import { describe, expect, it } from 'vitest';
import { type Tensor, IndexError, ShapeError, ValueError, concat, eye, randn, seed, tensor } from '@nn/tensor';
import * as F from '@nn/autograd';
import {
  AutogradError,
  Function,
  type BatchedInput,
  type Variable,
  grad,
  jacobian,
  jvp,
  valueAndGrad,
  variable,
  vjp,
  vmap,
} from '@nn/autograd';

/**
 * vmap: known values, the transforms it composes with, and its errors. The node-by-node checks
 * (every batching rule against a loop over the examples) are in vmap.property.test.ts. float64
 * throughout; values computed in a different order (a batched product) agree to 1e-12.
 */

const f64 = (value: Parameters<typeof tensor>[0]) => tensor(value, { dtype: 'float64' });

/** Stacks equal-shaped tensors along a new first axis. */
const stack = (ts: readonly Tensor[]) =>
  concat(
    ts.map((t) => t.reshape([1, ...t.shape])),
    0,
  );

function expectClose(got: Tensor, want: Tensor, tolerance = 1e-12): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.sub(want).abs().max().item()).toBeLessThan(tolerance);
}

describe('vmap', () => {
  it('maps over the first axis by default', () => {
    const xs = f64([
      [1, 2],
      [3, 4],
    ]);
    expect(vmap((x: Variable) => x.sum())(xs).toArray()).toEqual([3, 7]);
    expect(vmap((x: Variable) => x.mul(2).add(1))(xs).toArray()).toEqual([
      [3, 5],
      [7, 9],
    ]);
  });

  it('inAxes: another axis, a negative one, null for a shared argument', () => {
    const xs = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // Map over the columns: each example is a column of 2.
    expect(vmap((x: Variable) => x.sum(), { inAxes: 1 })(xs).toArray()).toEqual([5, 7, 9]);
    expect(vmap((x: Variable) => x.sum(), { inAxes: -1 })(xs).toArray()).toEqual([5, 7, 9]);
    const W = f64([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    const rows = f64([
      [1, 2],
      [3, 4],
    ]);
    expect(vmap((x: Variable, w: Variable) => x.matmul(w), { inAxes: [0, null] })(rows, W).toArray()).toEqual([
      [1, 2, 3],
      [3, 4, 7],
    ]);
  });

  it('outAxes puts the batch axis where asked', () => {
    const xs = f64([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const ys = vmap((x: Variable) => x.mul(10), { outAxes: 1 })(xs);
    expect(ys.toArray()).toEqual([
      [10, 30, 50],
      [20, 40, 60],
    ]);
    expect(vmap((x: Variable) => x.mul(10), { outAxes: -1 })(xs).shape).toEqual([2, 3]);
  });

  it('an output that depends on no batched argument is repeated for every example', () => {
    const ys = vmap((x: Variable, c: Variable) => [x.sum(), c.mul(2)], { inAxes: [0, null] })(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([5, 6]),
    );
    expect(ys[1].toArray()).toEqual([
      [10, 12],
      [10, 12],
    ]);
  });

  it('keeps the arrangement of nested outputs (arrays and objects)', () => {
    const xs = f64([
      [1, 2],
      [3, 4],
    ]);
    const out = vmap((x: Variable) => ({ total: x.sum(), parts: [x.max(), x.min()] }))(xs);
    expect(out.total.toArray()).toEqual([3, 7]);
    expect(out.parts[0].toArray()).toEqual([2, 4]);
    expect(out.parts[1].toArray()).toEqual([1, 3]);
  });

  it('f sees one example: shapes inside are per example', () => {
    const seen: number[][] = [];
    vmap((x: Variable) => {
      seen.push([...x.shape], [...x.reshape([-1]).shape], [...x.T.shape]);
      return x.mean();
    })(randn([5, 2, 3], { dtype: 'float64' }));
    expect(seen).toEqual([[2, 3], [6], [3, 2]]);
  });

  it('equals a loop over the examples for a small MLP with softmax and a mean', () => {
    seed(1);
    const W1 = randn([4, 5], { dtype: 'float64' });
    const W2 = randn([5, 3], { dtype: 'float64' });
    const xs = randn([6, 4], { dtype: 'float64' });
    const f = (x: Variable) => F.softmax(F.tanh(x.matmul(W1)).matmul(W2)).mean();
    const want = stack(Array.from({ length: 6 }, (_, b) => f(variable(xs.slice(b))).data));
    expectClose(vmap(f)(xs).data, want);
  });

  it('nests: vmap(vmap(f)) maps over two axes', () => {
    const xs = randn([3, 4, 2], { dtype: 'float64' });
    const f = (x: Variable) => x.square().sum();
    const got = vmap(vmap(f))(xs);
    expect(got.shape).toEqual([3, 4]);
    expectClose(got.data, xs.square().sum(2));
    // The inner vmap over the outer's second axis, an outer value shared by the inner examples.
    const cs = randn([3, 2], { dtype: 'float64' });
    const g = (c: Variable, x: Variable) => vmap((row: Variable) => row.mul(c).sum())(x);
    expectClose(vmap(g)(cs, xs).data, xs.mul(cs.reshape([3, 1, 2])).sum(2));
  });
});

describe('per-example gradients: vmap(grad(f))', () => {
  it('equals the loop of grads for a linear softmax classifier with per-example labels', () => {
    seed(2);
    const W = randn([8, 4], { dtype: 'float64' });
    const b = randn([4], { dtype: 'float64' });
    const xs = randn([10, 8], { dtype: 'float64' });
    const labels = tensor([0, 3, 1, 1, 2, 0, 3, 2, 1, 0], { dtype: 'int32' });
    const loss = (W_: Variable, b_: Variable, x: Variable, t: Variable) =>
      F.linear(x.reshape([1, 8]), W_, b_).softmaxCrossEntropy(t.reshape([1]));
    const [dW, db] = vmap(grad(loss, [0, 1]), { inAxes: [null, null, 0, 0] })(W, b, xs, labels);
    expect(dW.shape).toEqual([10, 8, 4]);
    expect(db.shape).toEqual([10, 4]);
    for (let k = 0; k < 10; k++) {
      const [gW, gb] = grad(loss, [0, 1])(W, b, xs.slice(k), labels.slice(k));
      expectClose(dW.data.slice(k), gW.data);
      expectClose(db.data.slice(k), gb.data);
    }
    // Their mean is the gradient of the batch's mean loss.
    const batchLoss = (W_: Variable) => F.linear(xs, W_, b).softmaxCrossEntropy(labels);
    expectClose(dW.data.mean(0), grad(batchLoss)(W).data);
  });

  it('equals the loop of grads for a per-example MSE (a composite loss)', () => {
    seed(3);
    const w = randn([3], { dtype: 'float64' });
    const xs = randn([5, 4, 3], { dtype: 'float64' });
    const ys = randn([5, 4], { dtype: 'float64' });
    const mse = (w_: Variable, x: Variable, y: Variable) => x.matmul(w_).sub(y).square().mean();
    const per = vmap(grad(mse), { inAxes: [null, 0, 0] })(w, xs, ys);
    for (let k = 0; k < 5; k++) expectClose(per.data.slice(k), grad(mse)(w, xs.slice(k), ys.slice(k)).data);
  });

  it('gives per-example gradients of a conv net (conv2d, ReLU, max pooling, linear)', () => {
    seed(4);
    const K = randn([2, 1, 3, 3], { dtype: 'float64' });
    const W = randn([8, 3], { dtype: 'float64' });
    const images = randn([4, 1, 1, 6, 6], { dtype: 'float64' });
    const labels = tensor([2, 0, 1, 2], { dtype: 'int32' });
    const loss = (K_: Variable, W_: Variable, x: Variable, t: Variable) =>
      F.maxPool2d(F.conv2d(x, K_).relu(), { size: 2 })
        .reshape([1, 8])
        .matmul(W_)
        .softmaxCrossEntropy(t.reshape([1]));
    const [dK, dW] = vmap(grad(loss, [0, 1]), { inAxes: [null, null, 0, 0] })(K, W, images, labels);
    for (let k = 0; k < 4; k++) {
      const [gK, gW] = grad(loss, [0, 1])(K, W, images.slice(k), labels.slice(k));
      expectClose(dK.data.slice(k), gK.data);
      expectClose(dW.data.slice(k), gW.data);
    }
  });

  it('nested: vmap(vmap(grad(f))) gives one gradient of a shared weight per example of each batch', () => {
    seed(6);
    const w = randn([3], { dtype: 'float64' });
    const xs = randn([2, 4, 3], { dtype: 'float64' });
    const f = (w_: Variable, x: Variable) => x.mul(w_).tanh().sum();
    const inner = vmap(grad(f), { inAxes: [null, 0] });
    const got = vmap((x: Variable) => inner(w, x))(xs);
    expect(got.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) expectClose(got.data.slice(i, j), grad(f)(w, xs.slice(i, j)).data);
  });

  it('valueAndGrad and vjp inside vmap, per example', () => {
    const xs = f64([
      [1, 2],
      [3, 4],
    ]);
    const [values, grads] = vmap(valueAndGrad((x: Variable) => x.pow(3).sum()))(xs);
    expect(values.toArray()).toEqual([9, 91]);
    expect(grads.toArray()).toEqual([
      [3, 12],
      [27, 48],
    ]);
    const cotangents = f64([
      [1, 0],
      [0, 1],
    ]);
    const pulled = vmap((x: Variable, v: Variable) => vjp((u: Variable) => u.square(), x)[1](v)[0])(xs, cotangents);
    expect(pulled.toArray()).toEqual([
      [2, 0],
      [0, 8],
    ]);
  });

  it('per-example Jacobians: vmap(jacobian) in reverse mode', () => {
    const xs = randn([3, 2], { dtype: 'float64' });
    const f = (x: Variable) => x.sin().mul(x.sum());
    const J = vmap((x: Variable) => jacobian(f, x))(xs);
    expect(J.shape).toEqual([3, 2, 2]);
    for (let k = 0; k < 3; k++) expectClose(J.data.slice(k), jacobian(f, xs.slice(k)).data);
  });

  it('vmap of a vjp function over the rows of the identity is the Jacobian (batched seeds, unbatched graph)', () => {
    const x = f64([1, 2, 3]);
    const f = (u: Variable) => u.sin().mul(u.sum()).relu();
    const [, pull] = vjp(f, x);
    const J = vmap((v: Variable) => pull(v)[0])(eye(3, 3, 0, { dtype: 'float64' }));
    expectClose(J.data, jacobian(f, x).data);
  });

  it('second order per example: vmap(grad(grad(f)))', () => {
    const xs = f64([1, 2, 3]);
    const d2 = vmap(grad(grad((x: Variable) => x.pow(4))))(xs);
    expect(d2.toArray()).toEqual([12, 48, 108]);
  });

  it('grad outside vmap differentiates through it', () => {
    seed(5);
    const W = randn([3, 2], { dtype: 'float64' });
    const xs = randn([4, 3], { dtype: 'float64' });
    const total = (W_: Variable) => vmap((x: Variable) => x.matmul(W_).tanh().sum())(xs).sum();
    const direct = (W_: Variable) => variable(xs, { requiresGrad: false }).matmul(W_).tanh().sum();
    expectClose(grad(total)(W).data, grad(direct)(W).data);
  });

  it('grad of vmap of grad (a per-example gradient penalty) equals the loop', () => {
    const w = f64([0.5, -1, 2]);
    const xs = randn([4, 3], { dtype: 'float64' });
    const inner = (w_: Variable, x: Variable) => x.mul(w_).sin().sum();
    const penalty = (w_: Variable) =>
      vmap(grad(inner, 1), { inAxes: [null, 0] })(w_, xs)
        .square()
        .sum();
    const loop = (w_: Variable) =>
      Array.from({ length: 4 }, (_, k) => grad(inner, 1)(w_, xs.slice(k)).square().sum()).reduce((a, b) => a.add(b));
    expectClose(grad(penalty)(w).data, grad(loop)(w).data);
  });

  it('jvp outside vmap carries its tangents through the batching rules', () => {
    const xs = randn([3, 2], { dtype: 'float64' });
    const vs = randn([3, 2], { dtype: 'float64' });
    const f = (x: Variable) => x.exp().sum();
    const [, tangent] = jvp((x: Variable) => vmap(f)(x), [xs], [vs]);
    expectClose(tangent.data, xs.exp().mul(vs).sum(1));
  });
});

describe('custom nodes', () => {
  class Cube extends Function {
    forward(x: Tensor): Tensor {
      return x.mul(x).mul(x);
    }
    backward(gy: Variable): Variable {
      return gy.mul(this.inputs[0].square().mul(3));
    }
  }
  class BatchedCube extends Cube {
    override batch([x]: readonly BatchedInput[]): Variable {
      return new BatchedCube().apply(x.value);
    }
  }

  it('a node without a batching rule is a named error naming it', () => {
    const run = () => vmap((x: Variable) => new Cube().apply(x))(f64([1, 2]));
    expect(run).toThrow(AutogradError);
    expect(run).toThrow(/vmap: Cube has no batching rule.*never falls back to a loop/);
  });

  it('a node with one works, under grad too', () => {
    expect(vmap((x: Variable) => new BatchedCube().apply(x))(f64([1, 2])).toArray()).toEqual([1, 8]);
    expect(vmap(grad((x: Variable) => new BatchedCube().apply(x)))(f64([1, 2])).toArray()).toEqual([3, 12]);
  });
});

describe('jacobian (reverse mode) pushes all its rows through one batched backward', () => {
  let backwardCalls = 0;
  /** y = 2x; its backward applies the node again, which has no batching rule. */
  class TwiceWithoutRule extends Function {
    forward(x: Tensor): Tensor {
      return x.mul(2);
    }
    backward(gy: Variable): Variable {
      backwardCalls++;
      return new TwiceWithoutRule().apply(gy);
    }
  }
  /** The same with a batching rule, and a backward of built-in nodes. */
  class Twice extends TwiceWithoutRule {
    override backward(gy: Variable): Variable {
      backwardCalls++;
      return gy.mul(2);
    }
    override batch([x]: readonly BatchedInput[]): Variable {
      return new Twice().apply(x.value);
    }
  }

  it('one backward pass for the 4 rows, and the Jacobian forward mode gives', () => {
    const x = f64([0.5, -1, 2, 0.25]);
    const f = (u: Variable) => new Twice().apply(u.tanh()).mul(u.sum());
    backwardCalls = 0;
    const J = jacobian(f, x);
    expect(backwardCalls).toBe(1);
    const same = (u: Variable) => u.tanh().mul(2).mul(u.sum());
    expectClose(J.data, jacobian(same, x, { mode: 'fwd' }).data);
  });

  it('falls back to one pass per row where a backward node has no batching rule', () => {
    const x = f64([0.5, -1, 2]);
    const f = (u: Variable) => new TwiceWithoutRule().apply(u).sin();
    backwardCalls = 0;
    const J = jacobian(f, x);
    expect(backwardCalls).toBe(1 + 3); // the batched attempt, then one per row
    expectClose(J.data, jacobian((u: Variable) => u.mul(2).sin(), x, { mode: 'fwd' }).data);
  });
});

describe('bad input is a named error', () => {
  const xs = f64([
    [1, 2],
    [3, 4],
  ]);
  const sum = (a: Variable, b: Variable) => a.add(b).sum();

  it('batched arguments of different batch sizes', () => {
    const run = () => vmap(sum)(xs, f64([[1, 2, 3]]).reshape([3, 1]));
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(/vmap: the batched arguments have different batch sizes: argument 0 has 2 .* argument 1 has 3/);
  });

  it('inAxes out of range, not an integer, of the wrong length, or all null', () => {
    expect(() => vmap((x: Variable) => x, { inAxes: 2 })(xs)).toThrow(IndexError);
    expect(() => vmap((x: Variable) => x, { inAxes: 2 })(xs)).toThrow(
      /vmap: inAxes\[0\] = 2 is out of range .*\(2,2\)/,
    );
    expect(() => vmap((x: Variable) => x)(f64(3))).toThrow(/a 0-d value has no axis to map over; pass null/);
    expect(() => vmap((x: Variable) => x, { inAxes: 0.5 })).toThrow(ValueError);
    expect(() => vmap(sum, { inAxes: [0] })(xs, xs)).toThrow(/inAxes has 1 entries but f got 2 arguments/);
    expect(() => vmap(sum, { inAxes: [null, null] })(xs, xs)).toThrow(/no argument is batched/);
    expect(() => vmap((x: Variable) => x, { outAxes: 3 })(xs)).toThrow(IndexError);
  });

  it('reading a batched value inside vmap', () => {
    expect(() => vmap((x: Variable) => variable(x.sum().item()))(xs)).toThrow(
      /vmap: the elements of a batched value .* cannot be read inside vmap/,
    );
  });

  it('backward() of a batched value, and a jvp inside vmap', () => {
    expect(() => vmap((x: Variable) => (x.sum().backward(), x))(xs)).toThrow(/use grad or vjp inside vmap/);
    const inside = () => vmap((x: Variable) => jvp((u: Variable) => u.sin(), [x], [x])[1])(xs);
    expect(inside).toThrow(AutogradError);
    expect(inside).toThrow(/jvp, hvp and hessian inside vmap are not supported/);
  });

  it('a batched value that escapes its vmap', () => {
    let kept: Variable | null = null;
    vmap((x: Variable) => (kept = x).sum())(xs);
    expect(() => kept!.mul(2)).toThrow(/after its vmap had already returned/);
    // Inside another vmap too: the value belongs to no open level.
    expect(() => vmap((x: Variable) => x.mul(kept!))(xs)).toThrow(/whose vmap has already returned/);
  });

  it('a function that is not one, and outputs that are not Variables', () => {
    expect(() => vmap(3 as never)).toThrow(ValueError);
    expect(() => vmap(() => 3 as never)(xs)).toThrow(/vmap: f must return a Variable/);
  });
});

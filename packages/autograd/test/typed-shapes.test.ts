/**
 * Variable<S>: the shape types of @nn/tensor through the differentiable ops (checked by `pnpm
 * typecheck`); what must not compile also throws the run-time ShapeError.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ShapeError, type Tensor, randint, randn, zeros } from '@nn/tensor';
import { type Variable, variable } from '@nn/autograd';

describe('typed shapes on Variable', () => {
  it('variable() keeps the shape of its tensor; nested arrays give any shape', () => {
    expectTypeOf(variable(randn([2, 3]))).toEqualTypeOf<Variable<[2, 3]>>();
    expectTypeOf(variable([1, 2, 3])).toEqualTypeOf<Variable>();
    const plain: Variable = variable(zeros([4]));
    expect(plain.shape).toEqual([4]);
  });

  it('an MLP expression keeps its shapes, and the gradient has the shape of its leaf', () => {
    const x = variable(randn([100, 784]), { requiresGrad: false });
    const W = variable(randn([784, 50]));
    const b = variable(zeros([50]));
    const h = x.matmul(W).add(b).relu();
    expectTypeOf(h).toEqualTypeOf<Variable<[100, 50]>>();
    expectTypeOf(h.sum()).toEqualTypeOf<Variable<[]>>();
    expectTypeOf(h.mean(0)).toEqualTypeOf<Variable<[50]>>();
    expectTypeOf(h.T).toEqualTypeOf<Variable<[50, 100]>>();
    expectTypeOf(h.reshape(-1)).toEqualTypeOf<Variable<[number]>>();
    expectTypeOf(W.grad).toEqualTypeOf<Variable<[784, 50]> | null>();
    expectTypeOf(W.data).toEqualTypeOf<Tensor<[784, 50]>>();
    h.sum().backward();
    expect(W.grad?.shape).toEqual([784, 50]);
  });

  it('softmaxCrossEntropy checks that logits and labels agree on the batch', () => {
    const scores = variable(randn([100, 10]));
    expectTypeOf(scores.softmaxCrossEntropy(randint(0, 10, [100]))).toEqualTypeOf<Variable<[]>>();
    expectTypeOf(scores.softmaxCrossEntropy(randn([100, 10]).softmax())).toEqualTypeOf<Variable<[]>>();
    // @ts-expect-error a batch of 100 scores against 99 labels
    expect(() => scores.softmaxCrossEntropy(randint(0, 10, [99]))).toThrow(ShapeError);
  });

  it('a Tensor operand broadcasts like a Variable one', () => {
    const v = variable(randn([4, 3]));
    expectTypeOf(v.mul(randn([3]))).toEqualTypeOf<Variable<[4, 3]>>();
    expectTypeOf(v.sub(2).div(variable(randn([4, 1])))).toEqualTypeOf<Variable<[4, 3]>>();
    // @ts-expect-error 3 and 5 do not broadcast
    expect(() => v.add(randn([5]))).toThrow(ShapeError);
    // @ts-expect-error inner dimensions 3 and 4 differ
    expect(() => v.matmul(variable(randn([4, 2])))).toThrow(ShapeError);
  });
});

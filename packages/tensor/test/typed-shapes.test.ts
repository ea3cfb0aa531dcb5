/**
 * Shapes in the type system: checked by the compiler in `pnpm typecheck` (expectTypeOf, and
 * `@ts-expect-error` where a shape must not compile); at run time each case also runs, and what
 * must not compile throws the run-time ShapeError, so the two levels agree.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Dim, ShapeError, Tensor, concat, dim, ones, randn, stack, tensor, zeros } from '../src/index.js';

describe('typed shapes on Tensor', () => {
  it('creation infers literal shapes without `as const`', () => {
    expectTypeOf(zeros([2, 3])).toEqualTypeOf<Tensor<[2, 3]>>();
    expectTypeOf(randn([100, 784])).toEqualTypeOf<Tensor<[100, 784]>>();
    expectTypeOf(ones(5)).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(zeros([])).toEqualTypeOf<Tensor<[]>>();
    const n: number = 4;
    expectTypeOf(zeros([n, 3])).toEqualTypeOf<Tensor<[number, 3]>>();
    const shape: number[] = [2, 2];
    expectTypeOf(zeros(shape)).toEqualTypeOf<Tensor<number[]>>();
    expect(zeros([2, 3]).shape).toEqual([2, 3]);
  });

  it('a literal-shaped tensor passes where a plain Tensor is expected', () => {
    const plain: Tensor = zeros([2, 3]);
    const f = (t: Tensor): number => t.size;
    expect(f(zeros([2, 3])) + plain.size).toBe(12);
    expectTypeOf(tensor([1, 2]).add(1)).toEqualTypeOf<Tensor>();
  });

  it('elementwise ops broadcast at the type level', () => {
    const x = zeros([4, 3]);
    expectTypeOf(x.add(zeros([3]))).toEqualTypeOf<Tensor<[4, 3]>>();
    expectTypeOf(x.mul(zeros([4, 1]))).toEqualTypeOf<Tensor<[4, 3]>>();
    expectTypeOf(zeros([2, 1, 3]).sub(zeros([5, 1]))).toEqualTypeOf<Tensor<[2, 5, 3]>>();
    expectTypeOf(x.div(2)).toEqualTypeOf<Tensor<[4, 3]>>();
    expectTypeOf(x.exp().tanh()).toEqualTypeOf<Tensor<[4, 3]>>();
    const n: number = 3;
    expectTypeOf(x.add(zeros([n]))).toEqualTypeOf<Tensor<[4, 3]>>();
    // @ts-expect-error 3 and 4 do not broadcast
    expect(() => x.add(zeros([4]))).toThrow(ShapeError);
    // @ts-expect-error 3 and 2 do not broadcast
    expect(() => x.maximum(zeros([2, 4, 2]))).toThrow(ShapeError);
  });

  it('matmul: 2-d, 1-d and batched with broadcast batch dimensions', () => {
    expectTypeOf(zeros([100, 784]).matmul(zeros([784, 50]))).toEqualTypeOf<Tensor<[100, 50]>>();
    expectTypeOf(zeros([3]).matmul(zeros([3]))).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(zeros([3]).matmul(zeros([3, 5]))).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(zeros([2, 3]).matmul(zeros([3]))).toEqualTypeOf<Tensor<[2]>>();
    expectTypeOf(zeros([7, 1, 2, 3]).matmul(zeros([4, 3, 5]))).toEqualTypeOf<Tensor<[7, 4, 2, 5]>>();
    // @ts-expect-error inner dimensions 784 and 785 differ
    expect(() => zeros([100, 784]).matmul(zeros([785, 50]))).toThrow(ShapeError);
    // @ts-expect-error batch dimensions 2 and 3 do not broadcast
    expect(() => zeros([2, 4, 4]).matmul(zeros([3, 4, 4]))).toThrow(ShapeError);
  });

  it('reductions with literal axes, negative ones, tuples and keepdims', () => {
    const x = zeros([2, 3, 4]);
    expectTypeOf(x.sum()).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(x.sum(1)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(x.mean(-1)).toEqualTypeOf<Tensor<[2, 3]>>();
    expectTypeOf(x.max([0, 2])).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(x.sum(0, { keepdims: true })).toEqualTypeOf<Tensor<[1, 3, 4]>>();
    expectTypeOf(x.sum(undefined, { keepdims: true })).toEqualTypeOf<Tensor<[1, 1, 1]>>();
    expectTypeOf(x.argmax(1)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(x.softmax()).toEqualTypeOf<Tensor<[2, 3, 4]>>();
    expect(x.sum(0, { keepdims: true }).shape).toEqual([1, 3, 4]);
  });

  it('movement: reshape as written, transpose and permute, squeeze, unsqueeze, flatten, .T', () => {
    const x = zeros([2, 3, 4]);
    expectTypeOf(x.reshape(6, 4)).toEqualTypeOf<Tensor<[6, 4]>>();
    expectTypeOf(x.reshape([-1, 4])).toEqualTypeOf<Tensor<[number, 4]>>();
    expectTypeOf(x.T).toEqualTypeOf<Tensor<[4, 3, 2]>>();
    expectTypeOf(x.transpose([0, 2, 1])).toEqualTypeOf<Tensor<[2, 4, 3]>>();
    expectTypeOf(x.permute(2, 0, 1)).toEqualTypeOf<Tensor<[4, 2, 3]>>();
    expectTypeOf(x.swapaxes(0, -1)).toEqualTypeOf<Tensor<[4, 3, 2]>>();
    expectTypeOf(x.unsqueeze(0)).toEqualTypeOf<Tensor<[1, 2, 3, 4]>>();
    expectTypeOf(x.unsqueeze(-1)).toEqualTypeOf<Tensor<[2, 3, 4, 1]>>();
    expectTypeOf(zeros([1, 3, 1]).squeeze()).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(zeros([1, 3, 1]).squeeze(0)).toEqualTypeOf<Tensor<[3, 1]>>();
    expectTypeOf(x.flatten()).toEqualTypeOf<Tensor<[number]>>();
    expectTypeOf(zeros([7, 1, 28, 28]).flatten(1)).toEqualTypeOf<Tensor<[7, number]>>();
    expect(zeros([7, 1, 28, 28]).flatten(1).shape).toEqual([7, 784]);
    expect(x.permute(2, 0, 1).shape).toEqual([4, 2, 3]);
  });

  it('named dimensions stay symbolic through ops', () => {
    const B = dim('batch', 8);
    const x = randn([B, 784]);
    expectTypeOf(x).toEqualTypeOf<Tensor<[Dim<'batch'>, 784]>>();
    expectTypeOf(x.matmul(randn([784, 10])).sum(1)).toEqualTypeOf<Tensor<[Dim<'batch'>]>>();
    expect(x.shape).toEqual([8, 784]);
  });
});

describe('typed shapes of indexing and joining', () => {
  it('slice: literal integers drop their axis, ":" keeps it, other slices are unknown, "..." fills', () => {
    const x = zeros([2, 3, 4]);
    expectTypeOf(x.slice(0)).toEqualTypeOf<Tensor<[3, 4]>>();
    expectTypeOf(x.slice(':', 1)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(x.slice('1:', ':', 0)).toEqualTypeOf<Tensor<[number, 3]>>();
    expectTypeOf(x.slice('...', 0)).toEqualTypeOf<Tensor<[2, 3]>>();
    expectTypeOf(x.slice(1, '...', '::-1')).toEqualTypeOf<Tensor<[3, number]>>();
    expect(x.slice('1:', ':', 0).shape).toEqual([1, 3]);
    expect(x.slice(1, '...', '::-1').shape).toEqual([3, 4]);
  });

  it('concat sums the axis, stack inserts the count', () => {
    expectTypeOf(concat([zeros([2, 3]), zeros([5, 3])])).toEqualTypeOf<Tensor<[7, 3]>>();
    expectTypeOf(concat([zeros([2, 3]), zeros([2, 1])], -1)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(stack([zeros([2, 3]), zeros([2, 3]), zeros([2, 3])])).toEqualTypeOf<Tensor<[3, 2, 3]>>();
    expectTypeOf(stack([zeros([2, 3]), zeros([2, 3])], -1)).toEqualTypeOf<Tensor<[2, 3, 2]>>();
    const list: Tensor[] = [zeros([2]), zeros([3])];
    expectTypeOf(concat(list)).toEqualTypeOf<Tensor<number[]>>();
    expect(concat([zeros([2, 3]), zeros([2, 1])], -1).shape).toEqual([2, 4]);
    expect(stack([zeros([2, 3]), zeros([2, 3])], -1).shape).toEqual([2, 3, 2]);
  });

  it('ranks up to 6', () => {
    const x = zeros([1, 2, 3, 4, 5, 6]);
    expectTypeOf(x.sum(-1).T).toEqualTypeOf<Tensor<[5, 4, 3, 2, 1]>>();
    expectTypeOf(x.add(zeros([5, 1]))).toEqualTypeOf<Tensor<[1, 2, 3, 4, 5, 6]>>();
    expectTypeOf(x.matmul(zeros([6, 2]))).toEqualTypeOf<Tensor<[1, 2, 3, 4, 5, 2]>>();
  });
});

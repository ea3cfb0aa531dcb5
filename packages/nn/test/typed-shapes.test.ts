/**
 * Shapes through layers at the type level (checked by `pnpm typecheck`): Linear maps the last
 * dimension, activations keep the shape, Flatten folds, Sequential infers its chain, and a chain
 * whose layers do not fit is a compile error naming both dimensions. What must not compile also
 * fails at run time.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ShapeError, randn } from '@nn/tensor';
import { type Variable, variable } from '@nn/autograd';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid } from '@nn/nn';

describe('typed shapes through layers', () => {
  it('Linear<In, Out> maps [...B, In] to [...B, Out]', () => {
    const fc = new Linear(784, 50);
    expectTypeOf(fc).toEqualTypeOf<Linear<784, 50>>();
    expectTypeOf(fc.forward(variable(randn([100, 784])))).toEqualTypeOf<Variable<[100, 50]>>();
    expectTypeOf(fc.forward(variable(randn([7, 3, 784])))).toEqualTypeOf<Variable<[7, 3, 50]>>();
    // @ts-expect-error the input has 785 features, Linear wants 784
    expect(() => fc.forward(variable(randn([100, 785])))).toThrow(ShapeError);
  });

  it('Sequential infers the output shape of its chain', () => {
    const mlp = new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10));
    expectTypeOf(mlp.forward(variable(randn([100, 784])))).toEqualTypeOf<Variable<[100, 10]>>();
    const cnnHead = new Sequential(new Flatten(), new Linear(784, 10), new Sigmoid());
    expectTypeOf(cnnHead.forward(variable(randn([8, 1, 28, 28])))).toEqualTypeOf<Variable<[8, 10]>>();
    expect(mlp.forward(variable(randn([100, 784]))).shape).toEqual([100, 10]);
  });

  it('a chain whose layers do not fit does not compile', () => {
    // @ts-expect-error Linear(784, 50) gives 50 features, Linear(60, 10) wants 60: ShapeMismatch<'Linear', 60, 50>
    const bad = new Sequential(new Linear(784, 50), new ReLU(), new Linear(60, 10));
    expect(() => bad.forward(variable(randn([2, 784])))).toThrow(ShapeError);
  });

  it('untyped code is unchanged: plain lists of modules and plain Variables', () => {
    const layers = [new Linear(4, 3), new ReLU()];
    const net = new Sequential(...layers);
    const x: Variable = variable(randn([2, 4]));
    expectTypeOf(net.forward(x)).toEqualTypeOf<Variable<number[]>>();
    expect(net.forward(x).shape).toEqual([2, 3]);
  });
});

describe('typed shapes through convolutions and pooling', () => {
  it("SimpleConvNet's shapes, computed from the literal sizes", () => {
    const conv = new Conv2d(1, 30, 5);
    const x = variable(randn([7, 1, 28, 28]));
    expectTypeOf(conv.forward(x)).toEqualTypeOf<Variable<[7, 30, 24, 24]>>();
    expectTypeOf(new MaxPool2d(2).forward(conv.forward(x))).toEqualTypeOf<Variable<[7, 30, 12, 12]>>();
    expectTypeOf(new Conv2d(16, 32, 3, { pad: 1 }).forward(variable(randn([2, 16, 14, 14])))).toEqualTypeOf<
      Variable<[2, 32, 14, 14]>
    >();
    const strided = new Conv2d(1, 8, [3, 5], { stride: 2 });
    expectTypeOf(strided.forward(variable(randn([1, 1, 29, 27])))).toEqualTypeOf<Variable<[1, 8, 14, 12]>>();
    // (28 − 3) / 2 is not whole: the type says number and the run-time check names the sizes
    expectTypeOf(() => strided.forward(variable(randn([1, 1, 28, 27])))).returns.toEqualTypeOf<
      Variable<[1, 8, number, 12]>
    >();
    expect(() => strided.forward(variable(randn([1, 1, 28, 27])))).toThrow(ShapeError);
    const net = new Sequential(new Conv2d(1, 30, 5), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4320, 10));
    expectTypeOf(net.forward(x)).toEqualTypeOf<Variable<[7, 10]>>();
    expect(net.forward(x).shape).toEqual([7, 10]);
  });

  it('a channel mismatch does not compile', () => {
    // @ts-expect-error Conv2d(3, …) given 1 channel
    expect(() => new Conv2d(3, 8, 3).forward(variable(randn([1, 1, 8, 8])))).toThrow(ShapeError);
    // @ts-expect-error Conv2d(1, 30) gives 30 channels, Conv2d(20, …) wants 20
    expect(() => new Sequential(new Conv2d(1, 30, 5), new Conv2d(20, 8, 3))).not.toThrow();
  });
});

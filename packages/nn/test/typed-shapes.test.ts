/**
 * Shapes through layers at the type level (checked by `pnpm typecheck`): Linear maps the last
 * dimension, activations keep the shape, Flatten folds, Sequential infers its chain, and a chain
 * whose layers do not fit is a compile error naming both dimensions. What must not compile also
 * fails at run time.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ShapeError, randn } from '@nn/tensor';
import { type Variable, variable } from '@nn/autograd';
import { Flatten, Linear, ReLU, Sequential, Sigmoid } from '@nn/nn';

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

/**
 * Layers: every layer gradchecked in float64 (input and parameters), BatchNorm's train/eval
 * behaviour and running statistics, Dropout's statistics, shapes and error messages.
 * Forward values are compared to 1e-12 in float64 (1e-6 in float32); gradients with gradcheck's
 * tolerances (atol 1e-5, rtol 1e-3 on central differences with eps 1e-6).
 */
import { describe, expect, test } from 'vitest';
import { Generator, Tensor, ones, tensor } from '@nn/tensor';
import { Function, Variable, variable } from '@nn/autograd';
import { GradcheckError } from '@nn/autograd/testing';
import {
  BatchNorm1d,
  BatchNorm2d,
  Dropout,
  Flatten,
  Identity,
  LeakyReLU,
  Linear,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  init,
} from '@nn/nn';
import { checkModule, moments, sample, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);

describe('gradcheck of every layer (float64, input and parameters)', () => {
  test('Linear with and without bias, 2-d and 3-d input', () => {
    checkModule(new Linear(4, 3, { generator: g(1) }), sample([5, 4], 2));
    checkModule(new Linear(4, 3, { bias: false, generator: g(1) }), sample([5, 4], 3));
    checkModule(new Linear(4, 2, { generator: g(1) }), sample([2, 3, 4], 4));
  });

  test('activations', () => {
    // Shifted away from 0 so ReLU and LeakyReLU are differentiable at every sample point.
    const x = sample([3, 5], 5).add(0.05);
    for (const layer of [
      new Sigmoid(),
      new Tanh(),
      new ReLU(),
      new LeakyReLU(0.2),
      new Softmax(),
      new Softmax(0),
      new Identity(),
    ]) {
      checkModule(layer, x);
    }
  });

  test('Flatten and Sequential (an MLP with every kind of layer)', () => {
    checkModule(new Flatten(), sample([2, 3, 4], 6));
    const net = new Sequential(
      new Flatten(),
      new Linear(6, 5, { generator: g(2) }),
      new Tanh(),
      new BatchNorm1d(5),
      new Linear(5, 3, { generator: g(3) }),
      new Softmax(),
    );
    checkModule(net, sample([4, 2, 3], 7));
  });

  test('Dropout in training, with its mask replayed for every evaluation', () => {
    const drop = new Dropout(0.4);
    checkModule(drop, sample([6, 5], 8), { beforeForward: () => (drop.generator = g(9)) });
    drop.eval();
    checkModule(drop, sample([6, 5], 8));
  });

  test('BatchNorm1d (2-d and 3-d input) and BatchNorm2d, in training and in eval mode', () => {
    const bn1 = new BatchNorm1d(3);
    bn1.gamma.data = tensor([1.5, -0.5, 2]);
    bn1.beta.data = tensor([0.1, 0.2, -0.3]);
    checkModule(bn1, sample([5, 3], 10));
    checkModule(new BatchNorm1d(3), sample([4, 3, 2], 11));
    const bn2 = new BatchNorm2d(2);
    checkModule(bn2, sample([3, 2, 2, 3], 12));
    bn2.eval();
    checkModule(bn2, sample([3, 2, 2, 3], 13));
  });

  test('the check itself fails on a layer with a wrong backward', () => {
    class WrongSquare extends Function {
      forward(x: Tensor): Tensor {
        return x.mul(x);
      }
      backward(gy: Variable): Variable {
        return gy.mul(this.inputs[0]);
      } // should be 2·x·gy
    }
    class Broken extends Module {
      forward(x: Variable): Variable {
        return new WrongSquare().apply(x);
      }
    }
    expect(() => checkModule(new Broken(), sample([3], 14))).toThrow(GradcheckError);
  });
});

describe('Linear', () => {
  test("is the seeds' Affine: x·W + b with W (in, out), parameters W and b", () => {
    const fc = new Linear(2, 3, { dtype: 'float64' });
    fc.W.data = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    fc.b!.data = tensor([0.5, -1, 2], { dtype: 'float64' });
    expect(fc.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['W', [2, 3]],
      ['b', [3]],
    ]);
    expect(
      fc
        .forward(
          variable(
            [
              [1, 1],
              [0, 2],
            ],
            { dtype: 'float64' },
          ),
        )
        .toArray(),
    ).toEqual([
      [5.5, 6, 11],
      [8.5, 9, 14],
    ]);
    expect(fc.W.name).toBe('W');
  });

  test("default init is the seeds' Xavier (std 1/√in) with zero bias; options choose others", () => {
    const fc = new Linear(400, 300, { generator: g(0) });
    expect(moments(fc.W.data.toTypedArray()).std).toBeCloseTo(1 / Math.sqrt(400), 3);
    expect(values(fc.b!.data).every((v) => v === 0)).toBe(true);
    const he = new Linear(400, 300, { init: init.he(g(1)) });
    expect(moments(he.W.data.toTypedArray()).std).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(new Linear(3, 2, { bias: false }).b).toBeNull();
    expect(new Linear(3, 2, { bias: false }).parameters()).toHaveLength(1);
  });

  test('the layer generator makes initialisation reproducible', () => {
    const a = new Linear(5, 4, { generator: g(42) });
    const b = new Linear(5, 4, { generator: g(42) });
    expect(a.W.data.equal(b.W.data)).toBe(true);
    expect(a.W.data.equal(new Linear(5, 4, { generator: g(43) }).W.data)).toBe(false);
  });

  test('a wrong input width names the layer and the shape', () => {
    // @ts-expect-error the compiler sees the wrong width too; this checks the run-time message
    expect(() => new Linear(784, 50).forward(variable(ones([2, 100])))).toThrow(
      /Linear\(784→50\).*784 features.*\(2,100\)/,
    );
    expect(() => new Linear(0, 3)).toThrow(/positive integer/);
  });
});

describe('BatchNorm', () => {
  // Two features with different means and spreads, 4 samples.
  const x = tensor(
    [
      [1, 10],
      [2, 20],
      [3, 40],
      [6, 50],
    ],
    { dtype: 'float64' },
  );
  const batchMean = [3, 30];
  const biasedVar = [3.5, 250];
  const unbiasedVar = [14 / 3, 1000 / 3];

  test('training: normalises with the batch mean and biased variance, then gamma and beta', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    bn.gamma.data = tensor([2, 1], { dtype: 'float64' });
    bn.beta.data = tensor([0, 5], { dtype: 'float64' });
    const y = bn.forward(variable(x));
    const expected = [
      [1, 10],
      [2, 20],
      [3, 40],
      [6, 50],
    ].map((row) => row.map((v, c) => [2, 1][c] * ((v - batchMean[c]) / Math.sqrt(biasedVar[c] + 1e-5)) + [0, 5][c]));
    expect(y.data.allclose(tensor(expected, { dtype: 'float64' }), { atol: 1e-12, rtol: 0 })).toBe(true);
  });

  test('training updates the running statistics (momentum 0.1, unbiased variance); eval uses them', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    bn.forward(variable(x));
    expect(values(bn.runningMean)).toEqual(batchMean.map((m) => 0.1 * m));
    values(bn.runningVar).forEach((v, c) => expect(v).toBeCloseTo(0.9 * 1 + 0.1 * unbiasedVar[c], 12));
    bn.forward(variable(x));
    values(bn.runningMean).forEach((v, c) => expect(v).toBeCloseTo(0.9 * 0.1 * batchMean[c] + 0.1 * batchMean[c], 12));

    const rm = values(bn.runningMean);
    const rv = values(bn.runningVar);
    bn.eval();
    const probe = tensor(
      [
        [0, 0],
        [3, 30],
      ],
      { dtype: 'float64' },
    );
    const y = bn.forward(variable(probe));
    const expected = [
      [0, 0],
      [3, 30],
    ].map((row) => row.map((v, c) => (v - rm[c]) / Math.sqrt(rv[c] + 1e-5)));
    expect(y.data.allclose(tensor(expected, { dtype: 'float64' }), { atol: 1e-12, rtol: 0 })).toBe(true);
    // Eval leaves the statistics alone, and one sample is fine.
    expect(values(bn.runningMean)).toEqual(rm);
    expect(bn.forward(variable(tensor([[1, 2]], { dtype: 'float64' }))).shape).toEqual([1, 2]);
  });

  test("the seeds' momentum 0.9 is our momentum 0.1; a custom momentum is used as given", () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64', momentum: 0.5 });
    bn.forward(variable(x));
    expect(values(bn.runningMean)).toEqual(batchMean.map((m) => 0.5 * m));
  });

  test('BatchNorm2d normalises each channel over N, H and W', () => {
    const bn = new BatchNorm2d(3, { dtype: 'float64' });
    const input = sample([4, 3, 5, 5], 20)
      .mul(tensor([1, 5, 0.1], { dtype: 'float64' }).reshape([1, 3, 1, 1]))
      .add(2);
    const y = bn.forward(variable(input)).data;
    for (let c = 0; c < 3; c++) {
      const { mean, std } = moments(y.slice(':', c).toTypedArray());
      const inputStd = moments(input.slice(':', c).toTypedArray()).std; // biased, as BatchNorm normalises
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(std).toBeCloseTo(inputStd / Math.sqrt(inputStd ** 2 + 1e-5), 12); // 1 but for eps
    }
    values(bn.runningMean).forEach((m, c) =>
      expect(m).toBeCloseTo(0.1 * moments(input.slice(':', c).toTypedArray()).mean, 12),
    );
  });

  test('shape errors name the layer and the expected layout', () => {
    expect(() => new BatchNorm1d(3).forward(variable(ones([4, 5])))).toThrow(/BatchNorm1d\(3\).*\(N, C\).*\(4,5\)/);
    expect(() => new BatchNorm2d(3).forward(variable(ones([4, 3])))).toThrow(/BatchNorm2d\(3\).*\(N, C, H, W\)/);
    expect(() => new BatchNorm1d(3).forward(variable(ones([1, 3])))).toThrow(/more than one value per feature/);
  });

  test('gamma/beta are parameters, running statistics are buffers', () => {
    const bn = new BatchNorm2d(4);
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['gamma', 'beta']);
    expect(bn.namedBuffers().map(([k, t]) => [k, t.shape])).toEqual([
      ['runningMean', [4]],
      ['runningVar', [4]],
    ]);
  });
});

describe('Dropout', () => {
  const x = ones([200, 500]);

  test('training: about p of the elements are zeroed and the mean is preserved (inverted scaling)', () => {
    for (const p of [0.2, 0.5]) {
      const y = new Dropout(p, { generator: g(1) }).forward(variable(x)).data.toTypedArray();
      const zeroed = y.filter((v) => v === 0).length / y.length;
      expect(Math.abs(zeroed - p)).toBeLessThan(0.01); // 100,000 draws: std of the fraction ≈ 0.0016
      expect(Math.abs(moments(y).mean - 1)).toBeLessThan(0.01);
      expect(new Set(y)).toEqual(new Set([0, Math.fround(1 / (1 - p))]));
    }
  });

  test('eval mode is the identity; the gradient in training is the scaled mask', () => {
    const drop = new Dropout(0.5, { generator: g(2) });
    const input = variable(sample([4, 6], 3));
    expect(drop.eval().forward(input)).toBe(input);
    drop.train();
    const y = drop.forward(input);
    y.sum().backward();
    const mask = values(input.grad!.data);
    expect(mask.every((m) => m === 0 || m === 2)).toBe(true);
    values(y.data).forEach((v, i) => expect(v).toBeCloseTo(values(input.data)[i] * mask[i], 12));
  });

  test('the same generator seed gives the same mask; p = 0 and p = 1 are exact', () => {
    const a = new Dropout(0.5, { generator: g(7) }).forward(variable(x)).data;
    const b = new Dropout(0.5, { generator: g(7) }).forward(variable(x)).data;
    expect(a.equal(b)).toBe(true);
    const input = variable(x);
    expect(new Dropout(0).forward(input)).toBe(input);
    expect(values(new Dropout(1).forward(input).data).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow(/\[0, 1\]/);
  });

  test("the seeds' scale-at-test variant: unscaled mask in training, ×(1 − p) in eval", () => {
    const drop = new Dropout(0.3, { generator: g(4), scaleAtTest: true });
    const y = values(drop.forward(variable(x)).data);
    expect(new Set(y)).toEqual(new Set([0, 1]));
    drop.eval();
    expect(values(drop.forward(variable(tensor([10, 20], { dtype: 'float64' }))).data)).toEqual([7, 14]);
  });
});

describe('shape layers and containers', () => {
  test('Flatten keeps the batch axis by default', () => {
    expect(new Flatten().forward(variable(ones([2, 1, 28, 28]))).shape).toEqual([2, 784]);
    expect(new Flatten(0).forward(variable(ones([2, 3]))).shape).toEqual([6]);
    expect(new Flatten(1, 2).forward(variable(ones([2, 3, 4, 5]))).shape).toEqual([2, 12, 5]);
  });

  test('Sequential: index access, length, at(), iteration, append, forward in order', () => {
    const a = new Linear(2, 3);
    const r = new ReLU();
    const net = new Sequential(a, r);
    expect(net[0]).toBe(a);
    expect(net[1]).toBe(r);
    expect(net.length).toBe(2);
    expect(net.at(-1)).toBe(r);
    expect([...net]).toEqual([a, r]);
    net.append(new Linear(3, 1));
    expect(net.length).toBe(3);
    expect(net.forward(variable(ones([5, 2]))).shape).toEqual([5, 1]);
    expect(() => net.at(3)).toThrow(/out of range for 3 modules/);
    expect(() => new Sequential(a, 3 as unknown as Module)).toThrow(/must be a Module, got number at index 1/);
  });

  test('Softmax rows sum to 1; LeakyReLU slope; Identity returns its input', () => {
    const x = variable(sample([3, 4], 30));
    values(new Softmax().forward(x).data.sum(-1)).forEach((s) => expect(s).toBeCloseTo(1, 12));
    expect(new LeakyReLU(0.2).forward(variable([-1, 2], { dtype: 'float64' })).toArray()).toEqual([-0.2, 2]);
    expect(new Identity().forward(x)).toBe(x);
  });
});

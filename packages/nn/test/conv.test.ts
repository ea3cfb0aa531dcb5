/**
 * The CNN layers: Conv2d, MaxPool2d, AvgPool2d (and BatchNorm2d on feature maps) — parameter
 * shapes, names and He initialisation, output shapes, error messages, and gradchecks of the layers
 * and of a small CNN in float64 (gradcheck's tolerances: eps 1e-6, atol 1e-5, rtol 1e-3).
 * Forward values against direct loops are tested in @nn/autograd's conv.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { Generator, ShapeError, ValueError, randn, tensor, zeros } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, init } from '@nn/nn';
import { checkModule, moments, sample, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);

describe('Conv2d', () => {
  test('W (FN, C, FH, FW) and b (FN), named as the seeds name them; He init by default', () => {
    const conv = new Conv2d(3, 64, 5, { generator: g(1) });
    expect(conv.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ['W', [64, 3, 5, 5]],
      ['b', [64]],
    ]);
    expect(conv.W.name).toBe('W');
    expect(conv.W.dtype).toBe('float32');
    const { mean, std } = moments(conv.W.data.toTypedArray());
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeCloseTo(Math.sqrt(2 / 75), 2); // fan-in C·FH·FW = 75
    expect(values(conv.b!.data).every((v) => v === 0)).toBe(true);
    const narrow = new Conv2d(1, 30, [5, 3], {
      bias: false,
      init: init.normal(0.01),
      dtype: 'float64',
      stride: [1, 2],
      pad: [2, 1],
    });
    expect(narrow.b).toBeNull();
    expect(narrow.W.shape).toEqual([30, 1, 5, 3]);
    expect(String(narrow)).toBe('Conv2d(1, 30, kernelSize=(5,3), stride=(1,2), pad=(2,1), bias=false)');
  });

  test("output sizes follow the seeds' formula", () => {
    expect(new Conv2d(1, 30, 5).forward(variable(zeros([2, 1, 28, 28]))).shape).toEqual([2, 30, 24, 24]);
    expect(new Conv2d(16, 32, 3, { pad: 1 }).forward(variable(zeros([1, 16, 14, 14]))).shape).toEqual([1, 32, 14, 14]);
    expect(new Conv2d(3, 4, 3, { stride: 2, pad: 1 }).forward(variable(zeros([1, 3, 7, 9]))).shape).toEqual([
      1, 4, 4, 5,
    ]);
  });

  test('errors name the layer or op and the shapes', () => {
    // @ts-expect-error the compiler sees this mismatch too; this checks the run-time error
    expect(() => new Conv2d(3, 4, 3).forward(variable(zeros([1, 2, 5, 5])))).toThrow(
      'Conv2d(3→4): expected an input of shape (N, 3, H, W), got (1,2,5,5)',
    );
    // @ts-expect-error the compiler sees this mismatch too; this checks the run-time error
    expect(() => new Conv2d(3, 4, 3).forward(variable(zeros([3, 5, 5])))).toThrow(ShapeError);
    expect(() => new Conv2d(3, 4, 4, { stride: 2 }).forward(variable(zeros([1, 3, 7, 7])))).toThrow(
      'conv2d: input (1,3,7,7) with filter 4×4, stride 2, pad 0: the output height (H + 2·pad − FH)/stride + 1 = (7 + 2·0 − 4)/2 + 1 = 2.5 is not a whole number',
    );
    expect(() => new Conv2d(0, 4, 3)).toThrow('Conv2d: inChannels must be a positive integer, got 0');
    expect(() => new Conv2d(1, 4, 0)).toThrow(ValueError);
    expect(() => new Conv2d(1, 4, 3, { pad: -1 })).toThrow(
      'Conv2d: pad must be a non-negative integer or a [height, width] pair of them, got -1',
    );
  });

  test('gradcheck of x, W and b, with strides and padding', () => {
    checkModule(new Conv2d(2, 3, 3, { generator: g(2) }), sample([2, 2, 5, 4], 3));
    checkModule(new Conv2d(2, 2, [2, 3], { stride: [2, 1], pad: [1, 0], generator: g(4) }), sample([1, 2, 4, 5], 5));
    checkModule(new Conv2d(1, 2, 3, { bias: false, stride: 2, pad: 1, generator: g(6) }), sample([2, 1, 5, 5], 7));
  });
});

describe('MaxPool2d and AvgPool2d', () => {
  test('stride defaults to the window; shapes, printing and errors', () => {
    expect(new MaxPool2d(2).forward(variable(zeros([2, 30, 24, 24]))).shape).toEqual([2, 30, 12, 12]);
    expect(new AvgPool2d(3, { stride: 1, pad: 1 }).forward(variable(zeros([1, 2, 5, 5]))).shape).toEqual([1, 2, 5, 5]);
    expect(String(new MaxPool2d([2, 3], { pad: [1, 0] }))).toBe('MaxPool2d(size=(2,3), stride=(2,3), pad=(1,0))');
    expect(new MaxPool2d(2).parameters()).toEqual([]);
    expect(() => new MaxPool2d(2).forward(variable(zeros([1, 1, 5, 5])))).toThrow(
      'maxPool2d: input (1,1,5,5) with window 2×2, stride 2, pad 0: the output height',
    );
    // @ts-expect-error the compiler sees this mismatch too; this checks the run-time error
    expect(() => new AvgPool2d(2).forward(variable(zeros([5, 5])))).toThrow(
      'AvgPool2d: expected an input of shape (N, C, H, W), got (5,5)',
    );
    expect(() => new MaxPool2d(1.5)).toThrow('MaxPool2d: size must be a positive integer');
  });

  test('gradcheck (distinct inputs, so every maximum is unique)', () => {
    const x = sample([2, 3, 4, 6], 8); // normal samples: ties have probability 0
    checkModule(new MaxPool2d(2), x);
    checkModule(new MaxPool2d(3, { stride: 1, pad: 1 }), x);
    checkModule(new AvgPool2d(2), x);
    checkModule(new AvgPool2d([2, 3], { stride: [2, 1], pad: [1, 1] }), x);
  });
});

describe('CNNs built from the layers', () => {
  test('a small CNN gradchecks end to end (Conv2d → ReLU → MaxPool2d → BatchNorm2d → Flatten → Linear)', () => {
    const net = new Sequential(
      new Conv2d(1, 3, 3, { pad: 1, generator: g(9) }),
      new ReLU(),
      new MaxPool2d(2),
      new BatchNorm2d(3),
      new Flatten(),
      new Linear(12, 2, { generator: g(10) }),
    );
    checkModule(net, sample([3, 1, 4, 4], 11));
  });

  test('BatchNorm2d normalizes each channel over N, H and W of feature maps', () => {
    const x = randn([4, 3, 5, 6], { dtype: 'float64', generator: g(12) })
      .mul(tensor([1, 2, 3], { dtype: 'float64' }).reshape([1, 3, 1, 1]))
      .add(7);
    const bn = new BatchNorm2d(3, { dtype: 'float64' });
    const y = bn.forward(variable(x)).data;
    for (let c = 0; c < 3; c++) {
      const channel = values(y.slice(':', c));
      const { mean, std } = moments(channel);
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(std).toBeCloseTo(1, 4); // biased variance + eps 1e-5
    }
    expect(bn.runningMean.shape).toEqual([3]);
    // The running mean moved 10% of the way to each channel's batch mean (≈ 7).
    values(bn.runningMean).forEach((m, c) => expect(m).toBeCloseTo(0.1 * moments(values(x.slice(':', c))).mean, 12));
  });

  test("the book's SimpleConvNet layout: parameter names, shapes and summary", () => {
    const net = new Sequential(
      new Conv2d(1, 30, 5),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4320, 100),
      new ReLU(),
      new Linear(100, 10),
    );
    expect(Object.entries(net.stateDict()).map(([k, t]) => `${k} (${t.shape.join(',')})`)).toEqual([
      '0.W (30,1,5,5)',
      '0.b (30)',
      '4.W (4320,100)',
      '4.b (100)',
      '6.W (100,10)',
      '6.b (10)',
    ]);
    expect(net.parameterCount()).toBe(30 * 25 + 30 + 4320 * 100 + 100 + 100 * 10 + 10);
    const summary = net.summary([1, 1, 28, 28]);
    expect(summary).toMatch(/Conv2d\s+\(1,30,24,24\)/);
    expect(summary).toMatch(/MaxPool2d\s+\(1,30,12,12\)/);
  });
});

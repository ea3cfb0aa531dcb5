/**
 * Initializers: shapes, dtypes, statistics (std within 3% on 60,000+ samples, where the sampling
 * error of a std is about 0.3%), fans, generators, and the per-layer option.
 */
import { describe, expect, test } from 'vitest';
import { Generator, type Tensor } from '@nn/tensor';
import { Linear, init } from '@nn/nn';
import { moments, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);
const stats = (t: Tensor) => moments(t.toTypedArray());

function expectStd(t: Tensor, std: number): void {
  const m = stats(t);
  expect(Math.abs(m.mean)).toBeLessThan(0.03 * std);
  expect(Math.abs(m.std / std - 1)).toBeLessThan(0.03);
}

describe('initializer statistics', () => {
  test("normal(std): the seeds' 0.01 by default", () => {
    expectStd(init.normal()([300, 200], { generator: g(0) }), 0.01);
    expectStd(init.normal(0.5, g(1))([300, 200]), 0.5);
  });

  test("xavier: std 1/√fanIn (the seeds' np.random.randn(n, m) / np.sqrt(n))", () => {
    expectStd(init.xavier(g(2))([100, 1000]), 1 / Math.sqrt(100));
    expectStd(init.xavier(g(3))([400, 200]), 1 / Math.sqrt(400));
  });

  test('xavierUniform (Glorot): U(−a, a), a = √(6/(in + out)), variance 2/(in + out)', () => {
    const t = init.xavierUniform(g(4))([300, 500]);
    const a = Math.sqrt(6 / 800);
    const xs = values(t);
    expect(xs.every((v) => v >= -a && v < a)).toBe(true);
    expectStd(t, Math.sqrt(2 / 800));
  });

  test('he: std √(2/fanIn)', () => {
    expectStd(init.he(g(5))([784, 100]), Math.sqrt(2 / 784));
  });

  test('uniform(low, high) and zeros/constant', () => {
    const xs = values(init.uniform(2, 4, g(6))([200, 300]));
    expect(xs.every((v) => v >= 2 && v < 4)).toBe(true);
    // 60,000 samples: the standard error of the mean is 0.0024, of the std about 0.0012.
    expect(Math.abs(moments(xs).mean - 3)).toBeLessThan(0.01);
    expect(Math.abs(moments(xs).std - 2 / Math.sqrt(12))).toBeLessThan(0.006);
    expect(values(init.zeros()([2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(values(init.constant(1)([3], { dtype: 'float64' }))).toEqual([1, 1, 1]);
    expect(() => init.uniform(1, 1)).toThrow(/low < high/);
  });
});

describe('fans, dtypes, generators, layers', () => {
  test('fans: (in, out) matrices, conv filters (out, in, kh, kw), vectors', () => {
    expect(init.fans([784, 50])).toEqual({ fanIn: 784, fanOut: 50 });
    expect(init.fans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    expect(init.fans([10])).toEqual({ fanIn: 10, fanOut: 10 });
    // An explicit fan-in wins over the shape: he() for a conv filter.
    expectStd(init.he(g(7))([64, 1000], { fanIn: 50 }), Math.sqrt(2 / 50));
  });

  test("dtype from the context; same generator seed → same tensor; own generator beats the layer's", () => {
    expect(init.he()([2, 2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(
      init
        .he(g(8))([20, 20])
        .equal(init.he(g(8))([20, 20])),
    ).toBe(true);
    expect(
      init
        .he()([20, 20], { generator: g(8) })
        .equal(init.he(g(8))([20, 20])),
    ).toBe(true);
    expect(
      init
        .he(g(9))([20, 20], { generator: g(8) })
        .equal(init.he(g(9))([20, 20])),
    ).toBe(true);
  });

  test('per-layer option: new Linear(784, 50, { init: init.he() })', () => {
    const fc = new Linear(784, 50, { init: init.he(g(10)) });
    expectStd(fc.W.data, Math.sqrt(2 / 784));
    const small = new Linear(784, 100, { init: init.normal(0.01), biasInit: init.constant(0.1), generator: g(11) });
    expectStd(small.W.data, 0.01);
    expect(values(small.b!.data).every((v) => Math.abs(v - 0.1) < 1e-7)).toBe(true);
  });
});

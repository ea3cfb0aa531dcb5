/**
 * The tensor-level random wrappers (ops/random.ts): reproducibility under seed(), independent
 * streams from Generator options, dtypes and ranges, permutation and choice. The generator's own
 * statistics are tested in src/random/generator.test.ts; here the checks are that each wrapper
 * draws the documented stream (compared with the Generator's scalar methods), fills the right
 * shape and dtype, and leaves the global stream alone when given a generator.
 *
 * Statistical bounds use fixed seeds and are ≥ 5 standard errors wide.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import { DTypeError, ValueError } from '../src/errors.js';
import { arange, tensor } from '../src/ops/creation.js';
import { Generator, globalGenerator, seed } from '../src/random/generator.js';
import { choice, normal, permutation, rand, randint, randn, uniform } from '../src/ops/random.js';
import { read } from './reference.js';

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const range = (n: number) => [...Array(n).keys()];

describe('reproducibility', () => {
  it('seed(n) then randn gives the same numbers twice, and other seeds give others', () => {
    seed(123);
    const a = read(randn([3, 4]));
    seed(123);
    const b = read(randn([3, 4]));
    expect(b).toEqual(a);
    seed(124);
    expect(read(randn([3, 4]))).not.toEqual(a);
  });

  it('every wrapper is reproducible under seed()', () => {
    const draw = () => [
      read(rand([5])),
      read(randn([5])),
      read(uniform(-2, 3, [5])),
      read(normal(1, 2, [5])),
      read(randint(0, 100, [5])),
      read(permutation(10)),
      read(choice(10, 5)),
      read(choice(10, 5, { replace: false })),
    ];
    seed(7);
    const first = draw();
    seed(7);
    expect(draw()).toEqual(first);
  });

  it('randn float64 draws the stream of new Generator(seed).normal()', () => {
    seed(42);
    const x = read(randn([6], { dtype: 'float64' }));
    const g = new Generator(42);
    expect(x).toEqual(range(6).map(() => g.normal()));
    const y = read(randn([6], { generator: new Generator(42) }));
    const h = new Generator(42);
    expect(y).toEqual(range(6).map(() => Math.fround(h.normal())));
  });

  it('rand and uniform float64 draw new Generator(seed).uniform(low, high)', () => {
    const g = new Generator(5);
    expect(read(rand([4], { dtype: 'float64', generator: new Generator(5) }))).toEqual(
      range(4).map(() => g.uniform(0, 1)),
    );
    const h = new Generator(6);
    expect(read(uniform(-3, 2, [4], { dtype: 'float64', generator: new Generator(6) }))).toEqual(
      range(4).map(() => h.uniform(-3, 2)),
    );
    const k = new Generator(8);
    expect(read(randint(-5, 5, [6], { generator: new Generator(8) }))).toEqual(range(6).map(() => k.integer(-5, 5)));
  });

  it('a Generator passed as an option is an independent stream and leaves the global one alone', () => {
    seed(9);
    const plain = read(randn([4]));
    seed(9);
    const g1 = new Generator(1);
    const g2 = new Generator(1);
    const fromG1 = read(randn([4], { generator: g1 }));
    expect(read(randn([4]))).toEqual(plain); // the global stream did not advance
    expect(read(randn([4], { generator: g2 }))).toEqual(fromG1); // same seed, same stream
    expect(read(randn([4], { generator: g1 }))).not.toEqual(fromG1); // g1 moved on
    expect(read(randn([4], { generator: new Generator(2) }))).not.toEqual(fromG1);
    expect(globalGenerator()).toBeInstanceOf(Generator);
  });
});

describe('shapes, dtypes and ranges', () => {
  it('float wrappers give float32 by default and float64 on request', () => {
    for (const make of [
      (o: object) => rand([2, 3], o),
      (o: object) => randn([2, 3], o),
      (o: object) => uniform(0, 1, [2, 3], o),
      (o: object) => normal(0, 1, [2, 3], o),
    ]) {
      const f32 = make({});
      const f64 = make({ dtype: 'float64' });
      expect([f32.dtype, f32.shape, f64.dtype, f64.shape]).toEqual(['float32', [2, 3], 'float64', [2, 3]]);
    }
    expect(rand(4).shape).toEqual([4]);
    expect(rand([]).shape).toEqual([]);
    expect(randn([0, 3]).size).toBe(0);
    expect(() => rand([2], { dtype: 'int32' as never })).toThrow(
      new DTypeError('rand: dtype must be float32 or float64, got int32'),
    );
  });

  it('rand and uniform stay in [low, high); randint in [low, high) as int32', () => {
    const g = new Generator(3);
    const r = read(rand([5000], { generator: g }));
    expect(r.every((v) => v >= 0 && v < 1)).toBe(true);
    const u = read(uniform(-2, -1.5, [5000], { generator: g }));
    expect(u.every((v) => v >= -2 && v < -1.5)).toBe(true);
    const i = randint(-3, 4, [5000], { generator: g });
    expect(i.dtype).toBe('int32');
    expect(sorted([...new Set(read(i))])).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('normal has the requested mean and standard deviation', () => {
    const n = 20000;
    const x = read(normal(3, 2, [n], { generator: new Generator(11), dtype: 'float64' }));
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean - 3)).toBeLessThan((5 * 2) / Math.sqrt(n));
    expect(Math.abs(sd - 2)).toBeLessThan(0.1);
  });

  it('rejects bad parameters with ValueErrors naming the op', () => {
    expect(() => uniform(1, 1, [2])).toThrow(new ValueError('uniform: need low < high, got low=1, high=1'));
    expect(() => normal(0, -1, [2])).toThrow('normal: std must be non-negative, got -1');
    expect(() => normal(NaN, 1, [2])).toThrow('normal: mean must be a finite number, got NaN');
    expect(() => randint(0, 0, [2])).toThrow('randint: need low < high, got low=0, high=0');
    expect(() => randint(0, 2.5, [2])).toThrow(ValueError);
    expect(() => randint(0, 2 ** 32, [2])).toThrow('randint: [0, 4294967296) does not fit in int32');
    expect(() => randn([-1])).toThrow('randn: invalid size -1 in shape [-1]; sizes must be non-negative integers');
  });
});

describe('permutation', () => {
  it('of n is an int32 permutation of 0..n−1', () => {
    const p = permutation(50, { generator: new Generator(1) });
    expect([p.dtype, p.shape]).toEqual(['int32', [50]]);
    expect(sorted(read(p))).toEqual(range(50));
    expect(read(p)).not.toEqual(range(50));
    expect(permutation(0).shape).toEqual([0]);
    expect(() => permutation(-1)).toThrow(new ValueError('permutation: n must be a non-negative integer, got -1'));
  });

  it('of a tensor shuffles its rows (a copy, rows intact, strided input fine)', () => {
    const x = arange(12).reshape(4, 3).slice('::-1');
    const p = permutation(x, { generator: new Generator(2) });
    expect([p.dtype, p.shape]).toEqual(['int32', [4, 3]]);
    expect(p.data).not.toBe(x.data);
    const rows = (t: Tensor) => (t.toArray() as number[][]).map((r) => r.join(','));
    expect(rows(p).sort()).toEqual(rows(x).sort());
    // The same generator seed gives the same order as permutation(4).
    const order = read(permutation(4, { generator: new Generator(2) }));
    expect(p.toArray()).toEqual(order.map((i) => (x.toArray() as number[][])[i]));
    expect(() => permutation(tensor(1))).toThrow(ValueError);
  });
});

describe('choice', () => {
  it('with replacement draws indices in range, repeats allowed', () => {
    const c = choice(3, 200, { generator: new Generator(4) });
    expect([c.dtype, c.shape]).toEqual(['int32', [200]]);
    expect(sorted([...new Set(read(c))])).toEqual([0, 1, 2]);
  });

  it('without replacement draws distinct indices, all of them when size = n', () => {
    const c = read(choice(100, 30, { replace: false, generator: new Generator(5) }));
    expect(new Set(c).size).toBe(30);
    expect(c.every((v) => v >= 0 && v < 100)).toBe(true);
    expect(sorted(read(choice(10, 10, { replace: false, generator: new Generator(6) })))).toEqual(range(10));
    expect(() => choice(3, 4, { replace: false })).toThrow(/size must be <= n, got size=4, n=3/);
  });

  it('with weights never draws a zero-weight item and follows the weights', () => {
    const c = read(choice(3, 4000, { p: [0.2, 0, 0.8], generator: new Generator(7) }));
    expect(c.includes(1)).toBe(false);
    const share = c.filter((v) => v === 2).length / c.length;
    expect(Math.abs(share - 0.8)).toBeLessThan(5 * Math.sqrt((0.8 * 0.2) / 4000));
    const weighted = read(choice(4, 2, { p: tensor([0, 1, 0, 1]), replace: false, generator: new Generator(8) }));
    expect(sorted(weighted)).toEqual([1, 3]);
    expect(() => choice(3, 1, { p: [1, 1] })).toThrow(
      new ValueError('choice: p has 2 entries but the population has 3'),
    );
  });

  it('from a tensor picks rows', () => {
    const x = tensor(
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      { dtype: 'float64' },
    );
    const c = choice(x, 5, { generator: new Generator(9) });
    expect([c.dtype, c.shape]).toEqual(['float64', [5, 2]]);
    for (const row of c.toArray() as number[][]) expect(row[0]).toBe(row[1]);
    const all = choice(x, 3, { replace: false, generator: new Generator(9) });
    expect(sorted((all.toArray() as number[][]).map((r) => r[0]))).toEqual([1, 2, 3]);
    expect(() => choice(tensor(1), 1)).toThrow('choice: a 0-d tensor has no axis to choose from');
    expect(() => choice(3, -1)).toThrow('choice: size must be a non-negative integer, got -1');
  });
});

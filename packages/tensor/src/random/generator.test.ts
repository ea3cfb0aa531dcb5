import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Generator, globalGenerator, seed } from './generator';
import { ValueError } from '../errors';

// Statistical tests use fixed seeds, so they are deterministic; the bounds are set at roughly
// the 0.1% level (or 5+ standard errors) so that a correct generator passes with margin and a
// biased one (e.g. modulo bias, a wrong Box–Muller factor) fails.

const MASK32 = 0xffffffffn;
const MASK64 = (1n << 64n) - 1n;

/** Independent BigInt transcription of SplitMix64 and xoshiro128** (Vigna's C reference). */
function referenceStream(seedValue: bigint, count: number): number[] {
  let x = BigInt.asUintN(64, seedValue);
  const splitmix = (): bigint => {
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
  const a = splitmix();
  const b = splitmix();
  const s = [a & MASK32, a >> 32n, b & MASK32, b >> 32n];
  const rotl = (v: bigint, k: bigint): bigint => ((v << k) | (v >> (32n - k))) & MASK32;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s[1] * 5n) & MASK32, 7n) * 9n) & MASK32));
    const t = (s[1] << 9n) & MASK32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
  }
  return out;
}

function draws<T>(count: number, f: () => T): T[] {
  return Array.from({ length: count }, f);
}

function meanAndVariance(xs: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  const mean = sum / xs.length;
  let sq = 0;
  for (let i = 0; i < xs.length; i++) sq += (xs[i] - mean) ** 2;
  return { mean, variance: sq / (xs.length - 1) };
}

// Spreading 1e5 values into Math.min/max can overflow the argument limit.
function minOf(xs: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.min(m, xs[i]);
  return m;
}

function maxOf(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, xs[i]);
  return m;
}

function chiSquare(counts: number[], expected: number[]): number {
  return counts.reduce((acc, c, i) => acc + (c - expected[i]) ** 2 / expected[i], 0);
}

/** Standard normal CDF via Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, far below the KS bound). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('algorithm', () => {
  it('SplitMix64 reference in this file reproduces the published vector (seed 1234567)', () => {
    // Rosetta Code "Pseudo-random numbers/Splitmix64"; checking it validates referenceStream's seeding.
    let x = 1234567n;
    const next = (): bigint => {
      x = (x + 0x9e3779b97f4a7c15n) & MASK64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    expect(draws(5, next)).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
      4593380528125082431n,
      16408922859458223821n,
    ]);
  });

  it('xoshiro128** matches the published test vector from state {1, 2, 3, 4}', () => {
    // Vigna's xoshiro128starstar.c v1.1, as used in Rust rand_xoshiro's tests.
    const g = new Generator(0);
    g.setState([1, 2, 3, 4]);
    expect(draws(10, () => g.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it.each([0n, 42n, 1n, -1n, 2n ** 53n, 2n ** 63n + 12345n, 123456789012345678901234567890n])(
    'nextUint32 matches the independent BigInt reference for seed %s',
    (s) => {
      const g = new Generator(s);
      expect(draws(2000, () => g.nextUint32())).toEqual(referenceStream(s, 2000));
    },
  );

  it('number and bigint seeds agree, and seeds are taken modulo 2^64', () => {
    const first = (s: number | bigint) =>
      draws(
        4,
        (
          (g) => () =>
            g.nextUint32()
        )(new Generator(s)),
      );
    expect(first(42)).toEqual(first(42n));
    expect(first(-1)).toEqual(first(2n ** 64n - 1n));
    expect(first(-0)).toEqual(first(0));
    expect(first(2 ** 64)).toEqual(first(0));
    expect(first(Number.MAX_SAFE_INTEGER)).toEqual(first(BigInt(Number.MAX_SAFE_INTEGER)));
  });

  it('golden values for seed 0', () => {
    const stream = (f: (g: Generator) => number, count: number) => {
      const g = new Generator(0);
      return draws(count, () => f(g));
    };
    expect(new Generator(0).getState()).toEqual([2065550767, 3793791033, 2713282036, 1853398634, 0, 0]);
    expect(stream((g) => g.nextUint32(), 8)).toEqual([
      3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774, 3260698944, 2754151956,
    ]);
    expect(stream((g) => g.random(), 4)).toEqual([
      0.870254774404272, 0.6697971505310978, 0.3616586206733957, 0.759190638670705,
    ]);
    expect(stream((g) => g.integer(0, 100), 8)).toEqual([5, 61, 34, 25, 62, 74, 44, 56]);
    expect(Array.from(new Generator(0).permutation(10))).toEqual([5, 2, 4, 3, 1, 9, 6, 7, 0, 8]);
    // Normals go through Math.log/cos/sin, which engines need not round identically: compare to ~1e-14.
    const normals = stream((g) => g.normal(), 4);
    [-0.9758715496370002, -1.769756996803672, 0.05468463102191066, -0.9459247929838188].forEach((v, i) =>
      expect(normals[i]).toBeCloseTo(v, 13),
    );
  });

  it('golden values for seed 42', () => {
    const g = new Generator(42);
    expect(draws(8, () => g.nextUint32())).toEqual([
      1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231,
    ]);
    const r = new Generator(42);
    expect(draws(4, () => r.random())).toEqual([
      0.4137016681565887, 0.003983993377814743, 0.6500837027638867, 0.6846020186141416,
    ]);
    const i = new Generator(42);
    expect(draws(8, () => i.integer(0, 100))).toEqual([14, 88, 35, 70, 33, 22, 71, 31]);
    expect(Array.from(new Generator(42).permutation(10))).toEqual([4, 9, 1, 6, 2, 7, 0, 3, 8, 5]);
    const n = new Generator(42);
    const normals = draws(4, () => n.normal());
    [1.0330460074021806, 0.02586478448470201, -0.5788627332356062, -1.3285482843233385].forEach((v, k) =>
      expect(normals[k]).toBeCloseTo(v, 13),
    );
  });

  it('random() is ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53 of two consecutive raw draws', () => {
    const g = new Generator(7);
    const raw = new Generator(7);
    for (let k = 0; k < 1000; k++) {
      const a = raw.nextUint32();
      const b = raw.nextUint32();
      expect(g.random()).toBe(((a >>> 5) * 2 ** 26 + (b >>> 6)) / 2 ** 53);
    }
  });

  it('normal() is basic Box–Muller with the sine value cached for the next call', () => {
    const g = new Generator(11);
    const u = new Generator(11);
    for (let k = 0; k < 200; k++) {
      const u1 = 1 - u.random();
      const u2 = u.random();
      const r = Math.sqrt(-2 * Math.log(u1));
      expect(g.normal()).toBe(r * Math.cos(2 * Math.PI * u2));
      expect(g.normal()).toBe(r * Math.sin(2 * Math.PI * u2));
    }
  });
});

describe('reproducibility', () => {
  it('same seed gives the same stream; different seeds differ', () => {
    const a = new Generator(123);
    const b = new Generator(123);
    const c = new Generator(124);
    const sa = draws(1000, () => a.nextUint32());
    expect(draws(1000, () => b.nextUint32())).toEqual(sa);
    const sc = draws(1000, () => c.nextUint32());
    expect(sc.filter((v, i) => v === sa[i]).length).toBeLessThan(3);
  });

  it('getState/setState round-trips mid-stream, including a cached normal, and through JSON', () => {
    const g = new Generator(5);
    draws(17, () => g.random());
    g.normal(); // leaves the sine half cached
    const saved = JSON.parse(JSON.stringify(g.getState())) as number[];
    expect(saved[4]).toBe(1);
    const expected = [g.normal(), g.random(), g.normal(), g.integer(0, 1000), g.normal()];
    const h = new Generator(999);
    h.setState(saved);
    expect([h.normal(), h.random(), h.normal(), h.integer(0, 1000), h.normal()]).toEqual(expected);
  });

  it('setState with 4 words clears the normal cache', () => {
    const g = new Generator(5);
    g.normal();
    const words = g.getState().slice(0, 4);
    const fresh = new Generator(0);
    fresh.setState([...words, 0, 0]);
    g.setState(words);
    expect(g.normal()).toBe(fresh.normal());
  });

  it('spawn is deterministic, equals the documented seeding, and gives independent streams', () => {
    const p1 = new Generator(3);
    const p2 = new Generator(3);
    const raw = new Generator(3);
    const c1 = p1.spawn();
    const c2 = p2.spawn();
    const documented = new Generator(BigInt(raw.nextUint32()) * 2n ** 32n + BigInt(raw.nextUint32()));
    const first = draws(100, () => c1.nextUint32());
    expect(draws(100, () => c2.nextUint32())).toEqual(first);
    expect(draws(100, () => documented.nextUint32())).toEqual(first);
    const sibling = p1.spawn();
    const siblingStream = draws(100, () => sibling.nextUint32());
    const parentStream = draws(100, () => p1.nextUint32());
    expect(siblingStream.filter((v, i) => v === first[i]).length).toBeLessThan(3);
    expect(parentStream.filter((v, i) => v === first[i]).length).toBeLessThan(3);
  });
});

describe('distributions', () => {
  const N = 100_000;

  it('random() stays in [0, 1) with mean 1/2 and variance 1/12', () => {
    const g = new Generator(1);
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = g.random();
    expect(minOf(xs)).toBeGreaterThanOrEqual(0);
    expect(maxOf(xs)).toBeLessThan(1);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // SE 0.0009
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002); // SE 0.00024
  });

  it('uniform(low, high) has the right range, mean and variance, and fillUniform matches it', () => {
    const g = new Generator(2);
    const xs = new Float64Array(N);
    g.fillUniform(xs, -2, 3);
    expect(minOf(xs)).toBeGreaterThanOrEqual(-2);
    expect(maxOf(xs)).toBeLessThan(3);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.025); // SE 0.0046
    expect(Math.abs(variance - 25 / 12)).toBeLessThan(0.03); // SE 0.006
    const h = new Generator(2);
    for (let i = 0; i < 100; i++) expect(xs[i]).toBe(h.uniform(-2, 3));
  });

  it('uniform never returns high even where rounding would land on it', () => {
    // With a span of 4 ulps, low + span * u rounds to high for about 1/8 of u without the guard.
    const low = 1;
    const high = 1 + 4 * Number.EPSILON;
    const g = new Generator(3);
    const seen = new Set(draws(2000, () => g.uniform(low, high)));
    expect(seen.has(high)).toBe(false);
    expect([...seen].sort()).toEqual([1, 1 + Number.EPSILON, 1 + 2 * Number.EPSILON, 1 + 3 * Number.EPSILON]);
    expect(new Generator(3).uniform(2.5, 2.5)).toBe(2.5);
  });

  it('fillUniform into Float32Array stays below high after rounding to float32', () => {
    const eps32 = 2 ** -23;
    const out = new Float32Array(2000);
    new Generator(4).fillUniform(out, 1, 1 + 4 * eps32);
    expect(maxOf(out)).toBe(1 + 3 * eps32);
    const wide = new Float32Array(1000);
    new Generator(4).fillUniform(wide, -1, 1);
    const h = new Generator(4);
    for (let i = 0; i < wide.length; i++) expect(wide[i]).toBe(Math.fround(h.uniform(-1, 1)));
  });

  it('normal() has mean 0, std 1, and passes a Kolmogorov–Smirnov test', () => {
    const g = new Generator(6);
    const xs = new Float64Array(N);
    g.fillNormal(xs, 0, 1);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean)).toBeLessThan(0.016); // SE 0.0032
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.012); // SE 0.0022
    const sample = xs.slice(0, 20_000).sort();
    let d = 0;
    for (let i = 0; i < sample.length; i++) {
      const cdf = normalCdf(sample[i]);
      d = Math.max(d, (i + 1) / sample.length - cdf, cdf - i / sample.length);
    }
    expect(d).toBeLessThan(1.95 / Math.sqrt(sample.length)); // KS critical value at 0.1%
  });

  it('normal(mean, std) and fillNormal follow the same stream as repeated standard normals', () => {
    const a = new Generator(8);
    const b = new Generator(8);
    const c = new Generator(8);
    const filled = new Float64Array(7); // odd length, so the cache carries into the next call
    c.fillNormal(filled, 3, 2);
    for (let i = 0; i < 7; i++) {
      const z = a.normal();
      expect(b.normal(3, 2)).toBe(3 + 2 * z);
      expect(filled[i]).toBe(3 + 2 * z);
    }
    expect(c.normal()).toBe(a.normal());
  });

  it('integer() is uniform over [low, high) and never returns high', () => {
    const g = new Generator(9);
    const counts = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < N; i++) {
      const v = g.integer(-3, 7);
      if (v >= -3 && v < 7 && Number.isInteger(v)) counts[v + 3]++;
      else outOfRange++;
    }
    expect(outOfRange).toBe(0);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(chiSquare(counts, new Array<number>(10).fill(N / 10))).toBeLessThan(27.88); // df 9, p = 0.001
  });

  it('integer() rejects the partial block, so a range of 3 * 2^30 has no modulo bias', () => {
    // Plain x % range would put half the mass in the first third of this range.
    const g = new Generator(10);
    const thirds = [0, 0, 0];
    const n = 30_000;
    for (let i = 0; i < n; i++) thirds[Math.floor(g.integer(0, 3 * 2 ** 30) / 2 ** 30)]++;
    for (const t of thirds) expect(Math.abs(t / n - 1 / 3)).toBeLessThan(0.015); // SE 0.0027
  });

  it('integer() spans exactly 2^32 values and then equals the raw stream', () => {
    const g = new Generator(12);
    const raw = new Generator(12);
    for (let i = 0; i < 100; i++) expect(g.integer(-(2 ** 31), 2 ** 31)).toBe(raw.nextUint32() - 2 ** 31);
    expect(new Generator(12).integer(5, 6)).toBe(5);
  });

  it('fillInteger matches repeated integer()', () => {
    const out = new Int32Array(500);
    new Generator(13).fillInteger(out, -50, 50);
    const g = new Generator(13);
    expect(Array.from(out)).toEqual(draws(500, () => g.integer(-50, 50)));
  });
});

describe('permutations and choice', () => {
  const isPermutation = (xs: ArrayLike<number>, n: number) =>
    xs.length === n &&
    Array.from(xs)
      .sort((a, b) => a - b)
      .every((v, i) => v === i);

  it('permutation(n) is a permutation of 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), (n, s) => {
        expect(isPermutation(new Generator(s).permutation(n), n)).toBe(true);
      }),
    );
  });

  it('permutation(3) hits all 6 orders uniformly', () => {
    const g = new Generator(14);
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const key = g.permutation(3).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    expect(chiSquare([...counts.values()], new Array<number>(6).fill(n / 6))).toBeLessThan(20.5); // df 5, p = 0.001
  });

  it('shuffleInPlace, permutation and choiceIndices(n, n, false) agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer(), (n, s) => {
        const xs = Array.from({ length: n }, (_, i) => i);
        new Generator(s).shuffleInPlace(xs);
        expect(Array.from(new Generator(s).permutation(n))).toEqual(xs);
        expect(Array.from(new Generator(s).choiceIndices(n, n, false))).toEqual(xs);
      }),
    );
  });

  it('choice without replacement gives distinct in-range indices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }))),
        fc.integer(),
        ([n, size], s) => {
          const idx = new Generator(s).choiceIndices(n, size, false);
          expect(idx.length).toBe(size);
          expect(new Set(idx).size).toBe(size);
          expect(idx.every((v) => v >= 0 && v < n)).toBe(true);
        },
      ),
    );
  });

  it('choice without replacement from a huge population follows the documented partial Fisher–Yates', () => {
    const n = 1_000_000_000; // must not allocate n entries
    const reference = (s: number, size: number) => {
      const g = new Generator(s);
      const a = new Map<number, number>();
      const at = (k: number) => a.get(k) ?? k;
      const out: number[] = [];
      for (let i = 0; i < size; i++) {
        const j = g.integer(i, n);
        const [ai, aj] = [at(i), at(j)];
        a.set(i, aj);
        a.set(j, ai);
        out.push(at(i));
      }
      return out;
    };
    expect(Array.from(new Generator(15).choiceIndices(n, 20, false))).toEqual(reference(15, 20));
    expect(Array.from(new Generator(16).choiceIndices(100, 30, false))).toEqual(
      ((g) => {
        const a = Array.from({ length: 100 }, (_, i) => i);
        for (let i = 0; i < 30; i++) {
          const j = g.integer(i, 100);
          [a[i], a[j]] = [a[j], a[i]];
        }
        return a.slice(0, 30);
      })(new Generator(16)),
    );
  });

  it('choice with replacement stays in range and equals integer(0, n) draws', () => {
    const idx = new Generator(17).choiceIndices(7, 1000, true);
    const g = new Generator(17);
    expect(Array.from(idx)).toEqual(draws(1000, () => g.integer(0, 7)));
  });

  it('choice with p never draws zero-probability entries and matches the weights', () => {
    const p = [0, 2, 0, 1, 1, 0]; // unnormalised on purpose
    const n = 40_000;
    const idx = new Generator(18).choiceIndices(6, n, true, p);
    const counts = new Array<number>(6).fill(0);
    for (const i of idx) counts[i]++;
    expect([counts[0], counts[2], counts[5]]).toEqual([0, 0, 0]);
    expect(chiSquare([counts[1], counts[3], counts[4]], [n / 2, n / 4, n / 4])).toBeLessThan(13.8); // df 2, p = 0.001
  });

  it('weighted choice without replacement is distinct, avoids zero weights, and favours heavy entries', () => {
    const p = [0, 100, 1, 1, 0, 1];
    const g = new Generator(19);
    let heavyFirst = 0;
    for (let k = 0; k < 2000; k++) {
      const idx = g.choiceIndices(6, 4, false, p);
      expect(Array.from(idx).sort()).toEqual([1, 2, 3, 5]);
      if (idx[0] === 1) heavyFirst++;
    }
    expect(Math.abs(heavyFirst / 2000 - 100 / 103)).toBeLessThan(0.02); // SE 0.004
    expect(() => g.choiceIndices(6, 5, false, p)).toThrow(/size=5.*nonzero=4/);
  });
});

describe('global generator', () => {
  it('seed() re-seeds the shared global generator in place', () => {
    const held = globalGenerator();
    seed(42);
    expect(globalGenerator()).toBe(held);
    const expected = new Generator(42);
    expect(draws(10, () => held.nextUint32())).toEqual(draws(10, () => expected.nextUint32()));
    seed(42);
    expect(held.normal()).toBe(new Generator(42).normal());
  });

  it('a fresh module starts from entropy, not a fixed seed', async () => {
    const firstOutputs = async () => {
      vi.resetModules();
      const mod = await import('./generator');
      const g = mod.globalGenerator();
      return [g.nextUint32(), g.nextUint32()];
    };
    const a = await firstOutputs();
    const b = await firstOutputs();
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(
      draws(
        2,
        (
          (g) => () =>
            g.nextUint32()
        )(new Generator(0)),
      ),
    );
  });
});

describe('errors', () => {
  it('rejects bad seeds with a ValueError (an NNError) naming the value', () => {
    expect(() => new Generator(1.5)).toThrow(ValueError);
    expect(() => new Generator(1.5)).toThrow(/1\.5/);
    expect(() => new Generator(Number.NaN)).toThrow(/NaN/);
    expect(() => new Generator(Infinity)).toThrow(/Infinity/);
    expect(() => new Generator('3' as unknown as number)).toThrow(/got 3/);
    expect(() => seed(0.25)).toThrow(/0\.25/);
  });

  it('rejects bad bounds and parameters', () => {
    const g = new Generator(0);
    expect(() => g.integer(5, 5)).toThrow(/low=5, high=5/);
    expect(() => g.integer(0, 1.5)).toThrow(ValueError);
    expect(() => g.integer(0, 2 ** 32 + 1)).toThrow(/2\^32/);
    expect(() => g.fillInteger(new Int32Array(1), 0, 2 ** 31 + 1)).toThrow(/int32/);
    expect(() => g.uniform(1, 0)).toThrow(/low=1, high=0/);
    expect(() => g.uniform(0, Infinity)).toThrow(/high/);
    expect(() => g.uniform(-Number.MAX_VALUE, Number.MAX_VALUE)).toThrow(/overflows/);
    expect(() => g.normal(0, -1)).toThrow(/std/);
    expect(() => g.fillNormal(new Float64Array(1), Number.NaN, 1)).toThrow(/mean/);
    expect(() => g.permutation(-1)).toThrow(/got -1/);
    expect(() => g.permutation(2.5)).toThrow(/got 2\.5/);
  });

  it('rejects impossible choices with messages naming n and size', () => {
    const g = new Generator(0);
    expect(() => g.choiceIndices(3, 4, false)).toThrow(/size=4, n=3/);
    expect(() => g.choiceIndices(0, 1, true)).toThrow(/n=0/);
    expect(() => g.choiceIndices(3, 1, true, [1, 1])).toThrow(/length n=3/);
    expect(() => g.choiceIndices(2, 1, true, [1, -1])).toThrow(/p\[1\]/);
    expect(() => g.choiceIndices(2, 1, true, [1, Number.NaN])).toThrow(/p\[1\]/);
    expect(() => g.choiceIndices(2, 1, true, [0, 0])).toThrow(/positive sum/);
    expect(g.choiceIndices(0, 0, false).length).toBe(0);
  });

  it('validates states given to setState', () => {
    const g = new Generator(0);
    expect(() => g.setState([1, 2, 3])).toThrow(/length 3/);
    expect(() => g.setState([0, 0, 0, 0])).toThrow(/all-zero/);
    expect(() => g.setState([1, 2, 2 ** 32, 4])).toThrow(/word 2/);
    expect(() => g.setState([1, 2.5, 3, 4])).toThrow(/word 1/);
    expect(() => g.setState([1, 2, 3, 4, 2, 0])).toThrow(/entry 4/);
    expect(() => g.setState([1, 2, 3, 4, 0, 0.5])).toThrow(/entry 5/);
    expect(() => g.setState([1, 2, 3, 4, 1, Number.NaN])).toThrow(/entry 5/);
    // A rejected state must leave the generator untouched.
    const h = new Generator(0);
    expect(g.nextUint32()).toBe(h.nextUint32());
  });
});

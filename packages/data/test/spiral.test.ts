import { describe, expect, it } from 'vitest';
import { Generator } from '@nn/tensor';
import { spiral } from '@nn/data';

describe('spiral (vol. 2 §1.4.1)', () => {
  it('has shape (300, 2) with 100 points per class, class-major', () => {
    const { x, t } = spiral();
    expect(x.shape).toEqual([300, 2]);
    expect(x.dtype).toBe('float32');
    expect(t.shape).toEqual([300]);
    expect(t.dtype).toBe('int32');
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 100; i++) expect(t.data[100 * j + i]).toBe(j);
    }
  });

  it('follows the book formula with the noise of new Generator(1984), drawn one per point in order', () => {
    const { x } = spiral();
    const g = new Generator(1984);
    const N = 100;
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < N; i++) {
        const rate = i / N;
        const radius = 1.0 * rate;
        const theta = j * 4.0 + 4.0 * rate + g.normal() * 0.2;
        const ix = N * j + i;
        expect(x.data[2 * ix]).toBe(Math.fround(radius * Math.sin(theta)));
        expect(x.data[2 * ix + 1]).toBe(Math.fround(radius * Math.cos(theta)));
      }
    }
  });

  it('has radius i/N and the expected angle independently of the generator (noise within 5σ)', () => {
    const { x } = spiral({ seed: 7 });
    for (const [j, i] of [
      [0, 10],
      [1, 50],
      [2, 99],
    ]) {
      const ix = 100 * j + i;
      const [a, b] = [x.data[2 * ix], x.data[2 * ix + 1]];
      expect(Math.hypot(a, b)).toBeCloseTo(i / 100, 6);
      // theta = atan2(sin, cos); its deviation from 4j + 4i/N is the noise 0.2·normal().
      const wrap = (v: number) => Math.atan2(Math.sin(v), Math.cos(v));
      const noise = wrap(Math.atan2(a, b) - (4 * j + (4 * i) / 100));
      expect(Math.abs(noise)).toBeLessThan(1);
    }
    expect(Array.from(x.data.subarray(0, 2), Math.abs)).toEqual([0, 0]); // i = 0 has radius 0 in every class
  });

  it('is reproducible: same seed, same points; another seed, other points', () => {
    expect(Array.from(spiral({ seed: 3 }).x.data)).toEqual(Array.from(spiral({ seed: 3 }).x.data));
    expect(Array.from(spiral().x.data)).not.toEqual(Array.from(spiral({ seed: 3 }).x.data));
    expect(Array.from(spiral({ generator: new Generator(3) }).x.data)).toEqual(Array.from(spiral({ seed: 3 }).x.data));
  });

  it('takes pointsPerClass, classes and oneHot (the book returns one-hot targets)', () => {
    const { x, t } = spiral({ pointsPerClass: 50, classes: 4, oneHot: true });
    expect(x.shape).toEqual([200, 2]);
    expect(t.shape).toEqual([200, 4]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data.subarray(4 * 120, 4 * 121))).toEqual([0, 0, 1, 0]);
    expect(() => spiral({ classes: 0 })).toThrow(/spiral: classes must be a positive integer/);
    expect(() => spiral({ pointsPerClass: 1.5 })).toThrow(/pointsPerClass/);
  });
});

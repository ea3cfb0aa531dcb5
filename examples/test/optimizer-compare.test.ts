import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NUMPY_FINAL, OPTIMIZERS, main, smoothCurve } from '../optimizer-compare.js';

const out = mkdtempSync(join(tmpdir(), 'optimizer-compare-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('optimizer-compare example', () => {
  it("walks the book's paths on f(x, y) = x²/20 + y² and ranks the optimizers on MNIST", async () => {
    const { paths, mnist, files } = await main({ smoke: true, out });

    // Part 1: the same 30 updates as the book's NumPy code (Adam's ε sits elsewhere: 1e-5 apart).
    for (const name of OPTIMIZERS) {
      const tolerance = name === 'Adam' ? 1e-4 : 1e-9;
      expect(paths[name].x).toHaveLength(31);
      expect(Math.abs(paths[name].final.x - NUMPY_FINAL[name].x)).toBeLessThan(tolerance);
      expect(Math.abs(paths[name].final.y - NUMPY_FINAL[name].y)).toBeLessThan(tolerance);
    }
    // SGD zig-zags across the valley: y changes sign on every step (y ← −0.9·y).
    paths.SGD.y.slice(1).forEach((y, i) => expect(Math.sign(y)).toBe(-Math.sign(paths.SGD.y[i])));
    // Momentum rolls past the minimum along x before it turns back.
    expect(Math.max(...paths.Momentum.x)).toBeGreaterThan(0.5);
    // AdaGrad ends closest to the minimum; every optimizer ends well below f(−7, 2) = 6.45.
    for (const name of OPTIMIZERS) {
      expect(paths[name].final.f).toBeLessThan(0.2);
      if (name !== 'AdaGrad') expect(paths.AdaGrad.final.f).toBeLessThan(paths[name].final.f);
    }

    // Part 2 (smoke: 30 iterations on 1000 images): same start, so the first losses agree;
    // plain SGD is the slowest, as in the book's figure 6-9.
    expect(mnist.iterations).toBe(30);
    for (const name of OPTIMIZERS) {
      const run = mnist.runs[name];
      expect(run.loss).toHaveLength(30);
      expect(run.smoothed).toHaveLength(30);
      expect(run.loss.every(Number.isFinite)).toBe(true);
      expect(run.loss[0]).toBeCloseTo(mnist.runs.SGD.loss[0], 5);
      expect(run.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(run.testAccuracy).toBeLessThanOrEqual(1);
      if (name !== 'SGD') {
        expect(run.finalLoss).toBeLessThan(mnist.runs.SGD.finalLoss - 0.3);
        expect(run.testAccuracy).toBeGreaterThan(mnist.runs.SGD.testAccuracy);
      }
    }

    expect(files.map((f) => f.replace(/.*\//, ''))).toEqual(['paths.png', 'mnist-loss.png']);
    for (const file of files) expect(existsSync(file)).toBe(true);
  });

  it("smooths like the book's smooth_curve", () => {
    // A constant stays constant (the Kaiser weights sum to 1); a step is blurred over ±5 points.
    expect(smoothCurve(new Array(20).fill(3)).every((v) => Math.abs(v - 3) < 1e-12)).toBe(true);
    const step = smoothCurve(Array.from({ length: 30 }, (_, i) => (i < 15 ? 0 : 1)));
    expect(step[0]).toBe(0);
    expect(step[29]).toBe(1);
    expect(step[14]).toBeGreaterThan(0);
    expect(step[15]).toBeLessThan(1);
    // The book's smooth_curve in NumPy: a ramp (mirroring bends it at the ends) and a noisy curve.
    const ramp = smoothCurve(Array.from({ length: 30 }, (_, i) => i));
    [2.319006978088358, 2.438560225800059, 2.790603844593367].forEach((v, i) => expect(ramp[i]).toBeCloseTo(v, 12));
    expect(ramp[10]).toBeCloseTo(10, 12);
    expect(ramp[28]).toBeCloseTo(26.88541796480329, 12);
    expect(ramp[29]).toBeCloseTo(27.121216398055786, 12);
    const noisy = smoothCurve([0.3, 2.1, 1.7, 0.9, 1.2, 0.4, 0.8, 1.1, 0.2, 0.5, 0.7, 0.3, 0.9, 1.4]);
    expect(noisy[0]).toBeCloseTo(1.2693251061808755, 12);
    expect(noisy[6]).toBeCloseTo(0.8491191979703894, 12);
    expect(noisy[13]).toBeCloseTo(0.7789341074783818, 12);
  });
});

import { Generator, Tensor, ValueError, oneHot } from '@nn/tensor';
import type { Split } from './mnist.js';

/** Options of {@link spiral}. */
export interface SpiralOptions {
  /** Points in each arm (the book's N, default 100). */
  pointsPerClass?: number;
  /** Number of arms (the book's CLS_NUM, default 3). */
  classes?: number;
  /** Seed of the noise generator (default 1984, the seed the book uses). Ignored when `generator` is given. */
  seed?: number;
  /** Draw the noise from this generator instead of a fresh `new Generator(seed)`. */
  generator?: Generator;
  /** Targets as float32 one-hot rows (N·C, C) when true (the book's form); int32 labels (N·C) when false (default). */
  oneHot?: boolean;
}

function checkPositive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new ValueError(`spiral: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * The spiral dataset of "Deep Learning from Scratch 2" §1.4.1 (`dataset/spiral.py`): `classes`
 * arms of `pointsPerClass` points, class-major. For class j and point i, with rate = i / N:
 * radius = rate, theta = 4j + 4·rate + 0.2·normal(), x = (radius·sin θ, radius·cos θ).
 * One normal draw per point in that order, from `new Generator(seed)`, so the same seed gives
 * the same points on every machine (not NumPy's numbers for seed 1984: the generators differ).
 *
 * @example
 * const { x, t } = spiral();                 // x (300, 2) float32, t (300) int32: 0×100, 1×100, 2×100
 * const hot = spiral({ oneHot: true }).t;    // (300, 3) float32, as the book's load_data returns
 */
export function spiral(options: SpiralOptions = {}): Split {
  const n = checkPositive('pointsPerClass', options.pointsPerClass ?? 100);
  const classes = checkPositive('classes', options.classes ?? 3);
  const generator = options.generator ?? new Generator(options.seed ?? 1984);
  const x = new Float32Array(n * classes * 2);
  const labels = new Int32Array(n * classes);
  for (let j = 0; j < classes; j++) {
    for (let i = 0; i < n; i++) {
      const rate = i / n;
      const radius = 1.0 * rate;
      const theta = j * 4.0 + 4.0 * rate + generator.normal() * 0.2;
      const ix = n * j + i;
      x[2 * ix] = radius * Math.sin(theta);
      x[2 * ix + 1] = radius * Math.cos(theta);
      labels[ix] = j;
    }
  }
  const t = new Tensor(labels, [n * classes]);
  return { x: new Tensor(x, [n * classes, 2]), t: options.oneHot ? oneHot(t, classes) : t };
}

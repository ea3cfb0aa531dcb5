import { type FloatDType, allocate, checkDType, checkTensorBytes } from '../dtype.js';
import { DTypeError, ValueError, describeValue } from '../errors.js';
import { Generator, globalGenerator } from '../random/generator.js';
import { checkShape, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';
import type { ShapeOf } from '../shape-types.js';

import { take } from './indexing.js';

/**
 * Random tensors. Every function draws from `options.generator` when given, else from the global
 * generator that `seed(n)` resets, so `seed(0); randn([2, 2])` is the same on every machine.
 */
export interface RandomOptions {
  /** Float dtype of the result (default float32). */
  dtype?: FloatDType;
  /** The stream to draw from (default: the global one). */
  generator?: Generator;
}

function floatTensor(
  op: string,
  shape: readonly number[] | number,
  options: RandomOptions,
  fill: (out: Float32Array | Float64Array, g: Generator) => void,
): Tensor {
  const dims = checkShape(op, shape);
  const dtype = checkDType(op, options.dtype ?? 'float32');
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  checkTensorBytes(op, dims, dtype);
  const data = allocate(
    dtype,
    dims.reduce((a, b) => a * b, 1),
  );
  fill(data, options.generator ?? globalGenerator());
  return new Tensor(data, dims);
}

function checkFinite(op: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v)) throw new ValueError(`${op}: ${name} must be a finite number, got ${v}`);
  }
}

/** Uniform samples in [0, 1). @example rand([2, 3]) */
export function rand<const S extends readonly number[] | number>(
  shape: S,
  options: RandomOptions = {},
): Tensor<ShapeOf<S>> {
  return floatTensor('rand', shape, options, (out, g) => g.fillUniform(out, 0, 1)) as Tensor<ShapeOf<S>>;
}

/** Standard normal samples (mean 0, std 1). @example randn([784, 50]).mul(0.01) */
export function randn<const S extends readonly number[] | number>(
  shape: S,
  options: RandomOptions = {},
): Tensor<ShapeOf<S>> {
  return floatTensor('randn', shape, options, (out, g) => g.fillNormal(out, 0, 1)) as Tensor<ShapeOf<S>>;
}

/** Uniform samples in [low, high). */
export function uniform<const S extends readonly number[] | number>(
  low: number,
  high: number,
  shape: S,
  options: RandomOptions = {},
): Tensor<ShapeOf<S>> {
  checkFinite('uniform', { low, high });
  if (!(high > low)) throw new ValueError(`uniform: need low < high, got low=${low}, high=${high}`);
  return floatTensor('uniform', shape, options, (out, g) => g.fillUniform(out, low, high)) as Tensor<ShapeOf<S>>;
}

/** Normal samples with the given mean and standard deviation. */
export function normal<const S extends readonly number[] | number>(
  mean: number,
  std: number,
  shape: S,
  options: RandomOptions = {},
): Tensor<ShapeOf<S>> {
  checkFinite('normal', { mean, std });
  if (std < 0) throw new ValueError(`normal: std must be non-negative, got ${std}`);
  return floatTensor('normal', shape, options, (out, g) => g.fillNormal(out, mean, std)) as Tensor<ShapeOf<S>>;
}

/** Uniform int32 samples in [low, high). @example randint(0, 10, [5]) */
export function randint<const S extends readonly number[] | number>(
  low: number,
  high: number,
  shape: S,
  options: { generator?: Generator } = {},
): Tensor<ShapeOf<S>> {
  checkFinite('randint', { low, high });
  if (!Number.isInteger(low) || !Number.isInteger(high))
    throw new ValueError(`randint: low and high must be integers, got ${low} and ${high}`);
  if (high <= low) throw new ValueError(`randint: need low < high, got low=${low}, high=${high}`);
  if (low < -(2 ** 31) || high > 2 ** 31) throw new ValueError(`randint: [${low}, ${high}) does not fit in int32`);
  const dims = checkShape('randint', shape);
  checkTensorBytes('randint', dims, 'int32');
  const data = allocate('int32', shapeSize(dims));
  (options.generator ?? globalGenerator()).fillInteger(data, low, high);
  return new Tensor(data, dims) as Tensor<ShapeOf<S>>;
}

/**
 * A random permutation: of 0..n−1 (int32) for a number, or of a tensor's first axis (a copy).
 * @example permutation(5) // e.g. [3, 0, 4, 1, 2]
 */
export function permutation(n: number | Tensor, options: { generator?: Generator } = {}): Tensor {
  const g = options.generator ?? globalGenerator();
  if (n instanceof Tensor) {
    if (n.ndim === 0) throw new ValueError('permutation: a 0-d tensor has no axis to permute');
    return take(n, new Tensor(g.permutation(n.shape[0]), [n.shape[0]]), 0);
  }
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`permutation: n must be a non-negative integer, got ${n}`);
  checkTensorBytes('permutation', [n], 'int32');
  return new Tensor(g.permutation(n), [n]);
}

export interface ChoiceOptions {
  /** Draw with replacement (default true, as NumPy). */
  replace?: boolean;
  /** Probabilities of each item (non-negative, normalised internally). */
  p?: Tensor | readonly number[];
  generator?: Generator;
}

/**
 * Random samples from 0..n−1 (a number) or from a tensor's first axis, with or without
 * replacement, optionally weighted by `p`. The result has `size` entries along the first axis.
 * @example choice(60000, 100, { replace: false }) // a mini-batch of indices
 */
export function choice(population: number | Tensor, size: number, options: ChoiceOptions = {}): Tensor {
  const n = population instanceof Tensor ? (population.shape[0] ?? 0) : population;
  if (population instanceof Tensor && population.ndim === 0)
    throw new ValueError('choice: a 0-d tensor has no axis to choose from');
  if (!Number.isInteger(n) || n < 0)
    throw new ValueError(`choice: population must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(size) || size < 0)
    throw new ValueError(`choice: size must be a non-negative integer, got ${describeValue(size)}`);
  checkTensorBytes('choice', [size], 'int32');
  const p = options.p instanceof Tensor ? (options.p.toTypedArray() as ArrayLike<number>) : options.p;
  if (p && p.length !== n) throw new ValueError(`choice: p has ${p.length} entries but the population has ${n}`);
  const g = options.generator ?? globalGenerator();
  const replace = options.replace ?? true;
  let chosen: Int32Array;
  try {
    chosen = g.choiceIndices(n, size, replace, p);
  } catch (error) {
    // The generator speaks of indices; say it in terms of this call.
    throw new ValueError(
      `choice: cannot draw ${size} of ${n} items ${replace ? 'with' : 'without'} replacement: ${(error as Error).message}`,
    );
  }
  const indices = new Tensor(chosen, [size]);
  return population instanceof Tensor ? take(population, indices, 0) : indices;
}

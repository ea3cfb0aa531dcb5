import { Generator, Tensor, ValueError, globalGenerator } from '@nn/tensor';
import { rowCount } from './errors.js';
import type { Split } from './mnist.js';

/** Options of {@link shuffle}. */
export interface ShuffleOptions {
  /** Seed of a fresh generator for the permutation. */
  seed?: number;
  /** Generator to draw the permutation from (default: `new Generator(seed)`, or the global generator without a seed). */
  generator?: Generator;
}

/** Options of {@link trainValSplit}. */
export interface TrainValSplitOptions extends ShuffleOptions {
  /** Shuffle before splitting (default true, as the seeds do); false keeps the order and takes the first rows as validation. */
  shuffle?: boolean;
}

function pickGenerator(op: string, options: ShuffleOptions): Generator {
  if (options.seed !== undefined && options.generator !== undefined)
    throw new ValueError(`${op}: pass either seed or generator, not both`);
  return options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : globalGenerator());
}

function rows(indices: Int32Array): Tensor {
  return new Tensor(indices, [indices.length]);
}

/**
 * The same examples in a random order (the seeds' `shuffle_dataset`): one permutation applied
 * to `x` and `t` alike, so pairs stay together. Returns new tensors; the input is unchanged.
 *
 * @example
 * const mixed = shuffle(train, { seed: 0 }); // same shapes, rows permuted
 */
export function shuffle(data: Split, options: ShuffleOptions = {}): Split {
  const n = rowCount('shuffle', data.x, data.t);
  const order = rows(pickGenerator('shuffle', options).permutation(n));
  return { x: data.x.take(order, 0), t: data.t.take(order, 0) };
}

/**
 * Holds out validation data as the seeds do (vol. 1 §6.5): shuffle, then the first
 * `floor(N · valFraction)` examples are validation and the rest training. The two parts are
 * disjoint and together hold every example once.
 *
 * @example
 * const { train, val } = trainValSplit(loadMnist().train, 0.2, { seed: 0 }); // 48000 and 12000
 */
export function trainValSplit(
  data: Split,
  valFraction: number,
  options: TrainValSplitOptions = {},
): { train: Split; val: Split } {
  const n = rowCount('trainValSplit', data.x, data.t);
  if (typeof valFraction !== 'number' || !(valFraction >= 0 && valFraction <= 1)) {
    throw new ValueError(`trainValSplit: valFraction must be a number in [0, 1], got ${String(valFraction)}`);
  }
  // Same rounding as the seeds' int(x_train.shape[0] * validation_rate).
  const valCount = Math.floor(n * valFraction);
  if (options.shuffle === false) {
    // Copies, so neither part keeps a view on the other's rows.
    return {
      val: { x: data.x.slice(`0:${valCount}`).clone(), t: data.t.slice(`0:${valCount}`).clone() },
      train: { x: data.x.slice(`${valCount}:${n}`).clone(), t: data.t.slice(`${valCount}:${n}`).clone() },
    };
  }
  // Taking the two halves of one permutation equals shuffling then slicing, with one copy instead of two.
  const order = pickGenerator('trainValSplit', options).permutation(n);
  const valRows = rows(order.subarray(0, valCount));
  const trainRows = rows(order.subarray(valCount));
  return {
    val: { x: data.x.take(valRows, 0), t: data.t.take(valRows, 0) },
    train: { x: data.x.take(trainRows, 0), t: data.t.take(trainRows, 0) },
  };
}

/**
 * The first `count` examples, copied (so the full dataset can be garbage-collected), e.g. the
 * seeds' overfitting experiment on 300 training images.
 *
 * @example
 * const small = subset(loadMnist().train, 300); // x (300, 784), t (300)
 */
export function subset(data: Split, count: number): Split {
  const n = rowCount('subset', data.x, data.t);
  if (!Number.isInteger(count) || count < 0 || count > n) {
    throw new ValueError(`subset: count must be an integer in [0, ${n}], got ${count}`);
  }
  return { x: data.x.slice(`0:${count}`).clone(), t: data.t.slice(`0:${count}`).clone() };
}

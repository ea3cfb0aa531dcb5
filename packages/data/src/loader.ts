import { Generator, IndexError, Tensor, ValueError } from '@nn/tensor';
import { type MiniBatchOptions, miniBatchCount, miniBatches } from '@nn/nn';
import { rowCount } from './errors.js';
import type { Split } from './mnist.js';

/** One example or one mini-batch: inputs `x` and targets `t`. */
export interface Example {
  x: Tensor;
  t: Tensor;
}

/**
 * Inputs and targets held as two tensors whose first axes match, indexed by example
 * (PyTorch's TensorDataset). A DataLoader batches it with one `take` per tensor.
 *
 * @example
 * const ds = new TensorDataset(train.x, train.t);
 * ds.length;   // 60000
 * ds.get(0);   // { x: (784) float32, t: () int32 }
 */
export class TensorDataset {
  /** Number of examples. */
  readonly length: number;
  /** All inputs, examples along axis 0. */
  readonly x: Tensor;
  /** All targets, examples along axis 0. */
  readonly t: Tensor;

  constructor(x: Tensor, t: Tensor) {
    this.length = rowCount('TensorDataset', x, t);
    this.x = x;
    this.t = t;
  }

  /**
   * Example `i` (0 ≤ i < length; negative counts from the end), without the example axis:
   * views into the dataset's tensors, not copies.
   * @example new TensorDataset(x, t).get(-1) // the last example
   */
  get(i: number): Example {
    if (!Number.isInteger(i) || i < -this.length || i >= this.length) {
      throw new IndexError(`TensorDataset.get: index ${i} is out of range for ${this.length} examples`);
    }
    const k = i < 0 ? i + this.length : i;
    return { x: this.x.slice(k), t: this.t.slice(k) };
  }
}

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Examples per batch (a positive integer). */
  batchSize: number;
  /** Visit the examples in a new random order every epoch (default false: in order). */
  shuffle?: boolean;
  /**
   * Draw every batch's examples at random with replacement (default false), as the seeds' Trainer
   * does (`np.random.choice(N, batchSize)`; PyTorch's `RandomSampler(replacement=True)`): an epoch
   * is `max(1, floor(N / batchSize))` full batches and an example may come twice or not at all.
   * It is random by itself, so `shuffle` and `dropLast` must stay off with it (a ValueError).
   */
  replacement?: boolean;
  /** Seed of the loader's own generator, so the epochs' orders are reproducible. */
  seed?: number;
  /** Generator to draw each epoch's permutation (or rows) from (default: a `new Generator(seed)`, or the global generator without a seed). */
  generator?: Generator;
  /** Leave out the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/**
 * Mini-batches of a dataset, re-iterable: each `for...of` is one epoch. With `shuffle`, every
 * epoch draws a fresh permutation from the loader's generator (the seeds'
 * `np.random.permutation`), so a seeded loader gives the same sequence of epochs on every run
 * while consecutive epochs differ. A shuffled batch is gathered with one `take` per tensor; an
 * unshuffled batch is a view (a slice along axis 0). With `replacement`, each batch's rows are
 * drawn as the batch is taken (the seeds' Trainer). Pass it straight to `fit` as its data.
 *
 * The batching itself is @nn/nn's `miniBatches`, the same loop `fit` runs on `{ x, t }` tensors.
 *
 * @example
 * const loader = new DataLoader(train, { batchSize: 100, shuffle: true, seed: 0 });
 * loader.length;                          // 600 batches per epoch
 * for (const { x, t } of loader) { ... }  // x (100, 784), t (100)
 */
export class DataLoader implements Iterable<Example> {
  /** Batches per epoch. */
  readonly length: number;
  /** Examples per batch. */
  readonly batchSize: number;
  private readonly x: Tensor;
  private readonly t: Tensor;
  private readonly batching: MiniBatchOptions;

  constructor(data: Split | TensorDataset, options: DataLoaderOptions) {
    if (data === null || typeof data !== 'object')
      throw new ValueError('DataLoader: data must be { x, t } tensors or a TensorDataset');
    const {
      batchSize,
      shuffle = false,
      replacement = false,
      seed,
      generator,
      dropLast = false,
    } = options ?? ({} as DataLoaderOptions);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    for (const [name, value] of Object.entries({ shuffle, replacement, dropLast })) {
      if (typeof value !== 'boolean')
        throw new ValueError(`DataLoader: ${name} must be true or false, got ${String(value)}`);
    }
    if (replacement && (shuffle || dropLast)) {
      throw new ValueError(
        `DataLoader: replacement draws every batch at random and keeps it full, so ${shuffle ? 'shuffle' : 'dropLast'} must be false with it`,
      );
    }
    if (seed !== undefined && generator !== undefined) {
      throw new ValueError('DataLoader: pass either seed or generator, not both');
    }
    const count = rowCount('DataLoader', data.x, data.t);
    this.x = data.x;
    this.t = data.t;
    this.batchSize = batchSize;
    // The loader owns its generator so its epochs do not depend on other users of the global one.
    this.batching = {
      batchSize,
      shuffle,
      replacement,
      dropLast,
      generator: generator ?? (seed !== undefined ? new Generator(seed) : undefined),
    };
    this.length = miniBatchCount(count, this.batching);
  }

  /** One epoch of batches; a shuffled loader draws its permutation when the epoch starts. */
  [Symbol.iterator](): Iterator<Example> {
    return miniBatches(this.x, this.t, this.batching);
  }
}

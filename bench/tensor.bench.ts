/**
 * @nn/tensor against TensorFlow.js (cpu backend, and wasm when it loads) on the kernels the
 * rest of @nn leans on: float32 matmul, elementwise add (plain and broadcast), and sums.
 *
 * Run: `node --import tsx bench/run.ts tensor` (or this file directly).
 */
import { fileURLToPath } from 'node:url';
import { Generator, add, matmul, randn, sum, type Tensor } from '@nn/tensor';
import { runSuite, type BenchCase, type Suite, type Tfjs } from './harness.js';

/** Seeded float32 normals: the same inputs on every run and every machine. */
function input(shape: number[], seed: number): Tensor {
  return randn(shape, { generator: new Generator(seed) });
}

/** The same numbers as a tfjs tensor on the active backend. */
function toTfjs(tf: Tfjs, x: Tensor) {
  return tf.tensor(x.toTypedArray() as Float32Array, [...x.shape], 'float32');
}

function matmulCase(name: string, M: number, K: number, N: number): BenchCase {
  const inputs = () => [input([M, K], 1), input([K, N], 2)];
  return {
    name,
    description: `float32 (${M}×${K})·(${K}×${N}), both row-major contiguous`,
    flops: 2 * M * N * K,
    target: 4,
    nn: () => {
      const [a, b] = inputs();
      return () => matmul(a, b);
    },
    tfjs: (tf) => {
      const [a, b] = inputs().map((x) => toTfjs(tf, x));
      return () => tf.matMul(a, b);
    },
  };
}

const cubes = [64, 128, 256, 512, 1024].map((n) => matmulCase(`matmul ${n}³`, n, n, n));

const elementwise: BenchCase[] = [
  {
    name: 'add 1000×1000 + 1000×1000',
    description: 'float32 elementwise add of 10⁶ elements, same shape, into a fresh tensor',
    target: 1,
    nn: () => {
      const [a, b] = [input([1000, 1000], 3), input([1000, 1000], 4)];
      return () => add(a, b);
    },
    tfjs: (tf) => {
      const [a, b] = [input([1000, 1000], 3), input([1000, 1000], 4)].map((x) => toTfjs(tf, x));
      return () => tf.add(a, b);
    },
  },
  {
    name: 'add 1000×1000 + 1000 (broadcast)',
    description: 'float32 add of a row vector to every row of a 1000×1000 matrix (bias add)',
    target: 1,
    nn: () => {
      const [a, b] = [input([1000, 1000], 3), input([1000], 5)];
      return () => add(a, b);
    },
    tfjs: (tf) => {
      const [a, b] = [input([1000, 1000], 3), input([1000], 5)].map((x) => toTfjs(tf, x));
      return () => tf.add(a, b);
    },
  },
];

function sumCase(name: string, axis: number | undefined, description: string): BenchCase {
  return {
    name,
    description,
    target: 1,
    nn: () => {
      const x = input([1000, 1000], 6);
      return () => sum(x, axis);
    },
    tfjs: (tf) => {
      const x = toTfjs(tf, input([1000, 1000], 6));
      return () => tf.sum(x, axis);
    },
  };
}

const reductions = [
  sumCase('sum 1000×1000 axis 0', 0, 'float32 column sums (reduce the outer axis) → 1000 values'),
  sumCase('sum 1000×1000 axis 1', 1, 'float32 row sums (reduce the inner, contiguous axis) → 1000 values'),
  sumCase('sum 1000×1000 all', undefined, 'float32 sum of all 10⁶ elements → a scalar'),
];

export const suite: Suite = {
  name: 'tensor',
  title: '@nn/tensor vs TensorFlow.js',
  goal: 'faster than tfjs-cpu on every row (cpu/@nn > 1), matmul at least 4× faster',
  cases: [...cubes, matmulCase('matmul 100×784·784×50', 100, 784, 50), ...elementwise, ...reductions],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite(suite);

/**
 * @nn's kernel backends against TensorFlow.js: float32 matmul, one SGD training step of the seeds'
 * MLP and one of SimpleConvNet (conv.bench.ts's step), each on the plain-JavaScript kernels, on
 * the WebAssembly SIMD kernels with one thread, and with two threads. Every row is compared with tfjs-wasm and tfjs-cpu in the same
 * process run, so the ratios printed are per configuration.
 *
 * The configuration is applied inside the timed call (setBackend/setThreads cost nothing when
 * unchanged) because the harness interleaves the contestants of a row.
 *
 * Run: `pnpm bench kernels` (builds first), or `node --import tsx bench/run.ts kernels`.
 */
import { fileURLToPath } from 'node:url';
import { Generator, matmul, randn, setBackend, setThreads, type Tensor } from '@nn/tensor';
import { softmaxCrossEntropy, variable } from '@nn/autograd';
import { SGD } from '@nn/nn';
import type * as TF from '@tensorflow/tfjs';
import { mlpParameters } from './autograd.bench.js';
import { STEP_DESCRIPTION, STEP_FLOPS, nnStep as convNnStep, tfjsStep as convTfjsStep } from './conv.bench.js';
import { runSuite, type BenchCase, type Suite, type Tfjs } from './harness.js';

interface Configuration {
  label: string;
  backend: 'js' | 'wasm';
  threads: number;
}

const CONFIGURATIONS: Configuration[] = [
  { label: 'js', backend: 'js', threads: 1 },
  { label: 'wasm ×1', backend: 'wasm', threads: 1 },
  { label: 'wasm ×2', backend: 'wasm', threads: 2 },
];

function use(configuration: Configuration): void {
  setBackend(configuration.backend);
  setThreads(configuration.threads);
}

function input(shape: number[], seed: number): Tensor {
  return randn(shape, { generator: new Generator(seed) });
}

function toTfjs(tf: Tfjs, x: Tensor) {
  return tf.tensor(x.toTypedArray() as Float32Array, [...x.shape], x.dtype === 'int32' ? 'int32' : 'float32');
}

function matmulCase(name: string, M: number, K: number, N: number, configuration: Configuration): BenchCase {
  const inputs = () => [input([M, K], 1), input([K, N], 2)];
  return {
    name: `${name} · ${configuration.label}`,
    description: `float32 (${M}×${K})·(${K}×${N}), row-major, on ${configuration.label}`,
    flops: 2 * M * N * K,
    goal:
      M === 512 && configuration.backend === 'wasm' ? { minGflops: configuration.threads === 1 ? 45 : 80 } : undefined,
    nn: () => {
      const [a, b] = inputs();
      return () => {
        use(configuration);
        return matmul(a, b);
      };
    },
    tfjs: (tf) => {
      const [a, b] = inputs().map((x) => toTfjs(tf, x));
      return () => tf.matMul(a, b);
    },
  };
}

const LEARNING_RATE = 0.1;

/**
 * The seeds' two-layer net 784-50-10 (autograd.bench.ts's parameters): forward, backward and
 * an SGD update by each library's own optimizer (@nn/nn's SGD, tf.train.sgd). Both libraries start
 * every timed call from the same weights (restored outside the computation that matters, in
 * both), so results stay comparable.
 */
function mlpStepCase(configuration: Configuration): BenchCase {
  return {
    name: `MLP 784-50-10 SGD step · ${configuration.label}`,
    description: `x·W1+b1 → sigmoid → ·W2+b2 → softmax cross-entropy, backward, SGD update (batch 100) on ${configuration.label}; result is W2`,
    tolerance: 1e-3,
    goal: configuration.backend === 'wasm' ? { maxMs: 0.6 } : undefined,
    nn: () => {
      const p = mlpParameters();
      const initial = [p.W1, p.b1, p.W2, p.b2];
      const params = initial.map((t) => variable(t.clone()));
      const [W1, b1, W2, b2] = params;
      const x = variable(p.x, { requiresGrad: false });
      const optimizer = new SGD(params, { lr: LEARNING_RATE });
      return () => {
        use(configuration);
        params.forEach((q, i) => (q.data.data as Float32Array).set(initial[i].data as Float32Array));
        optimizer.zeroGrad();
        softmaxCrossEntropy(x.matmul(W1).add(b1).sigmoid().matmul(W2).add(b2), p.labels).backward();
        optimizer.step();
        return W2.data;
      };
    },
    tfjs: (tf) => {
      const p = mlpParameters();
      const initial = [p.W1, p.b1, p.W2, p.b2].map((t) => toTfjs(tf, t));
      const params = initial.map((t) => tf.variable(t));
      const [x, onehot] = [toTfjs(tf, p.x), tf.oneHot(toTfjs(tf, p.labels), 10)];
      const optimizer = tf.train.sgd(LEARNING_RATE);
      const [W1, b1, W2, b2] = params;
      return () => {
        params.forEach((v, i) => v.assign(initial[i]));
        optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(onehot, x.matMul(W1).add(b1).sigmoid().matMul(W2).add(b2)) as TF.Scalar,
        );
        return W2;
      };
    },
  };
}

/** conv.bench.ts's SimpleConvNet training step, on one configuration. */
function convStepCase(configuration: Configuration): BenchCase {
  return {
    name: `SimpleConvNet step, batch 100 · ${configuration.label}`,
    description: `${STEP_DESCRIPTION}, on ${configuration.label}`,
    flops: STEP_FLOPS,
    tolerance: 1e-3,
    goal: configuration.backend === 'wasm' ? { maxMs: 40 } : undefined,
    nn: () => {
      const step = convNnStep();
      return () => {
        use(configuration);
        return step();
      };
    },
    tfjs: convTfjsStep,
  };
}

const products: [string, number, number, number][] = [
  ['matmul 128³', 128, 128, 128],
  ['matmul 512³', 512, 512, 512],
  ['matmul 1024³', 1024, 1024, 1024],
  ['matmul 100×784·784×50', 100, 784, 50],
];

export const suite: Suite = {
  name: 'kernels',
  title: '@nn kernel backends (js, wasm 1 thread, wasm 2 threads) vs TensorFlow.js',
  goal: 'matmul 512³ ≥ 45 GFLOP/s on one thread and ≥ 80 on two; MLP step ≤ 0.6 ms; SimpleConvNet step ≤ 40 ms',
  cases: [
    ...products.flatMap(([name, M, K, N]) => CONFIGURATIONS.map((c) => matmulCase(name, M, K, N, c))),
    ...CONFIGURATIONS.map(mlpStepCase),
    ...CONFIGURATIONS.map(convStepCase),
  ],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite(suite);

/**
 * @nn/autograd against TensorFlow.js gradients (`tf.grads`): the fixed cost of recording a graph
 * and running backward, on a tiny scalar graph, and a whole MLP forward + backward.
 *
 * Run: `node --import tsx bench/run.ts autograd` (or this file directly).
 */
import { fileURLToPath } from 'node:url';
import { Generator, randint, randn, type Tensor } from '@nn/tensor';
import { softmaxCrossEntropy, variable, type Variable } from '@nn/autograd';
import type * as TF from '@tensorflow/tfjs';
import { runSuite, type BenchCase, type Suite, type Tfjs } from './harness.js';

function input(shape: number[], seed: number): Tensor {
  return randn(shape, { generator: new Generator(seed) });
}

function toTfjs(tf: Tfjs, x: Tensor) {
  return tf.tensor(x.toTypedArray() as Float32Array, [...x.shape], x.dtype === 'int32' ? 'int32' : 'float32');
}

const tinyGraph: BenchCase = {
  name: '(a*b + c).sum() fwd+bwd',
  description: 'record Mul, Add, Sum on 0-d float32 leaves and backpropagate; result is dL/da',
  target: 1,
  nn: () => {
    const [a, b, c] = [2, 3, 4].map((v) => variable(v));
    return () => {
      a.grad = b.grad = c.grad = null;
      a.mul(b).add(c).sum().backward();
      return a.grad!.data;
    };
  },
  tfjs: (tf) => {
    const [a, b, c] = [2, 3, 4].map((v) => tf.scalar(v));
    const gradients = tf.grads((...[x, y, z]: TF.Tensor[]) => x.mul(y).add(z).sum());
    return () => gradients([a, b, c])[0];
  },
};

/** The seeds' two-layer net 784-50-10 on a batch of 100: affine, sigmoid, affine, softmax-with-loss. */
export function mlpParameters() {
  return {
    x: input([100, 784], 1),
    W1: input([784, 50], 2).mul(0.01),
    b1: input([50], 3).mul(0),
    W2: input([50, 10], 4).mul(0.01),
    b2: input([10], 5).mul(0),
    labels: randint(0, 10, [100], { generator: new Generator(6) }),
  };
}

const mlpStep: BenchCase = {
  name: 'MLP 784-50-10 fwd+bwd, batch 100',
  description: 'x·W1+b1 → sigmoid → ·W2+b2 → softmax cross-entropy, then backward; result is dL/dW2',
  target: 1,
  tolerance: 1e-3,
  nn: () => {
    const p = mlpParameters();
    const [W1, b1, W2, b2] = [p.W1, p.b1, p.W2, p.b2].map((t) => variable(t));
    const x = variable(p.x, { requiresGrad: false });
    const params: Variable[] = [W1, b1, W2, b2];
    return () => {
      for (const q of params) q.grad = null;
      const loss = softmaxCrossEntropy(x.matmul(W1).add(b1).sigmoid().matmul(W2).add(b2), p.labels);
      loss.backward();
      return W2.grad!.data;
    };
  },
  tfjs: (tf) => {
    const p = mlpParameters();
    const [x, W1, b1, W2, b2] = [p.x, p.W1, p.b1, p.W2, p.b2].map((t) => toTfjs(tf, t));
    const onehot = tf.oneHot(toTfjs(tf, p.labels), 10);
    const gradients = tf.grads((...[w1, bias1, w2, bias2]: TF.Tensor[]) =>
      tf.losses.softmaxCrossEntropy(onehot, x.matMul(w1).add(bias1).sigmoid().matMul(w2).add(bias2)),
    );
    return () => gradients([W1, b1, W2, b2])[2];
  },
};

export const suite: Suite = {
  name: 'autograd',
  title: '@nn/autograd vs TensorFlow.js tf.grads',
  goal: 'tiny graph ≤ 5 µs (PyTorch ≈ 22 µs, tfjs ≈ 31 µs on these machines); faster than tfjs-cpu on every row',
  cases: [tinyGraph, mlpStep],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite(suite);

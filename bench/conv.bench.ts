/**
 * One SimpleConvNet training step (the seeds' 001 §7.5: conv 30@5×5 → ReLU → max-pool 2×2 →
 * Affine 4320→100 → ReLU → Affine 100→10 → softmax cross-entropy), batch 100 of 1×28×28, in @nn
 * and in TensorFlow.js (cpu and wasm) in the same run: forward, backward, and an SGD update
 * (lr 0.01) of all six parameters.
 *
 * tfjs-wasm has no Conv2DBackpropFilter kernel, so on the tfjs side the convolution is wrapped in
 * `tf.customGrad` and its filter gradient is itself a convolution: with the batch axis playing
 * the channel axis, dW[fh, fw, c, f] = Σ_{n,oh,ow} x[n, oh+fh, ow+fw, c]·dy[n, oh, ow, f] is
 * conv2d(xᵀ (C, H, W, N), dyᵀ (OH, OW, N, F)) → (C, FH, FW, F). The same formulation runs on
 * both tfjs backends, so the two columns compare like for like. The input needs no gradient
 * (it is data), on either side.
 *
 * Layouts: tfjs is NHWC with filters (FH, FW, C, F); @nn is NCHW with filters (F, C, FH, FW).
 * The first Affine's rows are permuted once, outside the timed call, so that tfjs's (H, W, C)
 * flattening meets the same weights as @nn's (C, H, W) one. The returned value, compared before
 * timing, is the filter gradient of the first step (in @nn's layout).
 *
 * Run: `node --import tsx bench/run.ts conv` (or this file directly).
 */
import { fileURLToPath } from 'node:url';
import { Generator, type Tensor, randn, tensor } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, SGD, Sequential, softmaxCrossEntropy } from '@nn/nn';
import type * as TF from '@tensorflow/tfjs';
import { runSuite, type BenchCase, type Suite, type Tfjs } from './harness.js';

const N = 100;
const LR = 0.01;

/** The batch and labels, and SimpleConvNet's initial parameters (the book's 0.01·randn), seeded. */
function inputs(): { x: Tensor; labels: number[]; params: Tensor[] } {
  const g = new Generator(7);
  const x = randn([N, 1, 28, 28], { generator: g });
  const labels = Array.from({ length: N }, (_, i) => (i * 7) % 10);
  const shapes = [[30, 1, 5, 5], [30], [4320, 100], [100], [100, 10], [10]];
  const params = shapes.map((shape) => randn(shape, { generator: g }).mul(0.01));
  return { x, labels, params };
}

export function nnStep(): () => unknown {
  const { x, labels, params } = inputs();
  const net = new Sequential(
    new Conv2d(1, 30, 5),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(4320, 100),
    new ReLU(),
    new Linear(100, 10),
  );
  net.loadStateDict({
    '0.W': params[0],
    '0.b': params[1],
    '4.W': params[2],
    '4.b': params[3],
    '6.W': params[4],
    '6.b': params[5],
  });
  const conv = net[0] as Conv2d;
  const optimizer = new SGD(net.parameters(), { lr: LR });
  const images = variable(x, { requiresGrad: false });
  const t = tensor(labels, { dtype: 'int32' });
  return () => {
    const loss = softmaxCrossEntropy(net.forward(images), t);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return conv.W.grad!.data;
  };
}

export function tfjsStep(tf: Tfjs): () => TF.Tensor {
  const { x, labels, params } = inputs();
  const [W1, b1, W2, b2, W3, b3] = params;
  // NCHW → NHWC; (F, C, FH, FW) → (FH, FW, C, F); W2's rows from (C, H, W) to (H, W, C) order.
  const images = tf.tensor4d(x.toTypedArray() as Float32Array, [N, 1, 28, 28]).transpose<TF.Tensor4D>([0, 2, 3, 1]);
  const filters = tf.variable(
    tf.tensor4d(W1.toTypedArray() as Float32Array, [30, 1, 5, 5]).transpose<TF.Tensor4D>([2, 3, 1, 0]),
  );
  const affine1 = tf.variable(
    tf
      .tensor(W2.toTypedArray() as Float32Array, [30, 12, 12, 100])
      .transpose([1, 2, 0, 3])
      .reshape([4320, 100]),
  );
  const biases = [b1, b2, b3].map((b) => tf.variable(tf.tensor1d(b.toTypedArray() as Float32Array)));
  const affine2 = tf.variable(tf.tensor2d(W3.toTypedArray() as Float32Array, [100, 10]));
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const optimizer = tf.train.sgd(LR);

  // conv2d(x, W) with the filter gradient computed by a second convolution (see the file comment).
  const convolve = tf.customGrad((...args) => {
    const W = args[0] as TF.Tensor4D;
    const value = tf.conv2d(images, W, 1, 'valid') as TF.Tensor4D;
    const gradFunc = (dy: TF.Tensor4D) => {
      const dW = tf.conv2d(
        images.transpose<TF.Tensor4D>([3, 1, 2, 0]),
        dy.transpose<TF.Tensor4D>([1, 2, 0, 3]),
        1,
        'valid',
      ); // (C, FH, FW, F)
      return [dW.transpose([1, 2, 0, 3])];
    };
    return { value, gradFunc };
  });
  const loss = () => {
    const h = tf
      .maxPool(tf.relu(tf.add<TF.Tensor4D>(convolve(filters), biases[0])), 2, 2, 'valid')
      .reshape<TF.Tensor2D>([N, 4320]);
    const scores = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h, affine1), biases[1])), affine2), biases[2]);
    return tf.losses.softmaxCrossEntropy(oneHot, scores) as TF.Scalar;
  };
  return () => {
    const { grads } = tf.variableGrads(loss);
    optimizer.applyGradients(grads);
    return grads[filters.name].transpose([3, 2, 0, 1]); // back to (F, C, FH, FW) for the comparison
  };
}

/**
 * Floating-point operations of one step: forward conv 100·576·30·25 and Affines
 * 100·(4320·100 + 100·10) multiply-adds; backward twice the Affines and once the conv (its filter
 * gradient; the input needs none).
 */
export const STEP_FLOPS = 2 * (2 * 100 * 576 * 30 * 25 + 3 * 100 * (4320 * 100 + 100 * 10));

export const STEP_DESCRIPTION =
  'forward + backward + SGD update of conv 30@5×5 → ReLU → max-pool → 4320→100 → ReLU → 100→10, float32, input (100,1,28,28)';

const step: BenchCase = {
  name: 'SimpleConvNet step, batch 100',
  description: STEP_DESCRIPTION,
  flops: STEP_FLOPS,
  target: 1,
  goal: { maxMs: 40 },
  tolerance: 1e-3,
  nn: nnStep,
  tfjs: tfjsStep,
};

export const suite: Suite = {
  name: 'conv',
  title: 'SimpleConvNet training step: @nn vs TensorFlow.js',
  goal: 'faster than tfjs-cpu; ≤ 40 ms per step on this machine with the wasm kernels (issue 7)',
  cases: [step],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite(suite);

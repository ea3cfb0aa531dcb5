/** The benchmark page: the MLP step on @nn's wasm backend (1 and 2 threads) and on tfjs's cpu backend. */
import * as tf from '@tensorflow/tfjs';
import { getBackend, threadPoolStatus, wasmFeatures } from '@nn/tensor';
import { medianMs, mlpStepTimes } from './mlp-step.js';

declare const window: { results?: unknown; failure?: string };

/** The same step in tfjs: variables, tf.train.sgd, softmax cross-entropy on one-hot labels. */
async function tfjsCpuStep(seconds: number): Promise<number> {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([100, 784]);
  const params = [
    tf.randomNormal([784, 50]).mul(0.01),
    tf.zeros([50]),
    tf.randomNormal([50, 10]).mul(0.01),
    tf.zeros([10]),
  ];
  const [W1, b1, W2, b2] = params.map((t) => tf.variable(t as tf.Tensor));
  const onehot = tf.oneHot(tf.randomUniform([100], 0, 10, 'int32') as tf.Tensor1D, 10);
  const optimizer = tf.train.sgd(0.1);
  return medianMs(() => {
    optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(onehot, x.matMul(W1).add(b1).sigmoid().matMul(W2).add(b2)) as tf.Scalar,
    );
  }, seconds);
}

async function run() {
  const nn = await mlpStepTimes();
  return {
    nn,
    tfjsCpu: await tfjsCpuStep(1),
    backend: getBackend(),
    build: wasmFeatures()?.build,
    status: threadPoolStatus(),
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
  };
}

run().then(
  (results) => void (window.results = results),
  (e: Error) => void (window.failure = `${e.name}: ${e.message}`),
);

/**
 * The layers of sequence models against TensorFlow.js written the same way, with the same weights:
 * an LSTM's forward + backward through time (PyTorch's layout, gates i, f, g, o), LayerNorm → GELU
 * forward + backward, and a language model's cross-entropy with label smoothing and padding ignored.
 * Each row's result (a gradient) is compared with tfjs's before timing.
 *
 * Run: `node --import tsx bench/run.ts sequence` (after `pnpm build`).
 */
import { fileURLToPath } from 'node:url';
import { Generator, randint, randn, type Tensor } from '@nn/tensor';
import { softmaxCrossEntropy, variable } from '@nn/autograd';
import { GELU, LayerNorm, LSTM } from '@nn/nn';
import type * as TF from '@tensorflow/tfjs';
import { runSuite, type BenchCase, type Suite, type Tfjs } from './harness.js';

const toTfjs = (tf: Tfjs, x: Tensor) =>
  tf.tensor(x.toTypedArray() as Float32Array, [...x.shape], x.dtype === 'int32' ? 'int32' : 'float32');

// ---- LSTM: T = 32 steps, batch 16, 32 → 64 -----------------------------------------------------------

const [T, N, I, H] = [32, 16, 32, 64];

function lstmSetup() {
  const lstm = new LSTM(I, H, { generator: new Generator(1) });
  const x = randn([T, N, I], { generator: new Generator(2) });
  return { lstm, x };
}

const lstmStep: BenchCase = {
  name: `LSTM ${I}→${H}, T=${T}, batch ${N}, fwd+bwd`,
  description:
    'one layer, PyTorch layout: output.sum() backpropagated through all steps; result is dL/dweight_hh_l0 (4H, H)',
  target: 1,
  tolerance: 1e-3,
  nn: () => {
    const { lstm, x } = lstmSetup();
    const input = variable(x, { requiresGrad: false });
    return () => {
      lstm.zeroGrad();
      lstm.forward(input).sum().backward();
      return (lstm as unknown as Record<string, { grad: { data: Tensor } }>).weight_hh_l0.grad.data;
    };
  },
  tfjs: (tf) => {
    const { lstm, x } = lstmSetup();
    const dict = lstm.stateDict();
    const [wih, whh, bih, bhh] = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map((k) =>
      toTfjs(tf, dict[k]),
    );
    const input = toTfjs(tf, x);
    // The same computation: all input projections in one product, then h·W_hhᵀ step by step.
    const gradients = tf.grads((...[Wih, Whh, Bih, Bhh]: TF.Tensor[]) => {
      const projected = input
        .reshape([T * N, I])
        .matMul(Wih, false, true)
        .add(Bih)
        .reshape([T, N, 4 * H]);
      const steps = tf.unstack(projected);
      let h: TF.Tensor = tf.zeros([N, H]);
      let c: TF.Tensor = tf.zeros([N, H]);
      const outputs: TF.Tensor[] = [];
      for (const step of steps) {
        const [i, f, g, o] = tf.split(step.add(h.matMul(Whh, false, true)).add(Bhh), 4, 1);
        c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
        h = o.sigmoid().mul(c.tanh());
        outputs.push(h);
      }
      return tf.stack(outputs).sum();
    });
    return () => gradients([wih, whh, bih, bhh])[1];
  },
};

// ---- LayerNorm → GELU on (2048, 128), the shape of a small transformer's activations --------------

const [ROWS, WIDTH] = [2048, 128];

const normGelu: BenchCase = {
  name: `LayerNorm(${WIDTH}) → GELU, (${ROWS}, ${WIDTH}), fwd+bwd`,
  description: 'y = gelu(layerNorm(x)) (exact erf GELU), (y·y).sum() backpropagated; result is dL/dx',
  target: 1,
  tolerance: 1e-3,
  nn: () => {
    const x = variable(randn([ROWS, WIDTH], { generator: new Generator(3) }));
    const norm = new LayerNorm(WIDTH);
    const gelu = new GELU();
    return () => {
      x.grad = null;
      const y = gelu.forward(norm.forward(x));
      y.mul(y).sum().backward();
      return x.grad!.data;
    };
  },
  tfjs: (tf) => {
    const x = toTfjs(tf, randn([ROWS, WIDTH], { generator: new Generator(3) }));
    const gradient = tf.grad((v: TF.Tensor) => {
      const { mean, variance } = tf.moments(v, -1, true);
      const normalized = v.sub(mean).div(variance.add(1e-5).sqrt());
      const y = normalized.mul(normalized.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);
      return y.mul(y).sum();
    });
    return () => gradient(x);
  },
};

// ---- a character model's loss: (64·32, 65) scores, smoothing 0.1, padding (label 0) ignored -----------

const [TOKENS, VOCAB] = [64 * 32, 65];

function lossInputs() {
  const scores = randn([TOKENS, VOCAB], { generator: new Generator(4) });
  const labels = randint(0, VOCAB, [TOKENS], { generator: new Generator(5) });
  return { scores, labels };
}

const smoothedLoss: BenchCase = {
  name: `cross-entropy (${TOKENS}, ${VOCAB}), labelSmoothing 0.1, ignoreIndex 0, fwd+bwd`,
  description:
    'softmaxCrossEntropy with options (LogSoftmax, Gather, Mul, Sum nodes) and its backward; result is dL/dscores',
  target: 1,
  tolerance: 1e-3,
  nn: () => {
    const { scores, labels } = lossInputs();
    const x = variable(scores);
    return () => {
      x.grad = null;
      softmaxCrossEntropy(x, labels, { labelSmoothing: 0.1, ignoreIndex: 0 }).backward();
      return x.grad!.data;
    };
  },
  tfjs: (tf) => {
    const { scores, labels } = lossInputs();
    const x = toTfjs(tf, scores);
    const t = toTfjs(tf, labels);
    const onehot = tf.oneHot(t, VOCAB);
    // Rows with label 0 weigh 0; SUM_BY_NONZERO_WEIGHTS divides by the rows kept, PyTorch's mean.
    const weights = t.notEqual(0).toFloat();
    const gradient = tf.grad((v: TF.Tensor) =>
      tf.losses.softmaxCrossEntropy(onehot, v, weights, 0.1, tf.Reduction.SUM_BY_NONZERO_WEIGHTS),
    );
    return () => gradient(x);
  },
};

export const suite: Suite = {
  name: 'sequence',
  title: 'Sequence-model layers (LSTM, LayerNorm + GELU, smoothed cross-entropy) vs TensorFlow.js',
  goal: 'faster than tfjs-cpu on every row',
  cases: [lstmStep, normGelu, smoothedLoss],
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runSuite(suite);

/**
 * Per-example gradients with `vmap(grad(loss))` (docs/transforms.md, "vmap and per-example
 * gradients"), put to the use that needs them most: differentially private SGD (DP-SGD, Abadi et
 * al. 2016). Each step clips every example's gradient to a norm of at most C before averaging and
 * adds Gaussian noise of scale σ·C, so no single example can move the model by much. A batch
 * gradient (the mean) cannot be clipped per example; per-example gradients can, and vmap computes
 * them in one vectorised pass instead of one backward pass per example.
 *
 * On the spiral data (3 classes, 300 points), a 2-20-3 network written as a function of its
 * parameters, trained twice from the same start: plain SGD (the mean of the per-example
 * gradients, which equals the batch gradient: checked) and DP-SGD (clipped and noised). Prints
 * the accuracy of both and how many examples the clipping cut each epoch.
 *
 * Run: node --import tsx examples/run.ts per-example-gradients [--epochs 300] [--clip 1]
 *      [--noise 0.5] [--smoke]
 */
import { Generator, type Tensor, randn, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import { type Variable, grad, vmap } from '@nn/autograd';
import { spiral } from '@nn/data';
import { numberOption, runIfMain, type ExampleOptions } from './lib/cli.js';

const f64 = { dtype: 'float64' } as const;

/** One example's loss: a point x (2) and its class t (a 0-d int32). */
const loss = (W1: Variable, b1: Variable, W2: Variable, b2: Variable, x: Variable, t: Variable): Variable =>
  F.linear(F.linear(x, W1, b1).tanh(), W2, b2).softmaxCrossEntropy(t);

/** Every parameter's gradient for every example of the batch: arrays of shape (B, ...param). */
const perExampleGradients = vmap(grad(loss, [0, 1, 2, 3]), { inAxes: [null, null, null, null, 0, 0] });

/** The batch's mean loss (the same loss over all rows at once), for the plain gradient check. */
const batchLoss = (x: Tensor, t: Tensor) => (W1: Variable, b1: Variable, W2: Variable, b2: Variable) =>
  F.linear(F.linear(x, W1, b1).tanh(), W2, b2).softmaxCrossEntropy(t);

/** Each example's gradient norm over all parameters: shape (B). */
function norms(gs: readonly Tensor[]): Tensor {
  const squares = gs.map((g) => g.square().reshape([g.shape[0], -1]).sum(1));
  return squares.reduce((a, b) => a.add(b)).sqrt();
}

function accuracy(params: readonly Tensor[], x: Tensor, t: Tensor): number {
  const [W1, b1, W2, b2] = params;
  const scores = x.matmul(W1).add(b1).tanh().matmul(W2).add(b2);
  const predicted = scores.argmax(1);
  return predicted.eq(t).astype('float64').mean().item();
}

export interface PerExampleResult {
  /** max |mean of the per-example gradients − the batch gradient| over every parameter (first batch). */
  meanVersusBatch: number;
  accuracyPlain: number;
  accuracyPrivate: number;
  /** Per epoch, the fraction of examples whose gradient the clipping shortened (DP-SGD). */
  clippedFraction: number[];
}

export async function main(options: ExampleOptions = {}): Promise<PerExampleResult> {
  const epochs = numberOption(options, 'epochs', options.smoke ? 30 : 300);
  const clip = numberOption(options, 'clip', 1);
  const noise = numberOption(options, 'noise', 0.5);
  const lr = numberOption(options, 'lr', 1);
  const batchSize = 30;
  const data = spiral();
  const x = data.x.astype('float64');
  const t = data.t;
  const n = x.shape[0];
  const generator = new Generator(7);
  const start = [
    randn([2, 20], { ...f64, generator }),
    zeros([20], f64),
    randn([20, 3], { ...f64, generator }).mul(0.3),
    zeros([3], f64),
  ];

  // The mean of the per-example gradients is the batch gradient: one check, on the first batch.
  const first = [x.slice('0:30'), t.slice('0:30')] as const;
  const mean = perExampleGradients(...start, ...first).map((g) => g.data.mean(0));
  const batch = grad(batchLoss(...first), [0, 1, 2, 3])(...start).map((g) => g.data);
  const meanVersusBatch = Math.max(...mean.map((m, i) => m.sub(batch[i]).abs().max().item()));
  console.log(`mean of the per-example gradients − batch gradient: ${meanVersusBatch.toExponential(2)} at most`);

  const train = (privately: boolean) => {
    let params: Tensor[] = start;
    const order = new Generator(11);
    const clipped: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = Array.from(order.permutation(n));
      let cut = 0;
      for (let at = 0; at < n; at += batchSize) {
        const rows = perm.slice(at, at + batchSize);
        const gs = perExampleGradients(...params, x.take(rows, 0), t.take(rows, 0)).map((g) => g.data);
        let step: Tensor[];
        if (privately) {
          // Clip each example's gradient to norm ≤ C, sum, add N(0, σ²C²) noise, average.
          const scale = norms(gs).maximum(clip).reciprocal().mul(clip); // min(1, C/‖g‖)
          cut += scale.lt(1).astype('float64').sum().item();
          step = gs.map((g) => {
            const s = scale.reshape([g.shape[0], ...new Array<number>(g.ndim - 1).fill(1)]);
            const summed = g.mul(s).sum(0);
            const jitter = randn([...summed.shape], { ...f64, generator: order }).mul(noise * clip);
            return summed.add(jitter).div(g.shape[0]);
          });
        } else {
          step = gs.map((g) => g.mean(0));
        }
        params = params.map((p, i) => p.sub(step[i].mul(lr)));
      }
      clipped.push(cut / n);
    }
    return { params, clipped };
  };

  const plain = train(false);
  const dp = train(true);
  const accuracyPlain = accuracy(plain.params, x, t);
  const accuracyPrivate = accuracy(dp.params, x, t);
  console.log(`${epochs} epochs, batch ${batchSize}, lr ${lr}:`);
  console.log(`  SGD (mean of the per-example gradients): accuracy ${(accuracyPlain * 100).toFixed(1)}%`);
  console.log(
    `  DP-SGD (each clipped to norm ${clip}, noise σ = ${noise}): accuracy ${(accuracyPrivate * 100).toFixed(1)}%; ` +
      `clipped ${(dp.clipped[0] * 100).toFixed(0)}% of the examples in the first epoch, ${(dp.clipped.at(-1)! * 100).toFixed(0)}% in the last`,
  );
  return { meanVersusBatch, accuracyPlain, accuracyPrivate, clippedFraction: dp.clipped };
}

runIfMain(import.meta.url, main);

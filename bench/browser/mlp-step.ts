/**
 * The MLP training step the kernels benchmark times (784-50-10, sigmoid, softmax cross-entropy,
 * batch 100, SGD), written once for Node and for the browser page, with a small sampler that
 * needs nothing but `performance.now`.
 */
import { Generator, randint, randn, setThreads } from '@nn/tensor';
import { softmaxCrossEntropy, variable } from '@nn/autograd';
import { SGD } from '@nn/nn';

/** One SGD step of the MLP on a fixed batch, from the same weights every call. */
export function mlpStep(): () => void {
  const g = new Generator(1);
  const x = variable(randn([100, 784], { generator: g }), { requiresGrad: false });
  const initial = [
    randn([784, 50], { generator: g }).mul(0.01),
    randn([50]).mul(0),
    randn([50, 10], { generator: g }).mul(0.01),
    randn([10]).mul(0),
  ];
  const params = initial.map((t) => variable(t.clone()));
  const [W1, b1, W2, b2] = params;
  const labels = randint(0, 10, [100], { generator: new Generator(6) });
  const optimizer = new SGD(params, { lr: 0.1 });
  return () => {
    params.forEach((p, i) => (p.data.data as Float32Array).set(initial[i].data as Float32Array));
    optimizer.zeroGrad();
    softmaxCrossEntropy(x.matmul(W1).add(b1).sigmoid().matmul(W2).add(b2), labels).backward();
    optimizer.step();
  };
}

/** Median milliseconds per call of `fn` over `seconds` of batches lasting ≥ 2 ms each, after a warm-up. */
export function medianMs(fn: () => void, seconds = 1): number {
  const warmUntil = performance.now() + 300;
  let calls = 0;
  while (performance.now() < warmUntil || calls < 3) {
    fn();
    calls++;
  }
  const batch = Math.max(1, Math.ceil(2 / (300 / calls)));
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until || samples.length < 5) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** The step's median time on 1 and 2 threads of the wasm backend. */
export async function mlpStepTimes(seconds = 1): Promise<Record<string, number>> {
  const step = mlpStep();
  const times: Record<string, number> = {};
  for (const threads of [1, 2]) {
    setThreads(threads);
    step();
    await new Promise((resolve) => setTimeout(resolve, 100)); // a browser starts workers only after a yield
    times[`${threads} thread${threads > 1 ? 's' : ''}`] = medianMs(step, seconds);
  }
  return times;
}

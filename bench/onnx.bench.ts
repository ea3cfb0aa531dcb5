/**
 * ONNX (issue 19): what exporting and importing cost, and how our inference compares with
 * onnxruntime-node (the engine an exported model is served by), in the same process.
 *
 * - `exportOnnx` (one traced run, the walk and the protobuf encoding) and `importOnnx` (decoding
 *   and building the Module) of the MLP 784-100-10 and of SimpleConvNet (conv 30@5×5, pool,
 *   4320-100-10): milliseconds per call.
 * - Inference at batch 100, float32: our `forward` under noGrad against onnxruntime's
 *   `session.run` on the exported file (CPU execution provider, default threads). The ratio is
 *   @nn time / onnxruntime time (above 1: onnxruntime is faster). Both results are compared
 *   (1e-4) before timing.
 *
 * onnxruntime's `run` is asynchronous, so each row is timed with an async loop: a warm-up, then
 * batches of calls until BENCH_TIME seconds (default 0.6) have passed; the median per call.
 * Run: node --import tsx bench/run.ts onnx
 */
import * as ort from 'onnxruntime-node';
import { Generator, type Tensor, randn } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@nn/nn';
import { exportOnnx, importOnnx } from '@nn/onnx';
import { formatTime, machineInfo, measure } from './harness.js';

const seconds = Number(process.env.BENCH_TIME ?? 0.6);

async function measureAsync(fn: () => Promise<unknown>): Promise<number> {
  const warmEnd = performance.now() + 200;
  while (performance.now() < warmEnd) await fn();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (samples.length < 5 || performance.now() < end) {
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) await fn();
    samples.push((performance.now() - t0) / 4);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

interface Net {
  name: string;
  model: Sequential;
  input: Tensor;
}

function nets(): Net[] {
  const generator = new Generator(0);
  return [
    {
      name: 'MLP 784-100-10',
      model: new Sequential(new Linear(784, 100, { generator }), new ReLU(), new Linear(100, 10, { generator })),
      input: randn([100, 784], { generator }),
    },
    {
      name: 'SimpleConvNet',
      model: new Sequential(
        new Conv2d(1, 30, 5, { generator }),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(4320, 100, { generator }),
        new ReLU(),
        new Linear(100, 10, { generator }),
      ),
      input: randn([100, 1, 28, 28], { generator }),
    },
  ];
}

export async function run(): Promise<void> {
  const info = machineInfo();
  console.log(`\n## ONNX export, import and inference against onnxruntime-node 1.30.0`);
  console.log(`(${info.cpu}, ${info.cores} cores, Node ${info.node})\n`);
  console.log(
    '| network | exportOnnx | importOnnx | @nn forward, batch 100 | onnxruntime, batch 100 | @nn / onnxruntime |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const { name, model, input } of nets()) {
    model.eval();
    const example = input.slice('0:1');
    const bytes = exportOnnx(model, [example]);
    const exportMs = measure(() => void exportOnnx(model, [example])).median;
    const importMs = measure(() => void importOnnx(bytes)).median;
    const session = await ort.InferenceSession.create(bytes);
    const pixels = input.contiguous().toTypedArray() as Float32Array;
    const feeds = { input: new ort.Tensor('float32', pixels, [...input.shape]) };
    const ours = () => noGrad(() => model.forward(variable(input)).data.toTypedArray());
    const theirs = (await session.run(feeds)).output.data as Float32Array;
    const mine = ours();
    for (let i = 0; i < mine.length; i++) {
      if (Math.abs(mine[i] - theirs[i]) > 1e-4 * (1 + Math.abs(theirs[i])))
        throw new Error(`${name}: @nn and onnxruntime differ at ${i}: ${mine[i]} vs ${theirs[i]}`);
    }
    const oursMs = measure(() => void ours()).median;
    const ortMs = await measureAsync(() => session.run(feeds));
    console.log(
      `| ${name} | ${formatTime(exportMs)} | ${formatTime(importMs)} | ${formatTime(oursMs)} | ${formatTime(ortMs)} | ${(oursMs / ortMs).toFixed(2)}× |`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

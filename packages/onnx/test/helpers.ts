/** Test helpers: running bytes in onnxruntime-node, comparing to our Tensors, the reference nets. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@nn/tensor';
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax } from '@nn/nn';

/** Runs `bytes` in onnxruntime on `feeds` (input name → Tensor) and returns every output as a Tensor. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const c = t.contiguous();
    const data = c.data.slice(c.offset, c.offset + c.size);
    ortFeeds[name] = new ort.Tensor(t.dtype === 'float64' ? 'float64' : 'float32', data as Float32Array, [...t.shape]);
  }
  const results = await session.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(results)) {
    const data = value.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array))
      throw new Error(`output ${name} is ${value.type}`);
    out[name] = new Tensor(data.slice(), [...value.dims]);
  }
  return out;
}

/** |a − b| ≤ tolerance·(1 + |b|) elementwise, with equal shapes. */
export function expectClose(actual: Tensor, expected: Tensor, tolerance: number, what = ''): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const a = actual.contiguous();
  const b = expected.contiguous();
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[a.offset + i];
    const y = b.data[b.offset + i];
    const excess = Math.abs(x - y) / (1 + Math.abs(y));
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
  }
  if (!(worst <= tolerance))
    throw new Error(
      `${what}: element ${at} differs: ${a.data[a.offset + at]} vs ${b.data[b.offset + at]} (relative ${worst} > ${tolerance})`,
    );
}

const shared = (file: string) =>
  fileURLToPath(new URL(`../../../../shared/reference-weights/${file}`, import.meta.url));
export const MLP_WEIGHTS = shared('mlp-784-50-100-10.safetensors');
export const SIMPLE_CONVNET_WEIGHTS = shared('simple-convnet.safetensors');
export const DEEP_CONVNET_WEIGHTS = shared('deep-convnet.safetensors');
export const haveReferenceWeights = [MLP_WEIGHTS, SIMPLE_CONVNET_WEIGHTS, DEEP_CONVNET_WEIGHTS].every(existsSync);

/** The seeds' inference MLP: 784 → 50 → 100 → 10, sigmoid, sigmoid, softmax (W1..b3 → 0, 2, 4). */
export function mlp(): Sequential {
  return new Sequential(
    new Linear(784, 50),
    new Sigmoid(),
    new Linear(50, 100),
    new Sigmoid(),
    new Linear(100, 10),
    new Softmax(),
  );
}
export const MLP_KEYS = { W1: '0.W', b1: '0.b', W2: '2.W', b2: '2.b', W3: '4.W', b3: '4.b' };

/** The book's SimpleConvNet (W1..b3 → 0, 4, 6). */
export function simpleConvNet(): Sequential {
  return new Sequential(
    new Conv2d(1, 30, 5),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(4320, 100),
    new ReLU(),
    new Linear(100, 10),
  );
}
export const SIMPLE_CONVNET_KEYS = { W1: '0.W', b1: '0.b', W2: '4.W', b2: '4.b', W3: '6.W', b3: '6.b' };

/** The book's deep CNN: six 3×3 convolutions (the 4th with pad 2), three pools, two Affine layers, Dropout. */
export function deepConvNet(): Sequential {
  const conv = (i: number, o: number, pad = 1) => new Conv2d(i, o, 3, { pad });
  return new Sequential(
    conv(1, 16),
    new ReLU(),
    conv(16, 16),
    new ReLU(),
    new MaxPool2d(2),
    conv(16, 32),
    new ReLU(),
    conv(32, 32, 2),
    new ReLU(),
    new MaxPool2d(2),
    conv(32, 64),
    new ReLU(),
    conv(64, 64),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(1024, 50),
    new ReLU(),
    new Dropout(0.5),
    new Linear(50, 10),
    new Dropout(0.5),
  );
}
/** W1..W6 at the convs 0, 2, 5, 7, 10, 12; W7, W8 at the Linears 16, 19. */
export const DEEP_CONVNET_KEYS = Object.fromEntries(
  [0, 2, 5, 7, 10, 12, 16, 19].flatMap((at, i) => [
    [`W${i + 1}`, `${at}.W`],
    [`b${i + 1}`, `${at}.b`],
  ]),
);

/** The reference tensors renamed to the model's keys and cast to float32. */
export function renamed(tensors: Record<string, Tensor>, keys: Record<string, string>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(keys).map(([from, to]) => [to, tensors[from].astype('float32')]));
}

/**
 * Backward recycles the large storage it allocated and did not hand out: intermediate gradients
 * go to @nn/tensor's pool and the next allocations reuse them. These tests check that nothing a
 * user can still reach is ever reused (leaf and retained gradients, gradients shared between
 * inputs, hook arguments, `gradients` results, recorded backward graphs) and that training gives
 * the same bits with recycling on and off.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Generator,
  type Tensor,
  clearStoragePool,
  randn,
  setStorageRecycling,
  storagePoolStatus,
  tensor,
} from '@nn/tensor';
import { type Variable, conv2d, gradients, maxPool2d, softmaxCrossEntropy, variable } from '@nn/autograd';

afterEach(() => {
  setStorageRecycling(true);
  clearStoragePool();
});

/** A two-layer net on a batch big enough that its activations and gradients are pooled (≥ 256 kB). */
function mlp(seed: number) {
  const g = new Generator(seed);
  const x = variable(randn([256, 300], { generator: g }), { requiresGrad: false });
  const W1 = variable(randn([300, 400], { generator: g }).mul(0.05));
  const W2 = variable(randn([400, 10], { generator: g }).mul(0.05));
  const labels = tensor(
    Array.from({ length: 256 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const hidden = () => x.matmul(W1).relu();
  const loss = (h: Variable = hidden()) => softmaxCrossEntropy(h.matmul(W2), labels);
  return { x, W1, W2, hidden, loss };
}

const copy = (t: Tensor) => Array.from(t.data as Float32Array);

describe('backward recycles its scratch storage', () => {
  it('gives intermediate gradients to the pool, and the next pass reuses them', () => {
    const { W1, W2, loss } = mlp(0);
    const step = () => {
      W1.zeroGrad();
      W2.zeroGrad();
      loss().backward();
      return storagePoolStatus();
    };
    const first = step();
    expect(first.buffers).toBeGreaterThan(0); // the hidden layer's gradients (256×400 floats)
    for (let i = 0; i < 3; i++) expect(step()).toEqual(first); // steady state: taken and given back
  });

  it('never reuses a leaf gradient: grads kept from earlier steps keep their values', () => {
    const { W1, W2, loss } = mlp(1);
    const kept: { grad: Tensor; values: number[] }[] = [];
    for (let step = 0; step < 4; step++) {
      W1.zeroGrad();
      W2.zeroGrad();
      loss().backward();
      kept.push({ grad: W1.grad!.data, values: copy(W1.grad!.data) });
      W1.data = W1.data.sub(W1.grad!.data.mul(0.1));
    }
    for (const { grad, values } of kept) expect(copy(grad)).toEqual(values);
  });

  it('keeps a gradient that two inputs share (Add hands one gradient to both)', () => {
    const g = new Generator(2);
    const a = variable(randn([400, 300], { generator: g }));
    const b = variable(randn([400, 300], { generator: g }));
    a.add(b).mul(3).sum().backward();
    const [ga, gb] = [a.grad!.data, b.grad!.data];
    for (let i = 0; i < 3; i++) a.mul(2).add(b).relu().sum().backward(); // allocates the same sizes
    expect(copy(ga).every((v) => v === 3)).toBe(true);
    expect(copy(gb).every((v) => v === 3)).toBe(true);
  });

  it('keeps retained gradients and `gradients` results', () => {
    const { W1, hidden, loss } = mlp(3);
    const h = hidden().retainGrad();
    loss(h).backward();
    const retained = { grad: h.grad!.data, values: copy(h.grad!.data) };
    const [dW1] = gradients(loss(), [W1]);
    const result = { grad: dW1!.data, values: copy(dW1!.data) };
    for (let i = 0; i < 3; i++) loss().backward();
    expect(copy(retained.grad)).toEqual(retained.values);
    expect(copy(result.grad)).toEqual(result.values);
  });

  it('recycles nothing from a pass whose hooks saw gradients, nor from a recorded (createGraph) pass', () => {
    const { hidden, loss } = mlp(4);
    const h = hidden();
    const seen: { grad: Tensor; values: number[] }[] = [];
    h.registerHook((gh) => {
      seen.push({ grad: gh.data, values: copy(gh.data) });
    });
    loss(h).backward();
    expect(storagePoolStatus().buffers).toBe(0);
    loss().backward({ createGraph: true });
    expect(storagePoolStatus().buffers).toBe(0);
    for (let i = 0; i < 3; i++) loss().backward();
    expect(copy(seen[0].grad)).toEqual(seen[0].values);
  });

  it('training gives the same bits with recycling on and off (property over seeds and steps)', () => {
    const train = (seed: number, steps: number, recycle: boolean) => {
      setStorageRecycling(recycle);
      const g = new Generator(seed);
      const x = variable(randn([40, 3, 20, 20], { generator: g }), { requiresGrad: false });
      const W = variable(randn([32, 3, 3, 3], { generator: g }).mul(0.2));
      const V = variable(randn([32 * 9 * 9, 10], { generator: g }).mul(0.05));
      const labels = tensor(
        Array.from({ length: 40 }, (_, i) => (i * 3) % 10),
        { dtype: 'int32' },
      );
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        W.zeroGrad();
        V.zeroGrad();
        const h = maxPool2d(conv2d(x, W).relu(), { size: 2 }).reshape([40, 32 * 9 * 9]);
        const loss = softmaxCrossEntropy(h.matmul(V), labels);
        loss.backward();
        losses.push(loss.data.item() as number);
        W.data = W.data.sub(W.grad!.data.mul(0.1));
        V.data = V.data.sub(V.grad!.data.mul(0.1));
      }
      return { losses, W: copy(W.data), V: copy(V.data) };
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 3 }), (seed, steps) => {
        expect(train(seed, steps, true)).toEqual(train(seed, steps, false));
      }),
      { numRuns: 5 },
    );
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor } from '@nn/tensor';
import { type Function, type Variable, noGrad, variable } from '@nn/autograd';

// A garbage collector we can trigger: --expose-gc cannot be passed to vitest's workers, but the
// flag can be set at run time and `gc` fetched from a fresh context.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  // FinalizationRegistry callbacks run in later tasks, after a collection that found the target.
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('memory stays flat in a training loop', () => {
  it('the graph of every past step is collectable (FinalizationRegistry count), 10,000 steps', async () => {
    const g = new Generator(0);
    const x = randn([8, 4], { generator: g });
    const labels = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
    const W1 = variable(randn([4, 8], { generator: g }).mul(0.5));
    const b1 = variable(randn([8], { generator: g }).mul(0.1));
    const W2 = variable(randn([8, 3], { generator: g }).mul(0.5));
    const params: Variable[] = [W1, b1, W2]; // shapes differ: a plain list, not a union of shapes

    let finalized = 0;
    const registry = new FinalizationRegistry<number>(() => finalized++);
    const kept: Variable[] = []; // deliberately retained losses: these graphs must NOT be collected
    const steps = 10_000;
    let first = 0;
    let last = 0;
    for (let step = 0; step < steps; step++) {
      const loss = variable(x, { requiresGrad: false })
        .matmul(W1)
        .add(b1)
        .tanh()
        .matmul(W2)
        .softmaxCrossEntropy(labels);
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.data = p.data.sub(p.grad!.data.mul(0.1));
          p.zeroGrad();
        }
      });
      // After backward, the nodes hold no saved tensors and the leaves point to no node.
      const node: Function = loss.creator!;
      if (!node.freed) throw new Error(`step ${step}: the graph was not freed`);
      registry.register(node.inputs[0].creator!, step); // the first MatMul→…→Tanh chain's MatMul
      registry.register(node, step);
      if (step % 1000 === 0) kept.push(loss);
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(params.every((p) => p.creator === null && p.grad === null)).toBe(true);
    expect(last).toBeLessThan(first); // it did train
    await collect();
    // (Referenced after the collection: a registry that is itself garbage never calls back.)
    expect(registry).toBeInstanceOf(FinalizationRegistry);
    // Two nodes registered per step; the 10 kept losses pin their 2 nodes each.
    expect(finalized).toBeGreaterThanOrEqual(2 * steps - 2 * kept.length - 2);
    expect(finalized).toBeLessThanOrEqual(2 * steps - 2 * kept.length);
    expect(kept.length).toBe(10);
  }, 120_000);
});

/**
 * Version checks (PyTorch's version counters): a value a graph saved and that was then changed in
 * place, or replaced, makes backward throw a named error instead of giving a wrong gradient.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '@nn/tensor';
import { AutogradError, variable } from '@nn/autograd';
import { Linear, SGD, Adam } from '@nn/nn';

describe('in-place changes of saved values', () => {
  it('writing into x.data after use (with markModified) fails backward, naming node, cause and fix', () => {
    const x = variable([1, 2, 3], { name: 'x' });
    const y = x.mul(x).sum();
    x.data.data[0] = 10;
    x.data.markModified();
    expect(() => y.backward()).toThrow(AutogradError);
    const x2 = variable([1, 2, 3], { name: 'x' });
    const y2 = x2.mul(x2).sum();
    x2.data.data[0] = 10;
    x2.data.reshape([3, 1]).markModified(); // a view marks the shared storage
    expect(() => y2.backward()).toThrow(/Mul .*input 0 'x'.*modified in place.*clone.*optimizer\.step\(\)/s);
  });

  it('replacing variable.data after use fails backward', () => {
    const x = variable([1, 2, 3]);
    const y = x.exp().sum();
    x.data = tensor([0, 0, 0]);
    expect(() => y.backward()).toThrow(/Exp .*modified in place/);
  });

  it('optimizer.step() between forward and backward fails backward', () => {
    for (const make of [(ps: never) => new SGD(ps, { lr: 0.1 }), (ps: never) => new Adam(ps, { lr: 0.1 })]) {
      const layer = new Linear(3, 2);
      const optimizer = make(layer.parameters() as never);
      const x = variable(tensor([[1, 2, 3]]), { requiresGrad: false });
      layer.forward(x).sum().backward();
      const loss = layer.forward(x).sum();
      optimizer.step();
      expect(() => loss.backward()).toThrow(/modified in place.*optimizer\.step\(\)/s);
    }
  });

  it('normal training (step after backward) still works and changes nothing else', () => {
    const layer = new Linear(3, 2);
    const optimizer = new SGD(layer.parameters(), { lr: 0.01 });
    const x = variable(tensor([[1, 2, 3]]), { requiresGrad: false });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      optimizer.zeroGrad();
      const loss = layer.forward(x).square().sum();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    expect(losses[2]).toBeLessThan(losses[0]);
  });

  it('a write to an unrelated tensor does not disturb a graph', () => {
    const x = variable([1, 2, 3]);
    const y = x.mul(x).sum();
    const other = tensor([1, 2]);
    other.data[0] = 5;
    other.markModified();
    y.backward();
    expect(x.grad!.data.toArray()).toEqual([2, 4, 6]);
  });
});

/**
 * Safety of the engine against user code: custom nodes that keep gradients (never recycled),
 * misuse that must name its fix (backward of a gradient made without createGraph, async
 * callbacks to the grad-mode scopes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Generator, type Tensor, clearStoragePool, randn, setStorageRecycling, tensor } from '@nn/tensor';
import {
  AutogradError,
  Function,
  type Variable,
  detectAnomaly,
  enableGrad,
  isAnomalyEnabled,
  isGradEnabled,
  noGrad,
  softmaxCrossEntropy,
  variable,
} from '@nn/autograd';

afterEach(() => {
  setStorageRecycling(true);
  clearStoragePool();
});

/** Identity whose backward keeps the gradient it receives and the one it computes. */
class Keeper extends Function {
  static kept: Variable[] = [];
  forward(x: Tensor): Tensor {
    return x;
  }
  backward(gy: Variable): Variable {
    const gx = gy.mul(1);
    Keeper.kept.push(gy, gx);
    return gx;
  }
}

describe('recycling and user nodes', () => {
  it('never overwrites a gradient a custom node kept, across later backward passes', () => {
    const g = new Generator(1);
    const x = variable(randn([256, 300], { generator: g }), { requiresGrad: false });
    const W = variable(randn([300, 400], { generator: g }).mul(0.05));
    const W2 = variable(randn([400, 10], { generator: g }).mul(0.05));
    const labels = tensor(
      Array.from({ length: 256 }, (_, i) => i % 10),
      { dtype: 'int32' },
    );
    const step = () => softmaxCrossEntropy(new Keeper().apply(x.matmul(W).relu()).matmul(W2), labels).backward();
    Keeper.kept = [];
    step();
    const snapshot = Keeper.kept.map((v) => Array.from(v.data.contiguous().data));
    expect(Keeper.kept[0].data.size).toBe(256 * 400); // large enough to be pooled
    for (let i = 0; i < 3; i++) step();
    const intact = Keeper.kept
      .slice(0, 2)
      .map((v, k) => v.data.contiguous().data.every((e, i) => e === snapshot[k][i]));
    expect(intact).toEqual([true, true]);
  });
});

describe('messages', () => {
  it('backward through a gradient made without createGraph names createGraph', () => {
    const x = variable(3);
    x.mul(x).backward();
    expect(() => x.grad!.backward()).toThrow(AutogradError);
    expect(() => x.grad!.backward()).toThrow(/createGraph/);
  });

  it('async callbacks to the scoped modes throw an AutogradError and leave the mode as it was', async () => {
    const promise = Promise.resolve(1);
    for (const scope of [noGrad, enableGrad, detectAnomaly]) {
      expect(() => scope(() => promise)).toThrow(AutogradError);
      expect(() => scope(async () => 1)).toThrow(/must be synchronous/);
    }
    expect(isGradEnabled()).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    await promise;
  });
});

describe('backward results', () => {
  it('a custom node returning a Tensor instead of a Variable is an error, not a silently missing gradient', () => {
    class Bad extends Function {
      forward(x: Tensor): Tensor {
        return x;
      }
      backward(gy: Variable): Variable {
        return gy.data as unknown as Variable;
      }
    }
    expect(() => new Bad().apply(variable(2)).backward()).toThrow(/Bad\.backward must return Variables.*Tensor/);
  });

  it('createGraph retains the graph by default (as in PyTorch), so second derivatives through saved outputs work', () => {
    const x = variable(3);
    x.mul(x).mul(x).backward({ createGraph: true });
    const g = x.grad!;
    x.zeroGrad();
    g.backward();
    expect(x.grad!.item()).toBe(18);
  });
});

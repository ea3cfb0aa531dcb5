/**
 * Bad input in training (issue 22): each case used to give a silent wrong answer or a raw
 * TypeError; each now gets a named error.
 */
import { describe, expect, it } from 'vitest';
import { Generator, ValueError, randn, tensor } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { Adam, Linear, ReLU, SGD, Sequential, StateDictError, fit } from '@nn/nn';

function tiny(): { model: Linear; x: ReturnType<typeof randn>; t: ReturnType<typeof tensor> } {
  const g = new Generator(0);
  return {
    model: new Linear(2, 2, { generator: g }),
    x: randn([8, 2], { generator: g }),
    t: tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: 'int32' }),
  };
}

describe('optimizer hyperparameters are checked when set, not only at construction', () => {
  it('lr = NaN after construction (what a schedule writes) is a ValueError naming lr', () => {
    const opt = new SGD(new Linear(2, 2).parameters(), { lr: 0.1 });
    expect(() => (opt.lr = NaN)).toThrow(ValueError);
    expect(() => (opt.lr = NaN)).toThrow(/SGD: lr must be a number in \[0, ∞\], got number NaN/);
    expect(() => (opt.lr = -1)).toThrow(/lr/);
    expect(opt.lr).toBe(0.1);
    opt.lr = 0.01;
    expect(opt.lr).toBe(0.01);
  });
  it('weightDecay = -1 after construction is a ValueError', () => {
    const opt = new Adam(new Linear(2, 2).parameters(), { lr: 0.1 });
    expect(() => (opt.weightDecay = -1)).toThrow(/Adam: weightDecay/);
  });
});

describe('fit refuses what would train nothing or train on NaN', () => {
  it('stops at the first NaN loss, naming epoch and batch', () => {
    const { model, x, t } = tiny();
    const data = x.toArray() as number[][];
    data[5][0] = NaN;
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    expect(() =>
      fit(model, opt, { x: tensor(data), t }, { epochs: 3, batchSize: 4, shuffle: false, log: false }),
    ).toThrow(/fit: the loss is NaN at epoch 1, batch 2 \(iteration 2\).*stopOnNaN/);
  });
  it('stopOnNaN: false trains on to the end', () => {
    const { model, x, t } = tiny();
    const data = x.toArray() as number[][];
    data[5][0] = NaN;
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const h = fit(
      model,
      opt,
      { x: tensor(data), t },
      { epochs: 2, batchSize: 4, shuffle: false, log: false, stopOnNaN: false },
    );
    expect(h.epochs).toBe(2);
    expect(Number.isNaN(h.loss[1])).toBe(true);
  });
  it("an optimizer over another model's parameters is refused before training", () => {
    const { model, x, t } = tiny();
    const opt = new SGD(new Linear(2, 2).parameters(), { lr: 0.1 });
    expect(() => fit(model, opt, { x, t }, { epochs: 1, log: false })).toThrow(
      /fit: the SGD optimizer holds none of the model's 2 parameters/,
    );
  });
});

describe('named errors instead of raw TypeErrors', () => {
  it('loadStateDict(null) is a StateDictError', () => {
    expect(() => new Linear(2, 2).loadStateDict(null as never)).toThrow(StateDictError);
    expect(() => new Linear(2, 2).loadStateDict(null as never)).toThrow(
      /loadStateDict \(Linear\): expected a state dict.*got null/,
    );
  });
  it('every layer rejects an undefined input with a ValueError naming the layer', () => {
    expect(() => new Linear(2, 2).forward(undefined as never)).toThrow(
      /Linear.forward: expected a Variable .*got undefined/,
    );
    expect(() => new ReLU().forward([1, 2] as never)).toThrow(/ReLU.forward: .*got an array/);
    expect(() => new Sequential(new Linear(2, 2)).forward(null as never)).toThrow(/Sequential.forward: .*got null/);
    expect(new ReLU().forward(variable([-1, 2])).data.toArray()).toEqual([0, 2]);
  });
});

/**
 * The Trainer: learning XOR and the seeds' spiral, history, evaluation mode, callbacks and
 * early stopping, progress output on and off a terminal.
 */
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, tensor } from '@nn/tensor';
import { type Variable, isGradEnabled, variable } from '@nn/autograd';
import {
  Adam,
  type Batch,
  type Callback,
  Linear,
  Module,
  ReLU,
  SGD,
  Sequential,
  Sigmoid,
  StepLR,
  Tanh,
  Trainer,
  averageEvery,
  earlyStopping,
  evaluate,
  fit,
  formatDuration,
  mseLoss,
} from '@nn/nn';

/**
 * The seeds' spiral dataset (vol. 2 §1.4.1, `dataset/spiral.py`): `classes` arms of `perClass`
 * points, radius growing along each arm, angle jittered by N(0, 0.2). Labels are int32.
 */
function spiral(perClass = 100, classes = 3, seedValue = 1984): { x: Tensor; t: Tensor } {
  const g = new Generator(seedValue);
  const x = new Float32Array(perClass * classes * 2);
  const t = new Int32Array(perClass * classes);
  for (let j = 0; j < classes; j++) {
    for (let i = 0; i < perClass; i++) {
      const rate = i / perClass;
      const radius = rate;
      const theta = j * 4 + 4 * rate + g.normal() * 0.2;
      const ix = perClass * j + i;
      x[2 * ix] = radius * Math.sin(theta);
      x[2 * ix + 1] = radius * Math.cos(theta);
      t[ix] = j;
    }
  }
  return { x: new Tensor(x, [perClass * classes, 2]), t: new Tensor(t, [perClass * classes]) };
}

const xor = {
  x: tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]),
  t: tensor([0, 1, 1, 0], { dtype: 'int32' }),
};

/** A progress stream that records what was written. */
function sink(isTTY: boolean): { write(s: string): void; isTTY: boolean; text: () => string } {
  const parts: string[] = [];
  return { isTTY, write: (s: string) => void parts.push(s), text: () => parts.join('') };
}

function net(generatorSeed: number, hidden = 10, out = 3, Activation: new () => Module = Sigmoid): Sequential {
  const g = new Generator(generatorSeed);
  return new Sequential(
    new Linear(2, hidden, { generator: g }),
    new Activation(),
    new Linear(hidden, out, { generator: g }),
  );
}

describe('fit learns', () => {
  it('XOR to 100% accuracy', () => {
    const model = net(0, 8, 2, Tanh);
    const history = fit(model, new Adam(model.parameters(), { lr: 0.05 }), xor, {
      epochs: 300,
      batchSize: 4,
      log: false,
      generator: new Generator(0),
    });
    expect(history.train.accuracy.at(-1)).toBe(1);
    expect(evaluate(model, xor).accuracy).toBe(1);
    expect(history.train.loss.at(-1)!).toBeLessThan(history.train.loss[0] / 10);
  });

  it("the seeds' spiral (3 classes × 100 points) to ≥ 90% with a 2-10-3 sigmoid net, as the seeds' Trainer", () => {
    const data = spiral();
    const model = net(1);
    // The seeds' settings: SGD lr 1.0, batch 30, 300 epochs (3000 iterations).
    const trainer = new Trainer(model, new SGD(model.parameters(), { lr: 1 }));
    const history = trainer.fit(data, { epochs: 300, batchSize: 30, log: false, generator: new Generator(1) });
    expect(history.train.accuracy.at(-1)).toBeGreaterThanOrEqual(0.9);
    expect(trainer.evaluate(data).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(history.train.loss.at(-1)!).toBeLessThan(0.2); // the seeds' curve ends near 0.1 from 1.1
    expect(history.loss).toHaveLength(300 * 10);
    expect(trainer.lossCurve(10)).toHaveLength(300);
    expect(history.seconds).toBeLessThan(15);
  });
});

describe('history and evaluation', () => {
  it('records the loss per iteration, metrics per epoch, evaluations per evalEvery and the lr per epoch', () => {
    const data = spiral(20);
    const model = net(2);
    const optimizer = new SGD(model.parameters(), { lr: 1 });
    const history = fit(model, optimizer, data, {
      epochs: 5,
      batchSize: 16,
      evalData: data,
      evalEvery: 2,
      scheduler: new StepLR(optimizer, { stepSize: 2, gamma: 0.5 }),
      log: false,
    });
    expect(history.loss).toHaveLength(5 * 4); // ceil(60 / 16) = 4 batches per epoch
    expect(history.iterations).toBe(20);
    expect(history.train.loss).toHaveLength(5);
    expect(history.train.accuracy).toHaveLength(5);
    expect(history.evalEpochs).toEqual([2, 4, 5]); // every 2 epochs, and after the last
    expect(history.eval.loss).toHaveLength(3);
    expect(history.lr).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(history.epochs).toBe(5);
    expect(history.stoppedEarly).toBe(false);
    // The last evaluation is exactly evaluate() on the final model.
    const result = evaluate(model, data, { batchSize: 7 });
    expect(result.loss).toBeCloseTo(history.eval.loss.at(-1)!, 5);
    expect(result.accuracy).toBeCloseTo(history.eval.accuracy.at(-1)!, 10);
  });

  it('evaluate averages over all rows: the loss equals one full-batch loss', () => {
    const data = spiral(10);
    const model = net(3);
    const whole = evaluate(model, data, { batchSize: 1000 });
    const pieces = evaluate(model, data, { batchSize: 7 });
    expect(pieces.loss).toBeCloseTo(whole.loss, 5);
    expect(pieces.accuracy).toBeCloseTo(whole.accuracy, 10);
    const scores = model.forward(variable(data.x, { requiresGrad: false }));
    const predicted = Array.from(scores.data.argmax(-1).toTypedArray());
    const labels = Array.from(data.t.toTypedArray());
    expect(whole.accuracy).toBeCloseTo(predicted.filter((p, i) => p === labels[i]).length / labels.length, 12);
  });

  it('evaluates without recording and in eval mode, then restores train mode', () => {
    const seen: Array<{ training: boolean; grad: boolean }> = [];
    class Probe extends Module {
      inner = new Linear(2, 2, { generator: new Generator(0) });
      forward(x: Variable): Variable {
        seen.push({ training: this.training, grad: isGradEnabled() });
        return this.inner.forward(x);
      }
    }
    const model = new Probe();
    fit(model, new SGD(model.parameters(), { lr: 0.1 }), xor, { epochs: 1, batchSize: 4, evalData: xor, log: false });
    expect(seen).toEqual([
      { training: true, grad: true },
      { training: false, grad: false },
    ]);
    expect(model.training).toBe(true);
    model.eval();
    fit(model, new SGD(model.parameters(), { lr: 0.1 }), xor, { epochs: 1, batchSize: 4, log: false });
    expect(seen[2]).toEqual({ training: true, grad: true });
    expect(model.training).toBe(false); // fit gives the model its previous mode back
  });

  it('is repeatable: the same generator seed gives the same shuffles and history', () => {
    const run = () => {
      const model = net(4);
      return fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(10), {
        epochs: 3,
        batchSize: 8,
        log: false,
        generator: new Generator(42),
      }).loss;
    };
    const a = run();
    expect(run()).toEqual(a);
    const model = net(4);
    const other = fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(10), {
      epochs: 3,
      batchSize: 8,
      log: false,
      generator: new Generator(43),
    }).loss;
    expect(other).not.toEqual(a);
  });

  it('accepts any re-iterable collection of batches, and explains a spent generator', () => {
    const batches: Batch[] = [
      { x: xor.x.slice('0:2'), t: xor.t.slice('0:2') },
      { x: xor.x.slice('2:4'), t: xor.t.slice('2:4') },
    ];
    const model = net(5, 4, 2);
    const history = fit(model, new SGD(model.parameters(), { lr: 0.1 }), batches, { epochs: 3, log: false });
    expect(history.loss).toHaveLength(6);
    function* once(): Iterable<Batch> {
      yield* batches;
    }
    expect(() => fit(model, new SGD(model.parameters(), { lr: 0.1 }), once(), { epochs: 2, log: false })).toThrow(
      /no batches in epoch 2.*generator/,
    );
  });

  it('takes any loss function and metric list (regression with MSE and no accuracy)', () => {
    const g = new Generator(6);
    const model = new Sequential(new Linear(1, 16, { generator: g }), new ReLU(), new Linear(16, 1, { generator: g }));
    const x = tensor([[-1], [-0.5], [0], [0.5], [1]]);
    const t = x.square();
    const mae = { name: 'mae', compute: (y: Tensor, target: Tensor) => y.sub(target).abs().mean().item() };
    const history = fit(
      model,
      new Adam(model.parameters(), { lr: 0.02 }),
      { x, t },
      { epochs: 300, batchSize: 5, loss: mseLoss, metrics: [mae], log: false },
    );
    expect(Object.keys(history.train).sort()).toEqual(['loss', 'mae']);
    expect(history.train.loss.at(-1)!).toBeLessThan(0.01);
    expect(() =>
      fit(model, new SGD(model.parameters(), { lr: 0 }), { x, t }, { epochs: 1, loss: mseLoss, log: false }),
    ).toThrow(/accuracy.*metrics: \[\]/);
  });

  it('clips gradients to clipNorm before each step', () => {
    const model = net(7, 10, 3);
    const before = model.parameters().map((p) => Array.from(p.data.toTypedArray()));
    fit(model, new SGD(model.parameters(), { lr: 1 }), spiral(10), {
      epochs: 1,
      batchSize: 30,
      clipNorm: 1e-3,
      log: false,
      shuffle: false,
    });
    const moved = Math.hypot(
      ...model.parameters().flatMap((p, i) => Array.from(p.data.toTypedArray()).map((v, k) => v - before[i][k])),
    );
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(1e-3 + 1e-6); // one step of lr·‖g‖ ≤ 1·1e-3
  });

  it('rejects bad options and mismatched data with clear errors', () => {
    const model = net(8);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    expect(() => fit(model, opt, xor, { epochs: 0 })).toThrow(/epochs must be a positive integer/);
    expect(() => fit(model, opt, { x: xor.x, t: tensor([0, 1], { dtype: 'int32' }) }, { epochs: 1 })).toThrow(
      /same number of rows/,
    );
    expect(() =>
      fit(model, opt, xor, { epochs: 1, log: false, metrics: [{ name: 'loss', compute: () => 0 }] }),
    ).toThrow(/reserved/);
  });
});

describe('callbacks', () => {
  it('calls onBatchEnd per batch and onEpochEnd per epoch with the logs, and stop() ends training', () => {
    const batches: number[] = [];
    const epochs: Array<Record<string, number>> = [];
    const callback: Callback = {
      onBatchEnd: ({ iteration }) => void batches.push(iteration),
      onEpochEnd: ({ epoch, logs, stop }) => {
        epochs.push(logs);
        if (epoch === 2) stop();
      },
    };
    const model = net(9);
    const history = fit(model, new SGD(model.parameters(), { lr: 0.1 }), spiral(10), {
      epochs: 10,
      batchSize: 10,
      evalData: spiral(5),
      callbacks: [callback],
      log: false,
    });
    expect(batches).toEqual([1, 2, 3, 4, 5, 6]);
    expect(epochs).toHaveLength(2);
    expect(Object.keys(epochs[0]).sort()).toEqual(['eval.accuracy', 'eval.loss', 'train.accuracy', 'train.loss']);
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs).toBe(2);
  });

  it('earlyStopping stops after `patience` epochs without improvement', () => {
    const model = net(10);
    const stopper = earlyStopping({ monitor: 'train.loss', patience: 2 });
    // lr 0: the loss never improves after the first epoch.
    const history = fit(model, new SGD(model.parameters(), { lr: 0 }), spiral(10), {
      epochs: 50,
      batchSize: 30,
      shuffle: false,
      callbacks: [stopper],
      log: false,
    });
    expect(history.epochs).toBe(3);
    expect(history.stoppedEarly).toBe(true);
    expect([stopper.bestEpoch, stopper.stoppedEpoch]).toEqual([1, 3]);
  });

  it('earlyStopping keeps going while the monitored value improves by more than minDelta', () => {
    const model = net(11, 8, 2, Tanh);
    const stopper = earlyStopping({ monitor: 'eval.loss', patience: 3, minDelta: 0 });
    const history = fit(model, new Adam(model.parameters(), { lr: 0.05 }), xor, {
      epochs: 30,
      batchSize: 4,
      evalData: xor,
      callbacks: [stopper],
      log: false,
    });
    expect(history.epochs).toBe(30);
    expect(stopper.stoppedEpoch).toBe(0);
    expect(stopper.bestEpoch).toBe(30);
  });

  it('earlyStopping restores the best weights when asked, and rejects a monitor that is never measured', () => {
    const model = net(12);
    const data = spiral(10);
    const stopper = earlyStopping({ monitor: 'train.loss', patience: 1, restoreBest: true });
    // A huge lr makes the loss blow up after the first epoch; the first epoch's weights come back.
    let firstWeights: number[] = [];
    const remember: Callback = {
      onEpochEnd: ({ epoch }) => {
        if (epoch === 1) firstWeights = Array.from(model.parameters()[0].data.toTypedArray());
      },
    };
    fit(model, new SGD(model.parameters(), { lr: 500 }), data, {
      epochs: 20,
      batchSize: 60,
      shuffle: false,
      callbacks: [remember, stopper],
      log: false,
    });
    expect([stopper.bestEpoch, stopper.stoppedEpoch]).toEqual([1, 2]);
    expect(Array.from(model.parameters()[0].data.toTypedArray())).toEqual(firstWeights);
    expect(() =>
      fit(model, new SGD(model.parameters(), { lr: 0.1 }), data, {
        epochs: 2,
        callbacks: [earlyStopping()],
        log: false,
      }),
    ).toThrow(/monitor 'eval.loss'.*pass evalData/);
  });
});

describe('progress output', () => {
  it('writes plain lines (no carriage returns) when the stream is not a terminal', () => {
    const out = sink(false);
    const model = net(13);
    fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(10), {
      epochs: 3,
      batchSize: 10,
      evalData: spiral(5),
      log: { stream: out },
    });
    const text = out.text();
    expect(text).not.toContain('\r');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(
        new RegExp(
          `^epoch ${i + 1}/3  3/3  loss \\d+\\.\\d{4} {2}accuracy \\d\\.\\d{4}  eval\\.loss \\d+\\.\\d{4}  eval\\.accuracy \\d\\.\\d{4}  \\d+\\.\\ds$`,
        ),
      ),
    );
  });

  it('adds a plain progress line with an ETA every `interval` seconds inside an epoch', () => {
    const out = sink(false);
    const model = net(17);
    fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(10), {
      epochs: 1,
      batchSize: 10,
      log: { stream: out, interval: 0 },
    });
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    lines
      .slice(0, 3)
      .forEach((line, i) =>
        expect(line).toMatch(new RegExp(`^epoch 1/1  ${i + 1}/3  loss \\d\\.\\d{4}  accuracy \\d\\.\\d{4}  ETA `)),
      );
  });

  it('prints one plain line every `everyEpochs` epochs (always the first and the last)', () => {
    const out = sink(false);
    const model = net(14);
    fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(5), {
      epochs: 7,
      batchSize: 15,
      log: { stream: out, everyEpochs: 3 },
    });
    expect(
      out
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => l.split('  ')[0]),
    ).toEqual(['epoch 1/7', 'epoch 3/7', 'epoch 6/7', 'epoch 7/7']);
  });

  it('redraws a bar in place with \\r on a terminal, one finished line per epoch', () => {
    const out = sink(true);
    const model = net(15);
    fit(model, new SGD(model.parameters(), { lr: 0.5 }), spiral(10), {
      epochs: 2,
      batchSize: 10,
      log: { stream: out },
    });
    const text = out.text();
    expect(text).toContain('\r');
    expect(text).toMatch(/\repoch 1\/2 \[={20}\] 3\/3 loss \d\.\d{4} {2}accuracy \d\.\d{4}/);
    for (const frame of text.split(/[\r\n]/).filter((f) => f.startsWith('epoch')))
      expect(frame).toMatch(/ \[[=> ]{20}\] /);
    expect(text.split('\n').filter((l) => l.length > 0)).toHaveLength(2);
  });

  it('reports an early stop', () => {
    const out = sink(false);
    const model = net(16);
    fit(model, new SGD(model.parameters(), { lr: 0 }), spiral(5), {
      epochs: 10,
      batchSize: 15,
      callbacks: [earlyStopping({ monitor: 'train.loss', patience: 1 })],
      log: { stream: out },
    });
    expect(out.text()).toMatch(/stopped after epoch 2 of 10\n$/);
  });

  it('formats durations', () => {
    expect([formatDuration(2.51), formatDuration(75), formatDuration(3725)]).toEqual(['2.5s', '1:15', '1:02:05']);
  });
});

describe('helpers', () => {
  it('averageEvery gives the seeds loss curve (mean per group)', () => {
    expect(averageEvery([1, 2, 3, 4, 5], 2)).toEqual([1.5, 3.5, 5]);
  });
});

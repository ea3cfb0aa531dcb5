/**
 * Optimizers, gradient clipping and lr schedules.
 *
 * Tolerances: hand-computed steps run in float64 and are compared to 1e-12 (the same formula in
 * a different order of operations); convergence is judged by the final loss; state-dict round
 * trips must be bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, ShapeError, ValueError, randn, tensor } from '@nn/tensor';
import { Variable, variable } from '@nn/autograd';
import {
  AdaGrad,
  Adam,
  AdamW,
  CosineAnnealingLR,
  ExponentialLR,
  Linear,
  LinearWarmup,
  Momentum,
  Nesterov,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  Parameter,
  RMSProp,
  SGD,
  Sequential,
  StepLR,
  Tanh,
  clipGradNorm,
  cosineAnnealing,
  exponentialDecay,
  stepDecay,
} from '@nn/nn';

const f64 = (values: number[]): Tensor => tensor(values, { dtype: 'float64' });
const param = (values: number[]): Parameter => new Parameter(f64(values));
const values = (v: Variable | Tensor): number[] => Array.from((v instanceof Variable ? v.data : v).toTypedArray());

/** Sets a gradient by hand (no backward needed for the first-step formulas). */
function setGrad(p: Variable, g: number[]): void {
  p.grad = variable(tensor(g, { dtype: p.dtype }).reshape([...p.shape]), { requiresGrad: false });
}

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], digits));
}

describe('first steps match hand computations', () => {
  const w0 = [1, -2, 0.5];
  const g1 = [0.5, -1, 2];
  const g2 = [-0.25, 3, 1];

  it('SGD: W ← W − η·g', () => {
    const p = param(w0);
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, g1);
    opt.step();
    expectClose(
      values(p),
      w0.map((w, i) => w - 0.1 * g1[i]),
    );
  });

  it('Momentum: first step as SGD, second −η(α·g1 + g2) (the seeds v ← αv − ηg)', () => {
    const p = param(w0);
    const opt = new Momentum([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, g1);
    opt.step();
    const w1 = w0.map((w, i) => w - 0.1 * g1[i]);
    expectClose(values(p), w1);
    setGrad(p, g2);
    opt.step();
    expectClose(
      values(p),
      w1.map((w, i) => w - 0.1 * (0.9 * g1[i] + g2[i])),
    );
    expect(opt.momentum).toBe(0.9);
  });

  it('Nesterov: first step −(1+α)η·g, second W + α·v − η·g2', () => {
    const p = param(w0);
    const opt = new Nesterov([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, g1);
    opt.step();
    const w1 = w0.map((w, i) => w - 1.9 * 0.1 * g1[i]);
    expectClose(values(p), w1);
    setGrad(p, g2);
    opt.step();
    const v2 = g1.map((g, i) => 0.9 * (-0.1 * g) - 0.1 * g2[i]);
    expectClose(
      values(p),
      w1.map((w, i) => w + 0.9 * v2[i] - 0.1 * g2[i]),
    );
  });

  it('AdaGrad: first step η·g/(|g| + ε), then h accumulates', () => {
    const p = param(w0);
    const opt = new AdaGrad([p], { lr: 1.5 });
    setGrad(p, g1);
    opt.step();
    const w1 = w0.map((w, i) => w - (1.5 * g1[i]) / (Math.abs(g1[i]) + 1e-7));
    expectClose(values(p), w1);
    setGrad(p, g2);
    opt.step();
    expectClose(
      values(p),
      w1.map((w, i) => w - (1.5 * g2[i]) / (Math.sqrt(g1[i] ** 2 + g2[i] ** 2) + 1e-7)),
    );
  });

  it('RMSProp: first step η·g/(√((1−ρ)g²) + ε)', () => {
    const p = param(w0);
    const opt = new RMSProp([p], { lr: 0.01, decay: 0.9 });
    setGrad(p, g1);
    opt.step();
    expectClose(
      values(p),
      w0.map((w, i) => w - (0.01 * g1[i]) / (Math.sqrt(0.1 * g1[i] ** 2) + 1e-7)),
    );
  });

  it('Adam: first step is η·sign(g) (bias correction), second follows the formula', () => {
    const p = param(w0);
    const opt = new Adam([p], { lr: 0.3 });
    setGrad(p, g1);
    opt.step();
    const w1 = w0.map((w, i) => w - 0.3 * Math.sign(g1[i]));
    expectClose(values(p), w1, 7); // ε = 1e-8 against |g| ≥ 0.5
    setGrad(p, g2);
    opt.step();
    const w2 = w1.map((w, i) => {
      const m = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
      const v = 0.999 * 0.001 * g1[i] ** 2 + 0.001 * g2[i] ** 2;
      return w - (0.3 * (m / (1 - 0.9 ** 2))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    });
    expectClose(values(p), w2, 7);
    expect([opt.beta1, opt.beta2, opt.eps]).toEqual([0.9, 0.999, 1e-8]);
  });

  it('a zero gradient element does not move under Adam, AdaGrad or RMSProp (ε guards 0/0)', () => {
    for (const make of [
      (p: Parameter) => new Adam([p], { lr: 1 }),
      (p: Parameter) => new AdaGrad([p], { lr: 1 }),
      (p: Parameter) => new RMSProp([p], { lr: 1 }),
    ]) {
      const p = param([3, 4]);
      setGrad(p, [0, 1]);
      make(p).step();
      expect(values(p)[0]).toBe(3);
      expect(Number.isFinite(values(p)[1])).toBe(true);
    }
  });
});

describe('weight decay', () => {
  it('adds λ·W to the gradient (the seeds L2 penalty) for SGD', () => {
    const p = param([2, -4]);
    const opt = new SGD([p], { lr: 0.1, weightDecay: 0.5 });
    setGrad(p, [0, 1]);
    opt.step();
    expectClose(values(p), [2 - 0.1 * (0 + 0.5 * 2), -4 - 0.1 * (1 + 0.5 * -4)]);
  });

  it('applies to every optimizer: with a zero loss gradient, weights shrink toward 0', () => {
    const makers: Array<(p: Parameter) => Optimizer> = [
      (p) => new SGD([p], { lr: 0.1, weightDecay: 0.1 }),
      (p) => new Momentum([p], { lr: 0.1, weightDecay: 0.1 }),
      (p) => new Nesterov([p], { lr: 0.1, weightDecay: 0.1 }),
      (p) => new AdaGrad([p], { lr: 0.1, weightDecay: 0.1 }),
      (p) => new RMSProp([p], { lr: 0.01, weightDecay: 0.1 }),
      (p) => new Adam([p], { lr: 0.01, weightDecay: 0.1 }),
      (p) => new AdamW([p], { lr: 0.01, weightDecay: 0.1 }),
    ];
    for (const make of makers) {
      const p = param([2, -3]);
      const opt = make(p);
      for (let i = 0; i < 20; i++) {
        setGrad(p, [0, 0]);
        opt.step();
      }
      const [a, b] = values(p);
      expect(Math.abs(a), opt.constructor.name).toBeLessThan(2);
      expect(Math.abs(b), opt.constructor.name).toBeLessThan(3);
      expect(Math.sign(a)).toBe(1);
      expect(Math.sign(b)).toBe(-1);
    }
  });

  it('AdamW decays decoupled: W(1 − ηλ) then Adam on the plain gradient; Adam folds λW into g', () => {
    const a = param([2, -3]);
    setGrad(a, [0, 0]);
    new AdamW([a], { lr: 0.1, weightDecay: 0.5 }).step();
    expectClose(values(a), [2 * 0.95, -3 * 0.95]); // m = 0: only the decay moves it
    const b = param([2, -3]);
    setGrad(b, [0, 0]);
    new Adam([b], { lr: 0.1, weightDecay: 0.5 }).step();
    expectClose(values(b), [2 - 0.1, -3 + 0.1], 7); // first Adam step on g = λW is η·sign(W)
    expect(new AdamW([param([1])], { lr: 0.1 }).weightDecay).toBe(0.01);
  });
});

describe('step and zeroGrad', () => {
  it('skips parameters whose grad is null and keeps no state for them', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new Adam([a, b], { lr: 0.1 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(values(b)).toEqual([3]);
    const keys = Object.keys(opt.stateDict());
    expect(keys).toContain('param.0.m');
    expect(keys.some((k) => k.startsWith('param.1.'))).toBe(false);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('updates in place: the Parameter keeps its data tensor and storage', () => {
    const p = new Parameter(randn([4, 3], { generator: new Generator(1) }));
    const data = p.data;
    const storage = p.data.data;
    setGrad(p, new Array(12).fill(1));
    new SGD([p], { lr: 0.5 }).step();
    expect(p.data).toBe(data);
    expect(p.data.data).toBe(storage);
  });

  it('gives a strided view parameter its own contiguous storage once, with the right values', () => {
    const base = f64([1, 2, 3, 4, 5, 6]).reshape(2, 3);
    const p = new Parameter(base.T); // (3,2), not contiguous
    setGrad(p, [1, 1, 1, 1, 1, 1]);
    new SGD([p], { lr: 1 }).step();
    expect(p.data.isContiguous).toBe(true);
    expect(p.data.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(values(base)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('lists each parameter once and rejects empty lists, non-Variables and bad hyperparameters', () => {
    const p = param([1]);
    expect(new SGD([p, p], { lr: 1 }).params).toHaveLength(1);
    expect(() => new SGD([], { lr: 1 })).toThrow(/empty parameter list/);
    expect(() => new SGD([1 as unknown as Variable], { lr: 1 })).toThrow(/params\[0\]/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/lr must be/);
    expect(() => new Momentum([p], { lr: 1, momentum: 1 })).toThrow(/momentum must be a number in \[0, 1\)/);
    expect(() => new Adam([p], { lr: 1, beta2: 1.5 })).toThrow(ValueError);
  });

  it('names the parameter when a gradient has the wrong shape', () => {
    const p = new Parameter(f64([1, 2]), { name: 'W' });
    p.grad = variable(f64([1, 2, 3]));
    expect(() => new SGD([p], { lr: 1 }).step()).toThrow(/parameter 0 \('W'\) has shape \(3\)/);
  });
});

describe('convergence on convex quadratics', () => {
  /** The seeds' f(x, y) = x²/20 + y², from their start (−7, 2). */
  function minimise(make: (params: Parameter[]) => Optimizer, steps: number): number {
    const x = param([-7]);
    const y = param([2]);
    const opt = make([x, y]);
    const f = (): Variable => x.square().div(20).add(y.square()).sum();
    for (let i = 0; i < steps; i++) {
      opt.zeroGrad();
      f().backward();
      opt.step();
    }
    return f().item();
  }

  const cases: Array<[string, (ps: Parameter[]) => Optimizer]> = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.95 })],
    ['Momentum', (ps) => new Momentum(ps, { lr: 0.1 })],
    ['Nesterov', (ps) => new Nesterov(ps, { lr: 0.1 })],
    ['AdaGrad', (ps) => new AdaGrad(ps, { lr: 1.5 })],
    ['RMSProp', (ps) => new RMSProp(ps, { lr: 0.05 })],
    ['Adam', (ps) => new Adam(ps, { lr: 0.3 })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.3, weightDecay: 0.001 })],
  ];
  it.each(cases)('%s reaches the minimum of x²/20 + y² (from 6.45 at (−7, 2) to < 1e-8 in 300 steps)', (_, make) => {
    expect(minimise(make, 300)).toBeLessThan(1e-8);
  });

  it('and a float32 least-squares problem (Adam on a small linear model)', () => {
    const g = new Generator(3);
    const X = randn([64, 3], { generator: g });
    const trueW = tensor([[1.5], [-2], [0.5]]);
    const T = X.matmul(trueW);
    const W = new Parameter(randn([3, 1], { generator: g }));
    const opt = new Adam([W], { lr: 0.05 });
    const loss = (): Variable => variable(X, { requiresGrad: false }).matmul(W).sub(T).square().mean();
    for (let i = 0; i < 400; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(loss().item()).toBeLessThan(1e-5);
    expect(W.data.allclose(trueW, { atol: 1e-2 })).toBe(true);
  });
});

describe('clipGradNorm', () => {
  it('scales all gradients by maxNorm/‖g‖ when the global norm is larger, and returns the norm before', () => {
    const a = param([0, 0]);
    const b = param([0]);
    const c = param([0]);
    setGrad(a, [3, 4]);
    setGrad(b, [12]);
    const norm = clipGradNorm([a, b, c], 6.5);
    expect(norm).toBeCloseTo(13, 12);
    expectClose(values(a.grad!), [1.5, 2], 6);
    expectClose(values(b.grad!), [6], 6);
    expect(c.grad).toBeNull();
    const after = Math.hypot(...values(a.grad!), ...values(b.grad!));
    expect(after).toBeLessThanOrEqual(6.5);
  });

  it('leaves small gradients alone', () => {
    const a = param([0, 0]);
    setGrad(a, [0.3, 0.4]);
    const before = a.grad;
    expect(clipGradNorm([a], 1)).toBeCloseTo(0.5, 12);
    expect(a.grad).toBe(before);
  });

  it('never writes into a gradient tensor shared by two parameters', () => {
    const a = param([0, 0]);
    const b = param([0, 0]);
    const shared = variable(f64([3, 4]), { requiresGrad: false });
    a.grad = shared;
    b.grad = shared;
    clipGradNorm([a, b], 1);
    expect(values(shared)).toEqual([3, 4]);
    expectClose(values(a.grad!), values(b.grad!));
    expect(Math.hypot(...values(a.grad!), ...values(b.grad!))).toBeCloseTo(1, 5);
  });

  it('rejects a non-positive maxNorm', () => {
    expect(() => clipGradNorm([], 0)).toThrow(/maxNorm/);
  });
});

describe('learning-rate schedules', () => {
  const run = (scheduler: { step(): number; lr: number }, epochs: number): number[] => {
    const out = [scheduler.lr];
    for (let e = 0; e < epochs; e++) out.push(scheduler.step());
    return out;
  };

  it('StepLR multiplies by γ every stepSize epochs and drives the optimizer lr', () => {
    const opt = new SGD([param([1])], { lr: 0.1 });
    const lrs = run(new StepLR(opt, { stepSize: 2, gamma: 0.5 }), 5);
    expectClose(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(opt.lr).toBeCloseTo(0.025, 15);
  });

  it('ExponentialLR multiplies by γ every epoch', () => {
    const opt = new SGD([param([1])], { lr: 1 });
    expectClose(run(new ExponentialLR(opt, { gamma: 0.5 }), 3), [1, 0.5, 0.25, 0.125]);
  });

  it('CosineAnnealingLR follows half a cosine to minLr and stays there', () => {
    const opt = new SGD([param([1])], { lr: 0.1 });
    const lrs = run(new CosineAnnealingLR(opt, { tMax: 4, minLr: 0.01 }), 6);
    const c = (e: number): number => 0.01 + (0.09 * (1 + Math.cos((Math.PI * e) / 4))) / 2;
    expectClose(lrs, [0.1, c(1), c(2), c(3), 0.01, 0.01, 0.01]);
    expect(lrs[2]).toBeCloseTo(0.055, 12);
  });

  it('LinearWarmup moves the factor linearly from startFactor to endFactor over totalIters (PyTorch LinearLR)', () => {
    const opt = new SGD([param([1])], { lr: 0.1 });
    const lrs = run(new LinearWarmup(opt, { startFactor: 0.25, totalIters: 4 }), 6);
    expect(lrs[0]).toBeCloseTo(0.025, 15);
    expectClose(
      lrs,
      [0, 1, 2, 3, 4, 4, 4].map((e) => 0.1 * (0.25 + (0.75 * e) / 4)),
    );
    expect(opt.lr).toBeCloseTo(0.1, 15);
    const defaults = run(new LinearWarmup(new SGD([param([1])], { lr: 0.3 })), 6);
    expectClose(defaults, [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3]);
    expect(() => new LinearWarmup(opt, { startFactor: 0 })).toThrow(/startFactor/);
    expect(() => new LinearWarmup(opt, { totalIters: 0 })).toThrow(ValueError);
  });

  it("OneCycleLR follows PyTorch's two cosine phases from maxLr/divFactor to maxLr and down", () => {
    const opt = new SGD([param([1])], { lr: 0.5 });
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 0.3, divFactor: 4, finalDivFactor: 100 });
    expect(opt.lr).toBeCloseTo(0.25, 15);
    const lrs = run(s, 9);
    // PyTorch: phase 1 ends at 0.3·10 − 1 = 2, phase 2 at 9; lr = end + (start − end)/2·(cos(π·pct) + 1).
    const cos = (a: number, b: number, pct: number): number => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
    const want = [0, 1, 2]
      .map((t) => cos(0.25, 1, t / 2))
      .concat([3, 4, 5, 6, 7, 8, 9].map((t) => cos(1, 0.0025, (t - 2) / 7)));
    expectClose(lrs, want);
    expect(lrs[2]).toBeCloseTo(1, 15);
    expect(lrs[9]).toBeCloseTo(0.0025, 15);
    s.step(); // step 10 = totalSteps is allowed by PyTorch's check, 11 is not
    expect(() => s.step()).toThrow(/totalSteps/);
    expect(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, pctStart: 1 })).toThrow(/pctStart/);
  });

  it('ReduceLROnPlateau cuts the lr after more than patience bad epochs, then cools down (PyTorch)', () => {
    const opt = new SGD([param([1])], { lr: 1 });
    const plateau = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2 });
    // losses: improve, improve, bad, bad (2 > patience: cut to 0.5, cooldown 1), bad (cooldown), bad, bad (cut to 0.25), ...
    const lrs = [3, 2, 2, 2, 2, 2, 2, 2, 2, 2].map((loss) => plateau.step(loss));
    expectClose(lrs, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]);
    expect(plateau.best).toBe(2);
    const max = new ReduceLROnPlateau(new SGD([param([1])], { lr: 1 }), {
      mode: 'max',
      patience: 0,
      threshold: 0.1,
      thresholdMode: 'abs',
    });
    // 0.5 best; 0.55 is within the 0.1 threshold, so bad: cut to 0.1.
    expectClose([max.step(0.5), max.step(0.55), max.step(0.7)], [1, 0.1, 0.1]);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor/);
    expect(() => plateau.step(Number.NaN)).toThrow(ValueError);
  });

  it('functional forms give the same numbers', () => {
    expect(stepDecay(0.1, 25, { stepSize: 10, gamma: 0.5 })).toBeCloseTo(0.025, 15);
    expect(exponentialDecay(0.1, 2, 0.5)).toBeCloseTo(0.025, 15);
    expect(cosineAnnealing(0.1, 5, { tMax: 10 })).toBeCloseTo(0.05, 15);
    expect(() => stepDecay(0.1, 1, { stepSize: 0 })).toThrow(/stepSize/);
    expect(() => exponentialDecay(0.1, -1, 0.5)).toThrow(/epoch/);
  });

  it('a scheduler state dict restores the epoch and the lr', () => {
    const a = new SGD([param([1])], { lr: 0.1 });
    const s = new StepLR(a, { stepSize: 1, gamma: 0.5 });
    s.step();
    s.step();
    const b = new SGD([param([1])], { lr: 0.1 });
    const t = new StepLR(b, { stepSize: 1, gamma: 0.5 });
    t.loadStateDict(s.stateDict());
    expect([t.epoch, b.lr]).toEqual([2, 0.025]);
    expect(t.step()).toBe(s.step());
    expect(() => t.loadStateDict({})).toThrow(/baseLr, epoch/);
  });
});

describe('state dicts', () => {
  const makers: Array<[string, (ps: Parameter[]) => Optimizer]> = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.05, weightDecay: 1e-3 })],
    ['Momentum', (ps) => new Momentum(ps, { lr: 0.05 })],
    ['Nesterov', (ps) => new Nesterov(ps, { lr: 0.05, momentum: 0.8 })],
    ['AdaGrad', (ps) => new AdaGrad(ps, { lr: 0.05 })],
    ['RMSProp', (ps) => new RMSProp(ps, { lr: 0.01 })],
    ['Adam', (ps) => new Adam(ps, { lr: 0.01, weightDecay: 1e-3 })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 })],
  ];

  /** A small float32 network and a fixed batch; `train` runs n optimizer steps on it. */
  function setup(seedValue: number) {
    const g = new Generator(seedValue);
    const model = new Sequential(new Linear(3, 4, { generator: g }), new Tanh(), new Linear(4, 2, { generator: g }));
    const x = variable(randn([8, 3], { generator: new Generator(99) }), { requiresGrad: false });
    const t = randn([8, 2], { generator: new Generator(100) });
    const train = (opt: Optimizer, n: number): void => {
      for (let i = 0; i < n; i++) {
        opt.zeroGrad();
        model.forward(x).sub(t).square().mean().backward();
        opt.step();
      }
    };
    return { model, train };
  }

  it.each(makers)('%s: train 3, save, train 3 ≡ load into a fresh optimizer, train 3 (bit-identical)', (_, make) => {
    const first = setup(7);
    const opt = make(first.model.parameters());
    first.train(opt, 3);
    const savedState = opt.stateDict();
    const savedModel = first.model.stateDict();
    first.train(opt, 3);

    const second = setup(8); // different initial weights: everything must come from the dicts
    second.model.loadStateDict(savedModel);
    const fresh = make(second.model.parameters());
    fresh.loadStateDict(savedState);
    second.train(fresh, 3);

    const a = first.model.parameters();
    const b = second.model.parameters();
    a.forEach((p, i) => expect(Array.from(b[i].data.toTypedArray())).toEqual(Array.from(p.data.toTypedArray())));
    expect(fresh.stepCount).toBe(6);
    const resaved = fresh.stateDict();
    const original = opt.stateDict();
    expect(Object.keys(resaved).sort()).toEqual(Object.keys(original).sort());
    for (const key of Object.keys(original))
      expect(Array.from(resaved[key].toTypedArray())).toEqual(Array.from(original[key].toTypedArray()));
  });

  it('has flat keys: step, hyperparameters as 0-d float64, per-parameter buffers of the parameter shape', () => {
    const W = new Parameter(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const opt = new Adam([W], { lr: 0.01 });
    setGrad(W, [1, 1, 1, 1]);
    opt.step();
    const dict = opt.stateDict();
    expect(Object.keys(dict).sort()).toEqual([
      'beta1',
      'beta2',
      'eps',
      'lr',
      'param.0.m',
      'param.0.step',
      'param.0.v',
      'step',
      'weightDecay',
    ]);
    expect(dict.lr.dtype).toBe('float64');
    expect(dict.lr.shape).toEqual([]);
    expect(dict.lr.item()).toBe(0.01);
    expect(dict['param.0.m'].shape).toEqual([2, 2]);
    expect(dict['param.0.m'].dtype).toBe('float32');
    // A snapshot: further steps do not change it.
    const m = Array.from(dict['param.0.m'].toTypedArray());
    opt.step();
    expect(Array.from(dict['param.0.m'].toTypedArray())).toEqual(m);
  });

  it('loads hyperparameters (e.g. a scheduled lr) with the state', () => {
    const a = new Momentum([param([1])], { lr: 0.5, momentum: 0.7 });
    const b = new Momentum([param([1])], { lr: 0.1 });
    b.loadStateDict(a.stateDict());
    expect([b.lr, b.momentum]).toEqual([0.5, 0.7]);
  });

  it('rejects unknown, missing, out-of-range and mis-shaped entries with clear errors, changing nothing', () => {
    const p = param([1, 2]);
    const adam = new Adam([p], { lr: 0.01 });
    setGrad(p, [1, 1]);
    adam.step();
    const dict = adam.stateDict();
    const momentum = new Momentum([param([1, 2])], { lr: 0.1 });
    expect(() => momentum.loadStateDict(dict)).toThrow(
      /unexpected keys 'beta1'.*missing keys 'momentum'.*another optimizer type/,
    );

    const target = new Adam([param([1, 2])], { lr: 0.02 });
    const { 'param.0.v': _v, ...withoutV } = dict;
    void _v;
    expect(() => target.loadStateDict(withoutV)).toThrow(/missing keys 'param.0.v'/);
    expect(() => target.loadStateDict({ ...dict, 'param.3.m': dict['param.0.m'] })).toThrow(
      /parameter 3, but this optimizer has 1/,
    );
    expect(() => target.loadStateDict({ ...dict, 'param.0.m': f64([1, 2, 3]) })).toThrow(ShapeError);
    expect(() => target.loadStateDict({ ...dict, 'param.0.m': f64([1, 2, 3]) })).toThrow(
      /'param.0.m' has shape \(3\), expected \(2\)/,
    );
    expect(() => target.loadStateDict({ ...dict, lr: f64([1, 2]) })).toThrow(/'lr' has shape \(2\), expected \(\)/);
    expect(() => target.loadStateDict({ ...dict, step: f64([]).reshape([0]).sum().add(1.5) })).toThrow(
      /non-negative integer/,
    );
    expect(target.lr).toBe(0.02);
    expect(target.stepCount).toBe(0);
    expect(Object.keys(target.stateDict())).not.toContain('param.0.m');
  });
});

describe('parameter groups', () => {
  /** The same random gradients on every call: two optimizers fed alike must move alike. */
  function feed(ps: Variable[], seed: number): void {
    const generator = new Generator(seed);
    for (const p of ps) setGrad(p, values(randn([...p.shape], { generator, dtype: 'float64' })));
  }

  it('each group steps with its own hyperparameters, exactly as separate optimizers would', () => {
    const make = () => [param([1, -2, 0.5]), param([0.25, 3]), param([-1])];
    const [a, b, c] = make();
    const grouped = new Adam([{ params: [a, b] }, { params: [c], lr: 0.05, beta1: 0.5, weightDecay: 0.1 }], {
      lr: 0.01,
    });
    const [a2, b2, c2] = make();
    const first = new Adam([a2, b2], { lr: 0.01 });
    const second = new Adam([c2], { lr: 0.05, beta1: 0.5, weightDecay: 0.1 });
    for (let step = 0; step < 5; step++) {
      feed([a, b, c], step);
      feed([a2, b2, c2], step);
      grouped.step();
      first.step();
      second.step();
    }
    expect([a, b, c].map(values)).toEqual([a2, b2, c2].map(values));
    expect(grouped.params).toEqual([a, b, c]);
    // The optimizer's own hyperparameters are untouched by the group's.
    expect(grouped.beta1).toBe(0.9);
    expect(grouped.groupHyperparameters(1)).toEqual({
      lr: 0.05,
      weightDecay: 0.1,
      beta1: 0.5,
      beta2: 0.999,
      eps: 1e-8,
    });
  });

  it("a scheduler moves every group's lr by the same factor; options left out follow the optimizer", () => {
    const opt = new SGD([{ params: [param([1])] }, { params: [param([2])], lr: 0.01 }], { lr: 0.1 });
    const scheduler = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    scheduler.step();
    expect(opt.groupHyperparameters(0).lr).toBeCloseTo(0.05, 15);
    expect(opt.groupHyperparameters(1).lr).toBeCloseTo(0.005, 15);
    opt.weightDecay = 0.2;
    expect(opt.groupHyperparameters(1).weightDecay).toBe(0.2);
  });

  it('AdamW groups keep its decoupled default weight decay unless they set one', () => {
    const opt = new AdamW([{ params: [param([1])] }, { params: [param([2])], weightDecay: 0 }], { lr: 1e-3 });
    expect(opt.groupHyperparameters(0).weightDecay).toBe(0.01);
    expect(opt.groupHyperparameters(1).weightDecay).toBe(0);
  });

  it('state dicts round-trip with groups', () => {
    const make = ([u, w]: Variable[]) => new Momentum([{ params: [u] }, { params: [w], momentum: 0.5 }], { lr: 0.1 });
    const opt = make([param([1, 2]), param([3])]);
    feed([...opt.params], 1);
    opt.step();
    const restored = make(opt.params.map((p) => param(values(p))));
    restored.loadStateDict(opt.stateDict());
    for (const o of [opt, restored]) {
      feed([...o.params], 2);
      o.step();
    }
    expect(restored.params.map(values)).toEqual(opt.params.map(values));
  });

  it('bad groups are named errors, before anything changes', () => {
    const p = param([1]);
    const q = param([2]);
    expect(() => new SGD([{ params: [p] }, { params: [p, q] }], { lr: 1 })).toThrow(
      /some parameters appear in more than one parameter group/,
    );
    expect(() => new SGD([{ params: [p] }, { params: [q], momentum: 0.9 } as never], { lr: 1 })).toThrow(
      /SGD: parameter group 1: unknown option 'momentum' \(known: params, lr, weightDecay\)/,
    );
    expect(() => new Momentum([{ params: [p] }, { params: [q], momentum: 1.5 }], { lr: 1 })).toThrow(
      /Momentum: parameter group 1: Momentum: momentum must be a number in \[0, 1\)/,
    );
    expect(() => new SGD([{ params: [p] }, { params: [] }], { lr: 1 })).toThrow(/parameter group 1 has no parameters/);
    expect(() => new SGD([p, { params: [q] }] as never, { lr: 1 })).toThrow(/params\[1\] is a Object, not a Parameter/);
    expect(() => new SGD([{ params: [p] }, q] as never, { lr: 1 })).toThrow(
      /params\[1\] is a Parameter; give either Parameters or groups/,
    );
    expect(() => new SGD([{ params: [p] }, { params: [q], lr: 1 }], { lr: 0 })).toThrow(/optimizer's lr is 0/);
    expect(() => new SGD([p], { lr: 1 }).groupHyperparameters(1)).toThrow(/no parameter group 1 \(there are 1\)/);
  });
});

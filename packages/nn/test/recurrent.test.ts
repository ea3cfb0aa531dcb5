/**
 * RNN, LSTM and GRU against PyTorch's equations written out with plain loops in float64 (same
 * weights, PyTorch's layout: weight_ih_l{k} (G·H, I), gate order i, f, g, o for LSTM and r, z, n
 * for GRU), over several layers, batchFirst, given initial states and unbatched input; gradchecks
 * of input, initial states and every parameter over generated sizes; named errors.
 *
 * Tolerances: values 1e-12 (float64); gradients gradcheck's (eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Generator, ShapeError, type Tensor, ValueError, tensor } from '@nn/tensor';
import { Variable, variable } from '@nn/autograd';
import { assertGradcheck } from '@nn/autograd/testing';
import {
  Adam,
  Embedding,
  GRU,
  LSTM,
  LayerNorm,
  Linear,
  Module,
  ModuleDict,
  RNN,
  Sequential,
  decodeSafetensors,
  encodeSafetensors,
  mseLoss,
} from '@nn/nn';
import { checkModule, sample, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);
const RUNS = Math.round(4 * Number(process.env.NN_PROPERTY_SCALE ?? 1));

function expectClose(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

type Matrix = number[][];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** W·v + b for W (rows, cols). */
const affine = (W: Matrix, v: number[], b: number[] | null): number[] =>
  W.map((row, r) => row.reduce((s, w, c) => s + w * v[c], b ? b[r] : 0));
const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

interface Weights {
  ih: Matrix;
  hh: Matrix;
  bih: number[] | null;
  bhh: number[] | null;
}

/** Layer k's weights as nested arrays, read by their PyTorch names from the state dict. */
function weightsOf(module: LSTM | GRU | RNN, k: number): Weights {
  const dict = module.stateDict();
  const get = (name: string) => dict[`${name}_l${k}`]?.toArray();
  return {
    ih: get('weight_ih') as Matrix,
    hh: get('weight_hh') as Matrix,
    bih: (get('bias_ih') as number[] | undefined) ?? null,
    bhh: (get('bias_hh') as number[] | undefined) ?? null,
  };
}

type Cell = (x: number[], state: number[][], w: Weights, H: number) => number[][];

/** PyTorch's LSTM cell: gates i, f, g, o stacked in the rows. */
const lstmCell: Cell = (x, [h, c], w, H) => {
  const z = add(affine(w.ih, x, w.bih), affine(w.hh, h, w.bhh));
  const part = (k: number) => z.slice(k * H, (k + 1) * H);
  const [i, f, gg, o] = [part(0).map(sigmoid), part(1).map(sigmoid), part(2).map(Math.tanh), part(3).map(sigmoid)];
  const c2 = c.map((cv, j) => f[j] * cv + i[j] * gg[j]);
  return [o.map((ov, j) => ov * Math.tanh(c2[j])), c2];
};

/** PyTorch's GRU cell: gates r, z, n; r multiplies W_hn h + b_hn. */
const gruCell: Cell = (x, [h], w, H) => {
  const gi = affine(w.ih, x, w.bih);
  const gh = affine(w.hh, h, w.bhh);
  const r = Array.from({ length: H }, (_, j) => sigmoid(gi[j] + gh[j]));
  const z = Array.from({ length: H }, (_, j) => sigmoid(gi[H + j] + gh[H + j]));
  const n = Array.from({ length: H }, (_, j) => Math.tanh(gi[2 * H + j] + r[j] * gh[2 * H + j]));
  return [n.map((nv, j) => (1 - z[j]) * nv + z[j] * h[j])];
};

const rnnCell =
  (f: (v: number) => number): Cell =>
  (x, [h], w) => [add(affine(w.ih, x, w.bih), affine(w.hh, h, w.bhh)).map(f)];

/**
 * The whole stack by the equations: x [T][N][I], initial states [state][layer][N][H]. Returns the
 * last layer's h per step [T][N][H] and the final states [state][layer][N][H].
 */
function reference(
  module: LSTM | GRU | RNN,
  cell: Cell,
  x: number[][][],
  initial: number[][][][],
): { output: number[][][]; finals: number[][][][] } {
  let sequence = x;
  const finals: number[][][][] = initial.map(() => []);
  for (let k = 0; k < module.numLayers; k++) {
    const w = weightsOf(module, k);
    const states = x[0].map((_, n) => initial.map((s) => s[k][n]));
    const out: number[][][] = [];
    for (const step of sequence) {
      out.push(
        step.map((xn, n) => {
          states[n] = cell(xn, states[n], w, module.hiddenSize);
          return states[n][0];
        }),
      );
    }
    initial.forEach((_, s) => finals[s].push(states.map((st) => st[s])));
    sequence = out;
  }
  return { output: sequence, finals };
}

const nested = (t: Tensor) => t.toArray() as number[][][];

describe("PyTorch's parameter layout and initialization", () => {
  test('LSTM: weight_ih_l0 (4H, I), weight_hh_l0 (4H, H), biases (4H), per layer, in that order', () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, generator: g(1) });
    expect(lstm.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['weight_ih_l0', [20, 3]],
      ['weight_hh_l0', [20, 5]],
      ['bias_ih_l0', [20]],
      ['bias_hh_l0', [20]],
      ['weight_ih_l1', [20, 5]],
      ['weight_hh_l1', [20, 5]],
      ['bias_ih_l1', [20]],
      ['bias_hh_l1', [20]],
    ]);
    const bound = 1 / Math.sqrt(5);
    for (const p of lstm.parameters()) expect(values(p.data).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(String(lstm)).toBe('LSTM(3, 5, numLayers=2)');
  });

  test('GRU (3H rows), RNN (H rows), without bias', () => {
    expect(new GRU(2, 4).namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['weight_ih_l0', [12, 2]],
      ['weight_hh_l0', [12, 4]],
      ['bias_ih_l0', [12]],
      ['bias_hh_l0', [12]],
    ]);
    expect(new RNN(2, 4, { bias: false }).namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['weight_ih_l0', [4, 2]],
      ['weight_hh_l0', [4, 4]],
    ]);
    expect(String(new GRU(2, 4, { batchFirst: true, bias: false }))).toBe('GRU(2, 4, bias=false, batchFirst=true)');
  });
});

describe('values against the equations (float64)', () => {
  const [T, N, I, H, L] = [4, 3, 3, 4, 2];
  const x = sample([T, N, I], 1);
  const h0 = sample([L, N, H], 2).mul(0.5);
  const c0 = sample([L, N, H], 3).mul(0.5);

  test('LSTM, two layers, given (h0, c0): output, hN, cN', () => {
    const lstm = new LSTM(I, H, { numLayers: L, dtype: 'float64', generator: g(4) });
    const [output, [hN, cN]] = lstm.forwardWithState(variable(x), [h0, c0]);
    const want = reference(lstm, lstmCell, nested(x), [nested(h0), nested(c0)]);
    expect(output.shape).toEqual([T, N, H]);
    expect(hN.shape).toEqual([L, N, H]);
    expectClose(values(output.data), want.output.flat(2));
    expectClose(values(hN.data), want.finals[0].flat(2));
    expectClose(values(cN.data), want.finals[1].flat(2));
    // The last step's output is the last layer's final h.
    expectClose(values(output.data).slice((T - 1) * N * H), values(hN.data).slice((L - 1) * N * H));
  });

  test('GRU, two layers, given h0; RNN with tanh and relu; zeros as the default state', () => {
    const gru = new GRU(I, H, { numLayers: L, dtype: 'float64', generator: g(5) });
    const [gOut, gH] = gru.forwardWithState(variable(x), h0);
    const want = reference(gru, gruCell, nested(x), [nested(h0)]);
    expectClose(values(gOut.data), want.output.flat(2));
    expectClose(values(gH.data), want.finals[0].flat(2));
    const zeros = [Array.from({ length: L }, () => Array.from({ length: N }, () => Array(H).fill(0)))];
    expectClose(values(gru.forward(variable(x)).data), reference(gru, gruCell, nested(x), zeros).output.flat(2));
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const rnn = new RNN(I, H, { numLayers: L, nonlinearity, dtype: 'float64', generator: g(6) });
      const f = nonlinearity === 'tanh' ? Math.tanh : (v: number) => Math.max(v, 0);
      const [rOut, rH] = rnn.forwardWithState(variable(x), h0);
      const wantR = reference(rnn, rnnCell(f), nested(x), [nested(h0)]);
      expectClose(values(rOut.data), wantR.output.flat(2));
      expectClose(values(rH.data), wantR.finals[0].flat(2));
    }
  });

  test('batchFirst takes and gives (N, T, features); states stay (L, N, H)', () => {
    const a = new LSTM(I, H, { numLayers: L, dtype: 'float64', generator: g(7) });
    const b = new LSTM(I, H, { numLayers: L, batchFirst: true, dtype: 'float64' });
    b.loadStateDict(a.stateDict());
    const [outA, [hA, cA]] = a.forwardWithState(variable(x), [h0, c0]);
    const [outB, [hB, cB]] = b.forwardWithState(variable(x.transpose([1, 0, 2])), [h0, c0]);
    expect(outB.shape).toEqual([N, T, H]);
    expectClose(values(outB.data.transpose([1, 0, 2]).contiguous()), values(outA.data));
    expectClose(values(hB.data), values(hA.data));
    expectClose(values(cB.data), values(cA.data));
  });

  test('unbatched input (T, I) with states (L, H) equals a batch of one', () => {
    const gru = new GRU(I, H, { numLayers: L, dtype: 'float64', generator: g(8) });
    const one = x.slice(':', 0); // (T, I)
    const h = h0.slice(':', 0); // (L, H)
    const [out, hN] = gru.forwardWithState(variable(one), h);
    expect(out.shape).toEqual([T, H]);
    expect(hN.shape).toEqual([L, H]);
    const [outBatch, hBatch] = gru.forwardWithState(variable(one.reshape([T, 1, I])), h.reshape([L, 1, H]));
    expectClose(values(out.data), values(outBatch.data));
    expectClose(values(hN.data), values(hBatch.data));
  });
});

describe('gradcheck over generated sizes (input, initial states, every parameter)', () => {
  const sizes = fc.record({
    T: fc.integer({ min: 1, max: 3 }),
    N: fc.integer({ min: 1, max: 2 }),
    I: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 2 }),
    L: fc.integer({ min: 1, max: 2 }),
    batchFirst: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  });

  test('LSTM and GRU: input and parameters (checkModule)', () =>
    fc.assert(
      fc.property(sizes, ({ T, N, I, H, L, batchFirst, seed }) => {
        const x = sample(batchFirst ? [N, T, I] : [T, N, I], seed);
        checkModule(new LSTM(I, H, { numLayers: L, batchFirst, generator: g(seed) }), x);
        checkModule(new GRU(I, H, { numLayers: L, batchFirst, generator: g(seed + 1) }), x);
      }),
      { numRuns: RUNS },
    ));

  test('LSTM with respect to h0 and c0, GRU and RNN with respect to h0', () =>
    fc.assert(
      fc.property(sizes, ({ T, N, I, H, L, seed }) => {
        const x = variable(sample([T, N, I], seed), { requiresGrad: false });
        const lstm = new LSTM(I, H, { numLayers: L, dtype: 'float64', generator: g(seed) });
        const gru = new GRU(I, H, { numLayers: L, dtype: 'float64', generator: g(seed + 1) });
        const rnn = new RNN(I, H, { numLayers: L, dtype: 'float64', generator: g(seed + 2) });
        const [h0, c0] = [sample([L, N, H], seed + 3), sample([L, N, H], seed + 4)];
        assertGradcheck(
          (h: Variable, c: Variable) => {
            const [out, [hN, cN]] = lstm.forwardWithState(x, [h, c]);
            return out.sum().add(hN.square().sum()).add(cN.sum());
          },
          [h0, c0],
        );
        assertGradcheck((h: Variable) => gru.forwardWithState(x, h)[1], [h0]);
        assertGradcheck((h: Variable) => rnn.forward(x, h), [h0]);
      }),
      { numRuns: RUNS },
    ));
});

describe('training and modes', () => {
  test('dropout between layers acts in training only; eval equals a model without it', () => {
    const lstm = new LSTM(2, 3, { numLayers: 2, dropout: 0.5, dtype: 'float64', generator: g(9) });
    const plain = new LSTM(2, 3, { numLayers: 2, dtype: 'float64' });
    plain.loadStateDict(lstm.stateDict());
    const x = variable(sample([4, 2, 2], 10));
    const evalOut = values(lstm.eval().forward(x).data);
    expect(evalOut).toEqual(values(plain.forward(x).data));
    expect(values(lstm.train().forward(x).data)).not.toEqual(evalOut);
    expect(lstm.children()).toEqual([]); // the dropout is not a submodule, as in PyTorch
  });

  test('an LSTM in a Sequential learns to output the running mean of its input (loss falls 10×)', () => {
    const gen = g(11);
    const model = new Sequential(
      new LSTM(1, 6, { batchFirst: true, generator: gen }),
      new Linear(6, 1, { generator: gen }),
    );
    const x = sample([16, 6, 1], 12).astype('float32');
    const xs = values(x);
    const target = tensor(
      xs.map((_, i) => {
        const [n, t] = [Math.floor(i / 6), i % 6];
        let s = 0;
        for (let u = 0; u <= t; u++) s += xs[n * 6 + u];
        return s / (t + 1);
      }),
      { shape: [16, 6, 1] },
    );
    const optimizer = new Adam(model.parameters(), { lr: 0.05 });
    const loss = () => mseLoss(model.forward(variable(x, { requiresGrad: false })), target);
    const first = loss().item();
    for (let step = 0; step < 60; step++) {
      model.zeroGrad();
      loss().backward();
      optimizer.step();
    }
    expect(loss().item()).toBeLessThan(first / 10);
  });
});

describe('checkpoints', () => {
  /** A small language model of every new layer: its state dict keys are PyTorch's. */
  class CharModel extends Module {
    embed = new Embedding(11, 4, { paddingIdx: 0, generator: g(20) });
    rnn = new LSTM(4, 5, { numLayers: 2, batchFirst: true, generator: g(21) });
    heads = new ModuleDict({ norm: new LayerNorm(5), out: new Linear(5, 11, { generator: g(22) }) });
    forward(ids: Variable): Variable {
      const h = this.rnn.forward(this.embed.forward(ids));
      return this.heads.get('out').forward(this.heads.get('norm').forward(h));
    }
  }

  test('state dict keys, and a safetensors round trip that reproduces the outputs', () => {
    const model = new CharModel();
    expect(Object.keys(model.stateDict())).toEqual([
      'embed.weight',
      ...[0, 1].flatMap((k) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((w) => `rnn.${w}_l${k}`)),
      'heads.norm.weight',
      'heads.norm.bias',
      'heads.out.W',
      'heads.out.b',
    ]);
    const bytes = encodeSafetensors(model.stateDict());
    const restored = new CharModel();
    restored.apply((m) => m.parameters().forEach((p) => p.data.data.fill(0.1)));
    restored.loadStateDict(decodeSafetensors(bytes).tensors);
    const ids = variable(tensor([[1, 5, 0, 10]], { dtype: 'int32' }), { requiresGrad: false });
    expect(restored.forward(ids).toArray()).toEqual(model.forward(ids).toArray());
  });
});

describe('bad input is a named error', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  test('sequence shapes and feature sizes', () => {
    expect(() => lstm.forward(variable(sample([2, 3, 5])))).toThrow(ShapeError);
    expect(() => lstm.forward(variable(sample([2, 3, 5])))).toThrow(
      'LSTM(3, 4): expected input of shape (T, N, inputSize) or (T, inputSize) with inputSize = 3, got (2,3,5)',
    );
    expect(() => new GRU(3, 4, { batchFirst: true }).forward(variable(sample([5])))).toThrow(
      /GRU\(3, 4\): expected input of shape \(N, T, inputSize\)/,
    );
    expect(() => lstm.forward(variable(sample([0, 2, 3])))).toThrow(/the input sequence is empty/);
    expect(() => lstm.forward(undefined as unknown as Variable)).toThrow(/LSTM.forward: expected a Variable/);
  });
  test('initial states', () => {
    const x = variable(sample([5, 2, 3]));
    expect(() => lstm.forward(x, [sample([2, 2, 4]), sample([1, 2, 4])])).toThrow(
      'LSTM(3, 4): c0 must have shape (2,2,4) (numLayers, N, hiddenSize), got (1,2,4)',
    );
    expect(() => lstm.forward(x, [sample([2, 3, 4]), sample([2, 2, 4])])).toThrow(/h0 must have shape \(2,2,4\)/);
    expect(() => lstm.forward(x, sample([2, 2, 4]) as unknown as [Tensor, Tensor])).toThrow(
      /must be a pair \[h0, c0\]/,
    );
    expect(() => new GRU(3, 4).forward(x, sample([1, 2, 5]))).toThrow(ShapeError);
  });
  test('constructor arguments', () => {
    expect(() => new LSTM(0, 4)).toThrow('LSTM: inputSize must be a positive integer, got 0');
    expect(() => new GRU(3, 4, { numLayers: 0 })).toThrow(/GRU: numLayers must be a positive integer, got 0/);
    expect(() => new LSTM(3, 4, { dropout: 1 })).toThrow(ValueError);
    expect(() => new RNN(3, 4, { nonlinearity: 'gelu' as 'tanh' })).toThrow(
      /RNN: nonlinearity must be 'tanh' or 'relu'/,
    );
  });
});

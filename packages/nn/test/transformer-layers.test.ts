/**
 * GELU, SiLU, LayerNorm, Embedding, ModuleList and ModuleDict against PyTorch's definitions,
 * written out with plain loops in float64; gradchecks over fast-check-generated shapes (input and
 * parameters); parameter names, train/eval, state dicts; named errors for bad input.
 *
 * Tolerances: forward values 1e-12 (float64); gradients gradcheck's (eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DTypeError, Generator, IndexError, ShapeError, type Tensor, ValueError, tensor } from '@nn/tensor';
import { type Variable, variable } from '@nn/autograd';
import { assertGradcheck, shapeArb, tensorArb } from '@nn/autograd/testing';
import {
  Dropout,
  Embedding,
  GELU,
  LayerNorm,
  Linear,
  Module,
  ModuleDict,
  ModuleList,
  Parameter,
  ReLU,
  SiLU,
  init,
} from '@nn/nn';
import { checkModule, sample, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);
const RUNS = Math.round(25 * Number(process.env.NN_PROPERTY_SCALE ?? 1));

function expectClose(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

/** erf by Simpson's rule on its integral: an independent reference (~1e-13). */
function erf(x: number): number {
  const n = 2000;
  const h = Math.abs(x) / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return Math.sign(x) * ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
}

describe('GELU and SiLU', () => {
  test("values: x·Φ(x) exact, the tanh form, x·σ(x) (PyTorch's definitions)", () => {
    const x = sample([4, 5], 1).mul(2);
    const xs = values(x);
    expectClose(
      values(new GELU().forward(variable(x)).data),
      xs.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    );
    expectClose(
      values(new GELU('tanh').forward(variable(x)).data),
      xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
    );
    expectClose(
      values(new SiLU().forward(variable(x)).data),
      xs.map((v) => v / (1 + Math.exp(-v))),
    );
  });

  test('gradcheck over generated shapes', () =>
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 4 }).chain((s) => tensorArb(s, { min: -4, max: 4 })),
        (x) => {
          for (const layer of [new GELU(), new GELU('tanh'), new SiLU()]) checkModule(layer, x);
        },
      ),
      { numRuns: RUNS },
    ));

  test('print and bad input', () => {
    expect(String(new GELU('tanh'))).toBe("GELU(approximate='tanh')");
    expect(String(new GELU())).toBe('GELU()');
    expect(() => new GELU('fast' as 'none')).toThrow(ValueError);
    expect(() => new GELU('fast' as 'none')).toThrow(/GELU: approximate must be 'none' or 'tanh', got "fast"/);
    expect(() => new SiLU().forward([1, 2] as unknown as Variable)).toThrow(/SiLU.forward: expected a Variable/);
  });
});

/** LayerNorm by the definition: per sample over the trailing `k` axes, biased variance. */
function layerNormReference(x: Tensor, k: number, weight: number[], bias: number[], eps: number): number[] {
  const xs = values(x);
  const group = x.shape.slice(x.ndim - k).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let start = 0; start < xs.length; start += group) {
    const row = xs.slice(start, start + group);
    const mean = row.reduce((a, b) => a + b, 0) / group;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / group;
    row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * weight[i] + bias[i]));
  }
  return out;
}

describe('LayerNorm', () => {
  test("PyTorch's defaults: eps 1e-5, weight ones and bias zeros of normalizedShape, named weight and bias", () => {
    const norm = new LayerNorm(6);
    expect(norm.eps).toBe(1e-5);
    expect(norm.normalizedShape).toEqual([6]);
    expect(norm.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['weight', [6]],
      ['bias', [6]],
    ]);
    expect(values(norm.weight!.data)).toEqual(Array(6).fill(1));
    expect(values(norm.bias!.data)).toEqual(Array(6).fill(0));
    expect(Object.keys(norm.stateDict())).toEqual(['weight', 'bias']);
    expect(new LayerNorm([2, 3], { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(new LayerNorm(4, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    expect(String(norm)).toBe('LayerNorm((6), eps=0.00001, elementwiseAffine=true)');
  });

  test('values against the definition over one and two trailing axes, with learned weight and bias', () => {
    for (const [shape, normalized] of [
      [[3, 4, 5], [5]],
      [
        [2, 3, 4],
        [3, 4],
      ],
      [[7], [7]],
    ] as const) {
      const norm = new LayerNorm(normalized, { eps: 1e-3, dtype: 'float64' });
      norm.weight!.data = sample([...normalized], 2);
      norm.bias!.data = sample([...normalized], 3);
      const x = sample([...shape], 4)
        .mul(3)
        .add(1);
      const want = layerNormReference(x, normalized.length, values(norm.weight!.data), values(norm.bias!.data), 1e-3);
      expectClose(values(norm.forward(variable(x)).data), want);
    }
  });

  test('train and eval compute the same (no running statistics)', () => {
    const norm = new LayerNorm(4, { dtype: 'float64' });
    const x = variable(sample([3, 4], 5));
    const trained = values(norm.train().forward(x).data);
    expect(values(norm.eval().forward(x).data)).toEqual(trained);
    expect(norm.buffers()).toEqual([]);
  });

  test('gradcheck (input, weight, bias) over generated shapes', () =>
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, minSize: 2, maxSize: 4 }).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.integer({ min: 1, max: shape.length }), fc.integer({ min: 0, max: 1000 })),
        ),
        ([shape, k, seed]) => {
          const normalized = shape.slice(shape.length - k);
          const norm = new LayerNorm(normalized, { dtype: 'float64' });
          norm.weight!.data = sample(normalized, seed);
          norm.bias!.data = sample(normalized, seed + 1);
          checkModule(norm, sample(shape, seed + 2));
        },
      ),
      { numRuns: RUNS },
    ));

  test('bad input: wrong trailing shape, bad normalizedShape, bad eps', () => {
    const norm = new LayerNorm([3, 4]);
    expect(() => norm.forward(variable(sample([2, 4, 3])))).toThrow(ShapeError);
    expect(() => norm.forward(variable(sample([2, 4, 3])))).toThrow(
      'LayerNorm((3,4)): expected an input whose last 2 axes are (3,4), got shape (2,4,3)',
    );
    expect(() => norm.forward(variable(sample([4])))).toThrow(ShapeError);
    expect(() => new LayerNorm(0)).toThrow(ValueError);
    expect(() => new LayerNorm([])).toThrow(/LayerNorm: normalizedShape must be/);
    expect(() => new LayerNorm(3, { eps: -1 })).toThrow(/LayerNorm: eps must be >= 0, got -1/);
  });
});

const ids = (xs: number[], shape?: number[]) => tensor(xs, { dtype: 'int32', ...(shape ? { shape } : {}) });

describe('Embedding', () => {
  test("PyTorch's layout and default: weight (numEmbeddings, embeddingDim) ~ N(0, 1)", () => {
    const embed = new Embedding(500, 40, { generator: g(1) });
    expect(embed.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([['weight', [500, 40]]]);
    const w = values(embed.weight.data);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.02);
    expect(String(embed)).toBe('Embedding(500, 40)');
  });

  test('forward picks rows: shape indices.shape + [embeddingDim]; repeated indices add their gradients', () => {
    const embed = new Embedding(5, 3, { dtype: 'float64', generator: g(2) });
    const idx = ids([4, 0, 4, 2, 4, 1], [2, 3]);
    const y = embed.forward(idx);
    expect(y.shape).toEqual([2, 3, 3]);
    const W = embed.weight.data.toArray() as number[][];
    expect(y.toArray()).toEqual([
      [W[4], W[0], W[4]],
      [W[2], W[4], W[1]],
    ]);
    const upstream = sample([2, 3, 3], 3);
    y.mul(upstream).sum().backward();
    const want = Array.from({ length: 5 }, () => [0, 0, 0]);
    const u = values(upstream);
    values(idx).forEach((row, n) => {
      for (let d = 0; d < 3; d++) want[row][d] += u[n * 3 + d];
    });
    expectClose(values(embed.weight.grad!.data), want.flat());
  });

  test('paddingIdx: that row starts at zeros, never gets a gradient, and still shows its value', () => {
    const embed = new Embedding(4, 2, { paddingIdx: -1, dtype: 'float64', generator: g(3) });
    expect(embed.paddingIdx).toBe(3);
    expect((embed.weight.data.toArray() as number[][])[3]).toEqual([0, 0]);
    embed.weight.data.data[6] = 5; // a user sets the padding row
    const y = embed.forward(ids([3, 1, 3]));
    expect((y.toArray() as number[][])[0]).toEqual([5, 0]);
    y.sum().backward();
    expect(embed.weight.grad!.toArray()).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
    expect(String(embed)).toBe('Embedding(4, 2, paddingIdx=3)');
  });

  test('gradcheck with respect to the weight over generated index shapes; paddingIdx zeroes only its row', () =>
    fc.assert(
      fc.property(
        fc.record({ n: fc.integer({ min: 1, max: 5 }), d: fc.integer({ min: 1, max: 3 }) }).chain(({ n, d }) =>
          fc.tuple(
            fc.constant({ n, d }),
            shapeArb({ minRank: 0, maxRank: 2, minSize: 1, maxSize: 3 }).chain((s) =>
              tensorArb(s, { dtype: 'int32', min: 0, max: n - 1 }),
            ),
            tensorArb([n, d]),
          ),
        ),
        ([{ n, d }, idx, weight]) => {
          const embed = new Embedding(n, d, { dtype: 'float64' });
          const f = (w: Variable): Variable => {
            const saved = embed.weight;
            embed.weight = w as Parameter;
            try {
              return embed.forward(idx).square();
            } finally {
              embed.weight = saved;
            }
          };
          assertGradcheck(f, [weight]);
          // With paddingIdx 0 the same weights get the same gradient, except row 0's, which is 0
          // (PyTorch's rule: the row is used but never trained, so no numerical check applies to it).
          const gradient = (paddingIdx: number | null): number[] => {
            const e = new Embedding(n, d, { dtype: 'float64', paddingIdx });
            e.weight.data = weight;
            e.forward(idx).square().sum().backward();
            return values(e.weight.grad!.data);
          };
          const plain = gradient(null);
          expect(gradient(0)).toEqual([...Array(d).fill(0), ...plain.slice(d)]);
        },
      ),
      { numRuns: RUNS },
    ));

  test('bad input: an index outside the table, float indices, bad sizes or paddingIdx', () => {
    const embed = new Embedding(10, 4);
    expect(() => embed.forward(ids([1, 10]))).toThrow(IndexError);
    expect(() => embed.forward(ids([1, 10]))).toThrow(
      'Embedding(10, 4): index 10 (element 1 of indices of shape (2)) is out of range [0, 10)',
    );
    expect(() => embed.forward(ids([-1]))).toThrow(/index -1 .* out of range \[0, 10\)/);
    expect(() => embed.forward(tensor([1, 2]))).toThrow(DTypeError);
    expect(() => embed.forward(tensor([1, 2]))).toThrow(/Embedding\(10, 4\): indices must be int32, got float32/);
    expect(() => new Embedding(0, 4)).toThrow(/Embedding: numEmbeddings must be a positive integer, got 0/);
    expect(() => new Embedding(10, 2.5)).toThrow(/embeddingDim/);
    expect(() => new Embedding(10, 4, { paddingIdx: 10 })).toThrow(
      /paddingIdx must be an integer in \[-10, 10\), got 10/,
    );
  });

  test('an init option, and float64', () => {
    const embed = new Embedding(3, 2, { init: init.constant(0.5), dtype: 'float64' });
    expect(embed.weight.dtype).toBe('float64');
    expect(values(embed.weight.data)).toEqual(Array(6).fill(0.5));
  });
});

describe('ModuleList', () => {
  class Stack extends Module {
    layers = new ModuleList([new Linear(3, 4, { generator: g(1) }), new ReLU(), new Linear(4, 2, { generator: g(2) })]);
    forward(x: Variable): Variable {
      for (const layer of this.layers) x = layer.forward(x);
      return x;
    }
  }

  test("PyTorch's parameter names (layers.0.W ...), train/eval reach every module, state dict round trip", () => {
    const model = new Stack();
    expect(model.namedParameters().map(([k]) => k)).toEqual(['layers.0.W', 'layers.0.b', 'layers.2.W', 'layers.2.b']);
    model.eval();
    expect([...model.layers].every((m) => !m.training)).toBe(true);
    const copy = new Stack();
    copy.loadStateDict(model.stateDict());
    const x = variable(sample([2, 3], 1).astype('float32'));
    expect(copy.forward(x).toArray()).toEqual(model.forward(x).toArray());
    checkModule(new Stack(), sample([2, 3], 2).add(0.1));
  });

  test('append, extend, insert, at, set, length, indexing', () => {
    const list = new ModuleList();
    const [a, b, c, d] = [new ReLU(), new Dropout(0.1), new ReLU(), new SiLU()];
    list.append(a).extend([b, c]);
    list.insert(1, d);
    expect([...list]).toEqual([a, d, b, c]);
    expect(list.length).toBe(4);
    expect(list[1]).toBe(d);
    expect(list.at(-1)).toBe(c);
    list.set(-1, b);
    expect(list.at(3)).toBe(b);
    list.insert(-100, c);
    expect(list[0]).toBe(c);
    expect(list.namedChildren().map(([k]) => k)).toEqual(['0', '1', '2', '3', '4']);
  });

  test('bad input: not a Module, an index out of range, forward', () => {
    expect(() => new ModuleList([new ReLU(), 3 as unknown as Module])).toThrow(
      'ModuleList: every element must be a Module, got number at index 1',
    );
    expect(() => new ModuleList(5 as unknown as Module[])).toThrow(/expected an iterable of Modules, got number/);
    expect(() => new ModuleList([new ReLU()]).at(1)).toThrow(IndexError);
    expect(() => new ModuleList([new ReLU()]).at(1)).toThrow('ModuleList.at: index 1 is out of range for 1 modules');
    expect(() => new ModuleList().forward(variable([1]))).toThrow(
      /ModuleList.forward: a ModuleList only holds modules/,
    );
  });
});

describe('ModuleDict', () => {
  test('keys become parameter-name segments; get, set, has, delete, keys, values, entries, iteration', () => {
    const heads = new ModuleDict({ policy: new Linear(4, 3), value: new Linear(4, 1) });
    expect(heads.namedParameters().map(([k]) => k)).toEqual(['policy.W', 'policy.b', 'value.W', 'value.b']);
    expect(heads.keys()).toEqual(['policy', 'value']);
    expect([...heads]).toEqual(['policy', 'value']);
    expect(heads.get('value')).toBeInstanceOf(Linear);
    heads.set('norm', new LayerNorm(4));
    expect(heads.size).toBe(3);
    expect(heads.has('norm')).toBe(true);
    expect(Object.keys(heads.stateDict())).toEqual([
      'policy.W',
      'policy.b',
      'value.W',
      'value.b',
      'norm.weight',
      'norm.bias',
    ]);
    const removed = heads.delete('policy');
    expect(removed).toBeInstanceOf(Linear);
    expect(heads.keys()).toEqual(['value', 'norm']);
    expect(heads.entries().map(([k, m]) => [k, m.constructor.name])).toEqual([
      ['value', 'Linear'],
      ['norm', 'LayerNorm'],
    ]);
    expect(heads.values().length).toBe(2);
    expect(heads.namedParameters().map(([k]) => k)).toEqual(['value.W', 'value.b', 'norm.weight', 'norm.bias']);
    heads.eval();
    expect(heads.get('norm').training).toBe(false);
    const fromPairs = new ModuleDict([['a', new ReLU()]]);
    expect(fromPairs.keys()).toEqual(['a']);
  });

  test('bad input: keys with ".", empty, shadowing a method; a missing key; not a Module', () => {
    const dict = new ModuleDict();
    expect(() => dict.set('a.b', new ReLU())).toThrow(ValueError);
    expect(() => dict.set('a.b', new ReLU())).toThrow(
      'ModuleDict: a key must be a non-empty string without ".", got "a.b"',
    );
    expect(() => dict.set('', new ReLU())).toThrow(ValueError);
    expect(() => dict.set('forward', new ReLU())).toThrow(/key "forward" would shadow/);
    expect(() => dict.set('training', new ReLU())).toThrow(/key "training" would shadow/);
    expect(() => dict.set('x', {} as Module)).toThrow(
      'ModuleDict: every element must be a Module, got Object at key "x"',
    );
    expect(() => dict.get('nope')).toThrow(IndexError);
    expect(() => dict.get('nope')).toThrow('ModuleDict.get: no module under "nope" (keys: none)');
    expect(() => dict.forward(variable([1]))).toThrow(/ModuleDict.forward/);
  });
});

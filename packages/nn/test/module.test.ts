/**
 * The module system: discovery of Parameters and submodules by field walk (nested Sequential,
 * arrays, Maps, shared and tied members), buffers, train/eval, state dicts (strict and not),
 * summary() and toString(), and the custom layer from docs/nn.md.
 */
import { describe, expect, test } from 'vitest';
import { Generator, type Tensor, ones, tensor, zeros } from '@nn/tensor';
import { Variable, variable } from '@nn/autograd';
import {
  BatchNorm1d,
  Dropout,
  Linear,
  Module,
  Parameter,
  ReLU,
  Sequential,
  Sigmoid,
  StateDictError,
  init,
} from '@nn/nn';
import { checkModule, sample, values } from './helpers.js';

const g = (seed: number) => new Generator(seed);
const keys = (m: Module) => m.namedParameters().map(([k]) => k);

class Block extends Module {
  fc = new Linear(3, 3, { generator: g(1) });
  act = new ReLU();
  forward(x: Variable): Variable {
    return this.act.forward(this.fc.forward(x));
  }
}

class Net extends Module {
  scale = new Parameter(ones([1]));
  layers = [new Linear(4, 3, { generator: g(2) }), new Block()];
  heads = new Map<string, Module>([
    ['left', new Linear(3, 2, { generator: g(3) })],
    ['right', new Sequential(new Linear(3, 1, { generator: g(4) }))],
  ]);
  config = { hidden: 3 }; // plain data is ignored
  forward(x: Variable): Variable {
    const h = this.layers[1].forward(this.layers[0].forward(x)).mul(this.scale);
    return this.heads.get('left')!.forward(h);
  }
}

describe('discovery', () => {
  test('nested Sequential: dotted keys in order', () => {
    const net = new Sequential(new Sequential(new Linear(2, 3), new ReLU()), new Linear(3, 1));
    expect(keys(net)).toEqual(['0.0.W', '0.0.b', '1.W', '1.b']);
    expect(net.namedModules().map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual([
      ':Sequential',
      '0:Sequential',
      '0.0:Linear',
      '0.1:ReLU',
      '1:Linear',
    ]);
    expect(net.parameters()[2]).toBe((net[1] as Linear).W);
  });

  test('fields, arrays and Maps of modules, in field order', () => {
    const net = new Net();
    expect(keys(net)).toEqual([
      'scale',
      'layers.0.W',
      'layers.0.b',
      'layers.1.fc.W',
      'layers.1.fc.b',
      'heads.left.W',
      'heads.left.b',
      'heads.right.0.W',
      'heads.right.0.b',
    ]);
    expect(net.namedChildren().map(([k]) => k)).toEqual(['layers.0', 'layers.1', 'heads.left', 'heads.right']);
    expect(net.parameterCount()).toBe(1 + 4 * 3 + 3 + 3 * 3 + 3 + 3 * 2 + 2 + 3 + 1);
  });

  test('a shared module or a tied weight is listed once; a back-reference does not loop', () => {
    const shared = new Linear(2, 2);
    class Tied extends Module {
      a = shared;
      b = shared;
      W2 = shared.W;
      parent: Module | null = null;
      forward(x: Variable): Variable {
        return this.b.forward(this.a.forward(x));
      }
    }
    const tied = new Tied();
    tied.a.toString();
    const child = new Tied();
    tied.parent = child;
    child.parent = tied; // a cycle
    expect(keys(tied)).toEqual(['a.W', 'a.b']);
    expect(tied.modules()).toHaveLength(3); // tied, shared, child
  });

  test('Parameters in ES private fields are not discovered (documented)', () => {
    class Hidden extends Module {
      #W = new Parameter(ones([2]));
      forward(x: Variable): Variable {
        return x.mul(this.#W);
      }
    }
    expect(new Hidden().parameters()).toEqual([]);
  });

  test('Parameter: a leaf requiring grad, float only', () => {
    const p = new Parameter(zeros([2]), { name: 'p' });
    expect(p).toBeInstanceOf(Variable);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(() => new Parameter(tensor([1, 2], { dtype: 'int32' }))).toThrow(/float32 or float64.*int32/);
  });
});

describe('buffers, modes, gradients, dtype', () => {
  test('registerBuffer: a readable, assignable field, listed with dotted keys, not a parameter', () => {
    class Counter extends Module {
      declare count: Tensor;
      constructor() {
        super();
        this.registerBuffer('count', zeros([1]));
      }
      forward(x: Variable): Variable {
        this.count = this.count.add(1);
        return x;
      }
    }
    const net = new Sequential(new Counter(), new BatchNorm1d(2));
    net.forward(variable(sample([3, 2], 0)));
    expect(net.namedBuffers().map(([k, t]) => [k, values(t)])).toEqual([
      ['0.count', [1]],
      ['1.runningMean', values((net[1] as BatchNorm1d).runningMean)],
      ['1.runningVar', values((net[1] as BatchNorm1d).runningVar)],
    ]);
    expect(keys(net)).toEqual(['1.gamma', '1.beta']);
    expect(() => new Counter().registerBuffer('a.b', zeros([1]))).toThrow(/contain no "\."/);
    expect(() => new Counter().registerBuffer('forward', zeros([1]))).toThrow(/already a field of Counter/);
    expect(() => new Counter().registerBuffer('x', [1] as unknown as Tensor)).toThrow(/must be a Tensor/);
  });

  test('train()/eval() propagate to every submodule; withMode restores each flag, even on error', () => {
    const net = new Net();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    net.layers[1].training = false; // mixed flags survive a scoped switch
    const seen = net.withMode('eval', () => net.modules().map((m) => m.training));
    expect(seen.every((t) => !t)).toBe(true);
    expect(net.layers[1].training).toBe(false);
    expect(net.training).toBe(true);
    expect(() =>
      net.withMode('train', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(net.layers[1].training).toBe(false);
  });

  test('zeroGrad clears every parameter gradient', () => {
    const net = new Net();
    net
      .forward(variable(ones([2, 4])))
      .sum()
      .backward();
    expect(net.parameters().filter((p) => p.grad !== null).length).toBe(7); // the right head is unused
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test('astype converts parameters and buffers, keeping the Parameter objects', () => {
    const net = new Sequential(new Linear(2, 2), new BatchNorm1d(2));
    const before = net.parameters();
    net.astype('float64');
    expect(net.parameters()).toEqual(before);
    expect(net.parameters().every((p, i) => p === before[i] && p.dtype === 'float64')).toBe(true);
    expect(net.buffers().every((t) => t.dtype === 'float64')).toBe(true);
  });

  test('apply visits every module', () => {
    const net = new Net();
    net.apply((m) => {
      if (m instanceof Linear) m.W.data = init.zeros()(m.W.shape);
    });
    expect(
      net
        .modules()
        .filter((m): m is Linear => m instanceof Linear)
        .every((m) => values(m.W.data).every((v) => v === 0)),
    ).toBe(true);
  });
});

describe('state dicts', () => {
  const model = () =>
    new Sequential(
      new Linear(3, 4, { generator: g(5) }),
      new BatchNorm1d(4),
      new ReLU(),
      new Linear(4, 2, { generator: g(6) }),
    );

  test('stateDict: parameters and buffers with dotted keys, as snapshots', () => {
    const net = model();
    const dict = net.stateDict();
    expect(Object.keys(dict)).toEqual([
      '0.W',
      '0.b',
      '1.gamma',
      '1.beta',
      '1.runningMean',
      '1.runningVar',
      '3.W',
      '3.b',
    ]);
    expect(dict['0.W'].equal((net[0] as Linear).W.data)).toBe(true);
    (net[0] as Linear).W.data.data[0] += 1; // training goes on...
    expect(dict['0.W'].equal((net[0] as Linear).W.data)).toBe(false); // ...the snapshot does not move
  });

  test('loadStateDict round trip: same outputs, same Parameter and Tensor objects (in place)', () => {
    const source = model();
    source.forward(variable(sample([5, 3], 1).astype('float32'))); // moves the running statistics off their defaults
    const target = new Sequential(
      new Linear(3, 4, { generator: g(7) }),
      new BatchNorm1d(4),
      new ReLU(),
      new Linear(4, 2, { generator: g(8) }),
    );
    const params = target.parameters();
    const tensors = params.map((p) => p.data);
    expect(target.loadStateDict(source.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(target.parameters().every((p, i) => p === params[i] && p.data === tensors[i])).toBe(true);
    source.eval();
    target.eval();
    const x = variable(sample([2, 3], 2).astype('float32'));
    expect(target.forward(x).data.equal(source.forward(x).data)).toBe(true);
    expect(values((target[1] as BatchNorm1d).runningMean)).toEqual(values((source[1] as BatchNorm1d).runningMean));
  });

  test('strict: missing and unexpected keys are errors naming them; nothing is changed', () => {
    const net = model();
    const before = net.stateDict();
    const dict = net.stateDict();
    delete dict['3.b'];
    dict['4.W'] = zeros([1]);
    dict['0.W'] = dict['0.W'].add(1);
    let error: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).message).toMatch(/missing keys: 3\.b; unexpected keys: 4\.W/);
    expect((error as StateDictError).missingKeys).toEqual(['3.b']);
    expect((error as StateDictError).unexpectedKeys).toEqual(['4.W']);
    expect(net.stateDict()['0.W'].equal(before['0.W'])).toBe(true);
  });

  test('strict: a shape or dtype mismatch names the key and both shapes or dtypes', () => {
    const net = model();
    const dict = net.stateDict();
    dict['0.W'] = zeros([4, 3]);
    expect(() => net.loadStateDict(dict)).toThrow(
      /shape mismatch for "0\.W": the model has \(3,4\), the state dict has \(4,3\)/,
    );
    const dict2 = net.stateDict();
    dict2['1.runningVar'] = dict2['1.runningVar'].astype('float64');
    expect(() => net.loadStateDict(dict2)).toThrow(
      /dtype mismatch for "1\.runningVar" of shape \(4\): the model has float32, the state dict has float64/,
    );
  });

  test('non-strict: reports missing/unexpected keys, converts dtypes, still rejects shape mismatches', () => {
    const net = model();
    const dict = net.stateDict();
    delete dict['1.runningMean'];
    dict['extra'] = zeros([2]);
    dict['3.b'] = tensor([7, 8], { dtype: 'float64' });
    expect(net.loadStateDict(dict, { strict: false })).toEqual({
      missingKeys: ['1.runningMean'],
      unexpectedKeys: ['extra'],
    });
    expect((net[3] as Linear).b!.dtype).toBe('float32');
    expect(values((net[3] as Linear).b!.data)).toEqual([7, 8]);
    dict['3.W'] = zeros([2, 4]);
    expect(() => net.loadStateDict(dict, { strict: false })).toThrow(
      /shape mismatch for "3\.W": the model has \(4,2\), the state dict has \(2,4\)/,
    );
  });
});

describe('printing', () => {
  test('toString shows the tree with constructor settings', () => {
    const net = new Sequential(
      new Linear(784, 50),
      new Sigmoid(),
      new Dropout(0.2),
      new Sequential(new BatchNorm1d(50)),
    );
    expect(String(net)).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=784, outFeatures=50, bias=true)',
        '  (1): Sigmoid()',
        '  (2): Dropout(p=0.2)',
        '  (3): Sequential(',
        '    (0): BatchNorm1d(50, momentum=0.1, eps=0.00001)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  test('summary: names, types, output shapes, parameter shapes and counts, totals', () => {
    const net = new Sequential(
      new Linear(784, 50),
      new BatchNorm1d(50),
      new ReLU(),
      new Linear(50, 10, { bias: false }),
    );
    (net[3] as Linear).W.requiresGrad = false;
    const runningMean = values((net[1] as BatchNorm1d).runningMean);
    expect(net.summary([1, 784])).toBe(
      [
        'Layer   Type         Output shape  Parameters              Count',
        '------  -----------  ------------  ---------------------  ------',
        '(root)  Sequential   (1,10)                                    0',
        '0       Linear       (1,50)        W (784,50), b (50)     39,250',
        '1       BatchNorm1d  (1,50)        gamma (50), beta (50)     100',
        '2       ReLU         (1,50)                                    0',
        '3       Linear       (1,10)        W (50,10) (frozen)        500',
        '------  -----------  ------------  ---------------------  ------',
        'Total parameters: 39,850 (trainable 39,350, frozen 500) · buffers: 100 elements',
      ].join('\n'),
    );
    // The probe pass ran in eval mode without side effects.
    expect(net.modules().every((m) => m.training)).toBe(true);
    expect(values((net[1] as BatchNorm1d).runningMean)).toEqual(runningMean);
    expect(Object.prototype.hasOwnProperty.call(net[0], 'forward')).toBe(false);
    // Without an input there is no output-shape column; nested names are indented.
    const nested = new Net().summary();
    expect(nested).toBe(
      [
        'Layer            Type        Parameters      Count',
        '---------------  ----------  --------------  -----',
        '(root)           Net         scale (1)           1',
        'layers.0         Linear      W (4,3), b (3)     15',
        'layers.1         Block                           0',
        '  layers.1.fc    Linear      W (3,3), b (3)     12',
        '  layers.1.act   ReLU                            0',
        'heads.left       Linear      W (3,2), b (2)      8',
        'heads.right      Sequential                      0',
        '  heads.right.0  Linear      W (3,1), b (1)      4',
        '---------------  ----------  --------------  -----',
        'Total parameters: 40 (trainable 40, frozen 0) · buffers: 0 elements',
      ].join('\n'),
    );
  });
});

// The custom layer of docs/nn.md ("Writing a custom layer"), verbatim.
class LayerNorm extends Module {
  gamma: Parameter;
  beta: Parameter;
  constructor(
    readonly features: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.gamma = new Parameter(ones([features]), { name: 'gamma' });
    this.beta = new Parameter(zeros([features]), { name: 'beta' });
  }
  forward(x: Variable): Variable {
    const mean = x.mean(-1, { keepdims: true });
    const centered = x.sub(mean);
    const variance = centered.square().mean(-1, { keepdims: true });
    return centered.div(variance.add(this.eps).sqrt()).mul(this.gamma).add(this.beta);
  }
  override extraRepr(): string {
    return `${this.features}, eps=${this.eps}`;
  }
}

describe('a custom layer built from graph nodes (docs/nn.md)', () => {
  test('is discovered, printed, gradchecked and normalises rows', () => {
    const net = new Sequential(new Linear(4, 3, { generator: g(9) }), new LayerNorm(3));
    expect(keys(net)).toEqual(['0.W', '0.b', '1.gamma', '1.beta']);
    expect(String(net[1])).toBe('LayerNorm(3, eps=0.00001)');
    const y = new LayerNorm(5).astype('float64').forward(variable(sample([2, 5], 3)));
    values(y.data.mean(-1)).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-12));
    checkModule(net, sample([3, 4], 4));
  });
});

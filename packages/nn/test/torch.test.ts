/**
 * loadTorchStateDict / toTorchStateDict: dicts in PyTorch's names and layouts (as
 * `nn.Sequential(...).state_dict()` gives them: `0.weight` (out, in), BatchNorm's `running_mean`,
 * `num_batches_tracked`) load into the equivalent @nn model, through a safetensors file; the
 * outputs equal the PyTorch formulas (y = x·weightᵀ + bias) computed on the dict's tensors; strict
 * mode names every missing, unexpected and mismatched key; the reverse mapping round-trips.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, randn, tensor, zeros } from '@nn/tensor';
import { type Variable, noGrad, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import {
  BatchNorm1d,
  Conv2d,
  Flatten,
  Linear,
  Module,
  Parameter,
  ReLU,
  Sequential,
  StateDictError,
  decodeSafetensors,
  encodeSafetensors,
  loadTorchStateDict,
  toTorchStateDict,
} from '@nn/nn';

const g = new Generator(3);
const r = (shape: number[]) => randn(shape, { generator: g });

/** What PyTorch's nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 4), nn.BatchNorm1d(4), nn.Linear(4, 3)).state_dict() holds. */
function torchDict(): Record<string, Tensor> {
  return {
    '0.weight': r([2, 1, 3, 3]),
    '0.bias': r([2]),
    '3.weight': r([4, 8]),
    '3.bias': r([4]),
    '4.weight': r([4]),
    '4.bias': r([4]),
    '4.running_mean': r([4]),
    '4.running_var': r([4]).square().add(0.5),
    '4.num_batches_tracked': tensor(7, { dtype: 'int32' }),
    '5.weight': r([3, 4]),
    '5.bias': r([3]),
  };
}

function ourNet(): Sequential {
  return new Sequential(
    new Conv2d(1, 2, 3),
    new ReLU(),
    new Flatten(),
    new Linear(8, 4),
    new BatchNorm1d(4),
    new Linear(4, 3),
  );
}

/** The same network written with PyTorch's formulas on the dict itself. */
function torchForward(d: Record<string, Tensor>, x: Tensor): Tensor {
  return noGrad(() => {
    let h: Variable = F.relu(F.conv2d(variable(x), d['0.weight'], d['0.bias'])).reshape([x.shape[0], 8]);
    h = h.matmul(d['3.weight'].transpose()).add(d['3.bias']);
    h = h.sub(d['4.running_mean']).div(d['4.running_var'].add(1e-5).sqrt()).mul(d['4.weight']).add(d['4.bias']);
    return h.matmul(d['5.weight'].transpose()).add(d['5.bias']).data;
  });
}

describe('loadTorchStateDict', () => {
  it('loads a PyTorch state dict from a safetensors file and computes what PyTorch would', () => {
    const dict = torchDict();
    const { tensors } = decodeSafetensors(encodeSafetensors(dict));
    const net = ourNet();
    const before = net.parameters();
    const report = loadTorchStateDict(net, tensors);
    expect(net.parameters()).toEqual(before); // the same Parameter objects
    expect(report.mapped.map((m) => `${m.torchKey}→${m.key}${m.transposed ? ' (transposed)' : ''}`)).toEqual([
      '0.weight→0.W',
      '0.bias→0.b',
      '3.weight→3.W (transposed)',
      '3.bias→3.b',
      '4.weight→4.gamma',
      '4.bias→4.beta',
      '4.running_mean→4.runningMean',
      '4.running_var→4.runningVar',
      '5.weight→5.W (transposed)',
      '5.bias→5.b',
    ]);
    expect(report.ignoredKeys).toEqual(['4.num_batches_tracked']);
    expect(report.missingKeys).toEqual([]);
    expect(report.unexpectedKeys).toEqual([]);
    const x = r([5, 1, 4, 4]);
    const ours = noGrad(() => net.eval().forward(variable(x)).data);
    const want = torchForward(dict, x);
    expect(ours.sub(want).abs().max().item()).toBeLessThan(1e-5);
  });

  it('strict mode names every missing, unexpected and mismatched key, and loads nothing', () => {
    const dict = torchDict();
    delete (dict as Record<string, Tensor | undefined>)['0.bias'];
    dict['extra.weight'] = r([1]);
    dict['3.weight'] = r([8, 4]); // our (in, out) layout by mistake
    const net = ourNet();
    const W = net.parameters()[0].data.clone();
    let error: unknown;
    try {
      loadTorchStateDict(net, dict);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toBe(
      'loadTorchStateDict (Sequential): missing keys: 0.bias; unexpected keys: extra.weight; shape mismatches: 3.weight: the model needs (4,8), the dict has (8,4) (pass { strict: false } to load what fits)',
    );
    expect((error as StateDictError).missingKeys).toEqual(['0.bias']);
    expect(net.parameters()[0].data.toArray()).toEqual(W.toArray());
    const report = loadTorchStateDict(net, dict, { strict: false });
    expect(report.mismatchedKeys).toEqual(['3.weight']);
    expect(report.mapped).toHaveLength(8);
    expect(net.parameters()[0].data.toArray()).toEqual(dict['0.weight'].toArray());
  });

  it('rename drops a prefix; dtypes convert to the model; custom modules keep their names', () => {
    class Scale extends Module {
      s = new Parameter(zeros([2], { dtype: 'float64' }), { name: 's' });
      inner = new Linear(2, 2, { dtype: 'float64' });
      forward(x: ReturnType<typeof variable>) {
        return this.inner.forward(x.mul(this.s));
      }
    }
    const net = new Scale();
    const report = loadTorchStateDict(
      net,
      {
        'module.s': tensor([1, 2]),
        'module.inner.weight': tensor([
          [1, 2],
          [3, 4],
        ]),
        'module.inner.bias': tensor([0, 1]),
      },
      { rename: (k) => k.replace(/^module\./, '') },
    );
    expect(report.mapped.map((m) => m.key)).toEqual(['inner.W', 'inner.b', 's']);
    expect(net.s.data.dtype).toBe('float64');
    expect(net.inner.W.data.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });
});

describe('toTorchStateDict', () => {
  it('gives PyTorch names and layouts, and loads back unchanged', () => {
    const net = ourNet();
    loadTorchStateDict(net, torchDict());
    const out = toTorchStateDict(net);
    expect(Object.keys(out)).toEqual(Object.keys(torchDict()).filter((k) => !k.endsWith('num_batches_tracked')));
    expect(out['3.weight'].shape).toEqual([4, 8]);
    const copy = ourNet();
    loadTorchStateDict(copy, out);
    const x = r([2, 1, 4, 4]);
    const a = noGrad(() => net.eval().forward(variable(x)).data);
    const b = noGrad(() => copy.eval().forward(variable(x)).data);
    expect(b.toArray()).toEqual(a.toArray());
  });
});

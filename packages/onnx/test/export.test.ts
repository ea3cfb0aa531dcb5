/**
 * exportOnnx checked by onnxruntime-node: the engine's outputs equal ours within 1e-5 (float32,
 * relative to 1 + |value|) for the MLP, SimpleConvNet and the deep CNN with the book's trained
 * weights (../shared/reference-weights) on MNIST test images, at batch sizes 1 and 7 through the
 * symbolic batch axis; the layers and ops of the coverage list; options; named errors.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, randn, seed, tensor } from '@nn/tensor';
import { Function, type Variable, noGrad, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  LeakyReLU,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  Tanh,
  load,
} from '@nn/nn';
import { loadMnist } from '@nn/data';
import { OnnxExportError, decodeModel, exportOnnx, registerOnnxMapping } from '../src/index.js';
import * as H from './helpers.js';

function ours(model: Module | ((...xs: Variable[]) => Variable), ...xs: Tensor[]): Tensor {
  return noGrad(() => {
    const vs = xs.map((x) => variable(x, { requiresGrad: false }));
    return typeof model === 'function' ? model(...vs).data : model.withMode('eval', () => model.forward(vs[0]).data);
  });
}

async function agree(model: Module, traceWith: Tensor, runWith: Tensor[], tolerance = 1e-5): Promise<void> {
  const bytes = exportOnnx(model, [traceWith]);
  for (const x of runWith) {
    const { output } = await H.runOrt(bytes, { input: x });
    H.expectClose(output, ours(model, x), tolerance, `batch ${x.shape[0]}`);
  }
}

const images = H.haveReferenceWeights ? loadMnist({ flatten: false, trainLimit: 0, testLimit: 8 }).test.x : null;

describe.skipIf(!H.haveReferenceWeights)(
  'exports of the reference networks agree with onnxruntime (float32, 1e-5)',
  () => {
    const batch = (n: number, flat: boolean) => {
      const x = images!.slice(`0:${n}`);
      return flat ? x.reshape([n, 784]) : x;
    };

    it('the MLP (sigmoid, sigmoid, softmax), traced at batch 1, run at 1 and 7', async () => {
      const net = H.mlp();
      net.loadStateDict(H.renamed((await load(H.MLP_WEIGHTS)).tensors, H.MLP_KEYS));
      await agree(net, batch(1, true), [batch(1, true), batch(7, true)]);
    });

    it('SimpleConvNet, traced at batch 7, run at 1 and 7', async () => {
      const net = H.simpleConvNet();
      net.loadStateDict(H.renamed((await load(H.SIMPLE_CONVNET_WEIGHTS)).tensors, H.SIMPLE_CONVNET_KEYS));
      await agree(net, batch(7, false), [batch(1, false), batch(7, false)]);
    });

    it('the deep CNN (Dropout in eval exports as nothing)', async () => {
      const net = H.deepConvNet();
      net.loadStateDict(H.renamed((await load(H.DEEP_CONVNET_WEIGHTS)).tensors, H.DEEP_CONVNET_KEYS));
      const bytes = exportOnnx(net, [batch(1, false)]);
      const ops = decodeModel(bytes).graph.nodes.map((n) => n.opType);
      expect(ops.filter((op) => op === 'Conv')).toHaveLength(6);
      expect(ops).not.toContain('Dropout');
      for (const n of [1, 7]) {
        const { output } = await H.runOrt(bytes, { input: batch(n, false) });
        H.expectClose(output, ours(net, batch(n, false)), 1e-5, `batch ${n}`);
      }
    });
  },
);

describe('coverage: layers and ops', () => {
  const g = new Generator(7);

  it('Conv2d with stride and padding, AvgPool2d with padding, BatchNorm2d in eval, LeakyReLU, Tanh', async () => {
    const bn = new BatchNorm2d(4);
    bn.runningMean = randn([4], { generator: g });
    bn.runningVar = randn([4], { generator: g }).square().add(0.5);
    bn.gamma.data = randn([4], { generator: g });
    bn.beta.data = randn([4], { generator: g });
    const net = new Sequential(
      new Conv2d(3, 4, 3, { stride: 2, pad: 1, generator: g }),
      bn,
      new LeakyReLU(0.2),
      new AvgPool2d(3, { stride: 1, pad: 1 }),
      new MaxPool2d([2, 1], { stride: [2, 1] }),
      new Tanh(),
      new Flatten(),
      new Linear(4 * 2 * 4, 5, { generator: g }),
    );
    await agree(net, randn([2, 3, 7, 7], { generator: g }), [
      randn([1, 3, 7, 7], { generator: g }),
      randn([5, 3, 7, 7], { generator: g }),
    ]);
  });

  it('BatchNorm1d in eval and Dropout in eval', async () => {
    const bn = new BatchNorm1d(6);
    bn.runningMean = randn([6], { generator: g });
    bn.runningVar = randn([6], { generator: g }).square().add(0.1);
    const net = new Sequential(
      new Linear(3, 6, { generator: g }),
      bn,
      new Dropout(0.3),
      new ReLU(),
      new Linear(6, 2, { generator: g }),
    );
    await agree(net, randn([4, 3], { generator: g }), [
      randn([1, 3], { generator: g }),
      randn([9, 3], { generator: g }),
    ]);
  });

  it('a function of Variables: matmul, broadcasting, elementwise, reductions, transpose, reshape, softmax, logSoftmax', async () => {
    const W = variable(randn([3, 4], { generator: g }), { name: 'W' });
    const b = variable(randn([4], { generator: g }), { name: 'b' });
    const f = (x: Variable) => {
      const h = x.matmul(W).add(b).tanh(); // (N, 4)
      const e = h.exp().sub(h.square().mul(0.5)).div(h.abs().add(2)).add(h.sin().mul(h.cos())).abs().add(0.1).sqrt();
      const r = F.reshape(e, [-1, 2, 2]).transpose([0, 2, 1]); // (N, 2, 2)
      const s = F.sum(r, 2)
        .add(F.max(r, -1, { keepdims: false }))
        .sub(F.min(r, 1)); // (N, 2)
      const m = F.mean(h, 1, { keepdims: true }); // (N, 1)
      const c = F.concat(
        [F.softmax(s), F.logSoftmax(h, 1), F.sigmoid(m), F.clip(m, -0.1, 0.1), F.pow(e, 2), F.neg(F.log(e.add(1)))],
        1,
      );
      return F.relu(c).add(F.leakyRelu(c, 0.1));
    };
    const bytes = exportOnnx(f, [randn([5, 3], { generator: g })]);
    for (const n of [1, 6]) {
      const x = randn([n, 3], { generator: g });
      H.expectClose((await H.runOrt(bytes, { input: x })).output, ours(f, x), 1e-5, `batch ${n}`);
    }
  });

  it('float64 models export as DOUBLE and agree to 1e-12', async () => {
    const net = new Sequential(
      new Linear(4, 3, { dtype: 'float64', generator: g }),
      new Tanh(),
      new Linear(3, 2, { dtype: 'float64', generator: g }),
    );
    const x = randn([3, 4], { dtype: 'float64', generator: g });
    const bytes = exportOnnx(net, [x]);
    expect(decodeModel(bytes).graph.inputs[0].type?.elemType).toBe(11);
    H.expectClose((await H.runOrt(bytes, { input: x })).output, ours(net, x), 1e-12);
  });

  it('several inputs and outputs, where, repeat, broadcastTo, split, square', async () => {
    const cond = randn([2, 3], { generator: g }).gt(0);
    const f = (a: Variable, b: Variable) => {
      const [p, q] = F.split(F.where(cond, a, b), [1, 2], 1);
      return [F.repeat(p, 3, 1).add(q.square().sum(1, { keepdims: true })), F.broadcastTo(b.sum(0), [4, 3])] as const;
    };
    const x = randn([2, 3], { generator: g });
    const y = randn([2, 3], { generator: g });
    const bytes = exportOnnx((a, b) => [...f(a, b)], [x, y], {
      inputNames: ['a', 'b'],
      outputNames: ['u', 'v'],
      dynamicAxes: false,
    });
    const out = await H.runOrt(bytes, { a: x, b: y });
    const [u, v] = noGrad(() => f(variable(x), variable(y)));
    H.expectClose(out.u, u.data, 1e-6);
    H.expectClose(out.v, v.data, 1e-6);
  });
});

describe('options', () => {
  it('names, a symbolic batch axis by default, custom dynamic axes, opset, doc string', () => {
    seed(1);
    const net = new Sequential(new Linear(3, 2));
    const model = decodeModel(
      exportOnnx(net, [randn([4, 3])], { inputNames: ['x'], outputNames: ['y'], docString: 'hi', opset: 18 }),
    );
    expect(model.docString).toBe('hi');
    expect(model.opsetImports).toEqual([{ domain: '', version: 18 }]);
    expect(model.irVersion).toBe(9);
    expect(model.graph.inputs[0]).toEqual({
      name: 'x',
      type: { elemType: 1, shape: [{ param: 'batch' }, { value: 3 }] },
    });
    expect(model.graph.outputs[0].type?.shape).toEqual([{ param: 'batch' }, { value: 2 }]);
    expect(model.graph.initializers.map((t) => t.name).sort()).toEqual(['0.W', '0.b']);
    const custom = decodeModel(exportOnnx(net, [randn([4, 3])], { dynamicAxes: { input: { 0: 'n' }, output: [0] } }));
    expect(custom.graph.inputs[0].type?.shape?.[0]).toEqual({ param: 'n' });
    expect(custom.graph.outputs[0].type?.shape?.[0]).toEqual({ param: 'output_dim0' });
    const fixed = decodeModel(exportOnnx(net, [randn([4, 3])], { dynamicAxes: false }));
    expect(fixed.graph.inputs[0].type?.shape?.[0]).toEqual({ value: 4 });
    expect(decodeModel(exportOnnx(net, [randn([4, 3])])).opsetImports[0].version).toBe(17);
  });

  it('bad options are named errors', () => {
    const net = new Sequential(new Linear(3, 2));
    const x = randn([4, 3]);
    expect(() => exportOnnx(net, [x], { opset: 9 })).toThrow(
      'exportOnnx: opset must be an integer from 13 to 21, got 9',
    );
    expect(() => exportOnnx(net, [x], { inputNames: ['a', 'b'] })).toThrow(OnnxExportError);
    expect(() => exportOnnx(net, [x], { dynamicAxes: { nope: [0] } })).toThrow("dynamicAxes names 'nope'");
    expect(() => exportOnnx(net, [])).toThrow('exampleInputs must be a non-empty array');
  });
});

class Cube extends Function {
  forward(x: Tensor): Tensor {
    return x.mul(x).mul(x);
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].square().mul(3));
  }
}
class Softplus extends Function {
  forward(x: Tensor): Tensor {
    return x.exp().add(1).log();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].sigmoid());
  }
}

describe('nodes without a mapping', () => {
  it('are listed all at once, with where they were created', () => {
    const f = (x: Variable) =>
      new Cube().apply(x).add(new Cube().apply(F.softmaxCrossEntropy(x, tensor([0, 1], { dtype: 'int32' }))));
    let error: unknown;
    try {
      exportOnnx(f, [randn([2, 3])]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxExportError);
    const e = error as OnnxExportError;
    expect(e.nodes).toEqual(['Cube', 'SoftmaxCrossEntropy']);
    expect(e.message).toMatch(/3 nodes have no ONNX mapping \(Cube, SoftmaxCrossEntropy\)/);
    expect(e.message).toMatch(/created at:\n\s+at .*export\.test\.ts/);
  });

  it('a custom Function subclass supplies its own mapping', async () => {
    registerOnnxMapping(Softplus, (ctx, _node, [x]) => ctx.add('Softplus', [x])[0]);
    const f = (x: Variable) => new Softplus().apply(x).mul(2);
    const x = randn([3, 2]);
    const { output } = await H.runOrt(exportOnnx(f, [x]), { input: x });
    H.expectClose(output, ours(f, x), 1e-6);
  });
});

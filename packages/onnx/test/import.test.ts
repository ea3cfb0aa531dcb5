/**
 * importOnnx: our exports come back as Modules with the same outputs, the same gradients and the
 * same state after a training step (float64, 1e-10); a model written by hand as another tool would
 * write it (Gemm with transB, BatchNormalization, GlobalAveragePool, Constant, the opset-11
 * Softmax...) imports and agrees with onnxruntime (float32, 1e-5); unsupported operators and
 * attributes are listed at once.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, randn } from '@nn/tensor';
import { type Variable, noGrad, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  SGD,
  Sequential,
  Sigmoid,
  Tanh,
} from '@nn/nn';
import {
  AttributeType,
  DataType,
  type GraphProto,
  type NodeProto,
  OnnxImportError,
  encodeModel,
  exportOnnx,
  importOnnx,
} from '../src/index.js';
import { expectClose, runOrt } from './helpers.js';

const g = new Generator(11);

/** One SGD step on a fixed loss; returns the loss and the gradients by parameter name. */
function step(model: Module, x: Tensor, weights: Tensor): { loss: number; grads: Map<string, Tensor> } {
  model.zeroGrad();
  const loss = model
    .forward(variable(x, { requiresGrad: false }))
    .mul(weights)
    .sum();
  loss.backward();
  const grads = new Map(model.namedParameters().map(([name, p]) => [name, p.grad!.data]));
  new SGD(model.parameters(), { lr: 0.1 }).step();
  return { loss: loss.item(), grads };
}

function roundTrip(model: Module, x: Tensor): void {
  const imported = importOnnx(exportOnnx(model, [x], { training: false }));
  expect(imported.namedParameters().map(([n]) => n)).toEqual(model.namedParameters().map(([n]) => n));
  model.eval();
  const want = noGrad(() => model.forward(variable(x)).data);
  expectClose(
    noGrad(() => imported.forward(variable(x)).data),
    want,
    1e-10,
    'outputs',
  );
  const weights = randn(want.shape, { dtype: 'float64', generator: g });
  const a = step(model, x, weights);
  const b = step(imported, x, weights);
  expect(b.loss).toBeCloseTo(a.loss, 10);
  for (const [name, grad] of a.grads) expectClose(b.grads.get(name)!, grad, 1e-10, `gradient of ${name}`);
  const after = noGrad(() => model.forward(variable(x)).data);
  expectClose(
    noGrad(() => imported.forward(variable(x)).data),
    after,
    1e-10,
    'outputs after a step',
  );
}

describe('export → import round trip (float64)', () => {
  const o = { dtype: 'float64' as const, generator: g };

  it('an MLP: same outputs, gradients and outputs after one SGD step', () => {
    roundTrip(
      new Sequential(new Linear(6, 5, o), new Sigmoid(), new Linear(5, 4, o), new Tanh(), new Linear(4, 3, o)),
      randn([7, 6], o),
    );
  });

  it('a CNN with conv stride/pad, BatchNorm2d (eval), pools, flatten', () => {
    const bn = new BatchNorm2d(3, { dtype: 'float64' });
    bn.runningMean = randn([3], o);
    bn.runningVar = randn([3], o).square().add(0.5);
    const net = new Sequential(
      new Conv2d(2, 3, 3, { ...o, stride: 2, pad: 1 }),
      bn,
      new ReLU(),
      new MaxPool2d(2),
      new AvgPool2d(1),
      new Flatten(),
      new Linear(12, 2, o),
    );
    roundTrip(net, randn([3, 2, 7, 7], o));
  });

  it('a function of Variables: its leaves become trainable parameters of the imported module', () => {
    const W = variable(randn([3, 2], o), { name: 'W' });
    const b = variable(randn([2], o), { name: 'b' });
    const x = randn([4, 3], o);
    const net = importOnnx(exportOnnx((v) => F.softmax(v.matmul(W).add(b).tanh()), [x]));
    expect(net.namedParameters().map(([n]) => n)).toEqual(['W', 'b']);
    expectClose(net.forward(variable(x)).data, F.softmax(variable(x).matmul(W).add(b).tanh()).data, 1e-12);
    expect(net.inputNames).toEqual(['input']);
    expect(net.outputNames).toEqual(['output']);
  });
});

// ---- a model as another tool writes it ------------------------------------------------------------

const float = (name: string, dims: number[]) => ({
  name,
  dataType: DataType.FLOAT,
  dims,
  values: randn(dims, { generator: g }).toTypedArray() as Float32Array,
});
const node = (
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: NodeProto['attributes'] = [],
): NodeProto => ({
  name: `${opType}_${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes,
});
const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v });
const int = (name: string, i: number) => ({ name, type: AttributeType.INT, i });
const flt = (name: string, f: number) => ({ name, type: AttributeType.FLOAT, f });

/**
 * A small CNN in the shape PyTorch's exporter gives (weights as initializers named `conv.weight`,
 * Linear as Gemm with transB = 1 and an (out, in) weight), touching every imported operator. The
 * graph is written here field by field, independently of exportOnnx.
 */
function foreignGraph(): GraphProto {
  const variance = float('bn.running_var', [4]);
  variance.values = variance.values.map((v) => v * v + 0.5);
  return {
    name: 'foreign',
    inputs: [
      {
        name: 'x',
        type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 2 }, { value: 6 }, { value: 6 }] },
      },
    ],
    outputs: [
      { name: 'probs', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 3 }] } },
      { name: 'logp', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 3 }] } },
    ],
    valueInfo: [],
    initializers: [
      float('conv.weight', [4, 2, 3, 3]),
      float('conv.bias', [4]),
      float('bn.weight', [4]),
      float('bn.bias', [4]),
      float('bn.running_mean', [4]),
      variance,
      float('fc.weight', [3, 4 + 16]),
      float('fc.bias', [3]),
      { name: 'shape', dataType: DataType.INT64, dims: [2], values: new Float64Array([0, -1]) },
    ],
    nodes: [
      node(
        'Conv',
        ['x', 'conv.weight', 'conv.bias'],
        ['c'],
        [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1])],
      ),
      node(
        'BatchNormalization',
        ['c', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'],
        ['n'],
        [flt('epsilon', 1e-3), flt('momentum', 0.9)],
      ),
      node('LeakyRelu', ['n'], ['r'], [flt('alpha', 0.2)]),
      node('MaxPool', ['r'], ['p'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]), // (N,4,3,3)
      node('AveragePool', ['p'], ['a'], [ints('kernel_shape', [2, 2])]), // strides default 1: (N,4,2,2)
      node('GlobalAveragePool', ['p'], ['gap']), // (N,4,1,1)
      node('Flatten', ['gap'], ['f1']), // (N,4)
      node('Transpose', ['a'], ['t'], [ints('perm', [0, 1, 3, 2])]),
      node('Reshape', ['t', 'shape'], ['f2']), // (N,16)
      node('Concat', ['f1', 'f2'], ['cat'], [int('axis', 1)]),
      node('Dropout', ['cat'], ['d']),
      node('Gemm', ['d', 'fc.weight', 'fc.bias'], ['z'], [int('transB', 1), flt('alpha', 0.5), flt('beta', 2)]),
      node('Constant', [], ['k'], [{ name: 'value_floats', type: AttributeType.FLOATS, floats: [0.5, 1, 2] }]),
      node('Mul', ['z', 'k'], ['zk']),
      node('Sigmoid', ['zk'], ['s']),
      node('Sub', ['zk', 's'], ['u']),
      node('Tanh', ['u'], ['v']),
      node('Div', ['v', 'k'], ['w']),
      node('Relu', ['w'], ['w2']),
      node('Add', ['w2', 'zk'], ['y']),
      node('Identity', ['y'], ['y2']),
      node('Softmax', ['y2'], ['probs'], [int('axis', 1)]),
      node('LogSoftmax', ['y2'], ['logp'], [int('axis', 1)]),
    ],
  };
}

function foreignModel(graph: GraphProto, opset: number): Uint8Array {
  return encodeModel({
    irVersion: 7,
    producerName: 'hand-written',
    producerVersion: '',
    domain: '',
    modelVersion: 1,
    docString: '',
    graph,
    opsetImports: [{ domain: '', version: opset }],
  });
}

describe('a model written by another tool', () => {
  for (const opset of [11, 13]) {
    it(`imports and agrees with onnxruntime (opset ${opset}), at batch 1 and 5`, async () => {
      const bytes = foreignModel(foreignGraph(), opset);
      const net = importOnnx(bytes, { source: 'foreign.onnx' });
      expect(net.namedParameters().map(([n]) => n)).toEqual([
        'conv.weight',
        'conv.bias',
        'bn.weight',
        'bn.bias',
        'fc.weight',
        'fc.bias',
      ]);
      expect(net.namedBuffers().map(([n]) => n)).toEqual(['bn_running_mean', 'bn_running_var']);
      for (const n of [1, 5]) {
        const x = randn([n, 2, 6, 6], { generator: g });
        const want = await runOrt(bytes, { x });
        const [probs, logp] = noGrad(() => net.run(x));
        expectClose(probs.data, want.probs, 1e-5, 'probs');
        expectClose(logp.data, want.logp, 1e-5, 'logp');
      }
    });
  }

  it('trains: gradients reach every parameter, and loadStateDict reaches the buffers', () => {
    const net = importOnnx(foreignModel(foreignGraph(), 13));
    const [, logp] = net.run(randn([3, 2, 6, 6], { generator: g }));
    logp.sum().backward();
    for (const [name, p] of net.namedParameters()) expect(p.grad, name).not.toBeNull();
    const x = randn([2, 2, 6, 6], { generator: g });
    const before = noGrad(() => net.run(x)[0].data);
    const state = net.stateDict();
    net.loadStateDict({ ...state, bn_running_mean: state.bn_running_mean.add(1) });
    const after = noGrad(() => net.run(x)[0].data);
    expect(after.sub(before).abs().max().item()).toBeGreaterThan(1e-4);
  });
});

describe('what importOnnx rejects', () => {
  it('lists every unsupported operator and attribute at once', () => {
    const graph = foreignGraph();
    graph.nodes.splice(1, 0, node('Resize', ['c'], ['c2']), {
      ...node('Custom', ['c'], ['c3']),
      domain: 'com.example',
    });
    graph.nodes[0].attributes.push(int('group', 2), ints('dilations', [2, 2]));
    graph.nodes.push(
      node('MaxPool', ['x'], ['mp'], [ints('kernel_shape', [2, 2]), int('ceil_mode', 1), ints('pads', [0, 0, 1, 1])]),
    );
    let error: unknown;
    try {
      importOnnx(foreignModel(graph, 13), { source: 'bad.onnx' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxImportError);
    expect((error as OnnxImportError).unsupported).toEqual([
      "Conv 'Conv_c': dilations [2, 2] not supported",
      "Conv 'Conv_c': group 2 not supported",
      "Resize 'Resize_c2': operator not supported",
      "Custom 'Custom_c3': domain 'com.example' not supported",
      "MaxPool 'MaxPool_mp': pads [0, 0, 1, 1] (begin and end must be equal) not supported",
      "MaxPool 'MaxPool_mp': ceil_mode 1 not supported",
    ]);
    expect((error as Error).message).toMatch(/^importOnnx \(bad\.onnx\): 6 unsupported nodes or attributes:/);
  });

  it('a computed Reshape shape, an unknown attribute, a dangling input', () => {
    const graph = foreignGraph();
    graph.nodes.find((n) => n.opType === 'Reshape')!.inputs[1] = 'f1';
    graph.nodes.find((n) => n.opType === 'Relu')!.attributes.push(int('bogus', 1));
    expect(() => importOnnx(foreignModel(graph, 13))).toThrow(
      /Reshape 'Reshape_f2': shape \(input 1\) is computed in the graph; only a constant shape is supported not supported[\s\S]*Relu 'Relu_w2': attribute 'bogus' not supported/,
    );
    const dangling = foreignGraph();
    dangling.nodes[2].inputs[0] = 'nowhere';
    expect(() => importOnnx(foreignModel(dangling, 13))).toThrow(
      "LeakyRelu 'LeakyRelu_r' reads 'nowhere', which is no graph input",
    );
  });

  it('forward on a two-input model says to use run', () => {
    const f = (a: Variable, b: Variable) => a.add(b);
    const net = importOnnx(exportOnnx(f, [randn([2]), randn([2])]));
    expect(() => net.forward(variable(randn([2])))).toThrow(
      'OnnxModule.forward: the model has 2 inputs (input_0, input_1); use run(...inputs)',
    );
    expect(net.run(randn([2]), randn([2]))).toHaveLength(1);
  });
});

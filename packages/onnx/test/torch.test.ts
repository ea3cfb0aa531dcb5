/**
 * PyTorch state dicts against an independent engine: a PyTorch-layout dict (Linear weights
 * (out, in)) is both loaded into our Sequential with loadTorchStateDict and written into an ONNX
 * graph the way PyTorch's exporter writes nn.Linear (Gemm with transB = 1, the weight as is);
 * onnxruntime's outputs equal ours. And the imported graph's parameters, mapped back with
 * toTorchStateDict from the loaded model, are the dict itself.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, randn } from '@nn/tensor';
import { noGrad, variable } from '@nn/autograd';
import { Linear, ReLU, Sequential, loadTorchStateDict, toTorchStateDict } from '@nn/nn';
import { AttributeType, DataType, type TensorProto, encodeModel } from '../src/index.js';
import { expectClose, runOrt } from './helpers.js';

const g = new Generator(5);

function proto(name: string, t: Tensor): TensorProto {
  return { name, dataType: DataType.FLOAT, dims: [...t.shape], values: t.toTypedArray() as Float32Array };
}

describe('loadTorchStateDict agrees with onnxruntime running the same PyTorch weights', () => {
  it('nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))', async () => {
    const dict: Record<string, Tensor> = {
      '0.weight': randn([5, 6], { generator: g }),
      '0.bias': randn([5], { generator: g }),
      '2.weight': randn([3, 5], { generator: g }),
      '2.bias': randn([3], { generator: g }),
    };
    const transB = { name: 'transB', type: AttributeType.INT, i: 1 };
    const bytes = encodeModel({
      irVersion: 8,
      producerName: 'as pytorch writes nn.Linear',
      producerVersion: '',
      domain: '',
      modelVersion: 0,
      docString: '',
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        name: 'torch',
        inputs: [{ name: 'x', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 6 }] } }],
        outputs: [{ name: 'y', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 3 }] } }],
        valueInfo: [],
        initializers: Object.entries(dict).map(([k, t]) => proto(k, t)),
        nodes: [
          {
            name: 'fc0',
            opType: 'Gemm',
            domain: '',
            inputs: ['x', '0.weight', '0.bias'],
            outputs: ['h'],
            attributes: [transB],
          },
          { name: 'relu', opType: 'Relu', domain: '', inputs: ['h'], outputs: ['r'], attributes: [] },
          {
            name: 'fc2',
            opType: 'Gemm',
            domain: '',
            inputs: ['r', '2.weight', '2.bias'],
            outputs: ['y'],
            attributes: [transB],
          },
        ],
      },
    });
    const net = new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 3));
    const report = loadTorchStateDict(net, dict);
    expect(report.mapped.filter((m) => m.transposed).map((m) => m.torchKey)).toEqual(['0.weight', '2.weight']);
    const x = randn([4, 6], { generator: g });
    const { y } = await runOrt(bytes, { x });
    expectClose(
      noGrad(() => net.forward(variable(x)).data),
      y,
      1e-6,
    );
    const back = toTorchStateDict(net);
    for (const key of Object.keys(dict)) expect(back[key].toArray(), key).toEqual(dict[key].toArray());
  });
});

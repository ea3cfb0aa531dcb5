/**
 * The ONNX codec: what encodeModel writes decodes to the same messages, bytes written by hand from
 * the protobuf specification decode as expected (so the reader is not only checked against our
 * writer), and onnxruntime accepts and runs what we write.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { DataType, OnnxFormatError, decodeModel, encodeModel } from '../src/index.js';
import { Writer } from '../src/protobuf.js';
import { sampleModel } from './fixtures.js';

describe('encodeModel / decodeModel', () => {
  it('round-trips every field of the sample model', () => {
    const model = sampleModel();
    const back = decodeModel(encodeModel(model));
    expect(back).toEqual(model);
  });

  it('reads unpacked and packed repeated fields, float_data and int64_data (written by hand, not by encodeModel)', () => {
    // TensorProto { dims: 2 (unpacked), dims: 2, data_type: FLOAT, float_data packed [1, 2, 3, 4], name: 't' }
    const floats = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const tensor = [0x08, 2, 0x08, 2, 0x10, 1, 0x22, 16, ...floats, 0x42, 1, 0x74];
    // TensorProto { dims packed [2], data_type: INT64, int64_data packed [-1, 300], name: 's' }
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const int64s = [...minusOne, 0xac, 0x02];
    const shape = [0x0a, 1, 2, 0x10, 7, 0x3a, int64s.length, ...int64s, 0x42, 1, 0x73];
    // GraphProto { initializer: tensor, initializer: shape, name: 'g', an unknown field 99 (varint) }
    const graph = [0x2a, tensor.length, ...tensor, 0x2a, shape.length, ...shape, 0x12, 1, 0x67, 0x98, 0x06, 5];
    // ModelProto { ir_version: 8, graph, opset_import { version: 17 } }
    const bytes = new Uint8Array([0x08, 8, 0x3a, graph.length, ...graph, 0x42, 2, 0x10, 17]);
    const model = decodeModel(bytes);
    expect(model.irVersion).toBe(8);
    expect(model.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(model.graph.name).toBe('g');
    const [t, s] = model.graph.initializers;
    expect(t).toEqual({ name: 't', dataType: DataType.FLOAT, dims: [2, 2], values: new Float32Array([1, 2, 3, 4]) });
    expect(s).toEqual({ name: 's', dataType: DataType.INT64, dims: [2], values: new Float64Array([-1, 300]) });
  });

  it('writes negative integers as ten-byte varints, as protobuf does', () => {
    expect(Array.from(new Writer().int(1, -1).finish())).toEqual([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(Array.from(new Writer().int(1, 300).finish())).toEqual([0x08, 0xac, 0x02]);
  });

  it('names the source and the field when the bytes are corrupt', () => {
    const bytes = encodeModel(sampleModel());
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 3), 'm.onnx')).toThrow(OnnxFormatError);
    expect(() => decodeModel(bytes.subarray(0, 60), 'm.onnx')).toThrow(/^m\.onnx: graph: length \d+ runs past the end/);
    expect(() => decodeModel(new Uint8Array(0), 'm.onnx')).toThrow('m.onnx: the model has no graph');
    // A length of 2^40 in a 10-byte input: rejected from the length, nothing allocated.
    expect(() => decodeModel(new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]))).toThrow(
      /graph: length \d+ runs past the end of its message \(0 bytes left\)/,
    );
  });

  it('rejects a tensor whose dims disagree with its data, before allocating', () => {
    const model = sampleModel();
    model.graph.initializers[0].dims = [1_000_000, 1_000_000];
    expect(() => decodeModel(encodeModel(model), 'm.onnx')).toThrow(
      "m.onnx: graph.initializer[0]: tensor 'W' has dims [1000000, 1000000], more elements than the input's",
    );
    model.graph.initializers[0].dims = [2, 2];
    expect(() => decodeModel(encodeModel(model), 'm.onnx')).toThrow(
      "tensor 'W': raw_data holds 24 bytes but FLOAT [2, 2] needs 16",
    );
  });

  it('gives a model onnxruntime runs: Gemm with initializers and a symbolic batch axis', async () => {
    const bytes = encodeModel({
      irVersion: 8,
      producerName: 'test',
      producerVersion: '',
      domain: '',
      modelVersion: 0,
      docString: '',
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        nodes: [
          {
            name: 'n',
            opType: 'Gemm',
            domain: '',
            inputs: ['x', 'W', 'b'],
            outputs: ['y'],
            attributes: [{ name: 'alpha', type: 1, f: 2 }],
          },
        ],
        initializers: [
          { name: 'W', dataType: DataType.FLOAT, dims: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
          { name: 'b', dataType: DataType.FLOAT, dims: [3], values: new Float32Array([0.5, 0.5, 0.5]) },
        ],
        inputs: [{ name: 'x', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 2 }] } }],
        outputs: [{ name: 'y', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 3 }] } }],
        valueInfo: [],
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 2, 0, 0, 1]), [3, 2]) });
    expect(y.dims).toEqual([3, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([10.5, 14.5, 18.5, 4.5, 8.5, 12.5, 8.5, 10.5, 12.5]);
  });
});

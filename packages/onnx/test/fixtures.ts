import { DataType, type ModelProto } from '../src/proto.js';

/** A small model touching every message and field kind the codec handles (test fixture). */
export function sampleModel(): ModelProto {
  return {
    irVersion: 8,
    producerName: 'fixture',
    producerVersion: '0.1',
    domain: 'test',
    modelVersion: 3,
    docString: 'a model with ünïcode',
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      docString: 'graph doc',
      nodes: [
        {
          name: 'gemm',
          opType: 'Gemm',
          domain: '',
          inputs: ['x', 'W', 'b'],
          outputs: ['h'],
          attributes: [
            { name: 'alpha', type: 1, f: 0.5 },
            { name: 'transB', type: 2, i: 1 },
          ],
        },
        {
          name: 'reshape',
          opType: 'Reshape',
          domain: '',
          inputs: ['h', 'shape'],
          outputs: ['r'],
          attributes: [{ name: 'perm', type: 7, ints: [-1, 0, 5_000_000_000] }],
        },
        {
          name: 'misc',
          opType: 'Identity',
          domain: '',
          inputs: ['r'],
          outputs: ['y'],
          attributes: [
            { name: 'pad', type: 3, s: 'SAME_UPPER' },
            { name: 'fs', type: 6, floats: [1.5, -2] },
            { name: 'ss', type: 8, strings: ['a', 'b'] },
            {
              name: 'value',
              type: 4,
              t: { name: '', dataType: DataType.INT32, dims: [2], values: new Int32Array([7, -8]) },
            },
          ],
        },
      ],
      initializers: [
        { name: 'W', dataType: DataType.FLOAT, dims: [3, 2], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { name: 'b', dataType: DataType.DOUBLE, dims: [3], values: new Float64Array([0.1, 0.2, 0.3]) },
        { name: 'shape', dataType: DataType.INT64, dims: [2], values: new Float64Array([-1, 3]) },
        { name: 'mask', dataType: DataType.BOOL, dims: [2, 1], values: new Int32Array([1, 0]) },
      ],
      inputs: [{ name: 'x', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, { value: 2 }] } }],
      outputs: [{ name: 'y', type: { elemType: DataType.FLOAT, shape: [{ param: 'N' }, {}] }, docString: 'out' }],
      valueInfo: [{ name: 'h', type: null }],
    },
  };
}

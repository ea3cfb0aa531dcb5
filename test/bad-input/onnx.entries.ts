import { OnnxExportError, OnnxFormatError, OnnxImportError } from '@nn/onnx';
import { StateDictError } from '@nn/nn';
import { ShapeError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

const mlp = `new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU())`;
const exported = `onnx.exportOnnx(${mlp}, [T.randn([4, 3])])`;

/** @nn/onnx and the PyTorch state-dict mapping: exports, imports, hostile bytes, PyTorch keys. */
export const entries: Entry[] = [
  // exportOnnx
  { snippet: `onnx.exportOnnx(${mlp}, [])`, throws: OnnxExportError, names: ['exportOnnx', 'exampleInputs'] },
  {
    snippet: `onnx.exportOnnx(${mlp}, [T.randn([4, 3])], { opset: 7 })`,
    throws: OnnxExportError,
    names: ['opset', '13 to 21', 'got 7'],
  },
  {
    snippet: `onnx.exportOnnx((x) => A.softmaxCrossEntropy(x, T.tensor([0, 1, 1, 0], { dtype: 'int32' })), [T.randn([4, 3])])`,
    throws: OnnxExportError,
    names: ['SoftmaxCrossEntropy', 'no ONNX mapping', 'registerOnnxMapping'],
  },
  {
    snippet: `onnx.exportOnnx(${mlp}, [T.randn([4, 3])], { outputNames: ['a', 'b'] })`,
    throws: OnnxExportError,
    names: ['outputNames', '1 distinct'],
  },
  {
    snippet: `onnx.exportOnnx(${mlp}, [T.randn([4, 3])], { dynamicAxes: { input: [5] } })`,
    throws: OnnxExportError,
    names: ['axis 5', "'input'", '(4,3)'],
  },
  {
    snippet: `onnx.exportOnnx(${mlp}, [T.tensor([1, 2, 3], { dtype: 'int32' })])`,
    throws: OnnxExportError,
    names: ['int32', 'float32 or float64'],
  },
  {
    snippet: `onnx.importOnnx(${exported}).forward(A.variable(T.randn([2, 5])))`,
    throws: ShapeError,
    names: ['matmul', '(2,5)', '(3,2)'],
    note: 'the imported model runs our ops, which name the shapes',
  },
  // decodeModel / importOnnx
  {
    snippet: `onnx.decodeModel(new Uint8Array([0x3a, 0x05, 1]), 'm.onnx')`,
    throws: OnnxFormatError,
    names: ['m.onnx', 'graph', 'runs past the end'],
  },
  { snippet: `onnx.decodeModel(new Uint8Array(0), 'm.onnx')`, throws: OnnxFormatError, names: ['m.onnx', 'no graph'] },
  {
    snippet: `onnx.importOnnx(${exported}.subarray(0, 50), { source: 'cut.onnx' })`,
    throws: OnnxFormatError,
    names: ['cut.onnx'],
  },
  {
    snippet: `const m = onnx.decodeModel(${exported}); m.graph.nodes[0].opType = 'Resize';
      return onnx.importOnnx(onnx.encodeModel(m), { source: 'r.onnx' });`,
    throws: OnnxImportError,
    names: ['r.onnx', 'Resize', 'operator not supported', 'Supported operators'],
  },
  // PyTorch state dicts
  {
    snippet: `nn.loadTorchStateDict(new nn.Sequential(new nn.Linear(3, 2)), { '0.weight': T.zeros([3, 2]), '0.bias': T.zeros([2]), '1.weight': T.zeros([1]) })`,
    throws: StateDictError,
    names: ['loadTorchStateDict', 'unexpected keys: 1.weight', '0.weight', 'needs (2,3)', 'has (3,2)'],
  },
  {
    snippet: `nn.loadTorchStateDict(new nn.Sequential(new nn.Linear(3, 2)), { '0.weight': T.zeros([2, 3]) })`,
    throws: StateDictError,
    names: ['missing keys: 0.bias'],
  },
  {
    snippet: `Object.keys(nn.toTorchStateDict(new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2))))`,
    returns: ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var'],
  },
];

import { DTypeError, IndexError, ShapeError, ValueError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

/** Losses (autograd's softmaxCrossEntropy, @nn/nn's losses) and convolution / pooling, ops and layers. */
export const entries: Entry[] = [
  // ---- softmaxCrossEntropy ----
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 1], { dtype: 'int32' }), { weight: T.ones([4]) })",
    throws: ShapeError,
    names: ['softmaxCrossEntropy', 'weight', '(3)', '(4)'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 1], { dtype: 'int32' }), { reduction: 'avg' })",
    throws: ValueError,
    names: ['softmaxCrossEntropy', 'reduction', 'avg'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: -0.1 })",
    throws: ValueError,
    names: ['softmaxCrossEntropy', 'labelSmoothing', '-0.1'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 7], { dtype: 'int32' }), { ignoreIndex: 5 })",
    throws: IndexError,
    names: ['softmaxCrossEntropy', 'label 7', 'row 1', 'ignoreIndex 5'],
  },
  {
    snippet:
      "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([-100, -100], { dtype: 'int32' }), { reduction: 'sum' }).item()",
    returns: 0,
    note: 'every row ignored (PyTorch default ignoreIndex)',
  },
  {
    snippet: 'nn.nllLoss(T.zeros([2, 3]), T.tensor([0, 1]))',
    throws: DTypeError,
    names: ['nllLoss', 'int32', 'float32', '(2)'],
  },
  {
    snippet: 'nn.huberLoss(T.zeros([2]), T.zeros([2]), { delta: -1 })',
    throws: ValueError,
    names: ['huberLoss', 'delta', '-1'],
  },
  { snippet: 'nn.l1Loss(T.zeros([2, 1]), T.zeros([2]))', throws: ShapeError, names: ['l1Loss', '(2,1)', '(2)'] },
  {
    snippet: "nn.klDiv(T.zeros([2]), T.zeros([2]), { reduction: 'batchsum' })",
    throws: ValueError,
    names: ['klDiv', 'reduction', 'batchsum'],
  },
  {
    snippet: "A.softmaxCrossEntropy(A.variable(T.zeros([2, 0])), T.tensor([0, 0], { dtype: 'int32' }))",
    throws: ShapeError,
    names: ['softmaxCrossEntropy', '(2,0)', '0 classes'],
    note: 'was NaN',
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([0, 3]), T.tensor([], { dtype: 'int32' }))",
    throws: ShapeError,
    names: ['softmaxCrossEntropy', '(0,3)', 'no rows'],
    note: 'was NaN',
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 3], { dtype: 'int32' }))",
    throws: IndexError,
    names: ['softmaxCrossEntropy', 'label 3', 'row 1', '3 classes'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([-1, 0], { dtype: 'int32' }))",
    throws: IndexError,
    names: ['softmaxCrossEntropy', 'label -1', 'row 0'],
  },
  {
    snippet: 'A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 1]))',
    throws: ShapeError,
    names: ['softmaxCrossEntropy', '(2,3)', '(2)', 'int32'],
    note: 'float labels',
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([0, 1, 2], { dtype: 'int32' }))",
    throws: ShapeError,
    names: ['softmaxCrossEntropy', 'labels', '(2)', '(3)'],
    note: 'wrong batch size',
  },
  {
    snippet: 'A.softmaxCrossEntropy(T.zeros([2, 3]), T.zeros([2, 4]))',
    throws: ShapeError,
    names: ['softmaxCrossEntropy', '(2,3)', '(2,4)'],
    note: 'one-hot shape mismatch',
  },
  {
    snippet: 'A.softmaxCrossEntropy(T.zeros([]), T.zeros([]))',
    throws: ShapeError,
    names: ['softmaxCrossEntropy', '0-d'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([2, 3]), T.tensor([true, false], { dtype: 'bool' }))",
    throws: DTypeError,
    names: ['softmaxCrossEntropy', 'bool'],
  },
  {
    snippet: 'A.softmaxCrossEntropy(T.zeros([2, 3]), [0, 1])',
    throws: DTypeError,
    names: ['softmaxCrossEntropy', 'Tensor or Variable', 'object'],
  },
  {
    snippet: "A.softmaxCrossEntropy(T.zeros([1, 2]), T.tensor([1], { dtype: 'int32' })).item().toFixed(6)",
    returns: Math.log(2).toFixed(6),
    note: 'good input: log 2 for equal scores',
  },
  // ---- @nn/nn losses ----
  {
    snippet: 'nn.binaryCrossEntropy(T.tensor([0.5, 1.5, -0.25]), T.tensor([1, 0, 1]))',
    throws: ValueError,
    names: ['binaryCrossEntropy', '[0, 1]', '-0.25', '1.5', 'binaryCrossEntropyWithLogits'],
    note: 'was NaN',
  },
  {
    snippet: 'nn.binaryCrossEntropy(T.tensor([0.5, NaN]), T.tensor([1, 0]))',
    throws: ValueError,
    names: ['binaryCrossEntropy', 'NaN'],
  },
  {
    snippet: 'nn.binaryCrossEntropy(T.tensor([0.5, 0.5]), T.tensor([1, 0, 1]))',
    throws: ShapeError,
    names: ['binaryCrossEntropy', '(2)', '(3)'],
  },
  {
    snippet: "nn.crossEntropy(T.zeros([2, 0]), T.tensor([0, 0], { dtype: 'int32' }))",
    throws: ShapeError,
    names: ['crossEntropy', '(2,0)', '0 classes'],
  },
  {
    snippet: "nn.crossEntropy(T.ones([2, 3]), T.tensor([0, 5], { dtype: 'int32' }))",
    throws: IndexError,
    names: ['crossEntropy', 'label 5', '3 classes'],
  },
  {
    snippet: 'nn.crossEntropy(T.ones([2, 3]), T.tensor([0, 1]))',
    throws: DTypeError,
    names: ['crossEntropy', '(2)', 'int32', 'float32'],
    note: 'float labels',
  },
  {
    snippet: "nn.crossEntropy(T.ones([2, 3]), T.tensor([0], { dtype: 'int32' }))",
    throws: ShapeError,
    names: ['crossEntropy', 'labels', '(2)', '(1)'],
  },
  {
    snippet: 'nn.mseLoss(null, T.zeros([2]))',
    throws: ValueError,
    names: ['mseLoss', 'y', 'null'],
    note: 'was a raw TypeError',
  },
  {
    snippet: 'nn.sumSquaredError(T.zeros([2]), 3)',
    throws: ValueError,
    names: ['sumSquaredError', 't', 'number'],
  },
  {
    snippet: 'nn.mseLoss(T.zeros([4, 1]), T.zeros([4]))',
    throws: ShapeError,
    names: ['mseLoss', '(4,1)', '(4)'],
  },
  {
    snippet: 'nn.binaryCrossEntropyWithLogits(T.zeros([3]), T.zeros([2]))',
    throws: ShapeError,
    names: ['binaryCrossEntropyWithLogits', '(3)', '(2)'],
  },
  // ---- conv2d and pooling ----
  {
    snippet: 'A.conv2d(T.zeros([1, 1, 3, 3]), T.zeros([1, 1, 5, 5]))',
    throws: ShapeError,
    names: ['conv2d', 'filter height 5', 'padded input height 3'],
    note: 'kernel larger than the padded input',
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 1, 5, 5]), T.zeros([1, 1, 3, 3]), null, { stride: 0 })',
    throws: ValueError,
    names: ['conv2d', 'stride', '0'],
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 1, 5, 5]), T.zeros([1, 1, 3, 3]), null, { pad: -1 })',
    throws: ValueError,
    names: ['conv2d', 'pad', 'non-negative', '-1'],
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 1, 5, 5]), T.zeros([1, 1, 3, 3]), null, { stride: [1, 2, 3] })',
    throws: ValueError,
    names: ['conv2d', 'stride', '[1,2,3]'],
    note: 'a triple was read as its first two',
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 1, 5, 5]), T.zeros([1, 1, 3, 3]), null, { stride: null }).shape',
    returns: [1, 1, 3, 3],
    note: 'good input: null means the default stride 1, as None in PyTorch',
  },
  {
    snippet: 'A.conv2d(T.zeros([2, 3, 7, 7]), T.zeros([4, 3, 4, 4]), null, { stride: 2 })',
    throws: ShapeError,
    names: ['conv2d', '(2,3,7,7)', '4×4', 'stride 2', '2.5'],
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 2, 5, 5]), T.zeros([1, 3, 3, 3]))',
    throws: ShapeError,
    names: ['conv2d', '(1,2,5,5)', '(1,3,3,3)', 'channels'],
  },
  {
    snippet: 'A.conv2d(T.zeros([1, 3, 5, 5]), T.zeros([2, 3, 3, 3]), T.zeros([3]))',
    throws: ShapeError,
    names: ['conv2d', 'bias', '(2)', '(3)'],
  },
  {
    snippet: 'A.conv2d(T.zeros([3, 5, 5]), T.zeros([2, 3, 3, 3]))',
    throws: ShapeError,
    names: ['conv2d', '(N, C, H, W)', '(3,5,5)'],
  },
  {
    snippet: 'A.maxPool2d(T.zeros([1, 1, 4, 4]), { size: 0 })',
    throws: ValueError,
    names: ['maxPool2d', 'size', '0'],
  },
  {
    snippet: 'A.avgPool2d(T.zeros([1, 1, 2, 2]), { size: 3 })',
    throws: ShapeError,
    names: ['avgPool2d', '3', '2'],
    note: 'window larger than the input',
  },
  {
    snippet: 'new nn.Conv2d(1, 2, 0)',
    throws: ValueError,
    names: ['Conv2d', 'kernelSize', 'positive', '0'],
  },
  {
    snippet: 'new nn.Conv2d(1, 2, [3])',
    throws: ValueError,
    names: ['Conv2d', 'kernelSize', '[3]'],
  },
  {
    snippet: 'new nn.Conv2d(1, 2, 3, { stride: 1.5 })',
    throws: ValueError,
    names: ['Conv2d', 'stride', '1.5'],
  },
  {
    snippet: 'new nn.MaxPool2d(2, { pad: -1 })',
    throws: ValueError,
    names: ['MaxPool2d', 'pad', '-1'],
  },
  {
    snippet: 'new nn.Conv2d(1, 2, 3).toString()',
    returns: 'Conv2d(1, 2, kernelSize=3, stride=1, pad=0, bias=true)',
    note: 'good input: the shared sizeText',
  },
];

/**
 * @nn/autograd/nodes — the node classes: one `Function` subclass per recorded operation (`Add`,
 * `MatMul`, `Conv2d`, `MaxPool2dGrad`, ...), the names `backward()` walks and graph drawings show.
 *
 * They live on their own entry, not on `@nn/autograd`, so that `import * as F from '@nn/autograd'`
 * holds functions only: `F.relu` is the function, while `ReLU` here is autograd's node and
 * `ReLU` in @nn/nn is a layer. Import a node class to test what recorded a value, or to extend one.
 * Every node class of `src/ops/` is listed here and only here (test/surface.test.ts checks both).
 *
 * @example
 * import { MatMul } from '@nn/autograd/nodes';
 * const y = x.matmul(W);
 * y.creator instanceof MatMul; // true
 */
// variable.ts first: it pulls in function.ts before the op modules that extend Function.
import './variable.js';

export {
  BroadcastingFunction,
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Neg,
  Exp,
  Log,
  Log1p,
  Expm1,
  Erf,
  Sqrt,
  Sin,
  Cos,
  Square,
  Abs,
  Clip,
  Where,
} from './ops/elementwise.js';
export {
  Sigmoid,
  SigmoidGrad,
  Tanh,
  ReLU,
  ReLUGrad,
  LeakyReLU,
  GELU,
  GELUGrad,
  SiLU,
  Softmax,
  LogSoftmax,
} from './ops/activation.js';
export { Sum, SumTo, Max, Min, LogSumExp } from './ops/reduce.js';
export { Reshape, Transpose, BroadcastTo, Repeat, Concat, Split } from './ops/movement.js';
export { GetItem, GetItemGrad, Gather, GatherGrad } from './ops/indexing.js';
export { MatMul } from './ops/matmul.js';
export {
  Conv2d,
  Conv2dGradInput,
  Conv2dGradFilter,
  Im2col,
  Col2im,
  MaxPool2d,
  MaxPool2dGrad,
  AvgPool2d,
  AvgPool2dGrad,
} from './ops/conv.js';
export { SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad } from './ops/loss.js';

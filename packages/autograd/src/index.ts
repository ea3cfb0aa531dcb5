/**
 * @nn/autograd — define-by-run automatic differentiation: `Variable`, `Function` nodes, a
 * generation-ordered backward engine, grad modes, functional `grad`/`vjp`, anomaly detection.
 *
 * @example
 * import * as F from '@nn/autograd';
 * const x = F.variable([[1, 2]]);
 * const W = F.variable([[1], [1]]);
 * F.sigmoid(F.matmul(x, W)).sum().backward();
 */
export {
  Variable,
  variable,
  type VariableOptions,
  type VariableCreationOptions,
  type GradHook,
  type HookHandle,
} from './variable.js';
export { Function, type Operand, type Gradients } from './function.js';
export { backward, gradients, type BackwardOptions, type GradientsOptions } from './engine.js';
export { noGrad, enableGrad, isGradEnabled, detectAnomaly, isAnomalyEnabled } from './mode.js';
export { grad, valueAndGrad, vjp, type DifferentiableFunction } from './functional.js';
export { AutogradError, AnomalyError } from './errors.js';

export {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Neg,
  Exp,
  Log,
  Sqrt,
  Sin,
  Cos,
  Square,
  Abs,
  Clip,
  Where,
  BroadcastingFunction,
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  log,
  sqrt,
  sin,
  cos,
  square,
  abs,
  clip,
  where,
} from './ops/elementwise.js';
export {
  Sigmoid,
  SigmoidGrad,
  Tanh,
  ReLU,
  ReLUGrad,
  LeakyReLU,
  Softmax,
  LogSoftmax,
  sigmoid,
  tanh,
  relu,
  leakyRelu,
  softmax,
  logSoftmax,
} from './ops/activation.js';
export { Sum, SumTo, Max, Min, sum, sumTo, mean, max, min, type ReduceOptions } from './ops/reduce.js';
export {
  Reshape,
  Transpose,
  BroadcastTo,
  Repeat,
  Concat,
  Split,
  reshape,
  transpose,
  broadcastTo,
  repeat,
  concat,
  split,
  squeeze,
  unsqueeze,
  flatten,
} from './ops/movement.js';
export { GetItem, GetItemGrad, Gather, GatherGrad, getItem, take, gather } from './ops/indexing.js';
export { MatMul, matmul, linear } from './ops/matmul.js';
export {
  Conv2d,
  Im2col,
  Col2im,
  MaxPool2d,
  MaxPool2dGrad,
  AvgPool2d,
  AvgPool2dGrad,
  conv2d,
  maxPool2d,
  avgPool2d,
  im2col,
  col2im,
} from './ops/conv.js';
export { SoftmaxCrossEntropy, softmaxCrossEntropy } from './ops/loss.js';
export * from './testing/index.js';
export * from './inspect/index.js';

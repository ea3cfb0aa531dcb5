/**
 * @nn/autograd — define-by-run automatic differentiation: `Variable`, the `Function` base class, a
 * generation-ordered backward engine, grad modes, functional `grad`/`vjp` and the forward-mode and
 * higher-order transforms (`jvp`, `jacobian`, `hessian`, `hvp`), anomaly detection, the
 * differentiable functions (`F.matmul`, `F.relu`, ...) and `toDot`.
 *
 * This entry holds what a model needs at run time and nothing else. The rest has entries of its own:
 * - `@nn/autograd/nodes`: the node classes (`Add`, `MatMul`, `ReLU`, `Conv2d`, ...);
 * - `@nn/autograd/testing`: gradcheck, gradgradcheck, numericalGrad and the fast-check arbitraries
 *   (needs the optional peer `fast-check` for the arbitraries);
 * - `@nn/autograd/inspect`: drawing and tracing graphs (toDot again, SVG, JSON, tree, trace, HTML
 *   explorer; SVG needs the optional peer `@hpcc-js/wasm-graphviz`).
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
export { jvp, jacobian, hessian, hvp, type Outputs, type Jacobians, type JacobianOptions } from './transforms.js';
export type { Tangents } from './dual.js';
export { vmap, type VmapOptions } from './vmap.js';
export type { BatchedInput } from './batching.js';
export { AutogradError, AnomalyError } from './errors.js';

export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  neg,
  exp,
  log,
  log1p,
  expm1,
  erf,
  sqrt,
  sin,
  cos,
  square,
  abs,
  clip,
  where,
} from './ops/elementwise.js';
export {
  sigmoid,
  tanh,
  relu,
  leakyRelu,
  gelu,
  silu,
  softmax,
  logSoftmax,
  type GELUApproximation,
} from './ops/activation.js';
export { sum, sumTo, mean, max, min, logsumexp, type ReduceOptions } from './ops/reduce.js';
export { reshape, transpose, broadcastTo, repeat, concat, split, squeeze, unsqueeze, flatten } from './ops/movement.js';
export { getItem, take, gather } from './ops/indexing.js';
export { matmul, linear } from './ops/matmul.js';
export { conv2d, conv2dGradInput, conv2dGradFilter, maxPool2d, avgPool2d, im2col, col2im } from './ops/conv.js';
export {
  softmaxCrossEntropy,
  checkLabels,
  checkScores,
  checkReduction,
  logProbabilityLoss,
  type ClassificationLossOptions,
  type Reduction,
} from './ops/loss.js';
export { asVariable } from './variable.js';
// DOT text is pure string building (no Graphviz): a learner's first look at a graph needs only this.
export { toDot, type ToDotOptions, type RankDir } from './inspect/dot.js';

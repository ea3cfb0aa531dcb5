/**
 * @nn/nn — neural-network building blocks on top of @nn/autograd: `Module` and `Parameter`,
 * layers, losses, initializers (and optimizers, training, checkpoints).
 *
 * @example
 * import { Sequential, Linear, ReLU, init, softmaxCrossEntropy } from '@nn/nn';
 * const model = new Sequential(new Linear(784, 50, { init: init.he() }), new ReLU(), new Linear(50, 10));
 * const loss = softmaxCrossEntropy(model.forward(x), labels);
 * model.zeroGrad();
 * loss.backward();
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------
// Modules, layers, losses, initializers
// ---------------------------------------------------------------------------
export { Parameter, type ParameterOptions } from './parameter.js';
export {
  Module,
  StateDictError,
  checkForwardInput,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ModuleMode,
} from './module.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Sigmoid, ReLU, Tanh, LeakyReLU, GELU, SiLU, Softmax, Identity } from './layers/activation.js';
export { Dropout, type DropoutOptions } from './layers/dropout.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './layers/batchnorm.js';
export { LayerNorm, type LayerNormOptions } from './layers/layernorm.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { Flatten } from './layers/flatten.js';
export { Conv2d, type Conv2dOptions } from './layers/conv.js';
export { MaxPool2d, AvgPool2d, type PoolingOptions } from './layers/pooling.js';
export { Sequential } from './layers/sequential.js';
export { ModuleList, ModuleDict } from './layers/container.js';
export {
  scaledDotProductAttention,
  causalMask,
  MultiheadAttention,
  type AttentionOptions,
  type MultiheadAttentionOptions,
  type MultiheadAttentionCallOptions,
} from './layers/attention.js';
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  type TransformerEncoderLayerOptions,
  type TransformerMaskOptions,
} from './layers/transformer.js';
export { RNN, LSTM, GRU, type RecurrentOptions, type RNNOptions } from './layers/recurrent.js';
export {
  loadTorchStateDict,
  toTorchStateDict,
  type TorchLoadOptions,
  type TorchLoadReport,
  type TorchMapping,
} from './torch.js';
export {
  sumSquaredError,
  mseLoss,
  l1Loss,
  huberLoss,
  klDiv,
  nllLoss,
  quadraticCost,
  crossEntropy,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  softmaxCrossEntropy,
  BinaryCrossEntropy,
  BinaryCrossEntropyWithLogits,
  type LossInput,
  type CrossEntropyOptions,
  type NLLLossOptions,
  type ReductionOptions,
  type HuberLossOptions,
  type KLDivOptions,
} from './losses.js';
export type { ClassificationLossOptions, Reduction } from '@nn/autograd';
/**
 * Weight initializers: `init.normal(0.01)`, `init.xavier()`, `init.xavierUniform()`, `init.he()`,
 * `init.uniform(low, high)`, `init.zeros()`, `init.constant(v)`, and `init.fans(shape)`.
 * @example new Linear(784, 50, { init: init.he(new Generator(0)) })
 */
export * as init from './init.js';
export type { Initializer, InitContext } from './init.js';

// ---------------------------------------------------------------------------
// Optimizers, schedules, Trainer (optim/, train/) and checkpoints (checkpoint/).
// Owned by the other engineers; the lead adds their export lines here.
// ---------------------------------------------------------------------------
export * from './optim/index.js';
export * from './train/index.js';
export * from './checkpoint/index.js';

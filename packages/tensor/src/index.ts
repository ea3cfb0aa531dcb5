/**
 * @nn/tensor — n-dimensional arrays for @nn: typed-array storage, strided views, NumPy
 * broadcasting, reductions, matmul, joining and indexing, and seeded random numbers.
 */
export { Tensor, type TensorLike } from './tensor.js';
export { type DType, type FloatDType, type Storage, promoteTypes, isFloat } from './dtype.js';
export { NNError, ShapeError, DTypeError, IndexError, ValueError, formatShape } from './errors.js';
export { broadcastShapes, shapeSize, contiguousStrides, normalizeAxis, normalizeAxes, type Shape } from './shape.js';
export type { Nested } from './format.js';
export {
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  fullLike,
  arange,
  linspace,
  eye,
  asTensor,
  type NestedInput,
  type CreationOptions,
  type TensorOptions,
} from './ops/creation.js';
export {
  neg,
  abs,
  sign,
  exp,
  log,
  sqrt,
  square,
  reciprocal,
  sin,
  cos,
  tanh,
  sigmoid,
  sigmoidBackward,
  relu,
  reluBackward,
  step,
  clip,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  where,
  logicalAnd,
  logicalOr,
  logicalNot,
  allclose,
  arrayEqual as equal,
  empty,
  type AllcloseOptions,
} from './ops/elementwise.js';
export {
  sum,
  mean,
  prod,
  max,
  min,
  any,
  all,
  variance as var,
  variance,
  std,
  logsumexp,
  argmax,
  argmin,
  softmax,
  logSoftmax,
  softmaxWithLog,
  type AxisSpec,
  type ReduceOptions,
  type VarianceOptions,
} from './ops/reduce.js';
export {
  reshape,
  transpose,
  swapaxes,
  broadcastTo,
  squeeze,
  unsqueeze,
  flatten,
  slice,
  type Index,
  type Slice,
} from './ops/movement.js';
export { matmul, dot, outer } from './ops/matmul.js';
export { concat, stack, split, pad, type PadWidth } from './ops/join.js';
export { take, indexAdd, gather, scatterAdd, takeAlongRows, oneHot, repeat, tile } from './ops/indexing.js';
export { Generator, seed, globalGenerator } from './random/generator.js';
export { rand, randn, randint, uniform, normal, permutation, choice, type RandomOptions } from './ops/random.js';
export {
  im2col,
  col2im,
  unfold,
  fold,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  convOutputSize,
  windowGeometry,
  maxPool2d,
  maxPool2dWithIndices,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  type Size2d,
  type ConvOptions,
  type PoolOptions,
  type WindowGeometry,
} from './ops/conv.js';
export { setStorageRecycling, setStoragePoolCapacity, clearStoragePool, storagePoolStatus } from './storage-pool.js';
export {
  kernels,
  setBackend,
  getBackend,
  registerBackend,
  jsBackend,
  setThreads,
  getThreads,
  threadPoolStatus,
  setWorkerSpin,
  wasmFeatures,
  type KernelBackend,
} from './kernels/index.js';

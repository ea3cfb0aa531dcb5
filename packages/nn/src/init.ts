import {
  type FloatDType,
  type Generator,
  type Tensor,
  ValueError,
  full,
  normal as normalTensor,
  uniform as uniformTensor,
} from '@nn/tensor';

/**
 * Weight initializers (the seeds' 001 §5.2, 002 §29). Each `init.*(...)` returns an `Initializer`:
 * a function from a shape (and the layer's fan-in/fan-out, dtype and generator) to a fresh
 * Tensor. Pass one to a layer: `new Linear(784, 50, { init: init.he() })`.
 *
 * Fan-in: the number of inputs feeding one output unit. Layers pass it explicitly; when they do
 * not, it is read from the shape (see `fans`).
 */

/** What a layer tells an initializer besides the shape. @example init.he()([3, 3, 5, 5], { fanIn: 75, dtype: 'float64' }) */
export interface InitContext {
  /** Inputs per output unit (Linear: inFeatures). Default: from the shape, see `fans`. */
  fanIn?: number;
  /** Outputs per input unit (Linear: outFeatures). Default: from the shape, see `fans`. */
  fanOut?: number;
  /** Element type of the result (default float32). */
  dtype?: FloatDType;
  /** The layer's generator, used when the initializer was not given its own. */
  generator?: Generator;
}

/**
 * Makes a weight tensor of `shape`.
 * @example const W = init.he()([784, 50]); // std √(2/784)
 */
export type Initializer = (shape: readonly number[], context?: InitContext) => Tensor;

/**
 * Fan-in and fan-out read from a weight's shape: for a 2-d (in, out) weight — our Linear/Affine
 * layout `x·W` — fanIn = shape[0], fanOut = shape[1]; for a convolution filter
 * (outChannels, inChannels, kh, kw) fanIn = inChannels·kh·kw and fanOut = outChannels·kh·kw;
 * for a 1-d shape both are its length.
 * @example init.fans([784, 50]); // { fanIn: 784, fanOut: 50 }
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function resolved(
  shape: readonly number[],
  context: InitContext = {},
): { fanIn: number; fanOut: number; dtype: FloatDType } {
  const fromShape = fans(shape);
  return {
    fanIn: context.fanIn ?? fromShape.fanIn,
    fanOut: context.fanOut ?? fromShape.fanOut,
    dtype: context.dtype ?? 'float32',
  };
}

function gaussian(name: string, stdOf: (fanIn: number, fanOut: number) => number, generator?: Generator): Initializer {
  return (shape, context = {}) => {
    const { fanIn, fanOut, dtype } = resolved(shape, context);
    const std = stdOf(fanIn, fanOut);
    if (!Number.isFinite(std))
      throw new ValueError(`init.${name}: cannot initialise shape (${shape.join(',')}) with fanIn=${fanIn}`);
    return normalTensor(0, std, shape, { dtype, generator: generator ?? context.generator });
  };
}

/**
 * Gaussian with a fixed standard deviation — the seeds' `0.01 * np.random.randn(...)` (default
 * std 0.01).
 * @example new Linear(784, 50, { init: init.normal(0.01) })
 */
export function normal(std = 0.01, generator?: Generator): Initializer {
  if (!(std >= 0)) throw new ValueError(`init.normal: std must be >= 0, got ${std}`);
  return gaussian('normal', () => std, generator);
}

/**
 * The seeds' "Xavier" initial value: Gaussian with std 1/√fanIn (`np.random.randn(n, m) /
 * np.sqrt(n)`), suited to sigmoid and tanh. (Glorot's own paper averages fan-in and fan-out;
 * that variant is `xavierUniform`.)
 * @example new Linear(100, 100, { init: init.xavier() })
 */
export function xavier(generator?: Generator): Initializer {
  return gaussian('xavier', (fanIn) => 1 / Math.sqrt(fanIn), generator);
}

/**
 * Glorot/Xavier uniform: U(−a, a) with a = √(6/(fanIn + fanOut)), so the variance is
 * 2/(fanIn + fanOut) (Keras' and PyTorch's `xavier_uniform`).
 * @example new Linear(100, 100, { init: init.xavierUniform() })
 */
export function xavierUniform(generator?: Generator): Initializer {
  return (shape, context = {}) => {
    const { fanIn, fanOut, dtype } = resolved(shape, context);
    const a = Math.sqrt(6 / (fanIn + fanOut));
    return a > 0
      ? uniformTensor(-a, a, shape, { dtype, generator: generator ?? context.generator })
      : full(shape, 0, { dtype });
  };
}

/**
 * The seeds' He (Kaiming) initial value for ReLU layers: Gaussian with std √(2/fanIn).
 * @example new Linear(784, 100, { init: init.he() })
 */
export function he(generator?: Generator): Initializer {
  return gaussian('he', (fanIn) => Math.sqrt(2 / fanIn), generator);
}

/**
 * Uniform in [low, high).
 * @example init.uniform(-0.1, 0.1)([3, 4])
 */
export function uniform(low = -0.05, high = 0.05, generator?: Generator): Initializer {
  if (!(low < high)) throw new ValueError(`init.uniform: need low < high, got low=${low}, high=${high}`);
  return (shape, context = {}) =>
    uniformTensor(low, high, shape, { dtype: context.dtype ?? 'float32', generator: generator ?? context.generator });
}

/**
 * All zeros (the seeds' biases). Zero *weights* cannot learn: every unit would stay identical.
 * @example new Linear(3, 2, { biasInit: init.zeros() })
 */
export function zeros(): Initializer {
  return constant(0);
}

/**
 * Every element `value` (BatchNorm's gamma starts at 1).
 * @example init.constant(1)([10])
 */
export function constant(value: number): Initializer {
  if (!Number.isFinite(value)) throw new ValueError(`init.constant: value must be finite, got ${value}`);
  return (shape, context = {}) => full(shape, value, { dtype: context.dtype ?? 'float32' });
}

import {
  type Tensor,
  ValueError,
  gelu as tensorGelu,
  geluBackward,
  reluBackward,
  sigmoidBackward,
  where as tensorWhere,
} from '@nn/tensor';
import { type BatchedInput, asBatch, batchAxis, exampleNdim, padExampleAxes } from '../batching.js';
import { sumTangents } from '../dual.js';
import { Function, type Operand, nameNodes } from '../function.js';
import type { Variable } from '../variable.js';

/**
 * Activations. Each backward is written in terms of the output y where that is cheaper and
 * exact (sigmoid, tanh, softmax), as the seeds' Sigmoid layer does; so is each forward-mode rule
 * (`jvp`: the tangent ẏ from the input's tangent ẋ), which for these elementwise maps is the
 * backward's own formula with ẋ in place of dy. Their batching rules (`batch`, for vmap) apply
 * the same op to the whole batch; softmax's axis moves one place, past the batch axis.
 */

/** The seeds' Sigmoid layer: y = 1/(1 + e^−x), dx = dy·y·(1 − y). */
export class Sigmoid extends Function {
  override get rule(): string {
    return 'Sigmoid: dx = dy·y·(1 − y)';
  }
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
  backward(gy: Variable): Variable {
    return new SigmoidGrad().apply(gy, this.outputs[0]);
  }
  /** ẏ = ẋ·y·(1 − y), the same single node as the backward */
  override jvp(t: Variable): Variable {
    return new SigmoidGrad().apply(t, this.outputs[0]);
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return sigmoid(x.value);
  }
}

/**
 * Sigmoid's backward as one node, dx = dy·y·(1 − y) in a single pass over dy and the output y
 * (three nodes and two temporaries otherwise). It depends on y too, so second derivatives flow
 * through both inputs.
 * @example new SigmoidGrad().apply(gy, y)
 */
export class SigmoidGrad extends Function {
  override get rule(): string {
    return 'SigmoidGrad: ddy = ddx·y·(1 − y), dy_out = ddx·dy·(1 − 2y)';
  }
  forward(gy: Tensor, y: Tensor): Tensor {
    return sigmoidBackward(gy, y);
  }
  backward(ggx: Variable): [Variable | null, Variable | null] {
    const [gy, y] = this.inputs;
    return [
      this.needsInputGrad[0] ? new SigmoidGrad().apply(ggx, y) : null,
      this.needsInputGrad[1] ? ggx.mul(gy).mul(y.mul(-2).add(1)) : null,
    ];
  }
  /** out = dy·y·(1 − y), so ȯut = SigmoidGrad(ḋy, y) + dy·ẏ·(1 − 2y) */
  override jvp(tGy: Variable | null, tY: Variable | null): Variable | null {
    const [gy, y] = this.inputs;
    return sumTangents(tGy && new SigmoidGrad().apply(tGy, y), tY && tY.mul(gy).mul(y.mul(-2).add(1)));
  }
  /** both inputs as the whole batch (a shared one repeated), so the shapes stay equal for backward */
  override batch(inputs: readonly BatchedInput[], size: number): Variable {
    const [gy, y] = inputs.map((input) => asBatch(input, size));
    return new SigmoidGrad().apply(gy, y);
  }
}

export class Tanh extends Function {
  override get rule(): string {
    return 'Tanh: dx = dy·(1 − y²)';
  }
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
  backward(gy: Variable): Variable {
    const y = this.outputs[0];
    return gy.mul(y.square().neg().add(1));
  }
  /** ẏ = ẋ·(1 − y²) */
  override jvp(t: Variable): Variable {
    const y = this.outputs[0];
    return t.mul(y.square().neg().add(1));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return tanh(x.value);
  }
}

/** max(0, x); the gradient at 0 is 0. The mask is a constant, so second derivatives are 0. */
export class ReLU extends Function {
  override get rule(): string {
    return 'ReLU: dx = dy where x > 0, else 0';
  }
  forward(x: Tensor): Tensor {
    return x.relu();
  }
  backward(gy: Variable): Variable {
    return new ReLUGrad(this.inputs[0].data).apply(gy);
  }
  /** ẏ = ẋ where x > 0, else 0 */
  override jvp(t: Variable): Variable {
    return new ReLUGrad(this.inputs[0].data).apply(t);
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return relu(x.value);
  }
}

/**
 * ReLU's backward as one node: dy where x > 0, else 0, in a single pass over dy and x. The mask
 * is constant, so its own backward masks the same way (and ReLU's second derivative is 0).
 * @example new ReLUGrad(x).apply(gy)
 */
export class ReLUGrad extends Function {
  constructor(readonly x: Tensor) {
    super();
  }
  override get rule(): string {
    return 'ReLUGrad: ddy = ddx where x > 0, else 0';
  }
  forward(gy: Tensor): Tensor {
    return reluBackward(gy, this.x);
  }
  backward(ggx: Variable): Variable {
    return new ReLUGrad(this.x).apply(ggx);
  }
  /** linear in dy: the same mask on ḋy */
  override jvp(t: Variable): Variable {
    return new ReLUGrad(this.x).apply(t);
  }
  /** the same mask (one example's) on the whole batch of dy: it broadcasts over the batch axis */
  override batch([gy]: readonly BatchedInput[]): Variable {
    return new ReLUGrad(this.x).apply(padExampleAxes(gy, this.x.ndim));
  }
}

/** x where x > 0, else slope·x. */
export class LeakyReLU extends Function {
  constructor(readonly slope: number) {
    super();
  }
  override get rule(): string {
    return `LeakyReLU: dx = dy where x > 0, else ${this.slope}·dy`;
  }
  forward(x: Tensor): Tensor {
    return tensorWhere(x.gt(0), x, x.mul(this.slope));
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0].data;
    return gy.mul(tensorWhere(x.gt(0), 1, this.slope).astype(gy.dtype));
  }
  /** ẏ = ẋ where x > 0, else slope·ẋ */
  override jvp(t: Variable): Variable {
    const x = this.inputs[0].data;
    return t.mul(tensorWhere(x.gt(0), 1, this.slope).astype(t.dtype));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return leakyRelu(x.value, this.slope);
  }
}

/** How GELU computes Φ: exactly with erf ('none', PyTorch's default) or by the tanh approximation. */
export type GELUApproximation = 'none' | 'tanh';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const ONE_OVER_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * Gaussian error linear unit, y = x·Φ(x) with Φ the standard normal CDF (Hendrycks and Gimpel).
 * - 'none': Φ(x) = (1 + erf(x/√2))/2, and dy/dx = Φ(x) + x·φ(x), φ the normal density;
 * - 'tanh': Φ(x) ≈ (1 + tanh(u))/2 with u = √(2/π)·(x + 0.044715x³), differentiated as written
 *   (the derivative of the approximation, as PyTorch's, not the exact derivative).
 * Forward and backward are single passes (the `gelu` and `geluBackward` kernels, and the GELUGrad
 * node): composed of nodes, GELU and its gradient made about twenty passes over the activations.
 */
export class GELU extends Function {
  constructor(readonly approximate: GELUApproximation = 'none') {
    super();
  }
  override get rule(): string {
    return this.approximate === 'tanh'
      ? "GELU('tanh'): dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)), t = tanh(√(2/π)(x + 0.044715x³))"
      : 'GELU: dx = dy·(Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(−x²/2)/√(2π)';
  }
  forward(x: Tensor): Tensor {
    return tensorGelu(x, this.approximate);
  }
  backward(gy: Variable): Variable {
    return new GELUGrad(this.approximate).apply(gy, this.inputs[0]);
  }
  /** ẏ = ẋ·dy/dx: the same single node as the backward */
  override jvp(t: Variable): Variable {
    return new GELUGrad(this.approximate).apply(t, this.inputs[0]);
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return gelu(x.value, this.approximate);
  }
}

/**
 * GELU's backward as one node, dx = dy·gelu′(x), in a single pass over dy and x. It depends on x
 * too, so its own backward gives second derivatives: for a gradient ddx of its output,
 *   d dy = GELUGrad(ddx, x)        d x = ddx·dy·gelu″(x)
 * with gelu″ composed of nodes (so third derivatives flow as well):
 *   'none': gelu″(x) = φ(x)·(2 − x²);
 *   'tanh': gelu″(x) = (1 − t²)·(u′ − x·t·u′² + 3·√(2/π)·0.044715·x²), u′ = √(2/π)(1 + 3·0.044715x²).
 * @example new GELUGrad('none').apply(gy, x) // what GELU's backward returns
 */
export class GELUGrad extends Function {
  constructor(readonly approximate: GELUApproximation = 'none') {
    super();
  }
  override get rule(): string {
    return `GELUGrad${this.approximate === 'tanh' ? "('tanh')" : ''}: ddy = ddx·gelu′(x), dx_out = ddx·dy·gelu″(x)`;
  }
  forward(gy: Tensor, x: Tensor): Tensor {
    return geluBackward(gy, x, this.approximate);
  }
  backward(ggx: Variable): [Variable | null, Variable | null] {
    const [gy, x] = this.inputs;
    return [
      this.needsInputGrad[0] ? new GELUGrad(this.approximate).apply(ggx, x) : null,
      this.needsInputGrad[1] ? ggx.mul(gy).mul(geluSecondDerivative(x, this.approximate)) : null,
    ];
  }
  /** out = dy·gelu′(x), so ȯut = GELUGrad(ḋy, x) + dy·ẋ·gelu″(x) */
  override jvp(tGy: Variable | null, tX: Variable | null): Variable | null {
    const [gy, x] = this.inputs;
    return sumTangents(
      tGy && new GELUGrad(this.approximate).apply(tGy, x),
      tX && tX.mul(gy).mul(geluSecondDerivative(x, this.approximate)),
    );
  }
  /** both inputs as the whole batch (a shared one repeated), so the shapes stay equal for backward */
  override batch(inputs: readonly BatchedInput[], size: number): Variable {
    const [gy, x] = inputs.map((input) => asBatch(input, size));
    return new GELUGrad(this.approximate).apply(gy, x);
  }
}

/** gelu″(x) as a graph of nodes (see GELUGrad). */
function geluSecondDerivative(x: Variable, approximate: GELUApproximation): Variable {
  const x2 = x.square();
  if (approximate === 'tanh') {
    const t = tanh(x2.mul(GELU_CUBIC).add(1).mul(x).mul(SQRT_2_OVER_PI));
    const du = x2
      .mul(3 * GELU_CUBIC)
      .add(1)
      .mul(SQRT_2_OVER_PI);
    const inner = du.sub(x.mul(t).mul(du.square())).add(x2.mul(3 * SQRT_2_OVER_PI * GELU_CUBIC));
    return t.square().neg().add(1).mul(inner);
  }
  const pdf = x2.mul(-0.5).exp().mul(ONE_OVER_SQRT_2PI);
  return pdf.mul(x2.neg().add(2));
}

/**
 * Sigmoid linear unit (swish with β = 1), y = x·σ(x); dy/dx = σ(x)·(1 + x·(1 − σ(x))). One node
 * rather than Mul of x and Sigmoid: one output buffer, and one name in the graph a reader knows.
 */
export class SiLU extends Function {
  override get rule(): string {
    return 'SiLU: dx = dy·σ(x)·(1 + x·(1 − σ(x)))';
  }
  forward(x: Tensor): Tensor {
    return x.mul(x.sigmoid());
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.derivative());
  }
  /** ẏ = ẋ·σ(x)·(1 + x·(1 − σ(x))) */
  override jvp(t: Variable): Variable {
    return t.mul(this.derivative());
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return silu(x.value);
  }
  private derivative(): Variable {
    const x = this.inputs[0];
    const s = sigmoid(x);
    return s.mul(x.mul(s.neg().add(1)).add(1));
  }
}

/** Softmax along `axis` (max-shifted, stable): dx = y·(dy − Σ dy·y). */
export class Softmax extends Function {
  constructor(readonly axis: number) {
    super();
  }
  override get rule(): string {
    return 'Softmax: dx = y·(dy − Σ_axis dy·y)';
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.axis);
  }
  backward(gy: Variable): Variable {
    const y = this.outputs[0];
    const gyy = gy.mul(y);
    return gyy.sub(y.mul(gyy.sum(this.axis, { keepdims: true })));
  }
  /** ẏ = y·(ẋ − Σ_axis ẋ·y) */
  override jvp(t: Variable): Variable {
    const y = this.outputs[0];
    const ty = t.mul(y);
    return ty.sub(y.mul(ty.sum(this.axis, { keepdims: true })));
  }
  /** the same op along the axis shifted past the batch axis */
  override batch([x]: readonly BatchedInput[]): Variable {
    return softmax(x.value, batchAxis('softmax', this.axis, exampleNdim(x)));
  }
}

/** log(softmax(x)) as x − logsumexp(x): stable where softmax underflows. dx = dy − softmax(x)·Σ dy. */
export class LogSoftmax extends Function {
  constructor(readonly axis: number) {
    super();
  }
  override get rule(): string {
    return 'LogSoftmax: dx = dy − exp(y)·Σ_axis dy';
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.axis);
  }
  backward(gy: Variable): Variable {
    const y = this.outputs[0];
    return gy.sub(y.exp().mul(gy.sum(this.axis, { keepdims: true })));
  }
  /** ẏ = ẋ − Σ_axis exp(y)·ẋ */
  override jvp(t: Variable): Variable {
    const y = this.outputs[0];
    return t.sub(y.exp().mul(t).sum(this.axis, { keepdims: true }));
  }
  /** the same op along the axis shifted past the batch axis */
  override batch([x]: readonly BatchedInput[]): Variable {
    return logSoftmax(x.value, batchAxis('logSoftmax', this.axis, exampleNdim(x)));
  }
}

/** Logistic sigmoid. @example F.sigmoid(x.matmul(W)) */
export function sigmoid(x: Operand): Variable {
  return new Sigmoid().apply(x);
}
/** Hyperbolic tangent. @example F.tanh(x) */
export function tanh(x: Operand): Variable {
  return new Tanh().apply(x);
}
/** Rectified linear unit. @example F.relu(h) */
export function relu(x: Operand): Variable {
  return new ReLU().apply(x);
}
/** Leaky ReLU with `slope` for negative inputs (default 0.01). @example F.leakyRelu(h, 0.2) */
export function leakyRelu(x: Operand, slope = 0.01): Variable {
  return new LeakyReLU(slope).apply(x);
}
/**
 * GELU, x·Φ(x): exact (erf) by default, or `'tanh'` for the approximation GPT-2 and BERT used
 * (PyTorch's `approximate` argument). @example F.gelu(h) // F.gelu(h, 'tanh')
 */
export function gelu(x: Operand, approximate: GELUApproximation = 'none'): Variable {
  if (approximate !== 'none' && approximate !== 'tanh')
    throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  return new GELU(approximate).apply(x);
}
/** SiLU (swish), x·σ(x). @example F.silu(h) */
export function silu(x: Operand): Variable {
  return new SiLU().apply(x);
}
/** Softmax along `axis` (default last). @example F.softmax(scores) */
export function softmax(x: Operand, axis = -1): Variable {
  return new Softmax(axis).apply(x);
}
/** Log-softmax along `axis` (default last). @example F.logSoftmax(scores) */
export function logSoftmax(x: Operand, axis = -1): Variable {
  return new LogSoftmax(axis).apply(x);
}

nameNodes({ Sigmoid, SigmoidGrad, Tanh, ReLU, ReLUGrad, LeakyReLU, GELU, GELUGrad, SiLU, Softmax, LogSoftmax });

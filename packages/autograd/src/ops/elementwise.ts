import {
  type Tensor,
  ValueError,
  logicalAnd,
  maximum as tensorMaximum,
  minimum as tensorMinimum,
  where as tensorWhere,
} from '@nn/tensor';
import { type BatchedInput, alignForBroadcast, exampleNdim, padExampleAxes } from '../batching.js';
import { sumTangents } from '../dual.js';
import { Function, type Operand, nameNodes } from '../function.js';
import { Variable } from '../variable.js';

/**
 * Elementwise arithmetic. Binary nodes broadcast their operands, so they say `broadcasts`: their
 * backward returns gradients in the output's shape and the engine sums each back to its input's
 * shape (SumTo) — broadcasting is undone in that one place, never here. Their forward-mode rule
 * (`jvp`, a null tangent being zero) may likewise return a tangent of an input's shape, and it is
 * broadcast to the output's shape in one place (dual.ts). Their batching rule (`batch`, for vmap)
 * is the same op on the whole batch: a unary op as it is, a binary op after giving a batched
 * input of fewer example axes size-1 axes behind its batch axis (alignForBroadcast), so that
 * example axes broadcast against example axes.
 */

type Tangent = Variable | null;

/** Base of the nodes whose forward broadcasts its operands (NumPy rules). */
export abstract class BroadcastingFunction extends Function {
  override get broadcasts(): boolean {
    return true;
  }
}

// ---- the seeds' Add and Mul -----------------------------------------------------------------------

/**
 * The seeds' addition node: the gradient passes through unchanged to both inputs.
 *
 *   x0 ──┐                 dy ──► dx0
 *        (+)──► y           dy ──► dx1
 *   x1 ──┘
 */
export class Add extends BroadcastingFunction {
  override get rule(): string {
    return 'Add: dx0 = dy, dx1 = dy';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return x0.add(x1);
  }
  backward(gy: Variable): Gradients2 {
    return [gy, gy];
  }
  /** ẏ = ẋ0 + ẋ1 */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    return sumTangents(t0, t1);
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return add(a, b);
  }
}

/**
 * The seeds' multiplication node: each input's gradient is dy times the *other* input
 * (the "swap" of the apple example: d(price)/d(apple) = apple_num · tax).
 */
export class Mul extends BroadcastingFunction {
  override get rule(): string {
    return 'Mul: dx0 = dy·x1, dx1 = dy·x0';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return x0.mul(x1);
  }
  backward(gy: Variable): Gradients2 {
    const [x0, x1] = this.inputs;
    return [this.needsInputGrad[0] ? gy.mul(x1) : null, this.needsInputGrad[1] ? gy.mul(x0) : null];
  }
  /** ẏ = ẋ0·x1 + x0·ẋ1 */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    const [x0, x1] = this.inputs;
    return sumTangents(t0 && t0.mul(x1), t1 && x0.mul(t1));
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return mul(a, b);
  }
}

type Gradients2 = [Variable | null, Variable | null];

export class Sub extends BroadcastingFunction {
  override get rule(): string {
    return 'Sub: dx0 = dy, dx1 = −dy';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return x0.sub(x1);
  }
  backward(gy: Variable): Gradients2 {
    return [gy, this.needsInputGrad[1] ? gy.neg() : null];
  }
  /** ẏ = ẋ0 − ẋ1 */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    if (t1 === null) return t0;
    return t0 === null ? t1.neg() : t0.sub(t1);
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return sub(a, b);
  }
}

export class Div extends BroadcastingFunction {
  override get rule(): string {
    return 'Div: dx0 = dy/x1, dx1 = −dy·x0/x1²';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return x0.div(x1);
  }
  backward(gy: Variable): Gradients2 {
    const [x0, x1] = this.inputs;
    const g0 = gy.div(x1);
    return [this.needsInputGrad[0] ? g0 : null, this.needsInputGrad[1] ? g0.mul(x0).div(x1).neg() : null];
  }
  /** ẏ = (ẋ0 − y·ẋ1)/x1 */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    const x1 = this.inputs[1];
    return sumTangents(t0, t1 && t1.mul(this.outputs[0]).neg())!.div(x1);
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return div(a, b);
  }
}

/** x0 ** x1. The exponent's gradient (which needs log x0) is computed only when the exponent requires grad. */
export class Pow extends BroadcastingFunction {
  override get rule(): string {
    return 'Pow: dx0 = dy·x1·x0^(x1−1), dx1 = dy·y·log(x0)';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return x0.pow(x1);
  }
  backward(gy: Variable): Gradients2 {
    const [x0, x1] = this.inputs;
    const g0 = this.needsInputGrad[0] ? gy.mul(x1).mul(x0.pow(x1.sub(1))) : null;
    const g1 = this.needsInputGrad[1] ? gy.mul(this.outputs[0]).mul(x0.log()) : null;
    return [g0, g1];
  }
  /** ẏ = ẋ0·x1·x0^(x1−1) + ẋ1·y·log(x0) (the log only when the exponent has a tangent) */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    const [x0, x1] = this.inputs;
    return sumTangents(t0 && t0.mul(x1).mul(x0.pow(x1.sub(1))), t1 && t1.mul(this.outputs[0]).mul(x0.log()));
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return pow(a, b);
  }
}

/**
 * Elementwise larger (Maximum) or smaller (Minimum) of two broadcast operands. The gradient goes to
 * the operand that won; where they tie it is **split evenly**, dy/2 to each (PyTorch's rule), so
 * the two gradients still sum to dy and neither side is favoured.
 */
abstract class Elementwise2Extreme extends BroadcastingFunction {
  abstract readonly kind: 'maximum' | 'minimum';
  override get rule(): string {
    const wins = this.kind === 'maximum' ? '>' : '<';
    return `${this.name}: dx0 = dy where x0 ${wins} x1, dy/2 where x0 = x1, else 0; dx1 likewise`;
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return this.kind === 'maximum' ? tensorMaximum(x0, x1) : tensorMinimum(x0, x1);
  }
  backward(gy: Variable): Gradients2 {
    const [x0, x1] = this.inputs;
    return [
      this.needsInputGrad[0] ? gy.mul(this.share(x0.data, x1.data, gy.dtype)) : null,
      this.needsInputGrad[1] ? gy.mul(this.share(x1.data, x0.data, gy.dtype)) : null,
    ];
  }
  /** ẏ = ẋ0·share0 + ẋ1·share1, the shares of the backward (constants) */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    const [x0, x1] = this.inputs;
    return sumTangents(
      t0 && t0.mul(this.share(x0.data, x1.data, t0.dtype)),
      t1 && t1.mul(this.share(x1.data, x0.data, t1.dtype)),
    );
  }
  /** the same op on the whole batch, example axes aligned */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const [a, b] = alignForBroadcast(inputs);
    return this.kind === 'maximum' ? maximum(a, b) : minimum(a, b);
  }
  /** 1 where `a` wins against `b`, 1/2 where they tie, 0 where it loses (broadcast to the output's shape). */
  private share(a: Tensor, b: Tensor, dtype: Tensor['dtype']): Tensor {
    const wins = this.kind === 'maximum' ? a.gt(b) : a.lt(b);
    return tensorWhere(wins, 1, tensorWhere(a.eq(b), 0.5, 0)).astype(dtype);
  }
}

/** max(x0, x1) elementwise; ties split the gradient evenly. */
export class Maximum extends Elementwise2Extreme {
  readonly kind = 'maximum';
}

/** min(x0, x1) elementwise; ties split the gradient evenly. */
export class Minimum extends Elementwise2Extreme {
  readonly kind = 'minimum';
}

// ---- unary ----------------------------------------------------------------------------------------

export class Neg extends Function {
  override get rule(): string {
    return 'Neg: dx = −dy';
  }
  forward(x: Tensor): Tensor {
    return x.neg();
  }
  backward(gy: Variable): Variable {
    return gy.neg();
  }
  /** ẏ = −ẋ */
  override jvp(t: Variable): Variable {
    return t.neg();
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return neg(x.value);
  }
}

export class Exp extends Function {
  override get rule(): string {
    return 'Exp: dx = dy·y';
  }
  forward(x: Tensor): Tensor {
    return x.exp();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.outputs[0]);
  }
  /** ẏ = ẋ·y */
  override jvp(t: Variable): Variable {
    return t.mul(this.outputs[0]);
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return exp(x.value);
  }
}

export class Log extends Function {
  override get rule(): string {
    return 'Log: dx = dy/x';
  }
  forward(x: Tensor): Tensor {
    return x.log();
  }
  backward(gy: Variable): Variable {
    return gy.div(this.inputs[0]);
  }
  /** ẏ = ẋ/x */
  override jvp(t: Variable): Variable {
    return t.div(this.inputs[0]);
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return log(x.value);
  }
}

/** log(1 + x), accurate for small x (log(1 + x) would round 1 + x first). */
export class Log1p extends Function {
  override get rule(): string {
    return 'Log1p: dx = dy/(1 + x)';
  }
  forward(x: Tensor): Tensor {
    return x.log1p();
  }
  backward(gy: Variable): Variable {
    return gy.div(this.inputs[0].add(1));
  }
  /** ẏ = ẋ/(1 + x) */
  override jvp(t: Variable): Variable {
    return t.div(this.inputs[0].add(1));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return log1p(x.value);
  }
}

/** eˣ − 1, accurate for small x (exp(x) − 1 would cancel). */
export class Expm1 extends Function {
  override get rule(): string {
    return 'Expm1: dx = dy·(y + 1)';
  }
  forward(x: Tensor): Tensor {
    return x.expm1();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.outputs[0].add(1));
  }
  /** ẏ = ẋ·(y + 1) */
  override jvp(t: Variable): Variable {
    return t.mul(this.outputs[0].add(1));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return expm1(x.value);
  }
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (GELU's exact form is built on it). */
export class Erf extends Function {
  override get rule(): string {
    return 'Erf: dx = dy·(2/√π)·e^(−x²)';
  }
  forward(x: Tensor): Tensor {
    return x.erf();
  }
  backward(gy: Variable): Variable {
    return gy.mul(erfDerivative(this.inputs[0]));
  }
  /** ẏ = ẋ·(2/√π)·e^(−x²) */
  override jvp(t: Variable): Variable {
    return t.mul(erfDerivative(this.inputs[0]));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return erf(x.value);
  }
}

/** (2/√π)·e^(−x²) as a graph, so that second derivatives flow through it. */
function erfDerivative(x: Variable): Variable {
  return x.square().neg().exp().mul(TWO_OVER_SQRT_PI);
}

export class Sqrt extends Function {
  override get rule(): string {
    return 'Sqrt: dx = dy/(2y)';
  }
  forward(x: Tensor): Tensor {
    return x.sqrt();
  }
  backward(gy: Variable): Variable {
    return gy.div(this.outputs[0].mul(2));
  }
  /** ẏ = ẋ/(2y) */
  override jvp(t: Variable): Variable {
    return t.div(this.outputs[0].mul(2));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return sqrt(x.value);
  }
}

export class Sin extends Function {
  override get rule(): string {
    return 'Sin: dx = dy·cos(x)';
  }
  forward(x: Tensor): Tensor {
    return x.sin();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].cos());
  }
  /** ẏ = ẋ·cos(x) */
  override jvp(t: Variable): Variable {
    return t.mul(this.inputs[0].cos());
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return sin(x.value);
  }
}

export class Cos extends Function {
  override get rule(): string {
    return 'Cos: dx = −dy·sin(x)';
  }
  forward(x: Tensor): Tensor {
    return x.cos();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].sin()).neg();
  }
  /** ẏ = −ẋ·sin(x) */
  override jvp(t: Variable): Variable {
    return t.mul(this.inputs[0].sin()).neg();
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return cos(x.value);
  }
}

export class Square extends Function {
  override get rule(): string {
    return 'Square: dx = 2x·dy';
  }
  forward(x: Tensor): Tensor {
    return x.square();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].mul(2));
  }
  /** ẏ = 2x·ẋ */
  override jvp(t: Variable): Variable {
    return t.mul(this.inputs[0].mul(2));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return square(x.value);
  }
}

/** |x|; the gradient at 0 is 0 (sign(0) = 0), as in PyTorch. */
export class Abs extends Function {
  override get rule(): string {
    return 'Abs: dx = dy·sign(x)';
  }
  forward(x: Tensor): Tensor {
    return x.abs();
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].data.sign());
  }
  /** ẏ = ẋ·sign(x) */
  override jvp(t: Variable): Variable {
    return t.mul(this.inputs[0].data.sign());
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return abs(x.value);
  }
}

/** Limits x to [min, max]; the gradient flows where min ≤ x ≤ max (PyTorch's convention at the bounds). */
export class Clip extends Function {
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    super();
  }
  override get rule(): string {
    return `Clip: dx = dy where ${this.min} ≤ x ≤ ${this.max}, else 0`;
  }
  forward(x: Tensor): Tensor {
    return x.clip(this.min, this.max);
  }
  backward(gy: Variable): Variable {
    const x = this.inputs[0].data;
    return gy.mul(logicalAnd(x.ge(this.min), x.le(this.max)));
  }
  /** ẏ = ẋ where min ≤ x ≤ max, else 0 */
  override jvp(t: Variable): Variable {
    const x = this.inputs[0].data;
    return t.mul(logicalAnd(x.ge(this.min), x.le(this.max)));
  }
  /** elementwise: the same op on the whole batch */
  override batch([x]: readonly BatchedInput[]): Variable {
    return clip(x.value, this.min, this.max);
  }
}

/** Picks x0 where `condition` holds, else x1 (broadcast together); the condition is a constant. */
export class Where extends BroadcastingFunction {
  constructor(readonly condition: Tensor) {
    super();
  }
  override get rule(): string {
    return 'Where: dx0 = where(c, dy, 0), dx1 = where(c, 0, dy)';
  }
  forward(x0: Tensor, x1: Tensor): Tensor {
    return tensorWhere(this.condition, x0, x1);
  }
  backward(gy: Variable): Gradients2 {
    const c = this.condition;
    return [this.needsInputGrad[0] ? where(c, gy, 0) : null, this.needsInputGrad[1] ? where(c, 0, gy) : null];
  }
  /** ẏ = where(c, ẋ0, ẋ1) */
  override jvp(t0: Tangent, t1: Tangent): Tangent {
    if (t0 === null && t1 === null) return null;
    return where(this.condition, t0 ?? 0, t1 ?? 0);
  }
  /** where on the whole batch; the condition (one example's, a constant) broadcasts over the batch */
  override batch(inputs: readonly BatchedInput[]): Variable {
    const ndim = Math.max(this.condition.ndim, ...inputs.map(exampleNdim));
    const [a, b] = inputs.map((input) => padExampleAxes(input, ndim));
    return where(this.condition, a, b);
  }
}

// ---- functions ------------------------------------------------------------------------------------

/** a + b with broadcasting. @example F.add(x, 1) */
export function add(a: Operand, b: Operand): Variable {
  return new Add().apply(a, b);
}
/** a − b with broadcasting. @example F.sub(1, x) */
export function sub(a: Operand, b: Operand): Variable {
  return new Sub().apply(a, b);
}
/** a · b elementwise with broadcasting. @example F.mul(x, W) */
export function mul(a: Operand, b: Operand): Variable {
  return new Mul().apply(a, b);
}
/** a / b with broadcasting. @example F.div(x, 2) */
export function div(a: Operand, b: Operand): Variable {
  return new Div().apply(a, b);
}
/** a ** b with broadcasting. @example F.pow(x, 3) */
export function pow(a: Operand, b: Operand): Variable {
  return new Pow().apply(a, b);
}
/** −x. @example F.neg(x) */
export function neg(x: Operand): Variable {
  return new Neg().apply(x);
}
/** eˣ. @example F.exp(x) */
export function exp(x: Operand): Variable {
  return new Exp().apply(x);
}
/** Natural logarithm. @example F.log(x) */
export function log(x: Operand): Variable {
  return new Log().apply(x);
}
/** log(1 + x), exact for small x. @example F.log1p(F.exp(x)) // softplus */
export function log1p(x: Operand): Variable {
  return new Log1p().apply(x);
}
/** eˣ − 1, exact for small x. @example F.expm1(x) */
export function expm1(x: Operand): Variable {
  return new Expm1().apply(x);
}
/** The error function. @example F.erf(x.div(Math.SQRT2)) // 2Φ(x) − 1 */
export function erf(x: Operand): Variable {
  return new Erf().apply(x);
}
/** Elementwise maximum with broadcasting (PyTorch's torch.maximum); ties split the gradient. @example F.maximum(x, 0) */
export function maximum(a: Operand, b: Operand): Variable {
  return new Maximum().apply(a, b);
}
/** Elementwise minimum with broadcasting (torch.minimum); ties split the gradient. @example F.minimum(x, 1) */
export function minimum(a: Operand, b: Operand): Variable {
  return new Minimum().apply(a, b);
}
/** √x. @example F.sqrt(x) */
export function sqrt(x: Operand): Variable {
  return new Sqrt().apply(x);
}
/** sin x. @example F.sin(x) */
export function sin(x: Operand): Variable {
  return new Sin().apply(x);
}
/** cos x. @example F.cos(x) */
export function cos(x: Operand): Variable {
  return new Cos().apply(x);
}
/** x². @example F.square(x) */
export function square(x: Operand): Variable {
  return new Square().apply(x);
}
/** |x|. @example F.abs(x) */
export function abs(x: Operand): Variable {
  return new Abs().apply(x);
}
/** Limits x to [min, max]. @example F.clip(p, 1e-7, 1 - 1e-7) */
export function clip(x: Operand, min: number, max: number): Variable {
  if (!(min <= max)) throw new ValueError(`clip: need min <= max, got min=${min}, max=${max}`);
  return new Clip(min, max).apply(x);
}
/**
 * `a` where `condition` is true, else `b`, all broadcast together. The condition is a constant
 * (a Tensor, or a Variable whose data is used).
 *
 * @example F.where(x.data.gt(0), x, x.mul(0.1)) // leaky ReLU
 */
export function where(condition: Tensor | Variable, a: Operand, b: Operand): Variable {
  const c = condition instanceof Variable ? condition.data : condition;
  return new Where(c).apply(a, b);
}

nameNodes({
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
});

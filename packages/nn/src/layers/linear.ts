import { type FloatDType, type Generator, ShapeError, type ShapeType, ValueError, formatShape } from '@nn/tensor';
import { type Variable, linear } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import type { LastDim, LastDimCheck, WithLast } from '../shapes.js';

/** Options of `Linear`. @example new Linear(784, 50, { init: init.he(), bias: true, dtype: 'float64' }) */
export interface LinearOptions {
  /** Learn a bias `b` (default true). */
  bias?: boolean;
  /** Initializer of `W` (default `init.xavier()`: std 1/√inFeatures, the seeds' Xavier). */
  init?: init.Initializer;
  /** Initializer of `b` (default zeros, as in the seeds). */
  biasInit?: init.Initializer;
  /** Element type of the parameters (default float32; float64 for gradient checks). */
  dtype?: FloatDType;
  /** Random stream for initializers that were not given their own. */
  generator?: Generator;
}

/**
 * The seeds' Affine layer: y = x·W + b, with W of shape (inFeatures, outFeatures) and b of shape
 * (outFeatures), broadcast over the batch rows. Composed from the MatMul and Add nodes, so the
 * graph shows exactly the seeds' dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ_rows dY. Inputs may have extra
 * leading axes (N, ..., inFeatures).
 *
 * Parameters: `W`, `b` (`b` is null without bias). Default init: W ~ N(0, 1/inFeatures) (Xavier
 * as the seeds define it), b = 0.
 *
 * @example
 * const fc = new Linear(784, 50, { init: init.he() });
 * fc.forward(x).shape; // [N, 50] for x of shape [N, 784]
 */
export class Linear<In extends number = number, Out extends number = number> extends Module {
  /** @internal Type only: maps `[...B, In]` to `[...B, Out]` (see shapes.ts). */
  declare readonly shapeRule?: LastDim<In, Out>;
  declare readonly shapeName?: 'Linear';
  W: Parameter;
  b: Parameter | null;

  constructor(
    readonly inFeatures: In,
    readonly outFeatures: Out,
    options: LinearOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ValueError(`Linear: ${what} must be a positive integer, got ${n}`);
    }
    const context: init.InitContext = {
      fanIn: inFeatures,
      fanOut: outFeatures,
      dtype: options.dtype ?? 'float32',
      generator: options.generator,
    };
    this.W = new Parameter((options.init ?? init.xavier())([inFeatures, outFeatures], context), { name: 'W' });
    this.b =
      options.bias === false
        ? null
        : new Parameter((options.biasInit ?? init.zeros())([outFeatures], context), { name: 'b' });
  }

  forward<S extends ShapeType>(x: Variable<S> & LastDimCheck<'Linear', S, In>): Variable<WithLast<S, Out>> {
    checkForwardInput(this, x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear(${this.inFeatures}→${this.outFeatures}): expected an input whose last axis has ${this.inFeatures} features, got shape ${formatShape(x.shape)}`,
      );
    }
    return linear(x, this.W, this.b) as Variable<WithLast<S, Out>>;
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.b !== null}`;
  }
}

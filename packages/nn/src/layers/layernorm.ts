import { type FloatDType, ShapeError, ValueError, formatShape, full } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of `LayerNorm`. @example new LayerNorm(128, { eps: 1e-6, elementwiseAffine: true }) */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  /** Learn a per-element scale `weight` (ones) and shift `bias` (zeros) of `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, learn the shift `bias` too (default true; PyTorch's `bias` argument). */
  bias?: boolean;
  /** Element type of weight and bias (default float32). */
  dtype?: FloatDType;
}

/**
 * Layer normalization (Ba, Kiros and Hinton), as PyTorch's nn.LayerNorm: each sample is normalized
 * over its last `normalizedShape.length` axes, which must equal `normalizedShape`:
 *
 *   y = (x − E[x]) / √(Var[x] + eps) · weight + bias
 *
 * with the mean and the **biased** variance (divided by the count) over those axes. Unlike
 * BatchNorm there are no running statistics: training and eval compute the same thing.
 *
 * Composed from graph nodes (mean, sub, square, add, sqrt, div, mul), so its backward is the one
 * autograd derives and second derivatives work.
 *
 * Parameters `weight` (ones) and `bias` (zeros) of shape `normalizedShape`, PyTorch's names, so a
 * PyTorch state dict maps key for key; absent (null) without `elementwiseAffine`.
 *
 * @example
 * const norm = new LayerNorm(128);
 * norm.forward(x).shape; // x's shape, e.g. (batch, time, 128)
 */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || shape.some((n) => !Number.isInteger(n) || n <= 0))
      throw new ValueError(
        `LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`,
      );
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new ValueError(`LayerNorm: eps must be >= 0, got ${this.eps}`);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.elementwiseAffine ? new Parameter(full(shape, 1, { dtype }), { name: 'weight' }) : null;
    this.bias =
      this.elementwiseAffine && options.bias !== false
        ? new Parameter(full(shape, 0, { dtype }), { name: 'bias' })
        : null;
  }

  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    const k = this.normalizedShape.length;
    const trailing = x.shape.slice(x.ndim - k);
    if (x.ndim < k || trailing.some((n, i) => n !== this.normalizedShape[i])) {
      throw new ShapeError(
        `LayerNorm(${formatShape(this.normalizedShape)}): expected an input whose last ${k} ax${k === 1 ? 'is is' : 'es are'} ${formatShape(this.normalizedShape)}, got shape ${formatShape(x.shape)}`,
      );
    }
    const axes = this.normalizedShape.map((_, i) => x.ndim - k + i);
    const centered = x.sub(x.mean(axes, { keepdims: true }));
    const variance = centered.square().mean(axes, { keepdims: true });
    let y = centered.div(variance.add(this.eps).sqrt());
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

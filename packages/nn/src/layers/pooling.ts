import { type ShapeType, type Size2d, ShapeError, formatShape, sizePair, sizeText } from '@nn/tensor';
import { type Variable, avgPool2d, maxPool2d } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import type { LayerCheck, LayerOutput, Window2d } from '../shapes.js';

/**
 * Pooling layers (the seeds' Pooling): no parameters, channels pooled independently, output
 * (N, C, OH, OW) with OH = (H + 2·pad − size)/stride + 1 — a size that does not divide evenly is
 * a ShapeError, as the seeds ask.
 */

/** Options of `MaxPool2d` and `AvgPool2d`. @example new MaxPool2d(3, { stride: 2, pad: 1 }) */
export interface PoolingOptions {
  /** Step between windows (default: the window size, so windows tile the image). */
  stride?: Size2d;
  /** Padding on every side (default 0); smaller than the window. */
  pad?: Size2d;
}

abstract class Pooling<
  const K extends Size2d = Size2d,
  const O extends PoolingOptions = PoolingOptions,
> extends Module {
  /** @internal Type only: (N, C, H, W) → (N, C, OH, OW) with the sizes computed where literal. */
  declare readonly shapeRule?: Window2d<
    number,
    'same',
    K,
    O['stride'] extends Size2d ? O['stride'] : K,
    O['pad'] extends Size2d ? O['pad'] : 0
  >;
  readonly size: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number];

  constructor(size: K, options: O = {} as O) {
    super();
    const layer = new.target.name;
    this.size = sizePair(layer, 'size', size, 1);
    this.stride = sizePair(layer, 'stride', options.stride ?? this.size, 1);
    this.pad = sizePair(layer, 'pad', options.pad ?? 0, 0);
  }

  protected checkInput(x: Variable): void {
    if (x.ndim !== 4)
      throw new ShapeError(
        `${this.constructor.name}: expected an input of shape (N, C, H, W), got ${formatShape(x.shape)}`,
      );
  }

  protected get options(): { size: [number, number]; stride: [number, number]; pad: [number, number] } {
    return { size: this.size, stride: this.stride, pad: this.pad };
  }

  override extraRepr(): string {
    return `size=${sizeText(this.size)}, stride=${sizeText(this.stride)}, pad=${sizeText(this.pad)}`;
  }
}

/**
 * Max pooling: the largest value of each window. The gradient goes to the position of each
 * window's maximum (the first one on ties); padding never wins.
 *
 * @example
 * new MaxPool2d(2).forward(h).shape; // [N, 30, 12, 12] for h of shape (N, 30, 24, 24)
 */
export class MaxPool2d<
  const K extends Size2d = Size2d,
  const O extends PoolingOptions = PoolingOptions,
> extends Pooling<K, O> {
  declare readonly shapeName?: 'MaxPool2d';
  forward<S extends ShapeType>(
    x: Variable<S> & LayerCheck<MaxPool2d<K, O>, S>,
  ): Variable<LayerOutput<MaxPool2d<K, O>, S>> {
    checkForwardInput(this, x);
    this.checkInput(x);
    return maxPool2d(x, this.options) as Variable<LayerOutput<MaxPool2d<K, O>, S>>;
  }
}

/**
 * Average pooling: the mean of each window (padding counts as zeros; the divisor is always
 * size·size). The gradient spreads dy/(FH·FW) over the window.
 *
 * @example
 * new AvgPool2d(2).forward(h).shape; // [N, C, H/2, W/2]
 */
export class AvgPool2d<
  const K extends Size2d = Size2d,
  const O extends PoolingOptions = PoolingOptions,
> extends Pooling<K, O> {
  declare readonly shapeName?: 'AvgPool2d';
  forward<S extends ShapeType>(
    x: Variable<S> & LayerCheck<AvgPool2d<K, O>, S>,
  ): Variable<LayerOutput<AvgPool2d<K, O>, S>> {
    checkForwardInput(this, x);
    this.checkInput(x);
    return avgPool2d(x, this.options) as Variable<LayerOutput<AvgPool2d<K, O>, S>>;
  }
}

import {
  type FloatDType,
  type Generator,
  ShapeError,
  type ShapeType,
  type Size2d,
  ValueError,
  formatShape,
  sizePair,
  sizeText,
} from '@nn/tensor';
import { type Variable, conv2d } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import type { LayerCheck, LayerOutput, Window2d } from '../shapes.js';

/** Options of `Conv2d`. @example new Conv2d(1, 30, 5, { stride: 1, pad: 0, init: init.normal(0.01) }) */
export interface Conv2dOptions {
  /** Step between filter positions (default 1); a number or [height, width]. */
  stride?: Size2d;
  /** Zeros added on every side (default 0); a number or [height, width]. */
  pad?: Size2d;
  /** Learn a bias `b` (default true). */
  bias?: boolean;
  /** Initializer of `W` (default `init.he()`: std √(2/(C·FH·FW)), for ReLU networks). */
  init?: init.Initializer;
  /** Initializer of `b` (default zeros, as in the seeds). */
  biasInit?: init.Initializer;
  /** Element type of the parameters (default float32; float64 for gradient checks). */
  dtype?: FloatDType;
  /** Random stream for initializers that were not given their own. */
  generator?: Generator;
}

/**
 * The seeds' Convolution layer: x (N, inChannels, H, W) → (N, outChannels, OH, OW) with filters
 * `W` of shape (outChannels, inChannels, FH, FW) — the seeds' (FN, C, FH, FW) — and a bias `b` of
 * shape (outChannels), OH = (H + 2·pad − FH)/stride + 1 (a size that does not divide evenly is a
 * ShapeError). One Conv2d node in the graph (unfold + matrix product per image; see docs/cnn.md).
 *
 * Default init: He, W ~ N(0, 2/(inChannels·FH·FW)); b = 0. The parameter names `W` and `b` are
 * the seeds', so the book's SimpleConvNet weights (W1, b1) load by renaming the keys only.
 *
 * @example
 * const conv = new Conv2d(1, 30, 5);               // SimpleConvNet's layer: 30 filters of 5×5
 * conv.forward(images).shape;                       // [100, 30, 24, 24] for images (100, 1, 28, 28)
 * new Conv2d(16, 32, 3, { pad: 1 });                // keeps H×W
 */
export class Conv2d<
  In extends number = number,
  Out extends number = number,
  const K extends Size2d = Size2d,
  const O extends Conv2dOptions = Conv2dOptions,
> extends Module {
  /** @internal Type only: (N, In, H, W) → (N, Out, OH, OW) with the sizes computed where literal. */
  declare readonly shapeRule?: Window2d<
    In,
    Out,
    K,
    O['stride'] extends Size2d ? O['stride'] : 1,
    O['pad'] extends Size2d ? O['pad'] : 0
  >;
  declare readonly shapeName?: 'Conv2d';
  W: Parameter;
  b: Parameter | null;
  /** [FH, FW]. */
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number];

  constructor(
    readonly inChannels: In,
    readonly outChannels: Out,
    kernelSize: K,
    options: O = {} as O,
  ) {
    super();
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ValueError(`Conv2d: ${what} must be a positive integer, got ${n}`);
    }
    this.kernelSize = sizePair('Conv2d', 'kernelSize', kernelSize, 1);
    this.stride = sizePair('Conv2d', 'stride', options.stride ?? 1, 1);
    this.pad = sizePair('Conv2d', 'pad', options.pad ?? 0, 0);
    const [FH, FW] = this.kernelSize;
    const context: init.InitContext = {
      fanIn: inChannels * FH * FW,
      fanOut: outChannels * FH * FW,
      dtype: options.dtype ?? 'float32',
      generator: options.generator,
    };
    this.W = new Parameter((options.init ?? init.he())([outChannels, inChannels, FH, FW], context), { name: 'W' });
    this.b =
      options.bias === false
        ? null
        : new Parameter((options.biasInit ?? init.zeros())([outChannels], context), { name: 'b' });
  }

  forward<S extends ShapeType>(
    x: Variable<S> & LayerCheck<Conv2d<In, Out, K, O>, S>,
  ): Variable<LayerOutput<Conv2d<In, Out, K, O>, S>> {
    checkForwardInput(this, x);
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `Conv2d(${this.inChannels}→${this.outChannels}): expected an input of shape (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`,
      );
    }
    return conv2d(x, this.W, this.b, { stride: this.stride, pad: this.pad }) as Variable<
      LayerOutput<Conv2d<In, Out, K, O>, S>
    >;
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${sizeText(this.kernelSize)}, stride=${sizeText(this.stride)}, pad=${sizeText(this.pad)}, bias=${this.b !== null}`;
  }
}

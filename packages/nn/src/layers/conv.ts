import { type FloatDType, type Generator, ShapeError, type Size2d, ValueError, formatShape } from '@nn/tensor';
import { type Variable, conv2d } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';

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
 * @internal A validated [height, width] pair from a number or a pair; `what` names it in the error.
 * @example sizePair('Conv2d', 'kernelSize', 5, 1) // [5, 5]
 */
export function sizePair(layer: string, what: string, value: Size2d, min: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : value;
  if (![h, w].every((v) => Number.isInteger(v) && v >= min)) {
    throw new ValueError(
      `${layer}: ${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or a [height, width] pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return [h, w];
}

/**
 * @internal A pair as printed by `toString()`.
 * @example pairText([5, 5]) // "5"; pairText([3, 5]) // "(3,5)"
 */
export function pairText([h, w]: readonly [number, number]): string {
  return h === w ? String(h) : `(${h},${w})`;
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
export class Conv2d extends Module {
  W: Parameter;
  b: Parameter | null;
  /** [FH, FW]. */
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2d,
    options: Conv2dOptions = {},
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

  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `Conv2d(${this.inChannels}→${this.outChannels}): expected an input of shape (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`,
      );
    }
    return conv2d(x, this.W, this.b, { stride: this.stride, pad: this.pad });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}, pad=${pairText(this.pad)}, bias=${this.b !== null}`;
  }
}

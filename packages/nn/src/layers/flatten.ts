import { type Variable, flatten } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import type { Flattens } from '../shapes.js';

/**
 * Collapses axes startAxis..endAxis into one (default: everything but the batch axis), e.g.
 * images (N, 1, 28, 28) → (N, 784) before a Linear layer. A Reshape node: a view, no copy.
 * @example new Flatten().forward(images).shape; // [N, 784]
 */
export class Flatten<Start extends number = 1, End extends number = -1> extends Module {
  /** @internal Type only: the output shape, known when the flattening runs to the last axis. */
  declare readonly shapeRule?: End extends -1 ? Flattens<Start> : unknown;
  constructor(
    readonly startAxis: Start = 1 as Start,
    readonly endAxis: End = -1 as End,
  ) {
    super();
  }
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return flatten(x, this.startAxis, this.endAxis);
  }
  override extraRepr(): string {
    return `startAxis=${this.startAxis}, endAxis=${this.endAxis}`;
  }
}

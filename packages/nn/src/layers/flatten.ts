import { type Variable, flatten } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';

/**
 * Collapses axes startAxis..endAxis into one (default: everything but the batch axis), e.g.
 * images (N, 1, 28, 28) → (N, 784) before a Linear layer. A Reshape node: a view, no copy.
 * @example new Flatten().forward(images).shape; // [N, 784]
 */
export class Flatten extends Module {
  constructor(
    readonly startAxis = 1,
    readonly endAxis = -1,
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

import { ValueError } from '@nn/tensor';
import {
  type GELUApproximation,
  type Variable,
  gelu,
  leakyRelu,
  relu,
  sigmoid,
  silu,
  softmax,
  tanh,
} from '@nn/autograd';
import type { SameShape } from '../shapes.js';
import { Module, checkForwardInput } from '../module.js';

/**
 * Activation layers: thin Modules around the autograd nodes of the same name, so they can sit in
 * a Sequential. They have no parameters.
 */

/**
 * The seeds' Sigmoid layer, y = 1/(1 + e^−x) (backward dy·y·(1 − y)).
 * @example new Sequential(new Linear(2, 3), new Sigmoid())
 */
export class Sigmoid extends Module {
  declare readonly shapeRule?: SameShape;
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return sigmoid(x);
  }
}

/**
 * The seeds' Relu layer, y = max(0, x) (gradient 0 at x = 0).
 * @example new Sequential(new Linear(784, 100), new ReLU())
 */
export class ReLU extends Module {
  declare readonly shapeRule?: SameShape;
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return relu(x);
  }
}

/**
 * Hyperbolic tangent, y = tanh(x) (backward dy·(1 − y²)).
 * @example new Tanh().forward(x)
 */
export class Tanh extends Module {
  declare readonly shapeRule?: SameShape;
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return tanh(x);
  }
}

/**
 * y = x where x > 0, else slope·x (default slope 0.01).
 * @example new LeakyReLU(0.2)
 */
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return leakyRelu(x, this.slope);
  }
  override extraRepr(): string {
    return `slope=${this.slope}`;
  }
}

/**
 * Gaussian error linear unit, y = x·Φ(x) (PyTorch's nn.GELU): exact with erf by default, or
 * `'tanh'` for ½x(1 + tanh(√(2/π)(x + 0.044715x³))), the approximation GPT-2 and BERT used.
 * @example new Sequential(new Linear(128, 512), new GELU(), new Linear(512, 128))
 */
export class GELU extends Module {
  constructor(readonly approximate: GELUApproximation = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new ValueError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return this.approximate === 'none' ? '' : `approximate='${this.approximate}'`;
  }
}

/**
 * Sigmoid linear unit (swish), y = x·σ(x) (PyTorch's nn.SiLU).
 * @example new Sequential(new Linear(64, 64), new SiLU())
 */
export class SiLU extends Module {
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return silu(x);
  }
}

/**
 * Softmax along `axis` (default the last), max-shifted against overflow as in the seeds. For
 * training, prefer feeding raw scores to `softmaxCrossEntropy` (fused and stable).
 * @example new Softmax().forward(scores).sum(-1) // ones
 */
export class Softmax extends Module {
  declare readonly shapeRule?: SameShape;
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return softmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/**
 * The identity, y = x (the seeds' identity output function for regression; also a placeholder).
 * @example new Identity().forward(x) === x // true
 */
export class Identity extends Module {
  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    return x;
  }
}

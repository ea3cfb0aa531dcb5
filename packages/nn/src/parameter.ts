import { DTypeError, Tensor, ValueError } from '@nn/tensor';
import { Variable } from '@nn/autograd';

/** Options of `new Parameter(...)`. @example new Parameter(zeros([10]), { name: 'b' }) */
export interface ParameterOptions {
  /** A label for graphs and error messages (layers set it to the field name, e.g. `W`). */
  name?: string | null;
  /** Whether the optimizer should train it (default true). Set false to freeze a parameter. */
  requiresGrad?: boolean;
}

/**
 * A trainable value of a Module: a leaf Variable that requires grad. A Module finds its
 * Parameters by walking its own fields, so assigning one to a field is all it takes to register
 * it (`parameters()`, `stateDict()`, optimizers then see it).
 *
 * Optimizers and `loadStateDict` keep the Parameter object and change its value, so references
 * held elsewhere (an optimizer's state, a tied weight) stay valid.
 *
 * @example
 * class Scale extends Module {
 *   s = new Parameter(ones([1]), { name: 's' });
 *   forward(x: Variable): Variable { return x.mul(this.s); }
 * }
 * new Scale().parameters().length; // 1
 */
export class Parameter extends Variable {
  constructor(data: Tensor, options: ParameterOptions = {}) {
    if (!(data instanceof Tensor)) throw new ValueError(`Parameter: data must be a Tensor, got ${typeof data}`);
    if (data.dtype !== 'float32' && data.dtype !== 'float64') {
      throw new DTypeError(`Parameter: data must be float32 or float64 to receive gradients, got ${data.dtype}`);
    }
    super(data, { name: options.name ?? null, requiresGrad: options.requiresGrad ?? true });
  }
}

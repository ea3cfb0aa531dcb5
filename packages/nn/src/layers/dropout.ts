import { Generator, ValueError, rand } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';

/** Options of `Dropout`. @example new Dropout(0.5, { generator: new Generator(0), scaleAtTest: false }) */
export interface DropoutOptions {
  /** Random stream for the masks (default: the global one that `seed(n)` resets). */
  generator?: Generator;
  /**
   * Use the seeds' variant: survivors are not scaled in training and eval multiplies by (1 − p).
   * Default false (inverted dropout). Set it to run weights trained with the book's code.
   */
  scaleAtTest?: boolean;
}

/**
 * Dropout (the seeds' 001 §5.4.3, 002 §31), by default in its "inverted" form: in training each element is
 * dropped (set to 0) with probability `p` and the survivors are scaled by 1/(1 − p); in eval mode
 * the layer is the identity. The backward is the seeds' `dout * mask` (with the same scale): the
 * mask is a constant multiplied in by a Mul node.
 *
 * The seeds' variant (`scaleAtTest: true`) keeps survivors unscaled and multiplies by (1 − p) at
 * test time. In both, the test-time activation equals the expected training-time activation, so
 * both train equally well; they differ by the constant factor 1/(1 − p) in both phases. Hence
 * weights trained with one variant give the same predictions under that same variant: to run the
 * book's trained weights, either set `scaleAtTest: true`, or keep inverted dropout and multiply
 * the weights (not the biases) of the layer after each Dropout by (1 − p).
 *
 * @example
 * const drop = new Dropout(0.5, { generator: new Generator(0) });
 * drop.forward(x);          // training: about half zeroed, the rest doubled
 * drop.eval().forward(x);   // x itself
 */
export class Dropout extends Module {
  /** The stream the masks are drawn from; null for the global generator. Assignable (e.g. to replay a mask). */
  generator: Generator | null;
  /** The seeds' scale-at-test variant instead of inverted dropout. */
  readonly scaleAtTest: boolean;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = options.generator ?? null;
    this.scaleAtTest = options.scaleAtTest ?? false;
  }

  forward(x: Variable): Variable {
    checkForwardInput(this, x);
    if (!this.training) return this.scaleAtTest && this.p !== 0 ? x.mul(1 - this.p) : x;
    if (this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
    // The seeds' mask: keep where a uniform draw exceeds p (probability 1 − p).
    const u = rand(x.shape, { dtype, ...(this.generator ? { generator: this.generator } : {}) });
    const keep = u.gt(this.p).astype(dtype);
    return x.mul(this.scaleAtTest ? keep : keep.mul(1 / (1 - this.p)));
  }

  override extraRepr(): string {
    return this.scaleAtTest ? `p=${this.p}, scaleAtTest=true` : `p=${this.p}`;
  }
}

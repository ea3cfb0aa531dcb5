import { NNError } from '@nn/tensor';

/**
 * Misuse of the graph: backward through a freed graph, backward of a non-scalar without a seed,
 * backward of a value that does not require grad, a node returning a gradient of the wrong shape.
 *
 * @example
 * try { y.backward(); y.backward(); } catch (e) { if (e instanceof AutogradError) console.log(e.message); }
 */
export class AutogradError extends NNError {
  override name = 'AutogradError';
}

/**
 * A NaN or infinity found by `detectAnomaly`, naming the node and where it was created.
 *
 * @example
 * try { detectAnomaly(() => variable(-1).log()); } catch (e) { e instanceof AnomalyError; } // true
 */
export class AnomalyError extends AutogradError {
  override name = 'AnomalyError';
}

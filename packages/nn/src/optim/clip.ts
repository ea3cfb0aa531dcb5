import { ValueError } from '@nn/tensor';
import { Variable } from '@nn/autograd';

/**
 * Clips gradients by their global norm: if ‖g‖ = √(Σ over every parameter's gradient of g²)
 * exceeds `maxNorm`, every gradient is scaled by maxNorm/‖g‖ so the global norm becomes
 * maxNorm (directions are kept). Parameters without a gradient are ignored. Returns the norm
 * before clipping; a non-finite norm is returned without touching the gradients (skip that step).
 *
 * Scaled gradients are new tensors assigned to `grad`, never written in place: a gradient
 * tensor may be shared with another parameter's gradient after backward.
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 5);
 * optimizer.step();
 */
export function clipGradNorm(params: Iterable<Variable>, maxNorm: number): number {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new ValueError(`clipGradNorm: maxNorm must be a positive finite number, got ${String(maxNorm)}`);
  }
  const withGrad = [...new Set(params)].filter((p): p is Variable & { grad: Variable } => {
    if (!(p instanceof Variable)) throw new ValueError('clipGradNorm: params must be Parameters or Variables');
    return p.grad !== null;
  });
  let sumOfSquares = 0;
  for (const p of withGrad) {
    const g = p.grad.data.contiguous();
    const values = g.data;
    for (let i = g.offset; i < g.offset + g.size; i++) sumOfSquares += values[i] * values[i];
  }
  const norm = Math.sqrt(sumOfSquares);
  if (Number.isFinite(norm) && norm > maxNorm) {
    // The small constant keeps the clipped norm at or just below maxNorm despite rounding.
    const scale = maxNorm / (norm + 1e-6);
    for (const p of withGrad) p.grad = new Variable(p.grad.data.mul(scale), { requiresGrad: false });
  }
  return norm;
}

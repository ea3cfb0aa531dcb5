import { describe, expect, it } from 'vitest';
import { main } from '../per-example-gradients.js';

describe('per-example-gradients example', () => {
  it('the mean of the vmap(grad) gradients is the batch gradient, and both SGD and DP-SGD learn the spiral', async () => {
    const result = await main({ smoke: true });
    // float64 throughout: the same sums in another order.
    expect(result.meanVersusBatch).toBeLessThan(1e-12);
    // 30 epochs (smoke): well above chance (1/3) for both; the clipping cuts many examples at first, fewer later.
    expect(result.accuracyPlain).toBeGreaterThan(0.8);
    expect(result.accuracyPrivate).toBeGreaterThan(0.6);
    expect(result.clippedFraction).toHaveLength(30);
    expect(result.clippedFraction[0]).toBeGreaterThan(0.5);
    expect(result.clippedFraction.at(-1)!).toBeLessThan(result.clippedFraction[0]);
  });
});

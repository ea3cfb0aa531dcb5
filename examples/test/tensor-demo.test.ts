import { describe, expect, it, vi } from 'vitest';
import { main } from '../tensor-demo.js';

describe('tensor-demo example', () => {
  it('exports main, as `pnpm example tensor-demo` needs, and prints the tour', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const result = await main();
      expect(result.sum).toBe(21);
      expect(result.sameSeedSameNumbers).toBe(true);
      // trace(m·mᵀ) is the sum of squares of 65,536 standard normals: 65,536 ± a few hundred
      expect(result.trace).toBeGreaterThan(0.95 * 65_536);
      expect(result.trace).toBeLessThan(1.05 * 65_536);
      expect(log.mock.calls.map((call) => String(call[0]))).toContain('\n== seeded randomness ==');
    } finally {
      log.mockRestore();
    }
  });
});

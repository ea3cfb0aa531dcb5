import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../newton.js';

describe('newton example', () => {
  it("reproduces DeZero's Newton iterates, Rosenbrock's Hessian, and reaches (1, 1) far sooner than gradient descent", async () => {
    const out = mkdtempSync(join(tmpdir(), 'newton-'));
    const result = await main({ smoke: true, out });

    // DeZero step 29 prints 2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513, 1.0000012353089454, …
    const dezero = [
      2, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513, 1.0000012353089454,
    ];
    dezero.forEach((x, i) => expect(result.quarticNewton[i]).toBeCloseTo(x, 14));
    expect(result.quarticNewton.at(-1)).toBe(1);
    expect(result.quarticDescentSteps).toBeGreaterThan(100);

    expect(result.hessianAt02).toEqual([
      [-798, 0],
      [0, 200],
    ]);
    expect(result.hvpAt02).toEqual([-798, 200]);
    const [x0, x1] = result.rosenbrockNewton.at(-1)!;
    expect(x0).toBeCloseTo(1, 12);
    expect(x1).toBeCloseTo(1, 12);
    expect(result.rosenbrockNewton.length).toBeLessThanOrEqual(10);
    // gradient descent is still on its way along the valley
    expect(Math.hypot(result.descentFinal[0] - 1, result.descentFinal[1] - 1)).toBeGreaterThan(0.1);

    for (const name of ['rosenbrock', 'distance']) {
      expect(existsSync(join(out, `newton-${name}.svg`))).toBe(true);
      expect(existsSync(join(out, `newton-${name}.png`))).toBe(true);
    }
  });
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../numerical-gradient.js';

/** Equal to `digits` significant digits, the way the book prints NumPy floats (e.g. -6.11110793e-10). */
function expectSignificant(actual: number, expected: number, digits: number): void {
  expect(Number(actual.toPrecision(digits))).toBe(expected);
}

describe('numerical-gradient example', () => {
  it("reproduces the book's derivatives, gradients and gradient-descent end points", async () => {
    const out = mkdtempSync(join(tmpdir(), 'numerical-gradient-'));
    const result = await main({ smoke: true, out });

    // f(x) = 0.01x² + 0.1x with h = 1e-4: the book prints 0.1999999999990898 and 0.2999999999986347
    expect(result.derivative.map((d) => d.numerical)).toEqual([0.1999999999990898, 0.2999999999986347]);
    expect(result.derivative[0].exact).toBeCloseTo(0.2, 15);
    expect(result.derivative[1].exact).toBeCloseTo(0.3, 15);

    // ∇(x0² + x1²) at (3, 4), (0, 2), (3, 0): the book prints [6. 8.], [0. 4.], [6. 0.]
    const expected = [
      [6, 8],
      [0, 4],
      [6, 0],
    ];
    result.gradient.forEach((g, i) => {
      g.numerical.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 10));
      expect(g.exact).toEqual(expected[i]);
    });
    // the partial derivatives at (3, 4), as the book prints them
    expect(result.gradient[0].numerical).toEqual([6.00000000000378, 7.999999999999119]);

    // gradient descent from (-3, 4), 100 steps
    const final = Object.fromEntries(result.descent.map((d) => [d.lr, d.final]));
    expect(result.descent.every((d) => d.steps === 100)).toBe(true);
    const book: [number, number[]][] = [
      [0.1, [-6.11110793e-10, 8.14814391e-10]],
      [10, [-2.58983747e13, -1.29524862e12]],
      [1e-10, [-2.99999994, 3.99999992]],
    ];
    for (const [lr, values] of book) values.forEach((v, j) => expectSignificant(final[lr][j], v, 9));

    for (const name of ['tangent', 'field', 'path', 'distance']) {
      expect(existsSync(join(out, `numerical-gradient-${name}.png`))).toBe(true);
    }
  });
});

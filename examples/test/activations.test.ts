import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../activations.js';

describe('activations example', () => {
  it("reproduces the book's activation values and the softmax overflow guard", async () => {
    const out = mkdtempSync(join(tmpdir(), 'activations-'));
    const result = await main({ smoke: true, out });

    // sigmoid([-1, 1, 2]) = [0.26894142 0.73105858 0.88079708]
    [0.26894142, 0.73105858, 0.88079708].forEach((v, i) => expect(result.sigmoidOfBookInput[i]).toBeCloseTo(v, 8));
    // x = -1, 0, 1, 2
    expect(result.table.step).toEqual([0, 0, 1, 1]);
    expect(result.table.sigmoid[1]).toBe(0.5);
    expect(result.table.relu).toEqual([0, 0, 1, 2]);
    expect(result.table.tanh[1]).toBe(0);
    expect(result.table.identity).toEqual([-1, 0, 1, 2]);

    // softmax([0.3, 2.9, 4.0]) = [0.01821127 0.24519181 0.73659691], summing to 1
    [0.01821127, 0.24519181, 0.73659691].forEach((v, i) => expect(result.softmaxOfBookInput[i]).toBeCloseTo(v, 8));
    expect(result.softmaxSum).toBeCloseTo(1, 15);

    // softmax([1010, 1000, 990]): naive overflows to NaN, guarded gives the book's numbers
    expect(result.naiveSoftmax.every(Number.isNaN)).toBe(true);
    const book = [9.999546e-1, 4.53978686e-5, 2.06106005e-9];
    for (const values of [result.guardedSoftmax, result.librarySoftmax]) {
      values.forEach((v, i) => expect(Math.abs(v - book[i]) / book[i]).toBeLessThan(1e-8));
    }

    // the three-layer network of §2.4.3: [0.31682708 0.69627909]
    [0.31682708, 0.69627909].forEach((v, i) => expect(result.threeLayerOutput[i]).toBeCloseTo(v, 8));

    for (const name of ['step', 'sigmoid', 'step-vs-sigmoid', 'relu', 'all']) {
      expect(existsSync(join(out, `activations-${name}.png`))).toBe(true);
    }
  });
});

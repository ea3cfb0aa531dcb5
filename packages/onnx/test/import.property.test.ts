/**
 * Property: random expression graphs of the fast-check kit (elementwise ops, where, clip, pow,
 * softmaxes, keepdims reductions, broadcasting) survive export → import: the imported Module
 * computes the same outputs (float64, 1e-12) and the same gradients with respect to its inputs
 * (1e-10), and its backward passes gradcheck against central differences (gradcheck's float64
 * tolerances: eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { noGrad, variable } from '@nn/autograd';
import { assertGradcheck, expressionGraphArb } from '@nn/autograd/testing';
import { exportOnnx, importOnnx } from '../src/index.js';
import { expectClose } from './helpers.js';

describe('export → import of random expression graphs', () => {
  it('same outputs and gradients, and the imported graph passes gradcheck', () => {
    fc.assert(
      fc.property(expressionGraphArb({ maxSteps: 8 }), (graph) => {
        const net = importOnnx(exportOnnx(graph.f, graph.inputs, { dynamicAxes: false }));
        const imported = (...xs: ReturnType<typeof variable>[]) => net.run(...xs)[0];
        expectClose(
          noGrad(() => imported(...graph.inputs.map((x) => variable(x))).data),
          noGrad(() => graph.f(...graph.inputs.map((x) => variable(x))).data),
          1e-12,
          graph.description,
        );
        const gradients = (f: typeof imported) => {
          const xs = graph.inputs.map((x) => variable(x));
          f(...xs)
            .sum()
            .backward();
          return xs.map((x) => x.grad!.data);
        };
        const want = gradients(graph.f);
        gradients(imported).forEach((g, i) =>
          expectClose(g, want[i], 1e-10, `gradient of input ${i}: ${graph.description}`),
        );
        assertGradcheck(imported, graph.inputs);
        expect(net.parameters()).toHaveLength(0); // no leaf of these graphs requires grad except the inputs
      }),
      { numRuns: 100 },
    );
  });
});

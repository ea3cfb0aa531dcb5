/**
 * Property: random expression graphs from the fast-check kit of @nn/autograd (1–3 broadcasting
 * inputs, elementwise unary/binary ops, where, clip, pow, softmax/logSoftmax, keepdims
 * reductions) export to ONNX and onnxruntime computes what we compute: float64 to 1e-9 and
 * float32 to 1e-4 (relative to 1 + |value|; float32 chains through exp and pow amplify rounding),
 * at opsets 17 and 18 (where ReduceMax/ReduceMin take their axes as an input).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { noGrad, variable } from '@nn/autograd';
import { expressionGraphArb } from '@nn/autograd/testing';
import { exportOnnx } from '../src/index.js';
import { expectClose, runOrt } from './helpers.js';

describe('random expression graphs agree with onnxruntime', () => {
  for (const [dtype, tolerance, opset] of [
    ['float64', 1e-9, 17],
    ['float32', 1e-4, 18],
  ] as const) {
    it(`${dtype}, opset ${opset}`, async () => {
      await fc.assert(
        fc.asyncProperty(expressionGraphArb({ maxSteps: 8 }), async (graph) => {
          const inputs = graph.inputs.map((x) => x.astype(dtype));
          const names = inputs.map((_, i) => `x${i}`);
          const bytes = exportOnnx(graph.f, inputs, { inputNames: names, dynamicAxes: false, opset });
          const want = noGrad(() => graph.f(...inputs.map((x) => variable(x))).data);
          const got = await runOrt(bytes, Object.fromEntries(names.map((n, i) => [n, inputs[i]])));
          expectClose(got.output, want, tolerance, graph.description);
        }),
        { numRuns: 30 },
      );
    });
  }
});

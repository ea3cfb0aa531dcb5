import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, concat } from '@nn/tensor';
import * as F from '@nn/autograd';
import { AutogradError, type Outputs, type Variable, grad, variable, vmap } from '@nn/autograd';
import { CASES, type Case, NODE_CLASSES, leaves, nodeTypes, weighted } from './node-cases.js';

/**
 * Batching, node by node: for every node class with a batching rule, the case of node-cases.ts
 * (the same cases the forward-mode test draws) becomes a batch of B examples (1–3), each input
 * batched along a drawn axis or shared by all examples (inAxes null), and
 *
 * 1. vmap(f)(xs) equals f applied to each example, stacked along the drawn outAxes;
 * 2. vmap(grad(f)) equals the loop of per-example gradients (of Σ w·f, a scalar of all outputs),
 *    for every argument, shared ones included: this runs each node's rule on the per-example
 *    graph of the backward too.
 *
 * Nothing here is a finite difference: both sides compute the same values, only in a different
 * order (a batched product sums in another order), so the tolerance is float64 rounding:
 * atol 1e-10, rtol 1e-9. A node class without a rule must be listed in WITHOUT_RULE and must
 * throw the named error.
 */

const SCALE = Number(process.env.NN_PROPERTY_SCALE ?? 1);
const RUNS = Math.round(20 * SCALE);
const GRAD_RUNS = Math.round(10 * SCALE);

/** Nodes that only a backward pass records (gradient nodes) and that have no batching rule yet. */
const WITHOUT_RULE = [
  'Conv2dGradInput',
  'Conv2dGradFilter',
  'Col2im',
  'MaxPool2dGrad',
  'AvgPool2dGrad',
  'SoftmaxCrossEntropyGrad',
];

/** A batch built from a case: the batched arguments, their inAxes, and each example's inputs. */
interface Batch {
  c: Case;
  size: number;
  inAxes: (number | null)[];
  outAxis: number;
  args: Tensor[];
  examples: Tensor[][];
}

/** Example b of an input: the case's input scaled (the same signs, so domains like log's hold). */
const exampleOf = (x: Tensor, b: number): Tensor => x.mul(1 + 0.3 * b);

/** Stacks equal-shaped tensors along a new axis `axis`. */
function stackAt(ts: readonly Tensor[], axis: number): Tensor {
  return concat(
    ts.map((t) => t.reshape([...t.shape.slice(0, axis), 1, ...t.shape.slice(axis)])),
    axis,
  );
}

const batchArb = (arb: Arbitrary<Case>): Arbitrary<Batch> =>
  arb.chain((c) =>
    fc
      .record({
        size: fc.integer({ min: 1, max: 3 }),
        // Per input: null (shared) or an axis of the stacked input, 0..ndim.
        axes: fc.tuple(...c.inputs.map((x) => fc.option(fc.integer({ min: 0, max: x.ndim }), { freq: 3 }))),
        outAxisDraw: fc.nat(),
      })
      .map(({ size, axes, outAxisDraw }) => {
        const inAxes = [...(axes as (number | null)[])];
        if (!inAxes.some((a) => a !== null)) inAxes[0] = 0;
        const examples = Array.from({ length: size }, (_, b) =>
          c.inputs.map((x, i) => (inAxes[i] === null ? x : exampleOf(x, b))),
        );
        const args = c.inputs.map((x, i) =>
          inAxes[i] === null
            ? x
            : stackAt(
                examples.map((e) => e[i]),
                inAxes[i]!,
              ),
        );
        // Odd axes given from the end (negative), as a user may.
        const given = inAxes.map((a, i) => (a !== null && a % 2 === 1 ? a - c.inputs[i].ndim - 1 : a));
        return { c, size, inAxes: given, outAxis: outAxisDraw, args, examples };
      }),
  );

function expectClose(got: Tensor, want: Tensor, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g = got.contiguous().toArray() as unknown;
  const w = want.contiguous().toArray() as unknown;
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const [gs, ws] = [flat(g), flat(w)];
  gs.forEach((x, k) => {
    const tolerance = 1e-10 + 1e-9 * Math.abs(ws[k]);
    if (!(Math.abs(x - ws[k]) <= tolerance)) {
      throw new Error(`${what}: element ${k} is ${x}, expected ${ws[k]} (shapes ${got.shape.join('×')})`);
    }
  });
}

const hasRule = (cls: { prototype: F.Function }) => cls.prototype.batch !== F.Function.prototype.batch;
const WITH_RULE = Object.keys(CASES).filter((name) => !WITHOUT_RULE.includes(name));

describe('batching rules', () => {
  it('every node class has a rule, except the gradient nodes listed as without one', () => {
    expect(NODE_CLASSES.filter(([, cls]) => !hasRule(cls)).map(([name]) => name)).toEqual(WITHOUT_RULE);
  });

  it('a node without a rule is a named error inside vmap, never a loop over the examples', () => {
    for (const name of WITHOUT_RULE) {
      const [c] = fc.sample(CASES[name], { numRuns: 1, seed: 1 });
      // Only the last input batched: the node's gradient input, never one whose data f reads.
      const inAxes = c.inputs.map((_, i) => (i === c.inputs.length - 1 ? 0 : null));
      const args = c.inputs.map((x, i) => (inAxes[i] === null ? x : stackAt([x, x], 0)));
      const run = () => vmap(c.f as (...xs: Variable[]) => Outputs, { inAxes })(...args);
      expect(run, name).toThrow(AutogradError);
      expect(run, name).toThrow(new RegExp(`vmap: ${name} has no batching rule`));
    }
  });
});

describe('vmap(f)(xs) equals f stacked over the examples (float64), node by node', () => {
  for (const name of WITH_RULE) {
    it(name, () =>
      fc.assert(
        fc.property(batchArb(CASES[name]), (batch) => {
          const types = nodeTypes(batch.c);
          if (!types.has(name)) throw new Error(`${name} is not in the graph (nodes: ${[...types].join(', ')})`);
          const perExample = batch.examples.map((e) => leaves(batch.c.f(...e.map((x) => variable(x)))));
          // One outAxes for every output: within the smallest output's axes.
          const outAxes = batch.outAxis % (Math.min(...perExample[0].map((y) => y.ndim)) + 1);
          const got = leaves(vmap(batch.c.f, { inAxes: batch.inAxes, outAxes })(...batch.args));
          expect(got.length).toBe(perExample[0].length);
          got.forEach((y, k) =>
            expectClose(
              y.data,
              stackAt(
                perExample.map((ys) => ys[k].data),
                outAxes,
              ),
              `output ${k}`,
            ),
          );
        }),
        { numRuns: RUNS },
      ),
    );
  }
});

describe('vmap(grad(f)) equals the per-example gradients (float64), node by node', () => {
  for (const name of WITH_RULE) {
    it(name, () =>
      fc.assert(
        fc.property(batchArb(CASES[name]), (batch) => {
          const argnums = batch.c.inputs.map((_, i) => i);
          const g = grad(weighted(batch.c.f), argnums);
          const got = vmap(g, { inAxes: batch.inAxes })(...batch.args);
          const want = batch.examples.map((e) => g(...e));
          got.forEach((gi, i) =>
            expectClose(
              gi.data,
              stackAt(
                want.map((w) => w[i].data),
                0,
              ),
              `gradient of argument ${i}`,
            ),
          );
        }),
        { numRuns: GRAD_RUNS },
      ),
    );
  }
});

import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '@nn/autograd';
import { type Variable, grad } from '@nn/autograd';
import { assertJvpcheck, tensorArb } from '@nn/autograd/testing';
import { CASES, type Case, NODE_CLASSES, nodeTypes, weighted } from './node-cases.js';

/**
 * Forward mode, node by node: for every node class of @nn/autograd/nodes (the list
 * test/surface.test.ts keeps equal to the classes of src/ops/), a case of node-cases.ts draws inputs and
 * tangents with the fast-check kit, and
 *
 * 1. jvp equals the central-difference directional derivative (f(x + h·v) − f(x − h·v))/2h;
 * 2. jvp of grad (forward-over-reverse, what hessian and hvp run) equals the central difference of
 *    the gradient along v: this passes through the jvp rules of the nodes each backward records.
 *
 * A node without a case, or without its own jvp rule, fails the first test. All float64; eps
 * 1e-6, atol 1e-5, rtol 1e-3 (gradcheck's). Inputs keep away from kinks (see the arbitraries'
 * `avoid`, `distinct`); shapes stay ≤ 3–4 per axis.
 */

const SCALE = Number(process.env.NN_PROPERTY_SCALE ?? 1);
const RUNS = Math.round(25 * SCALE);
const SECOND_ORDER_RUNS = Math.round(10 * SCALE);

/** A case with tangents of its inputs' shapes. */
const withTangents = (arb: Arbitrary<Case>) =>
  arb.chain((c) => fc.tuple(fc.constant(c), fc.tuple(...c.inputs.map((x) => tensorArb(x.shape, { min: -1, max: 1 })))));

describe('every node has a forward-mode rule', () => {
  it('each node class defines jvp (not the base class error) and has a case here', () => {
    const missingRule = NODE_CLASSES.filter(([, cls]) => cls.prototype.jvp === F.Function.prototype.jvp).map(
      ([name]) => name,
    );
    expect(missingRule).toEqual([]);
    expect(NODE_CLASSES.map(([name]) => name).filter((name) => !(name in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((name) => !NODE_CLASSES.some(([n]) => n === name))).toEqual([]);
  });
});

describe('jvp equals the central-difference directional derivative (float64), node by node', () => {
  for (const [name, arb] of Object.entries(CASES)) {
    it(name, () =>
      fc.assert(
        fc.property(withTangents(arb), ([c, tangents]) => {
          const types = nodeTypes(c);
          if (!types.has(name)) throw new Error(`${name} is not in the graph (nodes: ${[...types].join(', ')})`);
          assertJvpcheck(c.f, c.inputs, tangents);
        }),
        { numRuns: RUNS },
      ),
    );
  }
});

describe('jvp of grad (forward-over-reverse) equals the central difference of grad, node by node', () => {
  for (const [name, arb] of Object.entries(CASES)) {
    it(name, () =>
      fc.assert(
        fc.property(withTangents(arb), ([c, tangents]) => {
          const argnums = c.inputs.map((_, i) => i);
          const gradient = (...xs: Variable[]) => grad(weighted(c.f), argnums)(...xs);
          assertJvpcheck(gradient, c.inputs, tangents);
        }),
        { numRuns: SECOND_ORDER_RUNS },
      ),
    );
  }
});

import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '@nn/tensor';
import * as F from '@nn/autograd';
import { type Variable, grad, variable } from '@nn/autograd';
import { graphToJSON } from '@nn/autograd/inspect';
import * as nodes from '@nn/autograd/nodes';
import { assertJvpcheck, tensorArb } from '@nn/autograd/testing';
import { CASES, type Case } from './node-cases.js';

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

/** The node types in the graph of f at the inputs. */
function nodeTypes(c: Case): Set<string> {
  const outputs = c.f(...c.inputs.map((x) => variable(x)));
  const types = new Set<string>();
  const visit = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(visit);
    else if (o instanceof F.Variable) for (const n of graphToJSON(o).nodes) types.add(n.type);
  };
  visit(outputs);
  return types;
}

/** Σ w·y over f's outputs with fixed weights w (cos of the flat position): a scalar of all of them. */
function weighted(f: Case['f']): (...xs: Variable[]) => Variable {
  return (...xs) => {
    const leaves: Variable[] = [];
    const visit = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(visit);
      else leaves.push(o as Variable);
    };
    visit(f(...xs));
    return leaves
      .map((y, k) => {
        const w = tensor(
          Array.from({ length: y.size }, (_, i) => Math.cos(i + k)),
          { shape: [...y.shape], dtype: 'float64' },
        );
        return y.mul(w).sum();
      })
      .reduce((a, b) => a.add(b));
  };
}

/** The node classes (not the abstract BroadcastingFunction base). */
const NODE_CLASSES = Object.entries(nodes).filter(
  ([name, value]) =>
    typeof value === 'function' && value.prototype instanceof F.Function && name !== 'BroadcastingFunction',
) as [string, { prototype: F.Function }][];

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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, broadcastShapes, randn, seed, tensor } from '@nn/tensor';
import { Function, Variable, variable } from '@nn/autograd';
import * as F from '@nn/autograd';
import {
  EXPRESSION_OPS,
  GradcheckError,
  assertGradcheck,
  assertGradgradcheck,
  broadcastShapesArb,
  expressionGraphArb,
  formatGradcheckReport,
  gradcheck,
  gradgradcheck,
  numericalGrad,
  shapeArb,
  tensorArb,
  tensorOfShapeArb,
  tensorToCode,
} from '@nn/autograd/testing';

/**
 * Tests of the gradient-testing kit itself: the numerical gradient against known derivatives,
 * gradcheck and gradgradcheck against deliberately wrong backwards (they must fail) and correct
 * ones (they must pass), and the arbitraries against their stated bounds.
 */

// ---- custom nodes with known (right and wrong) backwards -------------------------------------------------

/** y = x³ with the correct dx = 3x²·dy, written in graph ops (so it is twice differentiable). */
class Cube extends Function {
  forward(x: Tensor): Tensor {
    return x.mul(x).mul(x);
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].square().mul(3));
  }
}

/** y = x³ with a wrong gradient: 2x² instead of 3x². */
class WrongCube extends Function {
  forward(x: Tensor): Tensor {
    return x.mul(x).mul(x);
  }
  backward(gy: Variable): Variable {
    return gy.mul(this.inputs[0].square().mul(2));
  }
}

/** y = x³ whose backward is right in value but computed on raw tensors: its own derivative is lost. */
class RawCube extends Function {
  forward(x: Tensor): Tensor {
    return x.mul(x).mul(x);
  }
  backward(gy: Variable): Variable {
    return new Variable(gy.data.mul(this.inputs[0].data.square().mul(3)), { requiresGrad: false });
  }
}

/** a·b with the second input's gradient wrong in one element only (the last). */
class AlmostMul extends Function {
  forward(a: Tensor, b: Tensor): Tensor {
    return a.mul(b);
  }
  backward(gy: Variable): [Variable, Variable] {
    const [a, b] = this.inputs;
    const bump = new Float64Array(b.size);
    bump[b.size - 1] = 0.01;
    return [gy.mul(b), gy.mul(a).add(tensor(bump, { shape: b.shape }))];
  }
}

/** Softmax whose backward is zero: invisible to a plain Σ reduction, since Σ softmax(x) = 1. */
class ZeroGradSoftmax extends Function {
  forward(x: Tensor): Tensor {
    return x.softmax(-1);
  }
  backward(gy: Variable): Variable {
    return gy.mul(0);
  }
}

/** Doubles x with a backward that drifts a little on every call (state kept between calls). */
class Drifting extends Function {
  static calls = 0;
  forward(x: Tensor): Tensor {
    return x.mul(2);
  }
  backward(gy: Variable): Variable {
    return gy.mul(2 + 1e-9 * ++Drifting.calls);
  }
}

/** Returns a float32 output whatever the input: ruins the precision of the check. */
class ToFloat32 extends Function {
  forward(x: Tensor): Tensor {
    return x.astype('float32');
  }
  backward(gy: Variable): Variable {
    return gy;
  }
}

const cube = (x: Variable) => new Cube().apply(x);

// ---- numericalGrad -------------------------------------------------------------------------------------------

describe('numericalGrad', () => {
  it('gives d(x²)/dx = 6 at x = 3', () => {
    const [g] = numericalGrad((x) => x.mul(x), [3]);
    expect(g!.item()).toBeCloseTo(6, 8);
  });

  it("gives the seeds' function_2 gradient (6, 8) at (3, 4)", () => {
    // function_2(x) = x[0]² + x[1]²; numerical_gradient(function_2, [3.0, 4.0]) → [6, 8].
    const function2 = (x: Variable) =>
      x
        .getItem(0)
        .mul(x.getItem(0))
        .add(x.getItem(1).mul(x.getItem(1)));
    const [g] = numericalGrad(function2, [[3, 4]]);
    const [g0, g1] = g!.toArray() as number[];
    expect(g0).toBeCloseTo(6, 8);
    expect(g1).toBeCloseTo(8, 8);
  });

  it('differentiates several inputs and skips constants', () => {
    const labels = tensor([1, 0], { dtype: 'int32' });
    const [ga, gb, gi] = numericalGrad((a, b, i) => a.mul(b).take(i.data, 0).sum(), [[2, 5], [7, 11], labels]);
    expect(ga!.toArray()).toEqual([expect.closeTo(7, 6), expect.closeTo(11, 6)]);
    expect(gb!.toArray()).toEqual([expect.closeTo(2, 6), expect.closeTo(5, 6)]);
    expect(gi).toBeNull();
  });

  it('works in float64 on a copy and leaves the caller’s float32 data untouched', () => {
    const x = tensor([0.1, 0.2, 0.3]);
    const before = Array.from(x.toTypedArray());
    const [g] = numericalGrad((v) => v.exp().sum(), [x]);
    expect(g!.dtype).toBe('float64');
    expect(Array.from(x.toTypedArray())).toEqual(before);
    // float64 resolves exp'(0.1) to ~1e-9; in float32 a 1e-6 step would be hopeless.
    expect(Math.abs((g!.toArray() as number[])[0] - Math.exp(Math.fround(0.1)))).toBeLessThan(1e-8);
  });

  it('reduces a non-scalar output with a fixed projection: same seed, same result', () => {
    const f = (x: Variable) => x.sin();
    const [a] = numericalGrad(f, [[0.5, 1, 2]], 1e-6, { seed: 3 });
    const [b] = numericalGrad(f, [[0.5, 1, 2]], 1e-6, { seed: 3 });
    const [c] = numericalGrad(f, [[0.5, 1, 2]], 1e-6, { seed: 4 });
    expect(a!.toArray()).toEqual(b!.toArray());
    expect(a!.toArray()).not.toEqual(c!.toArray());
  });

  it('handles empty inputs', () => {
    const [g] = numericalGrad((x) => x.sum(), [tensor([], { dtype: 'float64' })]);
    expect(g!.shape).toEqual([0]);
  });

  it('rejects a non-positive eps', () => {
    expect(() => numericalGrad((x) => x, [1], 0)).toThrow(/eps/);
  });
});

// ---- gradcheck --------------------------------------------------------------------------------------------

describe('gradcheck', () => {
  it('passes a correct custom node and fails a wrong one', () => {
    const x = tensor(
      [
        [0.5, -1.2],
        [2, 0.3],
      ],
      { dtype: 'float64' },
    );
    const good = gradcheck((v) => cube(v).sum(), [x]);
    expect(good.ok).toBe(true);
    expect(good.inputs[0].maxAbsError).toBeLessThan(1e-6);

    const bad = gradcheck((v) => new WrongCube().apply(v).sum(), [x]);
    expect(bad.ok).toBe(false);
    const report = bad.inputs[0];
    expect(report.ok).toBe(false);
    // The error is x² per element (3x² − 2x²): largest at x = 2, i.e. index [1, 0].
    expect(report.worstIndex).toEqual([1, 0]);
    expect(report.maxAbsError).toBeCloseTo(4, 4);
    expect(report.analytic.toArray()).toEqual([
      [expect.closeTo(0.5, 9), expect.closeTo(2.88, 9)],
      [expect.closeTo(8, 9), expect.closeTo(0.18, 9)],
    ]);
    expect(report.numerical.toArray()).toEqual([
      [expect.closeTo(0.75, 6), expect.closeTo(4.32, 6)],
      [expect.closeTo(12, 6), expect.closeTo(0.27, 6)],
    ]);
  });

  it('finds a single wrong element of one input among several', () => {
    const report = gradcheck((a, b) => new AlmostMul().apply(a, b), [randn([2, 3]), randn([2, 3])]);
    expect(report.ok).toBe(false);
    expect(report.inputs.map((r) => r.ok)).toEqual([true, false]);
    expect(report.inputs[1].worstIndex).toEqual([1, 2]);
    expect(report.inputs[1].maxAbsError).toBeGreaterThan(1e-4);
  });

  it('checks non-scalar outputs through a random projection, not a plain sum', () => {
    // A zero backward for softmax passes if the output is just summed (Σ softmax = 1 is constant);
    // the random projection exposes it.
    const x = randn([2, 4], { dtype: 'float64' });
    const viaSum = gradcheck((v) => new ZeroGradSoftmax().apply(v).sum(), [x]);
    expect(viaSum.ok).toBe(true);
    const projected = gradcheck((v) => new ZeroGradSoftmax().apply(v), [x]);
    expect(projected.ok).toBe(false);
    expect(gradcheck((v) => F.softmax(v), [x]).ok).toBe(true);
  });

  it('names inputs, skips constants and reports shapes', () => {
    const W = variable(randn([3, 2]), { name: 'W' });
    const mask = variable(
      tensor([
        [1, 0],
        [0, 1],
      ]),
      { requiresGrad: false },
    );
    const report = gradcheck((x, w, m) => x.matmul(w).mul(m).sum(), [randn([2, 3]), W, mask]);
    expect(report.ok).toBe(true);
    expect(report.inputs.map((r) => [r.index, r.name, r.shape])).toEqual([
      [0, 'x0', [2, 3]],
      [1, 'W', [3, 2]],
    ]);
    expect(report.outputShape).toEqual([]);
  });

  it('reports a backward that changes between runs (nondetTol)', () => {
    const report = gradcheck((v) => new Drifting().apply(v).sum(), [[1, 2]]);
    expect(report.ok).toBe(false);
    expect(report.inputs[0].problems.join()).toMatch(/not deterministic/);
    expect(gradcheck((v) => new Drifting().apply(v).sum(), [[1, 2]], { nondetTol: 1e-6 }).ok).toBe(true);
  });

  it('refuses to judge a float32 output', () => {
    const report = gradcheck((v) => new ToFloat32().apply(v).sum(), [[1, 2]]);
    expect(report.ok).toBe(false);
    expect(report.problems.join()).toMatch(/float32 output/);
  });

  it('reports NaN gradients as failures', () => {
    const report = gradcheck((v) => v.log().sum(), [[-1, 2]]);
    expect(report.ok).toBe(false);
    expect(report.inputs[0].problems.join()).toMatch(/NaN/);
  });

  it('treats an input the output does not depend on as having a zero gradient', () => {
    const report = gradcheck((a, _b) => a.mul(2).sum(), [[1, 2], [3]]);
    expect(report.ok).toBe(true);
    expect(report.inputs[1].analytic.toArray()).toEqual([0]);
  });

  it('catches f cutting the graph (using .data)', () => {
    const report = gradcheck((v) => v.mul(variable(v.data.mul(1), { requiresGrad: false })).sum(), [[1, 2]]);
    expect(report.ok).toBe(false);
    expect(report.inputs[0].analytic.toArray()).toEqual([1, 2]);
    expect(report.inputs[0].numerical.toArray()).toEqual([expect.closeTo(2, 6), expect.closeTo(4, 6)]);
  });

  it('honours the tolerances', () => {
    // A 1e-4 relative error passes rtol 1e-3 and fails rtol 1e-5 (with atol 0).
    class Scaled extends Function {
      forward(x: Tensor): Tensor {
        return x.mul(x);
      }
      backward(gy: Variable): Variable {
        return gy.mul(this.inputs[0]).mul(2 * (1 + 1e-4));
      }
    }
    const f = (v: Variable) => new Scaled().apply(v).sum();
    expect(gradcheck(f, [[1, 2, 3]]).ok).toBe(true);
    expect(gradcheck(f, [[1, 2, 3]], { rtol: 1e-5, atol: 0 }).ok).toBe(false);
  });

  it('works inside noGrad', () => {
    expect(F.noGrad(() => gradcheck((v) => v.tanh().sum(), [[0.3, -0.2]]).ok)).toBe(true);
  });

  it('throws when nothing can be differentiated', () => {
    expect(() => gradcheck((i) => i.mul(2), [tensor([1], { dtype: 'int32' })])).toThrow(/no input to differentiate/);
  });
});

describe('assertGradcheck and formatGradcheckReport', () => {
  it('throws a GradcheckError with a readable table of the failure', () => {
    const x = variable([0.5, 2], { name: 'x' });
    let error: unknown;
    try {
      assertGradcheck((v) => new WrongCube().apply(v).sum(), [x]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcheckError);
    const message = (error as GradcheckError).message;
    expect(message).toMatch(/^gradcheck FAILED \(eps 1e-6, atol 1e-5, rtol 0.001\), output shape \(\)/);
    expect(message).toMatch(/✗\s+x\s+\(2\)\s+4\.0e\+0\s+3\.3e-1\s+\[1\]\s+8\s+12/);
    expect((error as GradcheckError).report.ok).toBe(false);
  });

  it('returns the report when the check passes', () => {
    const report = assertGradcheck((v) => cube(v).sum(), [[1, 2]]);
    expect(formatGradcheckReport(report)).toMatch(
      /^gradcheck passed[^\n]*\n\s+input\s+shape\s+max abs err\s+max rel err\s+worst index\s+analytic\s+numerical\n✓\s+x0/,
    );
  });
});

// ---- gradgradcheck ----------------------------------------------------------------------------------------

describe('gradgradcheck', () => {
  it('passes when backward is written in graph ops', () => {
    expect(gradgradcheck((v) => cube(v).sum(), [[0.5, -1.5, 2]]).ok).toBe(true);
    expect(gradgradcheck((v) => v.sin().mul(v), [randn([2, 3])]).ok).toBe(true);
    expect(gradgradcheck((a, b) => a.matmul(b).tanh(), [randn([2, 3]), randn([3, 2])]).ok).toBe(true);
  });

  it('catches a backward that is right to first order but computed on raw tensors', () => {
    const f = (v: Variable) => new RawCube().apply(v).sum();
    const x = [0.5, -1.5, 2];
    expect(gradcheck(f, [x]).ok).toBe(true);
    const report = gradgradcheck(f, [x]);
    expect(report.ok).toBe(false);
    expect(report.kind).toBe('gradgradcheck');
    // d²(x³)/dx² = 6x, seen by the numerical side; the engine sees a constant gradient (0).
    expect(report.inputs[0].analytic.toArray()).toEqual([0, 0, 0]);
    expect(() => assertGradgradcheck(f, [x])).toThrow(/^gradgradcheck FAILED/);
  });

  it('differentiates the analytic gradient, so a wrong first-order backward is for gradcheck to catch', () => {
    // WrongCube's gradient 2x² is wrong, but its derivative 4x is computed consistently by both sides.
    const f = (v: Variable) => new WrongCube().apply(v).sum();
    expect(gradgradcheck(f, [[0.5, -1.5, 2]]).ok).toBe(true);
    expect(gradcheck(f, [[0.5, -1.5, 2]]).ok).toBe(false);
  });

  it('passes when the gradient does not depend on the input (second derivative 0)', () => {
    expect(
      gradgradcheck(
        (a, b) => a.mul(2).add(b).sum(),
        [
          [1, 2],
          [3, 4],
        ],
      ).ok,
    ).toBe(true);
  });
});

// ---- arbitraries -------------------------------------------------------------------------------------------

describe('arbitraries', () => {
  it('shapeArb respects its bounds', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, minSize: 0, maxSize: 2 }), (shape) => {
        expect(shape.length).toBeGreaterThanOrEqual(1);
        expect(shape.length).toBeLessThanOrEqual(3);
        for (const d of shape) expect(d >= 0 && d <= 2).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('broadcastShapesArb gives tuples that broadcast, with size-1 axes and rank differences', () => {
    let sawOne = false;
    let sawRankDifference = false;
    fc.assert(
      fc.property(broadcastShapesArb({ count: 3, maxRank: 3, maxSize: 3 }), (shapes) => {
        expect(shapes).toHaveLength(3);
        expect(() => broadcastShapes('test', ...shapes)).not.toThrow();
        sawOne ||= shapes.some((s) => s.includes(1));
        sawRankDifference ||= new Set(shapes.map((s) => s.length)).size > 1;
      }),
      { numRuns: 200 },
    );
    expect(sawOne).toBe(true);
    expect(sawRankDifference).toBe(true);
  });

  it('broadcastShapesArb can include empty axes', () => {
    const samples = fc.sample(broadcastShapesArb({ minRank: 1, minSize: 0, maxSize: 2 }), { numRuns: 300, seed: 1 });
    expect(samples.some((pair) => pair.some((s) => s.includes(0)))).toBe(true);
    for (const pair of samples) expect(() => broadcastShapes('test', ...pair)).not.toThrow();
  });

  it('tensorArb respects shape, dtype, range and avoided points', () => {
    fc.assert(
      fc.property(tensorArb([2, 3], { min: -1, max: 1, avoid: [0], margin: 0.2 }), (t) => {
        expect(t.shape).toEqual([2, 3]);
        expect(t.dtype).toBe('float64');
        for (const v of t.toTypedArray()) expect(Math.abs(v) >= 0.2 && Math.abs(v) <= 1).toBe(true);
      }),
    );
    const ints = fc.sample(tensorArb([4], { dtype: 'int32', min: 0, max: 2 }), 20);
    for (const t of ints) {
      expect(t.dtype).toBe('int32');
      for (const v of t.toTypedArray()) expect([0, 1, 2]).toContain(v);
    }
  });

  it('tensorArb with distinct gives elements at least that far apart', () => {
    fc.assert(
      fc.property(tensorOfShapeArb(shapeArb({ maxRank: 2 }), { distinct: 0.1 }), (t) => {
        const values = Array.from(t.toTypedArray()).sort((a, b) => a - b);
        for (let i = 1; i < values.length; i++) expect(values[i] - values[i - 1]).toBeGreaterThanOrEqual(0.1 - 1e-9);
      }),
    );
  });

  it('tensors print as code that recreates them', () => {
    const [t] = fc.sample(tensorArb([2]), { numRuns: 1, seed: 7 });
    expect(fc.stringify(t)).toBe(tensorToCode(t));
    expect(fc.stringify(t)).toMatch(/^tensor\(\[.*\], \{ dtype: 'float64' \}\)$/);
  });

  it('expressionGraphArb builds runnable programs that print readably', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(expressionGraphArb(), (g) => {
        const y = g.f(...g.inputs.map((x) => variable(x)));
        expect(y).toBeInstanceOf(Variable);
        expect(Number.isFinite(y.data.sum().item())).toBe(true);
        expect(fc.stringify(g)).toBe(g.description);
        expect(g.description).toMatch(/^expression graph with \d inputs?:\n {2}x0 = tensor\(/);
        g.ops.forEach((op) => seen.add(op));
      }),
      { numRuns: 200 },
    );
    // Every operation shows up somewhere in 200 programs.
    expect([...EXPRESSION_OPS].filter((op) => !seen.has(op))).toEqual([]);
  });

  it('expressionGraphArb can be restricted to some operations', () => {
    for (const g of fc.sample(expressionGraphArb({ ops: ['sin', 'mul'] }), 30)) {
      for (const op of g.ops) expect(['sin', 'mul', 'add']).toContain(op);
    }
  });

  it('a wrong node inside a larger graph is caught', () => {
    // The same chain with Cube's backward right and wrong: only the composition is checked.
    seed(0);
    const x = randn([3], { dtype: 'float64' });
    expect(gradcheck((v) => new WrongCube().apply(v.sin()).mul(v).sum(), [x]).ok).toBe(false);
    expect(gradcheck((v) => cube(v.sin()).mul(v).sum(), [x]).ok).toBe(true);
  });
});

// ---- the examples of docs/gradient-testing.md -------------------------------------------------------------

describe('docs/gradient-testing.md examples', () => {
  /** Swish, y = x·σ(x): dx = dy·σ(x)·(1 + x·(1 − σ(x))). */
  class Swish extends Function {
    override get rule(): string {
      return 'Swish: dx = dy·σ(x)·(1 + x·(1 − σ(x)))';
    }
    forward(x: Tensor): Tensor {
      return x.mul(x.sigmoid());
    }
    backward(gy: Variable): Variable {
      const x = this.inputs[0];
      const s = x.sigmoid();
      return gy.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
    }
  }
  const swish = (x: Variable): Variable => new Swish().apply(x);

  it('Swish: one check, then a property to first and second order', () => {
    assertGradcheck(swish, [randn([3, 4])]);
    expect(gradcheck(swish, [[-1.5, 0.25, 2]]).ok).toBe(true);
    fc.assert(
      fc.property(tensorOfShapeArb(shapeArb({ minSize: 0 }), { min: -4, max: 4 }), (x) => {
        assertGradcheck(swish, [x]);
        assertGradgradcheck(swish, [x]);
      }),
      { numRuns: 30 },
    );
  });

  it('a two-layer MLP block, every parameter an input', () => {
    const block = (x: Variable, W1: Variable, b1: Variable, W2: Variable, b2: Variable): Variable =>
      F.linear(F.linear(x, W1, b1).tanh(), W2, b2);
    const sizes = fc.record({
      n: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 4 }),
      o: fc.integer({ min: 1, max: 3 }),
    });
    const args = sizes.chain(({ n, d, h, o }) =>
      fc.tuple(tensorArb([n, d]), tensorArb([d, h]), tensorArb([h]), tensorArb([h, o]), tensorArb([o])),
    );
    fc.assert(
      fc.property(args, (inputs) => {
        assertGradcheck(block, inputs);
      }),
      { numRuns: 30 },
    );
  });

  it('labels pass through as constants', () => {
    const labels = tensor([2, 0], { dtype: 'int32' });
    const report = assertGradcheck(
      (x, W, t) => x.matmul(W).softmaxCrossEntropy(t),
      [randn([2, 3]), randn([3, 4]), labels],
    );
    expect(report.inputs).toHaveLength(2);
  });

  it('the report of a Swish missing its (1 − σ(x)) factor, and of one written on raw tensors', () => {
    class BadSwish extends Swish {
      override backward(gy: Variable): Variable {
        const x = this.inputs[0];
        const s = x.sigmoid();
        return gy.mul(s.add(x.mul(s).mul(s)));
      }
    }
    class RawSwish extends Swish {
      override backward(gy: Variable): Variable {
        const x = this.inputs[0].data;
        const s = x.sigmoid();
        return new Variable(gy.data.mul(s.add(x.mul(s).mul(s.neg().add(1)))), { requiresGrad: false });
      }
    }
    const x = variable(
      tensor(
        [
          [-1.5, 0.25, 2],
          [0.5, -0.75, 1],
        ],
        { dtype: 'float64' },
      ),
      { name: 'x' },
    );
    expect(formatGradcheckReport(gradcheck((v) => new BadSwish().apply(v), [x]))).toBe(
      [
        'gradcheck FAILED (eps 1e-6, atol 1e-5, rtol 0.001), output shape (2,3)',
        '   input  shape  max abs err  max rel err  worst index  analytic   numerical',
        '✗  x      (2,3)  1.6e+0       1.3e+0       [0, 0]       -0.191987  0.0598303',
      ].join('\n'),
    );
    const raw = (v: Variable) => new RawSwish().apply(v);
    expect(gradcheck(raw, [x]).ok).toBe(true);
    expect(formatGradcheckReport(gradgradcheck(raw, [x]))).toBe(
      [
        'gradgradcheck FAILED (eps 1e-6, atol 1e-5, rtol 0.001), output shape ()',
        '   input  shape  max abs err  max rel err  worst index  analytic  numerical',
        '✗  x      (2,3)  5.9e-1       1.0e+0       [0, 1]       0         -0.588512',
      ].join('\n'),
    );
  });

  it('expression graphs with a custom node mixed in', () => {
    fc.assert(
      fc.property(expressionGraphArb({ maxSteps: 3 }), (g) => {
        assertGradcheck((...xs) => swish(g.f(...xs)), g.inputs);
      }),
      { numRuns: 30 },
    );
  });
});

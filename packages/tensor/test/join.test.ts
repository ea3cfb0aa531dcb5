import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promoteTypes } from '../src/dtype.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../src/errors.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';
import { concat, pad, split, stack } from '../src/ops/join.js';
import { shapeSize } from '../src/shape.js';
import { Tensor } from '../src/tensor.js';

import { dim, dtypeArb, layoutArb, make, randomValues, ravel, read, rng, shapeOf, unravel } from './layouts.js';

// ---- concat -----------------------------------------------------------------------------------------

function concatReference(
  parts: { values: number[]; shape: number[] }[],
  axis: number,
): { values: number[]; shape: number[] } {
  const lengths = parts.map((p) => p.shape[axis]);
  const shape = [...parts[0].shape];
  shape[axis] = lengths.reduce((a, b) => a + b, 0);
  const values = Array.from({ length: shapeSize(shape) }, (_, k) => {
    const at = unravel(k, shape);
    let i = 0;
    while (at[axis] >= lengths[i]) at[axis] -= lengths[i++];
    return parts[i].values[ravel(at, parts[i].shape)];
  });
  return { values, shape };
}

describe('concat', () => {
  it('matches a reference on random shapes, axes, layouts and dtypes', () => {
    fc.assert(
      fc.property(
        shapeOf(1),
        fc.array(fc.record({ length: dim, layout: layoutArb, dtype: dtypeArb }), { minLength: 1, maxLength: 4 }),
        fc.integer(),
        fc.integer({ min: 0, max: 7 }),
        (base, specs, seed, axisPick) => {
          const random = rng(seed);
          const axis = (axisPick % (2 * base.length)) - base.length; // -ndim..ndim-1
          const a = axis < 0 ? axis + base.length : axis;
          const parts = specs.map((s) => {
            const shape = base.map((d, i) => (i === a ? s.length : d));
            const values = randomValues(random, shapeSize(shape), s.dtype);
            return { values, shape, tensor: make(values, shape, s.dtype, s.layout) };
          });
          const out = concat(
            parts.map((p) => p.tensor),
            axis,
          );
          const expected = concatReference(parts, a);
          expect(out.shape).toEqual(expected.shape);
          expect(out.dtype).toBe(specs.map((s) => s.dtype).reduce(promoteTypes));
          expect(out.isContiguous).toBe(true);
          expect(read(out)).toEqual(expected.values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joins along axis 0 and the last axis', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5, 6]]);
    expect(concat([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(concat([a, b.T], -1).toArray()).toEqual([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    expect(concat([a]).data).not.toBe(a.data); // always a fresh tensor
  });

  it('promotes dtypes', () => {
    const out = concat([
      tensor([true, false]),
      tensor([2, 3], { dtype: 'int32' }),
      tensor([0.5], { dtype: 'float64' }),
    ]);
    expect(out.dtype).toBe('float64');
    expect(out.toArray()).toEqual([1, 0, 2, 3, 0.5]);
  });

  it('reports errors naming the op, the tensor and both shapes', () => {
    expect(() => concat([])).toThrow(ValueError);
    expect(() => concat([])).toThrow('concat: need at least one tensor, got an empty list');
    expect(() => concat([zeros([2, 3]), zeros([2, 3]), zeros([2, 4])])).toThrow(ShapeError);
    expect(() => concat([zeros([2, 3]), zeros([2, 3]), zeros([2, 4])])).toThrow(
      'concat: tensor 2 has shape (2,4) but tensor 0 has shape (2,3); all dimensions except axis 0 must match',
    );
    expect(() => concat([zeros([2, 3]), zeros([2])], 0)).toThrow(
      'concat: tensor 1 has shape (2) but tensor 0 has shape (2,3)',
    );
    expect(() => concat([tensor(1), tensor(2)])).toThrow(
      'concat: cannot concatenate 0-d tensors (tensor 0 has shape ()); use stack to join scalars',
    );
    expect(() => concat([zeros([2]), zeros([2])], 1)).toThrow(IndexError);
    expect(() => concat([zeros([2]), zeros([2])], 1)).toThrow('concat: axis 1 is out of range for a 1-d tensor');
    expect(() => concat([zeros([2]), [1, 2] as unknown as Tensor])).toThrow(DTypeError);
    expect(() => concat([zeros([2]), [1, 2] as unknown as Tensor])).toThrow('concat: element 1 is not a Tensor');
  });
});

// ---- stack ------------------------------------------------------------------------------------------

describe('stack', () => {
  it('matches a reference (stack = concat of size-1 axes) on random shapes and axes', () => {
    fc.assert(
      fc.property(
        shapeOf(0, 3),
        fc.array(fc.tuple(layoutArb, dtypeArb), { minLength: 1, maxLength: 4 }),
        fc.integer(),
        fc.integer({ min: 0, max: 20 }),
        (shape, specs, seed, axisPick) => {
          const random = rng(seed);
          const ndim = shape.length + 1;
          const axis = (axisPick % (2 * ndim)) - ndim; // -(ndim)..ndim-1 of the result
          const a = axis < 0 ? axis + ndim : axis;
          const unit = [...shape.slice(0, a), 1, ...shape.slice(a)];
          const parts = specs.map(([layout, dtype]) => {
            const values = randomValues(random, shapeSize(shape), dtype);
            return { values, shape: unit, tensor: make(values, shape, dtype, layout) };
          });
          const out = stack(
            parts.map((p) => p.tensor),
            axis,
          );
          const expected = concatReference(parts, a);
          expect(out.shape).toEqual(expected.shape);
          expect(read(out)).toEqual(expected.values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stacks scalars and rows', () => {
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('reports errors', () => {
    expect(() => stack([])).toThrow('stack: need at least one tensor, got an empty list');
    expect(() => stack([zeros([2, 3]), zeros([3, 2])])).toThrow(ShapeError);
    expect(() => stack([zeros([2, 3]), zeros([3, 2])])).toThrow(
      'stack: tensor 1 has shape (3,2) but tensor 0 has shape (2,3); all tensors must have the same shape',
    );
    expect(() => stack([zeros([2]), zeros([2])], 2)).toThrow('stack: axis 2 is out of range for a 2-d tensor');
    expect(() => stack([zeros([2]), zeros([2])], -3)).toThrow(IndexError);
  });
});

// ---- split ------------------------------------------------------------------------------------------

/** np.split with indices: pieces x[b_k:b_{k+1}] along axis with Python slice clamping. */
function splitReference(
  values: number[],
  shape: number[],
  cuts: number[],
  axis: number,
): { values: number[]; shape: number[] }[] {
  const n = shape[axis];
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const bounds = [0, ...cuts, n];
  return bounds.slice(1).map((stop, k) => {
    const start = clamp(bounds[k]);
    const length = Math.max(0, clamp(stop) - start);
    const pieceShape = shape.map((d, i) => (i === axis ? length : d));
    const pieceValues = Array.from({ length: shapeSize(pieceShape) }, (_, j) => {
      const at = unravel(j, pieceShape);
      at[axis] += start;
      return values[ravel(at, shape)];
    });
    return { values: pieceValues, shape: pieceShape };
  });
}

describe('split', () => {
  it('matches np.split with index lists (including negative and out-of-range cuts), returning views', () => {
    fc.assert(
      fc.property(
        shapeOf(1),
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 4 }),
        layoutArb,
        fc.integer(),
        fc.integer({ min: 0, max: 7 }),
        (shape, cuts, layout, seed, axisPick) => {
          const axis = (axisPick % (2 * shape.length)) - shape.length;
          const a = axis < 0 ? axis + shape.length : axis;
          const values = randomValues(rng(seed), shapeSize(shape), 'float32');
          const x = make(values, shape, 'float32', layout);
          const pieces = split(x, cuts, axis);
          const expected = splitReference(values, shape, cuts, a);
          expect(pieces.length).toBe(cuts.length + 1);
          pieces.forEach((p, k) => {
            expect(p.data).toBe(x.data);
            expect(p.shape).toEqual(expected[k].shape);
            expect(read(p)).toEqual(expected[k].values);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips: concat(split(x)) equals x for sorted in-range cuts and equal sections', () => {
    fc.assert(
      fc.property(
        shapeOf(1),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        layoutArb,
        fc.integer(),
        fc.nat(),
        (shape, rawCuts, sections, layout, seed, axisPick) => {
          const a = axisPick % shape.length;
          const n = shape[a];
          const values = randomValues(rng(seed), shapeSize(shape), 'int32');
          const x = make(values, shape, 'int32', layout);
          const cuts = rawCuts.map((c) => c % (n + 1)).sort((p, q) => p - q);
          expect(read(concat(split(x, cuts, a), a))).toEqual(values);
          // Equal sections: an axis `sections` times longer divides evenly.
          const grownShape = shape.map((d, i) => (i === a ? d * sections : d));
          const grown = make(randomValues(rng(seed + 1), shapeSize(grownShape), 'int32'), grownShape, 'int32', layout);
          const pieces = split(grown, sections, a - shape.length);
          expect(pieces.length).toBe(sections);
          pieces.forEach((p) => expect(p.shape[a]).toBe(n));
          expect(read(concat(pieces, a))).toEqual(read(grown));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits like NumPy', () => {
    expect(split(arange(6), 3).map((t) => t.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(split(arange(6), [1, 4]).map((t) => t.toArray())).toEqual([[0], [1, 2, 3], [4, 5]]);
    expect(split(arange(6), [-2]).map((t) => t.toArray())).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(split(arange(6), [4, 2]).map((t) => t.toArray())).toEqual([[0, 1, 2, 3], [], [2, 3, 4, 5]]);
    expect(split(zeros([0, 2]), 3).map((t) => t.shape)).toEqual([
      [0, 2],
      [0, 2],
      [0, 2],
    ]);
    const m = arange(6).reshape([2, 3]);
    expect(split(m, [1], 1).map((t) => t.toArray())).toEqual([
      [[0], [3]],
      [
        [1, 2],
        [4, 5],
      ],
    ]);
  });

  it('reports errors', () => {
    expect(() => split(arange(5), 2)).toThrow(ShapeError);
    expect(() => split(arange(5), 2)).toThrow(
      'split: axis 0 of size 5 (shape (5)) does not divide into 2 equal sections; pass split indices for unequal pieces',
    );
    expect(() => split(arange(5), 0)).toThrow(ValueError);
    expect(() => split(arange(5), 0)).toThrow('split: sections must be a positive integer, got 0');
    expect(() => split(arange(5), 1.5)).toThrow('split: sections must be a positive integer, got 1.5');
    expect(() => split(arange(5), [1.5])).toThrow('split: split indices must be integers, got 1.5 in [1.5]');
    expect(() => split(arange(5), 1, 1)).toThrow(IndexError);
    expect(() => split(tensor(3), 1)).toThrow('split: axis 0 is out of range for a 0-d tensor');
  });
});

// ---- pad --------------------------------------------------------------------------------------------

function padReference(
  values: number[],
  shape: number[],
  pairs: [number, number][],
  fill: number,
): { values: number[]; shape: number[] } {
  const out = shape.map((d, i) => pairs[i][0] + d + pairs[i][1]);
  return {
    shape: out,
    values: Array.from({ length: shapeSize(out) }, (_, k) => {
      const at = unravel(k, out).map((i, d) => i - pairs[d][0]);
      return at.every((i, d) => i >= 0 && i < shape[d]) ? values[ravel(at, shape)] : fill;
    }),
  };
}

describe('pad', () => {
  it('matches a reference for per-axis pairs, one pair, and one number, in every layout and dtype', () => {
    fc.assert(
      fc.property(
        shapeOf(0),
        fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 4, maxLength: 4 }),
        fc.constantFrom('pairs', 'pair', 'number', 'single'),
        fc.integer({ min: -3, max: 3 }),
        layoutArb,
        dtypeArb,
        fc.integer(),
        (shape, widths, form, value, layout, dtype, seed) => {
          const values = randomValues(rng(seed), shapeSize(shape), dtype);
          const x = make(values, shape, dtype, layout);
          let pairs: [number, number][];
          let out: Tensor;
          if (form === 'pairs') {
            pairs = widths.slice(0, shape.length);
            out = pad(x, pairs, value);
          } else if (form === 'pair') {
            pairs = shape.map(() => widths[0]);
            out = pad(x, widths[0], value);
          } else if (form === 'single') {
            pairs = shape.map(() => widths[0]);
            out = pad(x, [widths[0]], value);
          } else {
            pairs = shape.map(() => [widths[0][0], widths[0][0]]);
            out = pad(x, widths[0][0], value);
          }
          const fill = dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
          const expected = padReference(values, shape, pairs, fill);
          expect(out.shape).toEqual(expected.shape);
          expect(out.dtype).toBe(dtype);
          expect(read(out)).toEqual(expected.values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches the reference with long rows (the typed-array set path) for pad and concat', () => {
    fc.assert(
      fc.property(
        shapeOf(0, 3),
        fc.integer({ min: 24, max: 40 }),
        fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: 4, maxLength: 4 }),
        dtypeArb,
        fc.integer(),
        (lead, last, widths, dtype, seed) => {
          const random = rng(seed);
          const shape = [...lead, last];
          const values = randomValues(random, shapeSize(shape), dtype);
          const x = make(values, shape, dtype);
          const pairs = widths.slice(0, shape.length);
          const padded = pad(x, pairs, 1);
          expect(read(padded)).toEqual(padReference(values, shape, pairs, 1).values);
          const other = randomValues(random, shapeSize(shape), dtype);
          const axis = Math.max(0, shape.length - 2);
          const joined = concat([x, make(other, shape, dtype)], axis);
          expect(read(joined)).toEqual(
            concatReference(
              [
                { values, shape },
                { values: other, shape },
              ],
              axis,
            ).values,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('pads like np.pad', () => {
    expect(pad(tensor([1, 2]), 1).toArray()).toEqual([0, 1, 2, 0]);
    expect(
      pad(
        tensor([[1, 2, 3]]),
        [
          [0, 0],
          [2, 1],
        ],
        -1,
      ).toArray(),
    ).toEqual([[-1, -1, 1, 2, 3, -1]]);
    expect(pad(tensor([[1]]), [1, 0]).toArray()).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(pad(tensor([1, 2], { dtype: 'int32' }), 1, 2.7).toArray()).toEqual([2, 1, 2, 2]);
    expect(pad(tensor(5), 2).toArray()).toEqual(5);
    expect(pad(tensor([1, 2]), 0).toArray()).toEqual([1, 2]);
    expect(pad(tensor([1]), 1, Number.NaN).toArray()).toEqual([Number.NaN, 1, Number.NaN]);
  });

  it('reports errors', () => {
    expect(() => pad(zeros([2]), -1)).toThrow(ValueError);
    expect(() => pad(zeros([2]), -1)).toThrow('pad: padding widths must be non-negative integers, got -1 for axis 0');
    expect(() =>
      pad(zeros([2, 2]), [
        [0, 0],
        [1, -2],
      ]),
    ).toThrow('pad: padding widths must be non-negative integers, got -2 for axis 1');
    expect(() => pad(zeros([2]), 0.5)).toThrow('pad: padding widths must be non-negative integers, got 0.5 for axis 0');
    expect(() =>
      pad(zeros([2, 2]), [
        [1, 1],
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(ShapeError);
    expect(() =>
      pad(zeros([2, 2]), [
        [1, 1],
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(
      'pad: got 3 [before, after] pairs for a 2-d tensor of shape (2,2); give one pair per axis or a single pair for all',
    );
    expect(() => pad(zeros([2]), [1, 2, 3] as unknown as number)).toThrow(
      'pad: padWidth must be a number, a [before, after] pair, or one pair per axis; got [1,2,3]',
    );
  });
});

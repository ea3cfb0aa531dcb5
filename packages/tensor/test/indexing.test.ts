import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType } from '../src/dtype.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../src/errors.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';
import { gather, indexAdd, oneHot, repeat, scatterAdd, take, takeAlongRows, tile } from '../src/ops/indexing.js';
import { argmax } from '../src/ops/reduce.js';
import { shapeSize } from '../src/shape.js';

import {
  dim,
  dtypeArb,
  layoutArb,
  make,
  randomIndices,
  randomInt,
  randomValues,
  ravel,
  read,
  rng,
  shapeOf,
  unravel,
  type Layout,
} from './layouts.js';

const int32 = (values: unknown) => tensor(values as number[], { dtype: 'int32' });
const wrap = (i: number, n: number) => (i < 0 ? i + n : i);

// ---- take / indexAdd --------------------------------------------------------------------------------

function takeReference(values: number[], shape: number[], idx: number[], idxShape: number[], axis: number | undefined) {
  if (axis === undefined) return { shape: idxShape, values: idx.map((i) => values[wrap(i, values.length)]) };
  const out = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
  return {
    shape: out,
    values: Array.from({ length: shapeSize(out) }, (_, k) => {
      const at = unravel(k, out);
      const picked = idx[ravel(at.slice(axis, axis + idxShape.length), idxShape)];
      return values[
        ravel([...at.slice(0, axis), wrap(picked, shape[axis]), ...at.slice(axis + idxShape.length)], shape)
      ];
    }),
  };
}

/** A random take problem: x in any layout, an axis (or none), indices of rank 0-2. */
const takeCase = fc.record({
  shape: shapeOf(0),
  idxShape: shapeOf(0, 2),
  axisPick: fc.option(fc.nat(), { nil: undefined }),
  layout: layoutArb,
  idxLayout: layoutArb,
  dtype: dtypeArb,
  seed: fc.integer(),
});

function buildTake(c: {
  shape: number[];
  idxShape: number[];
  axisPick: number | undefined;
  layout: Layout;
  idxLayout: Layout;
  dtype: DType;
  seed: number;
}) {
  const random = rng(c.seed);
  const usable = c.shape.length === 0 ? undefined : c.axisPick;
  const axis = usable === undefined ? undefined : (usable % (2 * c.shape.length)) - c.shape.length;
  const a = axis === undefined ? undefined : wrap(axis, c.shape.length);
  const n = a === undefined ? shapeSize(c.shape) : c.shape[a];
  const idxShape = n === 0 ? [0, ...c.idxShape.slice(1)] : c.idxShape;
  const values = randomValues(random, shapeSize(c.shape), c.dtype);
  const idx = randomIndices(random, idxShape, n);
  return {
    values,
    idx,
    idxShape,
    axis,
    a,
    x: make(values, c.shape, c.dtype, c.layout),
    indices: make(idx, idxShape, 'int32', c.idxLayout),
  };
}

describe('take', () => {
  it('matches np.take on random shapes, axes (negative too), index shapes and layouts', () => {
    fc.assert(
      fc.property(takeCase, (c) => {
        const { values, idx, idxShape, axis, a, x, indices } = buildTake(c);
        const out = take(x, indices, axis);
        const expected = takeReference(values, c.shape, idx, idxShape, a);
        expect(out.shape).toEqual(expected.shape);
        expect(out.dtype).toBe(c.dtype);
        expect(read(out)).toEqual(expected.values);
        if (idxShape.length === 1) expect(read(take(x, idx, axis))).toEqual(expected.values); // plain arrays too
      }),
      { numRuns: 400 },
    );
  });

  it('reads a strided x in place when the result is smaller than x', () => {
    const values = Array.from({ length: 200 }, (_, k) => k);
    const x = make(values, [20, 10], 'float32', 'transposed');
    expect(take(x, [3, -1], 1).toArray()).toEqual(Array.from({ length: 20 }, (_, r) => [r * 10 + 3, r * 10 + 9]));
    expect(take(x, int32([[19]]), 0).toArray()).toEqual([[[190, 191, 192, 193, 194, 195, 196, 197, 198, 199]]]);
  });

  it('looks up rows like an embedding table, with long rows copied in blocks', () => {
    const W = make(
      Array.from({ length: 1000 }, (_, k) => k),
      [10, 100],
    );
    const out = take(
      W,
      int32([
        [9, 0],
        [0, 9],
      ]),
      0,
    );
    expect(out.shape).toEqual([2, 2, 100]);
    expect(read(out.slice(1, 1))).toEqual(Array.from({ length: 100 }, (_, k) => 900 + k));
  });

  it('follows the NumPy examples', () => {
    const a = tensor([4, 3, 5, 7, 6, 8]);
    expect(take(a, [0, 1, 4]).toArray()).toEqual([4, 3, 6]);
    expect(
      take(
        a,
        int32([
          [0, 1],
          [2, 3],
        ]),
      ).toArray(),
    ).toEqual([
      [4, 3],
      [5, 7],
    ]);
    expect(
      take(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [-1],
      ).toArray(),
    ).toEqual([4]);
    expect(
      take(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        int32(1),
        1,
      ).toArray(),
    ).toEqual([2, 4]);
    expect(take(tensor(7), int32(0)).toArray()).toEqual(7);
    expect(take(zeros([0, 3]), [], 0).shape).toEqual([0, 3]);
    expect(take(zeros([2, 3]), int32([[], []]), 1).shape).toEqual([2, 2, 0]);
  });

  it('reports errors naming the op, the index, the axis and its size', () => {
    const x = zeros([2, 3]);
    expect(() => take(x, [0, 3], 1)).toThrow(IndexError);
    expect(() => take(x, [0, 3], 1)).toThrow('take: index 3 is out of bounds for axis 1 with size 3');
    expect(() => take(x, [-4], 1)).toThrow('take: index -4 is out of bounds for axis 1 with size 3');
    expect(() => take(x, [6])).toThrow('take: index 6 is out of bounds for the flattened tensor of size 6');
    expect(() => take(x, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => take(x, tensor([0, 1]))).toThrow('take: indices must be int32, got float32');
    expect(() => take(x, tensor([true]))).toThrow('take: indices must be int32, got bool');
    expect(() => take(x, [0.5])).toThrow('take: indices must be integers, got 0.5 at position 0');
    expect(() => take(x, [[1]] as unknown as number[])).toThrow(
      'take: indices must be integers, got [1] at position 0; pass an int32 tensor for indices of higher rank',
    );
    expect(() => take(x, [0], 2)).toThrow('take: axis 2 is out of range for a 2-d tensor');
    expect(() => take(tensor(1), [0], 0)).toThrow(IndexError);
  });
});

describe('indexAdd (the adjoint of take)', () => {
  it('matches a reference scatter loop and is take’s transpose: <take(x,i), g> = <x, indexAdd(0,i,g)>', () => {
    fc.assert(
      fc.property(takeCase, fc.constantFrom<DType>('float64', 'int32'), (c, targetType) => {
        const { idx, idxShape, axis, a } = buildTake({ ...c, dtype: 'int32' });
        const random = rng(c.seed ^ 0x5bd1e995);
        const targetValues = randomValues(random, shapeSize(c.shape), targetType);
        const target = make(targetValues, c.shape, targetType, c.layout);
        const outShape = a === undefined ? idxShape : [...c.shape.slice(0, a), ...idxShape, ...c.shape.slice(a + 1)];
        const gValues = randomValues(random, shapeSize(outShape), 'int32');
        const g = make(gValues, outShape, 'float64', c.idxLayout);
        const out = indexAdd(target, make(idx, idxShape, 'int32'), g, axis);
        // Reference: walk take's output positions and add each g value where take read it.
        const expected = [...targetValues];
        const positions = takeReference(
          Array.from({ length: shapeSize(c.shape) }, (_, k) => k),
          c.shape,
          idx,
          idxShape,
          a,
        ).values;
        positions.forEach((p, k) => (expected[p] += gValues[k]));
        expect(out.shape).toEqual(c.shape);
        expect(out.dtype).toBe('float64');
        expect(read(out)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('accumulates duplicates and reports errors', () => {
    expect(
      indexAdd(
        zeros([3, 2]),
        [0, 0, 2],
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        0,
      ).toArray(),
    ).toEqual([
      [4, 6],
      [0, 0],
      [5, 6],
    ]);
    expect(indexAdd(zeros([2, 2]), [3, 3], tensor([1, 1])).toArray()).toEqual([
      [0, 0],
      [0, 2],
    ]);
    expect(() => indexAdd(zeros([3, 2]), [0], zeros([2, 2]), 0)).toThrow(ShapeError);
    expect(() => indexAdd(zeros([3, 2]), [0], zeros([2, 2]), 0)).toThrow(
      'indexAdd: source has shape (2,2) but take(target, indices, axis) has shape (1,2) (target (3,2), indices (1))',
    );
    expect(() => indexAdd(zeros([3, 2]), [5], zeros([1, 2]), 0)).toThrow(
      'indexAdd: index 5 is out of bounds for axis 0 with size 3',
    );
    expect(() => indexAdd(zeros([3]), tensor([0]), zeros([1]), 0)).toThrow(
      'indexAdd: indices must be int32, got float32',
    );
  });
});

// ---- gather / scatterAdd ----------------------------------------------------------------------------

/** A random gather problem under PyTorch's rule: indices.shape[d] <= x.shape[d] for d != axis. */
const gatherCase = fc.record({
  shape: shapeOf(1),
  shrink: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }),
  axisLength: dim,
  axisPick: fc.nat(),
  layout: layoutArb,
  idxLayout: layoutArb,
  dtype: dtypeArb,
  seed: fc.integer(),
});

function buildGather(c: {
  shape: number[];
  shrink: number[];
  axisLength: number;
  axisPick: number;
  layout: Layout;
  idxLayout: Layout;
  dtype: DType;
  seed: number;
}) {
  const random = rng(c.seed);
  const ndim = c.shape.length;
  const axis = (c.axisPick % (2 * ndim)) - ndim;
  const a = wrap(axis, ndim);
  const n = c.shape[a];
  let idxShape = c.shape.map((d, i) => (i === a ? c.axisLength : Math.max(0, d - c.shrink[i])));
  if (n === 0) idxShape = idxShape.map((d, i) => (i === a ? 0 : d));
  const values = randomValues(random, shapeSize(c.shape), c.dtype);
  const idx = randomIndices(random, idxShape, n);
  return {
    axis,
    a,
    n,
    idxShape,
    values,
    idx,
    x: make(values, c.shape, c.dtype, c.layout),
    indices: make(idx, idxShape, 'int32', c.idxLayout),
  };
}

describe('gather', () => {
  it('matches out[..i..] = x[..indices[..i..]..] on random shapes, axes and layouts', () => {
    fc.assert(
      fc.property(gatherCase, (c) => {
        const { axis, a, n, idxShape, values, idx, x, indices } = buildGather(c);
        const out = gather(x, indices, axis);
        const expected = idx.map((v, k) => {
          const at = unravel(k, idxShape);
          at[a] = wrap(v, n);
          return values[ravel(at, c.shape)];
        });
        expect(out.shape).toEqual(idxShape);
        expect(out.dtype).toBe(c.dtype);
        expect(read(out)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('picks per-row scores for cross-entropy (batch 100 x 10)', () => {
    const random = rng(7);
    const scores = make(randomValues(random, 1000, 'float32'), [100, 10]);
    const labels = Array.from({ length: 100 }, () => randomInt(random, 0, 9));
    const out = gather(scores, int32(labels.map((l) => [l])), 1);
    expect(out.shape).toEqual([100, 1]);
    expect(read(out)).toEqual(labels.map((l, r) => scores.data[r * 10 + l]));
  });

  it('follows the PyTorch example', () => {
    const t = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      gather(
        t,
        int32([
          [0, 0],
          [1, 0],
        ]),
        1,
      ).toArray(),
    ).toEqual([
      [1, 1],
      [4, 3],
    ]);
    expect(gather(t, int32([[1], [0]]), -1).toArray()).toEqual([[2], [3]]);
    expect(gather(t, int32([[1, 0]]), 0).toArray()).toEqual([[3, 2]]);
  });

  it('reports errors', () => {
    const x = zeros([2, 3]);
    expect(() => gather(x, int32([[0, 3]]), 1)).toThrow(IndexError);
    expect(() => gather(x, int32([[0, 3]]), 1)).toThrow(
      'gather: index 3 at position [0, 1] is out of bounds for axis 1 with size 3',
    );
    expect(() => gather(x, int32([0, 1]), 1)).toThrow(ShapeError);
    expect(() => gather(x, int32([0, 1]), 1)).toThrow(
      'gather: indices of shape (2) do not fit x of shape (2,3); need the same number of dimensions, with indices.shape[d] <= x.shape[d] for every d != 1',
    );
    expect(() => gather(x, int32([[0], [0], [0]]), 1)).toThrow(
      'gather: indices of shape (3,1) do not fit x of shape (2,3)',
    );
    expect(() => gather(x, tensor([[0]]), 1)).toThrow('gather: indices must be int32, got float32');
    expect(() => gather(x, tensor([[true]]), 1)).toThrow(DTypeError);
    expect(() => gather(x, int32([[0]]), 2)).toThrow('gather: axis 2 is out of range for a 2-d tensor');
  });
});

describe('scatterAdd', () => {
  it('matches a reference loop, accumulating duplicates, and is gather’s transpose', () => {
    fc.assert(
      fc.property(gatherCase, fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }), (c, grow) => {
        const { axis, a, n, idxShape, idx, indices } = buildGather({ ...c, dtype: 'float32' });
        const random = rng(c.seed ^ 0x2545f491);
        const targetValues = randomValues(random, shapeSize(c.shape), c.dtype);
        const target = make(targetValues, c.shape, c.dtype, c.layout);
        // source may be larger than indices in every dim; only its leading block is read.
        const sourceShape = idxShape.map((d, i) => d + grow[i]);
        const sourceValues = randomValues(random, shapeSize(sourceShape), 'int32');
        const source = make(sourceValues, sourceShape, 'float64', c.idxLayout);
        const out = scatterAdd(target, indices, source, axis);
        const expected = [...targetValues];
        idx.forEach((v, k) => {
          const at = unravel(k, idxShape);
          const s = sourceValues[ravel(at, sourceShape)];
          at[a] = wrap(v, n);
          expected[ravel(at, c.shape)] += s;
        });
        expect(out.shape).toEqual(c.shape);
        expect(out.dtype).toBe('float64');
        expect(read(out)).toEqual(expected);
        // gather then scatterAdd: <gather(x, i), g> == <x, scatterAdd(0, i, g)>
        const g = make(randomValues(random, shapeSize(idxShape), 'int32'), idxShape, 'float64');
        const x = make(randomValues(random, shapeSize(c.shape), 'int32'), c.shape, 'float64');
        const lhs = read(gather(x, indices, axis)).reduce((s, v, k) => s + v * g.data[k], 0);
        const back = read(scatterAdd(zeros(c.shape, { dtype: 'float64' }), indices, g, axis));
        const rhs = read(x).reduce((s, v, k) => s + v * back[k], 0);
        expect(lhs).toBe(rhs);
      }),
      { numRuns: 400 },
    );
  });

  it('follows the PyTorch example and keeps the target unchanged', () => {
    const target = zeros([2, 3]);
    const out = scatterAdd(
      target,
      int32([
        [1, 0],
        [0, 0],
      ]),
      tensor([
        [1, 2],
        [3, 4],
      ]),
      1,
    );
    expect(out.toArray()).toEqual([
      [2, 1, 0],
      [7, 0, 0],
    ]);
    expect(read(target)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(scatterAdd(zeros([2], { dtype: 'bool' }), int32([0, 0]), tensor([true, true]), 0).toArray()).toEqual([2, 0]);
  });

  it('reports errors', () => {
    const t = zeros([2, 3]);
    expect(() => scatterAdd(t, int32([[5]]), zeros([1, 1]), 1)).toThrow(
      'scatterAdd: index 5 at position [0, 0] is out of bounds for axis 1 with size 3',
    );
    expect(() => scatterAdd(t, int32([[0, 1]]), zeros([1, 1]), 1)).toThrow(
      'scatterAdd: indices of shape (1,2) do not fit source of shape (1,1); need the same number of dimensions, with indices.shape[d] <= source.shape[d] for every d',
    );
    expect(() => scatterAdd(t, int32([[0], [0], [0]]), zeros([3, 1]), 1)).toThrow(
      'scatterAdd: indices of shape (3,1) do not fit target of shape (2,3)',
    );
    expect(() => scatterAdd(t, tensor([[0]]), zeros([1, 1]), 1)).toThrow(
      'scatterAdd: indices must be int32, got float32',
    );
    expect(() => scatterAdd(t, int32([[0]]), zeros([1, 1]), -3)).toThrow(IndexError);
  });
});

// ---- takeAlongRows ----------------------------------------------------------------------------------

describe('takeAlongRows', () => {
  it('matches y[arange(N), t] on random sizes and layouts', () => {
    fc.assert(
      fc.property(
        fc.nat(6),
        fc.integer({ min: 1, max: 6 }),
        layoutArb,
        layoutArb,
        fc.integer(),
        (rows, columns, layout, idxLayout, seed) => {
          const random = rng(seed);
          const values = randomValues(random, rows * columns, 'float32');
          const labels = randomIndices(random, [rows], columns);
          const out = takeAlongRows(
            make(values, [rows, columns], 'float32', layout),
            make(labels, [rows], 'int32', idxLayout),
          );
          expect(out.shape).toEqual([rows]);
          expect(read(out)).toEqual(labels.map((l, r) => values[r * columns + wrap(l, columns)]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports errors', () => {
    const y = zeros([2, 3]);
    expect(() => takeAlongRows(y, int32([0, 3]))).toThrow(IndexError);
    expect(() => takeAlongRows(y, int32([0, 3]))).toThrow(
      'takeAlongRows: index 3 at row 1 is out of bounds for axis 1 with size 3',
    );
    expect(() => takeAlongRows(y, int32([0, 1, 2]))).toThrow(ShapeError);
    expect(() => takeAlongRows(y, int32([0, 1, 2]))).toThrow(
      'takeAlongRows: indices must have shape (2) to match x of shape (2,3), got (3)',
    );
    expect(() => takeAlongRows(zeros([6]), int32([0]))).toThrow('takeAlongRows: x must be 2-d (N, C), got shape (6)');
    expect(() => takeAlongRows(y, tensor([0, 1]))).toThrow('takeAlongRows: indices must be int32, got float32');
  });
});

// ---- oneHot -----------------------------------------------------------------------------------------

describe('oneHot', () => {
  it('round-trips through argmax for labels of any shape', () => {
    fc.assert(
      fc.property(
        shapeOf(0, 3),
        fc.integer({ min: 1, max: 5 }),
        layoutArb,
        fc.integer(),
        (shape, classes, layout, seed) => {
          const labels = Array.from({ length: shapeSize(shape) }, () => randomInt(rng(seed), 0, classes - 1));
          const encoded = oneHot(make(labels, shape, 'int32', layout), classes);
          expect(encoded.shape).toEqual([...shape, classes]);
          expect(encoded.dtype).toBe('float32');
          expect(read(encoded).reduce((a, b) => a + b, 0)).toBe(labels.length);
          expect(read(argmax(encoded, -1))).toEqual(labels);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes arrays and honours dtype', () => {
    expect(oneHot([2, 0], 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const b = oneHot(int32([[1]]), 2, { dtype: 'bool' });
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([[[false, true]]]);
    expect(oneHot([], 4).shape).toEqual([0, 4]);
  });

  it('reports errors naming the label and its position', () => {
    expect(() => oneHot([0, 10], 10)).toThrow(IndexError);
    expect(() => oneHot([0, 10], 10)).toThrow(
      'oneHot: label 10 at position [1] is out of range for 10 classes (valid labels are 0..9)',
    );
    expect(() =>
      oneHot(
        int32([
          [0, 1],
          [-1, 0],
        ]),
        3,
      ),
    ).toThrow('oneHot: label -1 at position [1, 0] is out of range for 3 classes');
    expect(() => oneHot(tensor([1]), 3)).toThrow('oneHot: indices must be int32, got float32');
    expect(() => oneHot([1.5], 3)).toThrow(DTypeError);
    expect(() => oneHot([1], -1)).toThrow('oneHot: numClasses must be a non-negative integer, got -1');
    expect(() => oneHot([1], 3, { dtype: 'float16' as DType })).toThrow(DTypeError);
  });
});

// ---- repeat / tile ----------------------------------------------------------------------------------

function repeatReference(values: number[], shape: number[], counts: number[], axis: number | undefined) {
  if (axis === undefined) return repeatReference(values, [values.length], counts, 0);
  const n = shape[axis];
  const per = counts.length === 1 ? new Array<number>(n).fill(counts[0]) : counts;
  const source: number[] = per.flatMap((c, i) => new Array<number>(c).fill(i));
  const out = shape.map((d, i) => (i === axis ? source.length : d));
  return {
    shape: out,
    values: Array.from({ length: shapeSize(out) }, (_, k) => {
      const at = unravel(k, out);
      at[axis] = source[at[axis]];
      return values[ravel(at, shape)];
    }),
  };
}

describe('repeat', () => {
  it('matches np.repeat for one count or per-position counts, with and without an axis', () => {
    fc.assert(
      fc.property(
        shapeOf(0),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        layoutArb,
        dtypeArb,
        fc.integer(),
        (shape, axisPick, perPosition, layout, dtype, seed) => {
          const random = rng(seed);
          const axis =
            shape.length === 0 || axisPick === undefined ? undefined : (axisPick % (2 * shape.length)) - shape.length;
          const a = axis === undefined ? undefined : wrap(axis, shape.length);
          const n = a === undefined ? shapeSize(shape) : shape[a];
          const counts = perPosition
            ? Array.from({ length: n }, () => randomInt(random, 0, 3))
            : [randomInt(random, 0, 3)];
          const values = randomValues(random, shapeSize(shape), dtype);
          const out = repeat(make(values, shape, dtype, layout), perPosition ? counts : counts[0], axis);
          const expected = repeatReference(values, shape, counts, a);
          expect(out.shape).toEqual(expected.shape);
          expect(out.dtype).toBe(dtype);
          expect(read(out)).toEqual(expected.values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('follows the NumPy examples', () => {
    expect(repeat(tensor(3), 4).toArray()).toEqual([3, 3, 3, 3]);
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(repeat(x, 2).toArray()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(repeat(x, 3, 1).toArray()).toEqual([
      [1, 1, 1, 2, 2, 2],
      [3, 3, 3, 4, 4, 4],
    ]);
    expect(repeat(x, [1, 2], 0).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [3, 4],
    ]);
    expect(repeat(x, [2], 0).toArray()).toEqual([
      [1, 2],
      [1, 2],
      [3, 4],
      [3, 4],
    ]);
    const long = repeat(arange(200).reshape([2, 100]), [1, 2], 0); // rows long enough for block copies
    expect(read(long.slice(2))).toEqual(Array.from({ length: 100 }, (_, k) => 100 + k));
  });

  it('reports errors', () => {
    const x = zeros([2, 3]);
    expect(() => repeat(x, [1, 2], 1)).toThrow(ShapeError);
    expect(() => repeat(x, [1, 2], 1)).toThrow(
      'repeat: got 2 repeats for axis 1 of size 3 (shape (2,3)); give one count, or one per position',
    );
    expect(() => repeat(x, -1)).toThrow(ValueError);
    expect(() => repeat(x, -1)).toThrow('repeat: repeats must be non-negative integers, got -1');
    expect(() => repeat(x, [1, -2], 0)).toThrow('repeat: repeats must be non-negative integers, got -2');
    expect(() => repeat(x, 1.5)).toThrow('repeat: repeats must be non-negative integers, got 1.5');
    expect(() => repeat(x, 1, 2)).toThrow('repeat: axis 2 is out of range for a 2-d tensor');
  });
});

describe('tile', () => {
  it('matches np.tile for reps shorter, equal to and longer than ndim', () => {
    fc.assert(
      fc.property(
        shapeOf(0, 3),
        fc.oneof(fc.nat(3), fc.array(fc.nat(3), { maxLength: 4 })),
        layoutArb,
        dtypeArb,
        fc.integer(),
        (shape, reps, layout, dtype, seed) => {
          const values = randomValues(rng(seed), shapeSize(shape), dtype);
          const out = tile(make(values, shape, dtype, layout), reps);
          const list = typeof reps === 'number' ? [reps] : reps;
          const nd = Math.max(shape.length, list.length);
          const padded = [...new Array<number>(nd - shape.length).fill(1), ...shape];
          const counts = [...new Array<number>(nd - list.length).fill(1), ...list];
          const outShape = padded.map((d, i) => d * counts[i]);
          const expected = Array.from(
            { length: shapeSize(outShape) },
            (_, k) =>
              values[
                ravel(
                  unravel(k, outShape).map((i, d) => i % padded[d]),
                  padded,
                )
              ],
          );
          expect(out.shape).toEqual(outShape);
          expect(read(out)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('follows the NumPy examples', () => {
    const a = tensor([0, 1, 2]);
    expect(tile(a, 2).toArray()).toEqual([0, 1, 2, 0, 1, 2]);
    expect(tile(a, [2, 2]).toArray()).toEqual([
      [0, 1, 2, 0, 1, 2],
      [0, 1, 2, 0, 1, 2],
    ]);
    expect(tile(a, [2, 1, 2]).shape).toEqual([2, 1, 6]);
    expect(
      tile(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        2,
      ).toArray(),
    ).toEqual([
      [1, 2, 1, 2],
      [3, 4, 3, 4],
    ]);
    expect(tile(tensor(5), []).toArray()).toEqual(5);
  });

  it('reports errors', () => {
    expect(() => tile(zeros([2]), -1)).toThrow(ValueError);
    expect(() => tile(zeros([2]), -1)).toThrow('tile: reps must be non-negative integers, got -1');
    expect(() => tile(zeros([2]), [1, 0.5])).toThrow('tile: reps must be non-negative integers, got 0.5');
  });
});

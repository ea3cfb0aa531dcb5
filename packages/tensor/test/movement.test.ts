/**
 * Views and their compositions against reference index arithmetic: transpose/permute/swapaxes/T,
 * reshape (with -1, round trips, view vs copy), flatten, squeeze/unsqueeze, broadcastTo, and
 * NumPy basic indexing with numbers, 'start:stop:step' strings, Slice objects, ':'/null and '...'
 * (Python slice semantics from CPython's PySlice_AdjustIndices). Values are compared exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import { IndexError, ShapeError, ValueError } from '../src/errors.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';
import * as M from '../src/ops/movement.js';
import {
  type Operand,
  type Ref,
  type RefIndex,
  DTYPES,
  check,
  expectTensor,
  makeTensor,
  operandArb,
  read,
  refBinary,
  refSlice,
  refTranspose,
  shapeArb,
  sizeOf,
  slicePositions,
} from './reference.js';

const anyOperandArb = (minRank = 0, maxRank = 4, maxDim = 3) =>
  fc
    .record({ shape: shapeArb(minRank, maxRank, maxDim), dtype: fc.constantFrom(...DTYPES) })
    .chain(({ shape, dtype }) => operandArb(shape, dtype));

const permutationArb = (rank: number) =>
  fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank });

/** A view shares the storage of its source. */
function expectView(view: Tensor, source: Tensor): void {
  expect(view.data).toBe(source.data);
}

describe('the test helpers', () => {
  it('makeTensor lays values out as asked and toArray reads them back through the strides', () => {
    check(anyOperandArb(), ({ tensor: x, ref }) => {
      expect(read(x)).toEqual(ref.values);
      expect(x.toArray()).toEqual(nest(ref, x.dtype === 'bool'));
    });
  });
});

/** Reference nesting of a row-major Ref, as toArray should return it. */
function nest(ref: Ref, bool: boolean): unknown {
  let i = 0;
  const build = (d: number): unknown =>
    d === ref.shape.length
      ? bool
        ? ref.values[i++] !== 0
        : ref.values[i++]
      : Array.from({ length: ref.shape[d] }, () => build(d + 1));
  return build(0);
}

describe('transpose, permute, swapaxes, T', () => {
  it('transpose(axes) permutes like the reference and shares storage', () => {
    check(
      anyOperandArb().chain((x) =>
        fc.tuple(fc.constant(x), fc.option(permutationArb(x.ref.shape.length), { nil: undefined })),
      ),
      ([x, axes]) => {
        const order = axes ?? [...x.ref.shape.keys()].reverse();
        const t = M.transpose(x.tensor, axes);
        expectTensor(t, refTranspose(x.ref, order), x.tensor.dtype);
        expectView(t, x.tensor);
        expectTensor(x.tensor.permute(...order), refTranspose(x.ref, order));
        expectTensor(x.tensor.permute(order), refTranspose(x.ref, order));
        // The inverse permutation brings back the very same view.
        const inverse = order.map((_, k) => order.indexOf(k));
        const back = t.transpose(inverse);
        expect([back.shape, back.strides, back.offset]).toEqual([x.tensor.shape, x.tensor.strides, x.tensor.offset]);
      },
    );
  });

  it('T twice is the identity view', () => {
    check(anyOperandArb(), ({ tensor: x, ref }) => {
      const tt = x.T.T;
      expect([tt.shape, tt.strides, tt.offset]).toEqual([x.shape, x.strides, x.offset]);
      expectView(tt, x);
      expectTensor(tt, ref);
      expectTensor(x.T, refTranspose(ref, [...ref.shape.keys()].reverse()));
    });
  });

  it('swapaxes swaps two axes (negative axes allowed)', () => {
    const arb = anyOperandArb(1).chain((x) => {
      const r = x.ref.shape.length;
      return fc.tuple(fc.constant(x), fc.integer({ min: -r, max: r - 1 }), fc.integer({ min: -r, max: r - 1 }));
    });
    check(arb, ([x, a, b]) => {
      const r = x.ref.shape.length;
      const order = [...Array(r).keys()];
      const [i, j] = [(a + r) % r, (b + r) % r];
      [order[i], order[j]] = [order[j], order[i]];
      expectTensor(M.swapaxes(x.tensor, a, b), refTranspose(x.ref, order));
    });
  });

  it('rejects bad permutations', () => {
    const x = zeros([2, 3, 4]);
    expect(() => x.transpose([0, 1])).toThrow(
      new ShapeError('transpose: axes [0, 1] do not match a 3-d tensor of shape (2,3,4)'),
    );
    expect(() => x.transpose([0, 0, 1])).toThrow(new IndexError('transpose: repeated axis in [0, 0, 1]'));
    expect(() => x.transpose([0, 1, 3])).toThrow(IndexError);
    expect(() => x.swapaxes(0, 3)).toThrow('swapaxes: axis 3 is out of range for a 3-d tensor (valid axes are -3..2)');
  });
});

/** A shape with the same number of elements: the dims shuffled, padded with 1s, neighbours merged. */
function reshapeTargetArb(shape: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(
      fc.shuffledSubarray([...shape], { minLength: shape.length, maxLength: shape.length }),
      fc.array(fc.nat(shape.length), { maxLength: 2 }),
      fc.boolean(),
    )
    .map(([dims, ones, merge]) => {
      const out = [...dims];
      for (const at of ones) out.splice(Math.min(at, out.length), 0, 1);
      if (merge && out.length >= 2) out.splice(0, 2, out[0] * out[1]);
      return out;
    });
}

describe('reshape and flatten', () => {
  const arb = anyOperandArb().chain((x) => fc.tuple(fc.constant(x), reshapeTargetArb(x.ref.shape), fc.nat(4)));

  it('keeps the row-major order, allows one -1, and round-trips', () => {
    check(arb, ([x, target, unknownAt]) => {
      const want: Ref = { shape: target, values: x.ref.values };
      const r = M.reshape(x.tensor, target);
      expectTensor(r, want, x.tensor.dtype);
      expectTensor(r.reshape(x.ref.shape), x.ref);
      expectTensor(x.tensor.reshape(...target), want);
      // One size may be −1 when the others do not multiply to 0.
      if (target.length > 0) {
        const k = unknownAt % target.length;
        const withUnknown = target.map((d, i) => (i === k ? -1 : d));
        if (sizeOf(target.filter((_, i) => i !== k)) !== 0) expectTensor(x.tensor.reshape(withUnknown), want);
      }
    });
  });

  it('is a view of contiguous data and a copy otherwise', () => {
    check(anyOperandArb(), ({ tensor: x }) => {
      const r = x.reshape([-1]);
      if (x.isContiguous) expectView(r, x);
      else if (x.size > 1) expect(r.data).not.toBe(x.data);
      expect(r.isContiguous).toBe(true);
    });
    const x = arange(6).reshape(2, 3);
    const view = x.reshape(3, 2);
    view.data[view.offset + 1] = 100; // element (0, 1) of the view is element 1 of x
    expect(x.toArray()).toEqual([
      [0, 100, 2],
      [3, 4, 5],
    ]);
  });

  it('reshape errors name the shapes', () => {
    const x = zeros([2, 3]);
    expect(() => x.reshape(4)).toThrow(
      new ShapeError('reshape: cannot reshape (2,3) (6 elements) into (4) (4 elements)'),
    );
    expect(() => x.reshape(-1, 4)).toThrow('reshape: cannot reshape (2,3) (6 elements) into (-1,4)');
    expect(() => x.reshape(-1, -1)).toThrow('reshape: only one size may be -1, got (-1,-1)');
    expect(() => x.reshape(-2, -3)).toThrow(ValueError);
    expect(() => x.reshape(2.5, 2)).toThrow(ValueError);
    expect(() => zeros([0, 3]).reshape(-1, 0)).toThrow(ShapeError); // −1 is ambiguous next to 0
  });

  it('flatten(start, end) merges the named axes', () => {
    const arb = anyOperandArb(1).chain((x) => {
      const r = x.ref.shape.length;
      return fc.tuple(fc.constant(x), fc.integer({ min: 0, max: r - 1 }), fc.integer({ min: 0, max: r - 1 }));
    });
    check(arb, ([x, a, b]) => {
      const [start, end] = a <= b ? [a, b] : [b, a];
      const s = x.ref.shape;
      const want: Ref = {
        shape: [...s.slice(0, start), sizeOf(s.slice(start, end + 1)), ...s.slice(end + 1)],
        values: x.ref.values,
      };
      expectTensor(M.flatten(x.tensor, start, end), want);
      expectTensor(x.tensor.flatten(start - s.length, end), want);
      expectTensor(x.tensor.flatten(), { shape: [x.ref.values.length], values: x.ref.values });
    });
    expect(zeros([]).flatten().shape).toEqual([1]);
    expect(() => zeros([2, 3]).flatten(1, 0)).toThrow('flatten: startAxis 1 comes after endAxis 0');
  });
});

describe('squeeze, unsqueeze, broadcastTo', () => {
  it('squeeze removes size-1 axes (all, or the named ones) as a view', () => {
    check(anyOperandArb(), ({ tensor: x, ref }) => {
      const ones = ref.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      const all = x.squeeze();
      expectTensor(all, { shape: ref.shape.filter((d) => d !== 1), values: ref.values });
      expectView(all, x);
      if (ones.length > 0) {
        const first = ones[0];
        expectTensor(x.squeeze(first - ref.shape.length), {
          shape: ref.shape.filter((_, i) => i !== first),
          values: ref.values,
        });
        expectTensor(x.squeeze(ones), { shape: ref.shape.filter((d) => d !== 1), values: ref.values });
      }
    });
    expect(() => zeros([2, 1]).squeeze(0)).toThrow(new ShapeError('squeeze: axis 0 of shape (2,1) has size 2, not 1'));
  });

  it('unsqueeze inserts a size-1 axis anywhere, -1 appending', () => {
    check(
      anyOperandArb(0, 3).chain((x) =>
        fc.tuple(fc.constant(x), fc.integer({ min: -x.ref.shape.length - 1, max: x.ref.shape.length })),
      ),
      ([x, axis]) => {
        const r = x.ref.shape.length;
        const at = axis < 0 ? axis + r + 1 : axis;
        const shape = [...x.ref.shape];
        shape.splice(at, 0, 1);
        const u = x.tensor.unsqueeze(axis);
        expectTensor(u, { shape, values: x.ref.values });
        expectView(u, x.tensor);
        expectTensor(u.squeeze(at), x.ref);
      },
    );
    expect(() => zeros([2]).unsqueeze(3)).toThrow(IndexError);
  });

  it('broadcastTo repeats size-1 and missing leading axes with stride 0', () => {
    const arb = anyOperandArb(0, 3).chain((x) =>
      fc.tuple(
        fc.constant(x),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: x.ref.shape.length, maxLength: x.ref.shape.length }),
      ),
    );
    check(arb, ([x, lead, grow]) => {
      const target = [...lead, ...x.ref.shape.map((d, i) => (d === 1 ? grow[i] : d))];
      const b = x.tensor.broadcastTo(target);
      const grid: Ref = { shape: target, values: new Array(sizeOf(target)).fill(0) };
      expectTensor(
        b,
        refBinary(grid, x.ref, (_, v) => v),
      );
      expectView(b, x.tensor);
    });
    expect(() => zeros([2, 3]).broadcastTo([3, 3])).toThrow(
      new ShapeError('broadcastTo: cannot broadcast (2,3) to (3,3)'),
    );
    expect(() => zeros([2, 3]).broadcastTo([3])).toThrow(ShapeError);
  });
});

// ---- basic indexing ---------------------------------------------------------------------------------

interface SliceCase {
  x: Operand;
  index: M.Index[];
  entries: RefIndex[];
}

function entryArb(size: number): fc.Arbitrary<{ index: M.Index; entry: RefIndex; whole: boolean }> {
  const bound = fc.option(fc.integer({ min: -size - 2, max: size + 2 }), { nil: null });
  const stepArb = fc.option(fc.constantFrom(1, 2, 3, -1, -2, -3), { nil: null });
  const ranged = fc
    .tuple(bound, bound, stepArb, fc.constantFrom('string', 'object', 'partial'))
    .map(([start, stop, step, form]) => {
      let index: M.Index;
      if (form === 'string') index = `${start ?? ''}:${stop ?? ''}${step === null ? '' : `:${step}`}`;
      else if (form === 'object') index = { start, stop, step };
      else
        index = {
          ...(start === null ? {} : { start }),
          ...(stop === null ? {} : { stop }),
          ...(step === null ? {} : { step }),
        };
      return { index, entry: { keep: slicePositions(size, start, stop, step) } as RefIndex, whole: false };
    });
  const whole = fc
    .constantFrom<M.Index>(':', null, '::', {})
    .map((index) => ({ index, entry: { keep: [...Array(size).keys()] } as RefIndex, whole: true }));
  if (size === 0) return fc.oneof(ranged, whole);
  const pick = fc
    .integer({ min: -size, max: size - 1 })
    .map((i) => ({ index: i as M.Index, entry: { pick: i < 0 ? i + size : i } as RefIndex, whole: false }));
  return fc.oneof(pick, ranged, whole);
}

const sliceCaseArb: fc.Arbitrary<SliceCase> = anyOperandArb().chain((x) =>
  fc
    .tuple(
      fc.tuple(...x.ref.shape.map(entryArb)),
      fc.constantFrom('full', 'ellipsis', 'truncate'),
      fc.nat(4),
      fc.nat(4),
    )
    .map(([items, form, at, length]) => {
      const n = items.length;
      const entries = items.map((item) => item.entry);
      let index = items.map((item) => item.index);
      if (form === 'ellipsis') {
        // Replace a run [start, start + len) of axes with '...': those axes are taken whole.
        const start = Math.min(at, n);
        const len = Math.min(length, n - start);
        for (let k = start; k < start + len; k++) entries[k] = { keep: [...Array(x.ref.shape[k]).keys()] };
        index = [...index.slice(0, start), '...', ...index.slice(start + len)];
      } else if (form === 'truncate') {
        const keep = n - Math.min(length, n);
        for (let k = keep; k < n; k++) entries[k] = { keep: [...Array(x.ref.shape[k]).keys()] };
        index = index.slice(0, keep);
      }
      return { x, index, entries };
    }),
);

describe('slice (basic indexing)', () => {
  it('matches Python indexing for numbers, strings, Slice objects, null and "..." on strided inputs', () => {
    check(
      sliceCaseArb,
      ({ x, index, entries }) => {
        const s = x.tensor.slice(...index);
        expectTensor(s, refSlice(x.ref, entries), x.tensor.dtype, undefined, JSON.stringify(index));
        expectView(s, x.tensor);
      },
      200,
    );
  });

  it('composes: a slice of a slice is the reference of the reference', () => {
    check(
      sliceCaseArb.chain((first) => {
        const once = refSlice(first.x.ref, first.entries);
        const inner = first.x.tensor.slice(...first.index);
        return fc.tuple(...once.shape.map(entryArb)).map((items) => ({ inner, once, items }));
      }),
      ({ inner, once, items }) => {
        expectTensor(
          inner.slice(...items.map((i) => i.index)),
          refSlice(
            once,
            items.map((i) => i.entry),
          ),
        );
      },
      100,
    );
  });

  it('negative steps reverse, including the whole tensor', () => {
    const x = arange(12).reshape(3, 4);
    expect(x.slice('::-1').toArray()).toEqual([
      [8, 9, 10, 11],
      [4, 5, 6, 7],
      [0, 1, 2, 3],
    ]);
    expect(x.slice('...', '::-2').toArray()).toEqual([
      [3, 1],
      [7, 5],
      [11, 9],
    ]);
    expect(x.slice({ start: -1, stop: 0, step: -1 }, 2).toArray()).toEqual([10, 6]);
    expect(x.slice('::-1', '::-1').slice('::-1', '::-1').toArray()).toEqual(x.toArray());
    expect(x.slice(1, '5:1:-1').toArray()).toEqual([7, 6]);
    expect(x.slice(-1, -1).item()).toBe(11);
    expect(x.slice('10:', ':').shape).toEqual([0, 4]);
  });

  it('"..." stands for as many whole axes as needed, anywhere', () => {
    const x = arange(24).reshape(2, 3, 4);
    expect(x.slice('...', 0).toArray()).toEqual([
      [0, 4, 8],
      [12, 16, 20],
    ]);
    expect(x.slice(1, '...').shape).toEqual([3, 4]);
    expect(x.slice(0, '...', 1).toArray()).toEqual([1, 5, 9]);
    expect(x.slice('...').shape).toEqual([2, 3, 4]);
    expect(x.slice(0, 1, 2, '...').item()).toBe(6);
  });

  it('index errors name the index, axis and size', () => {
    const x = zeros([3, 4]);
    expect(() => x.slice(3)).toThrow(new IndexError('slice: index 3 is out of bounds for axis 0 with size 3'));
    expect(() => x.slice(0, -5)).toThrow('slice: index -5 is out of bounds for axis 1 with size 4');
    expect(() => x.slice(0, 0, 0)).toThrow(new IndexError('slice: too many indices (3) for a 2-d tensor'));
    expect(() => x.slice('...', 0, '...')).toThrow(IndexError);
    expect(() => x.slice('::0')).toThrow(new ValueError("slice: step must not be 0 (index '::0' for axis 0)"));
    expect(() => x.slice('a:b')).toThrow(ValueError);
    expect(() => x.slice(1.5)).toThrow(IndexError);
  });
});

describe('views share storage', () => {
  it('writing through one view shows in the others', () => {
    const x = zeros([2, 3]);
    const row = x.slice(1);
    const col = x.T.slice(2);
    const flat = x.reshape(-1);
    const deep = x.unsqueeze(0).squeeze(0).slice('...', '::-1');
    for (const v of [row, col, flat, deep, x.T, x.broadcastTo([4, 2, 3]), x.swapaxes(0, 1), x.permute(1, 0)])
      expectView(v, x);
    row.data[row.offset + 2 * row.strides[0]] = 7; // x[1, 2]
    expect(x.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 7],
    ]);
    expect(col.toArray()).toEqual([0, 7]);
    expect(read(flat)).toEqual([0, 0, 0, 0, 0, 7]);
    expect(deep.toArray()).toEqual([
      [0, 0, 0],
      [7, 0, 0],
    ]);
    deep.data[deep.offset] = 5; // deep[0, 0] is x[0, 2]
    expect(x.slice(0, 2).item()).toBe(5);
  });

  it('contiguous() returns the same object when already contiguous and a fresh copy otherwise', () => {
    const x = arange(24, undefined, undefined, { dtype: 'float32' }).reshape(2, 3, 4);
    for (const v of [
      x,
      x.slice(1),
      x.slice(1, '1:3'),
      x.slice(0, 1, '1:3'),
      x.slice('0:1').reshape(3, 4),
      x.unsqueeze(1),
      zeros([]),
    ]) {
      expect(v.isContiguous).toBe(true);
      expect(v.contiguous()).toBe(v);
    }
    for (const v of [
      x.T,
      x.slice('...', 1, '1:3'),
      x.slice('...', '::2'),
      x.slice('::-1'),
      x.slice(0).broadcastTo([2, 3, 4]),
    ]) {
      expect(v.isContiguous).toBe(false);
      const c = v.contiguous();
      expect(c).not.toBe(v);
      expect(c.data).not.toBe(v.data);
      expect(c.isContiguous).toBe(true);
      expect(c.toArray()).toEqual(v.toArray());
    }
    const clone = x.clone();
    expect(clone.data).not.toBe(x.data);
    expect(clone.equal(x)).toBe(true);
  });

  it('a view that would reach outside its storage is refused', () => {
    expect(() => new Tensor(new Float32Array(4), [2, 3])).toThrow(ValueError);
    expect(() => new Tensor(new Float32Array(4), [2], [-1], 0)).toThrow(
      'Tensor: view of shape (2) with strides (-1) and offset 0 reaches outside its storage of 4 elements',
    );
    expect(new Tensor(new Float32Array(0), [0, 5]).size).toBe(0);
    void makeTensor;
    void tensor;
  });
});

/**
 * Creation ops and conversions: tensor() from nested arrays / typed arrays / tensors, with shape
 * and dtype options; zeros/ones/full and the *Like variants; arange (int and float, negative
 * steps); linspace; eye; toArray, item, toTypedArray. Values are compared exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  tensor,
  zeros,
  zerosLike,
} from '../src/ops/creation.js';
import { DTYPES, castTo, check, operandArb, read, shapeArb, sizeOf } from './reference.js';

describe('tensor()', () => {
  it('takes nested arrays: float32 for numbers, bool for booleans', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([x.dtype, x.shape, x.strides, x.offset, x.size, x.ndim]).toEqual(['float32', [2, 3], [3, 1], 0, 6, 2]);
    expect(x.data).toBeInstanceOf(Float32Array);
    expect(read(x)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensor([[true], [false]]);
    expect([b.dtype, b.shape, b.toArray()]).toEqual(['bool', [2, 1], [[true], [false]]]);
    expect(b.data).toBeInstanceOf(Uint8Array);
  });

  it('takes a number as a 0-d tensor, and empty arrays', () => {
    const s = tensor(2.5);
    expect([s.shape, s.ndim, s.size, s.item(), s.toArray()]).toEqual([[], 0, 1, 2.5, 2.5]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor(true).toArray()).toBe(true);
  });

  it('round-trips any nested array of any shape through toArray', () => {
    // Nested arrays cannot express a 0 before other axes ((0, 3) nests as []), so those are left out.
    const nestable = shapeArb(0, 4, 3).filter((s) => s.slice(0, -1).every((d) => d > 0));
    const arb = fc
      .record({ shape: nestable, dtype: fc.constantFrom(...DTYPES) })
      .chain(({ shape, dtype }) => operandArb(shape, dtype));
    check(arb, ({ tensor: x }) => {
      const nested = x.toArray();
      const y = tensor(nested as never, { dtype: x.dtype });
      expect([...y.shape]).toEqual([...x.shape]);
      expect(y.dtype).toBe(x.dtype);
      expect(read(y)).toEqual(read(x));
      expect(y.toArray()).toEqual(nested);
    });
  });

  it('converts values to the requested dtype', () => {
    expect(read(tensor([1.7, -1.7], { dtype: 'int32' }))).toEqual([1, -1]);
    expect(tensor([0, 2, -1], { dtype: 'bool' }).toArray()).toEqual([false, true, true]);
    expect(read(tensor([true, false], { dtype: 'float64' }))).toEqual([1, 0]);
    expect(tensor([0.1], { dtype: 'float64' }).item()).toBe(0.1);
    expect(tensor([0.1]).item()).toBe(Math.fround(0.1));
  });

  it('takes typed arrays (copied) keeping their dtype, with an optional shape and dtype', () => {
    const source = new Float64Array([1, 2, 3, 4, 5, 6]);
    const x = tensor(source, { shape: [2, 3] });
    expect([x.dtype, x.shape]).toEqual(['float64', [2, 3]]);
    source[0] = 100;
    expect(read(x)[0]).toBe(1);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Float32Array(2)).dtype).toBe('float32');
    expect(tensor(new Uint8Array([0, 1])).dtype).toBe('bool');
    const cast = tensor(new Float64Array([1.5, -2.5]), { dtype: 'int32' });
    expect([cast.dtype, read(cast)]).toEqual(['int32', [1, -2]]);
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(
      new ShapeError('tensor: 5 values cannot take shape (2,3) (6 elements)'),
    );
  });

  it('normalises a Uint8Array read as bool to 0/1, as NumPy does (np.array(np.uint8([0, 2]), bool))', () => {
    const b = tensor(new Uint8Array([0, 2, 255]));
    expect(read(b.astype('int32'))).toEqual([0, 1, 1]);
    expect(read(b.eq(tensor([false, true, true])))).toEqual([1, 1, 1]);
  });

  it('takes nested arrays with a shape option (reshaping them)', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values cannot take shape (2,2) (4 elements)');
  });

  it('copies a tensor (reading through its strides), optionally converting it', () => {
    const base = tensor([
      [1, 2],
      [3, 4],
    ]);
    const copy = tensor(base.T);
    expect(copy.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(copy.data).not.toBe(base.data);
    expect(copy.isContiguous).toBe(true);
    expect(tensor(base, { dtype: 'int32' }).dtype).toBe('int32');
    expect(tensor(base, { shape: [4] }).shape).toEqual([4]);
  });

  it('rejects ragged arrays and non-numbers with the position at fault', () => {
    expect(() =>
      tensor([
        [1, 2, 3],
        [4, 5],
      ]),
    ).toThrow(new ShapeError('tensor: ragged nested array at index [1]: expected length 3, got 2'));
    expect(() => tensor([[1, 2], 3] as never)).toThrow(
      'tensor: ragged nested array at index [1]: expected an array of length 2, got a number',
    );
    expect(() => tensor([1, [2]] as never)).toThrow(
      'tensor: ragged nested array at index [1]: expected a number, got an array of length 1',
    );
    expect(() =>
      tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    ).toThrow('tensor: ragged nested array at index [1][1]: expected length 1, got 2');
    expect(() => tensor([1, 'a'] as never)).toThrow(
      new DTypeError('tensor: element at index [1] is string "a"; expected a number or boolean'),
    );
    expect(() => tensor([1], { dtype: 'float16' as DType })).toThrow(
      new DTypeError('tensor: unknown dtype "float16"; expected one of bool, int32, float32, float64'),
    );
  });
});

describe('zeros, ones, full and *Like', () => {
  it('fill a shape with a value in the requested dtype', () => {
    const arb = fc
      .record({ shape: shapeArb(0, 4, 3), dtype: fc.constantFrom(...DTYPES), value: fc.constantFrom(0, 1, 2.5, -3) })
      .filter(({ dtype, value }) => dtype !== 'bool' || value === 0 || value === 1); // other bool fills: next test
    check(
      arb,
      ({ shape, dtype, value }) => {
        for (const [name, t, v] of [
          ['zeros', zeros(shape, { dtype }), 0],
          ['ones', ones(shape, { dtype }), 1],
          ['full', full(shape, value, { dtype }), value],
        ] as const) {
          expect([...t.shape], name).toEqual(shape);
          expect(t.dtype, name).toBe(dtype);
          expect(read(t), name).toEqual(new Array(sizeOf(shape)).fill(castTo(dtype, v)));
        }
      },
      50,
    );
  });

  it('default to float32 (bool for a boolean fill) and accept a number as a 1-d shape', () => {
    expect(zeros([2]).dtype).toBe('float32');
    expect(full([2], true).dtype).toBe('bool');
    expect(full([2], false).toArray()).toEqual([false, false]);
    expect(ones(3).shape).toEqual([3]);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([]).item()).toBe(0);
  });

  it('store bool fills as 0/1 whatever the value', () => {
    expect(read(full([2], 2, { dtype: 'bool' }))).toEqual([1, 1]);
  });

  it('*Like copy the shape and the dtype unless told otherwise', () => {
    const like = zeros([2, 3], { dtype: 'int32' }).T;
    for (const t of [zerosLike(like), onesLike(like), fullLike(like, 7)]) {
      expect([t.shape, t.dtype, t.isContiguous]).toEqual([[3, 2], 'int32', true]);
    }
    expect(read(fullLike(like, 7))).toEqual([7, 7, 7, 7, 7, 7]);
    expect(onesLike(like, { dtype: 'float64' }).dtype).toBe('float64');
    expect(read(onesLike(like))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('reject negative, fractional and non-finite sizes, naming the op', () => {
    for (const bad of [-1, 2.5, NaN, Infinity]) {
      expect(() => zeros([2, bad]), String(bad)).toThrow(ValueError);
      expect(() => zeros([2, bad])).toThrow(
        `zeros: invalid size ${bad} in shape [2, ${bad}]; sizes must be non-negative integers`,
      );
      expect(() => ones([bad])).toThrow(/^ones: invalid size/);
      expect(() => full([bad], 1)).toThrow(
        `full: invalid size ${bad} in shape [${bad}]; sizes must be non-negative integers`,
      );
    }
    expect(() => zeros([2], { dtype: 'int64' as DType })).toThrow(DTypeError);
    expect(() => zeros([2], { dtype: 'int64' as DType })).toThrow(/^zeros: unknown dtype "int64"/);
  });
});

describe('arange', () => {
  it('counts like NumPy: int32 for integer arguments, float32 otherwise, negative steps', () => {
    const cases: [number[], DType, number[]][] = [
      [[5], 'int32', [0, 1, 2, 3, 4]],
      [[2, 5], 'int32', [2, 3, 4]],
      [[0, 10, 3], 'int32', [0, 3, 6, 9]],
      [[5, 0, -1], 'int32', [5, 4, 3, 2, 1]],
      [[5, -5, -3], 'int32', [5, 2, -1, -4]],
      [[0], 'int32', []],
      [[5, 0], 'int32', []],
      [[0, 5, -1], 'int32', []],
      [[0, 1, 0.25], 'float32', [0, 0.25, 0.5, 0.75]],
      [[1, -1, -0.5], 'float32', [1, 0.5, 0, -0.5]],
      [[0.5, 3], 'float32', [0.5, 1.5, 2.5]],
      [[2.5], 'float32', [0, 1, 2]],
    ];
    for (const [args, dtype, want] of cases) {
      const [start, stop, step] = args;
      const t = arange(start, stop, step);
      expect([t.dtype, t.shape, read(t)], `arange(${args})`).toEqual([dtype, [want.length], want]);
    }
  });

  it('has ceil((stop − start) / step) elements start + i·step, in the requested dtype', () => {
    check(
      fc.tuple(
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -20, max: 20 }),
        fc.constantFrom(1, 2, 3, -1, -2, 0.5, -0.75, 0.1),
      ),
      ([start, stop, step]) => {
        const t = arange(start, stop, step, { dtype: 'float64' });
        const want: number[] = [];
        for (let i = 0; step > 0 ? start + i * step < stop : start + i * step > stop; i++) want.push(start + i * step);
        expect(t.dtype).toBe('float64');
        expect(read(t).length).toBe(want.length);
        read(t).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
      },
      100,
    );
  });

  it('rejects step 0 and non-finite bounds', () => {
    expect(() => arange(0, 5, 0)).toThrow(new ValueError('arange: step must not be 0'));
    expect(() => arange(0, Infinity)).toThrow('arange: stop must be finite, got Infinity');
    expect(() => arange(NaN)).toThrow(ValueError);
  });
});

describe('linspace and eye', () => {
  it('linspace includes both ends and spaces evenly', () => {
    expect(read(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(read(linspace(1, -1, 3, { dtype: 'float64' }))).toEqual([1, 0, -1]);
    expect(read(linspace(2, 3, 1))).toEqual([2]);
    expect(linspace(2, 3, 0).shape).toEqual([0]);
    expect(linspace(0, 1).shape).toEqual([50]);
    const t = linspace(0, 0.3, 4, { dtype: 'float64' });
    expect(read(t)[3]).toBe(0.3); // the endpoint is exact
    expect(() => linspace(0, 1, -1)).toThrow('linspace: num must be a non-negative integer, got -1');
  });

  it('eye puts ones on the k-th diagonal', () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 3, 1).toArray()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(3, 2, -1).toArray()).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(eye(2, 2, 5).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(eye(2, undefined, 0, { dtype: 'int32' }).dtype).toBe('int32');
    expect(eye(0).shape).toEqual([0, 0]);
  });
});

describe('conversions out of a tensor', () => {
  it('item() needs exactly one element', () => {
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor([1, 2]).slice(1).item()).toBe(2);
    expect(() => tensor([1, 2]).item()).toThrow(
      new ShapeError('item: only a tensor with one element has an item, got shape (2)'),
    );
    expect(() => zeros([0]).item()).toThrow(ShapeError);
  });

  it('toTypedArray is a fresh row-major copy of the view', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    const t = x.T.toTypedArray();
    expect(t).toBeInstanceOf(Int32Array);
    expect(Array.from(t)).toEqual([1, 3, 2, 4]);
    const c = x.slice(1).toTypedArray();
    expect(Array.from(c)).toEqual([3, 4]);
    c[0] = 9;
    expect(read(x)).toEqual([1, 2, 3, 4]);
  });

  it('toArray gives booleans for bool tensors and numbers otherwise', () => {
    expect(tensor([[true, false]]).toArray()).toEqual([[true, false]]);
    expect(tensor([[1, 2]], { dtype: 'int32' }).T.toArray()).toEqual([[1], [2]]);
    expect(zeros([2, 0, 3]).toArray()).toEqual([[], []]);
  });

  it('the Tensor constructor wraps storage without copying and infers the dtype', () => {
    const data = new Float64Array(6);
    const t = new Tensor(data, [2, 3]);
    expect([t.data, t.dtype, t.strides]).toEqual([data, 'float64', [3, 1]]);
    expect(() => new Tensor(new Int16Array(2) as never, [2])).toThrow(DTypeError);
  });
});

/**
 * Error classes and the messages users see. Every message starts with the op that failed and
 * names the shapes, axis, index or dtype at fault (STYLE.md: "Errors name the operation and the
 * shapes involved"). Each case asserts the class and the full message.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import type { DType } from '../src/dtype.js';
import { DTypeError, IndexError, NNError, ShapeError, ValueError, formatShape } from '../src/errors.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';
import { add, mul } from '../src/ops/elementwise.js';
import { matmul } from '../src/ops/matmul.js';
import { sum } from '../src/ops/reduce.js';
import { take } from '../src/ops/indexing.js';

/** Runs `f`, expecting it to throw `type` with exactly `message`. */
function expectError(f: () => unknown, type: new (message: string) => NNError, message: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, message).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

describe('error classes', () => {
  it('are Errors and NNErrors, with .name set to the class name', () => {
    for (const [Type, name] of [
      [ShapeError, 'ShapeError'],
      [DTypeError, 'DTypeError'],
      [IndexError, 'IndexError'],
      [ValueError, 'ValueError'],
    ] as const) {
      const e = new Type('op: something');
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(NNError);
      expect(e).toBeInstanceOf(Type);
      expect(e.name).toBe(name);
      expect(e.message).toBe('op: something');
      expect(String(e)).toBe(`${name}: op: something`);
      expect(e.stack).toContain('op: something');
    }
    expect(new ShapeError('x')).not.toBeInstanceOf(ValueError);
    expect(new NNError('x').name).toBe('NNError');
  });

  it('thrown errors carry their class through instanceof and name', () => {
    try {
      add(zeros([2, 3]), zeros([4, 3]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShapeError);
      expect((e as Error).name).toBe('ShapeError');
    }
  });

  it('formatShape prints shapes as NumPy does, without the 1-tuple comma', () => {
    expect([formatShape([2, 3]), formatShape([5]), formatShape([])]).toEqual(['(2,3)', '(5)', '()']);
  });
});

describe('messages', () => {
  it('ragged nested arrays', () => {
    expectError(
      () =>
        tensor([
          [1, 2, 3],
          [4, 5],
        ]),
      ShapeError,
      'tensor: ragged nested array at index [1]: expected length 3, got 2',
    );
  });

  it('negative, fractional and non-finite sizes', () => {
    expectError(
      () => tensor(new Float32Array(2), { shape: [-1, -2] }),
      ValueError,
      'tensor: invalid size -1 in shape [-1, -2]; sizes must be non-negative integers',
    );
    expectError(() => arange(0, NaN), ValueError, 'arange: stop must be finite, got NaN');
    expectError(
      () => zeros([2, -3]),
      ValueError,
      'zeros: invalid size -3 in shape [2, -3]; sizes must be non-negative integers',
    );
    expectError(
      () => zeros([Infinity]),
      ValueError,
      'zeros: invalid size Infinity in shape [Infinity]; sizes must be non-negative integers',
    );
  });

  it('reshape to a wrong size', () => {
    expectError(
      () => arange(6).reshape(4, 2),
      ShapeError,
      'reshape: cannot reshape (6) (6 elements) into (4,2) (8 elements)',
    );
  });

  it('axis out of range', () => {
    expectError(
      () => sum(zeros([2, 3]), 2),
      IndexError,
      'sum: axis 2 is out of range for a 2-d tensor (valid axes are -2..1)',
    );
  });

  it('axis out of range in composite reductions names the op called, not its parts', () => {
    const x = zeros([2, 3]);
    const message = (op: string) => `${op}: axis -3 is out of range for a 2-d tensor (valid axes are -2..1)`;
    expectError(() => x.softmax(-3), IndexError, message('softmax'));
    expectError(() => x.logSoftmax(-3), IndexError, message('logSoftmax'));
    expectError(() => x.logsumexp(-3), IndexError, message('logsumexp'));
    expectError(() => x.var(-3), IndexError, message('var'));
    expectError(() => x.std(-3), IndexError, message('std'));
  });

  it('index out of range', () => {
    expectError(() => zeros([2, 3]).slice(0, 3), IndexError, 'slice: index 3 is out of bounds for axis 1 with size 3');
    expectError(() => take(zeros([2, 3]), [5], 1), IndexError, 'take: index 5 is out of bounds for axis 1 with size 3');
    expectError(
      () => take(zeros([2, 3]), tensor([6], { dtype: 'int32' })),
      IndexError,
      'take: index 6 is out of bounds for the flattened tensor of size 6',
    );
  });

  it('float index tensors and fractional indices', () => {
    expectError(() => take(zeros([3]), tensor([0, 1])), DTypeError, 'take: indices must be int32, got float32');
    expectError(() => take(zeros([3]), [1.5]), DTypeError, 'take: indices must be integers, got 1.5 at position 0');
  });

  it('shapes that do not broadcast', () => {
    expectError(() => add(zeros([2, 3]), zeros([4, 3])), ShapeError, 'add: cannot broadcast (2,3) with (4,3)');
    expectError(() => mul(zeros([2, 3]), zeros([3, 2])), ShapeError, 'mul: cannot broadcast (2,3) with (3,2)');
  });

  it('matmul inner dimensions', () => {
    expectError(
      () => matmul(zeros([10, 2]), zeros([3, 4])),
      ShapeError,
      'matmul: (10,2) @ (3,4): inner dimensions 2 and 3 differ',
    );
  });

  it('unknown dtypes', () => {
    expectError(
      () => zeros([2]).astype('int64' as DType),
      DTypeError,
      'astype: unknown dtype "int64"; expected one of bool, int32, float32, float64',
    );
    expectError(
      () => tensor([1], { dtype: 'float16' as DType }),
      DTypeError,
      'tensor: unknown dtype "float16"; expected one of bool, int32, float32, float64',
    );
    expectError(
      () => zeros([2], { dtype: 'uint8' as DType }),
      DTypeError,
      'zeros: unknown dtype "uint8"; expected one of bool, int32, float32, float64',
    );
    expectError(
      () => new Tensor(new Int16Array(2) as never, [2]),
      DTypeError,
      'tensor: unsupported typed array Int16Array; use Float32Array, Float64Array, Int32Array or Uint8Array (bool)',
    );
  });

  it('non-tensor operands', () => {
    expectError(() => add(zeros([2]), '1' as never), DTypeError, 'add: expected a Tensor or a number, got string');
    expectError(() => matmul(zeros([2]), [1, 2] as never), DTypeError, 'matmul: operands must be tensors, got object');
  });
});

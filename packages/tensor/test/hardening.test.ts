/**
 * Issue 22's bad inputs to @nn/tensor: each once answered silently (a whole axis, a wrapped
 * number, NaN, 0) or crashed with an engine error naming neither the op nor the value. Each now
 * throws an NNError subclass whose message starts with the op and names what was wrong.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DTypeError,
  IndexError,
  NNError,
  ShapeError,
  ValueError,
  arange,
  argmax,
  choice,
  concat,
  conv2d,
  full,
  getMaxTensorBytes,
  getThreads,
  im2col,
  linspace,
  matmul,
  max,
  mean,
  ones,
  pad,
  permutation,
  pow,
  rand,
  randint,
  randn,
  repeat,
  seed,
  setBackend,
  getBackend,
  setMaxTensorBytes,
  setThreads,
  softmax,
  squeeze,
  sum,
  take,
  tensor,
  tile,
  zeros,
  add,
  where,
  Generator,
} from '../src/index.js';

/** Runs `f`, expecting it to throw `type` with a message containing every one of `words`. */
function expectError(f: () => unknown, type: abstract new (...args: never[]) => NNError, ...words: string[]): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, words.join(' ')).toBeInstanceOf(type);
  for (const word of words) expect((error as Error).message).toContain(word);
}

describe('slice rejects what basic indexing cannot mean', () => {
  const x = zeros([3, 4]);
  it('an array, a boolean or undefined is not a whole axis', () => {
    expectError(() => x.slice([0, 1] as never), IndexError, 'slice:', 'index [0,1] for axis 0', 'take()');
    expectError(() => x.slice(0, true as never), IndexError, 'slice:', 'index true for axis 1', 'boolean');
    expectError(() => x.slice(undefined as never), IndexError, 'slice:', 'index undefined for axis 0', 'null');
  });
  it('a slice object with a misspelt key or a fractional bound', () => {
    expectError(() => x.slice({ strat: 1 } as never), IndexError, 'slice:', "unknown key 'strat'", 'axis 0');
    expectError(() => x.slice(':', { start: 0.5 }), IndexError, 'slice:', 'start 0.5', 'axis 1', 'not an integer');
  });
  it('a fractional or NaN position is "not an integer", printed as written', () => {
    expectError(() => x.slice(1.5), IndexError, 'slice: index 1.5 for axis 0 is not an integer');
    expectError(() => x.slice(0, NaN), IndexError, 'slice: index NaN for axis 1 is not an integer');
    expectError(() => x.slice(3), IndexError, 'slice: index 3 is out of bounds for axis 0 with size 3');
  });
  it('still takes every valid form', () => {
    expect(x.slice(null, '1:3').shape).toEqual([3, 2]);
    expect(x.slice({ start: 1 }, { step: 2, stop: undefined }).shape).toEqual([2, 2]);
    expect(x.slice('...', -1).shape).toEqual([3]);
  });
});

describe('values a dtype cannot hold', () => {
  it('int32 out of range, NaN or infinite is a ValueError, not a wrapped number', () => {
    expectError(() => tensor([3e9], { dtype: 'int32' }), ValueError, 'tensor:', '3000000000', 'index [0]', 'int32');
    expectError(
      () =>
        tensor(
          [
            [1, 2],
            [3, NaN],
          ],
          { dtype: 'int32' },
        ),
      ValueError,
      'tensor:',
      'NaN',
      'index [1][1]',
    );
    expectError(() => tensor(new Float64Array([1, -Infinity]), { dtype: 'int32' }), ValueError, '-Infinity');
    expectError(() => full([2], 2 ** 31, { dtype: 'int32' }), ValueError, 'full:', '2147483648');
    expectError(() => add(tensor([1], { dtype: 'int32' }), 5e9), ValueError, 'add:', '5000000000');
    expectError(() => arange(2 ** 31 - 2, 2 ** 31 + 2), ValueError, 'arange:', '2147483649');
  });
  it('fractions into int32 truncate toward zero, as astype and NumPy do', () => {
    expect(tensor([1.7, -1.7, 2 ** 31 - 1], { dtype: 'int32' }).toArray()).toEqual([1, -1, 2 ** 31 - 1]);
    expect(tensor([-(2 ** 31)], { dtype: 'int32' }).toArray()).toEqual([-(2 ** 31)]);
  });
  it('full with a string is a DTypeError, not NaN', () => {
    expectError(() => full([2], 'a' as never), DTypeError, 'full:', "'a'", 'string');
  });
  it('int32 to a negative power is a ValueError, as in NumPy', () => {
    const two = tensor([2, 3], { dtype: 'int32' });
    expectError(() => pow(two, -1), ValueError, 'pow:', 'negative integer powers', '-1');
    expectError(() => two.pow(tensor([1, -2], { dtype: 'int32' })), ValueError, 'pow:', '-2');
    expect(pow(two, 2).toArray()).toEqual([4, 9]);
    expect(pow(two.astype('float32'), -1).toArray()).toEqual([0.5, 1 / 3].map(Math.fround));
  });
});

describe('axes that are not integers', () => {
  const x = zeros([2, 3]);
  it('name the op and the value as written, for every axis-taking op', () => {
    expectError(() => sum(x, '1' as never), IndexError, 'sum:', "'1'", 'string');
    expectError(() => mean(x, { axis: 0 } as never), IndexError, 'mean:', 'object');
    expectError(() => max(x, NaN), IndexError, 'max:', 'axis must be an integer, got NaN');
    expectError(() => argmax(x, '0' as never), IndexError, 'argmax:', "'0'");
    expectError(() => softmax(x, 1.5), IndexError, 'softmax:', '1.5');
    expectError(() => concat([x, x], '0' as never), IndexError, 'concat:', "'0'");
    expectError(() => squeeze(zeros([1, 2]), '0' as never), IndexError, 'squeeze:', "'0'");
    expectError(() => sum(x, [0, '1'] as never), IndexError, 'sum:', "'1'");
  });
});

describe('the size ceiling', () => {
  afterEach(() => setMaxTensorBytes(4 * 1024 ** 3));

  it('defaults to 4 GiB and stops huge creations before allocating, naming op, shape and bytes', () => {
    expect(getMaxTensorBytes()).toBe(4 * 1024 ** 3);
    const started = performance.now();
    expectError(() => zeros([1e6, 1e6]), ValueError, 'zeros:', '(1000000,1000000)', '4000000000000 bytes', '4 GiB');
    expectError(() => zeros([2 ** 31]), ValueError, 'zeros:', '(2147483648)', '8 GiB');
    expectError(() => randn([1e6, 1e6]), ValueError, 'randn:', '(1000000,1000000)');
    expectError(() => arange(0, 1e12, 1, { dtype: 'float32' }), ValueError, 'arange:', '(1000000000000)');
    expectError(() => add(zeros([1e6, 1]), zeros([1, 1e6])), ValueError, 'add:', '(1000000,1000000)');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('every allocation path checks it, with its own op name', () => {
    setMaxTensorBytes(1000); // 250 float32 elements
    const x = ones([10, 10]);
    expectError(() => ones([16, 16]), ValueError, 'ones:', '(16,16)', '1024 bytes');
    expectError(() => full([300], 1), ValueError, 'full:');
    expectError(() => tensor(new Array(300).fill(0)), ValueError, 'tensor:', '(300)');
    expectError(() => rand([300]), ValueError, 'rand:');
    expectError(() => randint(0, 5, [300]), ValueError, 'randint:');
    expectError(() => permutation(300), ValueError, 'permutation:');
    expectError(() => choice(10, 300), ValueError, 'choice:');
    expectError(() => linspace(0, 1, 300), ValueError, 'linspace:');
    expectError(() => concat([x, x, x]), ValueError, 'concat:', '(30,10)');
    expectError(() => tile(x, [3, 1]), ValueError, 'tile:', '(30,10)');
    expectError(() => repeat(x, 3, 0), ValueError, 'repeat:', '(30,10)');
    expectError(
      () =>
        pad(x, [
          [10, 10],
          [0, 0],
        ]),
      ValueError,
      'pad:',
      '(30,10)',
    );
    expectError(() => take(x, new Array(30).fill(0), 0), ValueError, 'take:', '(30,10)');
    expectError(() => where(ones([20, 1], { dtype: 'bool' }), ones([1, 20]), 0), ValueError, 'where:', '(20,20)');
    expectError(() => matmul(ones([20, 1]), ones([1, 20])), ValueError, 'matmul:', '(20,20)');
    expectError(() => im2col(ones([1, 1, 12, 12]), 2, 2), ValueError, 'im2col:', '(121,4)');
    expectError(() => conv2d(ones([1, 1, 5, 5]), ones([20, 1, 2, 2])), ValueError, 'conv2d:', '(1,20,4,4)');
    expect(add(x, x).size).toBe(100); // under the ceiling all is as before
  });

  it('is configurable, and rejects a bad ceiling', () => {
    setMaxTensorBytes(Infinity);
    expect(getMaxTensorBytes()).toBe(Infinity);
    expectError(() => setMaxTensorBytes(-1), ValueError, 'setMaxTensorBytes:', '-1');
    expectError(() => setMaxTensorBytes(NaN), ValueError, 'setMaxTensorBytes:', 'NaN');
  });

  it('invalid sizes are ValueErrors naming the size', () => {
    expectError(() => zeros([2, -1]), ValueError, 'zeros:', '-1');
    expectError(() => randn([NaN]), ValueError, 'randn:', 'NaN');
    expectError(() => ones([1.5]), ValueError, 'ones:', '1.5');
  });
});

describe("the kernels' settings", () => {
  it('setThreads is bounded, with an NNError', () => {
    const before = getThreads();
    expectError(() => setThreads(1000), ValueError, 'setThreads:', '1000', '64');
    expectError(() => setThreads(0), ValueError, 'setThreads:', '0');
    expectError(() => setThreads(2.5), ValueError, 'setThreads:', '2.5');
    expect(getThreads()).toBe(before);
  });
  it('setBackend and seed throw NNErrors naming the value', () => {
    const before = getBackend();
    expectError(() => setBackend('gpu'), ValueError, "setBackend: unknown backend 'gpu'", 'js');
    expect(getBackend()).toBe(before);
    expectError(() => seed(1.5), ValueError, 'seed:', '1.5');
    expectError(() => seed(NaN), ValueError, 'seed:', 'NaN');
    expectError(() => new Generator(0).uniform(1, NaN), ValueError, 'Generator.uniform', 'NaN');
  });
});

describe('messages', () => {
  it('a batched matmul mismatch names both operands in full', () => {
    expectError(
      () => matmul(zeros([2, 4, 5]), zeros([3, 5, 6])),
      ShapeError,
      'matmul: batch dimensions (2) and (3) do not broadcast: (2,4,5) @ (3,5,6)',
    );
  });
});

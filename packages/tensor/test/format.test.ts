/**
 * toString(): NumPy-style repr. Where our output is meant to equal NumPy's, the expected string is
 * what NumPy 2.x prints for `repr(np.array(..., dtype=...))`. Where it knowingly differs (dtype
 * always printed, no 75-column wrapping, right-aligned fractions, per-element scientific
 * notation) the test pins today's output and says what NumPy prints, so a change is deliberate.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor.js';
import { arange, tensor, zeros } from '../src/ops/creation.js';

describe('toString matches NumPy', () => {
  it('2-d float32', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('array([[1., 2.],\n       [3., 4.]], dtype=float32)');
  });

  it('3-d int32 with a blank line between blocks', () => {
    expect(arange(8).reshape(2, 2, 2).toString()).toBe(
      'array([[[0, 1],\n        [2, 3]],\n\n       [[4, 5],\n        [6, 7]]], dtype=int32)',
    );
  });

  it('0-d and empty 1-d tensors', () => {
    expect(tensor(3.5).toString()).toBe('array(3.5, dtype=float32)');
    expect(tensor(2, { dtype: 'int32' }).toString()).toBe('array(2, dtype=int32)');
    expect(zeros([0]).toString()).toBe('array([], dtype=float32)');
  });

  it('right-aligns to the widest element; negatives, nan and inf', () => {
    expect(tensor([-1, 2]).toString()).toBe('array([-1.,  2.], dtype=float32)');
    expect(tensor([NaN, Infinity, -Infinity, 1]).toString()).toBe('array([ nan,  inf, -inf,   1.], dtype=float32)');
    expect(tensor([1, 100], { dtype: 'int32' }).toString()).toBe('array([  1, 100], dtype=int32)');
  });

  it('float64 fractions with up to 8 digits', () => {
    expect(tensor([1 / 3], { dtype: 'float64' }).toString()).toBe('array([0.33333333], dtype=float64)');
    expect(tensor([0.1, 0.5], { dtype: 'float64' }).toString()).toBe('array([0.1, 0.5], dtype=float64)');
  });

  it('reads through strides (transposed and reversed views)', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    expect(x.T.toString()).toBe('array([[1, 3],\n       [2, 4]], dtype=int32)');
    expect(x.slice('::-1', '::-1').toString()).toBe('array([[4, 3],\n       [2, 1]], dtype=int32)');
  });

  it('summarises more than 1000 elements with three items at each edge', () => {
    expect(arange(1001).toString()).toBe('array([   0,    1,    2, ...,  998,  999, 1000], dtype=int32)');
    const rows = zeros([40, 40]).toString().split('\n');
    expect(rows).toHaveLength(7);
    expect(rows[0]).toBe('array([[0., 0., 0., ..., 0., 0., 0.],');
    expect(rows[3]).toBe('       ...,');
    expect(rows[6]).toBe('       [0., 0., 0., ..., 0., 0., 0.]], dtype=float32)');
  });

  it('float32 prints the shortest decimal that round-trips in float32 (np.float32(0.3) prints 0.3)', () => {
    // float32 0.3 is 0.30000001192…; NumPy prints `array([0.3, 1.1], dtype=float32)`.
    expect(tensor([0.3, 1.1]).toString()).toBe('array([0.3, 1.1], dtype=float32)');
  });
});

describe('toString where it differs from NumPy (pinned; NumPy output in comments)', () => {
  it('bool: same cells, but NumPy omits dtype=bool', () => {
    // NumPy: array([ True, False])
    expect(tensor([true, false]).toString()).toBe('array([ True, False], dtype=bool)');
  });

  it('float64: NumPy omits dtype=float64', () => {
    // NumPy: array([1., 2.])
    expect(tensor([1, 2], { dtype: 'float64' }).toString()).toBe('array([1., 2.], dtype=float64)');
  });

  it('mixed fraction lengths: NumPy pads on the right of the point', () => {
    expect(tensor([1.5, 2.25]).toString()).toBe('array([1.5 , 2.25], dtype=float32)');
    expect(
      tensor([
        [-0.5, 10.25],
        [3, 4],
      ]).toString(),
    ).toBe('array([[-0.5 , 10.25],\n       [ 3.  ,  4.  ]], dtype=float32)');
  });

  it('large or tiny magnitudes: NumPy switches the whole array to scientific notation', () => {
    // NumPy: array([1.e+08, 1.e+00], dtype=float32)
    expect(tensor([1e8, 1]).toString()).toBe('array([100000000.,         1.], dtype=float32)');
    // NumPy: array([1.0e+16, 1.5e+16])
    expect(tensor([1e16, 1.5e16], { dtype: 'float64' }).toString()).toBe('array([  1e+16, 1.5e+16], dtype=float64)');
  });

  it('negative zero: NumPy prints -0.', () => {
    // NumPy: array([-0.,  1.], dtype=float32)
    expect(tensor([-0, 1]).toString()).toBe('array([0., 1.], dtype=float32)');
  });

  it('empty 2-d: NumPy prints the shape', () => {
    // NumPy: array([], shape=(2, 0), dtype=float32)
    expect(zeros([2, 0]).toString()).toBe('array([[],\n       []], dtype=float32)');
  });

  it('long rows: NumPy wraps at 75 columns', () => {
    // NumPy: array([ 0,  1, ..., 16,\n       17, ..., 29], dtype=int32) over two lines
    expect(arange(30).toString().includes('\n')).toBe(false);
  });

  it('the doc comment of Tensor.toString shows ints for a float32 tensor', () => {
    // tensor.ts says `array([[1, 2], [3, 4]], dtype=float32)`; the output has `1.` and a newline.
    expect(String(new Tensor(new Float32Array([1, 2]), [2]))).toBe('array([1., 2.], dtype=float32)');
  });
});
